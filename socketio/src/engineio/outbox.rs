//! The packets waiting for the session's driver, and the requests to end the session.
//!
//! A mutex-guarded queue rather than a channel: it allocates nothing until the first
//! packet and grows on demand (an idle connection pays for no channel block), the driver
//! takes everything queued in one swap (feed many frames, flush once), and it is woken
//! only when the queue turns non-empty, not once per packet.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::wakeup::Wakeup;

use super::events::CloseReason;
use super::packet::Packet;

/// How the layer above asked the session to end.
#[derive(Debug)]
pub(super) enum Closing {
    /// `close()`: flush what is queued, send a `close` packet.
    Client,
    /// Drop the connection at once; the session ends with this reason (a transport
    /// error, or input the layer above found invalid).
    Abort(CloseReason),
}

#[derive(Default)]
struct State {
    packets: VecDeque<Packet>,
    closing: Option<Closing>,
    /// Callers of `close()` waiting for the session to end.
    close_waiters: Vec<oneshot::Sender<()>>,
    /// The driver has stopped: nothing is sent any more.
    closed: bool,
}

/// The queue from the [`EngineSocket`](super::EngineSocket) handles to the driver.
#[derive(Default)]
pub(super) struct Outbox {
    state: Mutex<State>,
    wakeup: Wakeup,
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues packets that must go out together; `false` once the session is over.
    pub(super) fn push(&self, packets: impl IntoIterator<Item = Packet>) -> bool {
        self.push_with(|queue| queue.extend(packets))
    }

    /// Queues one packet; `false` once the session is over.
    pub(super) fn push_one(&self, packet: Packet) -> bool {
        self.push_with(|queue| queue.push_back(packet))
    }

    fn push_with(&self, push: impl FnOnce(&mut VecDeque<Packet>)) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        let was_idle = state.packets.is_empty() && state.closing.is_none();
        push(&mut state.packets);
        drop(state);
        if was_idle {
            self.wakeup.wake();
        }
        true
    }

    /// Asks the driver to end the session (the first request wins). With `waiter`, the
    /// sender is completed (or dropped) when the session is over; `false` if it already is.
    pub(super) fn close(&self, closing: Closing, waiter: Option<oneshot::Sender<()>>) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        state.closing.get_or_insert(closing);
        state.close_waiters.extend(waiter);
        drop(state);
        self.wakeup.wake();
        true
    }

    /// Waits until something was queued since the last [`take`](Self::take).
    pub(super) async fn ready(&self) {
        self.wakeup.wait().await
    }

    /// Moves every queued packet to the back of `into`; hands over a close request.
    pub(super) fn take(&self, into: &mut VecDeque<Packet>) -> Option<Closing> {
        let mut state = self.lock();
        if into.is_empty() {
            // The usual case: swap buffers, so neither side reallocates.
            std::mem::swap(&mut state.packets, into);
        } else {
            into.append(&mut state.packets);
        }
        state.closing.take()
    }

    /// The session is over: refuses further packets and releases the `close()` callers.
    pub(super) fn shut(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.packets = VecDeque::new();
        let waiters = std::mem::take(&mut state.close_waiters);
        drop(state);
        for waiter in waiters {
            let _ = waiter.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DecodeError;

    #[test]
    fn the_first_close_request_wins_and_reaches_the_driver_with_the_packets() {
        let outbox = Outbox::default();
        assert!(outbox.push_one(Packet::Noop));
        let invalid = CloseReason::InvalidInput(DecodeError::Namespace);
        assert!(outbox.close(Closing::Abort(invalid.clone()), None));
        assert!(outbox.close(Closing::Client, None));
        let mut queue = VecDeque::new();
        let closing = outbox.take(&mut queue);
        assert!(matches!(closing, Some(Closing::Abort(reason)) if reason == invalid));
        assert_eq!(queue, [Packet::Noop]);
        outbox.shut();
        assert!(!outbox.push_one(Packet::Noop));
        assert!(!outbox.close(Closing::Client, None));
    }
}
