//! A TCP fault-injection proxy for reconnection tests.
//!
//! [`FaultProxy`] listens on `127.0.0.1` (ephemeral port) and forwards every connection to
//! `127.0.0.1:<target port>`. A test points its client at [`FaultProxy::url`] instead of the
//! server's URL and then breaks the network on demand:
//!
//! * [`FaultProxy::cut`] closes every open connection at once, on both sides (the client and the
//!   server each see the stream end, like a crashed middlebox);
//! * [`ProxyMode::Refuse`] makes the proxy close new connections right after accepting them;
//! * [`ProxyMode::Blackhole`] is a dead network: nothing is forwarded any more, in either
//!   direction, and nothing is closed; new connections are accepted but never answered. Bytes
//!   are held, not dropped (a TCP stream never loses bytes in the middle): going back to
//!   [`ProxyMode::Forward`] delivers them, like a network that comes back;
//! * [`FaultProxy::cut_every`] cuts everything periodically (a flaky network);
//! * [`FaultProxy::cut_each_between`] cuts each connection on its own, at a random time in a
//!   range after it opened (many clients on a flaky network, each losing it at another time);
//! * [`FaultProxy::set_target`] sends later connections elsewhere (e.g. a restarted server);
//! * [`FaultProxy::cut_next_before_frame`] arms a one-shot trip wire on the next connection: it
//!   forwards the server's websocket frames one by one and cuts the connection right before
//!   the first text frame that starts with a given prefix (e.g. `40`, a Socket.IO CONNECT), so
//!   that the client gets every frame before it and not that one.
//!
//! Like [`crate::socketioxide_server`], the proxy runs on its own thread with its own tokio
//! runtime, so it works from plain `#[test]` functions and from `#[tokio::test]` ones. Every
//! method is synchronous and takes effect before it returns: after [`FaultProxy::cut`] returns,
//! both ends of every connection have been shut down.
//!
//! ```no_run
//! use std::time::Duration;
//! use socketio_suite::fault_proxy::{FaultProxy, ProxyMode};
//! use socketio_suite::peers::{Peer, PeerKind, PeerOptions};
//!
//! let server = Peer::start(PeerKind::Socketioxide, PeerOptions::default()).unwrap();
//! let proxy = FaultProxy::start(server.port());
//! // ... connect a client to proxy.url() ...
//! proxy.cut(); // the client must reconnect
//! proxy.set_mode(ProxyMode::Refuse); // ... and fail for a while
//! proxy.set_mode(ProxyMode::Forward); // ... and then succeed
//! assert!(proxy.accepted() >= 2);
//! proxy.cut_every(Duration::from_millis(500)); // a flaky network
//! // ... or each connection on its own, 0.5 to 1.5 s after it opened:
//! proxy.cut_each_between(Duration::from_millis(500), Duration::from_millis(1500));
//! proxy.stop_cutting();
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{Shutdown, TcpStream as StdTcpStream};
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify};

/// What the proxy does with connections, see [`FaultProxy::set_mode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyMode {
    /// Normal operation: connections are forwarded to the target.
    #[default]
    Forward,
    /// New connections are accepted and closed at once; switching to this mode also cuts every
    /// open connection.
    Refuse,
    /// A dead network: new connections are accepted but never answered nor closed (they are not
    /// connected to the target), and open connections stop forwarding bytes in both directions
    /// but stay open. Switching back to [`ProxyMode::Forward`] resumes everything: held bytes are
    /// delivered and held connections are connected to the (current) target.
    Blackhole,
}

/// A running fault-injection proxy. Dropping it closes every connection and the listener, and
/// joins its thread.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
    handle: tokio::runtime::Handle,
    cutter: Mutex<Option<tokio::task::JoinHandle<()>>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// State shared by the proxy handle and the connection tasks.
struct Shared {
    target: AtomicU16,
    accepted: AtomicUsize,
    next_id: AtomicU64,
    mode: watch::Sender<ProxyMode>,
    /// The range of [`FaultProxy::cut_each_between`], while it is on.
    lifetime: watch::Sender<Option<(Duration, Duration)>>,
    /// Open connections, by id.
    conns: Mutex<HashMap<u64, Conn>>,
    /// The trip wire for the next connection accepted, see [`FaultProxy::cut_next_before_frame`].
    next_tripwire: Mutex<Option<Vec<u8>>>,
    /// The text frames a trip wire let through before it cut, once it did.
    tripped: Mutex<Option<Vec<String>>>,
}

