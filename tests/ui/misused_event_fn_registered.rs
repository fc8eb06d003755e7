// An event function with a misuse is reported at the misuse only: it is still the unit
// struct with the event-function traits (registering nothing), so `.event(…)` and
// `::call` add no second error.
use socketio::{event, AsyncClient, Client};

#[event]
fn borrowed(text: &str) {
    let _ = text;
}

fn main() {
    let sio = AsyncClient::new();
    sio.event(borrowed);
    sio.of("/chat").event(borrowed);

    let blocking = Client::new();
    blocking.event(borrowed);

    borrowed::call("direct");
}
