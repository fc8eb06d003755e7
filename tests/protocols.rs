//! Protocol breadth: the client-API scenarios against a Socket.IO 2.5 server (Engine.IO
//! v3, Socket.IO protocol 4), socket.io 4.8.4 with `allowEIO3`, and the msgpack parser
//! on Node (socket.io-msgpack-parser) and python-socketio (`serializer="msgpack"`).

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use socketio::{
    AsyncClient, AsyncClientBuilder, ConnectOptions, DisconnectReason, Error, Parser, Payload,
    Protocol, Transport,
};
use socketio_suite::peers::{Peer, PeerKind, PeerOptions};
use socketio_suite::scripted_server::ScriptedServer;
use socketio_suite::support::{recv, WAIT};
use tokio::sync::mpsc;

/// Connect, namespaces, every emit shape, binary both ways, acks both ways, a
/// server-side disconnect, and a reconnection after the transport closes.
async fn scenarios(
    label: &str,
    peer: &Peer,
    builder: fn() -> AsyncClientBuilder,
    options: ConnectOptions,
) {
    let sio = builder()
        .reconnection_delay(Duration::from_millis(50))
        .reconnection_delay_max(Duration::from_millis(200))
        .build();
    let (events_tx, mut events) = mpsc::unbounded_channel::<String>();
    for namespace in ["/", "/chat"] {
        let tx = events_tx.clone();
        sio.of(namespace).on("connect", move || {
            tx.send(format!("connect {namespace}")).unwrap()
        });
        let tx = events_tx.clone();
        sio.of(namespace)
            .on("disconnect", move |reason: DisconnectReason| {
                tx.send(format!("disconnect {namespace} {reason}")).unwrap()
            });
    }
    let (echo_tx, mut echoes) = mpsc::unbounded_channel::<Payload>();
    sio.on(
        "echo",
        move |args: Value, more: Option<Value>, bytes: Option<Bytes>| {
            let payload = Payload::new(&(args, more, bytes)).unwrap();
            echo_tx.send(payload).unwrap();
        },
    );
    sio.on("double", |n: i64| n * 2);
    sio.on("pair", |a: String, b: Bytes| (a.to_uppercase(), b));

    sio.connect_with(&peer.url(), options.clone().wait_timeout(WAIT))
        .await
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let mut first = vec![recv(&mut events).await, recv(&mut events).await];
    first.sort();
    assert_eq!(first, ["connect /", "connect /chat"], "{label}");
    assert!(
        sio.sid().is_some() && sio.of("/chat").sid().is_some(),
        "{label}"
    );

    // Acks from the server, on both namespaces.
    let total: i64 = sio.call("sum", (20, 22)).await.unwrap();
    assert_eq!(total, 42, "{label}");
    let total: i64 = sio.of("/chat").call("sum", (1, 2)).await.unwrap();
    assert_eq!(total, 3, "{label}");
    let info: Value = sio.of("/chat").call("handshake", ()).await.unwrap();
    assert_eq!(info["namespace"], "/chat", "{label}");

    // Emit shapes, binary included, echoed back.
    sio.emit(
        "echo",
        (
            json!({"k": [1, "two", null]}),
            vec![1, 2],
            Bytes::from_static(b"\x00\xff"),
        ),
    )
    .await
    .unwrap();
    let echo = recv(&mut echoes).await;
    assert_eq!(
        echo.get::<Value>(0).unwrap(),
        json!({"k": [1, "two", null]}),
        "{label}"
    );
    assert_eq!(echo.get::<Value>(1).unwrap(), json!([1, 2]), "{label}");
    assert_eq!(
        echo.get::<Option<Bytes>>(2).unwrap(),
        Some(Bytes::from_static(b"\x00\xff")),
        "{label}"
    );
    let length: i64 = sio
        .call(
            "emit_bytes_len",
            (
                Bytes::from(vec![7u8; 1000]),
                std::collections::HashMap::from([("nested", Bytes::from_static(b"abc"))]),
            ),
        )
        .await
        .unwrap();
    assert_eq!(length, 1003, "{label}");
    let reply: Bytes = sio.call("binary", ()).await.unwrap();
    assert_eq!(reply, Bytes::from_static(&[9, 9]), "{label}");

    // Acks to the server: the handler's return value, binary included.
    let doubled: i64 = sio.call("ask", ("double", 21)).await.unwrap();
    assert_eq!(doubled, 42, "{label}");
    let (upper, blob): (String, Bytes) = sio
        .call("ask", ("pair", "x", Bytes::from_static(b"\x01")))
        .await
        .unwrap();
    assert_eq!(
        (upper.as_str(), blob),
        ("X", Bytes::from_static(b"\x01")),
        "{label}"
    );

    // A timeout, then the connection still works.
    let late: Result<Value, Error> = sio
        .call_timeout("nobody answers", (), Duration::from_millis(200))
        .await;
    assert!(matches!(late, Err(Error::Timeout)), "{label}: {late:?}");

    // The transport closes: both namespaces come back.
    sio.emit("close_transport", ()).await.unwrap();
    let mut lost = vec![recv(&mut events).await, recv(&mut events).await];
    lost.sort();
    assert!(
        lost[0].starts_with("disconnect / ") && lost[1].starts_with("disconnect /chat "),
        "{label}: {lost:?}"
    );
    let mut back = vec![recv(&mut events).await, recv(&mut events).await];
    back.sort();
    assert_eq!(back, ["connect /", "connect /chat"], "{label}");
    let total: i64 = sio.call("sum", (2, 2)).await.unwrap();
    assert_eq!(total, 4, "{label}");

    // The server kicks /chat: no reconnection for it, "/" stays.
    sio.of("/chat").emit("disconnect_me", ()).await.unwrap();
    assert_eq!(
        recv(&mut events).await,
        "disconnect /chat io server disconnect",
        "{label}"
    );
    assert_eq!(sio.connected_namespaces(), ["/"], "{label}");
    sio.disconnect().await;
    assert_eq!(
        recv(&mut events).await,
        "disconnect / io client disconnect",
        "{label}"
    );
}

