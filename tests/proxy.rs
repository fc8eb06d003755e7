//! HTTP proxies: a real tinyproxy (Debian's package) between the client and a Node
//! socket.io 4.8.4 server, for polling (absolute-form requests) and for the websocket
//! (a CONNECT tunnel); explicit, from the environment, and bypassed by `no_proxy`.
//!
//! One test function: the environment is process-wide.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use socketio::{AsyncClient, AsyncClientBuilder, ConnectOptions, Transport};
use socketio_suite::peers::{peers_required, Peer, PeerKind, PeerOptions};

struct Tinyproxy {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Tinyproxy {
    fn start() -> Option<Tinyproxy> {
        if Command::new("tinyproxy").arg("-v").output().is_err() {
            assert!(
                !peers_required(),
                "tinyproxy is not installed; run tests/peers/install.sh"
            );
            eprintln!("skipping: tinyproxy is not installed (run tests/peers/install.sh)");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("socketio-tinyproxy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // tinyproxy may drop privileges: let it write its log.
        let _ = Command::new("chmod").arg("777").arg(&dir).status();
        let dir = TempDir(dir);
        let log = dir.0.join("log");
        for _ in 0..10 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let config = dir.0.join("tinyproxy.conf");
            std::fs::write(
                &config,
                format!(
                    "Port {port}\nListen 127.0.0.1\nTimeout 600\nAllow 127.0.0.1\n\
                     LogFile \"{}\"\nLogLevel Connect\nMaxClients 200\n",
                    log.display()
                ),
            )
            .unwrap();
            let mut child = Command::new("tinyproxy")
                .arg("-d")
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(Tinyproxy {
                        child,
                        port,
                        log,
                        _dir: dir,
                    });
                }
                if child.try_wait().unwrap().is_some() {
                    break; // the port was taken meanwhile: try another
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("tinyproxy did not start");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

async fn round_trip(builder: AsyncClientBuilder, url: &str, transport: Transport) {
    let sio = builder.reconnection(false).build();
    sio.connect_with(
        url,
        ConnectOptions::new()
            .transports([transport])
            .wait_timeout(Duration::from_secs(10)),
    )
    .await
    .unwrap_or_else(|e| panic!("{transport:?}: {e}"));
    let total: i64 = sio.call("sum", (1, 2)).await.unwrap();
    assert_eq!(total, 3);
    sio.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_and_websocket_go_through_the_proxy() {
    let Some(peer) = Peer::start(PeerKind::Node, PeerOptions::default()) else {
        return;
    };
    let Some(proxy) = Tinyproxy::start() else {
        return;
    };
    let polling_line = format!("GET http://127.0.0.1:{}/socket.io/", peer.port());
    let tunnel_line = format!("CONNECT 127.0.0.1:{}", peer.port());

    // An explicit proxy.
    round_trip(
        AsyncClient::builder().http_proxy(&proxy.url()),
        &peer.url(),
        Transport::Polling,
    )
    .await;
    assert!(proxy.log().contains(&polling_line), "{}", proxy.log());
    round_trip(
        AsyncClient::builder().http_proxy(&proxy.url()),
        &peer.url(),
        Transport::WebSocket,
    )
    .await;
    assert!(proxy.log().contains(&tunnel_line), "{}", proxy.log());

    // The proxy from the environment, for both transports.
    std::fs::write(&proxy.log, "").unwrap();
    std::env::set_var("http_proxy", proxy.url());
    std::env::remove_var("no_proxy");
    std::env::remove_var("NO_PROXY");
    round_trip(AsyncClient::builder(), &peer.url(), Transport::Polling).await;
    round_trip(AsyncClient::builder(), &peer.url(), Transport::WebSocket).await;
    let log = proxy.log();
    assert!(
        log.contains(&polling_line) && log.contains(&tunnel_line),
        "{log}"
    );

    // no_proxy, and the builder's no_proxy(), bypass it.
    std::fs::write(&proxy.log, "").unwrap();
    std::env::set_var("no_proxy", "localhost,127.0.0.1");
    round_trip(AsyncClient::builder(), &peer.url(), Transport::Polling).await;
    round_trip(AsyncClient::builder(), &peer.url(), Transport::WebSocket).await;
    std::env::remove_var("no_proxy");
    round_trip(
        AsyncClient::builder().no_proxy(),
        &peer.url(),
        Transport::WebSocket,
    )
    .await;
    assert!(
        !proxy.log().contains(&format!("127.0.0.1:{}", peer.port())),
        "{}",
        proxy.log()
    );
    std::env::remove_var("http_proxy");
}
