//! Tests of the TCP fault-injection proxy (`socketio_suite::fault_proxy`) with plain
//! `std::net::TcpStream`s against a tiny echo server.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use socketio_suite::fault_proxy::{FaultProxy, ProxyMode};

/// How long an answer may take when one is expected.
const ANSWER: Duration = Duration::from_secs(5);
/// How long "no answer" is watched for.
const SILENCE: Duration = Duration::from_millis(300);

/// An echo server on an ephemeral port: each connection echoes what it reads until end of stream.
struct EchoServer {
    port: u16,
    accepted: Arc<AtomicUsize>,
    /// Receives one message per connection closed by the other side (end of stream or error).
    closed: Mutex<mpsc::Receiver<()>>,
}

impl EchoServer {
    fn start() -> EchoServer {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind the echo server");
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let (closed_tx, closed_rx) = mpsc::channel();
        let counter = accepted.clone();
        // The accepting thread lives as long as the test process.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let closed_tx = closed_tx.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if stream.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = closed_tx.send(());
                });
            }
        });
        EchoServer {
            port,
            accepted,
            closed: Mutex::new(closed_rx),
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Waits until the server saw one more connection end.
    fn expect_closed(&self, what: &str) {
        self.closed
            .lock()
            .unwrap()
            .recv_timeout(ANSWER)
            .unwrap_or_else(|_| panic!("{what}: the server side was not closed"));
    }
}

fn connect(proxy: &FaultProxy) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", proxy.port())).expect("connect to the proxy");
    stream.set_nodelay(true).unwrap();
    stream
}

/// Writes `msg` and expects it echoed back.
fn round_trip(stream: &mut TcpStream, msg: &[u8]) {
    stream.write_all(msg).expect("write");
    expect_echo(stream, msg);
}

fn expect_echo(stream: &mut TcpStream, msg: &[u8]) {
    stream.set_read_timeout(Some(ANSWER)).unwrap();
    let mut got = vec![0u8; msg.len()];
    stream.read_exact(&mut got).expect("read the echo");
    assert_eq!(got, msg);
}

/// Expects the stream to be closed: a read returns end of stream or an error (a reset).
fn expect_closed(stream: &mut TcpStream, what: &str) {
    stream.set_read_timeout(Some(ANSWER)).unwrap();
    let mut buf = [0u8; 64];
    let started = Instant::now();
    match stream.read(&mut buf) {
        Ok(0) => {}
        Err(e) if !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!(
            "{what}: expected a closed stream, got {other:?} after {:?}",
            started.elapsed()
        ),
    }
}

/// Expects no data for [`SILENCE`], and the stream still open.
fn expect_silence(stream: &mut TcpStream, what: &str) {
    stream.set_read_timeout(Some(SILENCE)).unwrap();
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("{what}: expected silence on an open stream, got {other:?}"),
    }
}

/// Polls `cond` every 5 ms for up to 5 s.
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + ANSWER;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn forwards_both_ways_and_counts_connections() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.port);
    assert_eq!(proxy.url(), format!("http://127.0.0.1:{}", proxy.port()));
    assert_eq!(proxy.accepted(), 0);
    assert_eq!(proxy.mode(), ProxyMode::Forward);

    let mut a = connect(&proxy);
    let mut b = connect(&proxy);
    round_trip(&mut a, b"hello");
    round_trip(&mut b, b"world");
    // A large message, to cross several reads/writes.
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut a2 = a.try_clone().unwrap();
    let writer = {
        let big = big.clone();
        std::thread::spawn(move || a2.write_all(&big).unwrap())
    };
    expect_echo(&mut a, &big);
    writer.join().unwrap();
    assert_eq!(proxy.accepted(), 2);
    assert_eq!(echo.accepted(), 2);

    // A half close is forwarded: the echo server sees end of stream and closes, and so does
    // the proxy towards the client.
    a.shutdown(Shutdown::Write).unwrap();
    echo.expect_closed("half close");
    expect_closed(&mut a, "half close");
    wait_until("the proxy to forget the closed connection", || {
        proxy.open_connections() == 1
    });
    round_trip(&mut b, b"still there");
}

