//! The checks behind the fuzz targets (`fuzz/fuzz_targets/`), shared with the bounded property
//! test of the root package (`tests/fuzz_props.rs`, which includes this file as a module).
//!
//! Each check feeds arbitrary input to a decoder of the client the way the client's read path
//! does, and asserts what must hold whatever the input: no panic, no allocation sized by a claim
//! of the peer, errors as values, and round trips where the format has a canonical form.
#![forbid(unsafe_code)]

use bytes::Bytes;
use serde::ser::{SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use socketio::__internal::engineio::{payload, Packet};
use socketio::__internal::packet::{encode_header, PacketType, RawPacket, Reassembler};
use socketio::{DecodeError, Payload};

/// (a) Engine.IO: `input` as a polling payload (records joined by `\x1e`) and as one websocket
/// text frame.
pub fn engineio(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let decoded: Vec<Result<Packet, DecodeError>> = payload::decode(text).collect();
    assert_eq!(decoded.len(), text.split(payload::SEPARATOR).count());

    // Every record decodes the same as a packet of its own, and `decode_owned` (the websocket
    // path) agrees with `decode_text`.
    for (record, result) in text.split(payload::SEPARATOR).zip(&decoded) {
        if !record.starts_with('b') {
            assert_eq!(&Packet::decode_text(record), result, "record {record:?}");
            assert_eq!(
                Packet::decode_owned(record.to_owned()),
                *result,
                "record {record:?}"
            );
        }
    }
    assert_eq!(
        Packet::decode_owned(text.to_owned()),
        Packet::decode_text(text)
    );

    // A payload that decodes entirely encodes back to the same packets.
    if decoded.iter().all(Result::is_ok) {
        let packets: Vec<Packet> = decoded.into_iter().map(Result::unwrap).collect();
        let again = payload::encode(&packets);
        let back: Vec<Packet> = payload::decode(&again)
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("re-encoded payload {again:?} does not decode: {e}"));
        assert_eq!(back, packets, "payload {text:?} re-encoded as {again:?}");
        for packet in &packets {
            if matches!(packet, Packet::Open(_)) {
                continue; // the client never sends one
            }
            let mut out = String::from("x");
            payload::encode_into(packet, &mut out);
            assert_eq!(payload::encoded_len(packet), out.len() - 1, "{packet:?}");
        }
    }
}

/// (b) Socket.IO: the first byte is `max_attachments` (0..=69), the rest one packet's text;
/// its data is then read as the client reads it.
pub fn socketio_packet(input: &[u8]) {
    let Some((&first, rest)) = input.split_first() else {
        return;
    };
    let max_attachments = usize::from(first % 70);
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(packet) = RawPacket::decode(text, max_attachments) else {
        return;
    };
    check_header(text, &packet, max_attachments);
    // Attachments as the reassembler would deliver them (their content is arbitrary).
    let attachments = (0..packet.attachments)
        .map(|i| Bytes::from(vec![i as u8; i % 4]))
        .collect();
    client_data(packet, attachments);
}

fn check_header(text: &str, packet: &RawPacket<'_>, max_attachments: usize) {
    assert!(packet.attachments <= max_attachments);
    if !packet.kind.is_binary() {
        assert_eq!(packet.attachments, 0);
    }
    assert!(packet.namespace.starts_with('/'), "{packet:?}");
    assert!(!packet.namespace.contains(','), "{packet:?}");
    assert!(text.ends_with(packet.data), "{packet:?}");
    // The header encodes back to the same packet, except for the one ambiguous form: an
    // explicit `/,` namespace followed by data that starts with `/` (written without the
    // namespace, the data would read as one).
    if !(packet.namespace == "/" && packet.id.is_none() && packet.data.starts_with('/')) {
        let mut again = String::new();
        encode_header(
            packet.kind,
            packet.attachments,
            packet.namespace,
            packet.id,
            &mut again,
        );
        again.push_str(packet.data);
        assert_eq!(
            RawPacket::decode(&again, max_attachments).as_ref(),
            Ok(packet),
            "{text:?} re-encoded as {again:?}"
        );
    }
}

