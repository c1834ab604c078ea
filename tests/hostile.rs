//! Hostile clients over real sockets: heads that never end or are too
//! large, requests hyper cannot parse, `Host` headers, the connection
//! limit, HTTP/2 connections that cannot progress or sit idle, and the
//! HTTP/2 preface in pieces. (Memory and CPU under attack have test files
//! of their own, `hostile_memory.rs` and `hostile_cpu.rs`, each alone in
//! its process.)

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{read_to_close, Conn, Raw, TestServer, LIMIT};
use http_body_util::Full;
use hyper::{Request, Version};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use usrv::route;

#[route("/ok")]
fn ok() -> (u16, &'static str) {
    (200, "ok")
}

/// A response larger than an HTTP/2 frame.
#[route("/big")]
fn big() -> String {
    "b".repeat(40_000)
}

/// Longer than the header and idle timeouts of the test servers together.
#[route("/slow")]
async fn slow() -> (u16, &'static str) {
    tokio::time::sleep(Duration::from_millis(2500)).await;
    (200, "slow")
}

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The framework's JSON error: this status, a reason containing `needle`.
#[track_caller]
fn assert_json_error(raw: &Raw, status: u16, needle: &str) {
    assert_eq!(raw.status(), Some(status), "{}", raw.text());
    let head = raw.text().to_ascii_lowercase();
    assert!(
        head.contains("\r\ncontent-type: application/json\r\n"),
        "{head}"
    );
    let json: Value = serde_json::from_slice(raw.body()).expect("a JSON body");
    assert_eq!(json["status"], status, "{json}");
    let reason = json["error"].as_str().expect("a reason");
    assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
}

async fn still_serves(server: &TestServer) {
    assert_eq!(server.get("/ok").await.json(200), json!("ok"));
}

fn get(server: &TestServer, path: &str) -> Request<Full<Bytes>> {
    Request::get(format!("http://{}{path}", server.addr))
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// An HTTP/2 connection (prior knowledge) and its task, which ends when
/// the server closes the connection.
async fn http2(
    server: &TestServer,
    configure: impl FnOnce(&mut hyper::client::conn::http2::Builder<TokioExecutor>),
) -> (
    hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    tokio::task::JoinHandle<Result<(), hyper::Error>>,
) {
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
    builder.timer(TokioTimer::new());
    configure(&mut builder);
    let (sender, connection) = tokio::time::timeout(LIMIT, builder.handshake(TokioIo::new(stream)))
        .await
        .expect("handshake in time")
        .expect("HTTP/2 handshake");
    (sender, tokio::spawn(connection))
}

/// A head that grows past the limit is answered 431 at the limit, not
/// buffered up to hyper's 400 KB.
#[tokio::test]
async fn a_head_larger_than_the_limit_is_a_json_431() {
    let server = TestServer::start().await;
    let mut head = b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 100 << 10));
    // Never finished: the server must act on the size alone.
    let raw = server.raw(&head).await;
    assert_json_error(&raw, 431, "65536 bytes");

    let server = TestServer::with(|s| s.max_head_size(16 << 10)).await;
    let mut head = b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 20 << 10));
    assert_json_error(&server.raw(&head).await, 431, "16384 bytes");
    let mut head = b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 12 << 10));
    head.extend(b"\r\n\r\n");
    let raw = server.raw(&head).await;
    assert_eq!(raw.status(), Some(200), "{}", raw.text());
    still_serves(&server).await;
}

#[tokio::test]
async fn too_many_headers_is_a_json_431() {
    let server = TestServer::start().await;
    let request = |count: usize| {
        let mut request = b"GET /ok HTTP/1.1\r\nHost: t\r\n".to_vec();
        for i in 1..count {
            request.extend(format!("X-H{i}: v\r\n").as_bytes());
        }
        request.extend(b"\r\n");
        request
    };
    assert_eq!(server.raw(&request(100)).await.status(), Some(200));
    assert_json_error(&server.raw(&request(101)).await, 431, "100 headers");

    let server = TestServer::with(|s| s.max_headers(10)).await;
    assert_eq!(server.raw(&request(10)).await.status(), Some(200));
    assert_json_error(&server.raw(&request(11)).await, 431, "10 headers");

    // HTTP/2 counts them too.
    let (mut sender, _connection) = http2(&server, |_| {}).await;
    let mut request = get(&server, "/ok");
    for i in 0..11 {
        request.headers_mut().insert(
            format!("x-h{i}")
                .parse::<hyper::header::HeaderName>()
                .unwrap(),
            "v".parse().unwrap(),
        );
    }
    let response = tokio::time::timeout(LIMIT, sender.send_request(request))
        .await
        .unwrap()
        .unwrap();
    let reply = common::Reply::from_response(response).await;
    reply.error(431, &["10 headers"]);
}

