//! JSON on the command line and on standard output.
//!
//! Arguments typed by a person: JSON, or a bare word taken as a string; the object
//! `{"$binary": "<base64>"}` stands for binary data, both ways.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeTuple, Serializer};
use serde_json::{Map, Value};

use crate::error::CliError;

/// Parses one argument: JSON, or else a bare word (a string). Text that starts like a JSON
/// object, array or string but does not parse is an error.
pub fn parse_arg(text: &str, what: &str) -> Result<Value, CliError> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => Ok(value),
        Err(error) if looks_like_json(text) => Err(CliError::new(format!(
            "{what} is not valid JSON ({error}): {text}"
        ))),
        Err(_) => Ok(Value::String(text.to_owned())),
    }
}

/// Parses an option's value, which must be JSON.
pub fn parse_json(text: &str, option: &str) -> Result<Value, CliError> {
    serde_json::from_str(text)
        .map_err(|error| CliError::new(format!("{option} is not valid JSON ({error}): {text}")))
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().chars().next(), Some('{' | '[' | '"'))
}

/// Splits a line of the repl into arguments: JSON values separated by white space, or bare
/// words (strings), as [`parse_arg`] reads them one by one.
pub fn split_args(line: &str) -> Result<Vec<Value>, CliError> {
    let mut args = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let end = if looks_like_json(rest) {
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
            match stream.next() {
                Some(Ok(value)) => {
                    args.push(value);
                    stream.byte_offset()
                }
                Some(Err(error)) => {
                    return Err(CliError::new(format!(
                        "argument {} is not valid JSON ({error}): {rest}",
                        args.len() + 1
                    )))
                }
                None => break,
            }
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            args.push(parse_arg(&rest[..end], "argument")?);
            end
        };
        rest = rest[end..].trim_start();
    }
    Ok(args)
}

/// Arguments to emit: several values, sent as several Socket.IO arguments (a tuple), with
/// `{"$binary": …}` objects sent as binary attachments.
pub struct OutArgs<'a>(pub &'a [Value]);

impl Serialize for OutArgs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for value in self.0 {
            tuple.serialize_element(&Out(value))?;
        }
        tuple.end()
    }
}

/// One value to emit, `{"$binary": …}` as bytes.
pub struct Out<'a>(pub &'a Value);

impl Serialize for Out<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => match binary_of(map) {
                Some(Ok(bytes)) => serializer.serialize_bytes(&bytes),
                Some(Err(_)) => Err(serde::ser::Error::custom("invalid base64 in $binary")),
                None => {
                    let mut out = serializer.serialize_map(Some(map.len()))?;
                    for (key, value) in map {
                        out.serialize_entry(key, &Out(value))?;
                    }
                    out.end()
                }
            },
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Out(item))?;
                }
                out.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

fn binary_of(map: &Map<String, Value>) -> Option<Result<Vec<u8>, base64::DecodeError>> {
    match (map.len(), map.get("$binary")) {
        (1, Some(Value::String(text))) => Some(BASE64.decode(text)),
        _ => None,
    }
}

/// Checks the `$binary` objects of arguments before they are sent.
pub fn check_binary(values: &[Value]) -> Result<(), CliError> {
    fn walk(value: &Value) -> bool {
        match value {
            Value::Object(map) => match binary_of(map) {
                Some(decoded) => decoded.is_ok(),
                None => map.values().all(walk),
            },
            Value::Array(items) => items.iter().all(walk),
            _ => true,
        }
    }
    match values.iter().all(walk) {
        true => Ok(()),
        false => Err(CliError::new(
            "a {\"$binary\": …} argument is not valid base64",
        )),
    }
}

/// A received value as JSON, binary data as `{"$binary": "<base64>"}`.
pub struct In(pub Value);

impl<'de> Deserialize<'de> for In {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(InVisitor)
    }
}

struct InVisitor;

