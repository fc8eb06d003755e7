//! The driver's loop over a websocket: what waits in the outbox goes out, each frame
//! that comes in is handled as it is read, and the heartbeat is watched.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::Error as WsError;

use super::state::{Driver, Reaction};
use crate::engineio::events::CloseReason;
use crate::engineio::outbox::Closing;
use crate::engineio::packet::Packet;
use crate::engineio::protocol::Dialect;
use crate::engineio::transport::websocket::{self, WebSocket};

impl Driver {
    /// Runs the session over `socket` (boxed: the task keeps only a pointer to it).
    pub(super) async fn run_websocket(&mut self, mut socket: Box<WebSocket>) -> CloseReason {
        self.shared.upgraded();
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
                        Some(Closing::Abort(reason)) => {
                            let _ = WebSocket::close(&mut socket, None).await;
                            return reason;
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

    /// Sends every queued packet: each frame fed, then one flush.
    async fn flush_queue(&mut self, socket: &mut WebSocket) -> Result<(), WsError> {
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

/// Why the session ends when reading the websocket failed.
fn close_reason_of(error: WsError) -> CloseReason {
    match error {
        WsError::ConnectionClosed | WsError::AlreadyClosed => CloseReason::TransportClose,
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            CloseReason::TransportClose
        }
        other => CloseReason::TransportError(other.to_string()),
    }
}

/// Sends a `close` packet and closes the websocket, within a second.
async fn close_websocket(socket: &mut WebSocket, dialect: Dialect) {
    let _ = socket.send(websocket::frame(&Packet::Close, dialect)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
}
