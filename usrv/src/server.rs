//! `usrv::serve()`: the builder, the accept loop and graceful shutdown.

use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::HOST;
use http::StatusCode;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};
use usrv_crypto::{PublicKey, ReplayStore, SecretKey};

use crate::app::{App, AppConfig, Dispatched};
use crate::body::Body;
use crate::error::Error;
use crate::guard::{ConnGuard, HeadLimits, Http1Io, Http2Io, Watchdog, WatchedBody};
use crate::lifecycle::{Phase, Watch};
use crate::rejection::Rejection;
use crate::response::{IntoResponse, Response};
use crate::route::Route;
use crate::tls::Tls;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The app under the tower layers given to [`Server::layer`]: a tower
/// `Service` from a request (with hyper's body) to a [`Response`], cheap to
/// clone. Layers wrap it; what they answer is turned back into a
/// [`Response`] (any `http_body::Body` of `Bytes` goes).
#[derive(Clone)]
pub struct LayeredService(BoxCloneSyncService<http::Request<Incoming>, Response, BoxError>);

impl Service<http::Request<Incoming>> for LayeredService {
    type Response = Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, BoxError>> + Send>>;

    #[inline]
    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, request: http::Request<Incoming>) -> Self::Future {
        self.0.call(request)
    }
}

impl std::fmt::Debug for LayeredService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LayeredService")
    }
}

type Wrap = std::sync::Arc<dyn Fn(App) -> LayeredService + Send + Sync>;

/// The address `serve()` binds by default: the original's.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5000";

/// The default largest request head: 64 KiB.
const DEFAULT_MAX_HEAD_SIZE: usize = 64 << 10;

/// The default largest number of request headers: 100.
const DEFAULT_MAX_HEADERS: usize = 100;

/// The default largest number of concurrent streams of an HTTP/2
/// connection: 100.
const DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS: u32 = 100;

/// The default largest number of open connections: 10,000.
const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// hyper's own default number of HTTP/1 headers: with it, hyper parses
/// the headers on the stack.
const HYPER_MAX_HEADERS: usize = 100;

/// Starts configuring the server; `.await` it to run.
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> Result<(), usrv::Error> {
///     usrv::serve().await
/// }
/// ```
///
/// It binds `USRV_ADDR`, else `127.0.0.1:5000`, logs the address, the
/// number of routes and the server public key, then one line per request
/// (to standard output at level `USRV_LOG`, default `info`, unless the
/// application installed its own `tracing` subscriber), and stops
/// gracefully on Ctrl-C or SIGTERM. With `USRV_TLS_CERT` and
/// `USRV_TLS_KEY` (or `.tls(cert, key)`) it serves HTTPS.
pub fn serve() -> Server {
    Server::default()
}

type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The server's settings. Each has a sane default; `.await` runs it.
#[must_use = "a server does nothing until it is awaited"]
pub struct Server {
    addr: Option<String>,
    routes: Option<Vec<&'static Route>>,
    app: AppConfig,
    limits: ConnLimits,
    max_connections: usize,
    shutdown_grace: Duration,
    shutdown: Option<Shutdown>,
    wrap: Option<Wrap>,
    tls: Option<(PathBuf, PathBuf)>,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            addr: None,
            routes: None,
            app: AppConfig::default(),
            limits: ConnLimits {
                header_timeout: Duration::from_secs(10),
                idle_timeout: Duration::from_secs(30),
                head: HeadLimits {
                    max_head_size: DEFAULT_MAX_HEAD_SIZE,
                    max_headers: DEFAULT_MAX_HEADERS,
                },
                h2_streams: DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
            },
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: Duration::from_secs(30),
            shutdown: None,
            wrap: None,
            tls: None,
        }
    }
}

impl Server {
    /// Serves these routes only, instead of every `#[route]` of the
    /// program: `.routes([hello::ROUTE, bye::ROUTE])`. Two servers can so
    /// serve two route sets on two ports.
    pub fn routes(mut self, routes: impl IntoIterator<Item = &'static Route>) -> Self {
        self.routes = Some(routes.into_iter().collect());
        self
    }

