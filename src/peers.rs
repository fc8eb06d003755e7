//! Reference Socket.IO servers ("peers") for the integration tests.
//!
//! Three servers implement the same test behaviour (documented in `tests/peers/node/server.js`,
//! `tests/peers/python/server.py` and [`crate::socketioxide_server`]):
//!
//! * [`PeerKind::Node`]: the official `socket.io` server (Node.js), installed by
//!   `tests/peers/install.sh` into `tests/peers/node/node_modules`;
//! * [`PeerKind::Python`]: `python-socketio` with aiohttp, installed into `tests/peers/python/.venv`;
//! * [`PeerKind::Socketioxide`]: socketioxide, in process, always available.
//!
//! One more peer speaks an older protocol and is started only on request (it is not in
//! [`PeerKind::ALL`], so [`all`] leaves it out):
//!
//! * [`PeerKind::Node2`]: `socket.io` 2.x (Socket.IO protocol v4 / Engine.IO v3, the protocol of
//!   Socket.IO 2 servers), `tests/peers/node2/server.js`, installed into
//!   `tests/peers/node2/node_modules`.
//!
//! [`PeerOptions::allow_eio3`], [`PeerOptions::parser`] and [`PeerOptions::serializer`] select the
//! other wire formats of the Node.js and Python peers (Engine.IO v3 clients, msgpack).
//!
//! The API is synchronous so that it works from `#[test]` and `#[tokio::test]` alike.
//!
//! ```no_run
//! use socketio_suite::peers::{self, PeerKind, PeerOptions};
//!
//! for peer in peers::all(PeerOptions::default()) {
//!     println!("{:?} listens on {}", peer.kind(), peer.url());
//! }
//! if let Some(mut node) = peers::Peer::start(PeerKind::Node, PeerOptions::default()) {
//!     node.freeze(); // SIGSTOP
//!     node.thaw(); // SIGCONT
//!     node.restart(); // killed, then started again on the same port
//! } // killed and reaped on drop
//! ```

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::socketioxide_server::SocketioxideServer;

/// How long a server may take to print `LISTENING <port>`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long [`Peer::restart`] retries when the port is still busy.
const RESTART_BIND_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a server's stderr is kept for error messages.
const STDERR_KEEP: usize = 64 * 1024;

/// The kind of server behind a [`Peer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerKind {
    /// The official Node.js `socket.io` server (`tests/peers/node/server.js`).
    Node,
    /// `python-socketio`'s `AsyncServer` on aiohttp (`tests/peers/python/server.py`).
    Python,
    /// socketioxide, running in process ([`crate::socketioxide_server`]).
    Socketioxide,
    /// The Node.js `socket.io` 2.x server (`tests/peers/node2/server.js`): Engine.IO protocol v3
    /// (length-prefixed polling payloads, client-sent pings, `b64=1`), no CONNECT auth, refusals
    /// as ERROR packets. Not in [`PeerKind::ALL`]: start it explicitly.
    Node2,
}

impl PeerKind {
    /// Every kind speaking the current protocol, in the order used by [`all`] (without
    /// [`PeerKind::Node2`]).
    pub const ALL: [PeerKind; 3] = [PeerKind::Socketioxide, PeerKind::Node, PeerKind::Python];

    /// A short lowercase name: `node`, `python`, `socketioxide` or `node2`.
    pub fn name(self) -> &'static str {
        match self {
            PeerKind::Node => "node",
            PeerKind::Node2 => "node2",
            PeerKind::Python => "python",
            PeerKind::Socketioxide => "socketioxide",
        }
    }

    /// Whether this kind of peer can be started here (its dependencies are installed).
    /// Always true for [`PeerKind::Socketioxide`].
    pub fn is_installed(self) -> bool {
        match self {
            PeerKind::Socketioxide => true,
            PeerKind::Node => node_dir()
                .join("node_modules/socket.io/package.json")
                .is_file(),
            PeerKind::Node2 => node2_dir()
                .join("node_modules/socket.io/package.json")
                .is_file(),
            PeerKind::Python => {
                python_bin().is_file()
                    && python_dir().join(".venv/.requirements.installed").is_file()
            }
        }
    }
}

