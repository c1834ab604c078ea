//! `usrv::Client` against a real server over a real socket: signed and
//! sealed round trips with pinned and discovered server keys, and what the
//! client does when something between it and the server replays, strips or
//! tampers with a reply.

mod common;

use std::sync::{Arc, Mutex};

use common::secure::{
    fake_server, flip_last_body_byte, forward, proxy, send_bytes, without_header, without_headers,
    Message, Wire,
};
use common::TestServer;
use serde_json::{json, Value};
use usrv::client::ClientError;
use usrv::crypto::SecretKey;
use usrv::{route, Bytes, Client, Identity, Json, Rejection, StatusCode};

/// Open to anyone.
#[route("/echo", methods = ["POST"])]
fn echo(body: Json<Value>) -> (u16, Json<Value>) {
    (200, body)
}

/// Needs a signature; answers the sender and the query value.
#[route("/whoami", methods = ["GET", "POST"])]
fn whoami(sender: Identity, q: Option<String>) -> (u16, String, Option<String>) {
    (200, sender.to_string(), q)
}

/// Needs sealed bodies.
#[route("/vault", methods = ["POST"], encrypted)]
fn vault(body: Json<Value>) -> (u16, Json<Value>) {
    (200, body)
}

/// Sealed bytes in, the same bytes out.
#[route("/blob", methods = ["POST"], encrypted)]
fn blob(body: Bytes) -> Bytes {
    body
}

/// A route that refuses, after the signature verified.
#[route("/conflict", methods = ["POST"], signed)]
fn conflict() -> Result<(u16, String), Rejection> {
    Err(Rejection::new(StatusCode::CONFLICT, "already there"))
}

fn client_of(server: &TestServer) -> Client {
    Client::new(&server.url())
        .expect("a valid URL")
        .with_key(SecretKey::generate())
}

fn client_at(addr: std::net::SocketAddr) -> Client {
    Client::new(&format!("http://{addr}")).expect("a valid URL")
}

#[tokio::test]
async fn signed_round_trip_with_a_discovered_server_key() {
    let server = TestServer::start().await;
    let client = client_of(&server);
    let me = client.public_key().unwrap().to_string();
    let reply = client
        .post("/whoami")
        .query("q", "a b&c")
        .signed()
        .send()
        .await
        .expect("a signed exchange");
    assert_eq!(reply.status(), 200);
    assert!(reply.is_authenticated());
    assert_eq!(reply.json::<Value>().unwrap(), json!([me, "a b&c"]));
    // Discovered through GET /puk on first use.
    assert_eq!(client.server_key().await.unwrap(), server.key);

    // Encrypted, on the discovered key.
    let reply = client
        .post("/vault")
        .json(&json!({"secret": 42}))
        .unwrap()
        .encrypted()
        .send()
        .await
        .expect("a sealed exchange");
    assert!(reply.is_authenticated());
    assert_eq!(reply.json::<Value>().unwrap(), json!({"secret": 42}));
}

#[tokio::test]
async fn signed_and_encrypted_round_trips_with_a_pinned_server_key() {
    let server = TestServer::with(|s| s.public_key_route(false)).await;
    let client = client_of(&server).with_server_key(server.key);
    let me = client.public_key().unwrap().to_string();
    let reply = client.get("/whoami").signed().send().await.unwrap();
    assert!(reply.is_authenticated());
    assert_eq!(reply.json::<Value>().unwrap(), json!([me, null]));
    let reply = client
        .post("/vault")
        .json(&json!(["a", 1]))
        .unwrap()
        .encrypted()
        .send()
        .await
        .unwrap();
    assert_eq!(reply.json::<Value>().unwrap(), json!(["a", 1]));
    // The opened reply no longer claims to be sealed.
    assert!(reply.headers().get("content-encoding").is_none());
    // A sealed body to an open route, and the sealed reply opened.
    let reply = client
        .post("/echo")
        .json(&json!({"x": true}))
        .unwrap()
        .encrypted()
        .send()
        .await
        .unwrap();
    assert_eq!(reply.json::<Value>().unwrap(), json!({"x": true}));
    // Unsigned calls need no key at all.
    let anonymous = client_at(server.addr);
    let reply = anonymous
        .post("/echo")
        .json(&json!(1))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert!(!reply.is_authenticated());
    assert_eq!(reply.json::<Value>().unwrap(), json!(1));
}

#[tokio::test]
async fn without_puk_and_without_a_pinned_key_discovery_fails() {
    let server = TestServer::with(|s| s.public_key_route(false)).await;
    let client = client_of(&server);
    let error = client.post("/whoami").signed().send().await.unwrap_err();
    assert!(matches!(error, ClientError::Discovery(_)), "{error:?}");
}

