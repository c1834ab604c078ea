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
//! A streamed response that waits for its next chunk (server-sent events
//! between two events) is the server's silence, not the client's: no
//! deadline runs then ([`GuardedBody`], put around streamed bodies only, so
//! that a body in memory costs nothing). A connection upgraded to a
//! WebSocket leaves hyper, and the watchdog with it.
//!
//! hyper has a header timeout of its own, but it arms a timer and reads
//! the socket once more for every request, about 1,500 instructions each.
//! Here a request reads no clock: it moves the connection's phase and
//! counts the move, a few atomic stores. One [`Watchdog`] thread per server
//! looks at every connection twice per header timeout, notes whether the
//! phase or the count changed since it last looked, and aborts a
//! connection's task once a phase with a deadline has stood still for its
//! timeout: a stalled peer is closed between one and one and a half
//! timeouts after its last progress. The watchdog also tells the
//! connections when the server starts draining, so that a connection does
//! not watch the server itself.
//!
//! [`Http1Io`] also gives hyper's own answers to unparsable requests (a
//! bare 400, 414 or 431, written before any request reaches a service) the
//! framework's JSON error body.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http::StatusCode;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::Either;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;

use crate::body::Body;
use crate::rejection::Rejection;
use crate::response::{IntoResponse, Response};

/// The phase of a connection, in the two top bits of [`ConnGuard::state`];
/// the other bits count the moves, so that any progress changes the state.
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
    /// The phase, and how many moves were made.
    state: AtomicU64,
    /// HTTP/2: the requests being answered (no deadline while there are).
    in_flight: AtomicUsize,
    /// The connection's task, which the watchdog aborts.
    connection: OnceLock<AbortHandle>,
    /// The server is draining: the connection should finish what it has in
    /// flight and close. Set by the watchdog, which then wakes `drain_waker`.
    draining: AtomicBool,
    drain_waker: AtomicWaker,
}

impl ConnGuard {
    /// A guard for a connection opened now: its first head is due within
    /// the header timeout (the [`Watchdog`]'s).
    pub fn new() -> Arc<ConnGuard> {
        Arc::new(ConnGuard {
            state: AtomicU64::new(HEAD),
            in_flight: AtomicUsize::new(0),
            connection: OnceLock::new(),
            draining: AtomicBool::new(false),
            drain_waker: AtomicWaker::new(),
        })
    }

    fn phase(&self) -> u64 {
        self.state.load(Ordering::Relaxed) & PHASE
    }

    fn enter(&self, phase: u64) {
        let moves = self.state.load(Ordering::Relaxed).wrapping_add(1) & !PHASE;
        self.state.store(phase | moves, Ordering::Relaxed);
    }

    /// The task to abort when the deadline passes (set once, at spawn).
    pub fn serve(&self, connection: AbortHandle) {
        let _ = self.connection.set(connection);
    }

    /// `waker` is woken when the server starts draining (register it
    /// before looking at [`is_draining`](Self::is_draining)).
    pub fn wake_on_drain(&self, waker: &std::task::Waker) {
        self.drain_waker.register(waker);
    }

    /// Whether the server is draining.
    #[inline]
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    fn drain(&self) {
        self.draining.store(true, Ordering::Release);
        self.drain_waker.wake();
    }

