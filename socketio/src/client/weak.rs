//! Handles that do not keep a client open: what a handler captures to reach its own
//! client ([`WeakAsyncClient`], [`WeakClient`]), and the `downgrade()` that makes them.

use std::sync::{Arc, Weak};

use super::async_client::{AsyncClient, AsyncSocket};
use super::blocking::{Client, Socket};
use super::handle::Guard;

/// A handle to an [`AsyncClient`] that does not keep it open: what a handler captures
/// to reach its own client (a clone of the client there would keep the client open
/// until [`disconnect`](AsyncClient::disconnect), since the client holds its handlers).
///
/// ```no_run
/// # async fn run() -> Result<(), socketio::Error> {
/// let sio = socketio::AsyncClient::new();
/// let weak = sio.downgrade();
/// sio.on("ping", move || {
///     let weak = weak.clone();
///     async move {
///         if let Some(sio) = weak.upgrade() {
///             let _ = sio.emit("pong", ()).await;
///         }
///     }
/// });
/// sio.connect("http://localhost:5000").await?;
/// // …
/// drop(sio); // the last handle: the client disconnects
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct WeakAsyncClient {
    guard: Weak<Guard>,
}

impl WeakAsyncClient {
    /// The client, unless every handle of it was dropped.
    pub fn upgrade(&self) -> Option<AsyncClient> {
        let guard = self.guard.upgrade()?;
        let socket = AsyncSocket::guarded(guard.core.clone(), "/", guard);
        Some(AsyncClient::from_socket(socket))
    }
}

impl AsyncClient {
    /// A handle that does not keep the client open (see [`WeakAsyncClient`]).
    pub fn downgrade(&self) -> WeakAsyncClient {
        WeakAsyncClient {
            guard: self
                .root
                .guard
                .as_ref()
                .map_or_else(Weak::new, Arc::downgrade),
        }
    }
}

/// A handle to a blocking [`Client`] that does not keep it open: what a handler
/// captures to reach its own client (see [`WeakAsyncClient`](crate::WeakAsyncClient)).
///
/// ```no_run
/// # fn run() -> Result<(), socketio::Error> {
/// let sio = socketio::Client::new();
/// let weak = sio.downgrade();
/// sio.on("ping", move || {
///     if let Some(sio) = weak.upgrade() {
///         let _ = sio.emit("pong", ());
///     }
/// });
/// sio.connect("http://localhost:5000")?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct WeakClient {
    guard: Weak<Guard>,
}

impl WeakClient {
    /// The client, unless every handle of it was dropped.
    pub fn upgrade(&self) -> Option<Client> {
        let guard = self.guard.upgrade()?;
        let runtime = guard.runtime.clone()?;
        let socket = Socket::guarded(guard.core.clone(), "/", runtime, guard);
        Some(Client::from_socket(socket))
    }
}

impl Client {
    /// A handle that does not keep the client open (see [`WeakClient`]).
    pub fn downgrade(&self) -> WeakClient {
        WeakClient {
            guard: self
                .root
                .guard
                .as_ref()
                .map_or_else(Weak::new, Arc::downgrade),
        }
    }
}
