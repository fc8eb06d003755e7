//! A chaos soak of the async client, run by hand: every test here is `#[ignore]`d, so CI's
//! `cargo test --workspace` skips them.
//!
//! N [`AsyncClient`]s (reconnection on, `retries`) talk to the Node socket.io 4.8.4 peer with
//! connection state recovery, each through a fault proxy ([`FaultProxy`]) that keeps cutting its
//! connections. Each client at the same time
//! * receives a persistent stream of numbered events (`soak_tick`, see
//!   `tests/peers/node/server.js`) that goes on while it is away: connection state recovery must
//!   deliver every one exactly once and in order across the cuts;
//! * emits numbered events (`soak_emit`) with `retries`: the server must count every id (once;
//!   duplicates on the wire are allowed, and reported);
//! * makes calls (`sum`): each must be answered or fail with an error, never hang (no outcome
//!   within `SOAK_HANG_SECS`).
//!
//! At the end it prints one JSON object (one line on stdout; also written to `SOAK_OUT` if set)
//! and fails when a streamed event is missing, duplicated or out of order, an emit was not counted
//! or counted out of order, a call hung or got a wrong answer, or tokio tasks or OS threads were
//! left behind after every client's `disconnect()`.
//!
//! Two modes, one test each (without a name filter both run, one after the other):
//! * `random_cuts`: one proxy cuts each connection at its own random time, `SOAK_CUT_MIN_MS` to
//!   `SOAK_CUT_MAX_MS` (500 to 1500) after it opened;
//! * `periodic_cuts`: one proxy per period of `SOAK_CUT_PERIODS_MS` (`700,1300`), each cutting all
//!   of its connections every period; the clients are spread evenly over the proxies.
//!
//! ```text
//! tests/peers/install.sh    # once: the pinned Node socket.io 4.8.4 peer
//! cargo test --release --test soak -- --ignored --nocapture random_cuts
//! SOAK_CLIENTS=100 SOAK_SECS=300 cargo test --release --test soak -- --ignored --nocapture periodic_cuts
//! SOAK_CLIENTS=20 SOAK_SECS=60 cargo test --release --test soak -- --ignored --nocapture  # both, short
//! # Harsher: cut each connection 1 to 30 ms after it opened, mostly during its handshakes.
//! SOAK_CLIENTS=20 SOAK_SECS=20 SOAK_CUT_MIN_MS=1 SOAK_CUT_MAX_MS=30 SOAK_STREAM_RATE=50 \
//!   cargo test --release --test soak -- --ignored --nocapture random_cuts
//! ```
//!
//! Parameters, environment variables (default in brackets):
//! * `SOAK_CLIENTS` [200], `SOAK_SECS` [600]: clients, and how long the chaos lasts;
//! * `SOAK_CUT_MIN_MS` [500], `SOAK_CUT_MAX_MS` [1500]: `random_cuts`' range;
//! * `SOAK_CUT_PERIODS_MS` [`700,1300`]: `periodic_cuts`' periods, one proxy each;
//! * `SOAK_STREAM_RATE` [10], `SOAK_EMIT_RATE` [5], `SOAK_CALL_RATE` [1]: per client and second;
//!   0 turns that part off;
//! * `SOAK_RETRIES` [10], `SOAK_ACK_TIMEOUT_MS` [3000]: the clients' `retries` and `ack_timeout`;
//! * `SOAK_RECONNECT_DELAY_MS` [100], `SOAK_RECONNECT_DELAY_MAX_MS` [1000]: their backoff;
//! * `SOAK_TRANSPORT` [`websocket`]: `websocket`, `polling`, or `both` (polling, then upgrade);
//! * `SOAK_HANG_SECS` [`ack_timeout × (retries + 1) + 15`]: a call with no outcome by then hung;
//! * `SOAK_RECOVERY_WINDOW_MS` [15000]: the server's `maxDisconnectionDuration`; expired sessions
//!   and stored events are dropped every second (socket.io's own sweep runs once a minute, and a
//!   recovery scans every stored event: a minute of 200 clients' streams saturates the server).
//!   A client away for longer gets a new session (`recovered()` false) and, by design, loses
//!   what was sent meanwhile: those losses still fail the run, and are also counted apart
//!   (`missing_after_failed_recovery`); on a busy machine, raise the window;
//! * `SOAK_SETTLE_SECS` [30]: after the chaos, how long each client may take to reconnect and get
//!   the rest of its stream and acks; `SOAK_LEAK_WAIT_SECS` [15]: how long tasks and threads may
//!   take to wind down after `disconnect()` (tokio's idle blocking threads linger 10 s);
//! * `SOAK_WORKERS` [2]: tokio worker threads; `SOAK_OUT`: a file for the JSON too.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use socketio::{event, namespace, AsyncClient, AsyncSocket, ConnectOptions, DisconnectReason};
use socketio::{Error, Transport};
use socketio_suite::fault_proxy::FaultProxy;
use socketio_suite::peers::{Peer, PeerKind, PeerOptions};

/// The soaks share the machine: never two at once.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
#[ignore = "a long chaos soak, run by hand: see the top of tests/soak.rs"]
fn random_cuts() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let config = Config::from_env();
    let ranges = Cuts::Random {
        min: config.cut_min,
        max: config.cut_max,
    };
    soak(config, ranges);
}

