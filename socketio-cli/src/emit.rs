//! `sio emit URL EVENT [ARG…]`: one event, and with `--ack` the server's answer.

use serde_json::Value;
use socketio::Payload;

use crate::cli::EmitArgs;
use crate::connect;
use crate::error::{CliError, Result};
use crate::json::{self, OutArgs};
use crate::output;

pub async fn run(args: EmitArgs) -> Result<()> {
    connect::check_url(&args.url)?;
    let values = args
        .args
        .iter()
        .enumerate()
        .map(|(index, text)| json::parse_arg(text, &format!("argument {}", index + 1)))
        .collect::<Result<Vec<Value>>>()?;
    json::check_binary(&values)?;
    let builder = connect::builder(&args.common)?;
    let options = connect::options(&args.common, std::slice::from_ref(&args.namespace))?;
    let client = builder.reconnection(false).build();
    client
        .connect_with(&args.url, options)
        .await
        .map_err(|error| CliError::connect(&args.url, error))?;
    let socket = client.of(&args.namespace);
    let result = if args.ack {
        socket
            // A `Payload` reply takes every argument of the ack.
            .call_timeout::<_, Payload>(&args.event, OutArgs(&values), args.timeout)
            .await
            .map(|reply| {
                output::line(&Value::Array(json::payload_args(&reply)).to_string());
            })
    } else {
        let sent = socket.emit(&args.event, OutArgs(&values)).await;
        // A socket.io server handles an event on the next tick, and drops it when the
        // namespace's DISCONNECT came in the same read; and an emit made during the upgrade
        // to websocket waits for it. The DISCONNECT waits a moment (`--linger`).
        tokio::time::sleep(args.linger).await;
        sent
    };
    client.disconnect().await;
    result.map_err(|error| CliError::emit(&args.event, args.timeout, error))
}
