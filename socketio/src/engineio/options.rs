//! What an Engine.IO connection needs to know before it starts.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::cookies::Cookies;
use super::protocol::{Dialect, Protocol};
use super::proxy::ProxySettings;
use super::tls::TlsConfig;
use super::transport::Transport;
use crate::error::Error;

/// Safe defaults for what the peer may make this client hold in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest websocket message or polling response body, in bytes.
    pub max_payload: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload: 16 * 1024 * 1024,
        }
    }
}

/// Options of one Engine.IO connection.
#[derive(Clone)]
pub struct EngineOptions {
    /// The server's base URL: scheme, host, port and the user's query string.
    pub url: Url,
    /// The Engine.IO path on the server (`socket.io` by default).
    pub path: String,
    /// Extra headers sent on every polling request and on the websocket upgrade.
    pub headers: Vec<(String, String)>,
    /// Allowed transports in order of preference; the first one starts the session.
    pub transports: Vec<Transport>,
    /// Timeout of the handshake and of every polling request (a long-poll GET
    /// may also last the server's ping interval plus ping timeout).
    pub request_timeout: Duration,
    /// Limits on what the server may send.
    pub limits: Limits,
    /// The TLS configuration for `https` and `wss` (built when first needed).
    pub tls: TlsConfig,
    /// The proxy to go through.
    pub proxy: ProxySettings,
    /// The protocol revision.
    pub protocol: Protocol,
    /// Cookies set by the server (load-balancer affinity), sent on every polling request
    /// and on the websocket upgrade.
    pub cookies: Option<Arc<Cookies>>,
}

impl std::fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values and query strings may carry credentials: never logged.
        f.debug_struct("EngineOptions")
            .field("url", &redacted_url(&self.url))
            .field("path", &self.path)
            .field("headers", &redacted_headers(&self.headers))
            .field("transports", &self.transports)
            .field("request_timeout", &self.request_timeout)
            .field("limits", &self.limits)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

/// Header names with their values hidden, for logs.
pub fn redacted_headers(headers: &[(String, String)]) -> Vec<(&str, &'static str)> {
    headers
        .iter()
        .map(|(name, _)| (name.as_str(), "<redacted>"))
        .collect()
}

/// The URL with the values of its query string and any password hidden, for logs.
pub fn redacted_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("redacted"));
    }
    if shown.query().is_some() {
        let pairs: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        shown.query_pairs_mut().clear();
        for key in pairs {
            shown.query_pairs_mut().append_pair(&key, "redacted");
        }
    }
    shown.to_string()
}

impl EngineOptions {
    /// Options for `url` with every default: path `socket.io`, polling then websocket.
    pub fn new(url: &str) -> Result<Self, Error> {
        Ok(EngineOptions {
            url: Self::parse_url(url)?,
            path: "socket.io".to_owned(),
            headers: Vec::new(),
            transports: vec![Transport::Polling, Transport::WebSocket],
            request_timeout: Duration::from_secs(20),
            limits: Limits::default(),
            tls: TlsConfig::default(),
            proxy: ProxySettings::default(),
            protocol: Protocol::default(),
            cookies: None,
        })
    }

    /// `url`, if it is one an Engine.IO connection can start from.
    pub(crate) fn parse_url(url: &str) -> Result<Url, Error> {
        let url = Url::parse(url).map_err(|e| Error::InvalidUrl(format!("{url}: {e}")))?;
        match url.scheme() {
            "http" | "https" | "ws" | "wss" => {}
            other => return Err(Error::InvalidUrl(format!("unsupported scheme {other:?}"))),
        }
        if url.host_str().is_none() {
            return Err(Error::InvalidUrl(format!("{url}: no host")));
        }
        Ok(url)
    }

    /// Whether `transport` may be used.
    pub fn allows(&self, transport: Transport) -> bool {
        self.transports.contains(&transport)
    }

    /// The endpoint URL for `transport` in `dialect`, with `EIO`, `transport` and, once
    /// known, `sid`.
    pub(crate) fn endpoint(
        &self,
        transport: Transport,
        dialect: Dialect,
        sid: Option<&str>,
    ) -> Url {
        let mut url = self.url.clone();
        let secure = matches!(url.scheme(), "https" | "wss");
        let scheme = match (transport, secure) {
            (Transport::Polling, false) => "http",
            (Transport::Polling, true) => "https",
            (Transport::WebSocket, false) => "ws",
            (Transport::WebSocket, true) => "wss",
        };
        // Switching between the special schemes http(s) and ws(s) is always allowed.
        let _ = url.set_scheme(scheme);
        url.set_path(&format!("/{}/", self.path.trim_matches('/')));
        // The query in one string, set once (each `append_pair` rewrites the URL).
        let mut query =
            String::with_capacity(url.query().map_or(0, str::len) + sid.map_or(0, str::len) + 48);
        if let Some(users) = url.query().filter(|users| !users.is_empty()) {
            query.push_str(users);
            query.push('&');
        }
        query.push_str("EIO=");
        query.push_str(dialect.eio());
        query.push_str("&transport=");
        query.push_str(transport.as_str());
        if dialect.asks_base64() && transport == Transport::Polling {
            query.push_str("&b64=1");
        }
        if let Some(sid) = sid {
            query.push_str("&sid=");
            query.extend(url::form_urlencoded::byte_serialize(sid.as_bytes()));
        }
        url.set_query(Some(&query));
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_query_and_add_eio_fields() {
        let mut options =
            EngineOptions::new("https://example.com:8443/ignored?token=a%20b").unwrap();
        options.path = "/custom/".into();
        assert_eq!(
            options
                .endpoint(Transport::Polling, Dialect::V4, None)
                .as_str(),
            "https://example.com:8443/custom/?token=a%20b&EIO=4&transport=polling"
        );
        assert_eq!(
            options
                .endpoint(Transport::WebSocket, Dialect::V4, Some("abc"))
                .as_str(),
            "wss://example.com:8443/custom/?token=a%20b&EIO=4&transport=websocket&sid=abc"
        );
        // An empty query gets no `&`; a sid is form-encoded as `append_pair` would.
        let empty_query = EngineOptions::new("http://localhost:5000/?").unwrap();
        assert_eq!(
            empty_query
                .endpoint(Transport::WebSocket, Dialect::V4, Some("a b+c/="))
                .as_str(),
            "ws://localhost:5000/socket.io/?EIO=4&transport=websocket&sid=a+b%2Bc%2F%3D"
        );
        let plain = EngineOptions::new("ws://localhost:5000").unwrap();
        assert_eq!(
            plain
                .endpoint(Transport::Polling, Dialect::V4, None)
                .as_str(),
            "http://localhost:5000/socket.io/?EIO=4&transport=polling"
        );
        // v3 asks for base64 binary on polling only.
        assert_eq!(
            plain
                .endpoint(Transport::Polling, Dialect::V3, Some("s"))
                .as_str(),
            "http://localhost:5000/socket.io/?EIO=3&transport=polling&b64=1&sid=s"
        );
        assert_eq!(
            plain
                .endpoint(Transport::WebSocket, Dialect::V3, None)
                .as_str(),
            "ws://localhost:5000/socket.io/?EIO=3&transport=websocket"
        );
    }

    #[test]
    fn rejects_unsupported_urls() {
        assert!(matches!(
            EngineOptions::new("ftp://x"),
            Err(Error::InvalidUrl(_))
        ));
        assert!(matches!(
            EngineOptions::new("not a url"),
            Err(Error::InvalidUrl(_))
        ));
    }
}