    /// The address to listen on (`"127.0.0.1:8080"`, `"[::1]:0"`); by default
    /// `USRV_ADDR`, else `127.0.0.1:5000`.
    pub fn addr(mut self, addr: impl Into<String>) -> Self {
        self.addr = Some(addr.into());
        self
    }

    /// Serves HTTPS only, with this certificate chain and private key (PEM
    /// files: the server's certificate first, then its intermediates),
    /// HTTP/2 and HTTP/1.1 chosen through ALPN. By default `USRV_TLS_CERT`
    /// and `USRV_TLS_KEY`, else plain HTTP. The files are read when the
    /// server binds; a problem with them is an [`Error::Tls`].
    #[cfg(feature = "tls")]
    pub fn tls(mut self, cert_pem: impl Into<PathBuf>, key_pem: impl Into<PathBuf>) -> Self {
        self.tls = Some((cert_pem.into(), key_pem.into()));
        self
    }

    /// The largest request body accepted (default 1 MiB); more is 413.
    /// It also bounds a streamed reply to a signed request, which must be
    /// collected to be signed.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.app.body_limit = bytes;
        self
    }

    /// The largest body a [`BodyStream`](crate::BodyStream) accepts
    /// (default 1 GiB); a route may set its own with
    /// [`BodyStream::limit`](crate::BodyStream::limit).
    pub fn stream_body_limit(mut self, bytes: u64) -> Self {
        self.app.stream_body_limit = bytes;
        self
    }

    /// A state value, which routes take as [`State<T>`](crate::State): any
    /// `Send + Sync + 'static` type, one value per type, several types at
    /// once. A route that takes a state the server was not given stops the
    /// server at start-up, naming the route and the type.
    ///
    /// ```no_run
    /// # struct Pool;
    /// # struct Config;
    /// # async fn run(pool: Pool, config: Config) -> Result<(), usrv::Error> {
    /// usrv::serve().state(pool).state(config).await
    /// # }
    /// ```
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.app.states.insert(value);
        self
    }

    /// How long a client may take to send a request head (default 10 s):
    /// counted from the connection's opening for its first request, and
    /// from the first bytes of the head for the next ones. A head still
    /// incomplete then closes the connection (the slowloris guard).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_timeout = timeout;
        self
    }

    /// How long a connection may make no progress (default 30 s): an
    /// HTTP/1 keep-alive connection waiting for its next request, a
    /// client that stops reading its response, an HTTP/2 connection with
    /// no request to answer and no response frame accepted by the peer
    /// (pings do not count: a peer that keeps its flow-control window
    /// closed is closed). It does not run while a handler works.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// The largest request head, in bytes (default 64 KiB): the request
    /// line and headers of HTTP/1, the header list of HTTP/2 (as HTTP/2
    /// counts it, 32 bytes more per header). Beyond it, 431. At least
    /// 8 KiB is buffered for HTTP/1 whatever the limit.
    pub fn max_head_size(mut self, bytes: usize) -> Self {
        self.limits.head.max_head_size = bytes;
        self
    }

    /// The largest number of request headers (default 100); more is 431.
    pub fn max_headers(mut self, count: usize) -> Self {
        self.limits.head.max_headers = count;
        self
    }

    /// How many requests an HTTP/2 connection may have in flight at once
    /// (default 100, announced to the client; more are refused).
    pub fn http2_max_concurrent_streams(mut self, streams: u32) -> Self {
        self.limits.h2_streams = streams;
        self
    }

    /// The largest number of open connections (default 10,000). When they
    /// are all open, the server stops accepting: new connections wait in
    /// the listen backlog of the operating system (then are refused by
    /// it) until one closes. Keep it below the process's limit of open
    /// files (`ulimit -n`).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// How long a client may take to send a request body that a route reads
    /// (default 30 s); a body still incomplete then is answered 408. For a
    /// [`BodyStream`](crate::BodyStream) it bounds the wait for each chunk.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.app.body_timeout = timeout;
        self
    }

    /// How long in-flight requests may run after a shutdown signal (default
    /// 30 s). Streamed responses, server-sent events and WebSocket sessions
    /// count as in flight: they run on until they end or the grace period
    /// does.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Stops the server when this future completes, instead of on
    /// Ctrl-C/SIGTERM.
    pub fn shutdown_signal(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    /// The server's identity key (default: `USRV_KEY_FILE` if set, else a
    /// key generated at start).
    pub fn key(mut self, key: SecretKey) -> Self {
        self.app.security.key = Some(key);
        self
    }

    /// Loads the identity key from an encrypted key file at start.
    pub fn key_file(mut self, path: impl Into<PathBuf>, passphrase: impl Into<String>) -> Self {
        self.app.security.key_file = Some((path.into(), passphrase.into()));
        self
    }

    /// How far a request nonce may be from the server clock (default ±30 s).
    pub fn replay_window(mut self, window: Duration) -> Self {
        self.app.security.window = window;
        self
    }

    /// How many nonces the in-memory replay store keeps (default 1,000,000);
    /// when full, signed requests get 503.
    pub fn replay_capacity(mut self, capacity: usize) -> Self {
        self.app.security.capacity = capacity;
        self
    }

    /// A replay store shared by several instances (e.g. Redis-backed).
    pub fn replay_store(mut self, store: impl ReplayStore) -> Self {
        self.app.security.store = Some(Box::new(store));
        self
    }

    /// Accepts signed requests only from these keys (others get 403).
    pub fn allow_keys(mut self, keys: impl IntoIterator<Item = PublicKey>) -> Self {
        self.app.security.allowed = Some(keys.into_iter().collect());
        self
    }

    /// Serves the server key at `GET /puk` (default on).
    pub fn public_key_route(mut self, enabled: bool) -> Self {
        self.app.security.puk = enabled;
        self
    }

    /// Serves the OpenAPI document of the routes at `GET /openapi.json`
    /// (default on); [`App::openapi`] returns it either way.
    pub fn openapi_route(mut self, enabled: bool) -> Self {
        self.app.openapi_route = enabled;
        self
    }

    /// Wraps the routes in a tower layer (tracing, CORS, compression,
    /// timeouts, concurrency limits...). Each call wraps the previous ones;
    /// an error from a layer answers 500. Layers see the request as it arrived
    /// (`Request<hyper::body::Incoming>`).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), usrv::Error> {
    /// use tower::util::MapResponseLayer;
    ///
    /// usrv::serve()
    ///     .layer(MapResponseLayer::new(|mut response: usrv::http::Response<_>| {
    ///         response.headers_mut().insert("x-served-by", "usrv".parse().unwrap());
    ///         response
    ///     }))
    ///     .await
    /// # }
    /// ```
    pub fn layer<L, ResBody>(mut self, layer: L) -> Self
    where
        L: Layer<LayeredService> + Send + Sync + 'static,
        L::Service: Service<http::Request<Incoming>, Response = http::Response<ResBody>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<http::Request<Incoming>>>::Future: Send + 'static,
        <L::Service as Service<http::Request<Incoming>>>::Error: Into<BoxError>,
        ResBody: http_body::Body<Data = Bytes> + Send + 'static,
        ResBody::Error: Into<BoxError>,
    {
        let inner = self.wrap.take();
        self.wrap = Some(std::sync::Arc::new(move |app: App| {
            let wrapped = match &inner {
                Some(inner) => inner(app),
                None => boxed(app),
            };
            boxed(layer.layer(wrapped))
        }));
        self
    }

    /// Builds the application without serving it (to mount it elsewhere).
    pub fn app(self) -> Result<App, Error> {
        self.into_parts().map(|(app, _)| app)
    }

    fn into_parts(self) -> Result<(App, Settings), Error> {
        let app = match self.routes {
            Some(routes) => App::build(routes, self.app)?,
            None => App::build(crate::route::registered(), self.app)?,
        };
        let addr = self
            .addr
            .or_else(|| std::env::var("USRV_ADDR").ok())
            .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let settings = Settings {
            addr,
            limits: self.limits,
            max_connections: self.max_connections,
            shutdown_grace: self.shutdown_grace,
            shutdown: self.shutdown,
            wrap: self.wrap,
        };
        Ok((app, settings))
    }

    /// Builds the routes and binds the address, without serving yet: the
    /// bound address is known (useful with port 0).
    pub async fn bind(mut self) -> Result<Bound, Error> {
        let tls_files = self.tls.take();
        let (app, settings) = self.into_parts()?;
        let tls = crate::tls::configure(tls_files)?;
        let listener = TcpListener::bind(&settings.addr)
            .await
            .map_err(|e| Error::Bind(settings.addr.clone(), e))?;
        let local_addr = listener.local_addr()?;
        Ok(Bound {
            app,
            listener,
            local_addr,
            settings,
            tls,
        })
    }
}

