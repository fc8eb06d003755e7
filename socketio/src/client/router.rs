//! The packet router: reads one connection's engine events on the engine's driver task,
//! decodes the Socket.IO packets, reassembles attachments, and hands each packet kind
//! to its own small function (as socketioxide's `Socket::recv` does).
//!
//! After invalid input nothing more from the connection is trusted: it is closed with
//! a parse error and what was already queued behind it is dropped, as socket.io-client
//! does.

use std::sync::Arc;

use bytes::Bytes;
use tracing::{debug, info, trace, warn};

use super::acks::{Completed, PendingAck};
use super::core::Core;
use super::handlers::is_reserved;
use super::link::{Ack, Link};
use super::options::Parser;
use super::reason::DisconnectReason;
use super::recovery::IncomingEvent;
use crate::args::payload::event_name;
use crate::args::Payload;
use crate::engineio::{CloseReason, EngineEvent, EngineHandler, Text};
use crate::error::{DecodeError, Error};
use crate::packet::binary::Reassembler;
use crate::packet::{PacketType, RawPacket};

/// Told when the connection's engine closed: the core, the session, and why.
pub(crate) type OnClosed = fn(&Arc<Core>, u64, CloseReason);

/// One connection's reader: the [`EngineHandler`] of its engine.
pub(crate) struct Reader {
    core: Arc<Core>,
    session: u64,
    link: Link,
    reassembler: Reassembler,
    on_closed: OnClosed,
    /// After invalid input nothing more from this connection is trusted.
    broken: bool,
}

impl Reader {
    pub(crate) fn new(core: Arc<Core>, session: u64, link: Link, on_closed: OnClosed) -> Reader {
        Reader {
            reassembler: Reassembler::new(core.config.max_payload),
            core,
            session,
            link,
            on_closed,
            broken: false,
        }
    }

    fn read(&mut self, event: EngineEvent) -> Result<(), DecodeError> {
        match event {
            EngineEvent::Message(_) if self.core.config.parser != Parser::Json => Err(
                DecodeError::Data("a text message, but the parser is msgpack".into()),
            ),
            EngineEvent::Message(text) => self.read_text(text),
            #[cfg(feature = "msgpack")]
            EngineEvent::Binary(data) if self.core.config.parser == Parser::MsgPack => {
                let max_attachments = self.core.config.max_attachments;
                let (text, attachments) = crate::packet::msgpack::decode(&data, max_attachments)?;
                let packet = RawPacket::decode(&text, max_attachments)?;
                self.route(packet, attachments)
            }
            EngineEvent::Binary(data) => match self.reassembler.push(data)? {
                Some(done) => {
                    let packet = RawPacket::decode(&done.text, self.core.config.max_attachments)?;
                    self.route(packet, done.attachments)
                }
                None => Ok(()),
            },
            EngineEvent::Closed(reason) => {
                (self.on_closed)(&self.core, self.session, reason);
                Ok(())
            }
        }
    }

    /// A text message: a whole packet, or the header of one awaiting attachments.
    fn read_text(&mut self, text: Text) -> Result<(), DecodeError> {
        let packet = RawPacket::decode(&text, self.core.config.max_attachments)?;
        match packet.kind {
            kind if kind.is_binary() && packet.attachments > 0 => {
                let expected = packet.attachments;
                self.reassembler.start(text, expected)
            }
            // The common cases: the arguments keep the message's buffer.
            PacketType::Event | PacketType::Ack => {
                let namespace = if packet.namespace == "/" {
                    std::borrow::Cow::Borrowed("/")
                } else {
                    std::borrow::Cow::Owned(packet.namespace.to_owned())
                };
                let (kind, id) = (packet.kind, packet.id);
                let start = packet.data.as_ptr() as usize - text.as_ptr() as usize;
                if kind == PacketType::Event {
                    self.recv_event(&namespace, id, text, start, Vec::new())
                } else {
                    self.recv_ack(&namespace, id, Payload::from_ack(text, start, Vec::new()))
                }
            }
            _ => self.route(packet, Vec::new()),
        }
    }

