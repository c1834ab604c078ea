//! `name::uri(args...)`: the request target of the route, from its path and
//! query arguments in declaration order, percent-encoded; and the private
//! writer that the typed call shares.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Type;

use super::kind::{self, Role};
use super::path::Segment;
use super::Route;
use crate::syntax::Converter;

/// A path or query argument: a parameter of `uri` and `call`.
pub struct TargetArgument<'r> {
    pub name: &'r Ident,
    pub ty: &'r Type,
    /// The bound its type needs to be written: `ToParam` or `ToQuery`.
    pub bound: TokenStream,
}

/// The path and query arguments, in declaration order.
pub fn target_arguments<'r>(route: &'r Route<'_>) -> Vec<TargetArgument<'r>> {
    let mut arguments = Vec::new();
    for argument in &route.arguments {
        let ty = &argument.ty;
        let bound = match kind::role(argument) {
            Role::Path => quote_spanned!(ty.span()=> ::usrv::ToParam),
            Role::Query => quote_spanned!(ty.span()=> ::usrv::__private::ToQuery),
            Role::Body { .. } | Role::Context => continue,
        };
        arguments.push(TargetArgument {
            name: &argument.name,
            ty,
            bound,
        });
    }
    arguments
}

/// The `where` predicates of the target's arguments. Each is
/// higher-ranked (`for<'__usrv> T: ToParam`), so that rustc checks it
/// where the function is called, not where it is defined: a route whose
/// argument cannot be written still compiles, and only a use of `uri` or
/// `call` reports the missing `ToParam`.
pub fn bounds(arguments: &[TargetArgument<'_>]) -> Vec<TokenStream> {
    arguments
        .iter()
        .map(|argument| {
            let (ty, bound) = (argument.ty, &argument.bound);
            quote!(for<'__usrv> #ty: #bound)
        })
        .collect()
}

/// `uri` and the private `__usrv_target` that writes the target from
/// references to the values.
pub fn function(route: &Route<'_>) -> TokenStream {
    let vis = &route.function.vis;
    let arguments = target_arguments(route);
    let bounds = bounds(&arguments);
    let names: Vec<&Ident> = arguments.iter().map(|a| a.name).collect();
    let types: Vec<&Type> = arguments.iter().map(|a| a.ty).collect();
    let uri_params = arguments.iter().map(|argument| {
        let (name, ty) = (argument.name, argument.ty);
        let param_type = quote_spanned!(ty.span()=> impl ::usrv::UriArg<#ty>);
        quote!(#name: #param_type)
    });
    let writes = writes(route, &arguments);
    let uri = Ident::new("uri", route.function.sig.ident.span());
    let doc = uri_doc(route, &arguments);
    quote! {
        #[doc = #doc]
        #[allow(clippy::too_many_arguments)]
        #vis fn #uri(#(#uri_params),*) -> ::std::string::String
        where
            #(#bounds,)*
        {
            Self::__usrv_target(#(&::usrv::UriArg::<#types>::into_arg(#names)),*)
        }

        /// The target, from references to the values.
        #[allow(clippy::too_many_arguments)]
        fn __usrv_target(#(#names: &#types),*) -> ::std::string::String
        where
            #(#bounds,)*
        {
            let mut __usrv_target = ::usrv::__private::Target::new();
            #(#writes)*
            __usrv_target.finish()
        }
    }
}

/// One statement per segment, then one per query argument.
fn writes(route: &Route<'_>, arguments: &[TargetArgument<'_>]) -> Vec<TokenStream> {
    let target = Ident::new("__usrv_target", Span::call_site());
    let mut writes = Vec::new();
    for segment in &route.segments {
        match segment {
            Segment::Literal(text) => writes.push(quote!(#target.literal(#text);)),
            Segment::Param { name, converter } => {
                // Every parameter has its argument: the route was checked.
                let Some(argument) = arguments.iter().find(|a| a.name == name) else {
                    continue;
                };
                let ident = argument.name;
                writes.push(match converter {
                    Converter::Path => quote!(#target.rest(#ident);),
                    _ => quote!(#target.segment(#ident);),
                });
            }
        }
    }
    let path_names: Vec<&str> = route
        .segments
        .iter()
        .filter_map(|segment| match segment {
            Segment::Param { name, .. } => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
        .collect();
    for argument in arguments {
        let name = argument.name.to_string();
        if path_names.contains(&name.as_str()) {
            continue;
        }
        let ident = argument.name;
        writes.push(quote!(#target.query(#name, #ident);));
    }
    writes
}

fn uri_doc(route: &Route<'_>, arguments: &[TargetArgument<'_>]) -> String {
    let names: Vec<String> = arguments
        .iter()
        .map(|argument| format!("`{}`", argument.name))
        .collect();
    let takes = match names.len() {
        0 => "It takes no argument.".to_owned(),
        _ => format!(
            "It takes the path and query arguments of `fn {}`, in order: {}.",
            route.function.sig.ident,
            names.join(", ")
        ),
    };
    format!(
        "The request target of `{}`, percent-encoded: the path, then the query \
         values (`None` and empty `Vec`s are left out). {takes} A string argument \
         also takes a `&str`.",
        route.attribute.path.value()
    )
}
