//! The arguments of `#[namespace(…)]` and `#[event(…)]`.

use proc_macro2::{Span, TokenStream};
use syn::{Attribute, LitStr, Meta};

/// The path given to `#[namespace("/chat")]`; `"/"` for a bare `#[namespace]`.
pub(crate) fn namespace_path(args: TokenStream) -> syn::Result<LitStr> {
    if args.is_empty() {
        return Ok(LitStr::new("/", Span::call_site()));
    }
    let path: LitStr = syn::parse2(args.clone()).map_err(|_| {
        syn::Error::new_spanned(
            &args,
            "expected the namespace's path as a string, such as `#[namespace(\"/chat\")]` \
             (or `#[namespace]` for the main namespace \"/\")",
        )
    })?;
    let value = path.value();
    if !value.starts_with('/') {
        return Err(syn::Error::new_spanned(
            &path,
            format!("a namespace path starts with '/': write `#[namespace(\"/{value}\")]`"),
        ));
    }
    Ok(path)
}

/// Where an `#[event]` attribute is, for its error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventSite {
    /// On a method of a `#[namespace]` impl.
    Method,
    /// On a free function.
    Function,
}

/// The name given to `#[event("my message")]`; `None` for a bare `#[event]`.
pub(crate) fn event_name(args: TokenStream, site: EventSite) -> syn::Result<Option<LitStr>> {
    if args.is_empty() {
        return Ok(None);
    }
    let default = match site {
        EventSite::Method => "the method's name without its `on_` prefix",
        EventSite::Function => "the function's name",
    };
    let name: LitStr = syn::parse2(args.clone()).map_err(|_| {
        syn::Error::new_spanned(
            &args,
            format!(
                "expected the event's name as a string, such as `#[event(\"my message\")]` \
                 (or `#[event]` for {default})"
            ),
        )
    })?;
    if name.value().is_empty() {
        return Err(syn::Error::new_spanned(
            &name,
            "an event's name cannot be empty",
        ));
    }
    Ok(Some(name))
}

/// Whether `attr` is `#[event]`, `#[event(…)]` or `#[socketio::event…]`.
pub(crate) fn is_event(attr: &Attribute) -> bool {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [event] => path.leading_colon.is_none() && event == "event",
        [krate, event] => krate == "socketio" && event == "event",
        _ => false,
    }
}

/// The tokens inside an `#[event(…)]` attribute (none for a bare `#[event]`).
pub(crate) fn event_args(attr: &Attribute) -> syn::Result<TokenStream> {
    match &attr.meta {
        Meta::Path(_) => Ok(TokenStream::new()),
        Meta::List(list) => Ok(list.tokens.clone()),
        Meta::NameValue(meta) => Err(syn::Error::new_spanned(
            meta,
            "write the event's name in parentheses: `#[event(\"my message\")]`",
        )),
    }
}
