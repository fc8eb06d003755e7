//! The blocking `Client` against every peer: the same API without `.await`, handlers on
//! their own thread that may block and `call()` the server.

use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use socketio::{Client, ConnectOptions, DisconnectReason, Error, Payload, Transport};
use socketio_suite::peers::{self, PeerOptions};
use socketio_suite::support::{options, WAIT};

#[test]
fn emits_calls_and_handlers_without_await() {
    for peer in peers::all(PeerOptions::default()) {
        for transports in [vec![Transport::Polling], vec![Transport::WebSocket]] {
            let sio = Client::new();
            let (tx, echoes) = mpsc::channel();
            sio.on("echo", move |text: String, blob: Bytes| {
                tx.send((text, blob)).unwrap();
            });
            let (tx, connects) = mpsc::channel();
            sio.on("connect", move || tx.send(()).unwrap());
            sio.connect_with(&peer.url(), options().transports(transports))
                .unwrap();
            connects.recv_timeout(WAIT).unwrap();
            assert!(sio.sid().is_some());

            sio.emit("echo", ("hi", Bytes::from_static(b"\x00\x01")))
                .unwrap();
            assert_eq!(
                echoes.recv_timeout(WAIT).unwrap(),
                ("hi".to_owned(), Bytes::from_static(b"\x00\x01")),
                "{}",
                peer.kind()
            );
            let total: i64 = sio.call("sum", (40, 2)).unwrap();
            assert_eq!(total, 42);
            let (tx, acks) = mpsc::channel();
            sio.emit_with_ack("sum", (1, 2), move |total: i64| tx.send(total).unwrap())
                .unwrap();
            assert_eq!(acks.recv_timeout(WAIT).unwrap(), 3);
            let late: Result<Value, Error> =
                sio.call_timeout("no such event", (), Duration::from_millis(200));
            assert!(matches!(late, Err(Error::Timeout)));
            sio.disconnect();
            assert_eq!(sio.sid(), None);
        }
    }
}

#[test]
fn a_handler_may_block_and_call_the_server() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = Client::new();
        let (tx, results) = mpsc::channel();
        let client = sio.clone();
        sio.on("tick", move |tick: Value| {
            // Blocking inside a handler is fine: it runs on the handler thread.
            std::thread::sleep(Duration::from_millis(2));
            let total: i64 = client
                .call("sum", (tick["i"].as_i64().unwrap(), 100))
                .unwrap();
            tx.send(total).unwrap();
        });
        sio.connect_with(&peer.url(), options()).unwrap();
        sio.emit("stream", (5, "tick")).unwrap();
        let totals: Vec<i64> = (0..5)
            .map(|_| results.recv_timeout(WAIT).unwrap())
            .collect();
        assert_eq!(totals, [100, 101, 102, 103, 104], "{}", peer.kind());
        sio.disconnect();
    }
}

#[test]
fn server_acks_catch_all_namespaces_and_wait() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = Client::new();
        sio.on("double", |n: i64| n * 2);
        let (tx, caught) = mpsc::channel();
        sio.on_any(move |event: String, args: Payload| {
            tx.send((event, args.len())).unwrap();
        });
        let chat = sio.of("/chat");
        chat.on("connect", || {});
        let (tx, reasons) = mpsc::channel();
        sio.on("disconnect", move |reason: DisconnectReason| {
            tx.send(reason).unwrap()
        });
        sio.connect_with(&peer.url(), options().namespaces(["/", "/chat"]))
            .unwrap();

        let doubled: i64 = sio.call("ask", ("double", 21)).unwrap();
        assert_eq!(doubled, 42, "{}", peer.kind());
        sio.emit("ask", ("unhandled", 1, 2)).unwrap();
        assert_eq!(caught.recv_timeout(WAIT).unwrap(), ("unhandled".into(), 2));
        let info: Value = chat.call("handshake", ()).unwrap();
        assert_eq!(info["namespace"], "/chat");

        let waiter = {
            let client = sio.clone();
            sio.start_background_task(move || client.wait())
        };
        sio.emit("disconnect_me", ()).unwrap();
        assert_eq!(
            reasons.recv_timeout(WAIT).unwrap(),
            DisconnectReason::ServerDisconnect
        );
        // "/chat" is still connected: wait() goes on until it is gone too.
        assert_eq!(sio.connected_namespaces(), ["/chat"]);
        chat.disconnect();
        waiter.join().unwrap();
        assert_eq!(sio.state(), socketio::ConnectionState::Disconnected);
    }
}

#[test]
fn a_slow_handler_does_not_stall_heartbeats() {
    // Pings every 300 ms, dead after 500 ms without: a handler busy for 1.5 s must not
    // keep the client from answering them.
    let options = PeerOptions {
        ping_interval: Some(300),
        ping_timeout: Some(200),
        ..Default::default()
    };
    let Some(peer) =
        socketio_suite::peers::Peer::start(socketio_suite::peers::PeerKind::Node, options)
    else {
        return;
    };
    let sio = Client::builder().reconnection(false).build().unwrap();
    let (tx, reasons) = mpsc::channel();
    sio.on("disconnect", move |reason: DisconnectReason| {
        tx.send(reason).unwrap()
    });
    let (done_tx, done) = mpsc::channel();
    sio.on("slow", move |_: Value| {
        std::thread::sleep(Duration::from_millis(1500));
        done_tx.send(()).unwrap();
    });
    sio.connect_with(&peer.url(), options_websocket()).unwrap();
    sio.emit("ask", ("slow", 1)).unwrap();
    done.recv_timeout(WAIT).unwrap();
    assert!(
        reasons.try_recv().is_err(),
        "no disconnect while the handler was busy"
    );
    let total: i64 = sio.call("sum", (1, 2)).unwrap();
    assert_eq!(total, 3);
    sio.disconnect();
}

fn options_websocket() -> ConnectOptions {
    options().transports([Transport::WebSocket])
}
