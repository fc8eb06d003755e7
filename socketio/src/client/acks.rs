//! The ack table: the answers this client waits for, by ack id.
//!
//! One type owns id allocation, registration, completion, failure on disconnect and
//! expiry. It lives inside [`Connection`](super::connection::Connection), under its lock.

use rustc_hash::FxHashMap as HashMap;

use tokio::sync::oneshot;

use super::handler::ErasedHandler;
use crate::args::Payload;
use crate::error::Error;

/// Who waits for an answer.
pub(crate) enum PendingAck {
    /// A `call()`: gets the payload or the error.
    Waiter(oneshot::Sender<Result<Payload, Error>>),
    /// An `emit_with_ack()` callback: runs with the payload.
    Callback(ErasedHandler),
}

struct Pending {
    namespace: String,
    ack: PendingAck,
    /// Whether the packet left (a buffered one is not failed when a connection is lost).
    sent: bool,
}

/// What an ACK packet completed.
pub(crate) enum Completed {
    /// The waiter or callback of the ack id.
    Answer(PendingAck),
    /// Nobody waits for this id (it timed out, or never existed).
    Unknown,
    /// The id waits for an answer on another namespace; it stays pending.
    OtherNamespace,
}

/// Pending acks by id.
#[derive(Default)]
pub(crate) struct AckTable {
    next_id: u64,
    pending: HashMap<u64, Pending>,
}

impl AckTable {
    /// Registers an answer to wait for under a new id; `sent` says whether its packet
    /// leaves now (false: it waits in the send buffer).
    pub(crate) fn register(&mut self, namespace: &str, ack: PendingAck, sent: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(
            id,
            Pending {
                namespace: namespace.to_owned(),
                ack,
                sent,
            },
        );
        id
    }

    /// Whether the packet of `id` left (false: it waits in the send buffer).
    pub(crate) fn set_sent(&mut self, id: u64, sent: bool) {
        if let Some(pending) = self.pending.get_mut(&id) {
            pending.sent = sent;
        }
    }

    /// The server's answer to `id` on `namespace`.
    pub(crate) fn complete(&mut self, namespace: &str, id: u64) -> Completed {
        match self.pending.get(&id) {
            None => Completed::Unknown,
            Some(pending) if pending.namespace != namespace => Completed::OtherNamespace,
            Some(_) => match self.pending.remove(&id) {
                Some(pending) => Completed::Answer(pending.ack),
                None => Completed::Unknown,
            },
        }
    }

    /// Forgets `id` (its time ran out, or its packet could not be sent); whether it
    /// was still pending.
    pub(crate) fn expire(&mut self, id: u64) -> bool {
        self.pending.remove(&id).is_some()
    }

    /// Removes `id` and returns its waiter, if it is a `call()`.
    pub(crate) fn take_waiter(
        &mut self,
        id: u64,
    ) -> Option<oneshot::Sender<Result<Payload, Error>>> {
        match self.pending.remove(&id)?.ack {
            PendingAck::Waiter(tx) => Some(tx),
            PendingAck::Callback(_) => None,
        }
    }

    /// Removes the acks whose packet left on `namespace` (every namespace with `None`):
    /// their answer will not come now. The caller tells their waiters.
    #[must_use = "the waiters of the failed acks must be told"]
    pub(crate) fn fail_sent(&mut self, namespace: Option<&str>) -> Failed {
        let ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.sent && namespace.is_none_or(|ns| p.namespace == ns))
            .map(|(id, _)| *id)
            .collect();
        Failed(
            ids.iter()
                .filter_map(|id| self.pending.remove(id))
                .map(|p| p.ack)
                .collect(),
        )
    }

    /// How many answers are awaited.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }
}

/// Acks whose answer will not come; told outside the connection's lock.
#[derive(Default)]
pub(crate) struct Failed(Vec<PendingAck>);

impl Failed {
    /// Tells every `call()` waiting that the connection was lost; callbacks never run.
    pub(crate) fn notify(self) {
        for ack in self.0 {
            if let PendingAck::Waiter(tx) = ack {
                let _ = tx.send(Err(Error::Disconnected));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiter() -> (PendingAck, oneshot::Receiver<Result<Payload, Error>>) {
        let (tx, rx) = oneshot::channel();
        (PendingAck::Waiter(tx), rx)
    }

    #[test]
    fn ids_are_unique_and_an_answer_completes_its_waiter_once() {
        let mut table = AckTable::default();
        let (a, _) = waiter();
        let (b, _) = waiter();
        let (first, second) = (table.register("/", a, true), table.register("/", b, true));
        assert_ne!(first, second);
        assert!(matches!(table.complete("/", first), Completed::Answer(_)));
        assert!(matches!(table.complete("/", first), Completed::Unknown));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn an_answer_on_another_namespace_leaves_the_ack_pending() {
        let mut table = AckTable::default();
        let (ack, _) = waiter();
        let id = table.register("/chat", ack, true);
        assert!(matches!(table.complete("/", id), Completed::OtherNamespace));
        assert!(matches!(table.complete("/chat", id), Completed::Answer(_)));
    }

    #[test]
    fn a_lost_connection_fails_only_what_was_sent_on_that_namespace() {
        let mut table = AckTable::default();
        let (sent, mut sent_rx) = waiter();
        let (buffered, mut buffered_rx) = waiter();
        let (other, mut other_rx) = waiter();
        table.register("/", sent, true);
        let buffered_id = table.register("/", buffered, false);
        table.register("/chat", other, true);
        table.fail_sent(Some("/")).notify();
        assert!(matches!(sent_rx.try_recv(), Ok(Err(Error::Disconnected))));
        assert!(
            buffered_rx.try_recv().is_err(),
            "a buffered emit still waits"
        );
        assert!(
            other_rx.try_recv().is_err(),
            "another namespace is untouched"
        );
        table.set_sent(buffered_id, true);
        table.fail_sent(None).notify();
        assert!(matches!(
            buffered_rx.try_recv(),
            Ok(Err(Error::Disconnected))
        ));
        assert!(matches!(other_rx.try_recv(), Ok(Err(Error::Disconnected))));
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn an_expired_ack_is_forgotten_and_its_late_answer_is_unknown() {
        let mut table = AckTable::default();
        let (ack, _) = waiter();
        let id = table.register("/", ack, true);
        assert!(table.expire(id));
        assert!(!table.expire(id));
        assert!(matches!(table.complete("/", id), Completed::Unknown));
    }
}
