//! Polling payloads. Engine.IO v4: packets joined by the record separator `\x1e`,
//! binary packets written as `b<base64>`. Engine.IO v3: each packet prefixed by its
//! length in UTF-16 code units and `:`, binary packets written as `b4<base64>`
//! (the client asks for base64 with `b64=1`).

use base64::Engine as _;
use bytes::Bytes;

use super::packet::Packet;
use crate::error::DecodeError;

/// The record separator between packets of one polling payload.
pub const SEPARATOR: char = '\x1e';

/// Decodes one polling payload into its packets.
///
/// Each record is decoded on its own, so a bad record is reported with the
/// packets before it already decoded; the caller decides whether to go on.
pub fn decode(payload: &str) -> impl Iterator<Item = Result<Packet, DecodeError>> + '_ {
    payload.split(SEPARATOR).map(decode_record)
}

fn decode_record(record: &str) -> Result<Packet, DecodeError> {
    match record.strip_prefix('b') {
        Some(encoded) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map(|data| Packet::Binary(Bytes::from(data)))
            .map_err(|_| DecodeError::Base64),
        None => Packet::decode_text(record),
    }
}

/// The longest v3 length prefix we read: more digits cannot be a real payload.
const MAX_V3_LENGTH_DIGITS: usize = 10;

/// Decodes an Engine.IO v3 polling payload: `<length>:<packet>` repeated, the length
/// counted in UTF-16 code units.
pub fn decode_v3(payload: &str) -> Result<Vec<Packet>, DecodeError> {
    let mut packets = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let colon = rest
            .bytes()
            .take(MAX_V3_LENGTH_DIGITS + 1)
            .position(|b| b == b':')
            .ok_or_else(|| DecodeError::Data("v3 payload without a length prefix".into()))?;
        let length: usize = rest[..colon]
            .parse()
            .map_err(|_| DecodeError::Data("invalid v3 payload length".into()))?;
        rest = &rest[colon + 1..];
        // Walk `length` UTF-16 code units; never trust the length beyond the data.
        let mut units = 0;
        let mut end = 0;
        for c in rest.chars() {
            if units >= length {
                break;
            }
            units += c.len_utf16();
            end += c.len_utf8();
        }
        if units != length {
            return Err(DecodeError::Data(
                "v3 payload length beyond its data".into(),
            ));
        }
        let record = &rest[..end];
        rest = &rest[end..];
        packets.push(match record.strip_prefix("b4") {
            Some(encoded) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map(|data| Packet::Binary(Bytes::from(data)))
                .map_err(|_| DecodeError::Base64)?,
            None => Packet::decode_text(record)?,
        });
    }
    Ok(packets)
}

/// Appends one packet to an Engine.IO v3 payload under construction.
pub fn encode_v3_into(packet: &Packet, out: &mut String) {
    let record = match packet {
        Packet::Binary(data) => {
            let mut record = String::from("b4");
            base64::engine::general_purpose::STANDARD.encode_string(data, &mut record);
            record
        }
        other => other.encode_text(),
    };
    let units: usize = record.chars().map(char::len_utf16).sum();
    out.push_str(&units.to_string());
    out.push(':');
    out.push_str(&record);
}

/// Whether a handshake body is an Engine.IO v3 payload (`<digits>:0{…`).
pub fn looks_like_v3(body: &str) -> bool {
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && body[digits..].starts_with(":0")
}

/// Appends one packet's record to a payload under construction.
pub fn encode_into(packet: &Packet, out: &mut String) {
    if !out.is_empty() {
        out.push(SEPARATOR);
    }
    match packet {
        Packet::Binary(data) => {
            out.push('b');
            base64::engine::general_purpose::STANDARD.encode_string(data, out);
        }
        other => other.encode_text_into(out),
    }
}

/// The length a packet adds to a payload (used to respect the server's `maxPayload`).
pub fn encoded_len(packet: &Packet) -> usize {
    1 + match packet {
        Packet::Binary(data) => 1 + data.len().div_ceil(3) * 4,
        Packet::Message(text) => 1 + text.len(),
        Packet::Ping(Some(text)) | Packet::Pong(Some(text)) => 1 + text.len(),
        _ => 1,
    }
}

/// Encodes packets into one payload.
pub fn encode<'a>(packets: impl IntoIterator<Item = &'a Packet>) -> String {
    let mut out = String::new();
    for packet in packets {
        encode_into(packet, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_documents_payload_examples() {
        // From the Engine.IO v4 protocol document, "Packet encoding / HTTP long-polling".
        let packets: Vec<_> = decode("4hello\x1e4€\x1ebAQIDBA==")
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            packets,
            [
                Packet::Message("hello".into()),
                Packet::Message("€".into()),
                Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])),
            ]
        );
        assert_eq!(encode(&packets), "4hello\x1e4€\x1ebAQIDBA==");
    }

    #[test]
    fn bad_records_are_typed_errors() {
        let results: Vec<_> = decode("4ok\x1eb!!!\x1ez").collect();
        assert_eq!(results[0], Ok(Packet::Message("ok".into())));
        assert_eq!(results[1], Err(DecodeError::Base64));
        assert_eq!(results[2], Err(DecodeError::UnknownPacketType('z')));
    }

    #[test]
    fn v3_payloads_count_utf16_units() {
        // From the Engine.IO v3 protocol: `6:4hello` style records; `€` is one unit,
        // `😀` two.
        let payload = "6:4hello2:4€3:4😀6:b4AQID";
        assert_eq!(
            decode_v3(payload).unwrap(),
            [
                Packet::Message("hello".into()),
                Packet::Message("€".into()),
                Packet::Message("😀".into()),
                Packet::Binary(Bytes::from_static(&[1, 2, 3])),
            ]
        );
        let mut out = String::new();
        for packet in decode_v3(payload).unwrap() {
            encode_v3_into(&packet, &mut out);
        }
        assert_eq!(out, payload);
        assert!(looks_like_v3("97:0{\"sid\":\"x\"}2:40"));
        assert!(!looks_like_v3("0{\"sid\":\"x\"}"));
    }

    #[test]
    fn bad_v3_payloads_are_typed_errors() {
        for bad in [
            "",
            "4hello",
            "99:4hi",
            "x:4",
            "99999999999999:4",
            "3:4€",
            "3:b4!",
        ] {
            if bad.is_empty() {
                assert_eq!(decode_v3(bad).unwrap(), []);
                continue;
            }
            assert!(decode_v3(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn encoded_len_matches_the_encoding() {
        for packet in [
            Packet::Message("héllo".into()),
            Packet::Binary(Bytes::from_static(&[1, 2, 3, 4, 5])),
            Packet::Ping(None),
            Packet::Pong(Some("probe".into())),
        ] {
            let mut out = String::from("x");
            encode_into(&packet, &mut out);
            assert_eq!(encoded_len(&packet), out.len() - 1, "{packet:?}");
        }
    }
}
