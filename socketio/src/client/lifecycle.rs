//! The connection's life: `connect()`, opening the engine and its namespaces, losing
//! the connection, reconnecting with backoff, and `disconnect()`. The state moves as
//! [`ConnectionState`] says; each transition is a compare-and-set on the lifecycle, so
//! a `disconnect()` racing a reconnection wins.

use std::sync::Arc;

use tracing::{debug, info, warn};

use super::connection::Target;
use super::core::Core;
use super::credentials::Credentials;
use super::link::Link;
use super::options::ConnectOptions;
use super::reason::DisconnectReason;
use super::reconnect::{Backoff, Step};
use super::router::Reader;
use super::state::ConnectionState::{self, *};
use crate::args::Payload;
use crate::engineio::socket::EngineSession;
use crate::engineio::{CloseReason, EngineSocket};
use crate::error::Error;

impl Core {
    pub(crate) async fn connect(
        self: &Arc<Self>,
        url: &str,
        options: ConnectOptions,
    ) -> Result<(), Error> {
        // The caller holds this future until the namespaces answer (every client, when
        // many connect at once), so it keeps little: the checks are a plain function,
        // the engine's opening and a failure's handling are boxed.
        let (target, namespaces) = self.begin_connect(url, options)?;
        let opened = self.open(&target, &namespaces).await;
        let retry = target.options.settings.retry;
        // Moved, not copied, to the connection, which keeps it for reconnecting (from
        // `settle` on, or from the retry below): nothing this future allocated is freed
        // once connected. With many clients connecting at once, such blocks would leave
        // holes between the ones that stay.
        self.connection().target = Some(target);
        match opened.and_then(|session| self.settle(session, Connecting)) {
            // Connected, or disconnect() was called meanwhile (it wins).
            Ok(Settled::Connected | Settled::Cancelled) => Ok(()),
            // Connected, then lost at once: as if it had happened a moment later.
            Ok(Settled::Lost { resume }) => {
                if let Some(namespaces) = resume {
                    let error = Error::ConnectionFailed("connection lost".into());
                    self.spawn_reconnect(namespaces, error);
                }
                Ok(())
            }
            Err(error) => Box::pin(self.connect_failed(namespaces, error, retry)).await,
        }
    }

    /// Checks `url` and the options, then moves to `Connecting`; returns where to go and
    /// the namespaces to ask for.
    fn begin_connect(
        &self,
        url: &str,
        options: ConnectOptions,
    ) -> Result<(Target, Vec<String>), Error> {
        let resolved = options.resolve(url)?;
        let previous = self.lifecycle.replace(Connecting);
        if previous != Disconnected {
            self.lifecycle.replace(previous);
            return Err(Error::AlreadyConnected);
        }
        let namespaces = resolved
            .namespaces
            .unwrap_or_else(|| self.handlers.namespaces());
        let target = Target {
            url: resolved.url,
            options,
        };
        Ok((target, namespaces))
    }

    /// `connect()` failed with `error`: closes what was opened, then retries in the
    /// background loop's way (`retry`, with reconnection enabled) or gives up.
    async fn connect_failed(
        self: &Arc<Self>,
        namespaces: Vec<String>,
        error: Error,
        retry: bool,
    ) -> Result<(), Error> {
        self.close_connection(None).await;
        if retry
            && self.config.reconnection.enabled
            && self.lifecycle.advance(Connecting, Reconnecting)
        {
            info!(target: "socketio", %error, "connect failed; retrying");
            return self.reconnect(namespaces, error).await;
        }
        self.lifecycle.advance(Connecting, Disconnected);
        Err(error)
    }

    /// Opens the engine, asks for `namespaces`, and (unless `wait(false)`) waits up to
    /// `wait_timeout` for the server to accept them all; returns the connection's session.
    /// The credentials (`auth_with`, `headers_with`) are fetched anew for each call.
    async fn open(self: &Arc<Self>, target: &Target, namespaces: &[String]) -> Result<u64, Error> {
        // Handlers may run from here on (connect_error included).
        self.start_tasks();
        // Boxed: the engine's opening is most of a connecting client's state, and the
        // caller holds this future until the namespaces answer.
        let opening = Box::pin(self.open_engine(target));
        let attempt = match opening.await {
            Ok(attempt) => attempt,
            Err(error) => {
                let data = serde_json::json!({ "message": error.to_string() });
                for namespace in namespaces {
                    self.trigger(
                        namespace,
                        "connect_error",
                        Payload::new(&data).unwrap_or_default(),
                    );
                }
                return Err(error);
            }
        };
        // A plain function: what it holds is gone before the wait.
        let session = self.attach_engine(attempt, namespaces)?;
        if !target.options.settings.wait {
            return Ok(session);
        }
        tokio::time::timeout(target.options.settings.wait_timeout, self.answers(session))
            .await
            .map_err(|_| Error::Timeout)??;
        Ok(session)
    }

