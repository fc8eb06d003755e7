//! The clients: the async core, the tokio [`AsyncClient`] and the blocking [`Client`].

pub(crate) mod async_client;
pub(crate) mod blocking;
pub(crate) mod core;
pub(crate) mod dispatcher;
pub(crate) mod handler;
pub(crate) mod options;
pub(crate) mod reason;

pub use async_client::{AsyncClient, AsyncClientBuilder, AsyncSocket};
pub use blocking::{Client, ClientBuilder, Socket};
pub use core::ConnectionState;
pub use handler::{AnyHandler, Call, Handler, SyncHandler};
pub use options::{ConnectOptions, Parser};
pub use reason::DisconnectReason;
