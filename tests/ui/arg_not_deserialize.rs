// A parameter that cannot be deserialized, a return value that cannot be serialized:
// reported at their types.
use socketio::{event, namespace};

struct NotData;

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    fn on_message(&self, data: NotData) {
        let _ = data;
    }

    #[event]
    async fn on_ask(&self) -> NotData {
        NotData
    }
}

fn main() {}

#[event]
fn free_function(data: NotData) {
    let _ = data;
}

/// Synchronous, without a socket: a namespace for both clients, whose types are
/// reported once all the same.
struct Admin;

#[namespace("/admin")]
impl Admin {
    #[event]
    fn on_data(&self, data: NotData) -> NotData {
        data
    }
}
