//! Extractors that read the body: `Form<T>`, `Bytes`, `Request`
//! (`Json<T>` is in its own module: it is a response too).

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::{Ctx, FromRequest};
use crate::media::MediaType;
use crate::rejection::Rejection;

/// An urlencoded form body (`Content-Type: application/x-www-form-urlencoded`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Form<T> {
    const USES_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        let is_form = MediaType::of(ctx.headers())
            .is_some_and(|media| media.essence() == "application/x-www-form-urlencoded");
        if !is_form {
            return Err(Rejection::unsupported_media_type(
                "expected `Content-Type: application/x-www-form-urlencoded`",
            ));
        }
        serde_urlencoded::from_bytes(ctx.body())
            .map(Form)
            .map_err(|e| {
                Rejection::bad_request(format!(
                    "invalid form body: {}",
                    value_reason(&e.to_string())
                ))
            })
    }
}

impl<T> std::ops::Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The raw body.
impl FromRequest for Bytes {
    const USES_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        Ok(ctx.body().clone())
    }
}

/// The whole request: head and collected body.
pub type Request = http::Request<Bytes>;

impl FromRequest for Request {
    const USES_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        let mut request = http::Request::new(ctx.body().clone());
        *request.method_mut() = ctx.method().clone();
        *request.uri_mut() = ctx.uri().clone();
        *request.version_mut() = ctx.parts.version;
        *request.headers_mut() = ctx.headers().clone();
        Ok(request)
    }
}

/// A deserialisation error's message when it names only the target type
/// (a missing field), else a generic one: messages such as "invalid type:
/// string \"secret\"" or "unknown variant `secret`" quote the body.
pub(crate) fn value_reason(message: &str) -> String {
    match message.strip_prefix("missing field `") {
        Some(rest) => match rest.split_once('`') {
            Some((field, _)) => format!("missing field `{field}`"),
            None => "a value does not fit the expected type".to_owned(),
        },
        None => "a value does not fit the expected type".to_owned(),
    }
}
