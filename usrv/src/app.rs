//! The application: the route table and the per-request pipeline, usable by
//! usrv's own server or as a `tower::Service` inside any hyper or axum
//! server (the original's WSGI `uApp`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::header::{ALLOW, CONTENT_LENGTH};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body::Body as HttpBody;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::upgrade::OnUpgrade;

use crate::body::{Body, BoxError};
use crate::error::Error;
use crate::extract::{Ctx, RequestBody, Shared, StateMap, Unread, DEFAULT_STREAM_BODY_LIMIT};
use crate::lifecycle::Lifecycle;
use crate::openapi;
use crate::protocol::{is_sealed, mentions_protocol};
use crate::rejection::Rejection;
use crate::response::{IntoResponse, Response, Upgrading};
use crate::route::{Outcome, Route};
use crate::router::{Found, Params, Router};
use crate::secure::{read_ephemeral, Envelope, Security, SecurityConfig, Verified};

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// What an [`App`] is built with; the server's builder fills it.
pub(crate) struct AppConfig {
    pub body_limit: usize,
    pub body_timeout: Duration,
    pub stream_body_limit: u64,
    pub states: StateMap,
    pub security: SecurityConfig,
    /// Serve the OpenAPI document at `GET /openapi.json`.
    pub openapi_route: bool,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            body_limit: DEFAULT_BODY_LIMIT,
            body_timeout: Duration::from_secs(30),
            stream_body_limit: DEFAULT_STREAM_BODY_LIMIT,
            states: StateMap::default(),
            security: SecurityConfig::default(),
            openapi_route: true,
        }
    }
}

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

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
///
/// Routes that take [`State<T>`](crate::State) need their state given at
/// build time: `App::builder().state(pool).build()?`.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    router: Router,
    body_limit: usize,
    security: Security,
    /// The OpenAPI document, built on first use.
    api: Api,
    shared: Shared,
}

/// Builds an [`App`] with state values and chosen routes, to mount in
/// another server (axum, hyper, any `tower` stack); from [`App::builder`].
///
/// ```
/// use usrv::{route, State};
///
/// struct Greeting(&'static str);
///
/// #[route("/greet/<name>")]
/// fn greet(name: String, greeting: State<Greeting>) -> String {
///     format!("{} {name}", greeting.0)
/// }
///
/// # fn main() -> Result<(), usrv::Error> {
/// let app = usrv::App::builder().state(Greeting("hello")).build()?;
/// // axum::Router::new().fallback_service(app)
/// # Ok(()) }
/// ```
///
/// The other settings (body limits, keys...) are the server's builder's:
/// `usrv::serve().state(x).body_limit(n).app()?` builds an `App` too.
#[must_use = "an `AppBuilder` does nothing until `build` is called"]
#[derive(Default)]
pub struct AppBuilder {
    routes: Option<Vec<&'static Route>>,
    config: AppConfig,
}

impl AppBuilder {
    /// These routes only, instead of every `#[route]` of the program.
    pub fn routes(mut self, routes: impl IntoIterator<Item = &'static Route>) -> Self {
        self.routes = Some(routes.into_iter().collect());
        self
    }

    /// A state value, which routes take as [`State<T>`](crate::State); one
    /// per type (a second value of the same type is a start-up error).
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.config.states.insert(value);
        self
    }

    /// The application. Fails when two routes conflict, when a route takes
    /// a state that was not given, or when a route cannot be served as
    /// written.
    pub fn build(self) -> Result<App, Error> {
        match self.routes {
            Some(routes) => App::build(routes, self.config),
            None => App::build(crate::route::registered(), self.config),
        }
    }
}

/// What the OpenAPI document is built from, and the document once built.
struct Api {
    routes: Vec<&'static Route>,
    options: openapi::Options,
    served: bool,
    document: OnceLock<(serde_json::Value, Bytes)>,
}

impl Api {
    fn document(&self) -> &(serde_json::Value, Bytes) {
        self.document.get_or_init(|| {
            let document = openapi::document(&self.routes, &self.options);
            let bytes = Bytes::from(serde_json::to_vec(&document).unwrap_or_default());
            (document, bytes)
        })
    }
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

