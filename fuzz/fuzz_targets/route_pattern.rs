//! The `#[route]` attribute's path parser, the macro's own code (included
//! here by path: a proc-macro crate cannot be linked): any pattern is
//! parsed or refused with diagnostics, never a panic, and what it accepts
//! stays within the syntax's limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proc_macro2::Span;

#[allow(dead_code)]
#[path = "../../usrv-macros/src/diagnostic.rs"]
mod diagnostic;
#[allow(dead_code)]
#[path = "../../usrv-macros/src/suggest.rs"]
mod suggest;
#[allow(dead_code)]
#[path = "../../usrv-macros/src/syntax.rs"]
mod syntax;
#[allow(dead_code)]
#[path = "../../usrv-macros/src/tokens.rs"]
mod tokens;

#[allow(dead_code)]
#[path = "route_pattern/route.rs"]
mod route;

fuzz_target!(|data: &[u8]| {
    let Ok(pattern) = std::str::from_utf8(data) else {
        return;
    };
    match route::path::parse(pattern, Span::call_site()) {
        Ok(segments) => {
            let params = route::path::params(&segments);
            assert!(params.len() <= syntax::MAX_PARAMS, "{pattern:?}");
            assert!(pattern.starts_with('/'), "accepted {pattern:?}");
        }
        Err(diagnostics) => assert!(!diagnostics.is_empty(), "refused {pattern:?} in silence"),
    }
});
