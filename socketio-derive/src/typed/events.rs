//! `#[derive(Events)]`: parse the enum into a small model (its variants, their event
//! names and fields), validate what spans several variants (duplicate names), expand
//! the `socketio::Events` impl. On misuse, the errors and a [`fallback`] impl that
//! knows no event, so that the places that use the enum report nothing of their own.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::{Attribute, Data, DeriveInput, Ident, LitStr, Variant};

use super::case::{Case, STYLES};
use super::shape::{serde, Shape};
use crate::errors::Errors;

/// The enum, as the expansion needs it.
struct EventsEnum {
    ident: Ident,
    variants: Vec<EventVariant>,
}

struct EventVariant {
    ident: Ident,
    /// The event's name.
    name: String,
    /// What a duplicate name points at: the `#[event("…")]` string, or the variant.
    origin: TokenStream,
    shape: Shape,
}

/// `#[derive(Events)]` on `input`.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::new();
    let model = parse(&input, &mut errors);
    if let Some(model) = &model {
        validate(model, &mut errors);
    }
    match (errors.finish(), model) {
        (Ok(()), Some(model)) => expand(&model),
        (result, _) => {
            let error = result.err().map(|error| error.to_compile_error());
            let fallback = fallback(&input);
            quote!(#error #fallback)
        }
    }
}

fn parse(input: &DeriveInput, errors: &mut Errors) -> Option<EventsEnum> {
    let case = rename_all(&input.attrs, errors);
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.spanned(
            &input.generics,
            "an `Events` enum cannot be generic: its variants' fields are the events' \
             arguments, of concrete types",
        );
    }
    let Data::Enum(data) = &input.data else {
        let keyword = match &input.data {
            Data::Struct(data) => data.struct_token.to_token_stream(),
            Data::Union(data) => data.union_token.to_token_stream(),
            Data::Enum(_) => TokenStream::new(),
        };
        let name = &input.ident;
        errors.spanned(
            quote!(#keyword #name),
            "#[derive(Events)] goes on an enum, one variant per event: \
             `enum ServerEvent { ChatMessage(String), UserLeft { name: String } }` \
             (for one request and its reply, use #[derive(Request)])",
        );
        return None;
    };
    let variants = data
        .variants
        .iter()
        .filter_map(|variant| event_variant(variant, case, errors))
        .collect();
    Some(EventsEnum {
        ident: input.ident.clone(),
        variants,
    })
}

/// `#[events(rename_all = "…")]`: the style of the event names (snake_case by default).
fn rename_all(attrs: &[Attribute], errors: &mut Errors) -> Case {
    let mut case = Case::Snake;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("events")) {
        let result = attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident("rename_all") {
                return Err(meta.error(
                    "unknown #[events] argument: the one argument is `rename_all = \"camelCase\"`",
                ));
            }
            let style: LitStr = meta.value()?.parse()?;
            match Case::from_style(&style.value()) {
                Some(chosen) => case = chosen,
                None => {
                    let styles: Vec<String> = STYLES
                        .iter()
                        .map(|(name, _)| format!("\"{name}\""))
                        .collect();
                    errors.spanned(
                        &style,
                        format!(
                            "unknown `rename_all` style: use one of {}",
                            styles.join(", ")
                        ),
                    );
                }
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    case
}

/// A variant: its `#[event("name")]` or its renamed name, and its fields.
fn event_variant(variant: &Variant, case: Case, errors: &mut Errors) -> Option<EventVariant> {
    let mut given: Option<LitStr> = None;
    for attr in variant
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("event"))
    {
        match attr.parse_args::<LitStr>() {
            Ok(name) if given.is_some() => errors.spanned(
                name,
                "a variant is one event: remove this second #[event(\"…\")] attribute",
            ),
            Ok(name) if name.value().is_empty() => {
                errors.spanned(name, "an event's name cannot be empty")
            }
            Ok(name) => given = Some(name),
            Err(_) => errors.spanned(
                attr,
                "expected the event's name as a string, such as `#[event(\"chat message\")]`",
            ),
        }
    }
    let (name, origin) = match given {
        Some(name) => (name.value(), name.to_token_stream()),
        None => (
            case.apply(&variant.ident.unraw().to_string()),
            variant.ident.to_token_stream(),
        ),
    };
    Some(EventVariant {
        ident: variant.ident.clone(),
        name,
        origin,
        shape: Shape::of(&variant.fields),
    })
}