impl IntoFuture for Server {
    type Output = Result<(), Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        install_default_logging();
        Box::pin(async move { self.bind().await?.run().await })
    }
}

struct Settings {
    addr: String,
    limits: ConnLimits,
    max_connections: usize,
    shutdown_grace: Duration,
    shutdown: Option<Shutdown>,
    wrap: Option<Wrap>,
}

/// Boxes a service.
fn boxed<S, B>(service: S) -> LayeredService
where
    S: Service<http::Request<Incoming>, Response = http::Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let service = service
        .map_response(|response: http::Response<B>| response.map(Body::new))
        .map_err(Into::into);
    LayeredService(BoxCloneSyncService::new(service))
}

/// A server bound to its address, ready to [`run`](Bound::run).
pub struct Bound {
    app: App,
    listener: TcpListener,
    local_addr: SocketAddr,
    settings: Settings,
    tls: Option<Tls>,
}

impl Bound {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The application being served.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves until the shutdown signal, then lets in-flight requests finish
    /// (up to the grace period).
    pub async fn run(self) -> Result<(), Error> {
        let Bound {
            app,
            listener,
            local_addr,
            settings,
            tls,
        } = self;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(
            target: "usrv",
            "listening on {scheme}://{local_addr} ({} routes), server public key {}",
            app.route_count(),
            app.public_key()
        );
        let mut shutdown = settings.shutdown.unwrap_or_else(|| Box::pin(termination()));
        let layered = settings.wrap.as_ref().map(|wrap| wrap(app.clone()));
        // Past the grace period (or if `run` is dropped), the connections
        // still open are aborted with the set: none outlives the server.
        let mut connections = tokio::task::JoinSet::new();
        let permits = Arc::new(Semaphore::new(
            settings.max_connections.clamp(1, Semaphore::MAX_PERMITS),
        ));
        let limits = settings.limits;
        let watchdog =
            Watchdog::start(limits.header_timeout, limits.idle_timeout).map_err(Error::Io)?;
        loop {
            tokio::select! {
                // Reap finished connections so that the set stays small.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                (permit, accepted) = accept(&listener, &permits) => match accepted {
                    Ok((stream, _peer)) => {
                        let _ = stream.set_nodelay(true);
                        let watcher = app.lifecycle().watch();
                        match &layered {
                            None => {
                                let app = app.clone();
                                let service = service_fn(move |request: http::Request<Incoming>| {
                                    if let Some(rejection) = host_problem(&request) {
                                        return Dispatched::now(rejection.into_response());
                                    }
                                    app.dispatch(request)
                                });
                                spawn_connection(&mut connections, &watchdog, stream, tls.clone(), service, limits, watcher, permit);
                            }
                            Some(layered) => {
                                let layered = layered.clone();
                                let service = service_fn(move |request: http::Request<Incoming>| {
                                    let layered = layered.clone();
                                    async move {
                                        if let Some(rejection) = host_problem(&request) {
                                            return Ok(rejection.into_response());
                                        }
                                        Ok::<_, Infallible>(match layered.oneshot(request).await {
                                            Ok(response) => response,
                                            Err(error) => layer_error(error),
                                        })
                                    }
                                });
                                spawn_connection(&mut connections, &watchdog, stream, tls.clone(), service, limits, watcher, permit);
                            }
                        }
                    }
                    Err(error) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!(target: "usrv", %error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                () = &mut shutdown => break,
            }
        }
        drop(listener);
        tracing::info!(target: "usrv", "shutting down: finishing in-flight requests");
        let lifecycle = app.lifecycle();
        lifecycle.enter(Phase::Draining);
        watchdog.drain();
        tokio::select! {
            () = lifecycle.all_done() => {}
            () = tokio::time::sleep(settings.shutdown_grace) => {
                tracing::warn!(target: "usrv", "grace period over: closing the remaining connections");
            }
        }
        lifecycle.enter(Phase::Stopped);
        connections.shutdown().await;
        Ok(())
    }
}

/// Unless the application installed a `tracing` subscriber of its own,
/// prints usrv's log (the start-up line, one line per request) to standard
/// output, filtered by `USRV_LOG` (`RUST_LOG` syntax: `info` by default,
/// `warn`, `off`, `usrv=debug`...).
fn install_default_logging() {
    if tracing::dispatcher::has_been_set() {
        return;
    }
    let filter = std::env::var("USRV_LOG").unwrap_or_else(|_| "info".to_owned());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|error| {
        eprintln!("USRV_LOG={filter:?} is not a valid filter ({error}): logging at `info`");
        tracing_subscriber::EnvFilter::new("info")
    });
    // Colours for a terminal only: a log file or journal gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    // Fails only when another subscriber won a race: then that one logs.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .try_init();
}