/// The handles [`Shared::cut`] needs to close one connection from any thread.
struct Conn {
    /// A duplicate of the accepted socket.
    client: StdTcpStream,
    /// A duplicate of the socket to the target, once connected.
    upstream: Option<StdTcpStream>,
    /// Tells the connection task to stop (a permit is stored if it is not waiting yet).
    kill: Arc<Notify>,
}

impl Shared {
    /// Shuts down both sockets of every open connection and tells their tasks to stop.
    fn cut(&self) {
        let conns: Vec<Conn> = self.conns.lock().unwrap().drain().map(|(_, c)| c).collect();
        for conn in conns {
            let _ = conn.client.shutdown(Shutdown::Both);
            if let Some(upstream) = &conn.upstream {
                let _ = upstream.shutdown(Shutdown::Both);
            }
            conn.kill.notify_one();
        }
    }

    /// Shuts down both sockets of one connection (if still open) and tells its task to stop.
    fn cut_one(&self, id: u64) {
        let conn = self.conns.lock().unwrap().remove(&id);
        if let Some(conn) = conn {
            let _ = conn.client.shutdown(Shutdown::Both);
            if let Some(upstream) = &conn.upstream {
                let _ = upstream.shutdown(Shutdown::Both);
            }
            conn.kill.notify_one();
        }
    }

    /// A uniformly random duration in `[min, max]`.
    fn random_between(&self, min: Duration, max: Duration) -> Duration {
        min + max.saturating_sub(min).mul_f64(fastrand::f64())
    }
}

/// Removes a connection from [`Shared::conns`] when its task ends (or is dropped), so that the
/// duplicated sockets are closed with it.
struct Registration {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.conns.lock().unwrap().remove(&self.id);
    }
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("port", &self.port)
            .field("target", &self.shared.target.load(Ordering::SeqCst))
            .field("mode", &*self.shared.mode.borrow())
            .field("accepted", &self.accepted())
            .field("open", &self.shared.conns.lock().unwrap().len())
            .finish()
    }
}

