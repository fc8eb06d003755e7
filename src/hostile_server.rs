//! A misbehaving Engine.IO / Socket.IO server, for the hostile-input tests.
//!
//! [`HostileServer`] listens on `127.0.0.1` (ephemeral port) and speaks just enough HTTP/1.1
//! long-polling and websocket (tokio-tungstenite's server side) to look like a Socket.IO server:
//! every session starts with a valid handshake (an `open` packet with a short `pingInterval`,
//! then `40{"sid":"x"}` in answer to the client's namespace CONNECT), and the server keeps
//! pinging so that a client never times out while the server is alive. Then, once, it misbehaves
//! the way its [`Hostile`] mode says, and after that it sends the event
//! `42["sentinel"]` (unless the misbehaviour left no way to send anything), so a test can tell a
//! client that survived from one that is stuck.
//!
//! Like [`crate::fault_proxy`], the server runs on its own thread with its own tokio runtime;
//! dropping it closes every connection and joins the thread.
//!
//! ```no_run
//! use socketio_suite::hostile_server::{Hostile, HostileServer};
//!
//! let server = HostileServer::start(Hostile::AttachmentCountBomb);
//! // connect a client to server.url() with transports [server.transport()] ...
//! assert!(server.misbehaved());
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use socketio::Transport;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// How often the server pings (the `pingInterval` of its `open` packet), in milliseconds.
pub const PING_INTERVAL_MS: u64 = 300;
/// The `pingTimeout` of its `open` packet, in milliseconds: a client that hears no ping for
/// `PING_INTERVAL_MS + PING_TIMEOUT_MS` declares the server dead.
pub const PING_TIMEOUT_MS: u64 = 4000;
/// The event sent after the misbehaviour: a client that receives it survived.
pub const SENTINEL: &str = "sentinel";

/// How the server misbehaves once the namespace `/` is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hostile {
    /// Polling: a poll response that announces `Content-Length: 10000000000`, then sends a
    /// little of it and holds the connection open.
    HugeContentLength,
    /// Websocket: one text message `42["big","aaa…"]` of `bytes` bytes.
    OversizedMessage {
        /// The message's size.
        bytes: usize,
    },
    /// Websocket: a frame header that announces `2^62` bytes of payload, then nothing.
    HugeFrameHeader,
    /// Websocket: `599999-["boom",…]` (in an Engine.IO message: `4599999-…`): a binary event that
    /// announces 99999 attachments.
    AttachmentCountBomb,
    /// Websocket: `510-["flood",<10 placeholders>]` (`4510-…` on the wire), then `frames` binary
    /// messages of
    /// `frame_bytes` bytes each.
    AttachmentFlood {
        /// How many binary messages follow (the packet announces 10).
        frames: usize,
        /// The size of each.
        frame_bytes: usize,
    },
    /// Polling: a chunked poll response whose body never ends (64 KiB chunks of `4aaa…`).
    EndlessPollingBody,
    /// Websocket: a text frame whose payload, `42["ev","\xff\xfe"]`, is not UTF-8.
    InvalidUtf8Frame,
    /// Polling: a poll response whose body, `42["ev","\xff\xfe"]`, is not UTF-8.
    InvalidUtf8Polling,
    /// Websocket: `42["ev",[[[…]]]]` with `depth` nested arrays.
    DeepJson {
        /// How deep.
        depth: usize,
    },
    /// Websocket: a binary message right after the connect, not announced by a binary packet.
    OrphanBinary,
    /// Websocket: `messages` messages of random bytes (from `seed`), text and binary.
    GarbageWebSocket {
        /// The random generator's seed.
        seed: u64,
        /// How many messages.
        messages: usize,
    },
    /// Polling: a poll response of `records` random ASCII records joined by `\x1e`.
    GarbagePolling {
        /// The random generator's seed.
        seed: u64,
        /// How many records.
        records: usize,
    },
}

