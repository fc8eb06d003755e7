//! The Engine.IO client socket: handshake, heartbeat, the polling → websocket upgrade,
//! and the close, driven by one task per connection.
//!
//! The layer above talks to it through [`EngineSocket`] (send, close: packets wait in
//! its outbox) and receives [`EngineEvent`]s (messages, then exactly
//! one `Closed`) through its [`EngineHandler`], called on the driver's task.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant, Sleep};
use tracing::{debug, trace, warn};

use super::error::EngineError;
use super::handshake::Handshake;
use super::options::EngineOptions;
use super::outbox::{Closing, Outbox};
use super::packet::Packet;
use super::payload;
use super::protocol::{Dialect, Protocol};
use super::text::Text;
use super::transport::polling::Polling;
use super::transport::websocket::{self, WebSocket};
use super::transport::Transport;
use crate::error::{DecodeError, Error};

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

/// A channel as the handler: [`EngineSocket::connect`] hands out the receiving side.
impl EngineHandler for mpsc::UnboundedSender<EngineEvent> {
    fn on_event(&mut self, event: EngineEvent) -> bool {
        self.send(event).is_ok()
    }
}

struct Shared {
    handshake: Handshake,
    dialect: Dialect,
    transport: AtomicU8,
    closed: AtomicBool,
    outbox: Outbox,
    /// Live [`EngineSocket`] handles: when the last one goes, the session closes.
    handles: AtomicUsize,
}

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

/// The receiving side of a session's events.
pub type EngineEvents = mpsc::UnboundedReceiver<EngineEvent>;

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
            shared.closed.store(true, Ordering::Release);
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
        let now = Instant::now();
        let handshake = &shared.handshake;
        let driver = Driver {
            heartbeat: Box::pin(sleep_until(now + handshake.heartbeat_deadline())),
            ping: Box::pin(sleep_until(
                now + Duration::from_millis(handshake.ping_interval),
            )),
            options,
            shared,
            handler: Box::new(handler),
            queue: VecDeque::new(),
        };
        tokio::spawn(driver.run(start));
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
    pub async fn open(options: EngineOptions) -> Result<(EngineSocket, EngineSession), Error> {
        let options = Arc::new(options);
        let asked = Dialect::first_for(options.protocol);
        let (dialect, (handshake, start)) = match open(&options, asked).await {
            Err(Opening::OtherRevision(_)) if options.protocol == Protocol::Auto => {
                debug!(target: "engineio", "the server speaks Engine.IO v3; handshaking again with v3");
                let opened = open(&options, Dialect::V3).await;
                (Dialect::V3, opened.map_err(Opening::into_error)?)
            }
            other => (asked, other.map_err(Opening::into_error)?),
        };
        let protocol = dialect.protocol();
        let first = match start {
            Start::Polling(..) => Transport::Polling,
            Start::WebSocket(_) => Transport::WebSocket,
        };
        debug!(target: "engineio", sid = %handshake.sid, transport = %first, ?protocol, ping_interval = handshake.ping_interval, ping_timeout = handshake.ping_timeout, "session open");
        let shared = Arc::new(Shared {
            handshake,
            dialect,
            transport: AtomicU8::new(first as u8),
            closed: AtomicBool::new(false),
            outbox: Outbox::default(),
            handles: AtomicUsize::new(1),
        });
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
        if self.shared.transport.load(Ordering::Relaxed) == Transport::WebSocket as u8 {
            Transport::WebSocket
        } else {
            Transport::Polling
        }
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
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

    /// Drops the connection because its data is invalid; the session ends with
    /// [`CloseReason::TransportError`] carrying `reason`.
    pub fn close_with_error(&self, reason: String) {
        self.shared.outbox.close(Closing::Failed(reason), None);
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

/// Packets in one polling POST. python-engineio refuses a payload of more than 16
/// (`Payload.max_decode_packets`) and answers 200 all the same, dropping every packet
/// in it: emits that pile up during an upgrade were lost that way.
const MAX_PACKETS_PER_PAYLOAD: usize = 16;

/// Why a handshake did not open a session.
enum Opening {
    /// The server refused the revision asked for, or answered in another one: with
    /// [`Protocol::Auto`] the handshake is tried again with v3; otherwise, the error.
    OtherRevision(Error),
    Failed(Error),
}

impl Opening {
    fn into_error(self) -> Error {
        match self {
            Opening::OtherRevision(error) | Opening::Failed(error) => error,
        }
    }
}

impl From<Error> for Opening {
    fn from(error: Error) -> Self {
        Opening::Failed(error)
    }
}

impl From<EngineError> for Opening {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Refused(refusal) if refusal.refuses_revision() => {
                Opening::OtherRevision(refusal.into_error())
            }
            other => Opening::Failed(other.into()),
        }
    }
}

