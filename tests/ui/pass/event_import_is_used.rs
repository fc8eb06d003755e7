// `#[namespace]` consumes the `#[event]` attributes of its methods, yet the import of
// `event` counts as used; and the generated code raises no warning.
#![deny(warnings)]

use socketio::{event, namespace, AsyncClient};

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event]
    fn on_message(&self, text: String) {
        drop(text);
    }
}

fn main() {
    AsyncClient::new().register_namespace(Chat);
}