#[test]
fn cut_closes_both_sides_and_keeps_listening() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.port);
    let mut a = connect(&proxy);
    let mut b = connect(&proxy);
    round_trip(&mut a, b"a");
    round_trip(&mut b, b"b");
    assert_eq!(proxy.open_connections(), 2);

    proxy.cut();
    expect_closed(&mut a, "cut, client a");
    expect_closed(&mut b, "cut, client b");
    echo.expect_closed("cut, server side 1");
    echo.expect_closed("cut, server side 2");
    assert_eq!(proxy.open_connections(), 0);

    // Still listening and forwarding.
    let mut c = connect(&proxy);
    round_trip(&mut c, b"after the cut");
    assert_eq!(proxy.accepted(), 3);
    assert_eq!(echo.accepted(), 3);
}

#[test]
fn refuse_closes_new_connections_at_once_and_cuts_open_ones() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.port);
    let mut open = connect(&proxy);
    round_trip(&mut open, b"before");

    proxy.set_mode(ProxyMode::Refuse);
    assert_eq!(proxy.mode(), ProxyMode::Refuse);
    expect_closed(&mut open, "open connection when refusing");

    let started = Instant::now();
    let mut refused = connect(&proxy);
    expect_closed(&mut refused, "new connection when refusing");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused after {:?}",
        started.elapsed()
    );
    wait_until("the refused connection to be counted", || {
        proxy.accepted() == 2
    });
    assert_eq!(
        echo.accepted(),
        1,
        "a refused connection reached the target"
    );

    proxy.set_mode(ProxyMode::Forward);
    let mut again = connect(&proxy);
    round_trip(&mut again, b"forwarding again");
    assert_eq!(proxy.accepted(), 3);
}

#[test]
fn blackhole_holds_bytes_and_connections_until_forwarding_resumes() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.port);
    let mut open = connect(&proxy);
    round_trip(&mut open, b"before");

    proxy.set_mode(ProxyMode::Blackhole);
    // An open connection: no echo, and it stays open.
    open.write_all(b"lost?").unwrap();
    expect_silence(&mut open, "open connection in blackhole");
    // A new connection: accepted, but never answered nor closed, and not connected upstream.
    let mut fresh = connect(&proxy);
    fresh.write_all(b"anyone?").unwrap();
    expect_silence(&mut fresh, "new connection in blackhole");
    assert_eq!(proxy.accepted(), 2);
    assert_eq!(
        echo.accepted(),
        1,
        "a blackholed connection reached the target"
    );
    assert_eq!(proxy.open_connections(), 2);

    // The network comes back: what was held is delivered, both ways.
    proxy.set_mode(ProxyMode::Forward);
    expect_echo(&mut open, b"lost?");
    expect_echo(&mut fresh, b"anyone?");
    round_trip(&mut open, b"after");
    assert_eq!(echo.accepted(), 2);

    // cut() also closes blackholed connections.
    proxy.set_mode(ProxyMode::Blackhole);
    let mut held = connect(&proxy);
    wait_until("the held connection to be accepted", || {
        proxy.accepted() == 3
    });
    proxy.cut();
    expect_closed(&mut held, "held connection after cut");
    expect_closed(&mut open, "open connection after cut in blackhole");
    assert_eq!(proxy.open_connections(), 0);
}

#[test]
fn set_target_redirects_later_connections() {
    let first = EchoServer::start();
    let second = EchoServer::start();
    let proxy = FaultProxy::start(first.port);
    let mut a = connect(&proxy);
    round_trip(&mut a, b"one");

    proxy.set_target(second.port);
    let mut b = connect(&proxy);
    round_trip(&mut b, b"two");
    // The open connection still goes to the first server.
    round_trip(&mut a, b"still one");
    assert_eq!(first.accepted(), 1);
    assert_eq!(second.accepted(), 1);
}

