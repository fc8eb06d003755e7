//! The dispatcher: runs handlers one at a time in arrival order, on a tokio task (the
//! async client) or on a thread of its own where they may block (the blocking client).
//! One loop serves both; the thread runs it with a minimal executor that parks, so a
//! handler there may enter the client's runtime (`call()`). With
//! `handler_concurrency(n)`, n > 1, the loop starts each job in arrival order but runs
//! up to n at once (`concurrent.rs`).
//!
//! The queue is a mutex-guarded deque rather than a channel: it allocates nothing until
//! the first event and grows on demand, the dispatcher takes all queued jobs in one
//! swap, and it is woken only when the queue turns non-empty. Its lock is a leaf: it
//! may be taken while another is held, and nothing is locked under it.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};

use futures_util::FutureExt;
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinSet;
use tracing::warn;

use super::concurrent::{as_handler, mark_worker, Concurrency, GRACE};
use super::handler::{BoxFuture, Call, ErasedHandler};
use super::handler_error::Site;
use super::handlers::{ClassHandler, Target};
use crate::wakeup::Wakeup;

/// Above this capacity an emptied batch buffer is shrunk back to it, so a burst does not
/// pin its memory for the connection's life (and a steady stream does not reallocate).
const KEPT_CAPACITY: usize = 1024;

/// How the dispatcher runs handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DispatchMode {
    /// On a tokio task (the async client).
    Task,
    /// On a dedicated thread where handlers may block (the blocking client).
    Thread,
}

/// A handler (or class method) and its call. An enum, so queueing allocates nothing.
pub(crate) enum Job {
    Handler(ErasedHandler, Call),
    Class(Arc<dyn ClassHandler>, Call),
    /// A callback that runs once with what it was given (`emit_with_ack_timeout`).
    Once(Box<dyn FnOnce() -> Option<BoxFuture> + Send>),
}

impl Job {
    pub(crate) fn new(target: Target, call: Call) -> Job {
        match target {
            Target::Handler(handler) => Job::Handler(handler, call),
            Target::Class(class) => Job::Class(class, call),
        }
    }

    /// The bytes of received data the job holds until it runs.
    fn size(&self) -> usize {
        match self {
            Job::Handler(_, call) | Job::Class(_, call) => call.payload.byte_size(),
            Job::Once(_) => 0,
        }
    }

    /// Runs the job, and gives back the future it returned, if any; a panicking
    /// handler is reported (`HandlerError`) and the dispatcher goes on.
    pub(crate) fn run(self) -> Option<Running> {
        let site = match &self {
            Job::Handler(_, call) | Job::Class(_, call) => call.site.clone(),
            Job::Once(_) => None,
        };
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| match self {
            Job::Handler(handler, call) => handler(call),
            Job::Class(class, call) => class.dispatch(call),
            Job::Once(callback) => callback(),
        }));
        match ran {
            Ok(future) => future.map(|future| Running { future, site }),
            Err(panic) => {
                report_panic(site.as_ref(), panic);
                None
            }
        }
    }
}

/// The future a handler returned, and where a panic in it is reported.
pub(crate) struct Running {
    future: BoxFuture,
    site: Option<Site>,
}

impl Running {
    /// Runs the handler's future to its end; a panic is reported.
    pub(crate) async fn finish(self) {
        if let Err(panic) = AssertUnwindSafe(self.future).catch_unwind().await {
            report_panic(self.site.as_ref(), panic);
        }
    }
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// No more jobs until a restart (the client disconnected or is gone): the loop ends
    /// once drained.
    closed: bool,
    /// Whether the loop runs.
    running: bool,
}

/// Why a job was not queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The handlers fell behind: this many bytes would wait, more than allowed.
    Behind(usize),
    /// The dispatcher is gone (the client was dropped).
    Closed,
}

/// The handler queue and its consumer.
pub(crate) struct Dispatcher {
    queue: Mutex<Queue>,
    wakeup: Wakeup,
    /// Bytes of received data waiting for the handlers, at most `limit`.
    buffered: AtomicUsize,
    limit: usize,
    mode: DispatchMode,
    /// How many handlers may run at once, and how many run (n > 1 only).
    pub(crate) concurrency: Concurrency,
}

impl Dispatcher {
    pub(crate) fn new(mode: DispatchMode, limit: usize, concurrency: usize) -> Arc<Dispatcher> {
        Arc::new(Dispatcher {
            queue: Mutex::default(),
            wakeup: Wakeup::default(),
            buffered: AtomicUsize::new(0),
            limit,
            mode,
            concurrency: Concurrency::new(concurrency),
        })
    }

