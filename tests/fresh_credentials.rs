//! Credentials fetched anew for every connection attempt (`ConnectOptions::auth_with`,
//! `ConnectOptions::headers_with`), against servers whose `/once` namespace accepts each token
//! only once (tests/peers/node/server.js, tests/peers/python/server.py): a client that sent the
//! same token again would be refused, so every reconnection below proves a fresh token. Also:
//! a failing or panicking source fails its attempt (`reconnect_error`) and the next one succeeds.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use socketio::{AsyncClient, Client, ConnectOptions, Error, Transport};
use socketio_suite::peers::{Peer, PeerKind, PeerOptions};
use socketio_suite::support::quick;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(15);

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("in time")
        .expect("open")
}

fn once_options() -> ConnectOptions {
    ConnectOptions::new()
        .namespaces(["/once"])
        .wait_timeout(WAIT)
}

/// A counter the credential sources number their tokens with (1, 2, …).
fn counter() -> Arc<AtomicU32> {
    Arc::new(AtomicU32::new(0))
}

/// `auth_with`: `{"token": "<prefix><n>"}`, n counting the calls from 1.
fn fresh_auth(
    options: ConnectOptions,
    prefix: &'static str,
    calls: &Arc<AtomicU32>,
) -> ConnectOptions {
    let calls = calls.clone();
    options.auth_with(move || {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok::<_, Infallible>(json!({ "token": format!("{prefix}{n}") })) }
    })
}

/// `headers_with`: `X-Token: <prefix><n>`, n counting the calls from 1.
fn fresh_header(
    options: ConnectOptions,
    prefix: &'static str,
    calls: &Arc<AtomicU32>,
) -> ConnectOptions {
    let calls = calls.clone();
    options.headers_with(move || {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok::<_, Infallible>(vec![("X-Token".to_owned(), format!("{prefix}{n}"))]) }
    })
}

/// Records `reconnect_attempt`, `reconnect_error` and `reconnect` in order.
fn record_reconnection(sio: &AsyncClient) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let t = tx.clone();
    sio.on("reconnect_attempt", move |n: u32| {
        t.send(format!("attempt {n}")).unwrap()
    });
    let t = tx.clone();
    sio.on("reconnect_error", move |error: String| {
        t.send(format!("error {error}")).unwrap()
    });
    sio.on("reconnect", move |n: u32| {
        tx.send(format!("reconnect {n}")).unwrap()
    });
    rx
}

/// The next `reconnect` event, skipping attempts (and failing on an error).
async fn reconnected(events: &mut mpsc::UnboundedReceiver<String>) -> String {
    loop {
        let event = recv(events).await;
        assert!(!event.starts_with("error"), "{event}");
        if event.starts_with("reconnect") {
            return event;
        }
    }
}

/// Connects `/once` with `options`, has the server close the transport three times, and returns
/// the tokens the server accepted, in order.
async fn three_server_side_disconnects(peer: &Peer, options: ConnectOptions) -> Vec<String> {
    let sio = quick().build();
    let mut events = record_reconnection(&sio);
    sio.connect_with(&peer.url(), options).await.unwrap();
    let once = sio.of("/once");
    for _ in 0..3 {
        once.emit("close_transport", ()).await.unwrap();
        assert_eq!(reconnected(&mut events).await, "reconnect 1");
    }
    let tokens: Vec<String> = once.call("once_tokens", ()).await.unwrap();
    sio.disconnect().await;
    tokens
}

fn expected(kind: &str, prefix: &str) -> Vec<String> {
    (1..=4).map(|n| format!("{kind}:{prefix}{n}")).collect()
}

/// Only the tokens starting with `kind:prefix` (one server serves several runs).
fn of_run(tokens: Vec<String>, kind: &str, prefix: &str) -> Vec<String> {
    let start = format!("{kind}:{prefix}");
    tokens
        .into_iter()
        .filter(|t| t.starts_with(&start))
        .collect()
}

async fn auth_is_fresh_on_every_attempt(kind: PeerKind) {
    let Some(peer) = Peer::start(kind, PeerOptions::default()) else {
        return;
    };
    let calls = counter();
    let tokens =
        three_server_side_disconnects(&peer, fresh_auth(once_options(), "a", &calls)).await;
    assert_eq!(tokens, expected("auth", "a"), "{kind}");
    assert_eq!(calls.load(Ordering::SeqCst), 4, "{kind}");
}

