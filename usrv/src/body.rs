//! The body of a response: all of it in one buffer (the common case, and
//! the fast one), or a stream of chunks produced while the response is sent.

use std::fmt;
use std::io;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncSeekExt};
use tokio_util::io::ReaderStream;

/// The error type of streamed bodies.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The inner body of a stream.
pub(crate) type BoxedStream = Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send>>;

/// The chunk size of bodies read from a file or a reader: 64 KiB.
const READ_CHUNK: usize = 64 * 1024;

/// A response body: bytes held in memory, or a stream sent as it is
/// produced.
///
/// A stream is pulled only as fast as the client reads (a slow reader does
/// not make the server buffer it), is sent with `Content-Length` when its
/// length is known and chunked (HTTP/1.1) otherwise. A stream that fails
/// or panics half-way is logged and ends the response abruptly: the
/// connection is closed (HTTP/1.1) or the stream reset (HTTP/2), so the
/// client sees an incomplete response, never a short one that looks whole.
///
/// ```
/// use usrv::{route, Body, Response};
///
/// #[route("/count")]
/// fn count() -> Response {
///     let lines = (1..=3).map(|i| Ok::<_, std::io::Error>(format!("line {i}\n")));
///     Response::new(Body::from_stream(futures_util::stream::iter(lines)))
/// }
/// ```
#[derive(Default)]
pub struct Body(Kind);

enum Kind {
    Full(Bytes),
    Stream(BoxedStream),
}

impl Default for Kind {
    fn default() -> Self {
        Kind::Full(Bytes::new())
    }
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Body {
        Body(Kind::Full(Bytes::new()))
    }

    /// A body sent as `stream` produces it, chunked: each item is a chunk
    /// (`Bytes`, `Vec<u8>`, `String`, `&'static str`...) or an error that
    /// ends the response abruptly (and is logged).
    pub fn from_stream<S, T, E>(stream: S) -> Body
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes>,
        E: Into<BoxError>,
    {
        Body::new(StreamBody {
            stream: Box::pin(stream),
            remaining: None,
        })
    }

    /// A stream of exactly `length` bytes, sent with `Content-Length`. A
    /// stream that turns out longer or shorter ends the response abruptly.
    pub fn from_stream_with_length<S, T, E>(stream: S, length: u64) -> Body
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes>,
        E: Into<BoxError>,
    {
        Body::new(StreamBody {
            stream: Box::pin(stream),
            remaining: Some(length),
        })
    }

    /// Everything `reader` yields until its end, in chunks of 64 KiB,
    /// chunked.
    pub fn from_reader<R: AsyncRead + Send + 'static>(reader: R) -> Body {
        Body::from_stream(ReaderStream::with_capacity(reader, READ_CHUNK))
    }

    /// The rest of a file, from its current position, read in chunks of
    /// 64 KiB as the client takes them, with `Content-Length` from its
    /// metadata.
    ///
    /// ```no_run
    /// use usrv::{route, Body, Rejection, Response};
    ///
    /// #[route("/report")]
    /// async fn report() -> Result<Response, Rejection> {
    ///     let file = tokio::fs::File::open("report.csv")
    ///         .await
    ///         .map_err(|_| Rejection::not_found("no report yet"))?;
    ///     let body = Body::from_file(file)
    ///         .await
    ///         .map_err(|_| Rejection::internal("the report cannot be read"))?;
    ///     Ok(Response::new(body))
    /// }
    /// ```
    pub async fn from_file(mut file: tokio::fs::File) -> io::Result<Body> {
        let size = file.metadata().await?.len();
        let position = file.stream_position().await?;
        let stream = ReaderStream::with_capacity(file, READ_CHUNK);
        Ok(Body::from_stream_with_length(
            stream,
            size.saturating_sub(position),
        ))
    }

    /// Any [`http_body::Body`] of `Bytes` (a proxied body, say), streamed;
    /// a `Body` is returned as it is.
    pub fn new<B>(body: B) -> Body
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let mut body = Some(body);
        if let Some(own) = (&mut body as &mut dyn std::any::Any).downcast_mut::<Option<Body>>() {
            return own.take().unwrap_or_default();
        }
        let body = body.expect("taken only when it is a Body");
        Body(Kind::Stream(Box::pin(body.map_err(Into::into))))
    }

    /// The bytes of a body held in memory; `None` for a stream.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.0 {
            Kind::Full(bytes) => Some(bytes),
            Kind::Stream(_) => None,
        }
    }

    /// The bytes of a body held in memory, by value; `None` for a stream.
    pub fn into_bytes(self) -> Option<Bytes> {
        match self.0 {
            Kind::Full(bytes) => Some(bytes),
            Kind::Stream(_) => None,
        }
    }

    /// Whether the body is a stream (not held in memory).
    pub fn is_stream(&self) -> bool {
        matches!(self.0, Kind::Stream(_))
    }

    /// Wraps the inner body of a stream; bytes in memory are left alone.
    pub(crate) fn wrap_stream(&mut self, wrap: impl FnOnce(BoxedStream) -> BoxedStream) {
        if self.is_stream() {
            if let Kind::Stream(stream) = std::mem::take(&mut self.0) {
                self.0 = Kind::Stream(wrap(stream));
            }
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Full(bytes) => f.debug_tuple("Body").field(bytes).finish(),
            Kind::Stream(stream) => f
                .debug_struct("Body")
                .field("stream", &stream.size_hint())
                .finish(),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body(Kind::Full(bytes))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body(Kind::Full(bytes.into()))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body(Kind::Full(text.into()))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Body {
        Body(Kind::Full(Bytes::from_static(text.as_bytes())))
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Body {
        Body::empty()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    #[inline]
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.0 {
            Kind::Full(bytes) => {
                if bytes.is_empty() {
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Ok(Frame::data(std::mem::take(bytes)))))
            }
            Kind::Stream(_) => poll_stream(&mut self.0, cx),
        }
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Full(bytes) => bytes.is_empty(),
            Kind::Stream(stream) => stream.is_end_stream(),
        }
    }

    #[inline]
    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.len() as u64),
            Kind::Stream(stream) => stream.size_hint(),
        }
    }
}

