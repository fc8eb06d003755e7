//! Guide section: "Debugging and Troubleshooting".
//!
//! Python's `socketio.AsyncClient(logger=True, engineio_logger=True)` is
//! `AsyncClient::builder().logger(true).engineio_logger(true).build()` (and the same on
//! `Client::builder()`). `logger` shows Socket.IO events (target `socketio`: namespaces, events,
//! acks), `engineio_logger` the transport underneath (target `engineio`: handshake, polling,
//! websocket upgrade, pings). Both go to stderr.
//!
//! The logs are `tracing` events: the builder installs a subscriber for them unless the program
//! already has one, in which case they go wherever that one sends them.
//!
//! Server events used: `sum(a, b)` acks `a + b`; `echo(args…)` acks its arguments.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example logging [-- URL]
//! ```

use std::time::Duration;

use socketio::AsyncClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;

    let sio = AsyncClient::builder()
        .logger(true)
        .engineio_logger(true)
        .build();
    sio.on("echo", |text: String| println!("echo: {text}"));

    sio.connect(server.url()).await?;
    sio.emit("echo", "hello").await?;
    let total: i64 = sio.call("sum", (1, 2)).await?;
    println!("1 + 2 = {total}");
    // Long enough to see the websocket upgrade in the log.
    sio.sleep(Duration::from_millis(300)).await;
    sio.disconnect().await;
    Ok(())
}
