//! What `#[route]` registers: one [`Route`] per function, already parsed at
//! compile time, collected through `inventory`.

use std::fmt;

use http::Method;

use crate::extract::Ctx;
use crate::response::Response;
use crate::Rejection;

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
pub enum Reply {
    /// A synchronous handler already answered.
    Ready(Response),
    /// An async (or blocking) handler answers later.
    Pending(std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>),
}

impl Reply {
    /// Runs a synchronous handler on the blocking thread pool.
    pub fn blocking<F>(handler: F) -> Reply
    where
        F: FnOnce() -> Response + Send + 'static,
    {
        Reply::Pending(Box::pin(async move {
            match tokio::task::spawn_blocking(handler).await {
                Ok(response) => response,
                Err(error) => crate::app::panic_response(&error.to_string()),
            }
        }))
    }
}

/// The extraction glue the macro generates for one function.
#[doc(hidden)]
pub type CallFn = fn(&Ctx<'_>) -> Result<Reply, Rejection>;

/// One registered route: what `#[route]` emits, already parsed.
#[doc(hidden)]
pub struct Route {
    /// The function's name.
    pub name: &'static str,
    /// `module_path!()` of the function.
    pub module: &'static str,
    /// `file!()` of the function.
    pub file: &'static str,
    /// `line!()` of the function.
    pub line: u32,
    /// The path as written in the attribute, for messages.
    pub pattern: &'static str,
    /// The path, parsed by the macro.
    pub segments: &'static [Segment],
    /// The methods it answers.
    pub methods: MethodSet,
    /// The sender must sign the request.
    pub signed: bool,
    /// Request bodies must be sealed and replies are always sealed.
    pub encrypted: bool,
    /// An argument reads the body, so it is collected before the call.
    pub uses_body: bool,
    /// Every argument name, in order (the catch-all map skips them).
    pub arg_names: &'static [&'static str],
    /// The extraction glue.
    pub call: CallFn,
}

inventory::collect!(Route);

impl Route {
    /// `name (file:line)`, how messages point at the function.
    pub fn location(&self) -> String {
        format!(
            "`{}::{}` ({}:{})",
            self.module, self.name, self.file, self.line
        )
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
