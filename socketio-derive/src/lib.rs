//! The `#[namespace]` and `#[event]` attributes of the [`socketio`] crate: class-based
//! namespaces (python-socketio's `ClientNamespace` / `AsyncClientNamespace`) and named
//! event functions (python's `@sio.event`); and `#[derive(Events)]` / `#[derive(Request)]`,
//! typed event schemas (in `typed/`: one enum per direction, one struct per request).
//!
//! Use them through `socketio` (`use socketio::{event, namespace};`): the generated code
//! names the runtime as `::socketio::…`.
//!
//! The crate is laid out like `serde_derive`: `attr` reads the attributes' arguments,
//! `parse` reads the item into a small `model`, `validate` checks what spans several
//! methods, and `expand` writes the code. Errors are gathered in `errors` and reported
//! together, each at its span; with them, `fallback` writes the traits the code would
//! have implemented, doing nothing, so that the places that use the namespace or the
//! function report no error of their own.
//!
//! [`socketio`]: https://docs.rs/socketio
#![forbid(unsafe_code)]

mod attr;
mod errors;
mod expand;
mod fallback;
mod model;
mod parse;
mod typed;
mod validate;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::Item;

use crate::attr::EventSite;
use crate::errors::Errors;
use crate::validate::Clients;

/// Makes an `impl` block a class-based namespace: python-socketio's `ClientNamespace`
/// and `AsyncClientNamespace`.
///
/// `#[namespace("/chat")]` names the namespace; a bare `#[namespace]` is the main
/// namespace `"/"`. The methods marked `#[event]` handle the namespace's events; the
/// other methods are ordinary methods. Register an instance with
/// `register_namespace(…)` on the client.
///
/// ```ignore
/// use socketio::{event, namespace, AsyncClient, AsyncSocket, DisconnectReason};
///
/// struct Chat;
///
/// #[namespace("/chat")]
/// impl Chat {
///     #[event] // "connect": the method's name without `on_`
///     async fn on_connect(&self, socket: AsyncSocket) {
///         socket.emit("hello", ()).await.ok();
///     }
///
///     #[event] // "sum"; the return value is the ack the server asked for
///     fn on_sum(&self, a: i64, b: i64) -> i64 {
///         a + b
///     }
///
///     #[event("my message")] // any name
///     fn message(&self, text: String) {
///         println!("{text}");
///     }
///
///     #[event]
///     fn on_disconnect(&self, reason: DisconnectReason) {
///         println!("disconnected: {reason}");
///     }
/// }
///
/// # async fn run() -> Result<(), socketio::Error> {
/// let sio = AsyncClient::new();
/// sio.register_namespace(Chat);
/// sio.connect("http://localhost:5000").await?; // connects "/chat": it has handlers
/// # Ok(()) }
/// ```
///
/// # Event methods
///
/// * `#[event]` on `on_x` handles the event `"x"`; on a method without the `on_` prefix,
///   the event of the method's name; `#[event("any name")]` the event of that name.
/// * An event method takes `&self` (the namespace is shared by its events, which may run
///   at the same time: keep mutable state in a `Mutex` or an atomic).
/// * Its parameters are the event's arguments, deserialized in order (into owned types:
///   `String`, not `&str`); when one does not fit, the client logs it and skips the
///   event. A parameter whose type is `AsyncSocket` or `Socket` (judged by the last
///   segment of its path) is not an argument and does not count in the order: it
///   receives a clone of the socket bound to the namespace, to emit and call with.
///   `&AsyncSocket` / `&Socket` are accepted too (a borrow of it); `&mut` is an error.
/// * What it returns is the ack, when the server asked for one (a tuple is several
///   arguments, `()` none).
/// * It may be `async`.
/// * The event methods run when the namespace has no function handler for the event
///   (`sio.of("/chat").on("x", …)` takes precedence over `on_x`); other events are
///   ignored.
///
/// `#[namespace]` reads the `#[event]` attributes of the methods and removes them; like
/// any attribute, `event` must be in scope (`use socketio::event;`, or write
/// `#[socketio::event]`).
///
/// # Clients
///
/// The generated code is a dispatch table, a `match` on the event's name. A namespace
/// whose event methods are all synchronous and take no socket implements both
/// [`AsyncClientNamespace`] and [`ClientNamespace`]: it works with both clients. An
/// `async` method or an `AsyncSocket` parameter makes it an `AsyncClientNamespace` only;
/// a `Socket` parameter a `ClientNamespace` only, whose methods run on the blocking
/// client's handler thread (where they may block, and `call` the server).
///
/// # Errors
///
/// At compile time: an argument other than a string starting with `/`; an item other
/// than an inherent, non-generic `impl`; an `#[event]` method without `&self`, generic,
/// or with a reference argument; two methods for one event; a namespace that takes both
/// `AsyncSocket` and `Socket` (or `Socket` with an `async` method); an argument type that
/// is not `DeserializeOwned`, a return type that is not `Serialize` (both reported at the
/// type).
///
/// A namespace with such an error still implements the traits (for the clients its
/// valid methods allow, handling no event), so that `register_namespace(…)` adds no
/// error of its own: the errors are at their causes only.
///
/// [`AsyncClientNamespace`]: https://docs.rs/socketio/latest/socketio/namespace/trait.AsyncClientNamespace.html
/// [`ClientNamespace`]: https://docs.rs/socketio/latest/socketio/namespace/trait.ClientNamespace.html
#[proc_macro_attribute]
pub fn namespace(args: TokenStream, input: TokenStream) -> TokenStream {
    namespace_impl(args.into(), input.into()).into()
}

