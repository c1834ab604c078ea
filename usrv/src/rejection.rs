//! A request that cannot be served as asked: a status and a reason, answered
//! as JSON `{"error": "<reason>", "status": <code>}`.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

/// Why a request is refused, answered as `{"error": reason, "status": code}`.
///
/// Extractors return it; handlers may too (`Result<T, Rejection>`).
///
/// ```
/// use usrv::{route, Rejection};
///
/// #[route("/divide/<int:a>/<int:b>")]
/// fn divide(a: i64, b: i64) -> Result<(u16, i64), Rejection> {
///     if b == 0 {
///         return Err(Rejection::bad_request("cannot divide by zero"));
///     }
///     Ok((200, a / b))
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    status: StatusCode,
    reason: Cow<'static, str>,
}

impl Rejection {
    /// A rejection with any status.
    pub fn new(status: StatusCode, reason: impl Into<Cow<'static, str>>) -> Self {
        Rejection {
            status,
            reason: reason.into(),
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }

    /// 401 Unauthorized.
    pub fn unauthorized(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, reason)
    }

    /// 403 Forbidden.
    pub fn forbidden(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, reason)
    }

    /// 404 Not Found.
    pub fn not_found(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, reason)
    }

    /// 413 Payload Too Large.
    pub fn payload_too_large(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, reason)
    }

    /// 415 Unsupported Media Type.
    pub fn unsupported_media_type(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, reason)
    }

    /// 500 Internal Server Error.
    pub fn internal(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, reason)
    }

    /// The status answered.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason answered.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.reason)
    }
}

impl std::error::Error for Rejection {}
