//! Every part of the `#[route]` attribute, over a real socket: methods,
//! each path converter, literals against parameters, sync, async and
//! `blocking` functions, trailing slashes, HEAD, 404 and 405.

mod common;

use std::path::PathBuf;

use bytes::Bytes;
use common::{req, TestServer};
use serde_json::json;
use usrv::{route, Method, StatusCode};

#[route("/")]
fn root() -> &'static str {
    "root"
}

#[route("/item", methods = ["GET"])]
fn item_get() -> (u16, &'static str) {
    (200, "get")
}

#[route("/item", methods = ["POST", "PUT"])]
fn item_write(method: Method) -> (u16, String) {
    (201, method.to_string())
}

#[route("/item", methods = ["DELETE", "PATCH", "OPTIONS"])]
fn item_other(method: Method) -> (u16, String) {
    (200, method.to_string())
}

#[route("/post-only", methods = ["POST"])]
fn post_only() -> (u16,) {
    (200,)
}

#[route("/any/<value>")]
fn any(value: String) -> (u16, String) {
    (200, value)
}

#[route("/int/<int:n>")]
fn int(n: i64) -> (u16, i64) {
    (200, n)
}

#[route("/small/<int:n>")]
fn small(n: u8) -> (u16, u8) {
    (200, n)
}

#[route("/float/<float:x>")]
fn float(x: f64) -> (u16, f64) {
    (200, x)
}

#[route("/str/<str:s>")]
fn str_(s: String) -> (u16, String) {
    (200, s)
}

#[route("/bool/<flag>")]
fn bool_(flag: bool) -> (u16, bool) {
    (200, flag)
}

#[route("/files/<path:rest>")]
fn files(rest: String) -> (u16, String) {
    (200, rest)
}

#[route("/tree/<int:id>/<path:rest>")]
fn tree(id: u32, rest: PathBuf) -> (u16, u32, Vec<String>) {
    let parts = rest
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (200, id, parts)
}

#[route("/users/me")]
fn me() -> (u16, &'static str) {
    (200, "literal")
}

#[route("/users/<id>")]
fn user(id: String) -> (u16, &'static str, String) {
    (200, "param", id)
}

#[route("/users/<int:id>/posts/<int:post>")]
fn post(post: i64, id: i64) -> (u16, i64, i64) {
    (200, id, post)
}

#[route("/owner/<name>")]
fn owner(name: String, other: Option<String>) -> (u16, String, Option<String>) {
    (200, name, other)
}

#[route("/async/<int:n>")]
async fn async_double(n: i64) -> (u16, i64) {
    tokio::task::yield_now().await;
    (200, n * 2)
}

/// Runs on the blocking pool: there, and only there, a synchronous function
/// may block on a future. On an async worker `block_on` panics.
#[route("/blocking/<int:n>", blocking)]
fn blocking(n: i64) -> (u16, i64) {
    let doubled = tokio::runtime::Handle::current().block_on(async move { n * 2 });
    (200, doubled)
}

/// The control for `blocking`: the same body without the option.
#[route("/not-blocking/<int:n>")]
fn not_blocking(n: i64) -> (u16, i64) {
    let doubled = tokio::runtime::Handle::current().block_on(async move { n * 2 });
    (200, doubled)
}

fn request(method: Method, path: &str) -> hyper::Request<Bytes> {
    req(method, path).body(Bytes::new()).unwrap()
}

#[tokio::test]
async fn the_root_route() {
    let server = TestServer::start().await;
    let reply = server.get("/").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "root");
}

#[tokio::test]
async fn methods_choose_the_function() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/item").await.json(200), json!("get"));
    for (method, status) in [
        (Method::POST, 201),
        (Method::PUT, 201),
        (Method::DELETE, 200),
        (Method::PATCH, 200),
        (Method::OPTIONS, 200),
    ] {
        let reply = server.send(request(method.clone(), "/item")).await;
        assert_eq!(reply.json(status), json!(method.as_str()));
    }
}

#[tokio::test]
async fn a_method_no_route_answers_is_405_with_allow() {
    let server = TestServer::start().await;
    let reply = server.send(request(Method::TRACE, "/item")).await;
    reply.error(405, &[]);
    let allow = reply.header("allow").expect("an Allow header");
    let mut allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
    allowed.sort_unstable();
    assert_eq!(
        allowed,
        ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    );

    let reply = server.get("/post-only").await;
    reply.error(405, &[]);
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
    // HEAD is not implied by a POST-only route.
    let reply = server.send(request(Method::HEAD, "/post-only")).await;
    assert_eq!(reply.status, 405);
    assert!(reply.body.is_empty());
    assert_eq!(
        server
            .send(request(Method::POST, "/post-only"))
            .await
            .json(200),
        json!(null)
    );
}

