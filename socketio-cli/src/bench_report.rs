//! What `sio bench` counts and measures, and its report (a table, or one JSON object).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// The counters and histograms every client adds to.
pub struct Stats {
    pub connected: AtomicU64,
    pub connect_errors: AtomicU64,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub emit_errors: AtomicU64,
    pub ack_errors: AtomicU64,
    pub disconnects: AtomicU64,
    /// Connect times, in microseconds.
    pub connect_us: Mutex<Histogram<u64>>,
    /// Ack latencies, in microseconds.
    pub ack_us: Mutex<Histogram<u64>>,
    /// The first error, said for a person (`connect: timed out`).
    pub first_error: Mutex<Option<String>>,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to one hour, 3 significant digits; values above are clamped.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

impl Stats {
    pub fn new() -> Self {
        Stats {
            connected: AtomicU64::new(0),
            connect_errors: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            emit_errors: AtomicU64::new(0),
            ack_errors: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            connect_us: Mutex::new(histogram()),
            ack_us: Mutex::new(histogram()),
            first_error: Mutex::new(None),
        }
    }

    /// Counts an error in `counter`, and keeps it if it is the first.
    pub fn error(&self, counter: &AtomicU64, what: &str, error: &socketio::Error) {
        counter.fetch_add(1, Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert_with(|| format!("{what}: {error}"));
    }

    pub fn first_error(&self) -> Option<String> {
        self.first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn record(histogram: &Mutex<Histogram<u64>>, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let mut histogram = histogram.lock().unwrap_or_else(|e| e.into_inner());
        histogram.saturating_record(micros.max(1));
    }

    /// Acks still awaited: sent with an ack, neither answered nor failed yet.
    pub fn pending_acks(&self) -> u64 {
        let done = self.acked.load(Relaxed) + self.ack_errors.load(Relaxed);
        self.sent.load(Relaxed).saturating_sub(done)
    }

    pub fn errors(&self) -> u64 {
        self.connect_errors.load(Relaxed)
            + self.emit_errors.load(Relaxed)
            + self.ack_errors.load(Relaxed)
    }
}

/// The percentiles of a histogram in milliseconds; `null`s when it is empty.
fn percentiles(histogram: &Mutex<Histogram<u64>>) -> Value {
    let histogram = histogram.lock().unwrap_or_else(|e| e.into_inner());
    if histogram.is_empty() {
        return json!({"p50": null, "p90": null, "p99": null, "max": null});
    }
    let ms = |micros: u64| (micros as f64 / 10.0).round() / 100.0;
    json!({
        "p50": ms(histogram.value_at_quantile(0.50)),
        "p90": ms(histogram.value_at_quantile(0.90)),
        "p99": ms(histogram.value_at_quantile(0.99)),
        "max": ms(histogram.max()),
    })
}

/// The report as one JSON object; `elapsed` is how long the clients emitted.
pub fn json_report(clients: u32, stats: &Stats, elapsed: Duration) -> Value {
    let sent = stats.sent.load(Relaxed);
    let seconds = elapsed.as_secs_f64();
    let per_second = if seconds > 0.0 {
        sent as f64 / seconds
    } else {
        0.0
    };
    json!({
        "clients": clients,
        "connected": stats.connected.load(Relaxed),
        "connect_errors": stats.connect_errors.load(Relaxed),
        "sent": sent,
        "acked": stats.acked.load(Relaxed),
        "emit_errors": stats.emit_errors.load(Relaxed),
        "ack_errors": stats.ack_errors.load(Relaxed),
        "errors": stats.errors(),
        "disconnects": stats.disconnects.load(Relaxed),
        "first_error": stats.first_error(),
        "duration_s": (seconds * 1000.0).round() / 1000.0,
        "events_per_second": (per_second * 10.0).round() / 10.0,
        "connect_ms": percentiles(&stats.connect_us),
        "ack_latency_ms": percentiles(&stats.ack_us),
    })
}

/// The report as a table for a person.
pub fn table(report: &Value) -> String {
    let n = |key: &str| report[key].to_string();
    let row = |label: &str, key: &str| {
        let cell = |q: &str| match &report[key][q] {
            Value::Null => "-".to_owned(),
            value => value.to_string(),
        };
        format!(
            "{label:<14}{:>10}{:>10}{:>10}{:>10}\n",
            cell("p50"),
            cell("p90"),
            cell("p99"),
            cell("max")
        )
    };
    let mut out = String::new();
    out += &format!(
        "clients       {} ({} connected, {} failed)\n",
        n("clients"),
        n("connected"),
        n("connect_errors")
    );
    out += &format!(
        "events        {} sent, {} acked in {} s: {} events/s\n",
        n("sent"),
        n("acked"),
        n("duration_s"),
        n("events_per_second")
    );
    out += &format!(
        "errors        {} ({} connect, {} emit, {} ack)\n",
        n("errors"),
        n("connect_errors"),
        n("emit_errors"),
        n("ack_errors")
    );
    out += &format!("disconnects   {}\n", n("disconnects"));
    if let Some(first) = report["first_error"].as_str() {
        out += &format!("first error   {first}\n");
    }
    out += &format!(
        "{:<14}{:>10}{:>10}{:>10}{:>10}\n",
        "", "p50", "p90", "p99", "max"
    );
    out += &row("connect ms", "connect_ms");
    out += &row("ack ms", "ack_latency_ms");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_percentiles() {
        let stats = Stats::new();
        stats.connected.store(2, Relaxed);
        stats.sent.store(10, Relaxed);
        stats.acked.store(9, Relaxed);
        stats.ack_errors.store(1, Relaxed);
        for ms in 1..=100 {
            Stats::record(&stats.ack_us, Duration::from_millis(ms));
        }
        let report = json_report(2, &stats, Duration::from_secs(2));
        assert_eq!(report["events_per_second"], 5.0);
        assert_eq!(report["errors"], 1);
        // Three significant digits: within 0.1 %.
        let near = |q: &str, ms: f64| {
            (report["ack_latency_ms"][q].as_f64().unwrap() - ms).abs() < ms / 1000.0
        };
        assert!(
            near("p50", 50.0) && near("p99", 99.0) && near("max", 100.0),
            "{report}"
        );
        assert_eq!(report["connect_ms"]["p50"], Value::Null);
        let table = table(&report);
        assert!(
            table.contains("10 sent, 9 acked in 2.0 s: 5.0 events/s"),
            "{table}"
        );
    }
}
