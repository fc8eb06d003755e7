//! A Socket.IO server whose every connection is scripted by the test, packet by packet.
//!
//! [`ScriptedServer`] listens on `127.0.0.1` (ephemeral port) and speaks Engine.IO v4 over
//! websocket only (the client must connect with `transports([Transport::WebSocket])`). Each
//! [`ScriptedServer::accept`] waits for the client's next connection, answers the websocket
//! handshake, sends the Engine.IO `open` packet and hands the connection to the test as a
//! [`ScriptedConnection`], whose methods send and receive whole Engine.IO packets (text
//! websocket messages). Nothing is sent unless the test sends it: no pings (the `open` packet
//! announces a long `pingInterval`), no CONNECT answer, no close.
//!
//! Unlike [`crate::hostile_server`] it runs on the caller's tokio runtime, so the script is
//! ordinary async code in the test, interleaved with the client's calls:
//!
//! ```no_run
//! # async fn demo() {
//! use socketio_suite::scripted_server::ScriptedServer;
//!
//! let mut server = ScriptedServer::start().await;
//! // connect a client to server.url() with transports [Transport::WebSocket] ...
//! let mut conn = server.accept().await;
//! let (namespace, _auth) = conn.expect_connect().await;
//! assert_eq!(namespace, "/");
//! conn.send(r#"40{"sid":"s1","pid":"p1"}"#).await;
//! conn.send(r#"42["item",0,"o0"]"#).await;
//! conn.close().await; // the client sees its transport close
//! # }
//! ```

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// How long [`ScriptedServer::accept`] and [`ScriptedConnection::recv`] wait before panicking.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `pingInterval` of the `open` packet, in milliseconds: long enough that a test never
/// needs to ping.
pub const PING_INTERVAL_MS: u64 = 60_000;

/// A listening scripted server; connections are taken one by one with
/// [`ScriptedServer::accept`].
#[derive(Debug)]
pub struct ScriptedServer {
    listener: TcpListener,
    port: u16,
    accepted: usize,
    /// Whether the `open` packet has `maxPayload` (engine.io 6.2 and later).
    max_payload: bool,
}

impl ScriptedServer {
    /// Listens on an ephemeral port of `127.0.0.1`.
    ///
    /// # Panics
    /// When the listener cannot be bound.
    pub async fn start() -> ScriptedServer {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap_or_else(|e| panic!("scripted server: cannot listen on 127.0.0.1: {e}"));
        let port = listener.local_addr().expect("local_addr").port();
        ScriptedServer {
            listener,
            port,
            accepted: 0,
            max_payload: true,
        }
    }

    /// Like [`ScriptedServer::start`], as an Engine.IO 4 server older than engine.io 6.2
    /// (socket.io 3.0 to 4.4): its `open` packet has no `maxPayload`.
    pub async fn start_without_max_payload() -> ScriptedServer {
        ScriptedServer {
            max_payload: false,
            ..ScriptedServer::start().await
        }
    }

    /// The server's base URL: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port the server listens on (on `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many connections [`ScriptedServer::accept`] has handed out.
    pub fn accepted(&self) -> usize {
        self.accepted
    }

    /// Waits for the next websocket connection, completes the websocket handshake and sends
    /// the Engine.IO `open` packet (sid `scripted<n>`, n counting from 1).
    ///
    /// # Panics
    /// When no connection comes within [`SCRIPT_TIMEOUT`], or the handshake fails (e.g. the
    /// client asked for long-polling).
    pub async fn accept(&mut self) -> ScriptedConnection {
        let (stream, _) = tokio::time::timeout(SCRIPT_TIMEOUT, self.listener.accept())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "scripted server: no connection #{} within {SCRIPT_TIMEOUT:?}",
                    self.accepted + 1
                )
            })
            .expect("scripted server: accept");
        let _ = stream.set_nodelay(true);
        let ws = tokio_tungstenite::accept_async(stream)
            .await
            .unwrap_or_else(|e| {
                panic!("scripted server: websocket handshake (is the transport websocket?): {e}")
            });
        self.accepted += 1;
        let mut conn = ScriptedConnection {
            ws,
            number: self.accepted,
        };
        let max_payload = if self.max_payload {
            r#","maxPayload":1000000"#
        } else {
            ""
        };
        conn.send(&format!(
            r#"0{{"sid":"scripted{}","upgrades":[],"pingInterval":{PING_INTERVAL_MS},"pingTimeout":{PING_INTERVAL_MS}{max_payload}}}"#,
            self.accepted
        ))
        .await;
        conn
    }
}

/// One client connection of a [`ScriptedServer`], after the Engine.IO handshake.
#[derive(Debug)]
pub struct ScriptedConnection {
    ws: WebSocketStream<TcpStream>,
    number: usize,
}

impl ScriptedConnection {
    /// Which connection this is: 1 for the first one accepted.
    pub fn number(&self) -> usize {
        self.number
    }

    /// Sends one Engine.IO packet as a text message (e.g. `42["ev",1]`, an event).
    ///
    /// # Panics
    /// When the client is gone.
    pub async fn send(&mut self, packet: &str) {
        self.ws
            .send(Message::text(packet))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "scripted server: connection #{}: cannot send {packet}: {e}",
                    self.number
                )
            });
    }

    /// The next Engine.IO packet from the client (a text message; pongs `3` are skipped), or
    /// `None` when the client closed the connection.
    ///
    /// # Panics
    /// When nothing comes within [`SCRIPT_TIMEOUT`].
    pub async fn recv(&mut self) -> Option<String> {
        loop {
            let message = tokio::time::timeout(SCRIPT_TIMEOUT, self.ws.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "scripted server: connection #{}: nothing from the client within \
                         {SCRIPT_TIMEOUT:?}",
                        self.number
                    )
                });
            match message {
                Some(Ok(Message::Text(text))) if text.as_str() != "3" => {
                    return Some(text.as_str().to_owned())
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    /// Waits for the client's Socket.IO CONNECT (`40…`); returns its namespace and its auth
    /// object (`None` when it has none). Other packets before it are skipped.
    ///
    /// # Panics
    /// When the client goes away first, or the auth is not JSON.
    pub async fn expect_connect(&mut self) -> (String, Option<Value>) {
        loop {
            let Some(packet) = self.recv().await else {
                panic!(
                    "scripted server: connection #{}: closed before CONNECT",
                    self.number
                );
            };
            let Some(rest) = packet.strip_prefix("40") else {
                continue;
            };
            let (namespace, data) = match rest.strip_prefix('/') {
                Some(ns) => match ns.split_once(',') {
                    Some((ns, data)) => (format!("/{ns}"), data),
                    None => (format!("/{ns}"), ""),
                },
                None => ("/".to_owned(), rest),
            };
            let auth = (!data.is_empty()).then(|| {
                serde_json::from_str(data)
                    .unwrap_or_else(|e| panic!("scripted server: CONNECT auth {data:?}: {e}"))
            });
            return (namespace, auth);
        }
    }

    /// Closes the transport: a websocket close handshake, then the TCP connection ends. The
    /// client sees its transport close (a reconnectable loss) after every packet sent before.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        // Wait for the client's close frame (or the end of the stream), briefly.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}
