//! The server side of the secure protocol over a real socket, request by
//! request crafted by hand (every header and body byte under the test's
//! control): each row of PROTOCOL.md's server-check table with its status and
//! reason, the order of the checks, the allow-list, `GET /puk`, signed and
//! sealed replies, the identity extractors, and error bodies that never echo
//! what was sent.

mod common;

use std::time::Duration;

use common::secure::{error_reason, find, off_curve_key_hex, send_bytes, Raw, Wire};
use common::TestServer;
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use usrv::crypto::{envelope, Nonce, SecretKey, Signature};
use usrv::{route, Bytes, Identity, Json};

/// Open to anyone.
#[route("/echo", methods = ["POST"])]
fn echo(body: Json<Value>) -> (u16, Json<Value>) {
    (200, body)
}

/// Needs a signature; answers the body it saw.
#[route("/signed", methods = ["GET", "POST", "PUT"], signed)]
fn signed(body: Bytes) -> (u16, String) {
    (200, String::from_utf8_lossy(&body).into_owned())
}

/// Needs a signature through its argument.
#[route("/whoami", methods = ["POST"])]
fn whoami(sender: Identity) -> (u16, String) {
    (200, sender.to_string())
}

/// Serves both.
#[route("/maybe", methods = ["GET", "POST"])]
fn maybe(sender: Option<Identity>) -> (u16, Option<String>) {
    (200, sender.map(|s| s.to_string()))
}

/// Needs sealed bodies.
#[route("/vault", methods = ["POST"], encrypted)]
fn vault(body: Json<Value>) -> (u16, Json<Value>) {
    (200, body)
}

/// Encrypted, without a body.
#[route("/vault/hello", methods = ["GET"], encrypted)]
fn vault_hello() -> (u16, &'static str) {
    (200, "sealed hello")
}

#[derive(Deserialize)]
struct Amount {
    n: i64,
}

/// Encrypted, typed body.
#[route("/amount", methods = ["POST"], encrypted)]
fn amount(body: Json<Amount>) -> (u16, i64) {
    (200, body.n)
}

fn key() -> SecretKey {
    SecretKey::generate()
}

/// A valid signed POST to `/signed`.
fn signed_post(client: &SecretKey) -> Wire {
    Wire::new("POST", "/signed")
        .body("hello", "text/plain")
        .sign(client)
}

#[tokio::test]
async fn a_valid_signed_request_passes() {
    let server = TestServer::start().await;
    let client = key();
    let raw = server.send(&signed_post(&client)).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    assert_eq!(raw.json(), json!("hello"));
}

#[tokio::test]
async fn each_missing_identity_header_is_400() {
    let server = TestServer::start().await;
    let client = key();
    for (name, strip) in [
        ("Sender-Public-Key", 0),
        ("Nonce", 1),
        ("Sender-Signature", 2),
    ] {
        let mut wire = signed_post(&client);
        match strip {
            0 => wire.sender = None,
            1 => wire.nonce = None,
            _ => wire.signature = None,
        }
        let raw = server.send(&wire).await;
        let reason = raw.assert_error(400, name);
        assert!(reason.contains("missing"), "{reason}");
        assert!(!raw.is_signed(), "{raw:?}");
    }
    // Any one of them alone makes the request claim a sender.
    for (name, value) in [
        ("Sender-Public-Key", client.public_key().to_string()),
        ("Nonce", Nonce::generate().to_string()),
        ("Sender-Signature", "ab".repeat(64)),
    ] {
        let wire = Wire::new("POST", "/maybe").header(name, &value);
        server.send(&wire).await.assert_error(400, "missing");
    }
    server.assert_alive().await;
}

#[tokio::test]
async fn malformed_sender_keys_are_400() {
    let server = TestServer::start().await;
    let client = key();
    let good = client.public_key().to_string();
    let bad_keys = [
        format!("zz{}", &good[2..]),                // not hex
        good[..62].to_owned(),                      // 31 bytes
        format!("{good}00"),                        // 33 bytes
        String::new(),                              // empty
        off_curve_key_hex(),                        // not an x on the curve
        "ff".repeat(32),                            // x >= p
        format!("0x{}", &good[..62]),               // prefixed
        format!("{} {}", &good[..31], &good[32..]), // inner space
    ];
    for bad in bad_keys {
        let mut wire = signed_post(&client);
        wire.sender = Some(bad.clone());
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 400, "key {bad:?}: {raw:?}");
        // An empty header value is "missing"-or-malformed; both name it.
        raw.assert_error(400, "Sender-Public-Key");
    }
    // Parsers accept upper-case hex.
    let mut wire = signed_post(&client);
    wire.sender = Some(good.to_ascii_uppercase());
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200, "upper-case key: {raw:?}");
    server.assert_alive().await;
}

