//! The task that runs one session: the packets that came with the handshake, then the
//! polling loop (until the upgrade) or the websocket loop, then the one `Closed` event.

mod polling;
mod state;
mod upgrade;
mod websocket;

use std::sync::Arc;

use self::polling::Outcome;
use self::state::Driver;
use super::events::EngineHandler;
use super::open::Start;
use super::options::EngineOptions;
use super::shared::Shared;

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
    let reason = match start {
        Start::Polling(polling, early) => match driver.on_early_packets(early) {
            Some(reason) => reason,
            // Boxed: the polling machinery is not kept in the task once upgraded.
            None => match Box::pin(driver.run_polling(polling)).await {
                Outcome::Upgraded(socket) => driver.run_websocket(socket).await,
                Outcome::Closed(reason) => reason,
            },
        },
        Start::WebSocket(socket, early) => match driver.on_early_packets(early) {
            Some(reason) => reason,
            None => driver.run_websocket(socket).await,
        },
    };
    driver.finish(reason);
}
