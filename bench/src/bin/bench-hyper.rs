//! The raw hyper 1 baseline: hand-written matching of the three routes of
//! `examples/bench.rs`, with the same bodies and content types. HTTP/1.1
//! with keep-alive, one task per connection, `TCP_NODELAY` as usrv sets it.
//! Built with the `http2` feature (`conns.sh` builds it so, in a target
//! directory of its own, so that the HTTP/1.1 baseline stays a build
//! without HTTP/2), `BENCH_HTTP2=1` serves HTTP/2 with prior knowledge.
//!
//! `USRV_WORKERS=1 bench-hyper 127.0.0.1:5001`

use std::borrow::Cow;
use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use usrv_bench::{Message, HELLO};

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

fn with_type(
    status: StatusCode,
    body: impl Into<Bytes>,
    content_type: HeaderValue,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

fn json<T: serde::Serialize>(value: &T) -> Response<Full<Bytes>> {
    let mut buffer = Vec::with_capacity(128);
    serde_json::to_writer(&mut buffer, value).expect("serialisable");
    with_type(StatusCode::OK, buffer, JSON)
}

fn error(status: StatusCode, reason: &str) -> Response<Full<Bytes>> {
    with_type(
        status,
        serde_json::json!({"error": reason, "status": status.as_u16()}).to_string(),
        JSON,
    )
}

/// `%XX` escapes decoded; `None` when the result is not UTF-8.
fn percent_decode(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('%') {
        return Some(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

fn route(request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed on this path",
        );
    }
    let path = request.uri().path();
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    match path {
        "/plaintext" => with_type(StatusCode::OK, HELLO, TEXT),
        "/json" => json(&Message { message: HELLO }),
        _ => {
            let Some(rest) = path.strip_prefix("/user/") else {
                return error(StatusCode::NOT_FOUND, "no route matches this path");
            };
            let Some((id, name)) = rest.split_once('/') else {
                return error(StatusCode::NOT_FOUND, "no route matches this path");
            };
            if id.is_empty() || name.is_empty() || name.contains('/') {
                return error(StatusCode::NOT_FOUND, "no route matches this path");
            }
            let Some(id) = percent_decode(id).and_then(|id| id.parse::<i64>().ok()) else {
                return error(StatusCode::BAD_REQUEST, "path parameter `id`: not an i64");
            };
            let Some(name) = percent_decode(name) else {
                return error(StatusCode::BAD_REQUEST, "path parameter `name`: not UTF-8");
            };
            json(&(id, name))
        }
    }
}

fn main() {
    let addr = usrv_bench::addr();
    // `BENCH_HTTP2=1` (with the `http2` feature): HTTP/2 with prior
    // knowledge instead of HTTP/1.1, through hyper's own builder.
    let http2 = cfg!(feature = "http2") && std::env::var_os("BENCH_HTTP2").is_some_and(|v| v == "1");
    usrv_bench::runtime().block_on(async move {
        let listener = TcpListener::bind(&addr)
            .await
            .unwrap_or_else(|e| panic!("cannot bind {addr}: {e}"));
        usrv_bench::until_stopped(async move {
            loop {
                let (stream, _) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(_) => continue,
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = service_fn(|request: Request<Incoming>| async move {
                        Ok::<_, Infallible>(route(&request))
                    });
                    if http2 {
                        #[cfg(feature = "http2")]
                        {
                            use hyper::server::conn::http2;
                            use hyper_util::rt::TokioExecutor;
                            let _ = http2::Builder::new(TokioExecutor::new())
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    } else {
                        let _ = http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                });
            }
        })
        .await;
    });
}
