//! The handler queue: jobs from the reader (on the engine's driver task) to the
//! dispatcher, which runs them one at a time in arrival order — on a tokio task for
//! the async client, on a thread of its own for the blocking one.
//!
//! A mutex-guarded queue rather than a channel: it allocates nothing until the first
//! event and grows on demand, the dispatcher takes all queued jobs in one swap, and it
//! is woken only when the queue turns non-empty.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::wakeup::Wakeup;

use super::core::DispatchMode;

/// Above this capacity an emptied batch buffer is shrunk back to it, so a burst does not
/// pin its memory for the connection's life (and a steady stream does not reallocate).
const KEPT_CAPACITY: usize = 1024;

#[derive(Default)]
struct State<J> {
    jobs: VecDeque<J>,
    /// No more jobs will come (the client is gone): the dispatcher ends when drained.
    closed: bool,
}

/// A multi-producer, single-consumer queue of jobs.
pub(crate) struct JobQueue<J> {
    state: Mutex<State<J>>,
    mode: DispatchMode,
    /// Wakes the dispatcher task ([`DispatchMode::Task`]).
    task: Wakeup,
    /// Wakes the dispatcher thread ([`DispatchMode::Thread`]).
    thread: Condvar,
}

impl<J> JobQueue<J> {
    pub(crate) fn new(mode: DispatchMode) -> JobQueue<J> {
        JobQueue {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                closed: false,
            }),
            mode,
            task: Wakeup::default(),
            thread: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<J>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wake(&self) {
        match self.mode {
            DispatchMode::Task => self.task.wake(),
            DispatchMode::Thread => self.thread.notify_one(),
        }
    }

    /// Queues a job; `false` (and the job dropped) when the queue is closed.
    pub(crate) fn push(&self, job: J) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        let was_empty = state.jobs.is_empty();
        state.jobs.push_back(job);
        drop(state);
        if was_empty {
            self.wake();
        }
        true
    }

    /// No more jobs: the dispatcher ends once it has run the queued ones.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.wake();
    }

    /// Swaps the queued jobs into `batch` (which must be empty); `false` when the
    /// queue is empty.
    fn take_into(state: &mut State<J>, batch: &mut VecDeque<J>) -> bool {
        if state.jobs.is_empty() {
            return false;
        }
        batch.shrink_to(KEPT_CAPACITY);
        std::mem::swap(&mut state.jobs, batch);
        true
    }

    /// Waits for jobs and swaps them into `batch` (which must be empty); `false` once
    /// the queue is closed and drained.
    pub(crate) async fn next_batch(&self, batch: &mut VecDeque<J>) -> bool {
        loop {
            {
                let mut state = self.lock();
                if Self::take_into(&mut state, batch) {
                    return true;
                }
                if state.closed {
                    return false;
                }
            }
            // A push after the check above leaves the wakeup pending, so none is lost.
            self.task.wait().await;
        }
    }

    /// [`next_batch`](Self::next_batch) for a thread.
    pub(crate) fn next_batch_blocking(&self, batch: &mut VecDeque<J>) -> bool {
        let mut state = self.lock();
        loop {
            if Self::take_into(&mut state, batch) {
                return true;
            }
            if state.closed {
                return false;
            }
            state = self.thread.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn jobs_arrive_in_order_in_batches_and_the_queue_ends_when_closed() {
        let queue = Arc::new(JobQueue::new(DispatchMode::Task));
        let consumer = {
            let queue = queue.clone();
            tokio::spawn(async move {
                let (mut batch, mut seen) = (VecDeque::new(), Vec::new());
                while queue.next_batch(&mut batch).await {
                    seen.extend(batch.drain(..));
                }
                seen
            })
        };
        for i in 0..1000 {
            assert!(queue.push(i));
            if i % 100 == 0 {
                tokio::task::yield_now().await;
            }
        }
        queue.close();
        assert!(!queue.push(1000), "a closed queue refuses jobs");
        assert_eq!(consumer.await.unwrap(), (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn a_thread_dispatcher_gets_every_job() {
        let queue = Arc::new(JobQueue::new(DispatchMode::Thread));
        let consumer = {
            let queue = queue.clone();
            std::thread::spawn(move || {
                let (mut batch, mut seen) = (VecDeque::new(), Vec::new());
                while queue.next_batch_blocking(&mut batch) {
                    seen.extend(batch.drain(..));
                }
                seen
            })
        };
        for i in 0..10_000 {
            queue.push(i);
        }
        queue.close();
        assert_eq!(consumer.join().unwrap(), (0..10_000).collect::<Vec<_>>());
    }
}
