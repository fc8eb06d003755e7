//! An in-process [socketioxide] peer with the same behaviour as the Node.js and Python peers
//! (`tests/peers/node/server.js`, `tests/peers/python/server.py`).
//!
//! The server runs on its own thread with its own single-threaded tokio runtime, so it can be used
//! from plain `#[test]` functions as well as from `#[tokio::test]` ones. Use it through
//! [`crate::peers::Peer`] with [`crate::peers::PeerKind::Socketioxide`], or directly with
//! [`SocketioxideServer::start`].
//!
//! Differences from the other peers that cannot be avoided with socketioxide 0.18:
//! * a refused namespace (`/forbidden`) gets `44/forbidden,{"message":"forbidden"}`: socketioxide
//!   connect middlewares can only send a message, no `data`;
//! * socketioxide has no public API to close the Engine.IO connection of one socket, so
//!   `close_transport` is emulated below the library: on the websocket transport the TCP
//!   connection is shut down 50 ms later (the client sees the stream end, with neither a close
//!   packet nor a close frame); on the polling transport the session is closed inside
//!   socketioxide by feeding it a client close packet, and the pending (or next) GET gets what was
//!   queued followed by a close packet `1`;
//! * the socket id equals the Engine.IO session id;
//! * the first ping is sent right after the handshake (then every `pingInterval`);
//! * the open packet advertises `"upgrades":["websocket"]` even when only polling is allowed.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::handler::{ConnectHandler, FromConnectParts, Value};
use socketioxide::socket::Socket;
use socketioxide::{SocketIo, TransportType};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, oneshot};

use crate::dynamic::{Args, Dyn};
use crate::peers::PeerOptions;
use crate::server_thread::{Ready, ServerThread};

/// Default `maxHttpBufferSize` of the Node.js and Python servers (socketioxide's own default is
/// 100 kB), so that the three peers accept the same payloads by default.
const DEFAULT_MAX_PAYLOAD: u64 = 1_000_000;

/// A running in-process socketioxide server. It is stopped by [`SocketioxideServer::stop`] or on drop.
pub struct SocketioxideServer {
    server: ServerThread,
}

impl fmt::Debug for SocketioxideServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketioxideServer")
            .field("port", &self.server.port())
            .field("running", &self.server.is_running())
            .finish()
    }
}

impl SocketioxideServer {
    /// Starts a server on `127.0.0.1` with an ephemeral port (or `options.port` when given),
    /// configured by `options` (`connection_state_recovery` is ignored). Returns once the server
    /// accepts connections.
    pub fn start(options: &PeerOptions) -> io::Result<Self> {
        let options = options.clone();
        let server = ServerThread::start("socketioxide-peer", move |ready, shutdown| {
            serve(options, ready, shutdown)
        })?;
        Ok(Self { server })
    }

