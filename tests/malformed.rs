//! Raw malformed requests over a plain TCP socket: each gets a 4xx or a
//! closed connection before the test's time bound, never a hang, and the
//! server keeps serving everyone else meanwhile and afterwards.

mod common;

use std::time::Duration;

use common::{read_to_close, TestServer, LIMIT};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use usrv::route;

#[route("/ok")]
fn ok() -> (u16, &'static str) {
    (200, "ok")
}

#[route("/any/<value>")]
fn any(value: String, q: Option<String>) -> (u16, String, Option<String>) {
    (200, value, q)
}

#[route("/echo", methods = ["POST"])]
fn echo(body: bytes::Bytes) -> (u16, usize) {
    (200, body.len())
}

async fn still_serves(server: &TestServer) {
    assert_eq!(server.get("/ok").await.json(200), json!("ok"));
}

#[tokio::test]
async fn a_well_formed_raw_request_is_answered() {
    // The control for the cases below: the raw client itself works.
    let server = TestServer::start().await;
    let raw = server
        .raw(b"GET /any/x%20y?q=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    assert_eq!(raw.status(), Some(200), "{}", raw.text());
    assert_eq!(raw.body(), br#"["x y","1"]"#);
    let raw = server
        .raw(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
        .await;
    assert_eq!(raw.body(), b"3");
}

#[tokio::test]
async fn bad_request_lines() {
    let server = TestServer::start().await;
    for request in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET /ok\r\n\r\n",
        b"GET /ok HTTP/1.1 extra\r\nHost: t\r\n\r\n",
        b"G@T /ok HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET /o k HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET ok HTTP/1.1\r\nHost: t\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        b"GET /any/\xff\xfe HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET /any/a\x00b HTTP/1.1\r\nHost: t\r\n\r\n",
    ] {
        let raw = server.raw(request).await;
        raw.assert_refused();
        assert_ne!(
            raw.status(),
            Some(200),
            "{:?}",
            String::from_utf8_lossy(request)
        );
        still_serves(&server).await;
    }
}

#[tokio::test]
async fn invalid_header_bytes() {
    let server = TestServer::start().await;
    for request in [
        &b"GET /ok HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n"[..],
        b"GET /ok HTTP/1.1\r\nHost: t\r\nX-A\x01: x\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nHost: t\r\n: empty name\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nHost: t\r\n folded: header\r\n\r\n",
    ] {
        let raw = server.raw(request).await;
        raw.assert_refused();
        still_serves(&server).await;
    }
}

#[tokio::test]
async fn bad_content_lengths() {
    let server = TestServer::start().await;
    for request in [
        &b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"[..],
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 4\r\n\r\nabcd",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\nabc",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -3\r\n\r\nabc",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0x3\r\n\r\nabc",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\nabc",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    ] {
        let raw = server.raw(request).await;
        raw.assert_refused();
        still_serves(&server).await;
    }
    // Two equal values are one value.
    let raw = server
        .raw(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
        .await;
    assert!(
        raw.status() == Some(200) && raw.body() == b"3" || raw.status() == Some(400),
        "{}",
        raw.text()
    );
}

#[tokio::test]
async fn too_many_or_too_large_headers() {
    let server = TestServer::start().await;
    let mut many = b"GET /ok HTTP/1.1\r\nHost: t\r\n".to_vec();
    for i in 0..500 {
        many.extend(format!("X-H{i}: v\r\n").as_bytes());
    }
    many.extend(b"\r\n");
    server.raw(&many).await.assert_refused();

    let mut large = b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    large.extend(std::iter::repeat_n(b'a', 2 << 20));
    large.extend(b"\r\n\r\n");
    server.raw(&large).await.assert_refused();
    still_serves(&server).await;
}

#[tokio::test]
async fn invalid_utf8_after_decoding_is_a_json_400() {
    let server = TestServer::start().await;
    for request in [
        &b"GET /any/%FF HTTP/1.1\r\nHost: t\r\n\r\n"[..],
        b"GET /any/ok?q=%C3%28 HTTP/1.1\r\nHost: t\r\n\r\n",
    ] {
        let raw = server.raw(request).await;
        assert_eq!(raw.status(), Some(400), "{}", raw.text());
        let json: serde_json::Value = serde_json::from_slice(raw.body()).unwrap();
        assert_eq!(json["status"], 400);
        assert!(json["error"].as_str().unwrap().contains("UTF-8"), "{json}");
    }
    still_serves(&server).await;
}

/// Headers that never finish: closed by the header read timeout (1 s here).
#[tokio::test]
async fn unfinished_headers_are_cut_off() {
    let server = TestServer::start().await;
    let mut tasks = Vec::new();
    for partial in [
        &b"GET /ok HTTP/1.1\r\nHost: t\r\n"[..],
        b"GET /ok HTT",
        b"G",
        b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\n",
        // The start of the HTTP/2 preface.
        b"PRI * HTTP/2.0\r\n",
    ] {
        let addr = server.addr;
        tasks.push(tokio::spawn(
            async move { common::raw(addr, partial).await },
        ));
    }
    for task in tasks {
        task.await.unwrap().assert_timed_out();
    }
    still_serves(&server).await;
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_dropped() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let received = read_to_close(&mut stream)
        .await
        .expect("the server closes a silent connection");
    // Nothing was asked, so at most a 408 is answered.
    let text = String::from_utf8_lossy(&received);
    assert!(
        received.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    still_serves(&server).await;
}

/// A slowloris: one byte of headers at a time, each well within the
/// timeout, never finishing. The header timeout bounds the whole head.
#[tokio::test]
async fn a_dribbling_client_is_cut_off() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /ok HTTP/1.1\r\n").await.unwrap();
    let dribble = async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if stream.write_all(b"X").await.is_err() {
                return;
            }
        }
    };
    tokio::time::timeout(LIMIT, dribble)
        .await
        .expect("the server closes a connection whose head never ends");
    still_serves(&server).await;
}

/// While slow clients hold connections open, others are served normally.
#[tokio::test]
async fn stalled_clients_do_not_block_others() {
    let server = TestServer::start().await;
    let mut stalled = Vec::new();
    for prefix in [
        &b""[..],
        b"GET /ok HTTP/1.1\r\nHost: t\r\n",
        b"PRI * HTTP/2.0\r\n",
    ] {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(prefix).await.unwrap();
        stalled.push(stream);
    }
    // Served meanwhile: many requests, each on its own connection.
    for i in 0..20 {
        let reply = server.get(&format!("/any/{i}")).await;
        assert_eq!(reply.json(200), json!([i.to_string(), null]));
    }
    // The stalled connections are still open for the test to close: the
    // server answered the others while they waited. Then each is cut off.
    for mut stream in stalled {
        let received = read_to_close(&mut stream)
            .await
            .expect("a stalled connection is closed in time");
        let text = String::from_utf8_lossy(&received);
        assert!(
            received.is_empty() || text.starts_with("HTTP/1.1 4"),
            "{text}"
        );
    }
    still_serves(&server).await;
}

/// An idle keep-alive connection is closed; it does not hold resources forever.
#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let received = read_to_close(&mut stream)
        .await
        .expect("an idle keep-alive connection is closed in time");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("\"ok\""), "{text}");
}

/// A slow body (R-U-Dead-Yet): the head is complete, the body never is.
/// The body read timeout (1 s here) answers 408 and frees the connection.
#[tokio::test]
async fn an_unfinished_body_is_cut_off() {
    let server = TestServer::with(|s| s.body_read_timeout(Duration::from_secs(1))).await;
    let mut stalled = Vec::new();
    for request in [
        &b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nab"[..],
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
    ] {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        stalled.push(stream);
    }
    // Others are served meanwhile.
    still_serves(&server).await;
    for mut stream in stalled {
        let received = read_to_close(&mut stream)
            .await
            .expect("a connection whose body never ends is closed in time");
        let text = String::from_utf8_lossy(&received);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["status"], 408, "{json}");
    }
    still_serves(&server).await;
}