/// A tower layer failed: log it, answer 500.
fn layer_error(error: BoxError) -> Response {
    tracing::error!(target: "usrv", %error, "a tower layer failed");
    Rejection::internal("a middleware failed").into_response()
}

/// Ctrl-C, or SIGTERM on unix.
async fn termination() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Waits for a free connection slot, then for a connection. While every
/// slot is taken, connections wait in the listen backlog.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> (
    Option<OwnedSemaphorePermit>,
    std::io::Result<(tokio::net::TcpStream, SocketAddr)>,
) {
    // The semaphore is never closed: `None` cannot happen, and would only
    // lift the limit.
    let permit = permits.clone().acquire_owned().await.ok();
    (permit, listener.accept().await)
}

/// The first bytes of an HTTP/2 connection.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What every connection is served with.
#[derive(Clone, Copy, Debug)]
struct ConnLimits {
    header_timeout: Duration,
    idle_timeout: Duration,
    head: HeadLimits,
    h2_streams: u32,
}

/// What serves a connection's requests: a cloneable hyper service whose
/// future can move to another worker.
trait ConnService<B>:
    hyper::service::Service<
        http::Request<Incoming>,
        Response = http::Response<B>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S, B> ConnService<B> for S where
    S: hyper::service::Service<
            http::Request<Incoming>,
            Response = http::Response<B>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// A response body a connection can send, under its guard.
