//! A tiny load client for `callgrind.sh`: exactly N sequential GET requests
//! over one HTTP/1.1 keep-alive connection, each answer read in full and
//! checked for status 200. wrk cannot send an exact count.
//!
//! `load 127.0.0.1:5000 /json 12000` prints the count and the elapsed time
//! and exits non-zero on the first failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: load ADDR PATH COUNT   (e.g. load 127.0.0.1:5000 /json 2000)");
        return ExitCode::from(2);
    }
    let (addr, path) = (&args[1], &args[2]);
    let Ok(count) = args[3].parse::<u64>() else {
        eprintln!("load: COUNT must be a number, not {:?}", args[3]);
        return ExitCode::from(2);
    };
    match run(addr, path, count) {
        Ok(elapsed) => {
            println!("{count} requests to http://{addr}{path} in {elapsed:.3} s");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("load: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(addr: &str, path: &str, count: u64) -> Result<f64, String> {
    let stream = TcpStream::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let started = Instant::now();
    let mut line = String::new();
    let mut body = Vec::new();
    for i in 0..count {
        writer
            .write_all(request.as_bytes())
            .map_err(|e| format!("request {i}: write: {e}"))?;
        line.clear();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("request {i}: read: {e}"))?;
        if !line.starts_with("HTTP/1.1 200 ") {
            return Err(format!(
                "request {i}: expected 200, got {:?}",
                line.trim_end()
            ));
        }
        let mut length = None;
        loop {
            line.clear();
            let read = reader
                .read_line(&mut line)
                .map_err(|e| format!("request {i}: read: {e}"))?;
            if read == 0 {
                return Err(format!("request {i}: the server closed the connection"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let length = length.ok_or_else(|| format!("request {i}: no Content-Length"))?;
        body.resize(length, 0);
        reader
            .read_exact(&mut body)
            .map_err(|e| format!("request {i}: body: {e}"))?;
    }
    Ok(started.elapsed().as_secs_f64())
}
