//! Opening a session: the handshake on the first allowed transport, and with
//! [`Protocol::Auto`], the second handshake in v3 when the server turns out to speak
//! only Engine.IO v3. This is where the session's [`Dialect`] is settled.

use std::sync::Arc;

use futures_util::StreamExt;
use tracing::debug;

use super::error::EngineError;
use super::handshake::Handshake;
use super::options::EngineOptions;
use super::packet::Packet;
use super::payload;
use super::protocol::{Dialect, Protocol};
use super::transport::polling::Polling;
use super::transport::websocket::{self, WebSocket};
use super::transport::Transport;
use crate::error::{DecodeError, Error};

/// A session the server accepted.
pub(super) struct Opened {
    /// The revision both sides speak.
    pub(super) dialect: Dialect,
    /// The server's `open` packet.
    pub(super) handshake: Handshake,
    /// The transport the session starts on.
    pub(super) start: Start,
}

/// The transport a session starts on, as the handshake leaves it.
pub(super) enum Start {
    /// Polling, with the packets that came in the handshake's payload after `open`.
    Polling(Polling, Vec<Packet>),
    /// A websocket (boxed: the driver's task keeps only a pointer to it).
    WebSocket(Box<WebSocket>),
}

impl Start {
    /// Which transport this is.
    pub(super) fn transport(&self) -> Transport {
        match self {
            Start::Polling(..) => Transport::Polling,
            Start::WebSocket(_) => Transport::WebSocket,
        }
    }
}

/// The handshake, in the revision `options.protocol` asks for; with
/// [`Protocol::Auto`], in v3 again when the server refuses v4 or answers in v3.
pub(super) async fn open(options: &Arc<EngineOptions>) -> Result<Opened, Error> {
    let asked = Dialect::first_for(options.protocol);
    let (dialect, (handshake, start)) = match handshake(options, asked).await {
        Err(Opening::OtherRevision(_)) if options.protocol == Protocol::Auto => {
            debug!(target: "engineio", "the server speaks Engine.IO v3; handshaking again with v3");
            let opened = handshake(options, Dialect::V3).await;
            (Dialect::V3, opened.map_err(Opening::into_error)?)
        }
        other => (asked, other.map_err(Opening::into_error)?),
    };
    Ok(Opened {
        dialect,
        handshake,
        start,
    })
}

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
async fn handshake(
    options: &Arc<EngineOptions>,
    dialect: Dialect,
) -> Result<(Handshake, Start), Opening> {
    let first = *options
        .transports
        .first()
        .ok_or_else(|| Error::ConnectionFailed("no transport allowed".into()))?;
    match first {
        Transport::Polling => handshake_polling(options, dialect).await,
        Transport::WebSocket => handshake_websocket(options, dialect).await,
    }
}

/// The polling handshake: a GET whose payload starts with the `open` packet.
async fn handshake_polling(
    options: &Arc<EngineOptions>,
    dialect: Dialect,
) -> Result<(Handshake, Start), Opening> {
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
        _ => return Err(Error::ConnectionFailed(format!("no open packet in {body:?}")).into()),
    };
    Ok((handshake, Start::Polling(polling, packets.collect())))
}

/// The websocket handshake: the upgrade, then the `open` packet as the first frame.
async fn handshake_websocket(
    options: &Arc<EngineOptions>,
    dialect: Dialect,
) -> Result<(Handshake, Start), Opening> {
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
