//! The server itself, over real sockets: HTTP/1.1 keep-alive and
//! pipelining, HTTP/2 with prior knowledge, graceful shutdown, binding.

mod common;

use std::future::IntoFuture;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::{read_to_close, req, Reply, TestServer, LIMIT};
use http_body_util::Full;
use hyper::{Method, Request, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use usrv::route;

#[route("/ok")]
fn ok() -> (u16, &'static str) {
    (200, "ok")
}

#[route("/echo/<int:n>", methods = ["GET", "POST"])]
fn echo(n: i64, body: Bytes) -> (u16, i64, usize) {
    (200, n, body.len())
}

#[route("/boom")]
async fn boom() -> (u16,) {
    panic!("boom");
}

static SLOW_STARTED: AtomicUsize = AtomicUsize::new(0);
static SLOW_FINISHED: AtomicUsize = AtomicUsize::new(0);

/// An in-flight request when the shutdown signal fires.
#[route("/slow")]
async fn slow() -> (u16, &'static str) {
    SLOW_STARTED.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    SLOW_FINISHED.fetch_add(1, Ordering::SeqCst);
    (200, "done")
}

static STUCK_STARTED: AtomicBool = AtomicBool::new(false);

/// Longer than any test: only the grace period ends it.
#[route("/stuck")]
async fn stuck() -> (u16,) {
    STUCK_STARTED.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(60)).await;
    (200,)
}

const ROUTES: usize = 5;

async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    tokio::time::timeout(LIMIT, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} in time"));
}

fn get(path: &str) -> Request<Bytes> {
    req(Method::GET, path).body(Bytes::new()).unwrap()
}

#[tokio::test]
async fn http1_keep_alive_serves_many_requests_on_one_connection() {
    let server = TestServer::start().await;
    let mut conn = server.connect().await;
    for i in 0..10 {
        let reply = conn
            .send(
                req(Method::POST, &format!("/echo/{i}"))
                    .body(Bytes::from(vec![b'x'; i]))
                    .unwrap(),
            )
            .await;
        assert_eq!(reply.version, Version::HTTP_11);
        assert_eq!(reply.json(200), json!([i, i]));
        assert_eq!(reply.header("connection"), None, "no close announced");
        // Errors keep the connection too.
        conn.get("/nothing").await.error(404, &[]);
        conn.get("/echo/x").await.error(400, &["`n`"]);
        conn.get("/boom").await.error(500, &[]);
    }
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn http1_pipelined_requests_are_answered_in_order() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"GET /echo/1 HTTP/1.1\r\nHost: t\r\n\r\n\
              POST /echo/2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc\
              GET /echo/3 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let received = read_to_close(&mut stream)
        .await
        .expect("closed after `Connection: close`");
    let text = String::from_utf8(received).unwrap();
    assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 3, "{text}");
    let first = text.find("[1,0]").expect(&text);
    let second = text.find("[2,3]").expect(&text);
    let third = text.find("[3,0]").expect(&text);
    assert!(first < second && second < third, "{text}");
}

