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
//! ## The API from the routes
//! Every server answers `GET /openapi.json` with the OpenAPI 3.1 document
//! of its routes ([`App::openapi`]; schemas of your types through
//! `schemars::JsonSchema`, the `openapi` feature). Beside each function,
//! `#[route]` defines a type of the same name: `name::ROUTE` (the route,
//! for [`App::with_routes`] and [`Server::routes`]), `name::uri(args...)`
//! (the request target) and, with the `client` feature,
//! `name::call(&client, args...)`, the typed call:
//!
//! ```no_run
//! # use usrv::route;
//! # #[route("/<int:a>/<b>")]
//! # fn do_test(a: i64, b: String) -> (u16, i64, String) { (200, a, b) }
//! # async fn run() -> Result<(), usrv::ClientError> {
//! assert_eq!(do_test::uri(5, "a b"), "/5/a%20b");
//! let client = usrv::Client::new("http://127.0.0.1:5000")?;
//! assert_eq!(do_test::call(&client, 5, "test".into()).await?, (5, "test".to_owned()));
//! # Ok(()) }
//! ```
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
mod schema;
// responses
mod response;
pub mod sse;
// request context and extractors
pub mod extract;
mod json;
mod target;
// routes and the route table
mod route;
mod router;
// the per-request pipeline
mod app;
mod openapi;
mod secure;
// server and client
mod guard;
mod server;
mod tls;

#[cfg(feature = "client")]
pub mod client;

pub use app::{App, AppBuilder, DEFAULT_BODY_LIMIT, OPENAPI_PATH};
pub use body::Body;
#[cfg(feature = "client")]
pub use client::{Client, ClientError};
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
pub use target::{ToParam, UriArg};
pub use usrv_macros::route;

pub use bytes::Bytes;
pub use http::{self, HeaderMap, Method, StatusCode, Uri};

/// The README's Rust blocks, compiled (and run where they do not serve) as
/// doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

/// The secure protocol's types: keys, signatures, envelopes, nonces.
pub use usrv_crypto as crypto;

/// `schemars`, whose `JsonSchema` gives your types their schemas in the
/// OpenAPI document (`#[derive(usrv::schemars::JsonSchema)]` with
/// `#[schemars(crate = "usrv::schemars")]`, or a dependency of your own).
#[cfg(feature = "openapi")]
pub use schemars;

/// The route table, for benchmarks and tools.
#[doc(hidden)]
pub mod routing {
    pub use crate::router::{Found, Params, Router};
}

/// What `#[route]` expands to. Not a public API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "client")]
    pub use crate::client::typed::{
        decode_bytes, decode_empty, decode_json, decode_raw, decode_status, decode_text, secured,
        DecodeReply, SendBody,
    };
    pub use crate::extract::param::{path_any, path_float, path_int, path_path, path_str};
    pub use crate::extract::Ctx;
    pub use crate::route::{
        Answer, Answer as Reply, Api, ApiArg, ApiReply, ArgKind, CallFn, Converter, MethodSet,
        Presence, Probe, ProbeExtractor, ProbeQuery, Registered, Route, Segment,
    };
    pub use crate::schema::{any_schema, SchemaOf, Schemas, ViaAny, ViaJsonSchema};
    pub use crate::target::{Target, ToQuery};
    pub use inventory;

    /// A JSON value (an alias, so that messages keep saying
    /// `serde_json::Value`).
    pub type JsonValue = serde_json::Value;

    /// The typed call of a route (`name::call`, `name::request`): its
    /// items as they are with the `client` feature.
    #[cfg(feature = "client")]
    pub use crate::__usrv_client_items as client;
    /// The typed call of a route: nothing without the `client` feature.
    #[cfg(not(feature = "client"))]
    pub use crate::__usrv_no_client_items as client;

    use crate::response::{IntoResponse, Response};

    /// Converts a handler's return value (spanned at the return type).
    #[inline]
    pub fn respond<R: IntoResponse>(value: R) -> Response {
        value.into_response()
    }
}

/// The items of a route's typed call, kept: usrv has the `client` feature.
#[cfg(feature = "client")]
#[doc(hidden)]
#[macro_export]
macro_rules! __usrv_client_items {
    ($($item:tt)*) => { $($item)* };
}

/// The items of a route's typed call, dropped: usrv has no `client` feature.
#[cfg(not(feature = "client"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __usrv_no_client_items {
    ($($item:tt)*) => {};
}
