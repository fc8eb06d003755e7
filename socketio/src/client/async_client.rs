//! [`AsyncClient`] and [`AsyncSocket`]: the tokio client.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::core::Core;
use super::dispatcher::DispatchMode;
use super::handle::Guard;
use super::handler::{
    erase, erase_any, AckCallback, AnyHandler, BoxFuture, Call, ErasedHandler, Handler,
};
use super::handlers::ClassHandler;
use super::options::{namespace_path, ClientConfig, ConnectOptions};
use super::state::ConnectionState;
use crate::engineio::Transport;
use crate::error::Error;

/// A Socket.IO client for tokio: python-socketio's `AsyncClient`.
///
/// A cheap `Clone` handle, usable from any task. The client's own methods act on the
/// `/` namespace (through [`Deref`] to its [`AsyncSocket`]); [`AsyncClient::of`] gives
/// the socket of another namespace.
///
/// ```no_run
/// use socketio::AsyncClient;
///
/// # async fn run() -> Result<(), socketio::Error> {
/// let sio = AsyncClient::new();
/// sio.on("connect", || async { println!("connected") });
/// sio.on("my message", |data: serde_json::Value| async move { println!("{data}") });
/// sio.connect("http://localhost:5000").await?;
/// sio.emit("my message", serde_json::json!({"foo": "bar"})).await?;
/// let sum: i64 = sio.call("sum", (1, 2)).await?;
/// sio.disconnect().await;
/// # Ok(()) }
/// ```
///
/// # Dropping
///
/// When the last handle is dropped (the client, its clones and every socket from
/// [`of`](Self::of)), the client disconnects as by [`disconnect`](Self::disconnect)
/// (on a task of the runtime) and does not reconnect. The client holds its handlers,
/// so a handler that captures a clone of the client keeps it open until
/// `disconnect()`: capture a [`WeakAsyncClient`](crate::WeakAsyncClient) ([`downgrade`](Self::downgrade))
/// instead. The socket a class namespace's method is given does not keep it open.
///
/// # Reserved events
///
/// The client raises these itself; register them with [`on`](AsyncSocket::on) like any
/// event (a handler may take fewer parameters than the event has, or none).
///
/// | event | namespace | parameters |
/// | --- | --- | --- |
/// | `connect` | each | none: the namespace is connected (again, after a reconnection) |
/// | `connect_error` | each | the server's refusal data (`serde_json::Value`: usually `{"message": …, "data": …}`), or `{"message": …}` when the connection failed |
/// | `disconnect` | each | a [`DisconnectReason`](crate::DisconnectReason) (or its text as a `String`) |
/// | `reconnect_attempt` | `/` | the attempt number (`u32`, from 1), before each attempt |
/// | `reconnect` | `/` | the number (`u32`) of the attempt that reconnected |
/// | `reconnect_error` | `/` | the error (`String`), after each failed reconnection attempt |
/// | `reconnect_failed` | `/` | none: the client gave up (`reconnection_attempts`) |
///
/// The reconnection events are on the `/` namespace's socket (the client itself), even
/// when `/` is not connected. See `examples/reconnection.rs`.
///
/// ```no_run
/// use socketio::{AsyncClient, DisconnectReason};
///
/// # async fn run() -> Result<(), socketio::Error> {
/// let sio = AsyncClient::builder().reconnection_attempts(5).build();
/// sio.on("disconnect", |reason: DisconnectReason| async move {
///     println!("disconnected: {reason} (will reconnect: {})", reason.is_accidental());
/// });
/// sio.on("reconnect_attempt", |attempt: u32| println!("attempt {attempt}"));
/// sio.on("reconnect_error", |error: String| println!("attempt failed: {error}"));
/// sio.on("reconnect", |attempt: u32| println!("back after {attempt} attempts"));
/// sio.on("reconnect_failed", || println!("gave up"));
/// sio.connect("http://localhost:5000").await?;
/// # Ok(()) }
/// ```
///
/// # Loops on a current-thread runtime
///
/// On a current-thread runtime, the body of `#[tokio::main(flavor = "current_thread")]`
/// is polled only after the runtime's I/O, so a loop there that a handler wakes often
/// runs slower than the same loop spawned as a task:
///
/// ```no_run
/// # async fn run(sio: socketio::AsyncClient) -> Result<(), socketio::Error> {
/// let emitter = tokio::spawn(async move {
///     for i in 0..100_000u32 {
///         sio.emit("tick", i).await?;
///     }
///     Ok::<_, socketio::Error>(())
/// });
/// emitter.await.expect("the loop does not panic")?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AsyncClient {
    pub(crate) root: AsyncSocket,
}

