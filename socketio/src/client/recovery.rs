//! Connection state recovery (socket.io ≥ 4.6 servers): the private id and offset a
//! namespace sends back on reconnection, and the events that arrive before CONNECT.
//!
//! On recovery the server replays the missed events *before* its CONNECT packet. They
//! are set aside and handled after the `connect` handler, as socket.io-client does.
//!
//! **The offset advances only on delivery.** An event's offset is recorded when the
//! event is handed to the handlers (or found to have none), never when it arrives.
//! Events set aside are dropped with their offsets if the attempt fails before
//! CONNECT: the next attempt sends the offset of the last event delivered, so the
//! server replays them again, and each is handled exactly once.

use rustc_hash::FxHashMap as HashMap;

use super::link::Ack;
use crate::args::payload::EventName;
use crate::args::Payload;

/// An event from the server on its way to the handlers; set aside here when it
/// arrives before its namespace's CONNECT.
pub(crate) struct IncomingEvent {
    pub(crate) name: EventName,
    pub(crate) payload: Payload,
    pub(crate) ack: Option<Ack>,
    /// Its recovery offset, recorded once it is delivered.
    pub(crate) offset: Option<String>,
}

/// One namespace's session, as the server can restore it.
#[derive(Default)]
struct Session {
    pid: Option<String>,
    /// The offset of the last event delivered.
    offset: Option<String>,
    recovered: bool,
}

/// Recovery state of every namespace; kept across reconnections.
#[derive(Default)]
pub(crate) struct Recovery {
    sessions: HashMap<String, Session>,
    /// Events waiting for their namespace's CONNECT, in arrival order.
    early: Vec<(String, IncomingEvent)>,
    /// Whether a server offered recovery (else events carry no offset to look for).
    offered: bool,
}

impl Recovery {
    /// Whether event offsets are worth looking for.
    pub(crate) fn offered(&self) -> bool {
        self.offered
    }

