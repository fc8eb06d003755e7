//! The async core shared by both clients: what one client owns, and the operations
//! that send (emit, call) and deliver (to the handlers).
//!
//! Who owns what:
//! - [`Connection`] (one lock): the engine link, namespaces, send buffer, recovery,
//!   pending acks — see `connection.rs`.
//! - [`HandlerTable`] (a read-write lock): the handlers.
//! - [`Lifecycle`] (watch channels): the [`ConnectionState`].
//! - [`RetryQueue`] (its own lock): the at-least-once emits.
//! - [`Dispatcher`] (a leaf lock): the handler queue.
//!
//! **Lock order:** no lock is held while another is taken, except two leaves taken
//! last, with nothing under them: the dispatcher's queue, and the lifecycle's watch,
//! which moves under the connection's lock when a session is settled or lost (so the
//! two are seen in one order). No lock is held across an `.await`.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::oneshot;
use tracing::{debug, warn};

use super::acks::PendingAck;
use super::connection::Connection;
use super::dispatcher::{DispatchMode, Dispatcher, Job, Refused};
use super::handler::{BoxFuture, Call, ErasedHandler};
use super::handler_error::{Reporter, Site};
use super::handlers::HandlerTable;
use super::link::Ack;
use super::options::ClientConfig;
use super::reason::DisconnectReason;
use super::retry::{Completion, Queued, RetryQueue};
use super::state::{ConnectionState, Lifecycle};
use crate::args::payload::EventName;
use crate::args::{encode_event, Payload};
use crate::engineio::{Cookies, TlsConfig, Transport};
use crate::error::Error;

/// An answer waited for: an ack id (none with `retries`: the queue answers) and the
/// channel it comes on.
struct Awaited {
    id: Option<u64>,
    rx: oneshot::Receiver<Result<Payload, Error>>,
}

pub(crate) struct Core {
    pub(crate) config: ClientConfig,
    /// The TLS configuration, built when a connection first needs it.
    pub(crate) tls: TlsConfig,
    /// This client's cookies (load-balancer affinity), kept across reconnections.
    pub(crate) cookies: Arc<Cookies>,
    pub(crate) handlers: HandlerTable,
    connection: Mutex<Connection>,
    pub(crate) lifecycle: Lifecycle,
    /// The runtime the connection runs on (for timers started from outside it).
    runtime: OnceLock<tokio::runtime::Handle>,
    pub(crate) retry: Arc<RetryQueue>,
    pub(crate) dispatcher: Arc<Dispatcher>,
    /// Where handler errors go (`on_error`, tracing, standard error).
    pub(crate) reporter: Arc<Reporter>,
}

impl Drop for Core {
    fn drop(&mut self) {
        // The dispatcher ends once it has run what is queued.
        self.dispatcher.close();
        self.retry.close();
    }
}

impl Core {
    pub(crate) fn new(mut config: ClientConfig, mode: DispatchMode) -> Arc<Core> {
        crate::logging::install(config.logger, config.engineio_logger);
        // The settings move into the configuration that is built from them.
        let tls = TlsConfig::new(std::mem::take(&mut config.tls));
        Arc::new(Core {
            tls,
            cookies: Arc::default(),
            handlers: HandlerTable::default(),
            connection: Mutex::new(Connection::new(config.send_buffer)),
            lifecycle: Lifecycle::default(),
            runtime: OnceLock::new(),
            retry: Arc::default(),
            dispatcher: Dispatcher::new(mode, config.max_buffered, config.handler_concurrency),
            reporter: Arc::new(Reporter::new(config.on_error.0.clone())),
            config,
        })
    }