#[tokio::test]
async fn malformed_nonces_are_400() {
    let server = TestServer::start().await;
    let client = key();
    let ms = usrv::crypto::nonce::now_unix_ms();
    let rand = "0123456789abcdef0123456789abcdef";
    let bad_nonces = [
        format!("{ms}{rand}"),                         // no dot
        format!(".{rand}"),                            // no time
        format!("{ms}."),                              // no randomness
        format!("{ms}.{}", &rand[..15]),               // 15 hex characters
        format!("{ms}.{}", "a".repeat(65)),            // 65 hex characters
        format!("{ms}.{}g", &rand[..16]),              // not hex
        format!("{}.{rand}", "1".repeat(17)),          // 17 digits
        format!("-{ms}.{rand}"),                       // a sign
        format!("{ms}.5.{rand}"),                      // two dots
        format!("{ms}.{} {}", &rand[..8], &rand[8..]), // inner space
        format!("{ms}a.{rand}"),                       // not a digit
        format!("{ms}.{}", "0123456789abcdeé"),        // not ASCII
        String::new(),
    ];
    for bad in bad_nonces {
        let wire = Wire::new("POST", "/signed")
            .body("hello", "text/plain")
            .sign_nonce(&client, &bad);
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 400, "nonce {bad:?}: {raw:?}");
        raw.assert_error(400, "Nonce");
    }
    // The edges of the regex are well formed.
    for good in [
        Nonce::generate().to_string(),
        format!("{ms}.{}", &rand[..16]),
        format!("{ms}.{}", "A".repeat(64)),
        format!("00{ms}.{rand}"), // 15 digits
    ] {
        let wire = Wire::new("POST", "/signed")
            .body("hello", "text/plain")
            .sign_nonce(&client, &good);
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 200, "nonce {good:?}: {raw:?}");
    }
    server.assert_alive().await;
}

#[tokio::test]
async fn malformed_signatures_are_400() {
    let server = TestServer::start().await;
    let client = key();
    for edit in 0..5 {
        let mut wire = signed_post(&client);
        let good = wire.signature.clone().unwrap();
        wire.signature = Some(match edit {
            0 => good[..127].to_owned(),
            1 => format!("{good}0"),
            2 => format!("{}x", &good[..127]),
            3 => good[..126].to_owned(),
            _ => format!("{good}{good}"),
        });
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 400, "edit {edit}: {raw:?}");
        raw.assert_error(400, "Sender-Signature");
    }
    // Upper-case hex is the same signature.
    let mut wire = signed_post(&client);
    wire.signature = wire.signature.map(|s| s.to_ascii_uppercase());
    assert_eq!(server.send(&wire).await.status, 200);
    server.assert_alive().await;
}

#[tokio::test]
async fn nonces_outside_the_window_are_401() {
    let server = TestServer::start().await; // ±30 s
    let client = key();
    let post = || Wire::new("POST", "/signed").body("hello", "text/plain");
    let raw = server.send(&post().sign_at(&client, -60_000)).await;
    raw.assert_error(401, "too old");
    let raw = server.send(&post().sign_at(&client, 60_000)).await;
    raw.assert_error(401, "future");
    let raw = server
        .send(&post().sign_nonce(&client, &format!("1.{}", "0".repeat(16))))
        .await;
    raw.assert_error(401, "too old");
    let far = format!("9999999999999999.{}", "0".repeat(16));
    let raw = server.send(&post().sign_nonce(&client, &far)).await;
    raw.assert_error(401, "future");
    assert_eq!(
        server.send(&post().sign_at(&client, -20_000)).await.status,
        200
    );
    assert_eq!(
        server.send(&post().sign_at(&client, 20_000)).await.status,
        200
    );
    server.assert_alive().await;

    let server = TestServer::with(|s| s.replay_window(Duration::from_secs(2))).await;
    let raw = server.send(&post().sign_at(&client, -3_000)).await;
    raw.assert_error(401, "too old");
    let raw = server.send(&post().sign_at(&client, 3_000)).await;
    raw.assert_error(401, "future");
    assert_eq!(
        server.send(&post().sign_at(&client, -1_000)).await.status,
        200
    );
    assert_eq!(
        server.send(&post().sign_at(&client, 1_000)).await.status,
        200
    );
    server.assert_alive().await;
}

#[tokio::test]
async fn a_request_held_past_the_window_is_refused() {
    let server = TestServer::with(|s| s.replay_window(Duration::from_secs(1))).await;
    let client = key();
    let captured = signed_post(&client).sign_at(&client, -800).to_bytes();
    tokio::time::sleep(Duration::from_millis(400)).await;
    send_bytes(server.addr, &captured)
        .await
        .assert_error(401, "too old");
    server.assert_alive().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let server = TestServer::with(|s| s.body_limit(1024)).await;
    let client = key();
    let sized = |n: usize| Wire::new("POST", "/signed").body(vec![b'a'; n], "text/plain");

    assert_eq!(server.send(&sized(1024).sign(&client)).await.status, 200);
    // Declared too large.
    let raw = server.send(&sized(2000).sign(&client)).await;
    raw.assert_error(413, "1024");
    // Chunked, found too large while reading.
    let mut chunked = sized(3000).sign(&client);
    chunked.chunked = true;
    server.send(&chunked).await.assert_error(413, "1024");
    // Unsigned, to an open route.
    let big = Wire::new("POST", "/echo").json(&format!("\"{}\"", "b".repeat(2000)));
    server.send(&big).await.assert_error(413, "1024");
    server.assert_alive().await;
}

