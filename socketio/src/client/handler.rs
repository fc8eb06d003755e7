//! Typed handlers, the axum way: any closure of 0 to 8 parameters whose parameters
//! deserialize from the event's arguments (positionally) is a handler. A handler
//! may be synchronous or return a future; its return value is the ack the server
//! asked for (a tuple is several arguments, `()` none; a `Result`'s `Ok` value, its
//! `Err` reported instead, see `reply.rs`). Arguments that do not fit are reported
//! (`HandlerError`) with their index, and the handler does not run.

use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::warn;

use super::handler_error::{HandlerErrorKind, Site};
use super::link::Ack;
use super::reply::Responder;
use crate::args::payload::EventName;
use crate::args::Payload;

/// The future a handler runs as: boxed, `Send`, `'static`, without output. It is what
/// [`AsyncClientNamespace::dispatch`](crate::namespace::AsyncClientNamespace::dispatch)
/// returns for an event its namespace handles (the code `#[namespace]` writes).
///
/// ```
/// use socketio::namespace::BoxFuture;
///
/// let future: BoxFuture = Box::pin(async { /* a handler's work */ });
/// # drop(future);
/// ```
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// One invocation of a handler: the event, its arguments, and how to answer.
pub struct Call {
    pub(crate) name: EventName,
    pub(crate) payload: Payload,
    pub(crate) ack: Option<Ack>,
    /// Where its errors go (none for the client's own callbacks).
    pub(crate) site: Option<Site>,
}

impl Call {
    pub(crate) fn new(event: impl Into<String>, payload: Payload, ack: Option<Ack>) -> Self {
        Call::named(EventName::Owned(event.into()), payload, ack)
    }

    pub(crate) fn named(name: EventName, payload: Payload, ack: Option<Ack>) -> Self {
        Call {
            name,
            payload,
            ack,
            site: None,
        }
    }

    /// The call, its errors reported at `site`.
    pub(crate) fn at(self, site: Site) -> Self {
        Call {
            site: Some(site),
            ..self
        }
    }

    /// The event's name.
    pub(crate) fn event(&self) -> &str {
        self.name.resolve(&self.payload)
    }

    /// Deserializes argument `index` (every argument for a [`Payload`] parameter),
    /// reporting (with the namespace and event) what does not fit.
    pub(crate) fn arg<T: DeserializeOwned>(&self, index: usize) -> Option<T> {
        let result = match crate::args::take_whole(&self.payload) {
            Some(whole) => whole,
            None => self.payload.deserialize_arg(index),
        };
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                let message = error.to_string();
                match &self.site {
                    Some(site) => {
                        site.report(HandlerErrorKind::ArgumentsDidNotFit { index, message })
                    }
                    None => warn!(target: "socketio", event = %self.event(), index, %message,
                        "argument does not fit the handler's parameter; event skipped"),
                }
                None
            }
        }
    }

    /// Takes what answers the call: the ack the server asked for, if any, and where an
    /// `Err` returned by the handler goes.
    pub(crate) fn responder(&mut self) -> Responder {
        Responder::new(self.ack.take(), self.site.clone())
    }
}

/// Marks handlers that return their reply directly.
#[doc(hidden)]
#[derive(Debug)]
pub enum IsSync {}

/// Marks handlers that return a future.
#[doc(hidden)]
#[derive(Debug)]
pub enum IsAsync {}

/// A handler usable by the async client: a synchronous or asynchronous closure.
///
/// `M` is inferred; it only tells the implementations apart.
#[diagnostic::on_unimplemented(
    message = "this is not an event handler for `AsyncClient`: a parameter or the return value does not fit",
    label = "not a handler",
    note = "a handler is a closure (sync or async) of up to 8 parameters, the event's arguments in order",
    note = "each parameter is an owned type that implements `serde::de::DeserializeOwned`: take `String`, not `&str` (a `&str` parameter is reported as \"implementation of `Deserialize` is not general enough\"), `Vec<T>`, not `&[T]`; derive `serde::Deserialize` on your own types; a `socketio::Payload` parameter takes every argument",
    note = "the return value is the ack: a type that implements `serde::Serialize` (`()` for none, a tuple for several) (for an async closure, the future's output)"
)]
pub trait Handler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call(&self, call: Call) -> Option<BoxFuture>;
}

/// A synchronous handler, usable by both clients (the blocking client runs it on
/// its handler thread, where it may block and even `call()` the server).
#[diagnostic::on_unimplemented(
    message = "this is not an event handler for the blocking `Client`: it is async, or a parameter or the return value does not fit",
    label = "not a handler",
    note = "the blocking `Client` takes plain closures of up to 8 parameters, run on its handler thread; an `async` closure (or one returning a future) works with `AsyncClient` only",
    note = "each parameter is an owned type that implements `serde::de::DeserializeOwned`: take `String`, not `&str` (a `&str` parameter is reported as \"implementation of `Deserialize` is not general enough\"), `Vec<T>`, not `&[T]`; derive `serde::Deserialize` on your own types; a `socketio::Payload` parameter takes every argument",
    note = "the return value is the ack: a type that implements `serde::Serialize` (`()` for none, a tuple for several)"
)]
pub trait SyncHandler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call_sync(&self, call: Call);
}

impl<H, M> Handler<(IsSync, M)> for H
where
    H: SyncHandler<M>,
{
    fn call(&self, call: Call) -> Option<BoxFuture> {
        self.call_sync(call);
        None
    }
}

