//! Guide section: "The simple client" (python-socketio's `SimpleClient` /
//! `AsyncSimpleClient`).
//!
//! No handlers: the client connects when made (`connect` returns it connected, as
//! `TcpStream::connect` does), queues every event the server sends from that moment, and
//! the script takes them when it wants, with `receive()` / `receive_timeout()`, or as a
//! `Stream`. `emit` and `call` are as on the other clients.
//!
//! Server events used: `stream(count, event)` makes the server emit `event` with `{i: n}`
//! for n in 0..count, then answer `count`; `sum(a, b)` answers `a + b`.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example simple_client                          # against an in-process server
//! cargo run --example simple_client -- http://127.0.0.1:5000 # against yours
//! ```

use std::time::Duration;

use futures_util::StreamExt;
use socketio::{AsyncSimpleClient, Error};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;
    let mut sio = AsyncSimpleClient::connect(server.url()).await?;
    println!("connected: sid {:?} over {:?}", sio.sid(), sio.transport());

    let total: i64 = sio.call("sum", (1, 2)).await?;
    println!("call: 1 + 2 = {total}");

    // The server's events wait in the client's queue until they are received.
    sio.emit("stream", (3, "tick")).await?;
    for _ in 0..2 {
        let event = sio.receive_timeout(Duration::from_secs(5)).await?;
        println!(
            "received {}: {:?}",
            event.name,
            event.args.get::<serde_json::Value>(0)?
        );
    }
    // The client is also a stream of events.
    if let Some(event) = sio.next().await {
        println!(
            "streamed {}: {:?}",
            event.name,
            event.args.get::<serde_json::Value>(0)?
        );
    }

    match sio.receive_timeout(Duration::from_millis(200)).await {
        Err(Error::Timeout) => println!("nothing more within 200 ms"),
        other => println!("unexpected: {other:?}"),
    }

    sio.disconnect().await;
    Ok(())
}
