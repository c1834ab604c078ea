//! `usrv::serve()`: the builder, the accept loop and graceful shutdown.

use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};
use usrv_crypto::{PublicKey, ReplayStore, SecretKey};

use crate::app::{App, AppConfig};
use crate::error::Error;
use crate::guard::{watchdog, GuardedIo, HeadGuard, WatchedBody};
use crate::lifecycle::{Phase, Watch};
use crate::rejection::Rejection;
use crate::response::IntoResponse;
use crate::route::Route;
use crate::tls::Tls;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The app under the tower layers given to [`Server::layer`].
pub type LayeredService = BoxCloneSyncService<
    http::Request<Incoming>,
    http::Response<UnsyncBoxBody<Bytes, BoxError>>,
    BoxError,
>;

type Wrap = std::sync::Arc<dyn Fn(App) -> LayeredService + Send + Sync>;

/// The address `serve()` binds by default: the original's.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5000";

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
    header_read_timeout: Duration,
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
            header_read_timeout: Duration::from_secs(10),
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

    /// How long a client may take to send a request head, and how long an
    /// idle HTTP/1 keep-alive connection is kept (default 10 s): the
    /// slowloris guard.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
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
            header_read_timeout: self.header_read_timeout,
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
    header_read_timeout: Duration,
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
        .map_response(|response: http::Response<B>| {
            response.map(|body| body.map_err(Into::into).boxed_unsync())
        })
        .map_err(Into::into);
    BoxCloneSyncService::new(service)
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
        loop {
            tokio::select! {
                // Reap finished connections so that the set stays small.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = listener.accept() => match accepted {
                    Ok((stream, _peer)) => {
                        let _ = stream.set_nodelay(true);
                        let (timeout, watcher) = (settings.header_read_timeout, app.lifecycle().watch());
                        match &layered {
                            None => {
                                let app = app.clone();
                                let service = service_fn(move |request: http::Request<Incoming>| {
                                    let app = app.clone();
                                    async move { Ok::<_, Infallible>(app.handle(request).await) }
                                });
                                spawn_connection(&mut connections, stream, tls.clone(), service, timeout, watcher);
                            }
                            Some(layered) => {
                                let layered = layered.clone();
                                let service = service_fn(move |request: http::Request<Incoming>| {
                                    let layered = layered.clone();
                                    async move {
                                        Ok::<_, Infallible>(match layered.oneshot(request).await {
                                            Ok(response) => response,
                                            Err(error) => layer_error(error),
                                        })
                                    }
                                });
                                spawn_connection(&mut connections, stream, tls.clone(), service, timeout, watcher);
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
    // Fails only when another subscriber won a race: then that one logs.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// A tower layer failed: log it, answer 500.
fn layer_error(error: BoxError) -> http::Response<UnsyncBoxBody<Bytes, BoxError>> {
    tracing::error!(target: "usrv", %error, "a tower layer failed");
    Rejection::internal("a middleware failed")
        .into_response()
        .map(|body| body.boxed_unsync())
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

/// The first bytes of an HTTP/2 connection.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Spawns a connection's task and the watchdog of its slowloris guard.
fn spawn_connection<S, B>(
    connections: &mut tokio::task::JoinSet<()>,
    stream: TcpStream,
    tls: Option<Tls>,
    service: S,
    header_timeout: Duration,
    watcher: Watch,
) where
    S: hyper::service::Service<
            http::Request<Incoming>,
            Response = http::Response<B>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + WatchedBody + Send + 'static,
    B::Error: Into<BoxError>,
{
    let guard = HeadGuard::new();
    let connection = serve_connection(stream, tls, service, guard.clone(), watcher);
    let connection = connections.spawn(connection);
    connections.spawn(watchdog(guard, header_timeout, connection));
}

/// Serves one connection: over TLS, HTTP/2 or HTTP/1.1 as ALPN chose;
/// otherwise HTTP/2 (prior knowledge) or HTTP/1.1 as its first bytes say.
/// The connection holds its watch of the server's life until it ends.
async fn serve_connection<S, B>(
    stream: TcpStream,
    tls: Option<Tls>,
    service: S,
    guard: Arc<HeadGuard>,
    watcher: Watch,
) where
    S: hyper::service::Service<
            http::Request<Incoming>,
            Response = http::Response<B>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + WatchedBody + Send + 'static,
    B::Error: Into<BoxError>,
{
    // A peer that stays silent (or sends half a preface or half a TLS
    // handshake) is left to the guard's watchdog, which aborts this task at
    // the header timeout.
    if let Some(tls) = tls {
        if let Some((stream, is_h2)) = tls.accept(stream).await {
            serve_stream(stream, is_h2, service, guard, watcher).await;
        }
        return;
    }
    let Ok(Some(is_h2)) = sniff_h2(&stream).await else {
        return;
    };
    serve_stream(stream, is_h2, service, guard, watcher).await;
}

/// Serves one connection as HTTP/2 or HTTP/1.1 (with upgrades, for
/// WebSockets); the HTTP/1 requests and response bodies report to the
/// connection's slowloris guard.
async fn serve_stream<IO, S, B>(
    stream: IO,
    is_h2: bool,
    service: S,
    guard: Arc<HeadGuard>,
    watcher: Watch,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            http::Request<Incoming>,
            Response = http::Response<B>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + WatchedBody + Send + 'static,
    B::Error: Into<BoxError>,
{
    let result = if is_h2 {
        // Idle HTTP/2 connections are normal; pings detect dead peers.
        guard.busy();
        let io = TokioIo::new(stream);
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .keep_alive_interval(Some(Duration::from_secs(20)))
            .keep_alive_timeout(Duration::from_secs(20))
            .max_concurrent_streams(256);
        let connection = builder.serve_connection(io, service);
        until_drained(connection, watcher, |c| c.graceful_shutdown()).await
    } else {
        let io = TokioIo::new(GuardedIo {
            io: stream,
            guard: guard.clone(),
        });
        let service = service_fn(move |request: http::Request<Incoming>| {
            guard.busy();
            let response = service.call(request);
            let guard = guard.clone();
            async move {
                let mut response = response.await;
                match &mut response {
                    // The connection leaves hyper (a WebSocket): no
                    // deadline, and its writes no longer read the clock.
                    Ok(response) if response.status() == http::StatusCode::SWITCHING_PROTOCOLS => {}
                    Ok(response) => {
                        guard.idle();
                        response.body_mut().watch(&guard);
                    }
                    Err(never) => match *never {},
                }
                response
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.keep_alive(true);
        let connection = builder.serve_connection(io, service).with_upgrades();
        until_drained(connection, watcher, |c| c.graceful_shutdown()).await
    };
    if let Err(error) = result {
        tracing::debug!(target: "usrv", %error, "connection ended with an error");
    }
}

/// Runs a connection; once the server drains, asks it to finish what is in
/// flight and close.
fn until_drained<C, T, E>(
    connection: C,
    watch: Watch,
    shutdown: fn(Pin<&mut C>),
) -> UntilDrained<C, impl Future<Output = ()>>
where
    C: Future<Output = Result<T, E>>,
{
    UntilDrained {
        connection,
        draining: watch.clone().left_serving(),
        shutdown: Some(shutdown),
        _watch: watch,
    }
}

pin_project_lite::pin_project! {
    /// A connection and the watch of the server's life that it holds.
    struct UntilDrained<C, D> {
        #[pin]
        connection: C,
        #[pin]
        draining: D,
        shutdown: Option<fn(Pin<&mut C>)>,
        // Held until the connection ends.
        _watch: Watch,
    }
}

impl<C, D> Future for UntilDrained<C, D>
where
    C: Future,
    D: Future<Output = ()>,
{
    type Output = C::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<C::Output> {
        let mut this = self.project();
        if this.shutdown.is_some() && this.draining.poll(cx).is_ready() {
            if let Some(shutdown) = this.shutdown.take() {
                shutdown(this.connection.as_mut());
            }
        }
        this.connection.poll(cx)
    }
}

/// Peeks at the first bytes: `Some(true)` for the HTTP/2 preface,
/// `Some(false)` for anything else, `None` if the peer closed first.
async fn sniff_h2(stream: &TcpStream) -> std::io::Result<Option<bool>> {
    let mut buffer = [0u8; 24];
    loop {
        let read = stream.peek(&mut buffer).await?;
        if read == 0 {
            return Ok(None);
        }
        if buffer[..read] != H2_PREFACE[..read] {
            return Ok(Some(false));
        }
        if read == H2_PREFACE.len() {
            return Ok(Some(true));
        }
        // A partial preface: wait for the rest (peek does not consume).
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
