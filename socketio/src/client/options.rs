//! Options: per connection ([`ConnectOptions`]) and per client ([`ClientConfig`], set
//! through the builders).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::credentials::{Credentials, Source, SourceError};
use super::handler_error::OnError;
use crate::engineio::{
    Cookies, EngineOptions, Limits, Protocol, ProxySettings, TlsConfig, TlsSettings, Transport,
};
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
///
/// Two paths, not to be confused: a path in the URL given to `connect`
/// (`http://host:5000/chat`) names the namespace to connect, as in socket.io-client;
/// the server's Engine.IO endpoint is [`socketio_path`](Self::socketio_path)
/// (`/socket.io/` by default), whatever the URL says.
#[derive(Clone)]
pub struct ConnectOptions {
    /// Boxed: a `connect()` future keeps its options for as long as the connection
    /// opens, at every layer of async functions it passes through.
    pub(crate) settings: Box<Settings>,
}

/// What [`ConnectOptions`] holds.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) namespaces: Option<Vec<String>>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) auth: Option<serde_json::Value>,
    /// `auth_with`: replaces `auth` on every attempt.
    pub(crate) auth_source: Option<Source<Option<serde_json::Value>>>,
    /// `headers_with`: added to `headers` on every attempt.
    pub(crate) headers_source: Option<Source<Vec<(String, String)>>>,
    /// Why the auth given could not be used: reported by `connect()`.
    pub(crate) auth_error: Option<String>,
    pub(crate) transports: Vec<Transport>,
    pub(crate) socketio_path: String,
    pub(crate) wait: bool,
    pub(crate) wait_timeout: Duration,
    pub(crate) retry: bool,
    pub(crate) protocol: Protocol,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Auth payloads and header values carry credentials: never logged.
        f.debug_struct("ConnectOptions")
            .field("namespaces", &self.settings.namespaces)
            .field(
                "headers",
                &crate::engineio::options::redacted_headers(&self.settings.headers),
            )
            .field("auth", &self.settings.auth.as_ref().map(|_| "<redacted>"))
            .field(
                "auth_with",
                &self.settings.auth_source.as_ref().map(|_| "<fn>"),
            )
            .field(
                "headers_with",
                &self.settings.headers_source.as_ref().map(|_| "<fn>"),
            )
            .field("transports", &self.settings.transports)
            .field("socketio_path", &self.settings.socketio_path)
            .field("wait", &self.settings.wait)
            .field("wait_timeout", &self.settings.wait_timeout)
            .field("retry", &self.settings.retry)
            .field("protocol", &self.settings.protocol)
            .finish()
    }
}

impl Default for ConnectOptions {
    fn default() -> Self {
        let settings = Settings {
            namespaces: None,
            headers: Vec::new(),
            auth: None,
            auth_source: None,
            headers_source: None,
            auth_error: None,
            transports: vec![Transport::Polling, Transport::WebSocket],
            socketio_path: "socket.io".into(),
            wait: true,
            wait_timeout: Duration::from_secs(5),
            retry: false,
            protocol: Protocol::Auto,
        };
        ConnectOptions {
            settings: Box::new(settings),
        }
    }
}

impl ConnectOptions {
    /// The defaults: the namespaces that have handlers (or `/`), polling upgraded to
    /// websocket, path `socket.io`, wait up to 5 s for the namespaces.
    pub fn new() -> Self {
        Self::default()
    }

    /// The namespaces to connect (`"chat"` is `"/chat"`). Without this, the namespace
    /// named by the URL's path (`http://host:5000/chat` connects `/chat`, as
    /// socket.io-client does), else every namespace that has handlers, or `/` when none
    /// has. Naming namespaces here and in the URL's path too makes `connect()` fail with
    /// [`Error::InvalidUrl`].
    pub fn namespaces<I, S>(mut self, namespaces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let namespaces = namespaces.into_iter();
        self.settings.namespaces = Some(namespaces.map(|n| namespace_path(n.as_ref())).collect());
        self
    }