#[test]
#[ignore = "a long chaos soak, run by hand: see the top of tests/soak.rs"]
fn periodic_cuts() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let config = Config::from_env();
    let periods = Cuts::Periodic(config.cut_periods.clone());
    soak(config, periods);
}

// ----- parameters -----

/// How the proxies cut.
#[derive(Debug, Clone)]
enum Cuts {
    /// One proxy; each connection is cut at a random time in the range after it opened.
    Random { min: Duration, max: Duration },
    /// One proxy per period, cutting all of its connections every period.
    Periodic(Vec<Duration>),
}

#[derive(Debug)]
struct Config {
    clients: usize,
    secs: u64,
    cut_min: Duration,
    cut_max: Duration,
    cut_periods: Vec<Duration>,
    stream_rate: f64,
    emit_rate: f64,
    call_rate: f64,
    retries: u32,
    ack_timeout: Duration,
    reconnect_delay: Duration,
    reconnect_delay_max: Duration,
    transport: String,
    hang: Duration,
    recovery_window: Duration,
    settle: Duration,
    leak_wait: Duration,
    workers: usize,
    out: Option<PathBuf>,
}

/// An environment variable parsed as `T`, or `default` when unset or empty.
fn env<T: FromStr>(name: &str, default: T) -> T
where
    T::Err: std::fmt::Debug,
{
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v:?}: {e:?}")),
        _ => default,
    }
}

fn ms(name: &str, default: u64) -> Duration {
    Duration::from_millis(env(name, default))
}

impl Config {
    fn from_env() -> Config {
        let periods: String = env("SOAK_CUT_PERIODS_MS", "700,1300".to_owned());
        let cut_periods: Vec<Duration> = periods
            .split(',')
            .map(|p| {
                let p: u64 = p
                    .trim()
                    .parse()
                    .unwrap_or_else(|e| panic!("SOAK_CUT_PERIODS_MS={periods:?}: {e}"));
                assert!(p > 0, "SOAK_CUT_PERIODS_MS: a period of 0");
                Duration::from_millis(p)
            })
            .collect();
        let retries = env("SOAK_RETRIES", 10u32);
        let ack_timeout = ms("SOAK_ACK_TIMEOUT_MS", 3000);
        let default_hang = ack_timeout * (retries + 1) + Duration::from_secs(15);
        let transport: String = env("SOAK_TRANSPORT", "websocket".to_owned());
        assert!(
            ["websocket", "polling", "both"].contains(&transport.as_str()),
            "SOAK_TRANSPORT={transport:?}: websocket, polling or both"
        );
        let config = Config {
            clients: env("SOAK_CLIENTS", 200),
            secs: env("SOAK_SECS", 600),
            cut_min: ms("SOAK_CUT_MIN_MS", 500),
            cut_max: ms("SOAK_CUT_MAX_MS", 1500),
            cut_periods,
            stream_rate: env("SOAK_STREAM_RATE", 10.0),
            emit_rate: env("SOAK_EMIT_RATE", 5.0),
            call_rate: env("SOAK_CALL_RATE", 1.0),
            retries,
            ack_timeout,
            reconnect_delay: ms("SOAK_RECONNECT_DELAY_MS", 100),
            reconnect_delay_max: ms("SOAK_RECONNECT_DELAY_MAX_MS", 1000),
            transport,
            hang: Duration::from_secs(env("SOAK_HANG_SECS", default_hang.as_secs())),
            recovery_window: ms("SOAK_RECOVERY_WINDOW_MS", 15_000),
            settle: Duration::from_secs(env("SOAK_SETTLE_SECS", 30)),
            leak_wait: Duration::from_secs(env("SOAK_LEAK_WAIT_SECS", 15)),
            workers: env("SOAK_WORKERS", 2),
            out: std::env::var_os("SOAK_OUT").map(PathBuf::from),
        };
        assert!(config.clients > 0 && config.secs > 0 && config.workers > 0);
        assert!(
            config.cut_min <= config.cut_max,
            "SOAK_CUT_MIN_MS > SOAK_CUT_MAX_MS"
        );
        config
    }

    fn transports(&self) -> Vec<Transport> {
        match self.transport.as_str() {
            "websocket" => vec![Transport::WebSocket],
            "polling" => vec![Transport::Polling],
            _ => vec![Transport::Polling, Transport::WebSocket],
        }
    }

    /// The server's tick interval for `stream_rate`, in milliseconds (at least 1).
    fn stream_interval_ms(&self) -> u64 {
        ((1000.0 / self.stream_rate).round() as u64).max(1)
    }

    /// How often RSS is sampled, and the span of the first and last averages: a minute for runs
    /// of 5 minutes or more, else a tenth of the run.
    fn rss_sampling(&self) -> (Duration, Duration) {
        if self.secs >= 300 {
            (Duration::from_secs(5), Duration::from_secs(60))
        } else {
            let window = Duration::from_secs(self.secs).div_f64(10.0);
            let every = (window / 3).clamp(Duration::from_millis(500), Duration::from_secs(5));
            (every, window.max(every))
        }
    }

