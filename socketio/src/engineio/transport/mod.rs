//! The two transports: HTTP long-polling and websocket.

pub mod polling;
mod stream;
mod upgrade;
pub mod websocket;

/// A transport of the Engine.IO protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling: a GET waits for packets, a POST sends them.
    Polling,
    /// One websocket, one packet per frame.
    WebSocket,
}

impl Transport {
    /// The name used in the `transport` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
