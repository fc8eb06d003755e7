//! Guide section: "Namespaces".
//!
//! Namespaces are logical connections multiplexed on one real connection. `sio.of("/chat")` is
//! the socket of `/chat`: python's `namespace='/chat'` argument, as an object. It has the same
//! `on`, `emit`, `call`, `sid` and `disconnect` as the client itself, which is the socket of `/`.
//!
//! What to look at:
//! * handlers on a namespace: `sio.of("/chat").on("connect", ...)`;
//! * `connect(url)` without a namespace list connects every namespace that has handlers
//!   (or `/` when none has), as python does;
//! * each namespace has its own handlers and its own sid (socketioxide happens to give every
//!   namespace the connection's id; Node.js and Python do not); events stay in their namespace;
//! * leaving one namespace keeps the others (and the connection);
//! * `ConnectOptions::namespaces` picks them explicitly: python's `namespaces=['/chat']`.
//!
//! Server events used: `sum(a, b)` acks `a + b`; `echo(args…)` acks its arguments;
//! `handshake()` acks what the server saw (`namespace`); namespaces `/chat` and `/admin`.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example namespaces [-- URL]
//! ```

use std::time::Duration;

use serde_json::{json, Value};
use socketio::{AsyncClient, ConnectOptions};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;
    let sio = AsyncClient::new();
    let chat = sio.of("/chat");

    // `@sio.on('connect', namespace='/chat')`, and the same for `/`.
    sio.on("connect", || println!("connected to /"));
    chat.on("connect", || println!("connected to /chat"));

    // The same event in two namespaces: two handlers. The test server answers `echo` with
    // an `echo` in the namespace it came from.
    let (tx, mut echoes) = mpsc::unbounded_channel();
    for socket in [&*sio, &chat] {
        let tx = tx.clone();
        let namespace = socket.namespace().to_owned();
        socket.on("echo", move |data: Value| {
            println!("echo on {namespace}: {data}");
            let _ = tx.send(());
        });
    }

    // No namespace list: `/` and `/chat` have handlers, so both are connected.
    sio.connect(server.url()).await?;
    println!("connected namespaces: {:?}", sio.connected_namespaces());
    println!("sid on /: {:?}, sid on /chat: {:?}", sio.sid(), chat.sid());

    // `sio.emit('echo', {...}, namespace='/chat')`
    chat.emit("echo", json!({"room": "chat"})).await?;
    tokio::time::timeout(Duration::from_secs(1), echoes.recv()).await?;
    sio.emit("echo", json!({"room": "main"})).await?;
    tokio::time::timeout(Duration::from_secs(1), echoes.recv()).await?;
    let seen: Value = chat.call("handshake", ()).await?;
    println!("the server sees this call in {}", seen["namespace"]);

    // Leaving `/chat` keeps `/`.
    chat.disconnect().await;
    println!("after leaving /chat: {:?}", sio.connected_namespaces());
    sio.disconnect().await;

    // An explicit list: `sio.connect(url, namespaces=['/admin'])`. `/admin` needs no handler.
    let sio = AsyncClient::new();
    sio.connect_with(server.url(), ConnectOptions::new().namespaces(["/admin"]))
        .await?;
    let admin = sio.of("/admin");
    println!(
        "connected namespaces: {:?} (sid on /: {:?})",
        sio.connected_namespaces(),
        sio.sid()
    );
    let total: i64 = admin.call("sum", (2, 2)).await?;
    println!("call on /admin: 2 + 2 = {total}");
    sio.disconnect().await;
    Ok(())
}
