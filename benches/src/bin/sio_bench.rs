//! The Rust clients of the load benchmarks: one process runs one client kind through one test
//! against a server URL and prints one JSON line with its own measurements.
//!
//! ```text
//! sio-bench <ours|ours_typed|ours_reply|bare|bare_json|rust_socketio> <echo|ack|idle|connect> <url>
//!           [--n N] [--window W] [--flavor ct|task|mt] [--warmup K] [--concurrency C] [--idle-secs S]
//!           [--work K]
//! ```
//!
//! * `echo`: N events `{"i": n, "s": "hello world"}` sent as fast as a window of W
//!   unanswered events allows; the server echoes each one; done when N echoes arrived.
//!   Reports the process's CPU (getrusage RUSAGE_SELF, user + system) and the wall time of
//!   that phase only (connect excluded). `--work K` (the bare clients and `ours_reply`) adds
//!   K rounds of busy work to every received echo, about 1,000 instructions per round (in
//!   `ours_reply`, in the echo handler): how the CPU per event responds to work in the
//!   client, with everything else the same.
//! * `ack`: K warm-up then N sequential `sum(1, 2)` calls, each timed from the emit to the ack.
//! * `idle`: one warm-up connection, then N more (at most C connecting at once), then S seconds
//!   idle; reports the VmRSS growth (from /proc/self/status) divided by N. `--concurrency 0`
//!   starts all N at once (`join_all`: every client created, then all connecting together)
//!   and `--warmup 0` skips the warm-up connection, so the one-off costs count too: what an
//!   application that opens its connections together pays.
//! * `connect`: K warm-up then N sequential connects of a fresh client, each timed from the
//!   start to the namespace being connected (the server's CONNECT packet), then a disconnect.
//!
//! The clients: `ours` is this repository's `socketio::AsyncClient` (`ours_typed`: the same
//! with a struct emitted and received instead of `serde_json::Value`, echo only;
//! `ours_reply`: the same structs, but the echo handler emits the next event itself, so no
//! loop of the application's wakes up per batch: one task hop fewer, echo only);
//! `rust_socketio` is the crates.io crate 0.6 (its async client); `bare` is a hand-written
//! Engine.IO/Socket.IO speaker on tokio-tungstenite with pre-encoded frames: the practical
//! ceiling; `bare_json` the same loop encoding and parsing every event with serde_json (echo
//! only): the JSON work no Socket.IO client can skip, and nothing else.
//!
//! The runtimes (`--flavor`): `ct` runs the test as the `block_on` future of a current-thread
//! tokio runtime (`#[tokio::main(flavor = "current_thread")]` with the loop in `main`);
//! `task` is the same runtime with the test spawned as a task (the loop in `tokio::spawn`);
//! `mt` runs it as the `block_on` future of the default multi-thread runtime.
#![forbid(unsafe_code)]

use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

#[derive(Clone, Debug)]
struct Args {
    client: String,
    test: String,
    url: String,
    n: u64,
    window: u64,
    flavor: String,
    warmup: u64,
    concurrency: usize,
    idle_secs: f64,
    work: u64,
}

fn parse_args() -> Args {
    let mut it = std::env::args().skip(1);
    let usage = "usage: sio-bench <ours|ours_typed|ours_reply|bare|bare_json|rust_socketio> <echo|ack|idle|connect> <url> \
                 [--n N] [--window W] [--flavor ct|task|mt] [--warmup K] [--concurrency C] [--idle-secs S] [--work K]";
    let client = it.next().expect(usage);
    let test = it.next().expect(usage);
    let url = it.next().expect(usage);
    let mut a = Args {
        client,
        test: test.clone(),
        url,
        n: match test.as_str() {
            "echo" => 100_000,
            "ack" => 3_000,
            "idle" => 1_000,
            _ => 50,
        },
        window: 1_000,
        flavor: "ct".into(),
        warmup: 100,
        concurrency: 64,
        idle_secs: 2.0,
        work: 0,
    };
    while let Some(flag) = it.next() {
        let v = it.next().expect(usage);
        match flag.as_str() {
            "--n" => a.n = v.parse().expect("--n"),
            "--window" => a.window = v.parse().expect("--window"),
            "--flavor" => a.flavor = v,
            "--warmup" => a.warmup = v.parse().expect("--warmup"),
            "--concurrency" => a.concurrency = v.parse().expect("--concurrency"),
            "--idle-secs" => a.idle_secs = v.parse().expect("--idle-secs"),
            "--work" => a.work = v.parse().expect("--work"),
            _ => panic!("{usage}"),
        }
    }
    a
}

