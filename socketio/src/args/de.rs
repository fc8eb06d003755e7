//! Deserialization of received arguments whose JSON holds binary placeholders:
//! a placeholder deserializes as the attachment's bytes (into `bytes::Bytes`,
//! `serde_bytes`, `Vec<u8>` …), everything else as the JSON it is.

use bytes::Bytes;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use serde_json::{Map, Value};

// Placeholders are the packet layer's: re-exported at the path they had here.
pub(crate) use crate::packet::binary::placeholder;

type Error = serde_json::Error;

/// Deserializes from a JSON value, resolving placeholders against `attachments`.
#[derive(Clone, Copy)]
pub(crate) struct ArgDeserializer<'a> {
    pub(crate) value: &'a Value,
    pub(crate) attachments: &'a [Bytes],
}

impl<'a> ArgDeserializer<'a> {
    fn at(self, value: &'a Value) -> Self {
        ArgDeserializer { value, ..self }
    }

    fn attachment(self) -> Result<Option<&'a Bytes>, Error> {
        match placeholder(self.value) {
            None => Ok(None),
            Some(num) => usize::try_from(num)
                .ok()
                .and_then(|num| self.attachments.get(num))
                .map(Some)
                .ok_or_else(|| de::Error::custom("placeholder refers to a missing attachment")),
        }
    }
}

impl<'de> Deserializer<'de> for ArgDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Array(items) => visitor.visit_seq(Seq {
                items: items.iter(),
                parent: self,
            }),
            Value::Object(map) => match self.attachment()? {
                Some(bytes) => visitor.visit_borrowed_bytes(bytes),
                None => visitor.visit_map(Entries {
                    entries: map.iter(),
                    value: None,
                    parent: self,
                }),
            },
            Value::String(text) => visitor.visit_borrowed_str(text),
            // Scalars carry no placeholder: serde_json knows them best.
            scalar => scalar.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(variant) => visitor.visit_enum(variant.as_str().into_deserializer()),
            Value::Object(map) if map.len() == 1 => {
                let (variant, value) = map.iter().next().expect("one entry");
                visitor.visit_enum(Enum {
                    variant,
                    value: self.at(value),
                })
            }
            other => Err(de::Error::invalid_type(unexpected(other), &"an enum")),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.attachment()? {
            Some(bytes) => visitor.visit_borrowed_bytes(bytes),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.attachment()? {
            // `Vec<u8>` and other sequences of bytes read an attachment byte by byte.
            Some(bytes) => {
                visitor.visit_seq(de::value::SeqDeserializer::new(bytes.iter().copied()))
            }
            None => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, Value>,
    parent: ArgDeserializer<'a>,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(value) => seed.deserialize(self.parent.at(value)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
    parent: ArgDeserializer<'a>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value requested before its key"))?;
        seed.deserialize(self.parent.at(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Enum<'a> {
    variant: &'a str,
    value: ArgDeserializer<'a>,
}

impl<'de> EnumAccess<'de> for Enum<'de> {
    type Error = Error;
    type Variant = ArgDeserializer<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let variant = seed.deserialize(de::value::BorrowedStrDeserializer::<Error>::new(
            self.variant,
        ))?;
        Ok((variant, self.value))
    }
}

impl<'de> VariantAccess<'de> for ArgDeserializer<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }
}

/// Deserializes the argument that was not sent: only an `Option` accepts it (as `None`).
pub(crate) struct Missing;

impl<'de> Deserializer<'de> for Missing {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("missing argument"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// Replaces placeholders by their attachments when a received value is serialized again
/// (so a [`Payload`](crate::Payload) can be echoed back with its binary intact).
pub(crate) struct WithAttachments<'a> {
    pub(crate) value: &'a Value,
    pub(crate) attachments: &'a [Bytes],
}

impl serde::Serialize for WithAttachments<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let at = |value| WithAttachments {
            value,
            attachments: self.attachments,
        };
        if let Some(bytes) = placeholder(self.value)
            .and_then(|num| usize::try_from(num).ok())
            .and_then(|num| self.attachments.get(num))
        {
            return serializer.serialize_bytes(bytes);
        }
        match self.value {
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&at(item))?;
                }
                seq.end()
            }
            Value::Object(map) => serialize_map(map, serializer, at),
            scalar => scalar.serialize(serializer),
        }
    }
}

fn serialize_map<'a, S: serde::Serializer>(
    map: &'a Map<String, Value>,
    serializer: S,
    at: impl Fn(&'a Value) -> WithAttachments<'a>,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut out = serializer.serialize_map(Some(map.len()))?;
    for (key, value) in map {
        out.serialize_entry(key, &at(value))?;
    }
    out.end()
}
