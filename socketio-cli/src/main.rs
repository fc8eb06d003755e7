//! `sio`: a command-line Socket.IO client and load generator, built on the `socketio` crate.
//!
//! `sio listen`, `sio emit`, `sio repl` and `sio bench`; see `sio --help`. Errors are one line
//! on standard error: exit status 1, or 2 for a command line that cannot be used.

#![forbid(unsafe_code)]

mod bench;
mod bench_report;
mod cli;
mod connect;
mod duration;
mod emit;
mod error;
mod json;
mod listen;
mod output;
mod repl;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::error::CliError;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to standard output with status 0, usage errors to standard
        // error with status 2: clap's own behaviour.
        Err(error) => error.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(CliError::new(format!("cannot start the runtime: {error}"))),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Listen(args) => listen::run(args).await,
            Command::Emit(args) => emit::run(args).await,
            Command::Repl(args) => repl::run(args).await,
            Command::Bench(args) => bench::run(args).await,
        }
    });
    // The clients' tasks are not waited for: everything that mattered was awaited.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

fn fail(error: CliError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(error.status)
}
