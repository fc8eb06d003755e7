//! Why a namespace was disconnected.

use serde::{Deserialize, Serialize};

/// Why a namespace was disconnected, as the `disconnect` handler receives it.
///
/// It travels to handlers as one string argument, with socket.io-client's names
/// (`"io client disconnect"`, `"ping timeout"`, …), so a handler may take it as a
/// `DisconnectReason` or as a `String`.
///
/// ```no_run
/// use socketio::{AsyncClient, DisconnectReason};
///
/// let sio = AsyncClient::new();
/// sio.on("disconnect", |reason: DisconnectReason| async move {
///     match reason {
///         DisconnectReason::ServerDisconnect => println!("the server let us go"),
///         reason if reason.is_accidental() => println!("{reason}: reconnecting"),
///         reason => println!("{reason}"),
///     }
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DisconnectReason {
    /// This client called `disconnect()`.
    #[serde(rename = "io client disconnect")]
    ClientDisconnect,
    /// The server disconnected the namespace (or the whole client).
    #[serde(rename = "io server disconnect")]
    ServerDisconnect,
    /// No ping arrived within the server's `pingInterval + pingTimeout`.
    #[serde(rename = "ping timeout")]
    PingTimeout,
    /// The connection was closed (by the server, a proxy, or the network).
    #[serde(rename = "transport close")]
    TransportClose,
    /// The connection failed (network, HTTP or TLS error).
    #[serde(rename = "transport error")]
    TransportError,
    /// The server sent data that is not valid Socket.IO.
    #[serde(rename = "parse error")]
    ParseError,
}

impl DisconnectReason {
    /// Whether the client may reconnect after this (JS and python semantics:
    /// not after a disconnect asked for by either side).
    pub fn is_accidental(self) -> bool {
        !matches!(
            self,
            DisconnectReason::ClientDisconnect | DisconnectReason::ServerDisconnect
        )
    }
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        f.write_str(&text)
    }
}
