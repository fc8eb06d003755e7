//! The websocket transport: one Engine.IO packet per frame, binary frames raw.

use reqwest::cookie::CookieStore;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::polling::{describe, header_map};
use super::Transport;
use crate::engineio::error::{EngineError, Refusal, Request};
use crate::engineio::options::EngineOptions;
use crate::engineio::packet::Packet;
use crate::engineio::protocol::Dialect;
use crate::engineio::text::Text;
use crate::error::DecodeError;
use crate::error::Error;

/// An open websocket to the server.
pub type WebSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens the websocket, with the user's headers on the upgrade request.
pub(crate) async fn connect(
    options: &EngineOptions,
    dialect: Dialect,
    sid: Option<&str>,
) -> Result<WebSocket, EngineError> {
    let url = options.endpoint(Transport::WebSocket, dialect, sid);
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| Error::InvalidUrl(e.to_string()))?;
    request.headers_mut().extend(header_map(&options.headers)?);
    // Cookies are matched against the HTTP form of the URL, as polling sees it.
    let http_url = options.endpoint(Transport::Polling, dialect, sid);
    if let Some(cookies) = options
        .cookies
        .as_ref()
        .and_then(|jar| jar.cookies(&http_url))
    {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::header::COOKIE,
            cookies,
        );
    }
    // tungstenite zero-fills its whole read buffer before every read (128 KiB by
    // default): a small one costs less CPU per read and less memory per connection.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .max_message_size(Some(options.limits.max_payload))
        .max_frame_size(Some(options.limits.max_payload));
    let connector = Connector::Rustls(options.tls.clone());
    let connecting = async {
        match options.proxy.proxy_for(&http_url) {
            Some(proxy) => {
                let host = url.host_str().unwrap_or_default();
                let port = url.port_or_known_default().unwrap_or(80);
                let tunnel = crate::engineio::proxy::connect_tunnel(&proxy, host, port).await?;
                tokio_tungstenite::client_async_tls_with_config(
                    request,
                    tunnel,
                    Some(config),
                    Some(connector),
                )
                .await
                .map_err(upgrade_failed)
            }
            None => tokio_tungstenite::connect_async_tls_with_config(
                request,
                Some(config),
                true,
                Some(connector),
            )
            .await
            .map_err(upgrade_failed),
        }
    };
    let (socket, response) = tokio::time::timeout(options.request_timeout, connecting)
        .await
        .map_err(|_| Error::ConnectionFailed("websocket connect timed out".into()))??;
    if let Some(jar) = &options.cookies {
        let mut set_cookies = response
            .headers()
            .get_all(tokio_tungstenite::tungstenite::http::header::SET_COOKIE)
            .iter();
        jar.set_cookies(&mut set_cookies, &http_url);
    }
    Ok(socket)
}

/// A failed upgrade: typed when the server answered with an HTTP status.
fn upgrade_failed(error: tokio_tungstenite::tungstenite::Error) -> EngineError {
    match error {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            let body = response.body().as_deref().unwrap_or_default();
            let body = String::from_utf8_lossy(body).into_owned();
            EngineError::Refused(Refusal::new(Request::Upgrade, response.status(), body))
        }
        other => EngineError::Failed(Error::ConnectionFailed(describe(&other))),
    }
}

/// The frame that carries `packet`: a binary frame starts with the dialect's prefix
/// byte, if it has one.
pub(crate) fn frame(packet: &Packet, dialect: Dialect) -> Message {
    match (packet, dialect.binary_frame_prefix()) {
        (Packet::Binary(data), Some(prefix)) => {
            let mut framed = Vec::with_capacity(1 + data.len());
            framed.push(prefix);
            framed.extend_from_slice(data);
            Message::Binary(framed.into())
        }
        (Packet::Binary(data), None) => Message::Binary(data.clone()),
        (other, _) => Message::Text(other.encode_text().into()),
    }
}

/// [`frame`] for a packet the caller gives up: a message's text becomes the frame
/// without a copy.
pub(crate) fn frame_owned(packet: Packet, dialect: Dialect) -> Message {
    match packet {
        Packet::Message(text) => Message::Text(text.into_message_frame()),
        other => frame(&other, dialect),
    }
}

/// The packet a frame carries; `None` for control frames.
pub(crate) fn decode(message: Message, dialect: Dialect) -> Option<Result<Packet, DecodeError>> {
    match message {
        // A message keeps the frame's buffer; other packets are short and decoded from it.
        Message::Text(frame) => Some(match Text::of_message_frame(frame) {
            Ok(text) => Ok(Packet::Message(text)),
            Err(frame) => Packet::decode_text(frame.as_str()),
        }),
        Message::Binary(data) => Some(match dialect.binary_frame_prefix() {
            None => Ok(Packet::Binary(data)),
            Some(prefix) if data.first() == Some(&prefix) => Ok(Packet::Binary(data.slice(1..))),
            Some(_) => Err(DecodeError::Data(
                "v3 binary frame without its type byte".into(),
            )),
        }),
        _ => None,
    }
}
