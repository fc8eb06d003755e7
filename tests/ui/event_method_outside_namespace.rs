// #[event] on a method works inside a #[namespace] impl only.
use socketio::event;

struct Chat;

impl Chat {
    #[event]
    fn on_message(&self, text: String) {
        drop(text);
    }
}

fn main() {}
