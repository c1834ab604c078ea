//! Arguments that take the request as a stream or take over the
//! connection: `BodyStream` (the body as it arrives) and
//! `WebSocketUpgrade`.
//!
//! A streamed body is read once, as it arrives, so nothing else may read
//! it whole (`Json<T>`, `Form<T>`, `Multipart`, `Bytes`, `Request`,
//! `Kwargs`, `Args`), and it cannot be checked by the secure protocol
//! before it is handed on: a signature covers the hash of the whole body
//! and a sealed body is one message. So `BodyStream` on a `signed` or
//! `encrypted` route, or beside `Identity` (which makes a route signed), is
//! an error. A WebSocket's messages are not sealed, so an `encrypted` route
//! cannot take one; and its handshake is a GET, so the route must answer
//! GET.
//!
//! As for the body decoders, an argument is recognised by the last segment
//! of its type's path. The runtime checks the same rules at start-up from
//! the extractors' own declarations, which catches type aliases too.

use syn::Type;

use super::argument::{Argument, Source};
use super::attribute::Attribute;
use super::body::type_name;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::syntax::Method;
use crate::tokens::pretty;

/// The streamed body.
const STREAM: &str = "BodyStream";
/// The WebSocket handshake.
const UPGRADE: &str = "WebSocketUpgrade";
/// The verified sender, which makes a route signed.
const IDENTITY: &str = "Identity";
/// The arguments that read the body whole, before the call.
const WHOLE_BODY: [&str; 7] = [
    "Json",
    "Form",
    "Multipart",
    "Bytes",
    "Request",
    "Kwargs",
    "Args",
];

/// Reports every way the route's arguments and options exclude each other.
pub fn check(arguments: &[Argument], attribute: &Attribute, diagnostics: &mut Diagnostics) {
    let from_request: Vec<&Argument> = arguments
        .iter()
        .filter(|argument| matches!(argument.source, Source::Request))
        .collect();
    let named = |name: &str| -> Vec<&Argument> {
        from_request
            .iter()
            .copied()
            .filter(|argument| is(&argument.ty, name))
            .collect()
    };
    let streams = named(STREAM);
    let upgrades = named(UPGRADE);
    let position = |argument: &Argument| {
        arguments
            .iter()
            .position(|other| other.name == argument.name)
    };

    for pair in streams.windows(2) {
        diagnostics.error(twice(pair[0], pair[1], "streams the body"));
    }
    for pair in upgrades.windows(2) {
        diagnostics.error(twice(pair[0], pair[1], "takes the WebSocket"));
    }

    if let Some(&stream) = streams.first() {
        for whole in from_request
            .iter()
            .copied()
            .filter(|a| WHOLE_BODY.iter().any(|name| is(&a.ty, name)))
        {
            let error = if position(whole) < position(stream) {
                Diagnostic::spanned(
                    &stream.ty,
                    format!(
                        "{} streams the body as it arrives, but {} reads it whole",
                        shown(stream),
                        shown(whole)
                    ),
                )
            } else {
                Diagnostic::spanned(
                    &whole.ty,
                    format!(
                        "{} reads the body whole, but {} streams it as it arrives",
                        shown(whole),
                        shown(stream)
                    ),
                )
            };
            diagnostics.error(
                error
                    .note("a request has one body, read once: either streamed, or collected before the call")
                    .help("keep `BodyStream` and decode the chunks yourself, or remove it and take the whole body (up to the body limit)"),
            );
        }
        let option = match (attribute.encrypted, attribute.signed) {
            (Some(_), _) => Some("encrypted"),
            (None, Some(_)) => Some("signed"),
            (None, None) => None,
        };
        if let Some(option) = option {
            diagnostics.error(
                Diagnostic::spanned(
                    &stream.ty,
                    format!(
                        "{} streams the body, but the route is `{option}`",
                        shown(stream)
                    ),
                )
                .note(unchecked_stream_note())
                .help(format!(
                    "remove `{option}`, or take the body whole (`Bytes`, `Json<T>`...) up to the body limit"
                )),
            );
        }
        for identity in from_request.iter().copied().filter(|a| is(&a.ty, IDENTITY)) {
            diagnostics.error(
                Diagnostic::spanned(
                    &stream.ty,
                    format!(
                        "{} streams the body, but {} makes the route signed",
                        shown(stream),
                        shown(identity)
                    ),
                )
                .note(unchecked_stream_note())
                .help("take `Option<Identity>` (a signed request's body is then read whole and checked before the stream yields it), or take the body whole"),
            );
        }
    }

    if let Some(&upgrade) = upgrades.first() {
        if attribute.encrypted.is_some() {
            diagnostics.error(
                Diagnostic::spanned(
                    &upgrade.ty,
                    format!("{} takes a WebSocket, but the route is `encrypted`", shown(upgrade)),
                )
                .note("only the handshake goes through the secure protocol: the WebSocket messages that follow are not sealed")
                .help("remove `encrypted`; `signed` authenticates the handshake"),
            );
        }
        let methods = &attribute.methods;
        if !methods.is_empty() && !methods.contains(&Method::GET) {
            let answered: Vec<&str> = methods.iter().map(|m| m.name()).collect();
            diagnostics.error(
                Diagnostic::spanned(
                    &upgrade.ty,
                    format!(
                        "{} takes a WebSocket, but the route answers only {}",
                        shown(upgrade),
                        answered.join(" and ")
                    ),
                )
                .note("a WebSocket handshake is a GET request (RFC 6455, section 4.1)")
                .help("answer GET: remove `methods`, or list \"GET\" in it"),
            );
        }
    }
}

