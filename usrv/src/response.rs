//! What a handler returns, and how it becomes an HTTP response.
//!
//! The original's contract, checked by the type system: a tuple
//! `(status, v1, ..., vn)` answers JSON `null` for n = 0, `v1` for n = 1 and
//! the array `[v1, ..., vn]` for n > 1. Also: `Json<T>`, `String` and
//! `&'static str` (text/plain), `()` (204), `StatusCode`, `Result<T, E>`,
//! [`Rejection`](crate::Rejection) and a full [`Response`].

use std::convert::Infallible;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::body::Body;
use crate::rejection::Rejection;

/// A full HTTP response; build one with `http::Response::builder()` for
/// complete control over status, headers and body.
///
/// ```
/// use usrv::{http, route, Body, Response};
///
/// #[route("/teapot")]
/// fn teapot() -> Response {
///     http::Response::builder()
///         .status(418)
///         .header("x-brewed", "yes")
///         .body(Body::from("I am a teapot"))
///         .unwrap()
/// }
/// ```
pub type Response = http::Response<Body>;

/// Marks a `101 Switching Protocols` response that hands the connection
/// to a WebSocket (a response extension): the pipeline lets it through
/// as it is, and a signed request's reply is signed but never sealed (it
/// has no body to seal).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Upgrading;

/// Converts a handler's return value into a [`Response`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a route",
    label = "not a response",
    note = "return `(status, v1, ..., vn)` with a `u16` or `StatusCode` status and `Serialize` values, `Json<T>`, `String`, `&'static str`, `()`, `StatusCode`, `Result<T, E>` of responses, `Rejection` or a `usrv::Response`"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;
}

/// A status code in a `(status, ...)` tuple: `u16` or `StatusCode`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an HTTP status",
    label = "the first element of a response tuple is its status",
    note = "use a `u16` such as `200` or an `http::StatusCode`"
)]
pub trait IntoStatus {
    /// The status, or `None` when it is not a valid HTTP status.
    fn into_status(self) -> Option<StatusCode>;
}

impl IntoStatus for u16 {
    fn into_status(self) -> Option<StatusCode> {
        StatusCode::from_u16(self).ok()
    }
}

impl IntoStatus for StatusCode {
    fn into_status(self) -> Option<StatusCode> {
        Some(self)
    }
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const OCTETS: HeaderValue = HeaderValue::from_static("application/octet-stream");

fn with_type(body: Body, content_type: HeaderValue) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

/// Serialises a value straight into the response buffer.
pub(crate) fn json_response<T: Serialize + ?Sized>(value: &T) -> Response {
    let mut buffer = Vec::with_capacity(128);
    match serde_json::to_writer(&mut buffer, value) {
        Ok(()) => with_type(Body::from(buffer), JSON),
        Err(error) => {
            tracing::error!(target: "usrv", %error, "cannot serialise the response");
            Rejection::internal("the response could not be serialised").into_response()
        }
    }
}

fn json_with_status<T: Serialize + ?Sized>(status: Option<StatusCode>, value: &T) -> Response {
    let Some(status) = status else {
        tracing::error!(target: "usrv", "a handler returned an invalid HTTP status");
        return Rejection::internal(
            "the handler returned a status that is not a final HTTP status (200 to 599)",
        )
        .into_response();
    };
    let mut response = json_response(value);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_type(Body::from(self), TEXT)
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_type(Body::from(self), TEXT)
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        with_type(Body::from(self), OCTETS)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        response
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self;
        response
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => error.into_response(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    status: u16,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.reason(),
            status: self.status().as_u16(),
        };
        let mut response = json_response(&body);
        *response.status_mut() = self.status();
        response
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

/// `(status,)`: JSON `null`.
impl<S: IntoStatus> IntoResponse for (S,) {
    fn into_response(self) -> Response {
        json_with_status(self.0.into_status(), &())
    }
}

/// `(status, value)`: the value as JSON.
impl<S: IntoStatus, T1: Serialize> IntoResponse for (S, T1) {
    fn into_response(self) -> Response {
        json_with_status(self.0.into_status(), &self.1)
    }
}

macro_rules! tuple_responses {
    ($($value:ident $index:tt),+) => {
        /// `(status, v1, ..., vn)`: the values as a JSON array.
        impl<S: IntoStatus, $($value: Serialize),+> IntoResponse for (S, $($value),+) {
            fn into_response(self) -> Response {
                json_with_status(self.0.into_status(), &($(&self.$index),+))
            }
        }
    };
}

tuple_responses!(T1 1, T2 2);
tuple_responses!(T1 1, T2 2, T3 3);
tuple_responses!(T1 1, T2 2, T3 3, T4 4);
tuple_responses!(T1 1, T2 2, T3 3, T4 4, T5 5);
tuple_responses!(T1 1, T2 2, T3 3, T4 4, T5 5, T6 6);
tuple_responses!(T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7);
tuple_responses!(T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8);
tuple_responses!(T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8, T9 9);
tuple_responses!(T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8, T9 9, T10 10);
tuple_responses!(T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8, T9 9, T10 10, T11 11);
tuple_responses!(T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8, T9 9, T10 10, T11 11, T12 12);

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: Response) -> (u16, String) {
        (
            response.status().as_u16(),
            String::from_utf8(response.into_body().into_bytes().unwrap().to_vec()).unwrap(),
        )
    }

    #[test]
    fn tuples_follow_the_original_contract() {
        assert_eq!(body((200u16,).into_response()), (200, "null".into()));
        assert_eq!(body((201u16, 5).into_response()), (201, "5".into()));
        assert_eq!(
            body((StatusCode::OK, "a", 1, true).into_response()),
            (200, r#"["a",1,true]"#.into())
        );
        assert_eq!(
            body((200u16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12).into_response()),
            (200, "[1,2,3,4,5,6,7,8,9,10,11,12]".into())
        );
        assert_eq!(body((1000u16, 1).into_response()).0, 500);
    }

    #[test]
    fn other_responses() {
        assert_eq!(body(().into_response()), (204, String::new()));
        assert_eq!(body("hi".into_response()), (200, "hi".into()));
        let error: Result<(), Rejection> = Err(Rejection::bad_request("no"));
        assert_eq!(
            body(error.into_response()),
            (400, r#"{"error":"no","status":400}"#.into())
        );
    }
}
