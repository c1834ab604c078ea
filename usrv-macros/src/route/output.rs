//! The return type: the handler's value becomes a response through
//! `respond`, under the spans of the return type, so that "`Page` cannot be
//! returned from a route" points at the type the user wrote.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{ReturnType, Type};

use crate::tokens::edges;

/// The name the glue gives the handler's value.
pub fn value() -> Ident {
    Ident::new("__usrv_output", Span::call_site())
}

/// `respond(value)`, spanned at the return type.
///
/// Without `Span::join` on stable, an expression covers a type of several
/// tokens when its first token has the type's first span and its last token
/// the type's last span.
pub fn respond(output: &ReturnType) -> TokenStream {
    let value = value();
    let (arrow, ty) = match output {
        ReturnType::Type(arrow, ty) => (arrow, ty),
        ReturnType::Default => return quote!(::usrv::__private::respond(#value)),
    };
    // The call itself is at `->`: "required by a bound introduced by this
    // call" then stays clear of the type.
    let at_arrow = arrow.spans[1];
    let respond = Ident::new("respond", at_arrow);
    let callee = quote_spanned!(arrow.spans[0]=> ::usrv::__private::#respond);
    let (first, last) = edges(ty);
    match &**ty {
        // A tuple is rebuilt element by element, each under the span of its
        // own type: "`&str` is not an HTTP status" or "`Page` is not
        // `Serialize`" then points at that element.
        Type::Tuple(tuple) if !tuple.elems.is_empty() => {
            let elems = tuple.elems.iter().enumerate().map(|(i, elem)| {
                let (first, last) = edges(elem);
                let value = Ident::new("__usrv_output", first);
                let index = syn::Index {
                    index: i as u32,
                    span: last,
                };
                quote!(#value.#index)
            });
            let tuple = quote_spanned!(first=> (#(#elems,)*));
            quote_spanned!(at_arrow=> #callee(#tuple))
        }
        _ => {
            let index = syn::Index {
                index: 0,
                span: last,
            };
            let wrapped = quote_spanned!(first=> (#value,));
            quote_spanned!(at_arrow=> #callee(#wrapped.#index))
        }
    }
}
