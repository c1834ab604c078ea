//! What `#[route]` registers: one [`Route`] per function, already parsed at
//! compile time, collected through `inventory`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Method;

use crate::extract::{Ctx, FromParam, StateType};
use crate::rejection::Rejection;
use crate::response::{IntoResponse, Response, Upgrading};
use crate::schema::SchemaFn;

/// How a path parameter is converted; written `<kind:name>` in the path.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Converter {
    /// `<name>`: any [`FromParam`](crate::FromParam) type.
    Any,
    /// `<int:name>`: an integer type.
    Int,
    /// `<float:name>`: `f32` or `f64`.
    Float,
    /// `<str:name>`: a string type.
    Str,
    /// `<path:name>`: the rest of the path, slashes included.
    Path,
}

/// One `/`-separated piece of a route path.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Matches exactly this text.
    Literal(&'static str),
    /// Captures one segment (or the rest of the path for `Path`).
    Param(Converter, &'static str),
}

/// The set of HTTP methods a route answers, one bit per method.
#[doc(hidden)]
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct MethodSet(u16);

// `METHODS` (in bit order), `method_index` and `MAX_PARAMS`, written from
// the one definition of the route syntax that the macro checks routes against.
usrv_macros::__route_syntax!();

impl MethodSet {
    /// The set with these bits (bit `i` is the `i`-th method of the macro's list).
    pub const fn from_bits(bits: u16) -> MethodSet {
        MethodSet(bits)
    }

    /// The bit of one method; `None` for extension methods.
    pub fn of(method: &Method) -> MethodSet {
        match method_index(method) {
            Some(index) => MethodSet(1 << index),
            None => MethodSet(0),
        }
    }

    /// Whether the two sets share a method.
    pub const fn intersects(self, other: MethodSet) -> bool {
        self.0 & other.0 != 0
    }

    /// The methods both sets have.
    pub const fn intersection(self, other: MethodSet) -> MethodSet {
        MethodSet(self.0 & other.0)
    }

    /// Both sets together.
    pub const fn union(self, other: MethodSet) -> MethodSet {
        MethodSet(self.0 | other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The methods in the set, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = &'static Method> {
        METHODS
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, m)| m)
    }
}

impl fmt::Debug for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// What a route's glue returns once the arguments are extracted.
#[doc(hidden)]
pub enum Answer {
    /// A synchronous handler already answered.
    Ready(Response),
    /// An async (or blocking) handler answers later.
    Pending(Pin<Box<dyn Future<Output = Response> + Send>>),
}

impl Answer {
    /// Runs a synchronous handler on the blocking thread pool.
    pub fn blocking<F>(handler: F) -> Answer
    where
        F: FnOnce() -> Response + Send + 'static,
    {
        Answer::Pending(Box::pin(async move {
            match tokio::task::spawn_blocking(handler).await {
                Ok(response) => response,
                Err(error) => panic_response(&error.to_string()),
            }
        }))
    }
}

/// The extraction glue the macro generates for one function.
#[doc(hidden)]
pub type CallFn = fn(&Ctx<'_>) -> Result<Answer, Rejection>;

/// One route: what `#[route]` registers for a function, its path already
/// parsed. Every route of the program is served by default;
/// [`App::with_routes`](crate::App::with_routes) and
/// [`Server::routes`](crate::Server::routes) take a chosen set.
///
/// The fields are filled by the macro; read them through the methods.
pub struct Route {
    /// The function's name.
    #[doc(hidden)]
    pub name: &'static str,
    /// `module_path!()` of the function.
    #[doc(hidden)]
    pub module: &'static str,
    /// `file!()` of the function.
    #[doc(hidden)]
    pub file: &'static str,
    /// `line!()` of the function.
    #[doc(hidden)]
    pub line: u32,
    /// The path as written in the attribute, for messages.
    #[doc(hidden)]
    pub pattern: &'static str,
    /// The path, parsed by the macro.
    #[doc(hidden)]
    pub segments: &'static [Segment],
    /// The methods it answers.
    #[doc(hidden)]
    pub methods: MethodSet,
    /// The sender must sign the request.
    #[doc(hidden)]
    pub signed: bool,
    /// Request bodies must be sealed and replies are always sealed.
    #[doc(hidden)]
    pub encrypted: bool,
    /// An argument reads the body, so it is collected before the call.
    #[doc(hidden)]
    pub uses_body: bool,
    /// An argument takes the body unread, as a stream (`BodyStream`).
    #[doc(hidden)]
    pub streams_body: bool,
    /// An argument takes over the connection (`WebSocketUpgrade`).
    #[doc(hidden)]
    pub upgrades: bool,
    /// The state each argument reads (`State<T>`), if any, checked at start-up.
    #[doc(hidden)]
    pub states: &'static [Option<StateType>],
    /// Every argument name, in order (the catch-all map skips them).
    #[doc(hidden)]
    pub arg_names: &'static [&'static str],
    /// The extraction glue.
    #[doc(hidden)]
    pub call: CallFn,
    /// What the OpenAPI document says of it.
    #[doc(hidden)]
    pub api: Api,
}

