// A namespace path starts with '/'.
use socketio::{event, namespace};

struct Chat;

#[namespace("chat")]
impl Chat {
    #[event]
    fn on_message(&self, text: String) {
        drop(text);
    }
}

fn main() {}
