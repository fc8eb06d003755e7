//! `logger(true)` / `engineio_logger(true)`: logs on stderr with no further setup,
//! as python-socketio's `logger=True` and `engineio_logger=True` do.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Installs a stderr subscriber for the enabled targets, unless the application has
/// installed a global subscriber of its own (which then decides what is shown).
pub(crate) fn install(socketio: bool, engineio: bool) {
    if !socketio && !engineio {
        return;
    }
    let level = |on: bool| {
        if on {
            LevelFilter::DEBUG
        } else {
            LevelFilter::WARN
        }
    };
    let targets = Targets::new()
        .with_target("socketio", level(socketio))
        .with_target("engineio", level(engineio));
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(targets),
        )
        .try_init();
}
