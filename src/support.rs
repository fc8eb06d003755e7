//! Small helpers the integration tests share: the usual wait, the usual connect options, a
//! bounded receive and fast reconnection. Tests whose needs differ (a longer wait, a transport,
//! a namespace) keep their own variants.
//!
//! ```no_run
//! use socketio_suite::support::{options, recv, WAIT};
//!
//! # async fn demo() {
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! tx.send(1).unwrap();
//! assert_eq!(recv(&mut rx).await, 1);
//! let _options = options(); // waits WAIT for its namespaces to connect
//! # }
//! ```

use std::time::Duration;

use socketio::{AsyncClient, AsyncClientBuilder, ConnectOptions};
use tokio::sync::mpsc;

/// How long a test waits for something that should happen promptly: a connection, an event,
/// an ack.
pub const WAIT: Duration = Duration::from_secs(10);

/// Connect options that wait up to [`WAIT`] for the namespaces to connect, and are otherwise
/// the defaults.
pub fn options() -> ConnectOptions {
    ConnectOptions::new().wait_timeout(WAIT)
}

/// The next value of `rx`; panics if none comes within [`WAIT`] or the channel is closed.
pub async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("in time")
        .expect("open")
}

/// A client builder with fast reconnection (50 ms first delay, 200 ms at most), so that the
/// reconnection tests stay fast.
pub fn quick() -> AsyncClientBuilder {
    AsyncClient::builder()
        .reconnection_delay(Duration::from_millis(50))
        .reconnection_delay_max(Duration::from_millis(200))
}
