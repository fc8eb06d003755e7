//! The arguments of a variant or a struct, by the shape of its fields: a unit has none, a
//! tuple's fields are the arguments in order, named fields are one object argument. The
//! code written here (de)serializes each field through a helper called with the field's
//! type at the field's span, so that a type that is not `Serialize` or
//! `DeserializeOwned` is reported at the field.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Fields, Ident, LitStr, Type};

/// The hidden runtime helpers of the typed derives.
pub(crate) fn typed() -> TokenStream {
    quote!(::socketio::namespace::__private::typed)
}

/// The serde crate, as the runtime re-exports it.
pub(crate) fn serde() -> TokenStream {
    quote!(::socketio::namespace::__private::typed::serde)
}

/// The fields of a variant or a struct.
pub(crate) enum Shape {
    Unit,
    Tuple(Vec<Type>),
    Named(Vec<(Ident, Type)>),
}

impl Shape {
    pub(crate) fn of(fields: &Fields) -> Shape {
        match fields {
            Fields::Unit => Shape::Unit,
            Fields::Unnamed(fields) => {
                Shape::Tuple(fields.unnamed.iter().map(|f| f.ty.clone()).collect())
            }
            Fields::Named(fields) => Shape::Named(
                fields
                    .named
                    .iter()
                    .filter_map(|f| Some((f.ident.clone()?, f.ty.clone())))
                    .collect(),
            ),
        }
    }

    fn binding(index: usize) -> Ident {
        format_ident!("__f{}", index)
    }

