//! How packets leave: the engine handle of one connection seen through [`Outlet`], and
//! [`Ack`], the answer to an event the server sent with an ack id.
//!
//! The client layer talks to the engine only through [`Outlet`], so the router, the
//! connection state and the ack table can be exercised with a fake engine in unit tests.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use tracing::{trace, warn};

use super::options::Parser;
use crate::args::{encode_ack, Outgoing};
use crate::engineio::{EngineSocket, Protocol, Transport};
use crate::error::{DecodeError, Error};
use crate::packet::{encode_header, PacketType};

/// A boxed future of `()`, as [`Outlet::close`] returns.
pub(crate) type CloseFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// What the client layer needs of an open Engine.IO session.
pub(crate) trait Outlet: Send + Sync + 'static {
    /// Queues a text message followed by its binary attachments, nothing in between.
    fn send_with_binaries(&self, text: String, binaries: Vec<Bytes>) -> Result<(), Error>;
    /// Queues one binary message (the msgpack parser's packets).
    #[cfg_attr(not(feature = "msgpack"), allow(dead_code))]
    fn send_binary(&self, data: Bytes) -> Result<(), Error>;
    /// Ends the session because the server sent invalid data.
    fn close_invalid(&self, error: DecodeError);
    /// Ends the session because of a local failure (such as handlers that fell behind).
    fn close_with_error(&self, reason: String);
    /// Sends what is queued and a `close` packet; resolves once the server was told.
    fn close(&self) -> CloseFuture;
    /// The Engine.IO session id.
    fn sid(&self) -> &str;
    /// The transport in use.
    fn transport(&self) -> Transport;
    /// Whether the session is over.
    fn is_closed(&self) -> bool;
    /// The Engine.IO protocol the session settled on.
    fn protocol(&self) -> Protocol;
}

impl Outlet for EngineSocket {
    fn send_with_binaries(&self, text: String, binaries: Vec<Bytes>) -> Result<(), Error> {
        EngineSocket::send_with_binaries(self, text, binaries)
    }

    fn send_binary(&self, data: Bytes) -> Result<(), Error> {
        EngineSocket::send_binary(self, data)
    }

    fn close_invalid(&self, error: DecodeError) {
        EngineSocket::close_invalid_input(self, error);
    }

    fn close_with_error(&self, reason: String) {
        EngineSocket::close_with_error(self, reason);
    }

    fn close(&self) -> CloseFuture {
        let engine = self.clone();
        Box::pin(async move { engine.close().await })
    }

    fn sid(&self) -> &str {
        EngineSocket::sid(self)
    }

    fn transport(&self) -> Transport {
        EngineSocket::transport(self)
    }

    fn is_closed(&self) -> bool {
        EngineSocket::is_closed(self)
    }

    fn protocol(&self) -> Protocol {
        EngineSocket::protocol(self)
    }
}

/// The Socket.IO protocol of a connection, decided once from the engine's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Socket.IO protocol 5 (socket.io ≥ 3, over Engine.IO 4).
    V5,
    /// Socket.IO protocol 4 (socket.io 2.x, over Engine.IO 3): the server connects `/`
    /// by itself, and CONNECT carries no auth.
    V4,
}

/// One connection's way out: its engine, the parser chosen for the client, and the
/// Socket.IO protocol the engine implies.
#[derive(Clone)]
pub(crate) struct Link {
    outlet: Arc<dyn Outlet>,
    parser: Parser,
    dialect: Dialect,
}

impl Link {
    pub(crate) fn new(outlet: Arc<dyn Outlet>, parser: Parser) -> Link {
        let dialect = match outlet.protocol() {
            Protocol::V3 => Dialect::V4,
            Protocol::V4 | Protocol::Auto => Dialect::V5,
        };
        Link {
            outlet,
            parser,
            dialect,
        }
    }

    /// The engine behind the link.
    pub(crate) fn outlet(&self) -> &dyn Outlet {
        &*self.outlet
    }

    /// Sends an encoded packet with its attachments.
    pub(crate) fn send(&self, out: Outgoing) -> Result<(), Error> {
        match self.parser {
            Parser::Json => self.outlet.send_with_binaries(out.text, out.attachments),
            #[cfg(feature = "msgpack")]
            Parser::MsgPack => self
                .outlet
                .send_binary(crate::packet::msgpack::encode(&out.text, &out.attachments)?.into()),
        }
    }

