//! Memory under a dribbled body, alone in its process so that the
//! process's resident memory is the server's: a body sent one byte per TCP
//! segment costs about its length, not a socket read buffer per byte.
#![cfg(target_os = "linux")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{TestServer, LIMIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;
use usrv::route;

#[route("/upload", methods = ["POST"])]
fn upload(body: Bytes) -> (u16, usize) {
    (200, body.len())
}

/// The resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

const CONNECTIONS: usize = 20;
const BODY: usize = 2048;
/// The growth allowed while the bodies are half read: the bodies and the
/// connections' buffers, with a wide margin. Keeping a read buffer per
/// byte grows by about 4 KiB per byte, 160 MiB here.
const ALLOWED_GROWTH_KIB: u64 = 24 << 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dribbled_body_costs_its_length() {
    let server = TestServer::with(|s| {
        s.header_read_timeout(Duration::from_secs(60))
            .body_read_timeout(Duration::from_secs(60))
    })
    .await;
    // Warm up: the runtime, the route table, a first connection.
    let raw = server
        .raw(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
        .await;
    assert_eq!(raw.body(), b"3");
    let before = rss_kib();

    // Every client has sent all but one byte when the barrier opens the
    // first time; it sends the last byte when it opens the second time.
    let barrier = Arc::new(Barrier::new(CONNECTIONS + 1));
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        let (addr, barrier) = (server.addr, barrier.clone());
        clients.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let head =
                format!("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {BODY}\r\n\r\n");
            stream.write_all(head.as_bytes()).await.unwrap();
            for _ in 1..BODY {
                stream.write_all(b"x").await.unwrap();
                // One segment each: give the server time to read it alone.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            barrier.wait().await;
            barrier.wait().await;
            stream.write_all(b"x").await.unwrap();
            let mut reply = Vec::new();
            let read = async {
                let mut buffer = [0u8; 1024];
                loop {
                    let n = stream.read(&mut buffer).await.unwrap();
                    reply.extend_from_slice(&buffer[..n]);
                    if n == 0 || reply.ends_with(BODY.to_string().as_bytes()) {
                        return;
                    }
                }
            };
            tokio::time::timeout(LIMIT, read)
                .await
                .expect("answered in time");
            String::from_utf8(reply).unwrap()
        }));
    }
    tokio::time::timeout(Duration::from_secs(60), barrier.wait())
        .await
        .expect("the clients dribble their bodies");
    // Let the server read the last segments.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let during = rss_kib();
    barrier.wait().await;
    for client in clients {
        let reply = client.await.unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(reply.ends_with(&format!("\r\n\r\n{BODY}")), "{reply}");
    }
    let growth = during.saturating_sub(before);
    eprintln!("resident memory: {before} KiB before, {during} KiB with the bodies half read (+{growth} KiB)");
    assert!(
        growth < ALLOWED_GROWTH_KIB,
        "{CONNECTIONS} bodies of {BODY} bytes dribbled a byte at a time grew the server by {growth} KiB"
    );
}
