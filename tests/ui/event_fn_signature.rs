// An event function receives the event's arguments only, by value, and is not generic;
// #[event] goes on functions.
use socketio::{event, AsyncSocket};

#[event]
async fn with_socket(socket: AsyncSocket, text: String) {
    let _ = (socket, text);
}

#[event]
fn generic<T: serde::de::DeserializeOwned>(value: T) {
    let _ = value;
}

#[event]
fn borrowed(text: &str) {
    let _ = text;
}

#[event]
struct NotAFunction;

fn main() {}
