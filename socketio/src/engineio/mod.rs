//! The Engine.IO client (v4, and v3 for Socket.IO 2.x servers): packets, polling
//! payloads, the two transports, and the session that runs the handshake, the
//! heartbeat and the upgrade.
//!
//! The session, top down: `socket` (the handle the layer above holds) opens it with
//! `open` (the handshake, which settles the [`Protocol`] into a `Dialect`), then starts
//! `driver` (one task per session: the polling and websocket loops and the upgrade),
//! which delivers `events` and sends what waits in `outbox`; `shared` is the state the
//! handle and the driver share. Refused requests are typed values of `error` until
//! they leave the layer.
//!
//! See the protocol: <https://socket.io/docs/v4/engine-io-protocol/>.

mod cookies;
mod driver;
mod error;
mod events;
pub(crate) mod handshake;
mod open;
pub(crate) mod options;
mod outbox;
pub(crate) mod packet;
pub(crate) mod payload;
mod protocol;
pub(crate) mod proxy;
mod shared;
pub(crate) mod socket;
pub(crate) mod text;
pub(crate) mod tls;
pub(crate) mod transport;

pub use cookies::Cookies;
pub use events::{CloseReason, EngineEvent, EngineEvents, EngineHandler};
pub use options::{EngineOptions, Limits};
pub use protocol::Protocol;
pub use proxy::ProxySettings;
pub use socket::EngineSocket;
pub use text::Text;
pub use tls::{TlsConfig, TlsSettings};
pub use transport::Transport;