    /// An application with state values (and other choices): see
    /// [`AppBuilder`].
    pub fn builder() -> AppBuilder {
        AppBuilder::default()
    }

    pub(crate) fn build(
        routes: impl IntoIterator<Item = &'static Route>,
        config: AppConfig,
    ) -> Result<App, Error> {
        let mut routes: Vec<&'static Route> = routes.into_iter().collect();
        let router = Router::new(routes.iter().copied())?;
        let api = Api {
            routes: routes.clone(),
            options: openapi::Options {
                puk: config.security.puk,
                allow_list: config.security.allowed.is_some(),
            },
            served: config.openapi_route,
            document: OnceLock::new(),
        };
        // The same order as the router's, so that the first error is the
        // same on every start.
        routes.sort_by_key(|r| (r.pattern, r.module, r.name, r.file, r.line));
        check_routes(&routes, &config.states)?;
        Ok(App {
            inner: Arc::new(Inner {
                router,
                body_limit: config.body_limit,
                security: Security::new(config.security)?,
                api,
                shared: Shared {
                    states: config.states,
                    stream_body_limit: config.stream_body_limit,
                    body_timeout: config.body_timeout,
                    lifecycle: Lifecycle::default(),
                },
            }),
        })
    }

    /// The OpenAPI 3.1 document of the routes, as served at
    /// `GET /openapi.json` (unless [`Server::openapi_route`](crate::Server::openapi_route)
    /// turned that off): one operation per route and method, with its
    /// parameters, body, responses and, for signed routes, the secure
    /// protocol's headers. Built once, on first use.
    ///
    /// A build step can write it to a file:
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let app = usrv::App::new()?;
    /// std::fs::write("openapi.json", serde_json::to_string_pretty(app.openapi())?)?;
    /// # Ok(()) }
    /// ```
    ///
    /// The schemas of your types come from `schemars::JsonSchema` (the
    /// `openapi` feature, on by default); a type without it is described
    /// by an unconstrained schema.
    pub fn openapi(&self) -> &serde_json::Value {
        &self.inner.api.document().0
    }

    /// The life of the server that runs the application.
    pub(crate) fn lifecycle(&self) -> &Lifecycle {
        &self.inner.shared.lifecycle
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
        B: HttpBody + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let started = tracing::enabled!(target: "usrv", tracing::Level::INFO).then(Instant::now);
        let (mut parts, body) = request.into_parts();
        let mut response = self.respond(&mut parts, body).await;
        head_reply(&parts.method, &mut response);
        if let Some(started) = started {
            tracing::info!(
                target: "usrv",
                method = %parts.method,
                path = parts.uri.path(),
                status = response.status().as_u16(),
                micros = started.elapsed().as_micros() as u64,
                "request"
            );
        }
        response
    }

