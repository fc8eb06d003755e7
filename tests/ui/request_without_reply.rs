// #[derive(Request)] without `reply`, or on an enum: an error at the type, and no second
// error where the request is sent.
use socketio::Request;

#[derive(Request)]
#[request(event = "sum")]
struct Sum(i64, i64);

#[derive(Request)]
struct Ping;

#[derive(Request)]
#[request(event = "pick", reply = u8)]
enum Pick {
    A,
    B,
}

async fn run(sio: socketio::AsyncClient) -> Result<(), socketio::Error> {
    sio.request(Sum(1, 2)).await?;
    sio.request(Ping).await?;
    Ok(())
}

fn main() {
    let _ = run;
}
