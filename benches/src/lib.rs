//! The harness of the Rust clients of the load benchmarks: one process runs one client kind
//! through one test against a server URL and prints one JSON line with its own measurements.
//!
//! Each client is a binary of its own, as an application links one client:
//! `sio-bench-ours` (`ours`, `ours_typed`, `ours_reply`), `sio-bench-rust-socketio`
//! (`rust_socketio`) and `sio-bench-bare` (`bare`, `bare_json`). In one binary with all
//! three, a client's first connection also maps the other clients' code that the linker
//! placed between its functions: about 0.6 MB more for `ours`, charged to the memory per
//! connection of the runs without a warm-up.
//!
//! ```text
//! sio-bench-<client> <kind> <echo|ack|idle|connect> <url>
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
use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};

/// A test's result, or why it failed.
pub type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The command line.
#[derive(Clone, Debug)]
pub struct Args {
    pub client: String,
    pub test: String,
    pub url: String,
    pub n: u64,
    pub window: u64,
    pub flavor: String,
    pub warmup: u64,
    pub concurrency: usize,
    pub idle_secs: f64,
    pub work: u64,
}

fn parse_args(clients: &str) -> Args {
    let mut it = std::env::args().skip(1);
    let usage = &format!("usage: sio-bench-* <{clients}> <echo|ack|idle|connect> <url> \
                 [--n N] [--window W] [--flavor ct|task|mt] [--warmup K] [--concurrency C] [--idle-secs S] [--work K]");
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

/// Runs the test the command line names with `run`, the client binary's dispatcher (`clients`:
/// the kinds it knows, for the usage line), and prints its JSON line.
pub fn main_with<F, Fut>(clients: &str, run: F)
where
    F: FnOnce(Args) -> Fut,
    Fut: Future<Output = Res<Value>> + Send + 'static,
{
    let args = parse_args(clients);
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
            eprintln!("sio-bench-* {} {}: {e}", args.client, args.test);
            std::process::exit(1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accounting

/// About 1,000 instructions per round (callgrind: 970–980) that the optimizer cannot remove.
pub fn busy_work(rounds: u64) {
    for round in 0..rounds {
        let mut x = std::hint::black_box(round);
        for i in 0..std::hint::black_box(895u64) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        std::hint::black_box(x);
    }
}

/// CPU time of this process so far (user + system), from getrusage(RUSAGE_SELF).
pub fn cpu_now() -> f64 {
    let usage = rusage();
    let tv = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    tv(usage.user_time()) + tv(usage.system_time())
}

pub fn rusage() -> nix::sys::resource::Usage {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_SELF).expect("getrusage")
}

/// What an echo run measures from its start: wall time, the process's CPU, and how often
/// the process went to sleep (voluntary context switches: waits for the server).
pub struct EchoMeter {
    t0: Instant,
    cpu0: f64,
    sleeps0: i64,
}

impl EchoMeter {
    pub fn start() -> Self {
        EchoMeter {
            cpu0: cpu_now(),
            sleeps0: rusage().voluntary_context_switches(),
            t0: Instant::now(),
        }
    }

    pub fn result(&self, n: u64, received: u64) -> Value {
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
pub fn rss_kb() -> u64 {
    status_kb("VmRSS:")
}

/// A `kB` field of `/proc/self/status`: `VmRSS:` (all resident memory), `RssAnon:` (the
/// heap and stacks, without the code and files mapped on first use).
pub fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Nearest-rank percentile of sorted samples.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

pub fn latency_summary(mut us: Vec<f64>) -> Value {
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
pub fn ws_url(url: &str) -> String {
    let rest = url
        .trim_end_matches('/')
        .trim_start_matches("http://")
        .trim_start_matches("ws://");
    format!("ws://{rest}/socket.io/?EIO=4&transport=websocket")
}

/// Runs the idle test with `conn`, which returns a guard that keeps one connection open.
pub async fn idle<F, Fut, G>(a: &Args, conn: F) -> Res<Value>
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
pub async fn connect_times<F, Fut>(a: &Args, once: F) -> Res<Value>
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
