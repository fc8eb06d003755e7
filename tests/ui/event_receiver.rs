// An event method takes `&self`: every wrong receiver is reported, all at once.
use socketio::{event, namespace};

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    fn on_no_receiver(text: String) {
        drop(text);
    }

    #[event]
    fn on_by_value(self, text: String) {
        drop(text);
    }

    #[event]
    fn on_mutable(&mut self, text: String) {
        drop(text);
    }
}

fn main() {}
