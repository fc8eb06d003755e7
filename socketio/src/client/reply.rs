//! What a handler returns, and where it goes: a `Result` is looked into (its `Ok` value
//! is the ack, its `Err` goes to the error hook and sends no ack); any other value is
//! the ack itself.
//!
//! A handler's return type is only known to be `Serialize` (a trait of its own for
//! `Result` would make every closure returning a `Result<T, String>` ambiguous, since
//! that type is `Serialize` too), so the `Result` is recognised by how serde serializes
//! it: a newtype variant `Ok` or `Err` of the enum `Result`, at the top level.

use std::fmt;

use serde::ser::{Impossible, Serialize, Serializer};

use super::handler_error::{HandlerErrorKind, Site};
use super::link::Ack;

/// Answers one call: the ack the server asked for (if any), and where an `Err` returned
/// by the handler goes.
pub struct Responder {
    ack: Option<Ack>,
    site: Option<Site>,
}

impl Responder {
    pub(crate) fn new(ack: Option<Ack>, site: Option<Site>) -> Responder {
        Responder { ack, site }
    }

    /// Sends what the handler returned: `Ok(v)` acks `v`, `Err(e)` is reported and
    /// acks nothing, any other value is the ack.
    pub(crate) fn send<R: Serialize + ?Sized>(mut self, reply: &R) {
        match reply.serialize(Probe { ack: &mut self.ack }) {
            Ok(Arm::Ok) => {}
            Ok(Arm::Err(message)) => match &self.site {
                Some(site) => site.report(HandlerErrorKind::ReturnedError { message }),
                None => tracing::warn!(target: "socketio", %message, "a handler returned an error"),
            },
            Err(NotAResult) => {
                if let Some(ack) = self.ack {
                    ack.send(reply);
                }
            }
        }
    }
}

/// The arm of a `Result` reply (its `Ok` value already sent).
enum Arm {
    Ok,
    Err(String),
}

/// The reply is no `Result`.
#[derive(Debug)]
struct NotAResult;

impl fmt::Display for NotAResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a Result")
    }
}

impl std::error::Error for NotAResult {}

impl serde::ser::Error for NotAResult {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotAResult
    }
}

/// Sees whether a value is a `Result`, without serializing anything else.
struct Probe<'a> {
    ack: &'a mut Option<Ack>,
}

macro_rules! not_a_result {
    ($($method:ident($($ty:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $ty),*) -> Result<Arm, NotAResult> {
            Err(NotAResult)
        })*
    };
}

impl Serializer for Probe<'_> {
    type Ok = Arm;
    type Error = NotAResult;
    type SerializeSeq = Impossible<Arm, NotAResult>;
    type SerializeTuple = Impossible<Arm, NotAResult>;
    type SerializeTupleStruct = Impossible<Arm, NotAResult>;
    type SerializeTupleVariant = Impossible<Arm, NotAResult>;
    type SerializeMap = Impossible<Arm, NotAResult>;
    type SerializeStruct = Impossible<Arm, NotAResult>;
    type SerializeStructVariant = Impossible<Arm, NotAResult>;

    not_a_result! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]),
        serialize_none(), serialize_unit(), serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Arm, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Arm, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Arm, NotAResult> {
        match (name, variant) {
            ("Result", "Ok") => {
                if let Some(ack) = self.ack.take() {
                    ack.send(value);
                }
                Ok(Arm::Ok)
            }
            ("Result", "Err") => Ok(Arm::Err(error_text(value))),
            _ => Err(NotAResult),
        }
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAResult> {
        Err(NotAResult)
    }
}

/// An `Err`'s value as text: a string as it is, anything else as JSON.
fn error_text<T: Serialize + ?Sized>(error: &T) -> String {
    match serde_json::to_value(error) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(value) => value.to_string(),
        Err(why) => format!("(the error does not serialize: {why})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm<R: Serialize>(reply: &R) -> Option<String> {
        match reply.serialize(Probe { ack: &mut None }) {
            Ok(Arm::Ok) => Some("ok".into()),
            Ok(Arm::Err(message)) => Some(format!("err {message}")),
            Err(NotAResult) => None,
        }
    }

    #[test]
    fn a_result_is_recognised_and_nothing_else() {
        #[derive(serde::Serialize)]
        enum Kind {
            NotFound(String),
        }
        assert_eq!(arm(&Ok::<i64, String>(440)).as_deref(), Some("ok"));
        assert_eq!(
            arm(&Err::<(), _>("bad".to_owned())).as_deref(),
            Some("err bad")
        );
        assert_eq!(
            arm(&Err::<(), _>(Kind::NotFound("x".into()))).as_deref(),
            Some(r#"err {"NotFound":"x"}"#)
        );
        assert_eq!(arm(&Kind::NotFound("x".into())), None);
        assert_eq!(arm(&(1, 2)), None);
        assert_eq!(
            arm(&Some(Ok::<i64, String>(1))),
            None,
            "only at the top level"
        );
        assert_eq!(arm(&serde_json::json!({"Ok": 1})), None);
    }
}