    /// The TCP port the server listens on (on `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The base URL of the server: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// Stops the server: every connection is dropped and the server thread is joined.
    /// Calling it again does nothing.
    pub fn stop(&mut self) {
        self.server.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// Server setup

/// Closes a polling session inside socketioxide, given its sid.
type PollingCloser = Box<dyn Fn(String) + Send + Sync>;

/// State shared by the handlers and the HTTP service.
struct Shared {
    /// `count` / `get_count`: key -> (total, distinct ids as canonical JSON).
    counters: Mutex<HashMap<String, (u64, HashSet<String>)>>,
    /// Transport closing machinery, see [`Shared::close_transport`].
    kills: Kills,
    /// Feeds the socket.io service a synthetic client close packet (see [`polling_closer`]).
    close_polling: OnceLock<PollingCloser>,
}

#[derive(Default)]
struct Kills {
    /// Engine.IO sid -> switch of the TCP connection that carries its websocket.
    ws_conns: Mutex<HashMap<String, ConnSwitch>>,
    /// Engine.IO sids of polling sessions being closed by `close_transport`.
    polling_closed: Mutex<HashMap<String, Closing>>,
    /// Wakes the pending polling GET of a sid being closed.
    polling_tx: OnceLock<broadcast::Sender<String>>,
}

/// Progress of a `close_transport` on the polling transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closing {
    /// Asked by the handler; socketioxide still has the session.
    Requested,
    /// The synthetic client close packet was sent to socketioxide.
    PostSent,
    /// The close packet `1` was sent to the client.
    Delivered,
}

async fn serve(options: PeerOptions, ready: Ready, mut shutdown: oneshot::Receiver<()>) {
    // Binds `options.port` when given (Peer::restart); tokio sets SO_REUSEADDR on Unix.
    let Some((listener, port)) =
        crate::server_thread::bind(options.port.unwrap_or(0), &ready).await
    else {
        return;
    };

    let req_path = options
        .path
        .clone()
        .unwrap_or_else(|| "/socket.io".to_owned());
    let mut builder = SocketIo::builder()
        .req_path(req_path.clone())
        .max_payload(options.max_http_buffer_size.unwrap_or(DEFAULT_MAX_PAYLOAD))
        // The other peers wait for a client ack forever (`ask`).
        .ack_timeout(Duration::from_secs(3600))
        // socketioxide drops emits once a socket's buffer is full (128 by default);
        // the Node and Python servers queue without bound, and so must this one.
        .max_buffer_size(65_536);
    if let Some(size) = options.max_http_buffer_size {
        builder = builder.ws_max_message_size(usize::try_from(size).unwrap_or(usize::MAX));
    }
    if let Some(ms) = options.ping_interval {
        builder = builder.ping_interval(Duration::from_millis(ms));
    }
    if let Some(ms) = options.ping_timeout {
        builder = builder.ping_timeout(Duration::from_millis(ms));
    }
    if let Some(transports) = &options.transports {
        let polling = transports.iter().any(|t| t == "polling");
        let websocket = transports.iter().any(|t| t == "websocket");
        builder = match (polling, websocket) {
            (true, false) => builder.transports([TransportType::Polling]),
            (false, true) => builder.transports([TransportType::Websocket]),
            _ => builder.transports([TransportType::Polling, TransportType::Websocket]),
        };
    }
    let (svc, io) = builder.build_svc();
    let svc = Arc::new(svc);

    let kills = Kills::default();
    let _ = kills.polling_tx.set(broadcast::channel(64).0);
    let shared = Arc::new(Shared {
        counters: Mutex::new(HashMap::new()),
        kills,
        close_polling: OnceLock::new(),
    });
    let _ = shared.close_polling.set(polling_closer(&svc, &req_path));

    let handler = {
        let shared = shared.clone();
        move |socket: SocketRef, RawAuth(auth): RawAuth| {
            let shared = shared.clone();
            async move { on_connect(socket, auth, shared) }
        }
    };
    io.ns("/", handler.clone());
    io.ns("/forbidden", handler.clone().with(refuse_forbidden));
    if let Err(e) = io.dyn_ns("/{*nsp}", handler) {
        let _ = ready.send(Err(io::Error::other(format!("dyn_ns: {e}"))));
        return;
    }

    let _ = ready.send(Ok(port));
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let _ = tcp.set_nodelay(true);
                let switch = ConnSwitch::default();
                let service = PeerService { inner: svc.clone(), shared: shared.clone(), conn: switch.clone() };
                let io = TokioIo::new(KillableIo { inner: tcp, switch });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .with_upgrades()
                        .await;
                });
            }
        }
    }
    // Dropping the runtime (by the caller) drops every connection task.
}

/// The error of the `/forbidden` connect middleware. Its `Display` is the refusal message.
#[derive(Debug)]
struct Forbidden;
impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("forbidden")
    }
}

async fn refuse_forbidden() -> Result<(), Forbidden> {
    Err(Forbidden)
}

/// Connect extractor: the auth payload exactly as sent, `None` when absent or `{}` (like the
/// other peers, which cannot tell the two apart).
struct RawAuth(Option<serde_json::Value>);