/// hyper answers what it cannot parse itself; the answer is the
/// framework's JSON error all the same.
#[tokio::test]
async fn unparsable_requests_get_json_errors() {
    let server = TestServer::start().await;
    for request in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /ok HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n",
        b"GET /o k HTTP/1.1\r\nHost: t\r\n\r\n",
    ] {
        let raw = server.raw(request).await;
        assert_json_error(&raw, 400, "malformed");
        assert!(raw.closed || raw.finished, "{raw:?}");
    }
    still_serves(&server).await;
}

/// RFC 9112: an HTTP/1.1 request has exactly one `Host`.
#[tokio::test]
async fn http1_1_needs_exactly_one_host() {
    let server = TestServer::start().await;
    let raw = server.raw(b"GET /ok HTTP/1.1\r\n\r\n").await;
    assert_json_error(&raw, 400, "Host");
    let raw = server
        .raw(b"GET /ok HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        .await;
    assert_json_error(&raw, 400, "Host");
    // HTTP/1.0 needs none, HTTP/2 has `:authority`.
    let raw = server.raw(b"GET /ok HTTP/1.0\r\n\r\n").await;
    assert_eq!(raw.status(), Some(200), "{}", raw.text());
    let (mut sender, _connection) = http2(&server, |_| {}).await;
    let response = sender.send_request(get(&server, "/ok")).await.unwrap();
    assert_eq!(response.status(), 200);
    // Checked before any tower layer.
    let server = TestServer::with(|s| {
        s.layer(tower::util::MapResponseLayer::new(
            |response: hyper::Response<_>| response,
        ))
    })
    .await;
    assert_json_error(&server.raw(b"GET /ok HTTP/1.1\r\n\r\n").await, 400, "Host");
    still_serves(&server).await;
}

/// Past the connection limit, new connections wait (in the listen backlog)
/// until one closes.
#[tokio::test]
async fn the_connection_limit_holds_new_connections_back() {
    let server =
        TestServer::with(|s| s.max_connections(2).idle_timeout(Duration::from_secs(60))).await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    assert_eq!(first.get("/ok").await.status, 200);
    assert_eq!(second.get("/ok").await.status, 200);

    let mut third = Conn::open(server.addr).await;
    let waiting = tokio::spawn(async move { third.get("/ok").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection is served while two are open"
    );
    // The two open ones still work; closing one lets the third in.
    assert_eq!(second.get("/ok").await.status, 200);
    drop(first);
    let reply = tokio::time::timeout(LIMIT, waiting)
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert_eq!(reply.json(200), json!("ok"));
}

/// The idle timeout closes a keep-alive connection; the header timeout
/// bounds the next head once it has started.
#[tokio::test]
async fn keep_alive_idle_and_head_timeouts_are_separate() {
    // Idle 1 s, a generous header timeout: the idle connection closes.
    let server = TestServer::with(|s| s.header_read_timeout(Duration::from_secs(60))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let received = read_to_close(&mut stream)
        .await
        .expect("the idle timeout closes the connection");
    assert!(String::from_utf8_lossy(&received).starts_with("HTTP/1.1 200"));

    // Header 1 s, a generous idle timeout: a connection idle for longer
    // than the header timeout is kept...
    let server = TestServer::with(|s| s.idle_timeout(Duration::from_secs(60))).await;
    let mut conn = server.connect().await;
    assert_eq!(conn.get("/ok").await.status, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(conn.get("/ok").await.status, 200, "kept while idle");
    // ...but a head dribbled on it is cut off by the header timeout.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 1024];
    let n = stream.read(&mut buffer).await.unwrap();
    assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
    stream.write_all(b"GET /ok HTTP/1.1\r\n").await.unwrap();
    let dribble = async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if stream.write_all(b"X").await.is_err() {
                return;
            }
        }
    };
    tokio::time::timeout(LIMIT, dribble)
        .await
        .expect("a head dribbled on a kept-alive connection is cut off");
}

/// A handler that works longer than both timeouts is not cut off, over
/// HTTP/1 and HTTP/2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handler_is_not_cut_off() {
    let server = TestServer::start().await;
    let h1 = tokio::spawn({
        let addr = server.addr;
        async move { Conn::open(addr).await.get("/slow").await }
    });
    let (mut sender, _connection) = http2(&server, |_| {}).await;
    let response = tokio::time::timeout(LIMIT, sender.send_request(get(&server, "/slow")))
        .await
        .expect("in time")
        .expect("answered over HTTP/2");
    let reply = common::Reply::from_response(response).await;
    assert_eq!(reply.version, Version::HTTP_2);
    assert_eq!(reply.json(200), json!("slow"));
    assert_eq!(h1.await.unwrap().json(200), json!("slow"));
}

/// An HTTP/2 connection without streams is closed after the idle timeout,
/// like an HTTP/1 keep-alive connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http2_connection_is_closed() {
    let server = TestServer::start().await;
    let (mut sender, connection) = http2(&server, |builder| {
        // The client's pings are answered, and are not progress.
        builder
            .keep_alive_interval(Duration::from_millis(200))
            .keep_alive_while_idle(true);
    })
    .await;
    let response = sender.send_request(get(&server, "/ok")).await.unwrap();
    let reply = common::Reply::from_response(response).await;
    assert_eq!(reply.json(200), json!("ok"));
    tokio::time::timeout(LIMIT, connection)
        .await
        .expect("the server closes an idle HTTP/2 connection")
        .ok();
    still_serves(&server).await;
}

