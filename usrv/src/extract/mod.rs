//! Where a handler's arguments come from.
//!
//! An argument named in the path is parsed from its segment ([`FromParam`]).
//! Every other argument implements [`FromRequest`]: plain values (`String`,
//! numbers, `bool`, `Option<T>`, `Vec<T>`) are read from the query parameter
//! of the same name, and extractor types (`Json<T>`, `Form<T>`,
//! [`Multipart`], `Bytes`,
//! `HeaderMap`, `Method`, `Uri`, [`Identity`],
//! [`Kwargs`], [`Request`], [`Json`](crate::Json), [`State<T>`],
//! [`BodyStream`], `WebSocketUpgrade`) from the request or the application,
//! whatever their name.

mod body;
mod catch_all;
mod decode;
mod identity;
mod multipart;
pub(crate) mod param;
mod parts;
mod query;
mod state;
mod stream;
#[cfg(feature = "ws")]
pub mod ws;

use std::borrow::Cow;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::upgrade::OnUpgrade;

pub(crate) use body::value_reason;
pub use body::{Form, Request};
pub use catch_all::{Args, Kwargs};
pub use identity::Identity;
pub use multipart::{Multipart, Part};
pub use param::{FloatParam, FromParam, IntParam, PathParam, StrParam};
pub(crate) use state::StateMap;
pub use state::{State, StateType};
pub use stream::{BodyStream, BodyStreamError, DEFAULT_STREAM_BODY_LIMIT};

pub(crate) use decode::percent_decode;

use crate::body::BoxError;
use crate::lifecycle::Lifecycle;
use crate::rejection::Rejection;

/// A request body not read yet, as a streaming extractor takes it.
pub(crate) type RequestBody = UnsyncBoxBody<Bytes, BoxError>;

/// What the application holds for every request: its state values and the
/// settings extractors read.
pub(crate) struct Shared {
    pub states: StateMap,
    /// The limit of a [`BodyStream`].
    pub stream_body_limit: u64,
    /// How long a body may take (a buffered one in all; a streamed one
    /// between two chunks).
    pub body_timeout: Duration,
    /// Long-lived sessions (WebSockets) watch it to end with the server.
    pub lifecycle: Lifecycle,
}

/// What a route that streams gets of the request besides its head: the body
/// unread, and the connection's upgrade; each taken once.
#[derive(Default)]
pub(crate) struct Unread {
    pub body: Option<RequestBody>,
    pub upgrade: Option<OnUpgrade>,
}

/// The request as the extraction glue sees it: its head, the raw path
/// parameters, the body (collected when a route reads it), the verified
/// sender and the application's state. Custom extractors read it through
/// its methods.
pub struct Ctx<'a> {
    pub(crate) parts: &'a Parts,
    pub(crate) params: &'a [Option<&'a str>],
    pub(crate) body: &'a Bytes,
    /// The names of the handler's arguments.
    pub(crate) arg_names: &'static [&'static str],
    pub(crate) identity: Option<usrv_crypto::PublicKey>,
    pub(crate) shared: &'a Shared,
    /// For routes that stream: what they take of the request.
    pub(crate) unread: Option<&'a Mutex<Unread>>,
}