impl FromConnectParts<socketioxide::adapter::LocalAdapter> for RawAuth {
    type Error = Infallible;
    fn from_connect_parts(
        _: &Arc<Socket<socketioxide::adapter::LocalAdapter>>,
        auth: &Option<Value>,
    ) -> Result<Self, Infallible> {
        let auth = auth
            .as_ref()
            .and_then(|v| v.as_str())
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s.as_str()).ok())
            .filter(|v| !(v.is_null() || v.as_object().is_some_and(|o| o.is_empty())));
        Ok(RawAuth(auth))
    }
}

fn on_connect(socket: SocketRef, auth: Option<serde_json::Value>, shared: Arc<Shared>) {
    socket.on(
        "echo",
        async |s: SocketRef, Data(args): Data<Args>, ack: AckSender| {
            let _ = s.emit("echo", &args);
            let _ = ack.send(&args);
        },
    );

    socket.on("sum", async |Data(args): Data<Args>, ack: AckSender| {
        let a = args.0.first().cloned().unwrap_or(Dyn::Null);
        let b = args.0.get(1).cloned().unwrap_or(Dyn::Null);
        let _ = ack.send(&add(&a, &b));
    });

    socket.on("handshake", move |s: SocketRef, ack: AckSender| {
        let auth = auth.clone();
        async move {
            let _ = ack.send(&handshake(&s, auth));
        }
    });

    socket.on(
        "ask",
        async |s: SocketRef, Data(args): Data<Args>, ack: AckSender| {
            let mut items = args.0;
            if items.is_empty() {
                return;
            }
            let Dyn::Str(event) = items.remove(0) else {
                return;
            };
            let Ok(reply) = s.emit_with_ack::<_, Args>(event, &Args(items)) else {
                return;
            };
            if let Ok(reply) = reply.await {
                let _ = ack.send(&reply);
            }
        },
    );

    socket.on("disconnect_me", async |s: SocketRef, ack: AckSender| {
        let _ = ack.send(&Args(Vec::new()));
        let _ = s.disconnect();
    });

    {
        let shared = shared.clone();
        socket.on("close_transport", move |s: SocketRef, ack: AckSender| {
            let shared = shared.clone();
            async move {
                let _ = ack.send(&Args(Vec::new()));
                shared.close_transport(&s);
            }
        });
    }

    socket.on(
        "stream",
        async |s: SocketRef, Data(args): Data<Args>, ack: AckSender| {
            let count = args.0.first().cloned().unwrap_or(Dyn::Null);
            let event = match args.0.get(1) {
                Some(Dyn::Str(e)) => e.clone(),
                _ => return,
            };
            for i in 0..count.as_u64().unwrap_or(0) {
                let _ = s.emit(&event, &serde_json::json!({ "i": i }));
            }
            let _ = ack.send(&count);
        },
    );

    // `stream_slow` (count, event, interval_ms): `{i: n}` for n in 0..count, one every
    // interval_ms (the first one at once), then the ack `count`. Stops if the socket disconnects.
    socket.on(
        "stream_slow",
        async |s: SocketRef, Data(args): Data<Args>, ack: AckSender| {
            let count = args.0.first().cloned().unwrap_or(Dyn::Null);
            let event = match args.0.get(1) {
                Some(Dyn::Str(e)) => e.clone(),
                _ => return,
            };
            let interval = args.0.get(2).and_then(Dyn::as_u64).unwrap_or(0);
            for i in 0..count.as_u64().unwrap_or(0) {
                if i > 0 {
                    tokio::time::sleep(Duration::from_millis(interval)).await;
                }
                if !s.connected() {
                    return;
                }
                let _ = s.emit(&event, &serde_json::json!({ "i": i }));
            }
            let _ = ack.send(&count);
        },
    );

    socket.on("binary", async |s: SocketRef, ack: AckSender| {
        let second = Dyn::Map(vec![
            (
                "nested".into(),
                Dyn::Map(vec![(
                    "data".into(),
                    Dyn::Bin(Bytes::from_static(&[4, 5, 6])),
                )]),
            ),
            (
                "list".into(),
                Dyn::Seq(vec![Dyn::Bin(Bytes::from_static(&[7]))]),
            ),
            ("text".into(), Dyn::Str("hi".into())),
        ]);
        let _ = s.emit(
            "binary",
            &Args(vec![Dyn::Bin(Bytes::from_static(&[1, 2, 3])), second]),
        );
        let _ = ack.send(&Dyn::Bin(Bytes::from_static(&[9, 9])));
    });

    {
        let shared = shared.clone();
        socket.on("count", move |Data(args): Data<Args>, ack: AckSender| {
            let shared = shared.clone();
            async move {
                let key = args.0.first().map(Dyn::key_string).unwrap_or_default();
                let id = args.0.get(1).cloned().unwrap_or(Dyn::Null);
                let id = serde_json::to_string(&id).unwrap_or_default();
                let total = {
                    let mut counters = shared.counters.lock().unwrap();
                    let entry = counters.entry(key).or_default();
                    entry.0 += 1;
                    entry.1.insert(id);
                    entry.0
                };
                let _ = ack.send(&total);
            }
        });
    }

    socket.on(
        "get_count",
        move |Data(args): Data<Args>, ack: AckSender| {
            let shared = shared.clone();
            async move {
                let key = args.0.first().map(Dyn::key_string).unwrap_or_default();
                let (total, unique) = {
                    let counters = shared.counters.lock().unwrap();
                    counters
                        .get(&key)
                        .map(|(t, ids)| (*t, ids.len()))
                        .unwrap_or((0, 0))
                };
                let _ = ack.send(&serde_json::json!({ "total": total, "unique": unique }));
            }
        },
    );

    socket.on(
        "emit_bytes_len",
        async |Data(args): Data<Args>, ack: AckSender| {
            let len: usize = args.0.iter().map(Dyn::binary_len).sum();
            let _ = ack.send(&len);
        },
    );

    // `message`: relayed with the same arguments to every other socket of the namespace
    // (a chat room); the sender's ack, if it asked for one, is "delivered".
    socket.on(
        "message",
        async |s: SocketRef, Data(args): Data<Args>, ack: AckSender| {
            let _ = s.broadcast().emit("message", &args).await;
            let _ = ack.send("delivered");
        },
    );
}

