//! Checks across the methods of a namespace: one method per event, and one client.

use std::collections::HashMap;

use crate::errors::Errors;
use crate::model::{EventMethod, Namespace, Param, SocketFlavor};

/// The clients a namespace works with, which decides the traits it implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clients {
    /// Every event method is synchronous and takes no socket: both clients
    /// (`AsyncClientNamespace` and `ClientNamespace`).
    Both,
    /// An `async` method or an `AsyncSocket` parameter: `AsyncClientNamespace` only.
    Async,
    /// A `Socket` parameter: `ClientNamespace` only.
    Blocking,
}

impl Clients {
    pub(crate) fn is_async(self) -> bool {
        self != Clients::Blocking
    }

    pub(crate) fn is_blocking(self) -> bool {
        self != Clients::Async
    }
}

/// Records duplicate events and conflicting clients; says which clients the namespace is
/// for (`Both` when they conflict: see [`fallback`](crate::fallback)).
pub(crate) fn namespace(namespace: &Namespace, errors: &mut Errors) -> Clients {
    let mut seen: HashMap<&str, &EventMethod> = HashMap::new();
    for method in &namespace.events {
        if let Some(first) = seen.get(method.name.value.as_str()) {
            errors.spanned(
                &method.name.origin,
                format!(
                    "duplicate event \"{}\": `{}` already handles it; a namespace has one \
                     method per event",
                    method.name.value, first.ident
                ),
            );
        } else {
            seen.insert(&method.name.value, method);
        }
    }

    // Why the namespace needs the async client, if it does: the first async method or
    // `AsyncSocket` parameter.
    let needs_async = namespace.events.iter().find_map(|method| {
        if method.asyncness.is_some() {
            Some(format!("`{}` is `async`", method.ident))
        } else {
            method
                .socket(SocketFlavor::Async)
                .map(|_| format!("`{}` takes an `AsyncSocket`", method.ident))
        }
    });
    let mut needs_blocking = false;
    for method in &namespace.events {
        for param in &method.params {
            let Param::Socket {
                flavor: SocketFlavor::Blocking,
                ty,
                ..
            } = param
            else {
                continue;
            };
            needs_blocking = true;
            if let Some(reason) = &needs_async {
                errors.spanned(
                    ty,
                    format!(
                        "`Socket` is the blocking `Client`'s handle, but {reason}, which only \
                         `AsyncClient` runs: a namespace is for one client; take `AsyncSocket` \
                         here, or make every method synchronous and take `Socket`"
                    ),
                );
            }
        }
    }

    match (needs_async.is_some(), needs_blocking) {
        // A conflict, reported above: the namespace is meant for one client or the
        // other, so its fallback impls are for both (registering it adds no error).
        (true, true) => Clients::Both,
        (true, false) => Clients::Async,
        (false, true) => Clients::Blocking,
        (false, false) => Clients::Both,
    }
}