impl fmt::Display for PeerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Server options, passed to the Node.js and Python servers as one JSON object (camelCase keys).
/// Every option is optional; `None` means the server's default.
#[derive(Debug, Default, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerOptions {
    /// Engine.IO ping interval, in milliseconds (default 25000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ping_interval: Option<u64>,
    /// Engine.IO ping timeout, in milliseconds (default 20000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ping_timeout: Option<u64>,
    /// Largest accepted message / HTTP body, in bytes (default 1000000 on every peer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_http_buffer_size: Option<u64>,
    /// Allowed transports: `"polling"` and/or `"websocket"` (default both).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transports: Option<Vec<String>>,
    /// Request path (default `/socket.io`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Serve HTTPS/WSS with these PEM credentials (Node.js only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<PeerTls>,
    /// Enables socket.io's connection state recovery (Node.js only; ignored by the other peers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_state_recovery: Option<bool>,
    /// With [`PeerOptions::connection_state_recovery`]: how long a disconnected session (and the
    /// events sent meanwhile) is kept for recovery, in milliseconds: socket.io's
    /// `maxDisconnectionDuration` (default 120000). Node.js only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_max_disconnection_ms: Option<u64>,
    /// With [`PeerOptions::connection_state_recovery`]: also drop the expired sessions and stored
    /// events every this many milliseconds. socket.io's adapter does it once a minute, so it keeps
    /// up to a minute of events more than needed, and a recovery looks its offset up among all of
    /// them, one by one: under many clients and many events that lookup is what the server spends
    /// its time on. Node.js only (default: only socket.io's own sweep).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_sweep_ms: Option<u64>,
    /// Also accept Engine.IO v3 clients (`EIO=3`, the Socket.IO 2 protocol): socket.io's
    /// `allowEIO3` (Node.js only; serialized as `allowEIO3`).
    #[serde(rename = "allowEIO3", skip_serializing_if = "Option::is_none")]
    pub allow_eio3: Option<bool>,
    /// The Socket.IO parser of the Node.js peer: `"msgpack"` for `socket.io-msgpack-parser`
    /// (default: the JSON parser). Node.js only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parser: Option<String>,
    /// The Socket.IO serializer of the Python peer: `"msgpack"` for python-socketio's msgpack
    /// serializer (default: JSON). Python only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serializer: Option<String>,
    /// The port to listen on (on `127.0.0.1`); `None` (the default) for an ephemeral port.
    /// [`Peer::restart`] sets it to keep the port of the first start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// TLS credentials for a peer (PEM text).
#[derive(Debug, Default, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerTls {
    /// The server's private key.
    pub key: String,
    /// The server's certificate chain.
    pub cert: String,
    /// The CA that client certificates must chain to (with `request_cert`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// Require a client certificate (mutual TLS).
    pub request_cert: bool,
}

/// A running server. Stopped (and, for external processes, killed and reaped) on drop.
pub struct Peer {
    kind: PeerKind,
    port: u16,
    options: PeerOptions,
    inner: Inner,
}

enum Inner {
    Process(Process),
    InProcess(SocketioxideServer),
    Stopped,
}

struct Process {
    child: Child,
    /// Kept open: the servers exit when their stdin is closed.
    stdin: Option<ChildStdin>,
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pid = match &self.inner {
            Inner::Process(p) => Some(p.child.id()),
            _ => None,
        };
        f.debug_struct("Peer")
            .field("kind", &self.kind)
            .field("port", &self.port)
            .field("pid", &pid)
            .finish()
    }
}

/// True when missing peers must fail the tests instead of being skipped: the environment variable
/// `CI` or `SOCKETIO_REQUIRE_PEERS` is set to a non-empty value other than `0` / `false`.
pub fn peers_required() -> bool {
    ["CI", "SOCKETIO_REQUIRE_PEERS"].iter().any(|name| {
        std::env::var(name).is_ok_and(|v| {
            let v = v.trim();
            !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
        })
    })
}