/// Two variants with one event name: an error at the second.
fn validate(model: &EventsEnum, errors: &mut Errors) {
    let mut seen: HashMap<&str, &Ident> = HashMap::new();
    for variant in &model.variants {
        if let Some(first) = seen.get(variant.name.as_str()) {
            errors.spanned(
                &variant.origin,
                format!(
                    "the event \"{}\" is already the event of the variant `{first}`: \
                     give this one another name with #[event(\"…\")]",
                    variant.name
                ),
            );
        } else {
            seen.insert(&variant.name, &variant.ident);
        }
    }
}

fn expand(model: &EventsEnum) -> TokenStream {
    let ident = &model.ident;
    let serde = serde();
    let names: Vec<LitStr> = model
        .variants
        .iter()
        .map(|variant| LitStr::new(&variant.name, variant.ident.span()))
        .collect();
    let name_arms = model.variants.iter().zip(&names).map(|(variant, name)| {
        let variant = &variant.ident;
        quote!(Self::#variant { .. } => #name,)
    });
    let serialize_arms = model.variants.iter().map(|variant| {
        let pattern = variant.shape.pattern(&{
            let variant = &variant.ident;
            quote!(Self::#variant)
        });
        let body = variant.shape.serialize(&variant.ident.unraw().to_string());
        quote!(#pattern => #body,)
    });
    let deserialize_arms = model.variants.iter().zip(&names).map(|(variant, name)| {
        let path = {
            let variant = &variant.ident;
            quote!(#ident::#variant)
        };
        let expecting = format!("the arguments of the event \"{}\"", variant.name);
        let body = variant.shape.deserialize(&path, ident, &expecting);
        quote!(#name => #body.map(::core::option::Option::Some),)
    });
    quote! {
        #[automatically_derived]
        impl ::socketio::Events for #ident {
            const NAMES: &'static [&'static str] = &[#(#names),*];

            fn name(&self) -> &'static str {
                match *self {
                    #(#name_arms)*
                }
            }

            #[allow(unused_variables)]
            fn serialize_args<__S: #serde::Serializer>(
                &self,
                __serializer: __S,
            ) -> ::core::result::Result<__S::Ok, __S::Error> {
                match *self {
                    #(#serialize_arms)*
                }
            }

            fn deserialize_args<'__de, __D: #serde::Deserializer<'__de>>(
                __name: &str,
                __args: __D,
            ) -> ::core::result::Result<::core::option::Option<Self>, __D::Error> {
                match __name {
                    #(#deserialize_arms)*
                    _ => {
                        let _ = __args;
                        ::core::result::Result::Ok(::core::option::Option::None)
                    }
                }
            }
        }
    }
}

/// An `Events` impl that knows no event, for the type the derive was written on.
fn fallback(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let serde = serde();
    let serialize_nothing = super::fallback_serialize_args();
    let (impl_generics, ty_generics, where_clause) = super::fallback_generics(&input.generics);
    quote! {
        impl #impl_generics ::socketio::Events for #ident #ty_generics #where_clause {
            const NAMES: &'static [&'static str] = &[];

            fn name(&self) -> &'static str {
                ""
            }

            #serialize_nothing

            fn deserialize_args<'__de, __D: #serde::Deserializer<'__de>>(
                _: &str,
                _: __D,
            ) -> ::core::result::Result<::core::option::Option<Self>, __D::Error> {
                ::core::result::Result::Ok(::core::option::Option::None)
            }
        }
    }
}