#[tokio::test]
async fn signing_without_a_key_is_refused_before_sending() {
    let server = TestServer::start().await;
    let client = client_at(server.addr);
    let error = client.post("/whoami").signed().send().await.unwrap_err();
    assert!(matches!(error, ClientError::NoKey), "{error:?}");
    let error = client.post("/vault").encrypted().send().await.unwrap_err();
    assert!(matches!(error, ClientError::NoKey), "{error:?}");
}

#[tokio::test]
async fn a_reply_from_another_key_is_refused() {
    let server = TestServer::start().await;
    let impostor = SecretKey::generate().public_key();
    let client = client_of(&server).with_server_key(impostor);
    let error = client.post("/whoami").signed().send().await.unwrap_err();
    assert!(matches!(error, ClientError::BadReplySignature), "{error:?}");
    // Sealed to the pinned key, the server cannot open it; its (signed)
    // error reply is not from the pinned key either.
    let error = client
        .post("/vault")
        .json(&json!({}))
        .unwrap()
        .encrypted()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::BadReplySignature), "{error:?}");
}

#[tokio::test]
async fn a_captured_reply_served_to_another_request_is_refused() {
    let server = TestServer::start().await;
    let key = SecretKey::generate();
    let key_bytes = key.to_bytes();
    // A genuine signed reply to one request of this very client key.
    let captured = Wire::new("POST", "/whoami")
        .sign(&key)
        .send(server.addr)
        .await;
    assert_eq!(captured.status, 200);
    assert!(captured.is_signed());
    let captured = Arc::new(captured.wire);
    // A fake server answers it to every request.
    let fake = fake_server(move |_request: Message| {
        let captured = captured.clone();
        async move { captured.to_vec() }
    })
    .await;
    let client = client_at(fake)
        .with_key(SecretKey::from_bytes(&key_bytes).unwrap())
        .with_server_key(server.key);
    let error = client.post("/whoami").signed().send().await.unwrap_err();
    assert!(
        matches!(error, ClientError::BadReplySignature),
        "a reply bound to another nonce: {error:?}"
    );
}

#[tokio::test]
async fn a_reply_with_its_signature_removed_is_refused() {
    let server = TestServer::start().await;
    let strip_signature = proxy(server.addr, |reply| {
        without_header(&reply, "sender-signature")
    })
    .await;
    let strip_both = proxy(server.addr, |reply| {
        without_headers(&reply, &["sender-signature", "sender-public-key"])
    })
    .await;
    for addr in [strip_signature, strip_both] {
        let client = client_at(addr)
            .with_key(SecretKey::generate())
            .with_server_key(server.key);
        let error = client.post("/whoami").signed().send().await.unwrap_err();
        assert!(matches!(error, ClientError::UnsignedReply), "{error:?}");
        let error = client
            .post("/vault")
            .json(&json!({"a": 1}))
            .unwrap()
            .encrypted()
            .send()
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::UnsignedReply), "{error:?}");
        // Unsigned exchanges through the same proxy are fine.
        let reply = client
            .post("/echo")
            .json(&json!(2))
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(reply.json::<Value>().unwrap(), json!(2));
    }
}

#[tokio::test]
async fn a_tampered_reply_is_refused() {
    let server = TestServer::start().await;
    let body_flipped = proxy(server.addr, |reply| flip_last_body_byte(&reply)).await;
    let status_changed = proxy(server.addr, |reply| {
        let mut bytes = reply.wire.clone();
        assert!(bytes.starts_with(b"HTTP/1.1 200 OK"));
        bytes[9..12].copy_from_slice(b"202");
        bytes
    })
    .await;
    let unsealed = proxy(server.addr, |reply| {
        without_header(&reply, "content-encoding")
    })
    .await;
    for (what, addr) in [
        ("body", body_flipped),
        ("status", status_changed),
        ("encoding", unsealed),
    ] {
        let client = client_at(addr)
            .with_key(SecretKey::generate())
            .with_server_key(server.key);
        let error = client
            .post("/vault")
            .json(&json!({"amount": 100}))
            .unwrap()
            .encrypted()
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(error, ClientError::BadReplySignature),
            "{what}: {error:?}"
        );
        if what != "encoding" {
            let error = client.post("/whoami").signed().send().await.unwrap_err();
            assert!(
                matches!(error, ClientError::BadReplySignature),
                "{what}: {error:?}"
            );
        }
    }
}

