//! The load client of the secure mode: GET requests to a usrv server
//! through `usrv::Client`, plain, signed (`.signed()`: the request signed by
//! the client, verified by the server, the reply signed by the server and
//! verified by the client) or sealed (`.encrypted()`: signed, and the reply
//! sealed to the client and opened by it).
//!
//! ```text
//! secure-load ADDR PATH MODE --count N                    # N requests, one at a time
//! secure-load ADDR PATH MODE --seconds S --concurrency C  # C at a time for S seconds
//! ```
//!
//! MODE is `plain`, `signed` or `sealed`. The server key is fetched from
//! `GET /puk` before the count or the clock starts; the first reply's body
//! is printed. Any error status or failed check stops it with exit code 1.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use usrv::client::ClientError;
use usrv::crypto::SecretKey;
use usrv::Client;

#[derive(Clone, Copy)]
enum Mode {
    Plain,
    Signed,
    Sealed,
}

enum Load {
    Count(u64),
    Timed { seconds: f64, concurrency: usize },
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: secure-load ADDR PATH plain|signed|sealed (--count N | --seconds S --concurrency C)"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, path, mode, rest @ ..] = args.as_slice() else {
        return usage();
    };
    let mode = match mode.as_str() {
        "plain" => Mode::Plain,
        "signed" => Mode::Signed,
        "sealed" => Mode::Sealed,
        _ => return usage(),
    };
    let number = |flag: &str| -> Option<f64> {
        let at = rest.iter().position(|a| a == flag)?;
        rest.get(at + 1)?.parse().ok()
    };
    let load = match (
        number("--count"),
        number("--seconds"),
        number("--concurrency"),
    ) {
        (Some(n), None, None) if n >= 1.0 => Load::Count(n as u64),
        (None, Some(seconds), Some(c)) if seconds > 0.0 && c >= 1.0 => Load::Timed {
            seconds,
            concurrency: c as usize,
        },
        _ => return usage(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(addr, path, mode, load)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("secure-load: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn one(client: &Client, path: &str, mode: Mode) -> Result<usrv::client::Reply, ClientError> {
    let request = client.get(path);
    let request = match mode {
        Mode::Plain => request,
        Mode::Signed => request.signed(),
        Mode::Sealed => request.encrypted(),
    };
    let reply = request.send().await?;
    if !matches!(mode, Mode::Plain) && !reply.is_authenticated() {
        return Err(ClientError::UnsignedReply);
    }
    Ok(reply)
}

async fn run(addr: &str, path: &str, mode: Mode, load: Load) -> Result<(), String> {
    let client = Client::new(&format!("http://{addr}"))
        .map_err(|e| e.to_string())?
        .with_key(SecretKey::generate());
    client
        .server_key()
        .await
        .map_err(|e| format!("cannot fetch the server key: {e}"))?;
    let first = one(&client, path, mode)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    println!(
        "first reply: {} {}",
        first.status().as_u16(),
        first.text().unwrap_or("(not text)")
    );
    let started = Instant::now();
    let done = match load {
        Load::Count(n) => {
            // The first request counts: N in all, one at a time.
            for i in 1..n {
                one(&client, path, mode)
                    .await
                    .map_err(|e| format!("request {i}: {e}"))?;
            }
            n
        }
        Load::Timed {
            seconds,
            concurrency,
        } => {
            let done = Arc::new(AtomicU64::new(0));
            let until = started + Duration::from_secs_f64(seconds);
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..concurrency {
                let (client, path, done) = (client.clone(), path.to_owned(), done.clone());
                tasks.spawn(async move {
                    while Instant::now() < until {
                        one(&client, &path, mode).await.map_err(|e| e.to_string())?;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok::<_, String>(())
                });
            }
            while let Some(result) = tasks.join_next().await {
                result.map_err(|e| e.to_string())??;
            }
            done.load(Ordering::Relaxed)
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{done} requests in {elapsed:.3} s: {:.1} requests/s",
        done as f64 / elapsed
    );
    Ok(())
}