    /// The connection's state; held briefly, never across an `.await`.
    pub(crate) fn connection(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ----- reading -----

    pub(crate) fn state(&self) -> ConnectionState {
        self.lifecycle.get()
    }

    pub(crate) fn sid(&self, namespace: &str) -> Option<String> {
        self.connection().sid(namespace)
    }

    /// Whether `namespace`'s last connection restored its session (connection state
    /// recovery, socket.io ≥ 4.6 servers).
    pub(crate) fn recovered(&self, namespace: &str) -> bool {
        self.connection().recovery.recovered(namespace)
    }

    pub(crate) fn connected_namespaces(&self) -> Vec<String> {
        self.connection().connected_namespaces()
    }

    pub(crate) fn transport(&self) -> Option<Transport> {
        self.connection().transport()
    }

    pub(crate) async fn wait(&self) {
        self.lifecycle.disconnected().await;
    }

    // ----- tasks -----

    /// Remembers the runtime the connection runs on, and starts the handlers'
    /// dispatcher unless it runs.
    pub(crate) fn start_dispatcher(&self) {
        let _ = self.runtime.set(tokio::runtime::Handle::current());
        self.dispatcher.start();
    }

    /// Spawns on the current runtime, or (from a blocking client's thread) on the
    /// runtime the connection runs on.
    pub(crate) fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(&self, future: F) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(future)),
            Err(_) => match self.runtime.get() {
                Some(runtime) => drop(runtime.spawn(future)),
                None => warn!(target: "socketio", "no runtime to run a timer on"),
            },
        }
    }

    // ----- delivering -----

    /// Finds the handler of an event the client raises itself and queues it.
    pub(crate) fn trigger(&self, namespace: &str, event: &str, payload: Payload) {
        self.deliver(namespace, EventName::Owned(event.to_owned()), payload, None);
    }

    /// Finds the handler of an event (function handler, class method, catch-all) and
    /// queues it on the dispatcher. `name` is usually a span of the payload's text.
    pub(crate) fn deliver(
        &self,
        namespace: &str,
        name: EventName,
        payload: Payload,
        ack: Option<Ack>,
    ) {
        let event = name.resolve(&payload);
        let Some(found) = self.handlers.find(namespace, event) else {
            return;
        };
        let site = Site {
            reporter: self.reporter.clone(),
            namespace: found.namespace,
            event: found.event,
        };
        self.queue(Job::new(
            found.target,
            Call::named(name, payload, ack).at(site),
        ));
    }

    /// Runs `namespace`'s `disconnect` handler with `reason`.
    pub(crate) fn trigger_disconnect(&self, namespace: &str, reason: DisconnectReason) {
        let payload = Payload::new(&reason).unwrap_or_default();
        self.trigger(namespace, "disconnect", payload);
    }

    /// Runs an ack callback with the server's answer.
    pub(crate) fn run_callback(&self, handler: ErasedHandler, payload: Payload) {
        self.queue(Job::Handler(handler, Call::new("ack", payload, None)));
    }

    fn queue(&self, job: Job) {
        match self.dispatcher.push(job) {
            Ok(()) => {}
            Err(Refused::Behind(total)) => {
                // The handlers fell behind a server that keeps sending: drop the
                // connection rather than hold without bound what it sends.
                let limit = self.config.max_buffered;
                warn!(target: "socketio", buffered = total, limit, "the handlers fell behind; closing the connection");
                let link = self.connection().open_link().cloned();
                if let Some(link) = link {
                    link.outlet().close_with_error(format!(
                        "the handlers fell behind: {total} bytes waiting, at most {limit}"
                    ));
                }
            }
            Err(Refused::Closed) => {
                warn!(target: "socketio", "the handler dispatcher is gone; event dropped")
            }
        }
    }

    // ----- sending -----

    /// Whether the send buffer may take a packet now (not while disconnecting).
    fn may_buffer(&self) -> bool {
        self.state() != ConnectionState::Disconnecting
    }

    pub(crate) fn emit<T: Serialize + ?Sized>(
        &self,
        namespace: &str,
        event: &str,
        data: &T,
    ) -> Result<(), Error> {
        if self.config.retries > 0 {
            return self.enqueue(namespace, event, data, Completion::Nothing);
        }
        let out = encode_event(namespace, None, event, data)?;
        debug!(target: "socketio", %namespace, %event, "emitting");
        let may_buffer = self.may_buffer();
        self.connection()
            .send_or_buffer(namespace, None, out, may_buffer)
    }

    /// Emits with an ack id registered for `ack`; returns the id.
    fn emit_expecting(
        &self,
        namespace: &str,
        event: &str,
        data: &(impl Serialize + ?Sized),
        ack: PendingAck,
    ) -> Result<u64, Error> {
        let id = self.connection().acks.register(namespace, ack, true);
        let encoded = encode_event(namespace, Some(id), event, data).map_err(Error::from);
        let sent = encoded.and_then(|out| {
            debug!(target: "socketio", %namespace, %event, id, "emitting with ack");
            let may_buffer = self.may_buffer();
            self.connection()
                .send_or_buffer(namespace, Some(id), out, may_buffer)
        });
        match sent {
            Ok(()) => Ok(id),
            Err(error) => {
                self.connection().acks.expire(id);
                Err(error)
            }
        }
    }

    pub(crate) fn emit_with_ack<T: Serialize + ?Sized>(
        self: &Arc<Self>,
        namespace: &str,
        event: &str,
        data: &T,
        callback: ErasedHandler,
    ) -> Result<(), Error> {
        if self.config.retries > 0 {
            return self.enqueue(namespace, event, data, Completion::Callback(callback));
        }
        let id = self.emit_expecting(namespace, event, data, PendingAck::Callback(callback))?;
        // An ack that never comes must not hold its callback forever.
        let core = Arc::downgrade(self);
        let timeout = self.config.ack_timeout;
        self.spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(core) = core.upgrade() {
                if core.connection().acks.expire(id) {
                    debug!(target: "socketio", id, "ack callback expired");
                }
            }
        });
        Ok(())
    }

    pub(crate) async fn call<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        namespace: &str,
        event: &str,
        data: &T,
        timeout: Option<Duration>,
    ) -> Result<R, Error> {
        let awaited = self.expect_answer(namespace, event, data)?;
        let payload = self.answer(awaited, timeout).await?;
        Ok(crate::args::deserialize_reply(&payload)?)
    }

    /// Emits `event` asking for an ack; the answer is then waited for with
    /// [`answer`](Self::answer).
    fn expect_answer<T: Serialize + ?Sized>(
        &self,
        namespace: &str,
        event: &str,
        data: &T,
    ) -> Result<Awaited, Error> {
        let (tx, rx) = oneshot::channel();
        if self.config.retries > 0 {
            // The queue answers: the ack, or an error once out of tries.
            self.enqueue(namespace, event, data, Completion::Waiter(tx))?;
            return Ok(Awaited { id: None, rx });
        }
        let id = self.emit_expecting(namespace, event, data, PendingAck::Waiter(tx))?;
        Ok(Awaited { id: Some(id), rx })
    }

    /// The answer to an emit: its payload, `Timeout` once `timeout` (else the
    /// client's `ack_timeout`) passed, `Disconnected` when the connection was lost
    /// first. With `retries`, the queue's answer (it has its own timeouts).
    async fn answer(&self, awaited: Awaited, timeout: Option<Duration>) -> Result<Payload, Error> {
        let Some(id) = awaited.id else {
            return awaited.rx.await.map_err(|_| Error::Disconnected)?;
        };
        let timeout = timeout.unwrap_or(self.config.ack_timeout);
        match tokio::time::timeout(timeout, awaited.rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(Error::Disconnected),
            Err(_) => {
                self.connection().acks.expire(id);
                Err(Error::Timeout)
            }
        }
    }

    /// Emits `event`; `callback` is queued on the dispatcher exactly once, with the
    /// answer, `Timeout` or `Disconnected` (see [`answer`](Self::answer)).
    pub(crate) fn emit_with_ack_timeout<T, R>(
        self: &Arc<Self>,
        namespace: &str,
        event: &str,
        data: &T,
        timeout: Duration,
        callback: Box<dyn FnOnce(Result<R, Error>) -> Option<BoxFuture> + Send>,
    ) -> Result<(), Error>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned + Send + 'static,
    {
        let awaited = self.expect_answer(namespace, event, data)?;
        let core = self.clone();
        self.spawn(async move {
            let answer = core.answer(awaited, Some(timeout)).await;
            let result = answer.and_then(|p| Ok(crate::args::deserialize_reply(&p)?));
            let job = Job::Once(Box::new(move || callback(result)));
            if let Err(job) = core.dispatcher.push_or_return(job) {
                // The client was disconnected meanwhile: the callback still runs, here.
                let running = tokio::task::spawn_blocking(move || job.run()).await;
                if let Ok(Some(running)) = running {
                    running.finish().await;
                }
            }
        });
        Ok(())
    }

    /// Queues an emit for at-least-once delivery; the queue goes out one at a time.
    fn enqueue<T: Serialize + ?Sized>(
        &self,
        namespace: &str,
        event: &str,
        data: &T,
        completion: Completion,
    ) -> Result<(), Error> {
        if self.state() == ConnectionState::Disconnected {
            return Err(Error::NotConnected);
        }
        self.retry.push(Queued {
            namespace: namespace.to_owned(),
            event: event.to_owned(),
            args: crate::args::encode_args(data)?,
            tries: 0,
            completion,
        });
        Ok(())
    }
}
