//! [`Client`] and [`Socket`]: the blocking client, a thin shell over the async core.
//!
//! The client owns a tokio runtime whose one worker thread does all the I/O; its
//! handlers run on a thread of their own, so they may block and may `call()` the
//! server.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::core::Core;
use super::dispatcher::DispatchMode;
use super::handle::{check_not_async, Guard, Runtime};
use super::handler::{BoxFuture, Call, ErasedHandler, SyncHandler};
use super::handlers::ClassHandler;
use super::options::{namespace_path, ClientConfig, ConnectOptions};
use super::state::ConnectionState;
use crate::engineio::Transport;
use crate::error::Error;

/// A blocking Socket.IO client: python-socketio's `Client`.
///
/// The same methods as [`AsyncClient`](crate::AsyncClient), without `.await`;
/// handlers are plain closures run on the client's handler thread. A cheap `Clone`
/// handle, usable from any thread, but not from one that drives an async runtime:
/// there, `connect` fails with [`Error::InsideAsyncRuntime`] and the other blocking
/// methods panic at the caller's line, naming the fix (use
/// [`AsyncClient`](crate::AsyncClient), or `tokio::task::spawn_blocking`).
///
/// ```no_run
/// use socketio::Client;
///
/// # fn run() -> Result<(), socketio::Error> {
/// let sio = Client::new();
/// sio.on("my message", |data: serde_json::Value| println!("{data}"));
/// sio.connect("http://localhost:5000")?;
/// sio.emit("my message", serde_json::json!({"foo": "bar"}))?;
/// let sum: i64 = sio.call("sum", (1, 2))?;
/// sio.disconnect();
/// # Ok(()) }
/// ```
///
/// # Dropping
///
/// When the last handle is dropped (the client, its clones and every socket from
/// [`of`](Self::of)), the client disconnects as by [`disconnect`](Self::disconnect)
/// (the drop blocks until it has; inside an async runtime a thread of its own does
/// it), then its runtime stops. A handler that captures a clone of the client keeps it
/// open until `disconnect()`: capture a [`WeakClient`](crate::WeakClient) ([`downgrade`](Self::downgrade))
/// instead.
///
/// # Reserved events
///
/// As on [`AsyncClient`](crate::AsyncClient#reserved-events), with plain closures:
/// `connect` (no parameter), `connect_error` (the server's data, a
/// `serde_json::Value`), `disconnect` (a [`DisconnectReason`](crate::DisconnectReason))
/// on each namespace; `reconnect_attempt` (the attempt number, `u32`), `reconnect` (the
/// attempt that reconnected, `u32`), `reconnect_error` (the error, a `String`, after
/// each failed attempt) and `reconnect_failed` (no parameter) on `/`.
///
/// ```no_run
/// # fn run() -> Result<(), socketio::Error> {
/// let sio = socketio::Client::new();
/// sio.on("reconnect_attempt", |attempt: u32| println!("attempt {attempt}"));
/// sio.on("reconnect", |attempt: u32| println!("back after {attempt} attempts"));
/// sio.on("reconnect_failed", || println!("gave up"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) root: Socket,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state())
            .field("sid", &self.sid())
            .finish()
    }
}

impl Default for Client {
    /// [`Client::new()`].
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    /// A client with the default settings.
    ///
    /// # Panics
    ///
    /// If the runtime thread that does the client's I/O cannot be started (the system
    /// refuses a thread), as `reqwest::blocking::Client::new()` does;
    /// [`Client::builder()`]`.build()` reports that as an error instead.
    pub fn new() -> Self {
        match Self::with_config(ClientConfig::default()) {
            Ok(client) => client,
            Err(error) => {
                panic!("socketio::Client::new(): cannot start the client's runtime thread: {error}")
            }
        }
    }

    pub(crate) fn with_config(config: ClientConfig) -> Result<Self, Error> {
        let runtime = Arc::new(Runtime::new()?);
        let core = Core::new(config, DispatchMode::Thread);
        let guard = Guard::new(core.clone(), Some(runtime.clone()));
        Ok(Client::from_socket(Socket::guarded(
            core, "/", runtime, guard,
        )))
    }

