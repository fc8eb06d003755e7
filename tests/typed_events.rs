//! Typed event schemas (`#[derive(Events)]`, `#[derive(Request)]`, `on_events`,
//! `emit_event`, `request`, `request_timeout`, `on_request`) against every peer — Node
//! socket.io 4.8.4, python-socketio and socketioxide, whose events are plain strings: the
//! typed side is the client's — with both clients, and against the typed chat server
//! (`socketio_suite::typed_chat`), socketioxide with the same protocol types.

use bytes::Bytes;
use serde_json::json;
use socketio::{AsyncClient, Client, Events, Payload, Request};
use socketio_suite::peers::{self, PeerOptions};
use socketio_suite::support::{options, recv, WAIT};
use socketio_suite::typed_chat::protocol::{AreYouThere, ClientEvent, History, ServerEvent, Sum};
use socketio_suite::typed_chat::TypedChatServer;
use tokio::sync::mpsc;

/// What the peers' `echo` sends back: the arguments it got, as an event of that name.
#[derive(Events, Debug, Clone, PartialEq)]
enum Echo {
    /// Several arguments, one of them binary, a trailing optional one.
    #[event("echo")]
    Args(String, Bytes, Option<u32>),
}

/// The same event, read as one object argument with a binary field.
#[derive(Events, Debug, Clone, PartialEq)]
enum EchoObject {
    #[event("echo")]
    Object { text: String, data: Bytes, n: u32 },
}

/// The peers' `sum`.
#[derive(Request, Debug)]
#[request(event = "sum", reply = i64)]
struct PeerSum(i64, i64);

/// The peers' `echo` as a request: the reply is the arguments, several of them.
#[derive(Request, Debug)]
#[request(event = "echo", reply = (String, Bytes))]
struct EchoBack(String, Bytes);

