//! The load benchmarks' client `ours`: this repository's `socketio::AsyncClient`.
//! See the harness (`src/lib.rs`) for the tests and the command line.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use serde_json::{json, Value};
use socketio_bench::*;
use tokio::sync::{Notify, Semaphore};

fn main() {
    main_with("ours|ours_typed|ours_reply", run);
}

async fn run(a: Args) -> Res<Value> {
    if a.work > 0 && !(a.test == "echo" && a.client == "ours_reply") {
        return Err("--work applies to the echo of ours_reply only".into());
    }
    match (a.client.as_str(), a.test.as_str()) {
        ("ours", "echo") => ours::echo(&a).await,
        ("ours_typed", "echo") => ours::echo_typed(&a).await,
        ("ours_reply", "echo") => ours::echo_reply(&a).await,
        ("ours", "ack") => ours::ack(&a).await,
        ("ours", "idle") => idle(&a, ours::idle_conn).await,
        ("ours", "connect") => connect_times(&a, ours::connect_once).await,
        (c, t) => Err(format!("unknown client/test {c}/{t}").into()),
    }
}

// ---------------------------------------------------------------------------------------------
// This repository's client

mod ours {
    use super::*;
    use socketio::{AsyncClient, ConnectOptions, Transport};

    fn options() -> ConnectOptions {
        ConnectOptions::new().transports([Transport::WebSocket])
    }

    /// `echo` with `serde_json::Value` in and out, as rust_socketio's handlers get them.
    pub async fn echo(a: &Args) -> Res<Value> {
        echo_with::<Value, _>(a, |i| json!({"i": i, "s": "hello world"})).await
    }

    #[derive(serde::Serialize)]
    struct MsgOut<'a> {
        i: u64,
        s: &'a str,
    }

    /// Event `i` of the typed echo runs.
    fn typed_message(i: u64) -> MsgOut<'static> {
        MsgOut {
            i,
            s: "hello world",
        }
    }

    #[derive(serde::Deserialize)]
    struct MsgIn {
        #[allow(dead_code)]
        i: u64,
        #[allow(dead_code)]
        s: String,
    }

    /// `echo` with the application's own types: a struct emitted, a struct received (what the
    /// library costs when the user's types are cheap).
    pub async fn echo_typed(a: &Args) -> Res<Value> {
        echo_with::<MsgIn, _>(a, typed_message).await
    }

    /// `echo` driven by the handler: the first `window` events are emitted up front, then
    /// every received echo emits the next event from the handler (as a bot replies), so the
    /// application's own task sleeps until the end: the reader and the handler task alone.
    /// `--work K` runs K rounds of busy work in the handler before it emits.
    pub async fn echo_reply(a: &Args) -> Res<Value> {
        let n = a.n;
        let sio = AsyncClient::new();
        let (sent, received) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let done = Arc::new(Notify::new());
        {
            let (sent, received, done, reply) =
                (sent.clone(), received.clone(), done.clone(), sio.clone());
            let work = a.work;
            sio.on("echo", move |_: MsgIn| {
                busy_work(work);
                let i = sent.fetch_add(1, Ordering::Relaxed);
                if i < n {
                    // `emit` only queues the packet; its future is ready on the first poll.
                    match reply.emit("echo", typed_message(i)).now_or_never() {
                        Some(Ok(())) => {}
                        Some(Err(e)) => eprintln!("emit failed: {e}"),
                        None => eprintln!("emit did not complete at once"),
                    }
                }
                if received.fetch_add(1, Ordering::Relaxed) + 1 == n {
                    done.notify_one();
                }
            });
        }
        sio.connect_with(&a.url, options()).await?;
        let meter = EchoMeter::start();
        for _ in 0..a.window.min(n) {
            let i = sent.fetch_add(1, Ordering::Relaxed);
            sio.emit("echo", typed_message(i)).await?;
        }
        done.notified().await;
        let out = meter.result(n, received.load(Ordering::Relaxed));
        sio.disconnect().await;
        Ok(out)
    }

    /// The echo loop: `message(i)` emitted for every `i` within the window; each echo is
    /// received (deserialized) as an `In` and frees a window slot.
    async fn echo_with<In, Out>(a: &Args, message: impl Fn(u64) -> Out) -> Res<Value>
    where
        In: serde::de::DeserializeOwned + Send + 'static,
        Out: serde::Serialize,
    {
        let n = a.n;
        let sio = AsyncClient::new();
        let received = Arc::new(AtomicU64::new(0));
        let window = Arc::new(Semaphore::new(a.window as usize));
        let done = Arc::new(Notify::new());
        {
            let (received, window, done) = (received.clone(), window.clone(), done.clone());
            sio.on("echo", move |_: In| {
                window.add_permits(1);
                if received.fetch_add(1, Ordering::Relaxed) + 1 == n {
                    done.notify_one();
                }
            });
        }
        sio.connect_with(&a.url, options()).await?;
        let meter = EchoMeter::start();
        for i in 0..n {
            window.acquire().await?.forget();
            sio.emit("echo", message(i)).await?;
        }
        done.notified().await;
        let out = meter.result(n, received.load(Ordering::Relaxed));
        sio.disconnect().await;
        Ok(out)
    }

    pub async fn ack(a: &Args) -> Res<Value> {
        let sio = AsyncClient::new();
        sio.connect_with(&a.url, options()).await?;
        for _ in 0..a.warmup {
            let r: i64 = sio.call("sum", (1, 2)).await?;
            assert_eq!(r, 3);
        }
        let mut us = Vec::with_capacity(a.n as usize);
        for _ in 0..a.n {
            let t = Instant::now();
            let r: i64 = sio.call("sum", (1, 2)).await?;
            us.push(t.elapsed().as_secs_f64() * 1e6);
            assert_eq!(r, 3);
        }
        sio.disconnect().await;
        Ok(latency_summary(us))
    }

    pub async fn idle_conn(url: String) -> Res<AsyncClient> {
        let sio = AsyncClient::new();
        sio.connect_with(&url, options()).await?;
        Ok(sio)
    }

    pub async fn connect_once(url: String) -> Res<Duration> {
        let sio = AsyncClient::new();
        let t = Instant::now();
        sio.connect_with(&url, options()).await?;
        let d = t.elapsed();
        sio.disconnect().await;
        Ok(d)
    }
}
