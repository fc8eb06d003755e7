//! Guide section: "Managing Background Tasks", for both clients.
//!
//! The client does its I/O in the background: the program is free to do other work. These
//! helpers mirror python's:
//! * `start_background_task(...)`: with the [`AsyncClient`] it takes a future and spawns it on
//!   tokio (python's coroutine); with the blocking [`Client`] it takes a closure and runs it on a
//!   new thread. Both return a join handle, so the task's result can be collected;
//! * `sleep(duration)`: python's `sio.sleep(seconds)` (async for the `AsyncClient`);
//! * `wait()`: returns once the client is disconnected for good, for a program that has nothing
//!   else to do.
//!
//! Here the background task makes a few calls, then asks the test server to disconnect the
//! client (`disconnect_me`), which is what makes `wait()` return.
//!
//! Server events used: `sum(a, b)` acks `a + b`; `disconnect_me()` acks, then disconnects this
//! client.
//! The server: the URL given as the first argument (`examples/server/` has one for Node and
//! one for Python: see the README), else this repository's in-process test server.
//!
//! ```text
//! cargo run --example background_tasks [-- URL]
//! ```

use std::time::Duration;

use socketio::{AsyncClient, Client, Error};

/// `async def my_background_task(my_argument)`
async fn my_background_task(sio: AsyncClient, my_argument: i64) -> Result<i64, Error> {
    let mut total = my_argument;
    for i in 1..=3 {
        total = sio.call("sum", (total, i)).await?;
        println!("  async task: + {i} = {total}");
        sio.sleep(Duration::from_millis(100)).await;
    }
    sio.emit("disconnect_me", ()).await?;
    Ok(total)
}

/// `def my_background_task(my_argument)`, for the blocking client.
fn my_blocking_task(sio: Client, my_argument: i64) -> Result<i64, Error> {
    let mut total = my_argument;
    for i in 1..=3 {
        total = sio.call("sum", (total, i))?;
        println!("  thread task: + {i} = {total}");
        sio.sleep(Duration::from_millis(100));
    }
    sio.emit("disconnect_me", ())?;
    Ok(total)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = socketio_suite::example_server()?;

    // AsyncClient: `sio.start_background_task(my_background_task, 123)`
    let sio = AsyncClient::new();
    sio.connect(server.url()).await?;
    let task = sio.start_background_task(my_background_task(sio.clone(), 123));
    println!("AsyncClient: task started; waiting for the connection to end");
    sio.wait().await;
    println!(
        "AsyncClient: wait() returned, the task's result is {}",
        task.await??
    );

    // Client (blocking), on a thread where blocking is allowed.
    let url = server.url().to_owned();
    tokio::task::spawn_blocking(move || -> Result<(), Error> {
        let sio = Client::new();
        sio.connect(&url)?;
        // `sio.start_background_task(my_background_task, 123)`
        let client = sio.clone();
        let task = sio.start_background_task(move || my_blocking_task(client, 123));
        println!("Client: task started; waiting for the connection to end");
        sio.wait();
        let total = task.join().expect("the task does not panic")?;
        println!("Client: wait() returned, the task's result is {total}");
        Ok(())
    })
    .await??;
    Ok(())
}