impl std::fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncClient")
            .field("state", &self.state())
            .field("sid", &self.sid())
            .finish()
    }
}

impl Default for AsyncClient {
    fn default() -> Self {
        Self::new()
    }
}

impl AsyncClient {
    /// A client with the default settings.
    pub fn new() -> Self {
        Self::with_config(ClientConfig::default())
    }

    pub(crate) fn with_config(config: ClientConfig) -> Self {
        let core = Core::new(config, DispatchMode::Task);
        let guard = Guard::new(core.clone(), None);
        AsyncClient::from_socket(AsyncSocket::guarded(core, "/", guard))
    }

    pub(crate) fn from_socket(root: AsyncSocket) -> Self {
        AsyncClient { root }
    }

    /// The socket of `namespace` (`"/chat"`; `"chat"` is the same namespace), for its
    /// handlers, emits and calls. It keeps the client open as the client does (see
    /// [`AsyncClient`]).
    ///
    /// ```
    /// let sio = socketio::AsyncClient::new();
    /// assert_eq!(sio.of("chat").namespace(), "/chat");
    /// ```
    pub fn of(&self, namespace: &str) -> AsyncSocket {
        AsyncSocket {
            core: self.root.core.clone(),
            namespace: Arc::from(namespace_path(namespace)),
            guard: self.root.guard.clone(),
        }
    }

    /// Connects with the default options (see [`ConnectOptions::new`]).
    pub async fn connect(&self, url: &str) -> Result<(), Error> {
        self.connect_with(url, ConnectOptions::new()).await
    }

    /// Connects: opens the Engine.IO connection, then every namespace, and (unless
    /// `wait(false)`) waits up to `wait_timeout` for the server to accept them all.
    /// On refusal or timeout the connection is closed and the error says why.
    pub async fn connect_with(&self, url: &str, options: ConnectOptions) -> Result<(), Error> {
        self.root.core.connect(url, options).await
    }

    /// Where the client is in its life.
    pub fn state(&self) -> ConnectionState {
        self.root.core.state()
    }

    /// The transport in use, while connected.
    pub fn transport(&self) -> Option<Transport> {
        self.root.core.transport()
    }

    /// The namespaces connected now.
    pub fn connected_namespaces(&self) -> Vec<String> {
        self.root.core.connected_namespaces()
    }

    /// Disconnects every namespace and closes the connection. The `disconnect`
    /// handlers run with
    /// [`DisconnectReason::ClientDisconnect`](crate::DisconnectReason::ClientDisconnect);
    /// this returns once the server has been told and the handlers queued before, the
    /// `disconnect` handlers of every namespace included, have run (with
    /// `handler_concurrency(n)`, the running ones finished or were cancelled). A handler
    /// that does not return is waited for 5 seconds at most. Called from a handler, it
    /// does not wait for the handlers (which would wait for itself).
    pub async fn disconnect(&self) {
        self.root.core.disconnect().await;
    }

    /// Returns once the client is disconnected for good.
    pub async fn wait(&self) {
        self.root.core.wait().await;
    }

    /// Sleeps (python's `sio.sleep`).
    pub async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    /// Runs `task` in the background on the tokio runtime.
    pub fn start_background_task<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(task)
    }
}

impl Deref for AsyncClient {
    type Target = AsyncSocket;

    fn deref(&self) -> &AsyncSocket {
        &self.root
    }
}

