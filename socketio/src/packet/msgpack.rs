//! The msgpack parser (socket.io-msgpack-parser, python-socketio's
//! `serializer="msgpack"`): each packet is one msgpack map `{type, nsp, data, id}` in
//! an Engine.IO binary message, with binary inline.
//!
//! The client's own form of a packet is the JSON text plus attachments; this module
//! translates both ways, so everything above it works the same with either parser.

use std::borrow::Cow;

use bytes::Bytes;
use rmpv::Value as Msg;
use serde_json::Value as Json;

use super::binary::placeholder;
use super::{encode_header, PacketType, RawPacket};
use crate::error::DecodeError;

/// How deep a received msgpack value may nest.
const MAX_DEPTH: usize = 128;

/// A packet in the client's form (text and attachments) as a msgpack message.
pub fn encode(text: &str, attachments: &[Bytes]) -> Result<Vec<u8>, DecodeError> {
    let packet = RawPacket::decode(text, usize::MAX)?;
    let kind = match packet.kind {
        PacketType::BinaryEvent => PacketType::Event,
        PacketType::BinaryAck => PacketType::Ack,
        kind => kind,
    };
    let mut map = vec![
        (Msg::from("type"), Msg::from(kind as u8)),
        (Msg::from("nsp"), Msg::from(packet.namespace)),
    ];
    if !packet.data.is_empty() {
        let data: Json =
            serde_json::from_str(packet.data).map_err(|e| DecodeError::Data(e.to_string()))?;
        map.push((Msg::from("data"), to_msgpack(&data, attachments)));
    }
    if let Some(id) = packet.id {
        map.push((Msg::from("id"), Msg::from(id)));
    }
    let mut out = Vec::with_capacity(32 + text.len());
    rmpv::encode::write_value(&mut out, &Msg::Map(map))
        .map_err(|e| DecodeError::Data(e.to_string()))?;
    Ok(out)
}

/// A received msgpack message in the client's form: the packet's text and attachments.
pub fn decode(message: &[u8], max_attachments: usize) -> Result<(String, Vec<Bytes>), DecodeError> {
    let entries = read_map(message)?;
    let kind = packet_type(field(&entries, "type"))?;
    let namespace = packet_namespace(field(&entries, "nsp"))?;
    let id = packet_id(field(&entries, "id"))?;
    let mut attachments = Vec::new();
    let data = packet_data(
        field(&entries, "data"),
        kind,
        &mut attachments,
        max_attachments,
    )?;
    let kind = client_type(kind, !attachments.is_empty())?;
    let mut text = String::new();
    encode_header(kind, attachments.len(), namespace, id, &mut text);
    if let Some(data) = data {
        text.push_str(&data.to_string());
    }
    Ok((text, attachments))
}

/// The entries of the msgpack map a packet is, read with bounded nesting.
fn read_map(message: &[u8]) -> Result<Vec<(Msg, Msg)>, DecodeError> {
    let mut reader = message;
    let value = rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH)
        .map_err(|e| DecodeError::Data(format!("msgpack: {e}")))?;
    let Msg::Map(entries) = value else {
        return Err(DecodeError::Data("msgpack packet is not a map".into()));
    };
    Ok(entries)
}

/// The value of the packet's field `name` (the first entry with that key).
fn field<'a>(entries: &'a [(Msg, Msg)], name: &str) -> Option<&'a Msg> {
    entries
        .iter()
        .find(|(key, _)| key.as_str() == Some(name))
        .map(|(_, value)| value)
}

/// The `type` field: one of the seven packet types.
fn packet_type(value: Option<&Msg>) -> Result<PacketType, DecodeError> {
    Ok(match value.and_then(Msg::as_u64) {
        Some(0) => PacketType::Connect,
        Some(1) => PacketType::Disconnect,
        Some(2) => PacketType::Event,
        Some(3) => PacketType::Ack,
        Some(4) => PacketType::ConnectError,
        Some(5) => PacketType::BinaryEvent,
        Some(6) => PacketType::BinaryAck,
        _ => {
            return Err(DecodeError::Data(
                "msgpack packet without a valid type".into(),
            ))
        }
    })
}

