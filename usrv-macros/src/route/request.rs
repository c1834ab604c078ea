//! Arguments not named in the path: query values and extractors, each
//! through its `FromRequest` implementation, which also says whether it
//! reads the body (whole or as a stream), needs a verified sender, takes
//! over the connection or reads the application's state.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::spanned::Spanned;

use super::argument::Argument;

/// `<T as FromRequest>::from_request(ctx, "name")?`, at the argument's type:
/// "`Filter` cannot be a route argument" points there.
pub fn extraction(argument: &Argument) -> TokenStream {
    let ty = &argument.ty;
    let name = argument.name.to_string();
    quote_spanned!(ty.span()=> <#ty as ::usrv::FromRequest>::from_request(__ctx, #name)?)
}

/// One of the argument's `FromRequest` constants: `USES_BODY` (the server
/// then collects the body first), `NEEDS_IDENTITY` (the route is then
/// signed), `STREAMS_BODY` and `UPGRADES` (the server hands over the body
/// unread, or the connection), `STATE` (the state type it reads, checked at
/// start-up).
pub fn constant(argument: &Argument, name: &str) -> TokenStream {
    let ty = &argument.ty;
    let name = syn::Ident::new(name, ty.span());
    quote_spanned!(ty.span()=> <#ty as ::usrv::FromRequest>::#name)
}