impl From<DecodeError> for Opening {
    fn from(error: DecodeError) -> Self {
        Opening::Failed(error.into())
    }
}

/// The handshake on the first allowed transport, in `dialect`.
async fn open(
    options: &Arc<EngineOptions>,
    dialect: Dialect,
) -> Result<(Handshake, Start), Opening> {
    let first = *options
        .transports
        .first()
        .ok_or_else(|| Error::ConnectionFailed("no transport allowed".into()))?;
    match first {
        Transport::Polling => {
            let polling = Polling::new(options.clone(), dialect)?;
            let body = polling.handshake().await?;
            if dialect == Dialect::V4 && payload::looks_like_v3(&body) {
                return Err(Opening::OtherRevision(Error::ConnectionFailed(
                    "the server answered with Engine.IO v3".into(),
                )));
            }
            let mut packets = dialect
                .decode_payload(&body)
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?
                .into_iter();
            let handshake = match packets.next() {
                Some(Packet::Open(handshake)) => handshake,
                _ => {
                    return Err(
                        Error::ConnectionFailed(format!("no open packet in {body:?}")).into(),
                    )
                }
            };
            Ok((handshake, Start::Polling(polling, packets.collect())))
        }
        Transport::WebSocket => {
            let mut socket = websocket::connect(options, dialect, None).await?;
            let handshake = loop {
                let frame = tokio::time::timeout(options.request_timeout, socket.next())
                    .await
                    .map_err(|_| Error::ConnectionFailed("no open packet".into()))?;
                match frame {
                    Some(Ok(message)) => match websocket::decode(message, dialect) {
                        Some(Ok(Packet::Open(handshake))) => break handshake,
                        Some(Ok(other)) => {
                            return Err(Error::ConnectionFailed(format!(
                                "expected an open packet, got {other:?}"
                            ))
                            .into())
                        }
                        Some(Err(e)) => return Err(e.into()),
                        None => continue,
                    },
                    Some(Err(e)) => return Err(Error::ConnectionFailed(e.to_string()).into()),
                    None => return Err(Error::ConnectionFailed("closed before open".into()).into()),
                }
            };
            Ok((handshake, Start::WebSocket(Box::new(socket))))
        }
    }
}

enum Start {
    Polling(Polling, Vec<Packet>),
    WebSocket(Box<WebSocket>),
}

/// What the driver does after an incoming packet.
enum Reaction {
    Nothing,
    Reply(Packet),
    Close(CloseReason),
}

/// Aborts a background task when dropped, so no request outlives its session.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Driver {
    options: Arc<EngineOptions>,
    shared: Arc<Shared>,
    handler: Box<dyn EngineHandler>,
    /// Packets waiting for the transport (polling, or during the upgrade).
    queue: VecDeque<Packet>,
    heartbeat: std::pin::Pin<Box<Sleep>>,
    /// Engine.IO v3: when the client sends its next ping.
    ping: std::pin::Pin<Box<Sleep>>,
}

impl Driver {
    async fn run(mut self, start: Start) {
        let reason = match start {
            Start::Polling(polling, early) => {
                let mut reaction = Reaction::Nothing;
                for packet in early {
                    match self.on_packet(packet) {
                        Reaction::Reply(reply) => self.queue.push_back(reply),
                        Reaction::Nothing => {}
                        close => {
                            reaction = close;
                            break;
                        }
                    }
                }
                match reaction {
                    Reaction::Close(reason) => reason,
                    // Boxed: the polling machinery is not kept in the task once upgraded.
                    _ => match Box::pin(self.run_polling(polling)).await {
                        Outcome::Upgraded(socket) => self.run_websocket(socket).await,
                        Outcome::Closed(reason) => reason,
                    },
                }
            }
            Start::WebSocket(socket) => self.run_websocket(socket).await,
        };
        debug!(target: "engineio", sid = %self.shared.handshake.sid, ?reason, "session closed");
        self.shared.closed.store(true, Ordering::Release);
        self.handler.on_event(EngineEvent::Closed(reason));
        self.shared.outbox.shut();
    }