/// One namespace of an [`AsyncClient`]: its handlers, emits and calls.
///
/// A cheap `Clone` handle; the client itself derefs to the `/` namespace's socket, and
/// [`AsyncClient::of`] gives the others. Every socket of a client shares its one
/// connection.
///
/// ```no_run
/// use socketio::AsyncClient;
///
/// # async fn run() -> Result<(), socketio::Error> {
/// let sio = AsyncClient::new();
/// let chat = sio.of("/chat");
/// chat.on("message", |from: String, text: String| println!("{from}: {text}"));
/// sio.connect_with(
///     "http://localhost:5000",
///     socketio::ConnectOptions::new().namespaces(["/", "/chat"]),
/// )
/// .await?;
/// chat.emit("message", ("me", "hello")).await?;
/// let members: Vec<String> = chat.call("members", ()).await?;
/// chat.disconnect().await; // leaves /chat; / stays connected
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AsyncSocket {
    pub(crate) core: Arc<Core>,
    pub(crate) namespace: Arc<str>,
    /// Shared by the user's handles (none in the socket a class namespace is given).
    pub(crate) guard: Option<Arc<Guard>>,
}

impl std::fmt::Debug for AsyncSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSocket")
            .field("namespace", &self.namespace)
            .field("sid", &self.sid())
            .finish()
    }
}

impl AsyncSocket {
    pub(crate) fn guarded(core: Arc<Core>, namespace: &str, guard: Arc<Guard>) -> Self {
        AsyncSocket {
            core,
            namespace: Arc::from(namespace),
            guard: Some(guard),
        }
    }

    /// The same socket, not keeping the client open (for what the client holds).
    fn unguarded(&self) -> Self {
        AsyncSocket {
            guard: None,
            ..self.clone()
        }
    }

    /// Installs the handler of `event`, already erased.
    pub(crate) fn on_erased(&self, event: &str, handler: ErasedHandler) {
        self.core
            .handlers
            .on(&self.namespace, event, handler, false);
    }

