//! Arguments: how Rust values become Socket.IO arguments and back.
//!
//! One rule everywhere: a tuple is several arguments, `()` none, anything else one.
//! Byte strings (`bytes::Bytes`, `serde_bytes`) become binary attachments wherever
//! they sit, and attachments deserialize into them.

pub(crate) mod de;
pub(crate) mod payload;
mod reply;
pub(crate) mod ser;
mod whole;

use bytes::Bytes;
use serde::Serialize;

use crate::packet::{encode_header, PacketType};
use ser::{Collector, Shape};

pub use payload::Payload;
pub(crate) use reply::{deserialize_reply, with_payload_args};
pub(crate) use whole::take as take_whole;

/// Arguments encoded as JSON text (comma-separated, no brackets) plus attachments.
#[derive(Debug, Clone)]
pub(crate) struct EncodedArgs {
    pub(crate) args: String,
    pub(crate) attachments: Vec<Bytes>,
}

/// Encodes `data` as a comma-separated argument list.
pub(crate) fn encode_args<T: Serialize + ?Sized>(
    data: &T,
) -> Result<EncodedArgs, serde_json::Error> {
    let collector = Collector::new();
    let mut body = Vec::with_capacity(64);
    ser::to_json_with_attachments(data, &mut body, &collector)?;
    let range = match collector.shape() {
        Shape::Nothing => 0..0,
        Shape::Tuple => 1..body.len().saturating_sub(1).max(1),
        Shape::One => 0..body.len(),
    };
    body.truncate(range.end);
    body.drain(..range.start);
    let args = String::from_utf8(body).map_err(serde::ser::Error::custom)?;
    Ok(EncodedArgs {
        args,
        attachments: collector.into_attachments(),
    })
}

/// A packet ready for the Engine.IO layer: its text, then its attachments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outgoing {
    pub(crate) text: String,
    pub(crate) attachments: Vec<Bytes>,
}

/// An EVENT (or BINARY_EVENT) packet.
pub(crate) fn encode_event<T: Serialize + ?Sized>(
    namespace: &str,
    id: Option<u64>,
    event: &str,
    data: &T,
) -> Result<Outgoing, serde_json::Error> {
    encode_packet(PacketType::Event, namespace, id, Some(event), data)
}

/// An ACK (or BINARY_ACK) packet.
pub(crate) fn encode_ack<T: Serialize + ?Sized>(
    namespace: &str,
    id: u64,
    data: &T,
) -> Result<Outgoing, serde_json::Error> {
    encode_packet(PacketType::Ack, namespace, Some(id), None, data)
}

/// Writes the packet in one buffer: header, `[`, event name, then the data serialized
/// in place. A top-level tuple's brackets are removed after the fact, `()` leaves no
/// argument, and only a packet with attachments has its header rewritten.
fn encode_packet<T: Serialize + ?Sized>(
    kind: PacketType,
    namespace: &str,
    id: Option<u64>,
    event: Option<&str>,
    data: &T,
) -> Result<Outgoing, serde_json::Error> {
    let mut buf = Vec::with_capacity(72 + namespace.len() + event.map_or(0, str::len));
    encode_header(kind, 0, namespace, id, &mut Utf8Writer(&mut buf));
    let header_len = buf.len();
    buf.push(b'[');
    if let Some(event) = event {
        push_json_string(event, &mut buf)?;
    }
    // Where the arguments start (a comma after the event name goes with them).
    let args_start = buf.len();
    if event.is_some() {
        buf.push(b',');
    }
    let value_start = buf.len();
    let collector = Collector::new();
    ser::to_json_with_attachments(data, &mut buf, &collector)?;
    match collector.shape() {
        Shape::Nothing => buf.truncate(args_start),
        Shape::Tuple => {
            buf.pop(); // the tuple's `]`
            buf.remove(value_start); // and its `[`
            if buf.len() == value_start {
                buf.truncate(args_start);
            }
        }
        Shape::One => {}
    }
    buf.push(b']');
    let attachments = collector.into_attachments();
    if !attachments.is_empty() {
        let binary = match kind {
            PacketType::Ack => PacketType::BinaryAck,
            _ => PacketType::BinaryEvent,
        };
        let mut binary_header = String::with_capacity(header_len + 4);
        encode_header(binary, attachments.len(), namespace, id, &mut binary_header);
        buf.splice(..header_len, binary_header.bytes());
    }
    let text = String::from_utf8(buf).map_err(serde::ser::Error::custom)?;
    Ok(Outgoing { text, attachments })
}

/// An EVENT packet from arguments encoded earlier (to send them again with a new id).
pub(crate) fn encode_event_from_args(
    namespace: &str,
    id: Option<u64>,
    event: &str,
    args: EncodedArgs,
) -> Result<Outgoing, serde_json::Error> {
    encode_packet_from_args(PacketType::Event, namespace, id, Some(event), args)
}

