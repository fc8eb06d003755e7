// An `on_request` handler must return the request's reply type.
use socketio::{AsyncClient, Client, Request};

#[derive(Request)]
#[request(event = "sum", reply = i64)]
struct Sum(i64, i64);

fn main() {
    let sio = AsyncClient::new();
    // A String is not the reply (an i64).
    sio.on_request(|Sum(a, b): Sum| format!("{}", a + b));
    // Nor is a future of one.
    sio.on_request(|Sum(a, b): Sum| async move { (a + b) as u8 });

    let blocking = Client::new();
    blocking.on_request(|Sum(a, b): Sum| a as f64 + b as f64);
}
