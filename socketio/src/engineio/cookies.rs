//! A client's cookies (load-balancer affinity): reqwest's jar, which the polling
//! transport's HTTP client fills and reads, and the websocket upgrade too.

use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderValue;
use url::Url;

/// The jar, and whether a server ever set a cookie in it.
///
/// Most servers set none: until one does, nothing is looked up or stored, so a client
/// never runs the jar's matching code (and never maps it) for nothing.
#[derive(Debug, Default)]
pub struct Cookies {
    jar: Jar,
    stored: AtomicBool,
}

impl Cookies {
    /// Whether a server has set a cookie (until one has, there is nothing to send).
    pub(crate) fn holds_any(&self) -> bool {
        self.stored.load(Ordering::Acquire)
    }
}

impl CookieStore for Cookies {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        let mut headers = headers.peekable();
        if headers.peek().is_none() {
            return;
        }
        self.jar.set_cookies(&mut headers, url);
        self.stored.store(true, Ordering::Release);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        if !self.holds_any() {
            return None;
        }
        self.jar.cookies(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_set_by_a_server_are_sent_back() {
        let cookies = Cookies::default();
        let url = Url::parse("http://example.com/socket.io/").unwrap();
        cookies.set_cookies(&mut std::iter::empty(), &url);
        assert_eq!(cookies.cookies(&url), None);

        let set = HeaderValue::from_static("io=abc; Path=/");
        cookies.set_cookies(&mut std::iter::once(&set), &url);
        assert_eq!(cookies.cookies(&url).unwrap(), "io=abc");
        let elsewhere = Url::parse("http://example.org/").unwrap();
        assert_eq!(cookies.cookies(&elsewhere), None);
    }
}