impl FaultProxy {
    /// Starts a proxy listening on `127.0.0.1` (ephemeral port) that forwards to
    /// `127.0.0.1:target_port`, in [`ProxyMode::Forward`].
    ///
    /// # Panics
    /// When the listener cannot be bound or the runtime cannot be built.
    pub fn start(target_port: u16) -> FaultProxy {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .unwrap_or_else(|e| panic!("fault proxy: cannot listen on 127.0.0.1: {e}"));
        let port = listener
            .local_addr()
            .expect("fault proxy: local_addr")
            .port();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("fault proxy: cannot build a tokio runtime: {e}"));
        let handle = runtime.handle().clone();
        let shared = Arc::new(Shared {
            target: AtomicU16::new(target_port),
            accepted: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            mode: watch::channel(ProxyMode::Forward).0,
            lifetime: watch::channel(None).0,
            conns: Mutex::new(HashMap::new()),
            next_tripwire: Mutex::new(None),
            tripped: Mutex::new(None),
        });
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("fault-proxy-{port}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        let listener = TcpListener::from_std(listener)
                            .expect("fault proxy: register the listener");
                        accept_loop(listener, shared, shutdown_rx).await;
                    });
                    // Dropping the runtime drops every connection task and so every socket.
                    runtime.shutdown_timeout(Duration::from_secs(1));
                })
                .unwrap_or_else(|e| panic!("fault proxy: cannot spawn its thread: {e}"))
        };
        FaultProxy {
            port,
            shared,
            handle,
            cutter: Mutex::new(None),
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// The port the proxy listens on (on `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The proxy's base URL: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Forwards the connections made from now on to `127.0.0.1:target_port`. Open connections
    /// are left alone (cut them with [`FaultProxy::cut`] if needed).
    pub fn set_target(&self, target_port: u16) {
        self.shared.target.store(target_port, Ordering::SeqCst);
    }

    /// Closes every open connection now, on both sides (each side reads end-of-stream), and
    /// keeps listening.
    pub fn cut(&self) {
        self.shared.cut();
    }

    /// Changes how connections are handled, see [`ProxyMode`]. Switching to
    /// [`ProxyMode::Refuse`] also cuts every open connection.
    pub fn set_mode(&self, mode: ProxyMode) {
        self.shared.mode.send_replace(mode);
        if mode == ProxyMode::Refuse {
            self.shared.cut();
        }
    }

    /// The current mode.
    pub fn mode(&self) -> ProxyMode {
        *self.shared.mode.borrow()
    }

    /// Cuts every connection every `period` (the first cut is one `period` from now), until
    /// [`FaultProxy::stop_cutting`] or drop. Calling it again replaces the previous period.
    pub fn cut_every(&self, period: Duration) {
        let shared = self.shared.clone();
        let task = self.handle.spawn(async move {
            let start = tokio::time::Instant::now() + period;
            let mut ticks = tokio::time::interval_at(start, period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                shared.cut();
            }
        });
        if let Some(previous) = self.cutter.lock().unwrap().replace(task) {
            previous.abort();
        }
    }

    /// Cuts each connection on its own, at a random time between `min` and `max` (uniformly
    /// drawn per connection) after it was accepted, or after this call for the connections
    /// already open, until [`FaultProxy::stop_cutting`] or drop. Unlike [`FaultProxy::cut_every`],
    /// the connections of many clients die at different times. Calling it again draws new times
    /// in the new range for every open connection.
    ///
    /// # Panics
    /// When `min > max`.
    pub fn cut_each_between(&self, min: Duration, max: Duration) {
        assert!(min <= max, "cut_each_between: {min:?} > {max:?}");
        self.shared.lifetime.send_replace(Some((min, max)));
    }

    /// Stops the loop started by [`FaultProxy::cut_every`] and the cuts of
    /// [`FaultProxy::cut_each_between`] (no-op if none): the connections open now stay open.
    pub fn stop_cutting(&self) {
        if let Some(task) = self.cutter.lock().unwrap().take() {
            task.abort();
        }
        self.shared.lifetime.send_replace(None);
    }

    /// Arms a one-shot trip wire on the next connection the proxy accepts (and forwards): the
    /// server's bytes to the client are then read as an HTTP response followed by websocket
    /// frames, and forwarded one whole frame at a time; when a text frame whose payload starts
    /// with `prefix` comes, that frame is held back and the connection is cut: the client reads
    /// every frame before it, then the end of the stream; the server sees the connection end.
    /// It fires at most once; [`FaultProxy::tripped`] tells what it let through.
    ///
    /// Websocket only (frames are not inflated, fragments are not joined): when the response
    /// is not a `101` upgrade, the connection is forwarded as is and the wire never fires.
    /// Calling it again replaces a wire not yet taken by a connection.
    pub fn cut_next_before_frame(&self, prefix: &str) {
        *self.shared.next_tripwire.lock().unwrap() = Some(prefix.as_bytes().to_vec());
        *self.shared.tripped.lock().unwrap() = None;
    }

    /// Once the trip wire of [`FaultProxy::cut_next_before_frame`] cut its connection: the
    /// payloads of the text frames it forwarded to the client before, in order (the Engine.IO
    /// packets, e.g. `0{"sid":…}` and `42["tick",…]`). `None` until then.
    pub fn tripped(&self) -> Option<Vec<String>> {
        self.shared.tripped.lock().unwrap().clone()
    }

    /// How many connections the proxy accepted so far, in every mode.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How many connections are open right now (accepted and not yet closed).
    pub fn open_connections(&self) -> usize {
        self.shared.conns.lock().unwrap().len()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop_cutting();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Shut the sockets down right away; the runtime then drops them.
        self.shared.cut();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else {
                    // E.g. EMFILE: don't spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                if *shared.mode.borrow() == ProxyMode::Refuse {
                    drop(client);
                    continue;
                }
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = handle_connection(client, shared).await;
                });
            }
        }
    }
}

/// Duplicates a tokio stream as a std stream (same socket), for [`Shared::cut`].
fn duplicate(stream: TcpStream) -> io::Result<(TcpStream, StdTcpStream)> {
    let std_stream = stream.into_std()?;
    let dup = std_stream.try_clone()?;
    Ok((TcpStream::from_std(std_stream)?, dup))
}

async fn handle_connection(client: TcpStream, shared: Arc<Shared>) -> io::Result<()> {
    let _ = client.set_nodelay(true);
    let (client, client_dup) = duplicate(client)?;
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    let kill = Arc::new(Notify::new());
    shared.conns.lock().unwrap().insert(
        id,
        Conn {
            client: client_dup,
            upstream: None,
            kill: kill.clone(),
        },
    );
    let _registration = Registration {
        shared: shared.clone(),
        id,
    };
    let tripwire = shared.next_tripwire.lock().unwrap().take();
    let mut mode = shared.mode.subscribe();
    tokio::select! {
        _ = kill.notified() => Ok(()),
        () = lifetime(&shared) => {
            shared.cut_one(id);
            Ok(())
        }
        res = async {
            // A connection accepted in Blackhole mode waits, unanswered, for the network to return.
            if wait_not_blackhole(&mut mode).await == ProxyMode::Refuse {
                return Ok(());
            }
            let target = shared.target.load(Ordering::SeqCst);
            let upstream = TcpStream::connect(("127.0.0.1", target)).await?;
            let _ = upstream.set_nodelay(true);
            let (upstream, upstream_dup) = duplicate(upstream)?;
            {
                let mut conns = shared.conns.lock().unwrap();
                match conns.get_mut(&id) {
                    Some(conn) => conn.upstream = Some(upstream_dup),
                    // Cut while connecting.
                    None => return Ok(()),
                }
            }
            let (client_r, client_w) = client.into_split();
            let (upstream_r, upstream_w) = upstream.into_split();
            let downstream = async {
                match tripwire {
                    Some(prefix) => {
                        let wire = Tripwire {
                            scanner: FrameScanner::new(prefix),
                            shared: shared.clone(),
                            id,
                        };
                        pump_tripwire(upstream_r, client_w, shared.mode.subscribe(), wire).await
                    }
                    None => pump(upstream_r, client_w, shared.mode.subscribe()).await,
                }
            };
            tokio::try_join!(pump(client_r, upstream_w, shared.mode.subscribe()), downstream)?;
            Ok(())
        } => res,
    }
}

