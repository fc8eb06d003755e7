//! A wakeup for one waiting task: a flag and the task's waker.
//!
//! Cheaper than `tokio::sync::Notify` for the hot queues (the engine's outbox, the
//! handler queue), which have exactly one consumer: waiting registers the waker without
//! a lock, and a wakeup that comes before the wait is kept in the flag.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use futures_util::task::AtomicWaker;

#[derive(Default)]
pub(crate) struct Wakeup {
    pending: AtomicBool,
    waker: AtomicWaker,
}

impl Wakeup {
    /// Wakes the waiting task, or the next call to [`wait`](Self::wait).
    pub(crate) fn wake(&self) {
        self.pending.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Waits for a [`wake`](Self::wake) since the last wait returned. One waiter at a time.
    pub(crate) async fn wait(&self) {
        poll_fn(|cx| {
            if self.pending.swap(false, Ordering::AcqRel) {
                return Poll::Ready(());
            }
            self.waker.register(cx.waker());
            // A wake between the check and the registration is seen here.
            if self.pending.swap(false, Ordering::AcqRel) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_wake_before_the_wait_is_kept_and_a_wake_during_it_ends_it() {
        let wakeup = Arc::new(Wakeup::default());
        wakeup.wake();
        tokio::time::timeout(Duration::from_secs(1), wakeup.wait())
            .await
            .expect("the earlier wake is kept");
        let waiter = tokio::spawn({
            let wakeup = wakeup.clone();
            async move { wakeup.wait().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "no wake, no return");
        wakeup.wake();
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("woken")
            .unwrap();
    }
}