    pub(crate) fn from_socket(root: Socket) -> Self {
        Client { root }
    }

    /// The socket of `namespace` (`"/chat"`; `"chat"` is the same namespace). It keeps
    /// the client open as the client does (see [`Client`]).
    ///
    /// ```
    /// # fn main() -> Result<(), socketio::Error> {
    /// let sio = socketio::Client::new();
    /// assert_eq!(sio.of("chat").namespace(), "/chat");
    /// # Ok(()) }
    /// ```
    pub fn of(&self, namespace: &str) -> Socket {
        Socket {
            namespace: Arc::from(namespace_path(namespace)),
            ..self.root.clone()
        }
    }

    /// Connects with the default options.
    #[track_caller]
    pub fn connect(&self, url: &str) -> Result<(), Error> {
        self.connect_with(url, ConnectOptions::new())
    }

    /// Connects (see [`AsyncClient::connect_with`](crate::AsyncClient::connect_with)).
    #[track_caller]
    pub fn connect_with(&self, url: &str, options: ConnectOptions) -> Result<(), Error> {
        check_not_async()?;
        let core = self.root.core.clone();
        let url = url.to_owned();
        self.root
            .runtime
            .block_on(async move { core.connect(&url, options).await })
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

    /// Disconnects every namespace; returns once the server has been told and the
    /// `disconnect` handlers of every namespace ran (at most 5 seconds for a handler
    /// that does not return; at once when called from a handler), as
    /// [`AsyncClient::disconnect`](crate::AsyncClient::disconnect) does.
    #[track_caller]
    pub fn disconnect(&self) {
        let core = self.root.core.clone();
        self.root
            .runtime
            .block_on(async move { core.disconnect().await });
    }

    /// Blocks until the client is disconnected for good.
    #[track_caller]
    pub fn wait(&self) {
        let core = self.root.core.clone();
        self.root.runtime.block_on(async move { core.wait().await });
    }

    /// Sleeps (python's `sio.sleep`).
    pub fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    /// Runs `task` on a new thread.
    pub fn start_background_task<F, T>(&self, task: F) -> std::thread::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        std::thread::spawn(task)
    }
}

impl Deref for Client {
    type Target = Socket;

    fn deref(&self) -> &Socket {
        &self.root
    }
}

/// One namespace of a [`Client`]: its handlers, emits and calls, without `.await`.
///
/// ```no_run
/// # fn run() -> Result<(), socketio::Error> {
/// let sio = socketio::Client::new();
/// let chat = sio.of("/chat");
/// chat.on("message", |from: String, text: String| println!("{from}: {text}"));
/// sio.connect_with(
///     "http://localhost:5000",
///     socketio::ConnectOptions::new().namespaces(["/chat"]),
/// )?;
/// chat.emit("message", ("me", "hello"))?;
/// let members: Vec<String> = chat.call("members", ())?;
/// chat.disconnect();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Socket {
    pub(crate) core: Arc<Core>,
    pub(crate) namespace: Arc<str>,
    runtime: Arc<Runtime>,
    /// Shared by the user's handles (none in the socket a class namespace is given).
    pub(crate) guard: Option<Arc<Guard>>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("namespace", &self.namespace)
            .field("sid", &self.sid())
            .finish()
    }
}

pub(crate) fn erase_sync<M, H: SyncHandler<M>>(handler: H) -> ErasedHandler {
    Arc::new(move |call: Call| {
        handler.call_sync(call);
        None
    })
}

impl Socket {
    pub(crate) fn guarded(
        core: Arc<Core>,
        namespace: &str,
        runtime: Arc<Runtime>,
        guard: Arc<Guard>,
    ) -> Self {
        Socket {
            core,
            namespace: Arc::from(namespace),
            runtime,
            guard: Some(guard),
        }
    }

