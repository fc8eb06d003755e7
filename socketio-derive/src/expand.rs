//! From the [`model`](crate::model) to code: the namespace traits with their dispatch
//! tables, and the unit struct and event-function traits of an `#[event]` function.
//!
//! Everything the generated code uses is named by an absolute path (`::socketio::…`,
//! `::core::…`); its local bindings start with `__` so that they cannot be taken for a
//! unit struct of the user's (an `#[event]` function is one).
//!
//! The types are checked where they are used: the call that deserializes an argument
//! (`__private::arg::<T>`) names the parameter's type with its span, and the one that
//! sends the ack (`__private::reply::<R>`) the return type, so that a type that does not
//! fit is reported where it is written, once (the same diagnostic from the second
//! client's impl is identical, and the compiler shows it once). Separate
//! `const _: () = assert_deserialize::<T>();` items would report each such type twice.

use proc_macro2::{Literal, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, ItemFn, ItemImpl, LitStr};

use crate::attr::is_event;
use crate::model::{EventFunction, EventMethod, Namespace, Output, Param};
use crate::validate::Clients;

/// The hidden runtime helpers.
fn private() -> TokenStream {
    quote!(::socketio::namespace::__private)
}

/// The impl as written (without its `#[event]` attributes) and the namespace traits of
/// the clients it works with.
pub(crate) fn namespace(item: &ItemImpl, namespace: &Namespace, clients: Clients) -> TokenStream {
    let async_impl = clients.is_async().then(|| async_impl(namespace));
    let blocking_impl = clients.is_blocking().then(|| blocking_impl(namespace));
    let markers = consumed_markers(namespace);
    quote! {
        #item
        #async_impl
        #blocking_impl
        #markers
    }
}

/// `#[event(__consumed_by_namespace)] const _: () = ();`, once for each way `#[event]`
/// was written: the compiler resolves the `event` attributes of the methods only if
/// they stay, and `#[namespace]` consumes them. This one makes it resolve `event` all
/// the same (so `use socketio::event;` counts as used, and an `event` not in scope is
/// reported at the attribute); `#[event]` expands it to nothing.
pub(crate) fn consumed_markers(namespace: &Namespace) -> TokenStream {
    namespace
        .event_paths
        .iter()
        .map(|path| {
            let marker = Ident::new(crate::CONSUMED, path.span());
            quote_spanned! {path.span()=>
                #[#path(#marker)]
                const _: () = ();
            }
        })
        .collect()
}

/// `fn handles`: `matches!(event, "connect" | "my message")`.
fn handles(namespace: &Namespace) -> TokenStream {
    if namespace.events.is_empty() {
        return quote! {
            fn handles(_: &str) -> bool {
                false
            }
        };
    }
    let names = namespace.events.iter().map(|method| &method.name.value);
    quote! {
        fn handles(event: &str) -> bool {
            ::core::matches!(event, #(#names)|*)
        }
    }
}

/// The patterns of `dispatch`'s call and socket parameters (`_` when unused).
fn dispatch_params(namespace: &Namespace) -> (TokenStream, TokenStream) {
    let call = if namespace.events.is_empty() {
        quote!(_)
    } else {
        quote!(mut __call)
    };
    let uses_socket = namespace.events.iter().any(|method| {
        method
            .params
            .iter()
            .any(|param| matches!(param, Param::Socket { .. }))
    });
    let socket = if uses_socket {
        quote!(__socket)
    } else {
        quote!(_)
    };
    (call, socket)
}

/// `impl AsyncClientNamespace`: async methods run in a boxed future, sync ones inline.
fn async_impl(namespace: &Namespace) -> TokenStream {
    let private = private();
    let self_ty = &namespace.self_ty;
    let path = &namespace.path;
    let handles = handles(namespace);
    let (call, socket) = dispatch_params(namespace);
    let body = if namespace.events.is_empty() {
        quote!(::core::option::Option::None)
    } else {
        let arms = namespace.events.iter().map(|method| {
            let name = &method.name.value;
            let body = Invocation::method(method).async_body();
            quote!(#name => { #body })
        });
        quote! {
            match #private::event(&__call) {
                #(#arms)*
                _ => ::core::option::Option::None,
            }
        }
    };
    quote! {
        impl ::socketio::namespace::AsyncClientNamespace for #self_ty {
            const NAMESPACE: &'static str = #path;

            #handles

            fn dispatch(
                self: ::std::sync::Arc<Self>,
                #call: #private::Call,
                #socket: ::socketio::AsyncSocket,
            ) -> ::core::option::Option<#private::BoxFuture> {
                #body
            }
        }
    }
}

