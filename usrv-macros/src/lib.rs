//! The `#[route]` attribute of [usrv](https://docs.rs/usrv).
//!
//! Use it through `usrv::route`; this crate only generates code that refers
//! to `::usrv`. See the `usrv` crate for the full documentation.
//!
//! - `syntax`: the route syntax (methods, converters, the parameter limit),
//!   defined once for the macro and, through `__route_syntax!()`, the
//!   runtime;
//! - `route`: the attribute, one module per concern;
//! - `diagnostic`: errors and warnings at the user's tokens, with notes and
//!   helps.
#![forbid(unsafe_code)]

mod diagnostic;
mod route;
mod suggest;
mod syntax;
mod tokens;

use proc_macro::TokenStream;

/// Turns a plain function into an HTTP endpoint registered with usrv.
///
/// ```text
/// #[usrv::route("/hello/<name>")]
/// fn hello(name: String) -> (u16, String) {
///     (200, format!("Hello, {name}!"))
/// }
/// ```
///
/// Options after the path: `methods = ["GET", "POST"]` (default GET),
/// `signed` (the sender must sign the request), `encrypted` (bodies must be
/// sealed; implies `signed`), `blocking` (run a synchronous handler on the
/// blocking thread pool).
///
/// A literal segment is compared with the request path as sent, so it is
/// written as a client sends it: letters, digits, `-._~!$&'()*+,;=:@` as
/// they are and anything else percent-encoded (`%20`); `?` and `#` are
/// errors (query values are arguments). At most one argument may decode the
/// body (`Json<T>`, `Form<T>` or `Multipart`); `Bytes`, `Request` and
/// `Kwargs` see the same body beside it. A body argument on a route that
/// answers only GET or HEAD raises a warning (the `deprecated` lint:
/// `#[allow(deprecated)]` on the function silences it).
#[proc_macro_attribute]
pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(attr.into(), item.into()).into()
}

/// The runtime's copy of the route syntax: `METHODS` (the methods in the
/// order of `MethodSet`'s bits), `method_index` and `MAX_PARAMS`. Invoked
/// once, by `usrv` itself; not a public API.
#[doc(hidden)]
#[proc_macro]
pub fn __route_syntax(input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    if !input.is_empty() {
        let error = diagnostic::Diagnostic::spanned(&input, "`__route_syntax!()` takes no input");
        return error.to_compile_error().into();
    }
    syntax::runtime_definitions().into()
}
