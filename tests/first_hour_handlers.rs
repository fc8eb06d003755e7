//! What a new user trips over (issue 23), against Node and python-socketio: a handler
//! returning `Result`, handler errors (`on_error`, standard error), `disconnect()`
//! returning only after the `disconnect` handlers ran, and a client closing when its
//! last handle is dropped.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use serde_json::{json, Value};
use socketio::{
    AsyncClient, AsyncSimpleClient, Client, DisconnectReason, HandlerError, HandlerErrorKind,
};
use socketio_suite::peers::{node_and_python, Peer, PeerKind, PeerOptions};
use socketio_suite::support::{options, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_returning_ok_acks_the_value_both_clients() {
    for peer in node_and_python() {
        let sio = AsyncClient::new();
        sio.on("double", |n: i64| -> Result<i64, String> { Ok(n * 2) });
        sio.on("pair", |n: i64| async move { Ok::<_, String>((n, n + 1)) });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        let reply: Value = sio.call("ask", ("double", 220)).await.unwrap();
        assert_eq!(
            reply,
            json!(440),
            "{}: the ack is the Ok value",
            peer.kind()
        );
        let reply: (i64, i64) = sio.call("ask", ("pair", 1)).await.unwrap();
        assert_eq!(
            reply,
            (1, 2),
            "{}: a tuple is several arguments",
            peer.kind()
        );
        sio.disconnect().await;

        let url = peer.url();
        let reply = tokio::task::spawn_blocking(move || {
            let sio = Client::new();
            sio.on("double", |n: i64| -> Result<i64, String> { Ok(n * 2) });
            sio.connect_with(&url, options()).unwrap();
            let reply: Value = sio.call("ask", ("double", 220)).unwrap();
            sio.disconnect();
            reply
        })
        .await
        .unwrap();
        assert_eq!(reply, json!(440), "{}: blocking client", peer.kind());
    }
}

/// `disconnect()` then return at once, as `main` does: the `disconnect` handler (which
/// takes a while) has run, every time, on each namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_returns_after_the_disconnect_handlers_ran() {
    for peer in node_and_python() {
        let started = Instant::now();
        for round in 0..30 {
            let sio = AsyncClient::new();
            let seen = Arc::new(Mutex::new(Vec::new()));
            for namespace in ["/", "/chat"] {
                let seen = seen.clone();
                sio.of(namespace)
                    .on("disconnect", move |reason: DisconnectReason| {
                        let seen = seen.clone();
                        async move {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            seen.lock().unwrap().push((namespace, reason));
                        }
                    });
            }
            sio.connect_with(&peer.url(), options()).await.unwrap();
            sio.disconnect().await;
            assert_both_disconnected(&seen, &peer, round);
        }
        eprintln!(
            "{}: async, 30 rounds in {:?}",
            peer.kind(),
            started.elapsed()
        );
    }
}