#[tokio::test]
async fn an_unsigned_error_in_place_of_a_signed_reply_stays_unauthenticated() {
    let server = TestServer::start().await;
    let forged = proxy(server.addr, |_reply| {
        let body = br#"{"error":"go away","status":401}"#;
        let mut bytes = format!(
            "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        bytes
    })
    .await;
    let client = client_at(forged)
        .with_key(SecretKey::generate())
        .with_server_key(server.key);
    match client.post("/whoami").signed().send().await {
        Err(ClientError::Status {
            status,
            reason,
            authenticated,
        }) => {
            assert_eq!(status, 401);
            assert_eq!(reason, "go away");
            assert!(!authenticated, "nobody signed it");
        }
        other => panic!("expected an unauthenticated status error: {other:?}"),
    }
}

#[tokio::test]
async fn the_clients_requests_cannot_be_replayed() {
    let server = TestServer::start().await;
    let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let recorder = {
        let seen = seen.clone();
        let upstream = server.addr;
        fake_server(move |request: Message| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(request.wire.clone());
                forward(upstream, &request).await.wire
            }
        })
        .await
    };
    let client = client_at(recorder)
        .with_key(SecretKey::generate())
        .with_server_key(server.key);
    let reply = client
        .post("/vault")
        .json(&json!({"pay": 5}))
        .unwrap()
        .encrypted()
        .send()
        .await
        .unwrap();
    assert_eq!(reply.json::<Value>().unwrap(), json!({"pay": 5}));
    let captured = seen
        .lock()
        .unwrap()
        .pop()
        .expect("the request went through");
    // The sealed body is not readable on the wire.
    assert!(common::secure::find(&captured, b"pay").is_none());
    let raw = send_bytes(server.addr, &captured).await;
    raw.assert_error(412, "already used");
}

#[tokio::test]
async fn a_mebibyte_round_trips_sealed() {
    let server = TestServer::with(|s| s.body_limit(2 << 20)).await;
    let client = client_of(&server).with_server_key(server.key);
    let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 7 + i / 251) as u8).collect();
    let reply = client
        .post("/blob")
        .body(data.clone(), "application/octet-stream")
        .encrypted()
        .send()
        .await
        .expect("1 MiB round trip");
    assert!(reply.is_authenticated());
    assert_eq!(reply.bytes().len(), data.len());
    assert!(reply.bytes()[..] == data[..]);

    // The envelope is larger than the plaintext: a 1 MiB body does not fit
    // the default 1 MiB limit once sealed.
    let server = TestServer::start().await;
    let client = client_of(&server).with_server_key(server.key);
    match client
        .post("/blob")
        .body(data, "application/octet-stream")
        .encrypted()
        .send()
        .await
    {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 413),
        other => panic!("expected 413: {other:?}"),
    }
}

#[tokio::test]
async fn http_errors_are_status_errors() {
    let server = TestServer::start().await;
    let client = client_of(&server);

    // Refused before any signature: not authenticated.
    match client.post("/whoami").send().await {
        Err(ClientError::Status {
            status,
            reason,
            authenticated,
        }) => {
            assert_eq!(status, 401);
            assert!(reason.contains("signed"), "{reason}");
            assert!(!authenticated);
        }
        other => panic!("expected 401: {other:?}"),
    }
    // Refused by the route after the signature verified: signed by the server.
    match client.post("/conflict").signed().send().await {
        Err(ClientError::Status {
            status,
            reason,
            authenticated,
        }) => {
            assert_eq!(status, 409);
            assert_eq!(reason, "already there");
            assert!(authenticated);
        }
        other => panic!("expected 409: {other:?}"),
    }
    // A sealed exchange's error comes back opened.
    match client
        .post("/vault")
        .body("not json", "application/json")
        .encrypted()
        .send()
        .await
    {
        Err(ClientError::Status {
            status,
            reason,
            authenticated,
        }) => {
            assert_eq!(status, 400);
            assert!(reason.contains("JSON"), "{reason}");
            assert!(authenticated);
        }
        other => panic!("expected 400: {other:?}"),
    }
    // Plaintext to an encrypted route.
    match client
        .post("/vault")
        .json(&json!({}))
        .unwrap()
        .signed()
        .send()
        .await
    {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 415),
        other => panic!("expected 415: {other:?}"),
    }
    match client.get("/nowhere").signed().send().await {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 404),
        other => panic!("expected 404: {other:?}"),
    }
    let error = client.post("/whoami").send().await.unwrap_err();
    assert!(error.to_string().starts_with("401 "), "{error}");
}

#[tokio::test]
async fn the_client_works_against_the_allow_list() {
    let allowed = SecretKey::generate();
    let allowed_public = allowed.public_key();
    let server = TestServer::with(move |s| s.allow_keys([allowed_public])).await;
    let client = Client::new(&server.url()).unwrap().with_key(allowed);
    assert_eq!(
        client
            .post("/whoami")
            .signed()
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let stranger = client_of(&server);
    match stranger.post("/whoami").signed().send().await {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 403),
        other => panic!("expected 403: {other:?}"),
    }
}
