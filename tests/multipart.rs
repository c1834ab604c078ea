//! `Multipart` over a real socket, sent by `usrv::Client`.

mod common;

use common::TestServer;
use usrv::client::{ClientError, MultipartForm};
use usrv::{route, Client, Multipart};

/// Each part's name, file name and size.
type Summary = Vec<(String, Option<String>, usize)>;

#[route("/upload", methods = ["POST"])]
fn upload(form: Multipart) -> (u16, Summary, Option<String>) {
    let parts = form
        .parts()
        .iter()
        .map(|p| (p.name.clone(), p.filename.clone(), p.data.len()))
        .collect();
    let title = form.get("title").and_then(|p| p.text()).map(str::to_owned);
    (200, parts, title)
}

#[tokio::test]
async fn multipart_bodies_round_trip_and_bad_ones_get_4xx() {
    let server = TestServer::start().await;
    let client = Client::new(&server.url()).unwrap();

    let binary: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let form = MultipartForm::new().text("title", "my \"notes\"").file(
        "file",
        "data.bin",
        "application/octet-stream",
        &binary,
    );
    let reply = client.post("/upload").multipart(form).send().await.unwrap();
    let value: serde_json::Value = reply.json().unwrap();
    assert_eq!(
        value,
        serde_json::json!([
            [["title", null, 10], ["file", "data.bin", 10000]],
            "my \"notes\""
        ])
    );

    let wrong_type = client.post("/upload").body("x", "text/plain").send().await;
    assert!(matches!(wrong_type, Err(ClientError::Status { status, .. }) if status == 415));
    let broken = client
        .post("/upload")
        .body("--b\r\nno headers end", "multipart/form-data; boundary=b")
        .send()
        .await;
    match broken {
        Err(ClientError::Status { status, reason, .. }) => {
            assert_eq!(status, 400);
            assert!(reason.starts_with("invalid multipart body"), "{reason}");
        }
        other => panic!("expected 400, got {other:?}"),
    }

    server.stop().await.unwrap();
}

/// Media-type parameters by the RFC: a quoted file name keeps its `;` and
/// `=`, escapes are undone, names are case-insensitive and the boundary may
/// be quoted; the client escapes what it sends so that names round-trip.
#[tokio::test]
async fn quoted_parameters_are_read_whole() {
    let server = TestServer::start().await;
    let client = Client::new(&server.url()).unwrap();

    let raw = "--XX\r\n\
        Content-Disposition: form-data; NAME=\"doc\"; FileName=\"a;b=c.txt\"\r\n\r\n\
        one\r\n\
        --XX\r\n\
        Content-Disposition: form-data; name=\"quoted\"; filename=\"q \\\"x\\\" \\\\y.txt\"\r\n\r\n\
        two!\r\n\
        --XX--\r\n";
    let reply = client
        .post("/upload")
        .body(raw, "Multipart/Form-Data; Boundary=\"XX\"")
        .send()
        .await
        .unwrap();
    let value: serde_json::Value = reply.json().unwrap();
    assert_eq!(
        value,
        serde_json::json!([
            [["doc", "a;b=c.txt", 3], ["quoted", "q \"x\" \\y.txt", 4]],
            null
        ])
    );

    let name = "odd; name=\"x\" \\ y";
    let form = MultipartForm::new().file(name, "c:\\dir\\\"f\";.txt", "text/plain", b"abc");
    let reply = client.post("/upload").multipart(form).send().await.unwrap();
    let value: serde_json::Value = reply.json().unwrap();
    assert_eq!(
        value,
        serde_json::json!([[[name, "c:\\dir\\\"f\";.txt", 3]], null])
    );

    server.stop().await.unwrap();
}
