//! Listener control (`once`, `off`, `off_any`) and ack timeouts that reach the callback
//! (`emit_with_ack_timeout`), on both clients, against Node socket.io 4.8 and
//! python-socketio.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::Value;
use socketio::{AsyncClient, Client, Error, Payload};
use socketio_suite::peers::node_and_python;
use socketio_suite::support::{options, recv, WAIT};
use tokio::sync::mpsc;

/// A handler that sends the echoed number on `tx`.
fn forward(tx: &mpsc::UnboundedSender<i64>) -> impl Fn(i64) + Send + Sync + 'static {
    let tx = tx.clone();
    move |n| tx.send(n).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_runs_once_and_off_hands_the_event_down_the_precedence() {
    for peer in node_and_python() {
        let sio = AsyncClient::new();
        let (any_tx, mut any) = mpsc::unbounded_channel();
        sio.on_any(move |event: String, args: Payload| {
            any_tx.send((event, args.get::<i64>(0).unwrap())).unwrap()
        });
        let (once_tx, mut once) = mpsc::unbounded_channel();
        sio.once("echo", forward(&once_tx));
        sio.connect_with(&peer.url(), options()).await.unwrap();
        let kind = peer.kind();

        // The server emits "echo" back before it answers the call.
        let _: Value = sio.call("echo", 1).await.unwrap();
        let _: Value = sio.call("echo", 2).await.unwrap();
        assert_eq!(recv(&mut once).await, 1, "{kind}");
        assert_eq!(
            recv(&mut any).await,
            ("echo".to_owned(), 2),
            "{kind}: the catch-all gets what follows"
        );

        let (on_tx, mut on) = mpsc::unbounded_channel();
        sio.on("echo", forward(&on_tx)).off("echo");
        let _: Value = sio.call("echo", 3).await.unwrap();
        assert_eq!(recv(&mut any).await, ("echo".to_owned(), 3), "{kind}");

        sio.off_any();
        let _: Value = sio.call("echo", 4).await.unwrap();
        sio.on("echo", forward(&on_tx));
        let _: Value = sio.call("echo", 5).await.unwrap();
        assert_eq!(
            recv(&mut on).await,
            5,
            "{kind}: neither 3 (off) nor 4 (no handler) reached it"
        );
        assert!(any.try_recv().is_err(), "{kind}: the catch-all was removed");
        assert!(once.try_recv().is_err(), "{kind}: once ran once");
        sio.disconnect().await;
    }
}

#[test]
fn once_and_off_on_the_blocking_client() {
    for peer in node_and_python() {
        let sio = Client::new();
        let (any_tx, any) = std_mpsc::channel();
        sio.on_any(move |event: String, args: Payload| {
            any_tx.send((event, args.get::<i64>(0).unwrap())).unwrap()
        });
        let (once_tx, once) = std_mpsc::channel();
        sio.once("echo", move |n: i64| once_tx.send(n).unwrap());
        sio.connect_with(&peer.url(), options()).unwrap();
        let kind = peer.kind();

        let _: Value = sio.call("echo", 1).unwrap();
        let _: Value = sio.call("echo", 2).unwrap();
        assert_eq!(once.recv_timeout(WAIT).unwrap(), 1, "{kind}");
        assert_eq!(any.recv_timeout(WAIT).unwrap(), ("echo".to_owned(), 2));

        let (on_tx, on) = std_mpsc::channel();
        let forward = move |n: i64| on_tx.send(n).unwrap();
        sio.on("echo", forward.clone()).off("echo");
        let _: Value = sio.call("echo", 3).unwrap();
        assert_eq!(any.recv_timeout(WAIT).unwrap(), ("echo".to_owned(), 3));

        sio.off_any();
        let _: Value = sio.call("echo", 4).unwrap();
        sio.on("echo", forward);
        let _: Value = sio.call("echo", 5).unwrap();
        assert_eq!(on.recv_timeout(WAIT).unwrap(), 5, "{kind}");
        assert!(any.try_recv().is_err(), "{kind}");
        assert!(once.try_recv().is_err(), "{kind}");
        sio.disconnect();
    }
}

/// Counts the callback's calls and forwards what it got.
struct Outcomes {
    calls: Arc<AtomicUsize>,
    rx: mpsc::UnboundedReceiver<Result<i64, Error>>,
}

