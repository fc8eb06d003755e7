//! The state of the current connection, owned by one [`Connection`] behind one lock:
//! the engine link, each namespace's state, the send buffer, recovery and the ack
//! table. They change together (a CONNECT flushes the buffer, marks its acks sent and
//! replays set-aside events), so one owner changes them in one step.
//!
//! Every method is a transition that runs under the lock without waiting; what must be
//! told outside it (handlers, `connect()`'s wake-up) is returned.

use std::task::{Poll, Waker};

use rustc_hash::FxHashMap as HashMap;
use tokio::sync::oneshot;
use tracing::debug;

use super::acks::{AckTable, Failed};
use super::buffer::{Buffered, SendBuffer};
use super::handlers::sort_root_first;
use super::link::Link;
use super::options::ConnectOptions;
use super::recovery::{offset_of, IncomingEvent, Recovery};
use crate::args::Outgoing;
use crate::engineio::Transport;
use crate::error::Error;

/// A namespace of the current connection.
enum NamespaceState {
    /// CONNECT sent; `connect()` may wait for the answer.
    Connecting,
    /// The server accepted it.
    Connected { sid: String },
}

/// What `connect()` (or a reconnection attempt) waits for: the server's answers to the
/// namespaces it asked for on the current session (`attach` starts them anew). Kept
/// here, not in a channel per namespace, so that a connecting client allocates nothing
/// that it frees once connected: with many clients connecting at once, such blocks
/// leave holes between the ones that stay.
enum Answers {
    /// `left` namespaces have not answered yet; `waker` is the waiting `connect()`'s.
    Awaited { left: usize, waker: Option<Waker> },
    /// They answered, or the session ended first.
    Decided(Result<(), Box<Error>>),
}

/// Where `connect()` was asked to go, kept for reconnecting.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) options: ConnectOptions,
}

/// What a CONNECT packet changed.
pub(crate) struct Accepted {
    /// The waiting `connect()`, to wake: every namespace it waits for has answered.
    pub(crate) answered: Option<Waker>,
    /// Events that arrived before CONNECT, to deliver after the `connect` handler.
    pub(crate) early: Vec<IncomingEvent>,
}

/// What leaving one namespace changed.
pub(crate) struct Left {
    /// Whether it was connected (else nothing more to do).
    pub(crate) was_connected: bool,
    /// Whether no namespace is left on the connection.
    pub(crate) last: bool,
    /// Its acks that will not be answered.
    pub(crate) failed: Failed,
}

/// What closing the connection leaves to do outside the lock.
pub(crate) struct Closed {
    pub(crate) link: Option<Link>,
    /// The namespaces that were connected, `/` first.
    pub(crate) connected: Vec<String>,
    /// The `connect()` that was waiting for namespaces, to wake (its answer is decided).
    pub(crate) answered: Option<Waker>,
    pub(crate) failed: Failed,
}

/// The current connection, if any.
pub(crate) struct Connection {
    /// Which connection the link is (a closed one's late events are ignored).
    session: u64,
    link: Option<Link>,
    namespaces: HashMap<String, NamespaceState>,
    pub(crate) target: Option<Target>,
    answers: Option<Answers>,
    buffer: SendBuffer,
    pub(crate) recovery: Recovery,
    pub(crate) acks: AckTable,
    /// A session whose engine closed while `connect()` or a reconnection was settling
    /// it, and the namespaces to reconnect (None: none).
    lost: Option<(u64, Option<Vec<String>>)>,
}

impl Connection {
    pub(crate) fn new(send_buffer: usize) -> Connection {
        Connection {
            session: 0,
            link: None,
            namespaces: HashMap::default(),
            target: None,
            answers: None,
            buffer: SendBuffer::new(send_buffer),
            recovery: Recovery::default(),
            acks: AckTable::default(),
            lost: None,
        }
    }

    // ----- reading -----

    pub(crate) fn sid(&self, namespace: &str) -> Option<String> {
        match self.namespaces.get(namespace) {
            Some(NamespaceState::Connected { sid }) => Some(sid.clone()),
            _ => None,
        }
    }

    pub(crate) fn connected_namespaces(&self) -> Vec<String> {
        let mut namespaces: Vec<String> = self
            .namespaces
            .iter()
            .filter(|(_, state)| matches!(state, NamespaceState::Connected { .. }))
            .map(|(ns, _)| ns.clone())
            .collect();
        namespaces.sort();
        namespaces
    }

