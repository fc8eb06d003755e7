//! The engine layer's own failures, typed where the engine decides on them: a request
//! the server refused is a [`Refusal`] (its HTTP status and the Engine.IO error code of
//! its body), never a message to search. They become the public [`Error`] only where
//! they leave the engine layer.

use reqwest::StatusCode;
use serde::Deserialize;

use crate::error::{DecodeError, Error};

/// The Engine.IO error code for "Unsupported protocol version" (Node's engine.io
/// answers `{"code":5,"message":"Unsupported protocol version"}` with a 400).
const UNSUPPORTED_PROTOCOL_VERSION: u64 = 5;

/// The engine request a server refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    /// The polling handshake: a `GET` without a session id.
    Handshake,
    /// A long-poll `GET`.
    Poll,
    /// A `POST` of queued packets.
    Post,
    /// A websocket upgrade request: the session's first, or the probe beside polling.
    Upgrade,
}

/// An HTTP error status a server answered to one of the engine's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// Which request was refused.
    pub(crate) request: Request,
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The Engine.IO error code, when the body is an Engine.IO error object.
    pub(crate) code: Option<u64>,
    /// The body as received (lossily decoded; empty if none), for the error message.
    pub(crate) body: String,
}

/// The Engine.IO error object a refusal's body may be.
#[derive(Deserialize)]
struct ErrorBody {
    code: u64,
}

impl Refusal {
    /// `request` refused with `status`; `body` is read for an Engine.IO error code.
    pub(crate) fn new(request: Request, status: StatusCode, body: String) -> Self {
        let code = serde_json::from_str::<ErrorBody>(&body)
            .ok()
            .map(|error| error.code);
        Refusal {
            request,
            status,
            code,
            body,
        }
    }

    /// Whether the server refused the Engine.IO revision the request asked for: the
    /// "Unsupported protocol version" code, or a 400 to the first websocket upgrade
    /// (whose body, plain text at best, does not reliably come with the refusal).
    pub(crate) fn refuses_revision(&self) -> bool {
        self.code == Some(UNSUPPORTED_PROTOCOL_VERSION)
            || (self.request == Request::Upgrade && self.status == StatusCode::BAD_REQUEST)
    }

    /// The public error: its variant and text are what callers have always seen.
    pub(crate) fn into_error(self) -> Error {
        let Refusal {
            request,
            status,
            body,
            ..
        } = self;
        match request {
            Request::Handshake => {
                Error::ConnectionFailed(format!("handshake answered {status}: {body}"))
            }
            Request::Poll => Error::Transport(format!("poll answered {status}: {body}")),
            Request::Post => Error::Transport(format!("post answered {status}: {body}")),
            // As tungstenite words its own `Error::Http`.
            Request::Upgrade => Error::ConnectionFailed(format!("HTTP error: {status}")),
        }
    }
}

/// Why an engine request failed.
#[derive(Debug)]
pub(crate) enum EngineError {
    /// The server answered with an HTTP error status.
    Refused(Refusal),
    /// Anything else, already in its public form.
    Failed(Error),
}

impl From<Error> for EngineError {
    fn from(error: Error) -> Self {
        EngineError::Failed(error)
    }
}

impl From<DecodeError> for EngineError {
    fn from(error: DecodeError) -> Self {
        EngineError::Failed(error.into())
    }
}

impl From<EngineError> for Error {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Refused(refusal) => refusal.into_error(),
            EngineError::Failed(error) => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(request: Request, status: u16, body: &str) -> Refusal {
        Refusal::new(
            request,
            StatusCode::from_u16(status).unwrap(),
            body.to_owned(),
        )
    }

    #[test]
    fn the_unsupported_version_code_refuses_the_revision_on_any_request() {
        let node = r#"{"code":5,"message":"Unsupported protocol version"}"#;
        let refused = refusal(Request::Handshake, 400, node);
        assert_eq!(refused.code, Some(5));
        assert!(refused.refuses_revision());
        // Another code, or a body that only says so in words, does not.
        let other = refusal(
            Request::Handshake,
            400,
            r#"{"code":3,"message":"Bad request"}"#,
        );
        assert_eq!(other.code, Some(3));
        assert!(!other.refuses_revision());
        let words = refusal(Request::Handshake, 400, "Unsupported protocol version");
        assert_eq!(words.code, None);
        assert!(!words.refuses_revision());
    }

    #[test]
    fn a_bad_request_refuses_the_revision_only_on_the_websocket_upgrade() {
        assert!(refusal(Request::Upgrade, 400, "").refuses_revision());
        assert!(!refusal(Request::Upgrade, 403, "").refuses_revision());
        assert!(!refusal(Request::Upgrade, 502, "").refuses_revision());
        assert!(!refusal(Request::Handshake, 400, "").refuses_revision());
        assert!(!refusal(Request::Poll, 400, "").refuses_revision());
    }

    #[test]
    fn the_public_errors_keep_their_variants_and_words() {
        let text =
            |request, status| Error::from(EngineError::Refused(refusal(request, status, "no")));
        assert!(matches!(
            text(Request::Handshake, 403),
            Error::ConnectionFailed(m) if m == "handshake answered 403 Forbidden: no"
        ));
        assert!(matches!(
            text(Request::Poll, 400),
            Error::Transport(m) if m == "poll answered 400 Bad Request: no"
        ));
        assert!(matches!(
            text(Request::Post, 500),
            Error::Transport(m) if m == "post answered 500 Internal Server Error: no"
        ));
        // The same words as tungstenite's error for a refused upgrade.
        let response = tokio_tungstenite::tungstenite::http::Response::builder()
            .status(400)
            .body(None)
            .unwrap();
        let tungstenite = tokio_tungstenite::tungstenite::Error::Http(Box::new(response));
        assert!(matches!(
            text(Request::Upgrade, 400),
            Error::ConnectionFailed(m) if m == tungstenite.to_string()
        ));
    }
}
