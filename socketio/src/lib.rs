//! A Socket.IO client: a tokio [`AsyncClient`] and a blocking [`Client`] with the same
//! methods, typed handlers, acks both ways, namespaces multiplexed on one connection.
//!
//! ```no_run
//! use socketio::{AsyncClient, DisconnectReason};
//!
//! # async fn run() -> Result<(), socketio::Error> {
//! let sio = AsyncClient::new();
//! sio.on("connect", || async { println!("connected") });
//! sio.on("disconnect", |reason: DisconnectReason| async move { println!("{reason}") });
//! sio.on("pair", |a: String, b: i64| (a, b)); // a sync handler; its return value is the ack
//! sio.connect("http://localhost:5000").await?;
//! sio.emit("my message", ("a", 1)).await?; // a tuple is several arguments
//! sio.wait().await;
//! # Ok(()) }
//! ```
//!
//! The public API is what this page lists at the crate root, plus the
//! [`namespace`](mod@namespace) module, home of the namespace traits. Underneath, private
//! to the crate, the layers bottom up: `engineio` (transports, heartbeat, upgrade),
//! `packet` (Socket.IO packets and attachments), `args` (Rust values ⇄ arguments), and
//! the clients. The snapshot `socketio/public-api.txt` is the crate's promise; CI fails
//! when the API differs from it (`.ci/public-api.sh`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub(crate) mod args;
mod client;
pub(crate) mod engineio;
pub(crate) mod error;
mod logging;
pub mod namespace;
pub(crate) mod packet;
mod typed;
mod wakeup;

pub use args::Payload;
pub use client::{
    AckCallback, AnyHandler, AsyncClient, AsyncClientBuilder, AsyncSimpleClient, AsyncSocket, Call,
    Client, ClientBuilder, ConnectOptions, ConnectionState, DisconnectReason, Event, Handler,
    HandlerError, HandlerErrorKind, Parser, SimpleClient, Socket, SyncHandler, WeakAsyncClient,
    WeakClient,
};
pub use engineio::{Protocol, Transport};
pub use error::{DecodeError, Error};
pub use namespace::{AsyncClientNamespace, AsyncEventFunction, ClientNamespace, EventFunction};
pub use typed::handler::{EventsHandler, RequestHandler, SyncEventsHandler, SyncRequestHandler};
pub use typed::{EventArgs, Events, Request, RequestArgs};

/// Derives [`Events`](trait@Events) for an enum: one variant per event, its fields the
/// event's arguments; see the trait for the rules.
pub use socketio_derive::Events;

/// Derives [`Request`](trait@Request) for a struct with `#[request(event = "…", reply =
/// T)]`: its fields are the request's arguments; see the trait for the rules.
pub use socketio_derive::Request;

/// Not a public API: internals for the project's tests, fuzz targets and benchmarks; may
/// change in any release.
///
/// Exactly what `tests/engineio.rs`, `fuzz/src/lib.rs` (also run by `tests/fuzz_props.rs`)
/// and `socketio/benches/codec.rs` use, grouped by the layer it comes from. It is hidden
/// from the docs and from the `public-api.txt` snapshot; nothing here is covered by semver.
#[doc(hidden)]
pub mod __internal {
    /// The Engine.IO layer: a session driven directly, and its codecs.
    pub mod engineio {
        pub use crate::engineio::packet::Packet;
        pub use crate::engineio::{
            CloseReason, EngineEvent, EngineEvents, EngineOptions, EngineSocket,
        };

        /// Polling payloads: records joined by the separator.
        pub mod payload {
            pub use crate::engineio::payload::{
                decode, encode, encode_into, encoded_len, SEPARATOR,
            };
        }
    }

    /// The Socket.IO packet layer: headers, attachments, msgpack.
    pub mod packet {
        pub use crate::packet::binary::Reassembler;
        pub use crate::packet::{encode_header, PacketType, RawPacket};

        /// The msgpack parser's codec.
        #[cfg(feature = "msgpack")]
        pub mod msgpack {
            pub use crate::packet::msgpack::{decode, encode};
        }
    }
}

/// Makes an `impl` block a class-based namespace (python-socketio's `ClientNamespace` /
/// `AsyncClientNamespace`); its `#[event]` methods handle the namespace's events.
///
/// ```no_run
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// use serde::Deserialize;
/// use socketio::{event, namespace, AsyncClient, AsyncSocket, Client, DisconnectReason};
///
/// #[derive(Deserialize)]
/// struct Message {
///     user: String,
///     text: String,
/// }
///
/// #[derive(Default)]
/// struct Chat {
///     received: AtomicUsize,
/// }
///
/// #[namespace("/chat")]
/// impl Chat {
///     #[event] // the event "connect": the method's name without `on_`
///     async fn on_connect(&self, socket: AsyncSocket) {
///         socket.emit("join", "lobby").await.ok();
///     }
///
///     #[event] // "message": arguments are deserialized, in order
///     fn on_message(&self, message: Message) {
///         self.received.fetch_add(1, Ordering::Relaxed);
///         println!("{}: {}", message.user, message.text);
///     }
///
///     #[event("how many?")] // any name; the return value is the ack
///     fn count(&self) -> usize {
///         self.received.load(Ordering::Relaxed)
///     }
///
///     #[event]
///     fn on_disconnect(&self, reason: DisconnectReason) {
///         println!("left the chat: {reason}");
///     }
///
///     fn helper(&self) {} // not an event: an ordinary method
/// }
///
/// /// Synchronous methods and no socket: a namespace for both clients.
/// struct Admin;
///
/// #[namespace("/admin")]
/// impl Admin {
///     #[event]
///     fn on_sum(&self, a: i64, b: i64) -> i64 {
///         a + b
///     }
/// }
///
/// # async fn run() -> Result<(), socketio::Error> {
/// let sio = AsyncClient::new();
/// sio.register_namespace(Chat::default());
/// sio.register_namespace(Admin);
/// sio.connect("http://localhost:5000").await?; // connects "/chat" and "/admin"
///
/// let blocking = Client::new();
/// blocking.register_namespace(Admin);
/// # Ok(()) }
/// ```
///
/// The rules, the generated code and the compile-time checks:
pub use socketio_derive::namespace;

/// Makes a free function an event handler registered under its own name (python's
/// `@sio.event`): `sio.event(message)`. The function becomes a unit struct of the same
/// name; call the function itself as `message::call(…)`.
///
/// ```no_run
/// use socketio::{event, AsyncClient, Client};
///
/// #[event] // the event "message"
/// async fn message(data: serde_json::Value) {
///     println!("{data}");
/// }
///
/// #[event("multiply")] // any name; the return value is the ack
/// fn product(a: i64, b: i64) -> i64 {
///     a * b
/// }
///
/// # fn run() -> Result<(), socketio::Error> {
/// let sio = AsyncClient::new();
/// sio.event(message).event(product);
/// sio.of("/chat").event(message);
///
/// let blocking = Client::new(); // synchronous functions only
/// blocking.event(product);
/// assert_eq!(product::call(6, 7), 42);
/// # Ok(()) }
/// ```
///
/// The rules and the generated code:
pub use socketio_derive::event;