    fn json(&self, cuts: &Cuts) -> Value {
        let cuts = match cuts {
            Cuts::Random { min, max } => json!({
                "mode": "random_cuts",
                "proxies": 1,
                "cut_each_connection_after_ms": [min.as_millis() as u64, max.as_millis() as u64],
            }),
            Cuts::Periodic(periods) => json!({
                "mode": "periodic_cuts",
                "proxies": periods.len(),
                "cut_every_ms": periods.iter().map(|p| p.as_millis() as u64).collect::<Vec<_>>(),
            }),
        };
        json!({
            "clients": self.clients,
            "secs": self.secs,
            "cuts": cuts,
            "transport": self.transport,
            "stream_rate": self.stream_rate,
            "stream_interval_ms": if self.stream_rate > 0.0 { self.stream_interval_ms() } else { 0 },
            "emit_rate": self.emit_rate,
            "call_rate": self.call_rate,
            "retries": self.retries,
            "ack_timeout_ms": self.ack_timeout.as_millis() as u64,
            "reconnect_delay_ms": [self.reconnect_delay.as_millis() as u64, self.reconnect_delay_max.as_millis() as u64],
            "hang_secs": self.hang.as_secs(),
            "recovery_window_ms": self.recovery_window.as_millis() as u64,
            "workers": self.workers,
        })
    }
}

// ----- what each client sees -----

/// The `{i: n}` of a `soak_tick` (its offset, a last argument, is not looked at).
#[derive(Deserialize)]
struct Tick {
    i: u64,
}

/// The stream as one client handled it. One bit per index, so that the soak's own bookkeeping
/// stays out of the RSS it reports (a few hundred bytes per client and minute).
#[derive(Default)]
struct Seen {
    /// Bit `i`: index `i` was delivered.
    bits: Vec<u64>,
    /// Every delivery.
    handled: u64,
    /// Distinct indices delivered.
    unique: u64,
    /// Deliveries of an index delivered before.
    duplicates: u64,
    /// First deliveries of an index below one delivered before.
    out_of_order: u64,
    /// The highest index delivered so far.
    max: Option<u64>,
}

impl Seen {
    fn has(&self, i: u64) -> bool {
        self.bits
            .get((i / 64) as usize)
            .is_some_and(|word| word & (1 << (i % 64)) != 0)
    }

    /// Records a delivery of `i`; false when `i` was delivered before.
    fn record(&mut self, i: u64) -> bool {
        let word = (i / 64) as usize;
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        let first = self.bits[word] & (1 << (i % 64)) == 0;
        self.bits[word] |= 1 << (i % 64);
        first
    }

    /// How many distinct indices at or above `n` were delivered.
    fn at_or_above(&self, n: u64) -> u64 {
        let top = self.bits.len() as u64 * 64;
        (n..top).filter(|&i| self.has(i)).count() as u64
    }
}

/// What a client's handlers record.
#[derive(Default)]
struct ClientState {
    seen: Mutex<Seen>,
    connects: AtomicU64,
    recovered: AtomicU64,
    not_recovered: AtomicU64,
    disconnects: Mutex<BTreeMap<String, u64>>,
    /// The last `connect` or `disconnect` and when, for the diagnosis of a client that does
    /// not come back.
    last_life_event: Mutex<Option<(Instant, String)>>,
}

impl ClientState {
    fn life_event(&self, what: String) {
        *self.last_life_event.lock().unwrap() = Some((Instant::now(), what));
    }
}

/// The client's handlers: a class-based namespace, so that `on_connect` gets the socket (to ask
/// `recovered()`) without the handlers holding the client.
struct SoakNamespace(Arc<ClientState>);

#[namespace("/")]
impl SoakNamespace {
    #[event]
    fn on_connect(&self, socket: AsyncSocket) {
        let recovered = socket.recovered();
        if self.0.connects.fetch_add(1, Ordering::Relaxed) > 0 {
            let counter = if recovered {
                &self.0.recovered
            } else {
                &self.0.not_recovered
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.0
            .life_event(format!("connect (recovered: {recovered})"));
    }

    #[event]
    fn on_disconnect(&self, reason: DisconnectReason) {
        *self
            .0
            .disconnects
            .lock()
            .unwrap()
            .entry(reason.to_string())
            .or_default() += 1;
        self.0.life_event(format!("disconnect ({reason})"));
    }

    #[event("soak_tick")]
    fn tick(&self, tick: Tick) {
        let mut seen = self.0.seen.lock().unwrap();
        seen.handled += 1;
        if !seen.record(tick.i) {
            seen.duplicates += 1;
        } else {
            seen.unique += 1;
            if seen.max.is_some_and(|max| tick.i < max) {
                seen.out_of_order += 1;
            }
            seen.max = seen.max.max(Some(tick.i));
        }
    }
}

/// One soak client.
struct Soaker {
    key: String,
    sio: AsyncClient,
    state: Arc<ClientState>,
}

/// What a client's workload did.
#[derive(Default)]
struct Work {
    emitted: u64,
    emit_errors: BTreeMap<String, u64>,
    calls_answered: u64,
    calls_wrong: u64,
    calls_failed: BTreeMap<String, u64>,
    calls_hung: u64,
    call_ms: Latencies,
}

/// A histogram of call latencies with two significant digits (1 ms steps below 100 ms, 10 ms
/// below 1 s, 100 ms below 10 s, 1 s below 60 s, then one bucket): a fixed, small size whatever
/// the length of the run, so that it stays out of the RSS the soak reports.
struct Latencies(Vec<u32>);

/// The buckets' upper bounds, in ms (the last one: a minute or more).
fn latency_bounds() -> impl Iterator<Item = u64> {
    (1..=100)
        .chain((11..=100).map(|b| b * 10))
        .chain((11..=100).map(|b| b * 100))
        .chain((11..=60).map(|b| b * 1000))
        .chain(std::iter::once(u64::MAX))
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies(vec![0; latency_bounds().count()])
    }
}

impl Latencies {
    fn add(&mut self, d: Duration) {
        let ms = d.as_millis() as u64;
        let bucket = latency_bounds().position(|bound| ms < bound).unwrap();
        self.0[bucket] += 1;
    }

