//! Class-based namespaces (`#[namespace]`) and event functions (`#[event]`) against every
//! peer: typed payloads, acks from return values, the namespace's socket (emit and call,
//! from both clients), unknown events, the precedence of function handlers, the
//! connect/disconnect methods and auto-connect.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use socketio::namespace::{AsyncClientNamespace, ClientNamespace};
use socketio::{
    event, namespace, AsyncClient, AsyncSocket, Client, DisconnectReason, Payload, Socket,
};
use socketio_suite::peers::{self, PeerOptions};
use socketio_suite::support::{options, recv, WAIT};
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i64,
    y: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Tick {
    i: u32,
}

/// What the methods of [`Chat`] saw.
#[derive(Debug, PartialEq)]
enum Seen {
    Connect { namespace: String, sum: i64 },
    Echo(Point, String),
    Tick(u32),
    Disconnect(DisconnectReason),
}

/// An async namespace: `async` methods and an `AsyncSocket` parameter.
struct Chat {
    seen: mpsc::UnboundedSender<Seen>,
}

#[namespace("/chat")]
impl Chat {
    /// Uses the socket it is given: a call, then an emit that the server echoes back.
    #[event]
    async fn on_connect(&self, socket: AsyncSocket) {
        let sum: i64 = socket.call("sum", (2, 3)).await.unwrap();
        self.report(Seen::Connect {
            namespace: socket.namespace().to_owned(),
            sum,
        });
        socket
            .emit("echo", (Point { x: 1, y: 2 }, "from on_connect"))
            .await
            .unwrap();
    }

    #[event]
    fn on_echo(&self, point: Point, label: String) {
        self.report(Seen::Echo(point, label));
    }

    /// An async method whose return value is the ack.
    #[event]
    async fn on_scale(&self, point: Point, factor: i64) -> Point {
        tokio::task::yield_now().await;
        Point {
            x: point.x * factor,
            y: point.y * factor,
        }
    }

    /// A name that is not an identifier; a tuple is two ack arguments.
    #[event("pair up")]
    fn pair(&self, text: String, n: i64) -> (String, i64) {
        (text.to_uppercase(), n * 2)
    }

    #[event]
    fn on_tick(&self, tick: Tick) {
        self.report(Seen::Tick(tick.i));
    }

    #[event]
    fn on_disconnect(&self, reason: DisconnectReason) {
        self.report(Seen::Disconnect(reason));
    }

