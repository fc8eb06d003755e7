//! `sio bench URL`: `--clients` connections opened at `--ramp` per second; once all are
//! connected (or failed), each emits `--event` at `--rate` per second for `--duration`,
//! with `--ack` measuring every ack's latency. Then a report (see `bench_report`).

use std::io::IsTerminal;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use socketio::{AsyncClient, AsyncClientBuilder, AsyncSocket, ConnectOptions, DisconnectReason};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::bench_report::{self, Stats};
use crate::cli::BenchArgs;
use crate::connect;
use crate::error::{CliError, Result};
use crate::json::{self, OutArgs};
use crate::output;

/// Where the bench is; the clients follow it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Connecting.
    Ramp,
    /// Emitting until the instant.
    Run(Instant),
    /// Done: disconnect.
    Done,
}

/// What every client shares.
struct Shared {
    args: BenchArgs,
    builder: AsyncClientBuilder,
    options: ConnectOptions,
    payload: Value,
    stats: Stats,
    phase: watch::Receiver<Phase>,
}

pub async fn run(args: BenchArgs) -> Result<()> {
    connect::check_url(&args.url)?;
    if args.rate <= 0.0 || !args.rate.is_finite() {
        return Err(CliError::usage(
            "--rate must be a positive number of events per second",
        ));
    }
    let payload = json::parse_json(&args.payload, "--payload")?;
    json::check_binary(std::slice::from_ref(&payload))?;
    raise_file_limit(u64::from(args.clients));
    let builder = connect::builder(&args.common)?.reconnection(false);
    let options = connect::options(&args.common, std::slice::from_ref(&args.namespace))?
        .wait_timeout(args.timeout);
    let (phase_tx, phase) = watch::channel(Phase::Ramp);
    let shared = Arc::new(Shared {
        args,
        builder,
        options,
        payload,
        stats: Stats::new(),
        phase,
    });
    let progress = progress_bar(u64::from(shared.args.clients));
    let tasks = ramp(&shared, &progress).await;
    let started = Instant::now();
    phase_tx.send_replace(Phase::Run(started + shared.args.duration));
    emit_phase(&shared, &progress, started).await;
    let elapsed = started.elapsed().min(shared.args.duration);
    wait_for_acks(&shared).await;
    phase_tx.send_replace(Phase::Done);
    for task in tasks {
        let _ = task.await;
    }
    progress.finish_and_clear();
    report(&shared, elapsed)
}

/// Prints the report; an error when anything went wrong.
fn report(shared: &Shared, elapsed: Duration) -> Result<()> {
    let report = bench_report::json_report(shared.args.clients, &shared.stats, elapsed);
    match shared.args.json {
        true => output::line(&report.to_string()),
        false => output::line(bench_report::table(&report).trim_end()),
    };
    let (errors, disconnects) = (
        shared.stats.errors(),
        shared.stats.disconnects.load(Relaxed),
    );
    match errors + disconnects {
        0 => Ok(()),
        _ => Err(CliError::new(format!(
            "{errors} error(s) and {disconnects} unexpected disconnection(s) during the bench{}",
            shared
                .stats
                .first_error()
                .map_or(String::new(), |first| format!(" (the first: {first})"))
        ))),
    }
}