#[tokio::test]
async fn http1_0_is_answered_and_closed() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /ok HTTP/1.0\r\n\r\n").await.unwrap();
    let received = read_to_close(&mut stream).await.expect("closed");
    let text = String::from_utf8(received).unwrap();
    assert!(text.starts_with("HTTP/1.0 200 OK\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n\"ok\""), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_with_prior_knowledge() {
    let server = TestServer::start().await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
    tokio::spawn(connection);
    let base = format!("http://{}", server.addr);

    // Concurrent streams on the one connection.
    let mut tasks = Vec::new();
    for i in 0..20usize {
        let mut sender = sender.clone();
        let uri = format!("{base}/echo/{i}");
        tasks.push(tokio::spawn(async move {
            let request = Request::post(uri)
                .body(Full::new(Bytes::from(vec![b'y'; i * 100])))
                .unwrap();
            let response = tokio::time::timeout(LIMIT, sender.send_request(request))
                .await
                .expect("in time")
                .expect("answered");
            (i, Reply::from_response(response).await)
        }));
    }
    for task in tasks {
        let (i, reply) = task.await.unwrap();
        assert_eq!(reply.version, Version::HTTP_2);
        assert_eq!(reply.json(200), json!([i, i * 100]));
    }

    // Errors and panics end their stream, not the connection.
    let mut sender = sender;
    for (path, status) in [("/boom", 500), ("/nothing", 404), ("/ok", 200)] {
        let request = Request::get(format!("{base}{path}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = tokio::time::timeout(LIMIT, sender.send_request(request))
            .await
            .unwrap()
            .unwrap();
        let reply = Reply::from_response(response).await;
        assert_eq!(reply.status, status, "{path}");
        assert_eq!(reply.version, Version::HTTP_2);
    }
    let request = Request::head(format!("{base}/ok"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let reply = Reply::from_response(sender.send_request(request).await.unwrap()).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    assert_eq!(
        reply.header("content-length"),
        Some("4"),
        "the length of `\"ok\"`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    let server = TestServer::start().await;
    let addr = server.addr;
    let started = SLOW_STARTED.load(Ordering::SeqCst);
    let finished = SLOW_FINISHED.load(Ordering::SeqCst);
    let in_flight = tokio::spawn(async move { common::send(addr, get("/slow")).await });
    wait_until("the slow handler starts", || {
        SLOW_STARTED.load(Ordering::SeqCst) > started
    })
    .await;
    assert_eq!(SLOW_FINISHED.load(Ordering::SeqCst), finished);

    // Fire the signal while the handler sleeps; run() returns only once it is done.
    server.stop().await.expect("run() returns Ok");
    assert_eq!(
        SLOW_FINISHED.load(Ordering::SeqCst),
        finished + 1,
        "run() returned before the in-flight request finished"
    );
    let reply = tokio::time::timeout(LIMIT, in_flight)
        .await
        .expect("the in-flight request is answered")
        .unwrap();
    assert_eq!(reply.json(200), json!("done"));

    // New connections are refused afterwards.
    let refused = TcpStream::connect(addr).await;
    assert!(refused.is_err(), "a connection after shutdown: {refused:?}");
}

#[tokio::test]
async fn shutdown_closes_idle_keep_alive_connections() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut conn = server.connect().await;
    assert_eq!(conn.get("/ok").await.json(200), json!("ok"));
    // Two idle connections do not hold the shutdown (LIMIT is far below
    // the 30 s default grace period).
    server.stop().await.expect("run() returns Ok");
    let received = read_to_close(&mut stream).await.expect("closed");
    assert!(String::from_utf8_lossy(&received).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn the_grace_period_bounds_the_shutdown() {
    let server = TestServer::with(|s| s.shutdown_grace(Duration::from_millis(200))).await;
    let addr = server.addr;
    let in_flight = tokio::spawn(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        let request = req(Method::GET, "/stuck")
            .body(Full::new(Bytes::new()))
            .unwrap();
        sender.send_request(request).await.map(|r| r.status())
    });
    wait_until("the stuck handler starts", || {
        STUCK_STARTED.load(Ordering::SeqCst)
    })
    .await;
    server
        .stop()
        .await
        .expect("run() returns Ok after the grace period");
    // The stuck request never got its answer; it was cut off, not left hanging.
    let outcome = tokio::time::timeout(LIMIT, in_flight)
        .await
        .expect("the stuck request ends with its connection")
        .unwrap();
    assert!(outcome.is_err(), "{outcome:?}");
}

#[tokio::test]
async fn bind_reports_the_address_and_the_routes() {
    let bound = usrv::serve()
        .addr("127.0.0.1:0")
        .bind()
        .await
        .expect("binds");
    assert_eq!(bound.app().route_count(), ROUTES);
    let taken = bound.local_addr();
    // The same address again is refused with a message naming it.
    let error = usrv::serve()
        .addr(taken.to_string())
        .bind()
        .await
        .err()
        .expect("the address is in use");
    assert!(matches!(error, usrv::Error::Bind(..)), "{error:?}");
    assert!(error.to_string().contains(&taken.to_string()), "{error}");

    let error = usrv::serve()
        .addr("not an address")
        .bind()
        .await
        .err()
        .expect("not an address");
    assert!(error.to_string().contains("not an address"), "{error}");
}

#[tokio::test]
async fn awaiting_the_builder_runs_the_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(
        usrv::serve()
            .addr(addr.to_string())
            .shutdown_signal(async move {
                let _ = stopped.await;
            })
            .into_future(),
    );
    // The port was free a moment ago; wait for the server to take it.
    let mut reply = None;
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_ok() {
            reply = Some(common::send(addr, get("/ok")).await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(reply.expect("the server listens").json(200), json!("ok"));
    stop.send(()).unwrap();
    tokio::time::timeout(LIMIT, running)
        .await
        .expect("stops")
        .unwrap()
        .expect("Ok");
}