    /// Adds a header to every HTTP request and to the websocket upgrade.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.headers.push((name.into(), value.into()));
        self
    }

    /// Adds several headers.
    pub fn headers<I, K, V>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.settings
            .headers
            .extend(headers.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The auth payload sent with every namespace's CONNECT packet.
    ///
    /// Anything that serializes to a JSON object (a map, a struct, `json!({…})`);
    /// `None` or `()` sends none. Socket.IO accepts nothing else: any other value (a
    /// string, a number, an array) makes `connect()` fail with [`Error::Serde`], naming
    /// what was given.
    ///
    /// ```
    /// # async fn run() -> Result<(), socketio::Error> {
    /// use socketio::{AsyncClient, ConnectOptions, Error};
    ///
    /// let sio = AsyncClient::new();
    /// let options = ConnectOptions::new().auth("s3cret"); // not an object
    /// let refused = sio.connect_with("http://localhost:5000", options).await;
    /// assert!(matches!(refused, Err(Error::Serde(_))));
    /// # Ok(()) }
    /// ```
    pub fn auth(mut self, auth: impl Serialize) -> Self {
        self.settings.auth = None;
        self.settings.auth_error = None;
        match serde_json::to_value(auth) {
            Ok(value @ serde_json::Value::Object(_)) => self.settings.auth = Some(value),
            Ok(serde_json::Value::Null) => {}
            Ok(other) => {
                self.settings.auth_error = Some(format!(
                    "auth must serialize to a JSON object (a map or a struct), not {}",
                    json_kind(&other)
                ))
            }
            Err(error) => {
                self.settings.auth_error = Some(format!("auth does not serialize: {error}"))
            }
        }
        self
    }

    /// Fetches the auth payload anew before the first connect and before every
    /// reconnection attempt (socket.io-client's `auth` callback, python's callable
    /// `auth`): a token that expires is refreshed, since each attempt uses what `f`
    /// returned for it, in every namespace's CONNECT packet (with connection state
    /// recovery's `pid` and `offset` added). Replaces [`auth`](Self::auth).
    ///
    /// `f`'s value must serialize to a JSON object (or `null`: no auth). An `Err` from
    /// `f`, a value of another kind, or a panic fails that attempt like a refused
    /// connection: the first `connect()` returns [`Error::ConnectionFailed`], a
    /// reconnection attempt is reported as a `reconnect_error` event and the backoff
    /// goes on.
    ///
    /// ```no_run
    /// use socketio::{AsyncClient, ConnectOptions};
    ///
    /// async fn fetch_token() -> Result<String, std::io::Error> {
    ///     Ok("a fresh token".into())
    /// }
    ///
    /// # async fn run() -> Result<(), socketio::Error> {
    /// let options = ConnectOptions::new().auth_with(|| async {
    ///     Ok::<_, std::io::Error>(serde_json::json!({ "token": fetch_token().await? }))
    /// });
    /// AsyncClient::new().connect_with("http://localhost:5000", options).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// The blocking [`Client`](crate::Client) takes the same options; a function that
    /// does not need to wait returns a ready future:
    ///
    /// ```no_run
    /// use socketio::{Client, ConnectOptions};
    ///
    /// # fn run() -> Result<(), socketio::Error> {
    /// let options = ConnectOptions::new().auth_with(|| {
    ///     std::future::ready(Ok::<_, std::io::Error>(serde_json::json!({ "token": "t" })))
    /// });
    /// Client::new().connect_with("http://localhost:5000", options)?;
    /// # Ok(()) }
    /// ```
    pub fn auth_with<F, Fut, T, E>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        self.settings.auth_source = Some(Source::new("auth", f, auth_object));
        self
    }

    /// Fetches headers anew before the first connect and before every reconnection
    /// attempt (python's callable `headers`); they are sent, after those of
    /// [`header`](Self::header) and [`headers`](Self::headers), on that attempt's
    /// handshake, polling requests and websocket upgrade. An `Err` or a panic fails the
    /// attempt, as with [`auth_with`](Self::auth_with).
    ///
    /// ```no_run
    /// use socketio::{AsyncClient, ConnectOptions};
    ///
    /// async fn fetch_token() -> Result<String, std::io::Error> {
    ///     Ok("a fresh token".into())
    /// }
    ///
    /// # async fn run() -> Result<(), socketio::Error> {
    /// let options = ConnectOptions::new().headers_with(|| async {
    ///     let token = fetch_token().await?;
    ///     Ok::<_, std::io::Error>(vec![("Authorization".to_owned(), format!("Bearer {token}"))])
    /// });
    /// AsyncClient::new().connect_with("http://localhost:5000", options).await?;
    /// # Ok(()) }
    /// ```
    pub fn headers_with<F, Fut, E>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Vec<(String, String)>, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        self.settings.headers_source = Some(Source::new("headers", f, Ok));
        self
    }

    /// What this attempt sends: the static auth and headers, or what the sources
    /// return now.
    pub(crate) async fn credentials(&self) -> Result<Credentials, Error> {
        let auth = match &self.settings.auth_source {
            Some(source) => source.fetch().await?,
            None => self.settings.auth.clone(),
        };
        let mut headers = self.settings.headers.clone();
        if let Some(source) = &self.settings.headers_source {
            headers.extend(source.fetch().await?);
        }
        Ok(Credentials { auth, headers })
    }

    /// The allowed transports, in order; the first one opens the connection
    /// (`[Transport::WebSocket]` connects with websocket only, `[Transport::Polling]`
    /// never upgrades).
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        self.settings.transports = transports.into_iter().collect();
        self
    }

    /// The Engine.IO path on the server (`socket.io` by default).
    pub fn socketio_path(mut self, path: impl Into<String>) -> Self {
        self.settings.socketio_path = path.into();
        self
    }

    /// Whether `connect()` waits for the namespaces to be connected (default `true`).
    pub fn wait(mut self, wait: bool) -> Self {
        self.settings.wait = wait;
        self
    }

    /// How long `connect()` waits for every namespace (default 5 s).
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.settings.wait_timeout = timeout;
        self
    }

    /// The protocol revision: [`Protocol::Auto`] (the default) speaks Engine.IO v4 and
    /// falls back to v3 when the server is a Socket.IO 2.x server, over polling and over
    /// websocket; [`Protocol::V3`] forces v3 (also for servers started with
    /// `allowEIO3`), [`Protocol::V4`] forbids it (and, with websocket-only transports,
    /// skips the moment `Auto` waits after an `open` packet without `maxPayload`, which
    /// socket.io 3.0 to 4.4 servers send).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.settings.protocol = protocol;
        self
    }

    /// Whether a first `connect()` that fails is retried with the reconnection backoff
    /// (python's `retry=True`); `connect()` then returns once connected, or with the
    /// last error when the client gives up (`reconnection_attempts`).
    pub fn retry(mut self, retry: bool) -> Self {
        self.settings.retry = retry;
        self
    }
}

