//! Test support for the `socketio` client crate: the examples and integration tests of the
//! workspace live in this package.
//!
//! * [`peers`] starts reference Socket.IO servers (Node.js `socket.io`, `python-socketio` and an
//!   in-process socketioxide) that all implement the same test behaviour, and gives tests their URL.
//! * [`socketioxide_server`] is the in-process socketioxide implementation of that behaviour.
//! * [`fault_proxy`] is a TCP proxy that cuts, refuses or blackholes connections on demand, for
//!   reconnection tests.
//! * [`hostile_server`] is a misbehaving Socket.IO server, for the hostile-input tests.
//! * [`scripted_server`] is a websocket Socket.IO server whose every packet is written by the
//!   test, for exact protocol scenarios (e.g. a transport that dies before CONNECT).
//! * [`support`] holds small helpers the tests share (the usual wait and connect options, a
//!   bounded receive, fast reconnection).
//! * [`example_server()`] gives the examples their server: a URL from the command line, or the
//!   in-process socketioxide server.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dynamic;
pub mod example_server;
pub mod fault_proxy;
pub mod hostile_server;
pub mod peers;
pub mod raw_http;
pub mod scripted_server;
pub mod server_thread;
pub mod socketioxide_server;
pub mod support;
pub mod typed_chat;

pub use example_server::{example_server, ExampleServer};