#[tokio::test]
async fn invalid_signatures_are_401() {
    let server = TestServer::start().await;
    let client = key();
    let other = key();
    let base = || {
        Wire::new("POST", "/signed?x=1")
            .body("hello world", "text/plain")
            .sign(&client)
    };
    assert_eq!(server.send(&base()).await.status, 200);

    let mut cases: Vec<(&str, Wire)> = Vec::new();
    let mut wire = base();
    let signature: Signature = wire.signature.as_deref().unwrap().parse().unwrap();
    let mut bytes = signature.to_bytes();
    bytes[10] ^= 0x01;
    wire.signature = Some(Signature::from_bytes(bytes).to_string());
    cases.push(("a flipped bit", wire));

    let mut wire = base();
    wire.signature = other.sign_digest(&wire.digest()).to_string().into();
    cases.push(("signed by another key", wire));

    let mut wire = base();
    wire.sender = Some(other.public_key().to_string());
    cases.push(("another sender claimed", wire));

    let mut wire = base();
    wire.target = "/signed?x=2".into();
    cases.push(("another query", wire));

    let mut wire = base();
    wire.target = "/signed".into();
    cases.push(("query dropped", wire));

    let mut wire = base();
    wire.method = "PUT".into();
    cases.push(("another method", wire));

    let mut wire = base();
    wire.content_type = Some("text/html".into());
    cases.push(("another content type", wire));

    let mut wire = base();
    wire.content_type = None;
    cases.push(("content type dropped", wire));

    let mut wire = base();
    wire.body = b"hello World".to_vec();
    cases.push(("another body, same length", wire));

    let mut wire = base();
    wire.body.push(b'!');
    cases.push(("a byte appended", wire));

    let mut wire = base();
    wire.nonce = Some(Nonce::generate().to_string());
    cases.push(("another nonce", wire));

    let mut wire = base();
    wire.ephemeral = Some(key().public_key().to_string());
    wire.encoding = Some("usrv-v1".into());
    cases.push(("an ephemeral key added", wire));

    let mut wire = base();
    wire.signature = Some("00".repeat(64));
    cases.push(("all zero", wire));

    for (what, wire) in cases {
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 401, "{what}: {raw:?}");
        raw.assert_error(401, "signature");
        assert!(
            !raw.is_signed(),
            "{what}: an unverified request gets no signed reply"
        );
    }
    // A sealed request whose ephemeral key was swapped after signing.
    let mut wire = Wire::new("POST", "/vault")
        .json("{}")
        .seal(&server.key)
        .sign(&client);
    wire.ephemeral = Some(key().public_key().to_string());
    server.send(&wire).await.assert_error(401, "signature");
    server.assert_alive().await;
}

