//! `sio repl URL`: commands from standard input, one per line; incoming events and call
//! replies on standard output as JSON lines. Prompts and help go to standard error, and only
//! when standard input is a terminal.

use std::collections::HashMap;
use std::io::IsTerminal;

use serde_json::Value;
use socketio::{AsyncClient, Payload};
use tokio::io::AsyncBufReadExt;
use tokio::sync::{mpsc, oneshot};

use crate::cli::ReplArgs;
use crate::connect;
use crate::error::{CliError, Result};
use crate::json::{self, OutArgs};
use crate::output;

const HELP: &str = "commands: emit EVENT ARG…   call EVENT ARG…   ns /NAMESPACE   quit\n\
                    (each ARG is JSON; a bare word is a string)";

/// How many emits wait for a lost connection to come back.
const SEND_BUFFER: usize = 1024;

/// The session: one client per namespace visited, and where output lines go.
struct Repl {
    args: ReplArgs,
    clients: HashMap<String, AsyncClient>,
    current: String,
    lines: mpsc::UnboundedSender<String>,
    interactive: bool,
}

pub async fn run(args: ReplArgs) -> Result<()> {
    connect::check_url(&args.url)?;
    let (lines, mut printed) = mpsc::unbounded_channel::<String>();
    let printer = tokio::spawn(async move {
        while let Some(line) = printed.recv().await {
            if !output::line(&line) {
                break;
            }
        }
    });
    let mut repl = Repl {
        current: args.namespace.clone(),
        args,
        clients: HashMap::new(),
        lines,
        interactive: std::io::stdin().is_terminal(),
    };
    let namespace = repl.current.clone();
    repl.enter(&namespace).await?;
    if repl.interactive {
        eprintln!("connected to {} {namespace}; {HELP}", repl.args.url);
    }
    let failures = repl.read_commands().await;
    for client in repl.clients.values() {
        client.disconnect().await;
    }
    drop(repl);
    let _ = printer.await;
    match failures {
        0 => Ok(()),
        n => Err(CliError::new(format!("{n} command(s) failed"))),
    }
}

impl Repl {
    /// Reads and runs commands until `quit` or the end of the input; how many failed.
    async fn read_commands(&mut self) -> usize {
        let mut input = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        let mut failures = 0;
        loop {
            self.prompt();
            let line = match input.next_line().await {
                Ok(Some(line)) => line,
                Ok(None) => return failures,
                Err(error) => {
                    eprintln!("error: cannot read standard input: {error}");
                    return failures + 1;
                }
            };
            match self.command(line.trim()).await {
                Ok(true) => {}
                Ok(false) => return failures,
                Err(error) => {
                    eprintln!("error: {error}");
                    failures += 1;
                }
            }
        }
    }

    fn prompt(&self) {
        if self.interactive {
            eprint!("{}> ", self.current);
        }
    }

    /// Runs one command; `false` to stop.
    async fn command(&mut self, line: &str) -> Result<bool> {
        let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        match word {
            "" => {}
            _ if word.starts_with('#') => {}
            "quit" | "exit" => return Ok(false),
            "help" => eprintln!("{HELP}"),
            "ns" => self.enter(rest.trim()).await?,
            "emit" | "call" => {
                let (event, rest) = rest
                    .trim()
                    .split_once(char::is_whitespace)
                    .unwrap_or((rest.trim(), ""));
                if event.is_empty() {
                    return Err(CliError::new(format!("usage: {word} EVENT ARG…")));
                }
                let values = json::split_args(rest)?;
                json::check_binary(&values)?;
                self.send(word == "call", event, &values).await?;
            }
            other => {
                return Err(CliError::new(format!(
                    "unknown command '{other}' (emit, call, ns, quit)"
                )))
            }
        }
        Ok(true)
    }

    async fn send(&self, call: bool, event: &str, values: &[Value]) -> Result<()> {
        let socket = self.clients[&self.current].of(&self.current);
        let timeout = self.args.timeout;
        if !call {
            return (socket.emit(event, OutArgs(values)).await)
                .map_err(|error| CliError::emit(event, timeout, error));
        }
        // The answer is printed where the events are handled, so after the events that
        // came before it.
        let (done, answered) = oneshot::channel();
        let (lines, namespace, name) = (self.lines.clone(), self.current.clone(), event.to_owned());
        // A `Payload` reply takes every argument of the ack.
        let on_answer = move |result: std::result::Result<Payload, socketio::Error>| {
            let printed = result.map(|reply| {
                let args = json::payload_args(&reply);
                let _ = lines.send(json::ack_line(&namespace, &name, args));
            });
            let _ = done.send(printed);
        };
        socket
            .emit_with_ack_timeout(event, OutArgs(values), timeout, on_answer)
            .await
            .map_err(|error| CliError::emit(event, timeout, error))?;
        match answered.await {
            Ok(printed) => printed.map_err(|error| CliError::emit(event, timeout, error)),
            Err(_) => Err(CliError::emit(
                event,
                timeout,
                socketio::Error::Disconnected,
            )),
        }
    }

    /// Makes `namespace` the current one, connecting it first if needed (each namespace has
    /// a connection of its own).
    async fn enter(&mut self, namespace: &str) -> Result<()> {
        if !namespace.starts_with('/') {
            return Err(CliError::new(format!(
                "usage: ns /NAMESPACE (a namespace starts with /, not '{namespace}')"
            )));
        }
        if !self.clients.contains_key(namespace) {
            // Commands typed while the connection is lost go out once it is back.
            let client = connect::builder(&self.args.common)?
                .send_buffer(SEND_BUFFER)
                .build();
            let lines = self.lines.clone();
            let name = namespace.to_owned();
            client
                .of(namespace)
                .on_any(move |event: String, payload: Payload| {
                    let _ = lines.send(json::event_line(
                        &name,
                        &event,
                        json::payload_args(&payload),
                    ));
                });
            let options = connect::options(&self.args.common, &[namespace.to_owned()])?;
            client
                .connect_with(&self.args.url, options)
                .await
                .map_err(|error| CliError::connect(&self.args.url, error))?;
            self.clients.insert(namespace.to_owned(), client);
        }
        self.current = namespace.to_owned();
        Ok(())
    }
}