impl Hostile {
    /// The transport the misbehaviour needs (the client must connect with it alone).
    pub fn transport(&self) -> Transport {
        match self {
            Hostile::HugeContentLength
            | Hostile::EndlessPollingBody
            | Hostile::InvalidUtf8Polling
            | Hostile::GarbagePolling { .. } => Transport::Polling,
            _ => Transport::WebSocket,
        }
    }

    /// A short name for reports.
    pub fn name(&self) -> String {
        match self {
            Hostile::HugeContentLength => "huge Content-Length (10000000000)".into(),
            Hostile::OversizedMessage { bytes } => format!("websocket message of {bytes} bytes"),
            Hostile::HugeFrameHeader => "websocket frame header announcing 2^62 bytes".into(),
            Hostile::AttachmentCountBomb => "attachment count bomb 599999-".into(),
            Hostile::AttachmentFlood {
                frames,
                frame_bytes,
            } => format!("510- then {frames} binary frames of {frame_bytes} bytes"),
            Hostile::EndlessPollingBody => "endless chunked polling body".into(),
            Hostile::InvalidUtf8Frame => "invalid UTF-8 in a websocket text frame".into(),
            Hostile::InvalidUtf8Polling => "invalid UTF-8 in a polling body".into(),
            Hostile::DeepJson { depth } => format!("JSON nested {depth} levels"),
            Hostile::OrphanBinary => "binary frame with no binary packet".into(),
            Hostile::GarbageWebSocket { messages, .. } => {
                format!("{messages} random websocket messages")
            }
            Hostile::GarbagePolling { records, .. } => format!("{records} random polling records"),
        }
    }
}

/// State shared by the server handle and its tasks.
#[derive(Default)]
struct Shared {
    misbehaved: AtomicBool,
    connections: AtomicUsize,
    /// The polling session (one at a time: the latest handshake wins).
    polling: Mutex<PollingSession>,
    wakeup: Notify,
}

#[derive(Default)]
struct PollingSession {
    connected: bool,
    queue: Vec<String>,
}

/// A running misbehaving server. Dropping it closes every connection and joins its thread.
pub struct HostileServer {
    port: u16,
    mode: Hostile,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for HostileServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostileServer")
            .field("port", &self.port)
            .field("mode", &self.mode)
            .finish()
    }
}

impl HostileServer {
    /// Starts the server on an ephemeral port of `127.0.0.1`.
    ///
    /// # Panics
    /// When the listener cannot be bound or the runtime cannot be built.
    pub fn start(mode: Hostile) -> HostileServer {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .unwrap_or_else(|e| panic!("hostile server: cannot listen on 127.0.0.1: {e}"));
        let port = listener.local_addr().expect("local_addr").port();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("hostile server: cannot build a tokio runtime: {e}"));
        let shared = Arc::new(Shared::default());
        let (shutdown_tx, mut shutdown_rx) = oneshot::channel::<()>();
        let thread = {
            let shared = shared.clone();
            let mode = mode.clone();
            std::thread::Builder::new()
                .name(format!("hostile-server-{port}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        let listener = TcpListener::from_std(listener)
                            .expect("hostile server: register the listener");
                        loop {
                            tokio::select! {
                                _ = &mut shutdown_rx => break,
                                accepted = listener.accept() => {
                                    let Ok((stream, _)) = accepted else { continue };
                                    shared.connections.fetch_add(1, Ordering::Relaxed);
                                    let _ = stream.set_nodelay(true);
                                    tokio::spawn(connection(stream, mode.clone(), shared.clone()));
                                }
                            }
                        }
                    });
                    // Dropping the runtime drops every connection task and so every socket.
                    runtime.shutdown_timeout(Duration::from_secs(1));
                })
                .unwrap_or_else(|e| panic!("hostile server: cannot spawn its thread: {e}"))
        };
        HostileServer {
            port,
            mode,
            shared,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// The server's base URL: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port the server listens on (on `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The mode the server was started with.
    pub fn mode(&self) -> &Hostile {
        &self.mode
    }

    /// The transport its mode needs.
    pub fn transport(&self) -> Transport {
        self.mode.transport()
    }

    /// Whether the server has started misbehaving (the client connected its namespace).
    pub fn misbehaved(&self) -> bool {
        self.shared.misbehaved.load(Ordering::SeqCst)
    }

    /// How many TCP connections the server accepted.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn open_packet(sid: &str) -> String {
    format!(
        r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":{PING_INTERVAL_MS},"pingTimeout":{PING_TIMEOUT_MS},"maxPayload":1000000}}"#
    )
}

