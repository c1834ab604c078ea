//! Two routes that answer the same method on equivalent paths: the server
//! refuses to start, naming both functions and where they are. (Alone in
//! its test crate: every route of a crate is registered globally.)

use usrv::route;

#[route("/same/<a>")]
fn first(a: String) -> (u16, String) {
    (200, a)
}

#[route("/same/<b>", methods = ["GET", "POST"])]
fn second(b: i64) -> (u16, i64) {
    (200, b)
}

/// Same shape, other method: not a conflict (and not part of the error).
#[route("/same/<c>", methods = ["DELETE"])]
fn third(c: String) -> (u16, String) {
    (200, c)
}

#[track_caller]
fn assert_names_both(message: &str) {
    let first_line = line_of("fn first(");
    let second_line = line_of("fn second(");
    for needle in [
        "conflict::first".to_owned(),
        "conflict::second".to_owned(),
        format!("tests/conflict.rs:{first_line}"),
        format!("tests/conflict.rs:{second_line}"),
    ] {
        assert!(
            message.contains(&needle),
            "{message:?} does not name {needle:?}"
        );
    }
    assert!(!message.contains("third"), "{message}");
    // One sentence that names the shared method only, as a word.
    assert!(message.ends_with("both for GET"), "{message}");
    assert!(!message.contains('{'), "{message}");
}

/// The line of this file where `needle` is (1-based).
fn line_of(needle: &str) -> usize {
    include_str!("conflict.rs")
        .lines()
        .position(|line| line.starts_with(needle))
        .expect("the function is in this file")
        + 1
}

#[tokio::test]
async fn conflicting_routes_stop_the_server_from_starting() {
    let error = usrv::serve()
        .addr("127.0.0.1:0")
        .bind()
        .await
        .err()
        .expect("the route table refuses the conflict");
    assert!(matches!(error, usrv::Error::RouteConflict(_)), "{error:?}");
    assert_names_both(&error.to_string());
    // `main() -> Result<(), usrv::Error>` prints the error's `Debug`: the
    // same sentence.
    assert_eq!(format!("{error:?}"), error.to_string());
}

#[test]
fn the_app_refuses_them_too() {
    let error = usrv::App::new().err().expect("a conflict");
    assert_names_both(&error.to_string());
}
