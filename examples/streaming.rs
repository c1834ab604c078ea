//! Streamed bodies: a download produced while it is sent (any size, flat
//! memory), a file read in chunks, an upload read as it arrives, and
//! server-sent events.
//!
//! ```text
//! cargo run --example streaming
//! curl -o /dev/null http://127.0.0.1:5000/download?size=1073741824   # 1 GiB, generated
//! curl http://127.0.0.1:5000/source | head                            # this file, in chunks
//! curl -T big.iso http://127.0.0.1:5000/upload                        # {"bytes":..,"sha256":".."}
//! curl -N http://127.0.0.1:5000/events                                # ticks and messages
//! curl -X POST 'http://127.0.0.1:5000/say?text=hello'                 # one more event
//! ```
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;
use usrv::sse::{Event, Sse};
use usrv::{route, Body, BodyStream, IntoResponse, Json, Rejection, Response, State};

/// The chunk size of generated downloads.
const CHUNK: usize = 64 * 1024;

/// `size` bytes (default 1 MiB), generated chunk by chunk as the client
/// reads them: the server holds one chunk, whatever the size.
#[route("/download")]
fn download(size: Option<u64>) -> Response {
    let size = size.unwrap_or(1 << 20);
    let chunk = Bytes::from(
        (0..CHUNK)
            .map(|i| b'a' + (i % 26) as u8)
            .collect::<Vec<_>>(),
    );
    let chunks = stream::unfold(size, move |left| {
        let chunk = chunk.clone();
        async move {
            if left == 0 {
                return None;
            }
            let take = left.min(CHUNK as u64);
            Some((
                Ok::<_, std::io::Error>(chunk.slice(..take as usize)),
                left - take,
            ))
        }
    });
    let mut response = Response::new(Body::from_stream_with_length(chunks, size));
    response.headers_mut().insert(
        "content-type",
        usrv::http::HeaderValue::from_static("application/octet-stream"),
    );
    response
}

/// This example's source, read from disk in chunks, with its length.
#[route("/source")]
async fn source() -> Result<Response, Rejection> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/streaming.rs");
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|_| Rejection::not_found("the source is not on this machine"))?;
    let body = Body::from_file(file)
        .await
        .map_err(|_| Rejection::internal("the source cannot be read"))?;
    Ok(Response::new(body))
}

/// An upload of any size up to the stream limit, hashed as it arrives.
#[route("/upload", methods = ["POST", "PUT"])]
async fn upload(mut body: BodyStream) -> Result<Json<serde_json::Value>, Rejection> {
    let mut hash = Sha256::new();
    while let Some(chunk) = body.chunk().await {
        hash.update(chunk?);
    }
    let digest: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Json(json!({"bytes": body.received(), "sha256": digest})))
}

/// What `/say` publishes to every `/events` subscriber.
struct Board(broadcast::Sender<String>);

/// A tick every second, and every message said; a comment every 15 s of
/// silence keeps proxies from closing the stream.
#[route("/events")]
fn events(board: State<Board>) -> Response {
    let ticks = tokio_interval(Duration::from_secs(1))
        .enumerate()
        .map(|(i, ())| Event::default().event("tick").data(i.to_string()));
    let messages = stream::unfold(board.0.subscribe(), |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(text) => return Some((Event::default().event("message").data(text), receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream::select(ticks, messages))
        .keep_alive(Duration::from_secs(15))
        .into_response()
}

/// Only comments: what an idle subscriber costs (`bench/streams.sh`).
#[route("/idle")]
fn idle() -> Response {
    Sse::new(stream::pending::<Event>())
        .keep_alive(Duration::from_secs(15))
        .into_response()
}

#[route("/say", methods = ["POST"])]
fn say(text: String, board: State<Board>) -> (u16, usize) {
    (200, board.0.send(text).unwrap_or(0))
}

/// A stream of `()` every `period`.
fn tokio_interval(period: Duration) -> impl Stream<Item = ()> + Send {
    stream::unfold(tokio::time::interval(period), |mut interval| async move {
        interval.tick().await;
        Some(((), interval))
    })
}

#[tokio::main]
async fn main() -> Result<(), usrv::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "usrv=info".into()),
        )
        .init();
    let (board, _) = broadcast::channel(64);
    usrv::serve()
        .state(Board(board))
        .stream_body_limit(16 << 30)
        .await
}
