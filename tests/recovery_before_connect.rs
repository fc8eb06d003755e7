//! Connection state recovery when the transport dies after the server replayed missed events
//! but before its CONNECT packet (issue 24).
//!
//! On recovery, a socket.io ≥ 4.6 server replays the events the client missed BEFORE its
//! CONNECT packet, each with its offset as last argument. If that connection dies before the
//! CONNECT, the replayed events were never handled; the next attempt must resume from the
//! offset of the last event the client HANDLED, so that the server replays them again.
//! A client that records offsets on arrival asks for a later offset and loses those events
//! for good, while `recovered()` says true.
//!
//! * `a_replay_cut_before_connect_is_replayed_again`: a scripted server (exact packets, no
//!   timing) plays the three connections of the scenario.
//! * `node_replay_cut_before_connect_loses_nothing`: the same against Node socket.io 4.8.4,
//!   with the fault proxy cutting the recovery connection right before the server's CONNECT
//!   frame reaches the client.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use socketio::{AsyncClient, AsyncClientBuilder, ConnectOptions, Transport};
use socketio_suite::fault_proxy::FaultProxy;
use socketio_suite::peers::{Peer, PeerKind, PeerOptions};
use socketio_suite::scripted_server::ScriptedServer;
use tokio::sync::{mpsc, oneshot};

const WAIT: Duration = Duration::from_secs(15);

/// Fast, non-random reconnection, so that the tests stay fast.
fn quick() -> AsyncClientBuilder {
    AsyncClient::builder()
        .reconnection_delay(Duration::from_millis(20))
        .reconnection_delay_max(Duration::from_millis(100))
        .randomization_factor(0.0)
}

fn websocket_only() -> ConnectOptions {
    ConnectOptions::new()
        .transports([Transport::WebSocket])
        .wait_timeout(WAIT)
}

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .expect("channel open")
}

// ----- scripted server -----

/// Items `0..LIVE_1` are sent live on connection 1.
const LIVE_1: u64 = 4;
/// Items `LIVE_1..MISSED` are emitted while the client is away: replayed on reconnection.
const MISSED: u64 = 7;
/// Items `MISSED..TOTAL` are sent live on connection 3, after its CONNECT.
const TOTAL: u64 = 12;
/// The CONNECT of the one session (connections 1 and 3 carry the same pid: recovered).
const CONNECT: &str = r#"40{"sid":"s1","pid":"p1"}"#;

