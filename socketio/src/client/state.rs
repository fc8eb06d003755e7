//! Where the client is in its life: [`ConnectionState`], published through a watch so
//! that `wait()`, the reconnection loop and the retry worker can wait for a change.

use tokio::sync::watch;

/// Where the client is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Not connected, and not trying to be.
    Disconnected,
    /// `connect()` is opening the connection and its namespaces.
    Connecting,
    /// Connected: at least one namespace is open.
    Connected,
    /// The connection was lost by accident; the client is trying to get it back.
    Reconnecting,
    /// `disconnect()` is closing the connection.
    Disconnecting,
}

/// The client's [`ConnectionState`], and a generation counter that moves whenever a
/// namespace connects (what the retry worker waits for).
pub(crate) struct Lifecycle {
    state: watch::Sender<ConnectionState>,
    /// Made by the first subscriber (the retry worker, only with `retries`): a watch
    /// channel costs ~350 bytes, 3 % of an idle connection, that most clients never use.
    links: std::sync::OnceLock<watch::Sender<u64>>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            state: watch::Sender::new(ConnectionState::Disconnected),
            links: std::sync::OnceLock::new(),
        }
    }
}

impl Lifecycle {
    pub(crate) fn get(&self) -> ConnectionState {
        *self.state.borrow()
    }

    /// Sets the state; returns the one it replaced.
    pub(crate) fn replace(&self, state: ConnectionState) -> ConnectionState {
        self.state.send_replace(state)
    }

    /// Moves from `from` to `to`; false (and nothing changes) when in another state.
    pub(crate) fn advance(&self, from: ConnectionState, to: ConnectionState) -> bool {
        self.state.send_if_modified(|state| {
            let moved = *state == from;
            if moved {
                *state = to;
            }
            moved
        })
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<ConnectionState> {
        self.state.subscribe()
    }

    /// Returns once the client is disconnected for good.
    pub(crate) async fn disconnected(&self) {
        let _ = self
            .subscribe()
            .wait_for(|s| *s == ConnectionState::Disconnected)
            .await;
    }

    /// A namespace connected: wakes whoever waits for one. With no subscriber yet there
    /// is nobody to wake: a subscriber looks for its namespace after subscribing, and the
    /// connection has accepted the namespace before this is called.
    pub(crate) fn namespace_connected(&self) {
        if let Some(links) = self.links.get() {
            links.send_modify(|generation| *generation += 1);
        }
    }

    pub(crate) fn subscribe_links(&self) -> watch::Receiver<u64> {
        self.links.get_or_init(|| watch::Sender::new(0)).subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionState::*;

    #[test]
    fn advance_moves_only_from_the_expected_state() {
        let lifecycle = Lifecycle::default();
        assert!(!lifecycle.advance(Connected, Reconnecting));
        assert_eq!(lifecycle.get(), Disconnected);
        assert_eq!(lifecycle.replace(Connecting), Disconnected);
        assert!(lifecycle.advance(Connecting, Connected));
        assert_eq!(lifecycle.get(), Connected);
    }
}
