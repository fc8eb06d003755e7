//! The builders of the two clients. [`AsyncClientBuilder`] holds the settings;
//! [`ClientBuilder`] forwards to it, method by method, as reqwest's blocking builder
//! does, and builds the blocking client on top.

use std::sync::Arc;
use std::time::Duration;

use super::async_client::AsyncClient;
use super::blocking::Client;
use super::handler_error::{HandlerError, OnError};
use super::options::{ClientConfig, Parser};
use crate::engineio::ProxySettings;
use crate::error::Error;

impl AsyncClient {
    /// A builder for a client with other settings.
    pub fn builder() -> AsyncClientBuilder {
        AsyncClientBuilder::default()
    }
}

impl Client {
    /// A builder for a client with other settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

/// Builds an [`AsyncClient`] with non-default settings.
///
/// ```
/// use std::time::Duration;
///
/// let sio = socketio::AsyncClient::builder()
///     .reconnection_attempts(10)
///     .reconnection_delay_max(Duration::from_secs(30))
///     .ack_timeout(Duration::from_secs(5))
///     .send_buffer(100)
///     .logger(true)
///     .build();
/// # drop(sio);
/// ```
#[derive(Debug, Clone, Default)]
pub struct AsyncClientBuilder {
    config: ClientConfig,
}

impl AsyncClientBuilder {
    /// Shows Socket.IO events (target `socketio`) on stderr, like python-socketio's
    /// `logger=True`. Installs a `tracing` subscriber unless one is already set.
    pub fn logger(mut self, enabled: bool) -> Self {
        self.config.logger = enabled;
        self
    }

    /// Shows Engine.IO transport events (target `engineio`) on stderr, like
    /// python-socketio's `engineio_logger=True`.
    pub fn engineio_logger(mut self, enabled: bool) -> Self {
        self.config.engineio_logger = enabled;
        self
    }

    /// The packet parser; it must match the server's (default [`Parser::Json`](Parser::Json)).
    pub fn parser(mut self, parser: Parser) -> Self {
        self.config.parser = parser;
        self
    }

    /// Whether the client reconnects after an accidental disconnection (ping
    /// timeout, transport closed or failed); default `true`. Never after
    /// `disconnect()` or a disconnection by the server.
    pub fn reconnection(mut self, enabled: bool) -> Self {
        self.config.reconnection.enabled = enabled;
        self
    }

    /// How many reconnection attempts before giving up; 0 (the default) is forever.
    pub fn reconnection_attempts(mut self, attempts: u32) -> Self {
        self.config.reconnection.attempts = attempts;
        self
    }

    /// The delay before the first reconnection attempt, doubled at each attempt
    /// (default 1 s).
    pub fn reconnection_delay(mut self, delay: Duration) -> Self {
        self.config.reconnection.delay = delay;
        self
    }

    /// The longest delay between two attempts, before randomization (default 5 s).
    pub fn reconnection_delay_max(mut self, delay: Duration) -> Self {
        self.config.reconnection.delay_max = delay;
        self
    }

    /// How much each delay is randomized: ± this fraction (default 0.5).
    pub fn randomization_factor(mut self, factor: f64) -> Self {
        self.config.reconnection.randomization_factor = factor;
        self
    }

    /// Queues up to `capacity` emits made while a namespace is not connected and
    /// sends them, in order, once it is (again). Past the capacity `emit` returns
    /// [`Error::BufferFull`](crate::Error::BufferFull). The default, 0, makes an emit
    /// while disconnected an error ([`Error::NotConnected`](crate::Error::NotConnected)),
    /// as in python-socketio.
    pub fn send_buffer(mut self, capacity: usize) -> Self {
        self.config.send_buffer = capacity;
        self
    }

    /// At-least-once delivery (socket.io-client's `retries`): every emit asks for an
    /// ack and is sent again, up to `retries` more times, until the server acks it
    /// within `ack_timeout`; emits go out one at a time, in order, and wait for a
    /// reconnection when the connection is lost. 0 (the default) disables it.
    pub fn retries(mut self, retries: u32) -> Self {
        self.config.retries = retries;
        self
    }

    /// How long `call()` waits for the server's ack (default 60 s).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.config.ack_timeout = timeout;
        self
    }