fn encode_packet_from_args(
    kind: PacketType,
    namespace: &str,
    id: Option<u64>,
    event: Option<&str>,
    EncodedArgs { args, attachments }: EncodedArgs,
) -> Result<Outgoing, serde_json::Error> {
    let kind = match (kind, attachments.is_empty()) {
        (PacketType::Event, false) => PacketType::BinaryEvent,
        (PacketType::Ack, false) => PacketType::BinaryAck,
        (kind, _) => kind,
    };
    let mut text =
        String::with_capacity(8 + namespace.len() + event.map_or(0, str::len) + args.len());
    encode_header(kind, attachments.len(), namespace, id, &mut text);
    text.push('[');
    if let Some(event) = event {
        text.push_str(&serde_json::to_string(event)?);
        if !args.is_empty() {
            text.push(',');
        }
    }
    text.push_str(&args);
    text.push(']');
    Ok(Outgoing { text, attachments })
}

/// Lets `fmt::Write` code write UTF-8 straight into a byte buffer.
struct Utf8Writer<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Utf8Writer<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn push_json_string(text: &str, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(out, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn event<T: Serialize + ?Sized>(data: &T) -> Outgoing {
        encode_event("/", None, "ev", data).unwrap()
    }

    #[test]
    fn tuples_are_several_arguments_and_unit_none() {
        assert_eq!(event(&()).text, r#"2["ev"]"#);
        assert_eq!(event(&("a", 1)).text, r#"2["ev","a",1]"#);
        assert_eq!(
            event(&(json!({"x": [1, 2]}),)).text,
            r#"2["ev",{"x":[1,2]}]"#
        );
        assert_eq!(event(&vec![1, 2]).text, r#"2["ev",[1,2]]"#);
        assert_eq!(event("text").text, r#"2["ev","text"]"#);
        assert_eq!(
            event(&json!({"foo": "bar"})).text,
            r#"2["ev",{"foo":"bar"}]"#
        );
        assert_eq!(event(&None::<i32>).text, r#"2["ev",null]"#);
        assert_eq!(
            encode_event("/chat", Some(7), "a \"b\"", &1).unwrap().text,
            r#"2/chat,7["a \"b\"",1]"#
        );
        assert_eq!(encode_ack("/", 3, &()).unwrap().text, "33[]");
        assert_eq!(
            encode_ack("/x", 3, &("ok", 123)).unwrap().text,
            r#"3/x,3["ok",123]"#
        );
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Upload {
        name: String,
        data: Bytes,
        parts: Vec<Bytes>,
        maybe: Option<Bytes>,
    }

    #[test]
    fn bytes_become_attachments_anywhere_and_come_back() {
        let upload = Upload {
            name: "f".into(),
            data: Bytes::from_static(b"\x01\x02"),
            parts: vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")],
            maybe: Some(Bytes::from_static(b"c")),
        };
        let out =
            encode_event("/", Some(1), "up", &(Bytes::from_static(b"\xff"), &upload)).unwrap();
        assert_eq!(
            out.text,
            concat!(
                r#"55-1["up",{"_placeholder":true,"num":0},"#,
                r#"{"name":"f","data":{"_placeholder":true,"num":1},"#,
                r#""parts":[{"_placeholder":true,"num":2},{"_placeholder":true,"num":3}],"#,
                r#""maybe":{"_placeholder":true,"num":4}}]"#
            )
        );
        assert_eq!(out.attachments.len(), 5);

        let payload = Payload::new(&(Bytes::from_static(b"\xff"), &upload)).unwrap();
        assert_eq!(
            payload.get::<Bytes>(0).unwrap(),
            Bytes::from_static(b"\xff")
        );
        assert_eq!(payload.get::<Upload>(1).unwrap(), upload);
        assert_eq!(payload.get::<Vec<u8>>(0).unwrap(), vec![0xff]);
        // Serializing the payload again gives the same arguments and binary (JSON
        // objects may list their keys in another order).
        let again = encode_event("/", Some(1), "up", &payload).unwrap();
        assert!(again
            .text
            .starts_with(r#"55-1["up",{"_placeholder":true,"num":0},"#));
        let mut sorted = again.attachments.clone();
        sorted.sort();
        let mut expected = out.attachments.clone();
        expected.sort();
        assert_eq!(sorted, expected);
        let reparsed = Payload::new(&payload).unwrap();
        assert_eq!(reparsed.get::<Upload>(1).unwrap(), upload);
        assert_eq!(
            reparsed.get::<Bytes>(0).unwrap(),
            Bytes::from_static(b"\xff")
        );
    }

    #[test]
    fn missing_arguments_only_fit_options() {
        let payload = Payload::new(&(1,)).unwrap();
        assert_eq!(payload.get::<Option<String>>(1).unwrap(), None);
        assert!(payload.get::<String>(1).is_err());
        assert!(payload.get::<String>(0).is_err());
    }

    #[test]
    fn placeholders_to_missing_attachments_are_errors() {
        let payload = Payload::from_ack(
            r#"[{"_placeholder":true,"num":3}]"#.into(),
            0,
            vec![Bytes::from_static(b"x")],
        );
        assert!(payload.get::<Bytes>(0).is_err());
    }

    #[test]
    fn enums_deserialize_through_placeholders() {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        enum Msg {
            Ping,
            Blob(Bytes),
            Named { data: Bytes },
        }
        for msg in [
            Msg::Ping,
            Msg::Blob(Bytes::from_static(b"z")),
            Msg::Named {
                data: Bytes::from_static(b"y"),
            },
        ] {
            let payload = Payload::new(&msg).unwrap();
            assert_eq!(payload.get::<Msg>(0).unwrap(), msg);
        }
    }
}
