//! The driver's loop over HTTP long-polling: a background poller reads the server's
//! packets, one POST at a time carries ours, and the websocket probe runs beside them
//! until the session can move over.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};
use tracing::{debug, trace, warn};

use super::state::{Driver, Reaction};
use super::upgrade;
use crate::engineio::error::EngineError;
use crate::engineio::events::CloseReason;
use crate::engineio::outbox::Closing;
use crate::engineio::packet::Packet;
use crate::engineio::payload;
use crate::engineio::protocol::Dialect;
use crate::engineio::transport::polling::Polling;
use crate::engineio::transport::websocket::WebSocket;
use crate::engineio::transport::Transport;
use crate::error::{DecodeError, Error};

/// Packets in one polling POST. python-engineio refuses a payload of more than 16
/// (`Payload.max_decode_packets`) and answers 200 all the same, dropping every packet
/// in it: emits that pile up during an upgrade were lost that way.
const MAX_PACKETS_PER_PAYLOAD: usize = 16;

/// How a polling session ends.
pub(super) enum Outcome {
    /// The session moved to this websocket.
    Upgraded(Box<WebSocket>),
    /// The session is over.
    Closed(CloseReason),
}

/// Aborts a background task when dropped, so no request outlives its session.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the poller hands the driver when a poll fails.
enum PollError {
    Transport(EngineError),
    Decode(DecodeError),
}

/// The requests a polling session has in flight.
struct Requests {
    polling: Polling,
    sid: String,
    /// Set once the probe succeeded: the poller sends no new GET (the pending one is
    /// released by the server's `noop`).
    paused: Arc<AtomicBool>,
    /// What the poller read, in order; closed once the poller stopped.
    polled: mpsc::UnboundedReceiver<Result<Packet, PollError>>,
    poller: Option<AbortOnDrop<()>>,
    post: Option<AbortOnDrop<Result<(), EngineError>>>,
    probe: Option<AbortOnDrop<Result<WebSocket, Error>>>,
    /// The probed websocket, waiting for the pending requests to end.
    upgraded: Option<WebSocket>,
}

impl Requests {
    /// Sends `body` in a POST of its own task.
    fn start_post(&mut self, body: String) {
        trace!(target: "engineio", %body, "post");
        let polling = self.polling.clone();
        let sid = self.sid.clone();
        self.post = Some(AbortOnDrop(tokio::spawn(async move {
            polling.post(&sid, body).await
        })));
    }

    /// The probe's result: polling pauses for a websocket that answered.
    fn on_probed(&mut self, result: Result<Result<WebSocket, Error>, JoinError>) {
        match result {
            Ok(Ok(socket)) => {
                self.paused.store(true, Ordering::Release);
                self.upgraded = Some(socket);
            }
            Ok(Err(e)) => {
                debug!(target: "engineio", error = %e, "websocket probe failed; staying on polling")
            }
            Err(e) => {
                debug!(target: "engineio", error = %e, "websocket probe failed; staying on polling")
            }
        }
    }

    /// Whether the probed websocket can take over: no polling request is pending.
    fn upgrade_ready(&self) -> bool {
        self.upgraded.is_some() && self.poller.is_none() && self.post.is_none()
    }
}

impl Driver {
    /// Runs the session over polling until it closes or moves to a websocket.
    pub(super) async fn run_polling(&mut self, polling: Polling) -> Outcome {
        let mut requests = self.start_polling(polling);
        loop {
            if requests.upgrade_ready() {
                let socket = requests.upgraded.take().expect("checked");
                return self.upgrade(socket, &requests.sid).await;
            }
            if requests.post.is_none() && requests.upgraded.is_none() {
                if let Some(body) = self.next_batch() {
                    requests.start_post(body);
                }
            }
            if let Some(outcome) = self.next_polling_event(&mut requests).await {
                return outcome;
            }
        }
    }

