//! Where arguments come from, over a real socket: query values (`Option`,
//! `Vec`, decoding), JSON and form bodies, the raw body, the request head,
//! the catch-all map and the whole request.

mod common;

use bytes::Bytes;
use common::{post, req, TestServer};
use serde::{Deserialize, Serialize};
use serde_json::json;
use usrv::{route, Form, HeaderMap, Json, Kwargs, Method, Uri};

#[route("/q")]
fn query(name: String, n: i32, flag: Option<bool>) -> (u16, String, i32, Option<bool>) {
    (200, name, n, flag)
}

#[route("/opt")]
fn optional(x: Option<u64>) -> (u16, Option<u64>) {
    (200, x)
}

#[route("/vec")]
fn repeated(tag: Vec<String>, n: Vec<i64>) -> (u16, Vec<String>, Vec<i64>) {
    (200, tag, n)
}

#[route("/text")]
fn text(s: String) -> (u16, String) {
    (200, s)
}

#[derive(Debug, Deserialize, Serialize)]
struct Todo {
    title: String,
    done: bool,
}

#[route("/json", methods = ["POST", "PUT"])]
fn json_body(todo: Json<Todo>) -> (u16, String, bool) {
    (201, todo.0.title, todo.0.done)
}

#[route("/form", methods = ["POST"])]
fn form(form: Form<Todo>) -> (u16, Json<Todo>) {
    (200, Json(form.0))
}

#[route("/raw", methods = ["POST"])]
fn raw_body(body: Bytes) -> (u16, usize, String) {
    (200, body.len(), String::from_utf8_lossy(&body).into_owned())
}

#[route("/head/<int:id>", methods = ["GET", "DELETE"])]
fn head(
    id: i64,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> (u16, i64, String, String, String) {
    let agent = headers
        .get("x-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    (200, id, method.to_string(), uri.to_string(), agent)
}

#[route("/request/<name>", methods = ["POST"])]
fn whole(name: String, request: usrv::Request) -> (u16, String, String, String, String) {
    let header = request
        .headers()
        .get("x-test")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = String::from_utf8_lossy(request.body()).into_owned();
    (200, name, request.uri().path().to_owned(), header, body)
}

#[route("/kw/<id>", methods = ["GET", "POST"])]
fn kw(id: String, a: Option<String>, rest: Kwargs) -> (u16, String, Option<String>, Kwargs) {
    (200, id, a, rest)
}

#[route("/mixed/<int:id>", methods = ["POST"])]
async fn mixed(id: u32, page: Option<u32>, todo: Json<Todo>) -> (u16, u32, Option<u32>, String) {
    (200, id, page, todo.0.title)
}

#[tokio::test]
async fn required_and_optional_query_values() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("/q?name=bob&n=-3&flag=true").await.json(200),
        json!(["bob", -3, true])
    );
    assert_eq!(
        server.get("/q?n=7&name=").await.json(200),
        json!(["", 7, null])
    );
    // The first of repeated values.
    assert_eq!(
        server.get("/q?name=a&name=b&n=1").await.json(200),
        json!(["a", 1, null])
    );
    assert_eq!(server.get("/opt").await.json(200), json!(null));
    assert_eq!(server.get("/opt?x=9").await.json(200), json!(9));
}

#[tokio::test]
async fn a_missing_required_query_value_is_400_naming_it() {
    let server = TestServer::start().await;
    server
        .get("/q?n=1")
        .await
        .error(400, &["missing", "`name`"]);
    server
        .get("/q?name=x")
        .await
        .error(400, &["missing", "`n`"]);
    server.get("/text").await.error(400, &["`s`"]);
}

#[tokio::test]
async fn an_unparsable_query_value_is_400_naming_it() {
    let server = TestServer::start().await;
    server
        .get("/q?name=x&n=many")
        .await
        .error(400, &["query parameter", "`n`", "`many`", "i32"]);
    server
        .get("/q?name=x&n=1&flag=yes")
        .await
        .error(400, &["`flag`", "`yes`", "bool"]);
    // An optional value that is there must still parse.
    server
        .get("/opt?x=-1")
        .await
        .error(400, &["`x`", "`-1`", "u64"]);
    server
        .get("/vec?n=1&n=two")
        .await
        .error(400, &["`n`", "`two`", "i64"]);
}

#[tokio::test]
async fn repeated_keys_fill_a_vec() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("/vec?tag=a&n=1&tag=b&n=2&tag=c").await.json(200),
        json!([["a", "b", "c"], [1, 2]])
    );
    assert_eq!(server.get("/vec").await.json(200), json!([[], []]));
}

#[tokio::test]
async fn query_values_are_percent_decoded_and_plus_is_a_space() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("/text?s=caf%C3%A9+au+lait%21").await.json(200),
        json!("café au lait!")
    );
    assert_eq!(
        server.get("/text?s=a%2Bb%26c%3Dd").await.json(200),
        json!("a+b&c=d")
    );
    // An encoded key names the argument too.
    assert_eq!(server.get("/text?%73=key").await.json(200), json!("key"));
    assert_eq!(server.get("/opt?x=%31%32").await.json(200), json!(12));
}

#[tokio::test]
async fn invalid_utf8_in_a_query_value_is_400() {
    let server = TestServer::start().await;
    server
        .get("/text?s=%FF")
        .await
        .error(400, &["`s`", "UTF-8"]);
    server.get("/opt?x=%C3").await.error(400, &["`x`", "UTF-8"]);
    server
        .get("/vec?tag=ok&tag=%E2%82")
        .await
        .error(400, &["`tag`", "UTF-8"]);
    server.get("/kw/1?bad=%FF").await.error(400, &["UTF-8"]);
}