/// The `nsp` field: `/` when absent or nil, else a string that starts with `/` and has
/// no `,` (it could not be written as text).
fn packet_namespace(value: Option<&Msg>) -> Result<&str, DecodeError> {
    match value {
        None | Some(Msg::Nil) => Ok("/"),
        Some(nsp) => nsp
            .as_str()
            .filter(|n| n.starts_with('/') && !n.contains(','))
            .ok_or(DecodeError::Namespace),
    }
}

/// The `id` field: none when absent or nil, else an unsigned integer.
fn packet_id(value: Option<&Msg>) -> Result<Option<u64>, DecodeError> {
    match value {
        None | Some(Msg::Nil) => Ok(None),
        Some(id) => Ok(Some(id.as_u64().ok_or(DecodeError::AckId)?)),
    }
}

/// The `data` field of a packet of type `kind` as JSON, its binary moved to
/// `attachments` (at most `max`); an error when its shape does not fit the type.
fn packet_data(
    value: Option<&Msg>,
    kind: PacketType,
    attachments: &mut Vec<Bytes>,
    max: usize,
) -> Result<Option<Json>, DecodeError> {
    // A DISCONNECT's data is ignored.
    let data = match (value, kind) {
        (_, PacketType::Disconnect) | (None, _) => None,
        (Some(data), _) => Some(to_json(data, attachments, max)?),
    };
    // A CONNECT whose data is nil (or reads as null: an extension type, NaN) has none.
    let data = data.filter(|data| !(data.is_null() && kind == PacketType::Connect));
    // The shapes socket.io-msgpack-parser accepts (its `isDataValid`): a CONNECT's data is
    // an object, a CONNECT_ERROR's a string or an object, an event's or an ack's an array.
    // (Anything else could not be written as text: a number after the header reads as an
    // ack id.)
    let valid = match (&data, kind) {
        (None, PacketType::Connect | PacketType::Disconnect) => true,
        (Some(data), PacketType::Connect) => data.is_object(),
        (Some(data), PacketType::ConnectError) => data.is_object() || data.is_string(),
        (Some(data), _) => data.is_array(),
        (None, _) => false,
    };
    if !valid {
        return Err(DecodeError::Data(format!(
            "msgpack {kind:?} packet with data of the wrong shape"
        )));
    }
    Ok(data)
}

/// The packet's type in the client's form. Binary is inline in msgpack: whether the
/// packet is a BINARY_ one depends only on whether its data held any
/// (socket.io-msgpack-parser never sends 5 or 6).
fn client_type(kind: PacketType, has_binary: bool) -> Result<PacketType, DecodeError> {
    Ok(match (kind, has_binary) {
        (PacketType::Event | PacketType::BinaryEvent, false) => PacketType::Event,
        (PacketType::Event | PacketType::BinaryEvent, true) => PacketType::BinaryEvent,
        (PacketType::Ack | PacketType::BinaryAck, false) => PacketType::Ack,
        (PacketType::Ack | PacketType::BinaryAck, true) => PacketType::BinaryAck,
        (kind, false) => kind,
        (_, true) => {
            return Err(DecodeError::Data(format!(
                "binary data in a {kind:?} packet (only events and acks carry binary)"
            )))
        }
    })
}

fn to_msgpack(value: &Json, attachments: &[Bytes]) -> Msg {
    if let Some(bytes) = placeholder(value)
        .and_then(|num| usize::try_from(num).ok())
        .and_then(|num| attachments.get(num))
    {
        return Msg::Binary(bytes.to_vec());
    }
    match value {
        Json::Null => Msg::Nil,
        Json::Bool(b) => Msg::Boolean(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Msg::from(u),
            (_, Some(i), _) => Msg::from(i),
            (_, _, Some(f)) => Msg::F64(f),
            _ => Msg::Nil,
        },
        Json::String(s) => Msg::from(s.as_str()),
        Json::Array(items) => {
            Msg::Array(items.iter().map(|i| to_msgpack(i, attachments)).collect())
        }
        Json::Object(map) => Msg::Map(
            map.iter()
                .map(|(k, v)| (Msg::from(k.as_str()), to_msgpack(v, attachments)))
                .collect(),
        ),
    }
}

