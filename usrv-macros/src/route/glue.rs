//! The glue the router calls: `fn __usrv_call(ctx) -> Result<Reply, _>`
//! extracts every argument, calls the function and turns its value into a
//! response, now (synchronous), on the blocking pool or as a future.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::argument::Source;
use super::{output, param, request, Route};

/// The glue function.
pub fn call_function(route: &Route<'_>) -> TokenStream {
    let mut extractions = Vec::new();
    let mut locals = Vec::new();
    for (position, argument) in route.arguments.iter().enumerate() {
        let value = match argument.source {
            Source::Path { index, converter } => param::extraction(argument, index, converter),
            Source::Request => request::extraction(argument),
        };
        let local = format_ident!("__usrv_arg{}", position);
        extractions.push(quote!(let #local = #value;));
        locals.push(local);
    }
    let reply = reply(route, &locals);
    quote! {
        fn __usrv_call(
            __ctx: &::usrv::__private::Ctx<'_>,
        ) -> ::core::result::Result<::usrv::__private::Reply, ::usrv::Rejection> {
            #(#extractions)*
            ::core::result::Result::Ok(#reply)
        }
    }
}

/// Calls the function with the extracted arguments and answers its value.
fn reply(route: &Route<'_>, arguments: &[proc_macro2::Ident]) -> TokenStream {
    let sig = &route.function.sig;
    let ident = &sig.ident;
    let call = match sig.asyncness {
        Some(_) => quote!(#ident(#(#arguments),*).await),
        None => quote!(#ident(#(#arguments),*)),
    };
    let value = output::value();
    let respond = output::respond(&sig.output);
    let handle = quote!({
        let #value = #call;
        #respond
    });
    let private = quote!(::usrv::__private);
    if let Some(asyncness) = &sig.asyncness {
        // Under the span of `async`: "future cannot be sent between threads
        // safely" then points at the function, not the attribute.
        let future = quote_spanned!(asyncness.span=> ::std::boxed::Box::pin(async move #handle));
        quote!(#private::Reply::Pending(#future))
    } else if route.attribute.blocking.is_some() {
        quote!(#private::Reply::blocking(move || #handle))
    } else {
        quote!(#private::Reply::Ready(#handle))
    }
}
