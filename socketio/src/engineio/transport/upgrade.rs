//! The websocket opening handshake (RFC 6455 §4.1) on a stream this layer opened.
//!
//! tungstenite's client handshake is correct but costs every connecting client a 4 KiB
//! read chunk, and tokio-tungstenite's connect futures some 10 KiB of state; with a
//! thousand clients connecting at once that peak stays resident afterwards, as holes
//! between the connections' long-lived allocations (BENCHMARKS.md, "Memory per idle
//! connection"). Here the request is written from one buffer, the response's head is read
//! into one that starts at 256 bytes, and tungstenite takes the stream over, with the bytes
//! that followed the head, once the server has switched protocols.

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use url::Url;

use crate::engineio::error::{EngineError, Refusal, Request};
use crate::error::Error;

/// The longest response head (status line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// The most of a refusal's body that is read.
const MAX_BODY: usize = 16 * 1024;
/// The most headers a response may have.
const MAX_HEADERS: usize = 64;
/// The response head's first buffer: a 101 from engine.io is about 130 bytes.
const FIRST_READ: usize = 256;

/// A server that switched to websocket.
#[derive(Debug)]
pub(crate) struct Switched {
    /// The response's `Set-Cookie` headers.
    pub(crate) set_cookies: Vec<HeaderValue>,
    /// What the server sent after the head (its first frames): tungstenite reads it
    /// before the stream.
    pub(crate) leftover: Vec<u8>,
}

/// Asks the server at `url` to switch `stream` to websocket, with the user's `headers`
/// and `cookie` on the request.
pub(crate) async fn upgrade<S>(
    stream: &mut S,
    url: &Url,
    headers: &HeaderMap,
    cookie: Option<&HeaderValue>,
) -> Result<Switched, EngineError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let key = generate_key();
    let request = request(url, &key, headers, cookie);
    stream.write_all(&request).await.map_err(io_failed)?;
    drop(request);
    let mut buffer = Vec::with_capacity(FIRST_READ);
    let head = loop {
        if read_more(stream, &mut buffer, MAX_HEAD).await? == 0 {
            return Err(failed("the server closed the connection before answering"));
        }
        if let Some(head) = Head::parse(&buffer)? {
            break head;
        }
    };
    if head.status != StatusCode::SWITCHING_PROTOCOLS {
        let body = refusal_body(stream, buffer.split_off(head.len), &head).await;
        return Err(EngineError::Refused(Refusal::new(
            Request::Upgrade,
            head.status,
            body,
        )));
    }
    head.check_switch(&buffer, &key)?;
    Ok(Switched {
        leftover: buffer.split_off(head.len),
        set_cookies: head.set_cookies,
    })
}

/// The upgrade request: `GET` of the endpoint's path and query, the handshake's headers,
/// then the user's (except those the handshake sets itself).
fn request(url: &Url, key: &str, headers: &HeaderMap, cookie: Option<&HeaderValue>) -> Vec<u8> {
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let host = url.host_str().unwrap_or_default();
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let mut text = format!(
        "GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n"
    )
    .into_bytes();
    let ours = [
        header::HOST,
        header::CONNECTION,
        header::UPGRADE,
        header::SEC_WEBSOCKET_VERSION,
        header::SEC_WEBSOCKET_KEY,
    ];
    // The jar's cookies replace a `Cookie` header of the user's.
    let replaced_by_jar = |name: &HeaderName| cookie.is_some() && *name == header::COOKIE;
    let users = headers
        .iter()
        .filter(|(name, _)| !ours.contains(name) && !replaced_by_jar(name));
    let cookie = cookie.map(|value| (&header::COOKIE, value));
    for (name, value) in users.chain(cookie) {
        push_header(&mut text, name, value);
    }
    text.extend_from_slice(b"\r\n");
    text
}

fn push_header(text: &mut Vec<u8>, name: &HeaderName, value: &HeaderValue) {
    text.extend_from_slice(name.as_str().as_bytes());
    text.extend_from_slice(b": ");
    text.extend_from_slice(value.as_bytes());
    text.extend_from_slice(b"\r\n");
}