fn main() {
    let args = parse_args();
    let rt = match args.flavor.as_str() {
        "mt" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    }
    .expect("runtime");
    let result = if args.flavor == "task" {
        // The test is a task like the client's own: tokio polls the `block_on` future only
        // after it polls the I/O driver, so a woken `block_on` future costs an extra
        // `epoll_wait` and waits for the next turn, which a task does not.
        let task = rt.spawn(run(args.clone()));
        rt.block_on(task).unwrap_or_else(|e| Err(e.into()))
    } else {
        rt.block_on(run(args.clone()))
    };
    match result {
        Ok(mut v) => {
            let obj = v.as_object_mut().expect("object");
            obj.insert("client".into(), json!(args.client));
            obj.insert("test".into(), json!(args.test));
            obj.insert("flavor".into(), json!(args.flavor));
            println!("{v}");
            // Idle connections are not closed one by one: the process exits.
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("sio-bench {} {}: {e}", args.client, args.test);
            std::process::exit(1);
        }
    }
}

async fn run(a: Args) -> Res<Value> {
    let takes_work = matches!(a.client.as_str(), "bare" | "bare_json" | "ours_reply");
    if a.work > 0 && !(a.test == "echo" && takes_work) {
        return Err("--work applies to the echo of bare, bare_json and ours_reply only".into());
    }
    match (a.client.as_str(), a.test.as_str()) {
        ("ours", "echo") => ours::echo(&a).await,
        ("ours_typed", "echo") => ours::echo_typed(&a).await,
        ("ours_reply", "echo") => ours::echo_reply(&a).await,
        ("ours", "ack") => ours::ack(&a).await,
        ("ours", "idle") => idle(&a, ours::idle_conn).await,
        ("ours", "connect") => connect_times(&a, ours::connect_once).await,
        ("bare", "echo") => bare::echo(&a).await,
        ("bare_json", "echo") => bare::echo_json(&a).await,
        ("bare", "ack") => bare::ack(&a).await,
        ("bare", "idle") => idle(&a, bare::idle_conn).await,
        ("bare", "connect") => connect_times(&a, bare::connect_once).await,
        ("rust_socketio", "echo") => rsio::echo(&a).await,
        ("rust_socketio", "ack") => rsio::ack(&a).await,
        ("rust_socketio", "idle") => idle(&a, rsio::idle_conn).await,
        ("rust_socketio", "connect") => connect_times(&a, rsio::connect_once).await,
        (c, t) => Err(format!("unknown client/test {c}/{t}").into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Accounting

/// About 1,000 instructions per round (callgrind: 970–980) that the optimizer cannot remove.
fn busy_work(rounds: u64) {
    for round in 0..rounds {
        let mut x = std::hint::black_box(round);
        for i in 0..std::hint::black_box(895u64) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        std::hint::black_box(x);
    }
}

/// CPU time of this process so far (user + system), from getrusage(RUSAGE_SELF).
fn cpu_now() -> f64 {
    let usage = rusage();
    let tv = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    tv(usage.user_time()) + tv(usage.system_time())
}

fn rusage() -> nix::sys::resource::Usage {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_SELF).expect("getrusage")
}

/// What an echo run measures from its start: wall time, the process's CPU, and how often
/// the process went to sleep (voluntary context switches: waits for the server).
struct EchoMeter {
    t0: Instant,
    cpu0: f64,
    sleeps0: i64,
}

impl EchoMeter {
    fn start() -> Self {
        EchoMeter {
            cpu0: cpu_now(),
            sleeps0: rusage().voluntary_context_switches(),
            t0: Instant::now(),
        }
    }

    fn result(&self, n: u64, received: u64) -> Value {
        let (wall, cpu) = (self.t0.elapsed(), cpu_now() - self.cpu0);
        json!({
            "n": n,
            "received": received,
            "wall_s": wall.as_secs_f64(),
            "cpu_s": cpu,
            "sleeps": rusage().voluntary_context_switches() - self.sleeps0,
        })
    }
}

/// Resident set size of this process, in KiB (VmRSS of /proc/self/status).
fn rss_kb() -> u64 {
    status_kb("VmRSS:")
}

/// A `kB` field of `/proc/self/status`: `VmRSS:` (all resident memory), `RssAnon:` (the
/// heap and stacks, without the code and files mapped on first use).
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Nearest-rank percentile of sorted samples.
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn latency_summary(mut us: Vec<f64>) -> Value {
    us.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mean = us.iter().sum::<f64>() / us.len().max(1) as f64;
    json!({
        "n": us.len(),
        "p50_us": pct(&us, 50.0),
        "p90_us": pct(&us, 90.0),
        "p99_us": pct(&us, 99.0),
        "max_us": us.last().copied().unwrap_or(f64::NAN),
        "mean_us": mean,
    })
}

/// `http://host:port` → `ws://host:port/socket.io/?EIO=4&transport=websocket`.
fn ws_url(url: &str) -> String {
    let rest = url
        .trim_end_matches('/')
        .trim_start_matches("http://")
        .trim_start_matches("ws://");
    format!("ws://{rest}/socket.io/?EIO=4&transport=websocket")
}

/// Runs the idle test with `conn`, which returns a guard that keeps one connection open.
async fn idle<F, Fut, G>(a: &Args, conn: F) -> Res<Value>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Res<G>>,
{
    // One warm-up connection (unless `--warmup 0`): one-off costs (lazy statics, code pages,
    // buffers) are not charged to the N measured ones.
    let _warm = if a.warmup > 0 {
        let warm = conn(a.url.clone()).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        Some(warm)
    } else {
        None
    };
    let before = rss_kb();
    let anon_before = status_kb("RssAnon:");
    let c0 = cpu_now();
    let t0 = Instant::now();
    let mut guards = Vec::with_capacity(a.n as usize);
    if a.concurrency == 0 {
        // All at once: every connection's future exists before the first one is polled.
        let all = (0..a.n).map(|_| conn(a.url.clone()));
        for g in futures_util::future::join_all(all).await {
            guards.push(g?);
        }
    } else {
        let mut pending = futures_util::stream::iter((0..a.n).map(|_| conn(a.url.clone())))
            .buffer_unordered(a.concurrency);
        while let Some(g) = pending.next().await {
            guards.push(g?);
        }
    }
    let connect_wall = t0.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs_f64(a.idle_secs)).await;
    let after = rss_kb();
    let anon_after = status_kb("RssAnon:");
    let cpu = cpu_now() - c0;
    Ok(json!({
        "n": a.n,
        "rss_before_kb": before,
        "rss_after_kb": after,
        "per_conn_kb": (after as f64 - before as f64) / a.n as f64,
        "anon_per_conn_kb": (anon_after as f64 - anon_before as f64) / a.n as f64,
        "concurrency": if a.concurrency == 0 { a.n } else { a.concurrency as u64 },
        "warmup": a.warmup > 0,
        "connect_wall_s": connect_wall,
        "cpu_s": cpu,
    }))
}

/// Runs the connect test with `once`, which connects, waits for the namespace, and returns
/// the time that took (it disconnects after measuring).
async fn connect_times<F, Fut>(a: &Args, once: F) -> Res<Value>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Res<Duration>>,
{
    for _ in 0..a.warmup.min(5) {
        once(a.url.clone()).await?;
    }
    let mut ms = Vec::with_capacity(a.n as usize);
    for _ in 0..a.n {
        ms.push(once(a.url.clone()).await?.as_secs_f64() * 1e3);
    }
    let mut sorted = ms.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Ok(json!({
        "n": a.n,
        "p50_ms": pct(&sorted, 50.0),
        "p90_ms": pct(&sorted, 90.0),
        "max_ms": sorted.last().copied().unwrap_or(f64::NAN),
    }))
}

// ---------------------------------------------------------------------------------------------
// This repository's client

mod ours {
    use super::*;
    use socketio::{AsyncClient, ConnectOptions, Transport};

    fn options() -> ConnectOptions {
        ConnectOptions::new().transports([Transport::WebSocket])
    }

    /// `echo` with `serde_json::Value` in and out, as rust_socketio's handlers get them.
    pub async fn echo(a: &Args) -> Res<Value> {
        echo_with::<Value, _>(a, |i| json!({"i": i, "s": "hello world"})).await
    }

    #[derive(serde::Serialize)]
    struct MsgOut<'a> {
        i: u64,
        s: &'a str,
    }

    /// Event `i` of the typed echo runs.
    fn typed_message(i: u64) -> MsgOut<'static> {
        MsgOut {
            i,
            s: "hello world",
        }
    }

    #[derive(serde::Deserialize)]
    struct MsgIn {
        #[allow(dead_code)]
        i: u64,
        #[allow(dead_code)]
        s: String,
    }

    /// `echo` with the application's own types: a struct emitted, a struct received (what the
    /// library costs when the user's types are cheap).
    pub async fn echo_typed(a: &Args) -> Res<Value> {
        echo_with::<MsgIn, _>(a, typed_message).await
    }

    /// `echo` driven by the handler: the first `window` events are emitted up front, then
    /// every received echo emits the next event from the handler (as a bot replies), so the
    /// application's own task sleeps until the end: the reader and the handler task alone.
    /// `--work K` runs K rounds of busy work in the handler before it emits.
    pub async fn echo_reply(a: &Args) -> Res<Value> {
        let n = a.n;
        let sio = AsyncClient::new();
        let (sent, received) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let done = Arc::new(Notify::new());
        {
            let (sent, received, done, reply) =
                (sent.clone(), received.clone(), done.clone(), sio.clone());
            let work = a.work;
            sio.on("echo", move |_: MsgIn| {
                busy_work(work);
                let i = sent.fetch_add(1, Ordering::Relaxed);
                if i < n {
                    // `emit` only queues the packet; its future is ready on the first poll.
                    match reply.emit("echo", typed_message(i)).now_or_never() {
                        Some(Ok(())) => {}
                        Some(Err(e)) => eprintln!("emit failed: {e}"),
                        None => eprintln!("emit did not complete at once"),
                    }
                }
                if received.fetch_add(1, Ordering::Relaxed) + 1 == n {
                    done.notify_one();
                }
            });
        }
        sio.connect_with(&a.url, options()).await?;
        let meter = EchoMeter::start();
        for _ in 0..a.window.min(n) {
            let i = sent.fetch_add(1, Ordering::Relaxed);
            sio.emit("echo", typed_message(i)).await?;
        }
        done.notified().await;
        let out = meter.result(n, received.load(Ordering::Relaxed));
        sio.disconnect().await;
        Ok(out)
    }

    /// The echo loop: `message(i)` emitted for every `i` within the window; each echo is
    /// received (deserialized) as an `In` and frees a window slot.
    async fn echo_with<In, Out>(a: &Args, message: impl Fn(u64) -> Out) -> Res<Value>
    where
        In: serde::de::DeserializeOwned + Send + 'static,
        Out: serde::Serialize,
    {
        let n = a.n;
        let sio = AsyncClient::new();
        let received = Arc::new(AtomicU64::new(0));
        let window = Arc::new(Semaphore::new(a.window as usize));
        let done = Arc::new(Notify::new());
        {
            let (received, window, done) = (received.clone(), window.clone(), done.clone());
            sio.on("echo", move |_: In| {
                window.add_permits(1);
                if received.fetch_add(1, Ordering::Relaxed) + 1 == n {
                    done.notify_one();
                }
            });
        }
        sio.connect_with(&a.url, options()).await?;
        let meter = EchoMeter::start();
        for i in 0..n {
            window.acquire().await?.forget();
            sio.emit("echo", message(i)).await?;
        }
        done.notified().await;
        let out = meter.result(n, received.load(Ordering::Relaxed));
        sio.disconnect().await;
        Ok(out)
    }

    pub async fn ack(a: &Args) -> Res<Value> {
        let sio = AsyncClient::new();
        sio.connect_with(&a.url, options()).await?;
        for _ in 0..a.warmup {
            let r: i64 = sio.call("sum", (1, 2)).await?;
            assert_eq!(r, 3);
        }
        let mut us = Vec::with_capacity(a.n as usize);
        for _ in 0..a.n {
            let t = Instant::now();
            let r: i64 = sio.call("sum", (1, 2)).await?;
            us.push(t.elapsed().as_secs_f64() * 1e6);
            assert_eq!(r, 3);
        }
        sio.disconnect().await;
        Ok(latency_summary(us))
    }

    pub async fn idle_conn(url: String) -> Res<AsyncClient> {
        let sio = AsyncClient::new();
        sio.connect_with(&url, options()).await?;
        Ok(sio)
    }

    pub async fn connect_once(url: String) -> Res<Duration> {
        let sio = AsyncClient::new();
        let t = Instant::now();
        sio.connect_with(&url, options()).await?;
        let d = t.elapsed();
        sio.disconnect().await;
        Ok(d)
    }
}

