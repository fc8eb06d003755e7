//! The `stream_slow` event of every peer, and the Node.js peer's connection state recovery,
//! checked at the wire level with raw Engine.IO long-polling requests (a tiny HTTP/1.1 client on
//! `std::net::TcpStream`), so that they do not depend on the client under test.
//!
//! What socket.io 4.8.4 does with `connectionStateRecovery` (as asserted below):
//! * the CONNECT packet is `40{"sid":<sid>,"pid":<pid>}` (`pid`: the private session id);
//! * every event packet without ack id sent to the client (`socket.emit`, broadcasts, binary
//!   events too) gets one more argument, last: the offset, a string (e.g. `"PQrs3Tu"` or
//!   `"PQrs3Tu.1"`); acks and events that ask for an ack get none;
//! * a client recovers by sending `{"pid":<pid>,"offset":<last offset received>}` as (part of)
//!   its CONNECT auth; the server then answers with the same sid and pid, after replaying the
//!   events the client missed (each with its offset) — the replayed events come BEFORE the
//!   CONNECT packet;
//! * an unknown pid or offset gives an ordinary new session (new sid and pid), not an error.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use socketio_suite::peers::{self, Peer, PeerKind, PeerOptions};

/// Engine.IO v4 packet separator in polling payloads.
const SEPARATOR: char = '\u{1e}';

/// One raw HTTP request: the status code and the body as text.
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let response = socketio_suite::raw_http::request(port, method, path, body.as_bytes());
    (response.status, response.text())
}

/// One Engine.IO polling session.
struct Session {
    port: u16,
    sid: String,
    label: String,
}

impl Session {
    fn open(peer: &Peer) -> Session {
        let label = peer.kind().to_string();
        let (status, body) = http(
            peer.port(),
            "GET",
            "/socket.io/?EIO=4&transport=polling",
            "",
        );
        assert_eq!(status, 200, "{label}: open request: {body}");
        assert!(
            body.starts_with("0{"),
            "{label}: not an open packet: {body:?}"
        );
        let open: Value = serde_json::from_str(&body[1..]).expect("open packet JSON");
        Session {
            port: peer.port(),
            sid: open["sid"].as_str().expect("sid").to_owned(),
            label,
        }
    }

