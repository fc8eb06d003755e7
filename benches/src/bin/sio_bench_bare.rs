//! The load benchmarks' client `bare`: Engine.IO / Socket.IO spoken by hand on tokio-tungstenite.
//! See the harness (`src/lib.rs`) for the tests and the command line.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use serde_json::Value;
use socketio_bench::*;
use tokio_tungstenite::tungstenite::Message;

fn main() {
    main_with("bare|bare_json", run);
}

async fn run(a: Args) -> Res<Value> {
    if a.work > 0 && a.test != "echo" {
        return Err("--work applies to the echo only".into());
    }
    match (a.client.as_str(), a.test.as_str()) {
        ("bare", "echo") => bare::echo(&a).await,
        ("bare_json", "echo") => bare::echo_json(&a).await,
        ("bare", "ack") => bare::ack(&a).await,
        ("bare", "idle") => idle(&a, bare::idle_conn).await,
        ("bare", "connect") => connect_times(&a, bare::connect_once).await,
        (c, t) => Err(format!("unknown client/test {c}/{t}").into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The bare websocket client: just enough Engine.IO v4 / Socket.IO v5 by hand

mod bare {
    use super::*;
    use tokio::net::TcpStream;
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
    use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

    type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

    /// Websocket handshake, Engine.IO open packet, Socket.IO CONNECT to `/`, the server's CONNECT.
    ///
    /// The transport settings are those of a careful hand-written client, and the same as
    /// `socketio`'s own (so the difference measured is the Socket.IO layer): TCP_NODELAY
    /// (tokio-tungstenite's `connect_async` leaves Nagle on) and a 4 KiB read buffer
    /// (tungstenite zero-fills its 128 KiB default one before every read).
    async fn handshake(url: &str) -> Res<Ws> {
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(ws_url(url), Some(config), true).await?;
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.starts_with('0') => {}
            other => return Err(format!("expected an open packet, got {other:?}").into()),
        }
        ws.send(Message::text("40")).await?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.starts_with("40") => return Ok(ws),
                Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                    ws.send(Message::text("3")).await?
                }
                Some(Ok(_)) => {}
                other => return Err(format!("expected CONNECT, got {other:?}").into()),
            }
        }
    }

    /// The ceiling: pre-encoded frames, and a received frame is only looked at, so the
    /// client does no JSON work at all.
    pub async fn echo(a: &Args) -> Res<Value> {
        let frames: Vec<Message> = (0..a.n)
            .map(|i| Message::text(format!(r#"42["echo",{{"i":{i},"s":"hello world"}}]"#)))
            .collect();
        echo_loop(a, |i| frames[i as usize].clone(), |t| t.starts_with("42")).await
    }

    #[derive(serde::Serialize)]
    struct MsgOut<'a> {
        i: u64,
        s: &'a str,
    }

    #[derive(serde::Deserialize)]
    struct MsgIn<'a> {
        #[allow(dead_code)]
        i: u64,
        #[allow(dead_code)]
        s: &'a str,
    }

    /// The codec floor: the same loop, but every event is encoded from a struct with
    /// serde_json as it is sent, and every received frame is parsed into a struct (borrowing
    /// its strings): the JSON work no Socket.IO client can skip, and nothing else.
    pub async fn echo_json(a: &Args) -> Res<Value> {
        let encode = |i| {
            let mut text = Vec::with_capacity(48);
            text.extend_from_slice(b"42");
            let event = (
                "echo",
                MsgOut {
                    i,
                    s: "hello world",
                },
            );
            serde_json::to_writer(&mut text, &event).expect("serializable");
            Message::text(String::from_utf8(text).expect("serde_json writes UTF-8"))
        };
        let decode = |t: &str| {
            t.strip_prefix("42")
                .and_then(|body| serde_json::from_str::<(&str, MsgIn)>(body).ok())
                .is_some_and(|(event, _)| event == "echo")
        };
        echo_loop(a, encode, decode).await
    }

    /// Keeps `window` events in flight: writes every free slot's frame (feed all, flush once),
    /// then takes every frame already received before writing again. `is_echo` says whether
    /// a text frame is one of the echoes.
    async fn echo_loop(
        a: &Args,
        frame: impl Fn(u64) -> Message,
        is_echo: impl Fn(&str) -> bool,
    ) -> Res<Value> {
        let n = a.n;
        let ws = handshake(&a.url).await?;
        let (mut sink, mut stream) = ws.split();
        let (mut sent, mut got) = (0u64, 0u64);
        let meter = EchoMeter::start();
        while got < n {
            if sent < n && sent - got < a.window {
                while sent < n && sent - got < a.window {
                    sink.feed(frame(sent)).await?;
                    sent += 1;
                }
                sink.flush().await?;
            }
            // Wait for one frame, then take every frame already there before writing again.
            let mut next = Some(stream.next().await);
            while let Some(msg) = next.take() {
                match msg {
                    Some(Ok(Message::Text(t))) => {
                        if is_echo(t.as_str()) {
                            busy_work(a.work);
                            got += 1;
                        } else if t.as_str() == "2" {
                            sink.send(Message::text("3")).await?;
                        }
                    }
                    Some(Ok(_)) => {}
                    other => return Err(format!("connection lost: {other:?}").into()),
                }
                next = stream.next().now_or_never();
            }
        }
        Ok(meter.result(n, got))
    }

    pub async fn ack(a: &Args) -> Res<Value> {
        let mut ws = handshake(&a.url).await?;
        let mut us = Vec::with_capacity(a.n as usize);
        for id in 0..a.warmup + a.n {
            let expect = format!("43{id}[");
            let t = Instant::now();
            ws.send(Message::text(format!(r#"42{id}["sum",1,2]"#)))
                .await?;
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) if t.starts_with(&expect) => break,
                    Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                        ws.send(Message::text("3")).await?
                    }
                    Some(Ok(_)) => {}
                    other => return Err(format!("connection lost: {other:?}").into()),
                }
            }
            if id >= a.warmup {
                us.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        Ok(latency_summary(us))
    }

    /// One connection kept open by a task that answers pings; dropping the guard ends it.
    pub struct Conn(#[allow(dead_code)] tokio::task::JoinHandle<()>);

    pub async fn idle_conn(url: String) -> Res<Conn> {
        let mut ws = handshake(&url).await?;
        Ok(Conn(tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(t) = msg {
                    if t.as_str() == "2" && ws.send(Message::text("3")).await.is_err() {
                        break;
                    }
                }
            }
        })))
    }

    pub async fn connect_once(url: String) -> Res<Duration> {
        let t = Instant::now();
        let mut ws = handshake(&url).await?;
        let d = t.elapsed();
        let _ = ws.close(None).await;
        Ok(d)
    }
}
