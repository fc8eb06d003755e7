//! Guide section: "Defining Event Handlers".
//!
//! `sio.on("my message", handler)` is python's `@sio.on('my message')`, and `sio.event(message)`
//! with `#[event]` on `fn message` is python's `@sio.event`. A handler is a closure or function
//! whose parameters are the event's arguments, in order, each deserialized into its type (any
//! `serde` type: `String`, `i64`, `serde_json::Value`, your own structs). With the
//! [`AsyncClient`] it may be synchronous or `async`. What it returns is the ack the server may
//! have asked for (see `callbacks.rs`).
//!
//! What to look at:
//! * `#[event]` functions, named after the event;
//! * sync and async handlers, a typed struct, several parameters, a missing one as `Option`;
//! * the special events `connect`, `connect_error` and `disconnect`, raised by the client;
//! * `on_any`, the catch-all for events without a handler of their own (python's `'*'`).
//!
//! To make the server emit events on demand, this example uses the test server's `ask` event:
//! `ask(event, args...)` makes the server emit `event` with `args` to this client, and answer
//! the `ask` with this client's ack. `call()` waits for that answer, so each event has been
//! handled before the next one is asked for.
//!
//! Server events used: `ask(event, args…)` emits `event` to this client with an ack request and
//! acks with the answer.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example event_handlers [-- URL]
//! ```

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use socketio::{event, AsyncClient, DisconnectReason, Payload};
use tokio::sync::mpsc;

/// An event argument deserialized into a struct of your own.
#[derive(Debug, Deserialize)]
struct ChatMessage {
    from: String,
    text: String,
}

/// `@sio.event async def message(data)`: handles the event `message`, the function's name.
#[event]
async fn message(data: Value) {
    println!("message: I received {data}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;
    let sio = AsyncClient::new();

    // `@sio.event`
    sio.event(message);

    // `@sio.on('my message')`: a plain closure, any JSON as a `Value`.
    sio.on("my message", |data: Value| {
        println!("my message: I received {data}");
    });

    // An async handler may await. Handlers run one at a time, in order: the next event waits.
    sio.on("slow message", |text: String| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        println!("slow message: {text:?}, handled after 100 ms");
    });

    // A typed argument: the JSON object becomes a `ChatMessage`.
    sio.on("chat", |msg: ChatMessage| {
        println!("chat: {} says {:?}", msg.from, msg.text);
    });

    // Several arguments, one parameter each; a missing one only fits an `Option`.
    sio.on("move", |x: i64, y: i64, label: Option<String>| {
        println!("move: to ({x}, {y}), label {label:?}");
    });

    // The special events.
    sio.on("connect", || println!("connect: I'm connected!"));
    sio.on("connect_error", |data: Value| {
        println!("connect_error: the connection failed: {data}");
    });
    let (tx, mut disconnected) = mpsc::unbounded_channel();
    sio.on("disconnect", move |reason: DisconnectReason| {
        println!("disconnect: I'm disconnected ({reason})");
        let _ = tx.send(());
    });

    // Every other event: its name and all its arguments.
    sio.on_any(|event: String, args: Payload| {
        println!(
            "on_any: {event:?} with arguments {}",
            Value::from(args.to_values())
        );
    });

    sio.connect(server.url()).await?;

    // Each `ask` makes the server emit one event to us.
    let () = sio.call("ask", ("message", "hello")).await?;
    let () = sio
        .call("ask", ("my message", json!({"foo": "bar"})))
        .await?;
    let () = sio.call("ask", ("slow message", "take your time")).await?;
    let () = sio
        .call("ask", ("chat", json!({"from": "server", "text": "hi"})))
        .await?;
    let () = sio.call("ask", ("move", 3, 4, "home")).await?;
    let () = sio.call("ask", ("move", 5, 6)).await?;
    let () = sio.call("ask", ("no handler", 1, "two")).await?;

    sio.disconnect().await;
    // The `disconnect` handler runs on the client's handler task: let it finish printing.
    disconnected.recv().await;
    Ok(())
}
