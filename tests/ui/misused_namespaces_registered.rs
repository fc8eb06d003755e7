// Several misused namespaces, registered with both clients: each misuse is reported at
// its cause, once, and nothing where they are registered.
use socketio::{event, namespace, AsyncClient, Client};

// Two misuses, one of them a conflict of clients: the fallback is for either client.
struct Admin;

#[namespace("/admin")]
impl Admin {
    #[event]
    async fn on_connect(&self, socket: socketio::Socket) {
        let _ = socket;
    }

    #[event]
    fn on_kick(&mut self, who: String) {
        let _ = who;
    }
}

// Generic, without the bounds a namespace needs: reported at the generics only.
struct Room<T> {
    db: T,
}

#[namespace("/room")]
impl<T> Room<T> {
    #[event]
    fn on_join(&self, name: String) {
        let _ = (&self.db, name);
    }
}

fn main() {
    let sio = AsyncClient::new();
    sio.register_namespace(Admin);
    sio.register_namespace(Room { db: 1_u8 });

    let blocking = Client::new();
    blocking.register_namespace(Admin);
    blocking.register_namespace(Room { db: 1_u8 });
}
