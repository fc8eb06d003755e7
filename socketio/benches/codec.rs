//! Codec micro-benchmarks (criterion): Socket.IO packet headers, Engine.IO packets and
//! polling payloads, binary attachment reassembly, and arguments ⇄ Rust values through the
//! public `Payload` API.
//!
//! Run with `cargo bench -p socketio --bench codec` (add `-- <filter>` for a subset). These
//! are measurements, not tests: nothing here runs in `cargo test`, and no number fails a build.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde::{Deserialize, Serialize};
use socketio::__internal::engineio::{payload, Packet};
use socketio::__internal::packet::{encode_header, PacketType, RawPacket, Reassembler};
use socketio::Payload;

/// The benchmark event of BENCHMARKS.md, as the server echoes it.
const EVENT: &str = r#"42["echo",{"i":12345,"s":"hello world"}]"#;
const EVENT_DATA: &str = r#"["echo",{"i":12345,"s":"hello world"}]"#;
const BINARY_EVENT: &str =
    r#"51-/chat,7["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]"#;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Msg {
    i: u64,
    s: String,
}

#[derive(Serialize)]
struct MsgRef<'a> {
    i: u64,
    s: &'a str,
}

fn socketio_packets(c: &mut Criterion) {
    let mut g = c.benchmark_group("socketio_packet");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode_text_event", |b| {
        let mut out = String::with_capacity(64);
        b.iter(|| {
            out.clear();
            encode_header(PacketType::Event, 0, "/", None, &mut out);
            out.push_str(black_box(EVENT_DATA));
            black_box(out.len())
        })
    });
    g.bench_function("encode_binary_event_header_ns_ack", |b| {
        let mut out = String::with_capacity(64);
        b.iter(|| {
            out.clear();
            encode_header(
                PacketType::BinaryEvent,
                black_box(1),
                "/chat",
                Some(black_box(7)),
                &mut out,
            );
            black_box(out.len())
        })
    });
    g.bench_function("decode_text_event", |b| {
        b.iter(|| RawPacket::decode(black_box(EVENT), 10).unwrap())
    });
    g.bench_function("decode_binary_event_ns_ack", |b| {
        b.iter(|| RawPacket::decode(black_box(BINARY_EVENT), 10).unwrap())
    });
    g.bench_function("reassemble_binary_event_1_attachment", |b| {
        let attachment = Bytes::from(vec![7u8; 1024]);
        let mut r = Reassembler::new(1 << 20);
        b.iter(|| {
            r.start(BINARY_EVENT.into(), 1).unwrap();
            black_box(r.push(attachment.clone()).unwrap())
        })
    });
    g.finish();
}

fn engineio_packets(c: &mut Criterion) {
    let mut g = c.benchmark_group("engineio_packet");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode_message", |b| {
        let p = Packet::Message(EVENT.into());
        b.iter(|| black_box(&p).encode_text())
    });
    g.bench_function("decode_owned_message", |b| {
        let frame = format!("4{EVENT}");
        b.iter(|| Packet::decode_owned(black_box(frame.clone())).unwrap())
    });
    g.bench_function("decode_text_ping", |b| {
        b.iter(|| Packet::decode_text(black_box("2")).unwrap())
    });
    g.finish();
}

fn polling_payloads(c: &mut Criterion) {
    // A typical long-poll body: ten events and one 1 KiB binary attachment.
    let mut packets: Vec<Packet> = (0..10)
        .map(|i| Packet::Message(format!(r#"2["echo",{{"i":{i},"s":"hello world"}}]"#).into()))
        .collect();
    packets.push(Packet::Binary(Bytes::from(vec![0xA5u8; 1024])));
    let text_only: Vec<Packet> = packets[..10].to_vec();
    let encoded = payload::encode(&packets);
    let encoded_text = payload::encode(&text_only);

    let mut g = c.benchmark_group("polling_payload");
    g.throughput(Throughput::Bytes(encoded.len() as u64));
    g.bench_function("encode_10_messages_1_binary", |b| {
        b.iter(|| payload::encode(black_box(&packets)))
    });
    g.bench_function("decode_10_messages_1_binary", |b| {
        b.iter(|| {
            payload::decode(black_box(&encoded))
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        })
    });
    g.throughput(Throughput::Bytes(encoded_text.len() as u64));
    g.bench_function("encode_10_messages", |b| {
        b.iter(|| payload::encode(black_box(&text_only)))
    });
    g.bench_function("decode_10_messages", |b| {
        b.iter(|| {
            payload::decode(black_box(&encoded_text))
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        })
    });
    g.finish();
}

fn args(c: &mut Criterion) {
    let mut g = c.benchmark_group("args");
    g.throughput(Throughput::Elements(1));
    // Payload::new encodes the arguments as emit() does, then splits them into raw values.
    g.bench_function("payload_new_json_value", |b| {
        b.iter(|| {
            let v = serde_json::json!({"i": black_box(12345), "s": "hello world"});
            Payload::new(&v).unwrap()
        })
    });
    g.bench_function("payload_new_struct", |b| {
        b.iter(|| {
            Payload::new(&MsgRef {
                i: black_box(12345),
                s: "hello world",
            })
            .unwrap()
        })
    });
    g.bench_function("payload_new_tuple_3_args", |b| {
        b.iter(|| Payload::new(&("echo", black_box(12345), "hello world")).unwrap())
    });
    g.bench_function("payload_new_binary_1k", |b| {
        let data = Bytes::from(vec![1u8; 1024]);
        b.iter(|| Payload::new(&("file.bin", black_box(data.clone()))).unwrap())
    });
    let payload = Payload::new(&MsgRef {
        i: 12345,
        s: "hello world",
    })
    .unwrap();
    g.bench_function("payload_get_struct", |b| {
        b.iter(|| black_box(&payload).get::<Msg>(0).unwrap())
    });
    g.bench_function("payload_get_json_value", |b| {
        b.iter(|| black_box(&payload).get::<serde_json::Value>(0).unwrap())
    });
    let binary = Payload::new(&("file.bin", Bytes::from(vec![1u8; 1024]))).unwrap();
    g.bench_function("payload_get_binary_1k", |b| {
        b.iter(|| black_box(&binary).get::<Bytes>(1).unwrap())
    });
    g.finish();
}

criterion_group!(
    benches,
    socketio_packets,
    engineio_packets,
    polling_payloads,
    args
);
criterion_main!(benches);
