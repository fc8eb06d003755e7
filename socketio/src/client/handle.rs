//! The user's handles and what they share: when the last one (the client, or a socket
//! from `of()`) is dropped, the client disconnects, as by `disconnect()`. The client's
//! own tasks (the engine's reader, the reconnection loop, the dispatcher, the retry
//! worker) hold the core, not the [`Guard`], so they never keep a connection open.
//!
//! A handler that captures a clone of the client holds a guard too, from inside the
//! client: such a client stays open until `disconnect()`. Handlers capture a
//! `WeakAsyncClient` / `WeakClient` instead (`downgrade()`, in `async_client.rs` and
//! `blocking.rs`).
//!
//! Also the blocking clients' [`Runtime`], which the guard shuts down last.

use std::sync::Arc;

use super::core::Core;
use super::state::ConnectionState;
use crate::error::Error;

/// Shared by every user handle of one client; dropped with the last, it disconnects.
pub(crate) struct Guard {
    pub(crate) core: Arc<Core>,
    /// The blocking client's runtime, shut down after the disconnection.
    pub(crate) runtime: Option<Arc<Runtime>>,
}

impl Guard {
    pub(crate) fn new(core: Arc<Core>, runtime: Option<Arc<Runtime>>) -> Arc<Guard> {
        Arc::new(Guard { core, runtime })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let core = self.core.clone();
        if core.state() == ConnectionState::Disconnected {
            // Nothing to close; the handler loop, if any, ends once it ran its queue.
            core.dispatcher.close();
            core.retry.close();
            return;
        }
        match self.runtime.take() {
            None => {
                let disconnecting = core.clone();
                core.spawn(async move { disconnecting.disconnect().await });
            }
            // Inside an async runtime this thread may not block: one of its own does.
            Some(runtime) if tokio::runtime::Handle::try_current().is_ok() => {
                let spawned = std::thread::Builder::new()
                    .name("socketio-drop".into())
                    .spawn(move || runtime.block_on(async move { core.disconnect().await }));
                if let Err(error) = spawned {
                    tracing::warn!(target: "socketio", %error, "could not disconnect the dropped client");
                }
            }
            Some(runtime) => runtime.block_on(async move { core.disconnect().await }),
        }
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard").finish_non_exhaustive()
    }
}

/// The runtime a blocking client runs its I/O on (also the [`SimpleClient`]'s).
///
/// [`SimpleClient`]: crate::SimpleClient
pub(crate) struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    /// One worker thread, which does all the I/O.
    pub(crate) fn new() -> Result<Runtime, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("socketio-io")
            .enable_all()
            .build()
            .map_err(Error::transport)?;
        Ok(Runtime(Some(runtime)))
    }

    /// Runs `future` to completion on the client's runtime, blocking this thread; a
    /// thread that drives an async runtime panics at the caller's line, saying why.
    #[track_caller]
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        if let Err(error) = check_not_async() {
            panic!("{error}");
        }
        self.0
            .as_ref()
            .expect("present until dropped")
            .block_on(future)
    }

    pub(crate) fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.0.as_ref().expect("present until dropped").enter()
    }
}

/// Fails, naming the caller's line and the fix, on a thread that drives an async
/// runtime: the body of `#[tokio::main]`, `#[tokio::test]` or `Runtime::block_on` (a
/// runtime's context, outside any task). Inside a task, tokio's own check panics (at
/// the caller's line too: every blocking method is `#[track_caller]`). A plain thread
/// that only entered a runtime's context (`Handle::enter`) is taken for such a thread
/// too: tokio does not tell them apart.
#[track_caller]
pub(crate) fn check_not_async() -> Result<(), Error> {
    if tokio::runtime::Handle::try_current().is_ok() && tokio::task::try_id().is_none() {
        return Err(Error::InsideAsyncRuntime(
            std::panic::Location::caller().to_string(),
        ));
    }
    Ok(())
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // The last handle may be dropped on a runtime thread (by a handler that held
        // a clone): shutting down in the background is allowed everywhere.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}
