// A borrowed parameter: the event's arguments are deserialized into owned values.
use socketio::{AsyncClient, Client};

fn main() {
    let sio = AsyncClient::new();
    sio.on("message", |text: &str| println!("{text}"));

    let sio = Client::new();
    sio.on("message", |text: &str| println!("{text}"));
}
