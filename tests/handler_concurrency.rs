//! `handler_concurrency(n)` on both clients, against Node socket.io 4.8 and
//! python-socketio: four handlers that each sleep 300 ms run at once with n = 4, one at
//! a time and in order with the default; acks go back and `call()` inside a handler
//! works either way; `disconnect()` waits for the running handlers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use socketio::{AsyncClient, Client};
use socketio_suite::peers::{node_and_python, Peer};
use socketio_suite::support::{options, WAIT};

const NAP: Duration = Duration::from_millis(300);

/// When each handler started and ended, by the event's index.
type Spans = Arc<Mutex<Vec<(i64, Instant, Instant)>>>;

#[derive(serde::Deserialize)]
struct Item {
    i: i64,
}

async fn wait_for(spans: &Spans, count: usize) {
    let deadline = Instant::now() + WAIT;
    while spans.lock().unwrap().len() < count {
        assert!(Instant::now() < deadline, "the handlers ran");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// From the first start to the last end, and whether each handler started after the
/// one before it ended, in the events' order.
fn measure(spans: &Spans) -> (Duration, bool) {
    let spans = spans.lock().unwrap();
    let first = spans.iter().map(|s| s.1).min().unwrap();
    let last = spans.iter().map(|s| s.2).max().unwrap();
    let mut by_start = spans.clone();
    by_start.sort_by_key(|s| s.1);
    let sequential = by_start
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[1].1 >= w[0].2);
    (last - first, sequential)
}

async fn four_slow_events_async(peer: &Peer, concurrency: Option<usize>) -> (Duration, bool) {
    let mut builder = AsyncClient::builder();
    if let Some(n) = concurrency {
        builder = builder.handler_concurrency(n);
    }
    let sio = builder.build();
    let spans: Spans = Arc::default();
    let recorded = spans.clone();
    let caller = sio.clone();
    sio.on("work", move |item: Item| {
        let (spans, sio) = (recorded.clone(), caller.clone());
        async move {
            let start = Instant::now();
            tokio::time::sleep(NAP).await;
            // A call from inside a handler, while the others run.
            let sum: i64 = sio.call("sum", (item.i, 1)).await.unwrap();
            assert_eq!(sum, item.i + 1);
            spans.lock().unwrap().push((item.i, start, Instant::now()));
        }
    });
    sio.connect_with(&peer.url(), options()).await.unwrap();
    let sent: i64 = sio.call("stream", (4, "work")).await.unwrap();
    assert_eq!(sent, 4);
    wait_for(&spans, 4).await;
    sio.disconnect().await;
    let measured = measure(&spans);
    eprintln!(
        "{} async, concurrency {concurrency:?}: {:?}",
        peer.kind(),
        measured.0
    );
    measured
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_handlers_run_four_at_once_or_one_at_a_time_in_order() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let (elapsed, _) = four_slow_events_async(&peer, Some(4)).await;
        assert!(elapsed < Duration::from_millis(900), "{kind}: {elapsed:?}");
        let (elapsed, sequential) = four_slow_events_async(&peer, None).await;
        assert!(elapsed >= NAP * 4, "{kind}: {elapsed:?}");
        assert!(sequential, "{kind}: one at a time, in order");
    }
}

fn four_slow_events_blocking(peer: &Peer, concurrency: Option<usize>) -> (Duration, bool) {
    let mut builder = Client::builder();
    if let Some(n) = concurrency {
        builder = builder.handler_concurrency(n);
    }
    let sio = builder.build().unwrap();
    let spans: Spans = Arc::default();
    let recorded = spans.clone();
    let caller = sio.clone();
    sio.on("work", move |item: Item| {
        let start = Instant::now();
        std::thread::sleep(NAP);
        let sum: i64 = caller.call("sum", (item.i, 1)).unwrap();
        assert_eq!(sum, item.i + 1);
        recorded
            .lock()
            .unwrap()
            .push((item.i, start, Instant::now()));
    });
    sio.connect_with(&peer.url(), options()).unwrap();
    let sent: i64 = sio.call("stream", (4, "work")).unwrap();
    assert_eq!(sent, 4);
    let deadline = Instant::now() + WAIT;
    while spans.lock().unwrap().len() < 4 {
        assert!(Instant::now() < deadline, "the handlers ran");
        std::thread::sleep(Duration::from_millis(5));
    }
    sio.disconnect();
    let measured = measure(&spans);
    eprintln!(
        "{} blocking, concurrency {concurrency:?}: {:?}",
        peer.kind(),
        measured.0
    );
    measured
}

#[test]
fn blocking_handlers_run_on_four_threads_or_one_at_a_time_in_order() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let (elapsed, _) = four_slow_events_blocking(&peer, Some(4));
        assert!(elapsed < Duration::from_millis(900), "{kind}: {elapsed:?}");
        let (elapsed, sequential) = four_slow_events_blocking(&peer, None);
        assert!(elapsed >= NAP * 4, "{kind}: {elapsed:?}");
        assert!(sequential, "{kind}: one at a time, in order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_concurrent_handler_acks_the_server() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let sio = AsyncClient::builder().handler_concurrency(4).build();
        sio.on("double", |n: i64| async move {
            tokio::time::sleep(NAP).await;
            n * 2
        });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        let started = Instant::now();
        // "ask" makes the server emit "double" to us and answer with our ack.
        let answers = futures_util::future::join_all(
            (0..4).map(|n| sio.call::<_, Value>("ask", ("double", n))),
        )
        .await;
        let answers: Vec<Value> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(answers, [0, 2, 4, 6], "{kind}");
        assert!(started.elapsed() < Duration::from_millis(900), "{kind}");
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_waits_for_the_running_handlers() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let sio = AsyncClient::builder().handler_concurrency(2).build();
        let finished = Arc::new(Mutex::new(0));
        let counted = finished.clone();
        sio.on("work", move |_: Item| {
            let counted = counted.clone();
            async move {
                tokio::time::sleep(NAP).await;
                *counted.lock().unwrap() += 1;
            }
        });
        sio.connect_with(&peer.url(), options()).await.unwrap();
        let sent: i64 = sio.call("stream", (2, "work")).await.unwrap();
        assert_eq!(sent, 2);
        let started = Instant::now();
        sio.disconnect().await;
        assert_eq!(*finished.lock().unwrap(), 2, "{kind}: disconnect() waited");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{kind}: within the grace time"
        );
    }
}

#[test]
fn the_blocking_disconnect_waits_for_the_running_handlers() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let sio = Client::builder().handler_concurrency(2).build().unwrap();
        let finished = Arc::new(Mutex::new(0));
        let counted = finished.clone();
        sio.on("work", move |_: Item| {
            std::thread::sleep(NAP);
            *counted.lock().unwrap() += 1;
        });
        sio.connect_with(&peer.url(), options()).unwrap();
        let sent: i64 = sio.call("stream", (2, "work")).unwrap();
        assert_eq!(sent, 2);
        sio.disconnect();
        assert_eq!(*finished.lock().unwrap(), 2, "{kind}: disconnect() waited");
    }
}