macro_rules! handlers {
    ($($arg:ident: $index:tt),*) => {
        impl<F, R, $($arg,)*> SyncHandler<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> R + Send + Sync + 'static,
            R: Serialize,
            $($arg: DeserializeOwned,)*
        {
            #[allow(non_snake_case)]
            fn call_sync(&self, mut call: Call) {
                $(let Some($arg) = call.arg::<$arg>($index) else { return };)*
                let reply = (self)($($arg),*);
                call.responder().send(&reply);
            }
        }

        impl<F, Fut, $($arg,)*> Handler<(IsAsync, $($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: Serialize,
            $($arg: DeserializeOwned,)*
        {
            #[allow(non_snake_case)]
            fn call(&self, mut call: Call) -> Option<BoxFuture> {
                $(let $arg = call.arg::<$arg>($index)?;)*
                let future = (self)($($arg),*);
                let responder = call.responder();
                Some(Box::pin(async move {
                    responder.send(&future.await);
                }))
            }
        }
    };
}

handlers!();
handlers!(A0: 0);
handlers!(A0: 0, A1: 1);
handlers!(A0: 0, A1: 1, A2: 2);
handlers!(A0: 0, A1: 1, A2: 2, A3: 3);
handlers!(A0: 0, A1: 1, A2: 2, A3: 3, A4: 4);
handlers!(A0: 0, A1: 1, A2: 2, A3: 3, A4: 4, A5: 5);
handlers!(A0: 0, A1: 1, A2: 2, A3: 3, A4: 4, A5: 5, A6: 6);
handlers!(A0: 0, A1: 1, A2: 2, A3: 3, A4: 4, A5: 5, A6: 6, A7: 7);

/// A catch-all handler: `(event name, all arguments)`, sync or async.
#[diagnostic::on_unimplemented(
    message = "this is not a catch-all handler: it must take `(String, socketio::Payload)` and return a `serde::Serialize` value",
    label = "not a catch-all handler",
    note = "a catch-all handler is a closure `|event: String, args: socketio::Payload|` (sync or, on `AsyncClient`, async)",
    note = "the return value is the ack: a type that implements `serde::Serialize` (`()` for none, a tuple for several)"
)]
pub trait AnyHandler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn call(&self, call: Call) -> Option<BoxFuture>;
}

impl<F, R> AnyHandler<IsSync> for F
where
    F: Fn(String, Payload) -> R + Send + Sync + 'static,
    R: Serialize,
{
    fn call(&self, mut call: Call) -> Option<BoxFuture> {
        let event = call.event().to_owned();
        let responder = call.responder();
        let reply = (self)(event, call.payload.detached());
        responder.send(&reply);
        None
    }
}

impl<F, Fut> AnyHandler<IsAsync> for F
where
    F: Fn(String, Payload) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Serialize,
{
    fn call(&self, mut call: Call) -> Option<BoxFuture> {
        let event = call.event().to_owned();
        let responder = call.responder();
        let future = (self)(event, call.payload.detached());
        Some(Box::pin(async move {
            responder.send(&future.await);
        }))
    }
}

/// The callback of `emit_with_ack_timeout`: a closure, sync or async, of one parameter
/// `Result<R, Error>`, called exactly once with the answer, [`Error::Timeout`] or
/// [`Error::Disconnected`].
///
/// `M` is inferred; it only tells the implementations apart. Name the parameter's type
/// (`|reply: Result<String, socketio::Error>| …`) so that `R` is known.
///
/// [`Error::Timeout`]: crate::Error::Timeout
/// [`Error::Disconnected`]: crate::Error::Disconnected
pub trait AckCallback<R, M>: Send + 'static {
    #[doc(hidden)]
    fn complete(self, result: Result<R, crate::Error>) -> Option<BoxFuture>;
}

impl<F, R> AckCallback<R, IsSync> for F
where
    F: FnOnce(Result<R, crate::Error>) + Send + 'static,
{
    fn complete(self, result: Result<R, crate::Error>) -> Option<BoxFuture> {
        self(result);
        None
    }
}

impl<F, Fut, R> AckCallback<R, IsAsync> for F
where
    F: FnOnce(Result<R, crate::Error>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn complete(self, result: Result<R, crate::Error>) -> Option<BoxFuture> {
        Some(Box::pin(self(result)))
    }
}

/// A type-erased handler, as stored in the registry.
pub(crate) type ErasedHandler = std::sync::Arc<dyn Fn(Call) -> Option<BoxFuture> + Send + Sync>;

pub(crate) fn erase<M, H: Handler<M>>(handler: H) -> ErasedHandler {
    std::sync::Arc::new(move |call| handler.call(call))
}

pub(crate) fn erase_any<M, H: AnyHandler<M>>(handler: H) -> ErasedHandler {
    std::sync::Arc::new(move |call| handler.call(call))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio_tungstenite::tungstenite::Utf8Bytes;

    use super::*;
    use crate::engineio::Text;

    #[test]
    fn a_catch_all_handler_gets_a_payload_that_keeps_no_frame_alive() {
        let frame = Utf8Bytes::from(r#"42["ev","data"]"#);
        let text = Text::of_message_frame(frame.clone()).expect("a message frame");
        let payload = Payload::from_event(text, 1, Vec::new());
        let kept = Arc::new(Mutex::new(None));
        let handler = erase_any({
            let kept = kept.clone();
            move |event: String, payload: Payload| {
                *kept.lock().unwrap() = Some((event, payload));
            }
        });
        assert!(handler(Call::new("ev", payload, None)).is_none());
        let (event, payload) = kept.lock().unwrap().take().expect("the handler ran");
        assert_eq!(event, "ev");
        let arg = payload.raw(0).expect("one argument").get();
        assert_eq!(arg, r#""data""#);
        let frame_bytes = frame.as_bytes().as_ptr_range();
        assert!(
            !frame_bytes.contains(&arg.as_ptr()),
            "the payload must not point into the received frame"
        );
    }
}