/// Starts the clients at `--ramp` per second and waits until each connected or failed.
async fn ramp(shared: &Arc<Shared>, progress: &ProgressBar) -> Vec<tokio::task::JoinHandle<()>> {
    let clients = shared.args.clients;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(clients as usize);
    progress.set_message("connecting");
    for index in 0..clients {
        if shared.args.ramp > 0.0 {
            let at = Duration::from_secs_f64(f64::from(index) / shared.args.ramp);
            tokio::time::sleep_until(start + at).await;
        }
        tasks.push(tokio::spawn(client(shared.clone(), index)));
        progress.set_position(shared.stats.connected.load(Relaxed));
    }
    let stats = &shared.stats;
    while stats.connected.load(Relaxed) + stats.connect_errors.load(Relaxed) < u64::from(clients) {
        progress.set_position(stats.connected.load(Relaxed));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    progress.set_position(stats.connected.load(Relaxed));
    tasks
}

/// Shows the progress while the clients emit.
async fn emit_phase(shared: &Shared, progress: &ProgressBar, started: Instant) {
    let total = shared.args.duration;
    progress.set_length(total.as_millis() as u64);
    progress.set_position(0);
    while started.elapsed() < total {
        let stats = &shared.stats;
        progress.set_message(format!(
            "sent {} acked {} errors {}",
            stats.sent.load(Relaxed),
            stats.acked.load(Relaxed),
            stats.errors()
        ));
        progress.set_position(started.elapsed().as_millis() as u64);
        tokio::time::sleep(Duration::from_millis(100).min(total)).await;
    }
}

/// Waits for the acks still awaited (each ends in time: answered, or failed at `--timeout`).
async fn wait_for_acks(shared: &Shared) {
    let deadline = Instant::now() + shared.args.timeout + Duration::from_secs(1);
    while shared.stats.pending_acks() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One client: connects, emits while the phase says so, disconnects when it is done.
async fn client(shared: Arc<Shared>, index: u32) {
    let client = shared.builder.clone().build();
    let stats = &shared.stats;
    let started = Instant::now();
    let connected = client
        .connect_with(&shared.args.url, shared.options.clone())
        .await;
    if let Err(error) = connected {
        stats.error(&stats.connect_errors, "connect", &error);
        return;
    }
    Stats::record(&stats.connect_us, started.elapsed());
    stats.connected.fetch_add(1, Relaxed);
    let counted = shared.clone();
    client
        .of(&shared.args.namespace)
        .on("disconnect", move |reason: DisconnectReason| {
            if reason != DisconnectReason::ClientDisconnect {
                counted.stats.disconnects.fetch_add(1, Relaxed);
            }
        });
    let mut phase = shared.phase.clone();
    let now = phase.wait_for(|p| *p != Phase::Ramp).await.map(|p| *p);
    if let Ok(Phase::Run(end)) = now {
        emit_until(&shared, &client, index, end).await;
    }
    let _ = phase.wait_for(|p| *p == Phase::Done).await;
    client.disconnect().await;
}

/// Emits at `--rate` until `end`; the clients' first emits are spread over one period.
async fn emit_until(shared: &Arc<Shared>, client: &AsyncClient, index: u32, end: Instant) {
    let period = Duration::from_secs_f64(1.0 / shared.args.rate);
    let offset = period.mul_f64(f64::from(index % 1000) / 1000.0);
    let mut ticks = tokio::time::interval_at(Instant::now() + offset, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let socket = client.of(&shared.args.namespace);
    let args = std::slice::from_ref(&shared.payload);
    loop {
        let tick = ticks.tick().await;
        if tick >= end || !socket.connected() {
            return;
        }
        emit_one(shared, &socket, args).await;
    }
}

/// One emit, counted; with `--ack`, its ack's latency recorded when it comes.
async fn emit_one(shared: &Arc<Shared>, socket: &AsyncSocket, args: &[Value]) {
    let (stats, event) = (&shared.stats, shared.args.event.as_str());
    if !shared.args.ack {
        match socket.emit(event, OutArgs(args)).await {
            Ok(()) => drop(stats.sent.fetch_add(1, Relaxed)),
            Err(error) => stats.error(&stats.emit_errors, "emit", &error),
        }
        return;
    }
    let (counted, at) = (shared.clone(), Instant::now());
    let on_ack = move |result: std::result::Result<(), socketio::Error>| {
        let stats = &counted.stats;
        match result {
            Ok(()) => {
                Stats::record(&stats.ack_us, at.elapsed());
                stats.acked.fetch_add(1, Relaxed);
            }
            Err(error) => stats.error(&stats.ack_errors, "ack", &error),
        }
    };
    // Counted first: the ack may come before the emit returns.
    stats.sent.fetch_add(1, Relaxed);
    let timeout = shared.args.timeout;
    let emitted = socket
        .emit_with_ack_timeout(event, OutArgs(args), timeout, on_ack)
        .await;
    if let Err(error) = emitted {
        stats.sent.fetch_sub(1, Relaxed);
        stats.error(&stats.emit_errors, "emit", &error);
    }
}

/// Raises the open-file limit for `clients` connections; says so when it cannot.
fn raise_file_limit(clients: u64) {
    let needed = clients + 64;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit >= needed => {}
        Ok(limit) => eprintln!(
            "warning: the open-file limit is {limit}, too low for {clients} clients \
             (raise the hard limit: ulimit -Hn)"
        ),
        Err(error) => eprintln!("warning: cannot raise the open-file limit: {error}"),
    }
}

fn progress_bar(clients: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(clients), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