impl<'de> Visitor<'de> for InVisitor {
    type Value = In;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<In, E> {
        Ok(In(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<In, E> {
        Ok(In(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<In, E> {
        Ok(In(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<In, E> {
        Ok(In(
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
        ))
    }
    fn visit_str<E>(self, v: &str) -> Result<In, E> {
        Ok(In(Value::String(v.to_owned())))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<In, E> {
        let mut map = Map::new();
        map.insert("$binary".to_owned(), Value::String(BASE64.encode(v)));
        Ok(In(Value::Object(map)))
    }
    fn visit_unit<E>(self) -> Result<In, E> {
        Ok(In(Value::Null))
    }
    fn visit_none<E>(self) -> Result<In, E> {
        Ok(In(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<In, D::Error> {
        In::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<In, A::Error> {
        let mut items = Vec::new();
        while let Some(In(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(In(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<In, A::Error> {
        let mut out = Map::new();
        while let Some((key, In(value))) = map.next_entry::<String, In>()? {
            out.insert(key, value);
        }
        Ok(In(Value::Object(out)))
    }
}

/// A received event's or ack's arguments as JSON, binary as `{"$binary": …}`.
pub fn payload_args(payload: &socketio::Payload) -> Vec<Value> {
    (0..payload.len())
        .map(|index| payload.get::<In>(index).map_or(Value::Null, |In(v)| v))
        .collect()
}

/// The current time, RFC 3339 in UTC with milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// The line printed for a received event: `{"time", "namespace", "event", "args"}`, in
/// that order.
pub fn event_line(namespace: &str, event: &str, args: Vec<Value>) -> String {
    line(namespace, ("event", event), args)
}

/// The line printed for an ack received by a call: `{"time", "namespace", "ack", "args"}`.
pub fn ack_line(namespace: &str, event: &str, args: Vec<Value>) -> String {
    line(namespace, ("ack", event), args)
}

fn line(namespace: &str, (key, event): (&str, &str), args: Vec<Value>) -> String {
    let text = |s: &str| Value::from(s).to_string();
    format!(
        "{{\"time\":{},\"namespace\":{},\"{key}\":{},\"args\":{}}}",
        text(&now()),
        text(namespace),
        text(event),
        Value::Array(args)
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bare_words_are_strings() {
        assert_eq!(parse_arg("hello", "argument 1").unwrap(), json!("hello"));
        assert_eq!(parse_arg("12", "argument 1").unwrap(), json!(12));
        assert_eq!(parse_arg("12abc", "argument 1").unwrap(), json!("12abc"));
        assert_eq!(parse_arg("{\"a\":1}", "x").unwrap(), json!({"a": 1}));
        let error = parse_arg("{\"a\":", "argument 2").unwrap_err();
        assert!(error.message.starts_with("argument 2 is not valid JSON"));
    }

    #[test]
    fn repl_lines_split_into_values() {
        let args = split_args(r#" {"a": [1, 2]} "two words" 3 bare null "#).unwrap();
        assert_eq!(
            args,
            vec![
                json!({"a": [1, 2]}),
                json!("two words"),
                json!(3),
                json!("bare"),
                json!(null)
            ]
        );
        assert!(split_args("[1, 2").is_err());
    }

    #[test]
    fn payloads_print_binary_as_base64() {
        let data = (bytes::Bytes::from_static(&[1, 2, 3]), json!({"x": 1}));
        let payload = socketio::Payload::new(&data).unwrap();
        assert_eq!(
            payload_args(&payload),
            vec![json!({"$binary": "AQID"}), json!({"x": 1})]
        );
        let values = [json!({"$binary": "AQID"}), json!("s")];
        let round = socketio::Payload::new(&OutArgs(&values)).unwrap();
        assert_eq!(payload_args(&round), values.to_vec());
    }

    #[test]
    fn lines_keep_their_key_order() {
        let line = event_line("/chat", "say \"hi\"", vec![json!(1)]);
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["event"], "say \"hi\"");
        assert!(line.starts_with("{\"time\":\""), "{line}");
        assert!(
            line.ends_with(",\"namespace\":\"/chat\",\"event\":\"say \\\"hi\\\"\",\"args\":[1]}"),
            "{line}"
        );
    }
}