#[tokio::test]
async fn a_json_body() {
    let server = TestServer::start().await;
    let reply = server
        .send(post(
            "/json",
            "application/json",
            r#"{"title":"write tests","done":true}"#,
        ))
        .await;
    assert_eq!(reply.json(201), json!(["write tests", true]));
    // A charset parameter and a `+json` type are JSON too.
    let reply = server
        .send(post(
            "/json",
            "Application/JSON; charset=utf-8",
            r#"{"title":"t","done":false}"#,
        ))
        .await;
    assert_eq!(reply.json(201), json!(["t", false]));
    let reply = server
        .send(post(
            "/json",
            "application/vnd.todo+json",
            r#"{"title":"v","done":false}"#,
        ))
        .await;
    assert_eq!(reply.json(201), json!(["v", false]));
}

#[tokio::test]
async fn bad_json_is_400() {
    let server = TestServer::start().await;
    for body in [
        "{not json",
        "",
        r#"{"title": "no done"}"#,
        r#"{"title": 5, "done": true}"#,
        "[]",
    ] {
        server
            .send(post("/json", "application/json", body))
            .await
            .error(400, &["JSON"]);
    }
}

#[tokio::test]
async fn a_wrong_or_missing_content_type_for_json_is_415() {
    let server = TestServer::start().await;
    let body = r#"{"title":"t","done":true}"#;
    server
        .send(post("/json", "text/plain", body))
        .await
        .error(415, &["application/json"]);
    server
        .send(post("/json", "application/x-www-form-urlencoded", body))
        .await
        .error(415, &["application/json"]);
    server
        .send(req(Method::PUT, "/json").body(Bytes::from(body)).unwrap())
        .await
        .error(415, &["application/json"]);
}

#[tokio::test]
async fn an_urlencoded_form() {
    let server = TestServer::start().await;
    let reply = server
        .send(post(
            "/form",
            "application/x-www-form-urlencoded",
            "title=caf%C3%A9+time&done=false",
        ))
        .await;
    assert_eq!(
        reply.json(200),
        json!({"title": "café time", "done": false})
    );
    server
        .send(post(
            "/form",
            "application/x-www-form-urlencoded",
            "title=x",
        ))
        .await
        .error(400, &["form"]);
    server
        .send(post(
            "/form",
            "application/json",
            r#"{"title":"x","done":true}"#,
        ))
        .await
        .error(415, &["urlencoded"]);
}

#[tokio::test]
async fn the_raw_body() {
    let server = TestServer::start().await;
    let reply = server
        .send(post(
            "/raw",
            "application/octet-stream",
            &b"\x00\x01hello"[..],
        ))
        .await;
    assert_eq!(reply.json(200), json!([7, "\u{0}\u{1}hello"]));
    let reply = server
        .send(req(Method::POST, "/raw").body(Bytes::new()).unwrap())
        .await;
    assert_eq!(reply.json(200), json!([0, ""]));
    // Chunked bodies are collected too.
    let mut conn = server.connect().await;
    let chunks = ["abc", "", "def", "g"].map(Bytes::from);
    let request = req(Method::POST, "/raw")
        .body(http_body_util::BodyExt::boxed(common::Chunked::new(chunks)))
        .unwrap();
    let reply = conn.send_body(request).await;
    assert_eq!(reply.json(200), json!([7, "abcdefg"]));
}

#[tokio::test]
async fn method_uri_and_headers() {
    let server = TestServer::start().await;
    let reply = server
        .send(
            req(Method::DELETE, "/head/5?x=1&y=%20")
                .header("x-agent", "tester/1.0")
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
    assert_eq!(
        reply.json(200),
        json!([5, "DELETE", "/head/5?x=1&y=%20", "tester/1.0"])
    );
    assert_eq!(
        server.get("/head/6").await.json(200),
        json!([6, "GET", "/head/6", "none"])
    );
}

#[tokio::test]
async fn the_whole_request() {
    let server = TestServer::start().await;
    let request = req(Method::POST, "/request/n%C3%A9?q=1")
        .header("x-test", "yes")
        .body(Bytes::from_static(b"payload"))
        .unwrap();
    assert_eq!(
        server.send(request).await.json(200),
        json!(["né", "/request/n%C3%A9", "yes", "payload"])
    );
}

#[tokio::test]
async fn kwargs_leaves_out_every_named_argument() {
    let server = TestServer::start().await;
    let json = server
        .get("/kw/7?id=override&a=1&z=%F0%9F%A6%80&e")
        .await
        .json(200);
    assert_eq!(json[0], "7", "the path value wins: {json}");
    assert_eq!(json[1], "1");
    let rest = json[2].as_object().unwrap();
    assert!(
        !rest.contains_key("id") && !rest.contains_key("a"),
        "{json}"
    );
    assert_eq!(rest["z"], "🦀");
    assert_eq!(rest["e"], "");
    assert_eq!(rest["method"], "GET");
    assert_eq!(rest["data"], json!(null));
}

#[tokio::test]
async fn path_query_and_body_together() {
    let server = TestServer::start().await;
    let reply = server
        .send(post(
            "/mixed/3?page=2&id=99",
            "application/json",
            r#"{"title":"all","done":true}"#,
        ))
        .await;
    assert_eq!(reply.json(200), json!([3, 2, "all"]));
}
