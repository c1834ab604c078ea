//! WebSockets (RFC 6455): the [`WebSocketUpgrade`] extractor checks the
//! handshake, answers `101 Switching Protocols` and hands the upgraded
//! connection to a callback as a [`WebSocket`].
//!
//! ```
//! use usrv::ws::{Message, WebSocketUpgrade};
//! use usrv::{route, Response};
//!
//! #[route("/echo")]
//! fn echo(upgrade: WebSocketUpgrade) -> Response {
//!     upgrade.on_upgrade(|mut socket| async move {
//!         while let Some(Ok(message)) = socket.recv().await {
//!             if let Message::Text(_) | Message::Binary(_) = message {
//!                 if socket.send(message).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         }
//!     })
//! }
//! ```
//!
//! The handshake goes over HTTP/1.1 only: a WebSocket request over HTTP/2
//! (the extended CONNECT of RFC 8441) is not supported, and answers 400.
//! The WebSocket protocol itself is [tokio-tungstenite]'s.
//!
//! [tokio-tungstenite]: https://docs.rs/tokio-tungstenite

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::{FutureExt, Sink, SinkExt, StreamExt};
use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::protocol::{self, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, handshake::derive_accept_key};
use tokio_tungstenite::WebSocketStream;

use super::{Ctx, FromRequest};
use crate::body::Body;
use crate::lifecycle::{Phase, Watch};
use crate::rejection::Rejection;
use crate::response::{Response, Upgrading};

/// The default largest message: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;

/// A WebSocket handshake, checked: turn it into the `101` response with
/// [`on_upgrade`](WebSocketUpgrade::on_upgrade).
///
/// The request must be an HTTP/1.1 `GET` with `Connection: upgrade`,
/// `Upgrade: websocket`, `Sec-WebSocket-Version: 13` and a well-formed
/// `Sec-WebSocket-Key`; anything else answers 400 before the handler runs.
/// Messages are limited to [`DEFAULT_MAX_MESSAGE_SIZE`] (16 MiB) unless
/// [`max_message_size`](WebSocketUpgrade::max_message_size) says otherwise;
/// a larger one ends the session with an error.
///
/// On a `signed` route the signature covers the handshake (the `101` reply
/// is signed too), not the messages that follow; an `encrypted` route
/// cannot take a WebSocket (a compile error): its messages would not be
/// sealed.
///
/// The session runs in a task of its own. It is not subject to the
/// server's request timeouts (a WebSocket may stay idle; send pings to
/// detect dead peers), and when the server shuts down it runs on until the
/// grace period ends, then is dropped.
pub struct WebSocketUpgrade {
    accept: HeaderValue,
    upgrade: OnUpgrade,
    watch: Watch,
    max_message_size: usize,
    max_frame_size: Option<usize>,
}

impl WebSocketUpgrade {
    /// The largest message accepted, in bytes (default 16 MiB); frames are
    /// limited to the same size unless [`max_frame_size`](Self::max_frame_size)
    /// is smaller.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The largest frame accepted, in bytes (default: the message size).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = Some(bytes);
        self
    }

    /// Answers `101 Switching Protocols`; once it is sent, `callback` runs
    /// with the connection as a [`WebSocket`], in a task of its own. A
    /// panic in it is logged and closes the connection.
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let WebSocketUpgrade {
            accept,
            upgrade,
            mut watch,
            max_message_size,
            max_frame_size,
        } = self;
        let frame_size = max_frame_size
            .unwrap_or(max_message_size)
            .min(max_message_size);
        let config = WebSocketConfig::default()
            .max_message_size(Some(max_message_size))
            .max_frame_size(Some(frame_size));
        tokio::spawn(async move {
            let upgraded = match upgrade.await {
                Ok(upgraded) => upgraded,
                Err(error) => {
                    tracing::debug!(target: "usrv", %error, "the WebSocket upgrade did not happen");
                    return;
                }
            };
            let stream = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            let session = AssertUnwindSafe(callback(WebSocket { inner: stream })).catch_unwind();
            tokio::select! {
                biased;
                outcome = session => {
                    if let Err(panic) = outcome {
                        let message = panic
                            .downcast_ref::<&str>()
                            .copied()
                            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                            .unwrap_or("(no message)");
                        tracing::error!(target: "usrv", panic = message, "a WebSocket handler panicked");
                    }
                }
                () = watch.reached(Phase::Stopped) => {
                    tracing::debug!(target: "usrv", "grace period over: closing a WebSocket");
                }
            }
        });
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
        response.extensions_mut().insert(Upgrading);
        response
    }
}

impl fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("max_message_size", &self.max_message_size)
            .field("max_frame_size", &self.max_frame_size)
            .finish_non_exhaustive()
    }
}

impl FromRequest for WebSocketUpgrade {
    const UPGRADES: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        let accept = check_handshake(ctx.method(), ctx.parts.version, ctx.headers())?;
        let Some(upgrade) = ctx.take_upgrade() else {
            tracing::error!(
                target: "usrv",
                "a WebSocket handshake arrived on a connection that cannot be upgraded: serve the app with upgrades (hyper's `with_upgrades`, axum's `serve`)"
            );
            return Err(Rejection::internal("this connection cannot be upgraded"));
        };
        Ok(WebSocketUpgrade {
            accept,
            upgrade,
            watch: ctx.shared.lifecycle.watch(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_frame_size: None,
        })
    }
}

