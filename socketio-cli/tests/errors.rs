//! Each error a person can meet with `sio`, with its exact message: one line on standard
//! error, exit status 1 (2 for a command line clap cannot read), never a panic.

mod common;

use common::{node, run, sio};
use rcgen::{CertificateParams, KeyPair};
use socketio_suite::peers::{Peer, PeerKind, PeerOptions, PeerTls};

#[test]
fn a_bad_url_is_named() {
    run(sio(&["emit", "localhost:3000", "x"])).assert_error(
        1,
        "invalid URL 'localhost:3000': unsupported scheme 'localhost' (use http, https, ws or wss)",
    );
    run(sio(&["listen", "not a url"]))
        .assert_error(1, "invalid URL 'not a url': relative URL without a base");
    run(sio(&["bench", "ftp://example.com", "--clients", "1"])).assert_error(
        1,
        "invalid URL 'ftp://example.com': unsupported scheme 'ftp' (use http, https, ws or wss)",
    );
}

#[test]
fn an_unreachable_server_is_named() {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = run(sio(&["emit", &url, "x"]));
    let expected = format!(
        "error: cannot connect to {url}: connection failed: error sending request for url \
         ({url}/socket.io/?EIO=4&transport=polling): client error (Connect): tcp connect error: \
         Connection refused (os error 111)\n"
    );
    assert_eq!(
        (out.code(), out.stdout.as_str(), out.stderr.as_str()),
        (1, "", expected.as_str())
    );
}

#[test]
fn a_refused_namespace_shows_the_servers_data() {
    let Some(peer) = node() else { return };
    run(sio(&["emit", &peer.url(), "-n", "/forbidden", "x"])).assert_error(
        1,
        r#"the server refused namespace /forbidden: forbidden (data: {"reason":"not allowed"})"#,
    );
    run(sio(&["listen", &peer.url(), "-n", "/", "-n", "/forbidden"])).assert_error(
        1,
        r#"the server refused namespace /forbidden: forbidden (data: {"reason":"not allowed"})"#,
    );
}

#[test]
fn bad_json_in_an_argument_is_named() {
    // Checked before connecting: no server needed.
    let url = "http://127.0.0.1:9";
    run(sio(&["emit", url, "x", "fine", r#"{"a": }"#])).assert_error(
        1,
        r#"argument 2 is not valid JSON (expected value at line 1 column 7): {"a": }"#,
    );
    run(sio(&["emit", url, "x", "--auth", "{token}"])).assert_error(
        1,
        "--auth is not valid JSON (key must be a string at line 1 column 2): {token}",
    );
    run(sio(&["bench", url, "--payload", "[1,"])).assert_error(
        1,
        "--payload is not valid JSON (EOF while parsing a value at line 1 column 3): [1,",
    );
    run(sio(&["emit", url, "x", r#"{"$binary": "not base64!"}"#]))
        .assert_error(1, "a {\"$binary\": …} argument is not valid base64");
}

#[test]
fn usage_errors_exit_with_status_2() {
    for args in [
        &["emit", "http://127.0.0.1:9", "x", "--timeout", "10"][..],
        &["emit", "http://127.0.0.1:9", "x", "--timeout", "5x"],
        &["listen"],
        &["emit", "http://127.0.0.1:9", "x", "--no-such-option"],
        &[
            "bench",
            "http://127.0.0.1:9",
            "--transport",
            "carrier-pigeon",
        ],
    ] {
        let out = run(sio(args));
        assert_eq!(out.code(), 2, "{args:?}: {out:?}");
        assert!(out.stderr.starts_with("error: "), "{out:?}");
        assert!(!out.stderr.contains("panicked"), "{out:?}");
    }
    let out = run(sio(&["emit", "http://127.0.0.1:9", "x", "--timeout", "5x"]));
    assert!(out.stderr.starts_with("error: invalid value '5x' for '--timeout <D>': unknown unit 'x' in '5x': use ms, s, m or h\n"), "{out:?}");
}

/// The Node peer serving HTTPS with a self-signed certificate for `localhost`, and the
/// certificate's PEM.
fn self_signed_peer() -> Option<(Peer, String)> {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let tls = PeerTls {
        key: key.serialize_pem(),
        cert: cert.pem(),
        ca: None,
        request_cert: false,
    };
    let options = PeerOptions {
        tls: Some(tls),
        ..Default::default()
    };
    Peer::start(PeerKind::Node, options).map(|peer| (peer, cert.pem()))
}

#[test]
fn a_tls_failure_is_named_and_ca_fixes_it() {
    let Some((peer, cert)) = self_signed_peer() else {
        return;
    };
    let url = peer.url();
    let out = run(sio(&["emit", &url, "sum", "1", "2", "--ack"]));
    assert_eq!(out.code(), 1, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with(&format!("error: cannot connect to {url}: ")),
        "{out:?}"
    );
    assert!(
        out.stderr
            .ends_with("(Connect): invalid peer certificate: UnknownIssuer\n"),
        "{out:?}"
    );

    // --ca trusts the certificate; --insecure trusts anything.
    let dir = std::env::temp_dir().join(format!("sio-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, cert).unwrap();
    let trusted = run(sio(&[
        "emit",
        &url,
        "sum",
        "1",
        "2",
        "--ack",
        "--ca",
        ca.to_str().unwrap(),
    ]));
    assert_eq!(
        (trusted.code(), trusted.stdout.as_str()),
        (0, "[3]\n"),
        "{trusted:?}"
    );
    let insecure = run(sio(&[
        "emit",
        &url,
        "sum",
        "1",
        "2",
        "--ack",
        "--insecure",
        "--transport",
        "websocket",
    ]));
    assert_eq!(
        (insecure.code(), insecure.stdout.as_str()),
        (0, "[3]\n"),
        "{insecure:?}"
    );
    run(sio(&[
        "emit",
        &url,
        "x",
        "--ca",
        dir.join("missing.pem").to_str().unwrap(),
    ]))
    .assert_error(
        1,
        &format!(
            "cannot read --ca {}: No such file or directory (os error 2)",
            dir.join("missing.pem").display()
        ),
    );
    let _ = std::fs::remove_dir_all(dir);
}
