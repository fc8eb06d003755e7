//! Handlers n at a time (`handler_concurrency(n)`, n > 1), python-socketio's way: the
//! dispatcher's loop starts each job in arrival order once one of n permits is free;
//! the async client runs it as a task on its runtime, the blocking client on one of n
//! worker threads (where it may block and `call()` the server, as on the handler
//! thread). A handler's ack goes back when it returns, whatever the others do.
//!
//! When the queue is closed (`disconnect()`), the loop waits up to [`GRACE`] for the
//! running handlers, then cancels the async client's tasks (a thread cannot be
//! cancelled: a blocking handler still running is left to finish). `disconnect()`
//! waits for that, unless a handler calls it (it would wait for itself).

use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::warn;

use super::dispatcher::{log_panic, Dispatcher, Job};

/// How long `disconnect()` lets running handlers finish before cancelling them.
pub(crate) const GRACE: Duration = Duration::from_secs(5);

tokio::task_local! {
    /// Set in the tasks that run handlers.
    static IN_HANDLER: ();
}

thread_local! {
    /// Set on the worker threads that run blocking handlers.
    static ON_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// Whether the caller is a handler run by a concurrent dispatcher.
fn in_handler() -> bool {
    IN_HANDLER.try_with(|_| ()).is_ok() || ON_WORKER.with(Cell::get)
}

/// The permits of a concurrent dispatcher, and how many of its loops run.
pub(crate) struct Concurrency {
    limit: usize,
    permits: Arc<Semaphore>,
    loops: watch::Sender<usize>,
}

impl Concurrency {
    pub(crate) fn new(limit: usize) -> Concurrency {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        Concurrency {
            limit,
            permits: Arc::new(Semaphore::new(limit)),
            loops: watch::Sender::new(0),
        }
    }

    /// How many handlers may run at once.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    pub(crate) fn loop_started(&self) {
        self.loops.send_modify(|n| *n += 1);
    }

    pub(crate) fn loop_ended(&self) {
        self.loops.send_modify(|n| *n = n.saturating_sub(1));
    }

    /// Waits until the loop has run what was queued and its running handlers finished
    /// or were cancelled (at most [`GRACE`] and a little more); at once with n = 1 or
    /// when called from a handler.
    pub(crate) async fn settled(&self) {
        if self.limit <= 1 || in_handler() {
            return;
        }
        let mut loops = self.loops.subscribe();
        let ended = loops.wait_for(|n| *n == 0);
        let _ = tokio::time::timeout(GRACE + Duration::from_secs(1), ended).await;
    }

    async fn permit(&self) -> OwnedSemaphorePermit {
        // The semaphore is never closed.
        self.permits
            .clone()
            .acquire_owned()
            .await
            .unwrap_or_else(|_| unreachable!("the semaphore is never closed"))
    }
}

/// The concurrent loop: tasks on the client's runtime (`runtime` is `None`), or worker
/// threads that use `runtime` for the futures handlers return.
pub(crate) async fn run(dispatcher: &Dispatcher, runtime: Option<tokio::runtime::Handle>) {
    match runtime {
        None => run_tasks(dispatcher).await,
        Some(runtime) => run_threads(dispatcher, runtime).await,
    }
}

/// Runs a job and the future it returns; a panic is logged.
async fn run_job(job: Job) {
    if let Some(future) = job.run() {
        let _ = AssertUnwindSafe(future)
            .catch_unwind()
            .await
            .map_err(log_panic);
    }
}

async fn run_tasks(dispatcher: &Dispatcher) {
    let mut running = JoinSet::new();
    let mut batch = VecDeque::new();
    while dispatcher.next_batch(&mut batch).await {
        while let Some(job) = batch.pop_front() {
            let permit = dispatcher.concurrency.permit().await;
            dispatcher.taken(&job);
            while running.try_join_next().is_some() {}
            running.spawn(IN_HANDLER.scope((), async move {
                run_job(job).await;
                drop(permit);
            }));
        }
    }
    let finished = tokio::time::timeout(GRACE, async {
        while running.join_next().await.is_some() {}
    });
    if finished.await.is_err() {
        warn!(target: "socketio", count = running.len(), "handlers still running after the grace time; cancelled");
        running.abort_all();
    }
}

