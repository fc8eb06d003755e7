//! The error types: [`Error`] for callers, [`DecodeError`] for bad input from the network.

use std::fmt;

/// Anything that can go wrong in this crate, as one type a caller can match.
///
/// ```no_run
/// use std::time::Duration;
/// use socketio::{AsyncClient, Error};
///
/// # async fn run(sio: AsyncClient) {
/// match sio.call_timeout::<_, i64>("sum", (1, 2), Duration::from_secs(2)).await {
///     Ok(sum) => println!("sum: {sum}"),
///     Err(Error::Timeout) => println!("no answer in time"),
///     Err(Error::NotConnected | Error::Disconnected) => println!("not connected"),
///     Err(Error::Serde(error)) => println!("the answer is not a number: {error}"),
///     Err(other) => println!("{other}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL could not be used (bad syntax or an unsupported scheme).
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    /// The TLS settings are invalid (a PEM that does not parse, a rejected certificate).
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// A header name or value that HTTP does not allow.
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    /// The server could not be reached, or refused the Engine.IO handshake.
    #[error("connection failed: {0}")]
    ConnectionFailed(String),
    /// The server refused to connect a namespace (a `CONNECT_ERROR` packet).
    #[error("namespace {namespace} refused: {message}")]
    NamespaceRefused {
        /// The namespace that was refused.
        namespace: String,
        /// The server's message.
        message: String,
        /// Extra data the server sent with the refusal, if any.
        data: Option<serde_json::Value>,
    },
    /// An operation did not complete in time (a `call`, or `connect` waiting for namespaces).
    #[error("timed out")]
    Timeout,
    /// The client (or the namespace) is not connected.
    #[error("not connected")]
    NotConnected,
    /// The connection was lost while waiting for an answer.
    #[error("disconnected before an answer arrived")]
    Disconnected,
    /// The send buffer is full (see `send_buffer`).
    #[error("send buffer full")]
    BufferFull,
    /// The client gave up reconnecting (`reconnection_attempts`), or an emit with
    /// `retries` was never acknowledged.
    #[error("gave up after {attempts} attempts: {last}")]
    GaveUp {
        /// How many attempts were made.
        attempts: u32,
        /// The last error.
        last: String,
    },
    /// The client is already connected.
    #[error("already connected")]
    AlreadyConnected,
    /// The blocking [`Client`](crate::Client) was called on a thread that drives an
    /// async runtime (the body of `#[tokio::main]` or `#[tokio::test]`), which it would
    /// block. Use [`AsyncClient`](crate::AsyncClient) there, or call the blocking client
    /// from `tokio::task::spawn_blocking` or a thread of its own. The string is where
    /// it was called (`file:line:column`).
    #[error("the blocking Client was called at {0} on a thread that drives an async runtime (the body of #[tokio::main] or #[tokio::test]), which it would block: use AsyncClient there, or call the blocking Client from tokio::task::spawn_blocking or a thread of its own")]
    InsideAsyncRuntime(String),
    /// Data could not be serialized or deserialized.
    #[error("serde: {0}")]
    Serde(#[from] serde_json::Error),
    /// The transport (HTTP or websocket) failed.
    #[error("transport error: {0}")]
    Transport(String),
    /// The peer sent something that is not valid protocol.
    #[error("protocol error: {0}")]
    Decode(#[from] DecodeError),
}

impl Error {
    pub(crate) fn transport(error: impl fmt::Display) -> Self {
        Error::Transport(error.to_string())
    }
}

/// Bad input from the network: never a panic, always one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// An empty packet.
    #[error("empty packet")]
    Empty,
    /// A packet type this protocol does not have.
    #[error("unknown packet type {0:?}")]
    UnknownPacketType(char),
    /// The Engine.IO `open` packet is not valid handshake JSON.
    #[error("invalid handshake: {0}")]
    Handshake(String),
    /// A `b<base64>` record that is not valid base64.
    #[error("invalid base64 in a binary record")]
    Base64,
    /// A binary message that is not valid for its position (no packet awaits attachments).
    #[error("unexpected binary message")]
    UnexpectedBinary,
    /// The attachment count of a binary packet is missing or not a number.
    #[error("invalid attachment count")]
    AttachmentCount,
    /// A binary packet announces more attachments than allowed.
    #[error("{count} attachments announced, at most {limit} allowed")]
    TooManyAttachments {
        /// What the packet announced.
        count: u64,
        /// The configured limit.
        limit: usize,
    },
    /// The namespace is not terminated by a `,` or is not valid.
    #[error("invalid namespace")]
    Namespace,
    /// The ack id is not a valid number.
    #[error("invalid ack id")]
    AckId,
    /// The packet's JSON data is invalid or of the wrong shape.
    #[error("invalid packet data: {0}")]
    Data(String),
    /// A placeholder points at an attachment that does not exist.
    #[error("placeholder refers to a missing attachment")]
    Placeholder,
    /// A packet, payload or message is larger than the configured limit.
    #[error("{what} of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size (or the size read so far).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Text that is not valid UTF-8.
    #[error("invalid UTF-8")]
    Utf8,
}
