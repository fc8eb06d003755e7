// #[namespace] on the struct rather than on its impl: reported at the struct only, not
// where the struct is registered.
use socketio::{namespace, AsyncClient};

#[namespace("/chat")]
struct Chat;

fn main() {
    let sio = AsyncClient::new();
    sio.register_namespace(Chat);
}
