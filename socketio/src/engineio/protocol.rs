//! The Engine.IO revisions: the one the user asks for ([`Protocol`]), and the one a
//! session settles on when its handshake succeeds ([`Dialect`]).
//!
//! Every difference between v3 and v4 that the transports and the driver meet is a
//! method of [`Dialect`]: they ask it, and never compare protocol versions themselves.

use super::packet::Packet;
use super::payload;
use crate::error::DecodeError;

/// Which Engine.IO protocol revision to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// Engine.IO v4 (Socket.IO 3 and later servers), falling back to v3 when the
    /// server turns out to speak only v3 (Socket.IO 2.x): over polling by its handshake,
    /// over websocket by an `open` packet without `maxPayload` followed at once by the
    /// server's own CONNECT for `/` (the session then continues in v3).
    #[default]
    Auto,
    /// Engine.IO v4 only.
    V4,
    /// Engine.IO v3 with Socket.IO protocol 4: Socket.IO 2.x servers, and later ones
    /// started with `allowEIO3`.
    V3,
}

impl Protocol {
    /// The `EIO` query value.
    pub fn eio(self) -> u8 {
        Dialect::first_for(self) as u8
    }
}

/// The Engine.IO revision one handshake speaks, and once it succeeds, the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Engine.IO v3: the client pings, polling payloads are length-prefixed, binary
    /// websocket frames start with the message type.
    V3 = 3,
    /// Engine.IO v4: the server pings, polling payloads are joined by `\x1e`, binary
    /// websocket frames carry the data alone.
    V4 = 4,
}

impl Dialect {
    /// The revision the first handshake speaks for the user's choice (v4 for `Auto`).
    pub(crate) fn first_for(protocol: Protocol) -> Dialect {
        match protocol {
            Protocol::V3 => Dialect::V3,
            Protocol::Auto | Protocol::V4 => Dialect::V4,
        }
    }

    /// The revision as the public [`Protocol`] (never `Auto`).
    pub(crate) fn protocol(self) -> Protocol {
        match self {
            Dialect::V3 => Protocol::V3,
            Dialect::V4 => Protocol::V4,
        }
    }

    /// The revision of a websocket session opened in v4 whose `open` packet has no
    /// `maxPayload`, by the first packet that followed it (`None`: none came in time).
    /// An Engine.IO 3 server (Socket.IO 2.x) connects `/` by itself at once, with a
    /// message; an Engine.IO 4 server sends no message before the client's CONNECT.
    pub(crate) fn after_open_without_max_payload(first: Option<&Packet>) -> Dialect {
        match first {
            Some(Packet::Message(_)) => Dialect::V3,
            _ => Dialect::V4,
        }
    }

    /// The `EIO` query value.
    pub(crate) fn eio(self) -> &'static str {
        match self {
            Dialect::V3 => "3",
            Dialect::V4 => "4",
        }
    }

    /// Whether polling requests ask for binary as base64 text (`b64=1`), so that every
    /// payload is one kind of body: a v3 server would otherwise answer with a binary
    /// payload; v4 payloads are always text.
    pub(crate) fn asks_base64(self) -> bool {
        self == Dialect::V3
    }

    /// Whether the client sends the heartbeat pings, every `pingInterval`, and the
    /// server's pongs are what proves it alive (v3); in v4 the server pings.
    #[inline]
    pub(crate) fn client_pings(self) -> bool {
        self == Dialect::V3
    }

    /// The byte a binary websocket frame starts with before the data: the message
    /// type (4, as a number) in v3, nothing in v4.
    #[inline]
    pub(crate) fn binary_frame_prefix(self) -> Option<u8> {
        match self {
            Dialect::V3 => Some(4),
            Dialect::V4 => None,
        }
    }

    /// Appends one packet to a polling payload under construction.
    pub(crate) fn encode_payload_into(self, packet: &Packet, out: &mut String) {
        match self {
            Dialect::V3 => payload::encode_v3_into(packet, out),
            Dialect::V4 => payload::encode_into(packet, out),
        }
    }

    /// The packets of a polling payload, in order. A v4 payload reports each bad record
    /// in its place, after the good ones before it; a v3 payload, whose records are
    /// framed by their length, is one error when any of it is bad.
    pub(crate) fn decode_payload(self, body: &str) -> Vec<Result<Packet, DecodeError>> {
        match self {
            Dialect::V3 => match payload::decode_v3(body) {
                Ok(packets) => packets.into_iter().map(Ok).collect(),
                Err(error) => vec![Err(error)],
            },
            Dialect::V4 => payload::decode(body).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn auto_and_v4_start_as_v4_and_v3_as_v3() {
        assert_eq!(Dialect::first_for(Protocol::Auto), Dialect::V4);
        assert_eq!(Dialect::first_for(Protocol::V4), Dialect::V4);
        assert_eq!(Dialect::first_for(Protocol::V3), Dialect::V3);
        assert_eq!(Dialect::V3.protocol(), Protocol::V3);
        assert_eq!(Dialect::V4.protocol(), Protocol::V4);
        assert_eq!(
            [Protocol::Auto, Protocol::V4, Protocol::V3].map(Protocol::eio),
            [4, 4, 3]
        );
        assert_eq!((Dialect::V3.eio(), Dialect::V4.eio()), ("3", "4"));
    }

    #[test]
    fn a_message_right_after_an_open_without_max_payload_is_a_v3_server() {
        assert_eq!(
            Dialect::after_open_without_max_payload(Some(&Packet::Message("0".into()))),
            Dialect::V3
        );
        assert_eq!(Dialect::after_open_without_max_payload(None), Dialect::V4);
        assert_eq!(
            Dialect::after_open_without_max_payload(Some(&Packet::Ping(None))),
            Dialect::V4
        );
    }

    #[test]
    fn v3_is_the_client_pinging_base64_polling_prefixed_binary_revision() {
        assert!(Dialect::V3.client_pings() && !Dialect::V4.client_pings());
        assert!(Dialect::V3.asks_base64() && !Dialect::V4.asks_base64());
        assert_eq!(Dialect::V3.binary_frame_prefix(), Some(4));
        assert_eq!(Dialect::V4.binary_frame_prefix(), None);
    }

    #[test]
    fn payloads_round_trip_in_each_dialect() {
        let packets = [
            Packet::Message("héllo".into()),
            Packet::Binary(Bytes::from_static(&[1, 2, 3])),
            Packet::Ping(None),
        ];
        for (dialect, expected) in [
            (Dialect::V4, "4héllo\x1ebAQID\x1e2"),
            (Dialect::V3, "6:4héllo6:b4AQID1:2"),
        ] {
            let mut body = String::new();
            for packet in &packets {
                dialect.encode_payload_into(packet, &mut body);
            }
            assert_eq!(body, expected, "{dialect:?}");
            let decoded: Vec<_> = dialect.decode_payload(&body);
            assert_eq!(decoded, packets.clone().map(Ok), "{dialect:?}");
        }
    }

    #[test]
    fn bad_payloads_are_reported_in_place_in_v4_and_whole_in_v3() {
        assert_eq!(
            Dialect::V4.decode_payload("4ok\x1ez"),
            [
                Ok(Packet::Message("ok".into())),
                Err(DecodeError::UnknownPacketType('z'))
            ]
        );
        assert_eq!(Dialect::V3.decode_payload("3:4ok9:4").len(), 1);
        assert!(Dialect::V3.decode_payload("3:4ok9:4")[0].is_err());
    }
}