trait ConnBody:
    http_body::Body<Data = Bytes, Error: Into<BoxError>> + WatchedBody + Send + 'static
{
}

impl<B> ConnBody for B where
    B: http_body::Body<Data = Bytes, Error: Into<BoxError>> + WatchedBody + Send + 'static
{
}

/// Spawns a connection's task, under the watchdog. The connection holds
/// its slot (`permit`) and its watch of the server's life until it ends.
#[allow(clippy::too_many_arguments)]
fn spawn_connection<S, B>(
    connections: &mut tokio::task::JoinSet<()>,
    watchdog: &Watchdog,
    stream: TcpStream,
    tls: Option<Tls>,
    service: S,
    limits: ConnLimits,
    watcher: Watch,
    permit: Option<OwnedSemaphorePermit>,
) where
    S: ConnService<B>,
    B: ConnBody,
{
    let guard = ConnGuard::new();
    // Spawned as it is: an `async` block around it would hold the future
    // twice (before and while awaiting it), doubling the task.
    let held = (permit, watcher);
    guard.serve(connections.spawn(serve_connection(
        stream,
        tls,
        service,
        guard.clone(),
        limits,
        held,
    )));
    watchdog.watch(guard);
}

/// What a connection holds until it ends: its slot among
/// `max_connections`, and its watch of the server's life.
type Held = (Option<OwnedSemaphorePermit>, Watch);

