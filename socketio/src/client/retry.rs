//! At-least-once emits (the `retries` option, socket.io-client's `retries`): a queue
//! of emits sent one at a time, each sent again until the server acks it or it runs
//! out of tries. The worker that drives it is [`retry_worker`](super::retry_worker).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::{oneshot, Notify};

use super::handler::ErasedHandler;
use crate::args::{EncodedArgs, Payload};
use crate::error::Error;

/// What to do with the server's ack of a queued emit.
pub(crate) enum Completion {
    Nothing,
    Waiter(oneshot::Sender<Result<Payload, Error>>),
    Callback(ErasedHandler),
}

/// An emit that is sent, and sent again, until the server acks it.
pub(crate) struct Queued {
    pub(crate) namespace: String,
    pub(crate) event: String,
    pub(crate) args: EncodedArgs,
    pub(crate) tries: u32,
    pub(crate) completion: Completion,
}

/// The head of the queue, as the worker sends it.
pub(crate) struct Head {
    pub(crate) namespace: String,
    pub(crate) event: String,
    pub(crate) args: EncodedArgs,
    /// How many times it was sent, this one included.
    pub(crate) tries: u32,
}

#[derive(Default)]
struct Queue {
    emits: VecDeque<Queued>,
    /// The client disconnected or is gone: the worker ends (until `start`).
    closed: bool,
    /// Whether a worker runs.
    running: bool,
}

/// The queue, oldest first; its lock is never held with another.
#[derive(Default)]
pub(crate) struct RetryQueue {
    queue: Mutex<Queue>,
    /// Wakes the worker when an emit is queued.
    queued: Notify,
}

impl RetryQueue {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn push(&self, queued: Queued) {
        self.lock().emits.push_back(queued);
        self.queued.notify_one();
    }

    /// Waits until an emit is queued (returns at once when one is); false once the
    /// queue is closed.
    pub(crate) async fn wait(&self) -> bool {
        loop {
            let notified = self.queued.notified();
            {
                let mut queue = self.lock();
                if queue.closed {
                    queue.running = false;
                    return false;
                }
                if !queue.emits.is_empty() {
                    return true;
                }
            }
            notified.await;
        }
    }

    /// Opens the queue; true when a worker must be started (none runs).
    pub(crate) fn start(&self) -> bool {
        let mut queue = self.lock();
        queue.closed = false;
        !std::mem::replace(&mut queue.running, true)
    }

    /// The client disconnected or is gone: queued emits fail (their `call()`s with
    /// [`Error::NotConnected`]) and the worker ends.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.fail_all();
        self.queued.notify_one();
    }

    /// The first emit's namespace, if any.
    pub(crate) fn front_namespace(&self) -> Option<String> {
        self.lock().emits.front().map(|q| q.namespace.clone())
    }

    /// Counts one more try of the first emit and returns what to send.
    pub(crate) fn try_front(&self) -> Option<Head> {
        let mut queue = self.lock();
        let front = queue.emits.front_mut()?;
        front.tries += 1;
        Some(Head {
            namespace: front.namespace.clone(),
            event: front.event.clone(),
            args: front.args.clone(),
            tries: front.tries,
        })
    }

    /// Removes the first emit (acked, or out of tries).
    pub(crate) fn pop(&self) -> Option<Queued> {
        self.lock().emits.pop_front()
    }

    /// The client disconnected for good: every queued `call()` fails.
    pub(crate) fn fail_all(&self) {
        let failed: Vec<Queued> = self.lock().emits.drain(..).collect();
        for queued in failed {
            if let Completion::Waiter(tx) = queued.completion {
                let _ = tx.send(Err(Error::NotConnected));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn queued(event: &str, completion: Completion) -> Queued {
        Queued {
            namespace: "/".into(),
            event: event.into(),
            args: crate::args::encode_args(&1).unwrap(),
            tries: 0,
            completion,
        }
    }

    #[test]
    fn the_head_counts_its_tries_and_leaves_in_order() {
        let queue = RetryQueue::default();
        queue.push(queued("a", Completion::Nothing));
        queue.push(queued("b", Completion::Nothing));
        assert_eq!(queue.try_front().unwrap().tries, 1);
        let head = queue.try_front().unwrap();
        assert_eq!((head.event.as_str(), head.tries), ("a", 2));
        assert_eq!(queue.pop().unwrap().event, "a");
        assert_eq!(queue.try_front().unwrap().event, "b");
    }

    #[tokio::test]
    async fn a_push_wakes_the_worker_and_closing_fails_the_queued_calls_and_ends_it() {
        let queue = std::sync::Arc::new(RetryQueue::default());
        let waiting = tokio::spawn({
            let queue = queue.clone();
            async move { assert!(queue.wait().await) }
        });
        tokio::task::yield_now().await;
        let (tx, rx) = oneshot::channel();
        queue.push(queued("a", Completion::Waiter(tx)));
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("woken")
            .unwrap();
        queue.close();
        assert!(matches!(rx.await, Ok(Err(Error::NotConnected))));
        assert!(queue.front_namespace().is_none(), "nothing is sent again");
        assert!(!queue.wait().await, "a closed queue ends the worker");
        assert!(queue.start(), "a new worker once it ended");
        assert!(!queue.start(), "only one");
    }
}