    /// A pattern for `path` (`Self::Variant` or `Self`) that binds every field by
    /// reference as `__f0`, `__f1`, …
    pub(crate) fn pattern(&self, path: &TokenStream) -> TokenStream {
        match self {
            Shape::Unit => quote!(#path),
            Shape::Tuple(types) => {
                let bindings = (0..types.len()).map(Self::binding);
                quote!(#path(#(ref #bindings),*))
            }
            Shape::Named(fields) => {
                let names = fields.iter().map(|(ident, _)| ident);
                let bindings = (0..fields.len()).map(Self::binding);
                quote!(#path { #(#names: ref #bindings),* })
            }
        }
    }

    /// Serializes the fields bound by [`pattern`](Self::pattern) with `__serializer`;
    /// `name` names the struct of a struct variant.
    pub(crate) fn serialize(&self, name: &str) -> TokenStream {
        let typed = typed();
        let serde = serde();
        match self {
            Shape::Unit => quote!(#serde::Serializer::serialize_unit(__serializer)),
            Shape::Tuple(types) => {
                let len = types.len();
                let elements = types.iter().enumerate().map(|(index, ty)| {
                    let binding = Self::binding(index);
                    quote_spanned!(ty.span()=> #typed::element::<_, #ty>(&mut __tuple, #binding)?;)
                });
                quote! {{
                    let mut __tuple = #serde::Serializer::serialize_tuple(__serializer, #len)?;
                    #(#elements)*
                    #serde::ser::SerializeTuple::end(__tuple)
                }}
            }
            Shape::Named(fields) => {
                let len = fields.len();
                let entries = fields.iter().enumerate().map(|(index, (ident, ty))| {
                    let binding = Self::binding(index);
                    let key = key(ident);
                    quote_spanned!(ty.span()=> #typed::field::<_, #ty>(&mut __object, #key, #binding)?;)
                });
                quote! {{
                    let mut __object =
                        #serde::Serializer::serialize_struct(__serializer, #name, #len)?;
                    #(#entries)*
                    #serde::ser::SerializeStruct::end(__object)
                }}
            }
        }
    }

    /// An expression that deserializes `value` (a constructor path: `Self::Variant`, or
    /// the struct's name) from the arguments `__args`, a `Deserializer` of a sequence, in
    /// a function whose return type is `Result<_, __D::Error>`; `value_ty` is the type
    /// constructed (`Self` cannot be named inside the nested visitor).
    pub(crate) fn deserialize(
        &self,
        value: &TokenStream,
        value_ty: &Ident,
        expecting: &str,
    ) -> TokenStream {
        let typed = typed();
        let serde = serde();
        let (len, prelude, lets, build) = match self {
            Shape::Unit => {
                return quote! {{
                    let _ = __args;
                    ::core::result::Result::Ok(#value)
                }};
            }
            Shape::Tuple(types) => {
                let lets = types.iter().enumerate().map(|(index, ty)| {
                    let binding = Self::binding(index);
                    quote_spanned! {ty.span()=>
                        let #binding = #typed::next::<__A, #ty>(&mut __seq, #index, #expecting)?;
                    }
                });
                let bindings = (0..types.len()).map(Self::binding);
                (
                    types.len(),
                    TokenStream::new(),
                    quote!(#(#lets)*),
                    quote!(#value(#(#bindings),*)),
                )
            }
            Shape::Named(fields) => {
                let object = object(fields, expecting);
                let names = fields.iter().map(|(ident, _)| ident);
                let indices = (0..fields.len()).map(syn::Index::from);
                (
                    1,
                    object,
                    quote!(let __object = #typed::next::<__A, __Object>(&mut __seq, 0, #expecting)?;),
                    quote!(#value { #(#names: __object.#indices),* }),
                )
            }
        };
        quote! {{
            #prelude
            struct __Visitor;
            impl<'__v> #serde::de::Visitor<'__v> for __Visitor {
                type Value = #value_ty;

                fn expecting(
                    &self,
                    __formatter: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    __formatter.write_str(#expecting)
                }

                fn visit_seq<__A: #serde::de::SeqAccess<'__v>>(
                    self,
                    mut __seq: __A,
                ) -> ::core::result::Result<#value_ty, __A::Error> {
                    #lets
                    ::core::result::Result::Ok(#build)
                }
            }
            #serde::Deserializer::deserialize_tuple(__args, #len, __Visitor)
        }}
    }
}

/// The key of a named field: its name, without `r#`.
fn key(ident: &Ident) -> LitStr {
    LitStr::new(&ident.unraw().to_string(), ident.span())
}

/// `struct __Object(T0, T1, …)` and its `Deserialize` from an object with the fields'
/// names as keys (unknown keys ignored, missing ones fit `Option`s only).
fn object(fields: &[(Ident, Type)], expecting: &str) -> TokenStream {
    let typed = typed();
    let serde = serde();
    let types = fields.iter().map(|(_, ty)| ty);
    let slots: Vec<Ident> = (0..fields.len()).map(Shape::binding).collect();
    let arms = fields.iter().zip(&slots).map(|((ident, ty), slot)| {
        let key = key(ident);
        quote_spanned! {ty.span()=>
            #key => #typed::value::<__M, #ty>(&mut __map, &mut #slot)?,
        }
    });
    let takes = fields.iter().zip(&slots).map(|((ident, ty), slot)| {
        let key = key(ident);
        quote_spanned!(ty.span()=> #typed::take::<__M::Error, #ty>(#slot, #key)?)
    });
    quote! {
        struct __Object(#(#types),*);

        impl<'__d> #serde::Deserialize<'__d> for __Object {
            fn deserialize<__D2: #serde::Deserializer<'__d>>(
                __deserializer: __D2,
            ) -> ::core::result::Result<Self, __D2::Error> {
                struct __ObjectVisitor;
                impl<'__m> #serde::de::Visitor<'__m> for __ObjectVisitor {
                    type Value = __Object;

                    fn expecting(
                        &self,
                        __formatter: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        __formatter.write_str(#expecting)
                    }

                    fn visit_map<__M: #serde::de::MapAccess<'__m>>(
                        self,
                        mut __map: __M,
                    ) -> ::core::result::Result<__Object, __M::Error> {
                        #(let mut #slots = ::core::option::Option::None;)*
                        while let ::core::option::Option::Some(__key) =
                            #serde::de::MapAccess::next_key::<::std::string::String>(&mut __map)?
                        {
                            match __key.as_str() {
                                #(#arms)*
                                _ => #typed::skip(&mut __map)?,
                            }
                        }
                        ::core::result::Result::Ok(__Object(#(#takes),*))
                    }
                }
                #serde::Deserializer::deserialize_map(__deserializer, __ObjectVisitor)
            }
        }
    }
}
