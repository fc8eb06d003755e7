//! Guide section: "Creating a Client Instance".
//!
//! python-socketio has `socketio.AsyncClient()` (asyncio) and `socketio.Client()` (blocking);
//! this crate has [`AsyncClient`] (tokio) and [`Client`] (blocking), with the same methods.
//! What python passes to the constructor (`logger=True`, ...) goes through a builder here.
//!
//! What to look at:
//! * `AsyncClient::new()` and `AsyncClient::builder()...build()`;
//! * `Client::new()` starts the runtime thread that does its I/O (and panics if the system
//!   refuses a thread, as reqwest's blocking client does); `Client::builder().build()` returns
//!   that failure as an error;
//! * a client is a cheap handle: its clones are the same client;
//! * the blocking client must not run on an async runtime's threads: from async code, give it
//!   a blocking thread (`spawn_blocking`). In a program without tokio, just call it.
//!
//! Server events used: `sum(a, b)` acks `a + b`.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example instantiate [-- URL]
//! ```

use std::time::Duration;

use socketio::{AsyncClient, Client};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;

    // `sio = socketio.AsyncClient()`
    let sio = AsyncClient::new();
    sio.connect(server.url()).await?;
    println!("AsyncClient::new():     connected, sid {:?}", sio.sid());
    // A clone is another handle on the same client: same connection, same sid.
    let handle = sio.clone();
    println!("  a clone has the same sid: {:?}", handle.sid());
    sio.disconnect().await;

    // Settings go through the builder (logging.rs shows `logger` and `engineio_logger`).
    let sio = AsyncClient::builder()
        .ack_timeout(Duration::from_secs(10)) // how long `call()` waits for an ack
        .request_timeout(Duration::from_secs(5)) // handshake and HTTP requests
        .build();
    sio.connect(server.url()).await?;
    let total: i64 = sio.call("sum", (1, 2)).await?;
    println!("AsyncClient::builder(): connected, the server says 1 + 2 = {total}");
    sio.disconnect().await;

    // `sio = socketio.Client()`, on a thread where blocking is allowed.
    let url = server.url().to_owned();
    tokio::task::spawn_blocking(move || -> Result<(), socketio::Error> {
        let sio = Client::new();
        sio.connect(&url)?;
        println!("Client::new():          connected, sid {:?}", sio.sid());
        sio.disconnect();

        let sio = Client::builder()
            .ack_timeout(Duration::from_secs(10))
            .build()?;
        sio.connect(&url)?;
        let total: i64 = sio.call("sum", (2, 3))?;
        println!("Client::builder():      connected, the server says 2 + 3 = {total}");
        sio.disconnect();
        Ok(())
    })
    .await??;
    Ok(())
}
