//! The typed chat of `examples/typed_chat.rs`: a [`protocol`] (two [`Events`] enums, one per
//! direction, and the [`Request`]s) shared by an in-process socketioxide server
//! ([`TypedChatServer`]) and the client. The event names, argument lists and reply types are
//! the protocol's types on both sides, so a misspelled event or a wrong reply does not
//! compile.
//!
//! The server, per connection:
//! * [`ClientEvent::Join`] → [`ServerEvent::Welcome`], then it asks the client
//!   [`AreYouThere`] and announces the answer as a [`ServerEvent::ChatMessage`] from `server`;
//! * [`ClientEvent::Say`] → [`ServerEvent::ChatMessage`] back, from the joined name;
//! * [`ClientEvent::Typing`] → [`ServerEvent::UserTyping`];
//! * [`ClientEvent::Upload`] → [`ServerEvent::FileShared`], the bytes as binary;
//! * the requests [`Sum`] and [`History`] are answered with their replies.
//!
//! [`Events`]: socketio::Events
//! [`Request`]: socketio::Request

use std::io;
use std::sync::{Arc, Mutex};

use serde::de::{self as de, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use socketio::{Events, Request};
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::SocketIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::server_thread::{Ready, ServerThread};

pub use protocol::{AreYouThere, ClientEvent, History, ServerEvent, Sum};

/// The chat's protocol: what the client sends, what the server sends, and the requests.
pub mod protocol {
    use bytes::Bytes;
    use socketio::{Events, Request};

    /// Client to server. Event names: `join`, `say`, `typing`, `upload`.
    #[derive(Events, Debug, Clone, PartialEq)]
    pub enum ClientEvent {
        /// Enter `room` as `name` (one object argument).
        Join {
            /// The room.
            room: String,
            /// The user's name.
            name: String,
        },
        /// Say something (one argument).
        Say(String),
        /// The user is typing (no argument).
        Typing,
        /// Share a file: its name and its bytes (sent as a binary attachment).
        Upload(String, Bytes),
    }

    /// Server to client. Event names: `welcome`, `chat message`, `user_typing`, `file_shared`.
    #[derive(Events, Debug, Clone, PartialEq)]
    pub enum ServerEvent {
        /// Joined: the name and how many messages the room's history holds.
        Welcome {
            /// The user's name.
            name: String,
            /// Messages in the history.
            history: u32,
        },
        /// A message: who, what.
        #[event("chat message")]
        ChatMessage(String, String),
        /// Someone is typing.
        UserTyping(String),
        /// A file was shared: its name and bytes.
        FileShared(String, Bytes),
    }

    /// Client to server: `a + b`.
    #[derive(Request, Debug, Clone, PartialEq)]
    #[request(event = "sum", reply = i64)]
    pub struct Sum(pub i64, pub i64);

    /// Client to server: the last `limit` messages, as `"name: text"`.
    #[derive(Request, Debug, Clone, PartialEq)]
    #[request(event = "history", reply = Vec<String>)]
    pub struct History {
        /// How many messages at most.
        pub limit: usize,
    }

    /// Server to client (the server asks, the client's `on_request` answers): whether the
    /// client is there, and its status line. A reply of two arguments.
    #[derive(Request, Debug, Clone, PartialEq)]
    #[request(event = "are_you_there", reply = (bool, String))]
    pub struct AreYouThere(pub u32);
}

/// All the arguments of an event, as JSON values: socketioxide gives a type that
/// deserializes as a tuple every argument. Binary attachments become arrays of bytes,
/// which `Bytes` deserializes from.
struct AllArgs(Vec<Value>);

impl<'de> Deserialize<'de> for AllArgs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AllArgs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AllArgs, A::Error> {
                let mut items = Vec::new();
                while let Some(Arg(item)) = seq.next_element::<Arg>()? {
                    items.push(item);
                }
                Ok(AllArgs(items))
            }
        }
        d.deserialize_tuple(usize::MAX, V)
    }
}

/// One argument as a JSON value, binary as an array of bytes.
struct Arg(Value);

impl<'de> Deserialize<'de> for Arg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ArgVisitor).map(Arg)
    }
}

struct ArgVisitor;