    fn merge(&mut self, other: &Latencies) {
        for (into, from) in self.0.iter_mut().zip(&other.0) {
            *into += from;
        }
    }

    /// The upper bound, in ms, of the bucket holding the `p` quantile (`None` when empty,
    /// 60000+ reported as 60000).
    fn quantile(&self, p: f64) -> Option<u64> {
        let total: u64 = self.0.iter().map(|&c| u64::from(c)).sum();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64 * p).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (count, bound) in self.0.iter().zip(latency_bounds()) {
            seen += u64::from(*count);
            if seen >= rank {
                return Some(bound.min(60_000));
            }
        }
        None
    }
}

/// The server's count of a client's emits (`soak_emit_report`).
#[derive(Deserialize, Default, Clone, Copy)]
struct EmitReport {
    total: u64,
    unique: u64,
    duplicates: u64,
    out_of_order: u64,
    max_id: i64,
}

/// How a client ended.
#[derive(Default)]
struct Ending {
    emit_report: Option<EmitReport>,
    /// The number of ticks the server emitted (`soak_stream_stop`).
    streamed: Option<u64>,
    /// How long after the cuts stopped the client was connected.
    calm_secs: Option<f64>,
    problems: Vec<String>,
}

/// The variant of an error, for counting (`Timeout`, `GaveUp`, ...).
fn kind(error: &Error) -> String {
    let debug = format!("{error:?}");
    debug
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn period(rate: f64) -> Option<Duration> {
    (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate))
}

// ----- the phases -----

