//! Arguments that read the request body.
//!
//! The body is collected once, before the call, and every argument that
//! reads it sees the same bytes. So the raw *viewers* (`Bytes`, `Request`,
//! `Kwargs`) go with anything, but two *decoders* (`Json<T>`, `Form<T>`,
//! `Multipart`) cannot: each needs its own `Content-Type`, so one of two
//! different decoders would always answer 415, and two of the same kind
//! decode the same bytes twice. The second decoder is an error.
//!
//! On a route that answers only GET and/or HEAD, an argument whose only
//! purpose is the body (a decoder, `Bytes` or `BodyStream`) is a warning: content in
//! such a request has no defined meaning (RFC 9110, section 9.3), and
//! clients and proxies may drop it. `Request` and `Kwargs` show the whole
//! request and are fine there. `#[allow(deprecated)]` on the function
//! silences the warning (it is raised as the `deprecated` lint).
//!
//! The macro sees syntax, not types: an argument is recognised by the last
//! segment of its type's path (`Json<T>`, `usrv::Json<T>`), as the
//! documentation writes them. A type alias of a decoder is not recognised;
//! the runtime then still answers the second decoder's requests with 415.

use proc_macro2::Ident;
use syn::punctuated::Punctuated;
use syn::{ItemFn, Token, Type};

use super::argument::{Argument, Source};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::syntax::Method;
use crate::tokens::pretty;

/// An extractor that decodes the body in one format.
struct Decoder {
    /// The type's name, the last segment of its path.
    type_name: &'static str,
    /// The format, for messages: "decodes the body as ...".
    format: &'static str,
    content_type: &'static str,
}

const DECODERS: [Decoder; 3] = [
    Decoder {
        type_name: "Json",
        format: "JSON",
        content_type: "application/json",
    },
    Decoder {
        type_name: "Form",
        format: "a urlencoded form",
        content_type: "application/x-www-form-urlencoded",
    },
    Decoder {
        type_name: "Multipart",
        format: "multipart form data",
        content_type: "multipart/form-data",
    },
];

/// The raw body, whole or as a stream, for nothing else.
const RAW_BODY: [&str; 2] = ["Bytes", "BodyStream"];

/// The name of the deprecated constant that carries the GET warning.
const GET_WARNING: &str = "body_on_a_GET_route";

/// Reports a second decoder, and warns about a body read on GET or HEAD.
pub fn check(
    function: &ItemFn,
    arguments: &[Argument],
    methods: &[Method],
    diagnostics: &mut Diagnostics,
) {
    let from_request = arguments
        .iter()
        .filter(|argument| matches!(argument.source, Source::Request));
    let mut first: Option<(&Argument, &Decoder)> = None;
    for argument in from_request.clone() {
        let Some(decoder) = decoder(&argument.ty) else {
            continue;
        };
        match first {
            None => first = Some((argument, decoder)),
            Some((earlier, earlier_decoder)) => diagnostics.error(decoded_twice(
                (earlier, earlier_decoder),
                (argument, decoder),
            )),
        }
    }

    let body_methods = methods
        .iter()
        .all(|m| *m == Method::GET || *m == Method::HEAD);
    if methods.is_empty() || !body_methods || allows_deprecated(function) {
        return;
    }
    for argument in from_request {
        if let Some(type_name) = reads_only_the_body(&argument.ty) {
            diagnostics.warning(
                GET_WARNING,
                body_on_get(function, argument, type_name, methods),
            );
        }
    }
}

/// The error at the second decoder, naming the first.
fn decoded_twice(first: (&Argument, &Decoder), second: (&Argument, &Decoder)) -> Diagnostic {
    let ((first, first_decoder), (second, second_decoder)) = (first, second);
    let shown = |argument: &Argument| format!("`{}: {}`", argument.name, pretty(&argument.ty));
    if first_decoder.type_name == second_decoder.type_name {
        return Diagnostic::spanned(
            &second.ty,
            format!(
                "{} decodes the body as {}, but {} already does",
                shown(second),
                second_decoder.format,
                shown(first),
            ),
        )
        .note("a request has one body, and both arguments would decode the same bytes")
        .help("decode it once, into one type that holds every field (a struct, or `Json<serde_json::Value>`)");
    }
    Diagnostic::spanned(
        &second.ty,
        format!(
            "{} decodes the body as {}, but {} already decodes it as {}",
            shown(second),
            second_decoder.format,
            shown(first),
            first_decoder.format,
        ),
    )
    .note(format!(
        "a request has one body in one format: `{}` needs `Content-Type: {}` and `{}` needs `Content-Type: {}`, so one of them would always answer 415",
        first_decoder.type_name,
        first_decoder.content_type,
        second_decoder.type_name,
        second_decoder.content_type,
    ))
    .help("keep one of them; to accept several formats, take `Bytes` and `HeaderMap` and decode according to `Content-Type`")
}

