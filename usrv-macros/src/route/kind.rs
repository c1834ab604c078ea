//! What each argument is to a client: a path value, a query value, the
//! body's payload, or something the request itself carries (a header map,
//! the verified sender...) that a caller does not pass.
//!
//! Like the body checks, this reads syntax: a type is known by the last
//! segment of its path (`Json<T>`, `usrv::Json<T>`). Any type not known
//! here is a value: from the path when the path names the argument, else
//! from the query string. An extractor of the user's own is therefore taken
//! for a query value by `uri` and `call` (which then need `ToParam` for it);
//! the OpenAPI description tells the two apart by their traits instead.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{GenericArgument, PathArguments, Type};

use super::argument::{Argument, Source};
use super::body::type_name;

/// The extractors that read the request itself: never a call parameter,
/// never in the document. `State`, `BodyStream` and `WebSocketUpgrade`
/// come from the application and the connection.
const CONTEXT: [&str; 11] = [
    "HeaderMap",
    "Method",
    "Uri",
    "Version",
    "Request",
    "Kwargs",
    "Args",
    "Identity",
    "State",
    "BodyStream",
    "WebSocketUpgrade",
];

/// A body payload, by the extractor that decodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    Json,
    Form,
    Multipart,
    Bytes,
}

/// What an argument is to a caller.
pub enum Role {
    /// A path parameter.
    Path,
    /// A query value: `T`, `Option<T>` or `Vec<T>`.
    Query,
    /// The body; `payload` is the type a caller gives (`T` of `Json<T>`).
    Body { body: Body, payload: TokenStream },
    /// From the request: not given by a caller.
    Context,
}

/// The role of one argument.
pub fn role(argument: &Argument) -> Role {
    if let Source::Path { .. } = argument.source {
        return Role::Path;
    }
    let ty = &argument.ty;
    if is_context(ty) {
        return Role::Context;
    }
    let Some(name) = type_name(ty) else {
        return Role::Query;
    };
    let (body, payload) = match name.to_string().as_str() {
        "Json" => match single_argument(ty) {
            Some(inner) => (Body::Json, quote!(#inner)),
            None => return Role::Query,
        },
        "Form" => match single_argument(ty) {
            Some(inner) => (Body::Form, quote!(#inner)),
            None => return Role::Query,
        },
        "Multipart" => (Body::Multipart, quote!(::usrv::client::MultipartForm)),
        "Bytes" => (Body::Bytes, quote!(::usrv::Bytes)),
        _ => return Role::Query,
    };
    Role::Body { body, payload }
}

/// `HeaderMap`, `Identity`, `Option<Identity>`...
fn is_context(ty: &Type) -> bool {
    let Some(name) = type_name(ty) else {
        return false;
    };
    if name == "Option" {
        return single_argument(ty).is_some_and(is_context);
    }
    CONTEXT.iter().any(|context| name == context)
}

/// `T` of `Name<T>`, the one type argument of the path's last segment.
pub fn single_argument(ty: &Type) -> Option<&Type> {
    let segment = match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last()?,
        Type::Paren(paren) => return single_argument(&paren.elem),
        Type::Group(group) => return single_argument(&group.elem),
        _ => return None,
    };
    let PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    let mut types = arguments.args.iter().filter_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    match (types.next(), types.next()) {
        (Some(ty), None) => Some(ty),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostics;
    use crate::route::{argument, path};
    use proc_macro2::Span;

    fn roles(function: syn::ItemFn, pattern: &str) -> Vec<String> {
        let segments = path::parse(pattern, Span::call_site()).unwrap();
        let params = path::params(&segments);
        let mut diagnostics = Diagnostics::default();
        let arguments = argument::check(&function.sig, &params, &mut diagnostics);
        assert!(!diagnostics.has_errors());
        arguments
            .accepted
            .iter()
            .map(|argument| match role(argument) {
                Role::Path => "path".to_owned(),
                Role::Query => "query".to_owned(),
                Role::Body { body, payload } => format!("{body:?} {payload}"),
                Role::Context => "context".to_owned(),
            })
            .collect()
    }

    #[test]
    fn every_argument_has_its_role() {
        let function: syn::ItemFn = syn::parse_quote! {
            fn f(
                id: u8, q: Option<String>, tags: Vec<u32>, slug: Slug,
                body: usrv::Json<Todo>, form: Form<Todo>, parts: Multipart, raw: Bytes,
                h: HeaderMap, m: http::Method, u: Uri, v: Version, r: Request, k: Kwargs,
                a: Args, i: Identity, oi: Option<usrv::Identity>, s: State<Db>,
                b: BodyStream, w: WebSocketUpgrade,
            ) {}
        };
        let roles = roles(function, "/<int:id>");
        assert_eq!(roles[..4], ["path", "query", "query", "query"]);
        assert_eq!(
            roles[4..8],
            [
                "Json Todo",
                "Form Todo",
                "Multipart :: usrv :: client :: MultipartForm",
                "Bytes :: usrv :: Bytes"
            ]
        );
        assert!(roles[8..].iter().all(|role| role == "context"), "{roles:?}");
        assert_eq!(roles.len(), 20);
    }
}
