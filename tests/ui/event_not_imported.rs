// Like any attribute, `#[event]` must be in scope, inside a #[namespace] impl too.
use socketio::namespace;

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    fn on_message(&self, text: String) {
        drop(text);
    }
}

fn main() {}
