//! The handler table: per namespace, the function handlers, the class-based namespace
//! and the catch-all, and the precedence that picks one for an event.

use std::sync::{Arc, RwLock};

use rustc_hash::FxHashMap as HashMap;
use tracing::debug;

use super::handler::{BoxFuture, Call, ErasedHandler};

/// Whether `event` is one the client raises itself (a server cannot emit it).
pub(crate) fn is_reserved(event: &str) -> bool {
    matches!(
        event,
        "connect"
            | "connect_error"
            | "disconnect"
            | "reconnect_attempt"
            | "reconnect"
            | "reconnect_error"
            | "reconnect_failed"
    )
}

/// The dispatch table of a class-based namespace, as the router uses it (implemented
/// in [`crate::namespace`] over the traits `#[namespace]` generates).
pub(crate) trait ClassHandler: Send + Sync + 'static {
    /// Whether a method handles `event`.
    fn handles(&self, event: &str) -> bool;
    /// Runs the method of the call's event.
    fn dispatch(&self, call: Call) -> Option<BoxFuture>;
}

/// What handles an event.
pub(crate) enum Target {
    Handler(ErasedHandler),
    Class(Arc<dyn ClassHandler>),
}

/// What handles an event, and the names its errors are reported under: shared with
/// the table for a function handler, so an event delivered to one copies no name.
pub(crate) struct Found {
    pub(crate) target: Target,
    pub(crate) namespace: Arc<str>,
    pub(crate) event: Arc<str>,
}

/// A function handler, and whether it runs once only (`once`).
struct Entry {
    handler: ErasedHandler,
    once: bool,
}

/// Handlers of one namespace.
struct NamespaceHandlers {
    name: Arc<str>,
    /// Keyed by the event's name, which what is found shares.
    events: HashMap<Arc<str>, Entry>,
    any: Option<ErasedHandler>,
    class: Option<Arc<dyn ClassHandler>>,
}

impl NamespaceHandlers {
    fn new(name: &str) -> Self {
        NamespaceHandlers {
            name: Arc::from(name),
            events: HashMap::default(),
            any: None,
            class: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.any.is_none() && self.class.is_none()
    }

    /// A function handler, else a class method, else the catch-all (never for the
    /// client's own events).
    fn find(&self, event: &str) -> Option<Found> {
        let (target, name) = if let Some((name, entry)) = self.events.get_key_value(event) {
            (Target::Handler(entry.handler.clone()), name.clone())
        } else if let Some(class) = self.class.as_ref().filter(|c| c.handles(event)) {
            (Target::Class(class.clone()), Arc::from(event))
        } else {
            match &self.any {
                Some(any) if !is_reserved(event) => {
                    (Target::Handler(any.clone()), Arc::from(event))
                }
                _ => return None,
            }
        };
        Some(self.found(target, name))
    }

    fn found(&self, target: Target, event: Arc<str>) -> Found {
        Found {
            target,
            namespace: self.name.clone(),
            event,
        }
    }
}

/// Every namespace's handlers. Written by user calls, read for every event.
#[derive(Default)]
pub(crate) struct HandlerTable {
    namespaces: RwLock<HashMap<String, NamespaceHandlers>>,
}

impl HandlerTable {
    /// Installs the function handler of `event`, replacing an earlier one; with `once`,
    /// it is removed when it is picked for an event.
    pub(crate) fn on(&self, namespace: &str, event: &str, handler: ErasedHandler, once: bool) {
        self.update(namespace, |h| {
            h.events.insert(Arc::from(event), Entry { handler, once });
        });
    }

    /// Removes the function handler of `event` (the class or the catch-all, if any,
    /// then gets the event).
    pub(crate) fn off(&self, namespace: &str, event: &str) {
        self.update(namespace, |h| {
            h.events.remove(event);
        });
    }

    pub(crate) fn on_any(&self, namespace: &str, handler: Option<ErasedHandler>) {
        self.update(namespace, |h| h.any = handler);
    }

    pub(crate) fn set_class(&self, namespace: &str, class: Arc<dyn ClassHandler>) {
        self.update(namespace, |h| h.class = Some(class));
    }

    fn update(&self, namespace: &str, f: impl FnOnce(&mut NamespaceHandlers)) {
        let mut namespaces = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
        let handlers = namespaces
            .entry(namespace.to_owned())
            .or_insert_with(|| NamespaceHandlers::new(namespace));
        f(handlers);
    }

    /// What handles `event` on `namespace`, if anything.
    /// A `once` handler is removed here, under the write lock, so it is picked at most
    /// once even when two events race for it.
    pub(crate) fn find(&self, namespace: &str, event: &str) -> Option<Found> {
        let found = {
            let namespaces = self.namespaces.read().unwrap_or_else(|e| e.into_inner());
            let handlers = namespaces.get(namespace);
            match handlers.and_then(|h| h.events.get(event)) {
                Some(entry) if entry.once => None,
                _ => Some(handlers.and_then(|h| h.find(event))),
            }
        };
        let found = found.unwrap_or_else(|| self.take_once(namespace, event));
        if found.is_none() {
            debug!(target: "socketio", %namespace, %event, "no handler");
        }
        found
    }

