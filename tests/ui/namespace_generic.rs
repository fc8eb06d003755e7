// A namespace is one concrete type.
use socketio::{event, namespace};

struct Chat<T> {
    db: T,
}

#[namespace("/chat")]
impl<T: Send + Sync + 'static> Chat<T> {
    #[event]
    fn on_message(&self, text: String) {
        let _ = (&self.db, text);
    }
}

fn main() {}