    /// Not an event: an ordinary method.
    fn report(&self, seen: Seen) {
        self.seen.send(seen).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_namespace_handles_its_events_with_typed_payloads_and_acks() {
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = AsyncClient::new();
        let (tx, mut seen) = mpsc::unbounded_channel();
        sio.register_namespace(Chat { seen: tx });
        // Unknown events are not the class's: they reach the catch-all.
        let (tx, mut caught) = mpsc::unbounded_channel();
        let chat = sio.of("/chat");
        chat.on_any(move |event: String, args: Payload| {
            tx.send((event, args.len())).unwrap();
        });

        // No `.namespaces(…)`: the registered class counts as handlers of "/chat".
        sio.connect_with(&peer.url(), options()).await.unwrap();
        assert_eq!(sio.connected_namespaces(), ["/chat"], "{kind}");
        assert_eq!(
            recv(&mut seen).await,
            Seen::Connect {
                namespace: "/chat".into(),
                sum: 5
            },
            "{kind}"
        );
        assert_eq!(
            recv(&mut seen).await,
            Seen::Echo(Point { x: 1, y: 2 }, "from on_connect".into()),
            "{kind}"
        );

        // Return values are acks: the server asks, the client's ack is the reply.
        let scaled: Point = chat
            .call("ask", ("scale", Point { x: 2, y: -3 }, 10))
            .await
            .unwrap();
        assert_eq!(scaled, Point { x: 20, y: -30 }, "{kind}");
        let (text, n): (String, i64) = chat.call("ask", ("pair up", "abc", 21)).await.unwrap();
        assert_eq!((text.as_str(), n), ("ABC", 42), "{kind}");
        // An argument that does not fit skips the event: no ack, so the call times out.
        let misfit: Result<Value, _> = chat
            .call_timeout(
                "ask",
                ("scale", "not a point", 1),
                Duration::from_millis(300),
            )
            .await;
        assert!(matches!(misfit, Err(socketio::Error::Timeout)), "{kind}");

        chat.emit("stream", (2, "nobody handles this"))
            .await
            .unwrap();
        chat.emit("stream", (3, "tick")).await.unwrap();
        for i in 0..3 {
            assert_eq!(recv(&mut seen).await, Seen::Tick(i), "{kind}");
        }
        for _ in 0..2 {
            assert_eq!(
                recv(&mut caught).await,
                ("nobody handles this".to_owned(), 1),
                "{kind}"
            );
        }

        // The server disconnects the namespace: on_disconnect, and the client is done.
        chat.emit("disconnect_me", ()).await.unwrap();
        assert_eq!(
            recv(&mut seen).await,
            Seen::Disconnect(DisconnectReason::ServerDisconnect),
            "{kind}"
        );
        tokio::time::timeout(WAIT, sio.wait()).await.unwrap();

        // Again, and the client disconnects.
        sio.connect_with(&peer.url(), options()).await.unwrap();
        assert!(matches!(
            recv(&mut seen).await,
            Seen::Connect { sum: 5, .. }
        ));
        assert!(matches!(recv(&mut seen).await, Seen::Echo(..)));
        sio.disconnect().await;
        assert_eq!(
            recv(&mut seen).await,
            Seen::Disconnect(DisconnectReason::ClientDisconnect),
            "{kind}"
        );
        assert!(seen.try_recv().is_err(), "{kind}: nothing else");
        assert!(caught.try_recv().is_err(), "{kind}: nothing else");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_handler_takes_precedence_over_the_method() {
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = AsyncClient::new();
        let (tx, mut seen) = mpsc::unbounded_channel();
        sio.register_namespace(Chat { seen: tx });
        let chat = sio.of("/chat");
        let (tx, mut echoes) = mpsc::unbounded_channel();
        chat.on("echo", move |point: Point, label: String| {
            tx.send((point, label)).unwrap();
        });
        chat.on("pair up", |_: String, _: i64| "the function");

        sio.connect_with(&peer.url(), options()).await.unwrap();
        assert!(
            matches!(recv(&mut seen).await, Seen::Connect { .. }),
            "{kind}"
        );
        // The echo of on_connect goes to the function, not to on_echo.
        assert_eq!(
            recv(&mut echoes).await,
            (Point { x: 1, y: 2 }, "from on_connect".to_owned()),
            "{kind}"
        );
        let reply: String = chat.call("ask", ("pair up", "x", 1)).await.unwrap();
        assert_eq!(reply, "the function", "{kind}");
        // The other methods still run.
        let scaled: Point = chat
            .call("ask", ("scale", Point { x: 1, y: 1 }, 2))
            .await
            .unwrap();
        assert_eq!(scaled, Point { x: 2, y: 2 });
        sio.disconnect().await;
        assert_eq!(
            recv(&mut seen).await,
            Seen::Disconnect(DisconnectReason::ClientDisconnect),
            "{kind}"
        );
        assert!(seen.try_recv().is_err(), "{kind}: on_echo never ran");
    }
}

/// A namespace on "/" whose methods are synchronous and take no socket: it works with
/// both clients.
struct Main {
    connects: std::sync::mpsc::Sender<()>,
}

#[namespace]
impl Main {
    #[event]
    fn on_connect(&self) {
        self.connects.send(()).unwrap();
    }

    #[event]
    fn on_double(&self, n: i64) -> i64 {
        n * 2
    }

    /// Named after the method, which has no `on_` prefix.
    #[event]
    fn negate(&self, n: i64) -> i64 {
        -n
    }
}

fn for_both_clients<N: AsyncClientNamespace + ClientNamespace>() {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synchronous_namespace_on_the_main_namespace_serves_the_async_client() {
    for_both_clients::<Main>();
    assert_eq!(<Main as AsyncClientNamespace>::NAMESPACE, "/");
    assert!(<Main as AsyncClientNamespace>::handles("double"));
    assert!(<Main as ClientNamespace>::handles("negate"));
    assert!(!<Main as ClientNamespace>::handles("on_double"));
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = AsyncClient::new();
        let (tx, connects) = std::sync::mpsc::channel();
        sio.register_namespace(Main { connects: tx });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        assert_eq!(sio.connected_namespaces(), ["/"], "{kind}");
        tokio::task::spawn_blocking(move || connects.recv_timeout(WAIT))
            .await
            .unwrap()
            .unwrap();
        let doubled: i64 = sio.call("ask", ("double", 21)).await.unwrap();
        assert_eq!(doubled, 42, "{kind}");
        let negated: i64 = sio.call("ask", ("negate", 5)).await.unwrap();
        assert_eq!(negated, -5, "{kind}");
        sio.disconnect().await;
    }
}

#[test]
fn a_synchronous_namespace_on_the_main_namespace_serves_the_blocking_client() {
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = Client::new();
        let (tx, connects) = std::sync::mpsc::channel();
        sio.register_namespace(Main { connects: tx });
        sio.connect_with(&peer.url(), options()).unwrap();
        assert_eq!(sio.connected_namespaces(), ["/"], "{kind}");
        connects.recv_timeout(WAIT).unwrap();
        let doubled: i64 = sio.call("ask", ("double", 21)).unwrap();
        assert_eq!(doubled, 42, "{kind}");
        let negated: i64 = sio.call("ask", ("negate", 5)).unwrap();
        assert_eq!(negated, -5, "{kind}");
        sio.disconnect();
    }
}

/// What the methods of [`Room`] saw.
#[derive(Debug, PartialEq)]
enum RoomSeen {
    Echo(String),
    Sum(i64),
    Disconnect(DisconnectReason),
}

/// A namespace of the blocking client: its methods take the `Socket` and block on it.
struct Room {
    seen: std::sync::mpsc::Sender<RoomSeen>,
}

#[namespace("/room")]
impl Room {
    #[event]
    fn on_connect(&self, socket: Socket) {
        socket.emit("echo", "from on_connect").unwrap();
    }