// ---------------------------------------------------------------------------------------------
// rust_socketio 0.6 (async client)

mod rsio {
    use super::*;
    use rust_socketio::asynchronous::{Client, ClientBuilder};
    use rust_socketio::{Event, Payload, TransportType};

    fn builder(url: &str) -> ClientBuilder {
        ClientBuilder::new(url)
            .transport_type(TransportType::Websocket)
            .reconnect(false)
    }

    /// Connects and waits for the server's CONNECT packet (rust_socketio's `connect()` returns
    /// once its own CONNECT is sent; `Event::Connect` fires on the server's).
    async fn connect(b: ClientBuilder) -> Res<Client> {
        let connected = Arc::new(Notify::new());
        let c = connected.clone();
        let client = b
            .on(Event::Connect, move |_p: Payload, _c: Client| {
                let c = c.clone();
                async move { c.notify_one() }.boxed()
            })
            .connect()
            .await?;
        tokio::time::timeout(Duration::from_secs(20), connected.notified())
            .await
            .map_err(|_| "rust_socketio: no CONNECT from the server")?;
        Ok(client)
    }

    pub async fn echo(a: &Args) -> Res<Value> {
        let n = a.n;
        let received = Arc::new(AtomicU64::new(0));
        let window = Arc::new(Semaphore::new(a.window as usize));
        let done = Arc::new(Notify::new());
        let b = {
            let (received, window, done) = (received.clone(), window.clone(), done.clone());
            builder(&a.url).on("echo", move |_p: Payload, _c: Client| {
                window.add_permits(1);
                if received.fetch_add(1, Ordering::Relaxed) + 1 == n {
                    done.notify_one();
                }
                async {}.boxed()
            })
        };
        let client = connect(b).await?;
        let meter = EchoMeter::start();
        for i in 0..n {
            window.acquire().await?.forget();
            client
                .emit("echo", json!({"i": i, "s": "hello world"}))
                .await?;
        }
        done.notified().await;
        let out = meter.result(n, received.load(Ordering::Relaxed));
        let _ = client.disconnect().await;
        Ok(out)
    }

