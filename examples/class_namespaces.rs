//! Class-based namespaces, as in python-socketio's guide: a type whose methods handle the
//! events of one namespace, for the tokio `AsyncClient` and for the blocking `Client`.
//!
//! ```python
//! class MyCustomNamespace(socketio.AsyncClientNamespace):
//!     def on_connect(self):
//!         pass
//!
//!     def on_disconnect(self, reason):
//!         pass
//!
//!     async def on_my_event(self, data):
//!         await self.emit('my_response', data)
//!
//! sio.register_namespace(MyCustomNamespace('/chat'))
//! ```
//!
//! In Rust the class is a struct, and `#[namespace("/chat")]` on its `impl` block makes
//! the methods marked `#[event]` the handlers: `on_my_event` handles `my_event` (the
//! `on_` prefix goes), `#[event("any name")]` names the event explicitly. A method's
//! parameters are the event's arguments, typed; a parameter of type `AsyncSocket` (or
//! `Socket`) receives the namespace's socket instead, python's `self.emit`; what a method
//! returns is the ack the server asked for. Events without a method are ignored, and a
//! function handler (`sio.of("/chat").on(…)`) takes precedence over a method.
//!
//! Against the test behaviour of this repository's servers: `stream (n, event)` makes the
//! server emit `event` n times, `ask (event, …)` makes it emit `event` with an ack request
//! and answer with the client's ack, `sum (a, b)` acks `a + b`.
//!
//! Server events used: `stream(n, event)` emits `event` `{i}` n times; `ask(event, args…)`
//! emits `event` with an ack request and acks with the answer; `sum(a, b)` acks `a + b`;
//! namespace `/chat`.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example class_namespaces                          # an in-process server
//! cargo run --example class_namespaces -- http://127.0.0.1:5000 # yours
//! ```

use std::error::Error;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use socketio::{event, namespace, AsyncClient, AsyncSocket, Client, DisconnectReason, Socket};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// How long the example waits for anything before giving up.
const PATIENCE: Duration = Duration::from_secs(10);

/// What the server sends with `my_event` (here, `stream` sends `{"i": n}`).
#[derive(Debug, Serialize, Deserialize)]
struct MyData {
    i: i64,
}

/// The namespace for the async client: python's `AsyncClientNamespace`.
struct MyCustomNamespace {
    received: AtomicU32,
    /// Where the sums computed by the server go.
    sums: UnboundedSender<i64>,
    /// Told when the namespace is disconnected.
    done: UnboundedSender<DisconnectReason>,
}

#[namespace("/chat")]
impl MyCustomNamespace {
    #[event]
    fn on_connect(&self) {
        println!("[async] connected to /chat");
    }

    #[event]
    fn on_disconnect(&self, reason: DisconnectReason) {
        println!("[async] disconnected: {reason}");
        self.done.send(reason).ok();
    }

    /// `self.emit('my_response', data)`: the socket parameter is python's `self`.
    #[event]
    async fn on_my_event(&self, socket: AsyncSocket, data: MyData) {
        let count = self.received.fetch_add(1, Ordering::SeqCst) + 1;
        println!("[async] my_event #{count}: {data:?}");
        socket.emit("my_response", &data).await.ok();
        // The socket can call the server too, and wait for its ack.
        match socket.call("sum", (data.i, 100)).await {
            Ok(total) => {
                println!("[async]   the server says {} + 100 = {total}", data.i);
                self.sums.send(total).ok();
            }
            Err(error) => println!("[async]   sum failed: {error}"),
        }
    }

    /// Any event name, and a return value: the ack.
    #[event("how many?")]
    fn how_many(&self) -> u32 {
        self.received.load(Ordering::SeqCst)
    }
}

async fn async_client(url: &str) -> Result<(), Box<dyn Error>> {
    let (sums, mut totals) = unbounded_channel();
    let (done, mut disconnected) = unbounded_channel();
    let sio = AsyncClient::new();
    sio.register_namespace(MyCustomNamespace {
        received: AtomicU32::new(0),
        sums,
        done,
    });
    // The registered namespace counts as handlers: "/chat" is connected.
    sio.connect(url).await?;
    let chat = sio.of("/chat");

    chat.emit("stream", (3, "my_event")).await?;
    for _ in 0..3 {
        tokio::time::timeout(PATIENCE, totals.recv()).await?;
    }
    // The server asks "how many?"; the method's return value is the answer.
    let count: u32 = chat.call("ask", ("how many?",)).await?;
    println!("[async] the namespace counted {count} my_event");

    // Events without a method are ignored.
    chat.emit("stream", (1, "nobody_handles_this")).await?;

    // A function handler takes precedence over the method.
    chat.on("how many?", || "ask the function");
    let answer: String = chat.call("ask", ("how many?",)).await?;
    println!("[async] with a function handler: {answer}");

    sio.disconnect().await;
    let reason = tokio::time::timeout(PATIENCE, disconnected.recv()).await?;
    assert_eq!(reason, Some(DisconnectReason::ClientDisconnect));
    Ok(())
}

/// The namespace for the blocking client: python's `ClientNamespace`. Its methods run on
/// the client's handler thread, where they may block.
struct BlockingNamespace {
    sums: mpsc::Sender<i64>,
    done: mpsc::Sender<DisconnectReason>,
}

#[namespace("/chat")]
impl BlockingNamespace {
    #[event]
    fn on_connect(&self, socket: Socket) {
        println!("[blocking] connected to {}", socket.namespace());
    }

    #[event]
    fn on_disconnect(&self, reason: DisconnectReason) {
        println!("[blocking] disconnected: {reason}");
        self.done.send(reason).ok();
    }

    #[event]
    fn on_my_event(&self, socket: Socket, data: MyData) {
        println!("[blocking] my_event: {data:?}");
        socket.emit("my_response", &data).ok();
        // A blocking call, from the handler thread.
        if let Ok(total) = socket.call::<_, i64>("sum", (data.i, 100)) {
            self.sums.send(total).ok();
        }
    }
}

fn blocking_client(url: &str) -> Result<(), Box<dyn Error>> {
    let (sums, totals) = mpsc::channel();
    let (done, disconnected) = mpsc::channel();
    let sio = Client::new();
    sio.register_namespace(BlockingNamespace { sums, done });
    sio.connect(url)?;
    sio.of("/chat").emit("stream", (3, "my_event"))?;
    for _ in 0..3 {
        let total = totals.recv_timeout(PATIENCE)?;
        println!("[blocking]   the server says the sum is {total}");
    }
    sio.disconnect();
    let reason = disconnected.recv_timeout(PATIENCE)?;
    assert_eq!(reason, DisconnectReason::ClientDisconnect);
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    // The server: the URL given as the first argument, or an in-process one that lives
    // as long as `server`.
    let server = socketio_suite::example_server()?;

    tokio::runtime::Runtime::new()?.block_on(async_client(server.url()))?;
    // The blocking client runs outside any async runtime.
    blocking_client(server.url())?;
    println!("done");
    Ok(())
}
