//! Fault injection against the Node socket.io 4.8.4 server: restarts, refusals, a frozen
//! server, cut connections; reconnection, buffered emits, prompt ack failures,
//! at-least-once emits and connection state recovery.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use socketio::{AsyncClient, ConnectOptions, DisconnectReason, Error, Transport};
use socketio_suite::fault_proxy::{FaultProxy, ProxyMode};
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

fn node(options: PeerOptions) -> Option<Peer> {
    Peer::start(PeerKind::Node, options)
}

fn options() -> ConnectOptions {
    ConnectOptions::new().wait_timeout(WAIT)
}

/// Records the client's life events, in order.
fn record(sio: &AsyncClient, namespaces: &[&'static str]) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    for &namespace in namespaces {
        let socket = sio.of(namespace);
        let t = tx.clone();
        socket.on("connect", move || {
            t.send(format!("connect {namespace}")).unwrap()
        });
        let t = tx.clone();
        socket.on("disconnect", move |reason: DisconnectReason| {
            t.send(format!("disconnect {namespace} {reason}")).unwrap()
        });
    }
    let t = tx.clone();
    sio.on("reconnect_attempt", move |n: u32| {
        t.send(format!("attempt {n}")).unwrap()
    });
    let t = tx.clone();
    sio.on("reconnect", move |n: u32| {
        t.send(format!("reconnect {n}")).unwrap()
    });
    sio.on("reconnect_failed", move || {
        tx.send("failed".to_owned()).unwrap()
    });
    rx
}

