//! The typed call: `name::call(&client, args...)` sends the route's request
//! through a `usrv::Client` and decodes the reply into the route's output;
//! `name::request(&client, args...)` builds the same request without
//! sending it (to add headers or a timeout, or to read the raw reply).
//!
//! Their parameters are the route's path, query and body-payload arguments
//! in declaration order (`Json<T>` and `Form<T>` take a `T`, `Multipart` a
//! `usrv::client::MultipartForm`, `Bytes` the bytes); what the request
//! itself carries (headers, the sender...) is not a parameter. The route's
//! options decide the rest: a signed route is signed with the client's key,
//! an encrypted one sealed, and the reply verified and opened as usual.
//!
//! Both exist only with usrv's `client` feature: they are wrapped in
//! `usrv::__private::client!`, which usrv defines per feature, since the
//! generated code cannot test usrv's features itself.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::kind::{self, Body, Role};
use super::reply::{self, Decode};
use super::uri;
use super::Route;
use crate::syntax::Method;

/// `request` and `call`, through `usrv::__private::client!`.
pub fn functions(route: &Route<'_>) -> TokenStream {
    let vis = &route.function.vis;
    let fn_ident = &route.function.sig.ident;
    let client = client_name(route);
    let mut params = Vec::new();
    let mut names = Vec::new();
    let mut bodies = Vec::new();
    let mut body_bounds = Vec::new();
    for argument in &route.arguments {
        let (name, ty) = (&argument.name, &argument.ty);
        match kind::role(argument) {
            Role::Path | Role::Query => params.push(quote!(#name: #ty)),
            Role::Body { body, payload } => {
                let request = Ident::new("__usrv_request", Span::call_site());
                bodies.push(match body {
                    Body::Json => quote!(let #request = #request.json(&#name)?;),
                    Body::Form => quote!(let #request = #request.form(&#name)?;),
                    Body::Multipart => quote!(let #request = #request.multipart(#name);),
                    Body::Bytes => {
                        quote!(let #request = #request.body(#name, "application/octet-stream");)
                    }
                });
                if matches!(body, Body::Json | Body::Form) {
                    let bound = quote_spanned!(ty.span()=> ::usrv::__private::SendBody);
                    body_bounds.push(quote!(for<'__usrv> #payload: #bound));
                }
                params.push(quote_spanned!(ty.span()=> #name: #payload));
            }
            Role::Context => continue,
        }
        names.push(name);
    }
    let targets = uri::target_arguments(route);
    let target_names: Vec<&Ident> = targets.iter().map(|a| a.name).collect();
    let mut bounds = uri::bounds(&targets);
    bounds.extend(body_bounds);
    let call_bounds = bounds.clone();
    let output = reply::output(&route.function.sig.output);
    let output_ty = &output.ty;
    let output_bound = match output.decode {
        Decode::Json => Some(quote!(for<'__usrv> #output_ty: ::usrv::__private::DecodeReply)),
        _ => None,
    };
    let decode = output.decode.function();
    let method = method(route, !bodies.is_empty());
    let request_ident = Ident::new("request", fn_ident.span());
    let call_ident = Ident::new("call", fn_ident.span());
    let (request_doc, call_doc) = docs(route, method.name(), &output);
    let method = Ident::new(method.name(), Span::call_site());
    quote! {
        ::usrv::__private::client! {
            #[doc = #request_doc]
            #[allow(clippy::too_many_arguments)]
            #vis fn #request_ident<'__usrv_client>(
                #client: &'__usrv_client ::usrv::Client,
                #(#params),*
            ) -> ::core::result::Result<::usrv::client::RequestBuilder<'__usrv_client>, ::usrv::ClientError>
            where
                #(#bounds,)*
            {
                let __usrv_request = #client.request(
                    ::usrv::Method::#method,
                    &Self::__usrv_target(#(&#target_names),*),
                );
                #(#bodies)*
                ::core::result::Result::Ok(::usrv::__private::secured(__usrv_request, Self::ROUTE))
            }

            #[doc = #call_doc]
            #[allow(clippy::too_many_arguments)]
            #vis async fn #call_ident(
                #client: &::usrv::Client,
                #(#params),*
            ) -> ::core::result::Result<#output_ty, ::usrv::ClientError>
            where
                #(#call_bounds,)*
                #output_bound
            {
                let __usrv_reply = Self::request(#client, #(#names),*)?.send().await?;
                ::usrv::__private::#decode(__usrv_reply)
            }
        }
    }
}

/// `client`, unless an argument has that name.
fn client_name(route: &Route<'_>) -> Ident {
    let taken = route.arguments.iter().any(|a| a.name == "client");
    Ident::new(
        if taken { "__usrv_client" } else { "client" },
        Span::call_site(),
    )
}

/// The method the call sends: the first listed, or with a body the first
/// listed that carries one.
fn method(route: &Route<'_>, has_body: bool) -> Method {
    let methods = &route.attribute.methods;
    let carries_body = |m: &&Method| **m != Method::GET && **m != Method::HEAD;
    let chosen = match has_body {
        true => methods.iter().find(carries_body).or(methods.first()),
        false => methods.first(),
    };
    chosen.copied().unwrap_or(Method::GET)
}

fn docs(route: &Route<'_>, method: &str, output: &reply::Output) -> (String, String) {
    let path = route.attribute.path.value();
    let ident = &route.function.sig.ident;
    let security = match (route.attribute.encrypted, route.attribute.signed) {
        (Some(_), _) => " The request is signed with the client's key and its body sealed to the server key; the reply is verified and opened.",
        (None, Some(_)) => " The request is signed with the client's key and the reply verified.",
        (None, None) => "",
    };
    let request = format!(
        "The request of `{method} {path}` (`fn {ident}`), built and not sent: add \
         headers or a timeout, then `send()` it for the raw reply. The arguments are \
         the route's path, query and body arguments, in order.{security}"
    );
    let returns = match output.decode {
        Decode::Json => "the reply decoded from JSON",
        Decode::Text => "the reply's text",
        Decode::Empty => "`()` once it succeeded",
        Decode::Status => "the reply's status",
        Decode::Bytes => "the reply's body",
        Decode::Raw => "the raw reply (the route answers a response of its own)",
    };
    let call = format!(
        "Calls `{method} {path}` (`fn {ident}`) and returns {returns}. The arguments are \
         the route's path, query and body arguments, in order (`Json<T>` and `Form<T>` \
         take a `T`). An error status is `ClientError::Status`.{security}"
    );
    (request, call)
}
