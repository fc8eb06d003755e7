//! Engine.IO v4 packets: one type digit, then the data.
//!
//! Text packets are `<type><data>`; a binary message travels raw in a websocket
//! binary frame, or as `b<base64>` inside a polling payload.

use bytes::Bytes;

use super::handshake::Handshake;
use super::text::Text;
use crate::error::DecodeError;

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// `0`: the server's handshake, sent once at the start of a session.
    Open(Handshake),
    /// `1`: the session is over.
    Close,
    /// `2`: a heartbeat ping; `2probe` during the upgrade.
    Ping(Option<String>),
    /// `3`: the answer to a ping; `3probe` during the upgrade.
    Pong(Option<String>),
    /// `4`: a text message for the layer above.
    Message(Text),
    /// A binary message for the layer above.
    Binary(Bytes),
    /// `5`: completes the upgrade to websocket.
    Upgrade,
    /// `6`: nothing; used to release a pending polling request.
    Noop,
}

impl Packet {
    /// The packet's type digit (binary messages are messages too).
    pub fn type_char(&self) -> char {
        match self {
            Packet::Open(_) => '0',
            Packet::Close => '1',
            Packet::Ping(_) => '2',
            Packet::Pong(_) => '3',
            Packet::Message(_) | Packet::Binary(_) => '4',
            Packet::Upgrade => '5',
            Packet::Noop => '6',
        }
    }

    /// Appends the text form of a non-binary packet to `out`.
    ///
    /// Binary packets are written by the transport (raw frame or `b<base64>`).
    pub fn encode_text_into(&self, out: &mut String) {
        out.push(self.type_char());
        match self {
            Packet::Open(handshake) => {
                out.push_str(&serde_json::to_string(handshake).unwrap_or_default())
            }
            Packet::Ping(Some(data)) | Packet::Pong(Some(data)) => out.push_str(data),
            Packet::Message(data) => out.push_str(data),
            _ => {}
        }
    }

    /// The text form of a non-binary packet.
    pub fn encode_text(&self) -> String {
        let mut out = String::with_capacity(1 + self.text_len());
        self.encode_text_into(&mut out);
        out
    }

    fn text_len(&self) -> usize {
        match self {
            Packet::Ping(Some(data)) | Packet::Pong(Some(data)) => data.len(),
            Packet::Message(data) => data.len(),
            _ => 0,
        }
    }

    /// Decodes a text packet (a websocket text frame, or one record of a polling payload
    /// that does not start with `b`).
    pub fn decode_text(text: &str) -> Result<Packet, DecodeError> {
        let mut chars = text.chars();
        let kind = chars.next().ok_or(DecodeError::Empty)?;
        let data = chars.as_str();
        let optional = |data: &str| (!data.is_empty()).then(|| data.to_owned());
        Ok(match kind {
            '0' => Packet::Open(
                serde_json::from_str(data).map_err(|e| DecodeError::Handshake(e.to_string()))?,
            ),
            '1' => Packet::Close,
            '2' => Packet::Ping(optional(data)),
            '3' => Packet::Pong(optional(data)),
            '4' => Packet::Message(data.into()),
            '5' => Packet::Upgrade,
            '6' => Packet::Noop,
            other => return Err(DecodeError::UnknownPacketType(other)),
        })
    }

    /// Decodes a text packet that arrived as an owned string, reusing its allocation
    /// for messages (the common case on websocket).
    pub fn decode_owned(mut text: String) -> Result<Packet, DecodeError> {
        if text.as_bytes().first() == Some(&b'4') {
            text.remove(0);
            return Ok(Packet::Message(text.into()));
        }
        Packet::decode_text(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_text_type() {
        assert_eq!(Packet::decode_text("1").unwrap(), Packet::Close);
        assert_eq!(Packet::decode_text("2").unwrap(), Packet::Ping(None));
        assert_eq!(
            Packet::decode_text("2probe").unwrap(),
            Packet::Ping(Some("probe".into()))
        );
        assert_eq!(
            Packet::decode_text("3probe").unwrap(),
            Packet::Pong(Some("probe".into()))
        );
        assert_eq!(
            Packet::decode_text("4hello").unwrap(),
            Packet::Message("hello".into())
        );
        assert_eq!(Packet::decode_text("5").unwrap(), Packet::Upgrade);
        assert_eq!(Packet::decode_text("6").unwrap(), Packet::Noop);
    }

    #[test]
    fn decodes_the_protocol_documents_open_packet() {
        let open = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        let Packet::Open(handshake) = Packet::decode_text(open).unwrap() else {
            panic!("not an open packet")
        };
        assert_eq!(handshake.sid, "lv_VI97HAXpY6yYWAAAC");
        assert_eq!(handshake.upgrades, ["websocket"]);
        assert_eq!(handshake.ping_interval, 25000);
        assert_eq!(handshake.ping_timeout, 20000);
        assert_eq!(handshake.max_payload, Some(1_000_000));
    }

    #[test]
    fn rejects_bad_input_with_typed_errors() {
        assert_eq!(Packet::decode_text(""), Err(DecodeError::Empty));
        assert_eq!(
            Packet::decode_text("9"),
            Err(DecodeError::UnknownPacketType('9'))
        );
        assert!(matches!(
            Packet::decode_text("0{not json"),
            Err(DecodeError::Handshake(_))
        ));
    }

    #[test]
    fn encodes_round_trip() {
        for packet in [
            Packet::Close,
            Packet::Ping(None),
            Packet::Pong(Some("probe".into())),
            Packet::Message("héllo".into()),
            Packet::Upgrade,
            Packet::Noop,
        ] {
            assert_eq!(Packet::decode_text(&packet.encode_text()).unwrap(), packet);
        }
        assert_eq!(
            Packet::decode_owned("4abc".to_owned()).unwrap(),
            Packet::Message("abc".into())
        );
    }
}