/// The answer to a namespace CONNECT (`40` or `40/ns,…`).
fn connect_reply(record: &str) -> Option<String> {
    let rest = record.strip_prefix("40")?;
    Some(match rest.strip_prefix('/') {
        Some(ns) => {
            let ns = ns.split(',').next().unwrap_or_default();
            format!(r#"40/{ns},{{"sid":"x"}}"#)
        }
        None => r#"40{"sid":"x"}"#.to_owned(),
    })
}

/// Reads the request head without consuming it, to route it.
async fn peek_head(stream: &TcpStream) -> Option<String> {
    let mut buf = vec![0u8; 8192];
    for _ in 0..200 {
        let n = stream.peek(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        if head.contains("\r\n\r\n") || n == buf.len() {
            return Some(head);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

async fn connection(stream: TcpStream, mode: Hostile, shared: Arc<Shared>) {
    let Some(head) = peek_head(&stream).await else {
        return;
    };
    let websocket = head
        .lines()
        .next()
        .is_some_and(|line| line.contains("transport=websocket"));
    if websocket {
        websocket_session(stream, mode, shared).await;
    } else {
        polling_connection(stream, mode, shared).await;
    }
}

// ----- websocket -----

async fn websocket_session(stream: TcpStream, mode: Hostile, shared: Arc<Shared>) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20));
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    if ws
        .send(Message::text(open_packet("hostile")))
        .await
        .is_err()
    {
        return;
    }
    // The handshake: wait for the namespace CONNECT.
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                if let Some(reply) = connect_reply(text.as_str()) {
                    if ws.send(Message::text(reply)).await.is_err() {
                        return;
                    }
                    break;
                }
            }
            Some(Ok(_)) => {}
            _ => return,
        }
    }
    shared.misbehaved.store(true, Ordering::SeqCst);

    if mode == Hostile::HugeFrameHeader {
        // FIN + binary, 64-bit length 2^62, no mask; then silence (pings could not be framed).
        let mut header = vec![0x82u8, 127];
        header.extend_from_slice(&(1u64 << 62).to_be_bytes());
        let _ = ws.get_mut().write_all(&header).await;
        let _ = ws.get_mut().write_all(&[0u8; 1024]).await;
        drain(ws).await;
        return;
    }

    // One writer owns the sink: the pinger and the misbehaviour both go through it.
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Message>(4);
    let writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let pinger = {
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(PING_INTERVAL_MS)).await;
                if tx.send(Message::text("2")).await.is_err() {
                    break;
                }
            }
        })
    };
    let misbehave = tokio::spawn(async move {
        for message in websocket_misbehaviour(&mode) {
            if tx.send(message).await.is_err() {
                return;
            }
        }
        let _ = tx.send(Message::text(format!(r#"42["{SENTINEL}"]"#))).await;
        // Keep the sender (the writer) alive until the pinger stops.
        std::future::pending::<()>().await;
    });
    // Read (pongs, whatever) until the client goes away.
    while let Some(Ok(_)) = source.next().await {}
    pinger.abort();
    misbehave.abort();
    let _ = writer.await;
}

async fn drain<S>(mut ws: tokio_tungstenite::WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buf = [0u8; 4096];
    while let Ok(n) = ws.get_mut().read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

/// The messages of a websocket misbehaviour (generated lazily: some are large).
fn websocket_misbehaviour(mode: &Hostile) -> Box<dyn Iterator<Item = Message> + Send> {
    match mode.clone() {
        Hostile::OversizedMessage { bytes } => {
            let mut text = String::with_capacity(bytes);
            text.push_str(r#"42["big",""#);
            text.extend(std::iter::repeat_n(
                'a',
                bytes.saturating_sub(text.len() + 2),
            ));
            text.push_str("\"]");
            Box::new(std::iter::once(Message::text(text)))
        }
        Hostile::AttachmentCountBomb => Box::new(std::iter::once(Message::text(
            r#"4599999-["boom",{"_placeholder":true,"num":0}]"#,
        ))),
        Hostile::AttachmentFlood {
            frames,
            frame_bytes,
        } => {
            let placeholders: Vec<String> = (0..10)
                .map(|i| format!(r#"{{"_placeholder":true,"num":{i}}}"#))
                .collect();
            let header = Message::text(format!(r#"4510-["flood",{}]"#, placeholders.join(",")));
            let frame = Bytes::from(vec![0x5au8; frame_bytes]);
            Box::new(
                std::iter::once(header)
                    .chain(std::iter::repeat_n(frame, frames).map(Message::Binary)),
            )
        }
        Hostile::InvalidUtf8Frame => {
            let mut payload = br#"42["ev",""#.to_vec();
            payload.extend_from_slice(b"\xff\xfe\xc3\x28");
            payload.extend_from_slice(br#""]"#);
            Box::new(std::iter::once(Message::Frame(Frame::message(
                payload,
                OpCode::Data(Data::Text),
                true,
            ))))
        }
        Hostile::DeepJson { depth } => Box::new(std::iter::once(Message::text(deep_json(depth)))),
        Hostile::OrphanBinary => Box::new(std::iter::once(Message::Binary(Bytes::from_static(&[
            1, 2, 3, 4,
        ])))),
        Hostile::GarbageWebSocket { seed, messages } => {
            let mut rng = XorShift::new(seed);
            let all: Vec<Message> = (0..messages)
                .map(|_| {
                    let len = rng.below(200) as usize;
                    let bytes = rng.bytes(len);
                    if rng.below(2) == 0 {
                        Message::Binary(bytes.into())
                    } else {
                        Message::text(String::from_utf8_lossy(&bytes).into_owned())
                    }
                })
                .collect();
            Box::new(all.into_iter())
        }
        // Polling modes: nothing to do on a websocket.
        _ => Box::new(std::iter::empty()),
    }
}

/// `42["ev",[[[…]]]]` with `depth` nested arrays.
pub fn deep_json(depth: usize) -> String {
    let mut text = String::with_capacity(2 * depth + 16);
    text.push_str(r#"42["ev","#);
    text.extend(std::iter::repeat_n('[', depth));
    text.extend(std::iter::repeat_n(']', depth));
    text.push(']');
    text
}

/// A small deterministic random generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator seeded with `seed` (0 is replaced by a fixed non-zero seed).
    pub fn new(seed: u64) -> Self {
        XorShift(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

// ----- HTTP long-polling -----

struct Request {
    method: String,
    target: String,
    body: Vec<u8>,
}

/// Reads one request (head and `Content-Length` body); `None` at EOF or on garbage.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let length: usize = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    if length > 1 << 20 {
        return None;
    }
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    Some(Request {
        method,
        target,
        body,
    })
}

fn query_param<'a>(target: &'a str, name: &str) -> Option<&'a str> {
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

async fn respond(stream: &mut TcpStream, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}

async fn polling_connection(mut stream: TcpStream, mode: Hostile, shared: Arc<Shared>) {
    let mut buf = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buf).await {
        let sid = query_param(&request.target, "sid").map(str::to_owned);
        let result = match (request.method.as_str(), sid) {
            ("GET", None) => {
                let sid = format!("hostile{}", shared.connections.load(Ordering::Relaxed));
                *shared.polling.lock().unwrap() = PollingSession::default();
                respond(&mut stream, open_packet(&sid).as_bytes()).await
            }
            ("POST", Some(_)) => {
                let body = String::from_utf8_lossy(&request.body).into_owned();
                {
                    let mut session = shared.polling.lock().unwrap();
                    for record in body.split('\x1e') {
                        if let Some(reply) = connect_reply(record) {
                            session.queue.push(reply);
                            session.connected = true;
                        }
                    }
                }
                shared.wakeup.notify_waiters();
                respond(&mut stream, b"ok").await
            }
            ("GET", Some(_)) => match poll(&shared).await {
                Poll::Send(body) => respond(&mut stream, body.as_bytes()).await,
                Poll::Misbehave => {
                    shared.misbehaved.store(true, Ordering::SeqCst);
                    let keep_going = polling_misbehaviour(&mut stream, &mode).await;
                    shared
                        .polling
                        .lock()
                        .unwrap()
                        .queue
                        .push(format!(r#"42["{SENTINEL}"]"#));
                    if !keep_going {
                        return;
                    }
                    Ok(())
                }
            },
            _ => {
                let _ = stream
                    .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    .await;
                return;
            }
        };
        if result.is_err() {
            return;
        }
    }
}

enum Poll {
    Send(String),
    Misbehave,
}

/// What a long-poll GET gets: queued packets, the misbehaviour (once, after the connect
/// was delivered), or a ping after `PING_INTERVAL_MS`.
async fn poll(shared: &Shared) -> Poll {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(PING_INTERVAL_MS);
    loop {
        let notified = shared.wakeup.notified();
        {
            let mut session = shared.polling.lock().unwrap();
            if !session.queue.is_empty() {
                return Poll::Send(std::mem::take(&mut session.queue).join("\x1e"));
            }
            if session.connected && !shared.misbehaved.load(Ordering::SeqCst) {
                return Poll::Misbehave;
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return Poll::Send("2".into());
        }
    }
}

/// Answers one poll badly; returns whether the connection can serve further requests.
async fn polling_misbehaviour(stream: &mut TcpStream, mode: &Hostile) -> bool {
    match mode {
        Hostile::HugeContentLength => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n\
                        Content-Length: 10000000000\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&[b'4'; 65536]).await;
            // Hold the connection until the client gives up on it.
            let mut sink = [0u8; 4096];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
            false
        }
        Hostile::EndlessPollingBody => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n\
                        Transfer-Encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            let mut chunk = format!("{:x}\r\n", 65536).into_bytes();
            chunk.push(b'4');
            chunk.extend(std::iter::repeat_n(b'a', 65535));
            chunk.extend_from_slice(b"\r\n");
            // Forever, until the client stops reading (a bounded 10 GiB, to be safe).
            for _ in 0..(10 << 14) {
                if stream.write_all(&chunk).await.is_err() {
                    break;
                }
            }
            false
        }
        Hostile::InvalidUtf8Polling => {
            let mut body = br#"42["ev",""#.to_vec();
            body.extend_from_slice(b"\xff\xfe\xc3\x28");
            body.extend_from_slice(br#""]"#);
            respond(stream, &body).await.is_ok()
        }
        Hostile::GarbagePolling { seed, records } => {
            let mut rng = XorShift::new(*seed);
            let body: Vec<String> = (0..*records)
                .map(|_| {
                    let len = rng.below(60) as usize;
                    (0..len)
                        .map(|_| char::from(0x20 + rng.below(0x5f) as u8))
                        .collect()
                })
                .collect();
            respond(stream, body.join("\x1e").as_bytes()).await.is_ok()
        }
        // Websocket modes: a plain ping.
        _ => respond(stream, b"2").await.is_ok(),
    }
}
