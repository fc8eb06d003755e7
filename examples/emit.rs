//! Guide section: "Emitting Events".
//!
//! `sio.emit(event, data)` sends `data` as the event's arguments. The rule, as in python:
//! a tuple is several arguments; anything else (a string, bytes, a map, a list, a struct) is
//! one; `()` is none. Byte strings (`bytes::Bytes`, also inside structs and lists) travel as
//! binary attachments.
//!
//! What to look at:
//! * one emit per kind of data, and how many arguments the server got;
//! * emitting from an event handler, and from a background task;
//! * `emit` returns once the event is queued: it fails only when the client is not connected.
//!
//! The test server answers `echo` by emitting `echo` back with the arguments it received; a
//! catch-all handler takes them all, as one `Payload`, and `Payload::get` reads them typed.
//!
//! Server events used: `echo(args…)` emits `echo` back with the arguments it got; `stream(n,
//! event)` emits `event` `{i}` n times.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example emit [-- URL]
//! ```

use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};
use socketio::{AsyncClient, Error, Payload};
use tokio::sync::mpsc;

/// Your own types serialize like python's dicts.
#[derive(Serialize)]
struct Point {
    x: i32,
    y: i32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;
    let sio = AsyncClient::new();

    let (tx, mut echoes) = mpsc::unbounded_channel::<Payload>();
    sio.on_any(move |event: String, args: Payload| {
        if event == "echo" {
            let _ = tx.send(args);
        }
    });
    // An event handler that emits: the server's `tick` events get an `echo` each.
    let client = sio.clone();
    sio.on("tick", move |tick: Value| {
        let client = client.clone();
        async move {
            let text = format!("tock {}", tick["i"]);
            if let Err(e) = client.emit("echo", text).await {
                eprintln!("could not emit: {e}");
            }
        }
    });
    sio.connect(server.url()).await?;

    sio.emit("echo", "hello").await?;
    let args = next_echo(&mut echoes).await?;
    println!(
        "a str:   {} argument, {:?}",
        args.len(),
        args.get::<String>(0)?
    );

    sio.emit("echo", Bytes::from_static(&[1, 2, 3])).await?;
    let args = next_echo(&mut echoes).await?;
    println!(
        "bytes:   {} argument, {:?}",
        args.len(),
        args.get::<Bytes>(0)?
    );

    sio.emit("echo", json!({"foo": "bar"})).await?;
    let args = next_echo(&mut echoes).await?;
    println!(
        "a map:   {} argument, {}",
        args.len(),
        args.get::<Value>(0)?
    );

    sio.emit("echo", Point { x: 1, y: 2 }).await?;
    let args = next_echo(&mut echoes).await?;
    println!(
        "struct:  {} argument, {}",
        args.len(),
        args.get::<Value>(0)?
    );

    sio.emit("echo", vec![1, 2, 3]).await?;
    let args = next_echo(&mut echoes).await?;
    println!(
        "a list:  {} argument, {:?}",
        args.len(),
        args.get::<Vec<i32>>(0)?
    );

    sio.emit(
        "echo",
        ("a", 1, json!({"k": true}), Bytes::from_static(b"\x00")),
    )
    .await?;
    let args = next_echo(&mut echoes).await?;
    println!(
        "a tuple: {} arguments, {:?} {:?} {} {:?}",
        args.len(),
        args.get::<String>(0)?,
        args.get::<i64>(1)?,
        args.get::<Value>(2)?,
        args.get::<Bytes>(3)?
    );

    sio.emit("echo", ()).await?;
    let args = next_echo(&mut echoes).await?;
    println!("():      {} arguments", args.len());

    // From a handler: the test server's `stream` event emits `tick` {"i": n} twice, and the
    // `tick` handler above answers each with an echo.
    sio.emit("stream", (2, "tick")).await?;
    for _ in 0..2 {
        println!(
            "from the tick handler: {:?}",
            next_echo(&mut echoes).await?.get::<String>(0)?
        );
    }

    // From a background task.
    let client = sio.clone();
    let task = sio.start_background_task(async move {
        for i in 0..2 {
            client.emit("echo", ("from a background task", i)).await?;
            client.sleep(Duration::from_millis(50)).await;
        }
        Ok::<(), Error>(())
    });
    task.await??;
    for _ in 0..2 {
        let args = next_echo(&mut echoes).await?;
        println!("{}: {}", args.get::<String>(0)?, args.get::<i64>(1)?);
    }

    sio.disconnect().await;
    // Once disconnected, emitting is an error.
    match sio.emit("echo", "anyone?").await {
        Err(Error::NotConnected) => println!("after disconnect(): not connected"),
        other => println!("after disconnect(): {other:?}"),
    }
    Ok(())
}

/// The arguments of the next `echo`, within a second.
async fn next_echo(
    echoes: &mut mpsc::UnboundedReceiver<Payload>,
) -> Result<Payload, Box<dyn std::error::Error>> {
    let args = tokio::time::timeout(Duration::from_secs(1), echoes.recv()).await?;
    Ok(args.ok_or("the catch-all handler is gone")?)
}