/// The warning at a body argument of a GET or HEAD route.
fn body_on_get(
    function: &ItemFn,
    argument: &Argument,
    type_name: &Ident,
    methods: &[Method],
) -> Diagnostic {
    let answered: Vec<&str> = methods.iter().map(|m| m.name()).collect();
    Diagnostic::new(
        type_name.span(),
        format!(
            "`{}: {}` reads the request body, but `{}` answers only {}",
            argument.name,
            pretty(&argument.ty),
            function.sig.ident,
            answered.join(" and "),
        ),
    )
    .note("content in a GET or HEAD request has no defined meaning (RFC 9110, section 9.3): clients and proxies may drop it or refuse to send it")
    .help("answer a method that carries a body, like `methods = [\"POST\"]`; to read a body here anyway, put `#[allow(deprecated)]` on the function")
}

/// The decoder `ty` is, if it is one.
fn decoder(ty: &Type) -> Option<&'static Decoder> {
    let name = type_name(ty)?;
    DECODERS.iter().find(|decoder| name == decoder.type_name)
}

/// The type's name when it is an argument that only reads the body.
fn reads_only_the_body(ty: &Type) -> Option<&Ident> {
    let name = type_name(ty)?;
    let is_body =
        RAW_BODY.iter().any(|raw| name == raw) || DECODERS.iter().any(|d| name == d.type_name);
    is_body.then_some(name)
}

/// The last segment of a type's path: `Json` for `usrv::Json<Todo>`.
pub fn type_name(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().map(|segment| &segment.ident)
        }
        Type::Paren(paren) => type_name(&paren.elem),
        Type::Group(group) => type_name(&group.elem),
        _ => None,
    }
}

/// Whether the function has `#[allow(deprecated)]`.
fn allows_deprecated(function: &ItemFn) -> bool {
    function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("allow"))
        .filter_map(|attr| {
            attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .ok()
        })
        .any(|lints| lints.iter().any(|lint| lint.is_ident("deprecated")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::argument;

    /// The diagnostics of `function`'s body arguments, all taken from the
    /// request, on a route that answers `methods`.
    fn check_function(function: ItemFn, methods: &[Method]) -> Diagnostics {
        let arguments = {
            let mut diagnostics = Diagnostics::default();
            let arguments = argument::check(&function.sig, &[], &mut diagnostics);
            assert!(!diagnostics.has_errors());
            arguments.accepted
        };
        let mut diagnostics = Diagnostics::default();
        check(&function, &arguments, methods, &mut diagnostics);
        diagnostics
    }

    fn post() -> Vec<Method> {
        vec![Method::named("POST").unwrap()]
    }

    #[test]
    fn viewers_go_with_a_decoder() {
        let function: ItemFn = syn::parse_quote! {
            fn f(a: Json<A>, b: Bytes, r: Request, k: Kwargs, h: HeaderMap, q: Option<String>) {}
        };
        let diagnostics = check_function(function, &post());
        assert!(!diagnostics.has_errors());
        assert_eq!(diagnostics.warning_list().count(), 0);
    }

    #[test]
    fn a_second_decoder_is_an_error_naming_the_first() {
        let function: ItemFn = syn::parse_quote! {
            fn f(a: Json<A>, b: usrv::Form<B>, c: Multipart, d: (Json<D>)) {}
        };
        let diagnostics = check_function(function, &post());
        let texts: Vec<String> = diagnostics
            .error_list()
            .iter()
            .map(Diagnostic::text)
            .collect();
        assert_eq!(texts.len(), 3, "{texts:#?}");
        assert!(
            texts[0].starts_with("`b: usrv::Form<B>` decodes the body as a urlencoded form, but `a: Json<A>` already decodes it as JSON\n"),
            "{}",
            texts[0]
        );
        assert!(texts[0].contains("`Form` needs `Content-Type: application/x-www-form-urlencoded`"));
        assert!(texts[1].starts_with(
            "`c: Multipart` decodes the body as multipart form data, but `a: Json<A>`"
        ));
        assert!(
            texts[2].starts_with(
                "`d: (Json<D>)` decodes the body as JSON, but `a: Json<A>` already does\n"
            ),
            "{}",
            texts[2]
        );
    }

    #[test]
    fn a_body_on_get_is_a_warning() {
        let get = [Method::GET];
        let function: ItemFn = syn::parse_quote! {
            fn f(a: Json<A>, b: Bytes, r: Request, k: Kwargs) {}
        };
        let diagnostics = check_function(function, &[Method::GET, Method::HEAD]);
        assert!(!diagnostics.has_errors());
        let texts: Vec<String> = diagnostics.warning_list().map(Diagnostic::text).collect();
        assert_eq!(texts.len(), 2, "{texts:#?}");
        assert!(texts[0].starts_with(
            "`a: Json<A>` reads the request body, but `f` answers only GET and HEAD\n"
        ));
        assert!(texts[1].starts_with("`b: Bytes` reads the request body"));

        let function: ItemFn = syn::parse_quote! { fn f(a: Json<A>) {} };
        assert_eq!(
            check_function(function.clone(), &post())
                .warning_list()
                .count(),
            0
        );
        let both = [Method::GET, post()[0]];
        assert_eq!(check_function(function, &both).warning_list().count(), 0);

        let function: ItemFn = syn::parse_quote! {
            #[allow(dead_code, deprecated)]
            fn f(a: Json<A>) {}
        };
        assert_eq!(check_function(function, &get).warning_list().count(), 0);
        let function: ItemFn = syn::parse_quote! { fn f(r: Request, k: Kwargs) {} };
        assert_eq!(check_function(function, &get).warning_list().count(), 0);
    }
}