    /// The opened engine becomes the connection's link: CONNECT for each namespace,
    /// then the router reads its packets. Returns the connection's session.
    fn attach_engine(
        self: &Arc<Self>,
        attempt: Attempt,
        namespaces: &[String],
    ) -> Result<u64, Error> {
        let Attempt {
            engine,
            session: engine_session,
            auth,
        } = attempt;
        let link = Link::new(Arc::new(engine), self.config.parser);
        let session = self
            .connection()
            .attach(link.clone(), namespaces, auth.as_ref())?;
        engine_session.start(Reader::new(
            self.clone(),
            session,
            link,
            Core::engine_closed,
        ));
        Ok(session)
    }

    /// Waits until the namespaces asked for on `session` have answered (or the session
    /// ended first): the router and the closing paths wake it.
    async fn answers(&self, session: u64) -> Result<(), Error> {
        std::future::poll_fn(|cx| self.connection().poll_outcome(session, cx.waker())).await
    }

    /// This attempt's credentials, then the Engine.IO session opened with them.
    async fn open_engine(&self, target: &Target) -> Result<Attempt, Error> {
        self.tls.check()?;
        let Credentials { auth, headers } = target.options.credentials().await?;
        let engine_options = self.config.engine_options(
            &target.url,
            &target.options,
            headers,
            self.tls.clone(),
            self.cookies.clone(),
        )?;
        info!(target: "socketio", url = %crate::engineio::options::redacted_url(&engine_options.url), "connecting");
        let (engine, session) = EngineSocket::open(engine_options).await?;
        Ok(Attempt {
            engine,
            session,
            auth,
        })
    }

    /// Moves from `from` (`Connecting` or `Reconnecting`) to `Connected` once `open`
    /// succeeded. Under the connection's lock, as `engine_closed` decides, so an engine
    /// that closed meanwhile is seen either before (`Lost`: the state moves on as
    /// `engine_closed` would have moved it from `Connected`) or after (`engine_closed`
    /// finds `Connected` and reconnects), never in between.
    fn settle(&self, session: u64, from: ConnectionState) -> Result<Settled, Error> {
        let mut connection = self.connection();
        if connection.is_live(session) {
            return Ok(if self.lifecycle.advance(from, Connected) {
                Settled::Connected
            } else {
                Settled::Cancelled
            });
        }
        let Some(resume) = connection.take_lost(session) else {
            // No namespace had connected (`wait(false)`): an attempt that failed.
            return Err(Error::ConnectionFailed(
                "connection lost while connecting".into(),
            ));
        };
        let to = if resume.is_some() {
            Reconnecting
        } else {
            Disconnected
        };
        Ok(if from == to || self.lifecycle.advance(from, to) {
            Settled::Lost { resume }
        } else {
            Settled::Cancelled
        })
    }

    /// Starts the dispatcher and, with `retries`, the retry worker, unless they run.
    /// `disconnect()` ends both, so a client left alone holds no task.
    fn start_tasks(self: &Arc<Self>) {
        self.start_dispatcher();
        if self.config.retries > 0 && self.retry.start() {
            tokio::spawn(super::retry_worker::run(
                Arc::downgrade(self),
                self.retry.clone(),
            ));
        }
    }

