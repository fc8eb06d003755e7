//! Guide section: "Connecting to a Server".
//!
//! What to look at:
//! * `connect(url)` returns once the server has accepted the namespaces (python waits too);
//! * `sid()` is python's `sio.sid`, `transport()` is python's `sio.transport()`;
//! * `connect_with(url, ConnectOptions)` takes what python's `connect()` takes as keyword
//!   arguments: `headers`, `auth`, `transports`, `namespaces`, `socketio_path`, `wait_timeout`;
//! * a namespace the server refuses: `connect_with` fails with `Error::NamespaceRefused` and the
//!   namespace's `connect_error` handler gets the server's data;
//! * no server at all: `Error::ConnectionFailed`.
//!
//! Server events used: `handshake()` acks what the server saw (`headers`, `auth`, `transport`);
//! namespaces `/chat`, and `/forbidden`, which the server refuses.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example connect [-- URL]
//! ```

use std::time::Duration;

use serde_json::{json, Value};
use socketio::{AsyncClient, ConnectOptions, Error, Transport};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;
    let url = server.url();

    // `sio.connect('http://localhost:5000')`
    let sio = AsyncClient::new();
    sio.connect(url).await?;
    // The connection opens with HTTP long-polling and upgrades to a websocket in the
    // background, usually within a few milliseconds.
    println!(
        "connected: sid {:?}, transport {:?}",
        sio.sid(),
        sio.transport()
    );
    sio.disconnect().await;

    // The same client connects again, with options. The test server's `handshake` event answers
    // with what it saw of this connection.
    let options = ConnectOptions::new()
        .header("X-Token", "t0k3n")
        .auth(json!({"token": "secret"}))
        .transports([Transport::WebSocket]) // websocket only, from the start
        .namespaces(["/", "/chat"])
        .wait_timeout(Duration::from_secs(3)); // for the namespaces to be accepted
    sio.connect_with(url, options).await?;
    println!(
        "connected with options: namespaces {:?}, transport {:?}",
        sio.connected_namespaces(),
        sio.transport()
    );
    let seen: Value = sio.call("handshake", ()).await?;
    println!(
        "the server saw: X-Token {}, auth {}, transport {}",
        seen["headers"]["x-token"], seen["auth"], seen["transport"]
    );
    sio.disconnect().await;

    // The test server refuses the namespace "/forbidden".
    let sio = AsyncClient::new();
    sio.of("/forbidden").on("connect_error", |data: Value| {
        println!("connect_error on /forbidden: {data}");
    });
    let refused = ConnectOptions::new().namespaces(["/", "/forbidden"]);
    match sio.connect_with(url, refused).await {
        Err(Error::NamespaceRefused {
            namespace,
            message,
            data,
        }) => println!(
            "refused: namespace {namespace}, message {message:?}, data {}",
            data.unwrap_or_default()
        ),
        Err(other) => return Err(other.into()),
        Ok(()) => println!("the server accepted /forbidden"),
    }
    // On a refusal the whole connection is closed (as in python): nothing stays connected.
    println!("after the refusal: state {:?}", sio.state());

    // Nobody listens on this port (it was free a moment ago).
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let sio = AsyncClient::new();
    match sio.connect(&format!("http://127.0.0.1:{port}")).await {
        Err(e) => println!("no server: {e}"),
        Ok(()) => println!("something listens on port {port} after all"),
    }
    Ok(())
}
