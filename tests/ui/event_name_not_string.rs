// The name given to #[event(…)] is a string.
use socketio::{event, namespace};

struct Chat;

#[namespace("/chat")]
impl Chat {
    #[event(42)]
    fn answer(&self) {}

    #[event(message)]
    fn message(&self) {}
}

#[event(my_event)]
fn free_function() {}

fn main() {}
