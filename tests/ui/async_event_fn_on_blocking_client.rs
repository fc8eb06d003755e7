// An `async` event function works with `AsyncClient` only.
use socketio::{event, Client};

#[event]
async fn message(text: String) {
    drop(text);
}

fn main() {
    let sio = Client::new();
    sio.event(message);
}
