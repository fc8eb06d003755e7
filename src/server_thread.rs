//! A server of the test rig on a thread of its own, with a current-thread runtime: started
//! once it reports its port, stopped (shutdown signal, then join) on demand or on drop.
//! The in-process socketioxide peer and the typed chat server run on it.

use std::future::Future;
use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

/// Where a server reports the port it listens on (or why it could not start).
pub type Ready = mpsc::Sender<io::Result<u16>>;

/// Listens on `127.0.0.1:port` (0: an ephemeral port) and returns the listener and its
/// port; on failure, reports the error to `ready` and returns `None`.
pub async fn bind(port: u16, ready: &Ready) -> Option<(tokio::net::TcpListener, u16)> {
    let bound = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener.local_addr().map(|addr| (listener, addr.port())),
        Err(e) => Err(e),
    };
    match bound {
        Ok(bound) => Some(bound),
        Err(e) => {
            let _ = ready.send(Err(e));
            None
        }
    }
}

/// A running server thread.
#[derive(Debug)]
pub struct ServerThread {
    port: u16,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Runs `serve(ready, shutdown)` on a thread named `name`; returns once it sent its
    /// port to `ready`, or its error.
    pub fn start<S, F>(name: &str, serve: S) -> io::Result<Self>
    where
        S: FnOnce(Ready, oneshot::Receiver<()>) -> F + Send + 'static,
        F: Future<Output = ()>,
    {
        let (ready_tx, ready_rx) = mpsc::channel::<io::Result<u16>>();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(serve(ready_tx, shutdown_rx));
                rt.shutdown_timeout(Duration::from_secs(1));
            })?;
        let port = ready_rx.recv().unwrap_or_else(|_| {
            Err(io::Error::other(format!(
                "the {name} thread died during startup"
            )))
        });
        match port {
            Ok(port) => Ok(ServerThread {
                port,
                shutdown: Some(shutdown_tx),
                thread: Some(thread),
            }),
            Err(e) => {
                let _ = thread.join();
                Err(e)
            }
        }
    }

    /// The TCP port the server listens on (on `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server still runs.
    pub fn is_running(&self) -> bool {
        self.thread.is_some()
    }

    /// Stops the server and joins its thread; calling it again does nothing.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        self.stop();
    }
}
