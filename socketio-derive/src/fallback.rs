//! What the macros emit besides their errors: the items the expansion would have made,
//! with bodies that do nothing (as thiserror does). Without them, the place where the
//! namespace or the function is used would report a second, confusing error, such as
//! "`Chat` is not a namespace for `AsyncClient`" at `sio.register_namespace(Chat)`: the
//! user sees the errors at their causes only.
//!
//! The impls are never run: the crate does not compile.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{Generics, ItemFn, LitStr, Type, WherePredicate};

use crate::expand;
use crate::validate::Clients;

/// The namespace traits of `clients` for `self_ty` (with the `generics` of the impl or
/// type it was written on, so that it names nothing undeclared), at `path`: they handle
/// no event.
pub(crate) fn namespace(
    self_ty: &Type,
    generics: &Generics,
    path: &LitStr,
    clients: Clients,
) -> TokenStream {
    let (impl_generics, where_clause) = with_trait_bounds(generics);
    let private = quote!(::socketio::namespace::__private);
    let async_impl = clients.is_async().then(|| {
        quote! {
            impl #impl_generics ::socketio::namespace::AsyncClientNamespace for #self_ty
            #where_clause
            {
                const NAMESPACE: &'static str = #path;

                fn handles(_: &str) -> bool {
                    false
                }

                fn dispatch(
                    self: ::std::sync::Arc<Self>,
                    _: #private::Call,
                    _: ::socketio::AsyncSocket,
                ) -> ::core::option::Option<#private::BoxFuture> {
                    ::core::option::Option::None
                }
            }
        }
    });
    let blocking_impl = clients.is_blocking().then(|| {
        quote! {
            impl #impl_generics ::socketio::namespace::ClientNamespace for #self_ty
            #where_clause
            {
                const NAMESPACE: &'static str = #path;

                fn handles(_: &str) -> bool {
                    false
                }

                fn dispatch(&self, _: #private::Call, _: &::socketio::Socket) {}
            }
        }
    });
    quote! {
        #async_impl
        #blocking_impl
    }
}

/// `generics` split for an impl of a namespace trait, whose where clause also says
/// `for<'__fallback> Self: Send + Sync + 'static` (the traits' supertraits): the bound
/// is checked where the namespace is registered, not here, so that a type that is not
/// `Send` (or a generic impl without the bounds) adds no error of its own. (A bound
/// without the unused lifetime would be checked here: trivial bounds are unstable,
/// rust-lang/rust#48214.)
fn with_trait_bounds(generics: &Generics) -> (TokenStream, TokenStream) {
    let mut generics = generics.clone();
    let bound: WherePredicate = syn::parse_quote! {
        for<'__fallback> Self: ::core::marker::Send + ::core::marker::Sync + 'static
    };
    generics.make_where_clause().predicates.push(bound);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    (quote!(#impl_generics), quote!(#where_clause))
}

/// A free `#[event]` function (not a method: see [`event_function_applies`]) as the unit
/// struct the expansion makes of it, with the event-function traits (the blocking
/// client's for a function that is not `async`), whose `register` registers nothing.
/// `name` is the event's name when it was read, else the function's.
pub(crate) fn event_function(item: &ItemFn, name: Option<LitStr>) -> TokenStream {
    let ident = &item.sig.ident;
    let name = name.unwrap_or_else(|| LitStr::new(&ident.unraw().to_string(), ident.span()));
    let cfgs = expand::cfgs(item);
    let unit_struct = expand::event_struct(item, &name);
    let blocking = item.sig.asyncness.is_none().then(|| {
        quote! {
            #(#cfgs)*
            impl ::socketio::namespace::EventFunction for #ident {
                const NAME: &'static str = #name;

                fn register(self, _: &::socketio::Socket) {}
            }
        }
    });
    quote! {
        #unit_struct

        #(#cfgs)*
        impl ::socketio::namespace::AsyncEventFunction for #ident {
            const NAME: &'static str = #name;

            fn register(self, _: &::socketio::AsyncSocket) {}
        }

        #blocking
    }
}

/// Whether [`event_function`] can stand in for `item`: not when it takes `self`, which
/// is a method of an impl (the misuse reported), where a struct cannot go.
pub(crate) fn event_function_applies(item: &ItemFn) -> bool {
    item.sig.receiver().is_none()
}