impl Soaker {
    /// Connects, starts the stream and waits for its first tick.
    async fn start(index: usize, url: String, config: Arc<Config>) -> Soaker {
        let key = format!("c{index}");
        let state = Arc::new(ClientState::default());
        let sio = AsyncClient::builder()
            .reconnection(true)
            .reconnection_delay(config.reconnect_delay)
            .reconnection_delay_max(config.reconnect_delay_max)
            .retries(config.retries)
            .ack_timeout(config.ack_timeout)
            .build();
        sio.register_namespace(SoakNamespace(state.clone()));
        let options = ConnectOptions::new()
            .transports(config.transports())
            .auth(json!({ "soak": key }))
            .wait_timeout(Duration::from_secs(30));
        sio.connect_with(&url, options)
            .await
            .unwrap_or_else(|e| panic!("{key}: connect to {url}: {e}"));
        let soaker = Soaker { key, sio, state };
        if config.stream_rate > 0.0 {
            let _: u64 = soaker
                .sio
                .call(
                    "soak_stream_start",
                    (&soaker.key, config.stream_interval_ms()),
                )
                .await
                .unwrap_or_else(|e| panic!("{}: soak_stream_start: {e}", soaker.key));
            // The first tick comes before the ack: every client has an offset before the cuts.
            let deadline = Instant::now() + Duration::from_secs(30);
            while soaker.state.seen.lock().unwrap().unique == 0 {
                assert!(Instant::now() < deadline, "{}: no first tick", soaker.key);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        soaker
    }

    /// Emits and calls until `until`.
    async fn work(&self, config: &Config, until: tokio::time::Instant) -> Work {
        let emitter = async {
            let (mut emitted, mut errors) = (0u64, BTreeMap::<String, u64>::new());
            let Some(every) = period(config.emit_rate) else {
                return (emitted, errors);
            };
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if tokio::time::Instant::now() >= until {
                    return (emitted, errors);
                }
                match self.sio.emit("soak_emit", (&self.key, emitted)).await {
                    Ok(()) => emitted += 1,
                    Err(e) => *errors.entry(kind(&e)).or_default() += 1,
                }
            }
        };
        let caller = async {
            let mut work = Work::default();
            let Some(every) = period(config.call_rate) else {
                return work;
            };
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for n in 0i64.. {
                ticks.tick().await;
                if tokio::time::Instant::now() >= until {
                    break;
                }
                let started = Instant::now();
                let call = self.sio.call::<_, i64>("sum", (n, 7));
                match tokio::time::timeout(config.hang, call).await {
                    Ok(Ok(sum)) if sum == n + 7 => {
                        work.calls_answered += 1;
                        work.call_ms.add(started.elapsed());
                    }
                    Ok(Ok(_)) => work.calls_wrong += 1,
                    Ok(Err(e)) => *work.calls_failed.entry(kind(&e)).or_default() += 1,
                    Err(_) => work.calls_hung += 1,
                }
            }
            work
        };
        let ((emitted, emit_errors), calls) = tokio::join!(emitter, caller);
        Work {
            emitted,
            emit_errors,
            ..calls
        }
    }

    /// After the chaos: waits to be connected, gets the server's emit count (it comes after
    /// every queued emit), stops the stream and waits for the rest of it.
    async fn finish(&self, config: &Config) -> Ending {
        let calm = tokio::time::Instant::now();
        let deadline = calm + config.settle;
        let mut ending = Ending::default();
        while !self.sio.connected() {
            if tokio::time::Instant::now() >= deadline {
                let last = self.state.last_life_event.lock().unwrap().clone();
                let last = last
                    .map(|(at, what)| format!("{what} {:.1} s ago", at.elapsed().as_secs_f64()));
                ending.problems.push(format!(
                    "not connected {} s after the cuts stopped: state {:?}, transport {:?}, last life event: {}",
                    config.settle.as_secs(),
                    self.sio.state(),
                    self.sio.transport(),
                    last.as_deref().unwrap_or("none"),
                ));
                return ending;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        ending.calm_secs = Some(calm.elapsed().as_secs_f64());
        ending.emit_report = self.ask("soak_emit_report", deadline, &mut ending).await;
        if config.stream_rate > 0.0 {
            let streamed: Option<Option<u64>> =
                self.ask("soak_stream_stop", deadline, &mut ending).await;
            ending.streamed = streamed.flatten();
            if let Some(n) = ending.streamed {
                while self.state.seen.lock().unwrap().unique < n
                    && tokio::time::Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        ending
    }

    /// Calls `event` with the key until answered or `deadline`.
    async fn ask<R: serde::de::DeserializeOwned>(
        &self,
        event: &str,
        deadline: tokio::time::Instant,
        ending: &mut Ending,
    ) -> Option<R> {
        let mut errors = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.sio.call::<_, R>(event, &self.key)).await {
                Ok(Ok(reply)) => return Some(reply),
                Ok(Err(e)) => errors.push(e.to_string()),
                Err(_) => {
                    ending
                        .problems
                        .push(format!("{event}: no answer in time (errors: {errors:?})"));
                    return None;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

// ----- measurements -----

/// VmRSS of a process, in kB.
fn rss_kb(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn os_threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// RSS samples: seconds since the chaos started, kB of this process and of the server.
type Samples = Vec<(f64, Option<u64>, Option<u64>)>;

/// The averages of the first and the last `window` of the samples.
fn rss_summary(samples: &Samples, secs: u64, window: Duration, pick: usize) -> Value {
    let values: Vec<(f64, u64)> = samples
        .iter()
        .filter_map(|&(t, own, server)| {
            let v = if pick == 0 { own } else { server };
            v.map(|v| (t, v))
        })
        .collect();
    let average = |keep: &dyn Fn(f64) -> bool| {
        let picked: Vec<u64> = values
            .iter()
            .filter(|(t, _)| keep(*t))
            .map(|&(_, v)| v)
            .collect();
        (!picked.is_empty()).then(|| picked.iter().sum::<u64>() / picked.len() as u64)
    };
    let w = window.as_secs_f64();
    let end = secs as f64;
    json!({
        "first_avg_kb": average(&|t| t <= w),
        "last_avg_kb": average(&|t| t >= end - w),
        "max_kb": values.iter().map(|&(_, v)| v).max(),
        "window_secs": w,
        "samples": values.len(),
    })
}

fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

// ----- the soak -----

fn soak(config: Config, cuts: Cuts) {
    let peer = Peer::start(
        PeerKind::Node,
        PeerOptions {
            connection_state_recovery: Some(true),
            recovery_max_disconnection_ms: Some(config.recovery_window.as_millis() as u64),
            recovery_sweep_ms: Some(1000),
            ..Default::default()
        },
    )
    .expect("the Node peer is not installed: run tests/peers/install.sh");
    let proxies: Vec<FaultProxy> = match &cuts {
        Cuts::Random { .. } => vec![FaultProxy::start(peer.port())],
        Cuts::Periodic(periods) => periods
            .iter()
            .map(|_| FaultProxy::start(peer.port()))
            .collect(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let server_pid = peer.pid().map(|p| p.to_string());
    let out = config.out.clone();
    let result = runtime.block_on(run(config, cuts, &proxies, server_pid));
    drop(runtime);
    drop(proxies);
    drop(peer);

    let line = result.to_string();
    println!("{line}");
    if let Some(path) = out {
        std::fs::write(&path, format!("{line}\n"))
            .unwrap_or_else(|e| panic!("SOAK_OUT={}: {e}", path.display()));
    }
    let failures = result["failures"].as_array().cloned().unwrap_or_default();
    assert!(
        failures.is_empty(),
        "the soak failed: {}",
        serde_json::to_string_pretty(&failures).unwrap()
    );
}

async fn run(
    config: Config,
    cuts: Cuts,
    proxies: &[FaultProxy],
    server_pid: Option<String>,
) -> Value {
    let config = Arc::new(config);
    let tasks_before = alive_tasks();
    let threads_before = os_threads();
    let rss_before = rss_kb("self");
    eprintln!(
        "soak: {} clients, {} s, {cuts:?}, {} (tasks {tasks_before}, threads {threads_before})",
        config.clients, config.secs, config.transport
    );

    // 1. Connect every client, start its stream, wait for its first tick.
    let setup = Instant::now();
    let mut starting = tokio::task::JoinSet::new();
    for index in 0..config.clients {
        let url = proxies[index % proxies.len()].url();
        let config = config.clone();
        starting.spawn(async move { (index, Soaker::start(index, url, config).await) });
    }
    let mut soakers: Vec<Option<Arc<Soaker>>> = (0..config.clients).map(|_| None).collect();
    while let Some(started) = starting.join_next().await {
        let (index, soaker) = started.expect("a client's setup panicked");
        soakers[index] = Some(Arc::new(soaker));
    }
    let soakers: Vec<Arc<Soaker>> = soakers.into_iter().map(Option::unwrap).collect();
    let setup_secs = setup.elapsed().as_secs_f64();
    eprintln!("soak: {} clients ready in {setup_secs:.1} s", soakers.len());

    // 2. The chaos: cuts, and every client's workload, for `secs`.
    match &cuts {
        Cuts::Random { min, max } => proxies[0].cut_each_between(*min, *max),
        Cuts::Periodic(periods) => {
            for (proxy, period) in proxies.iter().zip(periods) {
                proxy.cut_every(*period);
            }
        }
    }
    let started = tokio::time::Instant::now();
    let until = started + Duration::from_secs(config.secs);
    let (every, window) = config.rss_sampling();
    let monitor = {
        let states: Vec<Arc<ClientState>> = soakers.iter().map(|s| s.state.clone()).collect();
        let server_pid = server_pid.clone();
        let progress_every = Duration::from_secs((config.secs / 20).clamp(5, 30));
        let secs = config.secs as f64;
        tokio::spawn(async move {
            let mut samples: Samples = Vec::new();
            let mut ticks = tokio::time::interval(every);
            let mut last_progress = started;
            loop {
                ticks.tick().await;
                let t = started.elapsed().as_secs_f64();
                let own = rss_kb("self");
                let server = server_pid.as_deref().and_then(rss_kb);
                samples.push((t, own, server));
                if last_progress.elapsed() >= progress_every {
                    last_progress = tokio::time::Instant::now();
                    let handled: u64 = states.iter().map(|s| s.seen.lock().unwrap().handled).sum();
                    let connects: u64 = states
                        .iter()
                        .map(|s| s.connects.load(Ordering::Relaxed))
                        .sum();
                    eprintln!(
                        "soak: {t:.0} s: {handled} ticks handled, {} reconnections, RSS {own:?} kB, server {server:?} kB",
                        connects - states.len() as u64
                    );
                }
                if t >= secs {
                    return samples;
                }
            }
        })
    };
    let mut working = tokio::task::JoinSet::new();
    for (index, soaker) in soakers.iter().enumerate() {
        let soaker = soaker.clone();
        let config = config.clone();
        working.spawn(async move { (index, soaker.work(&config, until).await) });
    }
    let mut works: Vec<Work> = (0..soakers.len()).map(|_| Work::default()).collect();
    while let Some(done) = working.join_next().await {
        let (index, work) = done.expect("a client's workload panicked");
        works[index] = work;
    }
    let chaos_secs = started.elapsed().as_secs_f64();

    // 3. Calm: no more cuts; every client reconnects, gets its emit count and the rest of its
    //    stream.
    for proxy in proxies {
        proxy.stop_cutting();
    }
    let mut finishing = tokio::task::JoinSet::new();
    for (index, soaker) in soakers.iter().enumerate() {
        let soaker = soaker.clone();
        let config = config.clone();
        finishing.spawn(async move { (index, soaker.finish(&config).await) });
    }
    let mut endings: Vec<Ending> = (0..soakers.len()).map(|_| Ending::default()).collect();
    while let Some(done) = finishing.join_next().await {
        let (index, ending) = done.expect("a client's ending panicked");
        endings[index] = ending;
    }
    // Late duplicates would come now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let samples = monitor.await.expect("the monitor panicked");

    // 4. Disconnect every client, drop them, and see what is left.
    let mut leaving = tokio::task::JoinSet::new();
    for soaker in &soakers {
        let soaker = soaker.clone();
        leaving.spawn(async move { soaker.sio.disconnect().await });
    }
    while let Some(done) = leaving.join_next().await {
        done.expect("a disconnect panicked");
    }
    let keys: Vec<String> = soakers.iter().map(|s| s.key.clone()).collect();
    let states: Vec<Arc<ClientState>> = soakers.iter().map(|s| s.state.clone()).collect();
    let tasks_at_disconnect = alive_tasks();
    let threads_at_disconnect = os_threads();
    drop(soakers);
    let leak_wait = Instant::now();
    let (tasks_after, threads_after) = loop {
        let (tasks, threads) = (alive_tasks(), os_threads());
        if (tasks <= tasks_before && threads <= threads_before)
            || leak_wait.elapsed() >= config.leak_wait
        {
            break (tasks, threads);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let leak_wait_secs = leak_wait.elapsed().as_secs_f64();

    // 5. The numbers.
    report(ReportInput {
        config: &config,
        cuts: &cuts,
        proxies,
        keys: &keys,
        states: &states,
        works: &works,
        endings: &endings,
        samples: &samples,
        window,
        setup_secs,
        chaos_secs,
        tasks: [tasks_before, tasks_at_disconnect, tasks_after],
        threads: [threads_before, threads_at_disconnect, threads_after],
        leak_wait_secs,
        rss_before,
    })
}

struct ReportInput<'a> {
    config: &'a Config,
    cuts: &'a Cuts,
    proxies: &'a [FaultProxy],
    keys: &'a [String],
    states: &'a [Arc<ClientState>],
    works: &'a [Work],
    endings: &'a [Ending],
    samples: &'a Samples,
    window: Duration,
    setup_secs: f64,
    chaos_secs: f64,
    tasks: [usize; 3],
    threads: [usize; 3],
    leak_wait_secs: f64,
    rss_before: Option<u64>,
}

fn report(input: ReportInput<'_>) -> Value {
    let ReportInput {
        config,
        cuts,
        proxies,
        keys,
        states,
        works,
        endings,
        samples,
        window,
        setup_secs,
        chaos_secs,
        tasks,
        threads,
        leak_wait_secs,
        rss_before,
    } = input;
    let mut failures: Vec<String> = Vec::new();
    let mut anomalies: Vec<Value> = Vec::new();

    // The stream, per client.
    let (mut streamed, mut handled, mut missing, mut duplicates, mut out_of_order) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut unexpected = 0u64;
    // Lost by clients that had a reconnection without recovery (a new session).
    let mut missing_after_failed_recovery = 0u64;
    // The emits, per client.
    let (mut emitted, mut counted, mut server_total, mut server_duplicates) = (0u64, 0u64, 0, 0);
    let (mut emits_missing, mut emits_extra, mut emits_out_of_order) = (0u64, 0u64, 0u64);
    let mut emit_errors = BTreeMap::new();
    // The calls.
    let (mut answered, mut wrong, mut hung) = (0u64, 0u64, 0u64);
    let mut failed = BTreeMap::new();
    let mut call_ms = Latencies::default();
    // Connections.
    let (mut reconnections, mut recovered, mut not_recovered) = (0u64, 0u64, 0u64);
    let mut disconnects = BTreeMap::new();
    let mut problems = 0usize;

    let mut unverified_streams = 0usize;
    let mut unverified_emits = 0usize;
    let mut calm_secs: Vec<f64> = Vec::new();
    for (((key, state), work), ending) in keys.iter().zip(states).zip(works).zip(endings) {
        let seen = state.seen.lock().unwrap();
        calm_secs.extend(ending.calm_secs);
        // Without the server's count (the client did not finish: a problem of its own), the
        // stream cannot be checked for losses.
        let stream_checked = ending.streamed.is_some() || config.stream_rate <= 0.0;
        unverified_streams += usize::from(!stream_checked);
        let n = ending.streamed.unwrap_or(0);
        let missing_ids: Vec<u64> = (0..n).filter(|&i| !seen.has(i)).collect();
        let client_duplicates = seen.duplicates;
        let client_unexpected = if stream_checked {
            seen.at_or_above(n)
        } else {
            0
        };
        streamed += n;
        handled += seen.handled;
        missing += missing_ids.len() as u64;
        if state.not_recovered.load(Ordering::Relaxed) > 0 {
            missing_after_failed_recovery += missing_ids.len() as u64;
        }
        duplicates += client_duplicates;
        out_of_order += seen.out_of_order;
        unexpected += client_unexpected;

        unverified_emits += usize::from(ending.emit_report.is_none());
        let server = ending.emit_report.unwrap_or_default();
        emitted += work.emitted;
        counted += server.unique;
        server_total += server.total;
        server_duplicates += server.duplicates;
        let (client_emits_missing, client_emits_extra) = match ending.emit_report {
            Some(server) => (
                work.emitted.saturating_sub(server.unique),
                ((server.max_id + 1).max(0) as u64).saturating_sub(work.emitted),
            ),
            None => (0, 0),
        };
        emits_missing += client_emits_missing;
        emits_extra += client_emits_extra;
        emits_out_of_order += server.out_of_order;
        add_counts(&mut emit_errors, &work.emit_errors);

        answered += work.calls_answered;
        wrong += work.calls_wrong;
        hung += work.calls_hung;
        add_counts(&mut failed, &work.calls_failed);
        call_ms.merge(&work.call_ms);

        let connects = state.connects.load(Ordering::Relaxed);
        let client_recovered = state.recovered.load(Ordering::Relaxed);
        let client_not_recovered = state.not_recovered.load(Ordering::Relaxed);
        reconnections += connects.saturating_sub(1);
        recovered += client_recovered;
        not_recovered += client_not_recovered;
        add_counts(&mut disconnects, &state.disconnects.lock().unwrap());
        problems += usize::from(!ending.problems.is_empty());

        let anomalous = !missing_ids.is_empty()
            || client_duplicates > 0
            || seen.out_of_order > 0
            || client_unexpected > 0
            || client_emits_missing > 0
            || client_emits_extra > 0
            || server.out_of_order > 0
            || work.calls_hung > 0
            || work.calls_wrong > 0
            || !ending.problems.is_empty();
        if anomalous {
            anomalies.push(json!({
                "client": key,
                "streamed": ending.streamed,
                "handled": seen.handled,
                "missing": missing_ids.len(),
                "missing_first": missing_ids.iter().take(20).collect::<Vec<_>>(),
                "duplicates": client_duplicates,
                "out_of_order": seen.out_of_order,
                "unexpected": client_unexpected,
                "emitted": work.emitted,
                "emits_counted": ending.emit_report.map(|r| r.unique),
                "emits_out_of_order": server.out_of_order,
                "calls_hung": work.calls_hung,
                "calls_wrong": work.calls_wrong,
                "reconnections": connects.saturating_sub(1),
                "recovered": client_recovered,
                "not_recovered": client_not_recovered,
                "problems": ending.problems,
            }));
        }
    }
    calm_secs.sort_by(f64::total_cmp);
    let failed_total: u64 = failed.values().sum();

    let mut check = |bad: bool, what: String| {
        if bad {
            failures.push(what);
        }
    };
    check(
        missing > 0,
        format!(
            "{missing} streamed events missing ({missing_after_failed_recovery} of them in \
             clients that had a reconnection without recovery)"
        ),
    );
    check(
        duplicates > 0,
        format!("{duplicates} streamed events duplicated"),
    );
    check(
        out_of_order > 0,
        format!("{out_of_order} streamed events out of order"),
    );
    check(
        unexpected > 0,
        format!("{unexpected} streamed events past the end"),
    );
    check(
        emits_missing > 0,
        format!("{emits_missing} emits not counted by the server"),
    );
    check(
        emits_extra > 0,
        format!("{emits_extra} ids counted that were never emitted"),
    );
    check(
        emits_out_of_order > 0,
        format!("{emits_out_of_order} emits reached the server out of order"),
    );
    check(
        hung > 0,
        format!(
            "{hung} calls hung (no outcome in {} s)",
            config.hang.as_secs()
        ),
    );
    check(wrong > 0, format!("{wrong} calls answered wrongly"));
    check(
        problems > 0,
        format!(
            "{problems} clients could not finish: {unverified_streams} streams and \
             {unverified_emits} emit counts unchecked (see anomalies)"
        ),
    );
    let [tasks_before, tasks_at_disconnect, tasks_after] = tasks;
    let [threads_before, threads_at_disconnect, threads_after] = threads;
    check(
        tasks_after > tasks_before,
        format!(
            "{} tokio tasks left behind ({tasks_before} before the clients, {tasks_after} after)",
            tasks_after - tasks_before.min(tasks_after)
        ),
    );
    check(
        threads_after > threads_before,
        format!("{} OS threads left behind ({threads_before} before the clients, {threads_after} after)", threads_after - threads_before.min(threads_after)),
    );

    let proxies_json: Vec<Value> = proxies
        .iter()
        .map(|p| json!({ "accepted": p.accepted() }))
        .collect();
    anomalies.truncate(50);
    json!({
        "soak": config.json(cuts),
        "ok": failures.is_empty(),
        "failures": failures,
        "setup_secs": setup_secs,
        "chaos_secs": chaos_secs,
        "stream": {
            "streamed": streamed,
            "handled": handled,
            "missing": missing,
            "missing_after_failed_recovery": missing_after_failed_recovery,
            "duplicates": duplicates,
            "out_of_order": out_of_order,
            "unexpected": unexpected,
            "clients_unchecked": unverified_streams,
        },
        "emits": {
            "emitted": emitted,
            "counted": counted,
            "missing": emits_missing,
            "extra": emits_extra,
            "server_received": server_total,
            "server_duplicates": server_duplicates,
            "server_out_of_order": emits_out_of_order,
            "errors": emit_errors,
            "clients_unchecked": unverified_emits,
        },
        "calls": {
            "answered": answered,
            "failed": failed_total,
            "failed_by_error": failed,
            "hung": hung,
            "wrong": wrong,
            "answered_ms": {
                "p50": call_ms.quantile(0.5),
                "p99": call_ms.quantile(0.99),
                "max": call_ms.quantile(1.0),
            },
        },
        "connections": {
            "reconnections": reconnections,
            "recovered_true": recovered,
            "recovered_false": not_recovered,
            "disconnects": disconnects,
            "connected_after_calm_secs": {
                "p50": calm_secs.get(calm_secs.len() / 2),
                "max": calm_secs.last(),
            },
            "proxies": proxies_json,
        },
        "rss": {
            "before_clients_kb": rss_before,
            "client_process": rss_summary(samples, config.secs, window, 0),
            "server_process": rss_summary(samples, config.secs, window, 1),
        },
        "leaks": {
            "tokio_alive_tasks": { "before": tasks_before, "at_disconnect": tasks_at_disconnect, "after": tasks_after },
            "os_threads": { "before": threads_before, "at_disconnect": threads_at_disconnect, "after": threads_after },
            "waited_secs": leak_wait_secs,
        },
        "anomalies": anomalies,
    })
}