fn unchecked_stream_note() -> &'static str {
    "a signature covers the hash of the whole body and a sealed body is one message: neither can be checked before the body has arrived, so a streamed body would reach the handler unchecked"
}

/// The error at the second of two arguments that take the same thing.
fn twice(first: &Argument, second: &Argument, what: &str) -> Diagnostic {
    Diagnostic::spanned(
        &second.ty,
        format!(
            "{} {what}, but {} already does",
            shown(second),
            shown(first)
        ),
    )
    .note("a request has one body and one connection: each can be taken once")
    .help("keep one of them")
}

fn shown(argument: &Argument) -> String {
    format!("`{}: {}`", argument.name, pretty(&argument.ty))
}

/// Whether the type's last path segment is `name`.
fn is(ty: &Type, name: &str) -> bool {
    type_name(ty).is_some_and(|ident| ident == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::argument;
    use syn::ItemFn;

    fn errors(attribute: proc_macro2::TokenStream, function: ItemFn) -> Vec<String> {
        let attribute: Attribute = syn::parse2(attribute).expect("attribute");
        let mut diagnostics = Diagnostics::default();
        let arguments = argument::check(&function.sig, &[], &mut diagnostics);
        assert!(!diagnostics.has_errors());
        check(&arguments.accepted, &attribute, &mut diagnostics);
        diagnostics
            .error_list()
            .iter()
            .map(Diagnostic::text)
            .collect()
    }

    #[test]
    fn a_stream_alone_or_with_the_head_is_fine() {
        let function: ItemFn = syn::parse_quote! {
            fn f(body: BodyStream, headers: HeaderMap, sender: Option<Identity>, db: State<Db>) {}
        };
        assert!(errors(quote::quote!("/up", methods = ["POST"]), function).is_empty());
        let function: ItemFn = syn::parse_quote! { fn f(ws: usrv::WebSocketUpgrade) {} };
        assert!(errors(quote::quote!("/ws", signed), function).is_empty());
    }

    #[test]
    fn a_stream_excludes_whole_bodies_and_the_secure_protocol() {
        let function: ItemFn = syn::parse_quote! {
            fn f(data: Json<A>, body: usrv::BodyStream, raw: Bytes, again: BodyStream, who: Identity) {}
        };
        let texts = errors(
            quote::quote!("/up", methods = ["POST"], encrypted),
            function,
        );
        assert_eq!(texts.len(), 5, "{texts:#?}");
        assert!(texts[0].starts_with(
            "`again: BodyStream` streams the body, but `body: usrv::BodyStream` already does"
        ));
        assert!(texts[1].starts_with("`body: usrv::BodyStream` streams the body as it arrives, but `data: Json<A>` reads it whole"));
        assert!(texts[2].starts_with(
            "`raw: Bytes` reads the body whole, but `body: usrv::BodyStream` streams it"
        ));
        assert!(texts[3].starts_with(
            "`body: usrv::BodyStream` streams the body, but the route is `encrypted`"
        ));
        assert!(texts[3].contains("help: remove `encrypted`"));
        assert!(texts[4].starts_with(
            "`body: usrv::BodyStream` streams the body, but `who: Identity` makes the route signed"
        ));
    }

    #[test]
    fn a_websocket_needs_get_and_no_encryption() {
        let function: ItemFn = syn::parse_quote! { fn f(ws: WebSocketUpgrade) {} };
        let texts = errors(
            quote::quote!("/ws", methods = ["POST"], encrypted),
            function,
        );
        assert_eq!(texts.len(), 2, "{texts:#?}");
        assert!(texts[0]
            .starts_with("`ws: WebSocketUpgrade` takes a WebSocket, but the route is `encrypted`"));
        assert!(texts[1].starts_with(
            "`ws: WebSocketUpgrade` takes a WebSocket, but the route answers only POST"
        ));
    }
}
