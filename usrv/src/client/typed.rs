//! What the typed calls of `#[route]` (`name::call`, `name::request`) use:
//! the route's security options applied to a request, and the reply decoded
//! into the route's output. Not a public API.

use bytes::Bytes;
use http::StatusCode;
use serde::de::DeserializeOwned;

use super::{ClientError, Reply, RequestBuilder};
use crate::route::Route;

/// A body payload a typed call can send: `Serialize` (the `T` of a
/// `Json<T>` or `Form<T>` argument).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as the body of a typed call",
    label = "not `serde::Serialize`",
    note = "the route still compiles and serves; its `call` and `request` need the payload to be `serde::Serialize` (`#[derive(serde::Serialize)]`)"
)]
pub trait SendBody: serde::Serialize {}

impl<T: serde::Serialize + ?Sized> SendBody for T {}

/// A value a typed call can decode from the reply: `DeserializeOwned`.
#[diagnostic::on_unimplemented(
    message = "the reply of this route cannot be decoded into `{Self}`",
    label = "not `serde::Deserialize`",
    note = "the route still compiles and serves; its `call` decodes the values it returns, which needs `serde::Deserialize` (`#[derive(serde::Deserialize)]`)",
    note = "for the raw reply, use the route's `request(..)` and `send()` it"
)]
pub trait DecodeReply: DeserializeOwned {}

impl<T: DeserializeOwned> DecodeReply for T {}

/// Signs the request when the route needs a signed sender, and seals it
/// when the route is `encrypted`.
pub fn secured<'c>(request: RequestBuilder<'c>, route: &Route) -> RequestBuilder<'c> {
    if route.is_encrypted() {
        request.encrypted()
    } else if route.is_signed() {
        request.signed()
    } else {
        request
    }
}

/// A JSON reply.
pub fn decode_json<T: DecodeReply>(reply: Reply) -> Result<T, ClientError> {
    reply.json()
}

/// A text reply.
pub fn decode_text(reply: Reply) -> Result<String, ClientError> {
    reply.text().map(str::to_owned)
}

/// A reply whose success is all there is to know (its body, if any, is
/// `null` or empty).
pub fn decode_empty(_reply: Reply) -> Result<(), ClientError> {
    Ok(())
}

/// A reply that is a status.
pub fn decode_status(reply: Reply) -> Result<StatusCode, ClientError> {
    Ok(reply.status())
}

/// A reply that is bytes.
pub fn decode_bytes(reply: Reply) -> Result<Bytes, ClientError> {
    Ok(reply.bytes().clone())
}

/// A response of the route's own: the raw reply.
pub fn decode_raw(reply: Reply) -> Result<Reply, ClientError> {
    Ok(reply)
}
