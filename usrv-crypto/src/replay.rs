//! Replay protection, PROTOCOL.md "Replay store".
//!
//! A [`ReplayGuard`] does two things for a signed request:
//! - [`ReplayGuard::check_time`], before the signature is verified: the nonce
//!   time must be within the window of now (cheap, so that garbage costs no
//!   signature verification);
//! - [`ReplayGuard::record`], after the signature verified: the pair
//!   (public key, nonce) must not have been seen; it is remembered until the
//!   nonce time leaves the window, so memory is bounded by request rate × window.
//!
//! Recording is asynchronous ([`ReplayStore::insert`] returns a boxed
//! future), so that a store behind the network does not block the thread
//! that serves the request. [`MemoryStore`] keeps the pairs in memory, for one
//! server instance; its futures are ready at once. Several instances behind
//! one load balancer must share a store, or a request replayed to another
//! instance would pass: with the `redis` feature, `RedisStore` is one over
//! Redis `SET key 1 NX PX <ms>`.
//!
//! Both stores treat nonces that differ only in the case of their hex digits
//! or in leading zeros of their time as the same nonce.
//!
//! A store that cannot answer fails closed: it returns
//! [`ReplayError::Unavailable`] (503), never `Ok`.

use core::cmp::Reverse;
use core::fmt;
use core::future::Future;
use core::hash::{BuildHasher, Hash};
use core::pin::Pin;
use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::collections::hash_map::RandomState;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::hex;
use crate::nonce::Nonce;
use crate::PublicKey;

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use self::redis::{RedisError, RedisStore, DEFAULT_PREFIX, DEFAULT_TIMEOUT};

/// Default window: a nonce time may differ from now by at most this.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(30);
/// Default capacity of the [`MemoryStore`] of a default [`ReplayGuard`].
pub const DEFAULT_CAPACITY: usize = 1_000_000;

/// Why a nonce was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplayError {
    /// The nonce time is older than the window (PROTOCOL: 401).
    Stale,
    /// The nonce time is further in the future than the window (PROTOCOL: 401).
    Future,
    /// This key already used this nonce inside the window (PROTOCOL: 412).
    Replayed,
    /// The store is full (PROTOCOL: 503).
    Busy,
    /// The store cannot answer, for instance a Redis server that is down or
    /// too slow (PROTOCOL: 503). The request is refused, never let through
    /// unchecked.
    Unavailable,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stale => "nonce is too old",
            Self::Future => "nonce is from the future",
            Self::Replayed => "nonce was already used",
            Self::Busy => "replay store is full",
            Self::Unavailable => "replay store cannot answer",
        })
    }
}

impl std::error::Error for ReplayError {}

/// What [`ReplayStore::insert`] returns: a boxed future, so that the trait
/// can be used as `Box<dyn ReplayStore>`.
pub type InsertFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ReplayError>> + Send + 'a>>;

/// Where seen (public key, nonce) pairs are kept.
///
/// The trait is dyn-compatible: a server holds its store as
/// `Box<dyn ReplayStore>` and picks it at run time.
///
/// # Implementing
/// An implementation that does I/O must not block the calling thread (it
/// runs on an async runtime's worker): do the I/O inside the returned
/// future, and bound how long it may take. When the store cannot answer,
/// the future resolves to [`ReplayError::Unavailable`]; it never resolves to
/// `Ok` for a pair it could not record.
///
/// ```
/// use usrv_crypto::replay::{InsertFuture, ReplayStore};
/// use usrv_crypto::{Nonce, PublicKey, ReplayError};
///
/// /// A store that is always down: every signed request gets 503.
/// struct Down;
///
/// impl ReplayStore for Down {
///     fn insert<'a>(&'a self, _: &'a PublicKey, _: &'a Nonce, _: u64, _: u64) -> InsertFuture<'a> {
///         Box::pin(async { Err(ReplayError::Unavailable) })
///     }
/// }
///
/// let store: Box<dyn ReplayStore> = Box::new(Down);
/// # let _ = store;
/// ```
pub trait ReplayStore: Send + Sync + 'static {
    /// Atomically records (key, nonce) until `expires_at_ms`: the entry is
    /// live while `now_ms < expires_at_ms`. When `expires_at_ms <= now_ms`
    /// nothing is stored, but a live entry is still reported.
    ///
    /// # Errors
    /// [`ReplayError::Replayed`] if the pair is present and live,
    /// [`ReplayError::Busy`] if the store is full, or
    /// [`ReplayError::Unavailable`] if the store cannot answer.
    fn insert<'a>(
        &'a self,
        key: &'a PublicKey,
        nonce: &'a Nonce,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> InsertFuture<'a>;
}

/// Stores shared between servers of one process, or chosen at run time.
macro_rules! forward_store {
    ($($pointer:ident),*) => {$(
        impl<T: ReplayStore + ?Sized> ReplayStore for $pointer<T> {
            fn insert<'a>(
                &'a self,
                key: &'a PublicKey,
                nonce: &'a Nonce,
                now_ms: u64,
                expires_at_ms: u64,
            ) -> InsertFuture<'a> {
                (**self).insert(key, nonce, now_ms, expires_at_ms)
            }
        }
    )*};
}