impl Outcomes {
    fn callback(
        &self,
        tx: mpsc::UnboundedSender<Result<i64, Error>>,
    ) -> impl FnOnce(Result<i64, Error>) + Send + 'static {
        let calls = self.calls.clone();
        move |result| {
            calls.fetch_add(1, Ordering::SeqCst);
            tx.send(result).unwrap();
        }
    }

    fn new() -> (Outcomes, mpsc::UnboundedSender<Result<i64, Error>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let outcomes = Outcomes {
            calls: Arc::default(),
            rx,
        };
        (outcomes, tx)
    }

    /// The one outcome; no second comes within `after`.
    async fn only(&mut self, after: Duration) -> Result<i64, Error> {
        let first = recv(&mut self.rx).await;
        tokio::time::sleep(after).await;
        assert!(self.rx.try_recv().is_err(), "called exactly once");
        assert_eq!(self.calls.load(Ordering::SeqCst), 1);
        first
    }
}

const ACK_TIMEOUT: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ack_callback_gets_the_reply_the_timeout_or_the_disconnection_once() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let sio = AsyncClient::new();
        sio.connect_with(&peer.url(), options()).await.unwrap();

        let (mut reply, tx) = Outcomes::new();
        let callback = reply.callback(tx);
        // An async callback: the other kind of handler.
        sio.emit_with_ack_timeout(
            "sum",
            (1, 2),
            ACK_TIMEOUT,
            |r: Result<i64, Error>| async move { callback(r) },
        )
        .await
        .unwrap();
        assert_eq!(reply.only(ACK_TIMEOUT * 2).await.unwrap(), 3, "{kind}");

        let (mut late, tx) = Outcomes::new();
        let started = Instant::now();
        sio.emit_with_ack_timeout("no such event", (), ACK_TIMEOUT, late.callback(tx))
            .await
            .unwrap();
        assert!(
            matches!(late.only(ACK_TIMEOUT).await, Err(Error::Timeout)),
            "{kind}"
        );
        assert!(started.elapsed() >= ACK_TIMEOUT);

        let (mut lost, tx) = Outcomes::new();
        let started = Instant::now();
        sio.emit_with_ack_timeout(
            "no such event",
            (),
            Duration::from_secs(5),
            lost.callback(tx),
        )
        .await
        .unwrap();
        sio.emit("disconnect_me", ()).await.unwrap();
        assert!(
            matches!(lost.only(ACK_TIMEOUT).await, Err(Error::Disconnected)),
            "{kind}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "before the timeout"
        );
        sio.disconnect().await;

        // The client's own disconnect() also tells the callback, though it closes the
        // handler queue.
        let sio = AsyncClient::new();
        sio.connect_with(&peer.url(), options()).await.unwrap();
        let (mut ours, tx) = Outcomes::new();
        sio.emit_with_ack_timeout(
            "no such event",
            (),
            Duration::from_secs(5),
            ours.callback(tx),
        )
        .await
        .unwrap();
        sio.disconnect().await;
        assert!(
            matches!(ours.only(ACK_TIMEOUT).await, Err(Error::Disconnected)),
            "{kind}"
        );
    }
}

#[test]
fn the_blocking_ack_callback_gets_the_reply_the_timeout_or_the_disconnection_once() {
    for peer in node_and_python() {
        let kind = peer.kind();
        let sio = Client::new();
        sio.connect_with(&peer.url(), options()).unwrap();
        let outcome = |sio: &Client, event: &str, timeout: Duration| {
            let (tx, rx) = std_mpsc::channel();
            let calls = Arc::new(AtomicUsize::new(0));
            let counted = calls.clone();
            sio.emit_with_ack_timeout(event, (1, 2), timeout, move |r: Result<i64, Error>| {
                counted.fetch_add(1, Ordering::SeqCst);
                tx.send(r).unwrap();
            })
            .unwrap();
            (rx, calls)
        };
        let once = |(rx, calls): (std_mpsc::Receiver<Result<i64, Error>>, Arc<AtomicUsize>)| {
            let first = rx.recv_timeout(WAIT).unwrap();
            std::thread::sleep(ACK_TIMEOUT);
            assert!(rx.try_recv().is_err(), "called exactly once");
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            first
        };

        assert_eq!(
            once(outcome(&sio, "sum", ACK_TIMEOUT)).unwrap(),
            3,
            "{kind}"
        );
        let late = once(outcome(&sio, "no such event", ACK_TIMEOUT));
        assert!(matches!(late, Err(Error::Timeout)), "{kind}");
        let lost = outcome(&sio, "no such event", Duration::from_secs(5));
        let started = Instant::now();
        sio.emit("disconnect_me", ()).unwrap();
        assert!(matches!(once(lost), Err(Error::Disconnected)), "{kind}");
        assert!(started.elapsed() < Duration::from_secs(5), "{kind}");
        sio.disconnect();

        let sio = Client::new();
        sio.connect_with(&peer.url(), options()).unwrap();
        let ours = outcome(&sio, "no such event", Duration::from_secs(5));
        sio.disconnect();
        assert!(matches!(once(ours), Err(Error::Disconnected)), "{kind}");
    }
}