#[tokio::test]
async fn a_replayed_request_is_412() {
    let server = TestServer::start().await;
    let client = key();
    let captured = signed_post(&client).to_bytes();
    let first = send_bytes(server.addr, &captured).await;
    assert_eq!(first.status, 200, "{first:?}");
    let again = send_bytes(server.addr, &captured).await;
    again.assert_error(412, "already used");
    assert!(!again.is_signed());
    // And again: still refused, and the server serves on.
    send_bytes(server.addr, &captured)
        .await
        .assert_error(412, "already used");

    // Re-cased hex in the key or the signature is the same request.
    let wire = signed_post(&client);
    assert_eq!(server.send(&wire).await.status, 200);
    let mut recased = wire.clone();
    recased.sender = recased.sender.map(|s| s.to_ascii_uppercase());
    server
        .send(&recased)
        .await
        .assert_error(412, "already used");
    let mut recased = wire.clone();
    recased.signature = recased.signature.map(|s| s.to_ascii_uppercase());
    server
        .send(&recased)
        .await
        .assert_error(412, "already used");

    // Same nonce, re-signed over another body: still a replay of the nonce.
    let nonce = Nonce::generate().to_string();
    let post = |body: &str| Wire::new("POST", "/signed").body(body, "text/plain");
    assert_eq!(
        server
            .send(&post("a").sign_nonce(&client, &nonce))
            .await
            .status,
        200
    );
    server
        .send(&post("b").sign_nonce(&client, &nonce))
        .await
        .assert_error(412, "already used");
    // The store is per key: another sender may use the same nonce.
    let other = key();
    assert_eq!(
        server
            .send(&post("a").sign_nonce(&other, &nonce))
            .await
            .status,
        200
    );

    // A sealed request replayed byte for byte.
    let captured = Wire::new("POST", "/vault")
        .json(r#"{"secret": 1}"#)
        .seal(&server.key)
        .sign(&client)
        .to_bytes();
    assert_eq!(send_bytes(server.addr, &captured).await.status, 200);
    send_bytes(server.addr, &captured)
        .await
        .assert_error(412, "already used");
    server.assert_alive().await;
}

#[tokio::test]
async fn a_nonce_is_recorded_only_once_its_signature_verified() {
    let server = TestServer::start().await;
    let client = key();
    let nonce = Nonce::generate().to_string();
    let wire = signed_post(&client).sign_nonce(&client, &nonce);

    let mut forged = wire.clone();
    forged.body = b"jello".to_vec();
    server.send(&forged).await.assert_error(401, "signature");
    // An attacker cannot burn the sender's nonce with a forgery.
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    server.send(&wire).await.assert_error(412, "already used");
}

#[tokio::test]
async fn cheap_checks_come_first() {
    let server = TestServer::with(|s| s.body_limit(1024)).await;
    let client = key();
    let post = |n: usize| Wire::new("POST", "/signed").body(vec![b'a'; n], "text/plain");

    // Stale nonce and a bad signature: the stale nonce answers.
    let mut wire = post(10).sign_at(&client, -60_000);
    wire.signature = Some("00".repeat(64));
    server.send(&wire).await.assert_error(401, "too old");
    // Stale nonce and a body over the limit: 401, not 413.
    let wire = post(4000).sign_at(&client, -60_000);
    server.send(&wire).await.assert_error(401, "too old");
    // Malformed key and a stale nonce: 400.
    let mut wire = post(10).sign_at(&client, -60_000);
    wire.sender = Some("12".into());
    server
        .send(&wire)
        .await
        .assert_error(400, "Sender-Public-Key");
    // Body over the limit and a bad signature: 413.
    let mut wire = post(4000).sign(&client);
    wire.signature = Some("00".repeat(64));
    server.send(&wire).await.assert_error(413, "1024");
    // A replay with a body over the limit: 413 (the body check first).
    let nonce = Nonce::generate().to_string();
    assert_eq!(
        server
            .send(&post(10).sign_nonce(&client, &nonce))
            .await
            .status,
        200
    );
    server
        .send(&post(4000).sign_nonce(&client, &nonce))
        .await
        .assert_error(413, "1024");
    // A replay with a bad signature: 401, the signature first.
    let mut wire = post(10).sign_nonce(&client, &nonce);
    wire.body = b"bbbbbbbbbb".to_vec();
    server.send(&wire).await.assert_error(401, "signature");
    // A replayed nonce with a tampered envelope: 412 before the envelope.
    let nonce = Nonce::generate().to_string();
    let sealed = || Wire::new("POST", "/vault").json("{}").seal(&server.key);
    assert_eq!(
        server
            .send(&sealed().sign_nonce(&client, &nonce))
            .await
            .status,
        200
    );
    let mut wire = sealed();
    wire.body[20] ^= 1;
    let wire = wire.sign_nonce(&client, &nonce);
    server.send(&wire).await.assert_error(412, "already used");
    server.assert_alive().await;
}

/// The envelopes that do not open, each re-signed so that only the
/// envelope is at fault.
fn broken_envelopes(server: &usrv::crypto::PublicKey) -> Vec<(&'static str, Wire)> {
    let plain = || Wire::new("POST", "/vault").json(r#"{"secret": "shh"}"#);
    let mut cases = Vec::new();

    let mut wire = plain().seal(server);
    wire.body[16] ^= 0x01;
    cases.push(("ciphertext byte", wire));

    let mut wire = plain().seal(server);
    let last = wire.body.len() - 1;
    wire.body[last] ^= 0x80;
    cases.push(("tag byte", wire));

    let mut wire = plain().seal(server);
    wire.body[0] ^= 0x01;
    cases.push(("iv byte", wire));

    let mut wire = plain().seal(server);
    wire.body.truncate(63);
    cases.push(("shorter than 64 bytes", wire));

    let mut wire = plain().seal(server);
    wire.body.push(0);
    cases.push(("not a whole block", wire));

    let mut wire = plain().seal(server);
    let len = wire.body.len();
    wire.body.drain(len - 48..len - 32); // one ciphertext block removed
    cases.push(("a block removed", wire));

    let mut wire = plain().seal(server);
    wire.body.clear();
    cases.push(("empty", wire));

    let mut wire = plain().seal(server);
    wire.ephemeral = Some(SecretKey::generate().public_key().to_string());
    cases.push(("another ephemeral key", wire));

    let mut wire = plain();
    let other = SecretKey::generate().public_key();
    wire = wire.seal(&other);
    cases.push(("sealed to another recipient", wire));

    // A valid tag over a ciphertext whose padding is wrong: the padding
    // oracle case.
    let ephemeral = SecretKey::generate();
    let sealed = envelope::seal_with(server, &[b'a'; 16], &ephemeral, &[7u8; 16]);
    let keys = envelope::trace(server, &ephemeral);
    let mut body = sealed.body;
    assert_eq!(body.len(), 16 + 32 + 32);
    assert_eq!(hmac_tag(&keys.mac_key, &body[..48]), body[48..]);
    // The last byte of the first block XORs the last byte of the padding
    // block: 0x10 becomes 0xef, invalid PKCS#7.
    body[31] ^= 0xff;
    let tag = hmac_tag(&keys.mac_key, &body[..48]);
    body[48..].copy_from_slice(&tag);
    let mut wire = Wire::new("POST", "/vault");
    wire.content_type = Some("application/json".into());
    wire.body = body;
    wire.ephemeral = Some(sealed.ephemeral.to_string());
    wire.encoding = Some("usrv-v1".into());
    cases.push(("valid tag, bad padding", wire));
    cases
}

fn hmac_tag(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[tokio::test]
async fn envelopes_that_do_not_open_share_one_400() {
    let server_secret = key();
    let server_bytes = server_secret.to_bytes();
    let server =
        TestServer::with(move |s| s.key(SecretKey::from_bytes(&server_bytes).unwrap())).await;
    let client = key();
    let mut reasons = Vec::new();
    for (what, wire) in broken_envelopes(&server.key) {
        // The envelope itself is broken (the test built what it meant to).
        let ephemeral = wire.ephemeral.as_deref().unwrap().parse().unwrap();
        assert!(usrv::crypto::open(&server_secret, &ephemeral, &wire.body).is_err());
        let wire = wire.sign(&client);
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 400, "{what}: {raw:?}");
        // The request's signature verified: the error reply is signed, and
        // sealed to the sender like every reply to a sealed request.
        raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
        assert!(raw.is_sealed(), "{what}: {raw:?}");
        let reason = raw.assert_error_for(&client, 400, "");
        assert!(!reason.to_ascii_lowercase().contains("pad"), "{reason}");
        assert!(!reason.to_ascii_lowercase().contains("tag"), "{reason}");
        reasons.push((what, reason));
    }
    let first = reasons[0].1.clone();
    for (what, reason) in &reasons {
        assert_eq!(reason, &first, "{what}: one and the same reason");
    }
    // The server serves on, and a good envelope opens.
    let wire = Wire::new("POST", "/vault")
        .json(r#"{"secret": "shh"}"#)
        .seal(&server.key)
        .sign(&client);
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    assert_eq!(
        serde_json::from_slice::<Value>(&raw.plain(&client)).unwrap(),
        json!({"secret": "shh"})
    );
    server.assert_alive().await;
}

#[tokio::test]
async fn malformed_ephemeral_keys_are_400_like_any_envelope_failure() {
    let server = TestServer::start().await;
    let client = key();
    // Off the curve: the signature covers its text, then the envelope fails.
    let mut wire = Wire::new("POST", "/vault").json("{}").seal(&server.key);
    wire.ephemeral = Some(off_curve_key_hex());
    let raw = server.send(&wire.sign(&client)).await;
    assert_eq!(raw.status, 400, "{raw:?}");
    // Verified, so the reply is signed and sealed to the sender.
    let reason = error_reason(&raw.plain(&client), 400, "");
    assert_eq!(reason, "the sealed body cannot be opened");
    // Sealed, without the key: the same.
    let mut wire = Wire::new("POST", "/vault").json("{}").seal(&server.key);
    wire.ephemeral = None;
    let raw = server.send(&wire.sign(&client)).await;
    assert_eq!(raw.status, 400, "{raw:?}");
    error_reason(&raw.plain(&client), 400, "the sealed body cannot be opened");
    // Not 64 hex: a malformed header, refused with the identity headers
    // (PROTOCOL.md's first row), before any signature check.
    for bad in ["12".to_owned(), "zz".repeat(32), "a".repeat(50_000)] {
        let mut wire = Wire::new("POST", "/vault").json("{}").seal(&server.key);
        wire.ephemeral = Some(bad.clone());
        let raw = server.send(&wire.sign(&client)).await;
        assert_eq!(raw.status, 400, "ephemeral of {} bytes: {raw:?}", bad.len());
        error_reason(&raw.body, 400, "malformed `Ephemeral-Public-Key`");
    }
    server.assert_alive().await;
}

/// PROTOCOL.md's order: the signature (step 4) before the envelope (step 6),
/// even when the envelope's key is unusable.
#[tokio::test]
async fn a_bad_signature_beats_an_unusable_ephemeral_key() {
    let server = TestServer::start().await;
    let mut wire = Wire::new("POST", "/vault").json("{}").seal(&server.key);
    wire.ephemeral = Some(off_curve_key_hex());
    let mut wire = wire.sign(&key());
    wire.signature = Some("00".repeat(64));
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 401, "{raw:?}");
    error_reason(&raw.body, 401, "signature");
    server.assert_alive().await;
}

#[tokio::test]
async fn unsigned_envelopes_are_401_whatever_their_ephemeral_key() {
    let server = TestServer::start().await;
    for ephemeral in [Some(off_curve_key_hex()), Some("12".into()), None] {
        let mut wire = Wire::new("POST", "/echo").json("{}").seal(&server.key);
        wire.ephemeral = ephemeral.clone();
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 401, "{ephemeral:?}: {raw:?}");
        error_reason(&raw.body, 401, "signed");
    }
    server.assert_alive().await;
}

#[tokio::test]
async fn unsigned_requests_to_routes_that_need_a_sender_are_401() {
    let server = TestServer::start().await;
    let raw = server
        .send(&Wire::new("POST", "/signed").body("x", "text/plain"))
        .await;
    raw.assert_error(401, "signed");
    let raw = server.send(&Wire::new("POST", "/whoami")).await;
    raw.assert_error(401, "signed");
    let raw = server.send(&Wire::new("POST", "/vault").json("{}")).await;
    raw.assert_error(401, "signed");
    let raw = server.send(&Wire::new("GET", "/vault/hello")).await;
    raw.assert_error(401, "signed");
    // The open routes still answer unsigned requests.
    let raw = server.send(&Wire::new("POST", "/echo").json("[1]")).await;
    assert_eq!((raw.status, raw.json()), (200, json!([1])));
    let raw = server.send(&Wire::new("GET", "/maybe")).await;
    assert_eq!((raw.status, raw.json()), (200, Value::Null));
    assert!(!raw.is_signed());
    server.assert_alive().await;
}

#[tokio::test]
async fn plaintext_to_an_encrypted_route_is_415() {
    let server = TestServer::start().await;
    let client = key();
    let wire = Wire::new("POST", "/vault")
        .json(r#"{"a": 1}"#)
        .sign(&client);
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 415, "{raw:?}");
    // Produced for a verified request on an encrypted route: signed and sealed.
    raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
    assert!(raw.is_sealed());
    raw.assert_error_for(&client, 415, "sealed");
    server.assert_alive().await;
}

#[tokio::test]
async fn an_unsigned_request_carrying_an_envelope_is_401() {
    let server = TestServer::start().await;
    for target in ["/echo", "/maybe", "/vault"] {
        let wire = Wire::new("POST", target).json("{}").seal(&server.key);
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 401, "{target}: {raw:?}");
        raw.assert_error(401, "");
    }
    let raw = server
        .send(&Wire::new("POST", "/echo").json("{}").seal(&server.key))
        .await;
    raw.assert_error(401, "identity");
    server.assert_alive().await;
}

