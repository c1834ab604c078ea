//! What a handler returns becomes the response, over a real socket.

mod common;

// `::bytes`: the route `fn bytes` below also defines the type `bytes`.
use ::bytes::Bytes;
use common::TestServer;
use serde::Serialize;
use serde_json::json;
use usrv::{http, route, Body, Json, Rejection, Response, StatusCode};

#[route("/status/<int:code>")]
fn any_status(code: u16) -> (u16, &'static str) {
    (code, "hi")
}

#[route("/status-code/<int:code>")]
fn any_status_code(code: u16) -> Response {
    http::Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .body(Body::from("hi"))
        .unwrap()
}

#[route("/status-only")]
fn status_only() -> (u16,) {
    (202,)
}

#[route("/one")]
fn one() -> (u16, i32) {
    (201, 5)
}

#[route("/two")]
fn two() -> (StatusCode, &'static str, Option<i32>) {
    (StatusCode::OK, "a", None)
}

/// The most values a response tuple takes.
#[allow(clippy::type_complexity)]
#[route("/twelve")]
fn twelve() -> (
    u16,
    u8,
    i16,
    u32,
    i64,
    f64,
    bool,
    char,
    String,
    &'static str,
    Vec<u8>,
    Option<()>,
    [i32; 2],
) {
    (
        200,
        1,
        -2,
        3,
        -4,
        5.5,
        true,
        'x',
        "s".to_owned(),
        "t",
        vec![7, 8],
        None,
        [9, 10],
    )
}

#[derive(Serialize)]
struct Point {
    x: i32,
    y: i32,
}

#[route("/status-code")]
fn status_code_tuple() -> (StatusCode, Point) {
    (StatusCode::IM_A_TEAPOT, Point { x: 1, y: 2 })
}

#[route("/json")]
fn json_value() -> Json<Point> {
    Json(Point { x: 3, y: -4 })
}

#[route("/json-created")]
fn json_created() -> (u16, Json<Vec<Point>>) {
    (201, Json(vec![Point { x: 0, y: 0 }]))
}

#[route("/string")]
fn string() -> String {
    format!("{}-{}", "dynamic", 1)
}

#[route("/str")]
fn static_str() -> &'static str {
    "static ünïcode"
}

#[route("/bytes")]
fn bytes() -> Bytes {
    Bytes::from_static(b"\x00\xffraw")
}

#[route("/unit", methods = ["GET", "DELETE"])]
fn unit() {}

#[route("/unit-async")]
async fn unit_async() {}

#[route("/bare-status")]
fn bare_status() -> StatusCode {
    StatusCode::ACCEPTED
}

#[route("/result/<int:n>")]
fn result(n: i64) -> Result<(u16, i64), Rejection> {
    if n < 0 {
        return Err(Rejection::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "n must not be negative",
        ));
    }
    Ok((200, n * 10))
}

#[route("/result-async/<int:n>")]
async fn result_async(n: i64) -> Result<String, Rejection> {
    if n == 0 {
        Err(Rejection::forbidden("zero is not allowed"))
    } else {
        Ok(n.to_string())
    }
}

#[route("/result-mixed/<flag>")]
fn result_mixed(flag: bool) -> Result<Json<Point>, StatusCode> {
    if flag {
        Ok(Json(Point { x: 1, y: 1 }))
    } else {
        Err(StatusCode::CONFLICT)
    }
}

#[route("/rejection")]
fn rejection() -> Rejection {
    Rejection::not_found("nothing here \"quoted\"")
}

#[route("/full")]
fn full() -> Response {
    http::Response::builder()
        .status(418)
        .header("x-brewed", "yes")
        .header("content-type", "text/x-tea")
        .header("set-cookie", "a=1")
        .header("set-cookie", "b=2")
        .body(Body::from("I am a teapot"))
        .unwrap()
}

#[route("/invalid-status")]
fn invalid_status() -> (u16, &'static str) {
    (1000, "never sent")
}

#[route("/not-serialisable")]
fn not_serialisable() -> (u16, std::collections::HashMap<(i32, i32), i32>) {
    // JSON object keys must be strings: serialising this fails at run time.
    (200, [((1, 2), 3)].into_iter().collect())
}

