//! Binary attachments: a binary packet's text announces N attachments, which arrive
//! as the next N binary messages; the data refers to them by placeholders
//! `{"_placeholder":true,"num":i}`.

use bytes::Bytes;
use serde_json::Value;

use crate::engineio::Text;
use crate::error::DecodeError;

/// The attachment a JSON value stands for, if it is a placeholder
/// `{"_placeholder":true,"num":i}`: `i`.
#[inline]
pub(crate) fn placeholder(value: &Value) -> Option<u64> {
    let object = value.as_object()?;
    if object.len() == 2 && object.get("_placeholder")? == &Value::Bool(true) {
        object.get("num")?.as_u64()
    } else {
        None
    }
}

/// Collects the attachments of one binary packet at a time.
#[derive(Debug, Default)]
pub struct Reassembler {
    pending: Option<Pending>,
    max_bytes: usize,
}

#[derive(Debug)]
struct Pending {
    text: Text,
    expected: usize,
    attachments: Vec<Bytes>,
    bytes: usize,
}

/// A binary packet with all its attachments.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembled {
    /// The packet's text (header and data).
    pub text: Text,
    /// The attachments, in order.
    pub attachments: Vec<Bytes>,
}

impl Reassembler {
    /// A reassembler that holds at most `max_bytes` of attachments for one packet.
    pub fn new(max_bytes: usize) -> Self {
        Reassembler {
            pending: None,
            max_bytes,
        }
    }

    /// Whether a packet is waiting for attachments.
    pub fn is_waiting(&self) -> bool {
        self.pending.is_some()
    }

    /// Starts a packet that announced `expected` (at least one, already bounded) attachments.
    /// A packet still waiting is dropped: the peer broke the protocol, and the error says so.
    pub fn start(&mut self, text: Text, expected: usize) -> Result<(), DecodeError> {
        let interrupted = self.pending.is_some();
        self.pending = Some(Pending {
            text,
            expected,
            // Never sized by the peer's claim beyond a small bound.
            attachments: Vec::with_capacity(expected.min(8)),
            bytes: 0,
        });
        if interrupted {
            Err(DecodeError::Data(
                "a binary packet was interrupted by another packet".into(),
            ))
        } else {
            Ok(())
        }
    }

    /// Adds the next attachment; returns the packet once it is complete.
    pub fn push(&mut self, data: Bytes) -> Result<Option<Assembled>, DecodeError> {
        let pending = self.pending.as_mut().ok_or(DecodeError::UnexpectedBinary)?;
        pending.bytes += data.len();
        if pending.bytes > self.max_bytes {
            let size = pending.bytes as u64;
            self.pending = None;
            return Err(DecodeError::TooLarge {
                what: "attachments",
                size,
                limit: self.max_bytes as u64,
            });
        }
        pending.attachments.push(data);
        if pending.attachments.len() < pending.expected {
            return Ok(None);
        }
        let done = self.pending.take().expect("checked above");
        Ok(Some(Assembled {
            text: done.text,
            attachments: done.attachments,
        }))
    }

    /// Forgets a partial packet (the connection is gone).
    pub fn reset(&mut self) {
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembles_in_order() {
        let mut r = Reassembler::new(100);
        r.start("52-[\"a\"]".into(), 2).unwrap();
        assert_eq!(r.push(Bytes::from_static(b"x")).unwrap(), None);
        let done = r.push(Bytes::from_static(b"yz")).unwrap().unwrap();
        assert_eq!(
            done.attachments,
            [Bytes::from_static(b"x"), Bytes::from_static(b"yz")]
        );
        assert!(!r.is_waiting());
    }

    #[test]
    fn stray_binary_and_too_much_data_are_errors() {
        let mut r = Reassembler::new(4);
        assert_eq!(
            r.push(Bytes::from_static(b"x")),
            Err(DecodeError::UnexpectedBinary)
        );
        r.start("51-[]".into(), 1).unwrap();
        assert!(matches!(
            r.push(Bytes::from_static(b"12345")),
            Err(DecodeError::TooLarge { .. })
        ));
        assert!(!r.is_waiting());
    }

    #[test]
    fn placeholders_are_exactly_two_fields() {
        use serde_json::json;
        assert_eq!(
            placeholder(&json!({"_placeholder": true, "num": 3})),
            Some(3)
        );
        assert_eq!(
            placeholder(&json!({"num": 3, "_placeholder": true})),
            Some(3)
        );
        for other in [
            json!({"_placeholder": false, "num": 3}),
            json!({"_placeholder": true, "num": -1}),
            json!({"_placeholder": true, "num": 3, "more": 1}),
            json!({"_placeholder": true}),
            json!([true, 3]),
            json!(3),
        ] {
            assert_eq!(placeholder(&other), None, "{other}");
        }
    }

    #[test]
    fn an_interrupted_packet_is_reported() {
        let mut r = Reassembler::new(100);
        r.start("51-[]".into(), 1).unwrap();
        assert!(r.start("51-[]".into(), 1).is_err());
        assert!(r.push(Bytes::from_static(b"x")).unwrap().is_some());
    }
}
