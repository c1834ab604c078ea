//! # usrv
//!
//! A plain function becomes a typed HTTP endpoint with one attribute; the
//! Rust successor of the Python micro-framework `usrv`.
//!
//! ```no_run
//! use usrv::route;
//!
//! #[route("/<int:a>/<b>")]
//! fn do_test(a: i64, b: String) -> (u16, i64, String) {
//!     (200, a, b)
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), usrv::Error> {
//!     usrv::serve().await
//! }
//! ```
//!
//! `GET /5/test` answers `[5,"test"]`; `GET /x/test` answers 400 with
//! `{"error": "path parameter `a`: cannot parse `x` as `i64`", "status": 400}`.
//!
//! ## The attribute
//! `#[route(PATH)]` answers GET; `#[route(PATH, methods = ["GET", "POST"])]`
//! names the methods. Path segments are literals or parameters: `<name>`,
//! `<int:name>`, `<float:name>`, `<str:name>`, `<path:name>` (the rest of the
//! path, last only). Options: `signed` (the sender must sign), `encrypted`
//! (bodies are sealed; implies `signed`), `blocking` (a synchronous handler
//! runs on the blocking pool). Functions may be `async`. Mistakes are
//! compile errors pointing at the token at fault.
//!
//! ## Arguments
//! An argument named in the path is parsed from its segment
//! ([`FromParam`]). Any other argument implements [`FromRequest`]: plain
//! values (`String`, numbers, `bool`, `Option<T>`, `Vec<T>`) come from the
//! query parameter of the same name; [`Json<T>`], [`Form<T>`], [`Multipart`],
//! [`Bytes`], `HeaderMap`, `Method`, `Uri`, [`Identity`],
//! [`Kwargs`] and [`Request`] come from the request, [`State<T>`] from the
//! application, [`BodyStream`] is the body as it arrives and
//! `WebSocketUpgrade` takes over the connection (`usrv::ws`). A value from the
//! path is never overridden by the query string.
//!
//! ## Responses
//! `(status, v1, ..., vn)` answers JSON `null` (n = 0), `v1` (n = 1) or the
//! array of the values; also `Json<T>`, `String`, `&'static str`, `()`
//! (204), `StatusCode`, `Result<T, E>`, [`Rejection`] and a full
//! [`Response`], whose [`Body`] may be a stream ([`Body::from_stream`],
//! [`Body::from_file`]), and server-sent events ([`sse::Sse`]). Framework
//! errors are `{"error": "<reason>", "status": N}`.
//!
//! ## Linking
//! Routes register through `inventory`: a route in a library crate that the
//! binary never references is not linked. Reference the library
//! (`use my_routes as _;`) to keep its routes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The modules, bottom to top: each imports only from the layers below it
// (ARCHITECTURE.md; `tests/layering.rs` fails on an import cycle).
//
// plain data
mod body;
mod error;
mod lifecycle;
mod media;
mod protocol;
mod rejection;
// responses
mod response;
pub mod sse;
// request context and extractors
pub mod extract;
mod json;
// routes and the route table
mod route;
mod router;
// the per-request pipeline
mod app;
mod secure;
// server and client
mod guard;
mod server;

#[cfg(feature = "client")]
pub mod client;

pub use app::{App, AppBuilder, DEFAULT_BODY_LIMIT};
pub use body::Body;
#[cfg(feature = "client")]
pub use client::Client;
pub use error::Error;
#[cfg(feature = "ws")]
pub use extract::ws::{self, WebSocketUpgrade};
pub use extract::{
    Args, BodyStream, BodyStreamError, Ctx, Form, FromParam, FromRequest, Identity, Kwargs,
    Multipart, Part, Request, State, DEFAULT_STREAM_BODY_LIMIT,
};
pub use json::Json;
pub use rejection::Rejection;
pub use response::{IntoResponse, IntoStatus, Response};
pub use route::Route;
pub use server::{serve, Bound, LayeredService, Server, DEFAULT_ADDR};
pub use usrv_macros::route;

pub use bytes::Bytes;
pub use http::{self, HeaderMap, Method, StatusCode, Uri};

/// The secure protocol's types: keys, signatures, envelopes, nonces.
pub use usrv_crypto as crypto;

/// The route table, for benchmarks and tools.
#[doc(hidden)]
pub mod routing {
    pub use crate::router::{Found, Params, Router};
}

/// What `#[route]` expands to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::extract::param::{path_any, path_float, path_int, path_path, path_str};
    pub use crate::extract::Ctx;
    pub use crate::route::{Answer, Answer as Reply, CallFn, Converter, MethodSet, Route, Segment};
    pub use inventory;

    use crate::response::{IntoResponse, Response};

    /// Converts a handler's return value (spanned at the return type).
    #[inline]
    pub fn respond<R: IntoResponse>(value: R) -> Response {
        value.into_response()
    }
}