/// Makes a free function an event handler registered under its own name: python's
/// `@sio.event`. (Inside a `#[namespace]` impl, `#[event]` marks the event methods: see
/// [`macro@namespace`].)
///
/// `#[event]` names the event after the function; `#[event("my message")]` gives any
/// name. The function's parameters are the event's arguments, what it
/// returns is the ack; it may be `async`.
///
/// ```ignore
/// use socketio::{event, AsyncClient, Client};
///
/// #[event] // the event "message"
/// async fn message(data: serde_json::Value) {
///     println!("{data}");
/// }
///
/// #[event("sum please")]
/// fn sum(a: i64, b: i64) -> i64 {
///     a + b
/// }
///
/// # fn run(sio: AsyncClient, blocking: Client) {
/// sio.event(message).event(sum);
/// sio.of("/chat").event(sum);
/// blocking.event(sum); // the blocking client takes synchronous functions only
/// # }
/// ```
///
/// # What it generates
///
/// The function is replaced by a unit struct of the same name and visibility, so that
/// `sio.event(message)` passes a value that knows the event's name. The function itself
/// stays, unchanged, as the associated function `call`: call it as `message::call(data)`.
/// The struct implements `AsyncEventFunction` and, for a function that is not `async`,
/// `EventFunction` (the blocking client's). On an error (reported at its cause), the
/// struct is made all the same, with traits that register nothing, so that
/// `sio.event(message)` and `message::call(…)` add no error of their own.
///
/// Being a unit struct, the name also lives in the value namespace as a constant: a
/// binding such as `let message = …;` in the same scope would be read as a pattern
/// matching the struct, and a recursive call must be written `message::call(…)`.
#[proc_macro_attribute]
pub fn event(args: TokenStream, input: TokenStream) -> TokenStream {
    event_impl(args.into(), input.into()).into()
}

/// Implements `socketio::Events` for an enum: one variant per event, its fields the
/// event's arguments. See the trait's documentation in `socketio` for the rules.
///
/// `#[events(rename_all = "camelCase")]` on the enum sets the style of the event names
/// (snake_case by default, serde's styles); `#[event("any name")]` on a variant names its
/// event.
#[proc_macro_derive(Events, attributes(events, event))]
pub fn derive_events(input: TokenStream) -> TokenStream {
    typed::events::derive(input.into()).into()
}

/// Implements `socketio::Request` for a struct: its fields are the request's arguments,
/// `#[request(event = "sum", reply = T)]` its event and the type of its reply. See the
/// trait's documentation in `socketio` for the rules.
#[proc_macro_derive(Request, attributes(request))]
pub fn derive_request(input: TokenStream) -> TokenStream {
    typed::request::derive(input.into()).into()
}