/// RFC 6455, section 4.2.1: the handshake's checks; the
/// `Sec-WebSocket-Accept` value when it passes.
fn check_handshake(
    method: &Method,
    version: Version,
    headers: &HeaderMap,
) -> Result<HeaderValue, Rejection> {
    if version >= Version::HTTP_2 {
        return Err(Rejection::bad_request(
            "WebSockets need HTTP/1.1: the extended CONNECT of HTTP/2 (RFC 8441) is not supported",
        ));
    }
    if version != Version::HTTP_11 {
        return Err(Rejection::bad_request(
            "a WebSocket handshake needs HTTP/1.1",
        ));
    }
    if method != Method::GET {
        return Err(Rejection::bad_request(
            "a WebSocket handshake is a GET request",
        ));
    }
    if !has_token(headers, &CONNECTION, "upgrade") {
        return Err(Rejection::bad_request(
            "a WebSocket handshake needs `Connection: upgrade`",
        ));
    }
    if !has_token(headers, &UPGRADE, "websocket") {
        return Err(Rejection::bad_request(
            "a WebSocket handshake needs `Upgrade: websocket`",
        ));
    }
    if headers
        .get(SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(Rejection::bad_request(
            "a WebSocket handshake needs `Sec-WebSocket-Version: 13`, the version this server speaks",
        ));
    }
    let mut keys = headers.get_all(SEC_WEBSOCKET_KEY).iter();
    let key = match (keys.next(), keys.next()) {
        (Some(key), None) if is_key(key.as_bytes()) => key,
        _ => {
            return Err(Rejection::bad_request(
                "a WebSocket handshake needs one `Sec-WebSocket-Key`: 16 bytes in base64",
            ))
        }
    };
    HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .map_err(|_| Rejection::internal("the WebSocket accept key is not a header value"))
}

/// Whether a comma-separated header lists `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// 16 bytes in base64: 22 characters, the last of which carries 2 bits,
/// then `==`.
fn is_key(key: &[u8]) -> bool {
    let base64 = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    key.len() == 24
        && key[..22].iter().all(base64)
        && b"AQgw".contains(&key[21])
        && &key[22..] == b"=="
}

/// An open WebSocket: [`recv`](WebSocket::recv) and
/// [`send`](WebSocket::send) messages, or use it as a `Stream` and a `Sink`
/// (and `split` it with `futures_util::StreamExt::split`).
///
/// Pings are answered with pongs by the connection itself (the handler
/// also sees them); a close frame from the peer is answered, then `recv`
/// returns `None`.
pub struct WebSocket {
    inner: WebSocketStream<TokioIo<Upgraded>>,
}

impl WebSocket {
    /// The next message; `None` once the connection is closed.
    pub async fn recv(&mut self) -> Option<Result<Message, WebSocketError>> {
        self.next().await
    }

    /// Sends a message (and flushes it).
    pub async fn send(&mut self, message: Message) -> Result<(), WebSocketError> {
        SinkExt::send(&mut self.inner, message.into_tungstenite())
            .await
            .map_err(WebSocketError)
    }

    /// Starts the closing handshake with this code and reason (1000 is a
    /// normal closure); keep calling [`recv`](Self::recv) until it returns
    /// `None` to see the peer's answer.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), WebSocketError> {
        self.send(Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from(reason),
        })))
        .await
    }
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket").finish_non_exhaustive()
    }
}

impl Stream for WebSocket {
    type Item = Result<Message, WebSocketError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx).map(|item| {
            item.map(|result| {
                result
                    .map(Message::from_tungstenite)
                    .map_err(WebSocketError)
            })
        })
    }
}

impl Sink<Message> for WebSocket {
    type Error = WebSocketError;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner)
            .poll_ready(cx)
            .map_err(WebSocketError)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
        Pin::new(&mut self.inner)
            .start_send(item.into_tungstenite())
            .map_err(WebSocketError)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner)
            .poll_flush(cx)
            .map_err(WebSocketError)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner)
            .poll_close(cx)
            .map_err(WebSocketError)
    }
}