    pub async fn ack(a: &Args) -> Res<Value> {
        let client = connect(builder(&a.url)).await?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Payload>();
        let mut us = Vec::with_capacity(a.n as usize);
        for i in 0..a.warmup + a.n {
            let tx = tx.clone();
            let t = Instant::now();
            client
                .emit_with_ack(
                    "sum",
                    Payload::Text(vec![json!(1), json!(2)]),
                    Duration::from_secs(10),
                    move |p: Payload, _c: Client| {
                        let _ = tx.send(p);
                        async {}.boxed()
                    },
                )
                .await?;
            let reply = rx.recv().await.ok_or("ack channel closed")?;
            let d = t.elapsed();
            // rust_socketio hands the ack's arguments over as one array.
            match reply {
                Payload::Text(v)
                    if v.first() == Some(&json!(3)) || v.first() == Some(&json!([3])) => {}
                other => return Err(format!("unexpected ack {other:?}").into()),
            }
            if i >= a.warmup {
                us.push(d.as_secs_f64() * 1e6);
            }
        }
        let _ = client.disconnect().await;
        Ok(latency_summary(us))
    }

    pub async fn idle_conn(url: String) -> Res<Client> {
        connect(builder(&url)).await
    }

    pub async fn connect_once(url: String) -> Res<Duration> {
        let t = Instant::now();
        let client = connect(builder(&url)).await?;
        let d = t.elapsed();
        let _ = client.disconnect().await;
        Ok(d)
    }
}