/// Returns when the connection's time is up under [`FaultProxy::cut_each_between`]: a random
/// time in the range after the range was set (or after the connection was accepted, when it was
/// set before). Never returns while the range is unset; a new range draws a new time.
async fn lifetime(shared: &Shared) {
    let mut range = shared.lifetime.subscribe();
    loop {
        let current = *range.borrow_and_update();
        let changed = match current {
            None => range.changed().await,
            Some((min, max)) => {
                let sleep = tokio::time::sleep(shared.random_between(min, max));
                tokio::select! {
                    () = sleep => return,
                    changed = range.changed() => changed,
                }
            }
        };
        if changed.is_err() {
            // The proxy is going away.
            std::future::pending::<()>().await;
        }
    }
}

/// Waits until the mode is not [`ProxyMode::Blackhole`] and returns it.
async fn wait_not_blackhole(mode: &mut watch::Receiver<ProxyMode>) -> ProxyMode {
    let current = mode
        .wait_for(|m| *m != ProxyMode::Blackhole)
        .await
        .map(|m| *m);
    match current {
        Ok(m) => m,
        // The proxy is going away.
        Err(_) => std::future::pending().await,
    }
}

/// Waits until the mode is [`ProxyMode::Blackhole`].
async fn wait_blackhole(mode: &mut watch::Receiver<ProxyMode>) {
    let closed = mode.wait_for(|m| *m == ProxyMode::Blackhole).await.is_err();
    if closed {
        std::future::pending::<()>().await;
    }
}

/// Copies `from` to `to` (half-closing `to` at end of stream), holding the bytes while in
/// Blackhole mode.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut mode: watch::Receiver<ProxyMode>,
) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = read_forwardable(&mut from, &mut buf, &mut mode).await?;
        if n == 0 {
            let _ = to.shutdown().await;
            return Ok(());
        }
        wait_not_blackhole(&mut mode).await;
        to.write_all(&buf[..n]).await?;
    }
}

/// Reads the next bytes to forward: waits while in Blackhole mode, and drops a read that
/// Blackhole interrupts (the bytes stay in the socket).
async fn read_forwardable(
    from: &mut OwnedReadHalf,
    buf: &mut [u8],
    mode: &mut watch::Receiver<ProxyMode>,
) -> io::Result<usize> {
    loop {
        wait_not_blackhole(mode).await;
        tokio::select! {
            biased;
            _ = wait_blackhole(mode) => continue,
            read = from.read(buf) => return read,
        }
    }
}

/// A trip wire on one connection's server-to-client direction.
struct Tripwire {
    scanner: FrameScanner,
    shared: Arc<Shared>,
    id: u64,
}

/// [`pump`] for the server-to-client direction of a connection with a trip wire: forwards whole
/// websocket frames only, and cuts the connection before the frame the wire is set for.
async fn pump_tripwire(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut mode: watch::Receiver<ProxyMode>,
    mut wire: Tripwire,
) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = read_forwardable(&mut from, &mut buf, &mut mode).await?;
        if n == 0 {
            // The server ended the stream: what is left over was never a whole frame.
            let rest = std::mem::take(&mut wire.scanner.pending);
            to.write_all(&rest).await?;
            let _ = to.shutdown().await;
            return Ok(());
        }
        let (ready, trip) = wire.scanner.feed(&buf[..n]);
        wait_not_blackhole(&mut mode).await;
        to.write_all(&ready).await?;
        if trip {
            // Everything before the frame, then the end of the stream (a FIN after the
            // data, not a reset that could discard it), then both sides are cut.
            to.flush().await?;
            let _ = to.shutdown().await;
            *wire.shared.tripped.lock().unwrap() = Some(std::mem::take(&mut wire.scanner.texts));
            wire.shared.cut_one(wire.id);
            return Err(io::Error::other("fault proxy: trip wire"));
        }
    }
}