impl<'a> Ctx<'a> {
    /// The request method.
    pub fn method(&self) -> &'a http::Method {
        &self.parts.method
    }

    /// The request URI.
    pub fn uri(&self) -> &'a http::Uri {
        &self.parts.uri
    }

    /// The request headers.
    pub fn headers(&self) -> &'a http::HeaderMap {
        &self.parts.headers
    }

    /// The request extensions.
    pub fn extensions(&self) -> &'a http::Extensions {
        &self.parts.extensions
    }

    /// The body, as received (opened when it was sealed). Empty unless one
    /// of the route's arguments declares `USES_BODY`.
    pub fn body(&self) -> &'a Bytes {
        self.body
    }

    /// The raw query string, without `?`.
    pub fn query(&self) -> &'a str {
        self.parts.uri.query().unwrap_or("")
    }

    /// The first value of a query parameter, percent-decoded.
    pub fn query_value(&self, name: &str) -> Result<Option<Cow<'a, str>>, Rejection> {
        for (key, value) in query::pairs(self.query()) {
            if query::key_is(key, name) {
                return query::decode_value(name, value).map(Some);
            }
        }
        Ok(None)
    }

    /// The verified sender's public key, for a validly signed request.
    pub fn sender(&self) -> Option<usrv_crypto::PublicKey> {
        self.identity
    }

    /// The names of the handler's arguments.
    pub fn argument_names(&self) -> &'static [&'static str] {
        self.arg_names
    }

    /// The raw (percent-encoded) path parameter at `index`.
    pub fn raw_param(&self, index: usize) -> Option<&'a str> {
        self.params.get(index).copied().flatten()
    }

    /// The application's state value of type `T`, if it was given one
    /// (see [`State`]).
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&'a T> {
        self.shared
            .states
            .get(std::any::TypeId::of::<T>())
            .and_then(|value| value.downcast_ref::<T>())
    }

    /// The body, unread; once, and only for a route that streams.
    pub(crate) fn take_body(&self) -> Option<RequestBody> {
        let unread = self.unread?;
        let mut unread = unread
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        unread.body.take()
    }

    /// The connection's upgrade; once, and only for a route that upgrades.
    #[cfg_attr(not(feature = "ws"), allow(dead_code))]
    pub(crate) fn take_upgrade(&self) -> Option<OnUpgrade> {
        let unread = self.unread?;
        let mut unread = unread
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        unread.upgrade.take()
    }
}

/// A type a handler argument can be, extracted from the request.
///
/// `name` is the argument's name: plain values use it as their query key,
/// extractors ignore it. Implement it for your own extractors:
///
/// ```
/// use usrv::{Ctx, FromRequest, Rejection};
///
/// struct UserAgent(String);
///
/// impl FromRequest for UserAgent {
///     fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
///         let value = ctx.headers().get("user-agent").and_then(|v| v.to_str().ok());
///         Ok(UserAgent(value.unwrap_or("unknown").to_owned()))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a route argument",
    label = "not named in the path, not a query value, not an extractor",
    note = "an argument named in the path (`<name>`) is parsed from it; any other argument is a query value (`String`, numbers, `bool`, `char`, `Option<T>`, `Vec<T>`) or an extractor (`Json<T>`, `Form<T>`, `Multipart`, `Bytes`, `HeaderMap`, `Method`, `Uri`, `Identity`, `Kwargs`, `Request`, `State<T>`, `BodyStream`, `WebSocketUpgrade`)",
    note = "to take it from the path, add `<name>` to the route; for your own types implement `usrv::FromParam` (a value) or `usrv::FromRequest` (an extractor)",
    note = "`Json<T>` and `Form<T>` need `T: serde::Deserialize` (`#[derive(serde::Deserialize)]`); `State<T>` needs `T: Send + Sync + 'static` (every request, on every thread, shares it)"
)]
pub trait FromRequest: Sized {
    /// Whether it reads the body (the server then collects it first).
    const USES_BODY: bool = false;
    /// Whether it needs a verified sender (the route then refuses unsigned
    /// requests with 401).
    const NEEDS_IDENTITY: bool = false;
    /// Whether it takes the body unread, as a stream ([`BodyStream`]): the
    /// server then hands it over instead of collecting it. Such a route
    /// reads the body in no other way and cannot be `signed`.
    const STREAMS_BODY: bool = false;
    /// Whether it takes over the connection (a WebSocket upgrade); such a
    /// route cannot be `encrypted`.
    const UPGRADES: bool = false;
    /// The application state it reads ([`State<T>`]), which the server
    /// checks at start-up.
    #[doc(hidden)]
    const STATE: Option<StateType> = None;

    /// Extracts the value; a [`Rejection`] answers the request instead.
    fn from_request(ctx: &Ctx<'_>, name: &'static str) -> Result<Self, Rejection>;
}
