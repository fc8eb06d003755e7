//! Guide section: "Event Callbacks" (acknowledgements), both ways.
//!
//! * Server to client: when the server emits with a callback, what the client's handler returns
//!   is sent back as the callback's arguments. Python's `return "OK", 123` is `("OK", 123)`
//!   here: a tuple is several arguments, `()` none.
//! * Client to server: `emit_with_ack(event, data, callback)` is python's
//!   `emit(event, data, callback=callback)`; `call(event, data)` (python's `call()`) emits and
//!   waits for the server's answer; `call_timeout` waits at most as long as it is told;
//!   `emit_with_ack_timeout` runs its callback once, with the answer or `Error::Timeout`
//!   (socket.io-client's `socket.timeout(ms).emit(…)`).
//!
//! Test server events used here: `ask(event, args...)` makes the server emit `event` with `args`
//! to this client, with a callback, and answer the `ask` with what that callback got; `sum(a, b)`
//! answers `a + b`; `echo(args...)` answers with its arguments.
//!
//! Server events used: `ask(event, args…)` emits `event` to this client with an ack request and
//! acks with the answer; `sum(a, b)` acks `a + b`; `echo(args…)` acks its arguments; `nobody
//! answers` has no handler.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example callbacks [-- URL]
//! ```

use std::time::Duration;

use serde_json::{json, Value};
use socketio::{AsyncClient, Error};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;
    let sio = AsyncClient::new();

    // `def my_event(data): return "OK", 123`
    sio.on("my_event", |data: Value| {
        println!("my_event: got {data}, answering (\"OK\", 123)");
        ("OK", 123)
    });
    // An async handler answers with what its future returns.
    sio.on("square", |n: i64| async move { n * n });
    sio.connect(server.url()).await?;

    // Server to client: the server passes on what our handlers returned.
    let (status, code): (String, i64) =
        sio.call("ask", ("my_event", json!({"foo": "bar"}))).await?;
    println!("the server's callback got ({status:?}, {code})");
    let squared: i64 = sio.call("ask", ("square", 12)).await?;
    println!("the server's callback got {squared} from the async handler");

    // Client to server, with a callback: it runs when the server answers.
    let (tx, mut answered) = mpsc::unbounded_channel();
    sio.emit_with_ack("sum", (1, 2), move |total: i64| {
        println!("callback: the server says 1 + 2 = {total}");
        let _ = tx.send(());
    })
    .await?;
    answered.recv().await;

    // Client to server, waiting for the answer.
    let total: i64 = sio.call("sum", (20, 22)).await?;
    println!("call: 20 + 22 = {total}");
    // Several answer arguments fit a tuple.
    let (text, number): (String, i64) = sio.call("echo", ("x", 1)).await?;
    println!("call: echo answered ({text:?}, {number})");

    // Nobody answers an event the server has no handler for.
    let unanswered: Result<Value, Error> = sio
        .call_timeout("nobody answers", (), Duration::from_millis(500))
        .await;
    match unanswered {
        Err(Error::Timeout) => println!("call_timeout: no answer within 500 ms"),
        other => println!("call_timeout: {other:?}"),
    }

    // A callback that is told when no answer comes: once, with the reply or the error.
    let (tx, mut told) = mpsc::unbounded_channel();
    sio.emit_with_ack_timeout(
        "nobody answers",
        (),
        Duration::from_millis(500),
        move |reply: Result<Value, Error>| {
            println!("emit_with_ack_timeout: {reply:?}");
            let _ = tx.send(());
        },
    )
    .await?;
    told.recv().await;

    sio.disconnect().await;
    Ok(())
}
