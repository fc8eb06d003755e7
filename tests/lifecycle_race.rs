//! A transport that closes right after the server's CONNECT, while `connect_with` is still
//! settling: the client must notice the loss and reconnect.
//!
//! The engine may close between the namespace's CONNECT and `connect()` moving the
//! lifecycle from `Connecting` to `Connected` (client/lifecycle.rs). `settle` and
//! `engine_closed` both decide under the connection's lock, so the loss is seen either
//! before (connect() fails, and retries) or after (a reconnection starts). Before that
//! fix, about one round in three here ended with `state()` Connected, `connected()`
//! false and no reconnection, ever.

use std::time::Duration;

use socketio::{AsyncClient, ConnectOptions, Transport};
use socketio_suite::scripted_server::ScriptedServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transport_closed_right_after_connect_is_reconnected() {
    let mut stuck = Vec::new();
    for round in 0..20 {
        let mut server = ScriptedServer::start().await;
        let url = server.url();
        let sio = AsyncClient::builder()
            .reconnection_delay(Duration::from_millis(10))
            .reconnection_delay_max(Duration::from_millis(20))
            .build();
        sio.on("item", |_: u64| {});
        let script = tokio::spawn(async move {
            let mut conn = server.accept().await;
            conn.expect_connect().await;
            conn.send(r#"40{"sid":"s1"}"#).await;
            for i in 0..4 {
                conn.send(&format!(r#"42["item",{i}]"#)).await;
            }
            conn.close().await;
            // The client must come back.
            let again = tokio::time::timeout(Duration::from_secs(1), server.accept()).await;
            again.is_ok()
        });
        let options = ConnectOptions::new().transports([Transport::WebSocket]);
        sio.connect_with(&url, options).await.ok();
        let reconnected = script.await.unwrap();
        if !reconnected {
            stuck.push(format!(
                "round {round}: state {:?}, connected() {}",
                sio.state(),
                sio.connected()
            ));
        }
        sio.disconnect().await;
    }
    assert!(stuck.is_empty(), "never reconnected: {stuck:#?}");
}
