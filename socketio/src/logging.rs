//! `logger(true)` / `engineio_logger(true)`: logs on stderr with no further setup,
//! as python-socketio's `logger=True` and `engineio_logger=True` do.

use std::io::IsTerminal;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Installs a stderr subscriber for the enabled targets, unless the application has
/// installed a global subscriber of its own (which then decides what is shown).
///
/// `RUST_LOG`, when set, decides what is shown instead (`target=level` directives and
/// a bare default level, as `env_logger` reads them; `socketio=info,engineio=warn`).
/// Colour only when standard error is a terminal, so a redirected log stays plain text.
pub(crate) fn install(socketio: bool, engineio: bool) {
    if !socketio && !engineio {
        return;
    }
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter(filter(socketio, engineio, std::env::var("RUST_LOG").ok())),
        )
        .try_init();
}

/// What is shown: `RUST_LOG`'s directives when set and valid, else DEBUG for the
/// enabled targets and WARN for the others.
fn filter(socketio: bool, engineio: bool, rust_log: Option<String>) -> Targets {
    if let Some(directives) = rust_log.filter(|d| !d.trim().is_empty()) {
        match directives.parse::<Targets>() {
            Ok(targets) => return targets,
            Err(error) => eprintln!("socketio: RUST_LOG={directives:?} ignored: {error}"),
        }
    }
    let level = |on: bool| {
        if on {
            LevelFilter::DEBUG
        } else {
            LevelFilter::WARN
        }
    };
    Targets::new()
        .with_target("socketio", level(socketio))
        .with_target("engineio", level(engineio))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_decides_when_set() {
        let defaults = filter(true, false, None);
        assert!(defaults.would_enable("socketio", &tracing::Level::DEBUG));
        assert!(!defaults.would_enable("engineio", &tracing::Level::INFO));
        assert!(defaults.would_enable("engineio", &tracing::Level::WARN));

        let quiet = filter(true, false, Some("socketio=warn".into()));
        assert!(!quiet.would_enable("socketio", &tracing::Level::INFO));
        assert!(quiet.would_enable("socketio", &tracing::Level::WARN));

        let chatty = filter(true, false, Some("engineio=trace,info".into()));
        assert!(chatty.would_enable("engineio", &tracing::Level::TRACE));
        assert!(chatty.would_enable("socketio", &tracing::Level::INFO));
        assert!(!chatty.would_enable("socketio", &tracing::Level::DEBUG));

        // Empty is unset.
        assert_eq!(
            format!("{:?}", filter(true, true, Some(" ".into()))),
            format!("{:?}", filter(true, true, None))
        );
    }
}