    /// The same socket, not keeping the client open (for what the client holds).
    fn unguarded(&self) -> Self {
        Socket {
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

    /// Registers the handler of `event`: a closure whose parameters are the event's
    /// arguments and whose return value is the ack (a `Result`'s `Ok` value; an `Err`
    /// sends no ack and goes to the `on_error` hook, see
    /// [`AsyncSocket::on`](crate::AsyncSocket::on)). It runs on the handler thread.
    /// The client raises the same special events as
    /// [`AsyncSocket::on`](crate::AsyncSocket::on) (`connect`, `reconnect_error`, …).
    pub fn on<H, M>(&self, event: &str, handler: H) -> &Self
    where
        H: SyncHandler<M>,
    {
        self.on_erased(event, erase_sync(handler));
        self
    }

    /// Registers a handler of `event` that runs at most once: it is removed when the
    /// event arrives.
    pub fn once<H, M>(&self, event: &str, handler: H) -> &Self
    where
        H: SyncHandler<M>,
    {
        self.core
            .handlers
            .on(&self.namespace, event, erase_sync(handler), true);
        self
    }

    /// Removes the handler of `event`; a class-based namespace's method, else the
    /// catch-all, then gets the event.
    pub fn off(&self, event: &str) -> &Self {
        self.core.handlers.off(&self.namespace, event);
        self
    }

    /// Removes the catch-all handler.
    pub fn off_any(&self) -> &Self {
        self.core.handlers.on_any(&self.namespace, None);
        self
    }

    /// Registers the catch-all handler `(event, arguments)`.
    pub fn on_any<F, R>(&self, handler: F) -> &Self
    where
        F: Fn(String, crate::Payload) -> R + Send + Sync + 'static,
        R: Serialize,
    {
        self.core.handlers.on_any(
            &self.namespace,
            Some(super::handler::erase_any::<super::handler::IsSync, _>(
                handler,
            )),
        );
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

    /// Emits `event` with `data` (a tuple is several arguments). Returns once queued.
    pub fn emit<T: Serialize>(&self, event: &str, data: T) -> Result<(), Error> {
        self.core.emit(&self.namespace, event, &data)
    }

    /// Emits a `message` event.
    pub fn send<T: Serialize>(&self, data: T) -> Result<(), Error> {
        self.emit("message", data)
    }

    /// Emits `event`; `callback` runs on the handler thread with the ack's arguments
    /// (a [`Payload`](crate::Payload) parameter takes them all).
    pub fn emit_with_ack<T, H, M>(&self, event: &str, data: T, callback: H) -> Result<(), Error>
    where
        T: Serialize,
        H: SyncHandler<M>,
    {
        self.core
            .emit_with_ack(&self.namespace, event, &data, erase_sync(callback))
    }

    /// Emits `event`; `callback` runs exactly once on the handler thread, with the
    /// server's ack arguments, [`Error::Timeout`] once `timeout` passed without an
    /// answer, or [`Error::Disconnected`] when the connection was lost first (after
    /// [`disconnect`](Client::disconnect) closed the handler thread's queue, it runs on a
    /// thread of the client's runtime).
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # fn run(sio: socketio::Client) -> Result<(), socketio::Error> {
    /// sio.emit_with_ack_timeout("sum", (1, 2), Duration::from_secs(5),
    ///     |sum: Result<i64, socketio::Error>| println!("{sum:?}"))?;
    /// # Ok(()) }
    /// ```
    pub fn emit_with_ack_timeout<T, R, F>(
        &self,
        event: &str,
        data: T,
        timeout: Duration,
        callback: F,
    ) -> Result<(), Error>
    where
        T: Serialize,
        R: DeserializeOwned + Send + 'static,
        F: FnOnce(Result<R, Error>) + Send + 'static,
    {
        // The timer runs on the client's runtime, also before the first connect.
        let _runtime = self.runtime.enter();
        self.core.emit_with_ack_timeout(
            &self.namespace,
            event,
            &data,
            timeout,
            Box::new(move |result| {
                callback(result);
                None
            }),
        )
    }

    /// Emits `event` and blocks until the server's ack (up to `ack_timeout`).
    /// May be called from a handler.
    ///
    /// The ack is read as the type you ask for, so `call` needs one (see
    /// [`AsyncSocket::call`](crate::AsyncSocket::call)): a tuple takes every argument,
    /// `()` none, a [`Payload`](crate::Payload) all of them as received, any other type
    /// the first.
    ///
    /// ```no_run
    /// # fn run(sio: socketio::Client) -> Result<(), socketio::Error> {
    /// let sum: i64 = sio.call("sum", (1, 2))?;
    /// let () = sio.call("save", "draft")?;
    /// let all: socketio::Payload = sio.call("echo", (1, "two"))?;
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn call<T, R>(&self, event: &str, data: T) -> Result<R, Error>
    where
        T: Serialize,
        R: DeserializeOwned,
    {
        self.call_with(event, data, None)
    }

    /// [`call`](Self::call) with its own timeout.
    #[track_caller]
    pub fn call_timeout<T, R>(&self, event: &str, data: T, timeout: Duration) -> Result<R, Error>
    where
        T: Serialize,
        R: DeserializeOwned,
    {
        self.call_with(event, data, Some(timeout))
    }

    #[track_caller]
    fn call_with<T, R>(&self, event: &str, data: T, timeout: Option<Duration>) -> Result<R, Error>
    where
        T: Serialize,
        R: DeserializeOwned,
    {
        check_not_async()?;
        self.runtime
            .block_on(self.core.call(&self.namespace, event, &data, timeout))
    }

    /// Leaves this namespace (the connection closes with the last namespace).
    #[track_caller]
    pub fn disconnect(&self) {
        self.runtime
            .block_on(self.core.disconnect_namespace(&self.namespace));
    }
}

// ----- class-based namespaces and `#[event]` functions (re-exported by `crate::namespace`) -----

/// A class-based namespace for the blocking [`Client`]: python's
/// `socketio.ClientNamespace`. Implemented by `#[namespace]` when every event method
/// is synchronous and takes no `AsyncSocket`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a namespace for the blocking `Client`",
    note = "a namespace with an `async` method or an `AsyncSocket` parameter only works with `AsyncClient`"
)]
pub trait ClientNamespace: Send + Sync + 'static {
    /// The namespace's path, such as `"/chat"`.
    const NAMESPACE: &'static str;

