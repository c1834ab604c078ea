//! Helpers for streamed responses: requests whose response body is read
//! frame by frame as it arrives (HTTP/1.1 and HTTP/2), and a reader of
//! server-sent events.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use super::LIMIT;

type Sender1 = hyper::client::conn::http1::SendRequest<BoxBody<Bytes, std::convert::Infallible>>;
type Sender2 = hyper::client::conn::http2::SendRequest<BoxBody<Bytes, std::convert::Infallible>>;

async fn tcp(addr: SocketAddr) -> TokioIo<TcpStream> {
    let stream = tokio::time::timeout(LIMIT, TcpStream::connect(addr))
        .await
        .expect("connects in time")
        .expect("connects");
    TokioIo::new(stream)
}

/// A fresh HTTP/1.1 connection.
pub async fn http1(addr: SocketAddr) -> Sender1 {
    let (sender, connection) = hyper::client::conn::http1::handshake(tcp(addr).await)
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
}

/// A fresh HTTP/2 connection (prior knowledge).
pub async fn http2(addr: SocketAddr) -> Sender2 {
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), tcp(addr).await)
            .await
            .expect("HTTP/2 handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
}

fn boxed(request: Request<Bytes>) -> Request<BoxBody<Bytes, std::convert::Infallible>> {
    request.map(|body| Full::new(body).boxed())
}

/// Sends a request on HTTP/1.1; the response's body is left to read.
pub async fn open1(sender: &mut Sender1, request: Request<Bytes>) -> Response<Incoming> {
    tokio::time::timeout(LIMIT, async {
        sender.ready().await?;
        sender.send_request(boxed(request)).await
    })
    .await
    .expect("the response head arrives in time")
    .expect("the request is answered")
}

/// Sends a request on HTTP/2; the response's body is left to read.
pub async fn open2(sender: &mut Sender2, request: Request<Bytes>) -> Response<Incoming> {
    tokio::time::timeout(LIMIT, async {
        sender.ready().await?;
        sender.send_request(boxed(request)).await
    })
    .await
    .expect("the response head arrives in time")
    .expect("the request is answered")
}

/// The next data of a body, within [`LIMIT`]: `Some(Ok(bytes))`,
/// `Some(Err(_))` when the body broke, `None` at its end.
pub async fn next_data(body: &mut Incoming) -> Option<Result<Bytes, hyper::Error>> {
    loop {
        let frame = tokio::time::timeout(LIMIT, body.frame())
            .await
            .expect("the next frame arrives in time")?;
        match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => return Some(Ok(data)),
                Err(_) => continue,
            },
            Err(error) => return Some(Err(error)),
        }
    }
}

/// Reads a whole body; `Err` when it broke before its end.
pub async fn read_all(body: &mut Incoming) -> Result<Bytes, hyper::Error> {
    let mut all = BytesMut::new();
    while let Some(data) = next_data(body).await {
        all.extend_from_slice(&data?);
    }
    Ok(all.freeze())
}

/// Reads server-sent events from a response body as they arrive.
pub struct Events {
    body: Incoming,
    buffer: String,
}

impl Events {
    pub fn new(body: Incoming) -> Events {
        Events {
            body,
            buffer: String::new(),
        }
    }

    /// The next event block (its lines, without the blank line that ends
    /// it; a keep-alive comment is `[":"]`), or `None` at the end.
    pub async fn next(&mut self) -> Option<Vec<String>> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Some(
                    block
                        .trim_end_matches('\n')
                        .split('\n')
                        .map(str::to_owned)
                        .collect(),
                );
            }
            let data = next_data(&mut self.body)
                .await?
                .expect("the event stream reads");
            self.buffer
                .push_str(std::str::from_utf8(&data).expect("events are UTF-8"));
        }
    }
}
