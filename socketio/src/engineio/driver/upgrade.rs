//! The upgrade from polling to websocket: a websocket opened beside the polling session
//! and checked with `2probe` / `3probe`, then completed with the `upgrade` packet once
//! no polling request is pending.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::engineio::options::EngineOptions;
use crate::engineio::packet::Packet;
use crate::engineio::protocol::Dialect;
use crate::engineio::transport::websocket::{self, WebSocket};
use crate::error::Error;

/// Opens a websocket beside the polling session `sid` and checks it with the probe.
pub(super) async fn probe(
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

/// Moves the session onto the probed websocket: the `upgrade` packet.
pub(super) async fn complete(socket: &mut WebSocket, dialect: Dialect) -> Result<(), WsError> {
    socket
        .send(websocket::frame(&Packet::Upgrade, dialect))
        .await
}
