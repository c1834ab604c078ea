//! Server-sent events: a response that stays open and sends events as a
//! stream produces them (`text/event-stream`, the HTML living standard's
//! `EventSource` format).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures_core::Stream;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::HeaderValue;
use http_body::{Frame, SizeHint};
use serde::Serialize;
use tokio::time::{Instant, Sleep};

use crate::body::{Body, BoxError};
use crate::response::{IntoResponse, Response};

/// A server-sent events response: each item of the stream is sent as one
/// event as soon as it is produced; the response ends with the stream.
///
/// The stream's items are [`Event`]s, or `Result<Event, E>` where an error
/// ends the response abruptly (and is logged). With
/// [`keep_alive`](Sse::keep_alive), a comment line is sent whenever the
/// stream stays silent that long, so that proxies and clients do not take
/// an idle stream for a dead one.
///
/// ```
/// use std::time::Duration;
/// use futures_util::StreamExt;
/// use usrv::sse::{Event, Sse};
/// use usrv::{route, IntoResponse, Response};
///
/// #[route("/ticks")]
/// fn ticks() -> Response {
///     let events = futures_util::stream::iter(1..=3)
///         .map(|i| Event::default().event("tick").data(i.to_string()).id(i.to_string()));
///     Sse::new(events)
///         .keep_alive(Duration::from_secs(15))
///         .into_response()
/// }
/// ```
///
/// The response has `Content-Type: text/event-stream` and
/// `Cache-Control: no-cache`. An event stream is endless by nature: when
/// the server shuts down, it runs on until the grace period ends, then is
/// closed; `EventSource` clients reconnect (and send `Last-Event-ID`).
#[must_use = "an `Sse` does nothing until it is returned as the response"]
pub struct Sse<S> {
    stream: S,
    keep_alive: Option<Duration>,
}

impl<S> Sse<S> {
    /// The events of `stream`, sent as they come.
    pub fn new(stream: S) -> Self {
        Sse {
            stream,
            keep_alive: None,
        }
    }

    /// Sends a comment line (`:`) whenever no event was sent for `interval`.
    pub fn keep_alive(mut self, interval: Duration) -> Self {
        self.keep_alive = Some(interval);
        self
    }
}

impl<S> fmt::Debug for Sse<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sse")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

/// What an [`Sse`] stream may yield: an [`Event`], or a `Result` of one
/// whose error ends the response.
pub trait IntoEvent {
    /// The event, or why the stream must end.
    fn into_event(self) -> Result<Event, BoxError>;
}

impl IntoEvent for Event {
    fn into_event(self) -> Result<Event, BoxError> {
        Ok(self)
    }
}

impl<E: Into<BoxError>> IntoEvent for Result<Event, E> {
    fn into_event(self) -> Result<Event, BoxError> {
        self.map_err(Into::into)
    }
}

const EVENT_STREAM: HeaderValue = HeaderValue::from_static("text/event-stream");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

impl<S> IntoResponse for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoEvent,
{
    fn into_response(self) -> Response {
        let body = SseBody {
            stream: Box::pin(self.stream),
            keep_alive: self.keep_alive.map(|interval| KeepAlive {
                interval,
                sleep: Box::pin(tokio::time::sleep(interval)),
            }),
            done: false,
        };
        let mut response = Response::new(Body::new(body));
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, EVENT_STREAM);
        headers.insert(CACHE_CONTROL, NO_CACHE);
        response
    }
}

struct KeepAlive {
    interval: Duration,
    sleep: Pin<Box<Sleep>>,
}

/// The comment line a keep-alive sends.
const KEEP_ALIVE: &[u8] = b":\n\n";

struct SseBody<S> {
    stream: Pin<Box<S>>,
    keep_alive: Option<KeepAlive>,
    done: bool,
}