/// A request the server sends (through the peers' `ask`), answered by `on_request`.
#[derive(Request, Debug)]
#[request(event = "ping_me", reply = (u32, String))]
struct PingMe {
    n: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_events_and_requests_round_trip_with_every_peer() {
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = AsyncClient::new();
        let (tx, mut events) = mpsc::unbounded_channel();
        sio.on_events(move |event: Echo| {
            let tx = tx.clone();
            async move { tx.send(event).unwrap() }
        });
        sio.on_request(|PingMe { n }: PingMe| async move { (n * 2, format!("pong {n}")) });
        sio.connect_with(&peer.url(), options()).await.unwrap();

        // Arguments that do not fit the variant: logged and skipped; the next event is
        // delivered (handlers run in arrival order, so it would come second otherwise).
        sio.emit("echo", (1, 2, 3)).await.unwrap();
        let data = Bytes::from_static(b"\x00\xffbin");
        let event = Echo::Args("hi".into(), data.clone(), Some(7));
        sio.emit_event(event.clone()).await.unwrap();
        assert_eq!(recv(&mut events).await, event, "{kind}");
        // A trailing `Option` may be missing.
        sio.emit("echo", ("short", data.clone())).await.unwrap();
        assert_eq!(
            recv(&mut events).await,
            Echo::Args("short".into(), data.clone(), None),
            "{kind}"
        );

        assert_eq!(sio.request(PeerSum(40, 2)).await.unwrap(), 42, "{kind}");
        let (text, bytes) = sio
            .request_timeout(EchoBack("back".into(), data.clone()), WAIT)
            .await
            .unwrap();
        assert_eq!((text.as_str(), bytes), ("back", data.clone()), "{kind}");
        // The echo event the request caused.
        assert_eq!(
            recv(&mut events).await,
            Echo::Args("back".into(), data.clone(), None),
            "{kind}"
        );

        // The server asks `ping_me`; `on_request` answers with the typed reply.
        let answer: (u32, String) = sio
            .call("ask", ("ping_me", json!({ "n": 21 })))
            .await
            .unwrap();
        assert_eq!(answer, (42, "pong 21".to_owned()), "{kind}");
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_struct_variant_is_one_object_argument_with_binary_on_a_namespace() {
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = AsyncClient::new();
        let socket = sio.of("/typed");
        let (tx, mut events) = mpsc::unbounded_channel();
        socket.on_events(move |event: EchoObject| tx.send(event).unwrap());
        // The enum's events take precedence over the catch-all.
        let (any_tx, mut any) = mpsc::unbounded_channel();
        socket.on_any(move |event: String, payload: Payload| {
            any_tx.send((event, payload)).unwrap();
        });
        sio.connect_with(&peer.url(), options()).await.unwrap();

        let event = EchoObject::Object {
            text: "obj".into(),
            data: Bytes::from_static(b"\x01\x02"),
            n: 3,
        };
        socket.emit_event(event.clone()).await.unwrap();
        assert_eq!(recv(&mut events).await, event, "{kind}");

        // Another event reaches on_any (whose `()` is the ack `ask` waits for), where the
        // enum decodes a payload too.
        socket
            .call::<_, ()>("ask", ("other", json!({"text": "x", "data": "y", "n": 1})))
            .await
            .unwrap();
        let (name, payload) = recv(&mut any).await;
        assert_eq!(name, "other", "{kind}");
        assert_eq!(EchoObject::from_payload(&name, &payload).unwrap(), None);
        let decoded = EchoObject::from_payload("echo", &payload).unwrap();
        assert_eq!(
            decoded,
            Some(EchoObject::Object {
                text: "x".into(),
                data: Bytes::from_static(b"y"),
                n: 1
            }),
            "{kind}"
        );
        assert!(events.try_recv().is_err(), "{kind}: no other typed event");
        sio.disconnect().await;
    }
}

#[test]
fn the_blocking_client_speaks_the_same_types_with_every_peer() {
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let sio = Client::new();
        let (tx, events) = std::sync::mpsc::channel();
        sio.on_events(move |event: Echo| tx.send(event).unwrap());
        sio.on_request(|PingMe { n }: PingMe| (n + 1, "blocking".to_owned()));
        sio.connect_with(&peer.url(), options()).unwrap();

        let event = Echo::Args("sync".into(), Bytes::from_static(b"\x07"), Some(1));
        sio.emit_event(event.clone()).unwrap();
        assert_eq!(events.recv_timeout(WAIT).unwrap(), event, "{kind}");
        assert_eq!(sio.request(PeerSum(1, 2)).unwrap(), 3, "{kind}");
        let (text, data) = sio
            .request_timeout(EchoBack("b".into(), Bytes::from_static(b"\x08")), WAIT)
            .unwrap();
        assert_eq!((text.as_str(), &data[..]), ("b", &b"\x08"[..]), "{kind}");
        let answer: (u32, String) = sio.call("ask", ("ping_me", json!({"n": 1}))).unwrap();
        assert_eq!(answer, (2, "blocking".to_owned()), "{kind}");
        sio.disconnect();
    }
}

