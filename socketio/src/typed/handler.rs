//! The handlers of typed events and requests: `on_events` takes an [`EventsHandler`]
//! (a closure of one [`Events`] parameter, sync or async), `on_request` a
//! [`RequestHandler`] (a closure from a [`Request`] to its reply). Like the handlers of
//! `on`, a synchronous closure serves both clients.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use tracing::warn;

use super::{Events, Request};
use crate::client::handler::{BoxFuture, Call, ErasedHandler, IsAsync, IsSync};
use crate::client::link::Ack;

/// A synchronous handler of an [`Events`] enum, for both clients: `Fn(E) -> R`, where
/// `R` is the ack (`()` for none).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler of the events `{E}`",
    label = "expected a closure such as `|event: {E}| match event {{ … }}`",
    note = "an `on_events` handler takes one parameter, the `Events` enum, and returns the ack (`()` for none)"
)]
pub trait SyncEventsHandler<E>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call_sync(&self, event: E, ack: Option<Ack>);
}

impl<E, F, R> SyncEventsHandler<E> for F
where
    F: Fn(E) -> R + Send + Sync + 'static,
    R: Serialize,
{
    fn call_sync(&self, event: E, ack: Option<Ack>) {
        let reply = (self)(event);
        if let Some(ack) = ack {
            ack.send(&reply);
        }
    }
}

/// A handler of an [`Events`] enum for the async client: a closure of one `E`
/// parameter, synchronous or returning a future; what it returns is the ack.
///
/// `M` is inferred; it only tells the implementations apart.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler of the events `{E}`",
    label = "expected a closure such as `|event: {E}| async move {{ … }}`",
    note = "an `on_events` handler takes one parameter, the `Events` enum, and returns the ack (`()` for none), or a future of it"
)]
pub trait EventsHandler<E, M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call(&self, event: E, ack: Option<Ack>) -> Option<BoxFuture>;
}

impl<E, H: SyncEventsHandler<E>> EventsHandler<E, IsSync> for H {
    fn call(&self, event: E, ack: Option<Ack>) -> Option<BoxFuture> {
        self.call_sync(event, ack);
        None
    }
}

impl<E, F, Fut> EventsHandler<E, IsAsync> for F
where
    F: Fn(E) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Serialize,
{
    fn call(&self, event: E, ack: Option<Ack>) -> Option<BoxFuture> {
        let future = (self)(event);
        Some(Box::pin(async move {
            let reply = future.await;
            if let Some(ack) = ack {
                ack.send(&reply);
            }
        }))
    }
}

/// A synchronous answer to a [`Request`] the server sends, for both clients:
/// `Fn(Q) -> Q::Reply`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not answer the request `{Q}`",
    label = "expected a closure that takes `{Q}` and returns its `Request::Reply`",
    note = "an `on_request` handler returns the reply type of the request: `|request: {Q}| -> <{Q} as Request>::Reply`"
)]
pub trait SyncRequestHandler<Q: Request>: Send + Sync + 'static {
    #[doc(hidden)]
    fn answer(&self, request: Q) -> Q::Reply;
}

// The reply is a parameter of its own (not `Fn(Q) -> Q::Reply`), bound by `Serialize`,
// so that an async closure is told apart before `Q` is known: its future does not
// serialize.
impl<Q, F, R> SyncRequestHandler<Q> for F
where
    F: Fn(Q) -> R + Send + Sync + 'static,
    R: Serialize,
    Q: Request<Reply = R>,
{
    fn answer(&self, request: Q) -> Q::Reply {
        (self)(request)
    }
}

/// An answer to a [`Request`] the server sends, for the async client: a closure that
/// takes the request and returns its [`Reply`](Request::Reply), or a future of it.
///
/// `M` is inferred (it holds the request type, so that a closure's parameter tells it).
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not answer a request",
    label = "expected a closure that takes a `Request` type and returns its `Request::Reply` (or a future of it)",
    note = "an `on_request` handler returns the reply type of its request: `|request: Sum| -> <Sum as Request>::Reply`"
)]
pub trait RequestHandler<M>: Send + Sync + 'static {
    /// The request answered.
    type Request: Request;

    #[doc(hidden)]
    fn call(&self, request: Self::Request, ack: Option<Ack>) -> Option<BoxFuture>;
}

impl<Q: Request, F> RequestHandler<(IsSync, Q)> for F
where
    F: SyncRequestHandler<Q>,
{
    type Request = Q;

    fn call(&self, request: Q, ack: Option<Ack>) -> Option<BoxFuture> {
        let reply = self.answer(request);
        if let Some(ack) = ack {
            ack.send(&reply);
        }
        None
    }
}

impl<Q, F, Fut> RequestHandler<(IsAsync, Q)> for F
where
    Q: Request,
    F: Fn(Q) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Q::Reply> + Send + 'static,
{
    type Request = Q;

    fn call(&self, request: Q, ack: Option<Ack>) -> Option<BoxFuture> {
        let future = (self)(request);
        Some(Box::pin(async move {
            let reply = future.await;
            if let Some(ack) = ack {
                ack.send(&reply);
            }
        }))
    }
}

/// The erased handler of one event of `E`: decodes the variant, or logs (with the
/// event's name) why the arguments do not fit it and skips the event.
pub(crate) fn erase_events<E, M, H>(handler: Arc<H>) -> ErasedHandler
where
    E: Events,
    H: EventsHandler<E, M>,
{
    Arc::new(move |call: Call| {
        let event = decode_event::<E>(&call)?;
        handler.call(event, call.ack)
    })
}

/// The erased handler of the event of the request `H` answers.
pub(crate) fn erase_request<M, H: RequestHandler<M>>(handler: H) -> ErasedHandler {
    Arc::new(move |call: Call| {
        let request = decode_request::<H::Request>(&call)?;
        handler.call(request, call.ack)
    })
}

fn decode_event<E: Events>(call: &Call) -> Option<E> {
    let name = call.event();
    match E::from_payload(name, &call.payload) {
        Ok(event) => event,
        Err(error) => {
            warn!(target: "socketio", event = %name, %error,
                "arguments do not fit the event's variant; event skipped");
            None
        }
    }
}

fn decode_request<Q: Request>(call: &Call) -> Option<Q> {
    match Q::from_payload(&call.payload) {
        Ok(request) => Some(request),
        Err(error) => {
            warn!(target: "socketio", event = %call.event(), %error,
                "arguments do not fit the request; request skipped");
            None
        }
    }
}
