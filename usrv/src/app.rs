//! The application: the route table and the per-request pipeline, usable by
//! usrv's own server or as a `tower::Service` inside any hyper or axum
//! server (the original's WSGI `uApp`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::header::{ALLOW, CONTENT_LENGTH};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body::Body as HttpBody;
use http_body_util::BodyExt;

use crate::error::Error;
use crate::extract::Ctx;
use crate::protocol::{is_sealed, mentions_protocol};
use crate::rejection::Rejection;
use crate::response::{IntoResponse, Response};
use crate::route::{Outcome, Route};
use crate::router::{Found, Params, Router};
use crate::secure::{read_ephemeral, Envelope, Security, SecurityConfig, Verified};

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// What an [`App`] is built with; the server's builder fills it.
pub(crate) struct AppConfig {
    pub body_limit: usize,
    pub body_timeout: Duration,
    pub security: SecurityConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            body_limit: DEFAULT_BODY_LIMIT,
            body_timeout: Duration::from_secs(30),
            security: SecurityConfig::default(),
        }
    }
}

/// The routes of the program, ready to serve; cheap to clone.
///
/// [`serve()`](crate::serve) runs one; it is also a `tower::Service`, so
/// the same routes mount inside axum or any hyper server, under any tower
/// layer:
///
/// ```
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), usrv::Error> {
/// let app = usrv::App::new()?;
/// let request = usrv::http::Request::get("/no-such-route").body(String::new()).unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 404);
/// // Inside axum: `axum::Router::new().fallback_service(usrv::App::new()?)`.
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    router: Router,
    body_limit: usize,
    body_timeout: Duration,
    security: Security,
}

impl App {
    /// Every `#[route]` of the program, with the default settings (the
    /// key of `USRV_KEY_FILE` or a fresh one, 1 MiB bodies, a 30 s replay
    /// window). Fails when two routes conflict. [`Server::app`](crate::Server::app)
    /// builds one with other settings.
    pub fn new() -> Result<App, Error> {
        App::with_routes(crate::route::registered())
    }

    /// An application of chosen routes only (default settings), e.g. to
    /// serve two route sets on two ports, or to test a few routes:
    /// `App::with_routes([hello::ROUTE])`, where `hello` is a `#[route]`
    /// function.
    pub fn with_routes(routes: impl IntoIterator<Item = &'static Route>) -> Result<App, Error> {
        App::build(routes, AppConfig::default())
    }

    pub(crate) fn build(
        routes: impl IntoIterator<Item = &'static Route>,
        config: AppConfig,
    ) -> Result<App, Error> {
        Ok(App {
            inner: Arc::new(Inner {
                router: Router::new(routes)?,
                body_limit: config.body_limit,
                body_timeout: config.body_timeout,
                security: Security::new(config.security)?,
            }),
        })
    }

    /// The server's public key (its identity in the secure protocol).
    pub fn public_key(&self) -> &usrv_crypto::PublicKey {
        self.inner.security.public_key()
    }

    /// The number of routes.
    pub fn route_count(&self) -> usize {
        self.inner.router.len()
    }

