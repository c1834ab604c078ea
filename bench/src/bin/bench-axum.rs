//! The axum 0.8 baseline: the routes of `examples/bench.rs`, written the
//! usual axum way, served by `axum::serve` with `TCP_NODELAY`.
//!
//! `USRV_WORKERS=1 bench-axum 127.0.0.1:5002`

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use tokio::net::TcpListener;
use usrv_bench::{Message, HELLO};

async fn plaintext() -> &'static str {
    HELLO
}

async fn json() -> Json<Message> {
    Json(Message { message: HELLO })
}

async fn user(Path((id, name)): Path<(i64, String)>) -> Json<(i64, String)> {
    Json((id, name))
}

/// `GET /ws`: a WebSocket that echoes every text and binary message
/// (`streams.sh`).
async fn ws(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(echo)
}

async fn echo(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        if let WsMessage::Text(_) | WsMessage::Binary(_) = message {
            if socket.send(message).await.is_err() {
                break;
            }
        }
    }
}

fn main() {
    let addr = usrv_bench::addr();
    usrv_bench::runtime().block_on(async move {
        let app = Router::new()
            .route("/plaintext", get(plaintext))
            .route("/json", get(json))
            .route("/user/{id}/{name}", get(user))
            .route("/ws", get(ws));
        let listener = TcpListener::bind(&addr)
            .await
            .unwrap_or_else(|e| panic!("cannot bind {addr}: {e}"))
            .tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
        usrv_bench::until_stopped(async move {
            let _ = axum::serve(listener, app).await;
        })
        .await;
    });
}