    fn dialect(&self) -> Dialect {
        self.shared.dialect
    }

    /// Engine.IO v3: the client pings every `pingInterval`.
    fn next_ping(&mut self) -> Packet {
        let next = Instant::now() + Duration::from_millis(self.shared.handshake.ping_interval);
        self.ping.as_mut().reset(next);
        Packet::Ping(None)
    }

    fn reset_heartbeat(&mut self) {
        let deadline = Instant::now() + self.shared.handshake.heartbeat_deadline();
        self.heartbeat.as_mut().reset(deadline);
    }

    fn on_packet(&mut self, packet: Packet) -> Reaction {
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

    fn deliver(&mut self, event: EngineEvent) -> Reaction {
        if self.handler.on_event(event) {
            Reaction::Nothing
        } else {
            // Nobody listens any more: end the session.
            Reaction::Close(CloseReason::Client)
        }
    }

    fn decode_error(error: DecodeError) -> Reaction {
        warn!(target: "engineio", %error, "invalid packet from the server");
        Reaction::Close(CloseReason::TransportError(error.to_string()))
    }

    /// Takes as many queued packets as fit in one payload of the server's `maxPayload`,
    /// and at most [`MAX_PACKETS_PER_PAYLOAD`].
    fn next_batch(&mut self) -> Option<String> {
        if self.queue.is_empty() {
            return None;
        }
        let limit = self
            .shared
            .handshake
            .max_payload
            .map_or(usize::MAX, |m| m as usize);
        let mut body = String::new();
        let (mut size, mut count) = (0, 0);
        while let Some(packet) = self.queue.front() {
            let len = payload::encoded_len(packet) + 8;
            if count == MAX_PACKETS_PER_PAYLOAD || (size > 0 && size + len > limit) {
                break;
            }
            count += 1;
            size += len;
            let packet = self.queue.pop_front().expect("front exists");
            self.dialect().encode_payload_into(&packet, &mut body);
        }
        Some(body)
    }

    async fn run_polling(&mut self, polling: Polling) -> Outcome {
        let sid = self.shared.handshake.sid.clone();
        let paused = Arc::new(AtomicBool::new(false));
        let (polled_tx, mut polled) = mpsc::unbounded_channel();
        let long_poll = self.shared.handshake.heartbeat_deadline() + Duration::from_secs(5);
        let mut poller = Some(AbortOnDrop(tokio::spawn(poll_loop(
            polling.clone(),
            self.dialect(),
            sid.clone(),
            long_poll,
            paused.clone(),
            polled_tx,
        ))));
        let mut post: Option<AbortOnDrop<Result<(), EngineError>>> = None;
        let upgrade =
            self.options.allows(Transport::WebSocket) && self.shared.handshake.offers_websocket();
        let mut probe = upgrade.then(|| {
            let options = self.options.clone();
            let sid = sid.clone();
            let dialect = self.dialect();
            AbortOnDrop(tokio::spawn(async move {
                probe_websocket(&options, dialect, &sid).await
            }))
        });
        let mut upgraded: Option<WebSocket> = None;

        loop {
            if upgraded.is_some() && poller.is_none() && post.is_none() {
                let mut socket = upgraded.take().expect("checked");
                if let Err(e) = socket
                    .send(websocket::frame(&Packet::Upgrade, self.dialect()))
                    .await
                {
                    warn!(target: "engineio", error = %e, "upgrade failed after the probe");
                    return Outcome::Closed(CloseReason::TransportError(e.to_string()));
                }
                debug!(target: "engineio", sid = %sid, "upgraded to websocket");
                self.shared
                    .transport
                    .store(Transport::WebSocket as u8, Ordering::Relaxed);
                return Outcome::Upgraded(Box::new(socket));
            }
            if post.is_none() && upgraded.is_none() {
                if let Some(body) = self.next_batch() {
                    trace!(target: "engineio", %body, "post");
                    let polling = polling.clone();
                    let sid = sid.clone();
                    post = Some(AbortOnDrop(tokio::spawn(async move {
                        polling.post(&sid, body).await
                    })));
                }
            }
            tokio::select! {
                () = self.shared.outbox.ready() => match self.shared.outbox.take(&mut self.queue) {
                    None => {}
                    Some(Closing::Client) => {
                        self.close_polling(&polling, &sid, post.take()).await;
                        return Outcome::Closed(CloseReason::Client);
                    }
                    Some(Closing::Failed(reason)) => {
                        return Outcome::Closed(CloseReason::TransportError(reason));
                    }
                },
                // Once the poller is done its channel stays closed: not polled again.
                item = polled.recv(), if poller.is_some() => match item {
                    Some(Ok(packet)) => match self.on_packet(packet) {
                        Reaction::Nothing => {}
                        Reaction::Reply(reply) => self.queue.push_back(reply),
                        Reaction::Close(reason) => return Outcome::Closed(reason),
                    },
                    Some(Err(PollError::Decode(e))) => {
                        if let Reaction::Close(reason) = Self::decode_error(e) {
                            return Outcome::Closed(reason);
                        }
                    }
                    Some(Err(PollError::Transport(e))) => {
                        return Outcome::Closed(CloseReason::TransportError(Error::from(e).to_string()))
                    }
                    // The poller stopped because the upgrade paused it, and all it read is handled.
                    None => poller = None,
                },
                result = async { (&mut post.as_mut().expect("guarded").0).await }, if post.is_some() => {
                    post = None;
                    match result {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => return Outcome::Closed(CloseReason::TransportError(Error::from(e).to_string())),
                        Err(e) => return Outcome::Closed(CloseReason::TransportError(e.to_string())),
                    }
                },
                result = async { (&mut probe.as_mut().expect("guarded").0).await }, if probe.is_some() => {
                    probe = None;
                    match result {
                        Ok(Ok(socket)) => {
                            // Pause polling: no new GET; the pending one is released by the server's noop.
                            paused.store(true, Ordering::Release);
                            upgraded = Some(socket);
                        }
                        Ok(Err(e)) => debug!(target: "engineio", error = %e, "websocket probe failed; staying on polling"),
                        Err(e) => debug!(target: "engineio", error = %e, "websocket probe failed; staying on polling"),
                    }
                },
                () = &mut self.ping, if self.dialect().client_pings() => {
                    let ping = self.next_ping();
                    self.queue.push_back(ping);
                }
                () = &mut self.heartbeat => return Outcome::Closed(CloseReason::PingTimeout),
            }
        }
    }

    /// Flushes the queue and a `close` packet over polling, within the request timeout.
    async fn close_polling(
        &mut self,
        polling: &Polling,
        sid: &str,
        post: Option<AbortOnDrop<Result<(), EngineError>>>,
    ) {
        let timeout = self.options.request_timeout;
        let flush = async {
            if let Some(mut post) = post {
                let _ = (&mut post.0).await;
            }
            self.queue.push_back(Packet::Close);
            while let Some(body) = self.next_batch() {
                if polling.post(sid, body).await.is_err() {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(timeout, flush).await;
    }

    /// Runs the session over `socket` (boxed: the task keeps only a pointer to it).
    async fn run_websocket(&mut self, mut socket: Box<WebSocket>) -> CloseReason {
        self.shared
            .transport
            .store(Transport::WebSocket as u8, Ordering::Relaxed);
        if let Err(e) = self.flush_queue(&mut socket).await {
            return CloseReason::TransportError(e.to_string());
        }
        loop {
            tokio::select! {
                // In this order: what waits to go out, then what came in, then the timers
                // (a server that keeps sending is alive).
                biased;
                () = self.shared.outbox.ready() => {
                    // Everything that piled up goes out at once: feed every frame, flush once.
                    let closing = self.shared.outbox.take(&mut self.queue);
                    if let Err(e) = self.flush_queue(&mut socket).await {
                        return CloseReason::TransportError(e.to_string());
                    }
                    match closing {
                        None => {}
                        Some(Closing::Client) => {
                            close_websocket(&mut socket, self.dialect()).await;
                            return CloseReason::Client;
                        }
                        Some(Closing::Failed(reason)) => {
                            let _ = WebSocket::close(&mut socket, None).await;
                            return CloseReason::TransportError(reason);
                        }
                    }
                },
                frame = socket.next() => {
                    let reaction = match frame {
                        Some(Ok(message)) => match websocket::decode(message, self.dialect()) {
                            Some(Ok(packet)) => self.on_packet(packet),
                            Some(Err(e)) => Self::decode_error(e),
                            None => Reaction::Nothing,
                        },
                        Some(Err(e)) => Reaction::Close(close_reason_of(e)),
                        None => Reaction::Close(CloseReason::TransportClose),
                    };
                    match reaction {
                        Reaction::Nothing => {}
                        Reaction::Reply(reply) => {
                            if let Err(e) = socket.send(websocket::frame(&reply, self.dialect())).await {
                                return CloseReason::TransportError(e.to_string());
                            }
                        }
                        Reaction::Close(reason) => {
                            if reason == CloseReason::Client {
                                close_websocket(&mut socket, self.dialect()).await;
                            }
                            return reason;
                        }
                    }
                }
                () = &mut self.ping, if self.dialect().client_pings() => {
                    let ping = self.next_ping();
                    if let Err(e) = socket.send(websocket::frame(&ping, self.dialect())).await {
                        return CloseReason::TransportError(e.to_string());
                    }
                }
                () = &mut self.heartbeat => return CloseReason::PingTimeout,
            }
        }
    }

    async fn flush_queue(
        &mut self,
        socket: &mut WebSocket,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        if self.queue.is_empty() {
            return Ok(());
        }
        let dialect = self.dialect();
        while let Some(packet) = self.queue.pop_front() {
            socket.feed(websocket::frame_owned(packet, dialect)).await?;
        }
        socket.flush().await
    }
}

fn close_reason_of(error: tokio_tungstenite::tungstenite::Error) -> CloseReason {
    use tokio_tungstenite::tungstenite::Error as WsError;
    match error {
        WsError::ConnectionClosed | WsError::AlreadyClosed => CloseReason::TransportClose,
        WsError::Protocol(
            tokio_tungstenite::tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        ) => CloseReason::TransportClose,
        other => CloseReason::TransportError(other.to_string()),
    }
}

async fn close_websocket(socket: &mut WebSocket, dialect: Dialect) {
    let _ = socket.send(websocket::frame(&Packet::Close, dialect)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
}

enum Outcome {
    Upgraded(Box<WebSocket>),
    Closed(CloseReason),
}

enum PollError {
    Transport(EngineError),
    Decode(DecodeError),
}

/// Long-polls until paused, closed, or failed; packets go to the driver in order.
async fn poll_loop(
    polling: Polling,
    dialect: Dialect,
    sid: String,
    deadline: Duration,
    paused: Arc<AtomicBool>,
    out: mpsc::UnboundedSender<Result<Packet, PollError>>,
) {
    while !paused.load(Ordering::Acquire) {
        let body = match polling.get(&sid, deadline).await {
            Ok(body) => body,
            Err(e) => {
                let _ = out.send(Err(PollError::Transport(e)));
                return;
            }
        };
        trace!(target: "engineio", %body, "polled");
        for packet in dialect.decode_payload(&body) {
            let closing = matches!(packet, Ok(Packet::Close) | Err(_));
            let packet = packet.map_err(PollError::Decode);
            if out.send(packet).is_err() || closing {
                return;
            }
        }
    }
}

/// Opens a websocket beside the polling session and checks it with `2probe` / `3probe`.
async fn probe_websocket(
    options: &EngineOptions,
    dialect: Dialect,
    sid: &str,
) -> Result<WebSocket, Error> {
    let mut socket = websocket::connect(options, dialect, Some(sid)).await?;
    socket
        .send(websocket::frame(
            &Packet::Ping(Some("probe".into())),
            dialect,
        ))
        .await
        .map_err(Error::transport)?;
    let answer = tokio::time::timeout(options.request_timeout, async {
        while let Some(frame) = socket.next().await {
            match websocket::decode(frame.map_err(Error::transport)?, dialect) {
                Some(Ok(Packet::Pong(Some(data)))) if data == "probe" => return Ok(()),
                None => continue,
                Some(other) => {
                    return Err(Error::Transport(format!(
                        "unexpected probe answer {other:?}"
                    )))
                }
            }
        }
        Err(Error::Transport("websocket closed during the probe".into()))
    })
    .await
    .map_err(|_| Error::Timeout)?;
    answer.map(|()| socket)
}
