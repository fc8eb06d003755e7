// `emit_event` takes an `Events` enum, not any serializable value.
use serde::Serialize;
use socketio::{AsyncClient, Client};

#[derive(Serialize)]
enum Plain {
    Hello(String),
}

async fn run(sio: AsyncClient) -> Result<(), socketio::Error> {
    sio.emit_event(Plain::Hello("hi".into())).await?;
    Ok(())
}

fn main() {
    let _ = run;
    let blocking = Client::new();
    blocking.emit_event("chat message").unwrap();
}
