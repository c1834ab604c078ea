//! `BodyStream`: the request body as it arrives, chunk by chunk.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::header::CONTENT_LENGTH;
use http::StatusCode;
use http_body::Body as HttpBody;
use tokio::time::{Instant, Sleep};

use super::{Ctx, FromRequest, RequestBody};
use crate::rejection::Rejection;

/// The default limit of a streamed request body: 1 GiB
/// ([`Server::stream_body_limit`](crate::Server::stream_body_limit)).
pub const DEFAULT_STREAM_BODY_LIMIT: u64 = 1 << 30;

/// The request body as it arrives, for uploads larger than what the
/// buffered extractors (`Json<T>`, `Bytes`, ...) hold in memory.
///
/// Each chunk is handed on as it comes off the connection; nothing is
/// accumulated. The stream has its own limit (by default
/// [`DEFAULT_STREAM_BODY_LIMIT`], set with
/// [`Server::stream_body_limit`](crate::Server::stream_body_limit), or per
/// route with [`BodyStream::limit`]), and each chunk must arrive within the
/// body read timeout of the one before
/// ([`Server::body_read_timeout`](crate::Server::body_read_timeout)). A
/// body over the limit, a stalled one and a broken connection are a
/// [`BodyStreamError`], which converts into the right [`Rejection`] (413,
/// 408, 400) with `?`.
///
/// ```
/// use usrv::{route, BodyStream, Rejection};
///
/// #[route("/upload", methods = ["POST"])]
/// async fn upload(mut body: BodyStream) -> Result<(u16, u64), Rejection> {
///     let mut total = 0;
///     while let Some(chunk) = body.chunk().await {
///         total += chunk?.len() as u64;
///     }
///     Ok((200, total))
/// }
/// ```
///
/// A route that streams its body reads it in no other way: `BodyStream`
/// beside `Json<T>`, `Form<T>`, `Multipart`, `Bytes`, `Request` or
/// `Kwargs` is a compile error. It cannot be `signed` or `encrypted`
/// either: a signature covers the hash of the whole body and a sealed body
/// is one message, so neither can be checked before the body has arrived
/// (see PROTOCOL.md, "Streamed bodies"). A signed request that reaches a
/// streaming route anyway has its body read whole (within the buffered body
/// limit) and verified first; the stream then yields it as one chunk.
pub struct BodyStream {
    body: Option<RequestBody>,
    limit: u64,
    received: u64,
    declared: Option<u64>,
    timeout: Duration,
    /// When the wait for the next chunk times out; armed when a wait begins.
    deadline: Option<Pin<Box<Sleep>>>,
    waiting: bool,
}

impl BodyStream {
    /// Sets this body's limit in bytes (in place of the server's
    /// `stream_body_limit`), lower or higher.
    pub fn limit(mut self, bytes: u64) -> Self {
        self.limit = bytes;
        self
    }

    /// The bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The next chunk; `None` at the end of the body. After an error the
    /// stream is over.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, BodyStreamError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    fn fail(&mut self, error: BodyStreamError) -> Poll<Option<Result<Bytes, BodyStreamError>>> {
        self.body = None;
        self.deadline = None;
        Poll::Ready(Some(Err(error)))
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, BodyStreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(body) = this.body.as_mut() else {
            return Poll::Ready(None);
        };
        if this.received == 0 && this.declared.is_some_and(|length| length > this.limit) {
            let limit = this.limit;
            return this.fail(BodyStreamError::too_large(limit));
        }
        loop {
            match Pin::new(&mut *body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers
                    };
                    if data.is_empty() {
                        continue;
                    }
                    this.received = this.received.saturating_add(data.len() as u64);
                    if this.received > this.limit {
                        let limit = this.limit;
                        return this.fail(BodyStreamError::too_large(limit));
                    }
                    this.waiting = false;
                    return Poll::Ready(Some(Ok(data)));
                }
                Poll::Ready(Some(Err(error))) => {
                    return this.fail(BodyStreamError {
                        kind: Kind::Read(error),
                    })
                }
                Poll::Ready(None) => {
                    this.body = None;
                    this.deadline = None;
                    return Poll::Ready(None);
                }
                Poll::Pending => break,
            }
        }
        // The client's time runs from the moment the handler waits, not
        // while the handler works on the previous chunk.
        let timeout = this.timeout;
        if this.deadline.is_none() {
            this.deadline = Some(Box::pin(tokio::time::sleep(timeout)));
        } else if !this.waiting {
            if let Some(deadline) = this.deadline.as_mut() {
                deadline.as_mut().reset(Instant::now() + timeout);
            }
        }
        this.waiting = true;
        if let Some(deadline) = this.deadline.as_mut() {
            ready!(deadline.as_mut().poll(cx));
        }
        this.fail(BodyStreamError {
            kind: Kind::TimedOut(timeout),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, None)
    }
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyStream")
            .field("received", &self.received)
            .field("limit", &self.limit)
            .field("done", &self.body.is_none())
            .finish()
    }
}

impl FromRequest for BodyStream {
    const STREAMS_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        let Some(body) = ctx.take_body() else {
            tracing::error!(target: "usrv", "a `BodyStream` found no body to stream: it was taken already");
            return Err(Rejection::internal("the request body was taken already"));
        };
        let declared = ctx
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        Ok(BodyStream {
            body: Some(body),
            limit: ctx.shared.stream_body_limit,
            received: 0,
            declared,
            timeout: ctx.shared.body_timeout,
            deadline: None,
            waiting: false,
        })
    }
}

/// Why a [`BodyStream`] ended early.
pub struct BodyStreamError {
    kind: Kind,
}

enum Kind {
    TooLarge(u64),
    TimedOut(Duration),
    Read(Box<dyn std::error::Error + Send + Sync>),
}

impl BodyStreamError {
    fn too_large(limit: u64) -> Self {
        BodyStreamError {
            kind: Kind::TooLarge(limit),
        }
    }

    /// The body is larger than the stream's limit.
    pub fn is_too_large(&self) -> bool {
        matches!(self.kind, Kind::TooLarge(_))
    }

    /// No chunk arrived within the body read timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::TimedOut(_))
    }

    /// The status that answers it: 413, 408, or 400 for a broken body.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            Kind::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            Kind::Read(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for BodyStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::TooLarge(limit) => write!(f, "the body is larger than {limit} bytes"),
            Kind::TimedOut(timeout) => {
                write!(f, "no part of the body arrived within {timeout:?}")
            }
            Kind::Read(_) => f.write_str("the request body could not be read"),
        }
    }
}

impl fmt::Debug for BodyStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Read(error) => write!(f, "BodyStreamError({self}: {error})"),
            _ => write!(f, "BodyStreamError({self})"),
        }
    }
}

impl std::error::Error for BodyStreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Read(error) => Some(&**error),
            _ => None,
        }
    }
}

impl From<BodyStreamError> for Rejection {
    fn from(error: BodyStreamError) -> Rejection {
        Rejection::new(error.status(), error.to_string())
    }
}
