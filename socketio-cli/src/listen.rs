//! `sio listen URL`: every event received, one JSON line each.

use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::Value;
use socketio::{AsyncClient, Payload};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::ListenArgs;
use crate::connect;
use crate::duration;
use crate::error::{CliError, Result};
use crate::json::{self, OutArgs};
use crate::output;

/// What the handler of an event returns: the ack given when the server asked for one
/// (`--ack-reply`'s arguments, or none), and the event's line, sent to the printer when the
/// reply is dropped, after the library queued the ack: so that `--count` never ends the
/// connection between the event and its answer.
struct Reply {
    values: Option<Arc<Vec<Value>>>,
    line: Option<(String, mpsc::UnboundedSender<String>)>,
}

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.values {
            Some(values) => OutArgs(values).serialize(serializer),
            None => serializer.serialize_unit(),
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some((line, lines)) = self.line.take() {
            let _ = lines.send(line);
        }
    }
}

pub async fn run(args: ListenArgs) -> Result<()> {
    connect::check_url(&args.url)?;
    let namespaces = match args.namespaces.is_empty() {
        true => vec!["/".to_owned()],
        false => args.namespaces.clone(),
    };
    let reply = reply_of(args.ack_reply.as_deref())?.map(Arc::new);
    let client = connect::builder(&args.common)?.build();
    let (lines, mut received) = mpsc::unbounded_channel();
    for namespace in &namespaces {
        listen_on(&client, namespace, &args.events, &reply, lines.clone());
    }
    let options = connect::options(&args.common, &namespaces)?;
    client
        .connect_with(&args.url, options)
        .await
        .map_err(|error| CliError::connect(&args.url, error))?;
    eprintln!("listening on {} ({})", args.url, namespaces.join(", "));
    let result = print_until_done(&args, &client, &mut received).await;
    client.disconnect().await;
    result
}

/// `--ack-reply`: an array is several arguments, anything else one.
fn reply_of(text: Option<&str>) -> Result<Option<Vec<Value>>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let values = match json::parse_json(text, "--ack-reply")? {
        Value::Array(items) => items,
        other => vec![other],
    };
    json::check_binary(&values)?;
    Ok(Some(values))
}

/// Sends the line of every event of `namespace` that passes the filter to `lines`.
fn listen_on(
    client: &AsyncClient,
    namespace: &str,
    filter: &[String],
    reply: &Option<Arc<Vec<Value>>>,
    lines: mpsc::UnboundedSender<String>,
) {
    let filter = filter.to_vec();
    let (reply, name) = (reply.clone(), namespace.to_owned());
    client
        .of(namespace)
        .on_any(move |event: String, payload: Payload| {
            if !filter.is_empty() && !filter.contains(&event) {
                return Reply {
                    values: None,
                    line: None,
                };
            }
            let line = json::event_line(&name, &event, json::payload_args(&payload));
            Reply {
                values: reply.clone(),
                line: Some((line, lines.clone())),
            }
        });
}

/// Prints the lines until `--count` events, `--timeout`, Ctrl-C, or the end of the connection.
async fn print_until_done(
    args: &ListenArgs,
    client: &AsyncClient,
    received: &mut mpsc::UnboundedReceiver<String>,
) -> Result<()> {
    let deadline = args.timeout.map(|timeout| Instant::now() + timeout);
    let mut count = 0u64;
    if args.count == Some(0) {
        return Ok(());
    }
    loop {
        tokio::select! {
            biased;
            line = received.recv() => {
                let Some(line) = line else { return Ok(()) };
                count += 1;
                if !output::line(&line) || args.count == Some(count) {
                    return Ok(());
                }
            }
            () = sleep_until(deadline) => return timed_out(args, count),
            _ = tokio::signal::ctrl_c() => return Ok(()),
            () = client.wait() => {
                while let Ok(line) = received.try_recv() {
                    output::line(&line);
                }
                return Err(CliError::new(format!("disconnected from {} by the server", args.url)));
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The end of `--timeout`: normal, unless `--count` events were expected.
fn timed_out(args: &ListenArgs, count: u64) -> Result<()> {
    match (args.count, args.timeout) {
        (Some(expected), Some(timeout)) => Err(CliError::new(format!(
            "timed out after {}: {count} of {expected} events received",
            duration::show(timeout)
        ))),
        _ => Ok(()),
    }
}
