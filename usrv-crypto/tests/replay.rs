//! Replay guard and memory store.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use usrv_crypto::replay::{DEFAULT_CAPACITY, DEFAULT_WINDOW};
use usrv_crypto::{
    InsertFuture, MemoryStore, Nonce, PublicKey, ReplayError, ReplayGuard, ReplayStore, SecretKey,
};

const NOW: u64 = 1_732_550_400_000;

/// Polls a future once, with no runtime: the futures of a [`MemoryStore`]
/// (and of a guard over one) are ready at once, and this checks it.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a MemoryStore future was not ready at once"),
    }
}

fn key() -> PublicKey {
    SecretKey::generate().public_key()
}

fn guard(capacity: usize) -> ReplayGuard {
    ReplayGuard::new(Duration::from_secs(30), capacity)
}

#[test]
fn defaults() {
    let g = ReplayGuard::default();
    assert_eq!(g.window(), DEFAULT_WINDOW);
    assert_eq!(g.window(), Duration::from_secs(30));
    assert_eq!(g.store().capacity(), DEFAULT_CAPACITY);
    assert_eq!(DEFAULT_CAPACITY, 1_000_000);
}

#[test]
fn duplicate_within_window_is_rejected() {
    let g = guard(100);
    let k = key();
    let n = Nonce::generate_at(NOW);
    assert_eq!(ready(g.record(&k, &n, NOW)), Ok(()));
    assert_eq!(ready(g.record(&k, &n, NOW)), Err(ReplayError::Replayed));
    assert_eq!(
        ready(g.record(&k, &n, NOW + 29_999)),
        Err(ReplayError::Replayed)
    );
    // The same text parsed again is the same nonce.
    let again: Nonce = n.as_str().parse().unwrap();
    assert_eq!(
        ready(g.record(&k, &again, NOW + 1)),
        Err(ReplayError::Replayed)
    );
    // Case of the hex digits does not make another nonce.
    let upper: Nonce = n.as_str().to_uppercase().parse().unwrap();
    assert_eq!(
        ready(g.record(&k, &upper, NOW + 1)),
        Err(ReplayError::Replayed)
    );
    // A fresh nonce from the same key passes.
    assert_eq!(ready(g.record(&k, &Nonce::generate_at(NOW), NOW)), Ok(()));
}

#[test]
fn same_nonce_from_two_keys_is_accepted() {
    let g = guard(100);
    let n = Nonce::generate_at(NOW);
    assert_eq!(ready(g.record(&key(), &n, NOW)), Ok(()));
    assert_eq!(ready(g.record(&key(), &n, NOW)), Ok(()));
}

#[test]
fn stale_and_future_are_rejected() {
    let g = guard(100);
    let k = key();
    let window = 30_000;
    let at = |ms| Nonce::generate_at(ms);
    // Exactly at the edges is inside.
    assert_eq!(g.check_time(&at(NOW - window), NOW), Ok(()));
    assert_eq!(g.check_time(&at(NOW + window), NOW), Ok(()));
    assert_eq!(
        g.check_time(&at(NOW - window - 1), NOW),
        Err(ReplayError::Stale)
    );
    assert_eq!(
        g.check_time(&at(NOW + window + 1), NOW),
        Err(ReplayError::Future)
    );
    assert_eq!(g.check_time(&at(0), NOW), Err(ReplayError::Stale));
    assert_eq!(g.check_time(&at(u64::MAX), NOW), Err(ReplayError::Future));
    // record re-checks the time and stores nothing when it fails.
    assert_eq!(
        ready(g.record(&k, &at(NOW - window - 1), NOW)),
        Err(ReplayError::Stale)
    );
    assert_eq!(
        ready(g.record(&k, &at(NOW + window + 1), NOW)),
        Err(ReplayError::Future)
    );
    assert!(g.store().is_empty());
    // A nonce time at 0 with now at 0 is fine (no underflow).
    assert_eq!(g.check_time(&at(0), 0), Ok(()));
    assert_eq!(g.check_time(&at(window + 1), 0), Err(ReplayError::Future));
}

#[test]
fn messages() {
    assert_eq!(ReplayError::Stale.to_string(), "nonce is too old");
    assert_eq!(ReplayError::Future.to_string(), "nonce is from the future");
    assert_eq!(ReplayError::Replayed.to_string(), "nonce was already used");
    assert_eq!(ReplayError::Busy.to_string(), "replay store is full");
    assert_eq!(
        ReplayError::Unavailable.to_string(),
        "replay store cannot answer"
    );
}

