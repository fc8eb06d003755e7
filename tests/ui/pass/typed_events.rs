// Typed events and requests with both clients; `event` (the attribute) in scope does not
// clash with the `#[event("…")]` of a variant.
use socketio::{event, AsyncClient, Client, Events, Request};

#[derive(Events, Debug, PartialEq)]
#[events(rename_all = "camelCase")]
enum ServerEvent {
    Welcome,
    ChatMessage(String, String),
    UserJoined { name: String, count: u32 },
    #[event("bye now")]
    Bye(Option<String>),
}

#[derive(Events)]
enum Empty {}

#[derive(Request)]
#[request(event = "sum", reply = i64)]
struct Sum(i64, i64);

#[derive(Request)]
#[request(reply = (String, u32))]
struct Whoami {
    verbose: bool,
}

#[event]
fn message(text: String) {
    let _ = text;
}

async fn run(sio: AsyncClient) -> Result<(), socketio::Error> {
    sio.on_events(|event: ServerEvent| async move {
        let _ = event;
    });
    sio.of("/chat").on_events(|event: ServerEvent| event.name().len());
    sio.on_request(|Sum(a, b): Sum| a + b);
    sio.on_request(|Sum(a, b): Sum| async move { a + b });
    sio.on_request(|request: Whoami| (format!("{}", request.verbose), 1));
    sio.event(message);
    sio.emit_event(ServerEvent::Welcome).await?;
    let total: i64 = sio.request(Sum(1, 2)).await?;
    let (name, age) = sio
        .request_timeout(Whoami { verbose: true }, std::time::Duration::from_secs(1))
        .await?;
    let _ = (total, name, age);
    Ok(())
}

fn blocking(sio: Client) -> Result<(), socketio::Error> {
    sio.on_events(|event: ServerEvent| {
        let _ = event;
    });
    sio.on_request(|Sum(a, b): Sum| a + b);
    sio.emit_event(ServerEvent::Bye(None))?;
    let _: i64 = sio.request(Sum(1, 2))?;
    Ok(())
}

fn main() {
    assert_eq!(
        ServerEvent::NAMES,
        ["welcome", "chatMessage", "userJoined", "bye now"]
    );
    assert_eq!(Empty::NAMES.len(), 0);
    assert_eq!(Whoami::EVENT, "whoami");
    let _ = run;
    let _ = blocking;
}