/// A WebSocket message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Text (UTF-8, checked on receipt).
    Text(Utf8Bytes),
    /// Binary data.
    Binary(Bytes),
    /// A ping (at most 125 bytes); the connection answers it by itself.
    Ping(Bytes),
    /// A pong (at most 125 bytes).
    Pong(Bytes),
    /// A close frame, with a code and a reason when the peer gave one.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Message {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(bytes: impl Into<Bytes>) -> Message {
        Message::Binary(bytes.into())
    }

    fn from_tungstenite(message: tungstenite::Message) -> Message {
        match message {
            tungstenite::Message::Text(text) => Message::Text(Utf8Bytes(text)),
            tungstenite::Message::Binary(bytes) => Message::Binary(bytes),
            tungstenite::Message::Ping(bytes) => Message::Ping(bytes),
            tungstenite::Message::Pong(bytes) => Message::Pong(bytes),
            tungstenite::Message::Close(frame) => Message::Close(frame.map(|frame| CloseFrame {
                code: frame.code.into(),
                reason: Utf8Bytes(frame.reason),
            })),
            // Never produced by reading.
            tungstenite::Message::Frame(frame) => Message::Binary(frame.into_payload()),
        }
    }

    fn into_tungstenite(self) -> tungstenite::Message {
        match self {
            Message::Text(text) => tungstenite::Message::Text(text.0),
            Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
            Message::Ping(bytes) => tungstenite::Message::Ping(bytes),
            Message::Pong(bytes) => tungstenite::Message::Pong(bytes),
            Message::Close(frame) => {
                tungstenite::Message::Close(frame.map(|frame| protocol::CloseFrame {
                    code: frame.code.into(),
                    reason: frame.reason.0,
                }))
            }
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message::text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::text(text)
    }
}

impl From<Bytes> for Message {
    fn from(bytes: Bytes) -> Message {
        Message::Binary(bytes)
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Message {
        Message::binary(bytes)
    }
}

/// The code and reason of a close frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code (RFC 6455, section 7.4: 1000 is a normal closure).
    pub code: u16,
    /// The reason, for people.
    pub reason: Utf8Bytes,
}

/// Text of a WebSocket message: UTF-8 in shared bytes (no copy between the
/// connection and the handler). Reads as a `&str`.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(tungstenite::Utf8Bytes);

impl Utf8Bytes {
    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Utf8Bytes(text.into())
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Utf8Bytes(text.into())
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Why a WebSocket failed: a protocol error, a message over the size
/// limit, invalid UTF-8 in a text message, or the connection's I/O.
pub struct WebSocketError(tungstenite::Error);

impl WebSocketError {
    /// Whether a message or a frame was over the size limit.
    pub fn is_too_large(&self) -> bool {
        matches!(self.0, tungstenite::Error::Capacity(_))
    }
}

impl fmt::Display for WebSocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for WebSocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for WebSocketError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                )
            })
            .collect()
    }

    const GOOD: [(&str, &str); 4] = [
        ("connection", "keep-alive, Upgrade"),
        ("upgrade", "WebSocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];

    #[test]
    fn the_rfc_example_handshake_is_accepted() {
        let accept = check_handshake(&Method::GET, Version::HTTP_11, &headers(&GOOD)).unwrap();
        // RFC 6455, section 1.3.
        assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn every_part_of_the_handshake_is_checked() {
        let reason = |method: Method, version: Version, pairs: &[(&str, &str)]| {
            check_handshake(&method, version, &headers(pairs))
                .unwrap_err()
                .reason()
                .to_owned()
        };
        assert!(reason(Method::GET, Version::HTTP_2, &GOOD).contains("RFC 8441"));
        assert!(reason(Method::GET, Version::HTTP_10, &GOOD).contains("HTTP/1.1"));
        assert!(reason(Method::POST, Version::HTTP_11, &GOOD).contains("GET"));
        let without = |name: &str| -> Vec<(&str, &str)> {
            GOOD.iter().copied().filter(|(n, _)| *n != name).collect()
        };
        for (name, needle) in [
            ("connection", "Connection"),
            ("upgrade", "Upgrade"),
            ("sec-websocket-version", "Sec-WebSocket-Version"),
            ("sec-websocket-key", "Sec-WebSocket-Key"),
        ] {
            let text = reason(Method::GET, Version::HTTP_11, &without(name));
            assert!(text.contains(needle), "{name}: {text}");
        }
        let mut other = without("sec-websocket-version");
        other.push(("sec-websocket-version", "8"));
        assert!(reason(Method::GET, Version::HTTP_11, &other).contains("13"));
        for key in [
            "short",
            "dGhlIHNhbXBsZSBub25jZR==",
            "dGhlIHNhbXBsZSBub25j*Q==",
        ] {
            let mut other = without("sec-websocket-key");
            other.push(("sec-websocket-key", key));
            assert!(
                reason(Method::GET, Version::HTTP_11, &other).contains("16 bytes"),
                "{key}"
            );
        }
        let mut twice = GOOD.to_vec();
        twice.push(("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(reason(Method::GET, Version::HTTP_11, &twice).contains("one `Sec-WebSocket-Key`"));
    }

    #[test]
    fn messages_convert_both_ways() {
        let messages = [
            Message::text("hi"),
            Message::binary(vec![1, 2]),
            Message::Ping(Bytes::from_static(b"p")),
            Message::Pong(Bytes::new()),
            Message::Close(Some(CloseFrame {
                code: 1001,
                reason: "bye".into(),
            })),
            Message::Close(None),
        ];
        for message in messages {
            let back = Message::from_tungstenite(message.clone().into_tungstenite());
            assert_eq!(back, message);
        }
        assert_eq!(Message::text("a"), Message::Text(Utf8Bytes::from("a")));
        assert_eq!(Utf8Bytes::from("abc").as_str(), "abc");
        let text = Utf8Bytes::from(String::from("abc"));
        assert!(text == "abc" && text == *"abc");
    }
}
