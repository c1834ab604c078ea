//! The guards of a connection: deadlines that close a connection which
//! makes no progress, and the IO wrappers that report progress to them.
//!
//! HTTP/1 ([`Http1Io`]): a new connection has `header_timeout` to deliver
//! a complete request head. After a response, the connection may stay idle
//! for `idle_timeout`; once the next head's first bytes arrive, it must
//! complete within `header_timeout`. While a response is written, each
//! write the socket accepts restarts the idle clock: a client that stops
//! reading is closed after `idle_timeout`. No deadline runs while a request
//! is being answered (the body read timeout bounds slow bodies).
//!
//! HTTP/2 ([`Http2Io`]): the connection must make progress, that is get
//! a request to the service or a response frame (`HEADERS`, `DATA`)
//! accepted by the socket. Pings, settings and window updates are not
//! progress, nor are frames of requests that are refused: a peer that
//! answers pings but keeps its flow-control window closed, or a connection
//! without streams, is closed after `idle_timeout` (a new connection must
//! send its first request within `header_timeout`).
//! No deadline runs while a request is being answered.
//!
//! hyper has a header timeout of its own, but it arms a timer and reads
//! the socket once more for every request, about 1,500 instructions each.
//! Here a request costs a few clock reads and atomic stores; one watchdog
//! task per connection wakes about once per timeout and aborts the
//! connection's task when its deadline has passed.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// The phase of a connection, in the two top bits of [`ConnGuard::state`];
/// the other bits hold when it began, in milliseconds since `opened`.
const PHASE: u64 = 3 << 62;
/// Reading a request head: `header_timeout` runs.
const HEAD: u64 = 0;
/// Between requests, or writing a response: `idle_timeout` runs.
const IDLE: u64 = 1 << 62;
/// HTTP/1: a response is ready and its first write pending (`idle_timeout`).
const ANSWERED: u64 = 2 << 62;
/// HTTP/1: a request is being answered; no deadline.
const BUSY: u64 = 3 << 62;

/// The state one connection shares with its watchdog.
pub(crate) struct ConnGuard {
    opened: Instant,
    header_timeout: Duration,
    idle_timeout: Duration,
    /// The phase and when it began.
    state: AtomicU64,
    /// HTTP/2: the requests being answered (no deadline while there are).
    in_flight: AtomicUsize,
}

impl ConnGuard {
    /// A guard for a connection opened now: its first head is due within
    /// `header_timeout`.
    pub fn new(header_timeout: Duration, idle_timeout: Duration) -> Arc<ConnGuard> {
        Arc::new(ConnGuard {
            opened: Instant::now(),
            header_timeout,
            idle_timeout,
            state: AtomicU64::new(HEAD),
            in_flight: AtomicUsize::new(0),
        })
    }

    fn now(&self) -> u64 {
        (self.opened.elapsed().as_millis() as u64).min(!PHASE)
    }

    fn phase(&self) -> u64 {
        self.state.load(Ordering::Relaxed) & PHASE
    }

    fn enter(&self, phase: u64) {
        self.state.store(phase | self.now(), Ordering::Relaxed);
    }

    /// HTTP/1: a request head arrived; no deadline until it is answered.
    pub fn request(&self) {
        self.state.store(BUSY, Ordering::Relaxed);
    }

    /// HTTP/1: the response is ready; writing it must progress.
    pub fn answered(&self) {
        self.enter(ANSWERED);
    }

    /// HTTP/1: bytes arrived. Between requests, they start the next head,
    /// whose deadline starts now.
    fn read_some(&self) {
        if self.phase() == IDLE {
            self.enter(HEAD);
        }
    }

    /// HTTP/1: the socket accepted bytes written in `phase`. Writing a
    /// response restarts the idle clock.
    fn wrote_some(&self, phase: u64) {
        if phase == IDLE || phase == ANSWERED {
            self.enter(IDLE);
        }
    }

    /// HTTP/2: a stream's request reached the service; no deadline runs
    /// until the returned guard is dropped with its answer.
    pub fn stream_opened(self: &Arc<Self>) -> InFlight {
        self.enter(IDLE);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// HTTP/2: a response frame went through.
    fn progress(&self) {
        self.enter(IDLE);
    }

    /// When the current deadline falls, if one runs.
    fn deadline(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let state = self.state.load(Ordering::Relaxed);
        let timeout = match state & PHASE {
            HEAD => self.header_timeout,
            BUSY => return None,
            _ => self.idle_timeout,
        };
        Some(self.opened + Duration::from_millis(state & !PHASE) + timeout)
    }

    /// What the current deadline is for, for the log.
    fn waiting_for(&self) -> &'static str {
        match self.phase() {
            HEAD => "no complete request within the header read timeout",
            _ => "no progress within the idle timeout",
        }
    }
}

/// An HTTP/2 request being answered (see [`ConnGuard::stream_opened`]).
pub(crate) struct InFlight(Arc<ConnGuard>);

