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
//! The layers, bottom up: [`engineio`] (transports, heartbeat, upgrade), [`packet`]
//! (Socket.IO packets and attachments), [`args`] (Rust values ⇄ arguments), and the
//! clients.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod args;
mod client;
pub mod engineio;
pub mod error;
mod logging;
pub mod namespace;
pub mod packet;

pub use args::Payload;
pub use client::{
    AnyHandler, AsyncClient, AsyncClientBuilder, AsyncSocket, Call, Client, ClientBuilder,
    ConnectOptions, ConnectionState, DisconnectReason, Handler, Parser, Socket, SyncHandler,
};
pub use engineio::{Protocol, Transport};
pub use error::{DecodeError, Error};
pub use namespace::{AsyncClientNamespace, AsyncEventFunction, ClientNamespace, EventFunction};