    /// Timeout of the handshake and of each HTTP request (default 20 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// The largest message (websocket frame or polling response) accepted from the
    /// server, in bytes (default 16 MiB); larger input closes the connection.
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.config.max_payload = bytes;
        self
    }

    /// The most bytes of received events that may wait for the handlers (default
    /// 64 MiB). A server that keeps sending faster than the handlers keep up is
    /// disconnected (and reconnected, if enabled) rather than held without bound.
    pub fn max_buffered(mut self, bytes: usize) -> Self {
        self.config.max_buffered = bytes;
        self
    }

    /// The most binary attachments one packet may announce (default 64).
    pub fn max_attachments(mut self, count: usize) -> Self {
        self.config.max_attachments = count;
        self
    }

    /// A complete rustls configuration of your own for `https` and `wss` (it
    /// replaces the other TLS options). By default: rustls with the webpki roots.
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.config.tls.custom(config);
        self
    }

    /// Also trusts the certificates of this PEM (a private CA, a self-signed server).
    /// A PEM that does not parse makes `connect()` fail with
    /// [`Error::Tls`](crate::Error::Tls).
    pub fn tls_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.config.tls.add_root_pem(pem.as_ref());
        self
    }

    /// Presents this client certificate chain and private key (mutual TLS).
    pub fn tls_client_certificate_pem(
        mut self,
        chain: impl AsRef<[u8]>,
        key: impl AsRef<[u8]>,
    ) -> Self {
        self.config
            .tls
            .client_auth_pem(chain.as_ref(), key.as_ref());
        self
    }

    /// Whether server certificates are verified (default `true`); python's
    /// `ssl_verify`. `false` accepts any certificate and logs a warning: for tests
    /// only.
    pub fn ssl_verify(mut self, verify: bool) -> Self {
        self.config.tls.verify(verify);
        self
    }

    /// Goes through this HTTP proxy (for polling, and a `CONNECT` tunnel for the
    /// websocket). By default the proxy comes from `http_proxy`, `https_proxy` and
    /// `no_proxy` in the environment.
    pub fn http_proxy(mut self, proxy: &str) -> Self {
        match url::Url::parse(proxy) {
            Ok(url) => self.config.proxy = ProxySettings::Explicit(url),
            Err(error) => tracing::warn!(target: "socketio", %error, "invalid proxy URL; ignored"),
        }
        self
    }

    /// Never uses a proxy, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.config.proxy = ProxySettings::Disabled;
        self
    }

    /// How many handlers may run at once (default 1). With 1, handlers run one at a
    /// time in arrival order, each finished before the next starts. With `n > 1`, they
    /// start in arrival order and up to `n` run at once, each as a task on the
    /// client's runtime (python-socketio's `AsyncClient` behaviour): a handler that
    /// awaits something slow no longer delays the others, but events may finish out of
    /// order. Each handler's ack still goes back when it returns, and a handler may
    /// `call()` the server. `disconnect()` then waits for the running handlers up to
    /// 5 seconds, then cancels them (it does not wait when a handler calls it).
    /// `0` counts as 1.
    ///
    /// ```
    /// let sio = socketio::AsyncClient::builder().handler_concurrency(8).build();
    /// ```
    pub fn handler_concurrency(mut self, n: usize) -> Self {
        self.config.handler_concurrency = n.max(1);
        self
    }

    /// Calls `hook` for every event a handler could not take (an argument that does
    /// not fit its parameter) and every handler that panicked or returned `Err`, on
    /// the thread or task that ran the handler (keep it short). See [`HandlerError`]
    /// for what the server sees when it asked for an ack.
    ///
    /// These are always logged with `tracing` too (target `socketio`, WARN). Without a
    /// hook and without a `tracing` subscriber, they are written to standard error, at
    /// most once a second per namespace and event.
    ///
    /// ```
    /// let sio = socketio::AsyncClient::builder()
    ///     .on_error(|error| eprintln!("{error}"))
    ///     .build();
    /// sio.on("question", |text: String| println!("{text}"));
    /// // The server emits `question` with a number: the hook prints
    /// // handler of event "question" on namespace "/": argument 0 does not fit …
    /// ```
    ///
    /// [`HandlerError`]: crate::HandlerError
    pub fn on_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&HandlerError) + Send + Sync + 'static,
    {
        self.config.on_error = OnError(Some(Arc::new(hook)));
        self
    }

    /// The client.
    pub fn build(self) -> AsyncClient {
        AsyncClient::with_config(self.config)
    }
}

