//! What the baselines share with `examples/bench.rs`: the address argument,
//! the `USRV_WORKERS` runtime and the stop signal.

use std::future::Future;

/// The address: the first argument, else `USRV_ADDR`, else `127.0.0.1:5000`.
pub fn addr() -> String {
    std::env::args()
        .nth(1)
        .or_else(|| std::env::var("USRV_ADDR").ok())
        .unwrap_or_else(|| "127.0.0.1:5000".to_owned())
}

/// A multi-thread runtime with `USRV_WORKERS` worker threads (default:
/// tokio's, one per core), as `examples/bench.rs` builds it.
pub fn runtime() -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Ok(value) = std::env::var("USRV_WORKERS") {
        match value.trim().parse::<usize>() {
            Ok(n) if n > 0 => {
                builder.worker_threads(n);
            }
            _ => eprintln!("ignoring USRV_WORKERS={value:?}: expected a positive number"),
        }
    }
    builder.build().expect("cannot build the tokio runtime")
}

/// Runs `server` until Ctrl-C or SIGTERM, so that a server under valgrind
/// exits normally and callgrind writes its totals (usrv does the same).
pub async fn until_stopped(server: impl Future<Output = ()>) {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("cannot listen for SIGTERM");
    tokio::select! {
        () = server => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

/// `"Hello, World!"`, the body of `/plaintext` and the message of `/json`.
pub const HELLO: &str = "Hello, World!";

/// The `/json` body.
#[derive(serde::Serialize)]
pub struct Message {
    pub message: &'static str,
}