    /// Installs a class-based namespace's dispatch table on this namespace.
    pub(crate) fn set_class(&self, class: Arc<dyn ClassHandler>) {
        self.core.handlers.set_class(&self.namespace, class);
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Registers the handler of `event`: a closure, sync or async, whose parameters
    /// are the event's arguments, deserialized in order into owned types (`String`,
    /// not `&str`: rustc reports a `&str` parameter as "implementation of
    /// `Deserialize` is not general enough"); a [`Payload`](crate::Payload) parameter
    /// takes every argument. What it returns is the ack (a tuple is several
    /// arguments). Replaces an earlier handler of the same event.
    ///
    /// A handler may return a `Result<T, E>` (`T: Serialize`, and `E: Serialize`, such
    /// as `String`: map other errors with `.map_err(|e| e.to_string())`): `Ok(v)` acks
    /// `v`; `Err(e)` sends no ack and goes to the
    /// [`on_error`](crate::AsyncClientBuilder::on_error) hook and the log, as do
    /// arguments that do not fit the parameters and a panic (see
    /// [`HandlerError`](crate::HandlerError), which also says what the server sees).
    ///
    /// ```no_run
    /// # async fn run(sio: socketio::AsyncClient) {
    /// sio.on("double", |n: i64| async move {
    ///     if n > i64::MAX / 2 {
    ///         return Err(format!("{n} is too large"));
    ///     }
    ///     Ok(n * 2)
    /// });
    /// # }
    /// ```
    ///
    /// The special events `connect` (no argument), `connect_error` (the server's
    /// data) and `disconnect` (a [`DisconnectReason`](crate::DisconnectReason)) are raised by the client,
    /// and on the `/` namespace, those of reconnection: `reconnect_attempt` (the
    /// attempt's number, a `u32`, before it starts), `reconnect_error` (the error of an
    /// attempt that failed, as a `String`), `reconnect` (the number of the attempt that
    /// succeeded) and `reconnect_failed` (no argument: the client gave up).
    pub fn on<H, M>(&self, event: &str, handler: H) -> &Self
    where
        H: Handler<M>,
    {
        self.on_erased(event, erase(handler));
        self
    }

    /// Registers a handler of `event` that runs at most once: it is removed when the
    /// event arrives (a later [`on`](Self::on) or `once` replaces it, as `on` does).
    ///
    /// ```no_run
    /// # async fn run(sio: socketio::AsyncClient) {
    /// sio.once("welcome", |motd: String| async move { println!("{motd}") });
    /// # }
    /// ```
    pub fn once<H, M>(&self, event: &str, handler: H) -> &Self
    where
        H: Handler<M>,
    {
        self.core
            .handlers
            .on(&self.namespace, event, erase(handler), true);
        self
    }

    /// Removes the handler of `event` registered with [`on`](Self::on) or
    /// [`once`](Self::once). The event then goes where it would have gone without it:
    /// to a class-based namespace's method, else to the catch-all, else nowhere.
    pub fn off(&self, event: &str) -> &Self {
        self.core.handlers.off(&self.namespace, event);
        self
    }

    /// Removes the catch-all handler registered with [`on_any`](Self::on_any).
    pub fn off_any(&self) -> &Self {
        self.core.handlers.on_any(&self.namespace, None);
        self
    }

    /// Registers the catch-all handler: `(event, arguments)` for every event that has
    /// no handler of its own (not `connect`, `connect_error`, `disconnect`).
    pub fn on_any<H, M>(&self, handler: H) -> &Self
    where
        H: AnyHandler<M>,
    {
        self.core
            .handlers
            .on_any(&self.namespace, Some(erase_any(handler)));
        self
    }

    /// The session id of this namespace, while connected.
    pub fn sid(&self) -> Option<String> {
        self.core.sid(&self.namespace)
    }

    /// Whether this namespace's last (re)connection restored its session: the server
    /// (socket.io ≥ 4.6 with connection state recovery) kept its rooms and replayed the
    /// events missed meanwhile.
    pub fn recovered(&self) -> bool {
        self.core.recovered(&self.namespace)
    }

    /// Whether this namespace is connected.
    pub fn connected(&self) -> bool {
        self.sid().is_some()
    }

    /// Emits `event` with `data`: a tuple is several arguments, `()` none, anything
    /// else one; byte strings travel as binary attachments. Returns once queued.
    pub async fn emit<T: Serialize>(&self, event: &str, data: T) -> Result<(), Error> {
        self.core.emit(&self.namespace, event, &data)
    }

    /// Emits a `message` event (python's `send`).
    pub async fn send<T: Serialize>(&self, data: T) -> Result<(), Error> {
        self.emit("message", data).await
    }

    /// Emits `event` and runs `callback` with the server's ack arguments, as a handler's
    /// parameters (a [`Payload`](crate::Payload) parameter takes them all).
    pub async fn emit_with_ack<T, H, M>(
        &self,
        event: &str,
        data: T,
        callback: H,
    ) -> Result<(), Error>
    where
        T: Serialize,
        H: Handler<M>,
    {
        self.core
            .emit_with_ack(&self.namespace, event, &data, erase(callback))
    }

    /// Emits `event`; `callback` runs exactly once, with the server's ack arguments
    /// (`Ok`, deserialized as [`call`](Self::call) does), [`Error::Timeout`] once
    /// `timeout` passed without an answer, or [`Error::Disconnected`] when the
    /// connection was lost first (socket.io-client's `socket.timeout(ms).emit(…)`).
    /// It runs where handlers run (once [`disconnect`](AsyncClient::disconnect) closed
    /// their queue, on a task of its own). An error that prevents the emit is returned
    /// here and the callback does not run.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn run(sio: socketio::AsyncClient) -> Result<(), socketio::Error> {
    /// sio.emit_with_ack_timeout("sum", (1, 2), Duration::from_secs(5),
    ///     |sum: Result<i64, socketio::Error>| async move {
    ///         match sum {
    ///             Ok(sum) => println!("sum: {sum}"),
    ///             Err(error) => println!("no answer: {error}"),
    ///         }
    ///     }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn emit_with_ack_timeout<T, R, C, M>(
        &self,
        event: &str,
        data: T,
        timeout: Duration,
        callback: C,
    ) -> Result<(), Error>
    where
        T: Serialize,
        R: DeserializeOwned + Send + 'static,
        C: AckCallback<R, M>,
    {
        self.core.emit_with_ack_timeout(
            &self.namespace,
            event,
            &data,
            timeout,
            Box::new(move |result| callback.complete(result)),
        )
    }