#[tokio::test]
async fn the_allow_list_refuses_other_keys_with_403() {
    let allowed = key();
    let stranger = key();
    let allowed_public = allowed.public_key();
    let server = TestServer::with(move |s| s.allow_keys([allowed_public])).await;
    let raw = server.send(&signed_post(&allowed)).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    let raw = server.send(&signed_post(&stranger)).await;
    raw.assert_error(403, "not allowed");
    let raw = server
        .send(&Wire::new("POST", "/whoami").sign(&stranger))
        .await;
    raw.assert_error(403, "not allowed");
    // A stranger's forgery is still 401: the signature is checked first.
    let mut wire = signed_post(&stranger);
    wire.signature = Some("00".repeat(64));
    server.send(&wire).await.assert_error(401, "signature");
    let raw = server
        .send(&Wire::new("POST", "/whoami").sign(&allowed))
        .await;
    assert_eq!(raw.json(), json!(allowed.public_key().to_string()));
    server.assert_alive().await;
}

#[tokio::test]
async fn puk_answers_the_server_key_unless_turned_off() {
    let secret = key();
    let expected = secret.public_key();
    let secret_bytes = secret.to_bytes();
    let server =
        TestServer::with(move |s| s.key(SecretKey::from_bytes(&secret_bytes).unwrap())).await;
    assert_eq!(server.key, expected);
    let raw = server.send(&Wire::new("GET", "/puk")).await;
    assert_eq!(raw.status, 200);
    assert!(raw
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(raw.json(), json!(expected.to_string()));

    let server = TestServer::with(|s| s.public_key_route(false)).await;
    let raw = server.send(&Wire::new("GET", "/puk")).await;
    raw.assert_error(404, "");
    // Signed routes still work without discovery.
    let client = key();
    assert_eq!(server.send(&signed_post(&client)).await.status, 200);
}

/// PROTOCOL.md: replies to signed requests for the framework's own routes
/// are signed too.
#[tokio::test]
async fn a_signed_puk_request_gets_a_signed_reply() {
    let server = TestServer::start().await;
    let client = key();
    let wire = Wire::new("GET", "/puk").sign(&client);
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
    assert_eq!(raw.json(), json!(server.key.to_string()));

    // Sealed when asked, like any reply.
    let wire = Wire::new("GET", "/puk")
        .header("Accept-Encoding", "usrv-v1")
        .sign(&client);
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    assert!(raw.is_sealed(), "{raw:?}");
    raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
    let plain: Value = serde_json::from_slice(&raw.plain(&client)).unwrap();
    assert_eq!(plain, json!(server.key.to_string()));

    // Its signature is checked like any other.
    let mut wire = Wire::new("GET", "/puk").sign(&client);
    wire.sender = Some(key().public_key().to_string());
    let raw = server.send(&wire).await;
    raw.assert_error(401, "signature");

    // Unsigned requests still get the plain, unsigned key.
    let raw = server.send(&Wire::new("GET", "/puk")).await;
    assert_eq!(raw.status, 200);
    assert!(!raw.is_signed(), "{raw:?}");
}

/// The OpenAPI document, the other route of the framework's own, likewise.
#[tokio::test]
async fn a_signed_openapi_request_gets_a_signed_reply() {
    let server = TestServer::start().await;
    let client = key();
    let wire = Wire::new("GET", "/openapi.json").sign(&client);
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
    assert_eq!(raw.json()["openapi"], "3.1.0");

    // A replayed signed request is refused here as anywhere.
    let raw = server.send(&wire).await;
    raw.assert_error(412, "");

    let raw = server.send(&Wire::new("GET", "/openapi.json")).await;
    assert_eq!(raw.status, 200);
    assert!(!raw.is_signed(), "{raw:?}");
}

#[tokio::test]
async fn replies_to_signed_requests_are_signed_and_bound_to_the_nonce() {
    let server = TestServer::start().await;
    let client = key();
    let wire = signed_post(&client);
    let nonce = wire.nonce.clone().unwrap();
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200);
    raw.assert_signed(&server.key, &nonce);
    assert!(!raw.is_sealed(), "neither sealed nor asked for: plaintext");
    assert_eq!(raw.json(), json!("hello"));
    // Bound to the nonce, the status, the type and the body.
    assert!(raw.verify(&server.key, Nonce::generate().as_str()).is_err());
    let mut tampered = Raw { status: 201, ..raw };
    assert!(tampered.verify(&server.key, &nonce).is_err());
    tampered.status = 200;
    tampered.body.push(b' ');
    assert!(tampered.verify(&server.key, &nonce).is_err());
    tampered.body.pop();
    tampered.verify(&server.key, &nonce).unwrap();
    for (name, value) in tampered.headers.iter_mut() {
        if name.eq_ignore_ascii_case("content-type") {
            *value = "text/plain".into();
        }
    }
    assert!(tampered.verify(&server.key, &nonce).is_err());

    // An error the route produced is signed too.
    let wire = Wire::new("POST", "/echo").json("{oops").sign(&client);
    let raw = server.send(&wire).await;
    raw.assert_error(400, "JSON");
    raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());

    // Unsigned requests get unsigned replies.
    let raw = server.send(&Wire::new("POST", "/echo").json("1")).await;
    assert_eq!(raw.status, 200);
    assert!(!raw.is_signed());
}

