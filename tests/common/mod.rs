//! Shared helpers of the integration tests: start a real server on an
//! ephemeral port, talk to it over TCP (hyper's HTTP/1.1 client, one
//! connection per request unless asked otherwise, or raw bytes), and check
//! the framework's JSON error bodies.
//!
//! Every network wait is bounded by [`LIMIT`] so that a broken server fails
//! a test instead of hanging it.
//!
//! This folder is the one test harness of the workspace. Two of its files
//! stand alone, for the member crates' own tests to include by path:
//! `tls.rs` (a private CA and an HTTPS test server: `usrv/tests`) and
//! `redis_server.rs` (a real `redis-server` on a free port: `usrv-crypto`'s
//! and this package's replay-store tests).
#![allow(dead_code)]

pub mod openapi;
pub mod secure;
pub mod streams;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::CONTENT_TYPE;
use hyper::{HeaderMap, Method, Request, StatusCode, Version};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The upper bound of any single network wait in the tests ("never hangs").
pub const LIMIT: Duration = Duration::from_secs(10);

/// The header read timeout the test servers are configured with.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(1);

/// The idle timeout the test servers are configured with.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// A server running on an ephemeral port of 127.0.0.1, stopped on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The server's public key (`Bound::app().public_key()`).
    pub key: usrv::crypto::PublicKey,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), usrv::Error>>>,
}

impl TestServer {
    /// Every route of the test crate, with 1 s header read and idle timeouts.
    pub async fn start() -> TestServer {
        TestServer::with(|server| server).await
    }

    /// Same, with more settings.
    pub async fn with(configure: impl FnOnce(usrv::Server) -> usrv::Server) -> TestServer {
        let (stop, stopped) = oneshot::channel::<()>();
        let server = usrv::serve()
            .addr("127.0.0.1:0")
            .header_read_timeout(HEADER_TIMEOUT)
            .shutdown_grace(Duration::from_secs(1))
            .idle_timeout(IDLE_TIMEOUT)
            .shutdown_signal(async move {
                let _ = stopped.await;
            });
        let bound = configure(server)
            .bind()
            .await
            .expect("the test server binds");
        let addr = bound.local_addr();
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_ne!(addr.port(), 0);
        TestServer {
            addr,
            key: *bound.app().public_key(),
            stop: Some(stop),
            handle: Some(tokio::spawn(bound.run())),
        }
    }

    /// Sends the shutdown signal and waits for `run()` to return.
    pub async fn stop(mut self) -> Result<(), usrv::Error> {
        let _ = self.stop.take().expect("running").send(());
        let handle = self.handle.take().expect("running");
        tokio::time::timeout(LIMIT, handle)
            .await
            .expect("run() returns after the shutdown signal")
            .expect("the server task does not panic")
    }

