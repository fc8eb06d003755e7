//! The handle to an Engine.IO session ([`EngineSocket`]) and the opened session
//! waiting for its handler ([`EngineSession`]).
//!
//! The layer above talks to the session through [`EngineSocket`] (send, close: packets
//! wait in its outbox) and receives [`EngineEvent`]s (messages, then exactly one
//! `Closed`) through its [`EngineHandler`], called on the session's driver task.
//! Those event types live in `events.rs`; they are re-exported here, where they were.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tracing::debug;

use super::driver;
use super::events::{CloseReason, EngineEvents, EngineHandler};
use super::handshake::Handshake;
use super::open::{self, Opened, Start};
use super::options::EngineOptions;
use super::outbox::Closing;
use super::packet::Packet;
use super::protocol::Protocol;
use super::shared::Shared;
use super::transport::Transport;
use crate::error::{DecodeError, Error};

/// A handle to an open Engine.IO session; cheap to clone. The session is closed when
/// the last handle is dropped.
pub struct EngineSocket {
    shared: Arc<Shared>,
}

impl Clone for EngineSocket {
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::Relaxed);
        EngineSocket {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for EngineSocket {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.outbox.close(Closing::Client, None);
        }
    }
}

impl std::fmt::Debug for EngineSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSocket")
            .field("sid", &self.shared.handshake.sid)
            .field("transport", &self.transport())
            .finish()
    }
}

/// An open session whose driver has not started yet: packets sent meanwhile are queued,
/// and nothing is read until [`start`](Self::start) names the handler. Dropped without
/// being started, it ends the session (the connection closes, sends fail).
pub struct EngineSession {
    options: Arc<EngineOptions>,
    shared: Arc<Shared>,
    start: Start,
    unstarted: Unstarted,
}

/// Ends a session that was never started, when its [`EngineSession`] is dropped.
struct Unstarted(Option<Arc<Shared>>);

impl Drop for Unstarted {
    fn drop(&mut self) {
        if let Some(shared) = self.0.take() {
            shared.mark_closed();
            shared.outbox.shut();
        }
    }
}

impl std::fmt::Debug for EngineSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSession")
            .field("sid", &self.shared.handshake.sid)
            .finish()
    }
}

impl EngineSession {
    /// Starts the driver on a task of the current runtime; `handler` gets every event.
    pub fn start(self, handler: impl EngineHandler) {
        let EngineSession {
            options,
            shared,
            start,
            mut unstarted,
        } = self;
        unstarted.0 = None;
        driver::spawn(options, shared, Box::new(handler), start);
    }
}

impl EngineSocket {
    /// Opens a session and starts it, with its events delivered on a channel.
    /// See [`open`](Self::open).
    pub async fn connect(options: EngineOptions) -> Result<(EngineSocket, EngineEvents), Error> {
        let (engine, session) = EngineSocket::open(options).await?;
        let (events_tx, events) = mpsc::unbounded_channel();
        session.start(events_tx);
        Ok((engine, events))
    }

    /// Opens a session: the handshake on the first allowed transport, then (from
    /// polling, once started) the upgrade to websocket in the background when both
    /// sides allow it.
    ///
    /// With [`Protocol::Auto`], a server that answers like Engine.IO v3 (a v3 payload,
    /// or "Unsupported protocol version") is handshaken again with v3.
    pub fn open(
        options: EngineOptions,
    ) -> impl Future<Output = Result<(EngineSocket, EngineSession), Error>> {
        // Not an `async fn`: its future would keep the options by value beside their Arc
        // for as long as the session opens.
        Self::open_shared(Arc::new(options))
    }

    async fn open_shared(
        options: Arc<EngineOptions>,
    ) -> Result<(EngineSocket, EngineSession), Error> {
        let Opened {
            dialect,
            handshake,
            start,
        } = open::open(&options).await?;
        let first = start.transport();
        debug!(target: "engineio", sid = %handshake.sid, transport = %first, protocol = ?dialect.protocol(), ping_interval = handshake.ping_interval, ping_timeout = handshake.ping_timeout, "session open");
        let shared = Arc::new(Shared::new(handshake, dialect, first));
        let session = EngineSession {
            options,
            shared: shared.clone(),
            start,
            unstarted: Unstarted(Some(shared.clone())),
        };
        Ok((EngineSocket { shared }, session))
    }

    /// The protocol revision in use (never `Auto`).
    pub fn protocol(&self) -> Protocol {
        self.shared.dialect.protocol()
    }

    /// The server's handshake.
    pub fn handshake(&self) -> &Handshake {
        &self.shared.handshake
    }

    /// The Engine.IO session id.
    pub fn sid(&self) -> &str {
        &self.shared.handshake.sid
    }

    /// The transport in use now.
    pub fn transport(&self) -> Transport {
        self.shared.transport()
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Queues a text message.
    pub fn send_message(&self, text: String) -> Result<(), Error> {
        Self::sent(self.shared.outbox.push_one(Packet::Message(text.into())))
    }

    /// Queues a binary message.
    pub fn send_binary(&self, data: Bytes) -> Result<(), Error> {
        Self::sent(self.shared.outbox.push_one(Packet::Binary(data)))
    }

    fn sent(queued: bool) -> Result<(), Error> {
        if queued {
            Ok(())
        } else {
            Err(Error::NotConnected)
        }
    }

    /// Queues a text message followed by binary messages, with nothing sent in between.
    pub fn send_with_binaries(&self, text: String, binaries: Vec<Bytes>) -> Result<(), Error> {
        if binaries.is_empty() {
            return self.send_message(text);
        }
        Self::sent(
            self.shared.outbox.push(
                std::iter::once(Packet::Message(text.into()))
                    .chain(binaries.into_iter().map(Packet::Binary)),
            ),
        )
    }

    /// Drops the connection because of a problem the layer above found with it (other
    /// than undecodable input: see [`close_invalid_input`](Self::close_invalid_input));
    /// the session ends with [`CloseReason::TransportError`] carrying `reason`.
    pub fn close_with_error(&self, reason: String) {
        self.abort(CloseReason::TransportError(reason));
    }

    /// Drops the connection because the layer above could not decode what the server
    /// sent; the session ends with [`CloseReason::InvalidInput`] carrying `error`.
    pub fn close_invalid_input(&self, error: DecodeError) {
        self.abort(CloseReason::InvalidInput(error));
    }

    fn abort(&self, reason: CloseReason) {
        self.shared.outbox.close(Closing::Abort(reason), None);
    }

    /// Sends what is queued, then a `close` packet, and ends the session.
    /// Returns once the server has been told (or the session was already over).
    pub async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.shared.outbox.close(Closing::Client, Some(done)) {
            let _ = closed.await;
        }
    }
}
