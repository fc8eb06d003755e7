// Two variants with one event name: an error at the second; and the other misuses of
// #[derive(Events)], all reported at once.
use socketio::Events;

#[derive(Events)]
enum ServerEvent {
    ChatMessage(String),
    #[event("chat_message")]
    Chat(String),
    #[event("left")]
    UserLeft,
    Left,
}

#[derive(Events)]
#[events(rename_all = "Title Case")]
enum Styled {
    A,
}

#[derive(Events)]
struct NotAnEnum {
    text: String,
}

#[derive(Events)]
enum Generic<T> {
    Value(T),
}

fn main() {
    let _ = ServerEvent::NAMES;
    let _ = NotAnEnum::NAMES;
}
