//! Options: per connection ([`ConnectOptions`]) and per client ([`ClientConfig`], set
//! through the builders).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::engineio::{EngineOptions, Transport};
use crate::error::Error;

/// How to connect: namespaces, headers, auth, transports, path and how long to wait.
///
/// ```
/// use std::time::Duration;
/// use socketio::{ConnectOptions, Transport};
///
/// let options = ConnectOptions::new()
///     .namespaces(["/", "/chat"])
///     .header("X-Token", "t")
///     .auth(serde_json::json!({"token": "secret"}))
///     .transports([Transport::WebSocket])
///     .socketio_path("socket.io")
///     .wait_timeout(Duration::from_secs(1));
/// ```
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub(crate) namespaces: Option<Vec<String>>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) auth: Option<serde_json::Value>,
    pub(crate) transports: Vec<Transport>,
    pub(crate) socketio_path: String,
    pub(crate) wait: bool,
    pub(crate) wait_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            namespaces: None,
            headers: Vec::new(),
            auth: None,
            transports: vec![Transport::Polling, Transport::WebSocket],
            socketio_path: "socket.io".into(),
            wait: true,
            wait_timeout: Duration::from_secs(5),
        }
    }
}

impl ConnectOptions {
    /// The defaults: the namespaces that have handlers (or `/`), polling upgraded to
    /// websocket, path `socket.io`, wait up to 5 s for the namespaces.
    pub fn new() -> Self {
        Self::default()
    }

    /// The namespaces to connect. Without this, every namespace that has handlers is
    /// connected, or `/` when none has.
    pub fn namespaces<I, S>(mut self, namespaces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.namespaces = Some(namespaces.into_iter().map(Into::into).collect());
        self
    }

    /// Adds a header to every HTTP request and to the websocket upgrade.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds several headers.
    pub fn headers<I, K, V>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.headers
            .extend(headers.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The auth payload sent with every namespace's CONNECT packet.
    ///
    /// Anything that serializes to a JSON object; other values are ignored with a warning
    /// (Socket.IO only accepts objects).
    pub fn auth(mut self, auth: impl Serialize) -> Self {
        match serde_json::to_value(auth) {
            Ok(value @ serde_json::Value::Object(_)) => self.auth = Some(value),
            Ok(serde_json::Value::Null) => self.auth = None,
            Ok(other) => {
                tracing::warn!(target: "socketio", kind = %json_kind(&other), "auth must be a JSON object; ignored")
            }
            Err(error) => {
                tracing::warn!(target: "socketio", %error, "auth does not serialize; ignored")
            }
        }
        self
    }

    /// The allowed transports, in order; the first one opens the connection
    /// (`[Transport::WebSocket]` connects with websocket only, `[Transport::Polling]`
    /// never upgrades).
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        self.transports = transports.into_iter().collect();
        self
    }

    /// The Engine.IO path on the server (`socket.io` by default).
    pub fn socketio_path(mut self, path: impl Into<String>) -> Self {
        self.socketio_path = path.into();
        self
    }

    /// Whether `connect()` waits for the namespaces to be connected (default `true`).
    pub fn wait(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }

    /// How long `connect()` waits for every namespace (default 5 s).
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Settings of a client, fixed when it is built.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) logger: bool,
    pub(crate) engineio_logger: bool,
    pub(crate) ack_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_payload: usize,
    pub(crate) max_attachments: usize,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            logger: false,
            engineio_logger: false,
            ack_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(20),
            max_payload: crate::engineio::Limits::default().max_payload,
            max_attachments: 64,
            tls: None,
        }
    }
}

impl ClientConfig {
    pub(crate) fn engine_options(
        &self,
        url: &str,
        options: &ConnectOptions,
    ) -> Result<EngineOptions, Error> {
        let mut engine = EngineOptions::new(url)?;
        engine.path = options.socketio_path.clone();
        engine.headers = options.headers.clone();
        engine.transports = options.transports.clone();
        engine.request_timeout = self.request_timeout;
        engine.limits.max_payload = self.max_payload;
        if let Some(tls) = &self.tls {
            engine.tls = tls.clone();
        }
        Ok(engine)
    }
}

macro_rules! builder_methods {
    () => {
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

        /// How long `call()` waits for the server's ack (default 60 s).
        pub fn ack_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.config.ack_timeout = timeout;
            self
        }

        /// Timeout of the handshake and of each HTTP request (default 20 s).
        pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.config.request_timeout = timeout;
            self
        }

        /// The largest message (websocket frame or polling response) accepted from the
        /// server, in bytes (default 16 MiB); larger input closes the connection.
        pub fn max_payload(mut self, bytes: usize) -> Self {
            self.config.max_payload = bytes;
            self
        }

        /// The most binary attachments one packet may announce (default 64).
        pub fn max_attachments(mut self, count: usize) -> Self {
            self.config.max_attachments = count;
            self
        }

        /// A custom rustls configuration for `https` and `wss` (own roots, client
        /// certificates). By default, rustls with the webpki roots.
        pub fn tls_config(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
            self.config.tls = Some(config);
            self
        }
    };
}
pub(crate) use builder_methods;
