//! [`Payload`]: an event's arguments as they arrived, typed on access.
//!
//! The packet's JSON array is kept as received (no per-argument copy); an argument is
//! deserialized straight from it when asked for, so a handler's parameter is parsed
//! once, directly into its type.

use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::{Deserialize, DeserializeOwned, DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::Serialize;
use serde_json::value::RawValue;

use super::de::{ArgDeserializer, Missing, WithAttachments};
use crate::engineio::Text;
use crate::error::Error;

/// The arguments of one event (or ack), as received: kept as the packet's raw JSON
/// and deserialized on access, with binary placeholders resolved against the
/// attachments.
///
/// A `Payload` serializes as its arguments again (a tuple), binary included, so it can
/// be emitted or returned as an ack unchanged. As a handler's parameter (`|args:
/// Payload|`), an ack callback's, or [`call`](crate::AsyncSocket::call)'s reply type
/// (`call::<_, Payload>`), it takes every argument.
///
/// ```
/// # fn main() -> Result<(), socketio::Error> {
/// let payload = socketio::Payload::new(&("hello", 42))?;
/// assert_eq!(payload.len(), 2);
/// assert_eq!(payload.get::<String>(0)?, "hello");
/// assert_eq!(payload.get::<i64>(1)?, 42);
/// assert_eq!(payload.get::<Option<i64>>(2)?, None);
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Payload {
    /// Holds, from `start` on, a JSON array: `skip` leading items, then the arguments.
    text: Text,
    start: usize,
    /// 1 when the array starts with the event's name.
    skip: usize,
    /// Where the arguments' walk starts, when known: just after the `[` when `skip` is 0,
    /// just after the event's name when it is 1. Spares a typed handler parsing the name
    /// again for each parameter.
    args_at: Option<usize>,
    attachments: Vec<Bytes>,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("args", &self.raw_args())
            .field("attachments", &self.attachments.len())
            .finish()
    }
}

impl Payload {
    /// The arguments `data` stands for (a tuple is several, `()` none), as a receiver sees them.
    pub fn new<T: Serialize + ?Sized>(data: &T) -> Result<Self, Error> {
        let encoded = super::encode_args(data)?;
        Ok(Payload {
            text: format!("[{}]", encoded.args).into(),
            start: 0,
            skip: 0,
            args_at: Some(1),
            attachments: encoded.attachments,
        })
    }

    /// The arguments of an EVENT whose JSON array (name first) starts at `start` in `text`.
    pub(crate) fn from_event(text: Text, start: usize, attachments: Vec<Bytes>) -> Self {
        Payload {
            text,
            start,
            skip: 1,
            args_at: None,
            attachments,
        }
    }

    /// The arguments of an EVENT, as [`from_event`](Self::from_event), whose name `name`
    /// (from [`event_name`]) tells where the arguments start.
    pub(crate) fn from_named_event(
        text: Text,
        start: usize,
        name: &EventName,
        attachments: Vec<Bytes>,
    ) -> Self {
        let args_at = match name {
            // After the closing quote.
            EventName::InText(span) => Some(span.end + 1),
            EventName::Owned(_) => None,
        };
        Payload {
            args_at,
            ..Payload::from_event(text, start, attachments)
        }
    }

    /// The arguments of an ACK whose JSON array starts at `start` in `text`.
    pub(crate) fn from_ack(text: Text, start: usize, attachments: Vec<Bytes>) -> Self {
        let args_at = (text.as_bytes().get(start) == Some(&b'[')).then_some(start + 1);
        Payload {
            text,
            start,
            skip: 0,
            args_at,
            attachments,
        }
    }

    /// The payload with its text in a buffer of its own, for handing to the application,
    /// which may keep it: a received payload shares the websocket read buffer its frame
    /// came in (a few KiB), which the application should not keep alive for a small event.
    pub(crate) fn detached(self) -> Self {
        Payload {
            text: self.text.detached(),
            ..self
        }
    }

    /// The bytes this payload holds (its text and attachments).
    pub(crate) fn byte_size(&self) -> usize {
        self.text.len() + self.attachments.iter().map(Bytes::len).sum::<usize>()
    }

