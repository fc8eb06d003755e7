// A closure handler whose parameter cannot be deserialized from the event's arguments.
use socketio::{AsyncClient, Client};

struct NotData;

fn main() {
    let sio = AsyncClient::new();
    sio.on("message", |data: NotData| async move { drop(data) });
    sio.emit_with_ack("question", (), |data: NotData| drop(data));

    let sio = Client::new();
    sio.on("message", |data: NotData| drop(data));
}