async fn headers_are_fresh_on_every_attempt(kind: PeerKind) {
    let Some(peer) = Peer::start(kind, PeerOptions::default()) else {
        return;
    };
    for (prefix, transports) in [
        ("polling-", &[Transport::Polling][..]),
        ("websocket-", &[Transport::WebSocket][..]),
        ("upgrade-", &[Transport::Polling, Transport::WebSocket][..]),
    ] {
        let calls = counter();
        let options = once_options().transports(transports.to_vec());
        let tokens =
            three_server_side_disconnects(&peer, fresh_header(options, prefix, &calls)).await;
        assert_eq!(
            of_run(tokens, "header", prefix),
            expected("header", prefix),
            "{kind} {transports:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 4, "{kind} {transports:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_auth_with_is_called_for_every_attempt() {
    auth_is_fresh_on_every_attempt(PeerKind::Node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_auth_with_is_called_for_every_attempt() {
    auth_is_fresh_on_every_attempt(PeerKind::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_headers_with_is_called_for_every_attempt_on_every_transport() {
    headers_are_fresh_on_every_attempt(PeerKind::Node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_headers_with_is_called_for_every_attempt_on_every_transport() {
    headers_are_fresh_on_every_attempt(PeerKind::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_panicking_source_fails_only_its_attempt() {
    let Some(peer) = Peer::start(PeerKind::Node, PeerOptions::default()) else {
        return;
    };
    // Call 1 (the first connect) and call 4 give a token; call 2 fails, call 3 panics.
    let calls = counter();
    let c = calls.clone();
    let options = once_options().auth_with(move || {
        let n = c.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            match n {
                2 => Err(std::io::Error::other("token service down")),
                3 => panic!("token service panicked"),
                n => Ok(json!({ "token": format!("p{n}") })),
            }
        }
    });
    let sio = quick().build();
    let mut events = record_reconnection(&sio);
    sio.connect_with(&peer.url(), options).await.unwrap();
    let once = sio.of("/once");
    once.emit("close_transport", ()).await.unwrap();
    let failed = |message: &str| format!("error {}", Error::ConnectionFailed(message.into()));
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(recv(&mut events).await);
    }
    assert_eq!(
        seen,
        [
            "attempt 1".to_owned(),
            failed("auth source failed: token service down"),
            "attempt 2".to_owned(),
            failed("auth source panicked: token service panicked"),
            "attempt 3".to_owned(),
            "reconnect 3".to_owned(),
        ]
    );
    let tokens: Vec<String> = once.call("once_tokens", ()).await.unwrap();
    assert_eq!(tokens, ["auth:p1", "auth:p4"]);
    sio.disconnect().await;

    // On the first connect, the source's error is connect()'s.
    let sio = AsyncClient::new();
    let options = once_options().headers_with(|| async {
        Err::<Vec<(String, String)>, _>(std::io::Error::other("no token yet"))
    });
    let error = sio.connect_with(&peer.url(), options).await.unwrap_err();
    assert!(
        matches!(&error, Error::ConnectionFailed(message) if message == "headers source failed: no token yet"),
        "{error:?}"
    );
    assert_eq!(sio.state(), socketio::ConnectionState::Disconnected);
    // A value that is not an object is no auth either.
    let options = once_options().auth_with(|| async { Ok::<_, Infallible>(json!(["token"])) });
    let error = sio.connect_with(&peer.url(), options).await.unwrap_err();
    assert!(matches!(error, Error::ConnectionFailed(_)), "{error:?}");
}

#[test]
fn the_blocking_client_refreshes_auth_too() {
    let Some(peer) = Peer::start(PeerKind::Node, PeerOptions::default()) else {
        return;
    };
    let calls = counter();
    let sio = Client::builder()
        .reconnection_delay(Duration::from_millis(50))
        .build()
        .unwrap();
    let (tx, reconnects) = std::sync::mpsc::channel();
    sio.on("reconnect", move |n: u32| tx.send(n).unwrap());
    sio.connect_with(&peer.url(), fresh_auth(once_options(), "b", &calls))
        .unwrap();
    let once = sio.of("/once");
    once.emit("close_transport", ()).unwrap();
    assert_eq!(reconnects.recv_timeout(WAIT).unwrap(), 1);
    let tokens: Vec<String> = once.call("once_tokens", ()).unwrap();
    assert_eq!(tokens, ["auth:b1", "auth:b2"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    sio.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_credentials_are_refused_on_reconnection() {
    // The control: without auth_with, the same token comes back and the server refuses it, so
    // the client keeps failing (and says so with reconnect_error).
    let Some(peer) = Peer::start(PeerKind::Node, PeerOptions::default()) else {
        return;
    };
    let sio = quick().build();
    let mut events = record_reconnection(&sio);
    let options = once_options().auth(json!({"token": "static"}));
    sio.connect_with(&peer.url(), options).await.unwrap();
    sio.of("/once").emit("close_transport", ()).await.unwrap();
    assert_eq!(recv(&mut events).await, "attempt 1");
    let error = recv(&mut events).await;
    let refused = Error::NamespaceRefused {
        namespace: "/once".into(),
        message: "token already used".into(),
        data: None,
    };
    assert_eq!(error, format!("error {refused}"));
    sio.disconnect().await;
}
