//! What the function itself must be: not generic, not `unsafe`, not
//! variadic, and `blocking` only when it is synchronous.

use syn::{ItemFn, Signature};

use super::attribute::Attribute;
use crate::diagnostic::{Diagnostic, Diagnostics};

/// Reports every problem of the signature, apart from its arguments.
pub fn check(sig: &Signature, attribute: &Attribute, diagnostics: &mut Diagnostics) {
    if !sig.generics.params.is_empty() {
        diagnostics.error(
            Diagnostic::spanned(&sig.generics, "a route function cannot be generic")
                .note("the framework must know the type of every argument to extract it")
                .help("use concrete types"),
        );
    }
    if let Some(token) = &sig.unsafety {
        diagnostics.error(
            Diagnostic::new(token.span, "a route function cannot be `unsafe`")
                .note("the framework calls it from safe code"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        diagnostics.error(Diagnostic::spanned(
            variadic,
            "a route function cannot be variadic",
        ));
    }
    if let (Some(blocking), Some(_)) = (attribute.blocking, sig.asyncness) {
        diagnostics.error(
            Diagnostic::new(blocking, "`blocking` is for synchronous functions")
                .note("an async function already runs on the async workers")
                .help("remove `blocking` or `async`"),
        );
    }
}

/// One `#[route]` per function: each defines the type named like the
/// function (`name::ROUTE`, `name::uri`, `name::call`).
pub fn check_single_route(function: &ItemFn, diagnostics: &mut Diagnostics) {
    let routes = function.attrs.iter().filter(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "route")
    });
    for attr in routes {
        diagnostics.error(
            Diagnostic::spanned(attr, "a function has one `#[route]`")
                .note(format!(
                    "each route defines the type `{}` beside the function, for its `ROUTE`, `uri` and `call`",
                    function.sig.ident
                ))
                .help("to answer several paths, write one function per path; to answer several methods, list them: `methods = [\"GET\", \"POST\"]`"),
        );
    }
}
