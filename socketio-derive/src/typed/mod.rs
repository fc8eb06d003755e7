//! `#[derive(Events)]` and `#[derive(Request)]`: typed event schemas. Each derive reads
//! the item into a small model, validates it, and writes the trait's impl; on misuse, the
//! errors (each at its span, all at once) and a fallback impl, so that the places that
//! use the type add no error of their own.

mod case;
pub(crate) mod events;
pub(crate) mod request;
mod shape;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Generics, WherePredicate};

/// A fallback impl's `serialize_args`: no argument.
fn fallback_serialize_args() -> TokenStream {
    let serde = shape::serde();
    quote! {
        fn serialize_args<__S: #serde::Serializer>(
            &self,
            __serializer: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            #serde::Serializer::serialize_unit(__serializer)
        }
    }
}

/// `generics` split for a fallback impl, whose where clause also says
/// `for<'__fallback> Self: Send + 'static` (the traits' supertraits), checked where the
/// type is used rather than here (see `crate::fallback`).
fn fallback_generics(generics: &Generics) -> (TokenStream, TokenStream, TokenStream) {
    let mut generics = generics.clone();
    let bound: WherePredicate = syn::parse_quote! {
        for<'__fallback> Self: ::core::marker::Send + 'static
    };
    generics.make_where_clause().predicates.push(bound);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    (
        quote!(#impl_generics),
        quote!(#ty_generics),
        quote!(#where_clause),
    )
}
