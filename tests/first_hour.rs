//! What a new user trips over in the first hour, caught by the library (issue 23): a
//! namespace without its `/`, a namespace in the URL's path, a URL without a scheme,
//! an auth that is not an object, every argument of an ack as a `Payload`, and the
//! blocking client called where it would block an async runtime.

use std::sync::Mutex;

use serde_json::{json, Value};
use socketio::{AsyncClient, Client, Error, Payload};
use socketio_suite::peers::{self, PeerKind, PeerOptions};
use socketio_suite::support::{options, WAIT};
use tokio::sync::mpsc;

/// The server's view of a namespace's connection.
async fn handshake(socket: &socketio::AsyncSocket) -> Value {
    socket.call("handshake", ()).await.expect("handshake")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_without_its_slash_is_the_same_namespace() {
    for peer in peers::all(PeerOptions::default()) {
        // `of("chat")`: its handlers and emits are `/chat`'s.
        let sio = AsyncClient::new();
        let chat = sio.of("chat");
        assert_eq!(chat.namespace(), "/chat");
        let (tx, mut echoes) = mpsc::unbounded_channel();
        sio.of("/chat").on("echo", move |text: String| {
            let _ = tx.send(text);
        });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        assert_eq!(sio.connected_namespaces(), ["/chat"], "{}", peer.kind());
        assert_eq!(handshake(&chat).await["namespace"], "/chat");
        chat.emit("echo", "hi").await.unwrap();
        let echoed = tokio::time::timeout(WAIT, echoes.recv()).await.unwrap();
        assert_eq!(echoed.as_deref(), Some("hi"), "{}", peer.kind());
        sio.disconnect().await;

        // `namespaces(["admin"])`.
        let sio = AsyncClient::new();
        sio.connect_with(&peer.url(), options().namespaces(["", "admin"]))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", peer.kind()));
        let mut connected = sio.connected_namespaces();
        connected.sort();
        assert_eq!(connected, ["/", "/admin"], "{}", peer.kind());
        assert_eq!(handshake(&sio.of("admin")).await["namespace"], "/admin");
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_in_the_url_selects_the_namespace() {
    for peer in peers::all(PeerOptions::default()) {
        let sio = AsyncClient::new();
        let url = format!("{}/chat", peer.url());
        sio.connect_with(&url, options())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", peer.kind()));
        assert_eq!(sio.connected_namespaces(), ["/chat"], "{}", peer.kind());
        let info = handshake(&sio.of("/chat")).await;
        assert_eq!(info["namespace"], "/chat", "{}", peer.kind());
        sio.disconnect().await;

        // A trailing slash names the same namespace; the root path names none.
        let sio = AsyncClient::new();
        sio.connect_with(&format!("{}/chat/", peer.url()), options())
            .await
            .unwrap();
        assert_eq!(sio.connected_namespaces(), ["/chat"], "{}", peer.kind());
        sio.disconnect().await;
        let sio = AsyncClient::new();
        sio.connect_with(&format!("{}/", peer.url()), options())
            .await
            .unwrap();
        assert_eq!(sio.connected_namespaces(), ["/"], "{}", peer.kind());
        sio.disconnect().await;
    }
}

#[tokio::test]
async fn url_mistakes_are_errors_that_say_what_to_write() {
    let sio = AsyncClient::new();
    // A path and namespaces(…) both name namespaces.
    let both = sio
        .connect_with("http://localhost:1/chat", options().namespaces(["/"]))
        .await;
    let Err(Error::InvalidUrl(message)) = both else {
        panic!("{both:?}")
    };
    assert_eq!(
        message,
        "the URL's path \"/chat\" names a namespace, and namespaces(…) names them too: give \
         the namespaces one way (the engine's path is socketio_path(…))"
    );
    // No scheme.
    let bare = sio.connect("localhost:5000").await;
    let Err(error @ Error::InvalidUrl(_)) = bare else {
        panic!("{bare:?}")
    };
    assert_eq!(
        error.to_string(),
        "invalid url: \"localhost:5000\" has no scheme: write \"http://localhost:5000\" (or \
         https://, ws://, wss://)"
    );
    // Nothing was started: the client can connect afterwards.
    assert_eq!(sio.state(), socketio::ConnectionState::Disconnected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auth_that_is_not_an_object_is_an_error() {
    let sio = AsyncClient::new();
    for (auth, kind) in [
        (json!("s3cret"), "a string"),
        (json!(42), "a number"),
        (json!(["a"]), "an array"),
    ] {
        let refused = sio
            .connect_with("http://localhost:1", options().auth(auth))
            .await;
        let Err(error @ Error::Serde(_)) = refused else {
            panic!("{refused:?}")
        };
        assert_eq!(
            error.to_string(),
            format!("serde: auth must serialize to a JSON object (a map or a struct), not {kind}")
        );
    }
    // A map, a struct, or nothing, connects (against a real server).
    #[derive(serde::Serialize)]
    struct Token {
        token: &'static str,
    }
    for peer in peers::all(PeerOptions::default()) {
        for options in [
            options().auth(Token { token: "t" }),
            options().auth(()),
            options().auth(json!({"token": "t"})),
        ] {
            let sio = AsyncClient::new();
            sio.connect_with(&peer.url(), options)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", peer.kind()));
            sio.disconnect().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_takes_every_argument_of_an_ack() {
    for peer in [PeerKind::Node, PeerKind::Python, PeerKind::Socketioxide]
        .into_iter()
        .filter_map(|kind| peers::Peer::start(kind, PeerOptions::default()))
    {
        let sio = AsyncClient::new();
        sio.connect_with(&peer.url(), options()).await.unwrap();
        // `echo` acks with the arguments it was given.
        let args: Payload = sio
            .call("echo", (1, "two", json!({"three": 3})))
            .await
            .unwrap();
        assert_eq!(args.len(), 3, "{}", peer.kind());
        assert_eq!(args.get::<i64>(0).unwrap(), 1);
        assert_eq!(args.get::<String>(1).unwrap(), "two");
        assert_eq!(args.get::<Value>(2).unwrap(), json!({"three": 3}));
        // Binary arguments too.
        let args: Payload = sio
            .call("echo", (bytes::Bytes::from_static(b"\x01\x02"), "x"))
            .await
            .unwrap();
        assert_eq!(args.get::<bytes::Bytes>(0).unwrap(), &b"\x01\x02"[..]);
        assert_eq!(args.get::<String>(1).unwrap(), "x");

        // An ack callback taking a `Payload`.
        let (tx, mut acks) = mpsc::unbounded_channel();
        sio.emit_with_ack("echo", ("a", 2, true), move |args: Payload| {
            let _ = tx.send(args);
        })
        .await
        .unwrap();
        let args = tokio::time::timeout(WAIT, acks.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            args.to_values(),
            [json!("a"), json!(2), json!(true)],
            "{}",
            peer.kind()
        );

        // An event handler taking a `Payload`: the server echoes the event back.
        let (tx, mut events) = mpsc::unbounded_channel();
        sio.on("echo", move |args: Payload| {
            let _ = tx.send(args);
        });
        sio.emit("echo", ("b", 3)).await.unwrap();
        let args = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(args.to_values(), [json!("b"), json!(3)], "{}", peer.kind());
        sio.disconnect().await;
    }
}

/// Panics seen by this binary's hook: (message, `file:line`).
static PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn record_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default();
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            PANICS.lock().unwrap().push((message, at));
            previous(info);
        }));
    });
}

#[tokio::test]
async fn the_blocking_client_in_a_runtime_fails_at_the_callers_line() {
    record_panics();
    let sio = Client::new();
    let line = line!() + 1;
    let refused = sio.connect("http://localhost:1");
    let Err(Error::InsideAsyncRuntime(at)) = &refused else {
        panic!("{refused:?}")
    };
    let at = at.clone();
    assert!(at.starts_with(&format!("{}:{line}:", file!())), "{at}");
    assert_eq!(
        refused.unwrap_err().to_string(),
        format!(
            "the blocking Client was called at {at} on a thread that drives an async runtime \
             (the body of #[tokio::main] or #[tokio::test]), which it would block: use \
             AsyncClient there, or call the blocking Client from tokio::task::spawn_blocking or \
             a thread of its own"
        )
    );
    let refused = sio.call::<_, i64>("sum", (1, 2));
    assert!(
        matches!(refused, Err(Error::InsideAsyncRuntime(_))),
        "{refused:?}"
    );

    // The methods that return nothing panic, at the caller's line.
    let line = line!() + 1;
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sio.disconnect()));
    assert!(panicked.is_err());
    let (message, at) = PANICS.lock().unwrap().pop().expect("a panic");
    assert_eq!(at, format!("{}:{line}", file!()));
    assert!(
        message.starts_with("the blocking Client was called at "),
        "{message}"
    );
    assert!(message.ends_with("or a thread of its own"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_client_works_from_spawn_blocking() {
    let Some(peer) = peers::Peer::start(PeerKind::Node, PeerOptions::default()) else {
        return;
    };
    let url = peer.url();
    let sum = tokio::task::spawn_blocking(move || {
        let sio = Client::new();
        sio.connect(&url)?;
        let sum: i64 = sio.call("sum", (1, 2))?;
        sio.disconnect();
        Ok::<_, Error>(sum)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(sum, 3);
}
