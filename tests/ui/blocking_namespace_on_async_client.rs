// A `Socket` parameter makes a namespace for the blocking `Client` only.
use socketio::{event, namespace, AsyncClient, Socket};

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    fn on_connect(&self, socket: Socket) {
        socket.emit("hello", ()).ok();
    }
}

fn main() {
    let sio = AsyncClient::new();
    sio.register_namespace(Chat);
}