type Queue = Arc<Mutex<mpsc::Receiver<(Job, OwnedSemaphorePermit)>>>;

async fn run_threads(dispatcher: &Dispatcher, runtime: tokio::runtime::Handle) {
    let (tx, rx) = mpsc::channel();
    let rx: Queue = Arc::new(Mutex::new(rx));
    for index in 0..dispatcher.concurrency.limit() {
        let (rx, runtime) = (rx.clone(), runtime.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("socketio-handlers-{index}"))
            .spawn(move || work(&rx, &runtime));
        if let Err(error) = spawned {
            warn!(target: "socketio", %error, "could not start a handler thread");
        }
    }
    drop(rx);
    let mut batch = VecDeque::new();
    while dispatcher.next_batch(&mut batch).await {
        while let Some(job) = batch.pop_front() {
            let permit = dispatcher.concurrency.permit().await;
            dispatcher.taken(&job);
            if let Err(mpsc::SendError((job, permit))) = tx.send((job, permit)) {
                // No worker thread could start: the job runs here.
                runtime.block_on(run_job(job));
                drop(permit);
            }
        }
    }
    drop(tx);
    // Blocking handlers cannot be cancelled: wait for them, for a while.
    let all = dispatcher.concurrency.limit() as u32;
    let permits = dispatcher.concurrency.permits.clone();
    let finished = {
        let _guard = runtime.enter();
        tokio::time::timeout(GRACE, permits.acquire_many_owned(all))
    };
    if finished.await.is_err() {
        warn!(target: "socketio", "blocking handlers still running after the grace time");
    }
}

/// A worker thread: runs jobs until the loop ends.
fn work(queue: &Queue, runtime: &tokio::runtime::Handle) {
    ON_WORKER.with(|on| on.set(true));
    loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((job, permit)) = next else { return };
        runtime.block_on(run_job(job));
        drop(permit);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::super::dispatcher::DispatchMode;
    use super::super::handler::{Call, ErasedHandler};
    use super::*;
    use crate::args::Payload;

    /// A job whose future sleeps 300 ms, then records `n`.
    fn slow(seen: &Arc<Mutex<Vec<u32>>>, n: u32, blocking: bool) -> Job {
        let seen = seen.clone();
        let handler: ErasedHandler = Arc::new(move |_| {
            let seen = seen.clone();
            if blocking {
                std::thread::sleep(Duration::from_millis(300));
                seen.lock().unwrap().push(n);
                return None;
            }
            Some(Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                seen.lock().unwrap().push(n);
            }))
        });
        Job::Handler(handler, Call::new("e", Payload::default(), None))
    }

    async fn four_slow_jobs(mode: DispatchMode, blocking: bool) -> Duration {
        let dispatcher = Dispatcher::new(mode, usize::MAX, 4);
        let seen = Arc::default();
        let started = Instant::now();
        dispatcher.start();
        for n in 0..4 {
            dispatcher.push(slow(&seen, n, blocking)).unwrap();
        }
        dispatcher.close();
        dispatcher.concurrency.settled().await;
        assert_eq!(seen.lock().unwrap().len(), 4, "every job ran before settled()");
        started.elapsed()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn four_jobs_run_at_once_on_tasks_and_on_threads() {
        for (mode, blocking) in [
            (DispatchMode::Task, false),
            (DispatchMode::Thread, false),
            (DispatchMode::Thread, true),
        ] {
            let elapsed = four_slow_jobs(mode, blocking).await;
            assert!(elapsed < Duration::from_millis(900), "{mode:?}: {elapsed:?}");
        }
    }
}