    fn array(&self) -> &str {
        &self.text[self.start..]
    }

    /// Deserializes item `index` of the array (after the skipped ones) with `seed`;
    /// `None` when the array is shorter (or there is none).
    fn nth<'a, S: DeserializeSeed<'a>>(
        &'a self,
        index: usize,
        seed: S,
    ) -> Result<Option<S::Value>, serde_json::Error> {
        if self.array().is_empty() {
            return Ok(None);
        }
        let mut deserializer = serde_json::Deserializer::from_str(self.array());
        Nth {
            index: self.skip + index,
            seed,
        }
        .deserialize(&mut deserializer)
    }

    /// Argument `index`, as [`nth`](Self::nth) finds it, but walking the arguments from
    /// where they start when that is known: each item parsed once by serde_json, the
    /// separators checked here, and the array still checked to its end.
    fn item<'a, T: Deserialize<'a>>(
        &'a self,
        index: usize,
    ) -> Result<Option<T>, serde_json::Error> {
        let Some(mut at) = self.args_at else {
            return self.nth(index, PhantomData::<T>);
        };
        #[derive(Clone, Copy)]
        enum At {
            Start,
            AfterItem,
            AfterComma,
        }
        let text: &'a str = &self.text;
        let bytes = text.as_bytes();
        let mut state = if self.skip == 0 {
            At::Start
        } else {
            At::AfterItem
        };
        let (mut item, mut found) = (0, None);
        loop {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
                at += 1;
            }
            match (state, bytes.get(at)) {
                (At::Start | At::AfterItem, Some(b']')) => return Ok(found),
                (At::AfterItem, Some(b',')) => {
                    at += 1;
                    state = At::AfterComma;
                    continue;
                }
                (At::AfterItem, _) => {
                    return Err(serde::de::Error::custom(
                        "expected `,` or `]` after an argument",
                    ))
                }
                _ => {}
            }
            let rest = text.get(at..).unwrap_or_default();
            at += if item == index {
                let (value, len) = first_value::<T>(rest)?;
                found = Some(value);
                len
            } else {
                first_value::<IgnoredAny>(rest)?.1
            };
            item += 1;
            state = At::AfterItem;
        }
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        if self.array().is_empty() {
            return 0;
        }
        let mut deserializer = serde_json::Deserializer::from_str(self.array());
        Count
            .deserialize(&mut deserializer)
            .map_or(0, |n| n.saturating_sub(self.skip))
    }

    /// Whether there is no argument.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Argument `index`, deserialized. A missing argument deserializes only into an `Option`.
    pub fn get<T: DeserializeOwned>(&self, index: usize) -> Result<T, Error> {
        Ok(self.deserialize_arg(index)?)
    }

    pub(crate) fn deserialize_arg<T: DeserializeOwned>(
        &self,
        index: usize,
    ) -> Result<T, serde_json::Error> {
        if self.attachments.is_empty() {
            return match self.item::<T>(index)? {
                Some(value) => Ok(value),
                None => T::deserialize(Missing),
            };
        }
        match self.item::<serde_json::Value>(index)? {
            Some(value) => T::deserialize(ArgDeserializer {
                value: &value,
                attachments: &self.attachments,
            }),
            None => T::deserialize(Missing),
        }
    }

    /// Deserializes argument `index` with a seed (for `call()` replies).
    pub(crate) fn deserialize_seed<'a, S: DeserializeSeed<'a>>(
        &'a self,
        index: usize,
        seed: S,
    ) -> Result<Option<S::Value>, serde_json::Error> {
        self.nth(index, seed)
    }

    /// Argument `index` as raw JSON (binary appears as placeholders).
    pub fn raw(&self, index: usize) -> Option<&RawValue> {
        self.item::<&RawValue>(index).ok().flatten()
    }

    /// Every argument as raw JSON.
    fn raw_args(&self) -> Vec<&RawValue> {
        if self.array().is_empty() {
            return Vec::new();
        }
        let all: Vec<&RawValue> = serde_json::from_str(self.array()).unwrap_or_default();
        all.into_iter().skip(self.skip).collect()
    }

    /// The last argument's raw JSON, if any.
    pub(crate) fn last_raw(&self) -> Option<&RawValue> {
        self.raw_args().pop()
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// Every argument as a JSON value (binary appears as placeholders).
    pub fn to_values(&self) -> Vec<serde_json::Value> {
        self.raw_args()
            .into_iter()
            .map(|raw| serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null))
            .collect()
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.attachments == other.attachments
            && self
                .raw_args()
                .iter()
                .map(|raw| raw.get())
                .eq(other.raw_args().iter().map(|raw| raw.get()))
    }
}

impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let args = self.raw_args();
        let mut tuple = serializer.serialize_tuple(args.len())?;
        for raw in args {
            if self.attachments.is_empty() {
                tuple.serialize_element(raw)?;
            } else {
                let value: serde_json::Value =
                    serde_json::from_str(raw.get()).map_err(serde::ser::Error::custom)?;
                tuple.serialize_element(&WithAttachments {
                    value: &value,
                    attachments: &self.attachments,
                })?;
            }
        }
        tuple.end()
    }
}

/// The JSON value at the start of `text`, and how many bytes it takes; the end of the
/// text is an error.
fn first_value<'de, T: Deserialize<'de>>(text: &'de str) -> Result<(T, usize), serde_json::Error> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<T>();
    let value = values
        .next()
        .unwrap_or_else(|| Err(serde::de::Error::custom("the arguments end too early")))?;
    Ok((value, values.byte_offset()))
}

/// Deserializes one item of a JSON array: skips `index` items, deserializes the next
/// with `seed`, then skips the rest (so the array is checked to its end).
struct Nth<S> {
    index: usize,
    seed: S,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nth<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Nth<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of arguments")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        for _ in 0..self.index {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(None);
            }
        }
        let value = seq.next_element_seed(self.seed)?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

/// Counts the items of a JSON array.
struct Count;

impl<'de> DeserializeSeed<'de> for Count {
    type Value = usize;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Count {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut count = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            count += 1;
        }
        Ok(count)
    }
}

