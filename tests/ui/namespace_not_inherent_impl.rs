// #[namespace] goes on an inherent impl block: not on a struct, not on a trait impl.
use socketio::namespace;

#[namespace("/chat")]
struct Chat {
    name: String,
}

struct Admin;

#[namespace("/admin")]
impl Default for Admin {
    fn default() -> Self {
        Admin
    }
}

fn main() {
    let _ = Chat { name: String::new() }.name;
}
