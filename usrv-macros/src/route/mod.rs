//! `#[route]`: from `#[route(...)] fn f(...)` to the function itself, the
//! glue that extracts its arguments, and its registration.
//!
//! The route is checked concern by concern (the attribute, the path, the
//! signature, each argument, the path parameters, the body), then generated
//! the same way (each argument's extraction, the return value, the call,
//! the registration). Every problem is reported at the user's token; on
//! error the function is emitted unchanged, so that the rest of the crate
//! (and the IDE) keeps working.

mod argument;
mod attribute;
mod body;
mod client;
mod describe;
mod glue;
mod item;
mod kind;
mod literal;
mod output;
mod param;
mod path;
mod register;
mod reply;
mod request;
mod signature;
mod stream;
mod uri;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ItemFn;

use self::argument::Argument;
use self::attribute::Attribute;
use self::path::Segment;
use crate::diagnostic::{Diagnostic, Diagnostics};

/// The `#[route]` attribute on `item`.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = not_a_function(&item).to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut diagnostics = Diagnostics::default();
    let route = match syn::parse2::<Attribute>(attr) {
        Ok(attribute) => Some(Route::check(attribute, &function, &mut diagnostics)),
        Err(error) => {
            diagnostics.syn_error(error);
            None
        }
    };
    match route {
        Some(route) if !diagnostics.has_errors() => route.expand(&diagnostics),
        _ => {
            let errors = diagnostics.to_tokens();
            quote!(#errors #function)
        }
    }
}

/// A checked route, ready to generate.
struct Route<'f> {
    function: &'f ItemFn,
    attribute: Attribute,
    segments: Vec<Segment>,
    arguments: Vec<Argument>,
}

impl<'f> Route<'f> {
    /// Checks everything, reporting each problem in source order.
    fn check(
        mut attribute: Attribute,
        function: &'f ItemFn,
        diagnostics: &mut Diagnostics,
    ) -> Self {
        let segments = if attribute.path_is_valid {
            let path = &attribute.path;
            path::parse(&path.value(), path.span()).unwrap_or_else(|errors| {
                diagnostics.errors(errors);
                Vec::new()
            })
        } else {
            Vec::new()
        };
        // The options come after the path.
        diagnostics.errors(std::mem::take(&mut attribute.errors));
        let params = path::params(&segments);
        let sig = &function.sig;
        signature::check(sig, &attribute, diagnostics);
        signature::check_single_route(function, diagnostics);
        let arguments = argument::check(sig, &params, diagnostics);
        param::check_bound(&params, &arguments.names, sig, &attribute.path, diagnostics);
        body::check(
            function,
            &arguments.accepted,
            &attribute.methods,
            diagnostics,
        );
        stream::check(&arguments.accepted, &attribute, diagnostics);
        Route {
            function,
            attribute,
            segments,
            arguments: arguments.accepted,
        }
    }

    /// The function, its warnings, and the type of the same name: its
    /// glue, its registration, its request target and its typed call.
    fn expand(&self, diagnostics: &Diagnostics) -> TokenStream {
        let function = self.function;
        let warnings = diagnostics.to_tokens();
        let item = item::route_type(self);
        quote! {
            #function

            #warnings

            #item
        }
    }
}

/// The error for `#[route]` on something else than a function, at that item.
fn not_a_function(item: &TokenStream) -> Diagnostic {
    let help = "write #[route(\"/path\")] fn handler(...) -> ... { ... }";
    let (what, span) = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(item)) => ("a struct", item.struct_token.span),
        Ok(syn::Item::Enum(item)) => ("an enum", item.enum_token.span),
        Ok(syn::Item::Union(item)) => ("a union", item.union_token.span),
        Ok(syn::Item::Impl(item)) => ("an `impl` block", item.impl_token.span),
        Ok(syn::Item::Trait(item)) => ("a trait", item.trait_token.span),
        Ok(syn::Item::Mod(item)) => ("a module", item.mod_token.span),
        Ok(syn::Item::Const(item)) => ("a constant", item.const_token.span),
        Ok(syn::Item::Static(item)) => ("a static", item.static_token.span),
        Ok(syn::Item::Use(item)) => ("a `use`", item.use_token.span),
        Ok(syn::Item::Type(item)) => ("a type alias", item.type_token.span),
        _ => return Diagnostic::new(Span::call_site(), "#[route] goes on a function").help(help),
    };
    Diagnostic::new(span, format!("#[route] goes on a function, not on {what}")).help(help)
}