impl<'de> Visitor<'de> for ArgVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any socket.io value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ArgVisitor)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::from(v.to_vec()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Arg(item)) = seq.next_element::<Arg>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some((key, Arg(value))) = map.next_entry::<String, Arg>()? {
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

impl AllArgs {
    /// The arguments as one deserializer of a sequence, as `Events::deserialize_args`
    /// and `Request::deserialize_args` take them.
    fn into_deserializer(self) -> Value {
        Value::Array(self.0)
    }
}

/// A running typed chat server on `127.0.0.1` (an ephemeral port); stopped on drop.
#[derive(Debug)]
pub struct TypedChatServer {
    server: ServerThread,
}

impl TypedChatServer {
    /// Starts the server on its own thread; returns once it accepts connections.
    pub fn start() -> io::Result<Self> {
        let server = ServerThread::start("typed-chat-server", serve)?;
        Ok(TypedChatServer { server })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port())
    }
}

async fn serve(ready: Ready, shutdown: oneshot::Receiver<()>) {
    let listener = match TcpListener::bind(("127.0.0.1", 0)).await {
        Ok(listener) => listener,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let port = match listener.local_addr() {
        Ok(addr) => addr.port(),
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let (svc, io) = SocketIo::new_svc();
    io.ns("/", async |socket: SocketRef| on_connect(&socket));
    let _ = ready.send(Ok(port));
    let accept = async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let svc = svc.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), svc)
                    .with_upgrades()
                    .await;
            });
        }
    };
    tokio::select! {
        _ = shutdown => {}
        () = accept => {}
    }
}

/// One connection's state: the joined name and the messages said.
#[derive(Default)]
struct Session {
    name: Option<String>,
    history: Vec<String>,
}

/// Registers the protocol's handlers on a new socket.
fn on_connect(socket: &SocketRef) {
    let session = Arc::new(Mutex::new(Session::default()));
    // One socketioxide handler per client event, named by the protocol.
    for &name in ClientEvent::NAMES {
        let session = session.clone();
        socket.on(name, move |s: SocketRef, Data(args): Data<AllArgs>| {
            let session = session.clone();
            async move {
                match ClientEvent::deserialize_args(name, args.into_deserializer()) {
                    Ok(Some(event)) => handle(&s, &session, event).await,
                    Ok(None) => {}
                    Err(error) => eprintln!("typed chat server: {name}: {error}"),
                }
            }
        });
    }
    socket.on(
        Sum::EVENT,
        |Data(args): Data<AllArgs>, ack: AckSender| async move {
            if let Ok(Sum(a, b)) = Sum::deserialize_args(args.into_deserializer()) {
                let reply: <Sum as Request>::Reply = a + b;
                let _ = ack.send(&reply);
            }
        },
    );
    socket.on(
        History::EVENT,
        move |Data(args): Data<AllArgs>, ack: AckSender| {
            let session = session.clone();
            async move {
                if let Ok(History { limit }) = History::deserialize_args(args.into_deserializer()) {
                    let history = &session.lock().unwrap().history;
                    let reply: <History as Request>::Reply =
                        history.iter().rev().take(limit).rev().cloned().collect();
                    let _ = ack.send(&reply);
                }
            }
        },
    );
}

async fn handle(socket: &SocketRef, session: &Mutex<Session>, event: ClientEvent) {
    let send = |event: ServerEvent| {
        let _ = socket.emit(event.name(), &event.args());
    };
    match event {
        ClientEvent::Join { room, name } => {
            socket.join(room);
            let history = {
                let mut session = session.lock().unwrap();
                session.name = Some(name.clone());
                session.history.len() as u32
            };
            send(ServerEvent::Welcome {
                name: name.clone(),
                history,
            });
            // Ask the client, typed both ways: the reply is `<AreYouThere as Request>::Reply`.
            let request = AreYouThere(1);
            let asked = socket.emit_with_ack::<_, <AreYouThere as Request>::Reply>(
                AreYouThere::EVENT,
                &request.args(),
            );
            if let Ok(answer) = asked {
                if let Ok((true, status)) = answer.await {
                    send(ServerEvent::ChatMessage(
                        "server".into(),
                        format!("{name} is there: {status}"),
                    ));
                }
            }
        }
        ClientEvent::Say(text) => {
            let name = {
                let mut session = session.lock().unwrap();
                let name = session.name.clone().unwrap_or_else(|| "anonymous".into());
                session.history.push(format!("{name}: {text}"));
                name
            };
            send(ServerEvent::ChatMessage(name, text));
        }
        ClientEvent::Typing => {
            let name = session.lock().unwrap().name.clone().unwrap_or_default();
            send(ServerEvent::UserTyping(name));
        }
        ClientEvent::Upload(file, data) => send(ServerEvent::FileShared(file, data)),
    }
}