/// `auth_with`'s value as the CONNECT auth: an object, or `null` for none.
fn auth_object<T: Serialize>(value: T) -> Result<Option<serde_json::Value>, SourceError> {
    match serde_json::to_value(value)? {
        value @ serde_json::Value::Object(_) => Ok(Some(value)),
        serde_json::Value::Null => Ok(None),
        other => Err(format!("auth must be a JSON object, not a {}", json_kind(&other)).into()),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A namespace as the protocol writes it: `"chat"` is `"/chat"`, `""` is `"/"`.
pub(crate) fn namespace_path(namespace: &str) -> String {
    if namespace.starts_with('/') {
        namespace.to_owned()
    } else {
        format!("/{namespace}")
    }
}

/// What `connect()` connects to, once the options are checked against the URL.
pub(crate) struct Resolved {
    /// The URL without its path (the path named a namespace, not the Engine.IO path).
    pub(crate) url: String,
    /// The namespaces to connect; `None`: those that have handlers.
    pub(crate) namespaces: Option<Vec<String>>,
}

impl ConnectOptions {
    /// Checks the options and `url` before anything is sent: the auth, the scheme,
    /// and the namespace a path in the URL names (socket.io-client's `io(url)`).
    pub(crate) fn resolve(&self, url: &str) -> Result<Resolved, Error> {
        if let Some(problem) = &self.settings.auth_error {
            return Err(Error::Serde(serde::ser::Error::custom(problem)));
        }
        if !url.contains("://") {
            return Err(Error::InvalidUrl(format!(
                "{url:?} has no scheme: write \"http://{url}\" (or https://, ws://, wss://)"
            )));
        }
        let Ok(mut parsed) = url::Url::parse(url) else {
            // EngineOptions says what is wrong with it.
            return Ok(Resolved {
                url: url.to_owned(),
                namespaces: self.settings.namespaces.clone(),
            });
        };
        let path = parsed.path().trim_end_matches('/');
        if path.is_empty() {
            return Ok(Resolved {
                url: url.to_owned(),
                namespaces: self.settings.namespaces.clone(),
            });
        }
        if self.settings.namespaces.is_some() {
            return Err(Error::InvalidUrl(format!(
                "the URL's path {path:?} names a namespace, and namespaces(…) names them too: \
                 give the namespaces one way (the engine's path is socketio_path(…))"
            )));
        }
        let namespace = path.to_owned();
        parsed.set_path("/");
        Ok(Resolved {
            url: parsed.to_string(),
            namespaces: Some(vec![namespace]),
        })
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
    pub(crate) max_buffered: usize,
    pub(crate) tls: TlsSettings,
    pub(crate) proxy: ProxySettings,
    pub(crate) reconnection: Reconnection,
    pub(crate) send_buffer: usize,
    pub(crate) parser: Parser,
    pub(crate) retries: u32,
    /// How many handlers may run at once (1: one at a time, in order).
    pub(crate) handler_concurrency: usize,
    /// Where handler errors go besides `tracing` (`on_error`).
    pub(crate) on_error: OnError,
}

/// How Socket.IO packets are written on the wire; it must match the server's parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Parser {
    /// The default parser: JSON text, binary as attachments.
    #[default]
    Json,
    /// socket.io-msgpack-parser / python-socketio's `serializer="msgpack"`: one
    /// msgpack map per packet, binary inline (cargo feature `msgpack`).
    #[cfg(feature = "msgpack")]
    MsgPack,
}

/// How the client reconnects after an accidental disconnection (python's options).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reconnection {
    pub(crate) enabled: bool,
    /// 0 = forever.
    pub(crate) attempts: u32,
    pub(crate) delay: Duration,
    pub(crate) delay_max: Duration,
    pub(crate) randomization_factor: f64,
}

impl Default for Reconnection {
    fn default() -> Self {
        Reconnection {
            enabled: true,
            attempts: 0,
            delay: Duration::from_secs(1),
            delay_max: Duration::from_secs(5),
            randomization_factor: 0.5,
        }
    }
}

impl Reconnection {
    /// The delay before attempt `attempt` (1-based): exponential, capped, then
    /// randomized by ± `randomization_factor` — also at the cap, so that many clients
    /// cut at once do not all come back at once.
    pub(crate) fn delay(&self, attempt: u32, random: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(32) as i32;
        let base =
            (self.delay.as_secs_f64() * 2f64.powi(exponent)).min(self.delay_max.as_secs_f64());
        let factor = self.randomization_factor.clamp(0.0, 1.0);
        let jittered = base * (1.0 + factor * (2.0 * random - 1.0));
        Duration::from_secs_f64(jittered.max(0.0))
    }
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
            max_buffered: 64 * 1024 * 1024,
            tls: TlsSettings::default(),
            proxy: ProxySettings::default(),
            reconnection: Reconnection::default(),
            send_buffer: 0,
            parser: Parser::Json,
            retries: 0,
            handler_concurrency: 1,
            on_error: OnError::default(),
        }
    }
}

