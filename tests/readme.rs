//! The original package's README examples, over a real socket: the same
//! routes as `examples/hello.rs`, answered the same way.

mod common;

use common::{post, TestServer};
use serde_json::json;
use usrv::{route, Args, Kwargs};

#[route("/test")]
fn do_test(a: Option<String>, b: Option<String>) -> (u16, Option<String>, Option<String>) {
    (200, a, b)
}

#[route("/<int:b>/<a>")]
fn from_path(a: String, b: i64) -> (u16, String, i64) {
    (200, a, b)
}

#[route("/kwargs", methods = ["GET", "POST"])]
fn kwargs(
    a: Option<String>,
    b: Option<String>,
    rest: Kwargs,
) -> (u16, Option<String>, Option<String>, Kwargs) {
    (200, a, b, rest)
}

#[route("/vargs", methods = ["GET", "POST"])]
fn vargs(
    a: Option<String>,
    b: Option<String>,
    rest: Args,
) -> (u16, Option<String>, Option<String>, Args) {
    (200, a, b, rest)
}

/// The original's `*args` section: the named values, then the other query
/// values in request order, the method, the headers and the data.
#[tokio::test]
async fn args_collects_the_rest_in_order() {
    let server = TestServer::start().await;
    let json = server
        .get("/vargs?b=12&a=Paris&unexpected=there&x=1&unexpected=again")
        .await
        .json(200);
    let items = json.as_array().expect("an array");
    assert_eq!(items[..2], [json!("Paris"), json!("12")]);
    let rest = items[2].as_array().expect("args is an array");
    assert_eq!(
        rest[..4],
        [json!("there"), json!("1"), json!("again"), json!("GET")]
    );
    assert!(rest[4].as_object().expect("headers").contains_key("host"));
    assert_eq!(rest[5], json!(null));
    assert_eq!(rest.len(), 6);
    let json = server
        .send(post("/vargs?a=1", "application/json", r#"{"k":[1]}"#))
        .await
        .json(200);
    assert_eq!(json[2][0], json!("POST"));
    assert_eq!(json[2][2], json!({"k": [1]}));
}

/// A query key named like one of the map's own keys does not override it,
/// and JSON never gets a key twice.
#[tokio::test]
async fn kwargs_keys_are_unique_and_the_request_wins() {
    let server = TestServer::start().await;
    let reply = server
        .get("/kwargs?method=PUT&headers=x&data=y&other=1")
        .await;
    let text = reply.text();
    assert_eq!(text.matches("\"method\"").count(), 1, "{text}");
    assert_eq!(text.matches("\"headers\"").count(), 1, "{text}");
    assert_eq!(text.matches("\"data\"").count(), 1, "{text}");
    let json = reply.json(200);
    assert_eq!(json[2]["method"], json!("GET"));
    assert_eq!(json[2]["data"], json!(null));
    assert!(json[2]["headers"].is_object());
    assert_eq!(json[2]["other"], json!("1"));
}

#[tokio::test]
async fn query_values_default_to_null() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/test").await.json(200), json!([null, null]));
}

#[tokio::test]
async fn query_values_by_name_in_any_order() {
    let server = TestServer::start().await;
    let reply = server.get("/test?b=12&a=Paris").await;
    assert_eq!(reply.json(200), json!(["Paris", "12"]));
}

#[tokio::test]
async fn path_values_bind_by_name_not_position() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/5/test").await.json(200), json!(["test", 5]));
    // `<int:b>` refuses a non-integer with a 400 naming it.
    server
        .get("/x/test")
        .await
        .error(400, &["`b`", "`x`", "i64"]);
}

#[tokio::test]
async fn kwargs_collects_the_rest() {
    let server = TestServer::start().await;
    let json = server
        .get("/kwargs?a=Paris&b=12&unexpected=there")
        .await
        .json(200);
    let items = json.as_array().expect("an array");
    assert_eq!(items.len(), 3, "{json}");
    assert_eq!(items[0], "Paris");
    assert_eq!(items[1], "12");
    let rest = items[2].as_object().expect("kwargs is an object");
    assert_eq!(rest["unexpected"], "there", "{json}");
    assert_eq!(rest["method"], "GET");
    assert_eq!(rest["headers"]["host"], "usrv.test", "{json}");
    assert_eq!(rest["data"], json!(null));
    // The named arguments are not repeated in the map.
    assert!(!rest.contains_key("a") && !rest.contains_key("b"), "{json}");
    let keys: Vec<&str> = rest.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
}

#[tokio::test]
async fn kwargs_with_a_json_body_and_repeated_keys() {
    let server = TestServer::start().await;
    let reply = server
        .send(post(
            "/kwargs?x=1&x=2&b=q",
            "application/json",
            r#"{"k": [1, 2]}"#,
        ))
        .await;
    let json = reply.json(200);
    assert_eq!(json[0], json!(null));
    assert_eq!(json[1], "q");
    assert_eq!(json[2]["x"], json!(["1", "2"]), "{json}");
    assert_eq!(json[2]["method"], "POST");
    assert_eq!(json[2]["headers"]["content-type"], "application/json");
    assert_eq!(json[2]["data"], json!({"k": [1, 2]}));

    // A body that is not JSON comes back as text.
    let reply = server
        .send(post("/kwargs", "text/plain", "hello there"))
        .await;
    assert_eq!(reply.json(200)[2]["data"], "hello there");
}
