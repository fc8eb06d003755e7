// An async closure on the blocking client, whose handlers are plain closures.
use socketio::Client;

fn main() {
    let sio = Client::new();
    sio.on("message", |text: String| async move { drop(text) });
}
