//! Framework errors over a real socket: body limits (413, declared or
//! chunked) and handler panics (500 without the panic text, and the server
//! keeps serving, on the same connection too).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use common::{post, req, Chunked, TestServer};
use serde_json::json;
use usrv::{route, Json, Method};

#[route("/upload", methods = ["POST"])]
fn upload(body: Bytes) -> (u16, usize) {
    (200, body.len())
}

#[route("/upload-json", methods = ["POST"])]
fn upload_json(value: Json<serde_json::Value>) -> (u16, usize) {
    (200, value.0.as_str().map_or(0, str::len))
}

/// Reads no body: a large body it never asked for is not its concern.
#[route("/ignore", methods = ["POST"])]
fn ignore() -> (u16, &'static str) {
    (200, "ignored")
}

static PANICS: AtomicUsize = AtomicUsize::new(0);

#[route("/panic")]
fn panic_sync() -> (u16, &'static str) {
    PANICS.fetch_add(1, Ordering::SeqCst);
    panic!("secret sync panic text");
}

#[route("/panic-async")]
async fn panic_async() -> (u16, &'static str) {
    tokio::task::yield_now().await;
    PANICS.fetch_add(1, Ordering::SeqCst);
    panic!("secret async panic text {}", 42);
}

#[route("/panic-blocking", blocking)]
fn panic_blocking() -> (u16, &'static str) {
    PANICS.fetch_add(1, Ordering::SeqCst);
    panic!("secret blocking panic text");
}

#[route("/ok")]
fn ok() -> (u16, &'static str) {
    (200, "ok")
}

const MIB: usize = 1 << 20;

fn octets(len: usize) -> Bytes {
    Bytes::from(vec![b'x'; len])
}

/// A raw POST with a `Content-Length` header and `len` body bytes.
fn raw_post_sized(path: &str, len: usize) -> Vec<u8> {
    let mut bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    )
    .into_bytes();
    bytes.extend(std::iter::repeat_n(b'x', len));
    bytes
}

/// A raw chunked POST of `len` bytes in 16 KiB chunks.
fn raw_post_chunked(path: &str, len: usize) -> Vec<u8> {
    let mut bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    let mut left = len;
    while left > 0 {
        let chunk = left.min(16 * 1024);
        bytes.extend(format!("{chunk:x}\r\n").as_bytes());
        bytes.extend(std::iter::repeat_n(b'x', chunk));
        bytes.extend(b"\r\n");
        left -= chunk;
    }
    bytes.extend(b"0\r\n\r\n");
    bytes
}

#[track_caller]
fn assert_413(raw: &common::Raw, limit: usize) {
    assert_eq!(raw.status(), Some(413), "{}", raw.text());
    let json: serde_json::Value = serde_json::from_slice(raw.body()).expect("a JSON body");
    assert_eq!(json["status"], 413, "{json}");
    let reason = json["error"].as_str().unwrap();
    assert!(reason.contains(&limit.to_string()), "{reason}");
}

#[tokio::test]
async fn the_default_limit_is_one_mebibyte() {
    let server = TestServer::start().await;
    // Exactly the limit is accepted, chunked or not.
    let reply = server
        .send(post("/upload", "application/octet-stream", octets(MIB)))
        .await;
    assert_eq!(reply.json(200), json!(MIB));
    let mut conn = server.connect().await;
    let chunks = (0..16).map(|_| octets(MIB / 16));
    let request = req(Method::POST, "/upload")
        .body(http_body_util::BodyExt::boxed(Chunked::new(chunks)))
        .unwrap();
    assert_eq!(conn.send_body(request).await.json(200), json!(MIB));

    // One byte more is refused, declared or chunked.
    assert_413(&server.raw(&raw_post_sized("/upload", MIB + 1)).await, MIB);
    assert_413(
        &server.raw(&raw_post_chunked("/upload", MIB + 1)).await,
        MIB,
    );
    assert_413(
        &server.raw(&raw_post_chunked("/upload-json", 3 * MIB)).await,
        MIB,
    );
    // And the server still serves.
    assert_eq!(server.get("/ok").await.json(200), json!("ok"));
}

