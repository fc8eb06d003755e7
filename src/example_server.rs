//! The server the examples talk to.
//!
//! Every example in `examples/` runs against a server chosen by [`example_server`]:
//!
//! * `cargo run --example chat` starts the in-process socketioxide server of this package
//!   ([`crate::socketioxide_server`]) on an ephemeral port and stops it when the example ends;
//! * `cargo run --example chat -- http://127.0.0.1:5000` uses that server instead. It should
//!   implement the events the examples use (each example lists them at its top):
//!   `examples/server/node/server.js` and `examples/server/python/server.py` do, and so do the
//!   peers of `tests/peers/`.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = socketio_suite::example_server()?;
//! let sio = socketio::Client::new();
//! sio.connect(server.url())?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;

use crate::peers::PeerOptions;
use crate::socketioxide_server::SocketioxideServer;

/// The server of an example: a URL given on the command line, or an in-process socketioxide
/// server that runs as long as this value lives. Keep it alive until the example ends.
pub struct ExampleServer {
    url: String,
    in_process: Option<SocketioxideServer>,
}

impl fmt::Debug for ExampleServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExampleServer")
            .field("url", &self.url)
            .field("in_process", &self.in_process.is_some())
            .finish()
    }
}

impl ExampleServer {
    /// Starts the in-process socketioxide server (on `127.0.0.1`, an ephemeral port).
    pub fn start() -> io::Result<Self> {
        let server = SocketioxideServer::start(&PeerOptions::default())?;
        Ok(ExampleServer {
            url: server.url(),
            in_process: Some(server),
        })
    }

    /// An external server at `url`; nothing is started.
    pub fn external(url: impl Into<String>) -> Self {
        ExampleServer {
            url: url.into(),
            in_process: None,
        }
    }

    /// The base URL of the server, such as `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the server runs in this process (no URL was given).
    pub fn is_in_process(&self) -> bool {
        self.in_process.is_some()
    }
}

/// The server of an example: the URL given as the first command-line argument, or else a new
/// in-process socketioxide server. Says on stderr which one is used.
///
/// # Errors
/// When the in-process server cannot start (no free port, no thread).
pub fn example_server() -> io::Result<ExampleServer> {
    let server = match std::env::args().nth(1) {
        Some(url) => ExampleServer::external(url),
        None => ExampleServer::start()?,
    };
    if server.is_in_process() {
        eprintln!(
            "(server: in-process socketioxide at {}; pass a URL as the first argument to use another)",
            server.url()
        );
    } else {
        eprintln!("(server: {})", server.url());
    }
    Ok(server)
}