    pub(crate) fn transport(&self) -> Option<Transport> {
        self.open_link().map(|link| link.outlet().transport())
    }

    /// Whether `session` is the current connection and its engine has not closed.
    pub(crate) fn is_live(&self, session: u64) -> bool {
        self.session == session && self.link.is_some()
    }

    /// Records that `session` was lost while being settled.
    pub(crate) fn set_lost(&mut self, session: u64, resume: Option<Vec<String>>) {
        self.lost = Some((session, resume));
    }

    /// Takes what `set_lost` recorded for `session`.
    pub(crate) fn take_lost(&mut self, session: u64) -> Option<Option<Vec<String>>> {
        match self.lost.take() {
            Some((lost, resume)) if lost == session => Some(resume),
            _ => None,
        }
    }

    /// The current link, even if its engine closed.
    pub(crate) fn link(&self) -> Option<&Link> {
        self.link.as_ref()
    }

    /// The link, while its engine is open.
    pub(crate) fn open_link(&self) -> Option<&Link> {
        self.link.as_ref().filter(|link| !link.outlet().is_closed())
    }

    /// The link, if `namespace` is connected on it.
    pub(crate) fn link_for(&self, namespace: &str) -> Option<&Link> {
        match self.namespaces.get(namespace) {
            Some(NamespaceState::Connected { .. }) => self.open_link(),
            _ => None,
        }
    }

    // ----- opening -----

    /// A new engine link: asks the server for `namespaces` (CONNECT with `auth`, plus
    /// recovery's pid and offset); returns the session number, whose answers
    /// [`poll_outcome`](Self::poll_outcome) tells.
    pub(crate) fn attach(
        &mut self,
        link: Link,
        namespaces: &[String],
        auth: Option<&serde_json::Value>,
    ) -> Result<u64, Error> {
        self.session += 1;
        self.namespaces.clear();
        self.recovery.new_attempt();
        for namespace in namespaces {
            self.namespaces
                .insert(namespace.clone(), NamespaceState::Connecting);
            let auth = self.recovery.auth(namespace, auth);
            link.connect(namespace, auth.as_ref())?;
        }
        self.answers = Some(Answers::Awaited {
            left: self.namespaces.len(),
            waker: None,
        });
        self.link = Some(link);
        Ok(self.session)
    }

    /// How the namespaces asked for on `session` answered: `Pending` while some have
    /// not (`waker` is woken when they have). Every namespace accepted gives `Ok`; the
    /// first refusal, or the session's end, gives its error.
    pub(crate) fn poll_outcome(&mut self, session: u64, waker: &Waker) -> Poll<Result<(), Error>> {
        if session != self.session {
            // A newer session replaced it (its answers stay for its own wait).
            return Poll::Ready(Err(lost_before_connected()));
        }
        match self.answers.take() {
            Some(Answers::Awaited { left, .. }) if left > 0 => {
                let waker = Some(waker.clone());
                self.answers = Some(Answers::Awaited { left, waker });
                Poll::Pending
            }
            Some(Answers::Awaited { .. }) => Poll::Ready(Ok(())),
            Some(Answers::Decided(outcome)) => Poll::Ready(outcome.map_err(|error| *error)),
            None => Poll::Ready(Err(lost_before_connected())),
        }
    }

    /// One namespace of the current session answered: the attempt is decided when it
    /// was refused or was the last one. Returns the waiting `connect()` to wake then.
    fn answer(&mut self, refusal: Option<Error>) -> Option<Waker> {
        let Some(Answers::Awaited { left, waker }) = &mut self.answers else {
            return None;
        };
        *left = left.saturating_sub(1);
        let outcome = match refusal {
            Some(error) => Err(Box::new(error)),
            None if *left == 0 => Ok(()),
            None => return None,
        };
        let waker = waker.take();
        self.answers = Some(Answers::Decided(outcome));
        waker
    }

    /// CONNECT: `namespace` is accepted (None when it was not asked for). Flushes its
    /// buffered packets and hands back the events set aside for it.
    pub(crate) fn accept(
        &mut self,
        namespace: &str,
        sid: String,
        pid: Option<String>,
    ) -> Option<Accepted> {
        let state = self.namespaces.get_mut(namespace)?;
        let NamespaceState::Connecting = state else {
            return None;
        };
        *state = NamespaceState::Connected { sid };
        let answered = self.answer(None);
        let early = self.recovery.connected(namespace, pid);
        for event in &early {
            self.recovery.delivered(namespace, event.offset.clone());
        }
        self.flush(namespace);
        Some(Accepted { answered, early })
    }

