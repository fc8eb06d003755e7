// Two methods for one event: the second one is reported.
use socketio::{event, namespace};

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    fn on_message(&self, text: String) {
        drop(text);
    }

    #[event("message")]
    fn message_again(&self, text: String) {
        drop(text);
    }
}

fn main() {}
