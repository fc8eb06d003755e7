//! The websocket transport: one Engine.IO packet per frame, binary frames raw.

use reqwest::cookie::CookieStore;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use url::{Host, Url};

use super::polling::{describe, header_map};
use super::stream::Stream;
use super::{upgrade, Transport};
use crate::engineio::error::EngineError;
use crate::engineio::options::EngineOptions;
use crate::engineio::packet::Packet;
use crate::engineio::protocol::Dialect;
use crate::engineio::text::Text;
use crate::error::DecodeError;
use crate::error::Error;

/// An open websocket to the server.
pub type WebSocket = WebSocketStream<Stream>;

/// Opens the websocket, with the user's headers on the upgrade request.
pub(crate) async fn connect(
    options: &EngineOptions,
    dialect: Dialect,
    sid: Option<&str>,
) -> Result<WebSocket, EngineError> {
    let opening = open_and_upgrade(options, dialect, sid);
    let (stream, switched) = tokio::time::timeout(options.request_timeout, opening)
        .await
        .map_err(|_| Error::ConnectionFailed("websocket connect timed out".into()))??;
    // tungstenite zero-fills its whole read buffer before every read (128 KiB by
    // default): a small one costs less CPU per read and less memory per connection.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .max_message_size(Some(options.limits.max_payload))
        .max_frame_size(Some(options.limits.max_payload));
    Ok(
        WebSocketStream::from_partially_read(stream, switched.leftover, Role::Client, Some(config))
            .await,
    )
}

/// The connection, and the server's answer to the upgrade request; the cookies it
/// sets are kept.
async fn open_and_upgrade(
    options: &EngineOptions,
    dialect: Dialect,
    sid: Option<&str>,
) -> Result<(Stream, upgrade::Switched), EngineError> {
    let url = options.endpoint(Transport::WebSocket, dialect, sid);
    let headers = header_map(&options.headers)?;
    let mut stream = open_stream(options, &url).await?;
    // Cookies are matched against the HTTP form of the URL, as polling sees it: built
    // only when there are cookies to send or to keep.
    let http_url = || options.endpoint(Transport::Polling, dialect, sid);
    let jar = options.cookies.as_deref();
    let cookie = jar
        .filter(|jar| jar.holds_any())
        .and_then(|jar| jar.cookies(&http_url()));
    let switched = upgrade::upgrade(&mut stream, &url, &headers, cookie.as_ref()).await?;
    if let Some(jar) = jar.filter(|_| !switched.set_cookies.is_empty()) {
        jar.set_cookies(&mut switched.set_cookies.iter(), &http_url());
    }
    Ok((stream, switched))
}

/// The connection the websocket runs on: TCP to the server or through the user's
/// proxy, then TLS for `wss`.
async fn open_stream(options: &EngineOptions, url: &Url) -> Result<Stream, EngineError> {
    let host = match url.host() {
        Some(Host::Domain(name)) => name.to_owned(),
        Some(Host::Ipv4(address)) => address.to_string(),
        Some(Host::Ipv6(address)) => address.to_string(),
        None => return Err(Error::InvalidUrl(format!("{url} has no host")).into()),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let tcp = match options.proxy.proxy_for(url) {
        // Boxed: the tunnel's state would otherwise sit in every direct connection's future.
        Some(proxy) => {
            Box::pin(crate::engineio::proxy::connect_tunnel(&proxy, &host, port)).await?
        }
        None => TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| Error::ConnectionFailed(format!("{host}:{port}: {e}")))?,
    };
    let _ = tcp.set_nodelay(true);
    if url.scheme() != "wss" {
        return Ok(Stream::Plain(tcp));
    }
    // Boxed: a TLS session's state would otherwise sit in every plain connection's future.
    Box::pin(tls(options, host, tcp)).await
}

/// TLS over `tcp` for the server `host`, with the client's rustls configuration.
async fn tls(options: &EngineOptions, host: String, tcp: TcpStream) -> Result<Stream, EngineError> {
    let name = ServerName::try_from(host)
        .map_err(|e| Error::InvalidUrl(format!("not a TLS server name: {e}")))?;
    let stream = tokio_rustls::TlsConnector::from(options.tls.get()?)
        .connect(name, tcp)
        .await
        .map_err(|e| Error::ConnectionFailed(format!("TLS: {}", describe(&e))))?;
    Ok(Stream::Tls(Box::new(stream)))
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
