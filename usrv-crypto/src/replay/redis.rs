//! [`RedisStore`]: a replay store that several server instances share.

use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::sync::{Mutex, PoisonError};

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, Client, Value};
use tokio::time::{timeout_at, Instant};

use super::{push_normalised_nonce, InsertFuture, ReplayError, ReplayStore};
use crate::nonce::Nonce;
use crate::PublicKey;

/// The error of [`RedisStore::new`] (a malformed URL) and [`RedisStore::ping`].
pub use ::redis::RedisError;

/// Default prefix of the keys a [`RedisStore`] writes.
pub const DEFAULT_PREFIX: &str = "usrv:replay:";

/// Default bound on each operation of a [`RedisStore`] (connecting included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// A [`ReplayStore`] in Redis, shared by every server instance that uses the
/// same Redis, so that a request replayed to another instance is refused too.
///
/// Each pair is recorded with one atomic command,
/// `SET <prefix><public key hex>:<nonce> 1 NX PX <ms until expiry>`: a nil
/// reply (the key exists) is [`ReplayError::Replayed`], `OK` records it, and
/// Redis drops the key when the nonce leaves the window. The nonce is written
/// in a normal form (time without leading zeros, random part in lowercase),
/// so that nonces differing only in those count as one, as in
/// [`MemoryStore`](super::MemoryStore).
///
/// # Failing closed
/// Anything but an answer from Redis (connection refused or lost, I/O error,
/// error reply, no answer within the timeout) is [`ReplayError::Unavailable`]
/// (503), never `Ok`. Each operation, connecting included, takes at most the
/// timeout ([`DEFAULT_TIMEOUT`], 2 s, or [`RedisStore::with_timeout`]), so
/// a Redis that hangs does not hang requests. A failed command is not sent
/// again: it may have been applied, and a second `SET NX` would then call the
/// legitimate request a replay.
///
/// # Connecting
/// [`RedisStore::new`] only parses the URL: it connects on first use, so a
/// server can start while Redis is down. It keeps one multiplexed connection
/// (commands of concurrent requests are pipelined on it); after any failure it
/// drops that connection, and the next request connects again (one
/// connection attempt at a time). A Redis that comes back is used again by
/// the next request without recreating the store; the request that finds
/// the old connection broken gets a 503. [`RedisStore::ping`] checks the
/// connection, for instance at start-up.
///
/// When Redis stops answering the store logs one `tracing` warning with the
/// cause, and one info line when it answers again.
///
/// # Runtime
/// The store works on a Tokio runtime with the time driver enabled (as a
/// usrv server's runtime is).
///
/// ```
/// use std::time::Duration;
/// use usrv_crypto::replay::{RedisStore, DEFAULT_WINDOW};
/// use usrv_crypto::ReplayGuard;
///
/// // Connects on first use: nothing is needed to build it.
/// let store = RedisStore::new("redis://127.0.0.1:6379/0")?
///     .with_prefix("myapp:replay:")
///     .with_timeout(Duration::from_millis(500));
/// let guard = ReplayGuard::with_store(DEFAULT_WINDOW, store);
/// # let _ = guard;
/// # Ok::<(), usrv_crypto::replay::RedisError>(())
/// ```
pub struct RedisStore {
    client: Client,
    prefix: String,
    timeout: Duration,
    /// The current connection and its generation number, if any.
    live: Mutex<Option<(u64, MultiplexedConnection)>>,
    /// Held while connecting, so that one attempt runs at a time; holds the
    /// last generation number.
    connecting: tokio::sync::Mutex<u64>,
    /// Whether the last operation failed (to log transitions only).
    failing: AtomicBool,
}

impl RedisStore {
    /// A store on the Redis server at `url` (`redis://[user:password@]host[:port][/db]`,
    /// or `unix:///path`), with the default prefix and timeout. Does not
    /// connect: see [Connecting](RedisStore#connecting).
    ///
    /// # Errors
    /// When the URL is malformed.
    pub fn new(url: &str) -> Result<RedisStore, RedisError> {
        Ok(RedisStore {
            client: Client::open(url)?,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            live: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(0),
            failing: AtomicBool::new(false),
        })
    }