#[test]
fn capacity_reached_is_busy() {
    let g = guard(3);
    let k = key();
    for _ in 0..3 {
        assert_eq!(ready(g.record(&k, &Nonce::generate_at(NOW), NOW)), Ok(()));
    }
    assert_eq!(g.store().len(), 3);
    assert_eq!(
        ready(g.record(&k, &Nonce::generate_at(NOW), NOW)),
        Err(ReplayError::Busy)
    );
    assert_eq!(
        ready(g.record(&key(), &Nonce::generate_at(NOW), NOW)),
        Err(ReplayError::Busy)
    );
    // Capacity zero refuses everything.
    let none = guard(0);
    assert_eq!(
        ready(none.record(&k, &Nonce::generate_at(NOW), NOW)),
        Err(ReplayError::Busy)
    );
}

#[test]
fn replayed_wins_over_busy() {
    let g = guard(1);
    let k = key();
    let n = Nonce::generate_at(NOW);
    assert_eq!(ready(g.record(&k, &n, NOW)), Ok(()));
    assert_eq!(ready(g.record(&k, &n, NOW)), Err(ReplayError::Replayed));
}

#[test]
fn entries_expire_and_free_capacity() {
    let g = guard(2);
    let k = key();
    let n1 = Nonce::generate_at(NOW);
    let n2 = Nonce::generate_at(NOW + 10_000);
    assert_eq!(ready(g.record(&k, &n1, NOW)), Ok(()));
    assert_eq!(ready(g.record(&k, &n2, NOW + 10_000)), Ok(()));
    // Full until n1 leaves the window at NOW + 30 000 (inclusive).
    let n3 = Nonce::generate_at(NOW + 30_000);
    assert_eq!(
        ready(g.record(&k, &n3, NOW + 30_000)),
        Err(ReplayError::Busy)
    );
    // n1 is still remembered as long as it is inside the window...
    assert_eq!(
        ready(g.record(&k, &n1, NOW + 30_000)),
        Err(ReplayError::Replayed)
    );
    // ...and once it is out, the guard calls it stale and its room is free.
    assert_eq!(
        ready(g.record(&k, &n1, NOW + 30_001)),
        Err(ReplayError::Stale)
    );
    assert_eq!(ready(g.record(&k, &n3, NOW + 30_001)), Ok(()));
    assert_eq!(g.store().len(), 2);
    // Long after, everything expired.
    g.store().purge(NOW + 1_000_000);
    assert!(g.store().is_empty());
}

#[test]
fn store_insert_semantics() {
    let store = MemoryStore::new(10);
    let k = key();
    let n = Nonce::generate_at(NOW);
    assert_eq!(ready(store.insert(&k, &n, NOW, NOW + 5)), Ok(()));
    assert_eq!(
        ready(store.insert(&k, &n, NOW + 4, NOW + 9)),
        Err(ReplayError::Replayed)
    );
    // Expired at NOW + 5: the pair may be stored again.
    assert_eq!(ready(store.insert(&k, &n, NOW + 5, NOW + 10)), Ok(()));
    assert_eq!(store.len(), 1);
    // Already-expired entries are not stored.
    let m = Nonce::generate_at(NOW);
    assert_eq!(ready(store.insert(&k, &m, NOW + 20, NOW + 20)), Ok(()));
    assert_eq!(store.len(), 1);
    store.purge(NOW + 20);
    assert_eq!(store.len(), 0);
    // The synchronous entry point shares the same entries.
    let o = Nonce::generate_at(NOW);
    assert_eq!(store.insert_now(&k, &o, NOW, NOW + 5), Ok(()));
    assert_eq!(
        ready(store.insert(&k, &o, NOW, NOW + 5)),
        Err(ReplayError::Replayed)
    );
    assert_eq!(
        store.insert_now(&k, &o, NOW + 1, NOW + 1),
        Err(ReplayError::Replayed)
    );
}

/// A store that cannot answer, and counts how often it was asked.
#[derive(Default)]
struct Down(AtomicUsize);

impl ReplayStore for Down {
    fn insert<'a>(&'a self, _: &'a PublicKey, _: &'a Nonce, _: u64, _: u64) -> InsertFuture<'a> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Box::pin(async { Err(ReplayError::Unavailable) })
    }
}

