//! The client API against every peer: connect on each transport, headers/auth/query,
//! every payload shape, acks both ways, namespaces, refusals, disconnects, `wait()`,
//! the catch-all and background tasks.

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use socketio::{AsyncClient, ConnectOptions, DisconnectReason, Error, Payload, Transport};
use socketio_suite::peers::{self, Peer, PeerKind, PeerOptions};
use socketio_suite::support::{options, recv, WAIT};
use tokio::sync::mpsc;

async fn connected(peer: &Peer, options: ConnectOptions) -> AsyncClient {
    let sio = AsyncClient::new();
    sio.connect_with(&peer.url(), options)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", peer.kind()));
    sio
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_on_each_transport_with_sid_and_transport() {
    for peer in peers::all(PeerOptions::default()) {
        for (transports, expected) in [
            (vec![Transport::Polling], Transport::Polling),
            (vec![Transport::WebSocket], Transport::WebSocket),
            (
                vec![Transport::Polling, Transport::WebSocket],
                Transport::WebSocket,
            ),
        ] {
            let sio = AsyncClient::new();
            let (tx, mut connects) = mpsc::unbounded_channel();
            sio.on("connect", move || {
                let tx = tx.clone();
                async move { tx.send(()).unwrap() }
            });
            assert_eq!(sio.sid(), None);
            sio.connect_with(&peer.url(), options().transports(transports.clone()))
                .await
                .unwrap();
            recv(&mut connects).await;
            let sid = sio.sid().expect("a sid once connected");
            let info: Value = sio.call("handshake", ()).await.unwrap();
            assert_eq!(info["sid"], sid, "{}", peer.kind());
            // The upgrade may still be under way right after connecting.
            for _ in 0..200 {
                if sio.transport() == Some(expected) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(
                sio.transport(),
                Some(expected),
                "{} {transports:?}",
                peer.kind()
            );
            sio.disconnect().await;
            assert_eq!(sio.sid(), None);
            assert_eq!(sio.transport(), None);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_auth_and_query_reach_the_server() {
    for peer in peers::all(PeerOptions::default()) {
        for transports in [vec![Transport::Polling], vec![Transport::WebSocket]] {
            let sio = connected(
                &peer,
                options()
                    .transports(transports)
                    .header("X-Token", "t0k3n")
                    .auth(json!({"token": "secret"})),
            )
            .await;
            let _ = &sio;
            let url_with_query = format!("{}/?room=blue", peer.url());
            let other = AsyncClient::new();
            other
                .connect_with(&url_with_query, options().auth(json!({"user": 7})))
                .await
                .unwrap();
            let info: Value = sio.call("handshake", ()).await.unwrap();
            assert_eq!(info["headers"]["x-token"], "t0k3n", "{}", peer.kind());
            assert_eq!(info["auth"], json!({"token": "secret"}), "{}", peer.kind());
            let info: Value = other.call("handshake", ()).await.unwrap();
            assert_eq!(info["query"]["room"], "blue", "{}", peer.kind());
            assert_eq!(info["auth"], json!({"user": 7}), "{}", peer.kind());
            sio.disconnect().await;
            other.disconnect().await;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Upload {
    name: String,
    data: Bytes,
    chunks: Vec<Bytes>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_payload_shape_round_trips() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = AsyncClient::new();
        let (tx, mut echoes) = mpsc::unbounded_channel::<Payload>();
        sio.on_any(move |event: String, args: Payload| {
            if event == "echo" {
                tx.send(args).unwrap();
            }
        });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        let kind = peer.kind();

        // A dict is one argument.
        sio.emit("echo", json!({"foo": "bar"})).await.unwrap();
        let args = recv(&mut echoes).await;
        assert_eq!(args.len(), 1, "{kind}");
        assert_eq!(args.get::<Value>(0).unwrap(), json!({"foo": "bar"}));

        // A list is one argument.
        sio.emit("echo", vec![1, 2, 3]).await.unwrap();
        let args = recv(&mut echoes).await;
        assert_eq!(args.len(), 1, "{kind}");
        assert_eq!(args.get::<Vec<i32>>(0).unwrap(), [1, 2, 3]);

        // A string.
        sio.emit("echo", "héllo").await.unwrap();
        assert_eq!(recv(&mut echoes).await.get::<String>(0).unwrap(), "héllo");

        // A tuple is several arguments, of any of the other types.
        sio.emit(
            "echo",
            (
                "a",
                1,
                json!({"k": [true, null]}),
                Bytes::from_static(b"\x01\x02"),
            ),
        )
        .await
        .unwrap();
        let args = recv(&mut echoes).await;
        assert_eq!(args.len(), 4, "{kind}");
        assert_eq!(args.get::<String>(0).unwrap(), "a");
        assert_eq!(args.get::<i64>(1).unwrap(), 1);
        assert_eq!(args.get::<Value>(2).unwrap(), json!({"k": [true, null]}));
        assert_eq!(
            args.get::<Bytes>(3).unwrap(),
            Bytes::from_static(b"\x01\x02")
        );

        // Bytes nested in a struct, in a list inside it, at any depth.
        let upload = Upload {
            name: "file.bin".into(),
            data: Bytes::from(vec![0u8; 70_000]),
            chunks: vec![Bytes::from_static(b"a"), Bytes::from_static(&[0xff; 3])],
        };
        sio.emit("echo", &upload).await.unwrap();
        let args = recv(&mut echoes).await;
        assert_eq!(args.get::<Upload>(0).unwrap(), upload, "{kind}");
        assert_eq!(args.attachments().len(), 3);

        // `()` is no argument.
        sio.emit("echo", ()).await.unwrap();
        assert!(recv(&mut echoes).await.is_empty(), "{kind}");

        // Binary in replies: the server's ack and the server's own binary event.
        let reply: Bytes = sio.call("binary", ()).await.unwrap();
        assert_eq!(reply, Bytes::from_static(&[9, 9]), "{kind}");
        sio.disconnect().await;
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Nested {
    nested: Inner,
    list: Vec<Bytes>,
    text: String,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Inner {
    data: Bytes,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_handlers_receive_binary_from_the_server() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = AsyncClient::new();
        let (tx, mut got) = mpsc::unbounded_channel();
        sio.on("binary", move |first: Bytes, second: Nested| {
            let tx = tx.clone();
            async move { tx.send((first, second)).unwrap() }
        });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        sio.emit("binary", ()).await.unwrap();
        let (first, second) = recv(&mut got).await;
        assert_eq!(first, Bytes::from_static(&[1, 2, 3]), "{}", peer.kind());
        assert_eq!(
            second,
            Nested {
                nested: Inner {
                    data: Bytes::from_static(&[4, 5, 6])
                },
                list: vec![Bytes::from_static(&[7])],
                text: "hi".into(),
            },
            "{}",
            peer.kind()
        );
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_to_client_acks_use_the_handler_return_value() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = AsyncClient::new();
        // A sync handler with several parameters; the tuple it returns is two ack arguments.
        sio.on("pair", |a: String, b: i64| (a.to_uppercase(), b * 2));
        // An async handler.
        sio.on("square", |n: i64| async move { n * n });
        // A handler returning nothing acks with no argument.
        sio.on("nothing", || ());
        sio.connect_with(&peer.url(), options()).await.unwrap();

        let (a, b): (String, i64) = sio.call("ask", ("pair", "x", 21)).await.unwrap();
        assert_eq!((a.as_str(), b), ("X", 42), "{}", peer.kind());
        let squared: i64 = sio.call("ask", ("square", 12)).await.unwrap();
        assert_eq!(squared, 144, "{}", peer.kind());
        let (): () = sio.call("ask", ("nothing",)).await.unwrap();
        let empty: Vec<Value> = sio
            .call("ask", ("nothing",))
            .await
            .map(|v: Option<Vec<Value>>| v.unwrap_or_default())
            .unwrap();
        assert!(empty.is_empty());
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_to_server_acks_with_callbacks_call_and_timeouts() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = connected(&peer, options()).await;
        let (tx, mut acks) = mpsc::unbounded_channel();
        sio.emit_with_ack("sum", (1, 2), move |total: i64| {
            let tx = tx.clone();
            async move { tx.send(total).unwrap() }
        })
        .await
        .unwrap();
        assert_eq!(recv(&mut acks).await, 3, "{}", peer.kind());

        let total: i64 = sio.call("sum", (20, 22)).await.unwrap();
        assert_eq!(total, 42);
        let total: i64 = sio
            .call_timeout("sum", (2, 3), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(total, 5);
        // Several ack arguments into a tuple.
        let (a, b, c): (String, i64, Option<bool>) = sio.call("echo", ("x", 1)).await.unwrap();
        assert_eq!((a.as_str(), b, c), ("x", 1, None));

        // An event nobody acks times out, and the client stays usable.
        let started = std::time::Instant::now();
        let result: Result<Value, Error> = sio
            .call_timeout("no such event", (), Duration::from_millis(300))
            .await;
        assert!(
            matches!(result, Err(Error::Timeout)),
            "{}: {result:?}",
            peer.kind()
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        let total: i64 = sio.call("sum", (1, 1)).await.unwrap();
        assert_eq!(total, 2);
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_multiplex_and_auto_connect() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = AsyncClient::new();
        let (tx, mut connects) = mpsc::unbounded_channel();
        for namespace in ["/", "/chat"] {
            let tx = tx.clone();
            sio.of(namespace).on("connect", move || {
                let tx = tx.clone();
                async move { tx.send(namespace).unwrap() }
            });
        }
        // No `.namespaces(…)`: every namespace with handlers is connected.
        sio.connect_with(&peer.url(), options()).await.unwrap();
        let mut seen = vec![recv(&mut connects).await, recv(&mut connects).await];
        seen.sort();
        assert_eq!(seen, ["/", "/chat"], "{}", peer.kind());
        assert_eq!(sio.connected_namespaces(), ["/", "/chat"]);
        let chat = sio.of("/chat");
        let info: Value = chat.call("handshake", ()).await.unwrap();
        assert_eq!(info["namespace"], "/chat");
        assert_eq!(info["sid"], chat.sid().unwrap());
        let info: Value = sio.call("handshake", ()).await.unwrap();
        assert_eq!(info["namespace"], "/");
        // Leaving one namespace keeps the other.
        chat.disconnect().await;
        assert_eq!(sio.connected_namespaces(), ["/"]);
        assert!(matches!(
            chat.emit("echo", 1).await,
            Err(Error::NotConnected)
        ));
        let total: i64 = sio.call("sum", (1, 1)).await.unwrap();
        assert_eq!(total, 2);
        sio.disconnect().await;

        // Explicit namespaces, without handlers.
        let sio = connected(&peer, options().namespaces(["/admin"])).await;
        assert_eq!(sio.connected_namespaces(), ["/admin"]);
        assert!(sio.sid().is_none());
        assert!(sio.of("/admin").sid().is_some());
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_namespace_fails_connect_with_the_servers_data() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = AsyncClient::new();
        let (tx, mut errors) = mpsc::unbounded_channel();
        sio.of("/forbidden")
            .on("connect_error", move |data: Value| {
                let tx = tx.clone();
                async move { tx.send(data).unwrap() }
            });
        let result = sio
            .connect_with(&peer.url(), options().namespaces(["/", "/forbidden"]))
            .await;
        match result {
            Err(Error::NamespaceRefused {
                namespace,
                message,
                data,
            }) => {
                assert_eq!(namespace, "/forbidden");
                assert_eq!(message, "forbidden", "{}", peer.kind());
                if peer.kind() != PeerKind::Socketioxide {
                    assert_eq!(
                        data,
                        Some(json!({"reason": "not allowed"})),
                        "{}",
                        peer.kind()
                    );
                }
            }
            other => panic!("{}: {other:?}", peer.kind()),
        }
        let data = recv(&mut errors).await;
        assert_eq!(data["message"], "forbidden", "{}", peer.kind());
        assert_eq!(sio.state(), socketio::ConnectionState::Disconnected);
        // The client can connect again afterwards.
        sio.connect_with(&peer.url(), options().namespaces(["/"]))
            .await
            .unwrap();
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnects_from_either_side_reach_the_handler_and_wait_returns() {
    for peer in peers::all(PeerOptions::default()) {
        for server_side in [false, true] {
            let sio = AsyncClient::new();
            let (tx, mut reasons) = mpsc::unbounded_channel();
            sio.on("disconnect", move |reason: DisconnectReason| {
                let tx = tx.clone();
                async move { tx.send(reason).unwrap() }
            });
            sio.connect_with(&peer.url(), options()).await.unwrap();
            let waiter = {
                let sio = sio.clone();
                tokio::spawn(async move { sio.wait().await })
            };
            if server_side {
                sio.emit("disconnect_me", ()).await.unwrap();
            } else {
                sio.disconnect().await;
            }
            let expected = if server_side {
                DisconnectReason::ServerDisconnect
            } else {
                DisconnectReason::ClientDisconnect
            };
            assert_eq!(recv(&mut reasons).await, expected, "{}", peer.kind());
            tokio::time::timeout(WAIT, waiter)
                .await
                .expect("wait() returns")
                .unwrap();
            assert_eq!(sio.state(), socketio::ConnectionState::Disconnected);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transport_close_is_reported_as_such() {
    for peer in peers::all(PeerOptions::default()) {
        // Without reconnection, wait() returns once the transport is gone.
        let sio = AsyncClient::builder().reconnection(false).build();
        let (tx, mut reasons) = mpsc::unbounded_channel();
        sio.on("disconnect", move |reason: DisconnectReason| {
            tx.send(reason).unwrap();
        });
        sio.connect_with(&peer.url(), options().transports([Transport::WebSocket]))
            .await
            .unwrap();
        sio.emit("close_transport", ()).await.unwrap();
        assert_eq!(
            recv(&mut reasons).await,
            DisconnectReason::TransportClose,
            "{}",
            peer.kind()
        );
        tokio::time::timeout(WAIT, sio.wait()).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catch_all_gets_events_without_a_handler_and_can_ack() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = AsyncClient::new();
        let (tx, mut events) = mpsc::unbounded_channel();
        sio.on("named", |x: i64| x);
        sio.on_any(move |event: String, args: Payload| {
            let tx = tx.clone();
            async move {
                tx.send((event, args.to_values())).unwrap();
                "caught"
            }
        });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        let reply: String = sio.call("ask", ("whatever", 1, "two")).await.unwrap();
        assert_eq!(reply, "caught", "{}", peer.kind());
        let (event, args) = recv(&mut events).await;
        assert_eq!(event, "whatever");
        assert_eq!(args, [json!(1), json!("two")]);
        let named: i64 = sio.call("ask", ("named", 5)).await.unwrap();
        assert_eq!(named, 5);
        assert!(
            events.try_recv().is_err(),
            "a handled event does not reach the catch-all"
        );
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_run_in_order_and_may_await_call_without_deadlock() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = AsyncClient::new();
        let (tx, mut seen) = mpsc::unbounded_channel();
        let client = sio.clone();
        sio.on("tick", move |tick: Value| {
            let tx = tx.clone();
            let client = client.clone();
            async move {
                // Awaiting a call inside a handler: its ack must still be delivered.
                let total: i64 = client
                    .call("sum", (tick["i"].as_i64().unwrap(), 1))
                    .await
                    .unwrap();
                tx.send(total).unwrap();
            }
        });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        sio.emit("stream", (20, "tick")).await.unwrap();
        for i in 0..20 {
            assert_eq!(recv(&mut seen).await, i + 1, "{}", peer.kind());
        }
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_tasks_and_sleep() {
    let Some(peer) = Peer::start(PeerKind::Socketioxide, PeerOptions::default()) else {
        return;
    };
    let sio = connected(&peer, options()).await;
    let client = sio.clone();
    let task = sio.start_background_task(async move {
        let mut totals = Vec::new();
        for i in 0..3 {
            totals.push(client.call::<_, i64>("sum", (i, 10)).await.unwrap());
            client.sleep(Duration::from_millis(5)).await;
        }
        totals
    });
    assert_eq!(task.await.unwrap(), [10, 11, 12]);
    sio.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emitting_while_disconnected_is_an_error_and_a_second_connect_too() {
    let Some(peer) = Peer::start(PeerKind::Socketioxide, PeerOptions::default()) else {
        return;
    };
    let sio = AsyncClient::new();
    assert!(matches!(
        sio.emit("echo", 1).await,
        Err(Error::NotConnected)
    ));
    assert!(matches!(
        sio.call::<_, Value>("sum", (1, 2)).await,
        Err(Error::NotConnected)
    ));
    sio.connect_with(&peer.url(), options()).await.unwrap();
    assert!(matches!(
        sio.connect(&peer.url()).await,
        Err(Error::AlreadyConnected)
    ));
    sio.disconnect().await;
    // Nothing listens on this port any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let result = sio.connect(&format!("http://127.0.0.1:{port}")).await;
    assert!(
        matches!(result, Err(Error::ConnectionFailed(_))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_async_handler_does_not_stall_heartbeats() {
    let options = PeerOptions {
        ping_interval: Some(300),
        ping_timeout: Some(200),
        ..Default::default()
    };
    let Some(peer) = Peer::start(PeerKind::Node, options) else {
        return;
    };
    let sio = AsyncClient::builder().reconnection(false).build();
    let (tx, mut reasons) = mpsc::unbounded_channel();
    sio.on("disconnect", move |reason: DisconnectReason| {
        tx.send(reason).unwrap();
    });
    let (done_tx, mut done) = mpsc::unbounded_channel();
    sio.on("slow", move |_: Value| {
        let done_tx = done_tx.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            done_tx.send(()).unwrap();
        }
    });
    sio.connect_with(&peer.url(), options_ws()).await.unwrap();
    sio.emit("ask", ("slow", 1)).await.unwrap();
    recv(&mut done).await;
    assert!(
        reasons.try_recv().is_err(),
        "no disconnect while the handler was busy"
    );
    let total: i64 = sio.call("sum", (1, 2)).await.unwrap();
    assert_eq!(total, 3);
    sio.disconnect().await;
}

fn options_ws() -> ConnectOptions {
    options().transports([Transport::WebSocket])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_falling_behind_a_flood_disconnect_instead_of_buffering_without_bound() {
    let Some(peer) = Peer::start(PeerKind::Node, PeerOptions::default()) else {
        return;
    };
    let sio = AsyncClient::builder()
        .reconnection(false)
        .max_buffered(64 * 1024)
        .build();
    let (tx, mut seen) = mpsc::unbounded_channel();
    sio.on("flood", move |_: Value| {
        let tx = tx.clone();
        async move {
            // The first event holds the dispatcher while the rest pile up.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let _ = tx.send(());
        }
    });
    sio.connect_with(&peer.url(), options().transports([Transport::WebSocket]))
        .await
        .unwrap();
    // 20,000 events of ~20 bytes: far more than 64 KiB waiting behind the handler.
    sio.emit("stream", (20_000, "flood")).await.unwrap();
    tokio::time::timeout(WAIT, sio.wait())
        .await
        .expect("the client disconnects instead of buffering everything");
    // The handler that was running still completes.
    recv(&mut seen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_leaves_no_task_behind_and_a_second_connect_starts_them_again() {
    let Some(peer) = Peer::start(PeerKind::Node, PeerOptions::default()) else {
        return;
    };
    let alive = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let before = alive();
    // `retries` adds the retry worker to the dispatcher and the engine's tasks.
    let sio = AsyncClient::builder().retries(2).build();
    let (tx, mut echoed) = mpsc::unbounded_channel();
    sio.on("echo", move |n: i64| {
        let _ = tx.send(n);
    });
    for round in 0..2 {
        sio.connect_with(&peer.url(), options_ws()).await.unwrap();
        sio.emit("echo", round).await.unwrap();
        assert_eq!(recv(&mut echoed).await, round);
        assert!(alive() > before, "the client runs tasks while connected");
        sio.disconnect().await;
        let settled = tokio::time::timeout(WAIT, async {
            while alive() > before {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        assert!(
            settled.is_ok(),
            "round {round}: {} tasks left after disconnect()",
            alive() - before
        );
    }
}
