//! TLS against a Node socket.io 4.8.4 HTTPS server with certificates made in the test:
//! a trusted CA on both transports and across the upgrade, an untrusted one refused
//! with an error naming the problem, `ssl_verify(false)`, and mutual TLS.

use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use socketio::{AsyncClient, ConnectOptions, Error, Transport};
use socketio_suite::peers::{Peer, PeerKind, PeerOptions, PeerTls};

struct Pki {
    ca_pem: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "socketio test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, "socketio test client");
    let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();

    Pki {
        ca_pem: ca_cert.pem(),
        server_cert: server_cert.pem(),
        server_key: server_key.serialize_pem(),
        client_cert: client_cert.pem(),
        client_key: client_key.serialize_pem(),
    }
}

fn https_peer(pki: &Pki, mutual: bool) -> Option<Peer> {
    Peer::start(
        PeerKind::Node,
        PeerOptions {
            tls: Some(PeerTls {
                key: pki.server_key.clone(),
                cert: pki.server_cert.clone(),
                ca: mutual.then(|| pki.ca_pem.clone()),
                request_cert: mutual,
            }),
            ..Default::default()
        },
    )
}

fn options(transports: &[Transport]) -> ConnectOptions {
    ConnectOptions::new()
        .transports(transports.to_vec())
        .wait_timeout(Duration::from_secs(10))
}

const TRANSPORTS: [&[Transport]; 3] = [
    &[Transport::Polling],
    &[Transport::WebSocket],
    &[Transport::Polling, Transport::WebSocket],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_ca_works_on_both_transports_and_across_the_upgrade() {
    let pki = pki();
    let Some(peer) = https_peer(&pki, false) else {
        return;
    };
    assert!(peer.url().starts_with("https://"));
    for transports in TRANSPORTS {
        let sio = AsyncClient::builder()
            .tls_root_certificate_pem(&pki.ca_pem)
            .build();
        sio.connect_with(&peer.url(), options(transports))
            .await
            .unwrap_or_else(|e| panic!("{transports:?}: {e}"));
        let total: i64 = sio.call("sum", (20, 22)).await.unwrap();
        assert_eq!(total, 42);
        if transports.len() == 2 {
            for _ in 0..200 {
                if sio.transport() == Some(Transport::WebSocket) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(
                sio.transport(),
                Some(Transport::WebSocket),
                "upgraded to wss"
            );
            let info: serde_json::Value = sio.call("handshake", ()).await.unwrap();
            assert_eq!(info["transport"], "websocket");
        }
        sio.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused_with_a_clear_error() {
    let pki = pki();
    let Some(peer) = https_peer(&pki, false) else {
        return;
    };
    for transports in [&[Transport::Polling][..], &[Transport::WebSocket][..]] {
        let sio = AsyncClient::builder().reconnection(false).build();
        let error = sio
            .connect_with(&peer.url(), options(transports))
            .await
            .expect_err("the CA is not trusted");
        let text = error.to_string();
        assert!(matches!(error, Error::ConnectionFailed(_)), "{error:?}");
        assert!(
            text.contains("invalid peer certificate") && text.contains("UnknownIssuer"),
            "{transports:?}: {text}"
        );
    }
    // python's ssl_verify=False: accepted, with a warning in the log.
    let sio = AsyncClient::builder().ssl_verify(false).build();
    sio.connect_with(&peer.url(), options(&[Transport::WebSocket]))
        .await
        .unwrap();
    let total: i64 = sio.call("sum", (1, 1)).await.unwrap();
    assert_eq!(total, 2);
    sio.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_presents_the_client_certificate() {
    let pki = pki();
    let Some(peer) = https_peer(&pki, true) else {
        return;
    };
    for transports in [&[Transport::Polling][..], &[Transport::WebSocket][..]] {
        let with_cert = AsyncClient::builder()
            .tls_root_certificate_pem(&pki.ca_pem)
            .tls_client_certificate_pem(&pki.client_cert, &pki.client_key)
            .build();
        with_cert
            .connect_with(&peer.url(), options(transports))
            .await
            .unwrap_or_else(|e| panic!("{transports:?}: {e}"));
        let total: i64 = with_cert.call("sum", (2, 2)).await.unwrap();
        assert_eq!(total, 4);
        with_cert.disconnect().await;

        let without = AsyncClient::builder()
            .tls_root_certificate_pem(&pki.ca_pem)
            .reconnection(false)
            .build();
        assert!(without
            .connect_with(&peer.url(), options(transports))
            .await
            .is_err());
    }
}

#[tokio::test]
async fn a_bad_pem_is_a_tls_error_at_connect() {
    let sio = AsyncClient::builder()
        .tls_root_certificate_pem("not a pem")
        .build();
    let error = sio.connect("https://localhost:1").await.unwrap_err();
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
}