/// Reads what `stream` has into `buffer`, growing it by at most what it holds (so a
/// short answer stays in a short buffer), never past `limit`; 0 at the end of the stream.
async fn read_more<S>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
    limit: usize,
) -> Result<usize, EngineError>
where
    S: AsyncRead + Unpin,
{
    if buffer.len() >= limit {
        return Err(failed(format!("the response's head is over {limit} bytes")));
    }
    if buffer.len() == buffer.capacity() {
        let grow = buffer.len().clamp(FIRST_READ, limit - buffer.len());
        buffer.reserve_exact(grow);
    }
    let room = buffer.capacity() - buffer.len();
    let mut limited = stream.take(room as u64);
    limited.read_buf(buffer).await.map_err(io_failed)
}

/// A refused upgrade's body (engine.io explains its 400s there), as far as it came in
/// time; a body that cannot be read is left empty: the status says enough.
async fn refusal_body<S>(stream: &mut S, mut body: Vec<u8>, head: &Head) -> String
where
    S: AsyncRead + Unpin,
{
    let wanted = head.content_length.unwrap_or(0).min(MAX_BODY);
    while body.len() < wanted {
        match read_more(stream, &mut body, MAX_BODY).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    body.truncate(wanted);
    String::from_utf8_lossy(&body).into_owned()
}

/// The parts of a response head that the handshake needs.
#[derive(Debug)]
struct Head {
    /// The head's length in bytes, up to and including its blank line.
    len: usize,
    status: StatusCode,
    /// `Upgrade: websocket`.
    upgrades_to_websocket: bool,
    /// `Connection` lists `upgrade`.
    connection_upgrades: bool,
    /// Where `Sec-WebSocket-Accept`'s value is in the head (read in place: the head's
    /// header values are not copied).
    accept: Option<std::ops::Range<usize>>,
    content_length: Option<usize>,
    set_cookies: Vec<HeaderValue>,
}

impl Head {
    /// The head, once `buffer` holds all of it.
    fn parse(buffer: &[u8]) -> Result<Option<Head>, EngineError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let len = match response.parse(buffer) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(failed(format!("malformed response: {e}"))),
        };
        let status = response
            .code
            .and_then(|code| StatusCode::from_u16(code).ok())
            .ok_or_else(|| failed("malformed response status"))?;
        let mut head = Head {
            len,
            status,
            upgrades_to_websocket: false,
            connection_upgrades: false,
            accept: None,
            content_length: None,
            set_cookies: Vec::new(),
        };
        for field in response.headers.iter() {
            head.take(field, buffer);
        }
        Ok(Some(head))
    }

    /// Keeps `field` if the handshake needs it. Names are compared as they are (no
    /// `HeaderName` is built for the headers that are skipped).
    fn take(&mut self, field: &httparse::Header<'_>, buffer: &[u8]) {
        let is = |name: &HeaderName| field.name.eq_ignore_ascii_case(name.as_str());
        let value = field.value;
        if is(&header::UPGRADE) {
            self.upgrades_to_websocket = value.eq_ignore_ascii_case(b"websocket");
        } else if is(&header::CONNECTION) {
            self.connection_upgrades = value
                .split(|&byte| byte == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"upgrade"));
        } else if is(&header::SEC_WEBSOCKET_ACCEPT) {
            // httparse's values are slices of `buffer`: found by their offset.
            let start = (value.as_ptr() as usize).checked_sub(buffer.as_ptr() as usize);
            self.accept = start.map(|start| start..start + value.len());
        } else if is(&header::CONTENT_LENGTH) {
            self.content_length = std::str::from_utf8(value)
                .ok()
                .and_then(|text| text.trim().parse().ok());
        } else if is(&header::SET_COOKIE) {
            if let Ok(value) = HeaderValue::from_bytes(value) {
                self.set_cookies.push(value);
            }
        }
    }

    /// Whether a 101 really switched to websocket, answering our `key` (§4.1, items 2–4
    /// of the client's checks).
    fn check_switch(&self, buffer: &[u8], key: &str) -> Result<(), EngineError> {
        if !self.upgrades_to_websocket || !self.connection_upgrades {
            return Err(failed("the 101 response does not upgrade to websocket"));
        }
        let accept = self.accept.clone().and_then(|range| buffer.get(range));
        match accept {
            Some(accept) if accept == derive_accept_key(key.as_bytes()).as_bytes() => Ok(()),
            _ => Err(failed("Sec-WebSocket-Accept does not answer our key")),
        }
    }
}

