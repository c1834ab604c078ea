//! The client of `streams.sh`: three loads on long-lived connections.
//!
//! ```text
//! streams-load slow-read ADDR PATH RATE SECONDS     # read a download at RATE bytes/s for SECONDS
//! streams-load sse-idle ADDR PATH N SECONDS         # N event streams, held open for SECONDS
//! streams-load ws-echo ADDR PATH CONNECTIONS SECONDS SIZE
//!                                                   # WebSocket echo round trips of SIZE bytes
//! streams-load ws-count ADDR PATH COUNT SIZE        # exactly COUNT round trips on one socket
//! ```
//!
//! Each prints one line of results (`key=value ...`) and exits non-zero on
//! the first failure. `sse-idle` prints `connected` once every stream has
//! its response head, so that the script can measure the server then.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("streams-load: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["slow-read", addr, path, rate, seconds] => {
                slow_read(addr, path, number(rate)?, number(seconds)?).await
            }
            ["sse-idle", addr, path, n, seconds] => {
                sse_idle(addr, path, number(n)?, number(seconds)?).await
            }
            ["ws-echo", addr, path, connections, seconds, size] => {
                ws_echo(addr, path, number(connections)?, number(seconds)?, number(size)?).await
            }
            ["ws-count", addr, path, count, size] => {
                ws_count(addr, path, number(count)?, number(size)?).await
            }
            _ => Err("usage: streams-load slow-read ADDR PATH RATE SECONDS | sse-idle ADDR PATH N SECONDS | ws-echo ADDR PATH CONNECTIONS SECONDS SIZE | ws-count ADDR PATH COUNT SIZE".to_owned()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("streams-load: {error}");
            ExitCode::FAILURE
        }
    }
}

fn number(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("expected a number, not {text:?}"))
}

async fn get(addr: &str, path: &str) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    Ok(stream)
}

/// Reads the response head; what came after it is returned.
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = stream
            .read(&mut buffer)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if read == 0 {
            return Err("the server closed the connection before answering".into());
        }
        received.extend_from_slice(&buffer[..read]);
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            if !received.starts_with(b"HTTP/1.1 200 ") {
                let line = String::from_utf8_lossy(&received[..end]);
                return Err(format!("expected 200, got {line:?}"));
            }
            return Ok(received.split_off(end + 4));
        }
    }
}

/// A reader that takes `rate` bytes per second, in 64 KiB reads.
async fn slow_read(addr: &str, path: &str, rate: u64, seconds: u64) -> Result<(), String> {
    let mut stream = get(addr, path).await?;
    let mut read_total = read_head(&mut stream).await?.len() as u64;
    let started = Instant::now();
    let limit = Duration::from_secs(seconds);
    let mut buffer = vec![0u8; 64 * 1024];
    while started.elapsed() < limit {
        let read = stream
            .read(&mut buffer)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if read == 0 {
            break;
        }
        read_total += read as u64;
        // Hold back until the rate allows the bytes read so far.
        let due = Duration::from_secs_f64(read_total as f64 / rate as f64);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "read={read_total} seconds={elapsed:.1} rate={:.1}MiB/s",
        read_total as f64 / elapsed / (1 << 20) as f64
    );
    Ok(())
}

/// `n` event streams, each read up to its head, then held open.
async fn sse_idle(addr: &str, path: &str, n: u64, seconds: u64) -> Result<(), String> {
    let mut streams = Vec::new();
    for _ in 0..n {
        let mut stream = get(addr, path).await?;
        read_head(&mut stream).await?;
        streams.push(stream);
    }
    println!("connected={n}");
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    // Still open: each one is readable (a keep-alive, or nothing yet).
    let mut closed = 0;
    for stream in &mut streams {
        let mut buffer = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => closed += 1,
            _ => {}
        }
    }
    println!("held={} closed={closed}", n - closed);
    if closed > 0 {
        return Err(format!("{closed} of {n} streams were closed"));
    }
    Ok(())
}

/// `connections` WebSockets, each sending a message of `size` bytes and
/// awaiting its echo, over and over, for `seconds`.
async fn ws_echo(
    addr: &str,
    path: &str,
    connections: u64,
    seconds: u64,
    size: u64,
) -> Result<(), String> {
    let url = format!("ws://{addr}{path}");
    let mut sockets = Vec::new();
    for _ in 0..connections {
        let (socket, _) = tokio_tungstenite::connect_async(&url)
            .await
            .map_err(|e| format!("cannot open {url}: {e}"))?;
        sockets.push(socket);
    }
    let round_trips = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let payload = "x".repeat(size as usize);
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            let round_trips = round_trips.clone();
            let payload = payload.clone();
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    socket
                        .send(Message::text(payload.clone()))
                        .await
                        .map_err(|e| format!("send: {e}"))?;
                    match socket.next().await {
                        Some(Ok(Message::Text(text))) if text.len() == payload.len() => {
                            round_trips.fetch_add(1, Ordering::Relaxed);
                        }
                        other => return Err(format!("expected the echo, got {other:?}")),
                    }
                }
                let _ = socket.close(None).await;
                Ok::<_, String>(())
            })
        })
        .collect();
    let started = Instant::now();
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = round_trips.load(Ordering::Relaxed);
    println!(
        "round_trips={total} seconds={elapsed:.2} per_second={:.0}",
        total as f64 / elapsed
    );
    Ok(())
}

/// Exactly `count` echo round trips of `size` bytes on one WebSocket, one at
/// a time (for callgrind: the server's instructions per round trip).
async fn ws_count(addr: &str, path: &str, count: u64, size: u64) -> Result<(), String> {
    let url = format!("ws://{addr}{path}");
    let (mut socket, _) = tokio_tungstenite::connect_async(&url)
        .await
        .map_err(|e| format!("cannot open {url}: {e}"))?;
    let payload = "x".repeat(size as usize);
    let started = Instant::now();
    for i in 0..count {
        socket
            .send(Message::text(payload.clone()))
            .await
            .map_err(|e| format!("round trip {i}: send: {e}"))?;
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.len() == payload.len() => {}
            other => return Err(format!("round trip {i}: expected the echo, got {other:?}")),
        }
    }
    let _ = socket.close(None).await;
    println!(
        "round_trips={count} seconds={:.3}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