/// Serves one connection: over TLS, HTTP/2 or HTTP/1.1 as ALPN chose;
/// otherwise HTTP/2 (prior knowledge) or HTTP/1.1 as its first bytes say.
async fn serve_connection<S, B>(
    mut stream: TcpStream,
    tls: Option<Tls>,
    service: S,
    guard: Arc<ConnGuard>,
    limits: ConnLimits,
    _held: Held,
) where
    S: ConnService<B>,
    B: ConnBody,
{
    // A peer that stays silent (or sends half a preface or half a TLS
    // handshake) is left to the guard's watchdog, which aborts this task at
    // the header timeout.
    //
    // The task holds this future's largest state for as long as the
    // connection lives: TLS and HTTP/2 are boxed, so that a plain HTTP/1.1
    // connection costs the size of its own state only.
    if let Some(tls) = tls {
        Box::pin(async move {
            if let Some((stream, is_h2)) = tls.accept(stream).await {
                serve_stream(stream, is_h2, service, guard, limits).await;
            }
        })
        .await;
        return;
    }
    let Ok(Some(sniffed)) = sniff(&mut stream).await else {
        return;
    };
    let is_h2 = sniffed.is_h2();
    serve_stream(sniffed.rewind(stream), is_h2, service, guard, limits).await;
}

/// Serves one connection as HTTP/2 (boxed: see [`serve_connection`]) or
/// HTTP/1.1 (with upgrades, for WebSockets), under the guard of `guard`.
async fn serve_stream<IO, S, B>(
    stream: IO,
    is_h2: bool,
    service: S,
    guard: Arc<ConnGuard>,
    limits: ConnLimits,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: ConnService<B>,
    B: ConnBody,
{
    let result = if is_h2 {
        Box::pin(serve_h2(stream, service, guard, limits)).await
    } else {
        serve_h1(stream, service, guard, limits).await
    };
    if let Err(error) = result {
        tracing::debug!(target: "usrv", %error, "connection ended with an error");
    }
}

/// Serves an HTTP/2 connection.
async fn serve_h2<IO, S, B>(
    stream: IO,
    service: S,
    guard: Arc<ConnGuard>,
    limits: ConnLimits,
) -> Result<(), hyper::Error>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: ConnService<B>,
    B: ConnBody,
{
    let drain_guard = guard.clone();
    let io = TokioIo::new(Http2Io::new(stream, guard.clone()));
    let max_headers = limits.head.max_headers;
    let service = service_fn(move |request: http::Request<Incoming>| {
        // HTTP/2 bounds the size of the header list, not the count.
        if request.headers().len() > max_headers {
            guard.refuse(too_many_headers(max_headers).into_response())
        } else {
            guard.stream(service.call(request))
        }
    });
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        // Pings detect dead peers while a handler works; they are not
        // progress for the guard.
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(Duration::from_secs(20))
        .max_concurrent_streams(limits.h2_streams)
        .max_header_list_size(u32::try_from(limits.head.max_head_size).unwrap_or(u32::MAX));
    let connection = builder.serve_connection(io, service);
    until_drained(connection, drain_guard, |c| c.graceful_shutdown()).await
}

/// Serves an HTTP/1.1 connection, with upgrades (WebSockets).
async fn serve_h1<IO, S, B>(
    stream: IO,
    service: S,
    guard: Arc<ConnGuard>,
    limits: ConnLimits,
) -> Result<(), hyper::Error>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: ConnService<B>,
    B: ConnBody,
{
    let drain_guard = guard.clone();
    let io = TokioIo::new(Http1Io::new(stream, guard.clone(), limits.head));
    let service =
        service_fn(move |request: http::Request<Incoming>| guard.answering(service.call(request)));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .keep_alive(true)
        .max_header_size(limits.head.max_head_size)
        // The read buffer: hyper's minimum is 8 KiB.
        .max_buf_size(limits.head.max_head_size.max(8 << 10));
    if limits.head.max_headers != HYPER_MAX_HEADERS {
        // Another count moves hyper's header parsing to the heap.
        builder.max_headers(limits.head.max_headers);
    }
    let connection = builder.serve_connection(io, service).with_upgrades();
    until_drained(connection, drain_guard, |c| c.graceful_shutdown()).await
}

/// Runs a connection; once the server drains, asks it to finish what is in
/// flight and close.
fn until_drained<C, T, E>(
    connection: C,
    guard: Arc<ConnGuard>,
    shutdown: fn(Pin<&mut C>),
) -> UntilDrained<C>
where
    C: Future<Output = Result<T, E>>,
{
    UntilDrained {
        connection,
        guard,
        shutdown: Some(shutdown),
        registered: None,
    }
}

pin_project_lite::pin_project! {
    /// A connection that its guard tells when the server drains.
    struct UntilDrained<C> {
        #[pin]
        connection: C,
        guard: Arc<ConnGuard>,
        shutdown: Option<fn(Pin<&mut C>)>,
        // The waker the guard holds: a task's waker rarely changes, so it
        // is handed over again only when it does.
        registered: Option<std::task::Waker>,
    }
}

impl<C: Future> Future for UntilDrained<C> {
    type Output = C::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<C::Output> {
        let mut this = self.project();
        if this.shutdown.is_some() {
            if !this
                .registered
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()))
            {
                this.guard.wake_on_drain(cx.waker());
                *this.registered = Some(cx.waker().clone());
            }
            if this.guard.is_draining() {
                if let Some(shutdown) = this.shutdown.take() {
                    shutdown(this.connection.as_mut());
                }
            }
        }
        this.connection.poll(cx)
    }
}

