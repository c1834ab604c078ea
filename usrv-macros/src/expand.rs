//! From `#[route(...)] fn f(...)` to the function itself, its extraction glue
//! and its registration. Every problem is collected and reported at the
//! user's token; on error the function is emitted unchanged so that the rest
//! of the crate (and the IDE) keeps working.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use crate::args::{RouteArgs, METHODS};
use crate::path::{self, Converter, Segment};

/// The most path parameters one route may have.
const MAX_PARAMS: usize = 16;

pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = not_a_function(&item).to_compile_error();
            return quote!(#error #item);
        }
    };
    let args = match syn::parse2::<RouteArgs>(attr) {
        Ok(args) => args,
        Err(error) => return with_errors(&function, vec![error]),
    };
    match Route::check(args, &function) {
        Ok(route) => route.expand(&function),
        Err(errors) => with_errors(&function, errors),
    }
}

/// The error for `#[route]` on something else than a function, at that item.
fn not_a_function(item: &TokenStream) -> syn::Error {
    let usage = "#[route] goes on a function: #[route(\"/path\")] fn handler(...) -> ... { ... }";
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
        _ => return syn::Error::new(Span::call_site(), usage),
    };
    syn::Error::new(span, format!("{usage}, not on {what}"))
}

fn with_errors(function: &ItemFn, errors: Vec<syn::Error>) -> TokenStream {
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote!(#(#errors)* #function)
}

/// Where one function argument comes from.
enum Source {
    /// The path parameter at this index, through this converter.
    Path(usize, Converter),
    /// Anything else: a query value or an extractor (`FromRequest`).
    Request,
}

struct Argument {
    name: Ident,
    ty: Type,
    source: Source,
}

/// A checked route, ready to expand.
struct Route {
    args: RouteArgs,
    segments: Vec<Segment>,
    arguments: Vec<Argument>,
}

impl Route {
    fn check(args: RouteArgs, function: &ItemFn) -> Result<Route, Vec<syn::Error>> {
        let mut errors = Vec::new();
        let path_span = args.path.span();
        let mut segments = Vec::new();
        if args.path_is_valid {
            match path::parse(&args.path.value()) {
                Ok(parsed) => segments = parsed,
                Err(messages) => {
                    errors.extend(messages.iter().map(|m| syn::Error::new(path_span, m)));
                }
            }
        }
        // The options' problems come after the path's: in source order.
        errors.extend(args.errors.iter().cloned());
        let params: Vec<(&str, Converter)> = segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param { name, converter } => Some((name.as_str(), *converter)),
                Segment::Literal(_) => None,
            })
            .collect();
        if params.len() > MAX_PARAMS {
            errors.push(syn::Error::new(
                path_span,
                format!("a route may have at most {MAX_PARAMS} path parameters"),
            ));
        }

        let sig = &function.sig;
        if !sig.generics.params.is_empty() {
            errors.push(syn::Error::new_spanned(
                &sig.generics,
                "a route function cannot be generic: the framework must know the type of every argument to extract it; use concrete types",
            ));
        }
        if let Some(token) = &sig.unsafety {
            errors.push(syn::Error::new(
                token.span(),
                "a route function cannot be `unsafe`: the framework calls it from safe code",
            ));
        }
        if let Some(variadic) = &sig.variadic {
            errors.push(syn::Error::new_spanned(
                variadic,
                "a route function cannot be variadic",
            ));
        }
        if let (Some(blocking), Some(_)) = (args.blocking, sig.asyncness) {
            errors.push(syn::Error::new(
                blocking,
                "`blocking` is for synchronous functions: an async function already runs on the async workers; remove `blocking` or `async`",
            ));
        }

        let mut arguments = Vec::new();
        // Every argument's name, including those rejected above, so that a
        // path parameter is not also reported as missing.
        let mut names: Vec<Ident> = Vec::new();
        for input in &sig.inputs {
            let typed = match input {
                FnArg::Receiver(receiver) => {
                    errors.push(syn::Error::new_spanned(
                        receiver,
                        "a route function cannot take `self`: the router calls it without a value; write a free function outside the `impl` block",
                    ));
                    continue;
                }
                FnArg::Typed(typed) => typed,
            };
            let name = match &*typed.pat {
                Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
                    ident.ident.clone()
                }
                other => {
                    errors.push(syn::Error::new_spanned(
                        other,
                        "a route argument must be a plain name, as it names the value to extract (a path parameter or a query key): take `name: Type` and destructure it inside the function",
                    ));
                    continue;
                }
            };
            names.push(name.clone());
            match &*typed.ty {
                Type::Reference(reference) => {
                    errors.push(syn::Error::new_spanned(
                        reference,
                        format!(
                            "a route argument must own its value: write `{name}: {}` instead of `{name}: {}`",
                            owned_type(reference),
                            pretty(reference)
                        ),
                    ));
                    continue;
                }
                Type::ImplTrait(impl_trait) => {
                    errors.push(syn::Error::new_spanned(
                        impl_trait,
                        "a route function cannot be generic: an `impl Trait` argument has no single type to extract; use a concrete type",
                    ));
                    continue;
                }
                _ => {}
            }
            let source = match params.iter().position(|(p, _)| name == p) {
                Some(index) => Source::Path(index, params[index].1),
                None => Source::Request,
            };
            arguments.push(Argument {
                name,
                ty: (*typed.ty).clone(),
                source,
            });
        }
        for (name, converter) in &params {
            if names.iter().any(|n| n == name) {
                continue;
            }
            let shown = match converter {
                Converter::Any => format!("<{name}>"),
                other => format!("<{}:{name}>", other.keyword()),
            };
            let others: Vec<String> = names
                .iter()
                .map(Ident::to_string)
                .filter(|n| !params.iter().any(|(p, _)| p == n))
                .collect();
            let others: Vec<&str> = others.iter().map(String::as_str).collect();
            let hint = match crate::suggest::closest(name, &others) {
                Some(close) => format!(
                    "; did you mean the argument `{close}`? The names in the path and in the signature must be the same"
                ),
                None => format!(
                    "; add it to the arguments, e.g. `{name}: {}`",
                    match converter {
                        Converter::Int => "i64",
                        Converter::Float => "f64",
                        _ => "String",
                    }
                ),
            };
            errors.push(syn::Error::new(
                path_span,
                format!(
                    "the path parameter `{shown}` has no argument named `{name}` in `fn {}`{hint}",
                    sig.ident,
                ),
            ));
        }
        if errors.is_empty() {
            Ok(Route {
                args,
                segments,
                arguments,
            })
        } else {
            Err(errors)
        }
    }

    fn expand(&self, function: &ItemFn) -> TokenStream {
        let sig = &function.sig;
        let ident = &sig.ident;
        let fn_name = ident.to_string();
        let pattern = &self.args.path;
        let private = quote!(::usrv::__private);

        let segments = self.segments.iter().map(|segment| match segment {
            Segment::Literal(text) => quote!(#private::Segment::Literal(#text)),
            Segment::Param { name, converter } => {
                let kind = format_ident!("{}", converter_name(*converter));
                quote!(#private::Segment::Param(#private::Converter::#kind, #name))
            }
        });
        let methods = self.args.methods.iter().map(|(method, _)| {
            let bit = METHODS.iter().position(|m| m == method).unwrap_or(0) as u16;
            quote!(1u16 << #bit)
        });

        let mut extractions = Vec::new();
        let mut call_args = Vec::new();
        let mut uses_body = Vec::new();
        let mut needs_identity = Vec::new();
        for (position, argument) in self.arguments.iter().enumerate() {
            let ty = &argument.ty;
            let name_text = argument.name.to_string();
            let local = format_ident!("__usrv_arg{}", position);
            let span = ty.span();
            let value = match argument.source {
                Source::Path(index, converter) => {
                    let extract =
                        format_ident!("path_{}", converter_name(converter).to_lowercase());
                    quote_spanned!(span=> #private::#extract::<#ty>(__ctx, #index, #name_text)?)
                }
                Source::Request => {
                    uses_body.push(quote_spanned!(span=> <#ty as ::usrv::FromRequest>::USES_BODY));
                    needs_identity
                        .push(quote_spanned!(span=> <#ty as ::usrv::FromRequest>::NEEDS_IDENTITY));
                    quote_spanned!(span=> <#ty as ::usrv::FromRequest>::from_request(__ctx, #name_text)?)
                }
            };
            extractions.push(quote!(let #local = #value;));
            call_args.push(local);
        }
        let arg_names = self.arguments.iter().map(|a| a.name.to_string());

        // The handler's value goes through `respond` under the span of the
        // return type, so that "cannot be returned from a route" points at
        // it. Without `Span::join` on stable, an expression covers a type of
        // several tokens when its first token has the type's first span and
        // its last token the type's last span.
        let output = Ident::new("__usrv_output", Span::call_site());
        let respond = match &sig.output {
            ReturnType::Type(arrow, ty) => {
                let (first, last) = edges(ty);
                // The call itself is at `->`: "required by a bound introduced
                // by this call" then stays clear of the type.
                let at_arrow = arrow.spans[1];
                let respond = Ident::new("respond", at_arrow);
                let callee = quote_spanned!(arrow.spans[0]=> ::usrv::__private::#respond);
                match &**ty {
                    // A tuple is rebuilt element by element, each under the
                    // span of its own type: "`&str` is not an HTTP status" or
                    // "`Page` is not `Serialize`" then points at that element.
                    Type::Tuple(tuple) if !tuple.elems.is_empty() => {
                        let elems = tuple.elems.iter().enumerate().map(|(i, elem)| {
                            let (first, last) = edges(elem);
                            let output = Ident::new("__usrv_output", first);
                            let index = syn::Index {
                                index: i as u32,
                                span: last,
                            };
                            quote!(#output.#index)
                        });
                        let tuple = quote_spanned!(first=> (#(#elems,)*));
                        quote_spanned!(at_arrow=> #callee(#tuple))
                    }
                    _ => {
                        let index = syn::Index {
                            index: 0,
                            span: last,
                        };
                        let value = quote_spanned!(first=> (#output,));
                        quote_spanned!(at_arrow=> #callee(#value.#index))
                    }
                }
            }
            ReturnType::Default => quote!(::usrv::__private::respond(#output)),
        };
        let call = if sig.asyncness.is_some() {
            quote!(#ident(#(#call_args),*).await)
        } else {
            quote!(#ident(#(#call_args),*))
        };
        let handle = quote!({
            let #output = #call;
            #respond
        });
        let reply = if let Some(asyncness) = &sig.asyncness {
            // Under the span of `async`: "future cannot be sent between
            // threads safely" then points at the function, not the attribute.
            let future =
                quote_spanned!(asyncness.span=> ::std::boxed::Box::pin(async move #handle));
            quote!(#private::Reply::Pending(#future))
        } else if self.args.blocking.is_some() {
            quote!(#private::Reply::blocking(move || #handle))
        } else {
            quote!(#private::Reply::Ready(#handle))
        };

        let signed = self.args.signed.is_some() || self.args.encrypted.is_some();
        let encrypted = self.args.encrypted.is_some();
        let line = quote_spanned!(ident.span()=> ::core::line!());
        let function_tokens = function.to_token_stream();
        quote! {
            #function_tokens

            #[doc(hidden)]
            const _: () = {
                fn __usrv_call(
                    __ctx: &#private::Ctx<'_>,
                ) -> ::core::result::Result<#private::Reply, ::usrv::Rejection> {
                    #(#extractions)*
                    ::core::result::Result::Ok(#reply)
                }

                #private::inventory::submit! {
                    #private::Route {
                        name: #fn_name,
                        module: ::core::module_path!(),
                        file: ::core::file!(),
                        line: #line,
                        pattern: #pattern,
                        segments: &[#(#segments),*],
                        methods: #private::MethodSet::from_bits(0u16 #(| #methods)*),
                        signed: #signed #(|| #needs_identity)*,
                        encrypted: #encrypted,
                        uses_body: false #(|| #uses_body)*,
                        arg_names: &[#(#arg_names),*],
                        call: __usrv_call,
                    }
                }
            };
        }
    }
}

/// The spans of the first and the last token of `tokens`.
fn edges(tokens: &impl ToTokens) -> (Span, Span) {
    use proc_macro2::TokenTree;
    let mut first = None;
    let mut last = None;
    for token in tokens.to_token_stream() {
        let (open, close) = match &token {
            TokenTree::Group(group) => (group.span_open(), group.span_close()),
            other => (other.span(), other.span()),
        };
        first.get_or_insert(open);
        last = Some(close);
    }
    let first = first.unwrap_or_else(Span::call_site);
    (first, last.unwrap_or(first))
}

/// What to write instead of a borrowed argument type.
fn owned_type(reference: &syn::TypeReference) -> String {
    match &*reference.elem {
        Type::Path(path) if path.qself.is_none() && path.path.is_ident("str") => "String".into(),
        Type::Slice(slice) => format!("Vec<{}>", pretty(&slice.elem)),
        other => pretty(other),
    }
}

/// Tokens as a person writes them: `Vec<u8>`, not `Vec < u8 >`.
fn pretty(tokens: &impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let prev = out.chars().last().unwrap_or(' ');
            let next = chars.peek().copied().unwrap_or(' ');
            let glued_after = matches!(prev, '&' | '<' | ':' | '(' | '[' | '\'');
            let glued_before = matches!(next, '<' | '>' | ':' | ',' | ')' | ']');
            if glued_after || glued_before {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn converter_name(converter: Converter) -> &'static str {
    match converter {
        Converter::Any => "Any",
        Converter::Int => "Int",
        Converter::Float => "Float",
        Converter::Str => "Str",
        Converter::Path => "Path",
    }
}
