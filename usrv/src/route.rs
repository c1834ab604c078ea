//! What `#[route]` registers: one [`Route`] per function, already parsed at
//! compile time, collected through `inventory`.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Method;

use crate::extract::{Ctx, StateType};
use crate::rejection::Rejection;
use crate::response::{IntoResponse, Response};

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
}

inventory::collect!(Route);

impl Route {
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
    inventory::iter::<Route>.into_iter()
}

impl Route {
    /// Extracts the arguments and runs the handler; a panic answers 500.
    /// An async handler's future is returned unpolled, so that nothing
    /// borrowed from the request is held across its `.await`.
    pub(crate) fn invoke(&self, ctx: &Ctx<'_>) -> Outcome {
        match std::panic::catch_unwind(AssertUnwindSafe(|| (self.call)(ctx))) {
            Ok(Ok(Answer::Ready(response))) => Outcome::Now(response),
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
            Ok(poll) => poll,
            Err(panic) => Poll::Ready(panic_response(panic_text(&panic))),
        }
    }
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
