//! What a `call()` returns, deserialized from the ack's [`Payload`]: the shape of the
//! wanted type (a tuple, `()`, anything else) decides which arguments it is read from.

use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use super::de::{ArgDeserializer, Missing};
use super::ser::Shape;
use super::Payload;

type Error = serde_json::Error;

/// Deserializes what a `call()` returns: a [`Payload`] or a tuple from all arguments
/// (missing ones only fit `Option`s), `()` from none, anything else from the first
/// argument.
pub(crate) fn deserialize_reply<R: serde::de::DeserializeOwned>(
    payload: &Payload,
) -> Result<R, serde_json::Error> {
    if let Some(whole) = super::whole::take(payload) {
        return whole;
    }
    match probe_shape::<R>() {
        Shape::Nothing => R::deserialize(serde::de::value::UnitDeserializer::new()),
        Shape::Tuple if payload.attachments().is_empty() => R::deserialize(PayloadArgs {
            payload,
            values: None,
        }),
        Shape::Tuple => {
            let values = payload.to_values();
            R::deserialize(PayloadArgs {
                payload,
                values: Some(&values),
            })
        }
        Shape::One => payload.deserialize_arg(0),
    }
}

/// Runs `f` with a deserializer of all the payload's arguments as a sequence (a tuple),
/// placeholders resolved: the typed events' and requests' `deserialize_args`.
pub(crate) fn with_payload_args<T>(
    payload: &Payload,
    f: impl FnOnce(PayloadArgs<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    if payload.attachments().is_empty() {
        return f(PayloadArgs {
            payload,
            values: None,
        });
    }
    let values = payload.to_values();
    f(PayloadArgs {
        payload,
        values: Some(&values),
    })
}

/// Finds out whether `R` deserializes from a tuple, from unit, or from anything else.
fn probe_shape<R: serde::de::DeserializeOwned>() -> Shape {
    let probe = ShapeProbe::default();
    let _ = R::deserialize(&probe);
    probe.shape()
}

/// Records which shape a type asks to deserialize from, then stops it with an error.
struct ShapeProbe(std::cell::Cell<Shape>);

impl Default for ShapeProbe {
    fn default() -> Self {
        ShapeProbe(std::cell::Cell::new(Shape::One))
    }
}

impl ShapeProbe {
    fn shape(&self) -> Shape {
        self.0.get()
    }

    fn stop<T>(&self, shape: Shape) -> Result<T, Error> {
        self.0.set(shape);
        Err(de::Error::custom("shape probe"))
    }
}

impl<'de> Deserializer<'de> for &ShapeProbe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        self.stop(Shape::One)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        self.stop(Shape::Nothing)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        self.stop(Shape::Tuple)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit_struct newtype_struct seq tuple_struct map struct enum identifier ignored_any
    }
}

/// All arguments of a payload as a sequence (for tuples); missing ones deserialize
/// as [`Missing`], so trailing `Option`s may be left out by the sender.
pub(crate) struct PayloadArgs<'a> {
    payload: &'a Payload,
    /// The arguments parsed, when placeholders must be resolved.
    values: Option<&'a [Value]>,
}

impl<'de> Deserializer<'de> for PayloadArgs<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let len = self.payload.len();
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(PayloadSeq {
            len: len.max(self.payload.len()),
            args: self,
            index: 0,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple_struct map struct enum identifier ignored_any
    }
}

struct PayloadSeq<'a> {
    args: PayloadArgs<'a>,
    index: usize,
    len: usize,
}

impl<'de> SeqAccess<'de> for PayloadSeq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.index >= self.len {
            return Ok(None);
        }
        let index = self.index;
        self.index += 1;
        let payload = self.args.payload;
        match self.args.values {
            Some(values) => match values.get(index) {
                Some(value) => seed
                    .deserialize(ArgDeserializer {
                        value,
                        attachments: payload.attachments(),
                    })
                    .map(Some),
                None => seed.deserialize(Missing).map(Some),
            },
            None => match payload.deserialize_seed(index, PhantomData::<&RawValue>)? {
                Some(raw) => seed
                    .deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
                    .map(Some),
                None => seed.deserialize(Missing).map(Some),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn the_wanted_shape_picks_the_arguments() {
        let ack = |text: &str| Payload::from_ack(text.to_owned().into(), 0, Vec::new());
        let reply = ack(r#"["ok",2]"#);
        assert_eq!(
            deserialize_reply::<(String, i64)>(&reply).unwrap(),
            ("ok".to_owned(), 2)
        );
        assert_eq!(deserialize_reply::<String>(&reply).unwrap(), "ok");
        deserialize_reply::<()>(&reply).unwrap();
        // Missing trailing arguments only fit `Option`s.
        assert_eq!(
            deserialize_reply::<(String, i64, Option<bool>)>(&reply).unwrap(),
            ("ok".to_owned(), 2, None)
        );
        assert!(deserialize_reply::<(String, i64, bool)>(&reply).is_err());
        assert!(deserialize_reply::<(i64, i64)>(&reply).is_err());
    }

    #[test]
    fn a_tuple_reply_resolves_placeholders() {
        let reply = Payload::from_ack(
            r#"[{"_placeholder":true,"num":0},"x"]"#.into(),
            0,
            vec![Bytes::from_static(b"\x01")],
        );
        let (data, text) = deserialize_reply::<(Bytes, String)>(&reply).unwrap();
        assert_eq!((data, text.as_str()), (Bytes::from_static(b"\x01"), "x"));
        assert_eq!(
            deserialize_reply::<Bytes>(&reply).unwrap(),
            Bytes::from_static(b"\x01")
        );
    }
}