/// `impl ClientNamespace`: every method runs inline, on the handler thread.
fn blocking_impl(namespace: &Namespace) -> TokenStream {
    let private = private();
    let self_ty = &namespace.self_ty;
    let path = &namespace.path;
    let handles = handles(namespace);
    let (call, socket) = dispatch_params(namespace);
    let body = if namespace.events.is_empty() {
        TokenStream::new()
    } else {
        let arms = namespace.events.iter().map(|method| {
            let name = &method.name.value;
            let body = Invocation::method(method).blocking_body();
            quote!(#name => { #body })
        });
        quote! {
            match #private::event(&__call) {
                #(#arms)*
                _ => {}
            }
        }
    };
    quote! {
        impl ::socketio::namespace::ClientNamespace for #self_ty {
            const NAMESPACE: &'static str = #path;

            #handles

            fn dispatch(&self, #call: #private::Call, #socket: &::socketio::Socket) {
                #body
            }
        }
    }
}

/// How to run one handler (an event method or an event function) on a `__call`.
struct Invocation<'a> {
    /// `self.on_message` or `Self::call`.
    callee: TokenStream,
    /// Where errors about the future (not `Send`) point: the method's name.
    span: Span,
    is_async: bool,
    params: &'a [Param],
    output: &'a Output,
}

