//! The load client of the secure mode: GET requests to a usrv server
//! through `usrv::Client`, plain, signed (`.signed()`: the request signed by
//! the client, verified by the server, the reply signed by the server and
//! verified by the client) or sealed (`.encrypted()`: signed, the request
//! body sealed to the server, and the reply sealed to the client and opened
//! by it).
//!
//! ```text
//! secure-load ADDR PATH MODE --count N                    # N requests, one at a time
//! secure-load ADDR PATH MODE --seconds S --concurrency C  # C at a time for S seconds
//! secure-load ADDR PATH MODE --count N --body BYTES       # POST BYTES bytes each time
//! ```
//!
//! MODE is `plain`, `signed` or `sealed`. The server key is fetched from
//! `GET /puk` before the count or the clock starts; the first reply's body
//! is printed. Any error status or failed check stops it with exit code 1.
//!
//! `--body BYTES` (with either load) sends `POST PATH` with a body of that
//! many bytes (`application/octet-stream`; sealed in `sealed` mode) instead
//! of `GET PATH`, for a route that echoes it (`examples/scaling.rs`,
//! `bench/scaling.sh`): every reply must be the same bytes, and the first
//! reply's length is printed instead of its body.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use usrv::client::ClientError;
use usrv::crypto::SecretKey;
use usrv::{Bytes, Client};

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
        "usage: secure-load ADDR PATH plain|signed|sealed (--count N | --seconds S --concurrency C) [--body BYTES]"
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
    // Every argument after MODE is a known flag followed by its value.
    let known = ["--count", "--seconds", "--concurrency", "--body"];
    if rest.len() % 2 != 0
        || rest
            .chunks(2)
            .any(|pair| !known.contains(&pair[0].as_str()) || pair[1].parse::<f64>().is_err())
    {
        return usage();
    }
    let body = match rest.iter().position(|a| a == "--body") {
        None => None,
        Some(at) => match rest.get(at + 1).and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => Some(Bytes::from(vec![b'x'; n])),
            None => return usage(),
        },
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
    let target = Target {
        path: path.clone(),
        mode,
        body,
    };
    match runtime.block_on(run(addr, target, load)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("secure-load: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What each request is: its path, its mode, and the body of a POST.
#[derive(Clone)]
struct Target {
    path: String,
    mode: Mode,
    /// `--body`: POST this body (its clones share the bytes); the reply
    /// must be the same bytes.
    body: Option<Bytes>,
}

async fn one(client: &Client, target: &Target) -> Result<usrv::client::Reply, String> {
    let request = match &target.body {
        None => client.get(&target.path),
        Some(body) => client
            .post(&target.path)
            .body(body.clone(), "application/octet-stream"),
    };
    let request = match target.mode {
        Mode::Plain => request,
        Mode::Signed => request.signed(),
        Mode::Sealed => request.encrypted(),
    };
    let reply = request.send().await.map_err(|e| e.to_string())?;
    if !matches!(target.mode, Mode::Plain) && !reply.is_authenticated() {
        return Err(ClientError::UnsignedReply.to_string());
    }
    if let Some(body) = &target.body {
        if reply.bytes() != body {
            return Err(format!(
                "sent {} bytes, the reply has {} other ones",
                body.len(),
                reply.bytes().len()
            ));
        }
    }
    Ok(reply)
}

async fn run(addr: &str, target: Target, load: Load) -> Result<(), String> {
    let path = target.path.as_str();
    let client = Client::new(&format!("http://{addr}"))
        .map_err(|e| e.to_string())?
        .with_key(SecretKey::generate());
    client
        .server_key()
        .await
        .map_err(|e| format!("cannot fetch the server key: {e}"))?;
    let first = one(&client, &target)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    match target.body {
        None => println!(
            "first reply: {} {}",
            first.status().as_u16(),
            first.text().unwrap_or("(not text)")
        ),
        Some(_) => println!(
            "first reply: {} ({} bytes)",
            first.status().as_u16(),
            first.bytes().len()
        ),
    }
    let started = Instant::now();
    let done = match load {
        Load::Count(n) => {
            // The first request counts: N in all, one at a time.
            for i in 1..n {
                one(&client, &target)
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
                let (client, target, done) = (client.clone(), target.clone(), done.clone());
                tasks.spawn(async move {
                    while Instant::now() < until {
                        one(&client, &target).await?;
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
