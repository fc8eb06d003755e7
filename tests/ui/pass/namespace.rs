#![deny(warnings)]
// Everything #[namespace] and #[event] accept, and the traits they implement.
use std::sync::Mutex;

use socketio::namespace::{AsyncClientNamespace, AsyncEventFunction, ClientNamespace, EventFunction};
use socketio::{event, namespace, AsyncClient, AsyncSocket, Client, DisconnectReason, Socket};

fn async_only<N: AsyncClientNamespace>() {}
fn blocking_only<N: ClientNamespace>() {}
fn both<N: AsyncClientNamespace + ClientNamespace>() {}

/// Async: an `async` method, an `AsyncSocket` (by value and by reference).
struct Chat {
    log: Mutex<Vec<String>>,
}

#[namespace("/chat")]
impl Chat {
    #[event]
    async fn on_connect(&self, socket: AsyncSocket) {
        socket.emit("hello", ()).await.ok();
    }

    #[event("my message")]
    fn message(&self, text: String, socket: &AsyncSocket) -> (String, usize) {
        let _ = socket.namespace();
        self.log.lock().unwrap().push(text.clone());
        (text, self.len())
    }

    #[socketio::event]
    fn on_disconnect(&self, reason: DisconnectReason) {
        let _ = reason;
    }

    /// A raw identifier: the event "type".
    #[event]
    fn r#type(&self, value: i64) -> Option<i64> {
        Some(value)
    }

    /// Lifetimes, and an opaque return type.
    #[event]
    fn on_lifetimes<'a>(&'a self, items: Vec<std::borrow::Cow<'static, str>>) -> impl serde::Serialize + 'a {
        items.len()
    }

    fn len(&self) -> usize {
        self.log.lock().unwrap().len()
    }
}

/// Blocking: a `Socket`.
struct Room;

#[namespace("/room")]
impl Room {
    #[event]
    fn on_connect(&self, socket: Socket, greeting: Option<String>) {
        socket.emit("hello", greeting).ok();
    }
}

/// Both: synchronous, no socket; the main namespace.
struct Main;

#[namespace]
impl Main {
    #[event]
    fn on_sum(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

/// No event at all.
struct Empty;

#[namespace("/empty")]
impl Empty {}

#[event]
async fn greet(name: String) -> String {
    format!("hello {name}")
}

/// A documented, public, synchronous event function with an explicit name.
#[event("add numbers")]
pub fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {
    async_only::<Chat>();
    blocking_only::<Room>();
    both::<Main>();
    both::<Empty>();
    assert_eq!(<Chat as AsyncClientNamespace>::NAMESPACE, "/chat");
    assert_eq!(<Main as ClientNamespace>::NAMESPACE, "/");
    for event in ["connect", "my message", "disconnect", "type", "lifetimes"] {
        assert!(Chat::handles(event), "{event}");
    }
    assert!(!Chat::handles("on_connect"));
    assert!(!Chat::handles("len"));
    assert!(!<Empty as ClientNamespace>::handles("connect"));
    assert_eq!(<greet as AsyncEventFunction>::NAME, "greet");
    assert_eq!(<add as EventFunction>::NAME, "add numbers");
    assert_eq!(add::call(2, 3), 5);

    let sio = AsyncClient::new();
    sio.register_namespace(Chat { log: Mutex::new(Vec::new()) });
    sio.register_namespace(Main);
    sio.register_namespace(Empty);
    sio.event(greet).event(add);
    let blocking = Client::new();
    blocking.register_namespace(Room);
    blocking.register_namespace(Main);
    blocking.event(add);
}
