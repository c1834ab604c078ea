//! The usrv side of `bench/compare.sh`: the three routes that the raw hyper
//! and axum baselines in `bench/` answer identically.
//!
//! ```text
//! cargo build --release --example bench
//! USRV_WORKERS=1 target/release/examples/bench 127.0.0.1:5000
//! curl http://127.0.0.1:5000/plaintext     # Hello, World!
//! curl http://127.0.0.1:5000/json          # {"message":"Hello, World!"}
//! curl http://127.0.0.1:5000/user/7/ann    # [7,"ann"]
//! ```
//!
//! `GET /ws` is a WebSocket echo, for `bench/streams.sh`.
//!
//! The address is the first argument, else `USRV_ADDR`, else
//! `127.0.0.1:5000`. `USRV_WORKERS=N` sets the number of runtime worker
//! threads (default: tokio's, one per core). No tracing subscriber is
//! installed: request logging is off, as in the baselines.
use serde::Serialize;
use usrv::ws::{Message as WsMessage, WebSocketUpgrade};
use usrv::{route, Json, Response};

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// `GET /plaintext` → `Hello, World!` (text/plain).
#[route("/plaintext")]
fn plaintext() -> &'static str {
    "Hello, World!"
}

/// `GET /json` → `{"message":"Hello, World!"}` (application/json).
#[route("/json")]
fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

/// `GET /user/7/ann` → `[7,"ann"]`.
#[route("/user/<int:id>/<name>")]
fn user(id: i64, name: String) -> (u16, i64, String) {
    (200, id, name)
}

/// `GET /ws`: a WebSocket that echoes every text and binary message.
#[route("/ws")]
fn ws(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            if let WsMessage::Text(_) | WsMessage::Binary(_) = message {
                if socket.send(message).await.is_err() {
                    break;
                }
            }
        }
    })
}

fn main() -> Result<(), usrv::Error> {
    let addr = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("USRV_ADDR").ok())
        .unwrap_or_else(|| usrv::DEFAULT_ADDR.to_owned());
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(workers) = workers() {
        runtime.worker_threads(workers);
    }
    runtime
        .build()?
        // `bind` + `run`, unlike `.await`, installs no log subscriber.
        .block_on(async { usrv::serve().addr(addr).bind().await?.run().await })
}

/// `USRV_WORKERS`, when set to a positive number.
fn workers() -> Option<usize> {
    let value = std::env::var("USRV_WORKERS").ok()?;
    match value.trim().parse() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            eprintln!("ignoring USRV_WORKERS={value:?}: expected a positive number");
            None
        }
    }
}