/// Builds a [`Client`] with non-default settings (the same methods as
/// [`AsyncClientBuilder`]).
///
/// ```
/// # fn main() -> Result<(), socketio::Error> {
/// use std::time::Duration;
///
/// let sio = socketio::Client::builder()
///     .reconnection(false)
///     .ack_timeout(Duration::from_secs(5))
///     .build()?;
/// # drop(sio);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    inner: AsyncClientBuilder,
}

impl ClientBuilder {
    /// The settings, for a client built on the async one (the [`SimpleClient`]).
    ///
    /// [`SimpleClient`]: crate::SimpleClient
    pub(crate) fn into_async(self) -> AsyncClientBuilder {
        self.inner
    }

    fn with_inner(self, f: impl FnOnce(AsyncClientBuilder) -> AsyncClientBuilder) -> Self {
        ClientBuilder {
            inner: f(self.inner),
        }
    }

    /// Shows Socket.IO events (target `socketio`) on stderr, like python-socketio's
    /// `logger=True`. Installs a `tracing` subscriber unless one is already set.
    pub fn logger(self, enabled: bool) -> Self {
        self.with_inner(|inner| inner.logger(enabled))
    }

    /// Shows Engine.IO transport events (target `engineio`) on stderr, like
    /// python-socketio's `engineio_logger=True`.
    pub fn engineio_logger(self, enabled: bool) -> Self {
        self.with_inner(|inner| inner.engineio_logger(enabled))
    }

    /// The packet parser; it must match the server's (default [`Parser::Json`](Parser::Json)).
    pub fn parser(self, parser: Parser) -> Self {
        self.with_inner(|inner| inner.parser(parser))
    }

    /// Whether the client reconnects after an accidental disconnection (ping
    /// timeout, transport closed or failed); default `true`. Never after
    /// `disconnect()` or a disconnection by the server.
    pub fn reconnection(self, enabled: bool) -> Self {
        self.with_inner(|inner| inner.reconnection(enabled))
    }

    /// How many reconnection attempts before giving up; 0 (the default) is forever.
    pub fn reconnection_attempts(self, attempts: u32) -> Self {
        self.with_inner(|inner| inner.reconnection_attempts(attempts))
    }

    /// The delay before the first reconnection attempt, doubled at each attempt
    /// (default 1 s).
    pub fn reconnection_delay(self, delay: Duration) -> Self {
        self.with_inner(|inner| inner.reconnection_delay(delay))
    }

    /// The longest delay between two attempts, before randomization (default 5 s).
    pub fn reconnection_delay_max(self, delay: Duration) -> Self {
        self.with_inner(|inner| inner.reconnection_delay_max(delay))
    }

    /// How much each delay is randomized: ± this fraction (default 0.5).
    pub fn randomization_factor(self, factor: f64) -> Self {
        self.with_inner(|inner| inner.randomization_factor(factor))
    }

    /// Queues up to `capacity` emits made while a namespace is not connected and
    /// sends them, in order, once it is (again). Past the capacity `emit` returns
    /// [`Error::BufferFull`](crate::Error::BufferFull). The default, 0, makes an emit
    /// while disconnected an error ([`Error::NotConnected`](crate::Error::NotConnected)),
    /// as in python-socketio.
    pub fn send_buffer(self, capacity: usize) -> Self {
        self.with_inner(|inner| inner.send_buffer(capacity))
    }

    /// At-least-once delivery (socket.io-client's `retries`): every emit asks for an
    /// ack and is sent again, up to `retries` more times, until the server acks it
    /// within `ack_timeout`; emits go out one at a time, in order, and wait for a
    /// reconnection when the connection is lost. 0 (the default) disables it.
    pub fn retries(self, retries: u32) -> Self {
        self.with_inner(|inner| inner.retries(retries))
    }

    /// How long `call()` waits for the server's ack (default 60 s).
    pub fn ack_timeout(self, timeout: Duration) -> Self {
        self.with_inner(|inner| inner.ack_timeout(timeout))
    }

