// Event arguments are owned values; a socket may be borrowed, but not mutably.
use socketio::{event, namespace, AsyncSocket};

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    fn on_message(&self, text: &str) {
        let _ = text;
    }

    #[event]
    fn on_hello(&self, socket: &mut AsyncSocket) {
        let _ = socket;
    }
}

fn main() {}
