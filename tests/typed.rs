//! The type `#[route]` defines beside each function: `name::ROUTE` (served
//! alone, two route sets on two ports), `name::uri(...)` (the request
//! target) and `name::call(&client, ...)` (the typed call) for every kind
//! of argument and return, over a real socket.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::TestServer;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use usrv::client::{ClientError, MultipartForm};
use usrv::crypto::SecretKey;
use usrv::{
    route, Bytes, Client, Form, HeaderMap, Identity, Json, Kwargs, Multipart, Rejection, Response,
    StatusCode,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    title: String,
    done: bool,
}

/// The README's route.
#[route("/<int:a>/<b>")]
fn do_test(a: i64, b: String) -> (u16, i64, String) {
    (200, a, b)
}

/// Path values of several converters, then query values of every shape.
#[route("/typed/<int:id>/<float:x>/<path:rest>")]
fn shapes(
    id: u8,
    x: f64,
    rest: PathBuf,
    q: String,
    maybe: Option<i32>,
    tags: Vec<String>,
    headers: HeaderMap,
) -> (u16, u8, f64, String, String, Option<i32>, Vec<String>, bool) {
    let rest = rest.to_string_lossy().into_owned();
    let has_agent = headers.contains_key("user-agent");
    (200, id, x, rest, q, maybe, tags, has_agent)
}

#[route("/todos/<int:id>", methods = ["PUT", "GET"])]
async fn put_todo(
    id: u32,
    todo: Json<Todo>,
    dry_run: Option<bool>,
) -> (u16, u32, Json<Todo>, bool) {
    (201, id, todo, dry_run.unwrap_or(false))
}

#[route("/form", methods = ["POST"])]
fn form(todo: Form<Todo>) -> Json<Todo> {
    Json(todo.0)
}

#[route("/bytes", methods = ["POST"])]
fn bytes(body: Bytes, reverse: bool) -> Bytes {
    match reverse {
        true => body.iter().rev().copied().collect::<Vec<u8>>().into(),
        false => body,
    }
}

#[route("/upload", methods = ["POST"])]
fn upload(form: Multipart) -> (u16, BTreeMap<String, usize>) {
    let sizes = form
        .parts()
        .iter()
        .map(|part| (part.name.clone(), part.data.len()))
        .collect();
    (200, sizes)
}

#[route("/text")]
fn text(name: String) -> String {
    format!("hello {name}")
}

#[route("/static-text")]
fn static_text() -> &'static str {
    "static"
}

#[route("/nothing", methods = ["DELETE"])]
fn nothing() {}

#[route("/null")]
fn null() -> (u16,) {
    (200,)
}

#[route("/status")]
fn status() -> StatusCode {
    StatusCode::ACCEPTED
}

#[route("/fallible/<int:n>")]
fn fallible(n: i64) -> Result<(u16, i64), Rejection> {
    match n {
        n if n < 0 => Err(Rejection::new(StatusCode::CONFLICT, "negative")),
        n => Ok((200, n * 2)),
    }
}

#[route("/raw")]
fn raw() -> Response {
    let mut response = Response::new(usrv::Body::from("raw body"));
    *response.status_mut() = StatusCode::CREATED;
    response
}

#[route("/kwargs")]
fn kwargs(a: Option<String>, rest: Kwargs) -> (u16, Option<String>, Kwargs) {
    (200, a, rest)
}

#[route("/borrowed")]
fn borrowed() -> (u16, &'static str, &'static [&'static str]) {
    (200, "x", &["y", "z"])
}

#[route("/whoami", methods = ["POST"], signed)]
fn whoami(sender: Identity, note: Option<String>) -> (u16, String, Option<String>) {
    (200, sender.to_string(), note)
}

/// `Identity` alone makes a route signed.
#[route("/me")]
fn me(sender: Identity) -> String {
    sender.to_string()
}

#[route("/vault/<name>", methods = ["POST"], encrypted)]
fn vault(name: String, secret: Json<Value>) -> (u16, String, Json<Value>) {
    (200, name, secret)
}

/// An argument named `client` moves the call's own parameter aside.
#[route("/client")]
fn named_client(client: String) -> String {
    client
}

#[route("/one")]
fn one() -> &'static str {
    "one"
}

