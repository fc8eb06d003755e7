//! [`AsyncSimpleClient`]: python-socketio's `AsyncSimpleClient`, a pull-style client of
//! one namespace, built on [`AsyncClient`]. Its catch-all handler feeds a queue bounded
//! by `max_buffered` bytes; `receive()` and the [`Stream`] take from it.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::async_client::{AsyncClient, AsyncSocket};
use super::builder::AsyncClientBuilder;
use super::handler::{BoxFuture, Call, ErasedHandler};
use super::options::ConnectOptions;
use super::state::ConnectionState;
use crate::args::Payload;
use crate::engineio::Transport;
use crate::error::Error;

/// An event received by a [`SimpleClient`](crate::SimpleClient) or an
/// [`AsyncSimpleClient`]: its name and its arguments.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Event {
    /// The event's name.
    pub name: String,
    /// Its arguments, typed on access ([`Payload::get`]).
    pub args: Payload,
}

/// An event in the queue, and the bytes of the budget it holds until taken.
struct Queued {
    event: Event,
    _bytes: Option<OwnedSemaphorePermit>,
}

/// The catch-all handler that queues every event, and the queue's receiving end. An
/// event waits for room in the budget of `max_buffered` bytes (an event larger than
/// the whole budget takes all of it).
fn inbox(max_buffered: usize) -> (ErasedHandler, mpsc::UnboundedReceiver<Queued>) {
    let max = u32::try_from(max_buffered).unwrap_or(u32::MAX).max(1);
    let budget = Arc::new(Semaphore::new(max as usize));
    let (tx, rx) = mpsc::unbounded_channel();
    let handler: ErasedHandler = Arc::new(move |call: Call| -> Option<BoxFuture> {
        let name = call.event().to_owned();
        let args = call.payload.detached();
        let size = u32::try_from(args.byte_size()).unwrap_or(u32::MAX).min(max);
        let (budget, tx, ack) = (budget.clone(), tx.clone(), call.ack);
        Some(Box::pin(async move {
            let bytes = budget.acquire_many_owned(size).await.ok();
            // As python's client does, an event that asks for an ack gets an empty one.
            if let Some(ack) = ack {
                ack.send(&());
            }
            let _ = tx.send(Queued {
                event: Event { name, args },
                _bytes: bytes,
            });
        }))
    });
    (handler, rx)
}

/// A pull-style Socket.IO client for tokio: python-socketio's `AsyncSimpleClient`.
///
/// Connected to one namespace when made (the options' first, or `/`), it queues the
/// events the server sends from the moment the namespace connects, and gives them out
/// in order with [`receive`](Self::receive), or as a [`Stream`].
///
/// The queue holds at most the client's `max_buffered` bytes of events (64 MiB by
/// default, see [`AsyncClientBuilder::max_buffered`]). When it is full, the client
/// stops taking events: they wait in the handler queue, and when that too holds
/// `max_buffered` bytes, the connection is closed as for any client whose handlers fell
/// behind (then reconnected, with the default settings). An event that asks for an ack
/// is answered with an empty one when it is queued.
///
/// ```no_run
/// use std::time::Duration;
/// use socketio::AsyncSimpleClient;
///
/// # async fn run() -> Result<(), socketio::Error> {
/// let mut sio = AsyncSimpleClient::connect("http://localhost:5000").await?;
/// sio.emit("my message", serde_json::json!({"foo": "bar"})).await?;
/// let sum: i64 = sio.call("sum", (1, 2)).await?;
/// let event = sio.receive_timeout(Duration::from_secs(5)).await?;
/// println!("{}: {:?}", event.name, event.args);
/// sio.disconnect().await;
/// # Ok(()) }
/// ```
///
/// As a stream, which ends when the client is disconnected for good:
///
/// ```no_run
/// use futures_util::StreamExt;
///
/// # async fn run(mut sio: socketio::AsyncSimpleClient) {
/// while let Some(event) = sio.next().await {
///     println!("{}", event.name);
/// }
/// # }
/// ```
pub struct AsyncSimpleClient {
    client: AsyncClient,
    socket: AsyncSocket,
    events: mpsc::UnboundedReceiver<Queued>,
    /// Resolves when the client is disconnected for good and the events received before
    /// are queued; `None` once it did.
    disconnected: Mutex<Option<BoxFuture>>,
}

impl std::fmt::Debug for AsyncSimpleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSimpleClient")
            .field("namespace", &self.socket.namespace())
            .field("sid", &self.sid())
            .finish()
    }
}

impl AsyncSimpleClient {
    /// Connects to `url` with the default options, on the `/` namespace.
    pub async fn connect(url: &str) -> Result<AsyncSimpleClient, Error> {
        Self::connect_with(url, ConnectOptions::new()).await
    }

