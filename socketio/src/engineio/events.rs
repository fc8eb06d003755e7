//! What a session tells the layer above: [`EngineEvent`]s, ending with one
//! [`CloseReason`], delivered to an [`EngineHandler`] on the driver's task.

use bytes::Bytes;
use tokio::sync::mpsc;

use super::text::Text;
use crate::error::DecodeError;

/// Why an Engine.IO session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// This client closed it.
    Client,
    /// The server sent a `close` packet.
    Server,
    /// No ping arrived within `pingInterval + pingTimeout`.
    PingTimeout,
    /// The connection was closed without a `close` packet.
    TransportClose,
    /// The transport failed (network error, HTTP error, invalid data).
    TransportError(String),
    /// The server sent what does not decode: an Engine.IO packet (seen by the driver),
    /// or a message the layer above could not decode
    /// ([`EngineSocket::close_invalid_input`](super::EngineSocket::close_invalid_input)).
    InvalidInput(DecodeError),
}

/// What the session delivers to the layer above.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    /// A text message (sharing the buffer of the websocket frame it came in).
    Message(Text),
    /// A binary message.
    Binary(Bytes),
    /// The session is over; always the last event.
    Closed(CloseReason),
}

/// Receives a session's events on the driver's task, as they are read: no channel and
/// no task switch between the socket and the layer above.
///
/// It must not block: the heartbeat and the outgoing packets wait while it runs.
pub trait EngineHandler: Send + 'static {
    /// One event; `false` ends the session (nobody listens any more).
    /// [`EngineEvent::Closed`] comes exactly once, last.
    fn on_event(&mut self, event: EngineEvent) -> bool;
}

/// A channel as the handler: [`EngineSocket::connect`](super::EngineSocket::connect)
/// hands out the receiving side.
impl EngineHandler for mpsc::UnboundedSender<EngineEvent> {
    fn on_event(&mut self, event: EngineEvent) -> bool {
        self.send(event).is_ok()
    }
}

/// The receiving side of a session's events.
pub type EngineEvents = mpsc::UnboundedReceiver<EngineEvent>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_no_larger_than_a_message_and_its_tag() {
        // Every frame read becomes one event moved into the handler: a close reason
        // (rare) must not make the common case bigger.
        let message = std::mem::size_of::<Text>().max(std::mem::size_of::<Bytes>());
        assert!(std::mem::size_of::<EngineEvent>() <= message + std::mem::size_of::<usize>());
    }
}