    /// Tries to connect `namespaces` again, with exponential backoff, until connected,
    /// given up (`reconnection_attempts`), or cancelled by `disconnect()`.
    async fn reconnect(
        self: &Arc<Self>,
        namespaces: Vec<String>,
        mut last: Error,
    ) -> Result<(), Error> {
        let Some(target) = self.connection().target.clone() else {
            self.lifecycle.advance(Reconnecting, Disconnected);
            return Err(last);
        };
        let mut backoff = Backoff::new(self.config.reconnection);
        let mut state = self.lifecycle.subscribe();
        loop {
            let (attempt, delay) = match backoff.next(fastrand::f64()) {
                Step::Wait { attempt, delay } => (attempt, delay),
                Step::GiveUp { attempts } => {
                    warn!(target: "socketio", attempts, "giving up reconnecting");
                    self.trigger("/", "reconnect_failed", Payload::default());
                    self.lifecycle.advance(Reconnecting, Disconnected);
                    let last = last.to_string();
                    return Err(Error::GaveUp { attempts, last });
                }
            };
            debug!(target: "socketio", attempt, ?delay, "reconnecting after a delay");
            let cancelled = tokio::select! {
                () = tokio::time::sleep(delay) => false,
                _ = state.wait_for(|s| *s != Reconnecting) => true,
            };
            if cancelled || self.state() != Reconnecting {
                return Err(Error::NotConnected);
            }
            let number = Payload::new(&attempt).unwrap_or_default();
            self.trigger("/", "reconnect_attempt", number.clone());
            let opened = self.open(&target, &namespaces).await;
            match opened.and_then(|session| self.settle(session, Reconnecting)) {
                Ok(Settled::Connected) => {
                    info!(target: "socketio", attempt, "reconnected");
                    self.trigger("/", "reconnect", number);
                    return Ok(());
                }
                Ok(Settled::Lost { resume: Some(_) }) => {
                    last = Error::ConnectionFailed("connection lost".into());
                    self.reconnect_failed_attempt(&last);
                }
                Ok(Settled::Lost { resume: None }) => return Err(Error::NotConnected),
                Ok(Settled::Cancelled) => {
                    // disconnect() was called meanwhile.
                    self.close_connection(None).await;
                    return Err(Error::NotConnected);
                }
                Err(error) => {
                    debug!(target: "socketio", attempt, %error, "reconnection attempt failed");
                    self.close_connection(None).await;
                    self.reconnect_failed_attempt(&error);
                    last = error;
                }
            }
        }
    }

    /// Tells the `/` handlers that a reconnection attempt failed (`reconnect_error`,
    /// with the error as a string), as socket.io-client's manager does.
    fn reconnect_failed_attempt(&self, error: &Error) {
        let message = Payload::new(&error.to_string()).unwrap_or_default();
        self.trigger("/", "reconnect_error", message);
    }

    /// The engine of `session` closed: every namespace is lost; the client reconnects
    /// when the loss was an accident. Called by the router, on the engine's task.
    fn engine_closed(self: &Arc<Self>, session: u64, reason: CloseReason) {
        let reason = disconnect_reason(&reason);
        // The state moves under the connection's lock: see `settle`.
        let (closed, reconnect) = {
            let mut connection = self.connection();
            let lost = || Error::ConnectionFailed(format!("connection closed: {reason}"));
            let Some(closed) = connection.closed(session, lost) else {
                return;
            };
            let resume = reason.is_accidental()
                && self.config.reconnection.enabled
                && !closed.connected.is_empty();
            let reconnect = match self.lifecycle.get() {
                Connected if resume => self.lifecycle.advance(Connected, Reconnecting),
                Connected => {
                    self.lifecycle.advance(Connected, Disconnected);
                    false
                }
                // `open` succeeded or is about to: `settle` takes it from here.
                Connecting | Reconnecting if !closed.connected.is_empty() => {
                    connection.set_lost(session, resume.then(|| closed.connected.clone()));
                    false
                }
                _ => false,
            };
            (closed, reconnect)
        };
        info!(target: "socketio", %reason, "connection closed");
        closed.failed.notify();
        for namespace in &closed.connected {
            self.trigger_disconnect(namespace, reason);
        }
        if let Some(waiting) = closed.answered {
            waiting.wake();
        }
        if reconnect {
            let error = Error::ConnectionFailed(format!("connection lost: {reason}"));
            self.spawn_reconnect(closed.connected, error);
        }
    }

    /// Runs the reconnection loop in the background.
    fn spawn_reconnect(self: &Arc<Self>, namespaces: Vec<String>, last: Error) {
        let core = self.clone();
        tokio::spawn(async move {
            let _ = core.reconnect(namespaces, last).await;
        });
    }

