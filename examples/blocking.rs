//! The blocking [`Client`] (python's `socketio.Client`), through the guide's sections at once.
//!
//! The same methods as the [`AsyncClient`](socketio::AsyncClient), without `.await`, and no
//! async runtime needed: a plain `fn main`. The client runs its I/O on a thread of its own, and
//! its handlers on another one.
//!
//! What to look at:
//! * handlers are plain closures; they run one at a time on the handler thread, where they may
//!   block, emit, and even `call()` the server and wait for the answer (the `tick` handler);
//! * what a handler returns is the ack the server asked for (the `double` handler);
//! * `emit`, `emit_with_ack` (the callback runs on the handler thread), `call`,
//!   `call_timeout`, a namespace socket, `start_background_task`, `sleep` and `wait`.
//!
//! Server events used: `sum(a, b)` acks `a + b`; `echo(args…)` emits `echo` back and acks the
//! arguments; `ask(event, args…)` emits `event` to this client with an ack request and acks
//! with the answer; `stream(n, event)` emits `event` `{i}` n times; `handshake()` acks what the
//! server saw (`namespace`, …); `disconnect_me()` disconnects this client; `nobody answers` has
//! no handler; namespace `/chat`.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example blocking [-- URL]
//! ```

use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use socketio::{Client, ConnectOptions, DisconnectReason, Error};

const PATIENCE: Duration = Duration::from_secs(5);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;
    let sio = Client::new();

    sio.on("connect", || println!("connected"));
    let (tx, disconnected) = mpsc::channel();
    sio.on("disconnect", move |reason: DisconnectReason| {
        println!("disconnected: {reason}");
        let _ = tx.send(());
    });
    // Server to client ack: the return value.
    sio.on("double", |n: i64| n * 2);
    // A handler that calls the server and waits for its answer.
    let client = sio.clone();
    let (tx, ticks) = mpsc::channel();
    sio.on("tick", move |tick: Value| {
        let i = tick["i"].as_i64().unwrap_or_default();
        match client.call::<_, i64>("sum", (i, 100)) {
            Ok(total) => println!("tick {i}: the server says {i} + 100 = {total}"),
            Err(e) => eprintln!("tick {i}: {e}"),
        }
        let _ = tx.send(());
    });
    sio.on("echo", |n: i64| {
        println!("echo from the background task: {n}")
    });
    let chat = sio.of("/chat");
    chat.on("connect", || println!("connected to /chat"));

    sio.connect_with(
        server.url(),
        ConnectOptions::new().namespaces(["/", "/chat"]),
    )?;
    println!(
        "connect() returned: sid {:?}, transport {:?}",
        sio.sid(),
        sio.transport()
    );

    // The test server's `stream` event emits `tick` {"i": n} three times.
    sio.emit("stream", (3, "tick"))?;
    for _ in 0..3 {
        ticks.recv_timeout(PATIENCE)?;
    }

    // `ask` makes the server emit `double` to us and pass on our answer.
    let doubled: i64 = sio.call("ask", ("double", 21))?;
    println!("our double handler answered {doubled}");

    let (tx, answers) = mpsc::channel();
    sio.emit_with_ack("sum", (1, 2), move |total: i64| {
        println!("callback: 1 + 2 = {total}");
        let _ = tx.send(());
    })?;
    answers.recv_timeout(PATIENCE)?;
    let total: i64 = sio.call("sum", (20, 22))?;
    println!("call: 20 + 22 = {total}");
    let late: Result<Value, Error> =
        sio.call_timeout("nobody answers", (), Duration::from_millis(300));
    println!("call_timeout: {late:?}");
    let seen: Value = chat.call("handshake", ())?;
    println!(
        "call on /chat: the server sees namespace {}",
        seen["namespace"]
    );
    chat.disconnect();

    // A background thread does the rest, then has the server disconnect us.
    let client = sio.clone();
    let task = sio.start_background_task(move || -> Result<(), Error> {
        for i in 0..3 {
            client.emit("echo", i)?;
            client.sleep(Duration::from_millis(50));
        }
        client.emit("disconnect_me", ())
    });
    sio.wait();
    task.join().expect("the task does not panic")?;
    disconnected.recv_timeout(PATIENCE)?;
    println!("wait() returned: {:?}", sio.state());
    Ok(())
}