    #[event]
    fn on_echo(&self, text: String) {
        self.seen.send(RoomSeen::Echo(text)).unwrap();
    }

    /// Calls the server from the handler thread (a socket taken by reference).
    #[event]
    fn on_add(&self, a: i64, socket: &Socket, b: i64) {
        let total: i64 = socket.call("sum", (a, b)).unwrap();
        self.seen.send(RoomSeen::Sum(total)).unwrap();
    }

    #[event]
    fn on_disconnect(&self, reason: DisconnectReason) {
        self.seen.send(RoomSeen::Disconnect(reason)).unwrap();
    }
}

#[test]
fn a_blocking_namespace_uses_its_socket_to_emit_and_call() {
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = Client::new();
        let (tx, seen) = std::sync::mpsc::channel();
        sio.register_namespace(Room { seen: tx });
        sio.connect_with(&peer.url(), options()).unwrap();
        assert_eq!(sio.connected_namespaces(), ["/room"], "{kind}");
        assert_eq!(
            seen.recv_timeout(WAIT).unwrap(),
            RoomSeen::Echo("from on_connect".into()),
            "{kind}"
        );
        let room = sio.of("/room");
        // The server asks `add`; the method calls `sum` and acks with nothing.
        let (): () = room.call("ask", ("add", 40, 2)).unwrap();
        assert_eq!(
            seen.recv_timeout(WAIT).unwrap(),
            RoomSeen::Sum(42),
            "{kind}"
        );

        room.emit("disconnect_me", ()).unwrap();
        assert_eq!(
            seen.recv_timeout(WAIT).unwrap(),
            RoomSeen::Disconnect(DisconnectReason::ServerDisconnect),
            "{kind}"
        );
        sio.wait();

        sio.connect_with(&peer.url(), options()).unwrap();
        assert_eq!(
            seen.recv_timeout(WAIT).unwrap(),
            RoomSeen::Echo("from on_connect".into()),
            "{kind}"
        );
        sio.disconnect();
        assert_eq!(
            seen.recv_timeout(WAIT).unwrap(),
            RoomSeen::Disconnect(DisconnectReason::ClientDisconnect),
            "{kind}"
        );
    }
}

/// Registered as "triple" (python's `@sio.event`).
#[event]
async fn triple(n: i64) -> i64 {
    n * 3
}

/// Registered under another name.
#[event("shout it")]
fn shout(text: String) -> String {
    text.to_uppercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_functions_on_the_async_client() {
    assert_eq!(triple::call(2).await, 6, "the function is kept as `call`");
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = AsyncClient::new();
        sio.event(triple).event(shout);
        sio.of("/chat").event(triple);
        sio.connect_with(&peer.url(), options()).await.unwrap();
        assert_eq!(sio.connected_namespaces(), ["/", "/chat"], "{kind}");
        let tripled: i64 = sio.call("ask", ("triple", 14)).await.unwrap();
        assert_eq!(tripled, 42, "{kind}");
        let shouted: String = sio.call("ask", ("shout it", "hey")).await.unwrap();
        assert_eq!(shouted, "HEY", "{kind}");
        let tripled: i64 = sio.of("/chat").call("ask", ("triple", 3)).await.unwrap();
        assert_eq!(tripled, 9, "{kind}");
        sio.disconnect().await;
    }
}

#[test]
fn event_functions_on_the_blocking_client() {
    assert_eq!(shout::call("a".into()), "A");
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = Client::new();
        sio.event(shout);
        sio.connect_with(&peer.url(), options()).unwrap();
        let shouted: String = sio.call("ask", ("shout it", "hey")).unwrap();
        assert_eq!(shouted, "HEY", "{kind}");
        sio.disconnect();
    }
}