#[tokio::test]
async fn no_route_is_404() {
    let server = TestServer::start().await;
    for path in [
        "/nothing",
        "/item/extra",
        "/users/1/posts",
        "/int",
        "/files",
        "/files/",
        "//",
    ] {
        server.get(path).await.error(404, &[]);
    }
    // Also for a method no route names.
    server
        .send(request(Method::DELETE, "/nothing"))
        .await
        .error(404, &[]);
}

#[tokio::test]
async fn converters() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/any/hello").await.json(200), json!("hello"));
    assert_eq!(server.get("/int/-42").await.json(200), json!(-42));
    assert_eq!(server.get("/small/255").await.json(200), json!(255));
    assert_eq!(server.get("/float/2.5").await.json(200), json!(2.5));
    assert_eq!(server.get("/float/-1e3").await.json(200), json!(-1000.0));
    assert_eq!(server.get("/float/7").await.json(200), json!(7.0));
    assert_eq!(server.get("/str/12").await.json(200), json!("12"));
    assert_eq!(server.get("/bool/true").await.json(200), json!(true));
}

#[tokio::test]
async fn a_value_that_does_not_parse_is_400_naming_it() {
    let server = TestServer::start().await;
    server
        .get("/int/abc")
        .await
        .error(400, &["path parameter", "`n`", "`abc`", "i64"]);
    server
        .get("/int/1.5")
        .await
        .error(400, &["`n`", "`1.5`", "i64"]);
    server
        .get("/small/256")
        .await
        .error(400, &["`n`", "`256`", "u8"]);
    server
        .get("/float/pi")
        .await
        .error(400, &["`x`", "`pi`", "f64"]);
    server
        .get("/bool/maybe")
        .await
        .error(400, &["`flag`", "`maybe`", "bool"]);
    // A very long bad value is shortened in the reason.
    let long = "9".repeat(500);
    let reason = server
        .get(&format!("/int/{long}"))
        .await
        .error(400, &["`n`", "i64"]);
    assert!(reason.len() < 300, "{reason}");
}

#[tokio::test]
async fn path_takes_the_rest_of_the_path() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/files/a.txt").await.json(200), json!("a.txt"));
    assert_eq!(
        server.get("/files/dir/sub/c.txt").await.json(200),
        json!("dir/sub/c.txt")
    );
    assert_eq!(
        server.get("/files/dir/sub/").await.json(200),
        json!("dir/sub")
    );
    assert_eq!(
        server.get("/tree/7/a/b/c").await.json(200),
        json!([7, ["a", "b", "c"]])
    );
    server.get("/tree/x/a").await.error(400, &["`id`", "`x`"]);
}

#[tokio::test]
async fn literals_win_over_parameters() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/users/me").await.json(200), json!("literal"));
    assert_eq!(
        server.get("/users/you").await.json(200),
        json!(["param", "you"])
    );
    // Arguments bind by name, whatever their order in the function.
    assert_eq!(
        server.get("/users/3/posts/9").await.json(200),
        json!([3, 9])
    );
}

#[tokio::test]
async fn a_trailing_slash_matches_the_same_route() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/item/").await.json(200), json!("get"));
    assert_eq!(server.get("/int/5/").await.json(200), json!(5));
    assert_eq!(
        server.get("/users/3/posts/9/").await.json(200),
        json!([3, 9])
    );
    server.get("/item//").await.error(404, &[]);
}

#[tokio::test]
async fn percent_encoded_segments_are_decoded_before_parsing() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("/any/caf%C3%A9%20cr%C3%A8me").await.json(200),
        json!("café crème")
    );
    // An encoded slash stays inside its segment.
    assert_eq!(server.get("/any/a%2Fb").await.json(200), json!("a/b"));
    // `+` is not a space in a path.
    assert_eq!(server.get("/any/a+b").await.json(200), json!("a+b"));
    assert_eq!(server.get("/int/%34%32").await.json(200), json!(42));
    assert_eq!(
        server.get("/files/a%20b/c%2Bd").await.json(200),
        json!("a b/c+d")
    );
}