#[route("/two")]
fn two() -> &'static str {
    "two"
}

fn client_of(server: &TestServer) -> Client {
    Client::new(&server.url())
        .expect("a valid URL")
        .with_key(SecretKey::generate())
}

#[test]
fn uri_writes_the_target() {
    assert_eq!(do_test::uri(5, "a b"), "/5/a%20b");
    assert_eq!(do_test::uri(-1, String::from("x/y?")), "/-1/x%2Fy%3F");
    assert_eq!(
        shapes::uri(7, 1.5, "dir/a b.txt", "q&=", None, ["x", "y"]),
        "/typed/7/1.5/dir/a%20b.txt?q=q%26%3D&tags=x&tags=y"
    );
    assert_eq!(
        shapes::uri(
            7,
            2.0,
            PathBuf::from("f"),
            "",
            Some(-3),
            Vec::<String>::new()
        ),
        "/typed/7/2/f?q=&maybe=-3"
    );
    // Body and context arguments are not in the target.
    assert_eq!(put_todo::uri(3, Some(true)), "/todos/3?dry_run=true");
    assert_eq!(whoami::uri(None), "/whoami");
    assert_eq!(nothing::uri(), "/nothing");
    assert_eq!(text::uri("é"), "/text?name=%C3%A9");
}

#[test]
fn route_is_the_registered_static() {
    assert_eq!(do_test::ROUTE.name(), "do_test");
    assert_eq!(do_test::ROUTE.pattern(), "/<int:a>/<b>");
    assert!(whoami::ROUTE.is_signed() && !whoami::ROUTE.is_encrypted());
    assert!(me::ROUTE.is_signed());
    assert!(vault::ROUTE.is_encrypted());
    let app = usrv::App::new().expect("the routes build");
    assert!(app.route_count() >= 20);
    let registered = usrv::App::with_routes([do_test::ROUTE, do_test::ROUTE]);
    assert!(
        registered.is_err(),
        "the same route twice is a conflict with itself"
    );
}

#[tokio::test]
async fn every_argument_and_return_kind_through_call() -> Result<(), ClientError> {
    let server = TestServer::start().await;
    let client = client_of(&server);

    assert_eq!(
        do_test::call(&client, 5, "test".into()).await?,
        (5, "test".to_owned())
    );
    assert_eq!(
        do_test::call(&client, 5, "a b/c?d#e%".into()).await?,
        (5, "a b/c?d#e%".to_owned())
    );

    let got = shapes::call(
        &client,
        255,
        -0.5,
        PathBuf::from("dir/sub/file name.txt"),
        "a&b=c d+e".into(),
        Some(-7),
        vec!["x".into(), "é".into()],
    )
    .await?;
    assert_eq!(
        got,
        (
            255,
            -0.5,
            "dir/sub/file name.txt".to_owned(),
            "a&b=c d+e".to_owned(),
            Some(-7),
            vec!["x".to_owned(), "é".to_owned()],
            true
        )
    );

    let todo = Todo {
        title: "write".into(),
        done: false,
    };
    assert_eq!(
        put_todo::call(&client, 9, todo.clone(), Some(true)).await?,
        (9, todo.clone(), true)
    );
    assert_eq!(form::call(&client, todo.clone()).await?, todo);
    assert_eq!(
        bytes::call(&client, Bytes::from_static(b"abc"), true).await?,
        Bytes::from_static(b"cba")
    );
    let parts = MultipartForm::new().text("a", "12345").file(
        "f",
        "f.bin",
        "application/octet-stream",
        [0u8; 10],
    );
    assert_eq!(
        upload::call(&client, parts).await?,
        BTreeMap::from([("a".to_owned(), 5), ("f".to_owned(), 10)])
    );
    assert_eq!(text::call(&client, "you".into()).await?, "hello you");
    assert_eq!(static_text::call(&client).await?, "static");
    nothing::call(&client).await?;
    null::call(&client).await?;
    assert_eq!(status::call(&client).await?, StatusCode::ACCEPTED);
    assert_eq!(fallible::call(&client, 21).await?, 42);
    match fallible::call(&client, -1).await {
        Err(ClientError::Status { status, reason, .. }) => {
            assert_eq!(
                (status, reason.as_str()),
                (StatusCode::CONFLICT, "negative")
            )
        }
        other => panic!("{other:?}"),
    }
    let reply = raw::call(&client).await?;
    assert_eq!(
        (reply.status(), reply.text()?),
        (StatusCode::CREATED, "raw body")
    );
    let (a, rest) = kwargs::call(&client, Some("Paris".into())).await?;
    assert_eq!(a.as_deref(), Some("Paris"));
    assert_eq!(rest["method"], json!("GET"));
    assert_eq!(
        borrowed::call(&client).await?,
        ("x".to_owned(), vec!["y".to_owned(), "z".to_owned()])
    );
    assert_eq!(named_client::call(&client, "me".into()).await?, "me");

    // A wrong value in the path comes back as the server's 400.
    match client
        .get(&do_test::uri(1, "x").replace("/1/", "/x/"))
        .send()
        .await
    {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 400),
        other => panic!("{other:?}"),
    }
    server.stop().await.expect("run() succeeds");
    Ok(())
}

