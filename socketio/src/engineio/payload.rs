//! Polling payloads (Engine.IO v4): packets joined by the record separator `\x1e`,
//! binary packets written as `b<base64>`.

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
