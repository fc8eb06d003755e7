//! Smoke test of the reference servers (`socketio_suite::peers`): a raw Engine.IO long-polling
//! exchange with each available peer, over a tiny HTTP/1.1 client built on `std::net::TcpStream`.

use std::time::{Duration, Instant};

use socketio_suite::peers::{self, Peer, PeerKind};

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
        let open: serde_json::Value = serde_json::from_str(&body[1..]).expect("open packet JSON");
        let sid = open["sid"].as_str().expect("sid").to_owned();
        assert!(
            open["pingInterval"].is_u64() && open["pingTimeout"].is_u64(),
            "{label}: {open}"
        );
        assert!(open["maxPayload"].is_u64(), "{label}: {open}");
        Session {
            port: peer.port(),
            sid,
            label,
        }
    }

    fn url(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    fn post(&self, payload: &str) {
        let (status, body) = http(self.port, "POST", &self.url(), payload);
        assert_eq!(status, 200, "{}: POST {payload:?}: {body}", self.label);
        assert!(
            body.eq_ignore_ascii_case("ok"),
            "{}: POST {payload:?}: {body:?}",
            self.label
        );
    }

    /// Polls until a packet satisfying `pred` arrives (answering pings); returns that packet.
    fn expect(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            let (status, body) = http(self.port, "GET", &self.url(), "");
            assert_eq!(status, 200, "{}: GET: {body}", self.label);
            for packet in body.split(SEPARATOR) {
                if packet == "2" {
                    self.post("3");
                } else if pred(packet) {
                    return packet.to_owned();
                } else {
                    seen.push(packet.to_owned());
                }
            }
        }
        panic!("{}: no {what} packet; got {seen:?}", self.label);
    }
}

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn polling_exchange_with_every_peer() {
    let all = peers::all(Default::default());
    assert!(
        all.iter().any(|p| p.kind() == PeerKind::Socketioxide),
        "socketioxide is always available"
    );
    eprintln!(
        "peers: {:?}",
        all.iter().map(|p| p.kind()).collect::<Vec<_>>()
    );

    for peer in all {
        let label = peer.kind().to_string();
        assert_eq!(peer.url(), format!("http://127.0.0.1:{}", peer.port()));
        let session = Session::open(&peer);

        // Connect to the main namespace.
        session.post("40");
        let connect = session.expect("CONNECT", |p| p.starts_with("40{"));
        let reply: serde_json::Value = serde_json::from_str(&connect[2..]).expect("connect JSON");
        assert!(
            reply["sid"].as_str().is_some_and(|s| !s.is_empty()),
            "{label}: {connect}"
        );

        // Event with an ack: 1 + 2.
        session.post(r#"421["sum",1,2]"#);
        let ack = session.expect("ACK", |p| p.starts_with("43"));
        assert_eq!(ack, "431[3]", "{label}");

        // Refused namespace.
        session.post("40/forbidden,");
        let refusal = session.expect("CONNECT_ERROR", |p| p.starts_with("44"));
        let payload = refusal
            .strip_prefix("44/forbidden,")
            .unwrap_or_else(|| panic!("{label}: {refusal}"));
        let payload: serde_json::Value = serde_json::from_str(payload).expect("connect error JSON");
        assert_eq!(payload["message"], "forbidden", "{label}: {refusal}");
        if peer.kind() != PeerKind::Socketioxide {
            // socketioxide's connect middlewares cannot send `data`.
            assert_eq!(
                payload["data"],
                serde_json::json!({"reason": "not allowed"}),
                "{label}: {refusal}"
            );
        }

        // Stopping leaves nothing behind.
        let port = peer.port();
        let pid = peer.pid();
        drop(peer);
        match pid {
            Some(pid) => assert!(!process_alive(pid), "{label}: process {pid} still alive"),
            None => assert!(
                std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
                "{label}: still accepting connections on {port}"
            ),
        }
    }
}
