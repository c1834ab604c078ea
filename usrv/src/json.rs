//! `Json<T>`: a JSON request body, and a JSON response.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::extract::{value_reason, Ctx, FromRequest};
use crate::media::MediaType;
use crate::rejection::Rejection;
use crate::response::{json_response, IntoResponse, Response};

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
        if !MediaType::of(ctx.headers()).is_some_and(|media| media.is_json()) {
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

/// The schema of `T`: `Json<T>` is `T` on the wire.
#[cfg(feature = "openapi")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Json<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        json_response(&self.0)
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