    /// Sends what was buffered for `namespace`, in order.
    fn flush(&mut self, namespace: &str) {
        let Some(link) = self.link.clone() else {
            return;
        };
        let packets = self.buffer.take_for(namespace);
        if !packets.is_empty() {
            debug!(target: "socketio", %namespace, count = packets.len(), "sending buffered packets");
        }
        for buffered in packets {
            if let Some(id) = buffered.ack_id {
                self.acks.set_sent(id, true);
            }
            let _ = link.send(buffered.packet);
        }
    }

    /// CONNECT_ERROR: `namespace` was refused with `error`. A namespace still connecting
    /// is dropped (a connected one stays connected); returns the waiting `connect()` to
    /// wake, when this decided its answer.
    pub(crate) fn refuse(&mut self, namespace: &str, error: Error) -> Option<Waker> {
        match self.namespaces.get(namespace) {
            Some(NamespaceState::Connecting) => {
                self.namespaces.remove(namespace);
                self.answer(Some(error))
            }
            _ => None,
        }
    }

    /// DISCONNECT from the server, or `disconnect()` of one namespace.
    pub(crate) fn leave(&mut self, namespace: &str) -> Left {
        let removed = self.namespaces.remove(namespace);
        let was_connected = matches!(removed, Some(NamespaceState::Connected { .. }));
        let failed = if was_connected {
            self.acks.fail_sent(Some(namespace))
        } else {
            Failed::default()
        };
        Left {
            was_connected,
            last: self.namespaces.is_empty(),
            failed,
        }
    }

    /// An EVENT: `Some(event)` to deliver now (its offset recorded), `None` when set
    /// aside until its namespace's CONNECT.
    pub(crate) fn receive(
        &mut self,
        namespace: &str,
        mut event: IncomingEvent,
    ) -> Option<IncomingEvent> {
        // With connection state recovery, a server event ends with its offset (events
        // with an ack id never carry one).
        if self.recovery.offered() && event.ack.is_none() {
            event.offset = offset_of(&event.payload);
        }
        if let Some(NamespaceState::Connecting) = self.namespaces.get(namespace) {
            self.recovery.set_aside(namespace, event);
            return None;
        }
        self.recovery.delivered(namespace, event.offset.take());
        Some(event)
    }

    // ----- closing -----

    /// The engine of `session` closed (a newer session is not touched: `None`).
    pub(crate) fn closed(&mut self, session: u64, lost: impl FnOnce() -> Error) -> Option<Closed> {
        if self.session != session {
            return None;
        }
        Some(self.close(lost))
    }

    /// Ends the current connection: every namespace leaves, sent acks fail, and a
    /// `connect()` still waiting gets `lost` as its error.
    pub(crate) fn close(&mut self, lost: impl FnOnce() -> Error) -> Closed {
        let mut connected = Vec::new();
        for (namespace, state) in self.namespaces.drain() {
            if let NamespaceState::Connected { .. } = state {
                connected.push(namespace);
            }
        }
        sort_root_first(&mut connected);
        let answered = match &mut self.answers {
            Some(Answers::Awaited { waker, .. }) => {
                let waker = waker.take();
                self.answers = Some(Answers::Decided(Err(Box::new(lost()))));
                waker
            }
            _ => None,
        };
        Closed {
            link: self.link.take(),
            connected,
            answered,
            failed: self.acks.fail_sent(None),
        }
    }

    /// The client leaves for good: buffered packets are dropped, their `call()`s told,
    /// and no session is to be restored.
    pub(crate) fn forget(&mut self) -> Vec<oneshot::Sender<Result<crate::Payload, Error>>> {
        self.recovery.forget();
        let dropped = self.buffer.take_all();
        dropped
            .into_iter()
            .filter_map(|buffered| buffered.ack_id)
            .filter_map(|id| self.acks.take_waiter(id))
            .collect()
    }

    // ----- sending -----