#[tokio::test]
async fn a_status_alone_is_null() {
    let server = TestServer::start().await;
    let reply = server.get("/status-only").await;
    assert_eq!(reply.json(202), json!(null));
    assert_eq!(reply.text(), "null");
}

#[tokio::test]
async fn one_value_is_the_value_more_are_an_array() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/one").await.json(201), json!(5));
    assert_eq!(server.get("/two").await.json(200), json!(["a", null]));
    assert_eq!(
        server.get("/twelve").await.json(200),
        json!([
            1,
            -2,
            3,
            -4,
            5.5,
            true,
            "x",
            "s",
            "t",
            [7, 8],
            null,
            [9, 10]
        ])
    );
}

#[tokio::test]
async fn a_status_code_status() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("/status-code").await.json(418),
        json!({"x": 1, "y": 2})
    );
    let reply = server.get("/bare-status").await;
    assert_eq!(reply.status, 202);
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn json_values() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("/json").await.json(200),
        json!({"x": 3, "y": -4})
    );
    assert_eq!(
        server.get("/json-created").await.json(201),
        json!([{"x": 0, "y": 0}])
    );
}

#[tokio::test]
async fn text_and_bytes() {
    let server = TestServer::start().await;
    for (path, expected) in [("/string", "dynamic-1"), ("/str", "static ünïcode")] {
        let reply = server.get(path).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(reply.text(), expected);
    }
    let reply = server.get("/bytes").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(&reply.body[..], b"\x00\xffraw");
}

#[tokio::test]
async fn unit_is_204_without_a_body() {
    let server = TestServer::start().await;
    for path in ["/unit", "/unit-async"] {
        let reply = server.get(path).await;
        assert_eq!(reply.status, 204, "{path}");
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("content-type"), None);
    }
    let delete = common::req(usrv::Method::DELETE, "/unit")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(server.send(delete).await.status, 204);
}

#[tokio::test]
async fn results_answer_either_side() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/result/4").await.json(200), json!(40));
    server
        .get("/result/-1")
        .await
        .error(422, &["n must not be negative"]);
    let reply = server.get("/result-async/7").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "7");
    server
        .get("/result-async/0")
        .await
        .error(403, &["zero is not allowed"]);
    assert_eq!(
        server.get("/result-mixed/true").await.json(200),
        json!({"x": 1, "y": 1})
    );
    let reply = server.get("/result-mixed/false").await;
    assert_eq!(reply.status, 409);
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn a_rejection_is_a_json_error() {
    let server = TestServer::start().await;
    let reason = server.get("/rejection").await.error(404, &[]);
    assert_eq!(reason, "nothing here \"quoted\"");
}

#[tokio::test]
async fn a_full_response_is_sent_as_built() {
    let server = TestServer::start().await;
    let reply = server.get("/full").await;
    assert_eq!(reply.status, 418);
    assert_eq!(reply.header("x-brewed"), Some("yes"));
    assert_eq!(reply.header("content-type"), Some("text/x-tea"));
    let cookies: Vec<_> = reply.headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(reply.text(), "I am a teapot");
}

#[tokio::test]
async fn an_impossible_status_or_value_is_500() {
    let server = TestServer::start().await;
    let reply = server.get("/invalid-status").await;
    let reason = reply.error(500, &["status"]);
    assert!(!reply.text().contains("never sent"), "{reason}");
    server
        .get("/not-serialisable")
        .await
        .error(500, &["serialis"]);
}

/// A handler's status must be a final one (200 to 599): anything else is a
/// logged 500 with the usual JSON reason, however it was returned.
#[tokio::test]
async fn statuses_outside_200_to_599_are_500() {
    let server = TestServer::start().await;
    for code in [100, 101, 103, 199, 600, 999] {
        for path in [format!("/status/{code}"), format!("/status-code/{code}")] {
            server
                .get(&path)
                .await
                .error(500, &[&code.to_string(), "not a final HTTP status"]);
        }
    }
    for code in [200, 299, 418, 599] {
        let reply = server.get(&format!("/status/{code}")).await;
        assert_eq!(reply.json(code), json!("hi"));
    }
    // Below 100 is not a status at all.
    server
        .get("/status/42")
        .await
        .error(500, &["not a final HTTP status"]);
}
