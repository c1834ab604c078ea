//! The slowloris guard of an HTTP/1 connection: from the moment it opens or
//! goes idle, a client has `timeout` to deliver a complete request head, or
//! the connection is closed. This also bounds idle keep-alive.
//!
//! hyper has the same guard (`header_read_timeout`), but it arms a timer
//! and reads the socket once more for every request, about 1,500
//! instructions each. Here a request costs two clock reads and a few
//! atomic stores; one watchdog task per connection wakes about once per
//! timeout and aborts the connection's task when the head is late.
//!
//! While a response is written, each write that makes progress pushes the
//! deadline, so a client that stops reading is dropped after `timeout`
//! (slow-read). A streamed response that waits for its next chunk (server-
//! sent events between two events) is the server's silence, not the
//! client's: no deadline runs then ([`GuardedBody`], put around streamed
//! bodies only, so that a body in memory costs nothing). A connection
//! upgraded to a WebSocket leaves hyper, and its watchdog ends with it.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::body::{Body, BoxError};

/// `idle_since` while a request is being served (or the connection is
/// exempt, as HTTP/2 is): no deadline runs.
const BUSY: u64 = u64::MAX;

/// The state one connection shares with its watchdog.
pub(crate) struct HeadGuard {
    opened: Instant,
    /// Milliseconds since `opened` when the connection last went idle, or `BUSY`.
    idle_since: AtomicU64,
}

impl HeadGuard {
    pub fn new() -> Arc<HeadGuard> {
        Arc::new(HeadGuard {
            opened: Instant::now(),
            idle_since: AtomicU64::new(0),
        })
    }

    fn now(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }

    /// A request head arrived: no deadline until its response is written.
    pub fn busy(&self) {
        self.idle_since.store(BUSY, Ordering::Relaxed);
    }

    /// The response is ready: the next head's deadline starts now.
    pub fn idle(&self) {
        self.idle_since.store(self.now(), Ordering::Relaxed);
    }

    /// A response is being written: push the deadline while it progresses.
    fn wrote(&self) {
        if self.idle_since.load(Ordering::Relaxed) != BUSY {
            self.idle();
        }
    }

    /// When the current deadline falls, if one runs.
    fn deadline(&self, timeout: Duration) -> Option<Instant> {
        match self.idle_since.load(Ordering::Relaxed) {
            BUSY => None,
            since => Some(self.opened + Duration::from_millis(since) + timeout),
        }
    }
}

/// Aborts `connection` when a request head is later than `timeout`; ends
/// with the connection.
pub(crate) async fn watchdog(guard: Arc<HeadGuard>, timeout: Duration, connection: AbortHandle) {
    loop {
        let wake = guard
            .deadline(timeout)
            .unwrap_or_else(|| Instant::now() + timeout);
        tokio::time::sleep_until(wake).await;
        if connection.is_finished() {
            return;
        }
        if guard
            .deadline(timeout)
            .is_some_and(|deadline| deadline <= Instant::now())
        {
            tracing::debug!(target: "usrv", "no request head within {timeout:?}: closing");
            connection.abort();
            return;
        }
    }
}

/// A socket that reports writes to its guard.
pub(crate) struct GuardedIo<T> {
    pub io: T,
    pub guard: Arc<HeadGuard>,
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.guard.wrote();
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.guard.wrote();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A response body the guard can watch.
pub(crate) trait WatchedBody {
    /// Puts a [`GuardedBody`] around the body when it may wait on the
    /// server (a stream).
    fn watch(&mut self, guard: &Arc<HeadGuard>);
}

impl WatchedBody for Body {
    #[inline]
    fn watch(&mut self, guard: &Arc<HeadGuard>) {
        self.wrap_stream(|stream| Box::pin(GuardedBody::new(stream, guard.clone())));
    }
}

/// The body of a layered service: watched unless its size is known (a body
/// in memory, most likely).
impl WatchedBody for UnsyncBoxBody<Bytes, BoxError> {
    fn watch(&mut self, guard: &Arc<HeadGuard>) {
        if self.size_hint().exact().is_none() {
            let body = std::mem::take(self);
            *self = GuardedBody::new(body, guard.clone()).boxed_unsync();
        }
    }
}

/// A response body that tells the guard when the server is the one
/// waiting: while the body has no chunk ready (a stream between two
/// events), no deadline runs; once it yields one, the deadline runs again
/// and successful writes push it.
pub(crate) struct GuardedBody<B> {
    body: B,
    guard: Arc<HeadGuard>,
    /// The body said `Pending` last, and the guard was told.
    waiting: bool,
}

impl<B> GuardedBody<B> {
    pub fn new(body: B, guard: Arc<HeadGuard>) -> Self {
        GuardedBody {
            body,
            guard,
            waiting: false,
        }
    }
}

impl<B> HttpBody for GuardedBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    #[inline]
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.body).poll_frame(cx);
        match (&poll, this.waiting) {
            (Poll::Pending, false) => {
                this.guard.busy();
                this.waiting = true;
            }
            (Poll::Ready(_), true) => {
                this.guard.idle();
                this.waiting = false;
            }
            _ => {}
        }
        poll
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    #[inline]
    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl<B> Drop for GuardedBody<B> {
    fn drop(&mut self) {
        if self.waiting {
            self.guard.idle();
        }
    }
}
