//! Typed event schemas: the chat's protocol is Rust types, shared by the server and the
//! client (`socketio_suite::typed_chat::protocol`):
//!
//! * `ClientEvent` and `ServerEvent`, `#[derive(socketio::Events)]` enums, one per
//!   direction: each variant is an event, its fields the event's arguments;
//! * `Sum` and `History`, `#[derive(socketio::Request)]` structs the client sends and whose
//!   typed reply it awaits; `AreYouThere`, a request the server sends, answered by
//!   `on_request`.
//!
//! The server is socketioxide, in this process; it names its handlers with the same
//! types (`ClientEvent::NAMES`, `Sum::EVENT`) and emits `ServerEvent`s. A misspelled
//! event, a missing argument or a reply of the wrong type is a compile error on either
//! side.
//!
//! ```text
//! cargo run --example typed_chat                          # against its in-process server
//! cargo run --example typed_chat -- http://127.0.0.1:5000 # examples/server/ speaks it too
//! ```

use std::time::Duration;

use bytes::Bytes;
use socketio::AsyncClient;
use socketio_suite::typed_chat::protocol::{AreYouThere, ClientEvent, History, ServerEvent, Sum};
use socketio_suite::typed_chat::TypedChatServer;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = match std::env::args().nth(1) {
        Some(url) => (None, url),
        None => {
            let server = TypedChatServer::start()?;
            let url = server.url();
            (Some(server), url)
        }
    };
    let sio = AsyncClient::new();

    // Every `ServerEvent`, one handler: the compiler checks the match is exhaustive.
    let (tx, mut events) = mpsc::unbounded_channel();
    sio.on_events(move |event: ServerEvent| {
        match &event {
            ServerEvent::Welcome { name, history } => {
                println!("welcome, {name} ({history} messages so far)")
            }
            ServerEvent::ChatMessage(user, text) => println!("{user}: {text}"),
            ServerEvent::UserTyping(user) => println!("{user} is typing…"),
            ServerEvent::FileShared(file, data) => println!("{file}: {} bytes", data.len()),
        }
        let _ = tx.send(event);
    });
    // The server's request: the handler must return `<AreYouThere as Request>::Reply`.
    sio.on_request(|AreYouThere(n): AreYouThere| (true, format!("here ({n})")));

    sio.connect(&server.1).await?;
    let mut next = async || -> Result<ServerEvent, Box<dyn std::error::Error>> {
        let event = tokio::time::timeout(WAIT, events.recv()).await?;
        event.ok_or_else(|| "the client stopped".into())
    };

    sio.emit_event(ClientEvent::Join {
        room: "lobby".into(),
        name: "ann".into(),
    })
    .await?;
    expect(
        next().await?,
        ServerEvent::Welcome {
            name: "ann".into(),
            history: 0,
        },
    )?;
    expect(
        next().await?,
        ServerEvent::ChatMessage("server".into(), "ann is there: here (1)".into()),
    )?;

    sio.emit_event(ClientEvent::Typing).await?;
    expect(next().await?, ServerEvent::UserTyping("ann".into()))?;
    sio.emit_event(ClientEvent::Say("hello".into())).await?;
    expect(
        next().await?,
        ServerEvent::ChatMessage("ann".into(), "hello".into()),
    )?;

    let data = Bytes::from_static(b"\x00\x01binary\xff");
    sio.emit_event(ClientEvent::Upload("notes.bin".into(), data.clone()))
        .await?;
    expect(
        next().await?,
        ServerEvent::FileShared("notes.bin".into(), data),
    )?;

    // Requests: the reply's type comes from the request.
    let total = sio.request(Sum(40, 2)).await?;
    println!("40 + 2 = {total}");
    let history = sio.request_timeout(History { limit: 5 }, WAIT).await?;
    println!("history: {history:?}");
    if total != 42 || history != ["ann: hello"] {
        return Err(format!("unexpected replies: {total}, {history:?}").into());
    }

    sio.disconnect().await;
    drop(server);
    Ok(())
}

fn expect(got: ServerEvent, expected: ServerEvent) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, got {got:?}"))
    }
}
