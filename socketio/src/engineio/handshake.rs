//! The `open` packet's handshake data.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What the server announces in its `open` packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// The Engine.IO session id.
    pub sid: String,
    /// Transports the session may be upgraded to (`["websocket"]` on polling).
    #[serde(default)]
    pub upgrades: Vec<String>,
    /// Milliseconds between two server pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// The largest polling payload the server accepts, in bytes (absent on older servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_payload: Option<u64>,
}

impl Handshake {
    /// How long the client waits for the next ping before it declares the server dead.
    pub fn heartbeat_deadline(&self) -> Duration {
        Duration::from_millis(self.ping_interval.saturating_add(self.ping_timeout))
    }

    /// Whether the packet may come from an Engine.IO v3 server: it has no `maxPayload`.
    /// Engine.IO 3 never sends one; Engine.IO 4 servers do since engine.io 6.2
    /// (socket.io 4.5), python-engineio and socketioxide too, but older Engine.IO 4
    /// servers do not, so this alone does not settle the revision.
    pub fn may_be_v3(&self) -> bool {
        self.max_payload.is_none()
    }

    /// Whether the server offers the websocket upgrade.
    pub fn offers_websocket(&self) -> bool {
        self.upgrades.iter().any(|u| u == "websocket")
    }
}
