//! [`HandlerError`]: an event a handler could not take, or a handler that failed, and
//! where it goes: the `on_error` hook, `tracing`, and without either, standard error.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap as HashMap;
use tracing::warn;

/// An event a handler could not take (its arguments do not fit the handler's
/// parameters), or a handler that panicked or returned `Err`.
///
/// Given to the hook set with
/// [`AsyncClientBuilder::on_error`](crate::AsyncClientBuilder::on_error) (or
/// [`ClientBuilder::on_error`](crate::ClientBuilder::on_error)), and always logged
/// with `tracing` (target `socketio`, level WARN). Without a hook and without a
/// `tracing` subscriber, it is written to standard error, at most once a second per
/// namespace and event.
///
/// When the server asked for an ack, a handler that could not take the event, panicked
/// or returned `Err` sends none: the server's ack never comes (socket.io's
/// `socket.timeout(ms).emit(…)` / `emitWithAck` rejects after its timeout, a plain
/// callback is never called, python-socketio's `call()` raises `TimeoutError`).
///
/// ```
/// use socketio::{AsyncClient, HandlerErrorKind};
///
/// let sio = AsyncClient::builder()
///     .on_error(|error| {
///         if let HandlerErrorKind::ArgumentsDidNotFit { index, .. } = error.kind() {
///             eprintln!("{} on {}: argument {index} does not fit", error.event(), error.namespace());
///         }
///         eprintln!("{error}");
///     })
///     .build();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    namespace: String,
    event: String,
    kind: HandlerErrorKind,
}

/// What went wrong in a [`HandlerError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandlerErrorKind {
    /// Argument `index` (0-based) does not deserialize into the handler's parameter of
    /// that position (or is missing): the handler did not run.
    ArgumentsDidNotFit {
        /// The position of the argument (and of the parameter).
        index: usize,
        /// Why, as serde says it (`invalid type: integer `5`, expected a string`).
        message: String,
    },
    /// The handler panicked; the client goes on with the next event.
    Panicked {
        /// The panic's message (empty when it was not a string).
        message: String,
    },
    /// The handler returned `Err`: the error, as text (a string error as it is, any
    /// other as JSON).
    ReturnedError {
        /// The error.
        message: String,
    },
}

impl HandlerError {
    pub(crate) fn new(namespace: &str, event: &str, kind: HandlerErrorKind) -> Self {
        HandlerError {
            namespace: namespace.to_owned(),
            event: event.to_owned(),
            kind,
        }
    }

    /// The namespace of the event (`"/"`, `"/chat"`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The event's name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// What went wrong.
    pub fn kind(&self) -> &HandlerErrorKind {
        &self.kind
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (event, namespace) = (&self.event, &self.namespace);
        write!(f, "handler of event {event:?} on namespace {namespace:?}: ")?;
        match &self.kind {
            HandlerErrorKind::ArgumentsDidNotFit { index, message } => write!(
                f,
                "argument {index} does not fit the handler's parameter {index} ({message}); the handler did not run"
            ),
            HandlerErrorKind::Panicked { message } => write!(f, "panicked: {message}"),
            HandlerErrorKind::ReturnedError { message } => write!(f, "returned an error: {message}"),
        }
    }
}

impl std::error::Error for HandlerError {}

/// The user's hook.
pub(crate) type ErrorHook = Arc<dyn Fn(&HandlerError) + Send + Sync>;

/// The hook as the client's settings keep it.
#[derive(Clone, Default)]
pub(crate) struct OnError(pub(crate) Option<ErrorHook>);

impl fmt::Debug for OnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Some(<fn>)"
        } else {
            "None"
        })
    }
}

/// How often one namespace and event may reach standard error.
const STDERR_EVERY: Duration = Duration::from_secs(1);
/// At most this many namespace/event pairs are remembered for the rate limit (event
/// names come from the network).
const REMEMBERED: usize = 256;

/// Where a client's handler errors go.
#[derive(Default)]
pub(crate) struct Reporter {
    hook: Option<ErrorHook>,
    /// When each namespace and event last reached standard error.
    printed: Mutex<HashMap<(String, String), Instant>>,
}

impl Reporter {
    pub(crate) fn new(hook: Option<ErrorHook>) -> Reporter {
        Reporter {
            hook,
            printed: Mutex::default(),
        }
    }

    /// Logs `error`, gives it to the hook, or without a hook and without a `tracing`
    /// subscriber, writes it to standard error (rate-limited).
    pub(crate) fn report(&self, error: HandlerError) {
        warn!(target: "socketio", namespace = %error.namespace, event = %error.event, "{error}");
        if let Some(hook) = &self.hook {
            // A panicking hook must not take the dispatcher down.
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&error)));
            if called.is_err() {
                warn!(target: "socketio", "the on_error hook panicked");
            }
            return;
        }
        if no_subscriber() && self.may_print(&error) {
            eprintln!("socketio: {error} (set builder().on_error(…) or a tracing subscriber to route these)");
        }
    }

    fn may_print(&self, error: &HandlerError) -> bool {
        let mut printed = self.printed.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if printed.len() >= REMEMBERED {
            printed.retain(|_, at| now.duration_since(*at) < STDERR_EVERY);
        }
        let key = (error.namespace.clone(), error.event.clone());
        match printed.get(&key) {
            Some(at) if now.duration_since(*at) < STDERR_EVERY => false,
            _ if printed.len() >= REMEMBERED => false,
            _ => {
                printed.insert(key, now);
                true
            }
        }
    }
}

/// Whether no `tracing` subscriber is in effect here (global or scoped).
fn no_subscriber() -> bool {
    tracing::dispatcher::get_default(|dispatch| dispatch.is::<tracing::subscriber::NoSubscriber>())
}

/// The message of a caught panic.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Where a handler runs: its namespace and event, and where its errors go. Cloned
/// cheaply (reference counts), so a handler's future may keep one.
#[derive(Clone)]
pub(crate) struct Site {
    pub(crate) reporter: Arc<Reporter>,
    pub(crate) namespace: Arc<str>,
    pub(crate) event: Arc<str>,
}

impl Site {
    pub(crate) fn report(&self, kind: HandlerErrorKind) {
        let error = HandlerError::new(&self.namespace, &self.event, kind);
        self.reporter.report(error);
    }

    pub(crate) fn report_panic(&self, panic: &(dyn std::any::Any + Send)) {
        let message = panic_message(panic);
        self.report(HandlerErrorKind::Panicked { message });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_namespace_event_and_argument() {
        let error = HandlerError::new(
            "/chat",
            "question",
            HandlerErrorKind::ArgumentsDidNotFit {
                index: 1,
                message: "invalid type: integer `5`, expected a string".into(),
            },
        );
        assert_eq!(
            error.to_string(),
            "handler of event \"question\" on namespace \"/chat\": argument 1 does not fit the handler's parameter 1 (invalid type: integer `5`, expected a string); the handler did not run"
        );
    }

    #[test]
    fn standard_error_gets_one_namespace_and_event_once_a_second() {
        let reporter = Reporter::new(None);
        let error = |event: &str| {
            HandlerError::new(
                "/",
                event,
                HandlerErrorKind::Panicked {
                    message: String::new(),
                },
            )
        };
        assert!(reporter.may_print(&error("a")));
        assert!(!reporter.may_print(&error("a")));
        assert!(reporter.may_print(&error("b")));
        for n in 0..2 * REMEMBERED {
            reporter.may_print(&error(&n.to_string()));
        }
        assert!(reporter.printed.lock().unwrap().len() <= REMEMBERED);
    }
}