    /// HTTP/1: a request head arrived, to be answered by `future`; no
    /// deadline runs until its response is ready, then writing it must
    /// progress.
    pub fn answering<F>(self: &Arc<Self>, future: F) -> Answering<F> {
        self.enter(BUSY);
        Answering {
            future,
            guard: self.clone(),
        }
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

    /// HTTP/2: a stream's request reached the service, to be answered by
    /// `future`; no deadline runs until its response is ready (or the
    /// stream is dropped).
    pub fn stream<F>(self: &Arc<Self>, future: F) -> Streaming<F> {
        Streaming::Serving {
            future,
            in_flight: Some(self.in_flight()),
        }
    }

    /// HTTP/2: a stream's request refused at once with `response`.
    pub fn refuse<F>(self: &Arc<Self>, response: Response) -> Streaming<F> {
        drop(self.in_flight());
        Streaming::Refused {
            response: Some(response),
        }
    }

    fn in_flight(self: &Arc<Self>) -> InFlight {
        self.enter(IDLE);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// HTTP/2: a response frame went through.
    fn progress(&self) {
        self.enter(IDLE);
    }

    /// The state now, and how long it may stand still under `timeouts`
    /// (`None`: no deadline runs).
    fn look(&self, timeouts: &Timeouts) -> (u64, Option<Duration>) {
        // In-flight first: a request that ends moves the state before it
        // leaves the count.
        let in_flight = self.in_flight.load(Ordering::Acquire) > 0;
        let state = self.state.load(Ordering::Relaxed);
        let timeout = match state & PHASE {
            _ if in_flight => None,
            HEAD => Some(timeouts.header),
            BUSY => None,
            _ => Some(timeouts.idle),
        };
        (state, timeout)
    }

    /// What the deadline of `state` is for, for the log.
    fn waiting_for(state: u64) -> &'static str {
        match state & PHASE {
            HEAD => "no complete request within the header read timeout",
            _ => "no progress within the idle timeout",
        }
    }
}

pin_project_lite::pin_project! {
    /// HTTP/1: a request being answered (see [`ConnGuard::answering`]).
    /// A struct rather than an `async` block, which would hold the service's
    /// future twice.
    pub(crate) struct Answering<F> {
        #[pin]
        future: F,
        guard: Arc<ConnGuard>,
    }
}

impl<F, B> Future for Answering<F>
where
    F: Future<Output = Result<http::Response<B>, Infallible>>,
    B: WatchedBody,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // The response is looked at where it lies: it is not moved out of
        // the `Poll` and back.
        let mut poll = this.future.poll(cx);
        if let Poll::Ready(output) = &mut poll {
            this.guard.enter(ANSWERED);
            if let Ok(response) = output {
                response.body_mut().watch(this.guard);
            }
        }
        poll
    }
}

pin_project_lite::pin_project! {
    /// HTTP/2: a stream's request being answered (see [`ConnGuard::stream`]),
    /// or refused.
    #[project = StreamingProj]
    pub(crate) enum Streaming<F> {
        Serving {
            #[pin]
            future: F,
            in_flight: Option<InFlight>,
        },
        Refused {
            response: Option<Response>,
        },
    }
}

impl<F, B> Future for Streaming<F>
where
    F: Future<Output = Result<http::Response<B>, Infallible>>,
    B: WatchedBody,
{
    type Output = Result<http::Response<Either<B, Body>>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            StreamingProj::Serving { future, in_flight } => {
                let mut response = std::task::ready!(future.poll(cx));
                if let (Ok(response), Some(InFlight(guard))) = (&mut response, &*in_flight) {
                    response.body_mut().watch(guard);
                }
                in_flight.take();
                Poll::Ready(response.map(|response| response.map(Either::Left)))
            }
            StreamingProj::Refused { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_default().map(Either::Right)))
            }
        }
    }
}

/// An HTTP/2 request being answered, or a streamed response waiting for
/// its next chunk: no deadline runs while one exists.
pub(crate) struct InFlight(Arc<ConnGuard>);

impl Drop for InFlight {
    fn drop(&mut self) {
        // Progress first: the watchdog that sees no request in flight then
        // sees this time too.
        self.0.enter(IDLE);
        self.0.in_flight.fetch_sub(1, Ordering::Release);
    }
}

/// A response body the guard can watch.
pub(crate) trait WatchedBody {
    /// Puts a [`GuardedBody`] around the body when it may wait on the
    /// server (a stream).
    fn watch(&mut self, guard: &Arc<ConnGuard>);
}

impl WatchedBody for Body {
    #[inline]
    fn watch(&mut self, guard: &Arc<ConnGuard>) {
        self.wrap_stream(|stream| Box::pin(GuardedBody::new(stream, guard.clone())));
    }
}

/// A response body that tells the guard when the server is the one
/// waiting: while the body has no chunk ready (a stream between two
/// events), it holds an [`InFlight`] and no deadline runs; once it yields
/// one, the deadline runs again and the client must take the bytes.
pub(crate) struct GuardedBody<B> {
    body: B,
    guard: Arc<ConnGuard>,
    /// Held while the body said `Pending` last.
    waiting: Option<InFlight>,
}

