// An `async` method makes a namespace for `AsyncClient` only.
use socketio::{event, namespace, Client};

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    async fn on_message(&self, text: String) {
        drop(text);
    }
}

fn main() {
    let sio = Client::new();
    sio.register_namespace(Chat);
}
