//! Hostile input: a client with small limits against a server that misbehaves after a valid
//! handshake (`src/hostile_server.rs`). For every misbehaviour the client must report an error
//! or disconnect (or at least never hand the bogus event to a handler), never panic, and keep
//! its memory bounded.
//!
//! Each case prints one `HOSTILE-RESULT` line with what the client did (its `connect()` result,
//! the disconnect reason, the events its handlers got, what it logged, and the memory growth);
//! run with `--nocapture` to see them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use socketio::{AsyncClient, ConnectOptions, DisconnectReason, Payload};
use socketio_suite::hostile_server::{
    Hostile, HostileServer, PING_INTERVAL_MS, PING_TIMEOUT_MS, SENTINEL,
};

/// The client's limits.
const MAX_PAYLOAD: usize = 1 << 20;
const MAX_ATTACHMENTS: usize = 16;
/// How much the process may grow during one case (the server runs in this process too, and its
/// own buffers count: a 10 MB frame is copied into tungstenite's write buffer).
const RSS_BOUND: u64 = 64 << 20;
/// How long a case may take to end (a disconnect, or the sentinel after a skipped event).
const CASE_TIMEOUT: Duration = Duration::from_secs(8);

/// The cases run one at a time: memory is measured for the whole process.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

// ----- panics, anywhere in the process (tokio tasks included) -----

fn panics() -> &'static Mutex<Vec<String>> {
    static PANICS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    PANICS.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current()
                .name()
                .unwrap_or("<unnamed>")
                .to_owned();
            if let Some(panics) = PANICS.get() {
                panics
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(format!("thread {thread}: {info}"));
            }
            previous(info);
        }));
        Mutex::new(Vec::new())
    })
}

// ----- what the library logs (a minimal tracing subscriber) -----

static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The log lines since the last call; the first call installs the capturing subscriber.
fn take_logs() -> Vec<String> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(Capture);
    });
    std::mem::take(&mut *LOGS.lock().unwrap_or_else(|e| e.into_inner()))
}

struct Capture;

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}; ");
        } else {
            let _ = write!(self.0, "{}={value:?}; ", field.name());
        }
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::DEBUG
            && (metadata.target().starts_with("socketio")
                || metadata.target().starts_with("engineio"))
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let line = format!(
            "{} {}: {}",
            event.metadata().level(),
            event.metadata().target(),
            fields.0.trim_end_matches("; ")
        );
        LOGS.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

