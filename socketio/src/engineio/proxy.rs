//! HTTP proxies: which proxy a URL goes through (an explicit one, or `http_proxy`,
//! `https_proxy` and `no_proxy` from the environment), and the `CONNECT` tunnel the
//! websocket goes through (reqwest handles polling itself).

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use crate::error::Error;

/// Which proxy to use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxySettings {
    /// `http_proxy` / `https_proxy` (or upper case), except for hosts in `no_proxy`.
    #[default]
    FromEnvironment,
    /// No proxy, whatever the environment says.
    Disabled,
    /// This proxy for every URL.
    Explicit(Url),
}

impl ProxySettings {
    /// The proxy for `target` (`http`, `https`, or a websocket URL: `wss` goes where
    /// `https` goes), if any.
    pub fn proxy_for(&self, target: &Url) -> Option<Url> {
        match self {
            ProxySettings::Disabled => None,
            ProxySettings::Explicit(proxy) => Some(proxy.clone()),
            ProxySettings::FromEnvironment => {
                let proxy = proxy_variables(target)
                    .iter()
                    .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))?;
                let no_proxy = std::env::var("no_proxy")
                    .or_else(|_| std::env::var("NO_PROXY"))
                    .unwrap_or_default();
                if bypasses(&no_proxy, target) {
                    return None;
                }
                let proxy = if proxy.contains("://") {
                    proxy
                } else {
                    format!("http://{proxy}")
                };
                Url::parse(&proxy).ok()
            }
        }
    }
}

/// The environment variables that name the proxy for `target`, in order: a `wss`
/// websocket goes where `https` goes, a `ws` one where `http` goes.
fn proxy_variables(target: &Url) -> &'static [&'static str] {
    if matches!(target.scheme(), "https" | "wss") {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    }
}

/// Whether `target` is listed in a `no_proxy` value: `*`, a host, a domain suffix
/// (`example.com` and `.example.com` both cover `a.example.com`), optionally `:port`.
pub fn bypasses(no_proxy: &str, target: &Url) -> bool {
    let Some(host) = target.host_str() else {
        return false;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let port = target.port_or_known_default();
    no_proxy
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.to_ascii_lowercase();
            let (name, entry_port) = match entry.rsplit_once(':') {
                Some((name, p)) if !name.contains(':') || name.ends_with(']') => {
                    (name.to_owned(), p.parse::<u16>().ok())
                }
                _ => (entry.clone(), None),
            };
            if entry_port.is_some() && entry_port != port {
                return false;
            }
            let name = name.trim_start_matches('[').trim_end_matches(']');
            let domain = name.trim_start_matches('.');
            host == domain || host.ends_with(&format!(".{domain}"))
        })
}

/// Opens a TCP tunnel to `host:port` through an HTTP proxy (`CONNECT`).
pub async fn connect_tunnel(proxy: &Url, host: &str, port: u16) -> Result<TcpStream, Error> {
    let proxy_host = proxy
        .host_str()
        .ok_or_else(|| Error::InvalidUrl(format!("proxy {proxy} has no host")))?;
    let proxy_port = proxy.port_or_known_default().unwrap_or(8080);
    let mut stream = TcpStream::connect((proxy_host, proxy_port))
        .await
        .map_err(|e| Error::ConnectionFailed(format!("proxy {proxy_host}:{proxy_port}: {e}")))?;
    let _ = stream.set_nodelay(true);
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if !proxy.username().is_empty() {
        let credentials = format!("{}:{}", proxy.username(), proxy.password().unwrap_or(""));
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        request.push_str(&format!("Proxy-Authorization: Basic {encoded}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| Error::ConnectionFailed(format!("proxy: {e}")))?;

    // Read the proxy's answer up to the blank line; never more than 8 KiB.
    let mut answer = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= 8192 {
            return Err(Error::ConnectionFailed("proxy answer too long".into()));
        }
        let read = stream
            .read(&mut byte)
            .await
            .map_err(|e| Error::ConnectionFailed(format!("proxy: {e}")))?;
        if read == 0 {
            return Err(Error::ConnectionFailed(
                "proxy closed the connection".into(),
            ));
        }
        answer.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&answer);
    let status_line = status_line.lines().next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status != "200" {
        return Err(Error::ConnectionFailed(format!(
            "proxy refused the tunnel: {status_line}"
        )));
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn no_proxy_matches_hosts_domains_and_ports() {
        let target = url("http://api.example.com:8080/x");
        assert!(bypasses("*", &target));
        assert!(bypasses("example.com", &target));
        assert!(bypasses(".example.com", &target));
        assert!(bypasses("other.org, api.example.com", &target));
        assert!(bypasses("example.com:8080", &target));
        assert!(!bypasses("example.com:9090", &target));
        assert!(!bypasses("ample.com", &target));
        assert!(!bypasses("", &target));
        assert!(bypasses("127.0.0.1", &url("http://127.0.0.1:1234")));
        assert!(bypasses("[::1]", &url("http://[::1]:1234")));
    }

    #[test]
    fn explicit_and_disabled_settings() {
        let target = url("http://localhost:1");
        assert_eq!(ProxySettings::Disabled.proxy_for(&target), None);
        let proxy = url("http://proxy:3128");
        assert_eq!(
            ProxySettings::Explicit(proxy.clone()).proxy_for(&target),
            Some(proxy)
        );
    }

    #[test]
    fn a_websocket_url_asks_for_the_proxy_of_its_http_form() {
        for (url, first) in [
            ("ws://h/socket.io/", "http_proxy"),
            ("http://h/socket.io/", "http_proxy"),
            ("wss://h/socket.io/", "https_proxy"),
            ("https://h/socket.io/", "https_proxy"),
        ] {
            assert_eq!(
                proxy_variables(&Url::parse(url).unwrap())[0],
                first,
                "{url}"
            );
        }
        let no_proxy = "example.com:443";
        assert!(bypasses(
            no_proxy,
            &Url::parse("wss://a.example.com/").unwrap()
        ));
        assert!(!bypasses(
            no_proxy,
            &Url::parse("ws://a.example.com/").unwrap()
        ));
    }
}