    /// Starts the poller, and the websocket probe when both sides allow the upgrade.
    fn start_polling(&self, polling: Polling) -> Requests {
        let sid = self.shared.handshake.sid.clone();
        let paused = Arc::new(AtomicBool::new(false));
        let (polled_tx, polled) = mpsc::unbounded_channel();
        let long_poll = self.shared.handshake.heartbeat_deadline() + Duration::from_secs(5);
        let poller = AbortOnDrop(tokio::spawn(poll_loop(
            polling.clone(),
            self.dialect(),
            sid.clone(),
            long_poll,
            paused.clone(),
            polled_tx,
        )));
        let upgrade =
            self.options.allows(Transport::WebSocket) && self.shared.handshake.offers_websocket();
        let probe = upgrade.then(|| {
            let options = self.options.clone();
            let sid = sid.clone();
            let dialect = self.dialect();
            AbortOnDrop(tokio::spawn(async move {
                upgrade::probe(&options, dialect, &sid).await
            }))
        });
        Requests {
            polling,
            sid,
            paused,
            polled,
            poller: Some(poller),
            post: None,
            probe,
            upgraded: None,
        }
    }

    /// Waits for the next thing to happen; the outcome if the session ends with it.
    async fn next_polling_event(&mut self, requests: &mut Requests) -> Option<Outcome> {
        tokio::select! {
            () = self.shared.outbox.ready() => match self.shared.outbox.take(&mut self.queue) {
                None => None,
                Some(Closing::Client) => {
                    self.close_polling(requests).await;
                    Some(Outcome::Closed(CloseReason::Client))
                }
                Some(Closing::Abort(reason)) => Some(Outcome::Closed(reason)),
            },
            // Once the poller is done its channel stays closed: not polled again.
            item = requests.polled.recv(), if requests.poller.is_some() => match item {
                Some(item) => self.on_polled(item),
                // The poller stopped because the upgrade paused it, and all it read is handled.
                None => {
                    requests.poller = None;
                    None
                }
            },
            result = async { (&mut requests.post.as_mut().expect("guarded").0).await }, if requests.post.is_some() => {
                requests.post = None;
                match result {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(Outcome::Closed(CloseReason::TransportError(Error::from(e).to_string()))),
                    Err(e) => Some(Outcome::Closed(CloseReason::TransportError(e.to_string()))),
                }
            },
            result = async { (&mut requests.probe.as_mut().expect("guarded").0).await }, if requests.probe.is_some() => {
                requests.probe = None;
                requests.on_probed(result);
                None
            },
            () = &mut self.ping, if self.dialect().client_pings() => {
                let ping = self.next_ping();
                self.queue.push_back(ping);
                None
            }
            () = &mut self.heartbeat => Some(Outcome::Closed(CloseReason::PingTimeout)),
        }
    }

    /// Handles what the poller read.
    fn on_polled(&mut self, item: Result<Packet, PollError>) -> Option<Outcome> {
        let reaction = match item {
            Ok(packet) => self.on_packet(packet),
            Err(PollError::Decode(e)) => Self::decode_error(e),
            Err(PollError::Transport(e)) => {
                Reaction::Close(CloseReason::TransportError(Error::from(e).to_string()))
            }
        };
        match reaction {
            Reaction::Nothing => None,
            Reaction::Reply(reply) => {
                self.queue.push_back(reply);
                None
            }
            Reaction::Close(reason) => Some(Outcome::Closed(reason)),
        }
    }

    /// Completes the upgrade over the probed websocket.
    async fn upgrade(&mut self, mut socket: WebSocket, sid: &str) -> Outcome {
        if let Err(e) = upgrade::complete(&mut socket, self.dialect()).await {
            warn!(target: "engineio", error = %e, "upgrade failed after the probe");
            return Outcome::Closed(CloseReason::TransportError(e.to_string()));
        }
        debug!(target: "engineio", sid = %sid, "upgraded to websocket");
        self.shared.upgraded();
        Outcome::Upgraded(Box::new(socket))
    }

    /// Flushes the queue and a `close` packet over polling, within the request timeout.
    async fn close_polling(&mut self, requests: &mut Requests) {
        let timeout = self.options.request_timeout;
        let post = requests.post.take();
        let flush = async {
            if let Some(mut post) = post {
                let _ = (&mut post.0).await;
            }
            self.queue.push_back(Packet::Close);
            while let Some(body) = self.next_batch() {
                if requests.polling.post(&requests.sid, body).await.is_err() {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(timeout, flush).await;
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
