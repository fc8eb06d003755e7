//! Socket.IO v5 packets and their binary attachments.
//!
//! A packet is `<type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]`; binary
//! packets are followed by their attachments, one Engine.IO binary message each.
//! See <https://socket.io/docs/v4/socket-io-protocol/>.

pub(crate) mod binary;
#[cfg(feature = "msgpack")]
pub(crate) mod msgpack;

use crate::error::DecodeError;

/// The seven packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: connect to a namespace (client) / connected (server).
    Connect = 0,
    /// `1`: leave a namespace.
    Disconnect = 1,
    /// `2`: an event.
    Event = 2,
    /// `3`: the answer to an event that asked for one.
    Ack = 3,
    /// `4`: the server refused a namespace.
    ConnectError = 4,
    /// `5`: an event with binary attachments.
    BinaryEvent = 5,
    /// `6`: an ack with binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    fn from_byte(byte: u8) -> Result<Self, DecodeError> {
        Ok(match byte {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            other => return Err(DecodeError::UnknownPacketType(other as char)),
        })
    }

    /// Whether packets of this type carry binary attachments.
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }

    /// The type's digit.
    pub fn digit(self) -> char {
        (b'0' + self as u8) as char
    }
}

/// A decoded packet header with its data, borrowed from the text it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPacket<'a> {
    /// The type.
    pub kind: PacketType,
    /// How many binary attachments follow (binary types only).
    pub attachments: usize,
    /// The namespace (`/` when absent).
    pub namespace: &'a str,
    /// The ack id, if the sender wants an answer (or this answers one).
    pub id: Option<u64>,
    /// The JSON data, possibly empty.
    pub data: &'a str,
}

/// The longest ack id we read: more digits cannot fit a u64 anyway.
const MAX_ID_DIGITS: usize = 20;

impl<'a> RawPacket<'a> {
    /// Decodes one packet's text. `max_attachments` bounds what a binary packet may announce.
    pub fn decode(text: &'a str, max_attachments: usize) -> Result<Self, DecodeError> {
        let bytes = text.as_bytes();
        let kind = PacketType::from_byte(*bytes.first().ok_or(DecodeError::Empty)?)?;
        let mut at = 1;

        let mut attachments = 0;
        if kind.is_binary() {
            let dash = text[at..].find('-').ok_or(DecodeError::AttachmentCount)?;
            let digits = &text[at..at + dash];
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DecodeError::AttachmentCount);
            }
            let count: u64 = digits
                .parse()
                .map_err(|_| DecodeError::TooManyAttachments {
                    count: u64::MAX,
                    limit: max_attachments,
                })?;
            if count > max_attachments as u64 {
                return Err(DecodeError::TooManyAttachments {
                    count,
                    limit: max_attachments,
                });
            }
            attachments = count as usize;
            at += dash + 1;
        }

        let mut namespace = "/";
        if bytes.get(at) == Some(&b'/') {
            let end = text[at..].find(',').map_or(text.len(), |comma| at + comma);
            namespace = &text[at..end];
            at = (end + 1).min(text.len());
        }

        let digits = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let mut id = None;
        if digits > 0 {
            if digits > MAX_ID_DIGITS {
                return Err(DecodeError::AckId);
            }
            id = Some(
                text[at..at + digits]
                    .parse()
                    .map_err(|_| DecodeError::AckId)?,
            );
            at += digits;
        }

        Ok(RawPacket {
            kind,
            attachments,
            namespace,
            id,
            data: &text[at..],
        })
    }
}

