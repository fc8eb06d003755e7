//! `Peer::restart`: every kind of peer comes back on the same port, with a working Engine.IO
//! handshake, even with connections of the previous run still around.

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use socketio_suite::peers::{Peer, PeerKind, PeerOptions};

/// One raw HTTP request: the status code and the body as text.
fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let response = socketio_suite::raw_http::try_request(port, method, path, body.as_bytes())?;
    Ok((
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    ))
}

/// An Engine.IO polling handshake; returns the session id.
fn handshake(peer: &Peer) -> String {
    let (status, body) = http(
        peer.port(),
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        "",
    )
    .unwrap_or_else(|e| panic!("{}: handshake request: {e}", peer.kind()));
    assert_eq!(status, 200, "{}: handshake: {body}", peer.kind());
    assert!(
        body.starts_with("0{"),
        "{}: not an open packet: {body:?}",
        peer.kind()
    );
    let open: serde_json::Value = serde_json::from_str(&body[1..]).expect("open packet JSON");
    open["sid"].as_str().expect("sid").to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn every_peer_restarts_on_the_same_port() {
    for kind in PeerKind::ALL {
        let Some(mut peer) = Peer::start(kind, PeerOptions::default()) else {
            continue;
        };
        let port = peer.port();
        let old_pid = peer.pid();
        let old_sid = handshake(&peer);

        // Leave the old server with connections: a long-poll GET in flight (its socket is closed
        // by the server side, which leaves TIME_WAIT on the server's port) and an idle one.
        let idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let poll_path = format!("/socket.io/?EIO=4&transport=polling&sid={old_sid}");
        let pending = std::thread::spawn(move || http(port, "GET", &poll_path, ""));
        std::thread::sleep(Duration::from_millis(100)); // let the GET reach the server

        for round in 1..=2 {
            let started = Instant::now();
            peer.restart();
            let took = started.elapsed();
            assert_eq!(peer.port(), port, "{kind}: round {round}");
            assert_eq!(peer.url(), format!("http://127.0.0.1:{port}"));
            if kind != PeerKind::Socketioxide {
                assert!(
                    peer.pid().is_some() && peer.pid() != old_pid,
                    "{kind}: new process"
                );
            }
            let sid = handshake(&peer);
            assert_ne!(sid, old_sid, "{kind}: round {round}");
            eprintln!("{kind}: restart {round} on port {port} took {took:?}");
        }

        // The old long-poll ended (socketioxide answers it with its first ping before the
        // restart; the others close it when they stop).
        let pending = pending.join().unwrap();
        eprintln!("{kind}: the old long-poll got {pending:?}");
        drop(idle);
        // The new server does not know the old session.
        let (status, body) = http(
            port,
            "GET",
            &format!("/socket.io/?EIO=4&transport=polling&sid={old_sid}"),
            "",
        )
        .unwrap();
        assert_eq!(status, 400, "{kind}: old sid on the new server: {body}");
    }
}

#[test]
fn a_fixed_port_option_is_used() {
    for kind in PeerKind::ALL {
        let port = free_port();
        let options = PeerOptions {
            port: Some(port),
            ..Default::default()
        };
        let Some(peer) = Peer::start(kind, options) else {
            continue;
        };
        assert_eq!(peer.port(), port, "{kind}");
        assert_eq!(peer.options().port, Some(port), "{kind}");
        handshake(&peer);
    }
}

#[test]
fn restart_waits_for_a_busy_port() {
    for kind in PeerKind::ALL {
        let Some(mut peer) = Peer::start(kind, PeerOptions::default()) else {
            continue;
        };
        let port = peer.port();
        peer.stop();
        // Someone else holds the port for a while.
        let squatter = TcpListener::bind(("127.0.0.1", port)).expect("take the port");
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(700));
            drop(squatter);
        });
        let started = Instant::now();
        peer.restart();
        let took = started.elapsed();
        release.join().unwrap();
        assert!(
            took >= Duration::from_millis(600),
            "{kind}: restarted after {took:?}"
        );
        assert_eq!(peer.port(), port, "{kind}");
        handshake(&peer);
        eprintln!("{kind}: restart on a busy port took {took:?}");
    }
}
