//! usrv's `App` as a `tower::Service`, over real sockets: mounted in axum
//! under a tower-http layer, and inside a plain hyper server.

mod common;

use std::net::SocketAddr;

use axum::http::{HeaderName, HeaderValue};
use axum::routing::get;
use bytes::Bytes;
use common::{post, req, TestServer};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use usrv::{route, Json, Method};

#[route("/usrv/<int:n>")]
fn double(n: i64, label: Option<String>) -> (u16, i64, Option<String>) {
    (200, n * 2, label)
}

#[route("/usrv/echo", methods = ["POST"])]
async fn echo(value: Json<serde_json::Value>) -> (u16, Json<serde_json::Value>) {
    (201, value)
}

#[route("/usrv/upload", methods = ["POST"])]
fn upload(body: Bytes) -> (u16, usize) {
    (200, body.len())
}

#[route("/usrv/panic")]
fn panics() -> (u16,) {
    panic!("inside tower");
}

fn powered_by() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        HeaderName::from_static("x-powered-by"),
        HeaderValue::from_static("usrv+tower"),
    )
}

/// Serves the axum router on an ephemeral port; stops with the test's runtime.
async fn serve_axum(router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// A plain hyper server (HTTP/1.1 and HTTP/2) around any tower service.
async fn serve_hyper<S>(service: S) -> SocketAddr
where
    S: tower::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = hyper::Response<usrv::Body>,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn get_req(path: &str) -> hyper::Request<Bytes> {
    req(Method::GET, path).body(Bytes::new()).unwrap()
}

#[tokio::test]
async fn inside_axum_under_a_tower_http_layer() {
    let router = axum::Router::new()
        .route("/axum/hello", get(|| async { "from axum" }))
        .fallback_service(usrv::App::new().expect("the routes build"))
        .layer(powered_by());
    let addr = serve_axum(router).await;

    // axum's own route, with the layer's header.
    let reply = common::send(addr, get_req("/axum/hello")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "from axum");
    assert_eq!(reply.header("x-powered-by"), Some("usrv+tower"));

    // usrv's routes behind it, with the same header.
    let reply = common::send(addr, get_req("/usrv/21?label=x%20y")).await;
    assert_eq!(reply.json(200), json!([42, "x y"]));
    assert_eq!(reply.header("x-powered-by"), Some("usrv+tower"));
    let reply = common::send(
        addr,
        post("/usrv/echo", "application/json", r#"{"a":[1,2]}"#),
    )
    .await;
    assert_eq!(reply.json(201), json!({"a": [1, 2]}));

    // usrv's errors are its own JSON errors, still under the layer.
    let reply = common::send(addr, get_req("/usrv/x")).await;
    reply.error(400, &["`n`", "`x`"]);
    assert_eq!(reply.header("x-powered-by"), Some("usrv+tower"));
    let reply = common::send(addr, get_req("/nowhere")).await;
    reply.error(404, &[]);
    assert_eq!(reply.header("x-powered-by"), Some("usrv+tower"));
    let reply = common::send(
        addr,
        req(Method::PUT, "/usrv/1").body(Bytes::new()).unwrap(),
    )
    .await;
    reply.error(405, &[]);
    assert_eq!(reply.header("allow"), Some("GET, HEAD, OPTIONS"));
    common::send(addr, get_req("/usrv/panic"))
        .await
        .error(500, &[]);
    assert_eq!(
        common::send(addr, get_req("/usrv/1")).await.json(200),
        json!([2, null])
    );
}

#[tokio::test]
async fn inside_a_plain_hyper_server() {
    let addr = serve_hyper(usrv::App::new().unwrap()).await;
    let mut conn = common::Conn::open(addr).await;
    assert_eq!(conn.get("/usrv/5").await.json(200), json!([10, null]));
    // The request body streams in from hyper's `Incoming`.
    let reply = conn
        .send(post(
            "/usrv/upload",
            "application/octet-stream",
            vec![1u8; 5000],
        ))
        .await;
    assert_eq!(reply.json(200), json!(5000));
    conn.get("/usrv/panic").await.error(500, &[]);
    conn.get("/nowhere").await.error(404, &[]);
    // HEAD has no body (hyper's HTTP/1 and usrv agree).
    let reply = conn
        .send(req(Method::HEAD, "/usrv/5").body(Bytes::new()).unwrap())
        .await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn a_configured_app_under_a_tower_layer_in_hyper() {
    let app = usrv::serve().body_limit(1024).app().unwrap();
    let service = tower::ServiceBuilder::new()
        .layer(tower::util::MapResponseLayer::new(
            |mut response: hyper::Response<usrv::Body>| {
                response
                    .headers_mut()
                    .insert("x-layer", HeaderValue::from_static("mapped"));
                response
            },
        ))
        .service(app);
    let addr = serve_hyper(service).await;
    let reply = common::send(
        addr,
        post("/usrv/upload", "application/octet-stream", vec![0u8; 1024]),
    )
    .await;
    assert_eq!(reply.json(200), json!(1024));
    assert_eq!(reply.header("x-layer"), Some("mapped"));
    let reply = common::send(
        addr,
        post("/usrv/upload", "application/octet-stream", vec![0u8; 1025]),
    )
    .await;
    reply.error(413, &["1024"]);
    assert_eq!(reply.header("x-layer"), Some("mapped"));
}

#[tokio::test]
async fn the_same_routes_from_usrv_own_server() {
    // The control: the routes answer the same through `usrv::serve()`.
    let server = TestServer::start().await;
    assert_eq!(
        server.get("/usrv/21?label=x%20y").await.json(200),
        json!([42, "x y"])
    );
    assert_eq!(server.get("/axum/hello").await.status, 404);
}
