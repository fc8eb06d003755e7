//! What the macros read from the code: a small model of a `#[namespace]` impl and of an
//! `#[event]` function, built by [`parse`](crate::parse), checked by
//! [`validate`](crate::validate) and turned into code by [`expand`](crate::expand).

use proc_macro2::TokenStream;
use syn::{Ident, LitStr, Type};

/// A `#[namespace("/path")] impl Type { … }` block.
pub(crate) struct Namespace {
    /// The namespace's path, such as `"/chat"`.
    pub path: LitStr,
    /// The type the impl is for.
    pub self_ty: Type,
    /// The methods marked `#[event]`, in the order they were written.
    pub events: Vec<EventMethod>,
    /// The paths the `#[event]` attributes were written with (`event`,
    /// `socketio::event`), each once: the attributes are consumed, but their import is
    /// used.
    pub event_paths: Vec<syn::Path>,
}

/// A method marked `#[event]` inside a `#[namespace]` impl.
pub(crate) struct EventMethod {
    /// The method's name.
    pub ident: Ident,
    /// The event it handles.
    pub name: EventName,
    /// `Some` for an `async fn`.
    pub asyncness: Option<syn::Token![async]>,
    /// Its parameters after `&self`.
    pub params: Vec<Param>,
    /// What it returns: the ack.
    pub output: Output,
}

impl EventMethod {
    /// The first parameter that takes a socket of `flavor`, if any.
    pub fn socket(&self, flavor: SocketFlavor) -> Option<&Type> {
        self.params.iter().find_map(|param| match param {
            Param::Socket { flavor: f, ty, .. } if *f == flavor => Some(ty),
            _ => None,
        })
    }
}

/// The name of an event, and where it comes from (for errors).
pub(crate) struct EventName {
    /// The name as the server sends it.
    pub value: String,
    /// The tokens an error about the name points at: the `#[event("…")]` string, or the
    /// method's name when the event is named after the method.
    pub origin: TokenStream,
}

/// A parameter of an event method or function.
pub(crate) enum Param {
    /// An argument of the event, deserialized from argument `index` (sockets not counted).
    Arg { index: usize, ty: Type },
    /// The socket bound to the namespace: a clone of it, or a reference to it.
    Socket {
        flavor: SocketFlavor,
        by_ref: bool,
        ty: Type,
    },
}

/// Which client a socket parameter belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SocketFlavor {
    /// `AsyncSocket`: the `AsyncClient`'s handle.
    Async,
    /// `Socket`: the blocking `Client`'s handle.
    Blocking,
}

impl SocketFlavor {
    /// The name of the type.
    pub fn type_name(self) -> &'static str {
        match self {
            SocketFlavor::Async => "AsyncSocket",
            SocketFlavor::Blocking => "Socket",
        }
    }
}

/// The return type of an event method or function: what is sent as the ack.
pub(crate) enum Output {
    /// No return type, or `()`: the ack (if asked for) has no argument.
    Unit,
    /// A value sent as the ack's arguments (a tuple is several arguments).
    Value(Box<Type>),
}

/// A free function marked `#[event]`.
pub(crate) struct EventFunction {
    /// The function's name, which becomes the name of the unit struct.
    pub ident: Ident,
    /// The event it handles.
    pub name: LitStr,
    /// `Some` for an `async fn`.
    pub asyncness: Option<syn::Token![async]>,
    /// Its parameters: the event's arguments, in order (all [`Param::Arg`]).
    pub params: Vec<Param>,
    /// What it returns: the ack.
    pub output: Output,
}
