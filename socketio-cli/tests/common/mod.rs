//! Running the built `sio` binary in the tests: with a deadline, with standard input, or in
//! the background (a listener whose output lines are read as they come).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use socketio_suite::peers::{Peer, PeerKind, PeerOptions};

/// How long one `sio` run may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(60);

/// The Node socket.io 4.8.4 peer (`None`: not installed, and not required).
pub fn node() -> Option<Peer> {
    Peer::start(PeerKind::Node, PeerOptions::default())
}

pub fn sio(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sio"));
    command.args(args).env_remove("RUST_BACKTRACE");
    command
}

/// What a finished run printed, and its exit status.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The exit code (the process was not killed by a signal).
    pub fn code(&self) -> i32 {
        self.status.code().expect("sio exited by itself")
    }

    pub fn stdout_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
            })
            .collect()
    }

    /// Asserts a failure: `code`, nothing on standard output, and exactly the one line
    /// `error: <message>` on standard error (no panic, no backtrace).
    pub fn assert_error(&self, code: i32, message: &str) {
        assert_eq!(self.code(), code, "{self:?}");
        assert_eq!(self.stdout, "", "{self:?}");
        assert_eq!(self.stderr, format!("error: {message}\n"), "{self:?}");
    }
}

/// Runs `sio` with `stdin` as its standard input, waits for it (at most a minute).
pub fn run_with_input(mut command: Command, stdin: &str) -> Run {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("sio starts");
    let input = stdin.to_owned();
    let mut pipe = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    let stdout = drain(child.stdout.take().expect("piped"));
    let stderr = drain(child.stderr.take().expect("piped"));
    let status = wait(&mut child);
    writer.join().expect("the writer does not panic");
    Run {
        status,
        stdout: stdout.join().expect("the reader does not panic"),
        stderr: stderr.join().expect("the reader does not panic"),
    }
}

/// Runs `sio` with an empty standard input.
pub fn run(command: Command) -> Run {
    run_with_input(command, "")
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sio did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `sio listen` in the background; killed on drop.
pub struct Listener {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Listener {
    /// Starts `sio listen URL ARGS…` and returns once it said it is listening.
    pub fn start(url: &str, args: &[&str]) -> Listener {
        let mut command = sio(&["listen", url]);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("sio starts");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (ready_tx, ready) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped");
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.starts_with("listening on ") {
                    let _ = ready_tx.send(());
                }
                all += &line;
                all.push('\n');
            }
            all
        });
        let listening = ready.recv_timeout(Duration::from_secs(20));
        let listener = Listener {
            child,
            lines,
            stderr,
        };
        if listening.is_err() {
            let run = listener.finish();
            panic!("sio listen did not start: {run:?}");
        }
        listener
    }

    /// The next line on standard output.
    pub fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("sio listen prints a line within 20 s")
    }

    /// The next line on standard output, as JSON.
    pub fn next(&self) -> serde_json::Value {
        let line = self.next_line();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Waits for the listener to end by itself; what else it printed.
    pub fn finish(mut self) -> Run {
        let status = wait(&mut self.child);
        // The reader ends at the end of the output, once the process is gone.
        let stdout = self.lines.iter().collect::<Vec<_>>().join("\n");
        let stderr = std::mem::replace(&mut self.stderr, std::thread::spawn(String::new));
        Run {
            status,
            stdout,
            stderr: stderr.join().expect("the reader does not panic"),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
