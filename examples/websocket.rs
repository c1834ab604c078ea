//! WebSockets: an echo, and a chat room where every message goes to every
//! member (a page at `/` to try it in a browser).
//!
//! ```text
//! cargo run --example websocket
//! open http://127.0.0.1:5000/              # the chat page
//! websocat ws://127.0.0.1:5000/ws          # echo
//! ```
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast;
use usrv::ws::{Message, WebSocketUpgrade};
use usrv::{route, Response, State};

/// Every text or binary message comes back; pings are answered by the
/// connection itself.
#[route("/ws")]
fn echo(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            if let Message::Text(_) | Message::Binary(_) = message {
                if socket.send(message).await.is_err() {
                    break;
                }
            }
        }
    })
}

/// The chat room: what one member says, every member hears.
struct Room(broadcast::Sender<String>);

#[route("/chat")]
fn chat(upgrade: WebSocketUpgrade, room: State<Room>) -> Response {
    let (room, mut heard) = (room.0.clone(), room.0.subscribe());
    upgrade
        .max_message_size(4096)
        .on_upgrade(|socket| async move {
            let (mut sender, mut receiver) = socket.split();
            // Relay the room to this member, while reading what it says.
            let relay = tokio::spawn(async move {
                while let Ok(text) = heard.recv().await {
                    if sender.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
            });
            while let Some(Ok(message)) = receiver.next().await {
                if let Message::Text(text) = message {
                    let _ = room.send(text.to_string());
                }
            }
            relay.abort();
        })
}

#[route("/")]
fn page() -> Response {
    let mut response = Response::new(usrv::Body::from(PAGE));
    response.headers_mut().insert(
        "content-type",
        usrv::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8"><title>usrv chat</title>
<ul id="log"></ul>
<form id="say"><input id="text" autocomplete="off" autofocus><button>say</button></form>
<script>
const socket = new WebSocket(`ws://${location.host}/chat`);
socket.onmessage = (event) => {
  const item = document.createElement("li");
  item.textContent = event.data;
  document.getElementById("log").append(item);
};
document.getElementById("say").onsubmit = (event) => {
  event.preventDefault();
  const text = document.getElementById("text");
  socket.send(text.value);
  text.value = "";
};
</script>
"#;

#[tokio::main]
async fn main() -> Result<(), usrv::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "usrv=info".into()),
        )
        .init();
    let (room, _) = broadcast::channel(256);
    usrv::serve().state(Room(room)).await
}
