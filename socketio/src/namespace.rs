//! Class-based namespaces and named event functions: the runtime side of the
//! `#[namespace]` and `#[event]` attributes.
//!
//! `#[namespace("/chat")]` on an `impl` block implements [`AsyncClientNamespace`] (and,
//! when every event method is synchronous and takes no `AsyncSocket`,
//! [`ClientNamespace`] too) with a dispatch table built at compile time: a `match` on
//! the event name. [`AsyncClient::register_namespace`](crate::AsyncClient::register_namespace)
//! and [`Client::register_namespace`](crate::Client::register_namespace) install it.
//!
//! `#[event]` on a free function turns it into a value that [`AsyncEventFunction`] /
//! [`EventFunction`] can register under the function's name (python's `@sio.event`).

use std::sync::Arc;

use crate::client::handler::{BoxFuture, Call};
use crate::client::handlers::ClassHandler;
use crate::{AsyncClient, AsyncSocket, Client, Socket};

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

// The registration methods live here, beside the traits they take, so that the client
// files need nothing from this module.

impl AsyncClient {
    /// Installs a class-based namespace (python's `register_namespace`): its methods
    /// handle the events of its namespace that have no function handler.
    pub fn register_namespace<N: AsyncClientNamespace>(&self, namespace: N) {
        let socket = self.of(N::NAMESPACE);
        socket.set_class(Arc::new(AsyncClass {
            namespace: Arc::new(namespace),
            socket: socket.clone(),
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

impl Client {
    /// Installs a class-based namespace (python's `register_namespace`); its methods
    /// run on the handler thread.
    pub fn register_namespace<N: ClientNamespace>(&self, namespace: N) {
        let socket = self.of(N::NAMESPACE);
        socket.set_class(Arc::new(BlockingClass {
            namespace,
            socket: socket.clone(),
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

/// What the code generated by `socketio-derive` calls. Not a public API.
#[doc(hidden)]
pub mod __private {
    use std::future::Future;
    use std::sync::Arc;

    use serde::de::DeserializeOwned;
    use serde::Serialize;

    pub use crate::client::handler::{BoxFuture, Call};
    pub use crate::client::link::Ack;
    use crate::{AsyncSocket, Socket};

    /// The event being dispatched.
    pub fn event(call: &Call) -> &str {
        call.event()
    }

    /// Argument `index`, or `None` after logging why it does not fit.
    pub fn arg<T: DeserializeOwned>(call: &Call, index: usize) -> Option<T> {
        call.arg(index)
    }

    /// Takes the ack the server asked for, if any.
    pub fn take_ack(call: &mut Call) -> Option<Ack> {
        call.ack.take()
    }

    /// Sends a method's return value as the ack, if one was asked for.
    pub fn reply<R: Serialize + ?Sized>(ack: Option<Ack>, reply: &R) {
        if let Some(ack) = ack {
            ack.send(reply);
        }
    }

    /// Registers the handler of an `#[event]` function on `socket`'s namespace, for the
    /// async client.
    pub fn on_async<F>(socket: &AsyncSocket, event: &str, handler: F)
    where
        F: Fn(Call) -> Option<BoxFuture> + Send + Sync + 'static,
    {
        socket
            .core
            .handlers
            .on(&socket.namespace, event, Arc::new(handler));
    }

    /// Registers the handler of a synchronous `#[event]` function on `socket`'s
    /// namespace, for the blocking client.
    pub fn on_blocking<F>(socket: &Socket, event: &str, handler: F)
    where
        F: Fn(Call) + Send + Sync + 'static,
    {
        socket.on_erased(
            event,
            Arc::new(move |call| {
                handler(call);
                None
            }),
        );
    }

    /// Boxes a method's future.
    pub fn boxed<F: Future<Output = ()> + Send + 'static>(future: F) -> BoxFuture {
        Box::pin(future)
    }
}