fn handshake(s: &SocketRef, auth: Option<serde_json::Value>) -> serde_json::Value {
    let parts = s.req_parts();
    let mut query = serde_json::Map::new();
    for pair in parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        query.insert(
            percent_decode(k),
            serde_json::Value::String(percent_decode(v)),
        );
    }
    let mut headers = serde_json::Map::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let entry = headers.entry(name.as_str().to_ascii_lowercase());
        match entry {
            serde_json::map::Entry::Occupied(mut o) => {
                let joined = format!("{}, {}", o.get().as_str().unwrap_or(""), value);
                o.insert(serde_json::Value::String(joined));
            }
            serde_json::map::Entry::Vacant(v) => {
                v.insert(serde_json::Value::String(value));
            }
        }
    }
    let transport = match s.transport_type() {
        TransportType::Polling => "polling",
        TransportType::Websocket => "websocket",
    };
    serde_json::json!({
        "auth": auth,
        "query": query,
        "headers": headers,
        "transport": transport,
        "namespace": s.ns(),
        "sid": s.id.to_string(),
    })
}

/// `a + b` for JSON numbers (integer when both are integers), string concatenation otherwise.
fn add(a: &Dyn, b: &Dyn) -> Dyn {
    match (a, b) {
        (Dyn::Str(a), b) => Dyn::Str(format!("{a}{}", b.key_string())),
        (a, Dyn::Str(b)) => Dyn::Str(format!("{}{b}", a.key_string())),
        _ => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) if x.checked_add(y).is_some() => Dyn::I64(x + y),
            _ => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => Dyn::F64(x + y),
                _ => Dyn::Null,
            },
        },
    }
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes[i] {
            b'%' if i + 2 < bytes.len() => hex(bytes[i + 1]).zip(hex(bytes[i + 2])),
            _ => None,
        };
        match (decoded, bytes[i]) {
            (Some((hi, lo)), _) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// close_transport emulation

impl Shared {
    /// Closes the whole Engine.IO connection of `s` (see the module documentation).
    fn close_transport(&self, s: &SocketRef) {
        let sid = s.id.to_string();
        match s.transport_type() {
            TransportType::Websocket => {
                let switch = self
                    .kills
                    .ws_conns
                    .lock()
                    .unwrap()
                    .get(&sid)
                    .cloned()
                    .or_else(|| s.req_parts().extensions.get::<ConnSwitch>().cloned());
                if let Some(switch) = switch {
                    // Let the websocket writer task flush what was emitted before (e.g. the ack).
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        switch.kill();
                    });
                }
            }
            TransportType::Polling => {
                // The GET in flight (if any) sends the synthetic close and appends `1` to its
                // answer; otherwise the next GET does (see `PeerService`).
                self.kills
                    .polling_closed
                    .lock()
                    .unwrap()
                    .insert(sid.clone(), Closing::Requested);
                if let Some(tx) = self.kills.polling_tx.get() {
                    let _ = tx.send(sid);
                }
            }
        }
    }

    fn closing(&self, sid: &str) -> Option<Closing> {
        self.kills.polling_closed.lock().unwrap().get(sid).copied()
    }

    /// Sends socketioxide the synthetic client close packet for `sid`, once.
    fn send_close_post(&self, sid: &str) {
        let mut closed = self.kills.polling_closed.lock().unwrap();
        if let Some(state @ Closing::Requested) = closed.get_mut(sid) {
            *state = Closing::PostSent;
            drop(closed);
            if let Some(close) = self.close_polling.get() {
                close(sid.to_owned());
            }
        }
    }

    /// Finishes the polling GET of a closing session: its answer gets a trailing close packet.
    async fn finish_closing_get<B>(&self, sid: &str, res: Response<B>) -> Response<RespBody>
    where
        B: Body<Data = Bytes, Error = Infallible> + Send + 'static,
    {
        self.send_close_post(sid);
        if let Some(state) = self.kills.polling_closed.lock().unwrap().get_mut(sid) {
            *state = Closing::Delivered;
        }
        let ok = res.status().is_success();
        let body = match res.into_body().collect().await {
            Ok(collected) if ok => collected.to_bytes(),
            _ => Bytes::new(),
        };
        let mut payload = body.to_vec();
        if !payload.is_empty() {
            payload.push(0x1e);
        }
        payload.push(b'1');
        Response::builder()
            .header(hyper::header::CONTENT_TYPE, "text/plain; charset=UTF-8")
            .body(Full::new(Bytes::from(payload)).boxed_unsync())
            .expect("valid response")
    }
}