    /// A job leaves the queue: its bytes no longer wait.
    pub(crate) fn taken(&self, job: &Job) {
        self.buffered.fetch_sub(job.size(), Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a job, unless the handlers fell behind by more than the limit.
    pub(crate) fn push(&self, job: Job) -> Result<(), Refused> {
        let size = job.size();
        let total = self.buffered.fetch_add(size, Ordering::Relaxed) + size;
        if total > self.limit {
            self.buffered.fetch_sub(size, Ordering::Relaxed);
            return Err(Refused::Behind(total));
        }
        self.push_counted(job, size).map_err(|_| Refused::Closed)
    }

    /// Returns once the jobs queued before the call have run (in order, n = 1) or, the
    /// queue being closed, once the loop has run them all and ended.
    pub(crate) async fn flushed(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let marker = Job::Once(Box::new(move || {
            let _ = tx.send(());
            None
        }));
        match self.push_or_return(marker) {
            Ok(()) => drop(rx.await),
            Err(_) => self.concurrency.stopped().await,
        }
    }

    /// Queues a job of no size (a callback), or gives it back if the queue is closed.
    pub(crate) fn push_or_return(&self, job: Job) -> Result<(), Box<Job>> {
        self.push_counted(job, 0)
    }

    /// Queues a job whose `size` is counted in `buffered`.
    fn push_counted(&self, job: Job, size: usize) -> Result<(), Box<Job>> {
        let mut queue = self.lock();
        if queue.closed {
            drop(queue);
            self.buffered.fetch_sub(size, Ordering::Relaxed);
            return Err(Box::new(job));
        }
        let was_empty = queue.jobs.is_empty();
        queue.jobs.push_back(job);
        drop(queue);
        if was_empty {
            self.wakeup.wake();
        }
        Ok(())
    }

    /// No more jobs: the loop ends once it has run the queued ones (until `start`).
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.wakeup.wake();
    }

    /// Opens the queue and starts the loop unless it runs, on the current runtime (a
    /// task, or a thread that uses this runtime for handler futures).
    pub(crate) fn start(self: &Arc<Self>) {
        {
            let mut queue = self.lock();
            queue.closed = false;
            if std::mem::replace(&mut queue.running, true) {
                return;
            }
        }
        let this = self.clone();
        self.concurrency.loop_started();
        match self.mode {
            // The loop runs handlers itself (n = 1): marked as a handler, so that a
            // `disconnect()` called from one does not wait for the loop to end.
            DispatchMode::Task => drop(tokio::spawn(as_handler(this.run(None)))),
            DispatchMode::Thread => {
                let runtime = tokio::runtime::Handle::current();
                let spawned = std::thread::Builder::new()
                    .name("socketio-handlers".into())
                    .spawn(move || {
                        mark_worker();
                        park_on(this.run(Some(runtime)))
                    });
                if let Err(error) = spawned {
                    self.lock().running = false;
                    self.concurrency.loop_ended();
                    warn!(target: "socketio", %error, "could not start the handler thread");
                }
            }
        }
    }

    /// The loop: takes the queued jobs in one swap, runs them in order. On a thread,
    /// `runtime` runs the futures handlers return.
    async fn run(self: Arc<Self>, runtime: Option<tokio::runtime::Handle>) {
        if self.concurrency.limit() > 1 {
            // Boxed: the default, in-order loop does not carry its state.
            Box::pin(run_concurrently(&self, runtime)).await;
        } else {
            self.run_in_order(runtime).await;
        }
        self.concurrency.loop_ended();
    }

    /// One job at a time, each finished before the next starts.
    async fn run_in_order(&self, runtime: Option<tokio::runtime::Handle>) {
        let mut batch = VecDeque::new();
        while self.next_batch(&mut batch).await {
            while let Some(job) = batch.pop_front() {
                self.taken(&job);
                let Some(running) = job.run() else { continue };
                match &runtime {
                    None => running.finish().await,
                    Some(runtime) => runtime.block_on(running.finish()),
                }
            }
        }
    }

    /// Waits for jobs and swaps them into `batch` (which must be empty); `false` once
    /// the queue is closed and drained.
    pub(crate) async fn next_batch(&self, batch: &mut VecDeque<Job>) -> bool {
        loop {
            {
                let mut queue = self.lock();
                if !queue.jobs.is_empty() {
                    batch.shrink_to(KEPT_CAPACITY);
                    std::mem::swap(&mut queue.jobs, batch);
                    return true;
                }
                if queue.closed {
                    queue.running = false;
                    return false;
                }
            }
            // A push after the check above leaves the wakeup pending, so none is lost.
            self.wakeup.wait().await;
        }
    }
}

/// The concurrent loop: tasks on the client's runtime (`runtime` is `None`), or worker
/// threads that use `runtime` for the futures handlers return.
async fn run_concurrently(dispatcher: &Dispatcher, runtime: Option<tokio::runtime::Handle>) {
    match runtime {
        None => run_tasks(dispatcher).await,
        Some(runtime) => run_threads(dispatcher, runtime).await,
    }
}

/// Runs a job and the future it returns; a panic is reported.
async fn run_job(job: Job) {
    if let Some(running) = job.run() {
        running.finish().await;
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
            running.spawn(as_handler(async move {
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

type WorkQueue = Arc<Mutex<mpsc::Receiver<(Job, OwnedSemaphorePermit)>>>;

async fn run_threads(dispatcher: &Dispatcher, runtime: tokio::runtime::Handle) {
    let (tx, rx) = mpsc::channel();
    let rx: WorkQueue = Arc::new(Mutex::new(rx));
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
                run_blocking(job, &runtime);
                drop(permit);
            }
        }
    }
    drop(tx);
    // Blocking handlers cannot be cancelled: wait for them, for a while (the timer is
    // the runtime's; this thread has none entered).
    let idle = {
        let _guard = runtime.enter();
        dispatcher.concurrency.idle()
    };
    if !idle.await {
        warn!(target: "socketio", "blocking handlers still running after the grace time");
    }
}

/// A worker thread: runs jobs until the loop ends.
fn work(queue: &WorkQueue, runtime: &tokio::runtime::Handle) {
    mark_worker();
    loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((job, permit)) = next else { return };
        run_blocking(job, runtime);
        drop(permit);
    }
}

/// Runs a job on this thread, outside the runtime (so that it may block on it, as a
/// `call()` does), then its future on `runtime`; a panic is reported.
fn run_blocking(job: Job, runtime: &tokio::runtime::Handle) {
    if let Some(running) = job.run() {
        runtime.block_on(running.finish());
    }
}

/// Runs a future to completion on this thread, parking between polls. No runtime is
/// entered, so what the future calls may block on the client's runtime.
fn park_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

/// Reports a handler's panic where its errors go (a callback's is only logged).
fn report_panic(site: Option<&Site>, panic: Box<dyn std::any::Any + Send>) {
    match site {
        Some(site) => site.report_panic(&*panic),
        None => {
            let message = super::handler_error::panic_message(&*panic);
            warn!(target: "socketio", %message, "a callback panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::args::Payload;

    /// A job that records `n` when it runs.
    fn job(seen: &Arc<Mutex<Vec<u32>>>, n: u32) -> Job {
        let seen = seen.clone();
        let handler: ErasedHandler = Arc::new(move |_| {
            seen.lock().unwrap().push(n);
            None
        });
        Job::Handler(handler, Call::new("e", Payload::default(), None))
    }

    async fn wait_for(seen: &Arc<Mutex<Vec<u32>>>, count: usize) {
        tokio::time::timeout(Duration::from_secs(5), async {
            while seen.lock().unwrap().len() < count {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .expect("the jobs ran");
    }

    #[tokio::test]
    async fn jobs_run_in_order_on_a_task_and_a_closed_queue_refuses_more() {
        let dispatcher = Dispatcher::new(DispatchMode::Task, usize::MAX, 1);
        let seen = Arc::default();
        dispatcher.start();
        for n in 0..1000 {
            dispatcher.push(job(&seen, n)).unwrap();
            if n % 100 == 0 {
                tokio::task::yield_now().await;
            }
        }
        wait_for(&seen, 1000).await;
        assert_eq!(*seen.lock().unwrap(), (0..1000).collect::<Vec<_>>());
        dispatcher.close();
        assert_eq!(dispatcher.push(job(&seen, 0)), Err(Refused::Closed));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_thread_runs_every_job_in_order_and_a_panic_does_not_stop_it() {
        let dispatcher = Dispatcher::new(DispatchMode::Thread, usize::MAX, 1);
        let seen = Arc::default();
        dispatcher.start();
        let panics: ErasedHandler = Arc::new(|_| panic!("boom"));
        dispatcher
            .push(Job::Handler(
                panics,
                Call::new("e", Payload::default(), None),
            ))
            .unwrap();
        for n in 0..10_000 {
            dispatcher.push(job(&seen, n)).unwrap();
        }
        wait_for(&seen, 10_000).await;
        assert_eq!(*seen.lock().unwrap(), (0..10_000).collect::<Vec<_>>());
    }

    #[test]
    fn a_job_over_the_limit_is_refused_and_not_counted() {
        let dispatcher = Dispatcher::new(DispatchMode::Task, 20, 1);
        let call = |text: &str| Call::new("e", Payload::new(&text).unwrap(), None);
        let handler: ErasedHandler = Arc::new(|_| None);
        dispatcher
            .push(Job::Handler(handler.clone(), call("abc")))
            .unwrap();
        let refused = dispatcher.push(Job::Handler(handler.clone(), call("a long argument")));
        assert!(matches!(refused, Err(Refused::Behind(_))));
        dispatcher.push(Job::Handler(handler, call("ab"))).unwrap();
    }

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
        assert_eq!(
            seen.lock().unwrap().len(),
            4,
            "every job ran before settled()"
        );
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
            assert!(
                elapsed < Duration::from_millis(900),
                "{mode:?}: {elapsed:?}"
            );
        }
    }
}