    /// One decoded packet, by kind.
    fn route(&self, packet: RawPacket<'_>, attachments: Vec<Bytes>) -> Result<(), DecodeError> {
        let namespace = packet.namespace;
        trace!(target: "socketio", kind = ?packet.kind, %namespace, id = ?packet.id, "received");
        match packet.kind {
            PacketType::Connect => self.recv_connect(namespace, packet.data),
            PacketType::ConnectError => self.recv_connect_error(namespace, packet.data),
            PacketType::Disconnect => {
                self.recv_disconnect(namespace);
                Ok(())
            }
            PacketType::Event | PacketType::BinaryEvent => {
                self.recv_event(namespace, packet.id, packet.data.into(), 0, attachments)
            }
            PacketType::Ack | PacketType::BinaryAck => {
                let payload = Payload::from_ack(packet.data.into(), 0, attachments);
                self.recv_ack(namespace, packet.id, payload)
            }
        }
    }

    /// CONNECT: the namespace is accepted; its `connect` handler runs, then the events
    /// that arrived before it, then `connect()` returns.
    fn recv_connect(&self, namespace: &str, data: &str) -> Result<(), DecodeError> {
        #[derive(serde::Deserialize)]
        struct Connected {
            sid: String,
            #[serde(default)]
            pid: Option<String>,
        }
        let Connected { sid, pid } = if data.is_empty() {
            // Socket.IO protocol 4 (v2 servers): no data; the id is derived.
            let engine_sid = self.link.outlet().sid();
            let sid = match namespace {
                "/" => engine_sid.to_owned(),
                other => format!("{other}#{engine_sid}"),
            };
            Connected { sid, pid: None }
        } else {
            serde_json::from_str(data).map_err(data_error)?
        };
        let Some(accepted) = self.core.connection().accept(namespace, sid.clone(), pid) else {
            debug!(target: "socketio", %namespace, "CONNECT for a namespace not requested; ignored");
            return Ok(());
        };
        info!(target: "socketio", %namespace, %sid, "namespace connected");
        self.core.lifecycle.namespace_connected();
        self.core.trigger(namespace, "connect", Payload::default());
        for event in accepted.early {
            self.core
                .deliver(namespace, event.name, event.payload, event.ack);
        }
        if let Some(waiting) = accepted.answered {
            waiting.wake();
        }
        Ok(())
    }

    /// CONNECT_ERROR: the namespace was refused; `connect_error` runs with the data.
    fn recv_connect_error(&self, namespace: &str, data: &str) -> Result<(), DecodeError> {
        let data: serde_json::Value = if data.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(data).map_err(data_error)?
        };
        let message = match &data {
            serde_json::Value::String(message) => message.clone(),
            other => other
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("refused")
                .to_owned(),
        };
        info!(target: "socketio", %namespace, %message, "namespace refused");
        let refusal = Error::NamespaceRefused {
            namespace: namespace.to_owned(),
            message,
            data: data.get("data").cloned(),
        };
        let waiting = self.core.connection().refuse(namespace, refusal);
        let payload = Payload::new(&data).unwrap_or_default();
        self.core.trigger(namespace, "connect_error", payload);
        if let Some(waiting) = waiting {
            waiting.wake();
        }
        Ok(())
    }

    /// DISCONNECT: the server left the namespace; with none left the connection closes,
    /// and it is not reconnected.
    fn recv_disconnect(&self, namespace: &str) {
        let left = self.core.connection().leave(namespace);
        left.failed.notify();
        if left.was_connected {
            info!(target: "socketio", %namespace, "disconnected by the server");
            self.core
                .trigger_disconnect(namespace, DisconnectReason::ServerDisconnect);
        }
        if left.last {
            tokio::spawn(self.link.outlet().close());
        }
    }

    /// EVENT: its arguments stay in `data` (from `start` on), moved, not copied.
    fn recv_event(
        &self,
        namespace: &str,
        id: Option<u64>,
        data: Text,
        start: usize,
        attachments: Vec<Bytes>,
    ) -> Result<(), DecodeError> {
        let name = event_name(&data, start).map_err(data_error)?;
        let ack = id.map(|id| Ack::new(self.link.clone(), namespace, id));
        let payload = Payload::from_named_event(data, start, &name, attachments);
        let event = name.resolve(&payload);
        if is_reserved(event) {
            warn!(target: "socketio", %event, "the server emitted a reserved event; ignored");
            return Ok(());
        }
        debug!(target: "socketio", %namespace, %event, "received event");
        let event = IncomingEvent {
            name,
            payload,
            ack,
            offset: None,
        };
        // Bound first: the connection's lock must be released before delivering.
        let delivered = self.core.connection().receive(namespace, event);
        if let Some(event) = delivered {
            self.core
                .deliver(namespace, event.name, event.payload, event.ack);
        }
        Ok(())
    }

    /// ACK: completes the `call()` or callback waiting for it.
    fn recv_ack(
        &self,
        namespace: &str,
        id: Option<u64>,
        payload: Payload,
    ) -> Result<(), DecodeError> {
        let id = id.ok_or(DecodeError::AckId)?;
        let completed = self.core.connection().acks.complete(namespace, id);
        match completed {
            Completed::Answer(PendingAck::Waiter(tx)) => {
                let _ = tx.send(Ok(payload));
            }
            Completed::Answer(PendingAck::Callback(handler)) => {
                self.core.run_callback(handler, payload);
            }
            Completed::OtherNamespace => {
                debug!(target: "socketio", %namespace, id, "ack for another namespace; ignored")
            }
            Completed::Unknown => {
                debug!(target: "socketio", %namespace, id, "ack with no pending call (timed out?); ignored")
            }
        }
        Ok(())
    }
}