/// Writes a packet header: type, attachment count, namespace (unless `/`), ack id.
pub fn encode_header(
    kind: PacketType,
    attachments: usize,
    namespace: &str,
    id: Option<u64>,
    out: &mut impl std::fmt::Write,
) {
    let _ = out.write_char(kind.digit());
    if kind.is_binary() {
        let _ = write!(out, "{attachments}-");
    }
    if namespace != "/" {
        let _ = out.write_str(namespace);
        let _ = out.write_char(',');
    }
    if let Some(id) = id {
        let _ = write!(out, "{id}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<RawPacket<'_>, DecodeError> {
        RawPacket::decode(text, 10)
    }

    fn encode(
        kind: PacketType,
        attachments: usize,
        namespace: &str,
        id: Option<u64>,
        data: &str,
    ) -> String {
        let mut out = String::new();
        encode_header(kind, attachments, namespace, id, &mut out);
        out.push_str(data);
        out
    }

    /// Every example packet of the Socket.IO v5 protocol document, both ways.
    #[test]
    fn the_protocol_documents_examples() {
        type Example<'a> = (&'a str, PacketType, usize, &'a str, Option<u64>, &'a str);
        let examples: &[Example] = &[
            ("0", PacketType::Connect, 0, "/", None, ""),
            ("0/admin,", PacketType::Connect, 0, "/admin", None, ""),
            (
                r#"0{"token":"123"}"#,
                PacketType::Connect,
                0,
                "/",
                None,
                r#"{"token":"123"}"#,
            ),
            (
                r#"0/admin,{"token":"123"}"#,
                PacketType::Connect,
                0,
                "/admin",
                None,
                r#"{"token":"123"}"#,
            ),
            (
                r#"0{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
                PacketType::Connect,
                0,
                "/",
                None,
                r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            ),
            (
                r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
                PacketType::Connect,
                0,
                "/admin",
                None,
                r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            ),
            (
                r#"4{"message":"Not authorized"}"#,
                PacketType::ConnectError,
                0,
                "/",
                None,
                r#"{"message":"Not authorized"}"#,
            ),
            (
                r#"4/admin,{"message":"Not authorized"}"#,
                PacketType::ConnectError,
                0,
                "/admin",
                None,
                r#"{"message":"Not authorized"}"#,
            ),
            ("1", PacketType::Disconnect, 0, "/", None, ""),
            ("1/admin,", PacketType::Disconnect, 0, "/admin", None, ""),
            (r#"2["foo"]"#, PacketType::Event, 0, "/", None, r#"["foo"]"#),
            (
                r#"2["foo","bar"]"#,
                PacketType::Event,
                0,
                "/",
                None,
                r#"["foo","bar"]"#,
            ),
            (
                r#"2/admin,["bar"]"#,
                PacketType::Event,
                0,
                "/admin",
                None,
                r#"["bar"]"#,
            ),
            (
                r#"212["foo"]"#,
                PacketType::Event,
                0,
                "/",
                Some(12),
                r#"["foo"]"#,
            ),
            (
                r#"2/admin,13["bar"]"#,
                PacketType::Event,
                0,
                "/admin",
                Some(13),
                r#"["bar"]"#,
            ),
            (
                r#"312["bar"]"#,
                PacketType::Ack,
                0,
                "/",
                Some(12),
                r#"["bar"]"#,
            ),
            (
                r#"3/admin,13["bar"]"#,
                PacketType::Ack,
                0,
                "/admin",
                Some(13),
                r#"["bar"]"#,
            ),
            (
                r#"51-["baz",{"_placeholder":true,"num":0}]"#,
                PacketType::BinaryEvent,
                1,
                "/",
                None,
                r#"["baz",{"_placeholder":true,"num":0}]"#,
            ),
            (
                r#"51-/admin,["baz",{"_placeholder":true,"num":0}]"#,
                PacketType::BinaryEvent,
                1,
                "/admin",
                None,
                r#"["baz",{"_placeholder":true,"num":0}]"#,
            ),
            (
                r#"61-15[{"_placeholder":true,"num":0}]"#,
                PacketType::BinaryAck,
                1,
                "/",
                Some(15),
                r#"[{"_placeholder":true,"num":0}]"#,
            ),
            (
                r#"61-/admin,1[{"_placeholder":true,"num":0}]"#,
                PacketType::BinaryAck,
                1,
                "/admin",
                Some(1),
                r#"[{"_placeholder":true,"num":0}]"#,
            ),
            (
                r#"2["hello",1]"#,
                PacketType::Event,
                0,
                "/",
                None,
                r#"["hello",1]"#,
            ),
            (
                r#"2/admin,456["project:delete",123]"#,
                PacketType::Event,
                0,
                "/admin",
                Some(456),
                r#"["project:delete",123]"#,
            ),
            (
                "3/admin,456[]",
                PacketType::Ack,
                0,
                "/admin",
                Some(456),
                "[]",
            ),
        ];
        for &(text, kind, attachments, namespace, id, data) in examples {
            let packet = decode(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                packet,
                RawPacket {
                    kind,
                    attachments,
                    namespace,
                    id,
                    data
                },
                "{text}"
            );
            let reencoded = encode(kind, attachments, namespace, id, data);
            // The only non-canonical form is a namespace written with an empty body.
            assert_eq!(
                reencoded.trim_end_matches(','),
                text.trim_end_matches(','),
                "{text}"
            );
        }
    }

    #[test]
    fn a_namespace_without_comma_runs_to_the_end() {
        let packet = decode("1/admin").unwrap();
        assert_eq!(packet.namespace, "/admin");
        assert_eq!(packet.data, "");
    }

    #[test]
    fn hostile_headers_are_typed_errors() {
        assert_eq!(decode(""), Err(DecodeError::Empty));
        assert_eq!(decode("7"), Err(DecodeError::UnknownPacketType('7')));
        assert_eq!(decode("5[]"), Err(DecodeError::AttachmentCount));
        assert_eq!(decode("5-[]"), Err(DecodeError::AttachmentCount));
        assert_eq!(decode("5x-[]"), Err(DecodeError::AttachmentCount));
        assert_eq!(
            decode("511-[]"),
            Err(DecodeError::TooManyAttachments {
                count: 11,
                limit: 10
            })
        );
        assert!(matches!(
            decode("599999999999999999999999999-[]"),
            Err(DecodeError::TooManyAttachments { .. })
        ));
        assert_eq!(decode("2123456789012345678901[]"), Err(DecodeError::AckId));
        assert_eq!(decode("299999999999999999999[]"), Err(DecodeError::AckId));
        // Multi-byte characters never split a slice.
        assert!(decode("2€").is_ok());
        assert!(decode("5€-").is_err());
    }
}
