//! The state of the current connection, owned by one [`Connection`] behind one lock:
//! the engine link, each namespace's state, the send buffer, recovery and the ack
//! table. They change together (a CONNECT flushes the buffer, marks its acks sent and
//! replays set-aside events), so one owner changes them in one step.
//!
//! Every method is a transition that runs under the lock without waiting; what must be
//! told outside it (handlers, waiters) is returned.

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

/// Tells `connect()` how its namespace fared.
pub(crate) type Waiter = oneshot::Sender<Result<(), Error>>;

/// What `connect()` waits on: each namespace asked for, and its answer.
pub(crate) type Answers = Vec<(String, oneshot::Receiver<Result<(), Error>>)>;

/// A namespace of the current connection.
enum NamespaceState {
    /// CONNECT sent; `connect()` may wait for the answer.
    Connecting(Option<Waiter>),
    /// The server accepted it.
    Connected { sid: String },
}

/// Where `connect()` was asked to go, kept for reconnecting.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) options: ConnectOptions,
}

/// What a CONNECT packet changed.
pub(crate) struct Accepted {
    /// `connect()`'s waiter for the namespace.
    pub(crate) waiter: Option<Waiter>,
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
    /// `connect()` waiters of namespaces still connecting.
    pub(crate) waiters: Vec<Waiter>,
    pub(crate) failed: Failed,
}

/// The current connection, if any.
pub(crate) struct Connection {
    /// Which connection the link is (a closed one's late events are ignored).
    session: u64,
    link: Option<Link>,
    namespaces: HashMap<String, NamespaceState>,
    pub(crate) target: Option<Target>,
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
    /// recovery's pid and offset); returns the session number and the waiters.
    pub(crate) fn attach(
        &mut self,
        link: Link,
        namespaces: &[String],
        auth: Option<&serde_json::Value>,
    ) -> Result<(u64, Answers), Error> {
        self.session += 1;
        self.namespaces.clear();
        self.recovery.new_attempt();
        let mut waiters = Vec::with_capacity(namespaces.len());
        for namespace in namespaces {
            let (tx, rx) = oneshot::channel();
            self.namespaces
                .insert(namespace.clone(), NamespaceState::Connecting(Some(tx)));
            waiters.push((namespace.clone(), rx));
            let auth = self.recovery.auth(namespace, auth);
            link.connect(namespace, auth.as_ref())?;
        }
        self.link = Some(link);
        Ok((self.session, waiters))
    }

    // ----- the server's packets -----

    /// CONNECT: `namespace` is accepted (None when it was not asked for). Flushes its
    /// buffered packets and hands back the events set aside for it.
    pub(crate) fn accept(
        &mut self,
        namespace: &str,
        sid: String,
        pid: Option<String>,
    ) -> Option<Accepted> {
        let state = self.namespaces.get_mut(namespace)?;
        let NamespaceState::Connecting(waiter) = state else {
            return None;
        };
        let waiter = waiter.take();
        *state = NamespaceState::Connected { sid };
        let early = self.recovery.connected(namespace, pid);
        for event in &early {
            self.recovery.delivered(namespace, event.offset.clone());
        }
        self.flush(namespace);
        Some(Accepted { waiter, early })
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

    /// CONNECT_ERROR: `namespace` was refused; the waiter of a namespace still
    /// connecting (a connected one stays connected).
    pub(crate) fn refuse(&mut self, namespace: &str) -> Option<Waiter> {
        match self.namespaces.get_mut(namespace) {
            Some(NamespaceState::Connecting(waiter)) => {
                let waiter = waiter.take();
                self.namespaces.remove(namespace);
                waiter
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
        if let Some(NamespaceState::Connecting(_)) = self.namespaces.get(namespace) {
            self.recovery.set_aside(namespace, event);
            return None;
        }
        self.recovery.delivered(namespace, event.offset.take());
        Some(event)
    }

    // ----- closing -----

    /// The engine of `session` closed (a newer session is not touched: `None`).
    pub(crate) fn closed(&mut self, session: u64) -> Option<Closed> {
        if self.session != session {
            return None;
        }
        Some(self.close())
    }

    /// Ends the current connection: every namespace leaves, sent acks fail.
    pub(crate) fn close(&mut self) -> Closed {
        let mut connected = Vec::new();
        let mut waiters = Vec::new();
        for (namespace, state) in self.namespaces.drain() {
            match state {
                NamespaceState::Connected { .. } => connected.push(namespace),
                NamespaceState::Connecting(waiter) => waiters.extend(waiter),
            }
        }
        sort_root_first(&mut connected);
        Closed {
            link: self.link.take(),
            connected,
            waiters,
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
