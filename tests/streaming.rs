//! Streamed bodies over real sockets: responses produced while they are
//! sent (chunked or with a known length, HTTP/1.1 and HTTP/2, files),
//! held back by a slow reader, cut short cleanly when they fail; request
//! bodies handed on chunk by chunk with their own limit and timeout; and
//! what the secure protocol does with both.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::streams::{http1, http2, next_data, open1, open2, read_all};
use common::{req, Chunked, TestServer, LIMIT};
use futures_util::{stream, StreamExt};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use usrv::{route, Body, BodyStream, Method, Rejection, Response, State};

/// How many bytes `/endless` has produced so far.
struct Produced(Arc<AtomicU64>);

/// The file `/file` serves.
struct TestFile(PathBuf);

#[route("/chunks")]
fn chunks() -> Response {
    let parts = ["one ", "two ", "three"].map(Ok::<_, std::io::Error>);
    Response::new(Body::from_stream(stream::iter(parts)))
}

#[route("/sized")]
fn sized() -> Response {
    let parts = ["0123", "456789"].map(Ok::<_, std::io::Error>);
    Response::new(Body::from_stream_with_length(stream::iter(parts), 10))
}

#[route("/file")]
async fn file(path: State<TestFile>) -> Result<Response, Rejection> {
    let file = tokio::fs::File::open(&path.0)
        .await
        .map_err(|_| Rejection::not_found("no file"))?;
    let body = Body::from_file(file)
        .await
        .map_err(|_| Rejection::internal("unreadable"))?;
    Ok(Response::new(body))
}

/// 64 KiB chunks for ever, counting what it produced.
#[route("/endless")]
fn endless(produced: State<Produced>) -> Response {
    let counter = produced.0.clone();
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    let chunks = stream::repeat_with(move || {
        counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        Ok::<_, std::io::Error>(chunk.clone())
    });
    Response::new(Body::from_stream(chunks))
}

