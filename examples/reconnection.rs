//! Reconnection: after losing its connection by accident (the network, the server going
//! away), the client comes back by itself, with exponential backoff, and connects its
//! namespaces again. It never reconnects after `disconnect()` or a disconnection by the server.
//!
//! What to look at:
//! * the builder's reconnection settings (`reconnection_attempts`, `reconnection_delay`, …);
//! * the reserved events: `disconnect` (a `DisconnectReason`), then on `/`
//!   `reconnect_attempt` (the attempt number), `reconnect_error` (the error, after each failed
//!   attempt), `reconnect` (the attempt that worked) or `reconnect_failed` (given up), and
//!   `connect` again on each namespace.
//!
//! Server events used: `close_transport()` acks, then closes this client's connection (as a
//! network failure would); `sum(a, b)` acks `a + b`. The server is the URL given as the first
//! argument (`examples/server/` has one for Node and one for Python), else this repository's
//! in-process test server.
//!
//! ```text
//! cargo run --example reconnection [-- URL]
//! ```

use std::time::Duration;

use socketio::{AsyncClient, DisconnectReason};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;
    let sio = AsyncClient::builder()
        .reconnection_attempts(10) // then `reconnect_failed`; 0 (the default) is forever
        .reconnection_delay(Duration::from_millis(200)) // doubled at each attempt…
        .reconnection_delay_max(Duration::from_secs(2)) // …up to this
        .build();

    sio.on("connect", || println!("connected"));
    sio.on("disconnect", |reason: DisconnectReason| {
        println!(
            "disconnected: {reason} (reconnecting: {})",
            reason.is_accidental()
        );
    });
    sio.on("reconnect_attempt", |attempt: u32| {
        println!("reconnection attempt {attempt}")
    });
    sio.on("reconnect_error", |error: String| {
        println!("the attempt failed: {error}")
    });
    let (tx, mut reconnected) = mpsc::unbounded_channel();
    sio.on("reconnect", move |attempt: u32| {
        println!("reconnected at attempt {attempt}");
        let _ = tx.send(());
    });
    sio.on("reconnect_failed", || println!("gave up reconnecting"));

    sio.connect(server.url()).await?;
    // The server closes the connection under us, as the network would.
    let () = sio.call("close_transport", ()).await?;
    tokio::time::timeout(Duration::from_secs(20), reconnected.recv())
        .await?
        .ok_or("the client is gone")?;

    let sum: i64 = sio.call("sum", (1, 2)).await?;
    println!("after reconnecting, the server says 1 + 2 = {sum}");
    sio.disconnect().await;
    Ok(())
}