/// A route as the OpenAPI document describes it, from the function's
/// signature and doc comment.
#[doc(hidden)]
#[derive(Debug)]
pub struct Api {
    /// The doc comment, one line per `///` line.
    pub doc: &'static str,
    /// `CARGO_PKG_NAME` and `CARGO_PKG_VERSION` of the crate of the
    /// function (empty when not built by cargo): the document's title.
    pub package: &'static str,
    pub version: &'static str,
    /// Every argument, in order.
    pub args: &'static [ApiArg],
    /// What the function returns.
    pub reply: ApiReply,
}

impl Api {
    /// A route described by nothing: no doc, no argument, any response.
    pub const NONE: Api = Api {
        doc: "",
        package: "",
        version: "",
        args: &[],
        reply: ApiReply::Any,
    };
}

/// One argument of a route.
#[doc(hidden)]
pub struct ApiArg {
    pub name: &'static str,
    pub kind: ArgKind,
    /// The schema of its value: the path value, the query value (`T` of
    /// `Option<T>` and `Vec<T>`), the body payload (`T` of `Json<T>`).
    pub schema: SchemaFn,
}

impl fmt::Debug for ApiArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiArg")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Where an argument comes from, as the document tells it.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub enum ArgKind {
    /// A path parameter.
    Path,
    /// A query value, or an extractor of the user's: the probe says which.
    Value(fn() -> Presence),
    /// The body: JSON, a form, multipart parts, raw bytes.
    Json,
    Form,
    Multipart,
    Bytes,
    /// `Kwargs` or `Args`: the rest of the query (may answer 400).
    CatchAll,
    /// From the request, never a bad request: headers, the sender...
    Context,
}

impl fmt::Debug for ArgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgKind::Path => f.write_str("Path"),
            ArgKind::Value(presence) => write!(f, "Value({:?})", presence()),
            ArgKind::Json => f.write_str("Json"),
            ArgKind::Form => f.write_str("Form"),
            ArgKind::Multipart => f.write_str("Multipart"),
            ArgKind::Bytes => f.write_str("Bytes"),
            ArgKind::CatchAll => f.write_str("CatchAll"),
            ArgKind::Context => f.write_str("Context"),
        }
    }
}

/// What kind of query value an argument type is.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// `T: FromParam`: required.
    Required,
    /// `Option<T>`.
    Optional,
    /// `Vec<T>`: every value of a repeated key.
    Repeated,
    /// Not a query value: an extractor of the user's.
    Extractor,
}

/// Tells a query value from an extractor by its traits:
/// `(&&Probe::<T>::new()).presence()`.
#[doc(hidden)]
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    /// The probe for `T`.
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

impl<T: ?Sized> Default for Probe<T> {
    fn default() -> Self {
        Probe::new()
    }
}

/// The query values (chosen first).
#[doc(hidden)]
pub trait ProbeQuery {
    /// Its presence.
    fn presence(&self) -> Presence;
}

impl<T: FromParam> ProbeQuery for &Probe<T> {
    fn presence(&self) -> Presence {
        Presence::Required
    }
}

impl<T: FromParam> ProbeQuery for &Probe<Option<T>> {
    fn presence(&self) -> Presence {
        Presence::Optional
    }
}

impl<T: FromParam> ProbeQuery for &Probe<Vec<T>> {
    fn presence(&self) -> Presence {
        Presence::Repeated
    }
}

