//! `logger(true)` in a process of its own (it installs the global subscriber): `RUST_LOG`
//! decides what is shown when set, and a redirected standard error gets no colour codes.
//! The test runs this binary again with the child test selected.

use std::process::Command;

const CHILD: &str = "SOCKETIO_LOGGING_CHILD";

/// In the child: a client with `logger(true)` tries a port nobody listens on.
#[tokio::test]
async fn child_logs_a_failed_connect() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sio = socketio::AsyncClient::builder().logger(true).build();
    let refused = sio.connect(&format!("http://127.0.0.1:{port}")).await;
    assert!(refused.is_err());
}

/// The child's standard error, with `RUST_LOG` set to `rust_log` (or unset).
fn child_stderr(rust_log: Option<&str>) -> String {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "child_logs_a_failed_connect", "--nocapture"])
        .env(CHILD, "1")
        .env_remove("RUST_LOG");
    if let Some(directives) = rust_log {
        child.env("RUST_LOG", directives);
    }
    let output = child.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn logger_honours_rust_log_and_writes_no_colour_to_a_pipe() {
    // Unset: the socketio target at DEBUG.
    let shown = child_stderr(None);
    assert!(shown.contains("connecting"), "{shown}");
    assert!(!shown.contains('\x1b'), "colour codes in a pipe: {shown:?}");

    // Set: only what it asks for.
    let quiet = child_stderr(Some("socketio=warn"));
    assert!(!quiet.contains("connecting"), "{quiet}");
    let engine = child_stderr(Some("engineio=debug,socketio=off"));
    assert!(!engine.contains("connecting"), "{engine}");
    assert!(!engine.contains('\x1b'), "{engine:?}");
}
