//! The async core shared by both clients: the connection state machine, namespaces,
//! pending acks, and the dispatch of packets to handlers.
//!
//! A packet travels: engine event → [`Reader`] on the engine's driver task (decode,
//! reassemble attachments) → [`Core::on_packet`] → handler lookup → a job on the
//! dispatcher's queue ([`super::dispatcher`]), which runs handlers one at a time in
//! arrival order. Acks that a `call()` awaits are
//! completed by the reader directly, so a handler awaiting one never blocks it.

use std::collections::VecDeque;

// Looked up for every event and emit: a fast hasher. Only this client inserts keys
// (its handlers, namespaces, ack ids); the server's input is only looked up.
use rustc_hash::FxHashMap as HashMap;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{oneshot, watch};
use tracing::{debug, info, trace, warn};

use super::dispatcher::JobQueue;
use super::handler::{BoxFuture, Call, ErasedHandler};
use super::options::{ClientConfig, ConnectOptions, Parser};
use super::reason::DisconnectReason;
use crate::args::payload::EventName;
use crate::args::{encode_ack, encode_event, EncodedArgs, Outgoing, Payload};
use crate::engineio::{CloseReason, EngineEvent, EngineSocket, Text, Transport};
use crate::error::{DecodeError, Error};
use crate::packet::binary::Reassembler;
use crate::packet::{encode_header, PacketType, RawPacket};

/// Where the client is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Not connected, and not trying to be.
    Disconnected,
    /// `connect()` is opening the connection and its namespaces.
    Connecting,
    /// Connected: at least one namespace is open.
    Connected,
    /// The connection was lost by accident; the client is trying to get it back.
    Reconnecting,
    /// `disconnect()` is closing the connection.
    Disconnecting,
}

/// Whether `event` is one the client raises itself (a server cannot emit it).
pub(crate) fn is_reserved(event: &str) -> bool {
    matches!(
        event,
        "connect"
            | "connect_error"
            | "disconnect"
            | "reconnect_attempt"
            | "reconnect"
            | "reconnect_failed"
    )
}

/// A job for the dispatcher: a handler (or class method) and its call; running it
/// may return a future to await. An enum, so that queueing allocates nothing.
pub(crate) enum Job {
    Handler(ErasedHandler, Call),
    Class(Arc<dyn crate::namespace::Dispatch>, Call),
}

impl Job {
    /// The bytes of received data the job holds until it runs.
    fn size(&self) -> usize {
        match self {
            Job::Handler(_, call) | Job::Class(_, call) => call.payload.byte_size(),
        }
    }

    fn run(self) -> Option<BoxFuture> {
        match self {
            Job::Handler(handler, call) => handler(call),
            Job::Class(class, call) => class.dispatch(call),
        }
    }
}

/// How the dispatcher runs handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DispatchMode {
    /// On a tokio task (the async client).
    Task,
    /// On a dedicated thread where handlers may block (the blocking client).
    Thread,
}

/// Handlers of one namespace.
#[derive(Default)]
pub(crate) struct NamespaceHandlers {
    pub(crate) events: HashMap<String, ErasedHandler>,
    pub(crate) any: Option<ErasedHandler>,
    pub(crate) class: Option<Arc<dyn crate::namespace::Dispatch>>,
}

impl NamespaceHandlers {
    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.any.is_none() && self.class.is_none()
    }
}

/// A namespace of the current connection.
enum NamespaceState {
    /// CONNECT sent; `connect()` may wait for the answer.
    Connecting(Option<oneshot::Sender<Result<(), Error>>>),
    /// The server accepted it.
    Connected { sid: String },
}

/// The current connection, if any.
#[derive(Default)]
struct Connection {
    session: u64,
    engine: Option<EngineSocket>,
    namespaces: HashMap<String, NamespaceState>,
    /// Emits made while their namespace was not connected (see `send_buffer`).
    buffer: VecDeque<Buffered>,
    /// Events that arrived for a namespace before its CONNECT (replayed by recovery).
    early_events: Vec<EarlyEvent>,
    /// Connection state recovery, per namespace; kept across reconnections.
    recovery: HashMap<String, Recovery>,
}

/// What a socket.io ≥ 4.6 server needs to restore a namespace's session after a
/// reconnection: its private id and the offset of the last event received.
#[derive(Default)]
struct Recovery {
    pid: Option<String>,
    offset: Option<String>,
    recovered: bool,
}

/// An event received before its namespace's CONNECT: namespace, name, arguments, ack.
type EarlyEvent = (String, EventName, Payload, Option<Ack>);

struct Buffered {
    namespace: String,
    ack_id: Option<u64>,
    packet: Outgoing,
}

/// Where `connect()` was asked to go, kept for reconnecting.
#[derive(Clone)]
struct Target {
    url: String,
    options: ConnectOptions,
}

/// An answer the client waits for.
enum PendingAck {
    Waiter(oneshot::Sender<Result<Payload, Error>>),
    Callback(ErasedHandler),
}

struct Pending {
    namespace: String,
    ack: PendingAck,
    /// Whether the packet left (a buffered one is not failed when a connection is lost).
    sent: bool,
}

/// The answer to an event the server sent with an ack id.
///
/// Boxed: most events have none, and every event's job is moved a few times on its way
/// to the handler.
pub struct Ack(Box<AckTo>);

struct AckTo {
    parser: Parser,
    namespace: String,
    id: u64,
    engine: EngineSocket,
}

impl Ack {
    /// Sends `reply` as the ack's arguments (a tuple is several, `()` none).
    pub(crate) fn send<R: Serialize + ?Sized>(self, reply: &R) {
        let this = *self.0;
        match encode_ack(&this.namespace, this.id, reply) {
            Ok(out) => {
                trace!(target: "socketio", namespace = %this.namespace, id = this.id, "sending ack");
                let _ = send_outgoing(&this.engine, this.parser, out);
            }
            Err(error) => {
                warn!(target: "socketio", namespace = %this.namespace, id = this.id, %error, "ack reply does not serialize")
            }
        }
    }
}

fn send_outgoing(engine: &EngineSocket, parser: Parser, out: Outgoing) -> Result<(), Error> {
    match parser {
        Parser::Json => engine.send_with_binaries(out.text, out.attachments),
        #[cfg(feature = "msgpack")]
        Parser::MsgPack => {
            engine.send_binary(crate::packet::msgpack::encode(&out.text, &out.attachments)?.into())
        }
    }
}