    /// Asks the server for `namespace` (a CONNECT packet, with `auth` where the
    /// protocol takes it).
    pub(crate) fn connect(
        &self,
        namespace: &str,
        auth: Option<&serde_json::Value>,
    ) -> Result<(), Error> {
        match (self.dialect, auth) {
            // Socket.IO protocol 4 connects `/` by itself.
            (Dialect::V4, _) if namespace == "/" => {}
            (Dialect::V4, auth) => {
                if auth.is_some() {
                    warn!(target: "socketio", "Socket.IO v2 servers take no auth payload; use the URL's query string");
                }
                self.send_control(PacketType::Connect, namespace, "");
            }
            (Dialect::V5, None) => self.send_control(PacketType::Connect, namespace, ""),
            (Dialect::V5, Some(auth)) => {
                let auth = serde_json::to_string(auth)?;
                self.send_control(PacketType::Connect, namespace, &auth);
            }
        }
        Ok(())
    }

    /// Tells the server this client leaves `namespaces` (a DISCONNECT each).
    pub(crate) fn leave(&self, namespaces: &[String]) {
        for namespace in namespaces {
            self.send_control(PacketType::Disconnect, namespace, "");
        }
    }

    /// Sends a packet without data (DISCONNECT) or with text data only (CONNECT).
    pub(crate) fn send_control(&self, kind: PacketType, namespace: &str, data: &str) {
        let mut text = String::new();
        encode_header(kind, 0, namespace, None, &mut text);
        text.push_str(data);
        let _ = self.send(Outgoing {
            text,
            attachments: Vec::new(),
        });
    }
}

/// The answer to an event the server sent with an ack id.
///
/// Boxed: most events have none, and every event's job is moved a few times on its way
/// to the handler.
pub struct Ack(Box<AckTo>);

struct AckTo {
    link: Link,
    namespace: String,
    id: u64,
}

impl Ack {
    pub(crate) fn new(link: Link, namespace: &str, id: u64) -> Ack {
        Ack(Box::new(AckTo {
            link,
            namespace: namespace.to_owned(),
            id,
        }))
    }

    /// Sends `reply` as the ack's arguments (a tuple is several, `()` none).
    pub(crate) fn send<R: Serialize + ?Sized>(self, reply: &R) {
        let this = *self.0;
        match encode_ack(&this.namespace, this.id, reply) {
            Ok(out) => {
                trace!(target: "socketio", namespace = %this.namespace, id = this.id, "sending ack");
                let _ = this.link.send(out);
            }
            Err(error) => {
                warn!(target: "socketio", namespace = %this.namespace, id = this.id, %error, "ack reply does not serialize")
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! An engine that records what is sent, for unit tests of the layers above.

    use std::sync::Mutex;

    use super::*;

    /// Records every message sent and whether (and why) it was closed.
    #[derive(Default)]
    pub(crate) struct FakeOutlet {
        pub(crate) sent: Mutex<Vec<String>>,
        pub(crate) closed: Mutex<Option<String>>,
    }

    impl FakeOutlet {
        pub(crate) fn sent(&self) -> Vec<String> {
            self.sent.lock().unwrap().clone()
        }
    }

    impl Outlet for FakeOutlet {
        fn send_with_binaries(&self, text: String, _: Vec<Bytes>) -> Result<(), Error> {
            if self.closed.lock().unwrap().is_some() {
                return Err(Error::NotConnected);
            }
            self.sent.lock().unwrap().push(text);
            Ok(())
        }

        fn send_binary(&self, _: Bytes) -> Result<(), Error> {
            Ok(())
        }

        fn close_invalid(&self, error: DecodeError) {
            *self.closed.lock().unwrap() = Some(format!("invalid: {error}"));
        }

        fn close_with_error(&self, reason: String) {
            *self.closed.lock().unwrap() = Some(reason);
        }

        fn close(&self) -> CloseFuture {
            *self.closed.lock().unwrap() = Some("client".into());
            Box::pin(async {})
        }

        fn sid(&self) -> &str {
            "engine-sid"
        }

        fn transport(&self) -> Transport {
            Transport::WebSocket
        }

        fn is_closed(&self) -> bool {
            self.closed.lock().unwrap().is_some()
        }

        fn protocol(&self) -> Protocol {
            Protocol::V4
        }
    }
}
