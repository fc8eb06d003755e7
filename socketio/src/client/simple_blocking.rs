//! [`SimpleClient`]: python-socketio's `SimpleClient`, a blocking shell over the
//! [`AsyncSimpleClient`] and a runtime of its own.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::builder::ClientBuilder;
use super::handle::Runtime;
use super::options::ConnectOptions;
use super::simple::{AsyncSimpleClient, Event};
use crate::engineio::Transport;
use crate::error::Error;

/// A blocking, pull-style Socket.IO client: python-socketio's `SimpleClient`.
///
/// The same as [`AsyncSimpleClient`] without `.await` (see there for the queue and what
/// happens when it is full); usable from any thread, not from inside an async runtime.
/// Its events are also an [`Iterator`] through [`events`](Self::events).
///
/// ```no_run
/// use std::time::Duration;
/// use socketio::SimpleClient;
///
/// # fn run() -> Result<(), socketio::Error> {
/// let mut sio = SimpleClient::connect("http://localhost:5000")?;
/// sio.emit("my message", serde_json::json!({"foo": "bar"}))?;
/// let sum: i64 = sio.call("sum", (1, 2))?;
/// match sio.receive_timeout(Duration::from_secs(5)) {
///     Ok(event) => println!("{}: {:?}", event.name, event.args),
///     Err(socketio::Error::Timeout) => println!("nothing came"),
///     Err(error) => return Err(error),
/// }
/// sio.disconnect();
/// # Ok(()) }
/// ```
pub struct SimpleClient {
    // Dropped before the runtime it runs on.
    inner: Option<AsyncSimpleClient>,
    runtime: Runtime,
}

impl std::fmt::Debug for SimpleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SimpleClient").field(&self.inner).finish()
    }
}

impl SimpleClient {
    /// Connects to `url` with the default options, on the `/` namespace.
    pub fn connect(url: &str) -> Result<SimpleClient, Error> {
        Self::connect_with(url, ConnectOptions::new())
    }

    /// Connects with `options`, on their first namespace (or `/`).
    pub fn connect_with(url: &str, options: ConnectOptions) -> Result<SimpleClient, Error> {
        Self::connect_using(ClientBuilder::default(), url, options)
    }

    /// Connects a client with the settings of `builder` (`max_buffered`, reconnection,
    /// TLS …).
    pub fn connect_using(
        builder: ClientBuilder,
        url: &str,
        options: ConnectOptions,
    ) -> Result<SimpleClient, Error> {
        let runtime = Runtime::new()?;
        let inner = runtime.block_on(AsyncSimpleClient::connect_using(
            builder.into_async(),
            url,
            options,
        ))?;
        Ok(SimpleClient {
            inner: Some(inner),
            runtime,
        })
    }

    fn inner(&self) -> &AsyncSimpleClient {
        self.inner.as_ref().expect("present until dropped")
    }

    /// The session id of the namespace, while connected.
    pub fn sid(&self) -> Option<String> {
        self.inner().sid()
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        self.inner().namespace()
    }

    /// The transport in use, while connected.
    pub fn transport(&self) -> Option<Transport> {
        self.inner().transport()
    }

    /// Emits `event` with `data` (a tuple is several arguments, `()` none).
    pub fn emit<T: Serialize>(&self, event: &str, data: T) -> Result<(), Error> {
        self.runtime.block_on(self.inner().emit(event, data))
    }

    /// Emits `event` and blocks until the server's ack (up to the client's
    /// `ack_timeout`).
    pub fn call<T: Serialize, R: DeserializeOwned>(
        &self,
        event: &str,
        data: T,
    ) -> Result<R, Error> {
        self.runtime.block_on(self.inner().call(event, data))
    }

    /// [`call`](Self::call) with its own timeout.
    pub fn call_timeout<T: Serialize, R: DeserializeOwned>(
        &self,
        event: &str,
        data: T,
        timeout: Duration,
    ) -> Result<R, Error> {
        self.runtime
            .block_on(self.inner().call_timeout(event, data, timeout))
    }

    /// The next event, blocking as long as it takes; queued events first, then
    /// [`Error::Disconnected`] once the client is disconnected for good.
    pub fn receive(&mut self) -> Result<Event, Error> {
        let inner = self.inner.as_mut().expect("present until dropped");
        self.runtime.block_on(inner.receive())
    }

    /// [`receive`](Self::receive), blocking at most `timeout`: [`Error::Timeout`] when
    /// no event came in time.
    pub fn receive_timeout(&mut self, timeout: Duration) -> Result<Event, Error> {
        let inner = self.inner.as_mut().expect("present until dropped");
        self.runtime.block_on(inner.receive_timeout(timeout))
    }

    /// The events as an iterator, which ends once the client is disconnected for good.
    ///
    /// ```no_run
    /// # fn run(mut sio: socketio::SimpleClient) {
    /// for event in sio.events().take(10) {
    ///     println!("{}", event.name);
    /// }
    /// # }
    /// ```
    pub fn events(&mut self) -> impl Iterator<Item = Event> + '_ {
        std::iter::from_fn(move || self.receive().ok())
    }

    /// Disconnects; the events still queued can be received after.
    pub fn disconnect(&self) {
        self.runtime.block_on(self.inner().disconnect());
    }
}

impl Drop for SimpleClient {
    /// Disconnects, unless dropped inside an async runtime (where it cannot block).
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            if tokio::runtime::Handle::try_current().is_err() {
                self.runtime.block_on(inner.disconnect());
            }
        }
    }
}