impl EngineHandler for Reader {
    fn on_event(&mut self, event: EngineEvent) -> bool {
        if self.broken && !matches!(event, EngineEvent::Closed(_)) {
            return true;
        }
        if let Err(error) = self.read(event) {
            warn!(target: "socketio", %error, "invalid packet from the server; closing the connection");
            self.link.outlet().close_invalid(error);
            self.broken = true;
        }
        true
    }
}

fn data_error(error: serde_json::Error) -> DecodeError {
    DecodeError::Data(error.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::client::dispatcher::DispatchMode;
    use crate::client::handler::erase;
    use crate::client::link::fake::FakeOutlet;
    use crate::client::options::ClientConfig;

    fn ignore_close(_: &Arc<Core>, _: u64, _: CloseReason) {}

    /// A client core whose `/` handlers record what they get, in order.
    struct Rig {
        core: Arc<Core>,
        seen: Arc<Mutex<Vec<String>>>,
    }

    impl Rig {
        fn new() -> Rig {
            let core = Core::new(ClientConfig::default(), DispatchMode::Task);
            core.start_dispatcher();
            let seen: Arc<Mutex<Vec<String>>> = Arc::default();
            let record = |seen: &Arc<Mutex<Vec<String>>>| {
                let seen = seen.clone();
                move |n: i64| seen.lock().unwrap().push(n.to_string())
            };
            core.handlers.on("/", "item", erase(record(&seen)), false);
            let on_connect = {
                let seen = seen.clone();
                move || seen.lock().unwrap().push("connect".into())
            };
            core.handlers.on("/", "connect", erase(on_connect), false);
            let on_disconnect = {
                let seen = seen.clone();
                move |reason: String| seen.lock().unwrap().push(reason)
            };
            core.handlers
                .on("/", "disconnect", erase(on_disconnect), false);
            Rig { core, seen }
        }

        /// A new connection on a fake engine: its reader and what it sends.
        fn attach(&self) -> (Reader, Arc<FakeOutlet>, u64) {
            let outlet = Arc::new(FakeOutlet::default());
            let link = Link::new(outlet.clone(), Parser::Json);
            let session = self
                .core
                .connection()
                .attach(link.clone(), &["/".to_owned()], None)
                .unwrap();
            let reader = Reader::new(self.core.clone(), session, link, ignore_close);
            (reader, outlet, session)
        }

        async fn seen(&self, count: usize) -> Vec<String> {
            tokio::time::timeout(Duration::from_secs(5), async {
                loop {
                    let seen = self.seen.lock().unwrap().clone();
                    if seen.len() >= count {
                        return seen;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
            .await
            .expect("the handlers ran")
        }
    }

    fn feed(reader: &mut Reader, text: &str) {
        assert!(reader.on_event(EngineEvent::Message(Text::from(text))));
    }

    #[tokio::test]
    async fn replayed_events_wait_for_connect_and_a_failed_attempt_does_not_advance_the_offset() {
        let rig = Rig::new();
        let (mut reader, outlet, session) = rig.attach();
        assert_eq!(outlet.sent(), ["0"]);
        feed(&mut reader, r#"0{"sid":"a","pid":"p1"}"#);
        feed(&mut reader, r#"2["item",0,"o1"]"#);
        rig.core
            .connection()
            .closed(session, || Error::NotConnected);

        // The next attempt gets the replayed events, then dies before CONNECT.
        let (mut reader, outlet, session) = rig.attach();
        assert_eq!(outlet.sent(), [r#"0{"offset":"o1","pid":"p1"}"#]);
        feed(&mut reader, r#"2["item",1,"o2"]"#);
        feed(&mut reader, r#"2["item",2,"o3"]"#);
        rig.core
            .connection()
            .closed(session, || Error::NotConnected);

        // The one after resumes from the last event delivered, so nothing is lost.
        let (mut reader, outlet, _) = rig.attach();
        assert_eq!(outlet.sent(), [r#"0{"offset":"o1","pid":"p1"}"#]);
        feed(&mut reader, r#"2["item",1,"o2"]"#);
        feed(&mut reader, r#"2["item",2,"o3"]"#);
        feed(&mut reader, r#"0{"sid":"b","pid":"p1"}"#);
        feed(&mut reader, r#"2["item",3,"o4"]"#);
        let seen = rig.seen(6).await;
        assert_eq!(seen, ["connect", "0", "connect", "1", "2", "3"]);
        assert!(rig.core.recovered("/"));
        let auth = rig.core.connection().recovery.auth("/", None);
        assert_eq!(auth, Some(serde_json::json!({"pid": "p1", "offset": "o4"})));
    }

    #[tokio::test]
    async fn an_ack_completes_its_waiter_only_on_its_own_namespace() {
        let rig = Rig::new();
        let (mut reader, _, _) = rig.attach();
        feed(&mut reader, r#"0{"sid":"a"}"#);
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let id = rig
            .core
            .connection()
            .acks
            .register("/", PendingAck::Waiter(tx), true);
        feed(&mut reader, &format!("3/chat,{id}[1]"));
        assert!(
            rx.try_recv().is_err(),
            "an ack of another namespace is ignored"
        );
        feed(&mut reader, &format!("3{id}[7,\"x\"]"));
        let payload = rx.await.unwrap().unwrap();
        assert_eq!(payload.get::<i64>(0).unwrap(), 7);
    }

    #[tokio::test]
    async fn invalid_input_closes_the_connection_and_nothing_after_it_is_handled() {
        let rig = Rig::new();
        let (mut reader, outlet, _) = rig.attach();
        feed(&mut reader, r#"0{"sid":"a"}"#);
        feed(&mut reader, r#"2["item",1]"#);
        feed(&mut reader, "4x");
        feed(&mut reader, r#"2["item",2]"#);
        assert!(outlet.closed.lock().unwrap().is_some());
        assert_eq!(rig.seen(2).await, ["connect", "1"]);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            rig.seen.lock().unwrap().len(),
            2,
            "nothing after the bad packet"
        );
    }

    #[tokio::test]
    async fn a_server_disconnect_of_the_last_namespace_closes_the_engine() {
        let rig = Rig::new();
        let (mut reader, outlet, _) = rig.attach();
        feed(&mut reader, r#"0{"sid":"a"}"#);
        feed(&mut reader, "1");
        assert_eq!(rig.seen(2).await, ["connect", "io server disconnect"]);
        assert!(rig.core.sid("/").is_none());
        tokio::time::timeout(Duration::from_secs(5), async {
            while outlet.closed.lock().unwrap().is_none() {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the engine is closed");
    }
}