/// Item `i`, as a recovering server sends it: its offset `o<i>` as last argument.
fn item(i: u64) -> String {
    format!(r#"42["item",{i},"o{i}"]"#)
}

/// The first item a recovering server replays for this CONNECT auth: the one after the
/// auth's offset (`o<n>`), or item 0 without an offset.
fn replay_from(auth: &Option<Value>) -> u64 {
    let offset = auth.as_ref().and_then(|a| a["offset"].as_str());
    match offset {
        Some(offset) => {
            let n: u64 = offset
                .strip_prefix('o')
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unknown offset {offset:?}"));
            n + 1
        }
        None => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_cut_before_connect_is_replayed_again() {
    let started = Instant::now();
    let mut server = ScriptedServer::start().await;
    let url = server.url();
    // The script closes connection 1 only once `connect_with` returned: a transport that dies
    // while `connect_with` is still settling is another race, not this test's subject.
    let (connected_tx, connected_rx) = oneshot::channel::<()>();

    // The server's side: three connections, each recording the client's CONNECT auth.
    let script = tokio::spawn(async move {
        let mut auths = Vec::new();

        // 1: a new session (pid p1); items 0..LIVE_1 live; then the transport closes.
        let mut conn = server.accept().await;
        let (namespace, auth) = conn.expect_connect().await;
        assert_eq!(namespace, "/");
        auths.push(auth);
        conn.send(CONNECT).await;
        for i in 0..LIVE_1 {
            conn.send(&item(i)).await;
        }
        connected_rx.await.expect("the client connected");
        conn.close().await;

        // 2: the recovery attempt: the missed items are replayed, then the transport closes
        // BEFORE the CONNECT.
        let mut conn = server.accept().await;
        let (_, auth) = conn.expect_connect().await;
        for i in replay_from(&auth)..MISSED {
            conn.send(&item(i)).await;
        }
        auths.push(auth);
        conn.close().await;

        // 3: the next attempt: the items after the auth's offset are replayed, then the CONNECT
        // (same pid: the session is recovered), then the stream goes on live.
        let mut conn = server.accept().await;
        let (_, auth) = conn.expect_connect().await;
        for i in replay_from(&auth)..MISSED {
            conn.send(&item(i)).await;
        }
        auths.push(auth);
        conn.send(CONNECT).await;
        for i in MISSED..TOTAL {
            conn.send(&item(i)).await;
        }
        conn.send(r#"42["done"]"#).await;
        // Until the client leaves.
        while conn.recv().await.is_some() {}
        (server.accepted(), auths)
    });

    let sio = quick().build();
    let (tx, mut items) = mpsc::unbounded_channel();
    sio.on("item", move |i: u64| tx.send(i).unwrap());
    let (tx, mut done) = mpsc::unbounded_channel();
    sio.on("done", move || tx.send(()).unwrap());

    sio.connect_with(&url, websocket_only()).await.unwrap();
    connected_tx.send(()).unwrap();
    recv(&mut done, "the end of the stream").await;
    let recovered = sio.recovered();
    sio.disconnect().await;
    let (connections, auths) = tokio::time::timeout(WAIT, script)
        .await
        .expect("the script ends")
        .expect("the script's checks pass");

    let mut received = Vec::new();
    while let Ok(i) = items.try_recv() {
        received.push(i);
    }
    assert_eq!(
        received,
        (0..TOTAL).collect::<Vec<_>>(),
        "every item handled exactly once, in order (CONNECT auths of connections 1, 2, 3: \
         {auths:?})"
    );
    assert_eq!(connections, 3);
    let last_handled = format!("o{}", LIVE_1 - 1);
    assert_eq!(auths[0], None, "a first connection asks for no session");
    assert_eq!(
        auths[1],
        Some(json!({"pid": "p1", "offset": last_handled})),
        "connection 2 resumes from the last item handled on connection 1"
    );
    assert_eq!(
        auths[2],
        Some(json!({"pid": "p1", "offset": last_handled})),
        "connection 3 still resumes from there: the items replayed on connection 2 were \
         never handled"
    );
    assert!(recovered, "the session was recovered");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    eprintln!("scripted recovery scenario took {took:?}");
}

// ----- Node socket.io 4.8.4 through the fault proxy -----

/// Ticks streamed by the server, one every `TICK_MS`.
const TICKS: i64 = 40;
const TICK_MS: u64 = 10;
/// Ticks handled before the first connection is cut.
const BEFORE_CUT: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_replay_cut_before_connect_loses_nothing() {
    let options = PeerOptions {
        connection_state_recovery: Some(true),
        ..Default::default()
    };
    let Some(peer) = Peer::start(PeerKind::Node, options) else {
        return;
    };
    let started = Instant::now();
    let proxy = FaultProxy::start(peer.port());
    // The first attempt waits a few ticks: the server has missed events to replay.
    let sio = quick()
        .reconnection_delay(Duration::from_millis(50))
        .build();
    // One channel for both events, so that `end` comes after every tick handled before it.
    let (tx, mut events) = mpsc::unbounded_channel();
    let t = tx.clone();
    sio.on("tick", move |tick: Value| {
        t.send(tick["i"].as_i64()).unwrap()
    });
    sio.on("end", move || tx.send(None).unwrap());

    sio.connect_with(&proxy.url(), websocket_only())
        .await
        .unwrap();
    assert!(!sio.recovered(), "a first connection restores nothing");
    // The next connection, the recovery attempt, is cut right before the server's CONNECT
    // frame reaches the client: the client gets the replayed events, then its transport ends.
    proxy.cut_next_before_frame("40");
    sio.emit("stream_slow", (TICKS, "tick", TICK_MS))
        .await
        .unwrap();

    let mut received = Vec::new();
    while received.len() < BEFORE_CUT {
        received.push(recv(&mut events, "the first ticks").await);
    }
    proxy.cut();
    // Until the last tick; the items missed for good, if any, show below.
    while received.last() != Some(&Some(TICKS - 1)) {
        received.push(recv(&mut events, "the last tick").await);
    }
    // A marker streamed after every tick: whatever comes before it is in.
    sio.emit("stream", (1, "end")).await.unwrap();
    while let Some(i) = recv(&mut events, "the end marker").await {
        received.push(Some(i));
    }
    let recovered = sio.recovered();
    let connections = proxy.accepted();
    sio.disconnect().await;

    let tripped = proxy
        .tripped()
        .expect("the recovery connection reached the server's CONNECT and was cut there");
    let replayed: Vec<&String> = tripped
        .iter()
        .filter(|frame| frame.starts_with(r#"42["tick""#))
        .collect();
    assert!(
        !replayed.is_empty(),
        "the server replayed ticks before its CONNECT on the cut connection: {tripped:?}"
    );
    let received: Vec<i64> = received.into_iter().flatten().collect();
    assert_eq!(
        received,
        (0..TICKS).collect::<Vec<_>>(),
        "every tick handled exactly once, in order (replayed before the cut CONNECT: \
         {replayed:?})"
    );
    assert!(recovered, "the session was recovered");
    assert_eq!(connections, 3, "first, cut before CONNECT, recovered");
    eprintln!(
        "{} ticks replayed before the cut CONNECT; took {:?}",
        replayed.len(),
        started.elapsed()
    );
}
