// A variant or request field that cannot be serialized or deserialized: reported at the
// field's type, once for each direction that fails.
use serde::Deserialize;
use socketio::{Events, Request};

struct NotData;

#[derive(Deserialize)]
struct OnlyDeserialize {
    text: String,
}

#[derive(Events)]
enum ServerEvent {
    Fine(String),
    Message(String, NotData),
    Update { id: u32, extra: OnlyDeserialize },
    Blob { data: NotData },
}

#[derive(Request)]
#[request(event = "upload", reply = bool)]
struct Upload(NotData);

#[derive(Request)]
#[request(event = "whoami", reply = NotData)]
struct Whoami;

fn main() {}