impl Peer {
    /// Starts the server; `None` when the peer is not installed (node_modules or .venv missing)
    /// and peers are not required (see [`peers_required`]). When they are required, a missing
    /// peer panics with a message saying to run `tests/peers/install.sh`.
    ///
    /// # Panics
    /// When the server does not print `LISTENING <port>` within 20 s (the message includes the
    /// server's stderr), or cannot be spawned at all.
    pub fn start(kind: PeerKind, options: PeerOptions) -> Option<Peer> {
        if !kind.is_installed() {
            if peers_required() {
                panic!(
                    "the {kind} peer is not installed; run tests/peers/install.sh \
                     (peers are required because CI or SOCKETIO_REQUIRE_PEERS is set)"
                );
            }
            eprintln!("skipping the {kind} peer: not installed (run tests/peers/install.sh)");
            return None;
        }
        let (port, inner) = launch(kind, &options).unwrap_or_else(|e| panic!("{e}"));
        Some(Peer {
            kind,
            port,
            options,
            inner,
        })
    }

    /// Restarts the server on the same port with the same options: stops it (kills and reaps the
    /// process, or shuts the in-process server down, as on drop), then starts the same kind of
    /// server again, listening on the port of the previous run, and returns once it is ready.
    /// Clients connected to the old server see their connections closed; their reconnections
    /// reach the new server at the same URL. The new server starts with fresh state (counters,
    /// sessions, connection state recovery data).
    ///
    /// All peers bind with `SO_REUSEADDR` (Node.js and tokio always do on Unix, aiohttp is asked
    /// to), so connections of the old server left in `TIME_WAIT` do not block the port. Should the
    /// port still be busy, binding is retried for up to 5 s.
    ///
    /// # Panics
    /// When the server cannot be started again on its port within 5 s (the message includes the
    /// last error, with the server's stderr).
    pub fn restart(&mut self) {
        self.stop();
        let mut options = self.options.clone();
        options.port = Some(self.port);
        let deadline = Instant::now() + RESTART_BIND_TIMEOUT;
        let (port, inner) = loop {
            match launch(self.kind, &options) {
                Ok(started) => break started,
                Err(e) if Instant::now() >= deadline => {
                    panic!(
                        "cannot restart the {} peer on port {}: {e}",
                        self.kind, self.port
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        assert_eq!(
            port, self.port,
            "the restarted {} peer listens on another port",
            self.kind
        );
        self.inner = inner;
    }

    /// The options the server was started with (as given to [`Peer::start`]).
    pub fn options(&self) -> &PeerOptions {
        &self.options
    }

    /// The base URL of the server: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        match self.options.tls {
            // The test certificates are issued for `localhost`.
            Some(_) => format!("https://localhost:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// The TCP port the server listens on (on `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The kind of server.
    pub fn kind(&self) -> PeerKind {
        self.kind
    }

    /// The OS process id of an external server (`None` for socketioxide or once stopped).
    pub fn pid(&self) -> Option<u32> {
        match &self.inner {
            Inner::Process(p) => Some(p.child.id()),
            _ => None,
        }
    }

    /// Suspends the server process (`kill -STOP`): it stops answering, but its sockets stay open.
    ///
    /// # Panics
    /// For [`PeerKind::Socketioxide`] (it runs in the test process), or when stopped.
    pub fn freeze(&self) {
        self.signal("STOP");
    }

    /// Resumes a server suspended by [`Peer::freeze`] (`kill -CONT`).
    ///
    /// # Panics
    /// For [`PeerKind::Socketioxide`], or when stopped.
    pub fn thaw(&self) {
        self.signal("CONT");
    }

    fn signal(&self, sig: &str) {
        let pid = match &self.inner {
            Inner::Process(p) => p.child.id(),
            Inner::InProcess(_) => {
                panic!("cannot send SIG{sig} to the in-process socketioxide peer")
            }
            Inner::Stopped => panic!("cannot send SIG{sig} to a stopped {} peer", self.kind),
        };
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()
            .unwrap_or_else(|e| panic!("cannot run `kill -{sig} {pid}`: {e}"));
        assert!(status.success(), "`kill -{sig} {pid}` failed: {status}");
    }

    /// Stops the server: kills the process and waits for it (or shuts the in-process server
    /// down). Calling it again does nothing. Also done on drop.
    pub fn stop(&mut self) {
        match std::mem::replace(&mut self.inner, Inner::Stopped) {
            Inner::Process(mut p) => {
                drop(p.stdin.take());
                let _ = p.child.kill();
                let _ = p.child.wait();
            }
            Inner::InProcess(mut server) => server.stop(),
            Inner::Stopped => {}
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts every available peer, in the order Socketioxide, Node, Python. Peers that are not
/// installed are skipped, unless peers are required (see [`peers_required`]).
pub fn all(options: PeerOptions) -> Vec<Peer> {
    PeerKind::ALL
        .into_iter()
        .filter_map(|kind| Peer::start(kind, options.clone()))
        .collect()
}

/// Starts the Node.js and python-socketio peers with default options, in that order, for the
/// tests whose events only those two servers implement (socketioxide's are a subset). Peers that
/// are not installed are skipped, unless peers are required (see [`peers_required`]).
///
/// ```no_run
/// for peer in socketio_suite::peers::node_and_python() {
///     assert_ne!(peer.kind(), socketio_suite::peers::PeerKind::Socketioxide);
/// }
/// ```
pub fn node_and_python() -> Vec<Peer> {
    [PeerKind::Node, PeerKind::Python]
        .into_iter()
        .filter_map(|kind| Peer::start(kind, PeerOptions::default()))
        .collect()
}

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

fn node_dir() -> PathBuf {
    peers_dir().join("node")
}

fn node2_dir() -> PathBuf {
    peers_dir().join("node2")
}

fn python_dir() -> PathBuf {
    peers_dir().join("python")
}

fn python_bin() -> PathBuf {
    python_dir().join(".venv/bin/python")
}

/// Starts a server of `kind` (which must be installed) and waits until it is ready.
fn launch(kind: PeerKind, options: &PeerOptions) -> Result<(u16, Inner), String> {
    let json = serde_json::to_string(options).expect("PeerOptions serializes");
    match kind {
        PeerKind::Socketioxide => {
            let server = SocketioxideServer::start(options)
                .map_err(|e| format!("cannot start the socketioxide peer: {e}"))?;
            Ok((server.port(), Inner::InProcess(server)))
        }
        PeerKind::Node | PeerKind::Node2 => {
            let dir = if kind == PeerKind::Node2 {
                node2_dir()
            } else {
                node_dir()
            };
            let mut cmd = Command::new("node");
            cmd.arg(dir.join("server.js")).arg(&json).current_dir(dir);
            spawn(kind, cmd)
        }
        PeerKind::Python => {
            let mut cmd = Command::new(python_bin());
            cmd.arg(python_dir().join("server.py"))
                .arg(&json)
                .current_dir(python_dir());
            cmd.env("PYTHONUNBUFFERED", "1")
                .env("PYTHONDONTWRITEBYTECODE", "1");
            spawn(kind, cmd)
        }
    }
}

/// Spawns a server process and waits for its `LISTENING <port>` line.
fn spawn(kind: PeerKind, mut cmd: Command) -> Result<(u16, Inner), String> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot spawn the {kind} peer ({cmd:?}): {e}"))?;
    let stdin = child.stdin.take();

    // Drain stderr (so the server never blocks on a full pipe), keeping the tail for errors.
    let stderr_buf = Arc::new(Mutex::new(Vec::<u8>::new()));
    if let Some(mut stderr) = child.stderr.take() {
        let buf = stderr_buf.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut buf = buf.lock().unwrap();
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > STDERR_KEEP {
                    let excess = buf.len() - STDERR_KEEP;
                    buf.drain(..excess);
                }
            }
        });
    }

    // Read the first stdout line, then keep draining stdout.
    let (line_tx, line_rx) = mpsc::channel::<String>();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = line_tx.send(line);
            }
            for _ in lines {}
        });
    }

    let line = line_rx.recv_timeout(STARTUP_TIMEOUT);
    let port = line
        .as_deref()
        .ok()
        .and_then(|l| l.trim().strip_prefix("LISTENING "))
        .and_then(|p| p.trim().parse::<u16>().ok());
    let Some(port) = port else {
        let _ = child.kill();
        let status = child.wait();
        // Give the stderr thread a moment to collect the last words.
        std::thread::sleep(Duration::from_millis(100));
        let stderr = String::from_utf8_lossy(&stderr_buf.lock().unwrap()).into_owned();
        return Err(format!(
            "the {kind} peer did not become ready (first stdout line: {line:?}, exit: {status:?})\n\
             --- stderr ---\n{stderr}"
        ));
    };
    Ok((port, Inner::Process(Process { child, stdin })))
}
