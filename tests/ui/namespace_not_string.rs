// The argument of #[namespace(…)] is a string.
use socketio::namespace;

struct Chat;

#[namespace(chat)]
impl Chat {}

struct Admin;

#[namespace(42)]
impl Admin {}

fn main() {}