impl<S> http_body::Body for SseBody<S>
where
    S: Stream,
    S::Item: IntoEvent,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.stream.as_mut().poll_next(cx) {
            Poll::Ready(Some(item)) => {
                let event = item.into_event().and_then(Event::finish);
                if event.is_err() {
                    this.done = true;
                }
                if let Some(keep_alive) = this.keep_alive.as_mut() {
                    let next = Instant::now() + keep_alive.interval;
                    keep_alive.sleep.as_mut().reset(next);
                }
                Poll::Ready(Some(event.map(Frame::data)))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let Some(keep_alive) = this.keep_alive.as_mut() else {
                    return Poll::Pending;
                };
                if keep_alive.sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let next = Instant::now() + keep_alive.interval;
                keep_alive.sleep.as_mut().reset(next);
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(KEEP_ALIVE)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// One server-sent event. Every field is optional; each setter adds its
/// line, in the order called.
///
/// ```
/// use std::time::Duration;
/// use usrv::sse::Event;
///
/// let event = Event::default()
///     .event("update")
///     .data("line one\nline two")
///     .id("42")
///     .retry(Duration::from_secs(3));
/// ```
///
/// is sent as
///
/// ```text
/// event: update
/// data: line one
/// data: line two
/// id: 42
/// retry: 3000
///
/// ```
///
/// A line break cannot be part of an event name or an id (nor a NUL of an
/// id): such an event is not sent; it ends the response abruptly instead,
/// and the mistake is logged.
#[derive(Clone, Default)]
pub struct Event {
    buffer: BytesMut,
    mistake: Option<&'static str>,
}

impl Event {
    /// The event's type (`event:`), which `EventSource` dispatches on
    /// (`message` when absent).
    pub fn event(mut self, name: impl AsRef<str>) -> Self {
        let name = name.as_ref();
        if name.contains(['\r', '\n']) {
            self.mistake = Some("an event name contains a line break");
        }
        self.field("event", name);
        self
    }

    /// The event's data (`data:`); text of several lines becomes one
    /// `data:` line per line, which the client joins back with `\n`. Called
    /// again, it adds more lines.
    pub fn data(mut self, text: impl AsRef<str>) -> Self {
        for line in lines(text.as_ref()) {
            self.field("data", line);
        }
        self
    }

    /// The event's data as JSON (one line).
    pub fn json_data<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, serde_json::Error> {
        let text = serde_json::to_string(value)?;
        Ok(self.data(text))
    }

    /// The event's id (`id:`), which the client sends back as
    /// `Last-Event-ID` when it reconnects.
    pub fn id(mut self, id: impl AsRef<str>) -> Self {
        let id = id.as_ref();
        if id.contains(['\r', '\n', '\0']) {
            self.mistake = Some("an event id contains a line break or a NUL");
        }
        self.field("id", id);
        self
    }

    /// How long the client waits before reconnecting (`retry:`, in
    /// milliseconds).
    pub fn retry(mut self, delay: Duration) -> Self {
        self.field("retry", &delay.as_millis().to_string());
        self
    }

    /// A comment line (`: text`), which clients ignore; one per line.
    pub fn comment(mut self, text: impl AsRef<str>) -> Self {
        for line in lines(text.as_ref()) {
            self.field("", line);
        }
        self
    }

    fn field(&mut self, name: &str, value: &str) {
        self.buffer
            .reserve(name.len() + value.len() + if value.is_empty() { 2 } else { 3 });
        self.buffer.put_slice(name.as_bytes());
        self.buffer.put_u8(b':');
        if !value.is_empty() {
            self.buffer.put_u8(b' ');
            self.buffer.put_slice(value.as_bytes());
        }
        self.buffer.put_u8(b'\n');
    }

    /// The event's bytes, ended by a blank line.
    fn finish(mut self) -> Result<Bytes, BoxError> {
        if let Some(mistake) = self.mistake {
            tracing::error!(target: "usrv", "an event cannot be sent ({mistake}): the event stream is cut short");
            return Err(mistake.into());
        }
        self.buffer.put_u8(b'\n');
        Ok(self.buffer.freeze())
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Event")
            .field(&String::from_utf8_lossy(&self.buffer))
            .finish()
    }
}

/// The lines of `text`, split at `\r\n`, `\r` or `\n` as the event stream
/// format reads them; `""` is one empty line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(at) => {
                let skip = if text[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[at + skip..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn text(event: Event) -> String {
        String::from_utf8(event.finish().unwrap().to_vec()).unwrap()
    }

    #[test]
    fn fields_in_order_and_data_by_line() {
        let event = Event::default()
            .comment("hello")
            .event("update")
            .data("one\ntwo\r\nthree\rfour")
            .id("7")
            .retry(Duration::from_millis(1500));
        assert_eq!(
            text(event),
            ": hello\nevent: update\ndata: one\ndata: two\ndata: three\ndata: four\nid: 7\nretry: 1500\n\n"
        );
        assert_eq!(text(Event::default().data("")), "data:\n\n");
        assert_eq!(text(Event::default().data("a\n")), "data: a\ndata:\n\n");
        assert_eq!(text(Event::default().data(" x")), "data:  x\n\n");
        let json = Event::default().json_data(&["a\nb"]).unwrap();
        assert_eq!(text(json), "data: [\"a\\nb\"]\n\n");
    }

    #[test]
    fn line_breaks_in_names_and_ids_are_refused() {
        assert!(Event::default().event("a\nb").finish().is_err());
        assert!(Event::default().id("1\r").finish().is_err());
        assert!(Event::default().id("1\0").finish().is_err());
        assert!(Event::default().event("ok").id("1").finish().is_ok());
    }

    #[tokio::test]
    async fn a_response_of_events() {
        let events = futures_util::stream::iter([
            Ok(Event::default().data("a")),
            Ok(Event::default().data("b")),
            Err("broken"),
        ]);
        let response = Sse::new(events).into_response();
        assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-cache");
        let mut body = response.into_body();
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "data: a\n\n");
        let second = body.frame().await.unwrap().unwrap();
        assert_eq!(second.into_data().unwrap(), "data: b\n\n");
        assert!(body.frame().await.unwrap().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn keep_alive_comments_fill_silences() {
        let (sender, receiver) = tokio::sync::mpsc::channel::<Event>(1);
        let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|event| (event, receiver))
        });
        let response = Sse::new(events)
            .keep_alive(Duration::from_secs(10))
            .into_response();
        let mut body = response.into_body();
        let started = Instant::now();
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), ":\n\n");
        assert_eq!(started.elapsed(), Duration::from_secs(10));
        sender.send(Event::default().data("x")).await.unwrap();
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "data: x\n\n");
        drop(sender);
        assert!(body.frame().await.is_none());
    }
}