forward_store!(Arc, Box);

/// A stored pair, fixed size. Nonces that differ only in the case of their
/// hex digits or in leading zeros of their time count as the same nonce
/// (stricter than comparing the text; a legitimate client never sends both).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Entry {
    key: [u8; 32],
    unix_ms: u64,
    rand: [u8; 32],
    rand_len: u8,
}

impl Entry {
    fn new(key: &PublicKey, nonce: &Nonce) -> Entry {
        let text = nonce.random_part().as_bytes();
        let mut rand = [0u8; 32];
        for (i, &c) in text.iter().enumerate().take(64) {
            // A parsed nonce holds hex digits only.
            let v = hex::nibble(c).unwrap_or(0);
            rand[i / 2] |= if i % 2 == 0 { v << 4 } else { v };
        }
        Entry {
            key: key.to_bytes(),
            unix_ms: nonce.unix_ms(),
            rand,
            rand_len: u8::try_from(text.len()).unwrap_or(u8::MAX),
        }
    }
}

/// Appends the nonce in the normal form under which [`Entry`] tells nonces
/// apart: `<time without leading zeros>.<random part in lowercase>`.
#[cfg_attr(not(any(feature = "redis", test)), allow(dead_code))]
pub(crate) fn push_normalised_nonce(s: &mut String, nonce: &Nonce) {
    use core::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(s, "{}.", nonce.unix_ms());
    s.extend(nonce.random_part().chars().map(|c| c.to_ascii_lowercase()));
}

#[derive(Default)]
struct Shard {
    /// Entry -> expiry.
    live: HashMap<Entry, u64>,
    /// Same entries, soonest expiry first.
    queue: BinaryHeap<Reverse<(u64, Entry)>>,
}

impl Shard {
    /// Drops the entries that expired at `now_ms`; returns how many.
    fn purge(&mut self, now_ms: u64) -> usize {
        let mut removed = 0;
        while let Some(Reverse((expiry, _))) = self.queue.peek() {
            if *expiry > now_ms {
                break;
            }
            if let Some(Reverse((expiry, entry))) = self.queue.pop() {
                if self.live.get(&entry) == Some(&expiry) {
                    self.live.remove(&entry);
                    removed += 1;
                }
            }
        }
        removed
    }
}

const SHARDS: usize = 16;

/// An in-memory [`ReplayStore`]: sharded `Mutex<HashMap>`s with a bounded
/// total number of entries.
///
/// Expired entries are purged inline (each shard keeps an expiry queue, and an
/// insertion first drops what expired in its shard; when the store is full,
/// every shard is purged before answering [`ReplayError::Busy`]). There is no
/// background thread.
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    capacity: usize,
    len: AtomicUsize,
}

impl MemoryStore {
    /// A store that holds at most `capacity` live entries.
    #[must_use]
    pub fn new(capacity: usize) -> MemoryStore {
        MemoryStore {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::new(),
            capacity,
            len: AtomicUsize::new(0),
        }
    }

    /// Most entries held at once.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries held now (some may have expired but not been purged yet).
    #[must_use]
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether no entry is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry that expired at `now_ms`.
    pub fn purge(&self, now_ms: u64) {
        for shard in &*self.shards {
            let removed = lock(shard).purge(now_ms);
            self.len.fetch_sub(removed, Ordering::AcqRel);
        }
    }

    fn shard(&self, entry: &Entry) -> &Mutex<Shard> {
        let h = self.hasher.hash_one(entry);
        let index = usize::try_from(h >> 60).unwrap_or(0) % SHARDS;
        &self.shards[index]
    }

