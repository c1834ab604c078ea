//! `examples/secure.rs` as it is: its OpenAPI document (a snapshot in
//! `tests/openapi/secure.json`) and every one of its routes, open, signed
//! and encrypted, called through its typed call over a real socket.

mod common;
#[allow(dead_code)]
#[path = "../examples/secure.rs"]
mod secure;

use common::TestServer;
use serde_json::json;
use usrv::client::ClientError;
use usrv::crypto::SecretKey;

#[test]
fn the_document_matches_its_snapshot() {
    common::openapi::assert_snapshot("secure");
}

#[tokio::test]
async fn every_route_through_its_typed_call() -> Result<(), ClientError> {
    let server = TestServer::start().await;
    let key = SecretKey::generate();
    let me = key.public_key().to_string();
    let client = usrv::Client::new(&server.url())?.with_key(key);

    let body = json!({"hello": ["world", 1]});
    assert_eq!(secure::echo::call(&client, body.clone()).await?, body);
    assert_eq!(secure::whoami::call(&client).await?, me);
    assert_eq!(
        secure::vault::call(&client, json!({"secret": 42})).await?,
        json!({"secret": 42})
    );
    // The encrypted call went sealed: the same request sent in the clear
    // is refused.
    match client
        .post(&secure::vault::uri())
        .json(&json!({}))?
        .signed()
        .send()
        .await
    {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 415),
        other => panic!("{other:?}"),
    }
    // And the signed one signed: unsigned, it is refused.
    let anonymous = usrv::Client::new(&server.url())?;
    match anonymous.post(&secure::whoami::uri()).send().await {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 401),
        other => panic!("{other:?}"),
    }
    server.stop().await.expect("run() succeeds");
    Ok(())
}
