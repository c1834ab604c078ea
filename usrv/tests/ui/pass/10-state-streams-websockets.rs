// State, streamed bodies both ways, server-sent events and WebSockets
// compile together on one server, several state types at once.
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use usrv::sse::{Event, Sse};
use usrv::ws::{Message, WebSocketUpgrade};
use usrv::{route, Body, BodyStream, IntoResponse, Rejection, Response, State};

struct Hits(AtomicU64);
struct Name(&'static str);

#[route("/hits")]
fn hits(hits: State<Hits>, name: State<Name>) -> (u16, &'static str, u64) {
    (200, name.0, hits.0.fetch_add(1, Ordering::Relaxed))
}

#[route("/upload", methods = ["POST"])]
async fn upload(mut body: BodyStream, hits: State<Hits>) -> Result<(u16, u64), Rejection> {
    while let Some(chunk) = body.chunk().await {
        hits.0.fetch_add(chunk?.len() as u64, Ordering::Relaxed);
    }
    Ok((200, body.received()))
}

#[route("/echo", methods = ["POST"])]
fn echo(body: BodyStream) -> Response {
    Response::new(Body::from_stream(body.limit(1 << 20)))
}

#[route("/events")]
fn events() -> Response {
    let events = futures_util::stream::iter([Event::default().data("hi")]);
    Sse::new(events).keep_alive(Duration::from_secs(15)).into_response()
}

#[route("/ws", signed)]
fn ws(upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(1 << 16)
        .on_upgrade(|mut socket| async move {
            while let Some(Ok(message)) = socket.recv().await {
                if let Message::Text(text) = message {
                    let _ = socket.send(Message::text(format!("{} back", text.as_str()))).await;
                }
            }
        })
}

fn main() {
    let _ = usrv::serve()
        .state(Hits(AtomicU64::new(0)))
        .state(Name("ui"))
        .stream_body_limit(1 << 30);
}