    /// The CONNECT packet's auth: the user's object, plus `pid` and `offset` when the
    /// server offered recovery for `namespace`.
    pub(crate) fn auth(
        &self,
        namespace: &str,
        user: Option<&serde_json::Value>,
    ) -> Option<serde_json::Value> {
        let session = self.sessions.get(namespace);
        let Some(pid) = session.and_then(|s| s.pid.as_ref()) else {
            return user.cloned();
        };
        // As socket.io-client: the user's keys win over `pid` and `offset`.
        let mut object = serde_json::Map::new();
        object.insert("pid".into(), pid.clone().into());
        if let Some(offset) = session.and_then(|s| s.offset.as_ref()) {
            object.insert("offset".into(), offset.clone().into());
        }
        if let Some(serde_json::Value::Object(user)) = user {
            object.extend(user.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Some(serde_json::Value::Object(object))
    }

    /// A new connection attempt: events set aside by the last one are dropped; their
    /// offsets were never recorded, so the server replays them.
    pub(crate) fn new_attempt(&mut self) {
        self.early.clear();
    }

    /// The server accepted `namespace` with `pid` (None: no recovery offered); returns
    /// the events set aside for it, to deliver now, in order.
    pub(crate) fn connected(&mut self, namespace: &str, pid: Option<String>) -> Vec<IncomingEvent> {
        let session = self.sessions.entry(namespace.to_owned()).or_default();
        session.recovered = pid.is_some() && session.pid == pid;
        if !session.recovered {
            session.offset = None;
        }
        self.offered |= pid.is_some();
        session.pid = pid;
        if self.early.is_empty() {
            return Vec::new();
        }
        let (mine, others) = std::mem::take(&mut self.early)
            .into_iter()
            .partition(|(ns, _)| ns == namespace);
        self.early = others;
        mine.into_iter().map(|(_, event)| event).collect()
    }

    /// Holds an event that arrived before `namespace`'s CONNECT.
    pub(crate) fn set_aside(&mut self, namespace: &str, event: IncomingEvent) {
        self.early.push((namespace.to_owned(), event));
    }

    /// An event of `namespace` was delivered: its offset (if any) is the one to resume
    /// from.
    pub(crate) fn delivered(&mut self, namespace: &str, offset: Option<String>) {
        let Some(offset) = offset else { return };
        if let Some(session) = self.sessions.get_mut(namespace).filter(|s| s.pid.is_some()) {
            session.offset = Some(offset);
        }
    }

    /// Whether `namespace`'s last connection restored its session.
    pub(crate) fn recovered(&self, namespace: &str) -> bool {
        self.sessions.get(namespace).is_some_and(|s| s.recovered)
    }

    /// The client leaves for good: no session is to be restored.
    pub(crate) fn forget(&mut self) {
        self.sessions.clear();
        self.early.clear();
    }
}

/// The offset a recovering server appends to an event: its last argument, a string.
pub(crate) fn offset_of(payload: &Payload) -> Option<String> {
    payload
        .last_raw()
        .filter(|raw| raw.get().starts_with('"'))
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(offset: &str) -> IncomingEvent {
        IncomingEvent {
            name: EventName::Owned("item".into()),
            payload: Payload::new(&(1, offset)).unwrap(),
            ack: None,
            offset: Some(offset.into()),
        }
    }

    fn offsets(events: &[IncomingEvent]) -> Vec<&str> {
        events.iter().filter_map(|e| e.offset.as_deref()).collect()
    }

    /// The first connection: the server gives a pid; two events are delivered.
    fn recovering() -> Recovery {
        let mut recovery = Recovery::default();
        assert!(recovery.connected("/", Some("p1".into())).is_empty());
        recovery.delivered("/", Some("o1".into()));
        recovery
    }

    #[test]
    fn the_offset_advances_on_delivery_and_is_sent_with_the_pid_and_the_users_auth() {
        let mut recovery = recovering();
        assert!(recovery.offered());
        recovery.delivered("/", Some("o2".into()));
        let auth = recovery.auth("/", Some(&json!({"token": "t"})));
        assert_eq!(
            auth,
            Some(json!({"pid": "p1", "offset": "o2", "token": "t"}))
        );
        assert_eq!(recovery.auth("/other", None), None);
    }

    #[test]
    fn events_set_aside_do_not_advance_the_offset_and_are_dropped_by_a_failed_attempt() {
        let mut recovery = recovering();
        recovery.new_attempt();
        recovery.set_aside("/", event("o2"));
        recovery.set_aside("/", event("o3"));
        // The transport dies before CONNECT: the next attempt still resumes from o1.
        recovery.new_attempt();
        assert_eq!(
            recovery.auth("/", None),
            Some(json!({"pid": "p1", "offset": "o1"}))
        );
        // The server replays o2 and o3 again, then accepts the session.
        recovery.set_aside("/", event("o2"));
        recovery.set_aside("/", event("o3"));
        let early = recovery.connected("/", Some("p1".into()));
        assert!(recovery.recovered("/"));
        assert_eq!(
            offsets(&early),
            ["o2", "o3"],
            "each replayed event once, in order"
        );
        for event in early {
            recovery.delivered("/", event.offset);
        }
        assert_eq!(
            recovery.auth("/", None),
            Some(json!({"pid": "p1", "offset": "o3"}))
        );
    }

    #[test]
    fn early_events_go_to_their_own_namespace() {
        let mut recovery = recovering();
        recovery.set_aside("/chat", event("c1"));
        recovery.set_aside("/", event("o2"));
        assert_eq!(offsets(&recovery.connected("/", Some("p1".into()))), ["o2"]);
        assert_eq!(offsets(&recovery.connected("/chat", None)), ["c1"]);
    }

    #[test]
    fn a_new_session_starts_from_no_offset() {
        let mut recovery = recovering();
        recovery.connected("/", Some("p2".into()));
        assert!(!recovery.recovered("/"));
        assert_eq!(recovery.auth("/", None), Some(json!({"pid": "p2"})));
        recovery.forget();
        assert_eq!(recovery.auth("/", None), None);
    }

    #[test]
    fn the_offset_is_the_last_string_argument() {
        assert_eq!(
            offset_of(&Payload::new(&(1, "o7")).unwrap()).as_deref(),
            Some("o7")
        );
        assert_eq!(offset_of(&Payload::new(&("a", 2)).unwrap()), None);
    }
}
