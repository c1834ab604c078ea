//! `examples/hello.rs` as it is: its OpenAPI document (a snapshot in
//! `tests/openapi/hello.json`) and every one of its routes called through
//! its typed call over a real socket.

mod common;
#[allow(dead_code)]
#[path = "../examples/hello.rs"]
mod hello;

use common::TestServer;
use serde_json::json;
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

    let (a, b, rest) = hello::kwargs::call(&client, Some("Paris".into()), None).await?;
    assert_eq!((a.as_deref(), b), (Some("Paris"), None));
    assert_eq!(rest["method"], json!("GET"));
    assert_eq!(rest["data"], json!(null));

    server.stop().await.expect("run() succeeds");
    Ok(())
}