    /// Finds the handler of `event` under the write lock, removing it if it is a `once`.
    fn take_once(&self, namespace: &str, event: &str) -> Option<Found> {
        let mut namespaces = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
        let handlers = namespaces.get_mut(namespace)?;
        if handlers.events.get(event).is_some_and(|entry| entry.once) {
            let (name, entry) = handlers.events.remove_entry(event)?;
            return Some(handlers.found(Target::Handler(entry.handler), name));
        }
        handlers.find(event)
    }

    /// Namespaces that have handlers, `/` first; `/` alone when none has.
    pub(crate) fn namespaces(&self) -> Vec<String> {
        let namespaces = self.namespaces.read().unwrap_or_else(|e| e.into_inner());
        let with_handlers = || namespaces.iter().filter(|(_, h)| !h.is_empty());
        // Sized exactly: connect() holds this list until the namespaces answer, and a
        // block bigger than needed is a bigger hole once freed.
        let mut names = Vec::with_capacity(with_handlers().count().max(1));
        names.extend(with_handlers().map(|(ns, _)| ns.clone()));
        sort_root_first(&mut names);
        if names.is_empty() {
            names.push("/".to_owned());
        }
        names
    }
}

/// Sorts namespaces by name, `/` first.
pub(crate) fn sort_root_first(namespaces: &mut [String]) {
    namespaces.sort_by(|a, b| (a != "/").cmp(&(b != "/")).then(a.cmp(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Class;

    impl ClassHandler for Class {
        fn handles(&self, event: &str) -> bool {
            matches!(event, "a" | "b" | "connect")
        }

        fn dispatch(&self, _: Call) -> Option<BoxFuture> {
            None
        }
    }

    fn handler() -> ErasedHandler {
        Arc::new(|_| None)
    }

    fn kind(found: Option<Found>) -> &'static str {
        match found.map(|found| found.target) {
            Some(Target::Handler(_)) => "handler",
            Some(Target::Class(_)) => "class",
            None => "none",
        }
    }

    #[test]
    fn a_function_handler_wins_over_the_class_which_wins_over_the_catch_all() {
        let table = HandlerTable::default();
        table.on_any("/", Some(handler()));
        table.set_class("/", Arc::new(Class));
        table.on("/", "a", handler(), false);
        assert_eq!(kind(table.find("/", "a")), "handler");
        assert_eq!(kind(table.find("/", "b")), "class");
        assert_eq!(kind(table.find("/", "c")), "handler", "the catch-all");
        assert_eq!(
            kind(table.find("/", "disconnect")),
            "none",
            "never the catch-all"
        );
        assert_eq!(kind(table.find("/chat", "a")), "none");
    }

    #[test]
    fn the_namespaces_with_handlers_come_root_first() {
        let table = HandlerTable::default();
        assert_eq!(table.namespaces(), ["/"]);
        table.on("/z", "a", handler(), false);
        table.on("/", "a", handler(), false);
        table.on("/b", "a", handler(), false);
        assert_eq!(table.namespaces(), ["/", "/b", "/z"]);
    }

    #[test]
    fn a_once_handler_is_picked_once_then_precedence_goes_on() {
        let table = HandlerTable::default();
        table.on_any("/", Some(handler()));
        table.set_class("/", Arc::new(Class));
        table.on("/", "a", handler(), true);
        table.on("/", "c", handler(), true);
        assert_eq!(kind(table.find("/", "a")), "handler");
        assert_eq!(
            kind(table.find("/", "a")),
            "class",
            "the once handler is gone"
        );
        table.on_any("/", None);
        assert_eq!(kind(table.find("/", "c")), "handler");
        assert_eq!(kind(table.find("/", "c")), "none", "no catch-all any more");
    }

    #[test]
    fn off_removes_the_function_handler_and_the_class_gets_the_event() {
        let table = HandlerTable::default();
        table.set_class("/", Arc::new(Class));
        table.on("/", "a", handler(), false);
        table.on("/", "x", handler(), false);
        table.off("/", "a");
        table.off("/", "x");
        assert_eq!(kind(table.find("/", "a")), "class");
        assert_eq!(kind(table.find("/", "x")), "none");
    }

    #[test]
    fn what_is_found_carries_the_names_errors_are_reported_under() {
        let table = HandlerTable::default();
        table.on_any("/chat", Some(handler()));
        table.set_class("/chat", Arc::new(Class));
        table.on("/chat", "a", handler(), false);
        table.on("/chat", "once", handler(), true);
        let names = |event| {
            let found = table.find("/chat", event).unwrap();
            (found.namespace.to_string(), found.event.to_string())
        };
        for event in ["a", "b", "c", "once"] {
            assert_eq!(names(event), ("/chat".to_owned(), event.to_owned()));
        }
        // A function handler's names are the table's own, not copies.
        let first = table.find("/chat", "a").unwrap();
        let second = table.find("/chat", "a").unwrap();
        assert!(Arc::ptr_eq(&first.event, &second.event));
        assert!(Arc::ptr_eq(&first.namespace, &second.namespace));
    }
}