    /// Writes keys under `prefix` instead of [`DEFAULT_PREFIX`]. Instances
    /// that share a store must use the same prefix.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> RedisStore {
        self.prefix = prefix.into();
        self
    }

    /// Bounds each operation, connecting included, by `timeout` instead of
    /// [`DEFAULT_TIMEOUT`]. Past it the request gets
    /// [`ReplayError::Unavailable`].
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> RedisStore {
        self.timeout = timeout;
        self
    }

    /// The key prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The bound on each operation.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Connects if needed and sends `PING`, within the timeout.
    ///
    /// # Errors
    /// Why Redis cannot answer (a timeout is an I/O error of kind `TimedOut`).
    pub async fn ping(&self) -> Result<(), RedisError> {
        self.run(&::redis::cmd("PING")).await.map(drop)
    }

    /// The Redis key of a pair.
    fn key(&self, key: &PublicKey, nonce: &Nonce) -> String {
        let mut text = String::with_capacity(self.prefix.len() + 64 + 1 + crate::nonce::MAX_LEN);
        text.push_str(&self.prefix);
        crate::hex::push_hex(&mut text, key.as_bytes());
        text.push(':');
        push_normalised_nonce(&mut text, nonce);
        text
    }

    fn current(&self) -> Option<(u64, MultiplexedConnection)> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current connection, or a new one.
    async fn connection(&self) -> Result<(u64, MultiplexedConnection), RedisError> {
        if let Some(live) = self.current() {
            return Ok(live);
        }
        let mut generation = self.connecting.lock().await;
        // Another request may have connected while this one waited.
        if let Some(live) = self.current() {
            return Ok(live);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *generation += 1;
        let live = (*generation, connection);
        *self.live.lock().unwrap_or_else(PoisonError::into_inner) = Some(live.clone());
        Ok(live)
    }

    /// Drops the connection of `generation` if it is still the current one.
    fn forget(&self, generation: u64) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        if live.as_ref().is_some_and(|(g, _)| *g == generation) {
            *live = None;
        }
    }

    /// Runs one command within the timeout; after any failure the connection
    /// is dropped, and the next command connects again.
    async fn run(&self, command: &::redis::Cmd) -> Result<Value, RedisError> {
        let deadline = Instant::now() + self.timeout;
        let timed_out = || {
            RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "Redis did not answer within the timeout",
            ))
        };
        let result = match timeout_at(deadline, self.connection()).await {
            Err(_) => Err(timed_out()),
            Ok(Err(e)) => Err(e),
            Ok(Ok((generation, mut connection))) => {
                let reply = match timeout_at(deadline, command.query_async(&mut connection)).await {
                    Err(_) => Err(timed_out()),
                    Ok(reply) => reply,
                };
                if reply.is_err() {
                    self.forget(generation);
                }
                reply
            }
        };
        self.note(result.as_ref().err());
        result
    }

    /// Logs when Redis stops answering, and when it answers again.
    fn note(&self, error: Option<&RedisError>) {
        let was_failing = self.failing.swap(error.is_some(), Ordering::AcqRel);
        match error {
            Some(e) if !was_failing => tracing::warn!(
                error = %e,
                "the Redis replay store cannot answer; signed requests get 503 until it does"
            ),
            None if was_failing => tracing::info!("the Redis replay store answers again"),
            _ => {}
        }
    }

    async fn insert_pair(
        &self,
        key: &PublicKey,
        nonce: &Nonce,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<(), ReplayError> {
        let name = self.key(key, nonce);
        if expires_at_ms <= now_ms {
            // Already outside the window: nothing to record, but a live
            // entry is still a replay (as in the memory store).
            let reply = self.run(::redis::cmd("EXISTS").arg(&name)).await;
            return match reply {
                Ok(Value::Int(0)) => Ok(()),
                Ok(Value::Int(_)) => Err(ReplayError::Replayed),
                _ => Err(ReplayError::Unavailable),
            };
        }
        let reply = self
            .run(
                ::redis::cmd("SET")
                    .arg(&name)
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(expires_at_ms - now_ms),
            )
            .await;
        match reply {
            Ok(Value::Okay) => Ok(()),
            Ok(Value::Nil) => Err(ReplayError::Replayed),
            // An unexpected reply is no proof that the pair was recorded.
            Ok(_) | Err(_) => Err(ReplayError::Unavailable),
        }
    }
}

impl ReplayStore for RedisStore {
    fn insert<'a>(
        &'a self,
        key: &'a PublicKey,
        nonce: &'a Nonce,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> InsertFuture<'a> {
        Box::pin(self.insert_pair(key, nonce, now_ms, expires_at_ms))
    }
}

impl fmt::Debug for RedisStore {
    /// Shows neither the URL nor its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("connected", &self.current().is_some())
            .finish_non_exhaustive()
    }
}
