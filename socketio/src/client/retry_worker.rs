//! The retry worker: sends the head of the at-least-once queue until the server acks it
//! or it runs out of tries, then the next. It waits for events (an emit queued, a
//! namespace connected, the state changed), never polls, and holds the client only
//! while it acts, so dropping the client ends it.

use std::sync::{Arc, Weak};

use tokio::sync::oneshot;
use tracing::{debug, warn};

use super::acks::PendingAck;
use super::core::Core;
use super::link::Link;
use super::retry::{Completion, Head, Queued, RetryQueue};
use super::state::ConnectionState;
use crate::args::{encode_event_from_args, Payload};
use crate::error::Error;

/// Whether the head's namespace can be sent to.
enum Ready {
    Link(Link),
    /// The client disconnected for good: the queue fails.
    Disconnected,
    /// The client is gone.
    Gone,
}

pub(crate) async fn run(core: Weak<Core>, queue: Arc<RetryQueue>) {
    while queue.wait().await {
        let Some(namespace) = queue.front_namespace() else {
            continue;
        };
        let link = match ready(&core, &namespace).await {
            Ready::Link(link) => link,
            Ready::Disconnected => {
                queue.fail_all();
                continue;
            }
            Ready::Gone => return,
        };
        let Some(head) = queue.try_front() else {
            continue;
        };
        if !send_and_wait(&core, &queue, link, head).await {
            return;
        }
    }
}

/// Waits until `namespace` is connected, or the client disconnected or is gone.
async fn ready(core: &Weak<Core>, namespace: &str) -> Ready {
    let Some(this) = core.upgrade() else {
        return Ready::Gone;
    };
    let (mut state, mut links) = (this.lifecycle.subscribe(), this.lifecycle.subscribe_links());
    drop(this);
    loop {
        {
            let Some(this) = core.upgrade() else {
                return Ready::Gone;
            };
            let now = *state.borrow_and_update();
            if matches!(
                now,
                ConnectionState::Disconnected | ConnectionState::Disconnecting
            ) {
                return Ready::Disconnected;
            }
            links.borrow_and_update();
            let link = this.connection().link_for(namespace).cloned();
            if let Some(link) = link {
                return Ready::Link(link);
            }
        }
        let changed = tokio::select! {
            changed = state.changed() => changed,
            changed = links.changed() => changed,
        };
        if changed.is_err() {
            return Ready::Gone;
        }
    }
}

/// Sends the head once and waits for its ack; false when the client is gone.
async fn send_and_wait(core: &Weak<Core>, queue: &RetryQueue, link: Link, head: Head) -> bool {
    let Some(this) = core.upgrade() else {
        return false;
    };
    let (tx, rx) = oneshot::channel();
    let ack = PendingAck::Waiter(tx);
    let id = this.connection().acks.register(&head.namespace, ack, true);
    let Head {
        namespace,
        event,
        args,
        tries,
    } = head;
    match encode_event_from_args(&namespace, Some(id), &event, args) {
        Ok(packet) => {
            debug!(target: "socketio", %namespace, %event, id, tries, "sending (at least once)");
            let _ = link.send(packet);
        }
        Err(error) => {
            warn!(target: "socketio", %error, "queued emit does not encode; dropped");
            this.connection().acks.expire(id);
            queue.pop();
            return true;
        }
    }
    let (timeout, retries) = (this.config.ack_timeout, this.config.retries);
    drop(this);
    let outcome = tokio::time::timeout(timeout, rx).await;
    let Some(this) = core.upgrade() else {
        return false;
    };
    match outcome {
        Ok(Ok(Ok(payload))) => complete(&this, queue.pop(), payload),
        // Lost with the connection, or timed out: send again, unless out of tries.
        other => {
            if other.is_err() {
                this.connection().acks.expire(id);
            }
            if tries > retries {
                give_up(queue.pop(), tries);
            }
        }
    }
    true
}

fn complete(core: &Core, queued: Option<Queued>, payload: Payload) {
    match queued.map(|q| q.completion) {
        Some(Completion::Waiter(tx)) => {
            let _ = tx.send(Ok(payload));
        }
        Some(Completion::Callback(handler)) => core.run_callback(handler, payload),
        Some(Completion::Nothing) | None => {}
    }
}

fn give_up(queued: Option<Queued>, tries: u32) {
    let Some(queued) = queued else { return };
    warn!(target: "socketio", namespace = %queued.namespace, event = %queued.event, tries, "no ack after every retry; dropped");
    if let Completion::Waiter(tx) = queued.completion {
        let _ = tx.send(Err(Error::GaveUp {
            attempts: tries,
            last: "no ack".into(),
        }));
    }
}
