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

use socketio::{Events, Request};
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::SocketIo;
use tokio::sync::oneshot;

use crate::dynamic::Args;
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
    let Some((listener, port)) = crate::server_thread::bind(0, &ready).await else {
        return;
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
        socket.on(name, move |s: SocketRef, Data(args): Data<Args>| {
            let session = session.clone();
            async move {
                match ClientEvent::deserialize_args(name, args.into_json()) {
                    Ok(Some(event)) => handle(&s, &session, event).await,
                    Ok(None) => {}
                    Err(error) => eprintln!("typed chat server: {name}: {error}"),
                }
            }
        });
    }
    socket.on(
        Sum::EVENT,
        |Data(args): Data<Args>, ack: AckSender| async move {
            if let Ok(Sum(a, b)) = Sum::deserialize_args(args.into_json()) {
                let reply: <Sum as Request>::Reply = a + b;
                let _ = ack.send(&reply);
            }
        },
    );
    socket.on(
        History::EVENT,
        move |Data(args): Data<Args>, ack: AckSender| {
            let session = session.clone();
            async move {
                if let Ok(History { limit }) = History::deserialize_args(args.into_json()) {
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