#[tokio::test]
async fn a_configured_limit() {
    let server = TestServer::with(|s| s.body_limit(1024)).await;
    let reply = server
        .send(post("/upload", "application/octet-stream", octets(1024)))
        .await;
    assert_eq!(reply.json(200), json!(1024));
    let reply = server
        .send(post(
            "/upload-json",
            "application/json",
            format!("\"{}\"", "y".repeat(1000)),
        ))
        .await;
    assert_eq!(reply.json(200), json!(1000));

    // Declared too large: refused before the body is read.
    let reply = server
        .send(post("/upload", "application/octet-stream", octets(1025)))
        .await;
    reply.error(413, &["1024"]);
    assert_413(&server.raw(&raw_post_sized("/upload", 1025)).await, 1024);
    assert_413(
        &server.raw(&raw_post_sized("/upload-json", 5000)).await,
        1024,
    );
    // A header that promises 1025 bytes and sends none is still refused at once.
    let head = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n\r\n";
    assert_413(&server.raw(head).await, 1024);

    // Chunked: refused once the limit is crossed.
    assert_413(&server.raw(&raw_post_chunked("/upload", 1025)).await, 1024);
    assert_413(
        &server
            .raw(&raw_post_chunked("/upload-json", 64 * 1024))
            .await,
        1024,
    );
    let mut conn = server.connect().await;
    let chunks = (0..3).map(|_| octets(500));
    let request = req(Method::POST, "/upload")
        .body(http_body_util::BodyExt::boxed(Chunked::new(chunks)))
        .unwrap();
    conn.send_body(request).await.error(413, &["1024"]);

    // A route that reads no body is not bothered by it.
    let reply = server
        .send(post("/ignore", "application/octet-stream", octets(4096)))
        .await;
    assert_eq!(reply.json(200), json!("ignored"));
    assert_eq!(server.get("/ok").await.json(200), json!("ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_500_without_its_text_and_the_server_lives_on() {
    let server = TestServer::start().await;
    let before = PANICS.load(Ordering::SeqCst);
    for (path, secret) in [
        ("/panic", "secret sync"),
        ("/panic-async", "secret async"),
        ("/panic-blocking", "secret blocking"),
    ] {
        let reply = server.get(path).await;
        let reason = reply.error(500, &[]);
        assert!(!reply.text().contains(secret), "{path}: {reason}");
        assert!(!reply.text().contains("panicked at"), "{path}: {reason}");
        assert_eq!(server.get("/ok").await.json(200), json!("ok"));
    }
    assert!(PANICS.load(Ordering::SeqCst) >= before + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_keeps_the_connection_alive() {
    let server = TestServer::start().await;
    let mut conn = server.connect().await;
    for path in ["/panic", "/panic-async", "/panic-blocking"] {
        conn.get(path).await.error(500, &[]);
        assert!(!conn.is_closed());
        assert_eq!(conn.get("/ok").await.json(200), json!("ok"));
    }
    // Many in a row, concurrently on other connections: nothing is poisoned.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            let path = if i % 2 == 0 { "/panic-async" } else { "/ok" };
            let reply =
                common::send(addr, req(Method::GET, path).body(Bytes::new()).unwrap()).await;
            reply.status.as_u16()
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let status = task.await.unwrap();
        assert_eq!(status, if i % 2 == 0 { 500 } else { 200 });
    }
    assert_eq!(conn.get("/ok").await.json(200), json!("ok"));
}

/// A client that asks before sending (`Expect: 100-continue`) a body over
/// the limit is refused at once, without being invited to send it.
#[tokio::test]
async fn an_expected_body_over_the_limit_is_refused_before_it_is_sent() {
    let server = TestServer::with(|s| s.body_limit(1024)).await;
    let raw = server
        .raw(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        .await;
    assert!(raw.text().starts_with("HTTP/1.1 413 "), "{}", raw.text());
    // Within the limit, the client is invited to send, then answered.
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 64];
    let n = tokio::time::timeout(common::LIMIT, stream.read(&mut buffer))
        .await
        .expect("invited in time")
        .unwrap();
    assert!(
        buffer[..n].starts_with(b"HTTP/1.1 100 Continue\r\n"),
        "{:?}",
        String::from_utf8_lossy(&buffer[..n])
    );
    stream.write_all(b"abc").await.unwrap();
    let rest = common::read_to_close(&mut stream)
        .await
        .expect("answered and closed");
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.contains("HTTP/1.1 200 OK") && text.ends_with("\r\n\r\n3"),
        "{text}"
    );
}

#[tokio::test]
async fn the_limit_holds_over_http2() {
    use http_body_util::{BodyExt, Full};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let server = TestServer::with(|s| s.body_limit(1024)).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let url = format!("http://{}/upload", server.addr);
    for (len, status) in [(1024, 200), (1025, 413), (100_000, 413)] {
        let request = hyper::Request::post(&url)
            .body(Full::new(octets(len)).boxed())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let reply = common::Reply::from_response(response).await;
        assert_eq!(reply.status, status, "{len}");
    }
    // Chunked (no declared length) too.
    let request = hyper::Request::post(&url)
        .body(Chunked::new((0..4).map(|_| octets(400))).boxed())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    common::Reply::from_response(response)
        .await
        .error(413, &["1024"]);
}
