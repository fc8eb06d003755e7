//! A chat between two clients, both ways, through a server.
//!
//! Alice uses the tokio [`AsyncClient`], Bob the blocking [`Client`]. The server relays every
//! `message` event to the other clients of the namespace and acks the sender with
//! `"delivered"`. Alice starts; Bob answers each message from his `message` handler, after a
//! moment of typing; after three lines each, both disconnect.
//!
//! What to look at:
//! * a `message` handler that takes a typed struct (`Message`, any `serde` type);
//! * `call()`: emit and wait for the server's ack, here `"delivered"`;
//! * the blocking client's handlers run on a thread of their own, so they may block and even
//!   `call()` the server, as Bob's does;
//! * the blocking client must not run on an async runtime's threads: from async code, give it a
//!   blocking thread (`spawn_blocking`).
//!
//! Server events used: `message(args…)` is relayed to the other clients of the namespace and
//! acked with `"delivered"`.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example chat                          # against an in-process server
//! cargo run --example chat -- http://127.0.0.1:5000 # against yours
//! ```

use std::sync::{mpsc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use socketio::{AsyncClient, Client};
use tokio::sync::oneshot;

/// One chat line, as it travels: `{"from": "alice", "text": "Hi Bob!"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Message {
    from: String,
    text: String,
}

impl Message {
    fn new(from: &str, text: &str) -> Self {
        Message {
            from: from.into(),
            text: text.into(),
        }
    }
}

const ALICE: [&str; 3] = [
    "Hi Bob!",
    "I'm on the async client, with tokio.",
    "Got to go, bye!",
];
const BOB: [&str; 3] = [
    "Hi Alice!",
    "And I'm on the blocking one, with plain threads.",
    "See you!",
];
/// How long anyone waits for an answer before giving up.
const PATIENCE: Duration = Duration::from_secs(5);
/// How long it takes to type a line.
const TYPING: Duration = Duration::from_millis(150);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;

    // Bob joins first, on a blocking thread; he says when he is in the room.
    let url = server.url().to_owned();
    let (joined_tx, joined) = oneshot::channel();
    let bob = tokio::task::spawn_blocking(move || bob(&url, joined_tx));
    if joined.await.is_err() {
        bob.await??; // Bob's error, if he failed to connect.
        return Err("bob never joined".into());
    }

    // Alice: prints what she receives and hands it to the loop below.
    let alice = AsyncClient::new();
    let (tx, mut received) = tokio::sync::mpsc::unbounded_channel();
    alice.on("message", move |msg: Message| {
        println!("[alice] < {}: {}", msg.from, msg.text);
        let _ = tx.send(msg);
    });
    alice.connect(server.url()).await?;
    println!(
        "[alice] joined with the AsyncClient, sid {}",
        sid(alice.sid())
    );

    for text in ALICE {
        alice.sleep(TYPING).await;
        // `call` returns the server's ack: "delivered".
        let ack: String = alice.call("message", Message::new("alice", text)).await?;
        println!("[alice] > {text} ({ack})");
        // Wait for Bob's answer before saying more.
        tokio::time::timeout(PATIENCE, received.recv())
            .await?
            .ok_or("alice's handler is gone")?;
    }

    alice.disconnect().await;
    println!("[alice] left");
    bob.await??;
    println!("chat over");
    Ok(())
}

/// Bob, on the blocking client: answers every message with his next line.
fn bob(url: &str, joined: oneshot::Sender<()>) -> Result<(), socketio::Error> {
    let sio = Client::new();
    let (done_tx, done) = mpsc::channel();
    let lines = Mutex::new(BOB.into_iter());
    let client = sio.clone();
    sio.on("message", move |msg: Message| {
        println!("[bob]   < {}: {}", msg.from, msg.text);
        let (text, last) = {
            let mut lines = lines.lock().unwrap();
            let Some(text) = lines.next() else { return };
            (text, lines.len() == 0)
        };
        // A handler of the blocking client may block (typing)...
        client.sleep(TYPING);
        // ...and emit, even wait for the ack.
        match client.call::<_, String>("message", Message::new("bob", text)) {
            Ok(ack) => println!("[bob]   > {text} ({ack})"),
            Err(e) => eprintln!("[bob]   could not send: {e}"),
        }
        if last {
            let _ = done_tx.send(());
        }
    });
    sio.connect(url)?;
    println!(
        "[bob]   joined with the blocking Client, sid {}",
        sid(sio.sid())
    );
    let _ = joined.send(());

    // Bob has said everything once his last line is out.
    let finished = done.recv_timeout(PATIENCE);
    sio.disconnect();
    println!("[bob]   left");
    finished.map_err(|_| socketio::Error::Timeout)
}

fn sid(sid: Option<String>) -> String {
    sid.unwrap_or_else(|| "-".into())
}
