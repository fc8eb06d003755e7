//! A real deployment: two Node socket.io 4.8.4 servers (`tests/peers/cluster/server.js`) sharing
//! rooms and broadcasts through `@socket.io/redis-adapter` and a Redis server, behind HAProxy
//! with cookie stickiness (`cookie SERVERID insert indirect nocache`, `balance roundrobin`), all
//! on 127.0.0.1 with free ports, started here and stopped on drop.
//!
//! Over long-polling every request of a session must reach the server that holds it: only the
//! client's cookie jar (sending HAProxy's `SERVERID` cookie back) makes that happen. The same
//! scenario behind a balancer *without* stickiness shows that the test notices: most sessions
//! fail there.
//!
//! Skipped (with a message) when haproxy, redis-server or the Node modules are missing, unless
//! peers are required (`CI` / `SOCKETIO_REQUIRE_PEERS`): then it fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use socketio::{AsyncClient, ConnectOptions, DisconnectReason, Transport};
use socketio_suite::peers::peers_required;

const CLIENTS: usize = 20;
const ROUND_TRIPS: i64 = 5;
const STARTUP: Duration = Duration::from_secs(20);
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

// ----- the cluster -----

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// `name` on the PATH, or in /usr/sbin (where Debian puts haproxy).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A port that was free a moment ago (bound to :0, then closed).
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// A child process, killed and reaped on drop; its output is drained (the tail kept).
struct Proc {
    name: String,
    child: Child,
    _stdin: Option<ChildStdin>,
    output: Arc<Mutex<String>>,
    first_line: Option<mpsc::Receiver<String>>,
}