    /// Answers one request as [`handle`](Self::handle) does, without a
    /// future of its own when it can: the common request (unsigned, to a
    /// route that reads no body, while the request log is off) is routed
    /// and its handler called right here, and a handler that answers at
    /// once makes a ready future of its response. A server moves the
    /// future a few times per request; this keeps it small.
    pub(crate) fn dispatch<B>(&self, request: http::Request<B>) -> Dispatched
    where
        B: HttpBody + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let request = if tracing::enabled!(target: "usrv", tracing::Level::INFO) {
            request // logged: timed by `handle`
        } else {
            let (parts, body) = request.into_parts();
            if let Some(outcome) = self.respond_at_once(&parts) {
                return Dispatched::Routed {
                    outcome: Some(outcome),
                    head: parts.method == Method::HEAD,
                };
            }
            http::Request::from_parts(parts, body)
        };
        let app = self.clone();
        Dispatched::Later(Box::pin(async move { app.handle(request).await }))
    }

    /// The handler's outcome, when the request needs nothing but its head:
    /// an unsigned request to a route that reads no body and takes no
    /// connection. `None` for anything else (errors included), which takes
    /// the full path.
    fn respond_at_once(&self, parts: &Parts) -> Option<Outcome> {
        let inner = &*self.inner;
        let mut params = Params::new();
        let Found::Route(route) = inner
            .router
            .find(&parts.method, parts.uri.path(), &mut params)
        else {
            return None;
        };
        if route.streams() || route.signed || route.uses_body || mentions_protocol(&parts.headers) {
            return None;
        }
        Some(call(
            route,
            parts,
            &params,
            &Bytes::new(),
            None,
            &inner.shared,
            None,
        ))
    }

    /// Reads a request body whole, within the application's body limit and
    /// body read timeout.
    async fn read_body<B>(&self, body: B, headers: &HeaderMap) -> Result<Bytes, Rejection>
    where
        B: HttpBody,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        collect_body(body, headers, inner.body_limit, inner.shared.body_timeout).await
    }

    async fn respond<B>(&self, parts: &mut Parts, body: B) -> Response
    where
        B: HttpBody + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        let mut params = Params::new();
        let route = match inner
            .router
            .find(&parts.method, parts.uri.path(), &mut params)
        {
            Found::Route(route) => route,
            Found::MethodNotAllowed(allow) if parts.method == Method::OPTIONS => {
                return options(allow)
            }
            Found::MethodNotAllowed(allow) => return method_not_allowed(allow),
            Found::NotFound => {
                return match self.own_reply(parts) {
                    // A signed request to `/puk` or `/openapi.json` gets a
                    // signed reply, as from any route.
                    Some(Ok(reply)) if mentions_protocol(&parts.headers) => {
                        Box::pin(self.respond_own_secure(parts, body, reply)).await
                    }
                    Some(Ok(reply)) => reply,
                    // Another method: as a route's 204 and 405, unsigned.
                    Some(Err(refusal)) => refusal,
                    None => Rejection::not_found("no route matches this path").into_response(),
                };
            }
        };
        if route.streams() {
            let upgrade = parts.extensions.remove::<OnUpgrade>();
            return Box::pin(self.respond_streaming(route, parts, &params, body, upgrade)).await;
        }
        let parts = &*parts;

        // Most requests carry none of the protocol's headers: one pass over
        // the names decides, and the secure path stays out of this future.
        if mentions_protocol(&parts.headers) {
            return Box::pin(self.respond_secure(route, parts, &params, body, None)).await;
        }
        if route.signed {
            return Rejection::unauthorized("this route needs a signed request").into_response();
        }
        if route.uses_body {
            // Boxed, so that its state stays out of the common future.
            return Box::pin(self.respond_with_body(route, parts, &params, body)).await;
        }
        match call(
            route,
            parts,
            &params,
            &Bytes::new(),
            None,
            &inner.shared,
            None,
        ) {
            Outcome::Now(response) => response,
            Outcome::Later(future) => future.await,
        }
    }

    /// A request to a route that takes the body unread or the connection.
    async fn respond_streaming<B>(
        &self,
        route: &'static Route,
        parts: &Parts,
        params: &Params<'_>,
        body: B,
        upgrade: Option<OnUpgrade>,
    ) -> Response
    where
        B: HttpBody + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        if mentions_protocol(&parts.headers) {
            return self
                .respond_secure(route, parts, params, body, upgrade)
                .await;
        }
        if route.signed {
            return Rejection::unauthorized("this route needs a signed request").into_response();
        }
        let (bytes, unread) = if route.uses_body {
            match self.read_body(body, &parts.headers).await {
                Ok(bytes) => (bytes, None),
                Err(rejection) => return rejection.into_response(),
            }
        } else {
            (Bytes::new(), route.streams_body.then(|| box_body(body)))
        };
        let unread = Mutex::new(Unread {
            body: unread,
            upgrade,
        });
        call(
            route,
            parts,
            params,
            &bytes,
            None,
            &inner.shared,
            Some(&unread),
        )
        .finish()
        .await
    }

    /// A plain request to a route that reads the body.
    async fn respond_with_body<B>(
        &self,
        route: &'static Route,
        parts: &Parts,
        params: &Params<'_>,
        body: B,
    ) -> Response
    where
        B: HttpBody,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        match self.read_body(body, &parts.headers).await {
            Ok(body) => {
                call(route, parts, params, &body, None, &inner.shared, None)
                    .finish()
                    .await
            }
            Err(rejection) => rejection.into_response(),
        }
    }

    /// The checks of PROTOCOL.md, in its order, cheap ones first. A route
    /// that streams gets a signed request's body whole (its hash is
    /// checked first), and a streamed reply to a signed request is
    /// collected before it is signed (PROTOCOL.md, "Streamed bodies").
    async fn respond_secure<B>(
        &self,
        route: &'static Route,
        parts: &Parts,
        params: &Params<'_>,
        body: B,
        upgrade: Option<OnUpgrade>,
    ) -> Response
    where
        B: HttpBody + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        let security = &inner.security;
        let head = match security.read_head(&parts.headers) {
            Ok(head) => head,
            Err(rejection) => return rejection.into_response(),
        };
        if head.is_none() {
            if route.signed {
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

        let (body, unread) = if route.uses_body || head.is_some() {
            match self.read_body(body, &parts.headers).await {
                Ok(body) => (body, None),
                Err(rejection) => return rejection.into_response(),
            }
        } else {
            (Bytes::new(), route.streams_body.then(|| box_body(body)))
        };

        let Some(head) = head else {
            let unread = route.streams().then(|| {
                Mutex::new(Unread {
                    body: unread,
                    upgrade,
                })
            });
            return call(
                route,
                parts,
                params,
                &body,
                None,
                &inner.shared,
                unread.as_ref(),
            )
            .finish()
            .await;
        };
        let verified = match security.verify(head, parts, envelope.as_ref(), &body).await {
            Ok(verified) => verified,
            Err(rejection) => return rejection.into_response(),
        };
        let mut response = self
            .call_verified(
                route,
                parts,
                params,
                body,
                envelope.as_ref(),
                &verified,
                upgrade,
            )
            .await;
        if response.extensions().get::<Upgrading>().is_some() {
            // A `101` has no body to seal; its headers are signed.
            security.sign_reply(&verified, false, &mut response);
            return response;
        }
        if response.body().is_stream() {
            response = self.collect_reply(response).await;
        }
        let seal = verified.seal_reply || route.encrypted;
        security.sign_reply(&verified, seal, &mut response);
        response
    }

    /// A streamed reply to a signed request, collected so that its hash can
    /// be signed: up to the body limit and within the body timeout, else a
    /// logged 500.
    async fn collect_reply(&self, response: Response) -> Response {
        let (parts, body) = response.into_parts();
        let limit = self.inner.body_limit;
        let timeout = self.inner.shared.body_timeout;
        let failure = match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await
        {
            Ok(Ok(collected)) => {
                return Response::from_parts(parts, Body::from(collected.to_bytes()));
            }
            Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
                format!("it is larger than the body limit ({limit} bytes)")
            }
            Ok(Err(error)) => format!("the stream failed: {error}"),
            Err(_) => format!("it did not end within {timeout:?}"),
        };
        tracing::error!(
            target: "usrv",
            "a streamed reply to a signed request cannot be signed: {failure}"
        );
        Rejection::internal("the streamed reply cannot be signed").into_response()
    }

    /// Opens a sealed body, enforces `encrypted`, then calls the route.
    #[allow(clippy::too_many_arguments)]
    async fn call_verified(
        &self,
        route: &'static Route,
        parts: &Parts,
        params: &Params<'_>,
        body: Bytes,
        envelope: Option<&Envelope<'_>>,
        verified: &Verified,
        upgrade: Option<OnUpgrade>,
    ) -> Response {
        let body = match envelope {
            Some(envelope) => match self.inner.security.open(envelope, &body) {
                Ok(plain) => plain,
                Err(rejection) => return rejection.into_response(),
            },
            None if route.encrypted && !body.is_empty() => {
                return Rejection::unsupported_media_type(
                    "this route needs a sealed body (`Content-Encoding: usrv-v1`)",
                )
                .into_response()
            }
            None => body,
        };
        // A route that streams gets the verified body whole, as one chunk.
        let unread = route.streams().then(|| {
            Mutex::new(Unread {
                body: route
                    .streams_body
                    .then(|| box_body(Full::new(body.clone()))),
                upgrade,
            })
        });
        let shared = &self.inner.shared;
        call(
            route,
            parts,
            params,
            &body,
            Some(verified.sender),
            shared,
            unread.as_ref(),
        )
        .finish()
        .await
    }

    /// The reply of the framework's own routes, `GET /puk` (the server
    /// key) and `GET /openapi.json`, when the path is one and the route is
    /// on: `Ok` for `GET` and `HEAD`; `Err` for other methods, as for a
    /// `GET` route (`OPTIONS`: 204 with `Allow`; others: 405 with `Allow`).
    fn own_reply(&self, parts: &Parts) -> Option<Result<Response, Response>> {
        const ALLOW_GET: HeaderValue = HeaderValue::from_static("GET, HEAD, OPTIONS");
        let path = parts.uri.path();
        let puk = if path == "/puk" || path == "/puk/" {
            self.inner.security.puk_response()
        } else {
            None
        };
        let openapi = path == OPENAPI_PATH && self.inner.api.served;
        if puk.is_none() && !openapi {
            return None;
        }
        Some(match parts.method {
            Method::GET | Method::HEAD => Ok(puk.unwrap_or_else(|| {
                let bytes = self.inner.api.document().1.clone();
                let mut response = Response::new(crate::body::Body::from(bytes));
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            })),
            Method::OPTIONS => Err(options(&ALLOW_GET)),
            _ => Err(method_not_allowed(&ALLOW_GET)),
        })
    }

    /// A request with the protocol's headers to one of the framework's own
    /// routes: the checks of PROTOCOL.md, then `reply`, signed (and sealed
    /// when the request asks).
    async fn respond_own_secure<B>(&self, parts: &Parts, body: B, mut reply: Response) -> Response
    where
        B: HttpBody,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        let security = &inner.security;
        let head = match security.read_head(&parts.headers) {
            Ok(head) => head,
            Err(rejection) => return rejection.into_response(),
        };
        let Some(head) = head else {
            if is_sealed(&parts.headers) {
                return Rejection::unauthorized(
                    "a sealed body needs a signed request: there is no identity to answer to",
                )
                .into_response();
            }
            return reply;
        };
        let envelope = read_ephemeral(&parts.headers);
        let body = match self.read_body(body, &parts.headers).await {
            Ok(body) => body,
            Err(rejection) => return rejection.into_response(),
        };
        let verified = match security.verify(head, parts, envelope.as_ref(), &body).await {
            Ok(verified) => verified,
            Err(rejection) => return rejection.into_response(),
        };
        if let Some(envelope) = &envelope {
            if let Err(rejection) = security.open(envelope, &body) {
                return rejection.into_response();
            }
        }
        security.sign_reply(&verified, verified.seal_reply, &mut reply);
        reply
    }
}

