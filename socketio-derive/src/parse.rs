//! From syntax to the [`model`](crate::model): reads a `#[namespace]` impl or an
//! `#[event]` function, and records every misuse it finds at its span.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{
    Attribute, FnArg, ImplItem, ImplItemFn, ItemFn, ItemImpl, LitStr, Receiver, ReturnType,
    Signature, Type,
};

use crate::attr::{self, EventSite};
use crate::errors::Errors;
use crate::model::{EventFunction, EventMethod, EventName, Namespace, Output, Param, SocketFlavor};

/// Reads a `#[namespace]` impl. Removes the `#[event]` attributes from `item` (they are
/// consumed here), so that `item` can be emitted as it is.
pub(crate) fn namespace(path: LitStr, item: &mut ItemImpl, errors: &mut Errors) -> Namespace {
    if let Some((_, trait_path, _)) = &item.trait_ {
        errors.spanned(
            trait_path,
            "#[namespace] goes on an inherent impl block, such as `impl Chat { … }`, \
             not on an impl of a trait",
        );
    }
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.spanned(
            &item.generics,
            "#[namespace] does not support generic impls: a namespace is one concrete type; \
             implement it for that type, such as `impl Chat<MyDb> { … }`",
        );
    }
    if let Some(unsafety) = &item.unsafety {
        errors.spanned(unsafety, "#[namespace] cannot be used on an `unsafe impl`");
    }

    let mut events = Vec::new();
    let mut event_paths: Vec<syn::Path> = Vec::new();
    for impl_item in &mut item.items {
        let event_attrs = take_event_attrs(impl_item);
        for attr in &event_attrs {
            let written = attr.path().to_token_stream().to_string();
            if !event_paths
                .iter()
                .any(|path| path.to_token_stream().to_string() == written)
            {
                event_paths.push(attr.path().clone());
            }
        }
        let Some((first, others)) = event_attrs.split_first() else {
            continue;
        };
        for other in others {
            errors.spanned(
                other,
                "a method handles one event: remove this second #[event] attribute",
            );
        }
        match impl_item {
            ImplItem::Fn(method) => {
                if let Some(event) = event_method(method, first, errors) {
                    events.push(event);
                }
            }
            _ => errors.spanned(
                first,
                "#[event] goes on a method of the impl, such as `fn on_message(&self, text: String)`",
            ),
        }
    }

    Namespace {
        path,
        self_ty: (*item.self_ty).clone(),
        events,
        event_paths,
    }
}

/// Removes and returns the `#[event]` attributes of an impl item.
fn take_event_attrs(item: &mut ImplItem) -> Vec<Attribute> {
    let attrs = match item {
        ImplItem::Const(item) => &mut item.attrs,
        ImplItem::Fn(item) => &mut item.attrs,
        ImplItem::Type(item) => &mut item.attrs,
        ImplItem::Macro(item) => &mut item.attrs,
        _ => return Vec::new(),
    };
    let (events, others) = std::mem::take(attrs).into_iter().partition(attr::is_event);
    *attrs = others;
    events
}

/// Reads a method marked `#[event]`; `None` (with errors recorded) when it cannot be one.
fn event_method(method: &ImplItemFn, attr: &Attribute, errors: &mut Errors) -> Option<EventMethod> {
    let sig = &method.sig;
    let name =
        match attr::event_args(attr).and_then(|args| attr::event_name(args, EventSite::Method)) {
            Ok(Some(name)) => EventName {
                value: name.value(),
                origin: name.to_token_stream(),
            },
            Ok(None) => {
                let ident = sig.ident.unraw().to_string();
                let value = match ident.strip_prefix("on_") {
                    Some(rest) if !rest.is_empty() => rest.to_owned(),
                    _ => ident,
                };
                EventName {
                    value,
                    origin: sig.ident.to_token_stream(),
                }
            }
            Err(error) => {
                errors.push(error);
                EventName {
                    value: String::new(),
                    origin: TokenStream::new(),
                }
            }
        };

    let mut ok = !name.value.is_empty();
    ok &= check_receiver(sig, errors);
    ok &= check_signature(sig, EventSite::Method, errors);

    let mut params = Vec::new();
    let mut index = 0;
    for input in sig.inputs.iter() {
        let FnArg::Typed(input) = input else { continue };
        match socket_type(&input.ty) {
            Ok(Some((flavor, by_ref))) => params.push(Param::Socket {
                flavor,
                by_ref,
                ty: (*input.ty).clone(),
            }),
            Ok(None) => {
                ok &= check_arg_type(&input.ty, EventSite::Method, errors);
                params.push(Param::Arg {
                    index,
                    ty: (*input.ty).clone(),
                });
                index += 1;
            }
            Err(error) => {
                errors.push(error);
                ok = false;
            }
        }
    }

    ok.then(|| EventMethod {
        ident: sig.ident.clone(),
        name,
        asyncness: sig.asyncness,
        params,
        output: output(&sig.output),
    })
}

/// An event method takes `&self`: the namespace is shared by its events, which may run
/// at the same time.
fn check_receiver(sig: &Signature, errors: &mut Errors) -> bool {
    match sig.receiver() {
        Some(Receiver {
            reference: Some(_),
            mutability: None,
            colon_token: None,
            ..
        }) => true,
        Some(
            receiver @ Receiver {
                reference: Some(_),
                mutability: Some(_),
                ..
            },
        ) => {
            errors.spanned(
                receiver,
                "an #[event] method takes `&self`, not `&mut self`: events may run at the \
                 same time; keep mutable state in a `Mutex` or an atomic",
            );
            false
        }
        Some(
            receiver @ Receiver {
                reference: None,
                colon_token: None,
                ..
            },
        ) => {
            errors.spanned(
                receiver,
                "an #[event] method takes `&self`, not `self`: the namespace is kept and \
                 shared by all its events",
            );
            false
        }
        Some(receiver) => {
            errors.spanned(
                receiver,
                "an #[event] method takes `&self` (write it as `&self`)",
            );
            false
        }
        None => {
            errors.spanned(
                &sig.ident,
                format!(
                    "an #[event] method takes `&self`: write `fn {}(&self, …)`; for a free \
                     function, put #[event] outside the impl",
                    sig.ident
                ),
            );
            false
        }
    }
}