    /// Sends a packet if its namespace is connected; otherwise keeps it in the send
    /// buffer (unless `may_buffer` is false or the buffer is full).
    pub(crate) fn send_or_buffer(
        &mut self,
        namespace: &str,
        ack_id: Option<u64>,
        packet: Outgoing,
        may_buffer: bool,
    ) -> Result<(), Error> {
        if let Some(link) = self.link_for_sending(namespace) {
            return link.send(packet);
        }
        if !may_buffer {
            return Err(Error::NotConnected);
        }
        debug!(target: "socketio", %namespace, "not connected: buffering the packet");
        self.buffer.push(Buffered {
            namespace: namespace.to_owned(),
            ack_id,
            packet,
        })?;
        if let Some(id) = ack_id {
            self.acks.set_sent(id, false);
        }
        Ok(())
    }

    /// The link of a connected namespace, even while its engine is closing (what is
    /// sent then fails, as it would a moment later).
    fn link_for_sending(&self, namespace: &str) -> Option<&Link> {
        match self.namespaces.get(namespace) {
            Some(NamespaceState::Connected { .. }) => self.link.as_ref(),
            _ => None,
        }
    }
}

/// What a `connect()` waiting for its namespaces is told when its session ended first.
fn lost_before_connected() -> Error {
    Error::ConnectionFailed("connection lost before the namespaces connected".into())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::task::{Poll, Waker};

    use super::*;
    use crate::client::link::fake::FakeOutlet;
    use crate::Parser;

    fn attached(namespaces: &[&str]) -> (Connection, u64) {
        let mut connection = Connection::new(16);
        let link = Link::new(Arc::new(FakeOutlet::default()), Parser::Json);
        let namespaces: Vec<String> = namespaces.iter().map(|ns| ns.to_string()).collect();
        let session = connection.attach(link, &namespaces, None).unwrap();
        (connection, session)
    }

    fn poll(connection: &mut Connection, session: u64) -> Poll<Result<(), Error>> {
        connection.poll_outcome(session, Waker::noop())
    }

    #[test]
    fn connect_is_answered_once_every_namespace_is_accepted() {
        let (mut connection, session) = attached(&["/", "/chat"]);
        assert!(poll(&mut connection, session).is_pending());
        let first = connection.accept("/", "a".into(), None).unwrap();
        assert!(first.answered.is_none());
        assert!(
            poll(&mut connection, session).is_pending(),
            "one namespace left"
        );
        let last = connection.accept("/chat", "b".into(), None).unwrap();
        assert!(last.answered.is_some(), "the waiting connect() is woken");
        assert!(matches!(
            poll(&mut connection, session),
            Poll::Ready(Ok(()))
        ));
    }

    #[test]
    fn the_first_refusal_decides_and_a_later_answer_changes_nothing() {
        let (mut connection, session) = attached(&["/", "/admin"]);
        assert!(poll(&mut connection, session).is_pending());
        assert!(connection.refuse("/admin", Error::NotConnected).is_some());
        let accepted = connection.accept("/", "a".into(), None).unwrap();
        assert!(accepted.answered.is_none(), "already decided");
        assert!(matches!(
            poll(&mut connection, session),
            Poll::Ready(Err(Error::NotConnected))
        ));
        assert!(
            connection.refuse("/", Error::Timeout).is_none(),
            "a connected namespace is not refused"
        );
    }

    #[test]
    fn a_connection_closed_before_the_answers_fails_the_wait() {
        let (mut connection, session) = attached(&["/"]);
        assert!(poll(&mut connection, session).is_pending());
        let closed = connection
            .closed(session, || Error::ConnectionFailed("gone".into()))
            .unwrap();
        assert!(closed.answered.is_some());
        match poll(&mut connection, session) {
            Poll::Ready(Err(Error::ConnectionFailed(message))) => assert_eq!(message, "gone"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_newer_session_ends_the_wait_of_an_older_one() {
        let (mut connection, old) = attached(&["/"]);
        let link = Link::new(Arc::new(FakeOutlet::default()), Parser::Json);
        let new = connection.attach(link, &["/".into()], None).unwrap();
        assert!(matches!(
            poll(&mut connection, old),
            Poll::Ready(Err(Error::ConnectionFailed(_)))
        ));
        assert!(connection.closed(old, || Error::Timeout).is_none());
        assert!(
            poll(&mut connection, new).is_pending(),
            "the new session still waits"
        );
    }
}