#[tokio::test]
async fn signed_and_encrypted_routes_through_call() -> Result<(), ClientError> {
    let server = TestServer::start().await;
    let client = client_of(&server);
    let me_key = client.public_key().expect("a key").to_string();

    let (sender, note) = whoami::call(&client, Some("hi".into())).await?;
    assert_eq!(
        (sender.as_str(), note.as_deref()),
        (me_key.as_str(), Some("hi"))
    );
    assert_eq!(me::call(&client).await?, me_key);

    // The request is signed and sealed, and the reply verified and opened.
    let reply = vault::request(&client, "box".into(), json!({"secret": 42}))?
        .send()
        .await?;
    assert!(reply.is_authenticated());
    let (name, secret) = vault::call(&client, "box".into(), json!({"secret": 42})).await?;
    assert_eq!((name.as_str(), secret), ("box", json!({"secret": 42})));

    // Without a key, a signed call cannot be made.
    let anonymous = Client::new(&server.url()).expect("a valid URL");
    assert!(matches!(
        whoami::call(&anonymous, None).await,
        Err(ClientError::NoKey)
    ));
    server.stop().await.expect("run() succeeds");
    Ok(())
}

#[tokio::test]
async fn two_route_sets_on_two_ports() -> Result<(), ClientError> {
    let first = TestServer::with(|server| server.routes([one::ROUTE, do_test::ROUTE])).await;
    let second = TestServer::with(|server| server.routes([two::ROUTE])).await;
    let (a, b) = (client_of(&first), client_of(&second));

    assert_eq!(one::call(&a).await?, "one");
    assert_eq!(do_test::call(&a, 1, "x".into()).await?, (1, "x".to_owned()));
    assert_eq!(two::call(&b).await?, "two");
    for (client, call) in [(&a, "two"), (&b, "one")] {
        let result = match call {
            "two" => two::call(client).await,
            _ => one::call(client).await,
        };
        match result {
            Err(ClientError::Status { status, .. }) => assert_eq!(status, 404),
            other => panic!("{call} on the other server: {other:?}"),
        }
    }
    let app = usrv::App::with_routes([two::ROUTE]).expect("one route builds");
    assert_eq!(app.route_count(), 1);
    first.stop().await.expect("run() succeeds");
    second.stop().await.expect("run() succeeds");
    Ok(())
}
