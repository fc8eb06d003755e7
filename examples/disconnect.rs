//! Guide section: "Disconnecting from the Server".
//!
//! What to look at:
//! * `sio.disconnect()`: the client leaves; the `disconnect` handler gets
//!   `DisconnectReason::ClientDisconnect` (`"io client disconnect"`);
//! * the server disconnects the client: `DisconnectReason::ServerDisconnect`; `wait()`, which
//!   blocks until the client is disconnected for good, returns;
//! * `DisconnectReason::is_accidental()`: whether the client would try to reconnect (it does not
//!   after a disconnect asked for by either side, as in python and JavaScript);
//! * after a disconnect, `sid()` is `None` and the same client may connect again.
//!
//! The test server disconnects a client that emits `disconnect_me`.
//!
//! Server events used: `disconnect_me()` acks, then disconnects this client.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example disconnect [-- URL]
//! ```

use std::time::Duration;

use socketio::{AsyncClient, DisconnectReason};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;
    let sio = AsyncClient::new();
    let (tx, mut reasons) = mpsc::unbounded_channel();
    sio.on("disconnect", move |reason: DisconnectReason| {
        println!(
            "disconnect handler: {reason} ({reason:?}, accidental: {})",
            reason.is_accidental()
        );
        let _ = tx.send(reason);
    });
    // Waits for the `disconnect` handler to have run.
    let mut handled = async || tokio::time::timeout(Duration::from_secs(5), reasons.recv()).await;

    // 1. The client leaves.
    sio.connect(server.url()).await?;
    println!("connected, sid {:?}", sio.sid());
    sio.disconnect().await;
    handled().await?;
    println!(
        "after disconnect(): sid {:?}, state {:?}",
        sio.sid(),
        sio.state()
    );

    // 2. The server sends the client away; `wait()` returns then.
    sio.connect(server.url()).await?;
    println!("connected again, sid {:?}", sio.sid());
    sio.emit("disconnect_me", ()).await?;
    sio.wait().await;
    handled().await?;
    println!("wait() returned: state {:?}", sio.state());
    Ok(())
}