/// The arguments of an event or ack as one tuple (so that `Payload::new` sees several
/// arguments), the attachments last: their placeholders are numbered 0.. in order, so the
/// placeholders of the raw arguments refer to them.
struct Args<'a> {
    args: &'a [Box<RawValue>],
    attachments: &'a [Bytes],
}

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.args.len() + self.attachments.len())?;
        for raw in self.args {
            tuple.serialize_element(raw)?;
        }
        for data in self.attachments {
            tuple.serialize_element(data)?;
        }
        tuple.end()
    }
}

/// A typical handler parameter with binary inside.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Upload {
    name: Option<String>,
    data: Option<Bytes>,
    #[serde(default)]
    parts: Vec<Bytes>,
}

/// What the client does with a decoded packet's data (`client/core.rs::on_packet`), through the
/// public API: the same serde_json calls, then [`Payload`] access with every common parameter
/// type.
fn client_data(packet: RawPacket<'_>, attachments: Vec<Bytes>) {
    match packet.kind {
        PacketType::Connect => {
            #[derive(Deserialize)]
            #[allow(dead_code)]
            struct Connected {
                sid: String,
                #[serde(default)]
                pid: Option<String>,
            }
            let _ = serde_json::from_str::<Connected>(packet.data);
        }
        PacketType::ConnectError => {
            let data: serde_json::Value = if packet.data.is_empty() {
                serde_json::Value::Null
            } else {
                match serde_json::from_str(packet.data) {
                    Ok(data) => data,
                    Err(_) => return,
                }
            };
            let _message = data.get("message").and_then(|m| m.as_str());
            let payload = Payload::new(&data).unwrap_or_default();
            let _ = payload.to_values();
        }
        PacketType::Disconnect => {}
        PacketType::Event | PacketType::BinaryEvent => {
            let Ok(args) = serde_json::from_str::<Vec<Box<RawValue>>>(packet.data) else {
                return;
            };
            let Some((name, args)) = args.split_first() else {
                return;
            };
            if serde_json::from_str::<String>(name.get()).is_err() {
                return;
            }
            use_payload(args, &attachments);
        }
        PacketType::Ack | PacketType::BinaryAck => {
            if packet.id.is_none() {
                return;
            }
            let Ok(args) = serde_json::from_str::<Vec<Box<RawValue>>>(packet.data) else {
                return;
            };
            use_payload(&args, &attachments);
        }
    }
}

fn use_payload(args: &[Box<RawValue>], attachments: &[Bytes]) {
    let payload = match Payload::new(&Args { args, attachments }) {
        Ok(payload) => payload,
        // Raw values that serde_json accepted but cannot re-read (e.g. nested too deep to be
        // parsed into a `Value` while being checked by the serializer) are an error, not a panic.
        Err(_) => return,
    };
    assert_eq!(payload.len(), args.len() + attachments.len());
    assert_eq!(payload.attachments().len(), attachments.len());
    for i in 0..=payload.len() {
        let _ = payload.get::<serde_json::Value>(i);
        let _ = payload.get::<Bytes>(i);
        let _ = payload.get::<Vec<u8>>(i);
        let _ = payload.get::<Option<String>>(i);
        let _ = payload.get::<Vec<Bytes>>(i);
        let _ = payload.get::<Upload>(i);
        let _ = payload.get::<std::collections::HashMap<String, serde_json::Value>>(i);
        let _ = payload.get::<(i64, Option<Bytes>)>(i);
        let _ = payload.raw(i);
    }
    let _ = payload.to_values();
    let _ = serde_json::to_string(&payload);
}

