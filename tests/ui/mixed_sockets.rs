// A namespace is for one client: `AsyncSocket` and `Socket` do not mix, nor do `async`
// methods and `Socket`.
use socketio::{event, namespace, AsyncSocket, Socket};

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    fn on_connect(&self, socket: AsyncSocket) {
        let _ = socket;
    }

    #[event]
    fn on_message(&self, socket: Socket, text: String) {
        let _ = (socket, text);
    }
}

struct Admin;

#[namespace("/admin")]
impl Admin {
    #[event]
    async fn on_connect(&self) {}

    #[event]
    fn on_message(&self, socket: &Socket) {
        let _ = socket;
    }
}

fn main() {}