impl<'a> Invocation<'a> {
    fn method(method: &'a EventMethod) -> Self {
        let ident = &method.ident;
        Invocation {
            callee: quote!(self.#ident),
            span: ident.span(),
            is_async: method.asyncness.is_some(),
            params: &method.params,
            output: &method.output,
        }
    }

    fn function(function: &'a EventFunction) -> Self {
        Invocation {
            callee: quote!(Self::call),
            span: function.ident.span(),
            is_async: function.asyncness.is_some(),
            params: &function.params,
            output: &function.output,
        }
    }

    /// Statements that deserialize the arguments (`__arg0`, …, leaving when one does not
    /// fit: `?` in the async client, `return` in the blocking one), and the values
    /// passed to the handler. In the blocking client `__socket` is a reference.
    fn args(&self, blocking: bool) -> (Vec<TokenStream>, Vec<TokenStream>) {
        let private = private();
        let mut lets = Vec::new();
        let mut values = Vec::new();
        for param in self.params {
            match param {
                Param::Arg { index, ty } => {
                    let var = format_ident!("__arg{}", index);
                    let index = Literal::usize_unsuffixed(*index);
                    let arg = if nameable(ty) {
                        quote_spanned!(ty.span()=> #private::arg::<#ty>)
                    } else {
                        quote_spanned!(ty.span()=> #private::arg)
                    };
                    lets.push(if blocking {
                        quote! {
                            let ::core::option::Option::Some(#var) = #arg(&__call, #index) else {
                                return;
                            };
                        }
                    } else {
                        quote!(let #var = #arg(&__call, #index)?;)
                    });
                    values.push(var.into_token_stream());
                }
                Param::Socket { by_ref, .. } => values.push(match (by_ref, blocking) {
                    (false, _) => quote!(__socket.clone()),
                    (true, false) => quote!(&__socket),
                    (true, true) => quote!(__socket),
                }),
            }
        }
        (lets, values)
    }

    /// Calls the handler and sends what it returns as the ack; `reply` carries the span
    /// of the return type.
    fn call_and_reply(&self, ack: TokenStream, call: TokenStream) -> TokenStream {
        let private = private();
        match self.output {
            Output::Unit => quote! {
                #call;
                #private::reply(#ack, &());
            },
            Output::Value(ty) => {
                let reply = if nameable(ty) {
                    quote_spanned!(ty.span()=> #private::reply::<#ty>)
                } else {
                    quote_spanned!(ty.span()=> #private::reply)
                };
                quote! {
                    let __reply = #call;
                    #reply(#ack, &__reply);
                }
            }
        }
    }

    /// The body of a handler for the async client: `Option<BoxFuture>`.
    fn async_body(&self) -> TokenStream {
        let private = private();
        let callee = &self.callee;
        let (lets, args) = self.args(false);
        if self.is_async {
            // Boxed where the handler is named: a future that is not `Send` is reported
            // there.
            let boxed = quote_spanned!(self.span=> #private::boxed);
            let call_and_reply =
                self.call_and_reply(quote!(__ack), quote!(#callee(#(#args),*).await));
            quote! {
                #(#lets)*
                let __ack = #private::take_ack(&mut __call);
                ::core::option::Option::Some(#boxed(async move {
                    #call_and_reply
                }))
            }
        } else {
            let call_and_reply = self.call_and_reply(
                quote!(#private::take_ack(&mut __call)),
                quote!(#callee(#(#args),*)),
            );
            quote! {
                #(#lets)*
                #call_and_reply
                ::core::option::Option::None
            }
        }
    }

    /// The body of a handler for the blocking client: it runs on the handler thread.
    fn blocking_body(&self) -> TokenStream {
        let private = private();
        let callee = &self.callee;
        let (lets, args) = self.args(true);
        let call_and_reply = self.call_and_reply(
            quote!(#private::take_ack(&mut __call)),
            quote!(#callee(#(#args),*)),
        );
        quote! {
            #(#lets)*
            #call_and_reply
        }
    }
}

/// Whether a type can be named in the generated code, to check it where it is written
/// (`arg::<T>`, `reply::<R>`): not `impl Trait`, and no lifetime of the method's own
/// (only `'static` and `'_`). The others are inferred from the handler's signature.
fn nameable(ty: &syn::Type) -> bool {
    fn nameable_tokens(tokens: TokenStream) -> bool {
        let mut after_quote = false;
        for token in tokens {
            match token {
                TokenTree::Ident(ident) => {
                    if ident == "impl" || (after_quote && ident != "static") {
                        return false;
                    }
                    after_quote = false;
                }
                TokenTree::Punct(punct) => after_quote = punct.as_char() == '\'',
                TokenTree::Group(group) => {
                    if !nameable_tokens(group.stream()) {
                        return false;
                    }
                    after_quote = false;
                }
                TokenTree::Literal(_) => after_quote = false,
            }
        }
        true
    }
    nameable_tokens(ty.to_token_stream())
}

/// A free `#[event]` function: a unit struct of the function's name that holds the
/// function as `call`, and the event-function traits, whose `register` installs a
/// handler that deserializes the arguments and calls `call`.
pub(crate) fn event_function(item: &ItemFn, function: &EventFunction) -> TokenStream {
    let private = private();
    let ident = &function.ident;
    let name = &function.name;
    let cfgs = cfgs(item);
    let unit_struct = event_struct(item, name);
    let invocation = Invocation::function(function);
    let async_body = invocation.async_body();
    let blocking = (!invocation.is_async).then(|| {
        let blocking_body = invocation.blocking_body();
        quote! {
            #(#cfgs)*
            impl ::socketio::namespace::EventFunction for #ident {
                const NAME: &'static str = #name;

                fn register(self, __socket: &::socketio::Socket) {
                    #private::on_blocking(
                        __socket,
                        <Self as ::socketio::namespace::EventFunction>::NAME,
                        |mut __call| {
                            #blocking_body
                        },
                    );
                }
            }
        }
    });
    quote! {
        #unit_struct

        #(#cfgs)*
        impl ::socketio::namespace::AsyncEventFunction for #ident {
            const NAME: &'static str = #name;

            fn register(self, __socket: &::socketio::AsyncSocket) {
                #private::on_async(
                    __socket,
                    <Self as ::socketio::namespace::AsyncEventFunction>::NAME,
                    |mut __call| {
                        #async_body
                    },
                );
            }
        }

        #blocking
    }
}

/// The `#[cfg]` attributes of an `#[event]` function, which every item made from it
/// repeats.
pub(crate) fn cfgs(item: &ItemFn) -> Vec<&Attribute> {
    item.attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .collect()
}

/// The unit struct that replaces an `#[event]` function (for the event `name`), and the
/// function itself as its associated function `call`. The function keeps its attributes
/// but `#[event]` (only a misuse leaves one there, already reported).
pub(crate) fn event_struct(item: &ItemFn, name: &LitStr) -> TokenStream {
    let ident = &item.sig.ident;
    let vis = &item.vis;
    let is = |attr: &&Attribute, name: &str| attr.path().is_ident(name);
    let attrs: Vec<&Attribute> = item.attrs.iter().filter(|attr| !is_event(attr)).collect();
    let docs: Vec<&Attribute> = attrs
        .iter()
        .copied()
        .filter(|attr| is(attr, "doc"))
        .collect();
    let cfgs = cfgs(item);
    let mut sig = item.sig.clone();
    sig.ident = Ident::new("call", sig.ident.span());
    let block = &item.block;

    let doc = format!(
        " The event function `{ident}`, for the event \"{}\": register it with \
         `.event({ident})`, call it as `{ident}::call(…)`.",
        name.value()
    );
    let separator = (!docs.is_empty()).then(|| quote!(#[doc = ""]));
    quote! {
        #(#cfgs)*
        #(#docs)*
        #separator
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        #vis struct #ident;

        #(#cfgs)*
        impl #ident {
            #(#attrs)*
            #vis #sig #block
        }
    }
}
