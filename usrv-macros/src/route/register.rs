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
    let constants =
        |name: &'static str| from_request.iter().map(move |a| request::constant(a, name));
    let uses_body = constants("USES_BODY");
    let needs_identity = constants("NEEDS_IDENTITY");
    let streams_body = constants("STREAMS_BODY");
    let upgrades = constants("UPGRADES");
    let states = constants("STATE");
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
                streams_body: false #(|| #streams_body)*,
                upgrades: false #(|| #upgrades)*,
                states: &[#(#states),*],
                arg_names: &[#(#arg_names),*],
                call: __usrv_call,
                api: #api,
        };
        #private::inventory::submit! { #private::Registered(&__USRV_ROUTE) }
        &__USRV_ROUTE
    }
}
