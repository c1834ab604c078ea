//! Extractors that read the body: `Json<T>`, `Form<T>`, `Bytes`, `Request`.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use super::{Ctx, FromRequest};
use crate::Rejection;

/// A JSON body (`Content-Type: application/json`), or a JSON response.
///
/// ```
/// use usrv::{route, Json};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize)]
/// struct Todo { title: String, done: bool }
///
/// #[route("/todos", methods = ["POST"])]
/// fn create(todo: Json<Todo>) -> (u16, Json<Todo>) {
///     (201, todo)
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Json<T> {
    const USES_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        if !has_content_type(ctx, is_json) {
            return Err(Rejection::unsupported_media_type(
                "expected `Content-Type: application/json`",
            ));
        }
        serde_json::from_slice(ctx.body())
            .map(Json)
            .map_err(|e| Rejection::bad_request(format!("invalid JSON body: {e}")))
    }
}

impl<T: serde::Serialize> serde::Serialize for Json<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// An urlencoded form body (`Content-Type: application/x-www-form-urlencoded`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Form<T> {
    const USES_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        if !has_content_type(ctx, |m| m == "application/x-www-form-urlencoded") {
            return Err(Rejection::unsupported_media_type(
                "expected `Content-Type: application/x-www-form-urlencoded`",
            ));
        }
        serde_urlencoded::from_bytes(ctx.body())
            .map(Form)
            .map_err(|e| Rejection::bad_request(format!("invalid form body: {e}")))
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

/// Whether the request's media type (before any `;` parameter) passes `test`.
fn has_content_type(ctx: &Ctx<'_>, test: impl Fn(&str) -> bool) -> bool {
    let Some(value) = ctx.headers().get(CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let media = value.split(';').next().unwrap_or("").trim();
    test(&media.to_ascii_lowercase())
}

/// `application/json` or `application/<anything>+json`.
pub(crate) fn is_json(media: &str) -> bool {
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}