/// The next event that is not an attempt.
async fn next_milestone(events: &mut mpsc::UnboundedReceiver<String>) -> String {
    loop {
        let event = recv(events).await;
        if !event.starts_with("attempt") {
            return event;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_gets_both_namespaces_back() {
    let Some(mut peer) = node(PeerOptions::default()) else {
        return;
    };
    let sio = quick().build();
    let mut events = record(&sio, &["/", "/chat"]);
    sio.connect_with(&peer.url(), options()).await.unwrap();
    let mut first = vec![recv(&mut events).await, recv(&mut events).await];
    first.sort();
    assert_eq!(first, ["connect /", "connect /chat"]);

    peer.restart();
    let mut lost = vec![recv(&mut events).await, recv(&mut events).await];
    lost.sort();
    // Killed mid-poll it is a transport error, on the websocket a transport close.
    let reason = lost[0].trim_start_matches("disconnect / ").to_owned();
    assert!(
        ["transport close", "transport error"].contains(&reason.as_str()),
        "{lost:?}"
    );
    assert_eq!(
        lost,
        [
            format!("disconnect / {reason}"),
            format!("disconnect /chat {reason}")
        ]
    );
    let mut back = Vec::new();
    while back.len() < 3 {
        back.push(next_milestone(&mut events).await);
    }
    back.sort();
    assert_eq!(back[..2], ["connect /", "connect /chat"]);
    assert!(back[2].starts_with("reconnect "), "{back:?}");
    assert_eq!(sio.connected_namespaces(), ["/", "/chat"]);
    let total: i64 = sio.of("/chat").call("sum", (2, 3)).await.unwrap();
    assert_eq!(total, 5);
    sio.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_up_after_the_attempts_ends_wait() {
    let Some(mut peer) = node(PeerOptions::default()) else {
        return;
    };
    let sio = quick().reconnection_attempts(3).build();
    let mut events = record(&sio, &["/"]);
    // Each failed attempt is also told to `reconnect_error`, with its error.
    let (tx, mut errors) = mpsc::unbounded_channel();
    sio.on("reconnect_error", move |error: String| {
        tx.send(error).unwrap()
    });
    sio.connect_with(&peer.url(), options()).await.unwrap();
    assert_eq!(recv(&mut events).await, "connect /");
    peer.stop();
    // A killed server: the websocket or the pending poll fails.
    let lost = recv(&mut events).await;
    assert!(
        [
            "disconnect / transport close",
            "disconnect / transport error"
        ]
        .contains(&lost.as_str()),
        "{lost}"
    );
    for n in 1..=3 {
        assert_eq!(recv(&mut events).await, format!("attempt {n}"));
    }
    assert_eq!(recv(&mut events).await, "failed");
    for _ in 1..=3 {
        let error = recv(&mut errors).await;
        assert!(!error.is_empty());
    }
    assert!(
        errors.try_recv().is_err(),
        "one reconnect_error per attempt"
    );
    tokio::time::timeout(WAIT, sio.wait())
        .await
        .expect("wait() returns");
    assert_eq!(sio.state(), socketio::ConnectionState::Disconnected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_server_is_a_ping_timeout_then_a_reconnection() {
    let peer_options = PeerOptions {
        ping_interval: Some(300),
        ping_timeout: Some(200),
        ..Default::default()
    };
    let Some(peer) = node(peer_options) else {
        return;
    };
    let sio = quick().build();
    let mut events = record(&sio, &["/"]);
    sio.connect_with(&peer.url(), options().transports([Transport::WebSocket]))
        .await
        .unwrap();
    assert_eq!(recv(&mut events).await, "connect /");
    peer.freeze();
    let frozen = Instant::now();
    assert_eq!(recv(&mut events).await, "disconnect / ping timeout");
    let noticed = frozen.elapsed();
    assert!(
        noticed <= Duration::from_millis(300 + 200 + 400),
        "after {noticed:?}"
    );
    peer.thaw();
    assert_eq!(next_milestone(&mut events).await, "connect /");
    let total: i64 = sio.call("sum", (1, 2)).await.unwrap();
    assert_eq!(total, 3);
    sio.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_transport_reconnects_but_a_kick_does_not() {
    let Some(peer) = node(PeerOptions::default()) else {
        return;
    };
    let sio = quick().build();
    let mut events = record(&sio, &["/"]);
    sio.connect_with(&peer.url(), options()).await.unwrap();
    assert_eq!(recv(&mut events).await, "connect /");

    sio.emit("close_transport", ()).await.unwrap();
    assert_eq!(recv(&mut events).await, "disconnect / transport close");
    assert_eq!(next_milestone(&mut events).await, "connect /");
    assert_eq!(next_milestone(&mut events).await, "reconnect 1");

    sio.emit("disconnect_me", ()).await.unwrap();
    assert_eq!(recv(&mut events).await, "disconnect / io server disconnect");
    tokio::time::timeout(WAIT, sio.wait())
        .await
        .expect("wait() returns");
    // No attempt follows a kick.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(events.try_recv().is_err());
    assert_eq!(sio.state(), socketio::ConnectionState::Disconnected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_call_fails_as_soon_as_the_connection_is_lost() {
    let Some(peer) = node(PeerOptions::default()) else {
        return;
    };
    let proxy = FaultProxy::start(peer.port());
    let sio = quick().build();
    sio.connect_with(&proxy.url(), options().transports([Transport::WebSocket]))
        .await
        .unwrap();
    let client = sio.clone();
    let pending = tokio::spawn(async move {
        // Nobody acks this event: only the disconnection can end the wait.
        client.call::<_, Value>("no such event", ()).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cut = Instant::now();
    proxy.cut();
    let result = tokio::time::timeout(WAIT, pending).await.unwrap().unwrap();
    assert!(matches!(result, Err(Error::Disconnected)), "{result:?}");
    assert!(
        cut.elapsed() < Duration::from_secs(2),
        "failed after {:?}",
        cut.elapsed()
    );
    sio.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emits_made_while_the_network_is_down_are_sent_after_it_returns() {
    let Some(peer) = node(PeerOptions::default()) else {
        return;
    };
    let proxy = FaultProxy::start(peer.port());
    let sio = quick().send_buffer(100).build();
    let mut events = record(&sio, &["/"]);
    sio.connect_with(&proxy.url(), options()).await.unwrap();
    assert_eq!(recv(&mut events).await, "connect /");

    proxy.set_mode(ProxyMode::Refuse);
    assert!(recv(&mut events).await.starts_with("disconnect / "));
    for i in 0..50 {
        sio.emit("count", ("offline", i)).await.unwrap();
    }
    proxy.set_mode(ProxyMode::Forward);
    assert_eq!(next_milestone(&mut events).await, "connect /");
    let count: Value = sio.call("get_count", "offline").await.unwrap();
    assert_eq!(count, json!({"total": 50, "unique": 50}));
    sio.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_send_buffer_is_an_error_and_zero_means_no_buffer() {
    let Some(peer) = node(PeerOptions::default()) else {
        return;
    };
    let proxy = FaultProxy::start(peer.port());
    for capacity in [0, 3] {
        let sio = quick().send_buffer(capacity).build();
        let mut events = record(&sio, &["/"]);
        sio.connect_with(&proxy.url(), options()).await.unwrap();
        assert_eq!(recv(&mut events).await, "connect /");
        proxy.set_mode(ProxyMode::Refuse);
        assert!(recv(&mut events).await.starts_with("disconnect / "));
        for _ in 0..capacity {
            sio.emit("count", ("full", 1)).await.unwrap();
        }
        let overflow = sio.emit("count", ("full", 1)).await;
        if capacity == 0 {
            assert!(matches!(overflow, Err(Error::NotConnected)), "{overflow:?}");
        } else {
            assert!(matches!(overflow, Err(Error::BufferFull)), "{overflow:?}");
        }
        proxy.set_mode(ProxyMode::Forward);
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_deliver_every_emit_once_through_a_cutting_proxy() {
    let Some(peer) = node(PeerOptions::default()) else {
        return;
    };
    let proxy = FaultProxy::start(peer.port());
    let sio = quick()
        .retries(50)
        .ack_timeout(Duration::from_millis(500))
        .build();
    sio.connect_with(&proxy.url(), options().transports([Transport::WebSocket]))
        .await
        .unwrap();
    proxy.cut_every(Duration::from_millis(100));
    for i in 0..100 {
        sio.emit("count", ("retried", i)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The queue goes out in order: when the last is acked, all are.
    let last: i64 = sio.call("count", ("retried-done", 0)).await.unwrap();
    assert!(last >= 1);
    proxy.stop_cutting();
    let count: Value = sio.call("get_count", "retried").await.unwrap();
    assert_eq!(count["unique"], 100, "{count}");
    assert!(count["total"].as_u64().unwrap() >= 100);
    assert!(proxy.accepted() > 1, "the proxy did cut");
    sio.disconnect().await;
}

#[test]
fn the_blocking_client_reconnects_too() {
    let Some(mut peer) = node(PeerOptions::default()) else {
        return;
    };
    let sio = socketio::Client::builder()
        .reconnection_delay(Duration::from_millis(50))
        .reconnection_delay_max(Duration::from_millis(200))
        .build()
        .unwrap();
    let (tx, connects) = std::sync::mpsc::channel();
    sio.on("connect", move || tx.send(()).unwrap());
    sio.connect_with(&peer.url(), options()).unwrap();
    connects.recv_timeout(WAIT).unwrap();
    peer.restart();
    connects.recv_timeout(WAIT).unwrap();
    let total: i64 = sio.call("sum", (1, 2)).unwrap();
    assert_eq!(total, 3);
    sio.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_the_first_connect() {
    let Some(peer) = node(PeerOptions::default()) else {
        return;
    };
    let proxy = FaultProxy::start(peer.port());
    proxy.set_mode(ProxyMode::Refuse);
    let sio = quick().build();
    let attempts = Arc::new(Mutex::new(0));
    let counter = attempts.clone();
    sio.on("reconnect_attempt", move |_: u32| {
        *counter.lock().unwrap() += 1
    });
    let connecting = {
        let sio = sio.clone();
        let url = proxy.url();
        tokio::spawn(async move { sio.connect_with(&url, options().retry(true)).await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    proxy.set_mode(ProxyMode::Forward);
    tokio::time::timeout(WAIT, connecting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(*attempts.lock().unwrap() >= 1);
    assert!(sio.sid().is_some());
    sio.disconnect().await;

    // Without retry, the first failure is returned at once.
    proxy.set_mode(ProxyMode::Refuse);
    let result = sio.connect_with(&proxy.url(), options()).await;
    assert!(
        matches!(result, Err(Error::ConnectionFailed(_))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_delivers_every_event_once_and_in_order_through_cuts() {
    let peer_options = PeerOptions {
        connection_state_recovery: Some(true),
        ..Default::default()
    };
    let Some(peer) = node(peer_options) else {
        return;
    };
    let proxy = FaultProxy::start(peer.port());
    let sio = quick().build();
    let (tx, mut ticks) = mpsc::unbounded_channel();
    sio.on("tick", move |tick: Value| {
        tx.send(tick["i"].as_i64().unwrap()).unwrap()
    });
    let recoveries = Arc::new(Mutex::new(0));
    {
        let counter = recoveries.clone();
        let client = sio.clone();
        sio.on("reconnect", move |_: u32| {
            if client.recovered() {
                *counter.lock().unwrap() += 1;
            }
        });
    }
    sio.connect_with(&proxy.url(), options().transports([Transport::WebSocket]))
        .await
        .unwrap();
    assert!(!sio.recovered(), "a first connection restores nothing");
    proxy.cut_every(Duration::from_millis(700));
    sio.emit("stream_slow", (200, "tick", 10)).await.unwrap();
    let mut received = Vec::with_capacity(200);
    while received.len() < 200 {
        received.push(recv(&mut ticks).await);
    }
    proxy.stop_cutting();
    assert_eq!(received, (0..200).collect::<Vec<_>>());
    // Nothing arrives twice, even late.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(ticks.try_recv().is_err());
    assert!(
        proxy.accepted() >= 3,
        "the proxy cut {} times",
        proxy.accepted() - 1
    );
    assert!(*recoveries.lock().unwrap() >= 1, "recovered at least once");
    sio.disconnect().await;
}