    fn url(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    fn post(&self, payload: &str) {
        let (status, body) = http(self.port, "POST", &self.url(), payload);
        assert_eq!(status, 200, "{}: POST {payload:?}: {body}", self.label);
    }

    /// Polls until `done` holds for the packets received so far (pings are answered and left
    /// out); returns them all.
    fn collect(&self, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen: Vec<String> = Vec::new();
        while !done(&seen) {
            assert!(
                Instant::now() < deadline,
                "{}: timed out waiting for {what}; got {seen:?}",
                self.label
            );
            let (status, body) = http(self.port, "GET", &self.url(), "");
            assert_eq!(status, 200, "{}: GET: {body}", self.label);
            for packet in body.split(SEPARATOR) {
                if packet == "2" {
                    self.post("3");
                } else if packet != "6" {
                    seen.push(packet.to_owned());
                }
            }
        }
        seen
    }

    /// Connects to the main namespace with `auth`; returns the CONNECT payload, the packets
    /// that came before it and those that came after it in the same poll.
    fn connect(&self, auth: Option<&Value>) -> (Value, Vec<String>, Vec<String>) {
        match auth {
            Some(auth) => self.post(&format!("40{auth}")),
            None => self.post("40"),
        }
        let packets = self.collect("CONNECT", |p| p.iter().any(|p| p.starts_with("40")));
        let at = packets.iter().position(|p| p.starts_with("40")).unwrap();
        let connect: Value = serde_json::from_str(&packets[at][2..]).expect("CONNECT JSON");
        (connect, packets[..at].to_vec(), packets[at + 1..].to_vec())
    }
}

/// The JSON arguments of an event or ack packet `4<type><id>[...]`.
fn json_args(packet: &str) -> Value {
    let start = packet.find('[').expect("a JSON array");
    serde_json::from_str(&packet[start..]).expect("packet JSON")
}

/// The `i` of `42["<event>",{"i":n},...]`, if `packet` is such an event.
fn tick_index(packet: &str, event: &str) -> Option<u64> {
    if !packet.starts_with("42[") {
        return None;
    }
    let args = json_args(packet);
    (args[0] == event).then(|| args[1]["i"].as_u64().expect("i"))
}

fn has(packets: &[String], packet: &str) -> bool {
    packets.iter().any(|p| p == packet)
}

#[test]
fn stream_slow_emits_one_event_per_interval_then_acks() {
    for peer in peers::all(PeerOptions::default()) {
        let kind = peer.kind();
        let session = Session::open(&peer);
        session.connect(None);

        let started = Instant::now();
        session.post(r#"421["stream_slow",4,"tick",100]"#);
        let packets = session.collect("the ack of stream_slow", |p| has(p, "431[4]"));
        let took = started.elapsed();
        let ticks: Vec<u64> = packets
            .iter()
            .filter_map(|p| tick_index(p, "tick"))
            .collect();
        assert_eq!(ticks, [0, 1, 2, 3], "{kind}: {packets:?}");
        for p in packets.iter().filter(|p| p.starts_with("42")) {
            // No offset without connection state recovery.
            assert_eq!(json_args(p).as_array().unwrap().len(), 2, "{kind}: {p}");
        }
        assert_eq!(
            packets.last().map(String::as_str),
            Some("431[4]"),
            "{kind}: the ack comes after the last event"
        );
        assert!(
            took >= Duration::from_millis(290) && took < Duration::from_secs(3),
            "{kind}: 4 events 100 ms apart took {took:?}"
        );

        // Nothing to stream: acked at once.
        session.post(r#"422["stream_slow",0,"tick",100]"#);
        let packets = session.collect("the ack of an empty stream", |p| has(p, "432[0]"));
        assert_eq!(packets, ["432[0]"], "{kind}");
        eprintln!("{kind}: stream_slow(4, 100 ms) took {took:?}");
    }
}

fn node_with_recovery() -> Option<Peer> {
    Peer::start(
        PeerKind::Node,
        PeerOptions {
            connection_state_recovery: Some(true),
            ..Default::default()
        },
    )
}

/// The offset appended to an event packet: its last argument, a string.
fn offset_of(packet: &str) -> String {
    let args = json_args(packet);
    let last = args.as_array().unwrap().last().unwrap();
    last.as_str()
        .unwrap_or_else(|| panic!("no string offset in {packet}"))
        .to_owned()
}

#[test]
fn node_recovery_connect_packet_and_offsets() {
    let Some(peer) = node_with_recovery() else {
        return;
    };
    let session = Session::open(&peer);
    let (connect, before, _) = session.connect(None);
    assert!(before.is_empty(), "{before:?}");
    let mut keys: Vec<&String> = connect.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["pid", "sid"], "CONNECT payload {connect}");
    assert!(connect["pid"].is_string() && connect["sid"].is_string());
    assert_ne!(connect["pid"], connect["sid"]);

    // `stream` (plain socket.emit) events get an offset; the ack does not.
    session.post(r#"421["stream",3,"burst"]"#);
    let packets = session.collect("the ack of stream", |p| has(p, "431[3]"));
    let events: Vec<&String> = packets.iter().filter(|p| p.starts_with("42")).collect();
    assert_eq!(events.len(), 3, "{packets:?}");
    let mut offsets = Vec::new();
    for (i, p) in events.iter().enumerate() {
        let args = json_args(p);
        assert_eq!(args[0], "burst");
        assert_eq!(args[1], json!({ "i": i }));
        assert_eq!(args.as_array().unwrap().len(), 3, "{p}");
        offsets.push(offset_of(p));
    }
    offsets.dedup();
    assert_eq!(offsets.len(), 3, "distinct offsets: {offsets:?}");
    eprintln!("event packets with offsets: {events:?}");

    // Binary events get one too, after the (placeholder) arguments.
    session.post(r#"42["binary"]"#);
    let packets = session.collect("the binary event", |p| {
        p.iter().any(|p| p.starts_with("45"))
    });
    let binary = packets.iter().find(|p| p.starts_with("45")).unwrap();
    assert!(binary.starts_with("453-[\"binary\","), "{binary}");
    let args = json_args(binary);
    assert_eq!(args.as_array().unwrap().len(), 4, "{binary}");
    offset_of(binary);
    eprintln!("binary event with offset: {binary}");

    // An event that asks for an ack (`ask`) gets no offset.
    session.post(r#"423["ask","question",1]"#);
    let packets = session.collect("the question", |p| {
        p.iter().any(|p| p.contains("\"question\""))
    });
    let question = packets.iter().find(|p| p.contains("\"question\"")).unwrap();
    let (id, rest) = question[2..].split_once('[').unwrap();
    assert!(!id.is_empty(), "the question asks for an ack: {question}");
    assert_eq!(json_args(question), json!(["question", 1]), "{rest}");
    session.post(&format!("43{id}[\"answer\"]"));
    session.collect("the answer relayed", |p| has(p, r#"433["answer"]"#));
}

#[test]
fn node_recovers_a_session_and_replays_what_was_missed() {
    let Some(peer) = node_with_recovery() else {
        return;
    };
    let first = Session::open(&peer);
    let (connect, _, _) = first.connect(Some(&json!({ "token": "abc" })));
    let (sid, pid) = (connect["sid"].clone(), connect["pid"].clone());

    // 8 ticks, 100 ms apart; leave after the second one.
    first.post(r#"421["stream_slow",8,"tick",100]"#);
    let packets = first.collect("two ticks", |p| {
        p.iter().filter(|p| tick_index(p, "tick").is_some()).count() >= 2
    });
    let last = packets
        .iter()
        .rfind(|p| tick_index(p, "tick").is_some())
        .unwrap();
    let seen_up_to = tick_index(last, "tick").unwrap();
    let offset = offset_of(last);
    first.post("1"); // Engine.IO close from the client: "transport close", a recoverable reason
    std::thread::sleep(Duration::from_millis(350));

    // Recover: the same sid and pid come back, after the missed ticks.
    let second = Session::open(&peer);
    let auth = json!({ "token": "abc", "pid": pid, "offset": offset });
    let (connect, replayed, after) = second.connect(Some(&auth));
    assert_eq!(connect, json!({ "sid": sid, "pid": pid }));
    let replayed_ticks: Vec<u64> = replayed
        .iter()
        .filter_map(|p| tick_index(p, "tick"))
        .collect();
    assert!(
        !replayed_ticks.is_empty(),
        "missed ticks are replayed before CONNECT: {replayed:?}"
    );
    eprintln!("replayed before CONNECT: {replayed:?}");
    for p in &replayed {
        offset_of(p);
    }

    // The rest of the stream goes on live, and the final ack reaches the recovered socket.
    let mut live = after;
    if !has(&live, "431[8]") {
        live.extend(second.collect("the ack of stream_slow", |p| has(p, "431[8]")));
    }
    let live_ticks: Vec<u64> = live.iter().filter_map(|p| tick_index(p, "tick")).collect();
    let all: Vec<u64> = replayed_ticks.iter().chain(&live_ticks).copied().collect();
    let expected: Vec<u64> = (seen_up_to + 1..8).collect();
    assert_eq!(all, expected, "replayed {replayed:?}, then {live:?}");

    // The recovered socket works with the other handlers.
    second.post(r#"422["handshake"]"#);
    let packets = second.collect("the handshake ack", |p| {
        p.iter().any(|p| p.starts_with("432"))
    });
    let info = &json_args(packets.iter().find(|p| p.starts_with("432")).unwrap())[0];
    assert_eq!(info["recovered"], true, "{info}");
    assert_eq!(info["sid"], sid, "{info}");
    assert_eq!(
        info["auth"], auth,
        "the auth as sent, pid and offset included"
    );
    second.post(r#"423["sum",2,3]"#);
    second.collect("the sum", |p| has(p, "433[5]"));

    // An unknown offset (or pid) gives a new session, not an error.
    let third = Session::open(&peer);
    let (connect, before, _) =
        third.connect(Some(&json!({ "pid": pid, "offset": "not-an-offset" })));
    assert!(before.is_empty(), "{before:?}");
    assert_ne!(connect["sid"], sid);
    assert_ne!(connect["pid"], pid);
    third.post(r#"421["handshake"]"#);
    let packets = third.collect("the handshake ack", |p| {
        p.iter().any(|p| p.starts_with("431"))
    });
    let info = &json_args(packets.iter().find(|p| p.starts_with("431")).unwrap())[0];
    assert_eq!(info["recovered"], false, "{info}");
}

#[test]
fn node_without_recovery_has_no_pid_nor_offsets() {
    let Some(peer) = Peer::start(PeerKind::Node, PeerOptions::default()) else {
        return;
    };
    let session = Session::open(&peer);
    let (connect, _, _) = session.connect(None);
    let keys: Vec<&String> = connect.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["sid"], "CONNECT payload {connect}");
    session.post(r#"421["stream",1,"burst"]"#);
    let packets = session.collect("the ack", |p| has(p, "431[1]"));
    assert!(has(&packets, r#"42["burst",{"i":0}]"#), "{packets:?}");
    session.post(r#"422["handshake"]"#);
    let packets = session.collect("the handshake ack", |p| {
        p.iter().any(|p| p.starts_with("432"))
    });
    let info = &json_args(packets.iter().find(|p| p.starts_with("432")).unwrap())[0];
    assert!(info.get("recovered").is_none(), "{info}");
}