/// (d) The msgpack parser: the first byte is `max_attachments` (0..=69), the rest one Engine.IO
/// binary message. What decodes is a packet in the client's form (text and attachments) that
/// the JSON path reads as it reads any other, and a fixed point of encode then decode.
pub fn msgpack(input: &[u8]) {
    let Some((&first, message)) = input.split_first() else {
        return;
    };
    let max_attachments = usize::from(first % 70);
    let Ok((text, attachments)) =
        socketio::__internal::packet::msgpack::decode(message, max_attachments)
    else {
        return;
    };
    assert!(attachments.len() <= max_attachments);
    let packet = RawPacket::decode(&text, max_attachments)
        .unwrap_or_else(|e| panic!("msgpack decoded to {text:?}, which does not parse: {e}"));
    check_header(&text, &packet, max_attachments);
    assert_eq!(packet.attachments, attachments.len(), "{text:?}");
    assert_eq!(packet.kind.is_binary(), !attachments.is_empty(), "{text:?}");
    let again = socketio::__internal::packet::msgpack::encode(&text, &attachments)
        .unwrap_or_else(|e| panic!("{text:?} does not encode back: {e}"));
    assert_eq!(
        socketio::__internal::packet::msgpack::decode(&again, max_attachments),
        Ok((text.clone(), attachments.clone())),
        "{text:?}"
    );
    client_data(packet, attachments);
}

/// (c) Attachment reassembly, driven by `input` as a sequence of operations on a
/// [`Reassembler`] checked against a model; completed packets are read as the client reads
/// them. Operations (one byte each, then their operands):
/// `0 len bytes…` a text message (a packet header, maybe a binary one that starts a packet),
/// `1 len bytes…` a binary message, `2 len byte` a binary message of `len * 251` copies of
/// `byte`, `3` reset (the connection is gone).
pub fn reassembler(input: &[u8]) {
    let mut input = Cursor(input);
    let max_bytes = usize::from(input.byte()) * 64;
    let max_attachments = usize::from(input.byte() % 20);
    let mut reassembler = Reassembler::new(max_bytes);
    // (expected attachments, received, bytes held)
    let mut model: Option<(usize, usize, usize)> = None;
    while let Some(op) = input.next() {
        match op % 4 {
            0 => {
                let len = usize::from(input.byte());
                let text = String::from_utf8_lossy(input.take(len)).into_owned();
                match RawPacket::decode(&text, max_attachments) {
                    Ok(packet) if packet.kind.is_binary() && packet.attachments > 0 => {
                        check_header(&text, &packet, max_attachments);
                        let expected = packet.attachments;
                        let result = reassembler.start(text.as_str().into(), expected);
                        assert_eq!(result.is_err(), model.is_some(), "{result:?}");
                        model = Some((expected, 0, 0));
                    }
                    Ok(packet) => {
                        check_header(&text, &packet, max_attachments);
                        client_data(packet, Vec::new());
                    }
                    Err(_) => {}
                }
            }
            1 | 2 => {
                let data = if op % 4 == 1 {
                    let len = usize::from(input.byte());
                    Bytes::copy_from_slice(input.take(len))
                } else {
                    let len = usize::from(input.byte()) * 251;
                    Bytes::from(vec![input.byte(); len])
                };
                let len = data.len();
                let result = reassembler.push(data);
                match model {
                    None => assert_eq!(result, Err(DecodeError::UnexpectedBinary)),
                    Some((_, _, held)) if held + len > max_bytes => {
                        assert!(
                            matches!(result, Err(DecodeError::TooLarge { .. })),
                            "{result:?}"
                        );
                        model = None;
                    }
                    Some((expected, received, held)) if received + 1 == expected => {
                        let done = result
                            .expect("the last attachment completes the packet")
                            .expect("the last attachment completes the packet");
                        assert_eq!(done.attachments.len(), expected);
                        let total: usize = done.attachments.iter().map(Bytes::len).sum();
                        assert_eq!(total, held + len);
                        assert!(total <= max_bytes);
                        let packet = RawPacket::decode(&done.text, max_attachments)
                            .expect("a started packet decodes again");
                        assert_eq!(packet.attachments, expected);
                        client_data(packet, done.attachments);
                        model = None;
                    }
                    Some((expected, received, held)) => {
                        assert_eq!(result, Ok(None));
                        model = Some((expected, received + 1, held + len));
                    }
                }
            }
            _ => {
                reassembler.reset();
                model = None;
            }
        }
        assert_eq!(reassembler.is_waiting(), model.is_some());
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn byte(&mut self) -> u8 {
        self.next().unwrap_or(0)
    }

    fn take(&mut self, len: usize) -> &'a [u8] {
        let (taken, rest) = self.0.split_at(len.min(self.0.len()));
        self.0 = rest;
        taken
    }
}
