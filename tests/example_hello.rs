//! `examples/hello.rs` as it is: its OpenAPI document (a snapshot in
//! `tests/openapi/hello.json`) and every one of its routes called through
//! its typed call over a real socket.

mod common;
#[allow(dead_code)]
#[path = "../examples/hello.rs"]
mod hello;

use common::TestServer;
use serde_json::{json, Value};
use usrv::client::ClientError;

#[test]
fn the_document_matches_its_snapshot() {
    common::openapi::assert_snapshot("hello");
}

#[tokio::test]
async fn every_route_through_its_typed_call() -> Result<(), ClientError> {
    let server = TestServer::start().await;
    let client = usrv::Client::new(&server.url())?;

    assert_eq!(
        hello::do_test::uri(Some("Paris".into()), Some("12".into())),
        "/test?a=Paris&b=12"
    );
    assert_eq!(
        hello::do_test::call(&client, Some("Paris".into()), Some("12".into())).await?,
        (Some("Paris".to_owned()), Some("12".to_owned()))
    );
    assert_eq!(
        hello::do_test::call(&client, None, None).await?,
        (None, None)
    );

    assert_eq!(hello::from_path::uri("test", 5), "/5/test");
    assert_eq!(
        hello::from_path::call(&client, "a b/c".into(), -5).await?,
        ("a b/c".to_owned(), -5)
    );

    // `kwargs` and `vargs` answer GET and POST: the typed call sends the
    // first (GET); the POST goes to the same typed target, with a body.
    assert_eq!(
        hello::kwargs::uri(Some("Paris".into()), None),
        "/kwargs?a=Paris"
    );
    let (a, b, rest) = hello::kwargs::call(&client, Some("Paris".into()), None).await?;
    assert_eq!((a.as_deref(), b), (Some("Paris"), None));
    assert_eq!(rest["method"], json!("GET"));
    assert_eq!(rest["data"], json!(null));
    assert!(rest["headers"].is_object());
    let (a, b, rest): (Option<String>, Option<String>, Value) = client
        .post(&hello::kwargs::uri(None, Some("12".into())))
        .json(&json!({"k": [1]}))?
        .send()
        .await?
        .json()?;
    assert_eq!((a, b.as_deref()), (None, Some("12")));
    assert_eq!(rest["method"], json!("POST"));
    assert_eq!(rest["data"], json!({"k": [1]}));

    assert_eq!(
        hello::vargs::uri(Some("Paris".into()), Some("12".into())),
        "/vargs?a=Paris&b=12"
    );
    let (a, b, rest) = hello::vargs::call(&client, Some("Paris".into()), Some("12".into())).await?;
    assert_eq!((a.as_deref(), b.as_deref()), (Some("Paris"), Some("12")));
    // No other query value: the method, the headers, the (empty) body.
    let rest = rest.as_array().expect("args is an array");
    assert_eq!(rest.len(), 3, "{rest:?}");
    assert_eq!(rest[0], json!("GET"));
    assert!(rest[1].is_object());
    assert_eq!(rest[2], json!(null));
    let (a, b, rest) = hello::vargs::call(&client, None, None).await?;
    assert_eq!((a, b), (None, None));
    assert_eq!(rest[0], json!("GET"));
    let (a, b, rest): (Option<String>, Option<String>, Value) = client
        .post(&hello::vargs::uri(Some("Paris".into()), None))
        .json(&json!({"k": [1]}))?
        .send()
        .await?
        .json()?;
    assert_eq!((a.as_deref(), b), (Some("Paris"), None));
    assert_eq!(rest, json!(["POST", rest[1].clone(), {"k": [1]}]));
    assert!(rest[1].is_object());

    server.stop().await.expect("run() succeeds");
    Ok(())
}