    /// A `GET` on a fresh connection.
    pub async fn get(&self, path: &str) -> Reply {
        send(
            self.addr,
            req(Method::GET, path).body(Bytes::new()).unwrap(),
        )
        .await
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Any request on a fresh connection: a `Request<Bytes>` (through
    /// hyper's client, answers a [`Reply`]) or a raw [`secure::Wire`]
    /// (answers a [`secure::Raw`]).
    pub async fn send<R: Exchange>(&self, request: R) -> R::Reply {
        request.exchange(self.addr).await
    }

    /// The server still answers: `GET /puk` → 200 with its key.
    pub async fn assert_alive(&self) {
        let raw = secure::Wire::new("GET", "/puk").send(self.addr).await;
        assert_eq!(raw.status, 200, "the server keeps serving: {raw:?}");
        let key: String = serde_json::from_slice(&raw.body).expect("a JSON string");
        assert_eq!(key, self.key.to_string());
    }

    /// Raw bytes on a fresh TCP connection; see [`raw`].
    pub async fn raw(&self, bytes: &[u8]) -> Raw {
        raw(self.addr, bytes).await
    }

    /// One HTTP/1.1 keep-alive connection.
    pub async fn connect(&self) -> Conn {
        Conn::open(self.addr).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Something a test sends to a server on a fresh connection.
pub trait Exchange {
    /// What comes back.
    type Reply;
    /// Sends it to `addr` and reads the answer.
    async fn exchange(self, addr: SocketAddr) -> Self::Reply;
}

impl Exchange for Request<Bytes> {
    type Reply = Reply;

    async fn exchange(self, addr: SocketAddr) -> Reply {
        send(addr, self).await
    }
}

/// A request builder for `path` (origin form, with a `Host` header).
pub fn req(method: Method, path: &str) -> hyper::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "usrv.test")
}

/// A POST of `body` with this content type.
pub fn post(path: &str, content_type: &str, body: impl Into<Bytes>) -> Request<Bytes> {
    req(Method::POST, path)
        .header(CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// Reads a whole response.
    pub async fn from_response(response: hyper::Response<hyper::body::Incoming>) -> Reply {
        let (parts, body) = response.into_parts();
        let body = tokio::time::timeout(LIMIT, body.collect())
            .await
            .expect("the response body arrives in time")
            .expect("the response body reads")
            .to_bytes();
        Reply {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body,
        }
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("the body is UTF-8")
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header"))
    }

    /// The body as JSON, checking the status and the JSON content type.
    #[track_caller]
    pub fn json(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "status; body: {:?}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "content type; body: {:?}",
            self.body
        );
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    /// Checks a framework error: `{"error": "...", "status": N}` with this
    /// status, and nothing else; the reason contains every `needle`.
    /// Returns the reason.
    #[track_caller]
    pub fn error(&self, status: u16, needles: &[&str]) -> String {
        let json = self.json(status);
        let object = json.as_object().expect("the error body is an object");
        assert_eq!(object.len(), 2, "{json}");
        assert_eq!(object["status"], status, "{json}");
        let reason = object["error"].as_str().expect("the reason is a string");
        assert!(!reason.is_empty());
        for needle in needles {
            assert!(
                reason.contains(needle),
                "reason {reason:?} does not contain {needle:?}"
            );
        }
        reason.to_owned()
    }
}

/// Sends one request on a fresh HTTP/1.1 connection.
pub async fn send(addr: SocketAddr, request: Request<Bytes>) -> Reply {
    let mut conn = Conn::open(addr).await;
    conn.send(request).await
}

/// A body of several chunks and no declared length: sent chunked.
pub struct Chunked(std::collections::VecDeque<Bytes>);

impl Chunked {
    pub fn new(chunks: impl IntoIterator<Item = Bytes>) -> Chunked {
        Chunked(chunks.into_iter().collect())
    }
}

impl Body for Chunked {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// One HTTP/1.1 connection; requests go one after the other on it.
pub struct Conn {
    sender: hyper::client::conn::http1::SendRequest<
        http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>,
    >,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = tokio::time::timeout(LIMIT, TcpStream::connect(addr))
            .await
            .expect("connects in time")
            .expect("connects");
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("HTTP/1.1 handshake");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Conn { sender }
    }

    /// Sends a request; panics if the connection was closed.
    pub async fn send(&mut self, request: Request<Bytes>) -> Reply {
        let request = request.map(|body| Full::new(body).boxed());
        self.send_body(request).await
    }

    /// Sends a request with any body.
    pub async fn send_body(
        &mut self,
        request: Request<http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>>,
    ) -> Reply {
        let response = tokio::time::timeout(LIMIT, async {
            self.sender.ready().await?;
            self.sender.send_request(request).await
        })
        .await
        .expect("the response arrives in time")
        .expect("the request is answered on this connection");
        Reply::from_response(response).await
    }

    /// A `GET` on this connection.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(req(Method::GET, path).body(Bytes::new()).unwrap())
            .await
    }

    /// Whether the server has closed this connection.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// What a raw exchange produced.
#[derive(Debug)]
pub struct Raw {
    /// Every byte the server sent.
    pub bytes: Vec<u8>,
    /// The server closed the connection (EOF or reset) before [`LIMIT`].
    pub closed: bool,
    /// The exchange ended (closed, or one full response read) before [`LIMIT`].
    pub finished: bool,
}

impl Raw {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The status of the first response, if one came.
    pub fn status(&self) -> Option<u16> {
        let text = self.text();
        let line = text.lines().next()?;
        let mut words = line.split(' ');
        if !words.next()?.starts_with("HTTP/1.") {
            return None;
        }
        words.next()?.parse().ok()
    }

    /// The body of the first response (after the blank line).
    pub fn body(&self) -> &[u8] {
        match find(&self.bytes, b"\r\n\r\n") {
            Some(end) => &self.bytes[end + 4..],
            None => &[],
        }
    }

    /// The refusal of a malformed request: a clear 4xx answer before
    /// [`LIMIT`]. A server that closes without a word is not a pass.
    #[track_caller]
    pub fn assert_refused(&self) {
        assert!(
            self.finished,
            "the server neither answered nor closed: {self:?}"
        );
        match self.status() {
            Some(status) => assert!((400..500).contains(&status), "{}", self.text()),
            None => panic!("no 4xx answer (closed: {}): {:?}", self.closed, self.text()),
        }
    }
}

impl Raw {
    /// A request that never finished, cut off at a timeout: the connection
    /// is closed, after a 408 or without a word (the client may be gone).
    #[track_caller]
    pub fn assert_timed_out(&self) {
        assert!(
            self.finished && self.closed,
            "the server did not close: {self:?}"
        );
        if let Some(status) = self.status() {
            assert_eq!(status, 408, "{}", self.text());
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `bytes` hold one complete response with a `Content-Length`.
fn complete(bytes: &[u8]) -> bool {
    let Some(end) = find(bytes, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(length) => bytes.len() >= end + 4 + length,
        None => false,
    }
}

/// Connects, writes `bytes` (in the background, ignoring write errors: the
/// server may answer and close before reading everything), and reads until
/// the server closes, one full response has arrived, or [`LIMIT`] passes.
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> Raw {
    let stream = TcpStream::connect(addr).await.expect("connects");
    let (mut reader, mut writer) = stream.into_split();
    let payload = bytes.to_vec();
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&payload).await;
        // Keep the write half open (no FIN): the server must act on what
        // it has, not on our close.
        tokio::time::sleep(LIMIT * 2).await;
        drop(writer);
    });
    let mut received = Vec::new();
    let outcome = tokio::time::timeout(LIMIT, async {
        let mut buffer = [0u8; 8192];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return true,
                Ok(n) => {
                    received.extend_from_slice(&buffer[..n]);
                    if complete(&received) {
                        return false;
                    }
                }
            }
        }
    })
    .await;
    writing.abort();
    Raw {
        bytes: received,
        closed: outcome == Ok(true),
        finished: outcome.is_ok(),
    }
}

/// Reads from `stream` until the server closes it or [`LIMIT`] passes;
/// `Some(bytes)` when it closed.
pub async fn read_to_close(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let closed = tokio::time::timeout(LIMIT, async {
        let mut buffer = [0u8; 8192];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    closed.ok().map(|()| received)
}