impl Proc {
    fn spawn(name: &str, mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {name} ({cmd:?}): {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let stdin = child.stdin.take();
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = tx.send(line.clone());
                    keep_tail(&output, &line);
                }
            });
        }
        if let Some(mut stderr) = child.stderr.take() {
            let output = output.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    keep_tail(&output, &String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        Proc {
            name: name.to_owned(),
            child,
            _stdin: stdin,
            output,
            first_line: Some(rx),
        }
    }

    /// Waits for a stdout line satisfying `ready`; `Err` with the output if the process exits
    /// or the time runs out.
    fn wait_line(&mut self, ready: impl Fn(&str) -> Option<u16>) -> Result<Option<u16>, String> {
        let rx = self.first_line.as_ref().expect("lines");
        let deadline = Instant::now() + STARTUP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(line) => {
                    if let Some(port) = ready(&line) {
                        return Ok(Some(port));
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(self.failure("exited"));
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failure(&format!("exited with {status}")));
            }
            if Instant::now() >= deadline {
                return Err(self.failure("not ready in time"));
            }
        }
    }

    /// Waits until `port` accepts TCP connections.
    fn wait_port(&mut self, port: u16) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failure(&format!("exited with {status}")));
            }
            if Instant::now() >= deadline {
                return Err(self.failure("not listening in time"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn failure(&self, what: &str) -> String {
        std::thread::sleep(Duration::from_millis(100));
        format!(
            "{} {what}; output:\n{}",
            self.name,
            self.output.lock().unwrap()
        )
    }
}

fn keep_tail(output: &Mutex<String>, text: &str) {
    let mut output = output.lock().unwrap();
    output.push_str(text);
    output.push('\n');
    if output.len() > 32 * 1024 {
        let cut = output.len() - 32 * 1024;
        let cut = (cut..output.len())
            .find(|i| output.is_char_boundary(*i))
            .unwrap_or(0);
        output.drain(..cut);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How HAProxy spreads requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Balance {
    /// `balance roundrobin` with `cookie SERVERID insert indirect nocache`.
    Sticky,
    /// Plain `balance roundrobin`: every request may go to either server.
    RoundRobin,
}

/// Redis, two socket.io nodes and HAProxy in front. Dropped in reverse order of start.
struct Cluster {
    haproxy_port: u16,
    _haproxy: Proc,
    _nodes: Vec<Proc>,
    _redis: Proc,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Cluster {
    /// `None` (after a message) when a piece is not installed and peers are not required.
    fn start(balance: Balance) -> Option<Cluster> {
        let haproxy = find_program("haproxy");
        let redis = find_program("redis-server");
        let node_modules = peers_dir().join("node/node_modules");
        let modules_ok = ["socket.io", "@socket.io/redis-adapter", "redis"]
            .iter()
            .all(|m| node_modules.join(m).join("package.json").is_file());
        let (Some(haproxy), Some(redis), true) = (haproxy, redis, modules_ok) else {
            let message = "the cluster test needs haproxy, redis-server and the Node modules \
                           socket.io, @socket.io/redis-adapter and redis: run tests/peers/install.sh";
            if peers_required() {
                panic!(
                    "{message} (peers are required because CI or SOCKETIO_REQUIRE_PEERS is set)"
                );
            }
            eprintln!("skipping: {message}");
            return None;
        };

        let dir = std::env::temp_dir().join(format!(
            "socketio-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let dir = TempDir(dir);

        // Redis, on a port that was free; another try on a conflict.
        let (redis_proc, redis_port) = retry("redis-server", || {
            let port = free_port();
            let mut cmd = Command::new(&redis);
            cmd.args(["--port", &port.to_string()])
                .args(["--bind", "127.0.0.1"])
                .args(["--save", ""])
                .args(["--appendonly", "no"])
                .args(["--dir", dir.0.to_str().unwrap()]);
            let mut proc = Proc::spawn("redis-server", cmd);
            proc.wait_port(port)?;
            Ok((proc, port))
        });

        let (nodes, ports): (Vec<Proc>, Vec<u16>) = ["s1", "s2"]
            .iter()
            .map(|name| {
                let mut cmd = Command::new("node");
                cmd.arg(peers_dir().join("cluster/server.js"))
                    .arg(
                        json!({
                            "name": name,
                            "redisPort": redis_port,
                            "pingInterval": 5000,
                            "pingTimeout": 5000,
                        })
                        .to_string(),
                    )
                    .current_dir(peers_dir().join("cluster"));
                let mut proc = Proc::spawn(name, cmd);
                let port = proc
                    .wait_line(|line| line.trim().strip_prefix("LISTENING ")?.parse().ok())
                    .unwrap_or_else(|e| panic!("{e}"));
                proc.name = format!("{name} (port {})", port.unwrap());
                (proc, port.unwrap())
            })
            .unzip();

        let (haproxy_proc, haproxy_port) = retry("haproxy", || {
            let port = free_port();
            let config = dir.0.join(format!("haproxy-{port}.cfg"));
            std::fs::File::create(&config)
                .and_then(|mut f| f.write_all(haproxy_config(balance, port, &ports).as_bytes()))
                .expect("write the haproxy config");
            let mut cmd = Command::new(&haproxy);
            cmd.arg("-f").arg(&config).arg("-db");
            let mut proc = Proc::spawn("haproxy", cmd);
            proc.wait_port(port)?;
            Ok((proc, port))
        });

        Some(Cluster {
            haproxy_port,
            _haproxy: haproxy_proc,
            _nodes: nodes,
            _redis: redis_proc,
            _dir: dir,
        })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.haproxy_port)
    }
}

/// Up to 5 tries of `start` (a free port may be taken by someone else meanwhile).
fn retry<T>(what: &str, mut start: impl FnMut() -> Result<T, String>) -> T {
    let mut last = String::new();
    for _ in 0..5 {
        match start() {
            Ok(started) => return started,
            Err(e) => last = e,
        }
    }
    panic!("cannot start {what}: {last}");
}

fn haproxy_config(balance: Balance, port: u16, servers: &[u16]) -> String {
    let mut config = format!(
        "global\n    maxconn 2000\n\n\
         defaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    \
         timeout server 60s\n    timeout tunnel 1h\n    timeout http-request 10s\n\n\
         frontend socketio\n    bind 127.0.0.1:{port}\n    default_backend nodes\n\n\
         backend nodes\n    balance roundrobin\n"
    );
    if balance == Balance::Sticky {
        config.push_str("    cookie SERVERID insert indirect nocache\n");
    }
    for (i, server_port) in servers.iter().enumerate() {
        let name = format!("s{}", i + 1);
        config.push_str(&format!("    server {name} 127.0.0.1:{server_port}"));
        if balance == Balance::Sticky {
            config.push_str(&format!(" cookie {name}"));
        }
        config.push('\n');
    }
    config
}

// ----- clients -----

fn polling() -> ConnectOptions {
    ConnectOptions::new()
        .transports([Transport::Polling])
        .wait_timeout(Duration::from_secs(5))
}

/// What one polling session did.
#[derive(Debug, Default)]
struct Session {
    connect: Option<String>,
    /// `whoami` before and after the round trips.
    servers: Vec<String>,
    sums_ok: i64,
    errors: Vec<String>,
    disconnects: Vec<DisconnectReason>,
}

impl Session {
    fn ok(&self) -> bool {
        self.connect.is_none()
            && self.errors.is_empty()
            && self.disconnects.is_empty()
            && self.sums_ok == ROUND_TRIPS
            && self.servers.len() == 2
            && self.servers[0] == self.servers[1]
    }
}

/// Connects, asks `whoami`, does `sum` ×5 and `whoami` again: every request of the session
/// must reach the same server.
async fn session(url: String, index: i64) -> Session {
    let mut result = Session::default();
    let sio = AsyncClient::builder().reconnection(false).build();
    let disconnects = Arc::new(Mutex::new(Vec::new()));
    {
        let disconnects = disconnects.clone();
        sio.on("disconnect", move |reason: DisconnectReason| {
            disconnects.lock().unwrap().push(reason);
        });
    }
    if let Err(e) = sio.connect_with(&url, polling()).await {
        result.connect = Some(e.to_string());
        return result;
    }
    match sio
        .call_timeout::<_, String>("whoami", (), CALL_TIMEOUT)
        .await
    {
        Ok(name) => result.servers.push(name),
        Err(e) => result.errors.push(format!("whoami: {e}")),
    }
    for i in 0..ROUND_TRIPS {
        match sio
            .call_timeout::<_, i64>("sum", (index, i), CALL_TIMEOUT)
            .await
        {
            Ok(sum) if sum == index + i => result.sums_ok += 1,
            Ok(sum) => result.errors.push(format!("sum({index}, {i}) = {sum}")),
            Err(e) => result.errors.push(format!("sum: {e}")),
        }
    }
    match sio
        .call_timeout::<_, String>("whoami", (), CALL_TIMEOUT)
        .await
    {
        Ok(name) => result.servers.push(name),
        Err(e) => result.errors.push(format!("whoami: {e}")),
    }
    // One poll cycle more: a session that the balancer broke shows it within a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    result.disconnects = disconnects.lock().unwrap().clone();
    sio.disconnect().await;
    result
}

async fn sessions(url: &str) -> Vec<Session> {
    let tasks: Vec<_> = (0..CLIENTS as i64)
        .map(|i| tokio::spawn(session(url.to_owned(), i * 100)))
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("session task"));
    }
    out
}

fn summary(sessions: &[Session]) -> String {
    let mut per_server: BTreeMap<String, usize> = BTreeMap::new();
    for s in sessions.iter().filter(|s| s.ok()) {
        *per_server.entry(s.servers[0].clone()).or_default() += 1;
    }
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for s in sessions.iter().filter(|s| !s.ok()) {
        let why = if let Some(e) = &s.connect {
            format!("connect: {e}")
        } else if let Some(e) = s.errors.first() {
            e.clone()
        } else if let Some(d) = s.disconnects.first() {
            format!("disconnect: {d}")
        } else {
            format!("servers {:?}", s.servers)
        };
        *failures.entry(why).or_default() += 1;
    }
    format!(
        "{} of {} sessions ok, per server {per_server:?}; failures {failures:#?}",
        sessions.iter().filter(|s| s.ok()).count(),
        sessions.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sticky_polling_sessions_keep_their_server() {
    let Some(cluster) = Cluster::start(Balance::Sticky) else {
        return;
    };
    let sessions = sessions(&cluster.url()).await;
    let summary = summary(&sessions);
    println!("CLUSTER-RESULT sticky: {summary}");
    assert!(
        sessions.iter().all(Session::ok),
        "every session must keep its server through the balancer: {summary}\n{sessions:#?}"
    );
    let on_s1 = sessions.iter().filter(|s| s.servers[0] == "s1").count();
    let on_s2 = sessions.iter().filter(|s| s.servers[0] == "s2").count();
    assert!(
        on_s1 > 0 && on_s2 > 0,
        "both servers must get clients: s1 {on_s1}, s2 {on_s2}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_on_one_server_reaches_a_client_on_the_other() {
    let Some(cluster) = Cluster::start(Balance::Sticky) else {
        return;
    };
    // Clients until there is one on each server (round robin: two are enough, a few spare).
    let mut by_server: BTreeMap<String, AsyncClient> = BTreeMap::new();
    let (tx, mut received) = tokio::sync::mpsc::unbounded_channel::<Value>();
    for _ in 0..8 {
        let sio = AsyncClient::builder().reconnection(false).build();
        let tx = tx.clone();
        sio.on("news", move |data: Value| {
            let _ = tx.send(data);
        });
        sio.connect_with(&cluster.url(), polling())
            .await
            .expect("connect through haproxy");
        let name: String = sio
            .call_timeout("whoami", (), CALL_TIMEOUT)
            .await
            .expect("whoami");
        by_server.entry(name).or_insert(sio);
        if by_server.len() == 2 {
            break;
        }
    }
    let (Some(s1), Some(s2)) = (by_server.get("s1"), by_server.get("s2")) else {
        panic!(
            "no client reached both servers: {:?}",
            by_server.keys().collect::<Vec<_>>()
        );
    };
    let joined: bool = s2
        .call_timeout("join", "room-x", CALL_TIMEOUT)
        .await
        .expect("join");
    assert!(joined);
    let sent: bool = s1
        .call_timeout(
            "broadcast",
            ("room-x", "news", json!({"from": "s1", "n": 42})),
            CALL_TIMEOUT,
        )
        .await
        .expect("broadcast");
    assert!(sent);
    let data = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("the broadcast from s1 reaches the client on s2 (through redis)")
        .expect("open");
    assert_eq!(data, json!({"from": "s1", "n": 42}));
    // The sender is not in the room: nothing more arrives.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), received.recv())
            .await
            .is_err(),
        "only the room's member gets the broadcast"
    );
    println!("CLUSTER-RESULT broadcast: s1 -> room-x -> client on s2: {data}");
    for sio in by_server.values() {
        sio.disconnect().await;
    }
}

/// The same sessions behind a balancer without stickiness: most must fail. This shows that the
/// sticky test above depends on the balancer's cookie reaching the right server, and so on the
/// client's cookie jar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sticky_cookies_most_polling_sessions_fail() {
    let Some(cluster) = Cluster::start(Balance::RoundRobin) else {
        return;
    };
    let sessions = sessions(&cluster.url()).await;
    let summary = summary(&sessions);
    println!("CLUSTER-RESULT round robin without cookies: {summary}");
    let failed = sessions.iter().filter(|s| !s.ok()).count();
    assert!(
        failed * 2 > sessions.len(),
        "most sessions should fail without stickiness, {failed} of {} did: {summary}",
        sessions.len()
    );
}
