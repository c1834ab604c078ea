//! Arguments not named in the path: query values and extractors, each
//! through its `FromRequest` implementation, which also says whether it
//! reads the body or needs a verified sender.

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

/// Whether the argument reads the body (the server then collects it first).
pub fn uses_body(argument: &Argument) -> TokenStream {
    let ty = &argument.ty;
    quote_spanned!(ty.span()=> <#ty as ::usrv::FromRequest>::USES_BODY)
}

/// Whether the argument needs a verified sender (the route is then signed).
pub fn needs_identity(argument: &Argument) -> TokenStream {
    let ty = &argument.ty;
    quote_spanned!(ty.span()=> <#ty as ::usrv::FromRequest>::NEEDS_IDENTITY)
}