/// The name of an EVENT: the first item of its data, which must be a string.
///
/// The common case (no escapes) is read without a JSON parser pass over the arguments.
pub(crate) fn event_name(text: &str, start: usize) -> Result<EventName, serde_json::Error> {
    let data = &text[start..];
    if let Some(rest) = data.strip_prefix("[\"") {
        if let Some(end) = rest.find('"') {
            let name = &rest[..end];
            if !name.contains('\\') && name.bytes().all(|b| b >= 0x20) {
                let after = rest[end + 1..].trim_start();
                if after.starts_with(',') || after.starts_with(']') {
                    let from = start + 2;
                    return Ok(EventName::InText(from..from + end));
                }
            }
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(data);
    let name = Nth {
        index: 0,
        seed: PhantomData::<String>,
    }
    .deserialize(&mut deserializer)?;
    name.map(EventName::Owned)
        .ok_or_else(|| serde::de::Error::custom("an event without a name"))
}

/// An event's name: usually a span of its payload's text (no copy), or its own string
/// when the JSON has escapes (or the event is the client's own, like `connect`).
#[derive(Debug, Clone)]
pub(crate) enum EventName {
    Owned(String),
    /// Bytes of the payload's text.
    InText(std::ops::Range<usize>),
}

impl EventName {
    /// The name, given the payload it came with.
    pub(crate) fn resolve<'a>(&'a self, payload: &'a Payload) -> &'a str {
        match self {
            EventName::Owned(name) => name,
            EventName::InText(span) => payload.text.get(span.clone()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_arrive_exactly_as_sent() {
        // serde_json's default float parser may miss by one unit in the last place; the
        // `float_roundtrip` feature (set in the workspace) makes it exact.
        let text = r#"42["f",-2.5384549201545546e+125,0.1]"#.to_owned();
        let payload = Payload::from_event(text.into(), 2, Vec::new());
        assert_eq!(payload.get::<f64>(0).unwrap(), -2.5384549201545546e125);
        assert_eq!(payload.get::<f64>(1).unwrap(), 0.1);
    }

    #[test]
    fn event_names_fast_and_escaped() {
        let name = |text: &str| {
            let payload = Payload::from_event(text.into(), 2, Vec::new());
            event_name(text, 2).map(|name| name.resolve(&payload).to_owned())
        };
        assert_eq!(name(r#"42["echo",{"a":1}]"#).unwrap(), "echo");
        assert!(matches!(
            event_name(r#"42["echo",{"a":1}]"#, 2).unwrap(),
            EventName::InText(_)
        ));
        assert_eq!(name(r#"42["only"]"#).unwrap(), "only");
        assert_eq!(name(r#"42["a \"b\"",1]"#).unwrap(), "a \"b\"");
        assert_eq!(name(r#"42[ "spaced" , 1]"#).unwrap(), "spaced");
        assert!(name("42[]").is_err());
        assert!(name("42[1]").is_err());
        assert!(name("42{}").is_err());
        assert!(name("42").is_err());
    }

    #[test]
    fn arguments_of_an_event_skip_its_name() {
        let text = r#"42["ev",1,"two",{"three":3}]"#.to_owned();
        let payload = Payload::from_event(text.into(), 2, Vec::new());
        assert_eq!(payload.len(), 3);
        assert_eq!(payload.get::<i64>(0).unwrap(), 1);
        assert_eq!(payload.get::<String>(1).unwrap(), "two");
        assert_eq!(payload.raw(2).unwrap().get(), r#"{"three":3}"#);
        assert_eq!(payload.get::<Option<i64>>(3).unwrap(), None);
        assert!(payload.get::<i64>(3).is_err());
        assert_eq!(payload.to_values().len(), 3);
        assert_eq!(
            payload,
            Payload::new(&(1, "two", serde_json::json!({"three": 3}))).unwrap()
        );
    }

    #[test]
    fn walking_from_the_name_finds_what_a_full_parse_finds() {
        let texts = [
            r#"42["ev",1,"two",{"three":[3]}]"#,
            r#"42["ev"]"#,
            r#"42["ev" , 1 ,	2
 ]"#,
            r#"42["ev",1,]"#,
            r#"42["ev",1 2]"#,
            r#"42["ev",1"#,
            r#"42["ev",1,"#,
            r#"42["ev","]",true,null]"#,
            r#"42["ev",12x]"#,
            r#"42["ev",{"a":}]"#,
        ];
        for text in texts {
            let name = event_name(text, 2);
            let Ok(name) = name else { continue };
            let walked = Payload::from_named_event(text.into(), 2, &name, Vec::new());
            assert!(walked.args_at.is_some(), "{text}");
            let parsed = Payload::from_event(text.into(), 2, Vec::new());
            for index in 0..5 {
                let fast = walked
                    .item::<&RawValue>(index)
                    .map(|v| v.map(RawValue::get));
                let full = parsed.nth(index, PhantomData::<&RawValue>);
                let full = full.map(|v| v.map(RawValue::get));
                assert_eq!(
                    fast.is_ok(),
                    full.is_ok(),
                    "{text} [{index}]: {fast:?} vs {full:?}"
                );
                if let (Ok(fast), Ok(full)) = (fast, full) {
                    assert_eq!(fast, full, "{text} [{index}]");
                }
            }
        }
        for ack in ["[]", "[ ]", "[1]", "[1,2]", "[,1]", "[1,]", "[", "[1"] {
            let walked = Payload::from_ack(ack.into(), 0, Vec::new());
            let parsed = Payload {
                args_at: None,
                ..walked.clone()
            };
            for index in 0..3 {
                let fast = walked.item::<Option<i64>>(index);
                let full = parsed.item::<Option<i64>>(index);
                assert_eq!(fast.is_ok(), full.is_ok(), "{ack} [{index}]");
                if let (Ok(fast), Ok(full)) = (fast, full) {
                    assert_eq!(fast, full, "{ack} [{index}]");
                }
            }
        }
    }

    #[test]
    fn malformed_arrays_are_errors_not_panics() {
        for bad in ["[", "[1,", "[1 2]", "nope", "[\"x\",]"] {
            let payload = Payload::from_ack(bad.into(), 0, Vec::new());
            let _ = payload.len();
            assert!(
                payload.get::<i64>(0).is_err() || payload.get::<i64>(1).is_err(),
                "{bad}"
            );
        }
    }
}
