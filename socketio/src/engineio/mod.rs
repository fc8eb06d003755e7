//! The Engine.IO v4 client: packets, polling payloads, the two transports, and the
//! socket that runs the handshake, the heartbeat and the upgrade.
//!
//! See the protocol: <https://socket.io/docs/v4/engine-io-protocol/>.

mod error;
pub mod handshake;
pub mod options;
mod outbox;
pub mod packet;
pub mod payload;
mod protocol;
pub mod proxy;
pub mod socket;
pub mod text;
pub mod tls;
pub mod transport;

pub use handshake::Handshake;
pub use options::{EngineOptions, Limits};
pub use packet::Packet;
pub use protocol::Protocol;
pub use proxy::ProxySettings;
pub use socket::{
    CloseReason, EngineEvent, EngineEvents, EngineHandler, EngineSession, EngineSocket,
};
pub use text::Text;
pub use tls::TlsSettings;
pub use transport::Transport;
