//! The state a session's handles and its driver share.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use super::handshake::Handshake;
use super::outbox::Outbox;
use super::protocol::Dialect;
use super::transport::Transport;

/// One session's shared state: what the handshake settled, the transport in use, the
/// packets waiting for the driver, and whether the session is over.
pub(super) struct Shared {
    /// The server's handshake.
    pub(super) handshake: Handshake,
    /// The Engine.IO revision the session speaks.
    pub(super) dialect: Dialect,
    /// The packets waiting for the driver, and the requests to end the session.
    pub(super) outbox: Outbox,
    transport: AtomicU8,
    closed: AtomicBool,
    /// Live [`EngineSocket`](super::EngineSocket) handles: when the last one goes, the
    /// session closes.
    pub(super) handles: AtomicUsize,
}

impl Shared {
    /// A session just opened on `transport`, with one handle.
    pub(super) fn new(handshake: Handshake, dialect: Dialect, transport: Transport) -> Self {
        Shared {
            handshake,
            dialect,
            outbox: Outbox::default(),
            transport: AtomicU8::new(transport as u8),
            closed: AtomicBool::new(false),
            handles: AtomicUsize::new(1),
        }
    }

    /// The transport in use now.
    pub(super) fn transport(&self) -> Transport {
        if self.transport.load(Ordering::Relaxed) == Transport::WebSocket as u8 {
            Transport::WebSocket
        } else {
            Transport::Polling
        }
    }

    /// The session now runs over a websocket.
    pub(super) fn upgraded(&self) {
        self.transport
            .store(Transport::WebSocket as u8, Ordering::Relaxed);
    }

    /// Whether the session is over.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The session is over (the outbox is shut separately, once the layer above knows).
    pub(super) fn mark_closed(&self) {
        self.closed.store(true, Ordering::Release);
    }
}
