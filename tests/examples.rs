//! Every example in `examples/` runs to completion (exit status 0, within a minute) against the
//! in-process socketioxide server (their default), and against the examples' own servers,
//! `examples/server/node/server.js` and `examples/server/python/server.py`, with the server's URL
//! as their argument. The scripts run on the peers' installs (`tests/peers/install.sh`): the
//! Node one with `NODE_PATH` at `tests/peers/node/node_modules`, the Python one with the
//! interpreter of `tests/peers/python/.venv`.
//!
//! The examples are (re)built first with `cargo build --examples`, so that a lone
//! `cargo test --test examples` runs the current ones.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use socketio_suite::peers::{self, PeerKind};

/// An example that takes longer than this is stuck.
const TIMEOUT: Duration = Duration::from_secs(60);

/// `target/<profile>`: this test runs from `target/<profile>/deps`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps")
        .to_path_buf()
}

/// Builds the examples once per test run; the path of example `name`.
fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let profile_dir = profile_dir();
    BUILT.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--quiet", "--examples", "--manifest-path"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        if let Some(target_dir) = profile_dir.parent() {
            cargo.arg("--target-dir").arg(target_dir);
        }
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("cargo runs");
        assert!(status.success(), "cargo build --examples failed: {status}");
    });
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Runs example `name` (with `url` as its argument, if any) and checks that it exits with 0.
fn run(name: &str, url: Option<&str>) {
    let path = example(name);
    let mut command = Command::new(&path);
    command
        .args(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("the example can be waited for") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("example {name} ({url:?}) still runs after {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().expect("the example's output");
    assert!(
        status.success(),
        "example {name} ({url:?}) failed: {status}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The names of the examples: the `.rs` files of `examples/`.
fn all_examples() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the examples directory")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.strip_suffix(".rs")?;
            Some(name.to_owned())
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_example_runs_against_the_in_process_server() {
    let names = all_examples();
    assert!(
        names.iter().any(|n| n == "chat"),
        "examples found: {names:?}"
    );
    for name in names {
        run(&name, None);
    }
}

/// One of the examples' servers, `examples/server/<kind>/`, on a free port; stopped on drop.
struct ScriptServer {
    child: Child,
    url: String,
}

impl ScriptServer {
    /// Starts the script for `kind` (Node or Python) on the peers' installs; `None` when they
    /// are not installed (a failure when peers are required).
    fn start(kind: PeerKind) -> Option<ScriptServer> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        if !kind.is_installed() {
            assert!(
                !peers::peers_required(),
                "{kind} is not installed: run tests/peers/install.sh"
            );
            eprintln!("skipped: {kind} is not installed (tests/peers/install.sh)");
            return None;
        }
        let mut command = match kind {
            PeerKind::Node => {
                let mut node = Command::new("node");
                node.arg(root.join("examples/server/node/server.js"))
                    .env("NODE_PATH", root.join("tests/peers/node/node_modules"));
                node
            }
            PeerKind::Python => {
                let mut python = Command::new(root.join("tests/peers/python/.venv/bin/python"));
                python.arg(root.join("examples/server/python/server.py"));
                python
            }
            other => panic!("no example server script for {other}"),
        };
        let mut child = command
            .arg("0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {kind} example server: {e}"));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's first line");
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the {kind} example server did not start: {line:?}");
        };
        let url = url.to_owned();
        Some(ScriptServer { child, url })
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_example_runs_against_the_node_and_python_example_servers() {
    for kind in [PeerKind::Node, PeerKind::Python] {
        let Some(server) = ScriptServer::start(kind) else {
            continue;
        };
        for name in all_examples() {
            let started = Instant::now();
            run(&name, Some(&server.url));
            eprintln!("{kind} {name}: {:?}", started.elapsed());
        }
    }
}