    /// Answers one request. Never fails: every problem is an error response.
    pub async fn handle<B>(&self, request: http::Request<B>) -> Response
    where
        B: HttpBody,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let started = tracing::enabled!(target: "usrv", tracing::Level::INFO).then(Instant::now);
        let (parts, body) = request.into_parts();
        let mut response = self.respond(&parts, body).await;
        if parts.method == Method::HEAD {
            // HTTP/1 drops a HEAD body by itself; HTTP/2 would send it as
            // DATA frames, which clients reject. Keep only its length.
            let length = response.body().as_bytes().len();
            response
                .headers_mut()
                .entry(CONTENT_LENGTH)
                .or_insert_with(|| HeaderValue::from(length));
            *response.body_mut() = crate::body::Body::empty();
        }
        if let Some(started) = started {
            tracing::info!(
                target: "usrv",
                "{} {} {} {}µs",
                parts.method,
                parts.uri.path(),
                response.status().as_u16(),
                started.elapsed().as_micros()
            );
        }
        response
    }

    async fn respond<B>(&self, parts: &http::request::Parts, body: B) -> Response
    where
        B: HttpBody,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let inner = &*self.inner;
        let mut params = Params::new();
        let route = match inner
            .router
            .find(&parts.method, parts.uri.path(), &mut params)
        {
            Found::Route(route) => route,
            Found::MethodNotAllowed(allow) => return method_not_allowed(allow),
            Found::NotFound => {
                return match self.puk_reply(parts) {
                    // A signed `GET /puk` gets a signed reply, as any route.
                    Some(_) if mentions_protocol(&parts.headers) => {
                        Box::pin(self.respond_secure(Target::PublicKey, parts, &params, body)).await
                    }
                    Some(reply) => reply,
                    None => not_found(),
                };
            }
        };

        // Most requests carry none of the protocol's headers: one pass over
        // the names decides, and the secure path stays out of this future.
        if mentions_protocol(&parts.headers) {
            return Box::pin(self.respond_secure(Target::Route(route), parts, &params, body)).await;
        }
        if route.signed {
            return Rejection::unauthorized("this route needs a signed request").into_response();
        }
        if route.uses_body {
            // Boxed, so that its state stays out of the common future.
            return Box::pin(self.respond_with_body(route, parts, &params, body)).await;
        }
        match call(route, parts, &params, &Bytes::new(), None) {
            Outcome::Now(response) => response,
            Outcome::Later(future) => future.await,
        }
    }

    /// A plain request to a route that reads the body.
    async fn respond_with_body<B>(
        &self,
        route: &'static Route,
        parts: &http::request::Parts,
        params: &Params<'_>,
        body: B,
    ) -> Response
    where
        B: HttpBody,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let inner = &*self.inner;
        match read_body(body, &parts.headers, inner.body_limit, inner.body_timeout).await {
            Ok(body) => call(route, parts, params, &body, None).finish().await,
            Err(rejection) => rejection.into_response(),
        }
    }

    /// The checks of PROTOCOL.md, in its order, cheap ones first.
    async fn respond_secure<B>(
        &self,
        target: Target,
        parts: &http::request::Parts,
        params: &Params<'_>,
        body: B,
    ) -> Response
    where
        B: HttpBody,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let inner = &*self.inner;
        let security = &inner.security;
        let head = match security.read_head(&parts.headers) {
            Ok(head) => head,
            Err(rejection) => return rejection.into_response(),
        };
        let route = match target {
            Target::Route(route) => Some(route),
            Target::PublicKey => None,
        };
        let signed = route.is_some_and(|route| route.signed);
        if head.is_none() {
            if signed {
                return Rejection::unauthorized("this route needs a signed request")
                    .into_response();
            }
            if is_sealed(&parts.headers) {
                return Rejection::unauthorized(
                    "a sealed body needs a signed request: there is no identity to answer to",
                )
                .into_response();
            }
        }
        let envelope = read_ephemeral(&parts.headers);

        let body = if route.is_some_and(|route| route.uses_body) || head.is_some() {
            match read_body(body, &parts.headers, inner.body_limit, inner.body_timeout).await {
                Ok(body) => body,
                Err(rejection) => return rejection.into_response(),
            }
        } else {
            Bytes::new()
        };

        let Some(head) = head else {
            return self.answer(target, parts, params, &body, None).await;
        };
        let verified = match security.verify(head, parts, envelope.as_ref(), &body) {
            Ok(verified) => verified,
            Err(rejection) => return rejection.into_response(),
        };
        let mut response = self
            .call_verified(target, parts, params, body, envelope.as_ref(), &verified)
            .await;
        let seal = verified.seal_reply || route.is_some_and(|route| route.encrypted);
        security.sign_reply(&verified, seal, &mut response);
        response
    }

    /// Opens a sealed body, enforces `encrypted`, then calls the route.
    async fn call_verified(
        &self,
        target: Target,
        parts: &http::request::Parts,
        params: &Params<'_>,
        body: Bytes,
        envelope: Option<&Envelope<'_>>,
        verified: &Verified,
    ) -> Response {
        let body = match envelope {
            Some(envelope) => match self.inner.security.open(envelope, &body) {
                Ok(plain) => plain,
                Err(rejection) => return rejection.into_response(),
            },
            None if matches!(target, Target::Route(route) if route.encrypted)
                && !body.is_empty() =>
            {
                return Rejection::unsupported_media_type(
                    "this route needs a sealed body (`Content-Encoding: usrv-v1`)",
                )
                .into_response()
            }
            None => body,
        };
        self.answer(target, parts, params, &body, Some(verified.sender))
            .await
    }

    /// Calls the route, or answers `GET /puk`.
    async fn answer(
        &self,
        target: Target,
        parts: &http::request::Parts,
        params: &Params<'_>,
        body: &Bytes,
        identity: Option<usrv_crypto::PublicKey>,
    ) -> Response {
        match target {
            Target::Route(route) => call(route, parts, params, body, identity).finish().await,
            Target::PublicKey => self.puk_reply(parts).unwrap_or_else(not_found),
        }
    }

    /// The answer of `GET /puk` (the server key), when that is the request
    /// and the route is on.
    fn puk_reply(&self, parts: &http::request::Parts) -> Option<Response> {
        let path = parts.uri.path();
        if (path == "/puk" || path == "/puk/")
            && (parts.method == Method::GET || parts.method == Method::HEAD)
        {
            return self.inner.security.puk_response();
        }
        None
    }
}

