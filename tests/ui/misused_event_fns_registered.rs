// Several misused event functions: each misuse is reported at its cause, once, and
// nothing where they are registered or called.
use socketio::{event, AsyncClient, Client};

#[event(message)]
async fn badly_named(text: String) {
    let _ = text;
}

#[event]
#[event]
fn twice(text: String) {
    let _ = text;
}

fn main() {
    let sio = AsyncClient::new();
    sio.event(badly_named).event(twice);
    sio.of("/chat").event(twice);

    let blocking = Client::new();
    blocking.event(twice);

    drop(badly_named::call(String::new()));
    twice::call(String::new());
}