/// Sends a packet without attachments (CONNECT, DISCONNECT).
fn send_control(engine: &EngineSocket, parser: Parser, text: String) -> Result<(), Error> {
    send_outgoing(
        engine,
        parser,
        Outgoing {
            text,
            attachments: Vec::new(),
        },
    )
}

pub(crate) struct Core {
    pub(crate) config: ClientConfig,
    /// The TLS configuration, built once (or why it could not be).
    tls: Result<Arc<rustls::ClientConfig>, String>,
    /// This client's cookies (load-balancer affinity), kept across reconnections.
    cookies: Arc<reqwest::cookie::Jar>,
    handlers: RwLock<HashMap<String, NamespaceHandlers>>,
    connection: Mutex<Connection>,
    acks: Mutex<HashMap<u64, Pending>>,
    next_ack_id: AtomicU64,
    state: watch::Sender<ConnectionState>,
    target: Mutex<Option<Target>>,
    /// The runtime the connection runs on (for timers started from outside it).
    runtime: std::sync::OnceLock<tokio::runtime::Handle>,
    retry_queue: Mutex<VecDeque<Queued>>,
    /// Whether a server offered connection state recovery (spares the hot path a lock).
    /// Events with an ack id never carry an offset.
    recovery_offered: std::sync::atomic::AtomicBool,
    retry_wakeup: Arc<tokio::sync::Notify>,
    jobs: Arc<JobQueue<Job>>,
    /// Bytes of received data waiting for the handlers (bounded by `max_buffered`).
    buffered: Arc<std::sync::atomic::AtomicUsize>,
    dispatcher_started: std::sync::atomic::AtomicBool,
    dispatch: DispatchMode,
}

impl Drop for Core {
    fn drop(&mut self) {
        // The dispatcher ends once it has run what is queued.
        self.jobs.close();
    }
}

impl Core {
    pub(crate) fn new(config: ClientConfig, dispatch: DispatchMode) -> Arc<Core> {
        crate::logging::install(config.logger, config.engineio_logger);
        let tls = config.tls.build().map_err(|error| match error {
            Error::Tls(message) => message,
            other => other.to_string(),
        });
        Arc::new(Core {
            tls,
            cookies: Arc::new(reqwest::cookie::Jar::default()),
            config,
            handlers: RwLock::new(HashMap::default()),
            connection: Mutex::new(Connection::default()),
            acks: Mutex::new(HashMap::default()),
            next_ack_id: AtomicU64::new(0),
            state: watch::Sender::new(ConnectionState::Disconnected),
            target: Mutex::new(None),
            runtime: std::sync::OnceLock::new(),
            retry_queue: Mutex::new(VecDeque::new()),
            recovery_offered: std::sync::atomic::AtomicBool::new(false),
            retry_wakeup: Arc::new(tokio::sync::Notify::new()),
            jobs: Arc::new(JobQueue::new(dispatch)),
            buffered: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            dispatcher_started: std::sync::atomic::AtomicBool::new(false),
            dispatch,
        })
    }

    // ----- handlers -----

    pub(crate) fn on(&self, namespace: &str, event: &str, handler: ErasedHandler) {
        self.with_handlers(namespace, |h| {
            h.events.insert(event.to_owned(), handler);
        });
    }

    pub(crate) fn on_any(&self, namespace: &str, handler: ErasedHandler) {
        self.with_handlers(namespace, |h| h.any = Some(handler));
    }

    pub(crate) fn set_class(&self, namespace: &str, class: Arc<dyn crate::namespace::Dispatch>) {
        self.with_handlers(namespace, |h| h.class = Some(class));
    }

    fn with_handlers(&self, namespace: &str, f: impl FnOnce(&mut NamespaceHandlers)) {
        let mut handlers = self.handlers.write().unwrap_or_else(|e| e.into_inner());
        f(handlers.entry(namespace.to_owned()).or_default());
    }

    /// Namespaces that have handlers, `/` first; `/` alone when none has.
    fn handled_namespaces(&self) -> Vec<String> {
        let handlers = self.handlers.read().unwrap_or_else(|e| e.into_inner());
        let mut namespaces: Vec<String> = handlers
            .iter()
            .filter(|(_, h)| !h.is_empty())
            .map(|(ns, _)| ns.clone())
            .collect();
        namespaces.sort_by(|a, b| (a != "/").cmp(&(b != "/")).then(a.cmp(b)));
        if namespaces.is_empty() {
            namespaces.push("/".to_owned());
        }
        namespaces
    }

    // ----- state -----

    pub(crate) fn state(&self) -> ConnectionState {
        *self.state.borrow()
    }

    fn set_state(&self, state: ConnectionState) {
        self.state.send_replace(state);
    }

    pub(crate) fn sid(&self, namespace: &str) -> Option<String> {
        let connection = self.lock_connection();
        match connection.namespaces.get(namespace) {
            Some(NamespaceState::Connected { sid }) => Some(sid.clone()),
            _ => None,
        }
    }

    /// Whether `namespace`'s last connection restored its session (connection state
    /// recovery, socket.io ≥ 4.6 servers).
    pub(crate) fn recovered(&self, namespace: &str) -> bool {
        self.lock_connection()
            .recovery
            .get(namespace)
            .is_some_and(|r| r.recovered)
    }

    pub(crate) fn connected_namespaces(&self) -> Vec<String> {
        let connection = self.lock_connection();
        let mut namespaces: Vec<String> = connection
            .namespaces
            .iter()
            .filter(|(_, state)| matches!(state, NamespaceState::Connected { .. }))
            .map(|(ns, _)| ns.clone())
            .collect();
        namespaces.sort();
        namespaces
    }

    pub(crate) fn transport(&self) -> Option<Transport> {
        self.lock_connection()
            .engine
            .as_ref()
            .filter(|engine| !engine.is_closed())
            .map(EngineSocket::transport)
    }

