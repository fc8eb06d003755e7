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

mod driver;
mod error;
mod events;
pub mod handshake;
mod open;
pub mod options;
mod outbox;
pub mod packet;
pub mod payload;
mod protocol;
pub mod proxy;
mod shared;
pub mod socket;
pub mod text;
pub mod tls;
pub mod transport;

pub use events::{CloseReason, EngineEvent, EngineEvents, EngineHandler};
pub use handshake::Handshake;
pub use options::{EngineOptions, Limits};
pub use packet::Packet;
pub use protocol::Protocol;
pub use proxy::ProxySettings;
pub use socket::{EngineSession, EngineSocket};
pub use text::Text;
pub use tls::TlsSettings;
pub use transport::Transport;