/// The `disconnect` handlers of `/` and `/chat` both ran, with the client's reason.
fn assert_both_disconnected(
    seen: &Mutex<Vec<(&'static str, DisconnectReason)>>,
    peer: &Peer,
    round: usize,
) {
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by_key(|(namespace, _)| *namespace);
    assert_eq!(
        seen,
        [
            ("/", DisconnectReason::ClientDisconnect),
            ("/chat", DisconnectReason::ClientDisconnect)
        ],
        "{} round {round}",
        peer.kind()
    );
}

#[test]
fn the_blocking_disconnect_returns_after_the_disconnect_handlers_ran() {
    for peer in node_and_python() {
        let started = Instant::now();
        for round in 0..30 {
            let sio = Client::new();
            let seen = Arc::new(Mutex::new(Vec::new()));
            for namespace in ["/", "/chat"] {
                let seen = seen.clone();
                sio.of(namespace)
                    .on("disconnect", move |reason: DisconnectReason| {
                        std::thread::sleep(Duration::from_millis(5));
                        seen.lock().unwrap().push((namespace, reason));
                    });
            }
            sio.connect_with(&peer.url(), options()).unwrap();
            sio.disconnect();
            assert_both_disconnected(&seen, &peer, round);
        }
        eprintln!(
            "{}: blocking, 30 rounds in {:?}",
            peer.kind(),
            started.elapsed()
        );
    }
}

/// How many Engine.IO connections `peer` has open, asked by `observer`.
async fn engine_clients(observer: &AsyncClient) -> i64 {
    observer.call("engine_clients", ()).await.unwrap()
}

/// Waits until `peer` has `count` connections open (the observer's included).
async fn server_sees(observer: &AsyncClient, count: i64) -> bool {
    tokio::time::timeout(WAIT, async {
        while engine_clients(observer).await != count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .is_ok()
}

fn alive() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Dropping every handle (the client, a socket of another namespace) closes the
/// connection: the server sees it go, and no task of the client is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_handle_closes_the_connection() {
    for peer in node_and_python() {
        let observer = AsyncClient::new();
        observer.connect_with(&peer.url(), options()).await.unwrap();
        assert!(server_sees(&observer, 1).await, "{}", peer.kind());
        let before = alive();

        let sio = AsyncClient::new();
        let chat = sio.of("/chat");
        sio.on("echo", |_: Value| {});
        sio.connect_with(&peer.url(), options().namespaces(["/", "/chat"]))
            .await
            .unwrap();
        assert!(server_sees(&observer, 2).await, "{}", peer.kind());
        drop(sio);
        chat.emit("echo", 1).await.unwrap();
        assert_eq!(
            engine_clients(&observer).await,
            2,
            "a socket still holds it"
        );
        drop(chat);
        assert!(
            server_sees(&observer, 1).await,
            "{}: the server still has the dropped client's connection",
            peer.kind()
        );
        let settled = tokio::time::timeout(WAIT, async {
            while alive() > before {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        assert!(
            settled.await.is_ok(),
            "{}: {} tasks left after the last handle was dropped",
            peer.kind(),
            alive() - before
        );

        let simple = AsyncSimpleClient::connect_with(&peer.url(), options())
            .await
            .unwrap();
        assert!(server_sees(&observer, 2).await, "{}", peer.kind());
        drop(simple);
        assert!(
            server_sees(&observer, 1).await,
            "{}: the dropped AsyncSimpleClient is still connected",
            peer.kind()
        );
        observer.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_blocking_client_closes_the_connection() {
    for peer in node_and_python() {
        let observer = AsyncClient::new();
        observer.connect_with(&peer.url(), options()).await.unwrap();
        let url = peer.url();
        tokio::task::spawn_blocking(move || {
            let sio = Client::new();
            sio.on("echo", |_: Value| {});
            sio.connect_with(&url, options()).unwrap();
            let chat = sio.of("/chat");
            drop(sio);
            drop(chat);
        })
        .await
        .unwrap();
        assert!(
            server_sees(&observer, 1).await,
            "{}: the server still has the dropped client's connection",
            peer.kind()
        );
        // Dropped inside the runtime, where it may not block: a thread disconnects it.
        let url = peer.url();
        let sio = tokio::task::spawn_blocking(move || {
            let sio = Client::new();
            sio.connect_with(&url, options()).unwrap();
            sio
        })
        .await
        .unwrap();
        assert!(server_sees(&observer, 2).await, "{}", peer.kind());
        drop(sio);
        assert!(
            server_sees(&observer, 1).await,
            "{}: a client dropped in a runtime is still connected",
            peer.kind()
        );
        observer.disconnect().await;
    }
}

// ----- handler errors (`on_error`, `HandlerError`) -----

/// Collects what the `on_error` hook is given.
fn collector() -> (
    Arc<Mutex<Vec<HandlerError>>>,
    impl Fn(&HandlerError) + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook = {
        let seen = seen.clone();
        move |error: &HandlerError| seen.lock().unwrap().push(error.clone())
    };
    (seen, hook)
}

/// Waits until `seen` holds `count` errors; returns them.
async fn errors(seen: &Arc<Mutex<Vec<HandlerError>>>, count: usize) -> Vec<HandlerError> {
    tokio::time::timeout(WAIT, async {
        while seen.lock().unwrap().len() < count {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the hook was called");
    seen.lock().unwrap().clone()
}

fn did_not_fit(error: &HandlerError) -> Option<usize> {
    match error.kind() {
        HandlerErrorKind::ArgumentsDidNotFit { index, .. } => Some(*index),
        _ => None,
    }
}

struct Bot;

#[socketio::namespace("/bot")]
impl Bot {
    #[socketio::event]
    fn on_echo(&self, a: String, b: String) -> String {
        format!("{a}{b}")
    }
}

/// Arguments that do not fit (a function handler, a class method), a panic (sync and
/// async) and an `Err`: each reaches the hook with its namespace, event and what went
/// wrong; an event that asked for an ack gets none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_errors_reach_the_hook_and_send_no_ack() {
    for peer in node_and_python() {
        let (seen, hook) = collector();
        let sio = AsyncClient::builder().on_error(hook).build();
        sio.register_namespace(Bot);
        sio.on("echo", |_n: i64, _text: String| {});
        sio.on("boom", |n: i64| -> i64 {
            assert!(n < 0, "sync boom");
            n
        });
        sio.on("later", |n: i64| async move {
            tokio::task::yield_now().await;
            assert!(n < 0, "async boom");
            n
        });
        sio.on("fallible", |n: i64| async move {
            if n < 0 {
                return Err(format!("{n} is negative"));
            }
            Ok(n)
        });
        let all = ["/", "/bot"];
        sio.connect_with(&peer.url(), options().namespaces(all))
            .await
            .unwrap();
        let bot = sio.of("/bot");

        sio.emit("echo", (1, 2)).await.unwrap();
        let error = &errors(&seen, 1).await[0];
        assert_eq!((error.namespace(), error.event()), ("/", "echo"));
        assert_eq!(did_not_fit(error), Some(1), "{}: {error}", peer.kind());
        assert!(error.to_string().contains("argument 1"), "{error}");

        bot.emit("echo", (5, 6)).await.unwrap();
        let error = &errors(&seen, 2).await[1];
        assert_eq!((error.namespace(), error.event()), ("/bot", "echo"));
        assert_eq!(did_not_fit(error), Some(0), "{}: {error}", peer.kind());

        // An event that asks for an ack and fails is not answered: the ack of a later
        // event on the same connection comes first.
        for (event, arg, kind) in [
            ("boom", 1, "sync boom"),
            ("later", 1, "async boom"),
            ("fallible", -1, "-1 is negative"),
        ] {
            let failed = sio.call_timeout::<_, Value>("ask", (event, arg), WAIT);
            let mut failed = std::pin::pin!(failed);
            assert!(failed.as_mut().now_or_never().is_none());
            let answered: i64 = sio.call("ask", ("fallible", 7)).await.unwrap();
            assert_eq!(answered, 7, "{}: Ok(v) acks v", peer.kind());
            assert!(
                failed.as_mut().now_or_never().is_none(),
                "{}: {event} was answered",
                peer.kind()
            );
            let count = seen.lock().unwrap().len();
            let error = errors(&seen, count).await.pop().unwrap();
            assert_eq!(error.event(), event, "{}", peer.kind());
            let message = match error.kind() {
                HandlerErrorKind::Panicked { message } => message,
                HandlerErrorKind::ReturnedError { message } => message,
                other => panic!("{}: {other:?}", peer.kind()),
            };
            assert_eq!(message, kind, "{}", peer.kind());
        }
        sio.disconnect().await;
    }
}

#[test]
fn the_blocking_client_reports_to_the_hook_too() {
    for peer in node_and_python() {
        let (seen, hook) = collector();
        let sio = Client::builder().on_error(hook).build().unwrap();
        sio.on("echo", |_n: i64, _text: String| {});
        sio.on("fallible", |n: i64| -> Result<i64, String> {
            if n < 0 {
                return Err("negative".into());
            }
            Ok(n)
        });
        sio.connect_with(&peer.url(), options()).unwrap();
        sio.emit("echo", (1, 2)).unwrap();
        sio.emit("echo", "not a number").unwrap();
        let answered: i64 = sio.call("ask", ("fallible", 7)).unwrap();
        assert_eq!(answered, 7);
        sio.emit("ask", ("fallible", -1)).unwrap();
        let answered: i64 = sio.call("ask", ("fallible", 8)).unwrap();
        assert_eq!(answered, 8);
        sio.disconnect();
        let seen = seen.lock().unwrap().clone();
        let kinds: Vec<_> = seen
            .iter()
            .map(|e| (e.event().to_owned(), did_not_fit(e)))
            .collect();
        assert_eq!(
            kinds,
            [
                ("echo".to_owned(), Some(1)),
                ("echo".to_owned(), Some(0)),
                ("fallible".to_owned(), None)
            ],
            "{}",
            peer.kind()
        );
        assert_eq!(
            seen[2].kind(),
            &HandlerErrorKind::ReturnedError {
                message: "negative".into()
            }
        );
    }
}

/// Without a hook and without a `tracing` subscriber, a handler error reaches standard
/// error, naming namespace and event, once a second per event. Run in a child process
/// (this test binary again), whose standard error is read.
#[test]
fn without_hook_or_subscriber_errors_reach_standard_error() {
    if std::env::var_os("FIRST_HOUR_CHILD").is_some() {
        return child_without_hook();
    }
    for kind in ["node", "python"] {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "without_hook_or_subscriber_errors_reach_standard_error",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FIRST_HOUR_CHILD", kind)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{kind}: {stderr}");
        let lines: Vec<_> = stderr
            .lines()
            .filter(|line| line.starts_with("socketio: "))
            .collect();
        assert_eq!(
            lines.len(),
            2,
            "{kind}: once for echo on /, once on /bot:\n{stderr}"
        );
        assert!(
            lines[0].starts_with(
                "socketio: handler of event \"echo\" on namespace \"/\": argument 1 does not fit"
            ),
            "{kind}: {}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("socketio: handler of event \"echo\" on namespace \"/bot\": argument 0 does not fit"),
            "{kind}: {}",
            lines[1]
        );
        eprintln!("{kind}: {}\n{kind}: {}", lines[0], lines[1]);
    }
}

fn child_without_hook() {
    let kind = match std::env::var("FIRST_HOUR_CHILD").unwrap().as_str() {
        "node" => PeerKind::Node,
        _ => PeerKind::Python,
    };
    let Some(peer) = Peer::start(kind, PeerOptions::default()) else {
        return;
    };
    let sio = Client::new();
    sio.register_namespace(Bot);
    sio.on("echo", |_n: i64, _text: String| {});
    sio.connect_with(&peer.url(), options().namespaces(["/", "/bot"]))
        .unwrap();
    for _ in 0..3 {
        sio.emit("echo", (1, 2)).unwrap();
    }
    // The server emits `echo` before it acks; disconnect() returns once the handlers
    // queued before it ran.
    let _: Value = sio.of("/bot").call("echo", (5, 6)).unwrap();
    sio.disconnect();
}

/// A handler that captures a weak handle and a class namespace do not keep the client
/// open; an upgraded handle works while the client is alive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_holding_a_weak_handle_do_not_keep_the_client_open() {
    for peer in node_and_python() {
        let observer = AsyncClient::new();
        observer.connect_with(&peer.url(), options()).await.unwrap();
        let before = alive();
        let sio = AsyncClient::new();
        let weak = sio.downgrade();
        sio.register_namespace(Bot);
        let (tx, mut pongs) = tokio::sync::mpsc::unbounded_channel();
        sio.on("echo", move |n: i64| {
            let (weak, tx) = (weak.clone(), tx.clone());
            async move {
                if n == 0 {
                    if let Some(sio) = weak.upgrade() {
                        sio.emit("echo", 1).await.unwrap();
                    }
                } else {
                    tx.send(n).unwrap();
                }
            }
        });
        sio.connect_with(&peer.url(), options().namespaces(["/", "/bot"]))
            .await
            .unwrap();
        sio.emit("echo", 0).await.unwrap();
        let pong = tokio::time::timeout(WAIT, pongs.recv()).await.unwrap();
        assert_eq!(pong, Some(1), "{}: the upgraded handle emits", peer.kind());
        let weak = sio.downgrade();
        drop(sio);
        assert!(
            server_sees(&observer, 1).await,
            "{}: the server still has the dropped client's connection",
            peer.kind()
        );
        assert!(weak.upgrade().is_none());
        let settled = tokio::time::timeout(WAIT, async {
            while alive() > before {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        assert!(settled.await.is_ok(), "{}: tasks left", peer.kind());
        observer.disconnect().await;
    }
}

/// With `handler_concurrency(n)`, the concurrent loops (tasks; worker threads for the
/// blocking client) report a handler's panic the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_handlers_report_panics_too() {
    for peer in node_and_python() {
        let (seen, hook) = collector();
        let sio = AsyncClient::builder()
            .handler_concurrency(4)
            .on_error(hook)
            .build();
        sio.on("echo", |n: i64| async move {
            tokio::task::yield_now().await;
            assert!(n < 0, "async boom {n}");
        });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        sio.emit("echo", 1).await.unwrap();
        let error = errors(&seen, 1).await.remove(0);
        let panicked = HandlerErrorKind::Panicked {
            message: "async boom 1".into(),
        };
        assert_eq!(error.kind(), &panicked, "{}", peer.kind());
        sio.disconnect().await;

        let (seen, hook) = collector();
        let url = peer.url();
        tokio::task::spawn_blocking(move || {
            let sio = Client::builder()
                .handler_concurrency(4)
                .on_error(hook)
                .build()
                .unwrap();
            sio.on("echo", |n: i64| assert!(n < 0, "sync boom {n}"));
            sio.connect_with(&url, options()).unwrap();
            // The server emits `echo` before it acks; disconnect() waits for the handlers.
            let _: i64 = sio.call("echo", 2).unwrap();
            sio.disconnect();
        })
        .await
        .unwrap();
        let error = errors(&seen, 1).await.remove(0);
        let panicked = HandlerErrorKind::Panicked {
            message: "sync boom 2".into(),
        };
        assert_eq!(
            (error.event(), error.kind()),
            ("echo", &panicked),
            "{}",
            peer.kind()
        );
    }
}

/// A `disconnect` handler that never returns holds `disconnect()` 5 seconds at most
/// (both peers at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_waits_for_a_stuck_handler_five_seconds_at_most() {
    let rounds = node_and_python().into_iter().map(|peer| async move {
        let sio = AsyncClient::new();
        sio.on("disconnect", std::future::pending::<()>);
        sio.connect_with(&peer.url(), options()).await.unwrap();
        let started = Instant::now();
        sio.disconnect().await;
        (peer.kind(), started.elapsed())
    });
    for (kind, elapsed) in futures_util::future::join_all(rounds).await {
        assert!(
            (Duration::from_millis(4900)..Duration::from_secs(7)).contains(&elapsed),
            "{kind}: {elapsed:?}"
        );
    }
}
