//! A [`Payload`] parameter or reply type takes every argument: `call::<Payload>`, an ack
//! callback `|args: Payload|`, a handler `|args: Payload|`.
//!
//! `Payload` deserializes as the newtype [`WHOLE`]; a cheap probe finds out whether a
//! wanted type asks for it, and if so the payload itself is handed over (through a
//! thread-local slot, set and emptied around one `deserialize` call), attachments
//! included, instead of an argument deserialized from it.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::Payload;

/// The newtype name under which `Payload` asks for every argument.
const WHOLE: &str = "$socketio::Payload";

thread_local! {
    /// The payload being handed over, between `take` setting it and the visitor taking it.
    static HANDOFF: RefCell<Option<Payload>> = const { RefCell::new(None) };
}

/// `Some(T)` built from every argument of `payload` when `T` is a [`Payload`] (or
/// deserializes as one); `None` for any other type, which takes one argument.
pub(crate) fn take<T: DeserializeOwned>(payload: &Payload) -> Option<Result<T, serde_json::Error>> {
    if !wants_whole::<T>() {
        return None;
    }
    HANDOFF.with(|slot| *slot.borrow_mut() = Some(payload.clone().detached()));
    let result = T::deserialize(de::value::UnitDeserializer::<serde_json::Error>::new());
    HANDOFF.with(|slot| slot.borrow_mut().take());
    Some(result)
}

fn wants_whole<T: DeserializeOwned>() -> bool {
    matches!(T::deserialize(Probe), Err(Stop::Whole))
}

impl<'de> Deserialize<'de> for Payload {
    /// From an event's or an ack's arguments: all of them. From other data (a
    /// `serde_json::Value`, say): a JSON array, one argument per item.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(WHOLE, PayloadVisitor)
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = Payload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the arguments of an event or an ack")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Payload, E> {
        HANDOFF
            .with(|slot| slot.borrow_mut().take())
            .ok_or_else(|| E::invalid_type(de::Unexpected::Unit, &self))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Payload, D::Error> {
        let args = Vec::<Box<RawValue>>::deserialize(deserializer)?;
        let text = serde_json::to_string(&args).map_err(de::Error::custom)?;
        Ok(Payload::from_ack(text.into(), 0, Vec::new()))
    }
}

/// What the probe stops a type's deserialization with.
#[derive(Debug)]
enum Stop {
    /// The type asked for every argument.
    Whole,
    /// Anything else.
    Other,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probe")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        Stop::Other
    }
}

/// Answers every request with an error, and tells `Payload`'s apart; allocates nothing.
struct Probe;

impl<'de> Deserializer<'de> for Probe {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Stop> {
        Err(Stop::Other)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        Err(if name == WHOLE {
            Stop::Whole
        } else {
            Stop::Other
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_takes_every_argument_and_nothing_else_does() {
        let ack = Payload::from_ack(r#"[1,"two",{"three":3}]"#.to_owned().into(), 0, Vec::new());
        let whole: Payload = take(&ack).unwrap().unwrap();
        assert_eq!(whole.len(), 3);
        assert_eq!(whole.get::<String>(1).unwrap(), "two");
        assert!(take::<String>(&ack).is_none());
        assert!(take::<(i64, String)>(&ack).is_none());
        assert!(take::<serde_json::Value>(&ack).is_none());
        // The slot is empty again: a payload elsewhere is read from a JSON array.
        let from_json: Payload = serde_json::from_str(r#"[1,2]"#).unwrap();
        assert_eq!(from_json.get::<i64>(1).unwrap(), 2);
        assert!(serde_json::from_str::<Payload>("null").is_err());
    }
}