impl Drop for InFlight {
    fn drop(&mut self) {
        // Progress first: the watchdog that sees no request in flight then
        // sees this time too.
        self.0.enter(IDLE);
        self.0.in_flight.fetch_sub(1, Ordering::Release);
    }
}

/// Aborts `connection` when its guard's deadline passes; ends with the
/// connection.
pub(crate) async fn watchdog(guard: Arc<ConnGuard>, connection: AbortHandle) {
    loop {
        // A head that starts brings the deadline closer: waking at least
        // once per header timeout sees it in time.
        let recheck = Instant::now() + guard.header_timeout;
        let wake = guard
            .deadline()
            .map_or(recheck, |deadline| deadline.min(recheck));
        tokio::time::sleep_until(wake).await;
        if connection.is_finished() {
            return;
        }
        if guard
            .deadline()
            .is_some_and(|deadline| deadline <= Instant::now())
        {
            tracing::debug!(target: "usrv", "closing a connection: {}", guard.waiting_for());
            connection.abort();
            return;
        }
    }
}

/// An HTTP/1 connection's socket: reports reads and writes to the guard.
pub(crate) struct Http1Io<T> {
    io: T,
    guard: Arc<ConnGuard>,
}

impl<T> Http1Io<T> {
    pub fn new(io: T, guard: Arc<ConnGuard>) -> Self {
        Http1Io { io, guard }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Http1Io<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.guard.read_some();
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Http1Io<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let phase = self.guard.phase();
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.guard.wrote_some(phase);
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let phase = self.guard.phase();
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.guard.wrote_some(phase);
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

/// HTTP/2 frame types that carry responses.
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const CONTINUATION: u8 = 0x9;

/// Follows the frames the server writes on an HTTP/2 connection, to tell
/// response frames from control frames.
#[derive(Default)]
struct FrameScan {
    /// Bytes left of the current frame's payload.
    skip: usize,
    /// Whether the current frame is a response frame.
    counts: bool,
    header: [u8; 9],
    have: usize,
}

impl FrameScan {
    /// Follows `bytes`; whether any belongs to a response frame.
    fn scan(&mut self, mut bytes: &[u8]) -> bool {
        let mut progress = false;
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                progress |= self.counts;
                self.skip -= n;
                bytes = &bytes[n..];
                continue;
            }
            let n = (9 - self.have).min(bytes.len());
            self.header[self.have..self.have + n].copy_from_slice(&bytes[..n]);
            self.have += n;
            bytes = &bytes[n..];
            if self.have == 9 {
                self.have = 0;
                let [a, b, c, kind, ..] = self.header;
                self.skip = (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c);
                self.counts = matches!(kind, DATA | HEADERS | CONTINUATION);
                progress |= self.counts;
            }
        }
        progress
    }
}

/// An HTTP/2 connection's socket: reports the response frames that the
/// socket accepts to the guard.
pub(crate) struct Http2Io<T> {
    io: T,
    guard: Arc<ConnGuard>,
    writes: FrameScan,
}

impl<T> Http2Io<T> {
    pub fn new(io: T, guard: Arc<ConnGuard>) -> Self {
        Http2Io {
            io,
            guard,
            writes: FrameScan::default(),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Http2Io<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> Http2Io<T> {
    /// Follows the first `n` written bytes of `bufs`.
    fn wrote(&mut self, bufs: &[io::IoSlice<'_>], mut n: usize) {
        let mut progress = false;
        for buf in bufs {
            if n == 0 {
                break;
            }
            let len = buf.len().min(n);
            progress |= self.writes.scan(&buf[..len]);
            n -= len;
        }
        if progress {
            self.guard.progress();
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Http2Io<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            self.wrote(&[io::IoSlice::new(buf)], n);
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = poll {
            self.wrote(bufs, n);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut bytes = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            kind,
            0,
            0,
            0,
            0,
            1,
        ];
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn control_frames_are_not_progress() {
        let mut scan = FrameScan::default();
        assert!(!scan.scan(&frame(0x6, &[0; 8]))); // PING
        assert!(!scan.scan(&frame(0x4, &[0; 12]))); // SETTINGS
        assert!(!scan.scan(&frame(0x8, &[0, 0, 0, 1]))); // WINDOW_UPDATE
        assert!(scan.scan(&frame(HEADERS, &[0x82])));
    }

    #[test]
    fn frames_split_anywhere_are_followed() {
        let mut bytes = frame(0x4, &[0; 6]);
        bytes.extend(frame(0x6, &[0; 8]));
        bytes.extend(frame(0x8, &[0; 4]));
        let control = bytes.len();
        bytes.extend(frame(DATA, b"hello"));
        for split in [1, 2, 7, 9, 10, 64] {
            let mut scan = FrameScan::default();
            let mut progress_at = None;
            for (i, chunk) in bytes.chunks(split).enumerate() {
                if scan.scan(chunk) && progress_at.is_none() {
                    progress_at = Some(i * split);
                }
            }
            let at = progress_at.expect("the DATA frame is progress");
            assert!(at + split > control && at <= control + 9, "{split}: {at}");
        }
    }
}
