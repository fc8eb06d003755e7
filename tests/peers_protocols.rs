//! Smoke test of the peers that speak the other wire formats, with raw HTTP long-polling:
//!
//! * `PeerKind::Node2` (socket.io 2.5.1): Engine.IO v3 (length-prefixed payloads, `b64=1`, the
//!   binary payload framing, client pings) and Socket.IO 2 ERROR packets;
//! * `PeerKind::Node` with `allow_eio3`: socket.io 4.8.4 answering an Engine.IO v3 client;
//! * `PeerKind::Node` with `parser: "msgpack"` and `PeerKind::Python` with
//!   `serializer: "msgpack"`: every Socket.IO packet is one binary Engine.IO message holding a
//!   msgpack map (`b<base64>` in v4 polling payloads).
//!
//! Each test is skipped for a peer that is not installed (see `tests/peers/install.sh`).

use std::time::{Duration, Instant};

use serde_json::Value;
use socketio_suite::peers::{Peer, PeerKind, PeerOptions};

// --- A tiny HTTP/1.1 client ---------------------------------------------------------------------

use socketio_suite::raw_http::{request as http, Response};

// --- Engine.IO v3 payloads ---------------------------------------------------------------------

/// Encodes a v3 text payload: `<length>:<packet>` per packet, the length in UTF-16 code units.
fn v3_payload(packets: &[&str]) -> String {
    packets
        .iter()
        .map(|p| format!("{}:{p}", p.encode_utf16().count()))
        .collect()
}

/// Decodes a v3 text payload into its packets.
fn v3_packets(mut body: &str) -> Vec<String> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let (len, rest) = body.split_once(':').expect("a length prefix");
        let len: usize = len.parse().expect("a decimal length");
        let mut units = 0;
        let end = rest
            .char_indices()
            .find_map(|(i, c)| {
                let at = (units == len).then_some(i);
                units += c.len_utf16();
                at
            })
            .unwrap_or_else(|| {
                assert_eq!(units, len, "truncated payload");
                rest.len()
            });
        out.push(rest[..end].to_owned());
        body = &rest[end..];
    }
    out
}

/// A packet of a v3 binary (XHR2) payload: `0x00` string / `0x01` binary, the length as decimal
/// digit bytes, `0xff`, then the packet (for binary: the type byte `4` and the data).
#[derive(Debug, PartialEq)]
enum V3Packet {
    Text(String),
    Binary(Vec<u8>),
}

fn v3_binary_packets(mut body: &[u8]) -> Vec<V3Packet> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let kind = body[0];
        let sep = body.iter().position(|&b| b == 0xff).expect("0xff");
        let len = body[1..sep]
            .iter()
            .fold(0usize, |acc, &d| acc * 10 + usize::from(d));
        let packet = &body[sep + 1..sep + 1 + len];
        out.push(match kind {
            0 => V3Packet::Text(String::from_utf8(packet.to_vec()).unwrap()),
            1 => V3Packet::Binary(packet.to_vec()),
            other => panic!("bad v3 binary payload type {other}"),
        });
        body = &body[sep + 1 + len..];
    }
    out
}

/// One Engine.IO v3 polling session (`b64` chooses the text-only encoding).
struct V3Session {
    port: u16,
    sid: String,
    b64: bool,
}

impl V3Session {
    /// Handshakes with `EIO=3`; returns the session and the OPEN packet's JSON.
    fn open(peer: &Peer, b64: bool) -> (V3Session, Value) {
        let label = peer.kind();
        let query = if b64 { "&b64=1" } else { "" };
        let res = http(
            peer.port(),
            "GET",
            &format!("/socket.io/?EIO=3&transport=polling{query}"),
            b"",
        );
        let body = res.text();
        assert_eq!(res.status, 200, "{label}: {body}");
        let packets = v3_packets(&body);
        assert_eq!(packets.len(), 1, "{label}: {body}");
        let open: Value =
            serde_json::from_str(packets[0].strip_prefix('0').expect("OPEN")).expect("OPEN JSON");
        let session = V3Session {
            port: peer.port(),
            sid: open["sid"].as_str().expect("sid").to_owned(),
            b64,
        };
        (session, open)
    }

