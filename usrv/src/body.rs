//! The body of a response.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// A response body: all of it, in one buffer.
#[derive(Clone, Debug, Default)]
pub struct Body(Bytes);

impl Body {
    /// An empty body.
    pub const fn empty() -> Body {
        Body(Bytes::new())
    }

    /// The bytes of the body.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// The bytes of the body, by value.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body(bytes)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body(bytes.into())
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body(text.into())
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Body {
        Body(Bytes::from_static(text.as_bytes()))
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Body {
        Body::empty()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.0.is_empty() {
            return Poll::Ready(None);
        }
        Poll::Ready(Some(Ok(Frame::data(std::mem::take(&mut self.0)))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.len() as u64)
    }
}
