// A closure handler whose return value (the ack) cannot be serialized.
use socketio::{AsyncClient, Client};

struct NotData;

fn main() {
    let sio = AsyncClient::new();
    sio.on("question", |text: String| async move {
        drop(text);
        NotData
    });
    sio.on_any(|event: String, _args: socketio::Payload| {
        drop(event);
        NotData
    });

    let sio = Client::new();
    sio.on("question", |text: String| {
        drop(text);
        NotData
    });
}