    fn url(&self) -> String {
        let b64 = if self.b64 { "&b64=1" } else { "" };
        format!("/socket.io/?EIO=3&transport=polling{b64}&sid={}", self.sid)
    }

    fn post(&self, packets: &[&str]) {
        let res = http(
            self.port,
            "POST",
            &self.url(),
            v3_payload(packets).as_bytes(),
        );
        assert_eq!((res.status, res.text().as_str()), (200, "ok"));
    }

    fn get(&self) -> Response {
        let res = http(self.port, "GET", &self.url(), b"");
        assert_eq!(
            res.status,
            200,
            "GET: {}",
            String::from_utf8_lossy(&res.body)
        );
        res
    }

    /// Polls text payloads until `count` packets arrived.
    fn text_packets(&self, count: usize) -> Vec<String> {
        let mut out = Vec::new();
        while out.len() < count {
            out.extend(v3_packets(&self.get().text()));
        }
        out
    }
}

/// The packets the `binary` event produces (Socket.IO v2 / v3 text encoding with attachments).
const BINARY_EVENT: &str = r#"453-["binary",{"_placeholder":true,"num":0},{"nested":{"data":{"_placeholder":true,"num":1}},"list":[{"_placeholder":true,"num":2}],"text":"hi"}]"#;
const BINARY_ACK: &str = r#"461-2[{"_placeholder":true,"num":0}]"#;

