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
            .map_err(|e| Rejection::bad_request(format!("invalid JSON body: {}", json_reason(&e))))
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

/// Why a JSON body was refused, without echoing any of its values: the
/// body may have been sealed, and a reason must never leak decrypted data.
fn json_reason(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let (line, column) = (error.line(), error.column());
    match error.classify() {
        Category::Syntax => format!("syntax error at line {line} column {column}"),
        Category::Eof => format!("unexpected end at line {line} column {column}"),
        Category::Io => "cannot be read".to_owned(),
        Category::Data => format!(
            "{} at line {line} column {column}",
            value_reason(&error.to_string())
        ),
    }
}

/// A deserialisation error's message when it names only the target type
/// (a missing field), else a generic one: messages such as "invalid type:
/// string \"secret\"" or "unknown variant `secret`" quote the body.
fn value_reason(message: &str) -> String {
    match message.strip_prefix("missing field `") {
        Some(rest) => match rest.split_once('`') {
            Some((field, _)) => format!("missing field `{field}`"),
            None => "a value does not fit the expected type".to_owned(),
        },
        None => "a value does not fit the expected type".to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Target {
        n: u32,
        kind: Kind,
    }

    #[derive(serde::Deserialize, Debug)]
    enum Kind {
        A,
    }

    fn reason(body: &str) -> String {
        json_reason(&serde_json::from_str::<Target>(body).unwrap_err())
    }

    #[test]
    fn json_reasons_never_quote_the_body() {
        assert_eq!(reason("{\"n\": 1"), "unexpected end at line 1 column 7");
        assert_eq!(reason("{\"n\" 1}"), "syntax error at line 1 column 6");
        assert_eq!(
            reason("{\"kind\": \"A\"}"),
            "missing field `n` at line 1 column 13"
        );
        for secret in [
            "{\"n\": \"SECRET\", \"kind\": \"A\"}",
            "{\"n\": 1, \"kind\": \"SECRET\"}",
            "{\"n\": 1, \"kind\": \"A\", \"SECRET\": 1}",
        ] {
            let text = reason(secret);
            assert!(!text.contains("SECRET"), "{text}");
            assert!(text.starts_with("a value does not fit"), "{text}");
        }
    }
}