    /// Leaves one namespace; closes the connection when it was the last one.
    pub(crate) async fn disconnect_namespace(&self, namespace: &str) {
        let (link, left) = {
            let mut connection = self.connection();
            let Some(link) = connection.link().cloned() else {
                return;
            };
            (link, connection.leave(namespace))
        };
        if left.was_connected {
            link.leave(&[namespace.to_owned()]);
            left.failed.notify();
            self.trigger_disconnect(namespace, DisconnectReason::ClientDisconnect);
        }
        if left.last {
            self.disconnect().await;
        }
    }

    /// Leaves every namespace and closes the connection; returns once the server was told.
    pub(crate) async fn disconnect(&self) {
        let previous = self.lifecycle.replace(Disconnecting);
        // What was buffered for a connection that will not come back is dropped, and
        // so is the session the server could have restored.
        let dropped = self.connection().forget();
        for waiter in dropped {
            let _ = waiter.send(Err(Error::NotConnected));
        }
        if previous != Disconnected {
            self.close_connection(Some(DisconnectReason::ClientDisconnect))
                .await;
        }
        self.lifecycle.replace(Disconnected);
        // Both end once they ran what is queued (the disconnect handlers included).
        self.dispatcher.close();
        self.retry.close();
        // Returns once the handlers queued so far ran, the `disconnect` ones included
        // (with handler_concurrency(n > 1), the running ones finish or are cancelled),
        // at most GRACE; at once from a handler.
        self.dispatcher.concurrency.settled().await;
        if previous == Disconnected {
            return;
        }
        info!(target: "socketio", "disconnected");
    }

    /// Sends DISCONNECT for every connected namespace (when `reason` is given, their
    /// `disconnect` handlers run with it), then closes the engine.
    async fn close_connection(&self, reason: Option<DisconnectReason>) {
        let lost =
            || Error::ConnectionFailed("connection closed before the namespaces connected".into());
        let closed = self.connection().close(lost);
        if let Some(waiting) = closed.answered {
            waiting.wake();
        }
        if let Some(link) = &closed.link {
            link.leave(&closed.connected);
        }
        closed.failed.notify();
        if let Some(reason) = reason {
            for namespace in &closed.connected {
                self.trigger_disconnect(namespace, reason);
            }
        }
        if let Some(link) = closed.link {
            link.outlet().close().await;
        }
    }
}

/// What the `disconnect` handlers are told when the engine closed for `reason`.
fn disconnect_reason(reason: &CloseReason) -> DisconnectReason {
    match reason {
        CloseReason::Client => DisconnectReason::ClientDisconnect,
        CloseReason::Server | CloseReason::TransportClose => DisconnectReason::TransportClose,
        CloseReason::PingTimeout => DisconnectReason::PingTimeout,
        CloseReason::InvalidInput(_) => DisconnectReason::ParseError,
        CloseReason::TransportError(_) => DisconnectReason::TransportError,
    }
}

/// An attempt's open engine, not started yet, and the auth its CONNECT packets carry.
struct Attempt {
    engine: EngineSocket,
    session: EngineSession,
    auth: Option<serde_json::Value>,
}

/// How a successful `open` ended.
enum Settled {
    /// Connected.
    Connected,
    /// `disconnect()` was called meanwhile.
    Cancelled,
    /// The engine closed right after the namespaces connected; `resume` holds the
    /// namespaces to reconnect (None: not to reconnect; the client is disconnected).
    Lost { resume: Option<Vec<String>> },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a connecting client holds until its namespaces answer: with a thousand
    /// clients connecting at once, these are a thousand live futures, whose memory the
    /// allocator keeps after they end (measured in BENCHMARKS.md). The options are
    /// boxed, the reconnection loop, the proxy tunnel and the TLS session are boxed
    /// apart, and the engine's options are behind their Arc before its opening starts.
    /// A failed connect's handling is boxed too, and what is attached before the wait
    /// is gone by then (384 bytes; 664 before).
    #[test]
    fn a_connecting_client_holds_little() {
        let client = crate::AsyncClient::new();
        let connect = client.connect_with("http://localhost:1", ConnectOptions::new());
        assert!(
            std::mem::size_of_val(&connect) <= 448,
            "{}",
            std::mem::size_of_val(&connect)
        );
        let core = &client.root.core;
        let target = Target {
            url: "http://localhost:1".into(),
            options: ConnectOptions::new(),
        };
        let opening = core.open_engine(&target);
        assert!(
            std::mem::size_of_val(&opening) <= 2560,
            "{}",
            std::mem::size_of_val(&opening)
        );
    }
}