fn failed(why: impl std::fmt::Display) -> EngineError {
    EngineError::Failed(Error::ConnectionFailed(format!("websocket upgrade: {why}")))
}

fn io_failed(error: std::io::Error) -> EngineError {
    failed(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("ws://example.com:3000/socket.io/?EIO=4&transport=websocket").unwrap()
    }

    #[test]
    fn the_request_carries_the_handshake_then_the_users_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("x-token", HeaderValue::from_static("abc"));
        headers.insert(header::HOST, HeaderValue::from_static("ignored"));
        let cookie = HeaderValue::from_static("io=1");
        let text = String::from_utf8(request(&url(), "k==", &headers, Some(&cookie))).unwrap();
        assert_eq!(
            text,
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: example.com:3000\r\n\
             Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: k==\r\nx-token: abc\r\ncookie: io=1\r\n\r\n"
        );
    }

    #[test]
    fn a_default_port_is_not_written() {
        let url = Url::parse("wss://example.com/socket.io/?EIO=4").unwrap();
        let text = String::from_utf8(request(&url, "k", &HeaderMap::new(), None)).unwrap();
        assert!(text.contains("\r\nHost: example.com\r\n"), "{text}");
    }

    #[tokio::test]
    async fn a_switch_hands_over_the_bytes_after_the_head() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        let (url, headers) = (url(), HeaderMap::new());
        let serve = async {
            let mut request = vec![0; 1024];
            let n = server.read(&mut request).await.unwrap();
            let request = String::from_utf8_lossy(&request[..n]).into_owned();
            let key = request
                .lines()
                .find_map(|line| line.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap()
                .to_owned();
            let answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSet-Cookie: a=b\r\nSec-WebSocket-Accept: {}\r\n\r\n\
                 \u{81}\u{1}0",
                derive_accept_key(key.as_bytes())
            );
            server.write_all(answer.as_bytes()).await.unwrap();
        };
        let (switched, ()) = tokio::join!(upgrade(&mut client, &url, &headers, None), serve);
        let switched = switched.unwrap();
        assert_eq!(switched.leftover, "\u{81}\u{1}0".as_bytes());
        assert_eq!(switched.set_cookies, [HeaderValue::from_static("a=b")]);
    }

    /// What `upgrade` makes of `text`, a server's whole answer (it closes after it).
    async fn answer(text: &str) -> Result<Switched, EngineError> {
        let (mut client, mut server) = tokio::io::duplex(64 * 1024);
        let (url, headers) = (url(), HeaderMap::new());
        let serve = async move {
            let mut request = vec![0; 1024];
            let _ = server.read(&mut request).await.unwrap();
            server.write_all(text.as_bytes()).await.unwrap();
        };
        tokio::join!(upgrade(&mut client, &url, &headers, None), serve).0
    }

    #[tokio::test]
    async fn a_refusal_keeps_its_status_and_body() {
        let body = r#"{"code":5,"message":"Unsupported protocol version"}"#;
        let text = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        match answer(&text).await {
            Err(EngineError::Refused(refusal)) => {
                assert_eq!(
                    refusal,
                    Refusal::new(Request::Upgrade, StatusCode::BAD_REQUEST, body.into())
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_wrong_accept_key_and_a_bad_head_are_failures() {
        let wrong = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                     Connection: Upgrade\r\nSec-WebSocket-Accept: nope\r\n\r\n";
        for text in [
            wrong,
            "HTTP/1.1 101\r\n\r\n",
            "garbage\r\n\r\n",
            "HTTP/1.1 101 Sw",
        ] {
            assert!(
                matches!(
                    answer(text).await,
                    Err(EngineError::Failed(Error::ConnectionFailed(_)))
                ),
                "{text:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_endless_head_is_refused_without_growing_past_the_limit() {
        let text = format!("HTTP/1.1 101 OK\r\nX: {}", "a".repeat(3 * MAX_HEAD));
        assert!(matches!(
            answer(&text).await,
            Err(EngineError::Failed(Error::ConnectionFailed(_)))
        ));
    }
}