/// HTTP/1 drops a HEAD body by itself; HTTP/2 would send it as DATA
/// frames, which clients reject. Keep only its length (a stream's, when it
/// is known), and never run the stream.
fn head_reply(method: &Method, response: &mut Response) {
    if method == Method::HEAD {
        if let Some(length) = HttpBody::size_hint(response.body()).exact() {
            response
                .headers_mut()
                .entry(CONTENT_LENGTH)
                .or_insert_with(|| HeaderValue::from(length));
        }
        *response.body_mut() = Body::empty();
    }
}

/// The answer of [`App::dispatch`]: a route's outcome (the response or the
/// handler's future), or the whole request's future (boxed).
pub(crate) enum Dispatched {
    /// `head`: the request was a `HEAD`, whose reply has no body.
    Routed {
        outcome: Option<Outcome>,
        head: bool,
    },
    Later(Pin<Box<dyn Future<Output = Response> + Send>>),
}

impl Dispatched {
    /// A response ready now.
    pub(crate) fn now(response: Response) -> Dispatched {
        Dispatched::Routed {
            outcome: Some(Outcome::Now(response)),
            head: false,
        }
    }
}

impl Future for Dispatched {
    type Output = Result<Response, Infallible>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Dispatched::Routed { outcome, head } => {
                let mut response = match outcome {
                    Some(Outcome::Later(handler)) => std::task::ready!(Pin::new(handler).poll(cx)),
                    _ => match outcome.take() {
                        Some(Outcome::Now(response)) => response,
                        _ => panic!("polled after it answered"),
                    },
                };
                if *head {
                    head_reply(&Method::HEAD, &mut response);
                }
                Poll::Ready(Ok(response))
            }
            Dispatched::Later(future) => future.as_mut().poll(cx).map(Ok),
        }
    }
}

