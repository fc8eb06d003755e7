//! `AsyncSimpleClient` and `SimpleClient` (python-socketio's simple clients) against
//! Node socket.io 4.8 and python-socketio: connect, emit, call, receive in order,
//! receive_timeout, the stream / iterator, a namespace of the options, disconnect.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use socketio::{AsyncSimpleClient, Error, Event, SimpleClient, Transport};
use socketio_suite::peers::node_and_python;
use socketio_suite::support::{options, WAIT};

const QUIET: Duration = Duration::from_millis(200);

fn tick(event: &Event) -> (String, Value) {
    (event.name.clone(), event.args.get::<Value>(0).unwrap())
}

fn ticks(count: usize) -> Vec<(String, Value)> {
    (0..count)
        .map(|i| ("tick".to_owned(), json!({ "i": i })))
        .collect()
}

#[test]
fn the_async_simple_client_is_an_unpin_send_sync_stream() {
    fn check<T: futures_util::Stream<Item = Event> + Unpin + Send + Sync>() {}
    check::<AsyncSimpleClient>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_simple_client_connects_emits_calls_and_receives_in_order() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let mut sio = AsyncSimpleClient::connect_with(&peer.url(), options())
            .await
            .unwrap();
        let sid = sio.sid().expect("connected");
        assert!(sio.transport().is_some());
        let info: Value = sio.call("handshake", ()).await.unwrap();
        assert_eq!(info["sid"], sid, "{kind}");
        assert_eq!(sio.call::<_, i64>("sum", (1, 2)).await.unwrap(), 3);

        // Queued while nobody receives, then given out in order.
        let sent: i64 = sio.call("stream", (20, "tick")).await.unwrap();
        assert_eq!(sent, 20);
        let _: Value = sio.call("echo", "after").await.unwrap();
        let mut got = Vec::new();
        for _ in 0..20 {
            got.push(tick(&sio.receive().await.unwrap()));
        }
        assert_eq!(got, ticks(20), "{kind}");
        assert_eq!(
            tick(&sio.receive().await.unwrap()),
            ("echo".into(), json!("after"))
        );

        let started = Instant::now();
        let none = sio.receive_timeout(QUIET).await;
        assert!(matches!(none, Err(Error::Timeout)), "{kind}: {none:?}");
        assert!(started.elapsed() >= QUIET);

        sio.emit("stream", (3, "tick")).await.unwrap();
        let streamed: Vec<_> = (&mut sio).take(3).map(|e| tick(&e)).collect().await;
        assert_eq!(streamed, ticks(3), "{kind}");

        sio.disconnect().await;
        assert_eq!(sio.sid(), None);
        assert!(matches!(sio.receive().await, Err(Error::Disconnected)));
        assert!(sio.next().await.is_none(), "{kind}: the stream ended");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_simple_client_uses_the_first_namespace_and_keeps_what_came_before_disconnect() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let options = options()
            .namespaces(["/chat", "/other"])
            .transports([Transport::WebSocket]);
        let mut sio = AsyncSimpleClient::connect_with(&peer.url(), options)
            .await
            .unwrap();
        assert_eq!(sio.namespace(), "/chat");
        let info: Value = sio.call("handshake", ()).await.unwrap();
        assert_eq!(info["namespace"], "/chat", "{kind}");
        assert_eq!(sio.transport(), Some(Transport::WebSocket));
        let sent: i64 = sio.call("stream", (2, "tick")).await.unwrap();
        assert_eq!(sent, 2);
        sio.disconnect().await;
        let mut got = Vec::new();
        while let Some(event) = sio.next().await {
            got.push(tick(&event));
        }
        assert_eq!(
            got,
            ticks(2),
            "{kind}: queued events outlive the connection"
        );
    }
}

#[test]
fn the_blocking_simple_client_connects_emits_calls_and_receives_in_order() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let mut sio = SimpleClient::connect_with(&peer.url(), options()).unwrap();
        let sid = sio.sid().expect("connected");
        let info: Value = sio.call("handshake", ()).unwrap();
        assert_eq!(info["sid"], sid, "{kind}");
        assert_eq!(sio.call::<_, i64>("sum", (1, 2)).unwrap(), 3);

        sio.emit("stream", (20, "tick")).unwrap();
        let got: Vec<_> = sio.events().take(20).map(|e| tick(&e)).collect();
        assert_eq!(got, ticks(20), "{kind}");

        let started = Instant::now();
        assert!(matches!(sio.receive_timeout(QUIET), Err(Error::Timeout)));
        assert!(started.elapsed() >= QUIET);

        sio.emit("echo", (7,)).unwrap();
        assert_eq!(
            tick(&sio.receive_timeout(WAIT).unwrap()),
            ("echo".into(), json!(7))
        );
        sio.disconnect();
        assert_eq!(sio.sid(), None);
        assert!(matches!(sio.receive(), Err(Error::Disconnected)));
        assert_eq!(sio.events().count(), 0, "{kind}");
    }
}