/// A first chunk, then (once it is out) an error.
#[route("/fails")]
fn fails() -> Response {
    let parts = stream::iter([0, 1]).then(|i| async move {
        if i == 0 {
            return Ok("partial".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        Err(std::io::Error::other("the disk is gone"))
    });
    Response::new(Body::from_stream(parts))
}

/// A first chunk, then (once it is out) a panic.
#[route("/panics")]
fn panics() -> Response {
    let parts = stream::iter([0, 1]).then(|i| async move {
        if i == 1 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            panic!("a stream that panics half-way");
        }
        Ok::<_, std::io::Error>("partial")
    });
    Response::new(Body::from_stream(parts))
}

/// Counts the bytes and chunks of an upload, and checks them.
#[route("/upload", methods = ["POST"])]
async fn upload(mut body: BodyStream) -> Result<(u16, u64, u64), Rejection> {
    let mut checksum = 0u64;
    while let Some(chunk) = body.chunk().await {
        checksum = chunk?.iter().fold(checksum, |sum, byte| {
            sum.wrapping_mul(31).wrapping_add(u64::from(*byte))
        });
    }
    Ok((200, body.received(), checksum))
}

/// The same with a limit of its own.
#[route("/upload/small", methods = ["POST"])]
async fn upload_small(body: BodyStream) -> Result<(u16, u64), Rejection> {
    let mut body = body.limit(1000);
    while let Some(chunk) = body.chunk().await {
        chunk?;
    }
    Ok((200, body.received()))
}

/// Each chunk of the request goes straight back out.
#[route("/echo", methods = ["POST"])]
fn echo(body: BodyStream) -> Response {
    Response::new(Body::from_stream(body))
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |sum, byte| {
        sum.wrapping_mul(31).wrapping_add(u64::from(*byte))
    })
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// A server with every state the routes take; `produced` counts `/endless`.
async fn start(
    configure: impl FnOnce(usrv::Server) -> usrv::Server,
) -> (TestServer, Arc<AtomicU64>, Vec<u8>) {
    let produced = Arc::new(AtomicU64::new(0));
    let content = pattern(300_000);
    let path = std::env::temp_dir().join(format!(
        "usrv-streaming-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::write(&path, &content).expect("the test file is written");
    let counter = produced.clone();
    let server = TestServer::with(move |server| {
        configure(server.state(Produced(counter)).state(TestFile(path)))
    })
    .await;
    (server, produced, content)
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    hasher.finish()
}

fn get(path: &str) -> hyper::Request<Bytes> {
    req(Method::GET, path).body(Bytes::new()).unwrap()
}

#[tokio::test]
async fn an_unknown_length_is_chunked_and_a_known_one_is_declared() {
    let (server, _, _) = start(|s| s).await;
    let reply = server.get("/chunks").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.header("content-length"), None);
    assert_eq!(reply.text(), "one two three");

    let reply = server.get("/sized").await;
    assert_eq!(reply.header("content-length"), Some("10"));
    assert_eq!(reply.header("transfer-encoding"), None);
    assert_eq!(reply.text(), "0123456789");
}

#[tokio::test]
async fn a_file_is_sent_with_its_length_and_head_does_not_read_it() {
    let (server, _, content) = start(|s| s).await;
    let reply = server.get("/file").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length"), Some("300000"));
    assert_eq!(&reply.body[..], &content[..]);

    let reply = server
        .send(req(Method::HEAD, "/file").body(Bytes::new()).unwrap())
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length"), Some("300000"));
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn http2_streams_the_same_bodies() {
    let (server, _, content) = start(|s| s).await;
    let mut h2 = http2(server.addr).await;
    let mut response = open2(&mut h2, get("/chunks")).await;
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    assert_eq!(
        read_all(response.body_mut()).await.unwrap(),
        "one two three"
    );
    let mut response = open2(&mut h2, get("/file")).await;
    assert_eq!(response.headers()["content-length"], "300000");
    assert_eq!(
        &read_all(response.body_mut()).await.unwrap()[..],
        &content[..]
    );
}

#[tokio::test]
async fn a_slow_reader_holds_the_stream_back() {
    // A long header timeout: the reader pauses on purpose.
    let (server, produced, _) = start(|s| s.header_read_timeout(Duration::from_secs(30))).await;
    let mut h1 = http1(server.addr).await;
    let mut response = open1(&mut h1, get("/endless")).await;
    assert_eq!(response.status(), 200);
    // Not reading: the server stops once the socket buffers are full.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let ahead = produced.load(Ordering::SeqCst);
    assert!(ahead > 0);
    assert!(
        ahead < 48 << 20,
        "the server ran {ahead} bytes ahead of a reader that reads nothing"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = produced.load(Ordering::SeqCst);
    assert!(
        still - ahead < 1 << 20,
        "it kept producing: {ahead} then {still}"
    );
    // Reading lets it go on.
    let mut read = 0u64;
    while read < 64 << 20 {
        read += next_data(response.body_mut()).await.unwrap().unwrap().len() as u64;
    }
    assert!(produced.load(Ordering::SeqCst) >= read);
}

#[tokio::test]
async fn a_client_that_stops_reading_a_stream_is_dropped() {
    // The test servers drop a connection whose writes stall for 1 s.
    let (server, _, _) = start(|s| s).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /endless HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(common::HEADER_TIMEOUT * 3).await;
    let received = common::read_to_close(&mut stream)
        .await
        .expect("the server closed the connection");
    assert!(received.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

#[tokio::test]
async fn a_failing_or_panicking_stream_cuts_the_response_short() {
    let (server, _, _) = start(|s| s).await;
    for path in ["/fails", "/panics"] {
        let mut h1 = http1(server.addr).await;
        let mut response = open1(&mut h1, get(path)).await;
        assert_eq!(response.status(), 200, "{path}");
        let first = next_data(response.body_mut()).await.unwrap().unwrap();
        assert_eq!(first, "partial", "{path}");
        // Not a clean end: the client can tell that the body is incomplete.
        assert!(read_all(response.body_mut()).await.is_err(), "{path}");
    }
    assert_eq!(server.get("/chunks").await.text(), "one two three");
}

#[tokio::test]
async fn over_http2_a_failing_stream_resets_only_its_stream() {
    let (server, _, _) = start(|s| s).await;
    let mut h2 = http2(server.addr).await;
    for path in ["/fails", "/panics"] {
        let mut response = open2(&mut h2, get(path)).await;
        assert!(read_all(response.body_mut()).await.is_err(), "{path}");
        // The connection lives on.
        let mut response = open2(&mut h2, get("/chunks")).await;
        assert_eq!(
            read_all(response.body_mut()).await.unwrap(),
            "one two three"
        );
    }
}

#[tokio::test]
async fn an_upload_larger_than_the_body_limit_streams_through() {
    let (server, _, _) = start(|s| s.body_limit(64 * 1024)).await;
    let content = pattern(5 << 20);
    let chunks: Vec<Bytes> = content
        .chunks(100_000)
        .map(Bytes::copy_from_slice)
        .collect();
    let mut connection = server.connect().await;
    let request = req(Method::POST, "/upload")
        .body(Chunked::new(chunks).boxed())
        .unwrap();
    let reply = connection.send_body(request).await;
    assert_eq!(
        reply.json(200),
        serde_json::json!([5 << 20, checksum(&content)])
    );
    // The same with a declared length, in one piece.
    let reply = server
        .send(common::post(
            "/upload",
            "application/octet-stream",
            content.clone(),
        ))
        .await;
    assert_eq!(
        reply.json(200),
        serde_json::json!([5 << 20, checksum(&content)])
    );
}

#[tokio::test]
async fn a_stream_over_its_limit_is_413() {
    let (server, _, _) = start(|s| s.stream_body_limit(2 << 20)).await;
    // Chunked: refused once the limit is crossed.
    let chunks: Vec<Bytes> = (0..30).map(|_| Bytes::from(vec![1u8; 100_000])).collect();
    let mut connection = server.connect().await;
    let request = req(Method::POST, "/upload")
        .body(Chunked::new(chunks).boxed())
        .unwrap();
    connection
        .send_body(request)
        .await
        .error(413, &["larger than 2097152 bytes"]);
    // A declared length over the limit: refused before it is read.
    let raw = server
        .raw(b"POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 3000000\r\n\r\n")
        .await;
    assert_eq!(raw.status(), Some(413), "{}", raw.text());
    // A route's own limit.
    let reply = server
        .send(common::post("/upload/small", "text/plain", vec![0u8; 2000]))
        .await;
    reply.error(413, &["larger than 1000 bytes"]);
    let reply = server
        .send(common::post("/upload/small", "text/plain", vec![0u8; 900]))
        .await;
    assert_eq!(reply.json(200), serde_json::json!(900));
}

#[tokio::test]
async fn a_stalled_upload_is_408() {
    let (server, _, _) = start(|s| s.body_read_timeout(Duration::from_millis(300))).await;
    let raw = server
        .raw(
            b"POST /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n",
        )
        .await;
    assert_eq!(raw.status(), Some(408), "{}", raw.text());
    assert!(
        raw.text()
            .contains("no part of the body arrived within 300ms"),
        "{}",
        raw.text()
    );
}

#[tokio::test]
async fn chunks_are_handed_on_as_they_arrive() {
    let (server, _, _) = start(|s| s).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n",
        )
        .await
        .unwrap();
    // The first chunk comes back before the request is over.
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(LIMIT, async {
        while !String::from_utf8_lossy(&received).contains("hello") {
            let read = stream.read(&mut buffer).await.unwrap();
            assert_ne!(read, 0, "closed early");
            received.extend_from_slice(&buffer[..read]);
        }
    })
    .await
    .expect("the echo of the first chunk arrives while the request is still open");
    assert!(received.starts_with(b"HTTP/1.1 200 OK\r\n"));
    stream.write_all(b"6\r\n world\r\n0\r\n\r\n").await.unwrap();
    tokio::time::timeout(LIMIT, async {
        while !received.ends_with(b"0\r\n\r\n") {
            let read = stream.read(&mut buffer).await.unwrap();
            assert_ne!(read, 0, "closed early");
            received.extend_from_slice(&buffer[..read]);
        }
    })
    .await
    .expect("the response ends with the request");
    assert!(String::from_utf8_lossy(&received).contains(" world"));
}

#[tokio::test]
async fn signed_requests_and_streams() {
    use usrv::client::ClientError;
    use usrv::crypto::SecretKey;

    let (server, _, _) = start(|s| s).await;
    let client = usrv::Client::new(&format!("http://{}", server.addr))
        .unwrap()
        .with_key(SecretKey::generate());
    // A signed upload to a streaming route: read whole, verified, then
    // streamed to the handler as one chunk.
    let content = pattern(200_000);
    let reply = client
        .post("/upload")
        .body(content.clone(), "application/octet-stream")
        .signed()
        .send()
        .await
        .expect("a signed upload");
    assert!(reply.is_authenticated());
    assert_eq!(
        reply.json::<serde_json::Value>().unwrap(),
        serde_json::json!([200_000, checksum(&content)])
    );
    // A streamed reply to a signed request: collected, then signed.
    let reply = client.get("/chunks").signed().send().await.expect("signed");
    assert!(reply.is_authenticated());
    assert_eq!(reply.text().unwrap(), "one two three");
    // An endless one cannot be signed: 500, and the server lives on.
    match client.get("/endless").signed().send().await {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 500),
        other => panic!("expected a 500, got {other:?}"),
    }
    assert_eq!(server.get("/sized").await.text(), "0123456789");
}