#[tokio::test]
async fn invalid_utf8_in_a_path_value_is_400() {
    let server = TestServer::start().await;
    server
        .get("/any/%FF%FE")
        .await
        .error(400, &["`value`", "UTF-8"]);
    server
        .get("/files/ok/%C3")
        .await
        .error(400, &["`rest`", "UTF-8"]);
}

#[tokio::test]
async fn a_path_value_is_never_overridden_by_the_query() {
    let server = TestServer::start().await;
    assert_eq!(
        server
            .get("/owner/alice?name=mallory&other=x")
            .await
            .json(200),
        json!(["alice", "x"])
    );
    assert_eq!(server.get("/int/1?n=2").await.json(200), json!(1));
}

#[tokio::test]
async fn head_is_answered_by_get_routes_without_a_body() {
    let server = TestServer::start().await;
    let get = server.get("/any/hello").await;
    let head = server.send(request(Method::HEAD, "/any/hello")).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty(), "{:?}", head.body);
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert_eq!(
        head.header("content-length"),
        Some(get.body.len().to_string().as_str())
    );
    // HEAD on a path with no route is still 404, without a body.
    let missing = server.send(request(Method::HEAD, "/nothing")).await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.is_empty());
}

#[tokio::test]
async fn sync_and_async_functions() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/async/21").await.json(200), json!(42));
    assert_eq!(server.get("/int/21").await.json(200), json!(21));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_runs_off_the_async_workers() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/blocking/21").await.json(200), json!(42));
    // Without `blocking`, the same code runs on an async worker, where
    // blocking on a future panics: the 500 shows the option made the difference.
    server.get("/not-blocking/21").await.error(500, &[]);
    // Extraction still happens before the blocking call.
    server.get("/blocking/x").await.error(400, &["`n`"]);
}

#[tokio::test]
async fn a_path_buf_cannot_escape_where_it_is_joined() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("/tree/1/a/./b").await.json(200),
        json!([1, ["a", "b"]])
    );
    for path in [
        "/tree/1/../../etc/passwd",
        "/tree/1/a/../../etc",
        "/tree/1/..%2F..%2Fetc",
        "/tree/1//etc/passwd",
        "/tree/1/%2Fetc",
    ] {
        server.get(path).await.error(400, &["`rest`", "PathBuf"]);
    }
    // A `String` takes the rest of the path as it is.
    assert_eq!(server.get("/files/a/../b").await.json(200), json!("a/../b"));
}

/// The framework's own routes, `/puk` and `/openapi.json`, answer other
/// methods as a `GET` route does: `OPTIONS` 204, others 405, with `Allow`;
/// turned off, their paths are 404 for every method.
#[tokio::test]
async fn own_routes_answer_options_and_refuse_other_methods() {
    let server = TestServer::start().await;
    for path in ["/puk", "/openapi.json"] {
        let reply = server.send(request(Method::OPTIONS, path)).await;
        assert_eq!(reply.status, 204, "{path}: {}", reply.text());
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("allow"), Some("GET, HEAD, OPTIONS"), "{path}");
        for method in [Method::POST, Method::DELETE] {
            let reply = server.send(request(method, path)).await;
            reply.error(405, &["method not allowed"]);
            assert_eq!(reply.header("allow"), Some("GET, HEAD, OPTIONS"), "{path}");
        }
        assert_eq!(server.get(path).await.status, 200, "{path}");
    }
    server.stop().await.expect("stops");

    let server =
        TestServer::with(|server| server.openapi_route(false).public_key_route(false)).await;
    for path in ["/puk", "/openapi.json"] {
        for method in [Method::GET, Method::OPTIONS, Method::POST] {
            server
                .send(request(method, path))
                .await
                .error(404, &["no route"]);
        }
    }
    server.stop().await.expect("stops");
}

/// `OPTIONS` on a path whose routes do not answer it: 204 with `Allow`
/// (a route that names OPTIONS answers it itself, as `/item` above).
#[tokio::test]
async fn options_answers_the_allowed_methods() {
    let server = TestServer::start().await;
    let reply = server.send(request(Method::OPTIONS, "/post-only")).await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert!(reply.body.is_empty());
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
    // No route at all: still 404.
    let reply = server.send(request(Method::OPTIONS, "/nowhere")).await;
    reply.error(404, &[]);
}