    /// Connects with `options`, on their first namespace (or `/`); the others are
    /// not connected.
    pub async fn connect_with(
        url: &str,
        options: ConnectOptions,
    ) -> Result<AsyncSimpleClient, Error> {
        Self::connect_using(AsyncClient::builder(), url, options).await
    }

    /// Connects a client with the settings of `builder` (`max_buffered`, reconnection,
    /// TLS …); its `handler_concurrency` is 1, so that events are queued in order.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), socketio::Error> {
    /// let builder = socketio::AsyncClient::builder().max_buffered(1 << 20);
    /// let options = socketio::ConnectOptions::new().namespaces(["/chat"]);
    /// let sio = socketio::AsyncSimpleClient::connect_using(builder, "http://localhost:5000", options).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_using(
        builder: AsyncClientBuilder,
        url: &str,
        options: ConnectOptions,
    ) -> Result<AsyncSimpleClient, Error> {
        let client = builder.handler_concurrency(1).build();
        let namespace = options
            .settings
            .namespaces
            .as_ref()
            .and_then(|namespaces| namespaces.first().cloned())
            .unwrap_or_else(|| "/".to_owned());
        let socket = client.of(&namespace);
        let (handler, events) = inbox(client.core.config.max_buffered);
        client.core.handlers.on_any(&namespace, Some(handler));
        client
            .connect_with(url, options.namespaces([namespace]))
            .await?;
        // Disconnected for good, and every event that came before queued.
        let disconnected: BoxFuture = Box::pin({
            let client = client.clone();
            async move {
                client.wait().await;
                client.core.dispatcher.flushed().await;
            }
        });
        Ok(AsyncSimpleClient {
            client,
            socket,
            events,
            disconnected: Mutex::new(Some(disconnected)),
        })
    }

    /// The session id of the namespace, while connected.
    pub fn sid(&self) -> Option<String> {
        self.socket.sid()
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        self.socket.namespace()
    }

    /// The transport in use, while connected.
    pub fn transport(&self) -> Option<Transport> {
        self.client.transport()
    }

    /// Emits `event` with `data` (a tuple is several arguments, `()` none).
    pub async fn emit<T: Serialize>(&self, event: &str, data: T) -> Result<(), Error> {
        self.socket.emit(event, data).await
    }

    /// Emits `event` and waits for the server's ack (up to the client's `ack_timeout`).
    pub async fn call<T: Serialize, R: DeserializeOwned>(
        &self,
        event: &str,
        data: T,
    ) -> Result<R, Error> {
        self.socket.call(event, data).await
    }

    /// [`call`](Self::call) with its own timeout.
    pub async fn call_timeout<T: Serialize, R: DeserializeOwned>(
        &self,
        event: &str,
        data: T,
        timeout: Duration,
    ) -> Result<R, Error> {
        self.socket.call_timeout(event, data, timeout).await
    }

    /// The next event from the server, waiting as long as it takes; queued events
    /// first, then [`Error::Disconnected`] once the client is disconnected for good.
    pub async fn receive(&mut self) -> Result<Event, Error> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    /// [`receive`](Self::receive), waiting at most `timeout`: [`Error::Timeout`] when no
    /// event came in time.
    pub async fn receive_timeout(&mut self, timeout: Duration) -> Result<Event, Error> {
        tokio::time::timeout(timeout, self.receive())
            .await
            .unwrap_or(Err(Error::Timeout))
    }

    /// Disconnects; the events still queued can be received after.
    pub async fn disconnect(&self) {
        self.client.disconnect().await;
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Result<Event, Error>> {
        if let Poll::Ready(Some(queued)) = self.events.poll_recv(cx) {
            return Poll::Ready(Ok(queued.event));
        }
        let disconnected = self
            .disconnected
            .get_mut()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(future) = disconnected {
            if future.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            *disconnected = None;
        }
        // Disconnected for good: what was queued before, then the end.
        Poll::Ready(match self.events.try_recv() {
            Ok(queued) => Ok(queued.event),
            Err(_) => Err(Error::Disconnected),
        })
    }
}

/// The events, in order; ends once the client is disconnected for good and the queue
/// is empty.
impl Stream for AsyncSimpleClient {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.get_mut().poll_event(cx).map(Result::ok)
    }
}

impl Drop for AsyncSimpleClient {
    /// Disconnects in the background, when dropped on a runtime while connected.
    fn drop(&mut self) {
        if self.client.state() == ConnectionState::Disconnected {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            drop(runtime.spawn(async move { client.disconnect().await }));
        }
    }
}
