//! `#[derive(Request)]`: a struct whose fields are a request's arguments, with
//! `#[request(event = "sum", reply = T)]`: parse the attribute and the fields, expand
//! the `socketio::Request` impl; on misuse, the errors and a fallback impl.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Ident, LitStr, Type};

use super::case::Case;
use super::shape::{serde, Shape};
use crate::errors::Errors;

/// The struct, as the expansion needs it.
struct RequestStruct {
    ident: Ident,
    event: LitStr,
    reply: Type,
    shape: Shape,
}

/// What `#[request(…)]` says.
#[derive(Default)]
struct RequestAttr {
    event: Option<LitStr>,
    reply: Option<Type>,
}

/// `#[derive(Request)]` on `input`.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::new();
    let attr = request_attr(&input, &mut errors);
    let model = parse(&input, &attr, &mut errors);
    match (errors.finish(), model) {
        (Ok(()), Some(model)) => expand(&model),
        (result, _) => {
            let error = result.err().map(|error| error.to_compile_error());
            let fallback = fallback(&input, &attr);
            quote!(#error #fallback)
        }
    }
}

fn request_attr(input: &DeriveInput, errors: &mut Errors) -> RequestAttr {
    let mut attr = RequestAttr::default();
    for written in input.attrs.iter().filter(|a| a.path().is_ident("request")) {
        let result = written.parse_nested_meta(|meta| {
            if meta.path.is_ident("event") {
                let event: LitStr = meta.value()?.parse()?;
                if event.value().is_empty() {
                    errors.spanned(&event, "an event's name cannot be empty");
                }
                attr.event = Some(event);
            } else if meta.path.is_ident("reply") {
                attr.reply = Some(meta.value()?.parse()?);
            } else {
                return Err(meta.error(
                    "unknown #[request] argument: write `#[request(event = \"sum\", reply = i64)]`",
                ));
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    attr
}

fn parse(input: &DeriveInput, attr: &RequestAttr, errors: &mut Errors) -> Option<RequestStruct> {
    let ident = &input.ident;
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.spanned(
            &input.generics,
            "a `Request` cannot be generic: its fields are the request's arguments, of \
             concrete types",
        );
    }
    let Data::Struct(data) = &input.data else {
        let keyword = match &input.data {
            Data::Enum(data) => data.enum_token.to_token_stream(),
            Data::Union(data) => data.union_token.to_token_stream(),
            Data::Struct(_) => TokenStream::new(),
        };
        errors.spanned(
            quote!(#keyword #ident),
            "#[derive(Request)] goes on a struct whose fields are the request's arguments, \
             such as `struct Sum(i64, i64);` (for an enum of events, use #[derive(Events)])",
        );
        return None;
    };
    let Some(reply) = attr.reply.clone() else {
        errors.spanned(
            ident,
            format!(
                "#[derive(Request)] needs the type of the reply: add \
                 `#[request(reply = ReplyType)]` above `{ident}` (a tuple type for a reply of \
                 several arguments, `()` for none)"
            ),
        );
        return None;
    };
    let event = attr.event.clone().unwrap_or_else(|| {
        LitStr::new(&Case::Snake.apply(&ident.unraw().to_string()), ident.span())
    });
    Some(RequestStruct {
        ident: ident.clone(),
        event,
        reply,
        shape: Shape::of(&data.fields),
    })
}

fn expand(model: &RequestStruct) -> TokenStream {
    let RequestStruct {
        ident,
        event,
        reply,
        shape,
    } = model;
    let serde = serde();
    let pattern = shape.pattern(&quote!(#ident));
    let serialize = shape.serialize(&ident.unraw().to_string());
    let expecting = format!("the arguments of the request \"{}\"", event.value());
    let deserialize = shape.deserialize(&quote!(#ident), ident, &expecting);
    quote! {
        #[automatically_derived]
        impl ::socketio::Request for #ident {
            const EVENT: &'static str = #event;
            type Reply = #reply;

            #[allow(unused_variables)]
            fn serialize_args<__S: #serde::Serializer>(
                &self,
                __serializer: __S,
            ) -> ::core::result::Result<__S::Ok, __S::Error> {
                match *self {
                    #pattern => #serialize,
                }
            }

            fn deserialize_args<'__de, __D: #serde::Deserializer<'__de>>(
                __args: __D,
            ) -> ::core::result::Result<Self, __D::Error> {
                #deserialize
            }
        }
    }
}

/// A `Request` impl for the type the derive was written on, with the reply given (or
/// `()`), that serializes no argument and never deserializes.
fn fallback(input: &DeriveInput, attr: &RequestAttr) -> TokenStream {
    let ident = &input.ident;
    let serde = serde();
    let serialize_nothing = super::fallback_serialize_args();
    let event = attr
        .event
        .clone()
        .unwrap_or_else(|| LitStr::new("", ident.span()));
    let reply = attr
        .reply
        .as_ref()
        .map_or_else(|| quote!(()), ToTokens::to_token_stream);
    let (impl_generics, ty_generics, where_clause) = super::fallback_generics(&input.generics);
    quote! {
        impl #impl_generics ::socketio::Request for #ident #ty_generics #where_clause {
            const EVENT: &'static str = #event;
            type Reply = #reply;

            #serialize_nothing

            fn deserialize_args<'__de, __D: #serde::Deserializer<'__de>>(
                _: __D,
            ) -> ::core::result::Result<Self, __D::Error> {
                ::core::result::Result::Err(<__D::Error as #serde::de::Error>::custom(
                    "this request type did not compile",
                ))
            }
        }
    }
}
