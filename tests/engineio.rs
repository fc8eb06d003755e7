//! Engine.IO-level tests against every peer: handshake on each transport, the upgrade,
//! heartbeats, binary both ways, batching under a small maxHttpBufferSize, a
//! server-initiated close, and a frozen server.

use std::time::{Duration, Instant};

use bytes::Bytes;
use socketio::__internal::engineio::{
    CloseReason, EngineEvent, EngineEvents, EngineOptions, EngineSocket,
};
use socketio::Transport;
use socketio_suite::peers::{self, Peer, PeerKind, PeerOptions};

fn options(peer: &Peer, transports: &[Transport]) -> EngineOptions {
    let mut options = EngineOptions::new(&peer.url()).unwrap();
    options.transports = transports.to_vec();
    options
}

async fn next(events: &mut EngineEvents) -> EngineEvent {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("events until Closed")
}

/// The next text message, skipping nothing: the tests know what comes.
async fn next_message(events: &mut EngineEvents) -> String {
    match next(events).await {
        EngineEvent::Message(text) => text.into_string(),
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Opens the `/` namespace over a fresh Engine.IO session.
async fn open(peer: &Peer, transports: &[Transport]) -> (EngineSocket, EngineEvents) {
    let (engine, mut events) = EngineSocket::connect(options(peer, transports))
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", peer.kind()));
    engine.send_message("0".into()).unwrap();
    let connected = next_message(&mut events).await;
    assert!(
        connected.starts_with("0{\"sid\":"),
        "{}: {connected}",
        peer.kind()
    );
    (engine, events)
}

/// Queues a `count` event for each value under `key` (all at once), then asks the
/// server how many it counted; returns its ACK packet.
async fn count_on_server(
    engine: &EngineSocket,
    events: &mut EngineEvents,
    key: &str,
    values: impl Iterator<Item = String>,
) -> String {
    for value in values {
        engine
            .send_message(format!("2[\"count\",\"{key}\",\"{value}\"]"))
            .unwrap();
    }
    engine
        .send_message(format!("21[\"get_count\",\"{key}\"]"))
        .unwrap();
    next_message(events).await
}

async fn wait_for_websocket(engine: &EngineSocket) {
    let start = Instant::now();
    while engine.transport() != Transport::WebSocket {
        assert!(start.elapsed() < Duration::from_secs(10), "no upgrade");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_on_each_transport() {
    for peer in peers::all(PeerOptions::default()) {
        for transports in [
            &[Transport::Polling][..],
            &[Transport::WebSocket][..],
            &[Transport::Polling, Transport::WebSocket][..],
        ] {
            let (engine, mut events) = open(&peer, transports).await;
            let handshake = engine.handshake();
            assert!(!handshake.sid.is_empty());
            assert_eq!(handshake.ping_interval, 25000, "{}", peer.kind());
            assert_eq!(handshake.ping_timeout, 20000, "{}", peer.kind());
            if transports.len() == 1 {
                assert_eq!(engine.transport(), transports[0]);
            }
            engine.send_message("21[\"sum\",1,2]".into()).unwrap();
            assert_eq!(next_message(&mut events).await, "31[3]", "{}", peer.kind());
            engine.close().await;
            assert_eq!(
                next(&mut events).await,
                EngineEvent::Closed(CloseReason::Client)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_dropped_before_it_starts_is_over() {
    for peer in peers::all(PeerOptions::default()) {
        for transports in [&[Transport::Polling][..], &[Transport::WebSocket][..]] {
            let (engine, session) = EngineSocket::open(options(&peer, transports))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", peer.kind()));
            assert!(
                engine.send_message("0".into()).is_ok(),
                "queued until started"
            );
            drop(session);
            assert!(engine.is_closed(), "{}", peer.kind());
            assert!(engine.send_message("0".into()).is_err(), "{}", peer.kind());
            // And close() returns at once rather than waiting for a driver that never ran.
            tokio::time::timeout(Duration::from_secs(1), engine.close())
                .await
                .expect("close() of a session that never started");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_keeps_every_packet_in_order() {
    for peer in peers::all(PeerOptions::default()) {
        let (engine, mut events) = open(&peer, &[Transport::Polling, Transport::WebSocket]).await;
        // Emits sent while the upgrade runs must arrive once each, in order.
        let count = 200;
        for i in 0..count {
            engine.send_message(format!("2[\"echo\",{i}]")).unwrap();
        }
        for i in 0..count {
            assert_eq!(
                next_message(&mut events).await,
                format!("2[\"echo\",{i}]"),
                "{}",
                peer.kind()
            );
        }
        wait_for_websocket(&engine).await;
        engine.send_message("27[\"sum\",2,3]".into()).unwrap();
        assert_eq!(next_message(&mut events).await, "37[5]", "{}", peer.kind());
        engine.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_are_sent_on_polling_and_on_the_websocket_upgrade() {
    for peer in peers::all(PeerOptions::default()) {
        for transports in [&[Transport::Polling][..], &[Transport::WebSocket][..]] {
            let mut options = options(&peer, transports);
            options
                .headers
                .push(("X-Test-Header".into(), "hello".into()));
            options.url.set_query(Some("user=alice"));
            let (engine, mut events) = EngineSocket::connect(options).await.unwrap();
            engine.send_message("0".into()).unwrap();
            next_message(&mut events).await;
            engine.send_message("21[\"handshake\"]".into()).unwrap();
            let reply = next_message(&mut events).await;
            let data: serde_json::Value = serde_json::from_str(&reply[2..]).unwrap();
            assert_eq!(
                data[0]["headers"]["x-test-header"],
                "hello",
                "{}: {reply}",
                peer.kind()
            );
            assert_eq!(
                data[0]["query"]["user"],
                "alice",
                "{}: {reply}",
                peer.kind()
            );
            engine.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_the_session_alive_over_several_intervals() {
    let interval = 1000; // python-socketio rounds intervals to whole seconds
    let options = PeerOptions {
        ping_interval: Some(interval),
        ping_timeout: Some(1000),
        ..Default::default()
    };
    for peer in peers::all(options) {
        for transports in [&[Transport::Polling][..], &[Transport::WebSocket][..]] {
            let (engine, mut events) = open(&peer, transports).await;
            assert_eq!(engine.handshake().ping_interval, interval);
            // Three intervals without traffic of ours: only the pongs keep it open.
            tokio::time::sleep(Duration::from_millis(interval * 3 + 300)).await;
            assert!(!engine.is_closed(), "{} {:?}", peer.kind(), transports);
            assert!(
                events.try_recv().is_err(),
                "nothing was delivered meanwhile"
            );
            engine.send_message("21[\"sum\",1,1]".into()).unwrap();
            assert_eq!(next_message(&mut events).await, "31[2]");
            engine.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_travels_both_ways_on_each_transport() {
    for peer in peers::all(PeerOptions::default()) {
        for transports in [&[Transport::Polling][..], &[Transport::WebSocket][..]] {
            let (engine, mut events) = open(&peer, transports).await;
            let blob = Bytes::from((0..=255u8).collect::<Vec<_>>());
            engine
                .send_with_binaries(
                    r#"51-["echo",{"_placeholder":true,"num":0}]"#.into(),
                    vec![blob.clone()],
                )
                .unwrap();
            let header = next_message(&mut events).await;
            assert_eq!(
                header,
                r#"51-["echo",{"_placeholder":true,"num":0}]"#,
                "{}",
                peer.kind()
            );
            assert_eq!(next(&mut events).await, EngineEvent::Binary(blob));
            engine.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_batches_respect_a_small_max_http_buffer_size() {
    let options = PeerOptions {
        max_http_buffer_size: Some(1000),
        ..Default::default()
    };
    for peer in peers::all(options) {
        let (engine, mut events) = open(&peer, &[Transport::Polling]).await;
        if let Some(max) = engine.handshake().max_payload {
            assert_eq!(max, 1000, "{}", peer.kind());
        }
        // 60 packets of ~100 bytes: 6 KB in all, more than one POST may carry.
        let filler = "x".repeat(80);
        let values = (0..60).map(|i| format!("{i}-{filler}"));
        let reply = count_on_server(&engine, &mut events, "batch", values).await;
        assert_eq!(reply, r#"31[{"total":60,"unique":60}]"#, "{}", peer.kind());
        assert!(!engine.is_closed());
        engine.close().await;
    }
}

/// Many small packets queued at once over polling: python-engineio drops a whole POST
/// of more than 16 packets (and answers 200), so the client must split them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_small_packets_queued_at_once_over_polling_all_arrive() {
    for peer in peers::all(PeerOptions::default()) {
        let (engine, mut events) = open(&peer, &[Transport::Polling]).await;
        let values = (0..100).map(|i| i.to_string());
        let reply = count_on_server(&engine, &mut events, "many", values).await;
        assert_eq!(
            reply,
            r#"31[{"total":100,"unique":100}]"#,
            "{}",
            peer.kind()
        );
        engine.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_close_is_told_apart_from_a_client_close() {
    for peer in peers::all(PeerOptions::default()) {
        for transports in [&[Transport::Polling][..], &[Transport::WebSocket][..]] {
            let (engine, mut events) = open(&peer, transports).await;
            engine
                .send_message("2[\"close_transport\"]".into())
                .unwrap();
            let reason = loop {
                match next(&mut events).await {
                    EngineEvent::Closed(reason) => break reason,
                    EngineEvent::Message(_) | EngineEvent::Binary(_) => continue,
                }
            };
            // python-socketio drops a polling session without a close packet when no
            // GET is pending: the next poll is refused (400), a transport error.
            let python_polling_refusal = peer.kind() == PeerKind::Python
                && transports == [Transport::Polling]
                && matches!(&reason, CloseReason::TransportError(e) if e.contains("400"));
            assert!(
                matches!(reason, CloseReason::Server | CloseReason::TransportClose)
                    || python_polling_refusal,
                "{} {:?}: {reason:?}",
                peer.kind(),
                transports
            );
            assert!(engine.is_closed());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_server_is_noticed_within_ping_interval_plus_timeout() {
    let options = PeerOptions {
        ping_interval: Some(1000),
        ping_timeout: Some(1000),
        ..Default::default()
    };
    for kind in [PeerKind::Node, PeerKind::Python] {
        let Some(peer) = Peer::start(kind, options.clone()) else {
            continue;
        };
        for transports in [&[Transport::Polling][..], &[Transport::WebSocket][..]] {
            let (engine, mut events) = open(&peer, transports).await;
            peer.freeze();
            let frozen = Instant::now();
            let reason = loop {
                if let EngineEvent::Closed(reason) = next(&mut events).await {
                    break reason;
                }
            };
            let noticed = frozen.elapsed();
            peer.thaw();
            assert_eq!(reason, CloseReason::PingTimeout, "{kind} {transports:?}");
            let deadline = engine.handshake().heartbeat_deadline();
            assert!(
                noticed <= deadline + Duration::from_millis(500),
                "{kind}: noticed after {noticed:?}, deadline {deadline:?}"
            );
        }
    }
}
