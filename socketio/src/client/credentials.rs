//! Credentials fetched anew for every connection attempt: the sources behind
//! `ConnectOptions::auth_with` and `ConnectOptions::headers_with`.
//!
//! A source is a user's async function. What it returns (or how it fails) is turned into
//! the value an attempt uses, or into the [`Error`] that makes the attempt fail; a panic
//! in it is caught and fails the attempt the same way, so a token service that breaks
//! never takes the client down.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use crate::error::Error;

/// The error a source may fail with (anything `Into<Box<dyn Error + Send + Sync>>`).
pub(crate) type SourceError = Box<dyn std::error::Error + Send + Sync>;

type Fetch<T> = dyn Fn() -> BoxFuture<'static, Result<T, SourceError>> + Send + Sync;

/// An async function called before each connection attempt.
pub(crate) struct Source<T> {
    /// Asserted unwind-safe, so that `ConnectOptions` stays `UnwindSafe`: a panic in the
    /// function is caught by [`fetch`](Self::fetch) and ends only the attempt, which
    /// keeps nothing the function could have left half-changed.
    fetch: AssertUnwindSafe<Arc<Fetch<T>>>,
    /// What it provides, for the error message (`"auth"`, `"headers"`).
    what: &'static str,
}

impl<T> Clone for Source<T> {
    fn clone(&self) -> Self {
        Source {
            fetch: AssertUnwindSafe(self.fetch.0.clone()),
            what: self.what,
        }
    }
}

impl<T: 'static> Source<T> {
    /// Wraps the user's `f`, whose `Ok` value becomes a `T` through `convert`.
    pub(crate) fn new<F, Fut, U, E>(
        what: &'static str,
        f: F,
        convert: fn(U) -> Result<T, SourceError>,
    ) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<U, E>> + Send + 'static,
        U: 'static,
        E: Into<SourceError> + 'static,
    {
        let fetch = move || -> BoxFuture<'static, Result<T, SourceError>> {
            let future = f();
            Box::pin(async move { future.await.map_err(Into::into).and_then(convert) })
        };
        Source {
            fetch: AssertUnwindSafe(Arc::new(fetch)),
            what,
        }
    }

    /// Calls the function and awaits its answer; an `Err` or a panic is a failed
    /// attempt (`Error::ConnectionFailed`).
    pub(crate) async fn fetch(&self) -> Result<T, Error> {
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| (self.fetch.0)()));
        let outcome = match called {
            Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
            Err(panic) => Err(panic),
        };
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Error::ConnectionFailed(format!(
                "{} source failed: {error}",
                self.what
            ))),
            Err(panic) => Err(Error::ConnectionFailed(format!(
                "{} source panicked: {}",
                self.what,
                panic_message(&*panic)
            ))),
        }
    }
}

/// The text of a panic's payload, when it has one.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

/// What one connection attempt sends: the CONNECT packets' auth and the HTTP headers.
#[derive(Debug, Default)]
pub(crate) struct Credentials {
    pub(crate) auth: Option<serde_json::Value>,
    pub(crate) headers: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> Result<u32, SourceError> {
        Ok(n)
    }

    #[tokio::test]
    async fn values_errors_and_panics_are_each_an_outcome() {
        let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counted = calls.clone();
        let source = Source::new(
            "auth",
            move || {
                let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move { Ok::<_, std::io::Error>(n) }
            },
            id,
        );
        assert_eq!(source.fetch().await.unwrap(), 0);
        assert_eq!(source.clone().fetch().await.unwrap(), 1);

        let failing = Source::new(
            "headers",
            || async { Err::<u32, _>(std::io::Error::other("token service down")) },
            id,
        );
        let Err(Error::ConnectionFailed(message)) = failing.fetch().await else {
            panic!("an Err is a failed attempt");
        };
        assert_eq!(message, "headers source failed: token service down");

        let panicking = Source::new(
            "auth",
            || async { panic!("boom") as Result<u32, std::io::Error> },
            id,
        );
        let Err(Error::ConnectionFailed(message)) = panicking.fetch().await else {
            panic!("a panic is a failed attempt");
        };
        assert_eq!(message, "auth source panicked: boom");

        #[allow(unreachable_code)]
        let panics_when_called = Source::new(
            "auth",
            || -> std::future::Ready<Result<u32, std::io::Error>> { panic!("at once") },
            id,
        );
        assert!(matches!(
            panics_when_called.fetch().await,
            Err(Error::ConnectionFailed(_))
        ));
    }
}