    /// Emits `event` and waits for the server's ack (up to the client's `ack_timeout`,
    /// 60 s by default).
    ///
    /// The ack is read as the type you ask for, so `call` needs one: without it, rustc
    /// cannot pick `R` (edition 2021 says "this function depends on never type fallback
    /// being `()`", edition 2024 "the trait bound `!: DeserializeOwned` is not
    /// satisfied"). The type's shape picks the arguments: a tuple takes them all (a
    /// missing trailing one only fits an `Option`), `()` none (an ack you only wait
    /// for), a [`Payload`](crate::Payload) every argument as received, any other type
    /// the first.
    ///
    /// ```no_run
    /// # async fn run(sio: socketio::AsyncClient) -> Result<(), socketio::Error> {
    /// let sum: i64 = sio.call("sum", (1, 2)).await?; // the first argument
    /// let () = sio.call("save", "draft").await?; // waits for the ack, reads nothing
    /// let (ok, id): (bool, u64) = sio.call("create", "note").await?; // two arguments
    /// let all: socketio::Payload = sio.call("echo", (1, "two")).await?; // all of them
    /// let sum = sio.call::<_, i64>("sum", (1, 2)).await?; // the type given as turbofish
    /// # Ok(()) }
    /// ```
    pub async fn call<T, R>(&self, event: &str, data: T) -> Result<R, Error>
    where
        T: Serialize,
        R: DeserializeOwned,
    {
        self.core.call(&self.namespace, event, &data, None).await
    }

    /// [`call`](Self::call) with its own timeout.
    pub async fn call_timeout<T, R>(
        &self,
        event: &str,
        data: T,
        timeout: Duration,
    ) -> Result<R, Error>
    where
        T: Serialize,
        R: DeserializeOwned,
    {
        self.core
            .call(&self.namespace, event, &data, Some(timeout))
            .await
    }

    /// Leaves this namespace (the connection closes with the last namespace).
    pub async fn disconnect(&self) {
        self.core.disconnect_namespace(&self.namespace).await;
    }
}

// ----- class-based namespaces and `#[event]` functions (re-exported by `crate::namespace`) -----

/// A class-based namespace for the [`AsyncClient`]: python's
/// `socketio.AsyncClientNamespace`. Implemented by `#[namespace]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a namespace for `AsyncClient`",
    note = "put `#[socketio::namespace(\"/path\")]` on an `impl` block of the type; a namespace with a `Socket` parameter only works with the blocking `Client`"
)]
pub trait AsyncClientNamespace: Send + Sync + 'static {
    /// The namespace's path, such as `"/chat"`.
    const NAMESPACE: &'static str;

    /// Whether a method handles `event`.
    fn handles(event: &str) -> bool;

    /// Runs the method of the call's event; `socket` is bound to the namespace.
    fn dispatch(self: Arc<Self>, call: Call, socket: AsyncSocket) -> Option<BoxFuture>;
}

/// A function made an event handler by `#[event]`, for the async client.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event function for `AsyncClient`",
    note = "put `#[socketio::event]` on the function"
)]
pub trait AsyncEventFunction {
    /// The event's name (the function's name, or the one given to `#[event("…")]`).
    const NAME: &'static str;
    /// Registers the function as the handler of [`NAME`](Self::NAME) on `socket`'s namespace.
    fn register(self, socket: &AsyncSocket);
}

impl AsyncClient {
    /// Installs a class-based namespace (python's `register_namespace`): its methods
    /// handle the events of its namespace that have no function handler.
    pub fn register_namespace<N: AsyncClientNamespace>(&self, namespace: N) {
        let socket = self.of(N::NAMESPACE);
        socket.set_class(Arc::new(AsyncClass {
            namespace: Arc::new(namespace),
            socket: socket.unguarded(),
        }));
    }
}

impl AsyncSocket {
    /// Registers a function marked `#[event]` under its own name (python's `@sio.event`).
    pub fn event<E: AsyncEventFunction>(&self, function: E) -> &Self {
        function.register(self);
        self
    }
}

pub(crate) struct AsyncClass<N> {
    pub(crate) namespace: Arc<N>,
    pub(crate) socket: AsyncSocket,
}

impl<N: AsyncClientNamespace> ClassHandler for AsyncClass<N> {
    fn handles(&self, event: &str) -> bool {
        N::handles(event)
    }

    fn dispatch(&self, call: Call) -> Option<BoxFuture> {
        self.namespace.clone().dispatch(call, self.socket.clone())
    }
}
