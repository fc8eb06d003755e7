//! Unit tests of parsing, validation and expansion, on token streams.
//! `cargo test -p socketio-derive -- --nocapture` prints the expansion of an example.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{File, ImplItem, Item, ItemImpl};

use crate::{event_impl, namespace_impl};

fn expand_namespace(args: TokenStream, input: TokenStream) -> File {
    let output = namespace_impl(args, input);
    syn::parse2(output.clone()).unwrap_or_else(|e| panic!("{e}: {output}"))
}

/// The trait impls of the expansion, by trait name (`AsyncClientNamespace`, …).
fn trait_impl<'a>(file: &'a File, name: &str) -> Option<&'a ItemImpl> {
    file.items.iter().find_map(|item| match item {
        Item::Impl(imp) => imp
            .trait_
            .as_ref()
            .filter(|(_, path, _)| path.segments.last().is_some_and(|s| s.ident == name))
            .map(|_| imp),
        _ => None,
    })
}

fn item_fn(imp: &ItemImpl, name: &str) -> String {
    imp.items
        .iter()
        .find_map(|item| match item {
            ImplItem::Fn(f) if f.sig.ident == name => Some(f.to_token_stream().to_string()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fn {name}"))
}

/// The `compile_error!` messages of an expansion.
fn errors(output: TokenStream) -> Vec<String> {
    let mut messages = Vec::new();
    let mut tokens = output.into_iter().peekable();
    while let Some(token) = tokens.next() {
        if let proc_macro2::TokenTree::Ident(ident) = &token {
            if ident == "compile_error" {
                // `compile_error ! { "message" }`
                tokens.next();
                if let Some(proc_macro2::TokenTree::Group(group)) = tokens.next() {
                    let literal: syn::LitStr = syn::parse2(group.stream()).unwrap();
                    messages.push(literal.value());
                }
            }
        }
    }
    messages
}

fn chat() -> TokenStream {
    quote! {
        impl Chat {
            #[event]
            async fn on_connect(&self, socket: AsyncSocket) {
                socket.emit("hello", ()).await.ok();
            }

            #[event]
            async fn on_my_event(&self, data: MyData) -> (String, i32) {
                (data.name, 1)
            }

            #[event("my message")]
            fn message(&self, text: String) {
                println!("{text}");
            }

            #[socketio::event]
            fn on_disconnect(&self, reason: DisconnectReason) {}

            fn helper(&self) {}
        }
    }
}

#[test]
fn prints_the_expansion_of_an_example() {
    let output = namespace_impl(quote!("/chat"), chat());
    println!("{output}");
    let file: File = syn::parse2(output).unwrap();
    assert!(trait_impl(&file, "AsyncClientNamespace").is_some());
    assert!(trait_impl(&file, "ClientNamespace").is_none());
}

#[test]
fn the_dispatch_table_matches_event_names() {
    let file = expand_namespace(quote!("/chat"), chat());
    let imp = trait_impl(&file, "AsyncClientNamespace").unwrap();
    let namespace = imp.items.iter().find_map(|item| match item {
        ImplItem::Const(c) => Some(c.expr.to_token_stream().to_string()),
        _ => None,
    });
    assert_eq!(namespace.as_deref(), Some("\"/chat\""));
    let handles = item_fn(imp, "handles");
    assert!(
        handles.contains(
            r#"matches ! (event , "connect" | "my_event" | "my message" | "disconnect")"#
        ),
        "{handles}"
    );
    let dispatch = item_fn(imp, "dispatch");
    for arm in [
        r#""connect" =>"#,
        r#""my_event" =>"#,
        r#""my message" =>"#,
        r#""disconnect" =>"#,
    ] {
        assert!(dispatch.contains(arm), "{arm} in {dispatch}");
    }
    assert!(
        dispatch.contains("arg :: < MyData > (& __call , 0) ?"),
        "{dispatch}"
    );
    assert!(
        dispatch.contains("self . on_my_event (__arg0) . await"),
        "{dispatch}"
    );
    assert!(
        dispatch.contains("self . on_connect (__socket . clone ()) . await"),
        "{dispatch}"
    );
    assert!(
        dispatch.contains("reply :: < (String , i32) > (__ack , & __reply)"),
        "{dispatch}"
    );
    assert!(!dispatch.contains("helper"), "{dispatch}");
}

#[test]
fn the_event_attributes_are_consumed_and_the_impl_kept() {
    let file = expand_namespace(quote!("/chat"), chat());
    let imp = file
        .items
        .iter()
        .find_map(|item| match item {
            Item::Impl(imp) if imp.trait_.is_none() => Some(imp),
            _ => None,
        })
        .unwrap();
    let mut methods = Vec::new();
    for item in &imp.items {
        let ImplItem::Fn(f) = item else { panic!() };
        assert!(f.attrs.iter().all(|a| !crate::attr::is_event(a)));
        methods.push(f.sig.ident.to_string());
    }
    assert_eq!(
        methods,
        [
            "on_connect",
            "on_my_event",
            "message",
            "on_disconnect",
            "helper"
        ]
    );
}

#[test]
fn the_clients_follow_from_the_methods() {
    let cases = [
        (
            quote!(
                fn on_a(&self, x: i64) {}
            ),
            true,
            true,
        ),
        (
            quote!(
                async fn on_a(&self) {}
            ),
            true,
            false,
        ),
        (
            quote!(
                fn on_a(&self, s: AsyncSocket) {}
            ),
            true,
            false,
        ),
        (
            quote!(
                fn on_a(&self, s: &socketio::AsyncSocket) {}
            ),
            true,
            false,
        ),
        (
            quote!(
                fn on_a(&self, s: Socket) {}
            ),
            false,
            true,
        ),
        (
            quote!(
                fn on_a(&self, s: &::socketio::Socket) {}
            ),
            false,
            true,
        ),
    ];
    for (method, is_async, is_blocking) in cases {
        let input = quote!(impl N { #[event] #method });
        let file = expand_namespace(TokenStream::new(), input);
        assert_eq!(
            trait_impl(&file, "AsyncClientNamespace").is_some(),
            is_async,
            "{method}"
        );
        assert_eq!(
            trait_impl(&file, "ClientNamespace").is_some(),
            is_blocking,
            "{method}"
        );
    }
}

#[test]
fn sockets_do_not_count_as_arguments() {
    let input = quote! {
        impl Room {
            #[event]
            fn on_add(&self, a: i64, socket: &Socket, b: i64) {}
        }
    };
    let file = expand_namespace(quote!("/room"), input);
    let dispatch = item_fn(trait_impl(&file, "ClientNamespace").unwrap(), "dispatch");
    assert!(
        dispatch.contains("arg :: < i64 > (& __call , 0)"),
        "{dispatch}"
    );
    assert!(
        dispatch.contains("arg :: < i64 > (& __call , 1)"),
        "{dispatch}"
    );
    assert!(
        dispatch.contains("self . on_add (__arg0 , __socket , __arg1)"),
        "{dispatch}"
    );
}

#[test]
fn event_names_come_from_the_method_or_the_attribute() {
    let input = quote! {
        impl N {
            #[event] fn on_connect(&self) {}
            #[event] fn plain(&self) {}
            #[event] fn r#type(&self) {}
            #[event] fn on_(&self) {}
            #[event("with spaces")] fn on_named(&self) {}
        }
    };
    let file = expand_namespace(TokenStream::new(), input);
    let handles = item_fn(trait_impl(&file, "ClientNamespace").unwrap(), "handles");
    assert!(
        handles.contains(r#""connect" | "plain" | "type" | "on_" | "with spaces""#),
        "{handles}"
    );
}

#[test]
fn a_namespace_without_events_handles_nothing() {
    let file = expand_namespace(quote!("/empty"), quote!(impl Empty {}));
    let imp = trait_impl(&file, "AsyncClientNamespace").unwrap();
    assert!(item_fn(imp, "handles").contains("false"));
    assert!(trait_impl(&file, "ClientNamespace").is_some());
}

#[test]
fn every_misuse_is_reported_at_once() {
    let input = quote! {
        impl Chat {
            #[event] fn on_a(text: String) {}
            #[event] fn on_b(self) {}
            #[event] fn on_c(&mut self) {}
            #[event(42)] fn d(&self) {}
            #[event] fn on_e(&self) {}
            #[event("e")] fn e_again(&self) {}
            #[event] fn on_f(&self, s: AsyncSocket) {}
            #[event] fn on_g(&self, s: Socket) {}
            #[event] fn on_h(&self, text: &str) {}
            #[event] fn on_i<T>(&self, t: T) {}
            #[event] #[event] fn on_j(&self) {}
            #[event] const K: i32 = 1;
        }
    };
    let output = namespace_impl(quote!("chat"), input);
    let errors = errors(output.clone());
    let expected = [
        "a namespace path starts with '/'",
        "takes `&self`: write `fn on_a(&self, …)`",
        "not `self`",
        "not `&mut self`",
        "expected the event's name as a string",
        "duplicate event \"e\": `on_e` already handles it",
        "`on_f` takes an `AsyncSocket`",
        "deserialized into an owned value",
        "cannot be generic",
        "remove this second #[event]",
        "#[event] goes on a method",
    ];
    for message in expected {
        assert!(
            errors.iter().any(|e| e.contains(message)),
            "{message:?} in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), expected.len(), "{errors:#?}");
    // The impl is still there (without its #[event] attributes), and fallback trait
    // impls that handle nothing: for both clients, as the methods conflict.
    let file: File = syn::parse2(output).unwrap();
    for name in ["AsyncClientNamespace", "ClientNamespace"] {
        let imp = trait_impl(&file, name).unwrap();
        assert_eq!(
            item_fn(imp, "handles"),
            "fn handles (_ : & str) -> bool { false }"
        );
        assert!(!item_fn(imp, "dispatch").contains("match"));
    }
    let Item::Impl(imp) = &file.items[0] else {
        panic!("the impl first")
    };
    assert!(imp.trait_.is_none());
    assert_eq!(imp.items.len(), 12);
    for item in &imp.items {
        let attrs = match item {
            ImplItem::Fn(f) => &f.attrs,
            ImplItem::Const(c) => &c.attrs,
            _ => panic!(),
        };
        assert!(attrs.is_empty(), "{}", item.to_token_stream());
    }
    // The attributes' path is still resolved, by one marker item.
    let markers: Vec<String> = file.items[1..]
        .iter()
        .filter(|item| matches!(item, Item::Const(_)))
        .map(|item| item.to_token_stream().to_string())
        .collect();
    assert_eq!(
        markers,
        ["# [event (__consumed_by_namespace)] const _ : () = () ;"]
    );
}

#[test]
fn the_marker_left_by_namespace_expands_to_nothing() {
    let output = event_impl(
        quote!(__consumed_by_namespace),
        quote!(
            const _: () = ();
        ),
    );
    assert!(output.is_empty(), "{output}");
}

#[test]
fn namespace_arguments_and_items() {
    let cases = [
        (
            quote!(chat),
            quote!(impl Chat {}),
            "expected the namespace's path as a string",
        ),
        (
            quote!("/a", "/b"),
            quote!(impl Chat {}),
            "expected the namespace's path as a string",
        ),
        (
            quote!(),
            quote!(
                struct Chat;
            ),
            "#[namespace] goes on an impl block",
        ),
        (
            quote!(),
            quote!(impl Default for Chat {}),
            "not on an impl of a trait",
        ),
        (
            quote!(),
            quote!(
                impl<T> Chat<T> {}
            ),
            "does not support generic impls",
        ),
    ];
    for (args, input, message) in cases {
        let errors = errors(namespace_impl(args, input));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(message), "{message:?}: {errors:?}");
    }
}

#[test]
fn an_event_function_becomes_a_unit_struct() {
    let input = quote! {
        /// Docs.
        pub async fn message(data: MyMsg) -> bool { true }
    };
    let file: File = syn::parse2(event_impl(TokenStream::new(), input)).unwrap();
    println!("{}", file.to_token_stream());
    let Item::Struct(unit) = &file.items[0] else {
        panic!()
    };
    assert_eq!(unit.ident, "message");
    assert!(matches!(unit.vis, syn::Visibility::Public(_)));
    assert!(matches!(unit.fields, syn::Fields::Unit));
    let Item::Impl(inherent) = &file.items[1] else {
        panic!()
    };
    let call = item_fn(inherent, "call");
    assert!(
        call.starts_with("# [doc = r\" Docs.\"] pub async fn call (data : MyMsg) -> bool"),
        "{call}"
    );
    let imp = trait_impl(&file, "AsyncEventFunction").unwrap();
    let register = item_fn(imp, "register");
    assert!(register.contains("on_async"), "{register}");
    assert!(
        register.contains("Self :: call (__arg0) . await"),
        "{register}"
    );
    assert!(
        trait_impl(&file, "EventFunction").is_none(),
        "an async function is not for the blocking client"
    );

    let file: File = syn::parse2(event_impl(
        quote!("my message"),
        quote!(
            fn message(text: String) {}
        ),
    ))
    .unwrap();
    let imp = trait_impl(&file, "EventFunction").unwrap();
    let name = imp.items.iter().find_map(|item| match item {
        ImplItem::Const(c) => Some(c.expr.to_token_stream().to_string()),
        _ => None,
    });
    assert_eq!(name.as_deref(), Some("\"my message\""));
    assert!(item_fn(imp, "register").contains("on_blocking"));
}

#[test]
fn event_function_misuses() {
    let cases = [
        (
            quote!(),
            quote!(
                fn on_x(&self) {}
            ),
            "use #[event] on methods inside a #[namespace] impl",
        ),
        (
            quote!(42),
            quote!(
                fn x() {}
            ),
            "expected the event's name as a string",
        ),
        (
            quote!(""),
            quote!(
                fn x() {}
            ),
            "cannot be empty",
        ),
        (
            quote!(),
            quote!(
                fn x(s: AsyncSocket) {}
            ),
            "receives only the event's arguments",
        ),
        (
            quote!(),
            quote!(
                fn x(s: &str) {}
            ),
            "deserialized into an owned value",
        ),
        (
            quote!(),
            quote!(
                fn x(s: impl Trait) {}
            ),
            "concrete type",
        ),
        (
            quote!(),
            quote!(
                fn x<T>(t: T) {}
            ),
            "cannot be generic",
        ),
        (
            quote!(),
            quote!(
                unsafe fn x() {}
            ),
            "cannot be `unsafe`",
        ),
        (
            quote!(),
            quote!(
                #[event]
                fn x() {}
            ),
            "remove this second #[event]",
        ),
        (
            quote!(),
            quote!(
                struct X;
            ),
            "#[event] goes on a function",
        ),
    ];
    for (args, input, message) in cases {
        let output = event_impl(args, input.clone());
        let errors = errors(output.clone());
        assert_eq!(errors.len(), 1, "{input}: {errors:?}");
        assert!(errors[0].contains(message), "{message:?}: {errors:?}");
        let file: File = syn::parse2(output.clone()).unwrap();
        let free_function = syn::parse2::<syn::ItemFn>(input.clone())
            .is_ok_and(|function| function.sig.receiver().is_none());
        match &file.items[0] {
            // A free function: the unit struct and the traits, which register nothing.
            Item::Struct(unit) if free_function => {
                assert_eq!(unit.ident, "x", "{output}");
                let call = item_fn(inherent_impl(&file), "call");
                assert!(!call.contains("# [event]"), "{call}");
                for name in ["AsyncEventFunction", "EventFunction"] {
                    let imp = trait_impl(&file, name).unwrap();
                    assert!(item_fn(imp, "register").ends_with("{ }"), "{output}");
                }
            }
            // A method, or not a function: the item stays as written.
            _ => assert!(
                output.to_string().starts_with(&input.to_string()),
                "{output}"
            ),
        }
    }
}

/// The inherent impl of an expansion.
fn inherent_impl(file: &File) -> &ItemImpl {
    file.items
        .iter()
        .find_map(|item| match item {
            Item::Impl(imp) if imp.trait_.is_none() => Some(imp),
            _ => None,
        })
        .unwrap()
}

/// The value of the `const` of a trait impl (`NAMESPACE`, `NAME`).
fn trait_const(imp: &ItemImpl) -> String {
    imp.items
        .iter()
        .find_map(|item| match item {
            ImplItem::Const(c) => Some(c.expr.to_token_stream().to_string()),
            _ => None,
        })
        .unwrap()
}

#[test]
fn a_misused_namespace_still_implements_its_traits() {
    // The clients the valid methods say; both when nothing says.
    let cases = [
        (
            quote!(impl N { #[event] fn on_a(&self, s: &str) {} }),
            true,
            true,
        ),
        (
            quote!(impl N {
                #[event] async fn on_a(&self) {}
                #[event] fn on_b(&self, s: &str) {}
            }),
            true,
            false,
        ),
        (
            quote!(impl N {
                #[event] fn on_a(&self, s: Socket) {}
                #[event] fn on_b(self) {}
            }),
            false,
            true,
        ),
    ];
    for (input, is_async, is_blocking) in cases {
        let output = namespace_impl(quote!("/n"), input.clone());
        assert_eq!(errors(output.clone()).len(), 1, "{output}");
        let file: File = syn::parse2(output).unwrap();
        let async_impl = trait_impl(&file, "AsyncClientNamespace");
        let blocking_impl = trait_impl(&file, "ClientNamespace");
        assert_eq!(async_impl.is_some(), is_async, "{input}");
        assert_eq!(blocking_impl.is_some(), is_blocking, "{input}");
        for imp in async_impl.into_iter().chain(blocking_impl) {
            assert_eq!(trait_const(imp), "\"/n\"");
            assert!(item_fn(imp, "handles").contains("false"));
        }
    }

    // On the type the attribute was written on, with its generics, and a bound that
    // leaves `Send + Sync + 'static` to the place of use.
    let cases = [
        (quote!("x"), quote!(impl Chat {}), "Chat", "/"),
        (
            quote!(),
            quote!(
                struct Chat;
            ),
            "Chat",
            "/",
        ),
        (
            quote!("/c"),
            quote!(
                enum Chat<T> {
                    A(T),
                }
            ),
            "Chat < T >",
            "/c",
        ),
        (quote!(), quote!(impl Default for Chat {}), "Chat", "/"),
        (
            quote!(),
            quote!(
                impl<T: Clone> Chat<T> where T: Copy {}
            ),
            "Chat < T >",
            "/",
        ),
    ];
    for (args, input, self_ty, path) in cases {
        let output = namespace_impl(args, input.clone());
        assert_eq!(errors(output.clone()).len(), 1, "{output}");
        let file: File = syn::parse2(output).unwrap();
        for name in ["AsyncClientNamespace", "ClientNamespace"] {
            let imp = trait_impl(&file, name).unwrap_or_else(|| panic!("{name}: {input}"));
            assert_eq!(imp.self_ty.to_token_stream().to_string(), self_ty);
            assert_eq!(trait_const(imp), format!("{path:?}"));
            let where_clause = imp.generics.where_clause.to_token_stream().to_string();
            assert!(
                where_clause.contains("for < '__fallback > Self : :: core :: marker :: Send"),
                "{where_clause}"
            );
            if self_ty.contains('T') {
                assert_eq!(imp.generics.params.len(), 1, "{input}");
            }
        }
    }

    // Not on other items.
    let output = namespace_impl(
        quote!(),
        quote!(
            fn chat() {}
        ),
    );
    let file: File = syn::parse2(output).unwrap();
    assert!(trait_impl(&file, "AsyncClientNamespace").is_none());
}

#[test]
fn a_misused_event_function_still_implements_its_traits() {
    // Named as written when the name was read, else after the function.
    let output = event_impl(
        quote!("my message"),
        quote!(
            fn x(s: &str) {}
        ),
    );
    let file: File = syn::parse2(output).unwrap();
    assert_eq!(
        trait_const(trait_impl(&file, "AsyncEventFunction").unwrap()),
        "\"my message\""
    );
    let output = event_impl(
        quote!(42),
        quote!(
            fn r#type() {}
        ),
    );
    let file: File = syn::parse2(output).unwrap();
    assert_eq!(
        trait_const(trait_impl(&file, "EventFunction").unwrap()),
        "\"type\""
    );

    // `async`: for the async client only.
    let output = event_impl(
        quote!(),
        quote!(
            async fn x(s: &str) {}
        ),
    );
    let file: File = syn::parse2(output).unwrap();
    assert!(trait_impl(&file, "AsyncEventFunction").is_some());
    assert!(trait_impl(&file, "EventFunction").is_none());

    // The cfg and docs carry over, to every item.
    let output = event_impl(
        quote!(),
        quote!(
            /// Docs.
            #[cfg(feature = "x")]
            fn x(s: &str) {}
        ),
    );
    let file: File = syn::parse2(output).unwrap();
    for item in &file.items {
        let attrs = match item {
            Item::Struct(item) => &item.attrs,
            Item::Impl(item) => &item.attrs,
            _ => continue,
        };
        assert!(
            attrs.iter().any(|attr| attr.path().is_ident("cfg")),
            "{}",
            item.to_token_stream()
        );
    }
}