impl ClientConfig {
    pub(crate) fn engine_options(
        &self,
        url: &str,
        options: &ConnectOptions,
        headers: Vec<(String, String)>,
        tls: TlsConfig,
        cookies: Arc<Cookies>,
    ) -> Result<EngineOptions, Error> {
        // Built whole, not from `EngineOptions::new`'s defaults, which would be
        // allocated only to be replaced on every connection attempt.
        Ok(EngineOptions {
            url: EngineOptions::parse_url(url)?,
            path: options.settings.socketio_path.clone(),
            headers,
            transports: options.settings.transports.clone(),
            request_timeout: self.request_timeout,
            limits: Limits {
                max_payload: self.max_payload,
            },
            tls,
            proxy: self.proxy.clone(),
            protocol: options.settings.protocol,
            cookies: Some(cookies),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_credentials() {
        let options = ConnectOptions::new()
            .header("Authorization", "Bearer s3cr3t-header")
            .auth(serde_json::json!({"token": "s3cr3t-auth"}));
        let shown = format!("{options:?}");
        assert!(shown.contains("Authorization"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");

        let config = ClientConfig::default();
        let engine = config
            .engine_options(
                "http://user:pw-s3cr3t@localhost:1/?token=s3cr3t-query",
                &options,
                options.settings.headers.clone(),
                TlsConfig::default(),
                Arc::default(),
            )
            .unwrap();
        let shown = format!("{engine:?}");
        assert!(shown.contains("token=redacted"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn backoff_doubles_caps_and_keeps_its_jitter_at_the_cap() {
        let policy = Reconnection::default();
        // random = 0.5 is the midpoint: no jitter.
        assert_eq!(policy.delay(1, 0.5), Duration::from_secs(1));
        assert_eq!(policy.delay(2, 0.5), Duration::from_secs(2));
        assert_eq!(policy.delay(3, 0.5), Duration::from_secs(4));
        assert_eq!(policy.delay(4, 0.5), Duration::from_secs(5));
        assert_eq!(policy.delay(40, 0.5), Duration::from_secs(5));
        // At the cap the jitter still spreads clients: ±50 %.
        assert_eq!(policy.delay(40, 0.0), Duration::from_secs_f64(2.5));
        assert_eq!(policy.delay(40, 1.0), Duration::from_secs_f64(7.5));
    }
}