    fn reserve(&self) -> bool {
        self.len
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            })
            .is_ok()
    }

    /// Under the shard lock: `Replayed` if live, else reserve a slot and insert.
    fn try_insert(
        &self,
        shard: &mut Shard,
        entry: Entry,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<(), ReplayError> {
        let removed = shard.purge(now_ms);
        self.len.fetch_sub(removed, Ordering::AcqRel);
        // After the purge every entry left in the shard is live.
        if shard.live.contains_key(&entry) {
            return Err(ReplayError::Replayed);
        }
        if !self.reserve() {
            return Err(ReplayError::Busy);
        }
        shard.live.insert(entry, expires_at_ms);
        shard.queue.push(Reverse((expires_at_ms, entry)));
        Ok(())
    }

    /// [`ReplayStore::insert`] without the future, for synchronous callers.
    ///
    /// # Errors
    /// [`ReplayError::Replayed`] or [`ReplayError::Busy`].
    pub fn insert_now(
        &self,
        key: &PublicKey,
        nonce: &Nonce,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<(), ReplayError> {
        let entry = Entry::new(key, nonce);
        let shard = self.shard(&entry);
        if expires_at_ms <= now_ms {
            // Already outside the window: a duplicate could not be accepted
            // later anyway, and there is nothing to remember.
            return if lock(shard).live.get(&entry).is_some_and(|&e| e > now_ms) {
                Err(ReplayError::Replayed)
            } else {
                Ok(())
            };
        }
        // The shard lock is released at the end of this statement.
        let first = self.try_insert(&mut lock(shard), entry, now_ms, expires_at_ms);
        if first == Err(ReplayError::Busy) {
            // Expired entries of other shards may hold the room: purge all
            // (holding no lock), then try once more.
            self.purge(now_ms);
            return self.try_insert(&mut lock(shard), entry, now_ms, expires_at_ms);
        }
        first
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic under the lock cannot leave a shard inconsistent in a way that
    // matters (at worst an entry is kept until its expiry), so go on.
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ReplayStore for MemoryStore {
    /// Synchronous inside: the returned future is ready at once.
    fn insert<'a>(
        &'a self,
        key: &'a PublicKey,
        nonce: &'a Nonce,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> InsertFuture<'a> {
        Box::pin(core::future::ready(self.insert_now(
            key,
            nonce,
            now_ms,
            expires_at_ms,
        )))
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

/// Checks nonce times against a window and refuses replays.
#[derive(Debug)]
pub struct ReplayGuard<S: ReplayStore = MemoryStore> {
    window: Duration,
    window_ms: u64,
    store: S,
}

impl ReplayGuard<MemoryStore> {
    /// A guard with a [`MemoryStore`] of `capacity` entries.
    #[must_use]
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self::with_store(window, MemoryStore::new(capacity))
    }
}

impl Default for ReplayGuard<MemoryStore> {
    /// Window 30 s, capacity 1 000 000.
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW, DEFAULT_CAPACITY)
    }
}

impl<S: ReplayStore> ReplayGuard<S> {
    /// A guard over the given store.
    #[must_use]
    pub fn with_store(window: Duration, store: S) -> Self {
        ReplayGuard {
            window,
            window_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
            store,
        }
    }

    /// The window: a nonce time may differ from now by at most this.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Cheap window check, to run before signature verification:
    /// `now - window <= nonce time <= now + window`.
    ///
    /// # Errors
    /// [`ReplayError::Stale`] or [`ReplayError::Future`].
    pub fn check_time(&self, nonce: &Nonce, now_ms: u64) -> Result<(), ReplayError> {
        let ms = nonce.unix_ms();
        if ms.saturating_add(self.window_ms) < now_ms {
            Err(ReplayError::Stale)
        } else if ms > now_ms.saturating_add(self.window_ms) {
            Err(ReplayError::Future)
        } else {
            Ok(())
        }
    }

    /// To run after the signature verified: re-checks the time, then records
    /// (key, nonce) until the nonce time leaves the window (`nonce time + window`
    /// inclusive).
    ///
    /// # Errors
    /// [`ReplayError::Stale`], [`ReplayError::Future`], [`ReplayError::Replayed`],
    /// [`ReplayError::Busy`] or [`ReplayError::Unavailable`].
    pub async fn record(
        &self,
        key: &PublicKey,
        nonce: &Nonce,
        now_ms: u64,
    ) -> Result<(), ReplayError> {
        self.check_time(nonce, now_ms)?;
        let expires_at = nonce
            .unix_ms()
            .saturating_add(self.window_ms)
            .saturating_add(1);
        self.store.insert(key, nonce, now_ms, expires_at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(nonce: &Nonce) -> String {
        let mut s = String::new();
        push_normalised_nonce(&mut s, nonce);
        s
    }

    /// The text form used by the Redis store tells nonces apart exactly as
    /// the memory store's entries do.
    #[test]
    fn normal_form_matches_entries() {
        let key = crate::SecretKey::from_bytes(&[7u8; 32])
            .unwrap()
            .public_key();
        let texts = [
            "1732550400000.0123456789abcdef",
            "1732550400000.0123456789ABCDEF",
            "01732550400000.0123456789AbCdEf",
            "0001732550400000.0123456789abcdef",
            "1732550400001.0123456789abcdef",
            "1732550400000.0123456789abcdef0",
            "1732550400000.0123456789abcdef00",
            "1732550400000.123456789abcdef0",
            "0.0123456789abcdef",
            "00.0123456789abcdef",
            "1.0123456789abcdef",
        ];
        let nonces: Vec<Nonce> = texts.iter().map(|t| t.parse().unwrap()).collect();
        for a in &nonces {
            for b in &nonces {
                let same_entry = Entry::new(&key, a) == Entry::new(&key, b);
                let same_text = normalised(a) == normalised(b);
                assert_eq!(same_entry, same_text, "{a} {b}");
            }
        }
        assert_eq!(normalised(&nonces[3]), "1732550400000.0123456789abcdef");
        assert_eq!(normalised(&nonces[9]), "0.0123456789abcdef");
    }
}