fn to_json(value: &Msg, attachments: &mut Vec<Bytes>, max: usize) -> Result<Json, DecodeError> {
    Ok(match value {
        Msg::Nil => Json::Null,
        Msg::Boolean(b) => Json::Bool(*b),
        Msg::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Json::from(u),
            (_, Some(i)) => Json::from(i),
            _ => Json::Null,
        },
        Msg::F32(f) => serde_json::Number::from_f64(f64::from(*f)).map_or(Json::Null, Json::Number),
        Msg::F64(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Msg::String(s) => Json::String(s.as_str().map_or_else(
            || String::from_utf8_lossy(s.as_bytes()).into_owned(),
            str::to_owned,
        )),
        Msg::Binary(data) => {
            if attachments.len() >= max {
                return Err(DecodeError::TooManyAttachments {
                    count: attachments.len() as u64 + 1,
                    limit: max,
                });
            }
            attachments.push(Bytes::copy_from_slice(data));
            serde_json::json!({"_placeholder": true, "num": attachments.len() - 1})
        }
        Msg::Array(items) => Json::Array(
            items
                .iter()
                .map(|i| to_json(i, attachments, max))
                .collect::<Result<_, _>>()?,
        ),
        Msg::Map(entries) => {
            // A repeated key keeps its last value, as in JavaScript; the values it replaces
            // are never converted, so their binary leaves no attachment without a placeholder.
            let keys: Vec<Cow<'_, str>> = entries.iter().map(|(key, _)| map_key(key)).collect();
            let last: Vec<bool> = {
                let mut seen = std::collections::HashSet::new();
                keys.iter()
                    .rev()
                    .map(|key| seen.insert(key.as_ref()))
                    .collect()
            };
            let mut map = serde_json::Map::new();
            let kept = entries.iter().zip(keys).zip(last.into_iter().rev());
            for (((_, value), key), last) in kept {
                if last {
                    map.insert(key.into_owned(), to_json(value, attachments, max)?);
                }
            }
            Json::Object(map)
        }
        Msg::Ext(..) => Json::Null,
    })
}

