//! Handlers n at a time (`handler_concurrency(n)`, n > 1), python-socketio's way: the
//! permits the dispatcher's loop (`dispatcher.rs`) takes before it starts a job, the
//! grace time of `disconnect()`, and how a handler is recognised (so that
//! `disconnect()` called from one does not wait for itself).

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// How long `disconnect()` lets running handlers finish before cancelling them.
pub(crate) const GRACE: Duration = Duration::from_secs(5);

tokio::task_local! {
    /// Set in the tasks that run handlers (and the loop's own task).
    static IN_HANDLER: ();
}

thread_local! {
    /// Set on the threads that run blocking handlers (and the loop's own thread).
    static ON_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// Whether the caller is a handler (run by the dispatcher's loop, or by the tasks or
/// worker threads of a concurrent one).
fn in_handler() -> bool {
    IN_HANDLER.try_with(|_| ()).is_ok() || ON_WORKER.with(Cell::get)
}

/// `future`, marked as a handler's task.
pub(crate) fn as_handler<F: Future>(future: F) -> impl Future<Output = F::Output> {
    IN_HANDLER.scope((), future)
}

/// Marks this thread as a worker that runs handlers.
pub(crate) fn mark_worker() {
    ON_WORKER.with(|on| on.set(true));
}

/// The permits of a concurrent dispatcher, and how many of its loops run (counted in
/// either mode).
pub(crate) struct Concurrency {
    limit: usize,
    permits: Arc<Semaphore>,
    /// How many loops run; `loops_changed` wakes who waits for none. (A watch channel
    /// would do, at ~340 bytes per client: its eight notifiers.)
    loops: AtomicUsize,
    loops_changed: Notify,
}

impl Concurrency {
    pub(crate) fn new(limit: usize) -> Concurrency {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        Concurrency {
            limit,
            permits: Arc::new(Semaphore::new(limit)),
            loops: AtomicUsize::new(0),
            loops_changed: Notify::new(),
        }
    }

    /// How many handlers may run at once.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    pub(crate) fn loop_started(&self) {
        self.loops.fetch_add(1, Ordering::SeqCst);
        self.loops_changed.notify_waiters();
    }

    pub(crate) fn loop_ended(&self) {
        let _ = self
            .loops
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        self.loops_changed.notify_waiters();
    }

    /// Returns once no loop runs.
    async fn no_loop_runs(&self) {
        loop {
            // Registered before the count is read, so a change in between wakes it.
            let changed = self.loops_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.loops.load(Ordering::SeqCst) == 0 {
                return;
            }
            changed.await;
        }
    }

    /// Waits, up to [`GRACE`], until no handler runs; whether none does. The timer is
    /// made at once, on the runtime entered now.
    pub(crate) fn idle(&self) -> impl Future<Output = bool> + use<> {
        let all = self.limit as u32;
        let every_permit = self.permits.clone().acquire_many_owned(all);
        let finished = tokio::time::timeout(GRACE, every_permit);
        async move { finished.await.is_ok() }
    }

    /// Waits until the loop of a closed queue has run what was queued (the
    /// `disconnect` handlers included) and its running handlers finished or were
    /// cancelled: at most [`GRACE`] (and a little more with n > 1, for the
    /// cancelling); at once when called from a handler, which would wait for itself.
    pub(crate) async fn settled(&self) {
        if in_handler() {
            return;
        }
        let limit = if self.limit <= 1 {
            GRACE
        } else {
            GRACE + Duration::from_secs(1)
        };
        if tokio::time::timeout(limit, self.no_loop_runs())
            .await
            .is_err()
        {
            tracing::warn!(target: "socketio", ?limit, "a handler is still running; disconnect() returns without it");
        }
    }

    /// Returns once no loop runs (a closed queue's loop ends when drained).
    pub(crate) async fn stopped(&self) {
        self.no_loop_runs().await;
    }

    /// Waits until one more handler may run.
    pub(crate) async fn permit(&self) -> OwnedSemaphorePermit {
        // The semaphore is never closed.
        self.permits
            .clone()
            .acquire_owned()
            .await
            .unwrap_or_else(|_| unreachable!("the semaphore is never closed"))
    }
}
