//! CPU under half HTTP/2 prefaces, alone in its process so that the
//! process's CPU time is the server's: connections that sent part of the
//! preface cost nothing while they wait (no polling on a timer).
#![cfg(target_os = "linux")]

mod common;

use std::time::Duration;

use common::{TestServer, LIMIT};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use usrv::route;

#[route("/ok")]
fn ok() -> (u16, &'static str) {
    (200, "ok")
}

/// The CPU time of this process (user and system, all threads), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("(comm)") + 2..]
        .split(' ')
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Connections held, fewer if the process may not open twice as many
/// files (both ends are in this process).
const CONNECTIONS: usize = 2000;
const HOLD: Duration = Duration::from_secs(2);
/// Waiting connections cost no CPU; polling each every 5 ms cost 1.3 s
/// of CPU in 2 s for 2,000 of them.
const ALLOWED_CPU_SECONDS: f64 = 0.15;

/// The soft limit of open files, from `/proc/self/limits`.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_prefaces_do_not_busy_the_server() {
    let connections = open_files_limit().map_or(CONNECTIONS, |limit| {
        CONNECTIONS.min(limit.saturating_sub(200) / 2)
    });
    // Timeouts longer than the test: the watchdogs look at the connections
    // twice per timeout, which is not what is measured here.
    let server = TestServer::with(|s| {
        s.header_read_timeout(Duration::from_secs(30))
            .idle_timeout(Duration::from_secs(30))
    })
    .await;
    let mut streams = Vec::new();
    for _ in 0..connections {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
        streams.push(stream);
    }
    // Every connection accepted and waiting for the rest of its preface.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = cpu_seconds();
    tokio::time::sleep(HOLD).await;
    let spent = cpu_seconds() - before;
    eprintln!("{connections} half prefaces held {HOLD:?}: {spent:.3} s of CPU");
    assert!(
        spent < ALLOWED_CPU_SECONDS,
        "{connections} connections waiting for the rest of the preface cost {spent:.3} s of CPU in {HOLD:?}"
    );
    let reply = tokio::time::timeout(LIMIT, server.get("/ok"))
        .await
        .unwrap();
    assert_eq!(reply.json(200), json!("ok"));
    drop(streams);
}
