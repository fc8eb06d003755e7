//! The command line: subcommands and options (clap's derive API).

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::parse_duration;

/// A command-line Socket.IO client and load generator.
#[derive(Debug, Parser)]
#[command(name = "sio", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect and print every event received, one JSON line each.
    Listen(ListenArgs),
    /// Emit one event (each ARG is JSON; a bare word is a string).
    Emit(EmitArgs),
    /// Read commands from standard input (emit, call, ns, quit) and print incoming events.
    Repl(ReplArgs),
    /// Open many connections that emit at a steady rate; report latencies and throughput.
    Bench(BenchArgs),
}

/// Options every subcommand takes.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// The auth object sent with each namespace's CONNECT (JSON).
    #[arg(long, value_name = "JSON", conflicts_with = "auth_cmd")]
    pub auth: Option<String>,
    /// A shell command run before every connection attempt; its output (JSON) is the auth object.
    #[arg(long, value_name = "CMD")]
    pub auth_cmd: Option<String>,
    /// An HTTP header for every request and the websocket upgrade (repeatable).
    #[arg(long = "header", short = 'H', value_name = "K:V")]
    pub headers: Vec<String>,
    /// Use only this transport (default: polling, upgraded to websocket).
    #[arg(long, value_enum)]
    pub transport: Option<TransportArg>,
    /// The protocol revision: auto (v4, falling back to v3 for Socket.IO 2 servers), v3 or v4.
    #[arg(long, value_enum, default_value = "auto")]
    pub protocol: ProtocolArg,
    /// The Engine.IO path on the server.
    #[arg(long, value_name = "PATH", default_value = "/socket.io")]
    pub path: String,
    /// Speak the msgpack parser (socket.io-msgpack-parser) instead of JSON.
    #[arg(long)]
    pub msgpack: bool,
    /// Also trust the certificates in this PEM file (a private CA, a self-signed server).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<std::path::PathBuf>,
    /// Accept any server certificate (for tests only).
    #[arg(long)]
    pub insecure: bool,
    /// Go through this HTTP proxy (default: http_proxy / https_proxy from the environment).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// The library's logs on standard error: -v Socket.IO, -vv also Engine.IO.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TransportArg {
    Polling,
    Websocket,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProtocolArg {
    Auto,
    V3,
    V4,
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// The server, e.g. http://localhost:3000
    pub url: String,
    /// A namespace to listen on (repeatable; default /).
    #[arg(long = "namespace", short = 'n', value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Print only this event (repeatable).
    #[arg(long = "event", short = 'e', value_name = "NAME")]
    pub events: Vec<String>,
    /// Stop after N events (exit 1 if --timeout comes first).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after this long (500ms, 10s, 2m).
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Answer events that ask for an ack with this value (JSON; an array is several arguments).
    /// Without it, such an event gets an empty ack (as from python-socketio's client).
    #[arg(long, value_name = "JSON")]
    pub ack_reply: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct EmitArgs {
    /// The server, e.g. http://localhost:3000
    pub url: String,
    /// The event's name.
    pub event: String,
    /// The arguments: JSON each, a bare word is a string; {"$binary": "<base64>"} is binary.
    #[arg(allow_negative_numbers = true)]
    pub args: Vec<String>,
    /// The namespace (default /).
    #[arg(long, short = 'n', value_name = "NS", default_value = "/")]
    pub namespace: String,
    /// Wait for the server's ack and print its arguments as one JSON array.
    #[arg(long)]
    pub ack: bool,
    /// How long to wait for the ack (500ms, 10s, 2m).
    #[arg(long, value_name = "D", value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// Without --ack: how long to stay connected after the emit. A socket.io server drops an
    /// event that arrives together with the disconnection, and an emit made while the
    /// connection moves to websocket waits for the move (socket.io's server: up to 100 ms).
    #[arg(long, value_name = "D", value_parser = parse_duration, default_value = "250ms")]
    pub linger: Duration,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct ReplArgs {
    /// The server, e.g. http://localhost:3000
    pub url: String,
    /// The namespace to start in (default /).
    #[arg(long, short = 'n', value_name = "NS", default_value = "/")]
    pub namespace: String,
    /// How long `call` waits for the ack (500ms, 10s, 2m).
    #[arg(long, value_name = "D", value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The server, e.g. http://localhost:3000
    pub url: String,
    /// How many connections.
    #[arg(long, short = 'c', value_name = "N", default_value_t = 100)]
    pub clients: u32,
    /// How many connections are opened per second.
    #[arg(long, value_name = "R", default_value_t = 500.0)]
    pub ramp: f64,
    /// The event each client emits.
    #[arg(long, short = 'e', value_name = "NAME", default_value = "echo")]
    pub event: String,
    /// The event's one argument (JSON).
    #[arg(long, value_name = "JSON", default_value = "\"hello\"")]
    pub payload: String,
    /// Events per second per client.
    #[arg(long, value_name = "R", default_value_t = 1.0)]
    pub rate: f64,
    /// How long the clients emit, once all are connected (500ms, 10s, 2m).
    #[arg(long, short = 'd', value_name = "D", value_parser = parse_duration, default_value = "10s")]
    pub duration: Duration,
    /// Ask for an ack with every emit and measure its latency.
    #[arg(long)]
    pub ack: bool,
    /// How long an ack, or a namespace's connection, may take before it counts as an error.
    #[arg(long, value_name = "D", value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// The namespace (default /).
    #[arg(long, short = 'n', value_name = "NS", default_value = "/")]
    pub namespace: String,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: Common,
}
