//! The registration: one `usrv::Route` per function, already parsed, in a
//! static of its own that `name::ROUTE` names and that is submitted to
//! `inventory`, so that `usrv::serve()` finds it.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::argument::Source;
use super::describe;
use super::path::Segment;
use super::{request, Route};

/// The route's static, submitted to `inventory` (`call` is the glue
/// function), then a reference to it: the value of `name::ROUTE`.
pub fn submit(route: &Route<'_>) -> TokenStream {
    let private = quote!(::usrv::__private);
    let ident = &route.function.sig.ident;
    let name = ident.to_string();
    // `line!()` at the function's name: the line of `fn name`.
    let line = quote_spanned!(ident.span()=> ::core::line!());
    let pattern = &route.attribute.path;
    let segments = route.segments.iter().map(|segment| match segment {
        Segment::Literal(text) => quote!(#private::Segment::Literal(#text)),
        Segment::Param { name, converter } => {
            let variant = converter.variant();
            quote!(#private::Segment::Param(#private::Converter::#variant, #name))
        }
    });
    let bits = route.attribute.methods.iter().map(|method| method.bit());
    let from_request: Vec<_> = route
        .arguments
        .iter()
        .filter(|argument| matches!(argument.source, Source::Request))
        .collect();
    let uses_body = from_request.iter().map(|a| request::uses_body(a));
    let needs_identity = from_request.iter().map(|a| request::needs_identity(a));
    let signed = route.attribute.signed.is_some() || route.attribute.encrypted.is_some();
    let encrypted = route.attribute.encrypted.is_some();
    let arg_names = route.arguments.iter().map(|a| a.name.to_string());
    let api = describe::api(route);
    quote! {
        static __USRV_ROUTE: #private::Route = #private::Route {
                name: #name,
                module: ::core::module_path!(),
                file: ::core::file!(),
                line: #line,
                pattern: #pattern,
                segments: &[#(#segments),*],
                methods: #private::MethodSet::from_bits(0u16 #(| #bits)*),
                signed: #signed #(|| #needs_identity)*,
                encrypted: #encrypted,
                uses_body: false #(|| #uses_body)*,
                arg_names: &[#(#arg_names),*],
                call: __usrv_call,
                api: #api,
        };
        #private::inventory::submit! { #private::Registered(&__USRV_ROUTE) }
        &__USRV_ROUTE
    }
}
