//! Shared state over real sockets: values given to the server at start,
//! taken by handlers as `State<T>`, several types at once; a route whose
//! state is missing stops the server at start-up; the same through
//! `App::builder()` inside axum.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use common::{post, TestServer};
use serde_json::json;
use tokio::net::TcpListener;
use usrv::{route, State};

/// A counter shared by every request.
#[derive(Default)]
struct Hits(AtomicU64);

/// A configuration value, of another type.
struct Greeting(String);

/// Mutable state behind a lock.
#[derive(Default)]
struct Names(Mutex<Vec<String>>);

#[route("/hits")]
fn hits(hits: State<Hits>) -> (u16, u64) {
    (200, hits.0.fetch_add(1, Ordering::SeqCst) + 1)
}

#[route("/greet/<name>")]
async fn greet(name: String, greeting: State<Greeting>, hits: State<Hits>) -> (u16, String, u64) {
    let count = hits.0.fetch_add(1, Ordering::SeqCst) + 1;
    (200, format!("{} {name}", greeting.0), count)
}

#[route("/names", methods = ["POST"])]
fn add_name(name: String, names: State<Names>) -> (u16, Vec<String>) {
    let mut names = names.0.lock().unwrap();
    names.push(name);
    (200, names.clone())
}

fn with_state(server: usrv::Server) -> usrv::Server {
    server
        .state(Hits::default())
        .state(Greeting("hello".into()))
        .state(Names::default())
}

#[tokio::test]
async fn handlers_share_one_value_per_type() {
    let server = TestServer::with(with_state).await;
    assert_eq!(server.get("/hits").await.json(200), json!(1));
    assert_eq!(server.get("/hits").await.json(200), json!(2));
    // Another route, another connection, the same counter; and a second type.
    assert_eq!(
        server.get("/greet/ada").await.json(200),
        json!(["hello ada", 3])
    );
    let mut connection = server.connect().await;
    connection.get("/hits").await;
    assert_eq!(connection.get("/hits").await.json(200), json!(5));
}

#[tokio::test]
async fn state_behind_a_lock_keeps_its_changes() {
    let server = TestServer::with(with_state).await;
    server
        .send(post("/names?name=ada", "text/plain", ""))
        .await
        .json(200);
    let reply = server
        .send(post("/names?name=alan", "text/plain", ""))
        .await;
    assert_eq!(reply.json(200), json!(["ada", "alan"]));
}

#[tokio::test]
async fn concurrent_requests_see_the_same_state() {
    let server = TestServer::with(with_state).await;
    let addr = server.addr;
    let requests = (0..20).map(|_| {
        tokio::spawn(async move {
            common::send(
                addr,
                common::req(usrv::Method::GET, "/hits")
                    .body(Default::default())
                    .unwrap(),
            )
            .await
        })
    });
    for request in requests {
        assert_eq!(request.await.unwrap().status, 200);
    }
    assert_eq!(server.get("/hits").await.json(200), json!(21));
}

/// The line of `needle` in this file (1-based).
fn line_of(needle: &str) -> usize {
    include_str!("state.rs")
        .lines()
        .position(|line| line.starts_with(needle))
        .expect("the function is in this file")
        + 1
}

#[tokio::test]
async fn a_missing_state_stops_the_server_at_start_naming_route_and_type() {
    let error = usrv::serve()
        .addr("127.0.0.1:0")
        .state(Hits::default())
        .state(Names::default())
        .bind()
        .await
        .err()
        .expect("the server refuses to start");
    assert!(matches!(error, usrv::Error::MissingState(_)), "{error}");
    let message = error.to_string();
    let line = line_of("async fn greet(");
    for needle in [
        "`state::greet`".to_owned(),
        format!("tests/state.rs:{line}"),
        "`State<state::Greeting>`".to_owned(),
        "no `state::Greeting`".to_owned(),
        // What it holds instead, to spot a value of the wrong type.
        "`state::Hits`".to_owned(),
        ".state(value)".to_owned(),
    ] {
        assert!(message.contains(&needle), "{message:?} lacks {needle:?}");
    }
    // One sentence, as `main` prints it.
    assert_eq!(format!("{error:?}"), message);
    assert!(!message.contains('\n'));

    let error = usrv::App::new().err().expect("no state at all");
    assert!(matches!(error, usrv::Error::MissingState(_)), "{error}");
}

#[tokio::test]
async fn the_same_type_twice_is_a_start_up_error() {
    let error = usrv::serve()
        .addr("127.0.0.1:0")
        .state(Hits::default())
        .state(Greeting("a".into()))
        .state(Greeting("b".into()))
        .state(Names::default())
        .bind()
        .await
        .err()
        .expect("the server refuses to start");
    assert!(matches!(error, usrv::Error::DuplicateState(_)), "{error}");
    assert!(
        error
            .to_string()
            .contains("`state::Greeting` was given twice"),
        "{error}"
    );
}

#[tokio::test]
async fn state_works_the_same_inside_axum() {
    let app = usrv::App::builder()
        .state(Hits::default())
        .state(Greeting("hi".into()))
        .state(Names::default())
        .build()
        .expect("every state is given");
    let router = axum::Router::new()
        .route("/axum", axum::routing::get(|| async { "axum" }))
        .fallback_service(app);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let get = |path: &'static str| {
        common::send(
            addr,
            common::req(usrv::Method::GET, path)
                .body(Default::default())
                .unwrap(),
        )
    };
    assert_eq!(get("/greet/bob").await.json(200), json!(["hi bob", 1]));
    assert_eq!(get("/hits").await.json(200), json!(2));
    assert_eq!(get("/axum").await.text(), "axum");

    let error = usrv::App::builder()
        .state(Hits::default())
        .build()
        .err()
        .expect("a state is missing");
    assert!(matches!(error, usrv::Error::MissingState(_)), "{error}");
}
