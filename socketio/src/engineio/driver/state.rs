//! The driver's state and the steps every transport shares: the reaction to each
//! incoming packet, delivery to the handler, and the heartbeat timers.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{sleep_until, Instant, Sleep};
use tracing::{debug, trace, warn};

use crate::engineio::events::{CloseReason, EngineEvent, EngineHandler};
use crate::engineio::options::EngineOptions;
use crate::engineio::packet::Packet;
use crate::engineio::protocol::Dialect;
use crate::engineio::shared::Shared;
use crate::error::DecodeError;

/// What the driver does after an incoming packet.
pub(super) enum Reaction {
    /// Nothing to send.
    Nothing,
    /// Send this answer.
    Reply(Packet),
    /// End the session.
    Close(CloseReason),
}

/// One session's driver: it owns the transport loop's state and runs on its own task.
pub(super) struct Driver {
    pub(super) options: Arc<EngineOptions>,
    pub(super) shared: Arc<Shared>,
    handler: Box<dyn EngineHandler>,
    /// Packets waiting for the transport (polling, or during the upgrade).
    pub(super) queue: VecDeque<Packet>,
    /// When the server is declared dead without a sign of life.
    pub(super) heartbeat: Pin<Box<Sleep>>,
    /// When the client sends its next ping, in a dialect where the client pings.
    pub(super) ping: Pin<Box<Sleep>>,
}

impl Driver {
    /// The driver of a session that starts now; `handler` gets every event.
    pub(super) fn new(
        options: Arc<EngineOptions>,
        shared: Arc<Shared>,
        handler: Box<dyn EngineHandler>,
    ) -> Self {
        let now = Instant::now();
        let handshake = &shared.handshake;
        Driver {
            heartbeat: Box::pin(sleep_until(now + handshake.heartbeat_deadline())),
            ping: Box::pin(sleep_until(
                now + Duration::from_millis(handshake.ping_interval),
            )),
            options,
            shared,
            handler,
            queue: VecDeque::new(),
        }
    }

    /// The revision the session speaks.
    #[inline]
    pub(super) fn dialect(&self) -> Dialect {
        self.shared.dialect
    }

    /// The session is over: the handler's last event, then the outbox refuses packets.
    pub(super) fn finish(mut self, reason: CloseReason) {
        debug!(target: "engineio", sid = %self.shared.handshake.sid, ?reason, "session closed");
        self.shared.mark_closed();
        self.handler.on_event(EngineEvent::Closed(reason));
        self.shared.outbox.shut();
    }

    /// The client's heartbeat ping, and the timer set for the next one.
    pub(super) fn next_ping(&mut self) -> Packet {
        let next = Instant::now() + Duration::from_millis(self.shared.handshake.ping_interval);
        self.ping.as_mut().reset(next);
        Packet::Ping(None)
    }

    fn reset_heartbeat(&mut self) {
        let deadline = Instant::now() + self.shared.handshake.heartbeat_deadline();
        self.heartbeat.as_mut().reset(deadline);
    }

    /// Handles one incoming packet.
    pub(super) fn on_packet(&mut self, packet: Packet) -> Reaction {
        trace!(target: "engineio", ?packet, "received");
        match packet {
            Packet::Ping(data) => {
                self.reset_heartbeat();
                Reaction::Reply(Packet::Pong(data))
            }
            Packet::Message(text) => self.deliver(EngineEvent::Message(text)),
            Packet::Binary(data) => self.deliver(EngineEvent::Binary(data)),
            Packet::Close => Reaction::Close(CloseReason::Server),
            // The server's answer to our heartbeat ping.
            Packet::Pong(None) if self.dialect().client_pings() => {
                self.reset_heartbeat();
                Reaction::Nothing
            }
            Packet::Noop | Packet::Pong(_) | Packet::Upgrade => Reaction::Nothing,
            Packet::Open(_) => {
                warn!(target: "engineio", "ignoring a second open packet");
                Reaction::Nothing
            }
        }
    }

    /// Handles the packets that came with the handshake, replies queued; the reason
    /// if one of them ends the session.
    pub(super) fn on_early_packets(&mut self, packets: Vec<Packet>) -> Option<CloseReason> {
        for packet in packets {
            match self.on_packet(packet) {
                Reaction::Nothing => {}
                Reaction::Reply(reply) => self.queue.push_back(reply),
                Reaction::Close(reason) => return Some(reason),
            }
        }
        None
    }

    fn deliver(&mut self, event: EngineEvent) -> Reaction {
        if self.handler.on_event(event) {
            Reaction::Nothing
        } else {
            // Nobody listens any more: end the session.
            Reaction::Close(CloseReason::Client)
        }
    }

    /// A packet from the server that does not decode ends the session.
    pub(super) fn decode_error(error: DecodeError) -> Reaction {
        warn!(target: "engineio", %error, "invalid packet from the server");
        Reaction::Close(CloseReason::InvalidInput(error))
    }
}