/// What neither an event method nor an event function may be: generic or `unsafe`.
fn check_signature(sig: &Signature, site: EventSite, errors: &mut Errors) -> bool {
    let what = match site {
        EventSite::Method => "an #[event] method",
        EventSite::Function => "an #[event] function",
    };
    let mut ok = true;
    if sig.generics.type_params().next().is_some() || sig.generics.const_params().next().is_some() {
        errors.spanned(
            &sig.generics,
            format!(
                "{what} cannot be generic: its arguments are deserialized into the concrete \
                 types of its parameters"
            ),
        );
        ok = false;
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.spanned(unsafety, format!("{what} cannot be `unsafe`"));
        ok = false;
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, format!("{what} cannot be variadic"));
        ok = false;
    }
    ok
}

/// An event argument is deserialized into an owned value of a type that can be named.
fn check_arg_type(ty: &Type, site: EventSite, errors: &mut Errors) -> bool {
    match ty {
        Type::Reference(reference) => {
            errors.spanned(
                reference,
                "an event argument is deserialized into an owned value: take `String` rather \
                 than `&str`, `Vec<T>` rather than `&[T]`, `T` rather than `&T`",
            );
            false
        }
        Type::ImplTrait(_) => {
            let instead = match site {
                EventSite::Method => "",
                EventSite::Function => {
                    ", such as `serde_json::Value` or a struct deriving `Deserialize`"
                }
            };
            errors.spanned(
                ty,
                format!("an event argument needs a concrete type{instead}, not `impl Trait`"),
            );
            false
        }
        Type::Group(group) => check_arg_type(&group.elem, site, errors),
        Type::Paren(paren) => check_arg_type(&paren.elem, site, errors),
        _ => true,
    }
}

/// Whether `ty` is a socket parameter: `AsyncSocket`, `Socket`, or a shared reference to
/// one (judged by the last segment of the path). `&mut` is an error.
fn socket_type(ty: &Type) -> syn::Result<Option<(SocketFlavor, bool)>> {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return Ok(None);
            };
            let flavor = if last.ident == "AsyncSocket" {
                SocketFlavor::Async
            } else if last.ident == "Socket" {
                SocketFlavor::Blocking
            } else {
                return Ok(None);
            };
            Ok(last.arguments.is_none().then_some((flavor, false)))
        }
        Type::Reference(reference) => match socket_type(&reference.elem)? {
            Some((flavor, false)) if reference.mutability.is_none() => Ok(Some((flavor, true))),
            Some((flavor, _)) => Err(syn::Error::new_spanned(
                reference,
                format!(
                    "take the socket as `{0}` (a cheap clone) or `&{0}`, not `&mut {0}`",
                    flavor.type_name()
                ),
            )),
            None => Ok(None),
        },
        Type::Group(group) => socket_type(&group.elem),
        Type::Paren(paren) => socket_type(&paren.elem),
        _ => Ok(None),
    }
}

fn output(output: &ReturnType) -> Output {
    match output {
        ReturnType::Default => Output::Unit,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(tuple) if tuple.elems.is_empty() => Output::Unit,
            _ => Output::Value(ty.clone()),
        },
    }
}

/// Reads a free function marked `#[event]` (or `#[event("name")]`, `name` given).
pub(crate) fn event_function(
    function: &ItemFn,
    name: Option<LitStr>,
    errors: &mut Errors,
) -> Option<EventFunction> {
    let sig = &function.sig;
    let mut ok = check_signature(sig, EventSite::Function, errors);
    if let Some(receiver) = sig.receiver() {
        errors.spanned(
            receiver,
            "this is a method: use #[event] on methods inside a #[namespace] impl, such as \
             `#[namespace(\"/chat\")] impl Chat { … }`",
        );
        ok = false;
    }
    for attr in function.attrs.iter().filter(|attr| attr::is_event(attr)) {
        errors.spanned(
            attr,
            "a function handles one event: remove this second #[event] attribute",
        );
        ok = false;
    }

    let mut params = Vec::new();
    for input in sig.inputs.iter() {
        let FnArg::Typed(input) = input else { continue };
        match socket_type(&input.ty) {
            Ok(Some((flavor, _))) => {
                errors.spanned(
                    &input.ty,
                    format!(
                        "an #[event] function receives only the event's arguments, not the \
                         socket (`{}`): to use the socket, write a #[namespace] impl whose \
                         method takes it",
                        flavor.type_name()
                    ),
                );
                ok = false;
            }
            Ok(None) => {
                ok &= check_arg_type(&input.ty, EventSite::Function, errors);
                params.push(Param::Arg {
                    index: params.len(),
                    ty: (*input.ty).clone(),
                });
            }
            Err(error) => {
                errors.push(error);
                ok = false;
            }
        }
    }

    let name =
        name.unwrap_or_else(|| LitStr::new(&sig.ident.unraw().to_string(), sig.ident.span()));
    ok.then(|| EventFunction {
        ident: sig.ident.clone(),
        name,
        asyncness: sig.asyncness,
        params,
        output: output(&sig.output),
    })
}