#[test]
fn a_store_that_cannot_answer_fails_closed() {
    let g: ReplayGuard<Box<dyn ReplayStore>> =
        ReplayGuard::with_store(Duration::from_secs(30), Box::new(Down::default()));
    let k = key();
    let n = Nonce::generate_at(NOW);
    assert_eq!(ready(g.record(&k, &n, NOW)), Err(ReplayError::Unavailable));
    assert_eq!(ready(g.record(&k, &n, NOW)), Err(ReplayError::Unavailable));
    // The time is checked before the store is asked.
    let down = Arc::new(Down::default());
    let g = ReplayGuard::with_store(Duration::from_secs(30), Arc::clone(&down));
    assert_eq!(
        ready(g.record(&k, &Nonce::generate_at(NOW - 30_001), NOW)),
        Err(ReplayError::Stale)
    );
    assert_eq!(down.0.load(Ordering::Relaxed), 0);
    assert_eq!(ready(g.record(&k, &n, NOW)), Err(ReplayError::Unavailable));
    assert_eq!(down.0.load(Ordering::Relaxed), 1);
}

#[test]
fn a_boxed_dyn_store_forwards() {
    let g: ReplayGuard<Box<dyn ReplayStore>> =
        ReplayGuard::with_store(Duration::from_secs(30), Box::new(MemoryStore::new(10)));
    let k = key();
    let n = Nonce::generate_at(NOW);
    assert_eq!(ready(g.record(&k, &n, NOW)), Ok(()));
    assert_eq!(ready(g.record(&k, &n, NOW)), Err(ReplayError::Replayed));
    // An Arc of a dyn store too.
    let shared: Arc<dyn ReplayStore> = Arc::new(MemoryStore::new(10));
    let g = ReplayGuard::with_store(Duration::from_secs(30), Arc::clone(&shared));
    assert_eq!(ready(g.record(&k, &n, NOW)), Ok(()));
    assert_eq!(
        ready(shared.insert(&k, &n, NOW, NOW + 1)),
        Err(ReplayError::Replayed)
    );
}

/// `record` can run inside a task of a multi-threaded runtime (its future is `Send`).
#[test]
fn exactly_one_of_many_tasks_wins() {
    const TASKS: usize = 64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let g: Arc<ReplayGuard<Box<dyn ReplayStore>>> = Arc::new(ReplayGuard::with_store(
        Duration::from_secs(30),
        Box::new(MemoryStore::new(1000)),
    ));
    let k = key();
    let n = Nonce::generate_at(NOW);
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (g, n) = (Arc::clone(&g), n.clone());
                tokio::spawn(async move { g.record(&k, &n, NOW).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == Err(ReplayError::Replayed))
            .count(),
        TASKS - 1
    );
}

#[test]
fn a_shared_store_through_arc() {
    let store = Arc::new(MemoryStore::new(10));
    let a = ReplayGuard::with_store(Duration::from_secs(30), Arc::clone(&store));
    let b = ReplayGuard::with_store(Duration::from_secs(30), Arc::clone(&store));
    let k = key();
    let n = Nonce::generate_at(NOW);
    assert_eq!(ready(a.record(&k, &n, NOW)), Ok(()));
    assert_eq!(ready(b.record(&k, &n, NOW)), Err(ReplayError::Replayed));
}

#[test]
fn exactly_one_of_many_threads_wins() {
    const THREADS: usize = 16;
    for round in 0..20 {
        let g = Arc::new(guard(1000));
        let k = key();
        let n = Nonce::generate_at(NOW + round);
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (g, n, barrier) = (Arc::clone(&g), n.clone(), Arc::clone(&barrier));
                thread::spawn(move || {
                    barrier.wait();
                    ready(g.record(&k, &n, NOW))
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
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

#[test]
fn capacity_is_exact_under_contention() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 50;
    const CAPACITY: usize = 100;
    let g = Arc::new(guard(CAPACITY));
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (g, barrier) = (Arc::clone(&g), Arc::clone(&barrier));
            thread::spawn(move || {
                let k = key();
                barrier.wait();
                (0..PER_THREAD)
                    .map(|_| ready(g.record(&k, &Nonce::generate_at(NOW), NOW)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let busy = results
        .iter()
        .filter(|r| **r == Err(ReplayError::Busy))
        .count();
    assert_eq!((ok, busy), (CAPACITY, THREADS * PER_THREAD - CAPACITY));
    assert_eq!(g.store().len(), CAPACITY);
}