/// Polls a streamed body, logging an error and turning a panic into one;
/// after either, the body is over. Kept out of line: the common body is in
/// memory, and hyper polls it in its hottest loop.
#[inline(never)]
fn poll_stream(
    kind: &mut Kind,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
    let Kind::Stream(stream) = kind else {
        return Poll::Ready(None);
    };
    match std::panic::catch_unwind(AssertUnwindSafe(|| stream.as_mut().poll_frame(cx))) {
        Ok(Poll::Ready(Some(Err(error)))) => {
            tracing::error!(target: "usrv", %error, "a response stream failed: the response is cut short");
            *kind = Kind::Full(Bytes::new());
            Poll::Ready(Some(Err(error)))
        }
        Ok(poll) => poll,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            tracing::error!(target: "usrv", panic = message, "a response stream panicked: the response is cut short");
            *kind = Kind::Full(Bytes::new());
            Poll::Ready(Some(Err("the response stream panicked".into())))
        }
    }
}

/// A stream of chunks as a body, checking a declared length.
struct StreamBody<S> {
    stream: Pin<Box<S>>,
    /// The bytes still to come when the length was declared.
    remaining: Option<u64>,
}

impl<S, T, E> http_body::Body for StreamBody<S>
where
    S: Stream<Item = Result<T, E>>,
    T: Into<Bytes>,
    E: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        loop {
            let chunk = match ready!(self.stream.as_mut().poll_next(cx)) {
                Some(Ok(chunk)) => chunk.into(),
                Some(Err(error)) => return Poll::Ready(Some(Err(error.into()))),
                None => {
                    return Poll::Ready(match self.remaining {
                        Some(left) if left > 0 => Some(Err(format!(
                            "the stream ended {left} bytes short of its declared length"
                        )
                        .into())),
                        _ => None,
                    })
                }
            };
            if chunk.is_empty() {
                continue;
            }
            if let Some(left) = self.remaining.as_mut() {
                match left.checked_sub(chunk.len() as u64) {
                    Some(rest) => *left = rest,
                    None => {
                        return Poll::Ready(Some(Err(
                            "the stream is longer than its declared length".into(),
                        )))
                    }
                }
            }
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.remaining {
            Some(left) => SizeHint::with_exact(left),
            None => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn a_full_body_is_one_frame_of_known_size() {
        let body = Body::from("hello");
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(5));
        assert_eq!(body.as_bytes().map(|b| &b[..]), Some(&b"hello"[..]));
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(collected, "hello");
        assert!(http_body::Body::is_end_stream(&Body::empty()));
    }

    #[tokio::test]
    async fn a_stream_is_sent_chunk_by_chunk() {
        let chunks = futures_util::stream::iter(["a", "", "bc"].map(Ok::<_, io::Error>));
        let body = Body::from_stream(chunks);
        assert!(body.is_stream());
        assert_eq!(http_body::Body::size_hint(&body).exact(), None);
        assert_eq!(body.collect().await.unwrap().to_bytes(), "abc");
    }

    #[tokio::test]
    async fn a_declared_length_is_checked() {
        let exact = Body::from_stream_with_length(
            futures_util::stream::iter(["ab", "c"].map(Ok::<_, io::Error>)),
            3,
        );
        assert_eq!(http_body::Body::size_hint(&exact).exact(), Some(3));
        assert_eq!(exact.collect().await.unwrap().to_bytes(), "abc");
        let short = Body::from_stream_with_length(
            futures_util::stream::iter(["ab"].map(Ok::<_, io::Error>)),
            3,
        );
        let error = short.collect().await.unwrap_err();
        assert!(error.to_string().contains("1 bytes short"), "{error}");
        let long = Body::from_stream_with_length(
            futures_util::stream::iter(["ab", "cd"].map(Ok::<_, io::Error>)),
            3,
        );
        let error = long.collect().await.unwrap_err();
        assert!(error.to_string().contains("longer"), "{error}");
    }

    #[tokio::test]
    async fn a_panicking_stream_is_an_error_then_the_end() {
        let chunks = futures_util::stream::iter(0..3).map(|i| {
            assert!(i < 1, "no second chunk");
            Ok::<_, io::Error>(Bytes::from_static(b"x"))
        });
        let mut body = Body::from_stream(chunks);
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "x");
        let error = body.frame().await.unwrap().unwrap_err();
        assert_eq!(error.to_string(), "the response stream panicked");
        assert!(body.frame().await.is_none());
    }

    #[tokio::test]
    async fn a_file_is_streamed_from_its_position_with_its_length() {
        use tokio::io::AsyncWriteExt;
        let path = std::env::temp_dir().join(format!("usrv-body-{}", std::process::id()));
        let mut file = tokio::fs::File::create(&path).await.unwrap();
        file.write_all(b"0123456789").await.unwrap();
        drop(file);
        let mut file = tokio::fs::File::open(&path).await.unwrap();
        file.seek(io::SeekFrom::Start(4)).await.unwrap();
        let body = Body::from_file(file).await.unwrap();
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(6));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "456789");
        let _ = std::fs::remove_file(&path);
    }
}
