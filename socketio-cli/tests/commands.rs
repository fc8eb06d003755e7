//! The `sio` binary against the Node socket.io 4.8.4 peer: `listen` and `emit` between two
//! processes, `--ack`, a namespace with `--auth` / `--auth-cmd`, binary arguments, `repl`
//! driven through standard input, and `bench` with 200 clients.

mod common;

use common::{node, run, run_with_input, sio, Listener};
use serde_json::{json, Value};

#[test]
fn listen_prints_what_emit_sends_from_another_process() {
    let Some(peer) = node() else { return };
    let url = peer.url();
    let listener = Listener::start(&url, &["--count", "2", "--timeout", "30s"]);
    // `relay` (event, args…) sends `event` to the other sockets of the namespace.
    let sent = run(sio(&[
        "emit",
        &url,
        "relay",
        "message",
        "hello",
        r#"{"n": 1}"#,
        "-3",
        "[true, null]",
    ]));
    assert_eq!(
        (sent.code(), sent.stdout.as_str(), sent.stderr.as_str()),
        (0, "", "")
    );
    let raw = listener.next_line();
    // The keys in the documented order: time, namespace, event, args.
    assert!(raw.starts_with(r#"{"time":""#), "{raw}");
    assert!(
        raw.contains(r#"","namespace":"/","event":"message","args":["#),
        "{raw}"
    );
    let line: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(line["namespace"], "/");
    assert_eq!(line["event"], "message");
    assert_eq!(line["args"], json!(["hello", {"n": 1}, -3, [true, null]]));
    let time = line["time"].as_str().expect("a time");
    assert!(
        time.ends_with('Z') && time.len() == "2026-01-01T00:00:00.000Z".len(),
        "{time}"
    );
    assert_eq!(line.as_object().unwrap().len(), 4);

    // Binary arguments both ways: {"$binary": base64}.
    let sent = run(sio(&[
        "emit",
        &url,
        "relay",
        "message",
        r#"{"$binary": "AAEC/w=="}"#,
        r#"{"nested": [{"$binary": ""}]}"#,
    ]));
    assert_eq!(sent.code(), 0, "{sent:?}");
    let line = listener.next();
    assert_eq!(
        line["args"],
        json!([{"$binary": "AAEC/w=="}, {"nested": [{"$binary": ""}]}])
    );
    // --count 2: done.
    let done = listener.finish();
    assert_eq!(done.code(), 0, "{done:?}");
}

#[test]
fn listen_filters_events_namespaces_and_answers_acks_with_ack_reply() {
    let Some(peer) = node() else { return };
    let url = peer.url();
    let args = [
        "-n",
        "/chat",
        "-n",
        "/news",
        "--event",
        "wanted",
        "--count",
        "2",
        "--timeout",
        "30s",
    ];
    let listener = Listener::start(&url, &args);
    // With --ack, the emit returns once the relay was answered: the order is kept.
    for (namespace, event) in [
        ("/chat", "unwanted"),
        ("/", "wanted"),
        ("/chat", "wanted"),
        ("/news", "wanted"),
    ] {
        let sent = run(sio(&[
            "emit", &url, "-n", namespace, "relay", event, namespace, "--ack",
        ]));
        assert_eq!(sent.code(), 0, "{sent:?}");
    }
    let first = listener.next();
    assert_eq!(
        (first["namespace"].as_str(), first["event"].as_str()),
        (Some("/chat"), Some("wanted"))
    );
    assert_eq!(first["args"], json!(["/chat"]));
    let second = listener.next();
    assert_eq!(
        (second["namespace"].as_str(), second["args"][0].as_str()),
        (Some("/news"), Some("/news"))
    );
    let done = listener.finish();
    assert_eq!(done.code(), 0, "{done:?}");

    // --ack-reply: the listener answers the server's question with it (the relay acks the
    // first argument of each answer).
    let reply = r#"[{"ok": true, "data": {"$binary": "CQ=="}}, "second"]"#;
    let listener = Listener::start(
        &url,
        &["--ack-reply", reply, "--count", "1", "--timeout", "30s"],
    );
    let asked = run(sio(&["emit", &url, "relay", "question", "42", "--ack"]));
    assert_eq!(
        asked.stdout, "[[{\"data\":{\"$binary\":\"CQ==\"},\"ok\":true}]]\n",
        "{asked:?}"
    );
    assert_eq!(listener.next()["args"], json!([42]));
    assert_eq!(listener.finish().code(), 0);
}

#[test]
fn emit_ack_prints_the_reply_and_times_out_with_status_1() {
    let Some(peer) = node() else { return };
    let url = peer.url();
    let sum = run(sio(&["emit", &url, "sum", "2", "3", "--ack"]));
    assert_eq!(
        (sum.code(), sum.stdout.as_str(), sum.stderr.as_str()),
        (0, "[5]\n", "")
    );
    let echo = run(sio(&[
        "emit",
        &url,
        "echo",
        "word",
        r#""two words""#,
        r#"{"a": [1.5]}"#,
        "--ack",
        "--transport",
        "websocket",
    ]));
    assert_eq!(
        echo.stdout, "[\"word\",\"two words\",{\"a\":[1.5]}]\n",
        "{echo:?}"
    );
    let binary = run(sio(&[
        "emit",
        &url,
        "binary",
        "--ack",
        "--transport",
        "polling",
    ]));
    assert_eq!(binary.stdout, "[{\"$binary\":\"CQk=\"}]\n", "{binary:?}");
    // The server never answers `nothing`.
    let silent = run(sio(&[
        "emit",
        &url,
        "nothing",
        "--ack",
        "--timeout",
        "300ms",
    ]));
    silent.assert_error(1, "no ack for 'nothing' within 300ms");
}

/// `sio emit URL -n NAMESPACE ARGS… EVENT --ack`: the reply's lines.
fn ask(url: &str, namespace: &str, args: &[&str]) -> common::Run {
    let mut command = sio(&["emit", url, "-n", namespace, "--ack"]);
    command.args(args);
    run(command)
}

#[test]
fn a_namespace_with_auth() {
    let Some(peer) = node() else { return };
    let url = peer.url();
    // `/once` accepts each token once; `handshake` acks what the server saw.
    let seen = ask(
        &url,
        "/once",
        &["--auth", r#"{"token": "a1"}"#, "handshake"],
    );
    assert_eq!(seen.code(), 0, "{seen:?}");
    let reply = &seen.stdout_lines()[0][0];
    assert_eq!(
        (reply["namespace"].clone(), reply["auth"].clone()),
        (json!("/once"), json!({"token": "a1"}))
    );
    ask(
        &url,
        "/once",
        &["--auth", r#"{"token": "a1"}"#, "handshake"],
    )
    .assert_error(1, "the server refused namespace /once: token already used");
    let tokens = ask(
        &url,
        "/once",
        &["--auth", r#"{"token": "b"}"#, "once_tokens"],
    );
    assert_eq!(tokens.stdout_lines()[0], json!([["auth:a1", "auth:b"]]));
}

#[test]
fn auth_cmd_runs_before_every_connection_attempt() {
    let Some(peer) = node() else { return };
    let url = peer.url();
    // A counter in a file makes each token new.
    let dir = std::env::temp_dir().join(format!("sio-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let command = format!(
        "n=$(cat {0} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {0}; echo '{{\"token\": \"cmd-'$n'\"}}'",
        dir.join("n").display()
    );
    // The first connection of the listener uses cmd-1; the server restarts (forgetting
    // every token), and each reconnection attempt runs the command again.
    let listener = Listener::start(&url, &["-n", "/once", "--auth-cmd", &command]);
    let tokens = |n: u32| {
        let token = format!(r#"{{"token": "probe-{n}"}}"#);
        ask(&url, "/once", &["--auth", &token, "once_tokens"]).stdout_lines()[0][0].clone()
    };
    assert_eq!(tokens(1), json!(["auth:cmd-1", "auth:probe-1"]));
    let mut peer = peer;
    peer.restart();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut n = 2;
    let seen = loop {
        let seen = tokens(n);
        let tokens = seen.as_array().unwrap();
        let reconnected = tokens
            .iter()
            .any(|t| t.as_str().is_some_and(|t| t.starts_with("auth:cmd-")));
        if reconnected || std::time::Instant::now() > deadline {
            break seen;
        }
        n += 1;
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    // The new server saw a later token (cmd-2, or cmd-3… when attempts failed while it was
    // starting), never cmd-1, which it would have accepted as well.
    let seen: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    let token = seen
        .iter()
        .find(|t| t.starts_with("auth:cmd-"))
        .expect("reconnected");
    let n: u32 = token["auth:cmd-".len()..].parse().unwrap();
    assert!(n >= 2 && !seen.contains(&"auth:cmd-1"), "{seen:?}");
    drop(listener);
    let _ = std::fs::remove_dir_all(dir);

    let failing = ask(&url, "/once", &["--auth-cmd", "echo not-json", "handshake"]);
    failing.assert_error(
        1,
        &format!(
            "cannot connect to {url}: connection failed: auth source failed: \
             --auth-cmd did not print JSON (expected ident at line 1 column 2)"
        ),
    );
    ask(&url, "/once", &["--auth-cmd", "exit 3", "handshake"]).assert_error(
        1,
        &format!("cannot connect to {url}: connection failed: auth source failed: --auth-cmd failed (exit status: 3)"),
    );
}

#[test]
fn repl_from_a_script_prints_only_json_lines() {
    let Some(peer) = node() else { return };
    let url = peer.url();
    let script = "emit echo 1 \"two words\" {\"k\": [1, 2]}\n\
                  call sum 2 40\n\
                  # a comment\n\
                  ns /chat\n\
                  call binary\n\
                  quit\n\
                  emit echo never\n";
    let out = run_with_input(sio(&["repl", &url]), script);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "{out:?}");
    let lines = out.stdout_lines();
    let summary: Vec<(Value, Value, Value)> = lines
        .iter()
        .map(|l| {
            (
                l["namespace"].clone(),
                l.get("event").or(l.get("ack")).cloned().unwrap(),
                l["args"].clone(),
            )
        })
        .collect();
    // Events and acks in the order they came: the echo's event before the sum's ack, the
    // binary event before the binary ack (the server emits, then acks).
    assert_eq!(
        summary,
        vec![
            (
                json!("/"),
                json!("echo"),
                json!([1, "two words", {"k": [1, 2]}])
            ),
            (json!("/"), json!("sum"), json!([42])),
            (
                json!("/chat"),
                json!("binary"),
                json!([{"$binary": "AQID"}, {"list": [{"$binary": "Bw=="}], "nested": {"data": {"$binary": "BAUG"}}, "text": "hi"}])
            ),
            (
                json!("/chat"),
                json!("binary"),
                json!([{"$binary": "CQk="}])
            ),
        ]
    );
    assert!(lines[1].get("ack").is_some() && lines[3].get("ack").is_some());

    // A failed command is said on standard error, the others still run, and the status is 1.
    let out = run_with_input(
        sio(&["repl", &url]),
        "bogus\ncall sum 1 {\"a\":\ncall sum 1 1\n",
    );
    assert_eq!(out.code(), 1, "{out:?}");
    assert_eq!(out.stdout_lines().len(), 1);
    assert_eq!(
        out.stderr.lines().collect::<Vec<_>>(),
        [
            "error: unknown command 'bogus' (emit, call, ns, quit)",
            "error: argument 2 is not valid JSON (EOF while parsing a value at line 1 column 5): {\"a\":",
            "error: 2 command(s) failed",
        ]
    );
}

#[test]
fn bench_with_200_clients_reports_counts_that_add_up() {
    let Some(peer) = node() else { return };
    let url = peer.url();
    let out = run(sio(&[
        "bench",
        &url,
        "--clients",
        "200",
        "--ramp",
        "400",
        "--rate",
        "4",
        "--duration",
        "2s",
        "--ack",
        "--event",
        "sum",
        "--payload",
        "1",
        "--json",
    ]));
    assert_eq!(out.code(), 0, "{out:?}");
    let lines = out.stdout_lines();
    assert_eq!(lines.len(), 1, "{out:?}");
    let report = &lines[0];
    let n = |key: &str| {
        report[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {report}"))
    };
    assert_eq!(
        (n("clients"), n("connected"), n("connect_errors")),
        (200, 200, 0)
    );
    assert_eq!(n("sent"), n("acked") + n("ack_errors"), "{report}");
    assert_eq!(
        n("errors"),
        n("connect_errors") + n("emit_errors") + n("ack_errors")
    );
    assert_eq!((n("errors"), n("disconnects")), (0, 0), "{report}");
    // 200 clients at 4 per second for 2 s: at most 1600 emits, and one per tick at most
    // (fewer on a busy machine: ticks missed are skipped, not made up).
    assert!((1..=1600 + 200).contains(&n("sent")), "{report}");
    let eps = report["events_per_second"].as_f64().unwrap();
    assert!(
        (eps - n("sent") as f64 / report["duration_s"].as_f64().unwrap()).abs() < 1.0,
        "{report}"
    );
    for key in ["connect_ms", "ack_latency_ms"] {
        let q = |p: &str| {
            report[key][p]
                .as_f64()
                .unwrap_or_else(|| panic!("{key}.{p} in {report}"))
        };
        assert!(
            0.0 < q("p50") && q("p50") <= q("p90") && q("p90") <= q("p99") && q("p99") <= q("max"),
            "{report}"
        );
    }
}

#[test]
fn msgpack_binary_and_protocol_options() {
    let options = socketio_suite::peers::PeerOptions {
        parser: Some("msgpack".to_owned()),
        ..Default::default()
    };
    let Some(peer) =
        socketio_suite::peers::Peer::start(socketio_suite::peers::PeerKind::Node, options)
    else {
        return;
    };
    let url = peer.url();
    let args = [
        "emit",
        &url,
        "echo",
        r#"{"$binary": "AQI="}"#,
        "x",
        "--ack",
        "--msgpack",
    ];
    let echo = run(sio(&args));
    assert_eq!(echo.stdout, "[{\"$binary\":\"AQI=\"},\"x\"]\n", "{echo:?}");
    let mut command = sio(&args);
    command.args([
        "--protocol",
        "v4",
        "--transport",
        "websocket",
        "--path",
        "/socket.io/",
    ]);
    assert_eq!(run(command).stdout, echo.stdout);
}
