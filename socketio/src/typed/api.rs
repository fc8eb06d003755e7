//! The typed-schema methods of both clients' sockets: `on_events`, `emit_event`,
//! `request`, `request_timeout` and `on_request` (see [`crate::Events`] and
//! [`crate::Request`]). They forward to the untyped methods with the event names and
//! arguments the types give.

use std::sync::Arc;
use std::time::Duration;

use super::handler::{
    erase_events, erase_request, EventsHandler, RequestHandler, SyncEventsHandler,
    SyncRequestHandler,
};
use super::{Events, Request};
use crate::client::handler::{ErasedHandler, IsSync};
use crate::error::Error;
use crate::{AsyncSocket, Socket};

/// One erased handler per event of `E`, sharing `handler`.
fn events_handlers<E, M, H>(handler: H) -> impl Iterator<Item = (&'static str, ErasedHandler)>
where
    E: Events,
    H: EventsHandler<E, M>,
{
    let handler = Arc::new(handler);
    E::NAMES
        .iter()
        .map(move |name| (*name, erase_events::<E, M, H>(handler.clone())))
}

impl AsyncSocket {
    /// Registers `handler` for every event of the [`Events`] enum `E` on this namespace:
    /// a closure, sync or async, of one `E` parameter; what it returns is the ack (`()`
    /// for none). Each event's handler is a function handler, as if registered with
    /// [`on`](Self::on) (it replaces an earlier one, and takes precedence over a class
    /// namespace and `on_any`). An event whose arguments do not fit its variant is
    /// logged, with its name, and skipped.
    ///
    /// ```no_run
    /// use socketio::{AsyncClient, Events};
    ///
    /// #[derive(Events, Debug)]
    /// enum ServerEvent {
    ///     ChatMessage(String, String),
    ///     UserLeft { name: String },
    /// }
    ///
    /// # fn run(sio: AsyncClient) {
    /// sio.on_events(|event: ServerEvent| async move {
    ///     match event {
    ///         ServerEvent::ChatMessage(user, text) => println!("{user}: {text}"),
    ///         ServerEvent::UserLeft { name } => println!("{name} left"),
    ///     }
    /// });
    /// # }
    /// ```
    pub fn on_events<E, H, M>(&self, handler: H) -> &Self
    where
        E: Events,
        H: EventsHandler<E, M>,
    {
        for (name, handler) in events_handlers::<E, M, H>(handler) {
            self.on_erased(name, handler);
        }
        self
    }

    /// Emits `event`, a value of an [`Events`] enum: its variant's name with its fields
    /// as the arguments. Returns once queued, as [`emit`](Self::emit).
    pub async fn emit_event<E: Events>(&self, event: E) -> Result<(), Error> {
        self.emit(event.name(), event.args()).await
    }

    /// Sends the [`Request`] `request` and waits for its reply (up to the client's
    /// `ack_timeout`, as [`call`](Self::call)).
    ///
    /// ```no_run
    /// use socketio::Request;
    ///
    /// #[derive(Request)]
    /// #[request(event = "sum", reply = i64)]
    /// struct Sum(i64, i64);
    ///
    /// # async fn run(sio: socketio::AsyncClient) -> Result<(), socketio::Error> {
    /// let total = sio.request(Sum(1, 2)).await?; // an i64
    /// # Ok(()) }
    /// ```
    pub async fn request<Q: Request>(&self, request: Q) -> Result<Q::Reply, Error> {
        self.call(Q::EVENT, request.args()).await
    }

    /// [`request`](Self::request) with its own timeout.
    pub async fn request_timeout<Q: Request>(
        &self,
        request: Q,
        timeout: Duration,
    ) -> Result<Q::Reply, Error> {
        self.call_timeout(Q::EVENT, request.args(), timeout).await
    }

    /// Answers a [`Request`] when the server sends it: `handler` takes the request and
    /// returns its [`Reply`](Request::Reply) (or a future of it), sent as the ack when
    /// the server asked for one. Registered as the function handler of the request's
    /// [`EVENT`](Request::EVENT).
    ///
    /// ```no_run
    /// use socketio::Request;
    ///
    /// #[derive(Request)]
    /// #[request(event = "ping", reply = String)]
    /// struct Ping(u32);
    ///
    /// # fn run(sio: socketio::AsyncClient) {
    /// sio.on_request(|Ping(n): Ping| format!("pong {n}"));
    /// # }
    /// ```
    pub fn on_request<H, M>(&self, handler: H) -> &Self
    where
        H: RequestHandler<M>,
    {
        let event = <H::Request as Request>::EVENT;
        self.on_erased(event, erase_request::<M, H>(handler));
        self
    }
}

impl Socket {
    /// Registers `handler` for every event of the [`Events`] enum `E` on this namespace
    /// (see [`AsyncSocket::on_events`]); it runs on the handler thread.
    pub fn on_events<E, H>(&self, handler: H) -> &Self
    where
        E: Events,
        H: SyncEventsHandler<E>,
    {
        for (name, handler) in events_handlers::<E, IsSync, H>(handler) {
            self.on_erased(name, handler);
        }
        self
    }

    /// Emits `event`, a value of an [`Events`] enum. Returns once queued.
    pub fn emit_event<E: Events>(&self, event: E) -> Result<(), Error> {
        self.emit(event.name(), event.args())
    }

    /// Sends the [`Request`] `request` and blocks until its reply (up to `ack_timeout`).
    /// May be called from a handler.
    pub fn request<Q: Request>(&self, request: Q) -> Result<Q::Reply, Error> {
        self.call(Q::EVENT, request.args())
    }

    /// [`request`](Self::request) with its own timeout.
    pub fn request_timeout<Q: Request>(
        &self,
        request: Q,
        timeout: Duration,
    ) -> Result<Q::Reply, Error> {
        self.call_timeout(Q::EVENT, request.args(), timeout)
    }

    /// Answers the [`Request`] `Q` when the server sends it (see
    /// [`AsyncSocket::on_request`]); `handler` runs on the handler thread.
    pub fn on_request<Q, H>(&self, handler: H) -> &Self
    where
        Q: Request,
        H: SyncRequestHandler<Q>,
    {
        self.on_erased(Q::EVENT, erase_request::<(IsSync, Q), H>(handler));
        self
    }
}
