//! Opening a session: the handshake on the first allowed transport, and with
//! [`Protocol::Auto`], the second handshake in v3 when the server turns out to speak
//! only Engine.IO v3. This is where the session's [`Dialect`] is settled.

use std::sync::Arc;
use std::time::Duration;

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
    /// A websocket (boxed: the driver's task keeps only a pointer to it), with the
    /// packets read after `open` while the revision was settled.
    WebSocket(Box<WebSocket>, Vec<Packet>),
}

impl Start {
    /// Which transport this is.
    pub(super) fn transport(&self) -> Transport {
        match self {
            Start::Polling(..) => Transport::Polling,
            Start::WebSocket(..) => Transport::WebSocket,
        }
    }
}

/// The handshake, in the revision `options.protocol` asks for; with
/// [`Protocol::Auto`], in v3 again when the server refuses v4 or answers in v3 over
/// polling, or (over websocket) the same session continued in v3 when the server turns
/// out to speak v3 (see [`settle_websocket`]).
pub(super) async fn open(options: &Arc<EngineOptions>) -> Result<Opened, Error> {
    let asked = Dialect::first_for(options.protocol);
    match handshake(options, asked).await {
        Err(Opening::OtherRevision(_)) if options.protocol == Protocol::Auto => {
            debug!(target: "engineio", "the server speaks Engine.IO v3; handshaking again with v3");
            handshake(options, Dialect::V3)
                .await
                .map_err(Opening::into_error)
        }
        other => other.map_err(Opening::into_error),
    }
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
async fn handshake(options: &Arc<EngineOptions>, dialect: Dialect) -> Result<Opened, Opening> {
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
) -> Result<Opened, Opening> {
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
    Ok(Opened {
        dialect,
        handshake,
        start: Start::Polling(polling, packets.collect()),
    })
}

/// The websocket handshake: the upgrade, then the `open` packet as the first frame;
/// with [`Protocol::Auto`], an `open` packet that may come from a v3 server settles
/// the session's revision by what follows it.
async fn handshake_websocket(
    options: &Arc<EngineOptions>,
    dialect: Dialect,
) -> Result<Opened, Opening> {
    // Boxed now rather than in `Start`: the futures below hold a pointer, not the socket.
    let mut socket = Box::new(websocket::connect(options, dialect, None).await?);
    let failed = |message: String| Err(Error::ConnectionFailed(message).into());
    let handshake = match next_packet(&mut socket, dialect, options.request_timeout).await {
        Ok(Some(Packet::Open(handshake))) => handshake,
        Ok(Some(other)) => return failed(format!("expected an open packet, got {other:?}")),
        Ok(None) => return failed("closed before open".into()),
        Err(Opening::Failed(Error::Timeout)) => return failed("no open packet".into()),
        Err(error) => return Err(error),
    };
    let (dialect, early) = if options.protocol == Protocol::Auto && handshake.may_be_v3() {
        settle_websocket(&mut socket, options.request_timeout).await?
    } else {
        (dialect, Vec::new())
    };
    Ok(Opened {
        dialect,
        handshake,
        start: Start::WebSocket(socket, early),
    })
}

/// How long a websocket session whose `open` packet may come from a v3 server waits for
/// that server to connect `/` by itself (at most the request timeout).
const V3_GREETING_WAIT: Duration = Duration::from_secs(1);

/// The revision of a websocket session opened in v4 whose `open` packet has no
/// `maxPayload`. Both a Socket.IO 2.x server (Engine.IO 3, which ignores `EIO=4` and
/// answers in v3) and an Engine.IO 4 server older than 6.2 (socket.io 3.0 to 4.4) send
/// such a packet; they differ in who speaks next: the v3 server connects `/` at once (a
/// Socket.IO CONNECT or ERROR message), while a v4 server sends no message before the
/// client's CONNECT. So a message within [`V3_GREETING_WAIT`] settles v3, and silence
/// (or any other packet) v4. Whatever arrived is handed to the session.
async fn settle_websocket(
    socket: &mut WebSocket,
    request_timeout: Duration,
) -> Result<(Dialect, Vec<Packet>), Opening> {
    let wait = V3_GREETING_WAIT.min(request_timeout);
    // A text frame decodes alike in both revisions, and a server of either sends no
    // binary frame before this point.
    let first = match next_packet(socket, Dialect::V4, wait).await {
        Err(Opening::Failed(Error::Timeout)) => None,
        other => other?,
    };
    let dialect = Dialect::after_open_without_max_payload(first.as_ref());
    debug!(target: "engineio", ?dialect, "open packet without maxPayload: revision settled by the next packet");
    Ok((dialect, first.into_iter().collect()))
}

/// The next packet of a websocket being opened, within `wait` (`Error::Timeout` after);
/// `None` when the server closed it.
async fn next_packet(
    socket: &mut WebSocket,
    dialect: Dialect,
    wait: Duration,
) -> Result<Option<Packet>, Opening> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .map_err(|_| Error::Timeout)?;
        match frame {
            Some(Ok(message)) => match websocket::decode(message, dialect) {
                Some(packet) => return Ok(Some(packet?)),
                // A control frame.
                None => continue,
            },
            Some(Err(e)) => return Err(Error::ConnectionFailed(e.to_string()).into()),
            None => return Ok(None),
        }
    }
}