    /// Whether a method handles `event`.
    fn handles(event: &str) -> bool;

    /// Runs the method of the call's event on the handler thread; `socket` is bound to
    /// the namespace.
    fn dispatch(&self, call: Call, socket: &Socket);
}

/// A synchronous function made an event handler by `#[event]`, for the blocking client.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event function for the blocking `Client`",
    note = "put `#[socketio::event]` on the function; `async` functions only work with `AsyncClient`"
)]
pub trait EventFunction {
    /// The event's name.
    const NAME: &'static str;
    /// Registers the function as the handler of [`NAME`](Self::NAME) on `socket`'s namespace.
    fn register(self, socket: &Socket);
}

impl Client {
    /// Installs a class-based namespace (python's `register_namespace`); its methods
    /// run on the handler thread.
    pub fn register_namespace<N: ClientNamespace>(&self, namespace: N) {
        let socket = self.of(N::NAMESPACE);
        socket.set_class(Arc::new(BlockingClass {
            namespace,
            socket: socket.unguarded(),
        }));
    }
}

impl Socket {
    /// Registers a function marked `#[event]` under its own name (python's `@sio.event`).
    pub fn event<E: EventFunction>(&self, function: E) -> &Self {
        function.register(self);
        self
    }
}

pub(crate) struct BlockingClass<N> {
    pub(crate) namespace: N,
    pub(crate) socket: Socket,
}

impl<N: ClientNamespace> ClassHandler for BlockingClass<N> {
    fn handles(&self, event: &str) -> bool {
        N::handles(event)
    }

    fn dispatch(&self, call: Call) -> Option<BoxFuture> {
        self.namespace.dispatch(call, &self.socket);
        None
    }
}