/// Any other argument type: an extractor.
#[doc(hidden)]
pub trait ProbeExtractor {
    /// [`Presence::Extractor`].
    fn presence(&self) -> Presence {
        Presence::Extractor
    }
}

impl<T: ?Sized> ProbeExtractor for Probe<T> {}

/// What a route returns, as the document tells it.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub enum ApiReply {
    /// `(status, v1, ..., vn)`: JSON with a status the handler chooses.
    Tuple(&'static [SchemaFn]),
    /// `Json<T>`: JSON, 200.
    Json(SchemaFn),
    /// `String`, `&'static str`: text, 200.
    Text,
    /// `()`: 204.
    Empty,
    /// `StatusCode`: any status, no body.
    Status,
    /// `Bytes`: `application/octet-stream`, 200.
    Bytes,
    /// `Rejection`: a framework-style error.
    Rejection,
    /// `Result<T, E>`: either.
    Result(&'static ApiReply, &'static ApiReply),
    /// A response of its own: anything.
    Any,
}

impl fmt::Debug for ApiReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiReply::Tuple(values) => write!(f, "Tuple({})", values.len()),
            ApiReply::Json(_) => f.write_str("Json"),
            ApiReply::Text => f.write_str("Text"),
            ApiReply::Empty => f.write_str("Empty"),
            ApiReply::Status => f.write_str("Status"),
            ApiReply::Bytes => f.write_str("Bytes"),
            ApiReply::Rejection => f.write_str("Rejection"),
            ApiReply::Result(ok, err) => write!(f, "Result({ok:?}, {err:?})"),
            ApiReply::Any => f.write_str("Any"),
        }
    }
}

/// What `#[route]` submits to `inventory`: the route's own static, so that
/// the registration and `name::ROUTE` are one and the same.
#[doc(hidden)]
pub struct Registered(pub &'static Route);

inventory::collect!(Registered);

impl Route {
    /// A route made at run time, for benchmarks, tools and tests (a
    /// table of 10,000 routes, say): `pattern` with literal segments and
    /// `<name>`, `<int:name>`, `<float:name>`, `<str:name>` or
    /// `<path:name>` (`<path:..>` last), unchecked, unlike `#[route]`'s;
    /// `call` answers it; its location is the caller's. It is leaked, to
    /// live as long as the program as `#[route]`'s statics do: make each
    /// once.
    #[doc(hidden)]
    #[track_caller]
    pub fn leaked(
        module: &'static str,
        name: &'static str,
        pattern: &'static str,
        methods: MethodSet,
        call: CallFn,
    ) -> &'static Route {
        let segments: Vec<Segment> = pattern
            .split('/')
            .filter(|piece| !piece.is_empty())
            .map(
                |piece| match piece.strip_prefix('<').and_then(|p| p.strip_suffix('>')) {
                    Some(inner) => match inner.split_once(':') {
                        Some(("int", name)) => Segment::Param(Converter::Int, name),
                        Some(("float", name)) => Segment::Param(Converter::Float, name),
                        Some(("str", name)) => Segment::Param(Converter::Str, name),
                        Some(("path", name)) => Segment::Param(Converter::Path, name),
                        Some((_, name)) => Segment::Param(Converter::Any, name),
                        None => Segment::Param(Converter::Any, inner),
                    },
                    None => Segment::Literal(piece),
                },
            )
            .collect();
        let location = std::panic::Location::caller();
        Box::leak(Box::new(Route {
            name,
            module,
            file: location.file(),
            line: location.line(),
            pattern,
            segments: Box::leak(segments.into_boxed_slice()),
            methods,
            signed: false,
            encrypted: false,
            uses_body: false,
            streams_body: false,
            upgrades: false,
            states: &[],
            arg_names: &[],
            call,
            api: Api::NONE,
        }))
    }

    /// The function's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The path pattern as written in the attribute.
    pub fn pattern(&self) -> &'static str {
        self.pattern
    }

    /// The methods it answers.
    pub fn methods(&self) -> impl Iterator<Item = &'static Method> {
        self.methods.iter()
    }

    /// Whether requests must be signed (`signed` or `encrypted`, or an
    /// `Identity` argument).
    pub fn is_signed(&self) -> bool {
        self.signed
    }

    /// Whether bodies must be sealed (`encrypted`).
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// `` `module::name` (file:line) ``, how messages point at the function.
    pub fn location(&self) -> String {
        format!(
            "`{}::{}` ({}:{})",
            self.module, self.name, self.file, self.line
        )
    }

    /// The state types the route reads (`State<T>` arguments), by name.
    pub fn state_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.required_states().map(|(_, name)| name)
    }

    /// The state types the route reads, with their `TypeId`s.
    pub(crate) fn required_states(
        &self,
    ) -> impl Iterator<Item = (std::any::TypeId, &'static str)> + '_ {
        self.states.iter().flatten().map(|state| state())
    }

    /// Whether the route takes something of the request as a stream (the
    /// body, or the connection).
    pub(crate) fn streams(&self) -> bool {
        self.streams_body || self.upgrades
    }

    /// The number of path parameters.
    pub fn param_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Param(..)))
            .count()
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("pattern", &self.pattern)
            .field("methods", &self.methods)
            .field("function", &self.location())
            .finish()
    }
}

