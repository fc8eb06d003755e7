//! The load benchmarks' client `rust_socketio`: the crates.io crate 0.6 (its async client).
//! See the harness (`src/lib.rs`) for the tests and the command line.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use serde_json::{json, Value};
use socketio_bench::*;
use tokio::sync::{mpsc, Notify, Semaphore};

fn main() {
    main_with("rust_socketio", run);
}

async fn run(a: Args) -> Res<Value> {
    if a.work > 0 {
        return Err("--work does not apply to rust_socketio".into());
    }
    match (a.client.as_str(), a.test.as_str()) {
        ("rust_socketio", "echo") => rsio::echo(&a).await,
        ("rust_socketio", "ack") => rsio::ack(&a).await,
        ("rust_socketio", "idle") => idle(&a, rsio::idle_conn).await,
        ("rust_socketio", "connect") => connect_times(&a, rsio::connect_once).await,
        (c, t) => Err(format!("unknown client/test {c}/{t}").into()),
    }
}

// ---------------------------------------------------------------------------------------------
// rust_socketio 0.6 (async client)

mod rsio {
    use super::*;
    use rust_socketio::asynchronous::{Client, ClientBuilder};
    use rust_socketio::{Event, Payload, TransportType};

    fn builder(url: &str) -> ClientBuilder {
        ClientBuilder::new(url)
            .transport_type(TransportType::Websocket)
            .reconnect(false)
    }

    /// Connects and waits for the server's CONNECT packet (rust_socketio's `connect()` returns
    /// once its own CONNECT is sent; `Event::Connect` fires on the server's).
    async fn connect(b: ClientBuilder) -> Res<Client> {
        let connected = Arc::new(Notify::new());
        let c = connected.clone();
        let client = b
            .on(Event::Connect, move |_p: Payload, _c: Client| {
                let c = c.clone();
                async move { c.notify_one() }.boxed()
            })
            .connect()
            .await?;
        tokio::time::timeout(Duration::from_secs(20), connected.notified())
            .await
            .map_err(|_| "rust_socketio: no CONNECT from the server")?;
        Ok(client)
    }

    pub async fn echo(a: &Args) -> Res<Value> {
        let n = a.n;
        let received = Arc::new(AtomicU64::new(0));
        let window = Arc::new(Semaphore::new(a.window as usize));
        let done = Arc::new(Notify::new());
        let b = {
            let (received, window, done) = (received.clone(), window.clone(), done.clone());
            builder(&a.url).on("echo", move |_p: Payload, _c: Client| {
                window.add_permits(1);
                if received.fetch_add(1, Ordering::Relaxed) + 1 == n {
                    done.notify_one();
                }
                async {}.boxed()
            })
        };
        let client = connect(b).await?;
        let meter = EchoMeter::start();
        for i in 0..n {
            window.acquire().await?.forget();
            client
                .emit("echo", json!({"i": i, "s": "hello world"}))
                .await?;
        }
        done.notified().await;
        let out = meter.result(n, received.load(Ordering::Relaxed));
        let _ = client.disconnect().await;
        Ok(out)
    }

    pub async fn ack(a: &Args) -> Res<Value> {
        let client = connect(builder(&a.url)).await?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Payload>();
        let mut us = Vec::with_capacity(a.n as usize);
        for i in 0..a.warmup + a.n {
            let tx = tx.clone();
            let t = Instant::now();
            client
                .emit_with_ack(
                    "sum",
                    Payload::Text(vec![json!(1), json!(2)]),
                    Duration::from_secs(10),
                    move |p: Payload, _c: Client| {
                        let _ = tx.send(p);
                        async {}.boxed()
                    },
                )
                .await?;
            let reply = rx.recv().await.ok_or("ack channel closed")?;
            let d = t.elapsed();
            // rust_socketio hands the ack's arguments over as one array.
            match reply {
                Payload::Text(v)
                    if v.first() == Some(&json!(3)) || v.first() == Some(&json!([3])) => {}
                other => return Err(format!("unexpected ack {other:?}").into()),
            }
            if i >= a.warmup {
                us.push(d.as_secs_f64() * 1e6);
            }
        }
        let _ = client.disconnect().await;
        Ok(latency_summary(us))
    }

    pub async fn idle_conn(url: String) -> Res<Client> {
        connect(builder(&url)).await
    }

    pub async fn connect_once(url: String) -> Res<Duration> {
        let t = Instant::now();
        let client = connect(builder(&url)).await?;
        let d = t.elapsed();
        let _ = client.disconnect().await;
        Ok(d)
    }
}
