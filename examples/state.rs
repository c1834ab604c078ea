//! Shared state: values given to the server at start, taken by handlers as
//! `State<T>` (a cheap shared reference), several types at once.
//!
//! ```text
//! cargo run --example state
//! curl http://127.0.0.1:5000/hits                          # 1, then 2, ...
//! curl -X POST 'http://127.0.0.1:5000/notes?text=hello'    # ["hello"]
//! curl http://127.0.0.1:5000/notes                         # ["hello"]
//! curl http://127.0.0.1:5000/about                         # ["notes","1.0"]
//! ```
//!
//! A route that takes a state the server was not given stops the server at
//! start-up: remove `.state(Notes::default())` below and `cargo run`
//! prints which route needs which type, and where the route is.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use usrv::{route, State};

/// A counter: atomics need no lock.
#[derive(Default)]
struct Hits(AtomicU64);

/// Data that changes: behind a lock.
#[derive(Default)]
struct Notes(RwLock<Vec<String>>);

/// Configuration read at start.
struct About {
    name: &'static str,
    version: &'static str,
}

#[route("/hits")]
fn hits(hits: State<Hits>) -> (u16, u64) {
    (200, hits.0.fetch_add(1, Ordering::Relaxed) + 1)
}

#[route("/notes")]
fn notes(notes: State<Notes>) -> (u16, Vec<String>) {
    let notes = notes
        .0
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    (200, notes.clone())
}

#[route("/notes", methods = ["POST"])]
fn add_note(text: String, notes: State<Notes>) -> (u16, Vec<String>) {
    let mut notes = notes
        .0
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    notes.push(text);
    (201, notes.clone())
}

/// `State<T>` derefs to the value.
#[route("/about")]
fn about(about: State<About>) -> (u16, &'static str, &'static str) {
    (200, about.name, about.version)
}

#[tokio::main]
async fn main() -> Result<(), usrv::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "usrv=info".into()),
        )
        .init();
    usrv::serve()
        .state(Hits::default())
        .state(Notes::default())
        .state(About {
            name: "notes",
            version: "1.0",
        })
        .await
}
