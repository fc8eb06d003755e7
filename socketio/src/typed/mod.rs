//! Typed event schemas: the events and requests of a protocol as Rust types, checked by
//! the compiler. `#[derive(Events)]` on an enum (one variant per event) and
//! `#[derive(Request)]` on a struct (one request and the type of its reply) implement
//! the traits of this module; the clients' `on_events`, `emit_event`, `request` and
//! `on_request` take them.
//!
//! Both traits speak serde with the arguments' rule of the whole crate: a tuple is
//! several arguments, `()` none, anything else one. A variant's (or request's) fields
//! are its arguments: none for a unit variant, the fields in order for a tuple variant,
//! one object for a struct variant.

mod api;
pub(crate) mod handler;
pub mod private;

use serde::de::{DeserializeOwned, Deserializer};
use serde::ser::{Serialize, Serializer};

use crate::args::Payload;
use crate::error::Error;

/// The events of one direction of a protocol, one variant per event: implemented by
/// `#[derive(socketio::Events)]` on an enum.
///
/// ```
/// use socketio::Events;
///
/// #[derive(Events, Debug, PartialEq)]
/// enum ServerEvent {
///     Welcome,                               // "welcome", no argument
///     ChatMessage(String, String),           // "chat_message", two arguments
///     UserJoined { name: String, count: u32 }, // "user_joined", one object
///     #[event("bye now")]
///     Bye,                                   // "bye now"
/// }
///
/// assert_eq!(ServerEvent::NAMES, ["welcome", "chat_message", "user_joined", "bye now"]);
/// let event = ServerEvent::ChatMessage("ann".into(), "hi".into());
/// assert_eq!(event.name(), "chat_message");
///
/// let payload = socketio::Payload::new(&("bob", "hello"))?;
/// let event = ServerEvent::from_payload("chat_message", &payload)?;
/// assert_eq!(event, Some(ServerEvent::ChatMessage("bob".into(), "hello".into())));
/// # Ok::<(), socketio::Error>(())
/// ```
///
/// The derive names each event after its variant in snake_case (`ChatMessage` →
/// `"chat_message"`); `#[events(rename_all = "camelCase")]` on the enum chooses another
/// of serde's styles (`lowercase`, `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case`,
/// `SCREAMING_SNAKE_CASE`, `kebab-case`, `SCREAMING-KEBAB-CASE`), and `#[event("any
/// name")]` on a variant gives that variant any name. The enum needs no other derive:
/// each field must be `Serialize` and `DeserializeOwned` (a compile error at the field
/// otherwise); serde attributes are not read. Byte strings (`bytes::Bytes`,
/// `serde_bytes::ByteBuf`) travel as binary attachments. The enum cannot be generic,
/// and two variants cannot have the same event name (a compile error at the second).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an `Events` enum",
    label = "expected an enum of events here",
    note = "`emit_event` and `on_events` take an enum with `#[derive(socketio::Events)]`, one variant per event; for a plain value, use `emit(\"event\", data)`"
)]
pub trait Events: Sized + Send + 'static {
    /// The event names, in the order of the variants.
    const NAMES: &'static [&'static str];

    /// The event this value is.
    fn name(&self) -> &'static str;

    /// Serializes the variant's arguments: `()` for none, a tuple for the fields of a
    /// tuple variant, one object (a struct) for a struct variant.
    fn serialize_args<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// The event `name` from its arguments, given as a sequence (a tuple) by `args`;
    /// `Ok(None)` when `name` is not one of [`NAMES`](Self::NAMES). Missing trailing
    /// arguments fit `Option` fields only; extra arguments are ignored.
    fn deserialize_args<'de, D: Deserializer<'de>>(
        name: &str,
        args: D,
    ) -> Result<Option<Self>, D::Error>;

    /// The arguments, as a value to emit (any `Serialize` sink: the clients, a server).
    fn args(&self) -> EventArgs<'_, Self> {
        EventArgs(self)
    }

    /// The event `name` from the arguments of a [`Payload`] (such as an `on_any`
    /// handler's); `Ok(None)` for a name that is not one of [`NAMES`](Self::NAMES).
    fn from_payload(name: &str, payload: &Payload) -> Result<Option<Self>, Error> {
        if !Self::NAMES.contains(&name) {
            return Ok(None);
        }
        Ok(crate::args::with_payload_args(payload, |args| {
            Self::deserialize_args(name, args)
        })?)
    }
}

/// A request and its reply: implemented by `#[derive(socketio::Request)]` on a struct
/// with `#[request(event = "sum", reply = T)]`.
///
/// ```
/// use socketio::Request;
///
/// #[derive(Request)]
/// #[request(event = "sum", reply = i64)]
/// struct Sum(i64, i64); // two arguments
///
/// #[derive(Request)]
/// #[request(reply = (String, u32))] // the event "whoami"; a reply of two arguments
/// struct Whoami;
///
/// assert_eq!(Sum::EVENT, "sum");
/// assert_eq!(Whoami::EVENT, "whoami");
/// // let total: i64 = sio.request(Sum(1, 2)).await?;
/// ```
///
/// A tuple struct's fields are the arguments, a unit struct has none, a struct with
/// named fields is one object argument. `event` defaults to the struct's name in
/// snake_case. The reply is read like `call`'s: a tuple type takes all the ack's
/// arguments, any other type the first. Fields and the reply must be `Serialize` and
/// `DeserializeOwned` (compile errors at their types).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Request`",
    label = "expected a request type here",
    note = "`request` takes a struct with `#[derive(socketio::Request)]` and `#[request(event = \"…\", reply = ReplyType)]`; for a plain value, use `call(\"event\", data)`"
)]
pub trait Request: Sized + Send + 'static {
    /// The event that carries the request.
    const EVENT: &'static str;

    /// What the other side answers, as the ack's arguments (a tuple is several).
    type Reply: Serialize + DeserializeOwned + Send + 'static;

    /// Serializes the request's arguments (see [`Events::serialize_args`]).
    fn serialize_args<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// The request from its arguments, given as a sequence (a tuple) by `args`.
    fn deserialize_args<'de, D: Deserializer<'de>>(args: D) -> Result<Self, D::Error>;

    /// The arguments, as a value to emit.
    fn args(&self) -> RequestArgs<'_, Self> {
        RequestArgs(self)
    }

    /// The request from the arguments of a [`Payload`].
    fn from_payload(payload: &Payload) -> Result<Self, Error> {
        Ok(crate::args::with_payload_args(payload, |args| {
            Self::deserialize_args(args)
        })?)
    }
}

/// The arguments of an [`Events`] value, serializable (a tuple is several arguments):
/// `socket.emit(event.name(), &event.args())` on any Socket.IO library that follows
/// that rule (socketioxide does).
#[derive(Debug)]
pub struct EventArgs<'a, E>(&'a E);

impl<E: Events> Serialize for EventArgs<'_, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_args(serializer)
    }
}

/// The arguments of a [`Request`], serializable (a tuple is several arguments).
#[derive(Debug)]
pub struct RequestArgs<'a, R>(&'a R);

impl<R: Request> Serialize for RequestArgs<'_, R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_args(serializer)
    }
}