#[tokio::test]
async fn replies_are_sealed_when_asked_or_when_the_route_is_encrypted() {
    let server = TestServer::start().await;
    let client = key();

    // Accept-Encoding: usrv-v1 on a plaintext request.
    for accept in ["usrv-v1", "gzip, usrv-v1", "gzip, usrv-v1;q=1", "USRV-V1"] {
        let wire = Wire::new("POST", "/signed")
            .body("hi", "text/plain")
            .header("Accept-Encoding", accept)
            .sign(&client);
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 200, "{accept}: {raw:?}");
        if accept == "USRV-V1" {
            // Content-codings are case-insensitive in HTTP; either is fine.
            continue;
        }
        assert!(raw.is_sealed(), "{accept}: {raw:?}");
        raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
        assert!(!raw.body.windows(2).any(|w| w == b"hi"), "sealed body");
        let plain: Value = serde_json::from_slice(&raw.plain(&client)).unwrap();
        assert_eq!(plain, json!("hi"));
        // Content-Type describes the plaintext.
        assert!(raw
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
    }
    let wire = Wire::new("POST", "/signed")
        .body("hi", "text/plain")
        .header("Accept-Encoding", "gzip")
        .sign(&client);
    assert!(!server.send(&wire).await.is_sealed());

    // A sealed request: sealed reply, on an open route too.
    let wire = Wire::new("POST", "/echo")
        .json(r#"{"x": [1, 2]}"#)
        .seal(&server.key)
        .sign(&client);
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
    assert!(raw.is_sealed());
    let plain: Value = serde_json::from_slice(&raw.plain(&client)).unwrap();
    assert_eq!(plain, json!({"x": [1, 2]}));

    // An encrypted route seals even when not asked, and a bodiless
    // request to it is not "plaintext".
    let wire = Wire::new("GET", "/vault/hello").sign(&client);
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
    assert!(raw.is_sealed());
    assert_eq!(raw.plain(&client), br#""sealed hello""#);
    // Only the sender can open it.
    let ephemeral = raw.header("ephemeral-public-key").unwrap().parse().unwrap();
    assert!(usrv::crypto::open(&key(), &ephemeral, &raw.body).is_err());
}

#[tokio::test]
async fn identity_extractors_see_the_verified_sender() {
    let server = TestServer::start().await;
    let client = key();
    let raw = server
        .send(&Wire::new("POST", "/whoami").sign(&client))
        .await;
    assert_eq!(raw.status, 200, "{raw:?}");
    assert_eq!(raw.json(), json!(client.public_key().to_string()));

    let raw = server.send(&Wire::new("GET", "/maybe").sign(&client)).await;
    assert_eq!(raw.json(), json!(client.public_key().to_string()));
    let raw = server.send(&Wire::new("GET", "/maybe")).await;
    assert_eq!(raw.json(), Value::Null);

    // Through a sealed request, with the reply sealed to the same key.
    let wire = Wire::new("POST", "/whoami")
        .json("{}")
        .seal(&server.key)
        .sign(&client);
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 200, "{raw:?}");
    let plain: Value = serde_json::from_slice(&raw.plain(&client)).unwrap();
    assert_eq!(plain, json!(client.public_key().to_string()));
}

#[tokio::test]
async fn error_bodies_never_echo_the_body() {
    const MARKER: &str = "MARKER-7f3a9c-do-not-echo";
    let server = TestServer::start().await;
    let client = key();
    let bodies = [
        // Not JSON.
        ("/vault", format!(r#"{{"secret": "{MARKER}"#)),
        ("/vault", format!("{MARKER} not json")),
        ("/echo", format!(r#"{{"secret": "{MARKER}" "#)),
        // Control characters around the marker.
        ("/vault", format!("\u{1}{MARKER}\u{0}")),
    ];
    for (target, body) in bodies {
        let wire = Wire::new("POST", target)
            .json(&body)
            .seal(&server.key)
            .sign(&client);
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 400, "{target} {body:?}: {raw:?}");
        assert!(raw.is_sealed(), "{raw:?}");
        assert!(
            find(&raw.wire, MARKER.as_bytes()).is_none(),
            "the marker is on the wire: {raw:?}"
        );
        let plain = raw.plain(&client);
        assert!(
            find(&plain, MARKER.as_bytes()).is_none(),
            "the opened reply echoes the body: {}",
            String::from_utf8_lossy(&plain)
        );
        raw.assert_error_for(&client, 400, "JSON");
    }
    // Plaintext bodies refused by the checks are not echoed either.
    let mut wire = Wire::new("POST", "/signed")
        .body(MARKER, "text/plain")
        .sign(&client);
    wire.signature = Some("00".repeat(64));
    let raw = server.send(&wire).await;
    assert_eq!(raw.status, 401);
    assert!(find(&raw.wire, MARKER.as_bytes()).is_none());
    let raw = server
        .send(
            &Wire::new("POST", "/vault")
                .body(MARKER, "application/json")
                .sign(&client),
        )
        .await;
    assert_eq!(raw.status, 415);
    assert!(find(&raw.wire, MARKER.as_bytes()).is_none());
    assert!(find(&raw.plain(&client), MARKER.as_bytes()).is_none());
    // Nor key material: the server's secret never appears, and the only
    // key in an error reply is the public signing key header.
    server.assert_alive().await;
}

#[tokio::test]
async fn a_full_replay_store_answers_503() {
    let server = TestServer::with(|s| s.replay_capacity(2)).await;
    let client = key();
    assert_eq!(server.send(&signed_post(&client)).await.status, 200);
    assert_eq!(server.send(&signed_post(&client)).await.status, 200);
    let raw = server.send(&signed_post(&client)).await;
    raw.assert_error(503, "full");
    // Unsigned traffic is unaffected.
    let raw = server.send(&Wire::new("POST", "/echo").json("2")).await;
    assert_eq!(raw.status, 200);
    server.assert_alive().await;
}

#[tokio::test]
async fn the_server_stops_cleanly_after_hostile_traffic() {
    let server = TestServer::start().await;
    let client = key();
    let mut wire = signed_post(&client);
    wire.signature = Some("zz".into());
    server
        .send(&wire)
        .await
        .assert_error(400, "Sender-Signature");
    let captured = signed_post(&client).to_bytes();
    send_bytes(server.addr, &captured).await;
    send_bytes(server.addr, &captured).await;
    server.stop().await.expect("run() succeeds");
}

#[tokio::test]
async fn typed_json_errors_do_not_echo_decrypted_values() {
    const MARKER: &str = "MARKER-51c0de-do-not-echo";
    let server = TestServer::start().await;
    let client = key();
    for body in [
        format!(r#"{{"n": "{MARKER}"}}"#),
        format!(r#"{{"{MARKER}": 1}}"#),
    ] {
        let wire = Wire::new("POST", "/amount")
            .json(&body)
            .seal(&server.key)
            .sign(&client);
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 400, "{body}: {raw:?}");
        let reason = raw.assert_error_for(&client, 400, "JSON");
        assert!(
            !reason.contains(MARKER),
            "the reason echoes decrypted data: {reason}"
        );
    }
    let wire = Wire::new("POST", "/amount")
        .json(r#"{"n": 7}"#)
        .seal(&server.key)
        .sign(&client);
    assert_eq!(server.send(&wire).await.plain(&client), b"7");
}

#[tokio::test]
async fn signatures_cover_the_target_exactly_as_sent() {
    let server = TestServer::start().await;
    let client = key();
    for target in [
        "/signed?x=a%20b&y=%C3%A9",
        "/signed?x=a+b",
        "/signed?",
        "/signed?a=1&a=2&b",
        "/signed?q=%2F%3F%26",
    ] {
        let wire = Wire::new("GET", target).sign(&client);
        let raw = server.send(&wire).await;
        assert_eq!(raw.status, 200, "{target}: {raw:?}");
        raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
    }
    // Signed over a decoded or re-encoded form of what is sent: refused.
    for (signed, sent) in [
        ("/signed?x=a b", "/signed?x=a%20b"),
        ("/signed?x=a%20b", "/signed?x=a+b"),
        ("/signed?x=%c3%a9", "/signed?x=%C3%A9"),
        ("/signed", "/signed?"),
    ] {
        let mut wire = Wire::new("GET", signed).sign(&client);
        wire.target = sent.into();
        server.send(&wire).await.assert_error(401, "signature");
    }
    server.assert_alive().await;
}

/// Sends a `Wire` over an HTTP/2 (prior knowledge) connection.
async fn send_h2(server: &TestServer, wire: &Wire) -> (u16, usrv::HeaderMap, Vec<u8>) {
    use http_body_util::{BodyExt, Full};
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("an HTTP/2 connection");
    tokio::spawn(connection);
    let mut request = hyper::Request::builder()
        .method(wire.method.as_str())
        .uri(format!("http://{}{}", server.addr, wire.target));
    let fields = [
        ("content-type", &wire.content_type),
        ("sender-public-key", &wire.sender),
        ("nonce", &wire.nonce),
        ("sender-signature", &wire.signature),
        ("ephemeral-public-key", &wire.ephemeral),
        ("content-encoding", &wire.encoding),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            request = request.header(name, value.as_str());
        }
    }
    let request = request
        .body(Full::new(Bytes::from(wire.body.clone())))
        .unwrap();
    let response = tokio::time::timeout(common::LIMIT, sender.send_request(request))
        .await
        .expect("in time")
        .expect("a reply");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body.to_vec())
}

#[tokio::test]
async fn the_protocol_holds_over_http2() {
    let server = TestServer::start().await;
    let client = key();
    let wire = Wire::new("POST", "/vault?x=1")
        .json(r#"{"over": "h2"}"#)
        .seal(&server.key)
        .sign(&client);
    let (status, headers, body) = send_h2(&server, &wire).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let raw = Raw {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect(),
        body,
        wire: Vec::new(),
    };
    raw.assert_signed(&server.key, wire.nonce.as_deref().unwrap());
    assert_eq!(raw.plain(&client), br#"{"over":"h2"}"#);
    // The same request again, over HTTP/2 too: a replay.
    let (status, _, _) = send_h2(&server, &wire).await;
    assert_eq!(status, 412);
    // And a tampered one.
    let mut forged = Wire::new("POST", "/signed")
        .body("a", "text/plain")
        .sign(&client);
    forged.target = "/signed?admin=1".into();
    let (status, _, _) = send_h2(&server, &forged).await;
    assert_eq!(status, 401);
}

/// Inserts raw header lines right after the request line.
fn with_raw_headers(wire: &[u8], lines: &[u8]) -> Vec<u8> {
    let at = find(wire, b"\r\n").expect("a request line") + 2;
    [&wire[..at], lines, &wire[at..]].concat()
}

/// A header the signature covers cannot be added by a man in the middle:
/// repeated, or not visible ASCII (which a base would read as ""), it makes
/// the request malformed before anything else is checked.
#[tokio::test]
async fn covered_headers_must_be_single_and_visible_ascii() {
    let server = TestServer::start().await;
    let client = key();
    // Signed without a Content-Type; a non-ASCII one is added on the way.
    let signed = Wire::new("POST", "/whoami").sign(&client).to_bytes();
    let raw = send_bytes(
        server.addr,
        &with_raw_headers(&signed, b"Content-Type: text/plain\xff\r\n"),
    )
    .await;
    raw.assert_error(400, "`Content-Type` header of a signed request");
    // Signed with a Content-Type; a second one is added.
    let signed = Wire::new("POST", "/whoami")
        .json("{}")
        .sign(&client)
        .to_bytes();
    let raw = send_bytes(
        server.addr,
        &with_raw_headers(&signed, b"Content-Type: text/plain\r\n"),
    )
    .await;
    raw.assert_error(400, "`Content-Type` header of a signed request");
    // Every other covered header, present twice.
    for line in [
        &b"Nonce: 1.0123456789abcdef\r\n"[..],
        b"Content-Encoding: gzip\r\n",
        b"Ephemeral-Public-Key: 00\r\n",
    ] {
        let signed = Wire::new("POST", "/whoami").json("{}").sign(&client);
        let once = with_raw_headers(&signed.to_bytes(), line);
        let bytes = with_raw_headers(&once, line);
        let raw = send_bytes(server.addr, &bytes).await;
        assert_eq!(
            raw.status,
            400,
            "{}: {raw:?}",
            String::from_utf8_lossy(line)
        );
    }
    // The same request untouched is served.
    let raw = server
        .send(&Wire::new("POST", "/whoami").json("{}").sign(&client))
        .await;
    assert_eq!(raw.status, 200, "{raw:?}");
    server.assert_alive().await;
}