// ----- memory -----

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Samples VmRSS every 5 ms until dropped; `peak()` is the largest sample.
struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start() -> Self {
        let peak = Arc::new(AtomicU64::new(rss_bytes()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = {
            let (peak, stop) = (peak.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_bytes(), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        RssSampler {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed).max(rss_bytes())
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ----- one case -----

#[derive(Debug, Default)]
struct Observed {
    disconnect: Option<(DisconnectReason, Duration)>,
    /// Events the handlers got: (name, argument count).
    events: Vec<(String, usize)>,
    sentinel: bool,
    /// The typed `ev` handler (a `serde_json::Value` argument) ran.
    typed_ev: bool,
    /// Everything the handlers saw, in order, with the time since the start.
    timeline: Vec<String>,
}

impl Observed {
    /// Events handled after the disconnect (the connection was already condemned).
    fn after_disconnect(&self) -> Vec<&str> {
        self.timeline
            .iter()
            .skip_while(|entry| !entry.starts_with("disconnect"))
            .skip(1)
            .map(String::as_str)
            .collect()
    }
}

struct Outcome {
    connect: Result<(), String>,
    observed: Observed,
    growth: u64,
    panics: Vec<String>,
    logs: Vec<String>,
    elapsed: Duration,
}

async fn run_case(mode: Hostile) -> Outcome {
    let panics_before = panics().lock().unwrap().len();
    let _ = take_logs();

    let baseline = rss_bytes();
    let sampler = RssSampler::start();
    let server = HostileServer::start(mode.clone());
    let started = Instant::now();

    let observed = Arc::new(Mutex::new(Observed::default()));
    let sio = AsyncClient::builder()
        .max_payload(MAX_PAYLOAD)
        .max_attachments(MAX_ATTACHMENTS)
        .reconnection(false)
        .build();
    {
        let observed = observed.clone();
        sio.on("disconnect", move |reason: DisconnectReason| {
            let observed = observed.clone();
            async move {
                observed
                    .lock()
                    .unwrap()
                    .disconnect
                    .get_or_insert((reason, started.elapsed()));
            }
        });
    }
    {
        let observed = observed.clone();
        sio.on("ev", move |_value: serde_json::Value| {
            let mut observed = observed.lock().unwrap();
            observed.typed_ev = true;
            let at = started.elapsed().as_millis();
            observed
                .timeline
                .push(format!("ev (typed handler) at {at} ms"));
        });
    }
    {
        let observed = observed.clone();
        sio.on_any(move |event: String, args: Payload| {
            // Use the arguments the way a catch-all does.
            let _ = args.to_values();
            let mut observed = observed.lock().unwrap();
            if event == SENTINEL {
                observed.sentinel = true;
            }
            let at = started.elapsed().as_millis();
            observed.timeline.push(format!("{event} at {at} ms"));
            observed.events.push((event, args.len()));
        });
    }

    let options = ConnectOptions::new()
        .transports([mode.transport()])
        .wait_timeout(Duration::from_secs(5));
    let connect = sio
        .connect_with(&server.url(), options)
        .await
        .map_err(|e| e.to_string());

    // Wait for the end: a disconnect, or (the client survived) the sentinel and a moment more.
    let deadline = Instant::now() + CASE_TIMEOUT;
    let mut sentinel_at = None;
    while Instant::now() < deadline && connect.is_ok() {
        {
            let observed = observed.lock().unwrap();
            if observed.disconnect.is_some() {
                break;
            }
            if observed.sentinel && sentinel_at.is_none() {
                sentinel_at = Some(Instant::now());
            }
        }
        if sentinel_at.is_some_and(|at| at.elapsed() > Duration::from_millis(500)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    sio.disconnect().await;
    drop(server);
    let growth = sampler.peak().saturating_sub(baseline);
    drop(sampler);

    let mut observed = std::mem::take(&mut *observed.lock().unwrap());
    if matches!(
        observed.disconnect,
        Some((DisconnectReason::ClientDisconnect, _))
    ) {
        observed.disconnect = None; // ours, above
    }
    let panics = panics().lock().unwrap()[panics_before..].to_vec();
    let logs = take_logs();
    let outcome = Outcome {
        connect,
        observed,
        growth,
        panics,
        logs,
        elapsed,
    };
    report(&mode, &outcome);
    outcome
}

fn report(mode: &Hostile, outcome: &Outcome) {
    let interesting: Vec<&String> = outcome
        .logs
        .iter()
        .filter(|l| {
            l.starts_with("WARN")
                || l.starts_with("ERROR")
                || l.contains("error")
                || l.contains("closed")
        })
        .collect();
    let connect = match &outcome.connect {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("Err({e})"),
    };
    let disconnect = match &outcome.observed.disconnect {
        Some((reason, at)) => format!("{reason:?} (\"{reason}\") after {} ms", at.as_millis()),
        None => "none".to_owned(),
    };
    println!(
        "HOSTILE-RESULT [{}] over {:?}: connect {connect}; disconnect {disconnect}; events {:?}; \
         typed ev handler ran: {}; sentinel: {}; handled after the disconnect: {:?}; rss +{:.1} MiB; panics: {}; ended after {} ms; log: {:?}",
        mode.name(),
        mode.transport(),
        outcome.observed.events,
        outcome.observed.typed_ev,
        outcome.observed.sentinel,
        outcome.observed.after_disconnect(),
        outcome.growth as f64 / (1 << 20) as f64,
        outcome.panics.len(),
        outcome.elapsed.as_millis(),
        interesting,
    );
}

/// What every case must show.
fn check(mode: &Hostile, outcome: &Outcome, bogus: &[&str]) {
    let name = mode.name();
    assert!(
        outcome.panics.is_empty(),
        "[{name}] the client panicked: {:#?}",
        outcome.panics
    );
    assert!(
        outcome.growth < RSS_BOUND,
        "[{name}] memory grew by {} MiB (bound {} MiB)",
        outcome.growth >> 20,
        RSS_BOUND >> 20
    );
    let got_bogus = outcome
        .observed
        .events
        .iter()
        .any(|(event, _)| bogus.contains(&event.as_str()))
        || (bogus.contains(&"ev") && outcome.observed.typed_ev);
    assert!(
        outcome.connect.is_err() || outcome.observed.disconnect.is_some() || !got_bogus,
        "[{name}] the client neither failed nor disconnected, and handed the bogus event to a handler: {:?}",
        outcome.observed.events
    );
    // The server pings all along: a ping timeout means the client was stuck on the input.
    if let Some((reason, _)) = outcome.observed.disconnect {
        assert_ne!(
            reason,
            DisconnectReason::PingTimeout,
            "[{name}] the client was stuck until its heartbeat deadline ({} ms)",
            PING_INTERVAL_MS + PING_TIMEOUT_MS
        );
    }
}

/// A case whose input the client must refuse: it must disconnect (or fail to connect).
async fn must_disconnect(mode: Hostile, bogus: &[&str]) {
    let _serial = serial().await;
    let outcome = run_case(mode.clone()).await;
    check(&mode, &outcome, bogus);
    assert!(
        outcome.connect.is_err() || outcome.observed.disconnect.is_some(),
        "[{}] the client did not disconnect (sentinel received: {}, events {:?})",
        mode.name(),
        outcome.observed.sentinel,
        outcome.observed.events
    );
    // Nothing queued behind the invalid input reaches a handler.
    assert!(
        !outcome.observed.sentinel,
        "[{}] the sentinel sent after the invalid input was dispatched: {:?}",
        mode.name(),
        outcome.observed.timeline
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_content_length() {
    must_disconnect(Hostile::HugeContentLength, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_message_larger_than_max_payload() {
    must_disconnect(Hostile::OversizedMessage { bytes: 2 << 20 }, &["big"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_frame_header_announcing_2_pow_62_bytes() {
    must_disconnect(Hostile::HugeFrameHeader, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachment_count_bomb() {
    must_disconnect(Hostile::AttachmentCountBomb, &["boom"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_attachments_of_10_mb() {
    must_disconnect(
        Hostile::AttachmentFlood {
            frames: 10,
            frame_bytes: 10_000_000,
        },
        &["flood"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_attachments_each_under_the_limit_but_over_it_together() {
    must_disconnect(
        Hostile::AttachmentFlood {
            frames: 10,
            frame_bytes: 512 << 10,
        },
        &["flood"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_polling_body() {
    must_disconnect(Hostile::EndlessPollingBody, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_a_websocket_text_frame() {
    must_disconnect(Hostile::InvalidUtf8Frame, &["ev"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_a_polling_body() {
    must_disconnect(Hostile::InvalidUtf8Polling, &["ev"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_frame_without_a_binary_packet() {
    must_disconnect(Hostile::OrphanBinary, &[]).await;
}

/// 100000 nested arrays are valid JSON: the client may skip the event (no handler parameter
/// can hold it: serde_json stops at 128 levels) or drop the connection, but it must not overflow
/// its stack (that would abort this whole test process) nor hand the event to `ev`'s handler.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_json() {
    let _serial = serial().await;
    let mode = Hostile::DeepJson { depth: 100_000 };
    let outcome = run_case(mode.clone()).await;
    check(&mode, &outcome, &["ev"]);
    assert!(
        outcome.observed.disconnect.is_some() || outcome.observed.sentinel,
        "the client neither disconnected nor went on to the next event"
    );
}

/// Random messages: whatever the client makes of them, no panic, bounded memory, and an end
/// (a disconnect, or the sentinel that follows them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_websocket_messages() {
    let _serial = serial().await;
    for seed in [1, 2, 3] {
        let mode = Hostile::GarbageWebSocket { seed, messages: 64 };
        let outcome = run_case(mode.clone()).await;
        check(&mode, &outcome, &[]);
        assert!(outcome.observed.disconnect.is_some() || outcome.observed.sentinel);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_polling_records() {
    let _serial = serial().await;
    for seed in [1, 2, 3] {
        let mode = Hostile::GarbagePolling { seed, records: 32 };
        let outcome = run_case(mode.clone()).await;
        check(&mode, &outcome, &[]);
        assert!(outcome.observed.disconnect.is_some() || outcome.observed.sentinel);
    }
}