/// Runs a route with the request's arguments at hand.
fn call(
    route: &'static Route,
    parts: &Parts,
    params: &Params<'_>,
    body: &Bytes,
    identity: Option<usrv_crypto::PublicKey>,
    shared: &Shared,
    unread: Option<&Mutex<Unread>>,
) -> Outcome {
    route.invoke(&Ctx {
        parts,
        params: params.as_slots(),
        body,
        arg_names: route.arg_names,
        identity,
        shared,
        unread,
    })
}

/// `OPTIONS` on a path whose routes do not answer it themselves: 204 with
/// the methods they answer (and `OPTIONS`).
fn options(allow: &HeaderValue) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(ALLOW, allow.clone());
    response
}

/// A request body, unread, as a streaming extractor takes it.
fn box_body<B>(body: B) -> RequestBody
where
    B: HttpBody + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_frame(|frame| frame.map_data(|mut data| data.copy_to_bytes(data.remaining())))
        .map_err(Into::into)
        .boxed_unsync()
}

/// What the routes ask of the application that the type system cannot
/// check: their state was given, and they read the body in one way only
/// (the macro reports these at compile time when it recognises the types;
/// this catches aliases and extractors of one's own).
fn check_routes(routes: &[&'static Route], states: &StateMap) -> Result<(), Error> {
    if let Some(name) = states.duplicates.first() {
        return Err(Error::DuplicateState(format!(
            "a state value of type `{name}` was given twice: a server holds one value per type, so give each value a type of its own"
        )));
    }
    for route in routes {
        let location = route.location();
        if route.streams_body && route.uses_body {
            return Err(Error::InvalidRoute(format!(
                "the route {location} takes the body as a stream (`BodyStream`) and also reads it whole: a body is read one way"
            )));
        }
        if route.streams_body && route.signed {
            return Err(Error::InvalidRoute(format!(
                "the route {location} streams its body (`BodyStream`) but must be signed: a signature covers the hash of the whole body, so the body cannot be handed on before it is checked"
            )));
        }
        if route.upgrades && route.encrypted {
            return Err(Error::InvalidRoute(format!(
                "the route {location} takes a WebSocket but is `encrypted`: WebSocket messages are not sealed"
            )));
        }
        for (id, name) in route.required_states() {
            if states.get(id).is_none() {
                let held: Vec<String> = states.names().map(|held| format!("`{held}`")).collect();
                let held = match held.is_empty() {
                    true => String::new(),
                    false => format!(" (it holds {})", held.join(", ")),
                };
                return Err(Error::MissingState(format!(
                    "the route {location} takes `State<{name}>`, but the server was given no `{name}`{held}: add `.state(value)` to `usrv::serve()` (or to `App::builder()`)"
                )));
            }
        }
    }
    Ok(())
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
async fn collect_body<B>(
    body: B,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, Rejection>
where
    B: HttpBody,
    B::Error: Into<BoxError>,
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

/// Why [`collect`] stopped.
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
    B::Error: Into<BoxError>,
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
