//! The type beside the function: `#[route] fn name` also defines
//! `struct name {}` (a braced struct lives in the type namespace only, so
//! it cannot clash with the function, as in Rocket), whose items are the
//! route itself (`name::ROUTE`), its request target (`name::uri`) and, with
//! usrv's `client` feature, the typed call (`name::call`, `name::request`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::{client, glue, register, uri, Route};

/// `struct name {}` and its items.
pub fn route_type(route: &Route<'_>) -> TokenStream {
    let function = route.function;
    let vis = &function.vis;
    let ident = &function.sig.ident;
    let call = glue::call_function(route);
    let submit = register::submit(route);
    let uri = uri::function(route);
    let client = client::functions(route);
    let methods: Vec<&str> = route.attribute.methods.iter().map(|m| m.name()).collect();
    let doc = format!(
        "The route of `fn {ident}` (`{} {}`): the route itself ([`ROUTE`](Self::ROUTE)), \
         its request target ([`uri`](Self::uri)) and, with usrv's `client` feature, \
         the typed call (`call`, `request`).",
        methods.join(", "),
        route.attribute.path.value(),
    );
    // At the function's name: a clash with another type of that name is
    // reported there.
    let definition = quote_spanned!(ident.span()=> struct);
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types, dead_code)]
        #vis #definition #ident {}

        #[allow(dead_code)]
        impl #ident {
            /// The route, as registered: serve chosen routes with
            /// `usrv::App::with_routes([name::ROUTE])` or
            /// `usrv::serve().routes([name::ROUTE])`.
            #vis const ROUTE: &'static ::usrv::Route = {
                #call
                #submit
            };

            #uri

            #client
        }
    }
}
