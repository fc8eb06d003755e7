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
//! - `handlers.rs`, `dispatcher.rs`, `handler.rs`: the handler table, the queue that
//!   runs handlers, typed handlers;
//! - `link.rs`: the engine as the client sees it, and [`Ack`](link::Ack).

mod acks;
pub(crate) mod async_client;
pub(crate) mod blocking;
mod buffer;
mod builder;
mod connection;
pub(crate) mod core;
pub(crate) mod dispatcher;
pub(crate) mod handler;
pub(crate) mod handlers;
mod lifecycle;
pub(crate) mod link;
pub(crate) mod options;
pub(crate) mod reason;
mod reconnect;
mod recovery;
mod retry;
mod retry_worker;
mod router;
mod state;

pub use async_client::{AsyncClient, AsyncSocket};
pub use blocking::{Client, Socket};
pub use builder::{AsyncClientBuilder, ClientBuilder};
pub use handler::{AnyHandler, Call, Handler, SyncHandler};
pub use options::{ConnectOptions, Parser};
pub use reason::DisconnectReason;
pub use state::ConnectionState;