/// A map key as JSON has it: a string's text, anything else written out (`0` for 0).
fn map_key(key: &Msg) -> Cow<'_, str> {
    match key {
        Msg::String(s) => Cow::Borrowed(s.as_str().unwrap_or_default()),
        other => Cow::Owned(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_with_binary_round_trip() {
        let text = r#"51-/chat,7["up",{"_placeholder":true,"num":0},{"k":[1,-2,1.5,null,true]}]"#;
        let attachments = vec![Bytes::from_static(b"\x01\x02")];
        let message = encode(text, &attachments).unwrap();
        let (decoded, back) = decode(&message, 8).unwrap();
        assert_eq!(decoded, text);
        assert_eq!(back, attachments);
    }

    #[test]
    fn connect_and_plain_packets() {
        for text in [
            "0",
            r#"0/admin,{"token":"x"}"#,
            "1/admin,",
            r#"2["hi"]"#,
            "31[]",
            r#"4{"message":"no"}"#,
        ] {
            let (decoded, _) = decode(&encode(text, &[]).unwrap(), 8).unwrap();
            assert_eq!(decoded.trim_end_matches(','), text.trim_end_matches(','));
        }
    }

    /// A msgpack map from `(key, value)` pairs.
    fn message(entries: Vec<(&str, Msg)>) -> Vec<u8> {
        let map = entries
            .into_iter()
            .map(|(k, v)| (Msg::from(k), v))
            .collect();
        let mut out = Vec::new();
        rmpv::encode::write_value(&mut out, &Msg::Map(map)).unwrap();
        out
    }

    #[test]
    fn binary_packet_types_follow_the_data() {
        // Type 5 without binary is a plain event; type 2 with binary a binary one.
        let plain = message(vec![
            ("type", Msg::from(5)),
            ("nsp", Msg::from("/")),
            ("data", Msg::Array(vec![Msg::from("e"), Msg::from(1)])),
        ]);
        assert_eq!(decode(&plain, 8).unwrap().0, r#"2["e",1]"#);
        let binary = message(vec![
            ("type", Msg::from(3)),
            ("nsp", Msg::from("/")),
            ("id", Msg::from(4)),
            ("data", Msg::Array(vec![Msg::Binary(vec![9])])),
        ]);
        let (text, attachments) = decode(&binary, 8).unwrap();
        assert_eq!(text, r#"61-4[{"_placeholder":true,"num":0}]"#);
        assert_eq!(attachments, vec![Bytes::from_static(&[9])]);
        // A CONNECT whose data reads as null has none.
        let ext = Msg::Ext(1, vec![0]);
        let connect = message(vec![("type", Msg::from(0)), ("data", ext)]);
        assert_eq!(decode(&connect, 8).unwrap().0, "0");
        // An ack's data is an array; a number anywhere would read as an ack id.
        for (kind, data) in [(3, Msg::F64(7.5)), (4, Msg::from(7))] {
            let packet = message(vec![("type", Msg::from(kind)), ("data", data)]);
            assert!(matches!(decode(&packet, 8), Err(DecodeError::Data(_))));
        }
        // Only events and acks may carry binary.
        let connect = message(vec![
            ("type", Msg::from(0)),
            ("nsp", Msg::from("/")),
            (
                "data",
                Msg::Map(vec![(Msg::from("sid"), Msg::Binary(vec![1]))]),
            ),
        ]);
        assert!(matches!(decode(&connect, 8), Err(DecodeError::Data(_))));
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_and_no_orphan_attachment() {
        // Found by `cargo fuzz`: the integer key 0 and the string key "0" are one JSON key.
        let object = Msg::Map(vec![
            (Msg::from(0), Msg::Binary(vec![1])),
            (Msg::from("0"), Msg::from(2)),
        ]);
        let data = Msg::Array(vec![Msg::from("e"), object]);
        let (text, attachments) =
            decode(&message(vec![("type", Msg::from(2)), ("data", data)]), 8).unwrap();
        assert_eq!(text, r#"2["e",{"0":2}]"#);
        assert!(attachments.is_empty());
    }

    #[test]
    fn floats_survive_the_round_trip() {
        // Found by the fuzz check: without serde_json's `float_roundtrip`, re-reading the
        // JSON text could land one unit in the last place away.
        let data = Msg::Array(vec![Msg::from("f"), Msg::F64(-2.5384549201545546e125)]);
        let first = message(vec![("type", Msg::from(2)), ("data", data)]);
        let (text, _) = decode(&first, 8).unwrap();
        assert_eq!(decode(&encode(&text, &[]).unwrap(), 8).unwrap().0, text);
    }

    #[test]
    fn hostile_messages_are_typed_errors() {
        assert!(decode(b"", 8).is_err());
        assert!(decode(&[0x91, 0x01], 8).is_err()); // an array, not a map
        assert!(decode(&[0x81, 0xa4, b't', b'y', b'p', b'e', 0x09], 8).is_err()); // type 9
                                                                                  // A claimed 4 GiB string with no data: an error, not an allocation.
        assert!(decode(&[0xdb, 0xff, 0xff, 0xff, 0xff], 8).is_err());
        // Deep nesting is bounded.
        let mut deep = vec![0x81, 0xa4, b'd', b'a', b't', b'a'];
        deep.extend(std::iter::repeat_n(0x91, 100_000));
        assert!(decode(&deep, 8).is_err());
    }
}
