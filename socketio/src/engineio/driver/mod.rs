//! The task that runs one session: the packets that came with the handshake, then the
//! polling loop (until the upgrade) or the websocket loop, then the one `Closed` event.

mod polling;
mod state;
mod upgrade;
mod websocket;

use std::sync::Arc;

use self::polling::Outcome;
use self::state::Driver;
use super::events::{CloseReason, EngineHandler};
use super::open::Start;
use super::options::EngineOptions;
use super::shared::Shared;
use super::transport::websocket::WebSocket;

/// Starts the driver of an opened session on a task of the current runtime.
pub(super) fn spawn(
    options: Arc<EngineOptions>,
    shared: Arc<Shared>,
    handler: Box<dyn EngineHandler>,
    start: Start,
) {
    tokio::spawn(run(Driver::new(options, shared, handler), start));
}

async fn run(mut driver: Driver, start: Start) {
    // One call of the websocket loop: each call site would have its own copy of its
    // state in this task's future.
    let reason = match until_websocket(&mut driver, start).await {
        Ok(socket) => driver.run_websocket(socket).await,
        Err(reason) => reason,
    };
    driver.finish(reason);
}

/// The websocket the session goes on with (at once, or once polling upgraded), or why
/// it ended before.
async fn until_websocket(driver: &mut Driver, start: Start) -> Result<Box<WebSocket>, CloseReason> {
    let (polling, early) = match start {
        Start::WebSocket(socket, early) => {
            return match driver.on_early_packets(early) {
                Some(reason) => Err(reason),
                None => Ok(socket),
            }
        }
        Start::Polling(polling, early) => (polling, early),
    };
    if let Some(reason) = driver.on_early_packets(early) {
        return Err(reason);
    }
    // Boxed: the polling machinery is not kept in the task once upgraded.
    match Box::pin(driver.run_polling(polling)).await {
        Outcome::Upgraded(socket) => Ok(socket),
        Outcome::Closed(reason) => Err(reason),
    }
}