    /// Timeout of the handshake and of each HTTP request (default 20 s).
    pub fn request_timeout(self, timeout: Duration) -> Self {
        self.with_inner(|inner| inner.request_timeout(timeout))
    }

    /// The largest message (websocket frame or polling response) accepted from the
    /// server, in bytes (default 16 MiB); larger input closes the connection.
    pub fn max_payload(self, bytes: usize) -> Self {
        self.with_inner(|inner| inner.max_payload(bytes))
    }

    /// The most bytes of received events that may wait for the handlers (default
    /// 64 MiB). A server that keeps sending faster than the handlers keep up is
    /// disconnected (and reconnected, if enabled) rather than held without bound.
    pub fn max_buffered(self, bytes: usize) -> Self {
        self.with_inner(|inner| inner.max_buffered(bytes))
    }

    /// The most binary attachments one packet may announce (default 64).
    pub fn max_attachments(self, count: usize) -> Self {
        self.with_inner(|inner| inner.max_attachments(count))
    }

    /// A complete rustls configuration of your own for `https` and `wss` (it
    /// replaces the other TLS options). By default: rustls with the webpki roots.
    pub fn tls_config(self, config: Arc<rustls::ClientConfig>) -> Self {
        self.with_inner(|inner| inner.tls_config(config))
    }

    /// Also trusts the certificates of this PEM (a private CA, a self-signed server).
    /// A PEM that does not parse makes `connect()` fail with
    /// [`Error::Tls`](crate::Error::Tls).
    pub fn tls_root_certificate_pem(self, pem: impl AsRef<[u8]>) -> Self {
        self.with_inner(|inner| inner.tls_root_certificate_pem(pem))
    }

    /// Presents this client certificate chain and private key (mutual TLS).
    pub fn tls_client_certificate_pem(
        self,
        chain: impl AsRef<[u8]>,
        key: impl AsRef<[u8]>,
    ) -> Self {
        self.with_inner(|inner| inner.tls_client_certificate_pem(chain, key))
    }

    /// Whether server certificates are verified (default `true`); python's
    /// `ssl_verify`. `false` accepts any certificate and logs a warning: for tests
    /// only.
    pub fn ssl_verify(self, verify: bool) -> Self {
        self.with_inner(|inner| inner.ssl_verify(verify))
    }

    /// Goes through this HTTP proxy (for polling, and a `CONNECT` tunnel for the
    /// websocket). By default the proxy comes from `http_proxy`, `https_proxy` and
    /// `no_proxy` in the environment.
    pub fn http_proxy(self, proxy: &str) -> Self {
        self.with_inner(|inner| inner.http_proxy(proxy))
    }

    /// Never uses a proxy, whatever the environment says.
    pub fn no_proxy(self) -> Self {
        self.with_inner(|inner| inner.no_proxy())
    }

    /// The client (fails only if its runtime thread cannot start).
    /// How many handlers may run at once (default 1: one at a time, in arrival order,
    /// on the handler thread). With `n > 1`, up to `n` run at once on a pool of `n`
    /// handler threads (python-socketio's behaviour), where each may block and
    /// `call()` the server; each handler's ack still goes back when it returns.
    /// `disconnect()` then waits up to 5 seconds for the running handlers (a blocking
    /// handler cannot be cancelled; one still running then is left to finish).
    /// `0` counts as 1.
    ///
    /// ```no_run
    /// let sio = socketio::Client::builder().handler_concurrency(4).build()?;
    /// # Ok::<(), socketio::Error>(())
    /// ```
    pub fn handler_concurrency(self, n: usize) -> Self {
        self.with_inner(|inner| inner.handler_concurrency(n))
    }

    /// Calls `hook` for every event a handler could not take and every handler that
    /// panicked or returned `Err` (see [`AsyncClientBuilder::on_error`]).
    ///
    /// ```no_run
    /// let sio = socketio::Client::builder()
    ///     .on_error(|error| eprintln!("{error}"))
    ///     .build()?;
    /// # Ok::<(), socketio::Error>(())
    /// ```
    pub fn on_error<F>(self, hook: F) -> Self
    where
        F: Fn(&HandlerError) + Send + Sync + 'static,
    {
        self.with_inner(|inner| inner.on_error(hook))
    }

    /// The client.
    pub fn build(self) -> Result<Client, Error> {
        Client::with_config(self.inner.config)
    }
}