    fn lock_connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_acks(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Pending>> {
        self.acks.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) async fn wait(&self) {
        let mut state = self.state.subscribe();
        let _ = state
            .wait_for(|s| *s == ConnectionState::Disconnected)
            .await;
    }

    // ----- connecting -----

    pub(crate) async fn connect(
        self: &Arc<Self>,
        url: &str,
        options: ConnectOptions,
    ) -> Result<(), Error> {
        let previous = self.state.send_replace(ConnectionState::Connecting);
        if previous != ConnectionState::Disconnected {
            self.state.send_replace(previous);
            return Err(Error::AlreadyConnected);
        }
        let namespaces = options
            .namespaces
            .clone()
            .unwrap_or_else(|| self.handled_namespaces());
        *self.target.lock().unwrap_or_else(|e| e.into_inner()) = Some(Target {
            url: url.to_owned(),
            options: options.clone(),
        });
        match self.open(url, &options, &namespaces).await {
            Ok(()) => {
                self.advance(ConnectionState::Connecting, ConnectionState::Connected);
                Ok(())
            }
            Err(error) => {
                self.close_connection(None).await;
                if options.retry
                    && self.config.reconnection.enabled
                    && self.advance(ConnectionState::Connecting, ConnectionState::Reconnecting)
                {
                    info!(target: "socketio", %error, "connect failed; retrying");
                    return self.reconnect(namespaces, error).await;
                }
                self.advance(ConnectionState::Connecting, ConnectionState::Disconnected);
                Err(error)
            }
        }
    }

    /// Moves from state `from` to `to`; false (and nothing changes) when in another state.
    fn advance(&self, from: ConnectionState, to: ConnectionState) -> bool {
        self.state.send_if_modified(|state| {
            if *state == from {
                *state = to;
                true
            } else {
                false
            }
        })
    }

    /// Tries to connect `namespaces` again, with exponential backoff, until connected,
    /// given up (`reconnection_attempts`), or cancelled by `disconnect()`.
    async fn reconnect(
        self: &Arc<Self>,
        namespaces: Vec<String>,
        mut last: Error,
    ) -> Result<(), Error> {
        let Some(target) = self
            .target
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        else {
            self.advance(ConnectionState::Reconnecting, ConnectionState::Disconnected);
            return Err(last);
        };
        let policy = self.config.reconnection;
        let mut state = self.state.subscribe();
        let mut attempt = 0;
        loop {
            if policy.attempts > 0 && attempt >= policy.attempts {
                warn!(target: "socketio", attempts = attempt, "giving up reconnecting");
                self.trigger("/", "reconnect_failed", Payload::default(), None);
                self.advance(ConnectionState::Reconnecting, ConnectionState::Disconnected);
                return Err(Error::GaveUp {
                    attempts: attempt,
                    last: last.to_string(),
                });
            }
            attempt += 1;
            let delay = policy.delay(attempt, fastrand::f64());
            debug!(target: "socketio", attempt, ?delay, "reconnecting after a delay");
            let cancelled = tokio::select! {
                () = tokio::time::sleep(delay) => false,
                _ = state.wait_for(|s| *s != ConnectionState::Reconnecting) => true,
            };
            if cancelled || self.state() != ConnectionState::Reconnecting {
                return Err(Error::NotConnected);
            }
            self.trigger(
                "/",
                "reconnect_attempt",
                Payload::new(&attempt).unwrap_or_default(),
                None,
            );
            match self.open(&target.url, &target.options, &namespaces).await {
                Ok(())
                    if self.advance(ConnectionState::Reconnecting, ConnectionState::Connected) =>
                {
                    info!(target: "socketio", attempt, "reconnected");
                    self.trigger(
                        "/",
                        "reconnect",
                        Payload::new(&attempt).unwrap_or_default(),
                        None,
                    );
                    return Ok(());
                }
                Ok(()) => {
                    // disconnect() was called meanwhile.
                    self.close_connection(None).await;
                    return Err(Error::NotConnected);
                }
                Err(error) => {
                    debug!(target: "socketio", attempt, %error, "reconnection attempt failed");
                    self.close_connection(None).await;
                    last = error;
                }
            }
        }
    }

    async fn open(
        self: &Arc<Self>,
        url: &str,
        options: &ConnectOptions,
        namespaces: &[String],
    ) -> Result<(), Error> {
        // Handlers may run from here on (connect_error included).
        self.start_dispatcher();
        let tls = self.tls.clone().map_err(Error::Tls)?;
        let engine_options = self
            .config
            .engine_options(url, options, tls, self.cookies.clone())?;
        info!(target: "socketio", url = %crate::engineio::options::redacted_url(&engine_options.url), ?namespaces, "connecting");
        let (engine, engine_session) = match EngineSocket::open(engine_options).await {
            Ok(connected) => connected,
            Err(error) => {
                let data = serde_json::json!({ "message": error.to_string() });
                for namespace in namespaces {
                    self.trigger(
                        namespace,
                        "connect_error",
                        Payload::new(&data).unwrap_or_default(),
                        None,
                    );
                }
                return Err(error);
            }
        };
        let auth = options.auth.clone();
        let legacy = engine.protocol() == crate::engineio::Protocol::V3;
        if legacy && auth.is_some() {
            warn!(target: "socketio", "Socket.IO v2 servers take no auth payload; use the URL's query string");
        }
        let mut waiters = Vec::with_capacity(namespaces.len());
        let session = {
            let mut connection = self.lock_connection();
            connection.session += 1;
            connection.engine = Some(engine.clone());
            connection.namespaces.clear();
            connection.early_events.clear();
            for namespace in namespaces {
                let (tx, rx) = oneshot::channel();
                connection
                    .namespaces
                    .insert(namespace.clone(), NamespaceState::Connecting(Some(tx)));
                waiters.push((namespace.clone(), rx));
                if legacy && namespace == "/" {
                    // Socket.IO protocol 4 (v2 servers) connects `/` by itself.
                    continue;
                }
                let mut text = String::new();
                encode_header(PacketType::Connect, 0, namespace, None, &mut text);
                if legacy {
                    // The v2 CONNECT carries no auth (and needs the comma).
                    if namespace != "/" && !text.ends_with(',') {
                        text.push(',');
                    }
                } else if let Some(auth) =
                    connection_auth(auth.as_ref(), connection.recovery.get(namespace))
                {
                    text.push_str(&serde_json::to_string(&auth)?);
                }
                send_control(&engine, self.config.parser, text)?;
            }
            connection.session
        };
        engine_session.start(Reader::new(self.clone(), session, engine));
        if !options.wait {
            return Ok(());
        }
        let all = async {
            for (namespace, waiter) in waiters {
                match waiter.await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => return Err(error),
                    Err(_) => {
                        debug!(target: "socketio", %namespace, "connection lost while connecting");
                        return Err(Error::ConnectionFailed(format!(
                            "connection lost before namespace {namespace} connected"
                        )));
                    }
                }
            }
            Ok(())
        };
        tokio::time::timeout(options.wait_timeout, all)
            .await
            .map_err(|_| Error::Timeout)?
    }