/// What answers a request: a route, or the framework's `GET /puk`.
#[derive(Clone, Copy)]
enum Target {
    Route(&'static Route),
    PublicKey,
}

fn not_found() -> Response {
    Rejection::not_found("no route matches this path").into_response()
}

/// Runs a route with the request's arguments at hand.
fn call(
    route: &'static Route,
    parts: &http::request::Parts,
    params: &Params<'_>,
    body: &Bytes,
    identity: Option<usrv_crypto::PublicKey>,
) -> Outcome {
    route.invoke(&Ctx {
        parts,
        params: params.as_slice(),
        body,
        arg_names: route.arg_names,
        identity,
    })
}

fn method_not_allowed(allow: &HeaderValue) -> Response {
    let mut response = Rejection::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this path",
    )
    .into_response();
    response.headers_mut().insert(ALLOW, allow.clone());
    response
}

/// Collects the body, refusing more than `limit` bytes with 413 and a body
/// still incomplete after `timeout` with 408.
async fn read_body<B>(
    body: B,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, Rejection>
where
    B: HttpBody,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let too_large =
        || Rejection::payload_too_large(format!("the body is larger than {limit} bytes"));
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    match tokio::time::timeout(timeout, collect(body, declared, limit)).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(BodyError::TooLarge)) => Err(too_large()),
        Ok(Err(BodyError::Read)) => {
            Err(Rejection::bad_request("the request body could not be read"))
        }
        Err(_) => Err(Rejection::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body did not arrive within {timeout:?}"),
        )),
    }
}

enum BodyError {
    TooLarge,
    Read,
}

/// Reads the data of a body into one buffer: a body costs its length,
/// however it was cut into frames (each frame of a socket read holds that
/// read's whole buffer). A body of one frame is kept as it is. The buffer
/// is sized from the declared length (at most `limit`), else grows
/// geometrically.
async fn collect<B: HttpBody>(
    body: B,
    declared: Option<u64>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut buffer = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Read)?;
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers
        };
        let chunk = data.remaining();
        if chunk == 0 {
            continue;
        }
        total = total.saturating_add(chunk);
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        if first.is_none() && buffer.is_empty() {
            first = Some(data.copy_to_bytes(chunk));
            continue;
        }
        if let Some(first) = first.take() {
            let expected = declared.map_or(0, |length| length.min(limit as u64) as usize);
            buffer.reserve(expected.max(2 * total).min(limit));
            buffer.extend_from_slice(&first);
        }
        buffer.put(data);
    }
    Ok(first.unwrap_or_else(|| buffer.freeze()))
}

impl<B> tower_service::Service<http::Request<B>> for App
where
    B: HttpBody + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let app = self.clone();
        Box::pin(async move { Ok(app.handle(request).await) })
    }
}
