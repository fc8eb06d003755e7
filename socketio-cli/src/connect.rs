//! The common options turned into the library's builder and connect options.

use std::process::Stdio;
use std::sync::Arc;

use serde_json::Value;
use socketio::{AsyncClientBuilder, ConnectOptions, Parser, Protocol, Transport};

use crate::cli::{Common, ProtocolArg, TransportArg};
use crate::error::{CliError, Result};
use crate::json;

/// Checks that `url` is an absolute http(s) or ws(s) URL.
pub fn check_url(url: &str) -> Result<()> {
    let parsed = url::Url::parse(url)
        .map_err(|error| CliError::new(format!("invalid URL '{url}': {error}")))?;
    match parsed.scheme() {
        "http" | "https" | "ws" | "wss" => Ok(()),
        scheme => Err(CliError::new(format!(
            "invalid URL '{url}': unsupported scheme '{scheme}' (use http, https, ws or wss)"
        ))),
    }
}

/// The client settings of the common options.
pub fn builder(common: &Common) -> Result<AsyncClientBuilder> {
    let mut builder = socketio::AsyncClient::builder()
        .logger(common.verbose >= 1)
        .engineio_logger(common.verbose >= 2);
    if common.msgpack {
        builder = builder.parser(Parser::MsgPack);
    }
    if let Some(path) = &common.ca {
        let pem = std::fs::read(path).map_err(|error| {
            CliError::new(format!("cannot read --ca {}: {error}", path.display()))
        })?;
        builder = builder.tls_root_certificate_pem(pem);
    }
    if common.insecure {
        builder = builder.ssl_verify(false);
    }
    if let Some(proxy) = &common.proxy {
        url::Url::parse(proxy)
            .map_err(|error| CliError::new(format!("invalid --proxy URL '{proxy}': {error}")))?;
        builder = builder.http_proxy(proxy);
    }
    Ok(builder)
}

/// The connect options of the common options, for `namespaces`.
pub fn options(common: &Common, namespaces: &[String]) -> Result<ConnectOptions> {
    let mut options = ConnectOptions::new()
        .namespaces(namespaces.iter().cloned())
        .socketio_path(common.path.trim_matches('/'))
        .protocol(match common.protocol {
            ProtocolArg::Auto => Protocol::Auto,
            ProtocolArg::V3 => Protocol::V3,
            ProtocolArg::V4 => Protocol::V4,
        });
    for header in &common.headers {
        let (name, value) = header.split_once(':').ok_or_else(|| {
            CliError::new(format!("--header '{header}' is not of the form NAME:VALUE"))
        })?;
        options = options.header(name.trim(), value.trim());
    }
    if let Some(transport) = common.transport {
        options = options.transports([match transport {
            TransportArg::Polling => Transport::Polling,
            TransportArg::Websocket => Transport::WebSocket,
        }]);
    }
    if let Some(auth) = &common.auth {
        let auth = json::parse_json(auth, "--auth")?;
        if !auth.is_object() {
            return Err(CliError::new(format!(
                "--auth must be a JSON object, not {auth}"
            )));
        }
        options = options.auth(auth);
    }
    if let Some(command) = &common.auth_cmd {
        let command: Arc<str> = Arc::from(command.as_str());
        options = options.auth_with(move || run_auth_command(command.clone()));
    }
    Ok(options)
}

/// Runs the `--auth-cmd` command with `sh -c`; its standard output is the auth object.
async fn run_auth_command(command: Arc<str>) -> Result<Value, String> {
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&*command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await
        .map_err(|error| format!("--auth-cmd cannot run: {error}"))?;
    if !output.status.success() {
        return Err(format!("--auth-cmd failed ({})", output.status));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    match serde_json::from_str::<Value>(&text) {
        Ok(value) if value.is_object() => Ok(value),
        Ok(value) => Err(format!("--auth-cmd printed {value}, not a JSON object")),
        Err(error) => Err(format!("--auth-cmd did not print JSON ({error})")),
    }
}
