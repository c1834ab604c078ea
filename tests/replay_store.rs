//! One replay store for many instances: two servers sharing one real
//! `redis-server` and one key refuse on the second a signed request the
//! first accepted; with Redis down, signed requests are refused with 503
//! (open routes keep working), and served again once Redis is back, without
//! a restart.

mod common;
#[path = "common/redis_server.rs"]
mod redis_server;

use std::time::Duration;

use common::secure::{send_bytes, Wire};
use common::TestServer;
use redis_server::RedisServer;
use usrv::crypto::replay::RedisStore;
use usrv::crypto::SecretKey;
use usrv::{route, Identity};

#[route("/whoami", methods = ["POST"])]
fn whoami(sender: Identity) -> (u16, String) {
    (200, sender.public_key().to_string())
}

#[route("/open")]
fn open() -> &'static str {
    "open"
}

/// An instance with this key, on this Redis.
async fn instance(key: &SecretKey, redis: &RedisServer) -> TestServer {
    let store = RedisStore::new(&redis.url())
        .expect("a valid URL")
        .with_timeout(Duration::from_millis(500));
    let key = SecretKey::from_bytes(&key.to_bytes()).expect("the same key");
    TestServer::with(move |server| server.key(key).replay_store(store)).await
}

#[tokio::test]
async fn a_request_accepted_by_one_instance_is_412_on_the_other() {
    let redis = RedisServer::start();
    let server_key = SecretKey::generate();
    let first = instance(&server_key, &redis).await;
    let second = instance(&server_key, &redis).await;
    let client = SecretKey::generate();

    let request = Wire::new("POST", "/whoami").sign(&client).to_bytes();
    let accepted = send_bytes(first.addr, &request).await;
    assert_eq!(accepted.status, 200, "{accepted:?}");
    let replayed = send_bytes(second.addr, &request).await;
    replayed.assert_error(412, "");
    // And on the first too.
    send_bytes(first.addr, &request).await.assert_error(412, "");
    // A fresh request is served by either.
    let fresh = Wire::new("POST", "/whoami").sign(&client).to_bytes();
    assert_eq!(send_bytes(second.addr, &fresh).await.status, 200);
}

#[tokio::test]
async fn redis_down_fails_closed_and_redis_back_serves_again() {
    let mut redis = RedisServer::start();
    let port = redis.port;
    let server = instance(&SecretKey::generate(), &redis).await;
    let client = SecretKey::generate();
    let signed = || Wire::new("POST", "/whoami").sign(&client).to_bytes();
    assert_eq!(send_bytes(server.addr, &signed()).await.status, 200);

    redis.stop();
    let refused = send_bytes(server.addr, &signed()).await;
    let reason = refused.assert_error(503, "replay store");
    assert!(!reason.contains("redis://"), "{reason}");
    // Routes that need no signature keep working.
    let open = server.send(&Wire::new("GET", "/open")).await;
    assert_eq!((open.status, open.body.as_slice()), (200, &b"open"[..]));

    let _redis = RedisServer::start_on(port);
    assert_eq!(send_bytes(server.addr, &signed()).await.status, 200);
}

/// `USRV_REPLAY_STORE` that cannot be used stops the start with one sentence.
#[tokio::test]
async fn a_bad_store_url_is_a_start_up_error() {
    let error = usrv::serve()
        .addr("127.0.0.1:0")
        .replay_store(usrv::crypto::MemoryStore::new(10))
        .app()
        .map(|_| ());
    assert!(error.is_ok());
    // The variable is read only when no store is given: set it for this
    // process (this binary's other tests give their store explicitly).
    std::env::set_var("USRV_REPLAY_STORE", "http://nope");
    let error = usrv::serve()
        .addr("127.0.0.1:0")
        .app()
        .err()
        .expect("an error");
    std::env::remove_var("USRV_REPLAY_STORE");
    assert_eq!(
        format!("{error:?}"),
        "cannot use the replay store USRV_REPLAY_STORE=\"http://nope\": expected a `redis://` URL"
    );
}
