//! `RedisStore` against a real `redis-server`, started on a free port for
//! each test (`cargo test -p usrv-crypto --features redis`). The tests fail,
//! not skip, when `redis-server` is not installed.
#![cfg(feature = "redis")]

#[path = "../../tests/common/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis_server::{free_port, RedisServer};
use usrv_crypto::nonce::now_unix_ms;
use usrv_crypto::replay::{RedisStore, DEFAULT_PREFIX, DEFAULT_TIMEOUT, DEFAULT_WINDOW};
use usrv_crypto::{Nonce, PublicKey, ReplayError, ReplayGuard, ReplayStore, SecretKey};

/// A plain connection, to look at what the store wrote.
async fn inspect(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

fn key() -> PublicKey {
    SecretKey::generate().public_key()
}

/// Times of nonces are real: keys expire on Redis' clock.
fn nonce() -> (Nonce, u64) {
    let now = now_unix_ms();
    (Nonce::generate_at(now), now)
}

const SHORT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn insert_then_replay() {
    let server = RedisServer::start();
    let guard = ReplayGuard::with_store(DEFAULT_WINDOW, RedisStore::new(&server.url()).unwrap());
    assert_eq!(guard.store().prefix(), DEFAULT_PREFIX);
    assert_eq!(guard.store().timeout(), DEFAULT_TIMEOUT);
    let k = key();
    let (n, now) = nonce();
    assert_eq!(guard.record(&k, &n, now).await, Ok(()));
    assert_eq!(guard.record(&k, &n, now).await, Err(ReplayError::Replayed));
    assert_eq!(
        guard.record(&k, &n, now + 1000).await,
        Err(ReplayError::Replayed)
    );
    // Hex case and leading zeros of the time do not make another nonce.
    let upper: Nonce = n.as_str().to_uppercase().parse().unwrap();
    assert_eq!(
        guard.record(&k, &upper, now).await,
        Err(ReplayError::Replayed)
    );
    let padded: Nonce = format!("00{n}").parse().unwrap();
    assert_eq!(
        guard.record(&k, &padded, now).await,
        Err(ReplayError::Replayed)
    );
    // Same nonce, other key; same key, other nonce.
    assert_eq!(guard.record(&key(), &n, now).await, Ok(()));
    assert_eq!(
        guard.record(&k, &Nonce::generate_at(now), now).await,
        Ok(())
    );
    // The time is checked before Redis is asked.
    assert_eq!(
        guard
            .record(&k, &Nonce::generate_at(now - 30_001), now)
            .await,
        Err(ReplayError::Stale)
    );

    // The key: prefix, public key hex, normalised nonce; value 1.
    let mut redis = inspect(&server).await;
    let name = format!(
        "{DEFAULT_PREFIX}{k}:{}.{}",
        n.unix_ms(),
        n.random_part().to_ascii_lowercase()
    );
    let value: Option<String> = redis::cmd("GET")
        .arg(&name)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("1"));
    let count: u64 = redis::cmd("DBSIZE").query_async(&mut redis).await.unwrap();
    assert_eq!(count, 3);
}