impl<B> GuardedBody<B> {
    pub fn new(body: B, guard: Arc<ConnGuard>) -> Self {
        GuardedBody {
            body,
            guard,
            waiting: None,
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
        match poll {
            Poll::Pending if this.waiting.is_none() => {
                this.waiting = Some(this.guard.in_flight());
            }
            // Dropping the `InFlight` restarts the idle clock.
            Poll::Ready(_) => this.waiting = None,
            Poll::Pending => {}
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

/// The watchdog of one server's connections: a thread of its own that looks
/// at every connection twice per (shorter) timeout, aborts those whose
/// phase with a deadline stood still for its timeout, and forgets those
/// that ended.
///
/// A thread rather than a timer on the runtime: a runtime with a timer
/// pending reads the clock each time a worker parks, that is about once per
/// request on a keep-alive connection; a connection costs no task of its
/// own either. Dropping the `Watchdog` stops the thread.
pub(crate) struct Watchdog {
    shared: Arc<Watched>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The deadlines of a server's connections.
struct Timeouts {
    /// For a request head, from its first byte (or the connection's start).
    header: Duration,
    /// For progress between requests and while a response is written.
    idle: Duration,
}

/// What the server and its watchdog thread share.
struct Watched {
    timeouts: Timeouts,
    step: Duration,
    list: Mutex<WatchList>,
    wake: Condvar,
}

#[derive(Default)]
struct WatchList {
    connections: Vec<Entry>,
    stopped: bool,
}

/// One connection, as the watchdog last saw it.
struct Entry {
    guard: Arc<ConnGuard>,
    seen: u64,
    since: std::time::Instant,
}

impl Watchdog {
    /// Starts the thread for connections with these timeouts.
    pub fn start(header_timeout: Duration, idle_timeout: Duration) -> std::io::Result<Watchdog> {
        // Looking twice per timeout, the shorter one (the phase may change
        // to its between two looks): a stall is seen at most half a timeout
        // late.
        let step = (header_timeout.min(idle_timeout) / 2).max(Duration::from_millis(10));
        let shared = Arc::new(Watched {
            timeouts: Timeouts {
                header: header_timeout,
                idle: idle_timeout,
            },
            step,
            list: Mutex::new(WatchList::default()),
            wake: Condvar::new(),
        });
        let watched = shared.clone();
        let thread = std::thread::Builder::new()
            .name("usrv-watchdog".into())
            .spawn(move || watched.run())?;
        Ok(Watchdog {
            shared,
            thread: Some(thread),
        })
    }

    /// Watches a connection opened now (its first head is due within the
    /// header timeout), until its task ends.
    pub fn watch(&self, guard: Arc<ConnGuard>) {
        let (seen, _) = guard.look(&self.shared.timeouts);
        let entry = Entry {
            guard,
            seen,
            since: std::time::Instant::now(),
        };
        self.shared.lock().connections.push(entry);
    }

    /// Tells every connection that the server is draining: finish what is
    /// in flight, take no new request.
    pub fn drain(&self) {
        for entry in &self.shared.lock().connections {
            entry.guard.drain();
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.lock().stopped = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Watched {
    fn lock(&self) -> std::sync::MutexGuard<'_, WatchList> {
        // The list holds no invariant a panic could break.
        self.list
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn run(&self) {
        let mut list = self.lock();
        loop {
            list = match self.wake.wait_timeout(list, self.step) {
                Ok((list, _)) => list,
                Err(poisoned) => poisoned.into_inner().0,
            };
            if list.stopped {
                return;
            }
            let now = std::time::Instant::now();
            list.connections
                .retain_mut(|entry| entry.look(now, &self.timeouts));
        }
    }
}

impl Entry {
    /// Whether to keep watching: `false` once the connection ended, or
    /// after aborting it.
    fn look(&mut self, now: std::time::Instant, timeouts: &Timeouts) -> bool {
        let Some(connection) = self.guard.connection.get() else {
            return true; // not spawned yet
        };
        if connection.is_finished() {
            return false;
        }
        let (state, timeout) = self.guard.look(timeouts);
        if state != self.seen || timeout.is_none() {
            (self.seen, self.since) = (state, now);
            return true;
        }
        if timeout.is_some_and(|timeout| now.duration_since(self.since) >= timeout) {
            tracing::debug!(target: "usrv", "closing a connection: {}", ConnGuard::waiting_for(state));
            connection.abort();
            return false;
        }
        true
    }
}

/// The HTTP/1 request-head limits, for the text of hyper's own answers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeadLimits {
    pub max_head_size: usize,
    pub max_headers: usize,
}

/// An HTTP/1 connection's socket: reports reads and writes to the guard,
/// and turns hyper's own bare error answers into JSON ones.
pub(crate) struct Http1Io<T> {
    io: T,
    guard: Arc<ConnGuard>,
    limits: HeadLimits,
    /// The JSON answer written in place of hyper's bare one, and how much
    /// of it is written.
    answer: Option<(Vec<u8>, usize)>,
}

impl<T> Http1Io<T> {
    pub fn new(io: T, guard: Arc<ConnGuard>, limits: HeadLimits) -> Self {
        Http1Io {
            io,
            guard,
            limits,
            answer: None,
        }
    }
}

impl<T: AsyncWrite + Unpin> Http1Io<T> {
    /// Writes the replacement answer; `Ready(Ok(()))` once all of it is.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some((answer, written)) = &mut self.answer else {
            return Poll::Ready(Ok(()));
        };
        while *written < answer.len() {
            match Pin::new(&mut self.io).poll_write(cx, &answer[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Before a request reached the service, hyper writes only its own
    /// answers to requests it cannot parse: replace such an answer.
    fn replace_own_answer(&mut self, phase: u64, bytes: &[u8]) -> bool {
        if phase != HEAD || self.answer.is_some() {
            return false;
        }
        match own_answer(bytes, self.limits) {
            Some(answer) => {
                self.answer = Some((answer, 0));
                true
            }
            None => false,
        }
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
        if self.answer.is_some() || self.replace_own_answer(phase, buf) {
            return self.poll_answer(cx).map_ok(|()| buf.len());
        }
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
        if self.answer.is_some() || (phase == HEAD && self.replace_own_answer(phase, &gather(bufs)))
        {
            let total = bufs.iter().map(|buf| buf.len()).sum();
            return self.poll_answer(cx).map_ok(|()| total);
        }
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
        std::task::ready!(self.poll_answer(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_answer(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The longest answer hyper writes on its own (a status line and three
/// short headers).
const OWN_ANSWER_MAX: usize = 256;

/// The first bytes of a vectored write, up to what an own answer can be.
fn gather(bufs: &[io::IoSlice<'_>]) -> Vec<u8> {
    let total: usize = bufs.iter().map(|buf| buf.len()).sum();
    if total > OWN_ANSWER_MAX {
        return Vec::new();
    }
    bufs.iter().flat_map(|buf| buf.iter().copied()).collect()
}

/// If `written` is one of hyper's bodiless answers to an unparsable
/// request (400, 414 or 431, headers `connection: close`,
/// `content-length: 0` and `date` only), the same answer with a JSON body.
fn own_answer(written: &[u8], limits: HeadLimits) -> Option<Vec<u8>> {
    if written.len() > OWN_ANSWER_MAX
        || !written.starts_with(b"HTTP/1.1 4")
        || !written.ends_with(b"\r\n\r\n")
    {
        return None;
    }
    let head = std::str::from_utf8(&written[..written.len() - 4]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.get(9..12)?.parse::<u16>().ok()?;
    let mut date = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("date") {
            date = Some(value);
        } else if !((name.eq_ignore_ascii_case("content-length") && value == "0")
            || (name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close")))
        {
            return None;
        }
    }
    let reason = match status {
        400 => "the request line or a header is malformed".to_owned(),
        414 => "the request target is too long".to_owned(),
        431 => format!(
            "the request head is larger than {} bytes or has more than {} headers",
            limits.max_head_size, limits.max_headers
        ),
        _ => return None,
    };
    let status = StatusCode::from_u16(status).ok()?;
    let response = Rejection::new(status, reason).into_response();
    let body = response.body().as_bytes()?;
    let mut answer = Vec::with_capacity(160 + body.len());
    answer.extend_from_slice(status_line.as_bytes());
    answer.extend_from_slice(b"\r\ncontent-type: application/json\r\ncontent-length: ");
    answer.extend_from_slice(body.len().to_string().as_bytes());
    answer.extend_from_slice(b"\r\nconnection: close\r\n");
    if let Some(date) = date {
        answer.extend_from_slice(b"date: ");
        answer.extend_from_slice(date.as_bytes());
        answer.extend_from_slice(b"\r\n");
    }
    answer.extend_from_slice(b"\r\n");
    answer.extend_from_slice(body);
    Some(answer)
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

    #[test]
    fn own_answers_become_json() {
        let limits = HeadLimits {
            max_head_size: 1024,
            max_headers: 10,
        };
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Thu, 26 Nov 2026 10:00:00 GMT\r\n\r\n";
        let answer = String::from_utf8(own_answer(hyper, limits).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(
            head.contains("\r\ncontent-type: application/json\r\n"),
            "{head}"
        );
        assert!(
            head.contains("\r\ndate: Thu, 26 Nov 2026 10:00:00 GMT"),
            "{head}"
        );
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["status"], 431);
        assert!(
            json["error"].as_str().unwrap().contains("1024 bytes"),
            "{json}"
        );
    }

    #[test]
    fn other_answers_are_left_alone() {
        let limits = HeadLimits {
            max_head_size: 1024,
            max_headers: 10,
        };
        for written in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nxx",
        ] {
            assert!(
                own_answer(written, limits).is_none(),
                "{}",
                String::from_utf8_lossy(written)
            );
        }
    }
}