fn json() -> AsyncClientBuilder {
    AsyncClient::builder()
}

fn msgpack() -> AsyncClientBuilder {
    AsyncClient::builder().parser(Parser::MsgPack)
}

const ALL_TRANSPORTS: [&[Transport]; 3] = [
    &[Transport::Polling],
    &[Transport::WebSocket],
    &[Transport::Polling, Transport::WebSocket],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socketio_2_server_with_engineio_3() {
    let Some(peer) = Peer::start(PeerKind::Node2, PeerOptions::default()) else {
        return;
    };
    // Detected over polling, from the server's v3 handshake.
    scenarios("node2 auto", &peer, json, ConnectOptions::new()).await;
    // Detected over websocket, from the open packet without maxPayload that socket.io 2
    // sends whatever EIO= says, and the CONNECT for `/` it sends by itself right after.
    for transports in [
        &[Transport::WebSocket][..],
        &[Transport::WebSocket, Transport::Polling][..],
    ] {
        let options = ConnectOptions::new().transports(transports.to_vec());
        let started = std::time::Instant::now();
        scenarios(&format!("node2 auto {transports:?}"), &peer, json, options).await;
        println!("node2 auto {transports:?}: {:?}", started.elapsed());
    }
    for transports in ALL_TRANSPORTS {
        let options = ConnectOptions::new()
            .protocol(Protocol::V3)
            .transports(transports.to_vec());
        scenarios(&format!("node2 v3 {transports:?}"), &peer, json, options).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engineio_3_heartbeats_are_sent_by_the_client() {
    let options = PeerOptions {
        ping_interval: Some(300),
        ping_timeout: Some(300),
        ..Default::default()
    };
    let Some(peer) = Peer::start(PeerKind::Node2, options) else {
        return;
    };
    for (protocol, transports) in [
        (Protocol::V3, &[Transport::Polling][..]),
        (Protocol::V3, &[Transport::WebSocket][..]),
        // Detected over websocket: the same session continues in v3, the client pinging.
        (Protocol::Auto, &[Transport::WebSocket][..]),
    ] {
        let sio = AsyncClient::new();
        sio.connect_with(
            &peer.url(),
            ConnectOptions::new()
                .protocol(protocol)
                .transports(transports.to_vec()),
        )
        .await
        .unwrap();
        // Without our pings the server would drop us after 600 ms.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let total: i64 = sio.call("sum", (1, 1)).await.unwrap();
        assert_eq!(total, 2, "{protocol:?} {transports:?}");
        sio.disconnect().await;
    }
    // A frozen v2 server: no pong, a ping timeout.
    let sio = AsyncClient::builder().reconnection(false).build();
    let (tx, mut reasons) = mpsc::unbounded_channel();
    sio.on("disconnect", move |reason: DisconnectReason| {
        tx.send(reason).unwrap()
    });
    sio.connect_with(
        &peer.url(),
        ConnectOptions::new()
            .protocol(Protocol::V3)
            .transports([Transport::WebSocket]),
    )
    .await
    .unwrap();
    peer.freeze();
    let reason = recv(&mut reasons).await;
    peer.thaw();
    assert_eq!(reason, DisconnectReason::PingTimeout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socketio_4_with_allow_eio3() {
    let options = PeerOptions {
        allow_eio3: Some(true),
        ..Default::default()
    };
    let Some(peer) = Peer::start(PeerKind::Node, options) else {
        return;
    };
    for transports in ALL_TRANSPORTS {
        let options = ConnectOptions::new()
            .protocol(Protocol::V3)
            .transports(transports.to_vec());
        scenarios(
            &format!("node allowEIO3 {transports:?}"),
            &peer,
            json,
            options,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msgpack_parser_on_node_and_python() {
    let node = Peer::start(
        PeerKind::Node,
        PeerOptions {
            parser: Some("msgpack".into()),
            ..Default::default()
        },
    );
    let python = Peer::start(
        PeerKind::Python,
        PeerOptions {
            serializer: Some("msgpack".into()),
            ..Default::default()
        },
    );
    for peer in node.iter().chain(python.iter()) {
        for transports in ALL_TRANSPORTS {
            let options = ConnectOptions::new().transports(transports.to_vec());
            scenarios(
                &format!("{} msgpack {transports:?}", peer.kind()),
                peer,
                msgpack,
                options,
            )
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engineio_4_server_without_max_payload_stays_v4_over_websocket() {
    // socket.io 3.0 to 4.4 (engine.io before 6.2) send no maxPayload either: unlike a
    // socket.io 2 server they stay silent after the open packet, so the client waits a
    // moment, then speaks Socket.IO v5 (it sends CONNECT for `/`, with its auth).
    let mut server = ScriptedServer::start_without_max_payload().await;
    let sio = AsyncClient::builder().reconnection(false).build();
    sio.on("double", |n: i64| n * 2);
    let client = sio.clone();
    let url = server.url();
    let connecting = tokio::spawn(async move {
        let options = ConnectOptions::new()
            .transports([Transport::WebSocket])
            .auth(json!({"token": "t"}));
        client.connect_with(&url, options).await
    });
    let mut conn = server.accept().await;
    let opened = std::time::Instant::now();
    let (namespace, auth) = conn.expect_connect().await;
    let waited = opened.elapsed();
    assert_eq!(
        (namespace.as_str(), auth),
        ("/", Some(json!({"token": "t"})))
    );
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    conn.send(r#"40{"sid":"s1"}"#).await;
    connecting.await.unwrap().unwrap();
    assert_eq!(sio.sid().as_deref(), Some("s1"));
    conn.send(r#"421["double",21]"#).await;
    assert_eq!(conn.recv().await.as_deref(), Some("431[42]"));
    sio.disconnect().await;
}
