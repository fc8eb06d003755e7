//! What goes wrong, as one line for a person and an exit status.

use std::fmt;

use crate::duration;

/// An error that ends the program: its message (printed as `error: <message>`) and exit status.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub status: u8,
}

impl CliError {
    /// A failure (exit status 1).
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            status: 1,
        }
    }

    /// A command line that cannot be used (exit status 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            status: 2,
        }
    }

    /// The library's error while connecting to `url`, said for a person.
    pub fn connect(url: &str, error: socketio::Error) -> Self {
        use socketio::Error as E;
        CliError::new(match error {
            E::InvalidUrl(why) => format!("invalid URL '{url}': {why}"),
            E::Tls(why) => format!("TLS error with {url}: {why}"),
            E::InvalidHeader(why) => format!("invalid header: {why}"),
            E::NamespaceRefused {
                namespace,
                message,
                data,
            } => refused(&namespace, &message, data.as_ref()),
            E::Timeout => format!("timed out connecting to {url}"),
            other => format!("cannot connect to {url}: {other}"),
        })
    }

    /// The library's error while emitting `event` (or waiting `timeout` for its ack).
    pub fn emit(event: &str, timeout: std::time::Duration, error: socketio::Error) -> Self {
        CliError::new(match error {
            socketio::Error::Timeout => {
                format!("no ack for '{event}' within {}", duration::show(timeout))
            }
            socketio::Error::Disconnected => {
                format!("disconnected before the ack for '{event}' arrived")
            }
            other => format!("cannot emit '{event}': {other}"),
        })
    }
}

fn refused(namespace: &str, message: &str, data: Option<&serde_json::Value>) -> String {
    match data {
        Some(data) => format!("the server refused namespace {namespace}: {message} (data: {data})"),
        None => format!("the server refused namespace {namespace}: {message}"),
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;
