//! The clients: the async core, the tokio [`AsyncClient`] and the blocking [`Client`].
//!
//! The core is split by concern; each file owns one piece of state or one step of a
//! packet's way (see ARCHITECTURE.md):
//! - `core.rs`: what a client owns, emits and calls, delivery to the handlers;
//! - `lifecycle.rs`: connect, open, lose, reconnect, disconnect;
//! - `connection.rs`: the current connection's state, one owner behind one lock;
//! - `router.rs`: engine events → packets → one function per packet kind;
//! - `acks.rs`, `buffer.rs`, `recovery.rs`: the ack table, the send buffer, recovery;
//! - `reconnect.rs`: the backoff schedule; `retry.rs`, `retry_worker.rs`: `retries`;
//! - `handlers.rs`, `dispatcher.rs`, `concurrent.rs`, `handler.rs`: the handler table,
//!   the queue that runs handlers (n at a time with `handler_concurrency`), typed
//!   handlers; `reply.rs`: what a handler returns (a `Result` looked into);
//!   `handler_error.rs`: [`HandlerError`] and where it goes (hook, tracing, stderr);
//! - `handle.rs`: what the user's handles share (dropped with the last, the client
//!   disconnects), and the blocking clients' runtime;
//! - `credentials.rs`: `auth_with` / `headers_with`, fetched for every attempt;
//! - `link.rs`: the engine as the client sees it, and [`Ack`](link::Ack);
//! - `simple.rs`, `simple_blocking.rs`: the pull-style clients, on top of the others.

mod acks;
pub(crate) mod async_client;
pub(crate) mod blocking;
mod buffer;
mod builder;
mod concurrent;
mod connection;
pub(crate) mod core;
mod credentials;
pub(crate) mod dispatcher;
pub(crate) mod handle;
pub(crate) mod handler;
pub(crate) mod handler_error;
pub(crate) mod handlers;
mod lifecycle;
pub(crate) mod link;
pub(crate) mod options;
pub(crate) mod reason;
mod reconnect;
mod recovery;
pub(crate) mod reply;
mod retry;
mod retry_worker;
mod router;
mod simple;
mod simple_blocking;
mod state;
pub(crate) mod weak;

pub use async_client::{AsyncClient, AsyncSocket};
pub use blocking::{Client, Socket};
pub use builder::{AsyncClientBuilder, ClientBuilder};
pub use handler::{AckCallback, AnyHandler, Call, Handler, SyncHandler};
pub use handler_error::{HandlerError, HandlerErrorKind};
pub use options::{ConnectOptions, Parser};
pub use reason::DisconnectReason;
pub use simple::{AsyncSimpleClient, Event};
pub use simple_blocking::SimpleClient;
pub use state::ConnectionState;
pub use weak::{WeakAsyncClient, WeakClient};