/// Splits a server's byte stream into its HTTP response head and its websocket frames, to
/// find the first text frame that starts with a prefix.
struct FrameScanner {
    prefix: Vec<u8>,
    /// Bytes received and not yet released (an incomplete head or frame).
    pending: Vec<u8>,
    head_done: bool,
    /// Not a websocket (or the wire already fired): everything passes.
    passthrough: bool,
    /// The payloads of the text frames released so far.
    texts: Vec<String>,
}

impl FrameScanner {
    fn new(prefix: Vec<u8>) -> FrameScanner {
        FrameScanner {
            prefix,
            pending: Vec::new(),
            head_done: false,
            passthrough: false,
            texts: Vec::new(),
        }
    }

    /// Takes `bytes` in; returns the bytes that can be forwarded (whole units: the head,
    /// frames), and whether the frame after them is the one to cut before (it is then kept).
    fn feed(&mut self, bytes: &[u8]) -> (Vec<u8>, bool) {
        if self.passthrough {
            return (bytes.to_vec(), false);
        }
        self.pending.extend_from_slice(bytes);
        let mut released = 0;
        let mut trip = false;
        loop {
            let rest = &self.pending[released..];
            if !self.head_done {
                let Some(at) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
                    break;
                };
                let status_line = rest.split(|&b| b == b'\r').next().unwrap_or_default();
                if !status_line.windows(5).any(|w| w == b" 101 ") {
                    self.passthrough = true;
                    released = self.pending.len();
                    break;
                }
                self.head_done = true;
                released += at + 4;
                continue;
            }
            let Some((header, length)) = frame_header(rest) else {
                break;
            };
            let Some(frame) = rest.get(..header + length) else {
                break;
            };
            let masked = frame[1] & 0x80 != 0;
            let mut payload = frame[header..].to_vec();
            if masked {
                let key = &frame[header - 4..header];
                for (i, byte) in payload.iter_mut().enumerate() {
                    *byte ^= key[i % 4];
                }
            }
            let text = frame[0] & 0x0f == 0x1;
            if text && payload.starts_with(&self.prefix) {
                trip = true;
                self.passthrough = true;
                break;
            }
            if text {
                self.texts
                    .push(String::from_utf8_lossy(&payload).into_owned());
            }
            released += header + length;
        }
        let ready = self.pending.drain(..released).collect();
        (ready, trip)
    }
}

/// The header length and payload length of the websocket frame at the start of `bytes`, once
/// its header is complete.
fn frame_header(bytes: &[u8]) -> Option<(usize, usize)> {
    let second = *bytes.get(1)?;
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    let (extended, length) = match second & 0x7f {
        126 => (
            2,
            u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?) as usize,
        ),
        127 => (
            8,
            usize::try_from(u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?)).ok()?,
        ),
        n => (0, n as usize),
    };
    let header = 2 + extended + mask;
    (bytes.len() >= header).then_some((header, length))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => out.push(n as u8),
            n => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn the_scanner_releases_whole_frames_and_stops_before_the_prefix() {
        let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".to_vec();
        let long = format!("42[\"tick\",\"{}\"]", "x".repeat(300));
        let mut stream = head.clone();
        stream.extend(frame(1, b"0{\"sid\":\"a\"}"));
        stream.extend(frame(1, long.as_bytes()));
        stream.extend(frame(2, b"\x01\x02"));
        let before = stream.len();
        stream.extend(frame(1, b"40{\"sid\":\"b\"}"));
        stream.extend(frame(1, b"42[\"after\"]"));

        // Fed one byte at a time: nothing is released before it is whole.
        let mut scanner = FrameScanner::new(b"40".to_vec());
        let mut released = Vec::new();
        let mut tripped = false;
        for byte in &stream {
            let (ready, trip) = scanner.feed(std::slice::from_ref(byte));
            released.extend(ready);
            if trip {
                tripped = true;
                break;
            }
        }
        assert!(tripped);
        assert_eq!(released, stream[..before]);
        assert_eq!(scanner.texts, ["0{\"sid\":\"a\"}", long.as_str()]);

        // Not an upgrade: everything passes, nothing trips.
        let mut scanner = FrameScanner::new(b"40".to_vec());
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n40";
        assert_eq!(scanner.feed(plain), (plain.to_vec(), false));
        assert_eq!(scanner.feed(b"40"), (b"40".to_vec(), false));
    }
}
