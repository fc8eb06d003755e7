//! [`Payload`]: an event's arguments as they arrived, typed on access.

use bytes::Bytes;
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::de::{ArgDeserializer, Missing, WithAttachments};
use crate::error::Error;

/// The arguments of one event (or ack), as received: each is kept as its raw JSON
/// text and deserialized on access, with binary placeholders resolved against the
/// attachments.
///
/// A `Payload` serializes as its arguments again (a tuple), binary included, so it can
/// be emitted or returned as an ack unchanged.
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
#[derive(Debug, Clone, Default)]
pub struct Payload {
    args: Vec<Box<RawValue>>,
    attachments: Vec<Bytes>,
}

impl Payload {
    /// The arguments `data` stands for (a tuple is several, `()` none), as a receiver sees them.
    pub fn new<T: Serialize + ?Sized>(data: &T) -> Result<Self, Error> {
        let encoded = super::encode_args(data)?;
        let args: Vec<Box<RawValue>> = serde_json::from_str(&format!("[{}]", encoded.args))?;
        Ok(Payload {
            args,
            attachments: encoded.attachments,
        })
    }

    pub(crate) fn from_parts(args: Vec<Box<RawValue>>, attachments: Vec<Bytes>) -> Self {
        Payload { args, attachments }
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// Whether there is no argument.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Argument `index`, deserialized. A missing argument deserializes only into an `Option`.
    pub fn get<T: DeserializeOwned>(&self, index: usize) -> Result<T, Error> {
        Ok(self.deserialize_arg(index)?)
    }

    pub(crate) fn deserialize_arg<T: DeserializeOwned>(
        &self,
        index: usize,
    ) -> Result<T, serde_json::Error> {
        let Some(raw) = self.args.get(index) else {
            return T::deserialize(Missing);
        };
        if self.attachments.is_empty() {
            return serde_json::from_str(raw.get());
        }
        let value: serde_json::Value = serde_json::from_str(raw.get())?;
        T::deserialize(ArgDeserializer {
            value: &value,
            attachments: &self.attachments,
        })
    }

    /// Argument `index` as raw JSON (binary appears as placeholders).
    pub fn raw(&self, index: usize) -> Option<&RawValue> {
        self.args.get(index).map(|raw| &**raw)
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// Every argument as a JSON value (binary appears as placeholders).
    pub fn to_values(&self) -> Vec<serde_json::Value> {
        self.args
            .iter()
            .map(|raw| serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null))
            .collect()
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.attachments == other.attachments
            && self.args.len() == other.args.len()
            && self
                .args
                .iter()
                .zip(&other.args)
                .all(|(a, b)| a.get() == b.get())
    }
}

impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.args.len())?;
        for raw in &self.args {
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

/// The data of an EVENT packet: the event name, then its arguments.
pub(crate) struct EventData {
    pub(crate) name: String,
    pub(crate) args: Vec<Box<RawValue>>,
}

impl<'de> Deserialize<'de> for EventData {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        impl<'de> Visitor<'de> for EventVisitor {
            type Value = EventData;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array starting with the event name")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EventData, A::Error> {
                let name: String = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(0, &self))?;
                let mut args = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
                while let Some(arg) = seq.next_element()? {
                    args.push(arg);
                }
                Ok(EventData { name, args })
            }
        }
        deserializer.deserialize_seq(EventVisitor)
    }
}
