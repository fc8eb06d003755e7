// A namespace with a misuse is reported at the misuse only: it still implements the
// namespace traits (handling no event), so registering it adds no second error.
use socketio::{event, namespace, AsyncClient, Client};

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    fn on_message(&self, text: &str) {
        let _ = text;
    }
}

fn main() {
    let sio = AsyncClient::new();
    sio.register_namespace(Chat);

    let blocking = Client::new();
    blocking.register_namespace(Chat);
}