#[tokio::test]
async fn two_instances_share_one_redis() {
    let server = RedisServer::start();
    let a = ReplayGuard::with_store(DEFAULT_WINDOW, RedisStore::new(&server.url()).unwrap());
    let b: ReplayGuard<Box<dyn ReplayStore>> = ReplayGuard::with_store(
        DEFAULT_WINDOW,
        Box::new(RedisStore::new(&server.url()).unwrap()),
    );
    let k = key();
    let (n, now) = nonce();
    assert_eq!(a.record(&k, &n, now).await, Ok(()));
    assert_eq!(b.record(&k, &n, now).await, Err(ReplayError::Replayed));
    let (m, now) = nonce();
    assert_eq!(b.record(&k, &m, now).await, Ok(()));
    assert_eq!(a.record(&k, &m, now).await, Err(ReplayError::Replayed));

    // Another prefix is another store.
    let other = RedisStore::new(&server.url())
        .unwrap()
        .with_prefix("other:");
    assert_eq!(other.prefix(), "other:");
    let c = ReplayGuard::with_store(DEFAULT_WINDOW, other);
    assert_eq!(c.record(&k, &n, now).await, Ok(()));
    let mut redis = inspect(&server).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("other:*")
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_many_instances_wins() {
    const INSTANCES: usize = 16;
    let server = RedisServer::start();
    let guards: Vec<_> = (0..INSTANCES)
        .map(|_| {
            Arc::new(ReplayGuard::with_store(
                DEFAULT_WINDOW,
                RedisStore::new(&server.url()).unwrap(),
            ))
        })
        .collect();
    for _ in 0..5 {
        let k = key();
        let (n, now) = nonce();
        let tasks: Vec<_> = guards
            .iter()
            .map(|g| {
                let (g, n) = (Arc::clone(g), n.clone());
                tokio::spawn(async move { g.record(&k, &n, now).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert!(results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(ReplayError::Replayed))));
    }
}

#[tokio::test]
async fn keys_expire_with_the_window() {
    let server = RedisServer::start();
    let store = RedisStore::new(&server.url()).unwrap();
    let mut redis = inspect(&server).await;
    let k = key();
    let (n, now) = nonce();
    let name = format!(
        "{DEFAULT_PREFIX}{k}:{}.{}",
        n.unix_ms(),
        n.random_part().to_ascii_lowercase()
    );

    // Through the guard: kept until the nonce time leaves the 30 s window.
    let guard = ReplayGuard::with_store(DEFAULT_WINDOW, store);
    assert_eq!(guard.record(&k, &n, now).await, Ok(()));
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&name)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!((29_000..=30_001).contains(&ttl), "PTTL {ttl}");

    // Straight through the store: PX is the time until `expires_at`.
    let store = guard.store();
    let m = Nonce::generate_at(now);
    assert_eq!(store.insert(&k, &m, now, now + 150).await, Ok(()));
    let m_name = format!(
        "{DEFAULT_PREFIX}{k}:{}.{}",
        m.unix_ms(),
        m.random_part().to_ascii_lowercase()
    );
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&m_name)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!((1..=150).contains(&ttl), "PTTL {ttl}");
    assert_eq!(
        store.insert(&k, &m, now, now + 150).await,
        Err(ReplayError::Replayed)
    );
    // Once Redis dropped it, the pair may be recorded again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&m_name)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(exists, 0);
    assert_eq!(store.insert(&k, &m, now, now + 150).await, Ok(()));

    // Already expired: nothing is written, a live entry is still reported.
    let o = Nonce::generate_at(now);
    assert_eq!(store.insert(&k, &o, now, now).await, Ok(()));
    let count: u64 = redis::cmd("DBSIZE").query_async(&mut redis).await.unwrap();
    assert_eq!(count, 2);
    assert_eq!(
        store.insert(&k, &n, now + 40_000, now + 40_000).await,
        Err(ReplayError::Replayed)
    );
}

#[tokio::test]
async fn down_then_back_on_the_same_port() {
    let mut server = RedisServer::start();
    let port = server.port;
    let guard = ReplayGuard::with_store(
        DEFAULT_WINDOW,
        RedisStore::new(&server.url()).unwrap().with_timeout(SHORT),
    );
    let k = key();
    let (n, now) = nonce();
    assert_eq!(guard.record(&k, &n, now).await, Ok(()));
    assert_eq!(
        guard.store().ping().await.map_err(|e| e.to_string()),
        Ok(())
    );

    server.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let (m, now) = nonce();
        assert_eq!(
            guard.record(&k, &m, now).await,
            Err(ReplayError::Unavailable)
        );
        assert!(started.elapsed() < SHORT + Duration::from_millis(200));
    }
    assert!(guard.store().ping().await.is_err());

    // Back on the same port (empty: the replay of `n` is not known any more,
    // as with any Redis that lost its data).
    let _server = RedisServer::start_on(port);
    let (m, now) = nonce();
    assert_eq!(guard.record(&k, &m, now).await, Ok(()));
    assert_eq!(guard.record(&k, &m, now).await, Err(ReplayError::Replayed));
}

#[tokio::test]
async fn a_server_can_start_while_redis_is_down() {
    let port = free_port();
    let guard = ReplayGuard::with_store(
        DEFAULT_WINDOW,
        RedisStore::new(&format!("redis://127.0.0.1:{port}/0"))
            .unwrap()
            .with_timeout(SHORT),
    );
    let k = key();
    let (n, now) = nonce();
    let started = Instant::now();
    assert_eq!(
        guard.record(&k, &n, now).await,
        Err(ReplayError::Unavailable)
    );
    assert!(started.elapsed() < SHORT + Duration::from_millis(200));

    let _server = RedisServer::start_on(port);
    assert_eq!(guard.record(&k, &n, now).await, Ok(()));
    assert_eq!(guard.record(&k, &n, now).await, Err(ReplayError::Replayed));
}

#[tokio::test]
async fn a_hung_redis_times_out() {
    let server = RedisServer::start();
    let guard = ReplayGuard::with_store(
        DEFAULT_WINDOW,
        RedisStore::new(&server.url()).unwrap().with_timeout(SHORT),
    );
    let k = key();
    let (n, now) = nonce();
    assert_eq!(guard.record(&k, &n, now).await, Ok(()));

    // Stopped, not dead: the connection stays open and nothing answers.
    server.signal("-STOP");
    let started = Instant::now();
    let (m, now) = nonce();
    let result = guard.record(&k, &m, now).await;
    let elapsed = started.elapsed();
    server.signal("-CONT");
    assert_eq!(result, Err(ReplayError::Unavailable));
    assert!(
        elapsed >= SHORT && elapsed < SHORT + Duration::from_millis(500),
        "{elapsed:?}"
    );

    // It answers again: the store reconnects and works.
    let (o, now) = nonce();
    assert_eq!(guard.record(&k, &o, now).await, Ok(()));
    assert_eq!(guard.record(&k, &n, now).await, Err(ReplayError::Replayed));
}

#[test]
fn malformed_url_is_an_error() {
    assert!(RedisStore::new("not a url").is_err());
    assert!(RedisStore::new("http://127.0.0.1/").is_err());
    // Debug shows neither URL nor password.
    let store = RedisStore::new("redis://:hunter2@127.0.0.1:1/0").unwrap();
    let debug = format!("{store:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("127.0.0.1"),
        "{debug}"
    );
}
