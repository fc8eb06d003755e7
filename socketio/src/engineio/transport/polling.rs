//! HTTP long-polling: one GET waits for the server's packets, one POST carries ours.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

use super::Transport;
use crate::engineio::error::{EngineError, Refusal, Request};
use crate::engineio::options::EngineOptions;
use crate::engineio::protocol::Dialect;
use crate::error::{DecodeError, Error};

/// An HTTP client bound to one Engine.IO endpoint.
#[derive(Debug, Clone)]
pub struct Polling {
    http: reqwest::Client,
    options: std::sync::Arc<EngineOptions>,
    dialect: Dialect,
}

/// The HTTP client for `options`: the headers on every request, the TLS configuration,
/// keep-alive so that consecutive polls reuse one connection.
pub(crate) fn http_client(
    options: &EngineOptions,
    dialect: Dialect,
) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .default_headers(header_map(&options.headers)?)
        .tls_backend_preconfigured((*options.tls.get()?).clone())
        .http1_only()
        .tcp_nodelay(true)
        .connect_timeout(options.request_timeout);
    // A server (Node: 5 s) or proxy that closes an idle keep-alive connection races
    // with its reuse ("connection closed before message completed"): idle connections
    // are dropped sooner than servers drop them, and none are kept behind a proxy
    // (tinyproxy closes every connection after its response without saying so).
    builder = builder.pool_idle_timeout(Duration::from_secs(4));
    builder = match options
        .proxy
        .proxy_for(&options.endpoint(Transport::Polling, dialect, None))
    {
        Some(proxy) => builder
            .proxy(reqwest::Proxy::all(proxy.as_str()).map_err(Error::transport)?)
            .pool_max_idle_per_host(0),
        None => builder.no_proxy(),
    };
    if let Some(jar) = &options.cookies {
        builder = builder.cookie_provider(jar.clone());
    }
    builder.build().map_err(Error::transport)
}

/// The user's headers, validated once.
pub fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, Error> {
    if headers.is_empty() {
        // Most clients set none: no map is built, none of the http crate's code runs.
        return Ok(HeaderMap::new());
    }
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::InvalidHeader(format!("name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::InvalidHeader(format!("value of {name}")))?;
        map.append(name, value);
    }
    Ok(map)
}

impl Polling {
    /// A polling transport for `options`, speaking `dialect`.
    pub(crate) fn new(
        options: std::sync::Arc<EngineOptions>,
        dialect: Dialect,
    ) -> Result<Self, Error> {
        Ok(Polling {
            http: http_client(&options, dialect)?,
            options,
            dialect,
        })
    }

    /// The handshake GET; returns the raw payload, which starts with the `open` packet.
    pub(crate) async fn handshake(&self) -> Result<String, EngineError> {
        let url = self
            .options
            .endpoint(Transport::Polling, self.dialect, None);
        let response = self
            .http
            .get(url)
            .timeout(self.options.request_timeout)
            .send()
            .await
            .map_err(|e| Error::ConnectionFailed(describe(&e)))?;
        let status = response.status();
        let body = self.read_body(response).await?;
        if !status.is_success() {
            return Err(refused(Request::Handshake, status, body));
        }
        Ok(body)
    }

    /// One long-poll GET; `deadline` bounds how long the server may hold it.
    pub(crate) async fn get(&self, sid: &str, deadline: Duration) -> Result<String, EngineError> {
        let url = self
            .options
            .endpoint(Transport::Polling, self.dialect, Some(sid));
        let response = self
            .http
            .get(url)
            .timeout(deadline.max(self.options.request_timeout))
            .send()
            .await
            .map_err(|e| Error::Transport(describe(&e)))?;
        let status = response.status();
        let body = self.read_body(response).await?;
        if !status.is_success() {
            return Err(refused(Request::Poll, status, body));
        }
        Ok(body)
    }

    /// One POST carrying an encoded payload.
    pub(crate) async fn post(&self, sid: &str, payload: String) -> Result<(), EngineError> {
        let url = self
            .options
            .endpoint(Transport::Polling, self.dialect, Some(sid));
        let response = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(payload)
            .timeout(self.options.request_timeout)
            .send()
            .await
            .map_err(|e| Error::Transport(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = self.read_body(response).await.unwrap_or_default();
            return Err(refused(Request::Post, status, body));
        }
        // Drain the `ok` so the connection goes back to the pool.
        let _ = self.read_body(response).await;
        Ok(())
    }

    /// Reads a body chunk by chunk, never holding more than the configured limit.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<String, Error> {
        let limit = self.options.limits.max_payload;
        if let Some(length) = response.content_length() {
            if length > limit as u64 {
                return Err(too_large(length, limit));
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Error::Transport(describe(&e)))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large((body.len() + chunk.len()) as u64, limit));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| Error::Decode(DecodeError::Utf8))
    }
}

fn refused(request: Request, status: reqwest::StatusCode, body: String) -> EngineError {
    EngineError::Refused(Refusal::new(request, status, body))
}

fn too_large(size: u64, limit: usize) -> Error {
    Error::Decode(DecodeError::TooLarge {
        what: "polling response",
        size,
        limit: limit as u64,
    })
}

/// reqwest's errors hide their cause (such as the TLS problem) in the source chain.
pub(crate) fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut last = text.clone();
    let mut source = error.source();
    while let Some(cause) = source {
        // A cause that only repeats the link before it is said once.
        let cause_text = cause.to_string();
        if cause_text != last {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        last = cause_text;
        source = cause.source();
    }
    text
}