// ---------------------------------------------------------------------------------------------
// The bare websocket client: just enough Engine.IO v4 / Socket.IO v5 by hand

mod bare {
    use super::*;
    use tokio::net::TcpStream;
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
    use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

    type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

    /// Websocket handshake, Engine.IO open packet, Socket.IO CONNECT to `/`, the server's CONNECT.
    ///
    /// The transport settings are those of a careful hand-written client, and the same as
    /// `socketio`'s own (so the difference measured is the Socket.IO layer): TCP_NODELAY
    /// (tokio-tungstenite's `connect_async` leaves Nagle on) and a 4 KiB read buffer
    /// (tungstenite zero-fills its 128 KiB default one before every read).
    async fn handshake(url: &str) -> Res<Ws> {
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(ws_url(url), Some(config), true).await?;
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.starts_with('0') => {}
            other => return Err(format!("expected an open packet, got {other:?}").into()),
        }
        ws.send(Message::text("40")).await?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.starts_with("40") => return Ok(ws),
                Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                    ws.send(Message::text("3")).await?
                }
                Some(Ok(_)) => {}
                other => return Err(format!("expected CONNECT, got {other:?}").into()),
            }
        }
    }

    /// The ceiling: pre-encoded frames, and a received frame is only looked at, so the
    /// client does no JSON work at all.
    pub async fn echo(a: &Args) -> Res<Value> {
        let frames: Vec<Message> = (0..a.n)
            .map(|i| Message::text(format!(r#"42["echo",{{"i":{i},"s":"hello world"}}]"#)))
            .collect();
        echo_loop(a, |i| frames[i as usize].clone(), |t| t.starts_with("42")).await
    }

    #[derive(serde::Serialize)]
    struct MsgOut<'a> {
        i: u64,
        s: &'a str,
    }

    #[derive(serde::Deserialize)]
    struct MsgIn<'a> {
        #[allow(dead_code)]
        i: u64,
        #[allow(dead_code)]
        s: &'a str,
    }

    /// The codec floor: the same loop, but every event is encoded from a struct with
    /// serde_json as it is sent, and every received frame is parsed into a struct (borrowing
    /// its strings): the JSON work no Socket.IO client can skip, and nothing else.
    pub async fn echo_json(a: &Args) -> Res<Value> {
        let encode = |i| {
            let mut text = Vec::with_capacity(48);
            text.extend_from_slice(b"42");
            let event = (
                "echo",
                MsgOut {
                    i,
                    s: "hello world",
                },
            );
            serde_json::to_writer(&mut text, &event).expect("serializable");
            Message::text(String::from_utf8(text).expect("serde_json writes UTF-8"))
        };
        let decode = |t: &str| {
            t.strip_prefix("42")
                .and_then(|body| serde_json::from_str::<(&str, MsgIn)>(body).ok())
                .is_some_and(|(event, _)| event == "echo")
        };
        echo_loop(a, encode, decode).await
    }

    /// Keeps `window` events in flight: writes every free slot's frame (feed all, flush once),
    /// then takes every frame already received before writing again. `is_echo` says whether
    /// a text frame is one of the echoes.
    async fn echo_loop(
        a: &Args,
        frame: impl Fn(u64) -> Message,
        is_echo: impl Fn(&str) -> bool,
    ) -> Res<Value> {
        let n = a.n;
        let ws = handshake(&a.url).await?;
        let (mut sink, mut stream) = ws.split();
        let (mut sent, mut got) = (0u64, 0u64);
        let meter = EchoMeter::start();
        while got < n {
            if sent < n && sent - got < a.window {
                while sent < n && sent - got < a.window {
                    sink.feed(frame(sent)).await?;
                    sent += 1;
                }
                sink.flush().await?;
            }
            // Wait for one frame, then take every frame already there before writing again.
            let mut next = Some(stream.next().await);
            while let Some(msg) = next.take() {
                match msg {
                    Some(Ok(Message::Text(t))) => {
                        if is_echo(t.as_str()) {
                            busy_work(a.work);
                            got += 1;
                        } else if t.as_str() == "2" {
                            sink.send(Message::text("3")).await?;
                        }
                    }
                    Some(Ok(_)) => {}
                    other => return Err(format!("connection lost: {other:?}").into()),
                }
                next = stream.next().now_or_never();
            }
        }
        Ok(meter.result(n, got))
    }

    pub async fn ack(a: &Args) -> Res<Value> {
        let mut ws = handshake(&a.url).await?;
        let mut us = Vec::with_capacity(a.n as usize);
        for id in 0..a.warmup + a.n {
            let expect = format!("43{id}[");
            let t = Instant::now();
            ws.send(Message::text(format!(r#"42{id}["sum",1,2]"#)))
                .await?;
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) if t.starts_with(&expect) => break,
                    Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                        ws.send(Message::text("3")).await?
                    }
                    Some(Ok(_)) => {}
                    other => return Err(format!("connection lost: {other:?}").into()),
                }
            }
            if id >= a.warmup {
                us.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        Ok(latency_summary(us))
    }

    /// One connection kept open by a task that answers pings; dropping the guard ends it.
    pub struct Conn(#[allow(dead_code)] tokio::task::JoinHandle<()>);

    pub async fn idle_conn(url: String) -> Res<Conn> {
        let mut ws = handshake(&url).await?;
        Ok(Conn(tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(t) = msg {
                    if t.as_str() == "2" && ws.send(Message::text("3")).await.is_err() {
                        break;
                    }
                }
            }
        })))
    }

    pub async fn connect_once(url: String) -> Res<Duration> {
        let t = Instant::now();
        let mut ws = handshake(&url).await?;
        let d = t.elapsed();
        let _ = ws.close(None).await;
        Ok(d)
    }
}