    /// Spawns on the current runtime, or (from a blocking client's thread) on the
    /// runtime the connection runs on.
    fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(&self, future: F) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(future)),
            Err(_) => match self.runtime.get() {
                Some(runtime) => drop(runtime.spawn(future)),
                None => warn!(target: "socketio", "no runtime to run a timer on"),
            },
        }
    }

    fn start_dispatcher(self: &Arc<Self>) {
        let _ = self.runtime.set(tokio::runtime::Handle::current());
        if self.dispatcher_started.swap(true, Ordering::AcqRel) {
            return;
        }
        if self.config.retries > 0 {
            tokio::spawn(Core::retry_worker(Arc::downgrade(self)));
        }
        let jobs = self.jobs.clone();
        match self.dispatch {
            DispatchMode::Task => {
                let buffered = self.buffered.clone();
                tokio::spawn(async move {
                    let mut batch = VecDeque::new();
                    while jobs.next_batch(&mut batch).await {
                        while let Some(job) = batch.pop_front() {
                            buffered.fetch_sub(job.size(), Ordering::Relaxed);
                            if let Some(future) = run_job(job) {
                                let _ = AssertUnwindSafe(future)
                                    .catch_unwind()
                                    .await
                                    .map_err(log_panic);
                            }
                        }
                    }
                });
            }
            DispatchMode::Thread => {
                let runtime = tokio::runtime::Handle::current();
                let buffered = self.buffered.clone();
                let spawned = std::thread::Builder::new()
                    .name("socketio-handlers".into())
                    .spawn(move || {
                        let mut batch = VecDeque::new();
                        while jobs.next_batch_blocking(&mut batch) {
                            while let Some(job) = batch.pop_front() {
                                buffered.fetch_sub(job.size(), Ordering::Relaxed);
                                if let Some(future) = run_job(job) {
                                    let _ = runtime
                                        .block_on(AssertUnwindSafe(future).catch_unwind())
                                        .map_err(log_panic);
                                }
                            }
                        }
                    });
                if let Err(error) = spawned {
                    warn!(target: "socketio", %error, "could not start the handler thread");
                }
            }
        }
    }

    // ----- sending -----

    /// Sends a packet if its namespace is connected; otherwise queues it in the send
    /// buffer when there is room.
    fn send_or_buffer(
        &self,
        namespace: &str,
        ack_id: Option<u64>,
        packet: Outgoing,
    ) -> Result<(), Error> {
        let mut connection = self.lock_connection();
        if let (Some(NamespaceState::Connected { .. }), Some(engine)) =
            (connection.namespaces.get(namespace), &connection.engine)
        {
            return send_outgoing(engine, self.config.parser, packet);
        }
        let capacity = self.config.send_buffer;
        if capacity == 0 || self.state() == ConnectionState::Disconnecting {
            return Err(Error::NotConnected);
        }
        if connection.buffer.len() >= capacity {
            return Err(Error::BufferFull);
        }
        debug!(target: "socketio", %namespace, "not connected: buffering the packet");
        connection.buffer.push_back(Buffered {
            namespace: namespace.to_owned(),
            ack_id,
            packet,
        });
        if let Some(id) = ack_id {
            if let Some(pending) = self.lock_acks().get_mut(&id) {
                pending.sent = false;
            }
        }
        Ok(())
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
        self.send_or_buffer(namespace, None, out)
    }

    fn emit_expecting(
        &self,
        namespace: &str,
        event: &str,
        data: &(impl Serialize + ?Sized),
        ack: PendingAck,
    ) -> Result<u64, Error> {
        let id = self.next_ack_id.fetch_add(1, Ordering::Relaxed);
        let out = encode_event(namespace, Some(id), event, data)?;
        self.lock_acks().insert(
            id,
            Pending {
                namespace: namespace.to_owned(),
                ack,
                sent: true,
            },
        );
        debug!(target: "socketio", %namespace, %event, id, "emitting with ack");
        if let Err(error) = self.send_or_buffer(namespace, Some(id), out) {
            self.lock_acks().remove(&id);
            return Err(error);
        }
        Ok(id)
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
                if core.lock_acks().remove(&id).is_some() {
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
        let (tx, rx) = oneshot::channel();
        if self.config.retries > 0 {
            // The queue answers: the ack, or an error once out of tries.
            self.enqueue(namespace, event, data, Completion::Waiter(tx))?;
            let payload = rx.await.map_err(|_| Error::Disconnected)??;
            return Ok(payload.deserialize_reply()?);
        }
        let id = self.emit_expecting(namespace, event, data, PendingAck::Waiter(tx))?;
        let timeout = timeout.unwrap_or(self.config.ack_timeout);
        let payload = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result?,
            Ok(Err(_)) => return Err(Error::Disconnected),
            Err(_) => {
                self.lock_acks().remove(&id);
                return Err(Error::Timeout);
            }
        };
        Ok(payload.deserialize_reply()?)
    }

    // ----- disconnecting -----

    /// Leaves one namespace; closes the connection when it was the last one.
    pub(crate) async fn disconnect_namespace(&self, namespace: &str) {
        let (engine, was_connected, last) = {
            let mut connection = self.lock_connection();
            let was_connected = matches!(
                connection.namespaces.remove(namespace),
                Some(NamespaceState::Connected { .. })
            );
            (
                connection.engine.clone(),
                was_connected,
                connection.namespaces.is_empty(),
            )
        };
        let Some(engine) = engine else { return };
        if was_connected {
            let mut text = String::new();
            encode_header(PacketType::Disconnect, 0, namespace, None, &mut text);
            let _ = send_control(&engine, self.config.parser, text);
            self.fail_acks(Some(namespace));
            self.trigger_disconnect(namespace, DisconnectReason::ClientDisconnect);
        }
        if last {
            self.disconnect().await;
        }
    }

    /// Leaves every namespace and closes the connection; returns once the server was told.
    pub(crate) async fn disconnect(&self) {
        let previous = self.state.send_replace(ConnectionState::Disconnecting);
        // What was buffered for a connection that will not come back is dropped, and
        // so is the session the server could have restored.
        let dropped: Vec<Buffered> = {
            let mut connection = self.lock_connection();
            connection.recovery.clear();
            connection.buffer.drain(..).collect()
        };
        for buffered in dropped {
            if let Some(id) = buffered.ack_id {
                if let Some(Pending {
                    ack: PendingAck::Waiter(tx),
                    ..
                }) = self.lock_acks().remove(&id)
                {
                    let _ = tx.send(Err(Error::NotConnected));
                }
            }
        }
        if previous == ConnectionState::Disconnected {
            self.set_state(ConnectionState::Disconnected);
            return;
        }
        self.close_connection(Some(DisconnectReason::ClientDisconnect))
            .await;
        self.set_state(ConnectionState::Disconnected);
        info!(target: "socketio", "disconnected");
    }

    /// Sends DISCONNECT for every connected namespace (when `reason` is given, their
    /// `disconnect` handlers run with it), then closes the engine.
    async fn close_connection(&self, reason: Option<DisconnectReason>) {
        let (engine, namespaces) = {
            let mut connection = self.lock_connection();
            let namespaces: Vec<String> = connection
                .namespaces
                .drain()
                .filter(|(_, state)| matches!(state, NamespaceState::Connected { .. }))
                .map(|(ns, _)| ns)
                .collect();
            (connection.engine.take(), namespaces)
        };
        if let Some(engine) = &engine {
            for namespace in &namespaces {
                let mut text = String::new();
                encode_header(PacketType::Disconnect, 0, namespace, None, &mut text);
                let _ = send_control(engine, self.config.parser, text);
            }
        }
        self.fail_acks(None);
        if let Some(reason) = reason {
            for namespace in &namespaces {
                self.trigger_disconnect(namespace, reason);
            }
        }
        if let Some(engine) = engine {
            engine.close().await;
        }
    }

    /// Fails the pending acks of `namespace` (of all namespaces with `None`).
    fn fail_acks(&self, namespace: Option<&str>) {
        let failed: Vec<Pending> = {
            let mut acks = self.lock_acks();
            let ids: Vec<u64> = acks
                .iter()
                .filter(|(_, p)| p.sent && namespace.is_none_or(|ns| p.namespace == ns))
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| acks.remove(id)).collect()
        };
        for pending in failed {
            if let PendingAck::Waiter(tx) = pending.ack {
                let _ = tx.send(Err(Error::Disconnected));
            }
        }
    }

    // ----- receiving -----

    fn on_engine_closed(self: &Arc<Self>, session: u64, reason: CloseReason) {
        let namespaces = {
            let mut connection = self.lock_connection();
            if connection.session != session {
                return;
            }
            connection.engine = None;
            std::mem::take(&mut connection.namespaces)
        };
        let reason = match reason {
            CloseReason::Client => DisconnectReason::ClientDisconnect,
            CloseReason::Server | CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::InvalidInput(_) => DisconnectReason::ParseError,
            CloseReason::TransportError(_) => DisconnectReason::TransportError,
        };
        info!(target: "socketio", %reason, "connection closed");
        self.fail_acks(None);
        let mut lost = Vec::new();
        for (namespace, state) in namespaces {
            match state {
                NamespaceState::Connected { .. } => {
                    self.trigger_disconnect(&namespace, reason);
                    lost.push(namespace);
                }
                NamespaceState::Connecting(Some(waiter)) => {
                    let _ = waiter.send(Err(Error::ConnectionFailed(format!(
                        "connection closed: {reason}"
                    ))));
                }
                NamespaceState::Connecting(None) => {}
            }
        }
        lost.sort_by(|a, b| (a != "/").cmp(&(b != "/")).then(a.cmp(b)));
        if reason.is_accidental()
            && self.config.reconnection.enabled
            && !lost.is_empty()
            && self.advance(ConnectionState::Connected, ConnectionState::Reconnecting)
        {
            let core = self.clone();
            let error = Error::ConnectionFailed(format!("connection lost: {reason}"));
            tokio::spawn(async move {
                let _ = core.reconnect(lost, error).await;
            });
        } else {
            self.advance(ConnectionState::Connected, ConnectionState::Disconnected);
        }
    }

    fn on_packet(
        &self,
        engine: &EngineSocket,
        packet: RawPacket<'_>,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<(), DecodeError> {
        let namespace = packet.namespace;
        trace!(target: "socketio", kind = ?packet.kind, %namespace, id = ?packet.id, "received");
        match packet.kind {
            PacketType::Connect => {
                #[derive(serde::Deserialize)]
                struct Connected {
                    sid: String,
                    #[serde(default)]
                    pid: Option<String>,
                }
                let Connected { sid, pid } = if packet.data.is_empty() {
                    // Socket.IO protocol 4 (v2 servers): no data; the id is derived.
                    let sid = match namespace {
                        "/" => engine.sid().to_owned(),
                        other => format!("{other}#{}", engine.sid()),
                    };
                    Connected { sid, pid: None }
                } else {
                    serde_json::from_str(packet.data).map_err(data_error)?
                };
                let waiter = {
                    let mut connection = self.lock_connection();
                    match connection.namespaces.get_mut(namespace) {
                        Some(state) if matches!(state, NamespaceState::Connecting(_)) => {
                            let waiter = match state {
                                NamespaceState::Connecting(waiter) => waiter.take(),
                                NamespaceState::Connected { .. } => None,
                            };
                            *state = NamespaceState::Connected { sid: sid.clone() };
                            let recovery =
                                connection.recovery.entry(namespace.to_owned()).or_default();
                            recovery.recovered = pid.is_some() && recovery.pid == pid;
                            if !recovery.recovered {
                                recovery.offset = None;
                            }
                            if pid.is_some() {
                                self.recovery_offered.store(true, Ordering::Relaxed);
                            }
                            recovery.pid = pid;
                            self.flush_buffer(&mut connection, namespace, engine);
                            waiter
                        }
                        _ => {
                            debug!(target: "socketio", %namespace, "CONNECT for a namespace not requested; ignored");
                            return Ok(());
                        }
                    }
                };
                info!(target: "socketio", %namespace, %sid, "namespace connected");
                self.trigger(namespace, "connect", Payload::default(), None);
                let early: Vec<EarlyEvent> = {
                    let mut connection = self.lock_connection();
                    let (mine, others) = std::mem::take(&mut connection.early_events)
                        .into_iter()
                        .partition(|(ns, ..)| ns == namespace);
                    connection.early_events = others;
                    mine
                };
                for (_, name, payload, ack) in early {
                    self.trigger_named(namespace, name, payload, ack);
                }
                if let Some(waiter) = waiter {
                    let _ = waiter.send(Ok(()));
                }
            }
            PacketType::ConnectError => {
                let data: serde_json::Value = if packet.data.is_empty() {
                    serde_json::Value::Null
                } else {
                    serde_json::from_str(packet.data).map_err(data_error)?
                };
                let message = match &data {
                    serde_json::Value::String(message) => message.clone(),
                    other => other
                        .get("message")
                        .and_then(|m| m.as_str())
                        .unwrap_or("refused")
                        .to_owned(),
                };
                let waiter = {
                    let mut connection = self.lock_connection();
                    match connection.namespaces.remove(namespace) {
                        Some(NamespaceState::Connecting(waiter)) => waiter,
                        Some(connected) => {
                            connection
                                .namespaces
                                .insert(namespace.to_owned(), connected);
                            None
                        }
                        None => None,
                    }
                };
                info!(target: "socketio", %namespace, %message, "namespace refused");
                let payload = Payload::new(&data).unwrap_or_default();
                self.trigger(namespace, "connect_error", payload, None);
                if let Some(waiter) = waiter {
                    let _ = waiter.send(Err(Error::NamespaceRefused {
                        namespace: namespace.to_owned(),
                        message,
                        data: data.get("data").cloned(),
                    }));
                }
            }
            PacketType::Disconnect => {
                let (was_connected, last) = {
                    let mut connection = self.lock_connection();
                    let removed = connection.namespaces.remove(namespace);
                    (
                        matches!(removed, Some(NamespaceState::Connected { .. })),
                        connection.namespaces.is_empty(),
                    )
                };
                if was_connected {
                    info!(target: "socketio", %namespace, "disconnected by the server");
                    self.fail_acks(Some(namespace));
                    self.trigger_disconnect(namespace, DisconnectReason::ServerDisconnect);
                }
                if last {
                    // Nothing left on this connection: close it, without reconnecting.
                    let engine = engine.clone();
                    tokio::spawn(async move { engine.close().await });
                }
            }
            PacketType::Event | PacketType::BinaryEvent => {
                self.on_event(
                    engine,
                    namespace,
                    packet.id,
                    packet.data.into(),
                    0,
                    attachments,
                )?;
            }
            PacketType::Ack | PacketType::BinaryAck => {
                let payload = Payload::from_ack(packet.data.into(), 0, attachments);
                self.on_ack(namespace, packet.id, payload)?;
            }
        }
        Ok(())
    }

    /// An ACK: completes the `call()` or callback waiting for it.
    fn on_ack(
        &self,
        namespace: &str,
        id: Option<u64>,
        payload: Payload,
    ) -> Result<(), DecodeError> {
        let id = id.ok_or(DecodeError::AckId)?;
        let pending = self.lock_acks().remove(&id);
        match pending {
            Some(pending) if pending.namespace == namespace => match pending.ack {
                PendingAck::Waiter(tx) => {
                    let _ = tx.send(Ok(payload));
                }
                PendingAck::Callback(handler) => {
                    self.run(Call::new("ack", payload, None), handler);
                }
            },
            Some(pending) => {
                // Wrong namespace: keep it for its own.
                self.lock_acks().insert(id, pending);
                debug!(target: "socketio", %namespace, id, "ack for another namespace; ignored");
            }
            None => {
                debug!(target: "socketio", %namespace, id, "ack with no pending call (timed out?); ignored")
            }
        }
        Ok(())
    }

    /// An EVENT: its arguments stay in `data` (from `start` on), moved, not copied.
    fn on_event(
        &self,
        engine: &EngineSocket,
        namespace: &str,
        id: Option<u64>,
        data: Text,
        start: usize,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<(), DecodeError> {
        let name = crate::args::payload::event_name(&data, start).map_err(data_error)?;
        let ack = id.map(|id| {
            Ack(Box::new(AckTo {
                parser: self.config.parser,
                namespace: namespace.to_owned(),
                id,
                engine: engine.clone(),
            }))
        });
        let payload = Payload::from_named_event(data, start, &name, attachments);
        if is_reserved(name.resolve(&payload)) {
            warn!(target: "socketio", event = %name.resolve(&payload), "the server emitted a reserved event; ignored");
            return Ok(());
        }
        // With connection state recovery, a server event ends with its offset.
        if self.recovery_offered.load(Ordering::Relaxed) && id.is_none() {
            if let Some(offset) = payload
                .last_raw()
                .filter(|raw| raw.get().starts_with('"'))
                .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
            {
                let mut connection = self.lock_connection();
                if let Some(recovery) = connection
                    .recovery
                    .get_mut(namespace)
                    .filter(|r| r.pid.is_some())
                {
                    recovery.offset = Some(offset);
                }
            }
        }
        debug!(target: "socketio", %namespace, event = %name.resolve(&payload), "received event");
        {
            // A recovered session's missed events come before its CONNECT: they
            // are handled after the `connect` handler, as socket.io-client does.
            let mut connection = self.lock_connection();
            if let Some(NamespaceState::Connecting(_)) = connection.namespaces.get(namespace) {
                connection
                    .early_events
                    .push((namespace.to_owned(), name, payload, ack));
                return Ok(());
            }
        }
        self.trigger_named(namespace, name, payload, ack);
        Ok(())
    }

    /// Sends what was buffered for `namespace`, in order, now that it is connected.
    fn flush_buffer(&self, connection: &mut Connection, namespace: &str, engine: &EngineSocket) {
        if connection.buffer.is_empty() {
            return;
        }
        let (flush, keep): (VecDeque<Buffered>, VecDeque<Buffered>) = connection
            .buffer
            .drain(..)
            .partition(|buffered| buffered.namespace == namespace);
        connection.buffer = keep;
        debug!(target: "socketio", %namespace, count = flush.len(), "sending buffered packets");
        let mut acks = self.lock_acks();
        for buffered in flush {
            if let Some(pending) = buffered.ack_id.and_then(|id| acks.get_mut(&id)) {
                pending.sent = true;
            }
            let _ = send_outgoing(engine, self.config.parser, buffered.packet);
        }
    }

    fn trigger_disconnect(&self, namespace: &str, reason: DisconnectReason) {
        let payload = Payload::new(&reason).unwrap_or_default();
        self.trigger(namespace, "disconnect", payload, None);
    }

    /// Finds the handler of an event (function handler, class method, catch-all) and
    /// queues it on the dispatcher.
    pub(crate) fn trigger(&self, namespace: &str, event: &str, payload: Payload, ack: Option<Ack>) {
        self.trigger_named(namespace, EventName::Owned(event.to_owned()), payload, ack);
    }

    /// [`trigger`](Self::trigger) with the event's name as the packet gave it (usually a
    /// span of the payload's text, so no copy).
    fn trigger_named(&self, namespace: &str, name: EventName, payload: Payload, ack: Option<Ack>) {
        enum Target {
            Handler(ErasedHandler),
            Class(Arc<dyn crate::namespace::Dispatch>),
        }
        let target = {
            let handlers = self.handlers.read().unwrap_or_else(|e| e.into_inner());
            let event = name.resolve(&payload);
            let found = handlers.get(namespace);
            if let Some(handler) = found.and_then(|found| found.events.get(event)) {
                Target::Handler(handler.clone())
            } else if let Some(class) = found
                .and_then(|found| found.class.as_ref())
                .filter(|c| c.handles(event))
            {
                Target::Class(class.clone())
            } else if let (Some(any), false) = (
                found.and_then(|found| found.any.as_ref()),
                is_reserved(event),
            ) {
                Target::Handler(any.clone())
            } else {
                debug!(target: "socketio", %namespace, %event, "no handler");
                return;
            }
        };
        let call = Call::named(name, payload, ack);
        self.queue(match target {
            Target::Handler(handler) => Job::Handler(handler, call),
            Target::Class(class) => Job::Class(class, call),
        });
    }

    fn run(&self, call: Call, handler: ErasedHandler) {
        self.queue(Job::Handler(handler, call));
    }

    fn queue(&self, job: Job) {
        let size = job.size();
        let total = self.buffered.fetch_add(size, Ordering::Relaxed) + size;
        if total > self.config.max_buffered {
            // The handlers fell behind a server that keeps sending: drop the connection
            // rather than hold without bound what it sends.
            self.buffered.fetch_sub(size, Ordering::Relaxed);
            warn!(target: "socketio", buffered = total, limit = self.config.max_buffered,
                "the handlers fell behind; closing the connection");
            if let Some(engine) = self.lock_connection().engine.clone() {
                engine.close_with_error(format!(
                    "the handlers fell behind: {total} bytes waiting, at most {}",
                    self.config.max_buffered
                ));
            }
            return;
        }
        if !self.jobs.push(job) {
            warn!(target: "socketio", "the handler dispatcher is gone; event dropped");
        }
    }
}

