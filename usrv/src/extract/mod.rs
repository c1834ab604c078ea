//! Where a handler's arguments come from.
//!
//! An argument named in the path is parsed from its segment ([`FromParam`]).
//! Every other argument implements [`FromRequest`]: plain values (`String`,
//! numbers, `bool`, `Option<T>`, `Vec<T>`) are read from the query parameter
//! of the same name, and extractor types (`Json<T>`, `Form<T>`,
//! [`Multipart`], `Bytes`,
//! `HeaderMap`, `Method`, `Uri`, [`Identity`],
//! [`Kwargs`], [`Request`], [`Json`](crate::Json)) from the request,
//! whatever their name.

mod body;
mod catch_all;
mod decode;
mod identity;
mod multipart;
pub(crate) mod param;
mod parts;
mod query;

use std::borrow::Cow;

use bytes::Bytes;
use http::request::Parts;

pub(crate) use body::value_reason;
pub use body::{Form, Request};
pub use catch_all::{Args, Kwargs};
pub use identity::Identity;
pub use multipart::{Multipart, Part};
pub use param::{FloatParam, FromParam, IntParam, PathParam, StrParam};

pub(crate) use decode::percent_decode;

use crate::rejection::Rejection;

/// The request as the extraction glue sees it: its head, the raw path
/// parameters, the body (collected when a route reads it) and the verified
/// sender. Custom extractors read it through its methods.
pub struct Ctx<'a> {
    pub(crate) parts: &'a Parts,
    pub(crate) params: &'a [&'a str],
    pub(crate) body: &'a Bytes,
    /// The names of the handler's arguments.
    pub(crate) arg_names: &'static [&'static str],
    pub(crate) identity: Option<usrv_crypto::PublicKey>,
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
        self.params.get(index).copied()
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
    note = "an argument named in the path (`<name>`) is parsed from it; any other argument is a query value (`String`, numbers, `bool`, `char`, `Option<T>`, `Vec<T>`) or an extractor (`Json<T>`, `Form<T>`, `Multipart`, `Bytes`, `HeaderMap`, `Method`, `Uri`, `Identity`, `Kwargs`, `Request`)",
    note = "to take it from the path, add `<name>` to the route; for your own types implement `usrv::FromParam` (a value) or `usrv::FromRequest` (an extractor)",
    note = "`Json<T>` and `Form<T>` need `T: serde::Deserialize` (`#[derive(serde::Deserialize)]`)"
)]
pub trait FromRequest: Sized {
    /// Whether it reads the body (the server then collects it first).
    const USES_BODY: bool = false;
    /// Whether it needs a verified sender (the route then refuses unsigned
    /// requests with 401).
    const NEEDS_IDENTITY: bool = false;

    /// Extracts the value; a [`Rejection`] answers the request instead.
    fn from_request(ctx: &Ctx<'_>, name: &'static str) -> Result<Self, Rejection>;
}
