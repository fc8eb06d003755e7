//! Dynamic values that keep binary attachments, for the in-process socketioxide servers of the
//! rig ([`crate::socketioxide_server`] and [`crate::typed_chat`]): [`Dyn`], one argument, and
//! [`Args`], every argument of an event or ack.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeTuple, Serializer};
use serde_json::Value;

/// A JSON-like value that keeps binary attachments as [`Bytes`] (socketioxide's parser turns
/// `{"_placeholder":true,"num":n}` into bytes when deserializing with `deserialize_any`, and
/// serializes bytes as attachments).
#[derive(Clone, Debug)]
pub(crate) enum Dyn {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(String),
    Bin(Bytes),
    Seq(Vec<Dyn>),
    Map(Vec<(String, Dyn)>),
}

impl Dyn {
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match *self {
            Dyn::I64(v) => Some(v),
            Dyn::U64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }
    pub(crate) fn as_u64(&self) -> Option<u64> {
        match *self {
            Dyn::I64(v) => u64::try_from(v).ok(),
            Dyn::U64(v) => Some(v),
            Dyn::F64(v) if v >= 0.0 && v.fract() == 0.0 => Some(v as u64),
            _ => None,
        }
    }
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match *self {
            Dyn::I64(v) => Some(v as f64),
            Dyn::U64(v) => Some(v as f64),
            Dyn::F64(v) => Some(v),
            _ => None,
        }
    }
    /// The value as a string key: strings as is, anything else as JSON.
    pub(crate) fn key_string(&self) -> String {
        match self {
            Dyn::Str(s) => s.clone(),
            other => serde_json::to_string(other).unwrap_or_default(),
        }
    }
    /// The value as JSON, binary as an array of bytes (which `Bytes` and `Vec<u8>`
    /// deserialize from).
    pub(crate) fn into_json(self) -> Value {
        match self {
            Dyn::Null => Value::Null,
            Dyn::Bool(v) => Value::Bool(v),
            Dyn::I64(v) => Value::from(v),
            Dyn::U64(v) => Value::from(v),
            Dyn::F64(v) => Value::from(v),
            Dyn::Str(v) => Value::String(v),
            Dyn::Bin(v) => Value::from(v.to_vec()),
            Dyn::Seq(items) => Value::Array(items.into_iter().map(Dyn::into_json).collect()),
            Dyn::Map(entries) => Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, value.into_json()))
                    .collect(),
            ),
        }
    }
    pub(crate) fn binary_len(&self) -> usize {
        match self {
            Dyn::Bin(b) => b.len(),
            Dyn::Seq(items) => items.iter().map(Dyn::binary_len).sum(),
            Dyn::Map(entries) => entries.iter().map(|(_, v)| v.binary_len()).sum(),
            _ => 0,
        }
    }
}

impl Serialize for Dyn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Dyn::Null => s.serialize_unit(),
            Dyn::Bool(v) => s.serialize_bool(*v),
            Dyn::I64(v) => s.serialize_i64(*v),
            Dyn::U64(v) => s.serialize_u64(*v),
            Dyn::F64(v) => s.serialize_f64(*v),
            Dyn::Str(v) => s.serialize_str(v),
            Dyn::Bin(v) => s.serialize_bytes(v),
            Dyn::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Dyn::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Dyn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Dyn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any socket.io value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Dyn, E> {
                Ok(Dyn::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Dyn, E> {
                Ok(Dyn::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Dyn, D::Error> {
                Dyn::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Dyn, E> {
                Ok(Dyn::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dyn, E> {
                Ok(Dyn::I64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dyn, E> {
                Ok(Dyn::U64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dyn, E> {
                Ok(Dyn::F64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dyn, E> {
                Ok(Dyn::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Dyn, E> {
                Ok(Dyn::Str(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Dyn, E> {
                Ok(Dyn::Bin(Bytes::copy_from_slice(v)))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Dyn, E> {
                Ok(Dyn::Bin(Bytes::from(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Dyn, A::Error> {
                items(seq).map(Dyn::Seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dyn, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Dyn>()? {
                    entries.push((k, v));
                }
                Ok(Dyn::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// The values of a sequence (a list, or the arguments of an event).
fn items<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<Dyn>, A::Error> {
    let mut items = Vec::new();
    while let Some(item) = seq.next_element::<Dyn>()? {
        items.push(item);
    }
    Ok(items)
}

/// All the arguments of an event or ack. It (de)serializes as a tuple, which socketioxide maps
/// to "every argument" (a non-tuple type would only get the first one).
#[derive(Clone, Debug)]
pub(crate) struct Args(pub(crate) Vec<Dyn>);

impl Args {
    /// The arguments as one JSON array (binary as arrays of bytes): one deserializer of a
    /// sequence, as `Events::deserialize_args` and `Request::deserialize_args` take them.
    pub(crate) fn into_json(self) -> Value {
        Value::Array(self.0.into_iter().map(Dyn::into_json).collect())
    }
}

impl Serialize for Args {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut tuple = s.serialize_tuple(self.0.len())?;
        for item in &self.0 {
            tuple.serialize_element(item)?;
        }
        tuple.end()
    }
}

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Args;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Args, A::Error> {
                items(seq).map(Args)
            }
        }
        d.deserialize_tuple(usize::MAX, V)
    }
}
