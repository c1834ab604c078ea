//! The slowloris guard of an HTTP/1 connection: from the moment it opens or
//! goes idle, a client has `timeout` to deliver a complete request head, or
//! the connection is closed. This also bounds idle keep-alive.
//!
//! hyper has the same guard (`header_read_timeout`), but it arms a timer
//! and reads the socket once more for every request, about 1,500
//! instructions each. Here a request costs two clock reads and a few
//! atomic stores; one watchdog task per connection wakes about once per
//! timeout and aborts the connection's task when the head is late.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;
use tokio::time::Instant;

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
