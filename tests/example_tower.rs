//! `examples/tower.rs` as it is: its OpenAPI document (a snapshot in
//! `tests/openapi/tower.json`) and its usrv routes over a real socket,
//! `add` refusing a sum that overflows with the 400 its document declares.

mod common;
#[allow(dead_code)]
#[path = "../examples/tower.rs"]
mod tower_example;

use common::TestServer;
use serde_json::json;

#[test]
fn the_document_matches_its_snapshot() {
    common::openapi::assert_snapshot("tower");
}

#[tokio::test]
async fn add_answers_the_sum_or_a_400_when_it_overflows() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/hello/world").await.text(), "hello world");
    assert_eq!(server.get("/add/2/3").await.json(200), json!(5));
    assert_eq!(
        server.get("/add/9223372036854775807/-1").await.json(200),
        json!(i64::MAX - 1)
    );
    // What schemathesis found: a panic (500) before checked arithmetic.
    for path in [
        "/add/-9223372036854775808/-9223372036854775807",
        "/add/9223372036854775807/1",
    ] {
        server.get(path).await.error(400, &["overflows"]);
    }
    // A 400 with the framework's error body is what the document declares.
    let app = usrv::App::new().expect("the routes build");
    let responses = &app.openapi()["paths"]["/add/{a}/{b}"]["get"]["responses"];
    assert_eq!(
        responses["400"],
        json!({"$ref": "#/components/responses/Error400"})
    );
    assert_eq!(
        app.openapi()["components"]["responses"]["Error400"]["content"]["application/json"]
            ["schema"],
        json!({"$ref": "#/components/schemas/Error"})
    );
    server.stop().await.expect("run() succeeds");
}