/// The CONNECT packet's auth: the user's object, plus `pid` and `offset` when the
/// server offered connection state recovery.
fn connection_auth(
    auth: Option<&serde_json::Value>,
    recovery: Option<&Recovery>,
) -> Option<serde_json::Value> {
    let Some(pid) = recovery.and_then(|r| r.pid.as_ref()) else {
        return auth.cloned();
    };
    // As socket.io-client: the user's keys win over `pid` and `offset`.
    let mut object = serde_json::Map::new();
    object.insert("pid".into(), pid.clone().into());
    if let Some(offset) = recovery.and_then(|r| r.offset.as_ref()) {
        object.insert("offset".into(), offset.clone().into());
    }
    if let Some(serde_json::Value::Object(auth)) = auth {
        object.extend(auth.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Some(serde_json::Value::Object(object))
}

/// Runs a job; a panicking handler is logged and the dispatcher goes on.
fn run_job(job: Job) -> Option<BoxFuture> {
    std::panic::catch_unwind(AssertUnwindSafe(|| job.run())).unwrap_or_else(|panic| {
        log_panic(panic);
        None
    })
}

fn log_panic(panic: Box<dyn std::any::Any + Send>) {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    warn!(target: "socketio", %message, "a handler panicked");
}

fn data_error(error: serde_json::Error) -> DecodeError {
    DecodeError::Data(error.to_string())
}

/// Reads one connection's engine events, on the engine's driver task: decodes the
/// Socket.IO packets, reassembles attachments, and updates the state or queues handlers.
struct Reader {
    core: Arc<Core>,
    session: u64,
    engine: EngineSocket,
    reassembler: Reassembler,
    /// After invalid input nothing more from this connection is trusted: what was
    /// already queued behind it is dropped, as socket.io-client does.
    broken: bool,
}

impl Reader {
    fn new(core: Arc<Core>, session: u64, engine: EngineSocket) -> Reader {
        Reader {
            reassembler: Reassembler::new(core.config.max_payload),
            core,
            session,
            engine,
            broken: false,
        }
    }

    fn read(&mut self, event: EngineEvent) -> Result<(), DecodeError> {
        let (core, engine) = (&self.core, &self.engine);
        let max_attachments = core.config.max_attachments;
        match event {
            EngineEvent::Message(_) if core.config.parser != Parser::Json => Err(
                DecodeError::Data("a text message, but the parser is msgpack".into()),
            ),
            EngineEvent::Message(text) => match RawPacket::decode(&text, max_attachments) {
                Ok(packet) if packet.kind.is_binary() && packet.attachments > 0 => {
                    let expected = packet.attachments;
                    self.reassembler.start(text, expected)
                }
                Ok(packet) if matches!(packet.kind, PacketType::Event | PacketType::Ack) => {
                    // The common cases: the arguments keep the message's buffer.
                    let namespace = if packet.namespace == "/" {
                        std::borrow::Cow::Borrowed("/")
                    } else {
                        std::borrow::Cow::Owned(packet.namespace.to_owned())
                    };
                    let (kind, id) = (packet.kind, packet.id);
                    let start = packet.data.as_ptr() as usize - text.as_ptr() as usize;
                    if kind == PacketType::Event {
                        core.on_event(engine, &namespace, id, text, start, Vec::new())
                    } else {
                        core.on_ack(&namespace, id, Payload::from_ack(text, start, Vec::new()))
                    }
                }
                Ok(packet) => core.on_packet(engine, packet, Vec::new()),
                Err(error) => Err(error),
            },
            #[cfg(feature = "msgpack")]
            EngineEvent::Binary(data) if core.config.parser == Parser::MsgPack => {
                crate::packet::msgpack::decode(&data, max_attachments).and_then(
                    |(text, attachments)| {
                        RawPacket::decode(&text, max_attachments)
                            .and_then(|packet| core.on_packet(engine, packet, attachments))
                    },
                )
            }
            EngineEvent::Binary(data) => match self.reassembler.push(data) {
                Ok(Some(done)) => RawPacket::decode(&done.text, max_attachments)
                    .and_then(|packet| core.on_packet(engine, packet, done.attachments)),
                Ok(None) => Ok(()),
                Err(error) => Err(error),
            },
            EngineEvent::Closed(reason) => {
                core.on_engine_closed(self.session, reason);
                Ok(())
            }
        }
    }
}

impl crate::engineio::EngineHandler for Reader {
    fn on_event(&mut self, event: EngineEvent) -> bool {
        if self.broken && !matches!(event, EngineEvent::Closed(_)) {
            return true;
        }
        if let Err(error) = self.read(event) {
            warn!(target: "socketio", %error, "invalid packet from the server; closing the connection");
            self.engine.close_invalid_input(error);
            self.broken = true;
        }
        true
    }
}

impl Payload {
    /// Deserializes a `call()` result: a tuple from all arguments, `()` from none,
    /// anything else from the first.
    pub(crate) fn deserialize_reply<R: DeserializeOwned>(&self) -> Result<R, serde_json::Error> {
        crate::args::deserialize_reply(self)
    }
}

// ----- at-least-once emits (`retries`) -----

/// What to do with the server's ack of a queued emit.
pub(crate) enum Completion {
    Nothing,
    Waiter(oneshot::Sender<Result<Payload, Error>>),
    Callback(ErasedHandler),
}

/// An emit that is sent, and sent again, until the server acks it.
pub(crate) struct Queued {
    namespace: String,
    event: String,
    args: EncodedArgs,
    tries: u32,
    completion: Completion,
}

impl Core {
    /// Queues an emit for at-least-once delivery; the queue goes out one at a time.
    pub(crate) fn enqueue<T: Serialize + ?Sized>(
        &self,
        namespace: &str,
        event: &str,
        data: &T,
        completion: Completion,
    ) -> Result<(), Error> {
        if self.state() == ConnectionState::Disconnected {
            return Err(Error::NotConnected);
        }
        let args = crate::args::encode_args(data)?;
        self.retry_queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(Queued {
                namespace: namespace.to_owned(),
                event: event.to_owned(),
                args,
                tries: 0,
                completion,
            });
        self.retry_wakeup.notify_one();
        Ok(())
    }

    fn front_of_queue(&self) -> Option<(String, String, EncodedArgs)> {
        let queue = self.retry_queue.lock().unwrap_or_else(|e| e.into_inner());
        queue
            .front()
            .map(|q| (q.namespace.clone(), q.event.clone(), q.args.clone()))
    }

    fn pop_queue(&self) -> Option<Queued> {
        self.retry_queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    fn fail_queue(&self) {
        let failed: Vec<Queued> = self
            .retry_queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for queued in failed {
            if let Completion::Waiter(tx) = queued.completion {
                let _ = tx.send(Err(Error::NotConnected));
            }
        }
    }

    /// Sends the queue's first emit until acked (or out of tries), then the next.
    async fn retry_worker(core: std::sync::Weak<Core>) {
        loop {
            let Some(this) = core.upgrade() else { return };
            let wakeup = this.retry_wakeup.clone();
            let Some((namespace, event, args)) = this.front_of_queue() else {
                drop(this);
                wakeup.notified().await;
                continue;
            };
            let mut state = this.state.subscribe();
            // Wait for the namespace to be connected (again).
            let engine = loop {
                match *state.borrow_and_update() {
                    ConnectionState::Disconnected | ConnectionState::Disconnecting => {
                        this.fail_queue();
                        break None;
                    }
                    _ => {}
                }
                if let Some(engine) = this.connected_engine(&namespace) {
                    break Some(engine);
                }
                let _ = tokio::time::timeout(Duration::from_millis(50), state.changed()).await;
            };
            let Some(engine) = engine else { continue };
            let id = this.next_ack_id.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = oneshot::channel();
            this.lock_acks().insert(
                id,
                Pending {
                    namespace: namespace.clone(),
                    ack: PendingAck::Waiter(tx),
                    sent: true,
                },
            );
            let tries = {
                let mut queue = this.retry_queue.lock().unwrap_or_else(|e| e.into_inner());
                queue.front_mut().map_or(0, |q| {
                    q.tries += 1;
                    q.tries
                })
            };
            match crate::args::encode_event_from_args(&namespace, Some(id), &event, args) {
                Ok(packet) => {
                    debug!(target: "socketio", %namespace, %event, id, tries, "sending (at least once)");
                    let _ = send_outgoing(&engine, this.config.parser, packet);
                }
                Err(error) => {
                    warn!(target: "socketio", %error, "queued emit does not encode; dropped");
                    this.lock_acks().remove(&id);
                    this.pop_queue();
                    continue;
                }
            }
            let timeout = this.config.ack_timeout;
            let retries = this.config.retries;
            drop(this);
            let outcome = tokio::time::timeout(timeout, rx).await;
            let Some(this) = core.upgrade() else { return };
            match outcome {
                Ok(Ok(Ok(payload))) => {
                    if let Some(queued) = this.pop_queue() {
                        match queued.completion {
                            Completion::Nothing => {}
                            Completion::Waiter(tx) => {
                                let _ = tx.send(Ok(payload));
                            }
                            Completion::Callback(handler) => {
                                this.run(Call::new("ack", payload, None), handler)
                            }
                        }
                    }
                }
                // Lost with the connection, or timed out: send again, unless out of tries.
                other => {
                    if other.is_err() {
                        this.lock_acks().remove(&id);
                    }
                    if tries > retries {
                        if let Some(queued) = this.pop_queue() {
                            warn!(target: "socketio", namespace = %queued.namespace, event = %queued.event, tries, "no ack after every retry; dropped");
                            if let Completion::Waiter(tx) = queued.completion {
                                let _ = tx.send(Err(Error::GaveUp {
                                    attempts: tries,
                                    last: "no ack".into(),
                                }));
                            }
                        }
                    }
                }
            }
        }
    }

    fn connected_engine(&self, namespace: &str) -> Option<EngineSocket> {
        let connection = self.lock_connection();
        match (connection.namespaces.get(namespace), &connection.engine) {
            (Some(NamespaceState::Connected { .. }), Some(engine)) if !engine.is_closed() => {
                Some(engine.clone())
            }
            _ => None,
        }
    }
}
