//! Class-based namespaces: a type whose methods handle one namespace's events.

use crate::client::handler::{BoxFuture, Call};

/// The dispatch table of a class-based namespace, as the client uses it.
pub trait Dispatch: Send + Sync + 'static {
    /// Whether the namespace has a method for `event`.
    fn handles(&self, event: &str) -> bool;
    /// Runs the method for the call's event.
    fn dispatch(&self, call: Call) -> Option<BoxFuture>;
}