/// The typed chat server (socketioxide) and the client share `protocol`: every event
/// of both enums and every request, with both clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_chat_server_and_client_share_the_protocol() {
    let server = TypedChatServer::start().unwrap();
    let sio = AsyncClient::new();
    let (tx, mut events) = mpsc::unbounded_channel();
    sio.on_events(move |event: ServerEvent| tx.send(event).unwrap());
    sio.on_request(|AreYouThere(n): AreYouThere| async move { (true, format!("async {n}")) });
    sio.connect_with(&server.url(), options()).await.unwrap();

    sio.emit_event(ClientEvent::Join {
        room: "r".into(),
        name: "zoe".into(),
    })
    .await
    .unwrap();
    assert_eq!(
        recv(&mut events).await,
        ServerEvent::Welcome {
            name: "zoe".into(),
            history: 0
        }
    );
    assert_eq!(
        recv(&mut events).await,
        ServerEvent::ChatMessage("server".into(), "zoe is there: async 1".into())
    );
    for text in ["one", "two", "three"] {
        sio.emit_event(ClientEvent::Say(text.into())).await.unwrap();
        assert_eq!(
            recv(&mut events).await,
            ServerEvent::ChatMessage("zoe".into(), text.into())
        );
    }
    sio.emit_event(ClientEvent::Typing).await.unwrap();
    assert_eq!(
        recv(&mut events).await,
        ServerEvent::UserTyping("zoe".into())
    );
    let data = Bytes::from(vec![0u8, 1, 2, 255]);
    sio.emit_event(ClientEvent::Upload("f".into(), data.clone()))
        .await
        .unwrap();
    assert_eq!(
        recv(&mut events).await,
        ServerEvent::FileShared("f".into(), data)
    );
    assert_eq!(sio.request(Sum(-5, 8)).await.unwrap(), 3);
    assert_eq!(
        sio.request(History { limit: 2 }).await.unwrap(),
        ["zoe: two", "zoe: three"]
    );
    sio.disconnect().await;
}

/// The same with the blocking client and a synchronous `on_request`.
#[test]
fn the_typed_chat_server_and_the_blocking_client_share_the_protocol() {
    let server = TypedChatServer::start().unwrap();
    let blocking = Client::new();
    let (tx, events) = std::sync::mpsc::channel();
    blocking.on_events(move |event: ServerEvent| tx.send(event).unwrap());
    blocking.on_request(|AreYouThere(n): AreYouThere| (true, format!("sync {n}")));
    blocking.connect_with(&server.url(), options()).unwrap();
    blocking
        .emit_event(ClientEvent::Join {
            room: "r".into(),
            name: "max".into(),
        })
        .unwrap();
    let welcome = events.recv_timeout(WAIT).unwrap();
    assert_eq!(
        welcome,
        ServerEvent::Welcome {
            name: "max".into(),
            history: 0
        }
    );
    assert_eq!(
        events.recv_timeout(WAIT).unwrap(),
        ServerEvent::ChatMessage("server".into(), "max is there: sync 1".into())
    );
    assert_eq!(blocking.request(Sum(2, 2)).unwrap(), 4);
    blocking.disconnect();
}

#[test]
fn names_follow_the_variants_and_the_rename_rules() {
    assert_eq!(
        ClientEvent::NAMES,
        ["join", "say", "typing", "upload"],
        "snake_case by default"
    );
    assert_eq!(
        ServerEvent::NAMES,
        ["welcome", "chat message", "user_typing", "file_shared"]
    );
    #[derive(Events)]
    #[events(rename_all = "kebab-case")]
    enum Kebab {
        UserJoined,
        #[event("Left!")]
        UserLeft,
    }
    assert_eq!(Kebab::NAMES, ["user-joined", "Left!"]);
    assert_eq!(Kebab::UserLeft.name(), "Left!");
    assert_eq!(Sum::EVENT, "sum");
    assert_eq!(AreYouThere::EVENT, "are_you_there");
    // The arguments a variant stands for, as a receiver sees them.
    let payload = Payload::new(&ClientEvent::Say("x".into()).args()).unwrap();
    assert_eq!(payload.len(), 1);
    let payload = Payload::new(&ClientEvent::Typing.args()).unwrap();
    assert_eq!(payload.len(), 0);
    let join = ClientEvent::Join {
        room: "a".into(),
        name: "b".into(),
    };
    let payload = Payload::new(&join.args()).unwrap();
    assert_eq!(
        payload.get::<serde_json::Value>(0).unwrap(),
        json!({"room": "a", "name": "b"})
    );
    assert_eq!(
        ClientEvent::from_payload("join", &payload).unwrap(),
        Some(join)
    );
    assert!(ClientEvent::from_payload("say", &Payload::new(&(1,)).unwrap()).is_err());
}