/// 431 for more headers than `max`.
fn too_many_headers(max: usize) -> Rejection {
    Rejection::new(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        format!("the request has more than {max} headers"),
    )
}

/// RFC 9112: an HTTP/1.1 request has exactly one `Host` header (HTTP/1.0
/// may have none; HTTP/2 has `:authority`). Checked before the routes and
/// the tower layers.
fn host_problem<B>(request: &http::Request<B>) -> Option<Rejection> {
    if request.version() != http::Version::HTTP_11 {
        return None;
    }
    let headers = request.headers();
    // Clients send `Host` first, and most requests repeat no header name:
    // then `Host` is there once, without a lookup.
    if headers.len() == headers.keys_len() && headers.keys().next() == Some(&HOST) {
        return None;
    }
    let mut hosts = headers.get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), None) => None,
        (None, _) => Some(Rejection::bad_request(
            "an HTTP/1.1 request needs a `Host` header",
        )),
        (Some(_), Some(_)) => Some(Rejection::bad_request(
            "a request has one `Host` header, not several",
        )),
    }
}

/// The first bytes of a connection, read to tell HTTP/2 from HTTP/1.
struct Sniffed {
    prefix: [u8; 24],
    len: usize,
}

impl Sniffed {
    fn is_h2(&self) -> bool {
        self.prefix[..self.len] == H2_PREFACE[..]
    }

    /// The stream with these bytes put back in front.
    fn rewind<S>(self, io: S) -> Rewind<S> {
        Rewind {
            prefix: self.prefix,
            start: 0,
            end: self.len,
            io,
        }
    }
}

/// Reads the first bytes, until they differ from the HTTP/2 preface or
/// are all of it; `None` if the peer closed first. A partial preface waits
/// for more bytes (readiness, no polling on a timer).
async fn sniff<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<Option<Sniffed>> {
    let mut prefix = [0u8; 24];
    let mut len = 0;
    loop {
        let read = stream.read(&mut prefix[len..]).await?;
        if read == 0 {
            return Ok(None);
        }
        len += read;
        if prefix[..len] != H2_PREFACE[..len] || len == H2_PREFACE.len() {
            return Ok(Some(Sniffed { prefix, len }));
        }
    }
}

/// A stream whose first bytes, already read, are read again.
struct Rewind<S> {
    prefix: [u8; 24],
    start: usize,
    end: usize,
    io: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    #[inline]
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.start < self.end {
            let n = (self.end - self.start).min(buf.remaining());
            let start = self.start;
            buf.put_slice(&self.prefix[start..start + n]);
            self.start += n;
            // Whatever follows, in the same read: a first read that holds
            // the whole request head keeps hyper's read buffer at its
            // initial size. What is not there yet (or an error) waits for
            // the next read.
            if buf.remaining() > 0 {
                let _ = Pin::new(&mut self.io).poll_read(cx, buf);
            }
            return std::task::Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    #[inline]
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    #[inline]
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    #[inline]
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    #[inline]
    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