/// The Engine.IO v3 exchange shared by socket.io 2.5.1 and socket.io 4.8.4 with `allowEIO3`.
fn v3_exchange(peer: &Peer) {
    let label = peer.kind();
    let (s, open) = V3Session::open(peer, true);
    assert_eq!(
        open["upgrades"],
        serde_json::json!(["websocket"]),
        "{label}"
    );
    assert_eq!(open["pingInterval"], 25000, "{label}");
    assert_eq!(open["pingTimeout"], 20000, "{label}");
    // The main namespace is connected without a CONNECT packet from the client.
    assert_eq!(s.text_packets(1), ["40"], "{label}");

    // `14:421["sum",1,2]` -> `6:431[3]`.
    assert_eq!(v3_payload(&[r#"421["sum",1,2]"#]), r#"14:421["sum",1,2]"#);
    s.post(&[r#"421["sum",1,2]"#]);
    assert_eq!(s.text_packets(1), [r#"431[3]"#], "{label}");

    // Lengths count UTF-16 code units: "é😀" is 3 of them.
    s.post(&[r#"424["echo","é😀"]"#]);
    let echoed = s.text_packets(2);
    assert_eq!(
        v3_payload(&echoed.iter().map(String::as_str).collect::<Vec<_>>()),
        r#"16:42["echo","é😀"]10:434["é😀"]"#,
        "{label}"
    );

    // The client pings, the server answers.
    s.post(&["2"]);
    assert_eq!(s.text_packets(1), ["3"], "{label}");

    // With b64=1, attachments are `b4<base64>` text packets.
    s.post(&[r#"422["binary"]"#]);
    assert_eq!(
        s.text_packets(6),
        [
            BINARY_EVENT,
            "b4AQID",
            "b4BAUG",
            "b4Bw==",
            BINARY_ACK,
            "b4CQk="
        ],
        "{label}"
    );

    // A binary argument from the client: a BINARY_EVENT, then its attachment.
    s.post(&[
        r#"451-5["emit_bytes_len",{"_placeholder":true,"num":0}]"#,
        "b4AQID",
    ]);
    assert_eq!(s.text_packets(1), ["435[3]"], "{label}");

    // A refused namespace: an ERROR packet carrying `err.data` (not `{message, data}`).
    s.post(&["40/forbidden,"]);
    assert_eq!(
        s.text_packets(1),
        [r#"44/forbidden,{"reason":"not allowed"}"#],
        "{label}"
    );

    // Without b64, a payload holding binary uses the v3 binary framing.
    let (s, _) = V3Session::open(peer, false);
    assert_eq!(s.text_packets(1), ["40"], "{label}");
    s.post(&[r#"422["binary"]"#]);
    let mut packets = Vec::new();
    while packets.len() < 6 {
        let res = s.get();
        if res.content_type.starts_with("application/octet-stream") {
            packets.extend(v3_binary_packets(&res.body));
        } else {
            packets.extend(v3_packets(&res.text()).into_iter().map(V3Packet::Text));
        }
    }
    assert_eq!(
        packets,
        [
            V3Packet::Text(BINARY_EVENT.into()),
            V3Packet::Binary(vec![4, 1, 2, 3]),
            V3Packet::Binary(vec![4, 4, 5, 6]),
            V3Packet::Binary(vec![4, 7]),
            V3Packet::Text(BINARY_ACK.into()),
            V3Packet::Binary(vec![4, 9, 9]),
        ],
        "{label}"
    );
}

#[test]
fn node2_speaks_engineio_v3() {
    let Some(peer) = Peer::start(PeerKind::Node2, PeerOptions::default()) else {
        return;
    };
    v3_exchange(&peer);

    // socket.io 2 ignores EIO=4 and opens an Engine.IO v3 session (no maxPayload).
    let res = http(
        peer.port(),
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        b"",
    );
    let body = res.text();
    assert_eq!(res.status, 200, "{body}");
    let packets = v3_packets(&body);
    let open: Value = serde_json::from_str(&packets[0][1..]).expect("OPEN JSON");
    assert!(
        open["sid"].is_string() && open.get("maxPayload").is_none(),
        "{body}"
    );

    // Namespaces: the socket id is `<nsp>#<engine sid>`, `auth` does not exist in v2.
    let (s, open) = V3Session::open(&peer, true);
    assert_eq!(s.text_packets(1), ["40"]);
    s.post(&["40/chat?x=1,"]);
    assert_eq!(s.text_packets(1), ["40/chat,"]);
    s.post(&[r#"42/chat,7["handshake"]"#]);
    let ack = s.text_packets(1).remove(0);
    let info: Value =
        serde_json::from_str(ack.strip_prefix("43/chat,7").expect("ACK")).expect("ACK JSON");
    assert_eq!(info[0]["auth"], Value::Null);
    assert_eq!(info[0]["query"]["x"], "1");
    assert_eq!(
        info[0]["sid"],
        format!("/chat#{}", open["sid"].as_str().unwrap())
    );
}

#[test]
fn node_with_allow_eio3_speaks_engineio_v3() {
    // Without allowEIO3, socket.io 4 refuses Engine.IO v3 clients.
    let Some(peer) = Peer::start(PeerKind::Node, PeerOptions::default()) else {
        return;
    };
    let res = http(
        peer.port(),
        "GET",
        "/socket.io/?EIO=3&transport=polling&b64=1",
        b"",
    );
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            400,
            r#"{"code":5,"message":"Unsupported protocol version"}"#
        )
    );
    drop(peer);

    let options = PeerOptions {
        allow_eio3: Some(true),
        ..Default::default()
    };
    let peer = Peer::start(PeerKind::Node, options).expect("installed a moment ago");
    v3_exchange(&peer);
    let (_, open) = V3Session::open(&peer, true);
    assert_eq!(open["maxPayload"], 1_000_000, "socket.io 4 adds maxPayload");
}

// --- msgpack ------------------------------------------------------------------------------------

/// A msgpack value (just what the tests need).
#[derive(Debug, Clone, PartialEq)]
enum Mp {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bin(Vec<u8>),
    Array(Vec<Mp>),
    /// Entries in wire order.
    Map(Vec<(Mp, Mp)>),
    /// An extension: notepack.io (Node) encodes `undefined` as fixext 1, type 0: `d4 00 00`.
    Ext(i8, Vec<u8>),
}

impl Mp {
    fn s(s: &str) -> Mp {
        Mp::Str(s.into())
    }

    fn map(entries: &[(&str, Mp)]) -> Mp {
        Mp::Map(entries.iter().map(|(k, v)| (Mp::s(k), v.clone())).collect())
    }

    fn get(&self, key: &str) -> Option<&Mp> {
        match self {
            Mp::Map(entries) => entries
                .iter()
                .find_map(|(k, v)| (*k == Mp::s(key)).then_some(v)),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<String> {
        match self {
            Mp::Map(entries) => entries
                .iter()
                .map(|(k, _)| match k {
                    Mp::Str(s) => s.clone(),
                    other => format!("{other:?}"),
                })
                .collect(),
            _ => vec![],
        }
    }

    /// Equality that ignores the order of map entries.
    fn same(&self, other: &Mp) -> bool {
        match (self, other) {
            (Mp::Map(a), Mp::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(k2, v2)| k == k2 && v.same(v2)))
            }
            (Mp::Array(a), Mp::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            _ => self == other,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Mp::Nil => out.push(0xc0),
            Mp::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
            Mp::Int(i) if (0..128).contains(i) => out.push(*i as u8),
            Mp::Int(i) => {
                out.push(0xd3);
                out.extend_from_slice(&i.to_be_bytes());
            }
            Mp::Float(f) => {
                out.push(0xcb);
                out.extend_from_slice(&f.to_be_bytes());
            }
            Mp::Str(s) => {
                assert!(s.len() < 32, "fixstr only");
                out.push(0xa0 | s.len() as u8);
                out.extend_from_slice(s.as_bytes());
            }
            Mp::Bin(b) => {
                out.extend_from_slice(&[0xc4, b.len() as u8]);
                out.extend_from_slice(b);
            }
            Mp::Array(items) => {
                out.push(0x90 | items.len() as u8);
                items.iter().for_each(|v| v.encode(out));
            }
            Mp::Map(entries) => {
                out.push(0x80 | entries.len() as u8);
                for (k, v) in entries {
                    k.encode(out);
                    v.encode(out);
                }
            }
            Mp::Ext(..) => unreachable!("not sent"),
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    fn decode(bytes: &[u8]) -> Mp {
        let mut at = 0;
        let value = Mp::read(bytes, &mut at);
        assert_eq!(at, bytes.len(), "trailing bytes in {}", hex(bytes));
        value
    }

    fn read(b: &[u8], at: &mut usize) -> Mp {
        let mut take = |n: usize| {
            let s = &b[*at..*at + n];
            *at += n;
            s.to_vec()
        };
        let be = |s: &[u8]| s.iter().fold(0u64, |acc, &x| acc << 8 | u64::from(x));
        let tag = take(1)[0];
        let (len, kind) = match tag {
            0x00..=0x7f => return Mp::Int(i64::from(tag)),
            0xe0..=0xff => return Mp::Int(i64::from(tag as i8)),
            0x80..=0x8f => (usize::from(tag & 0x0f), 'm'),
            0x90..=0x9f => (usize::from(tag & 0x0f), 'a'),
            0xa0..=0xbf => (usize::from(tag & 0x1f), 's'),
            0xc0 => return Mp::Nil,
            0xc2 => return Mp::Bool(false),
            0xc3 => return Mp::Bool(true),
            0xc4 => (be(&take(1)) as usize, 'b'),
            0xc5 => (be(&take(2)) as usize, 'b'),
            0xcb => return Mp::Float(f64::from_bits(be(&take(8)))),
            0xcc => return Mp::Int(be(&take(1)) as i64),
            0xcd => return Mp::Int(be(&take(2)) as i64),
            0xce => return Mp::Int(be(&take(4)) as i64),
            0xd3 => return Mp::Int(be(&take(8)) as i64),
            0xd4 => {
                let t = take(2);
                return Mp::Ext(t[0] as i8, t[1..].to_vec());
            }
            0xd9 => (be(&take(1)) as usize, 's'),
            0xdc => (be(&take(2)) as usize, 'a'),
            0xde => (be(&take(2)) as usize, 'm'),
            other => panic!("msgpack tag {other:#04x} not handled by the test"),
        };
        match kind {
            's' => Mp::Str(String::from_utf8(take(len)).unwrap()),
            'b' => Mp::Bin(take(len)),
            'a' => Mp::Array((0..len).map(|_| Mp::read(b, at)).collect()),
            _ => Mp::Map(
                (0..len)
                    .map(|_| (Mp::read(b, at), Mp::read(b, at)))
                    .collect(),
            ),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unbase64(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = B64.iter().position(|&x| x == c).expect("base64 digit") as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// One Engine.IO v4 polling session with msgpack Socket.IO packets (`b<base64>` messages).
struct MsgpackSession {
    port: u16,
    sid: String,
    label: String,
}

impl MsgpackSession {
    fn open(peer: &Peer) -> MsgpackSession {
        let label = format!("{} msgpack", peer.kind());
        let res = http(
            peer.port(),
            "GET",
            "/socket.io/?EIO=4&transport=polling",
            b"",
        );
        let body = res.text();
        assert_eq!(res.status, 200, "{label}: {body}");
        let open: Value =
            serde_json::from_str(body.strip_prefix('0').expect("OPEN")).expect("OPEN JSON");
        MsgpackSession {
            port: peer.port(),
            sid: open["sid"].as_str().unwrap().to_owned(),
            label,
        }
    }

    fn url(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    fn send(&self, packet: &Mp) {
        let bytes = packet.to_bytes();
        eprintln!("{} C->S {}", self.label, hex(&bytes));
        let body = format!("b{}", base64(&bytes));
        let res = http(self.port, "POST", &self.url(), body.as_bytes());
        assert_eq!(res.status, 200, "{}: POST: {}", self.label, res.text());
        assert!(res.text().eq_ignore_ascii_case("ok"), "{}", self.label);
    }

    /// Polls until `count` Socket.IO packets arrived (answering pings).
    fn recv(&self, count: usize) -> Vec<Mp> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut out = Vec::new();
        while out.len() < count {
            assert!(
                Instant::now() < deadline,
                "{}: got only {out:?}",
                self.label
            );
            let res = http(self.port, "GET", &self.url(), b"");
            let body = res.text();
            assert_eq!(res.status, 200, "{}: GET: {body}", self.label);
            for message in body.split('\u{1e}') {
                if message == "2" {
                    let res = http(self.port, "POST", &self.url(), b"3");
                    assert_eq!(res.status, 200);
                    continue;
                }
                let bytes = unbase64(message.strip_prefix('b').unwrap_or_else(|| {
                    panic!("{}: not a binary message: {message:?}", self.label)
                }));
                eprintln!("{} S->C {}", self.label, hex(&bytes));
                out.push(Mp::decode(&bytes));
            }
        }
        out
    }
}

fn assert_same(label: &str, got: &Mp, expected: &Mp) {
    assert!(
        got.same(expected),
        "{label}:\n got {got:?}\nwant {expected:?}"
    );
}

fn msgpack_exchange(peer: &Peer) {
    let s = MsgpackSession::open(peer);
    let label = s.label.as_str();
    let node = peer.kind() == PeerKind::Node;
    let nsp = || ("nsp", Mp::s("/"));

    // CONNECT without `data` (socket.io-msgpack-parser refuses `data: nil` on a CONNECT).
    s.send(&Mp::map(&[("type", Mp::Int(0)), nsp()]));
    let connect = s.recv(1).remove(0);
    assert_eq!(
        connect.get("type"),
        Some(&Mp::Int(0)),
        "{label}: {connect:?}"
    );
    assert_eq!(connect.get("nsp"), Some(&Mp::s("/")), "{label}");
    let data = connect.get("data").expect("data");
    assert!(
        matches!(data.get("sid"), Some(Mp::Str(_))),
        "{label}: {data:?}"
    );
    if node {
        // socket.io 4 sends `pid: undefined` (without connection state recovery), which
        // notepack.io encodes as fixext 1 of type 0: `a3 70 69 64 d4 00 00`.
        assert_eq!(data.keys(), ["sid", "pid"], "{label}");
        assert_eq!(data.get("pid"), Some(&Mp::Ext(0, vec![0])), "{label}");
    } else {
        assert_eq!(data.keys(), ["sid"], "{label}");
    }

    // EVENT with an ack id -> ACK.
    s.send(&Mp::map(&[
        ("type", Mp::Int(2)),
        nsp(),
        (
            "data",
            Mp::Array(vec![Mp::s("sum"), Mp::Int(1), Mp::Int(2)]),
        ),
        ("id", Mp::Int(1)),
    ]));
    let ack = s.recv(1).remove(0);
    assert_same(
        label,
        &ack,
        &Mp::map(&[
            ("type", Mp::Int(3)),
            nsp(),
            ("data", Mp::Array(vec![Mp::Int(3)])),
            ("id", Mp::Int(1)),
        ]),
    );

    // Binary travels inline as msgpack bin, in a plain EVENT / ACK (no attachments).
    s.send(&Mp::map(&[
        ("type", Mp::Int(2)),
        nsp(),
        ("data", Mp::Array(vec![Mp::s("binary")])),
        ("id", Mp::Int(2)),
    ]));
    let got = s.recv(2);
    assert_same(
        label,
        &got[0],
        &Mp::map(&[
            ("type", Mp::Int(2)),
            nsp(),
            (
                "data",
                Mp::Array(vec![
                    Mp::s("binary"),
                    Mp::Bin(vec![1, 2, 3]),
                    Mp::map(&[
                        ("nested", Mp::map(&[("data", Mp::Bin(vec![4, 5, 6]))])),
                        ("list", Mp::Array(vec![Mp::Bin(vec![7])])),
                        ("text", Mp::s("hi")),
                    ]),
                ]),
            ),
        ]),
    );
    assert_same(
        label,
        &got[1],
        &Mp::map(&[
            ("type", Mp::Int(3)),
            nsp(),
            ("data", Mp::Array(vec![Mp::Bin(vec![9, 9])])),
            ("id", Mp::Int(2)),
        ]),
    );

    // Binary from the client.
    s.send(&Mp::map(&[
        ("type", Mp::Int(2)),
        nsp(),
        (
            "data",
            Mp::Array(vec![
                Mp::s("emit_bytes_len"),
                Mp::Bin(vec![1, 2, 3]),
                Mp::map(&[("x", Mp::Bin(vec![4]))]),
            ]),
        ),
        ("id", Mp::Int(3)),
    ]));
    let ack = s.recv(1).remove(0);
    assert_eq!(
        ack.get("data"),
        Some(&Mp::Array(vec![Mp::Int(4)])),
        "{label}"
    );

    // A refused namespace: CONNECT_ERROR {message, data}.
    let forbidden = ("nsp", Mp::s("/forbidden"));
    s.send(&Mp::map(&[("type", Mp::Int(0)), forbidden.clone()]));
    let refusal = s.recv(1).remove(0);
    assert_same(
        label,
        &refusal,
        &Mp::map(&[
            ("type", Mp::Int(4)),
            forbidden,
            (
                "data",
                Mp::map(&[
                    ("message", Mp::s("forbidden")),
                    ("data", Mp::map(&[("reason", Mp::s("not allowed"))])),
                ]),
            ),
        ]),
    );
}

#[test]
fn msgpack_node_and_python() {
    let node = PeerOptions {
        parser: Some("msgpack".into()),
        ..Default::default()
    };
    let python = PeerOptions {
        serializer: Some("msgpack".into()),
        ..Default::default()
    };
    for (kind, options) in [(PeerKind::Node, node), (PeerKind::Python, python)] {
        if let Some(peer) = Peer::start(kind, options) {
            msgpack_exchange(&peer);
        }
    }
}