/// `#[namespace(args)] input`: the impl as written (without its `#[event]` attributes)
/// and the namespace traits; on misuse, the impl (or the type, if written on one), the
/// errors and [`fallback`] traits.
pub(crate) fn namespace_impl(args: TokenStream2, input: TokenStream2) -> TokenStream2 {
    let mut errors = Errors::new();
    let path = attr::namespace_path(args).unwrap_or_else(|error| {
        errors.push(error);
        syn::LitStr::new("/", proc_macro2::Span::call_site())
    });
    let mut item = match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Impl(item)) => item,
        Ok(other) => {
            errors.spanned(
                item_head(&other),
                "#[namespace] goes on an impl block: `#[namespace(\"/chat\")] impl Chat { … }`",
            );
            // On a type, which is then likely registered as a namespace: the fallback
            // impls are for that type.
            let fallback = type_of(&other).map(|(self_ty, generics)| {
                fallback::namespace(&self_ty, generics, &path, Clients::Both)
            });
            let mut output = with_errors(input, errors);
            output.extend(fallback);
            return output;
        }
        Err(error) => {
            errors.push(error);
            return with_errors(input, errors);
        }
    };
    let model = parse::namespace(path, &mut item, &mut errors);
    let clients = validate::namespace(&model, &mut errors);
    match errors.finish() {
        Ok(()) => expand::namespace(&item, &model, clients),
        Err(error) => {
            let markers = expand::consumed_markers(&model);
            let fallback =
                fallback::namespace(&model.self_ty, &item.generics, &model.path, clients);
            let error = error.to_compile_error();
            quote!(#item #markers #error #fallback)
        }
    }
}

/// The type a struct, enum or union declares, as an impl names it, and its generics.
fn type_of(item: &Item) -> Option<(syn::Type, &syn::Generics)> {
    let (ident, generics) = match item {
        Item::Struct(item) => (&item.ident, &item.generics),
        Item::Enum(item) => (&item.ident, &item.generics),
        Item::Union(item) => (&item.ident, &item.generics),
        _ => return None,
    };
    let (_, ty_generics, _) = generics.split_for_impl();
    Some((syn::parse_quote!(#ident #ty_generics), generics))
}

/// The argument of the `#[event(…)]` that `#[namespace]` leaves in place of the
/// attributes it consumed (see `expand::uses`): such an `#[event]` expands to nothing.
pub(crate) const CONSUMED: &str = "__consumed_by_namespace";

/// `#[event(args)] input` on a free function: the unit struct and the event-function
/// traits; on misuse, the errors and the same items from [`fallback`] (or, for a method
/// or another item, the item as written).
pub(crate) fn event_impl(args: TokenStream2, input: TokenStream2) -> TokenStream2 {
    if syn::parse2::<syn::Ident>(args.clone()).is_ok_and(|ident| ident == CONSUMED) {
        return TokenStream2::new();
    }
    let mut errors = Errors::new();
    let name = attr::event_name(args, EventSite::Function).unwrap_or_else(|error| {
        errors.push(error);
        None
    });
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Fn(item)) => item,
        Ok(other) => {
            errors.spanned(
                item_head(&other),
                "#[event] goes on a function, such as `#[event] async fn message(data: Value)`, \
                 or on a method inside a #[namespace] impl",
            );
            return with_errors(input, errors);
        }
        Err(error) => {
            errors.push(error);
            return with_errors(input, errors);
        }
    };
    let function = parse::event_function(&item, name.clone(), &mut errors);
    match (errors.finish(), function) {
        (Ok(()), Some(function)) => expand::event_function(&item, &function),
        (Err(error), _) if fallback::event_function_applies(&item) => {
            let fallback = fallback::event_function(&item, name);
            let error = error.to_compile_error();
            quote!(#fallback #error)
        }
        (Err(error), _) => with_error(input, error),
        (Ok(()), None) => input,
    }
}

/// What an error about a misplaced attribute points at: the item's head (its keyword
/// and name), without its attributes and body.
fn item_head(item: &Item) -> TokenStream2 {
    use proc_macro2::{Delimiter, TokenTree};
    use quote::ToTokens;

    let mut head = TokenStream2::new();
    let mut tokens = item.to_token_stream().into_iter().peekable();
    while let Some(token) = tokens.next() {
        match &token {
            TokenTree::Punct(punct) if punct.as_char() == '#' => {
                // An attribute: `#` and its `[…]`.
                tokens.next_if(|next| matches!(next, TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket));
            }
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => break,
            _ => head.extend([token]),
        }
    }
    head
}

fn with_errors(input: TokenStream2, errors: Errors) -> TokenStream2 {
    match errors.finish() {
        Ok(()) => input,
        Err(error) => with_error(input, error),
    }
}

fn with_error(input: TokenStream2, error: syn::Error) -> TokenStream2 {
    let error = error.to_compile_error();
    quote!(#input #error)
}