/// Streams whose responses cannot be sent (the client keeps its
/// flow-control window closed while answering pings) do not hold the
/// connection forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_streams_that_cannot_progress_are_closed() {
    let server = TestServer::start().await;
    let (sender, connection) = http2(&server, |builder| {
        builder
            .initial_stream_window_size(0)
            .keep_alive_interval(Duration::from_millis(200))
            .keep_alive_while_idle(true);
    })
    .await;
    let mut stalled = Vec::new();
    for _ in 0..20 {
        let mut sender = sender.clone();
        let request = get(&server, "/big");
        let response = tokio::time::timeout(LIMIT, sender.send_request(request))
            .await
            .expect("the head of the response comes")
            .expect("answered");
        assert_eq!(response.status(), 200);
        // Never read: the window stays closed.
        stalled.push(response);
    }
    tokio::time::timeout(LIMIT, connection)
        .await
        .expect("the server closes a connection that cannot progress")
        .ok();
    drop(stalled);
    still_serves(&server).await;
}

/// The server's HTTP/2 SETTINGS, after a preface sent in `pieces` writes.
async fn http2_settings(server: &TestServer, pieces: usize) -> Vec<(u16, u32)> {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let mut hello = PREFACE.to_vec();
    hello.extend([0, 0, 0, 4, 0, 0, 0, 0, 0]); // an empty SETTINGS frame
    let size = hello.len().div_ceil(pieces);
    for piece in hello.chunks(size) {
        stream.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let settings = async {
        let mut header = [0u8; 9];
        stream.read_exact(&mut header).await.unwrap();
        assert_eq!(header[3], 4, "the server's first frame is SETTINGS");
        let length = (usize::from(header[1]) << 8) | usize::from(header[2]);
        let mut payload = vec![0u8; length];
        stream.read_exact(&mut payload).await.unwrap();
        payload
            .chunks(6)
            .map(|s| {
                (
                    u16::from_be_bytes([s[0], s[1]]),
                    u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
                )
            })
            .collect()
    };
    tokio::time::timeout(LIMIT, settings)
        .await
        .expect("the server answers the preface")
}

const MAX_CONCURRENT_STREAMS: u16 = 0x3;
const MAX_HEADER_LIST_SIZE: u16 = 0x6;

#[tokio::test]
async fn http2_announces_its_limits() {
    let server = TestServer::start().await;
    let settings = http2_settings(&server, 1).await;
    assert!(
        settings.contains(&(MAX_CONCURRENT_STREAMS, 100)),
        "{settings:?}"
    );
    assert!(
        settings.contains(&(MAX_HEADER_LIST_SIZE, 65536)),
        "{settings:?}"
    );

    let server =
        TestServer::with(|s| s.http2_max_concurrent_streams(7).max_head_size(20_000)).await;
    let settings = http2_settings(&server, 1).await;
    assert!(
        settings.contains(&(MAX_CONCURRENT_STREAMS, 7)),
        "{settings:?}"
    );
    assert!(
        settings.contains(&(MAX_HEADER_LIST_SIZE, 20_000)),
        "{settings:?}"
    );
}

/// The protocol is told from the first bytes however they are cut: a
/// preface in pieces is HTTP/2, a request whose first byte is alone
/// (`P` as in the preface) is HTTP/1.
#[tokio::test]
async fn the_protocol_is_told_from_bytes_in_pieces() {
    let server = TestServer::start().await;
    let settings = http2_settings(&server, 5).await;
    assert!(
        settings.contains(&(MAX_CONCURRENT_STREAMS, 100)),
        "{settings:?}"
    );

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"P").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream
        .write_all(b"ATCH /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 1024];
    let n = tokio::time::timeout(LIMIT, stream.read(&mut buffer))
        .await
        .expect("answered in time")
        .unwrap();
    let text = String::from_utf8_lossy(&buffer[..n]);
    assert!(text.starts_with("HTTP/1.1 405"), "{text}");
}