/// Every route registered with `#[route]` in the linked program.
pub(crate) fn registered() -> impl Iterator<Item = &'static Route> {
    inventory::iter::<Registered>
        .into_iter()
        .map(|registered| registered.0)
}

impl Route {
    /// Extracts the arguments and runs the handler; a panic answers 500.
    /// An async handler's future is returned unpolled, so that nothing
    /// borrowed from the request is held across its `.await`.
    pub(crate) fn invoke(&self, ctx: &Ctx<'_>) -> Outcome {
        match std::panic::catch_unwind(AssertUnwindSafe(|| (self.call)(ctx))) {
            Ok(Ok(Answer::Ready(mut response))) => {
                check_final_status(&mut response);
                Outcome::Now(response)
            }
            Ok(Ok(Answer::Pending(future))) => Outcome::Later(CatchPanic(future)),
            Ok(Err(rejection)) => Outcome::Now(rejection.into_response()),
            Err(panic) => Outcome::Now(panic_response(panic_text(&panic))),
        }
    }
}

/// A handler's response, now or once its future completes.
pub(crate) enum Outcome {
    Now(Response),
    Later(CatchPanic),
}

impl Outcome {
    /// The response, awaiting the handler if it answers later.
    pub async fn finish(self) -> Response {
        match self {
            Outcome::Now(response) => response,
            Outcome::Later(future) => future.await,
        }
    }
}

/// Polls a handler's future, turning a panic into a 500.
pub(crate) struct CatchPanic(Pin<Box<dyn Future<Output = Response> + Send>>);

impl Future for CatchPanic {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(poll) => poll.map(|mut response| {
                check_final_status(&mut response);
                response
            }),
            Err(panic) => Poll::Ready(panic_response(panic_text(&panic))),
        }
    }
}

/// A handler's response must carry a final status, 200 to 599 (a 1xx is
/// not a final answer, and HTTP has no status above 599); anything else is
/// logged and answered 500. A 101 that switches protocols is marked by the
/// code that performs the upgrade (the `Upgrading` response extension).
#[inline]
fn check_final_status(response: &mut Response) {
    let status = response.status().as_u16();
    if (200..=599).contains(&status) {
        return;
    }
    refuse_status(response, status);
}

/// `check_final_status`'s rare path: a 101 of an upgrade passes, anything
/// else becomes a logged 500.
#[cold]
fn refuse_status(response: &mut Response, status: u16) {
    if status == 101 && response.extensions().get::<Upgrading>().is_some() {
        return;
    }
    tracing::error!(target: "usrv", status, "a handler returned a status that is not a final HTTP status");
    *response = Rejection::internal(format!(
        "the handler returned the status {status}, which is not a final HTTP status (200 to 599)"
    ))
    .into_response();
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// A handler panicked: log it, answer 500 without the panic text.
fn panic_response(message: &str) -> Response {
    tracing::error!(target: "usrv", panic = message, "a handler panicked");
    Rejection::internal("the handler panicked").into_response()
}

/// A route built by hand for unit tests (see [`Route::leaked`]); its
/// handler is never called.
#[cfg(test)]
#[track_caller]
pub(crate) fn test_route(
    module: &'static str,
    name: &'static str,
    pattern: &'static str,
    methods: u16,
) -> &'static Route {
    Route::leaked(module, name, pattern, MethodSet::from_bits(methods), |_| {
        unreachable!("a test route is never called")
    })
}