#[test]
fn cut_every_cuts_periodically_until_stopped() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.port);
    let period = Duration::from_millis(100);
    proxy.cut_every(period);
    for round in 0..3 {
        let mut s = connect(&proxy);
        round_trip(&mut s, b"x");
        let started = Instant::now();
        expect_closed(&mut s, "periodic cut");
        assert!(
            started.elapsed() < period * 3,
            "round {round}: cut after {:?}",
            started.elapsed()
        );
    }
    proxy.stop_cutting();
    let mut s = connect(&proxy);
    round_trip(&mut s, b"y");
    // Longer than two periods without a cut.
    expect_silence(&mut s, "after stop_cutting");
    round_trip(&mut s, b"z");
    assert_eq!(proxy.accepted(), 4);
}

#[test]
fn cut_each_between_cuts_every_connection_on_its_own_clock() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.port);
    // Open before the range is set: its clock starts with the call.
    let mut early = connect(&proxy);
    round_trip(&mut early, b"e");
    let (min, max) = (Duration::from_millis(150), Duration::from_millis(300));
    let set = Instant::now();
    proxy.cut_each_between(min, max);
    let mut streams: Vec<(TcpStream, Instant)> = (0..6)
        .map(|_| {
            let mut s = connect(&proxy);
            round_trip(&mut s, b"x");
            (s, Instant::now())
        })
        .collect();
    streams.insert(0, (early, set));
    // Each one lives between `min` and `max` (plus scheduling slack), whoever else is cut.
    for (i, (stream, opened)) in streams.iter_mut().enumerate() {
        expect_closed(stream, "a connection whose time is up");
        let lived = opened.elapsed();
        assert!(
            lived + Duration::from_millis(20) >= min && lived <= max + Duration::from_millis(250),
            "connection {i} lived {lived:?}"
        );
    }
    for _ in 0..streams.len() {
        echo.expect_closed("the server side of a cut connection");
    }
    proxy.stop_cutting();
    let mut s = connect(&proxy);
    round_trip(&mut s, b"y");
    // Longer than the range without a cut.
    std::thread::sleep(max);
    expect_silence(&mut s, "after stop_cutting");
    round_trip(&mut s, b"z");
}

#[test]
fn an_unreachable_target_closes_the_client() {
    // A port nobody listens on (bound, then released).
    let port = TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = FaultProxy::start(port);
    let mut s = connect(&proxy);
    expect_closed(&mut s, "unreachable target");
    assert_eq!(proxy.accepted(), 1);
}

#[test]
fn drop_closes_every_socket_and_the_listener() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.port);
    let port = proxy.port();
    let mut a = connect(&proxy);
    round_trip(&mut a, b"a");
    proxy.set_mode(ProxyMode::Blackhole);
    let mut held = connect(&proxy);
    wait_until("the held connection to be accepted", || {
        proxy.accepted() == 2
    });
    proxy.cut_every(Duration::from_secs(60));

    let started = Instant::now();
    drop(proxy);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        started.elapsed()
    );
    expect_closed(&mut a, "forwarded connection after drop");
    expect_closed(&mut held, "held connection after drop");
    echo.expect_closed("server side after drop");
    let err = TcpStream::connect(("127.0.0.1", port)).expect_err("the proxy still listens");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn works_from_an_async_test() {
    let echo = EchoServer::start();
    let proxy = FaultProxy::start(echo.port);
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", proxy.port()))
        .await
        .unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(b"async").await.unwrap();
    let mut buf = [0u8; 5];
    tokio::time::timeout(ANSWER, s.read_exact(&mut buf))
        .await
        .expect("echo in time")
        .unwrap();
    assert_eq!(&buf, b"async");
    proxy.cut();
    let n = tokio::time::timeout(ANSWER, s.read(&mut buf))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0);
    drop(proxy); // from inside a runtime
}