/// Builds the function that closes a polling session inside socketioxide, as if the client had
/// sent an Engine.IO close packet (`POST 1`). It holds the service weakly: the service owns the
/// handlers, which own the closer.
fn polling_closer<S, B>(svc: &Arc<S>, req_path: &str) -> PollingCloser
where
    S: hyper::service::Service<Request<Full<Bytes>>, Response = Response<B>>
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let svc = Arc::downgrade(svc);
    let base = format!("{}/", req_path.trim_end_matches('/'));
    Box::new(move |sid: String| {
        let Some(svc) = svc.upgrade() else { return };
        let uri = format!("{base}?EIO=4&transport=polling&sid={sid}");
        let Ok(req) = Request::post(uri)
            .header(hyper::header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(Full::new(Bytes::from_static(b"1")))
        else {
            return;
        };
        let fut = svc.call(req);
        tokio::spawn(async move {
            let _ = fut.await;
        });
    })
}

/// Kill switch of one accepted TCP connection.
#[derive(Clone, Default)]
struct ConnSwitch(Arc<SwitchState>);

#[derive(Default)]
struct SwitchState {
    killed: std::sync::atomic::AtomicBool,
    reader: Mutex<Option<Waker>>,
}

impl ConnSwitch {
    fn kill(&self) {
        self.0
            .killed
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(waker) = self.0.reader.lock().unwrap().take() {
            waker.wake();
        }
    }
    fn is_killed(&self) -> bool {
        self.0.killed.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A TCP stream that reads EOF (after shutting down its write side) once its switch is killed.
struct KillableIo {
    inner: TcpStream,
    switch: ConnSwitch,
}

impl AsyncRead for KillableIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.switch.is_killed() {
            let _ = Pin::new(&mut self.inner).poll_shutdown(cx);
            return Poll::Ready(Ok(()));
        }
        *self.switch.0.reader.lock().unwrap() = Some(cx.waker().clone());
        if self.switch.is_killed() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.switch.is_killed() {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

type RespBody = UnsyncBoxBody<Bytes, Infallible>;

/// The per-connection HTTP service: socketioxide plus the `close_transport` interception.
struct PeerService<S> {
    inner: Arc<S>,
    shared: Arc<Shared>,
    conn: ConnSwitch,
}

impl<S, B> hyper::service::Service<Request<Incoming>> for PeerService<S>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>,
    S::Future: Send + 'static,
    B: Body<Data = Bytes, Error = Infallible> + Send + 'static,
{
    type Response = Response<RespBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        let mut sid = None;
        let mut transport = None;
        for pair in req.uri().query().unwrap_or("").split('&') {
            match pair.split_once('=') {
                Some(("sid", v)) => sid = Some(percent_decode(v)),
                Some(("transport", v)) => transport = Some(v.to_owned()),
                _ => {}
            }
        }
        req.extensions_mut().insert(self.conn.clone());
        let kills = &self.shared.kills;
        let mut watch = None;
        match (transport.as_deref(), sid) {
            (Some("websocket"), Some(sid)) => {
                kills
                    .ws_conns
                    .lock()
                    .unwrap()
                    .insert(sid, self.conn.clone());
            }
            (Some("polling"), Some(sid))
                if req.method() == Method::GET
                    && self.shared.closing(&sid) != Some(Closing::Delivered) =>
            {
                if let Some(tx) = kills.polling_tx.get() {
                    watch = Some((sid, tx.subscribe()));
                }
            }
            _ => {}
        }
        let inner = hyper::service::Service::call(&*self.inner, req);
        let shared = self.shared.clone();
        Box::pin(async move {
            let Some((sid, mut rx)) = watch else {
                let res = inner.await?;
                return Ok(res.map(BodyExt::boxed_unsync));
            };
            let mut inner = std::pin::pin!(inner);
            if shared.closing(&sid).is_some() {
                // Closed while no GET was pending: let socketioxide take this GET as the pending
                // one (poll it once) before closing the session, so that it flushes what was queued.
                let polled = std::future::poll_fn(|cx| match inner.as_mut().poll(cx) {
                    Poll::Ready(res) => Poll::Ready(Some(res)),
                    Poll::Pending => Poll::Ready(None),
                })
                .await;
                if let Some(res) = polled {
                    return Ok(shared.finish_closing_get(&sid, res?).await);
                }
                shared.send_close_post(&sid);
            }
            let res = loop {
                tokio::select! {
                    biased;
                    res = &mut inner => break res?,
                    msg = rx.recv() => match msg {
                        Ok(s) if s == sid => shared.send_close_post(&sid),
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => break inner.await?,
                    },
                }
            };
            if shared
                .closing(&sid)
                .is_some_and(|c| c != Closing::Delivered)
            {
                return Ok(shared.finish_closing_get(&sid, res).await);
            }
            Ok(res.map(BodyExt::boxed_unsync))
        })
    }
}
