//! The "faster server" of the load benchmarks: socketioxide 0.18 on one thread (a
//! current-thread tokio runtime, like Node's single event loop), with the same two events as
//! benches/peers/node/server.js: `echo` emits its arguments back as `echo`, `sum(a, b)` acks
//! `a + b`.
//!
//! Usage: `sioxide-server [port]` (0 or absent: an ephemeral port). Listens on 127.0.0.1,
//! prints `LISTENING <port>` on stdout, and exits when stdin reaches EOF or on SIGTERM.
#![forbid(unsafe_code)]

use std::time::Duration;

use hyper_util::rt::TokioIo;
use serde_json::Value;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::SocketIo;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .map(|p| p.parse().expect("port"))
        .unwrap_or(0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(serve(port));
}

async fn serve(port: u16) {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (svc, io) = SocketIo::builder()
        // The benchmark clients keep up to 1,000 events in flight: never drop an echo.
        .max_buffer_size(65_536)
        .ack_timeout(Duration::from_secs(60))
        .build_svc();
    io.ns("/", async |socket: SocketRef| {
        socket.on("echo", async |s: SocketRef, Data(v): Data<Value>| {
            let _ = s.emit("echo", &v);
        });
        socket.on(
            "sum",
            async |Data((a, b)): Data<(i64, i64)>, ack: AckSender| {
                let _ = ack.send(&(a + b));
            },
        );
    });
    println!("LISTENING {port}");

    let mut stdin = tokio::io::stdin();
    let mut sink = [0u8; 64];
    let mut sigterm =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
    loop {
        tokio::select! {
            r = stdin.read(&mut sink) => if matches!(r, Ok(0) | Err(_)) { break },
            _ = sigterm.recv() => break,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let _ = tcp.set_nodelay(true);
                let svc = svc.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), svc)
                        .with_upgrades()
                        .await;
                });
            }
        }
    }
}
