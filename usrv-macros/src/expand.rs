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
            let error = syn::Error::new(
                Span::call_site(),
                "#[route] goes on a function: #[route(\"/path\")] fn handler(...) -> ... { ... }",
            );
            let error = error.to_compile_error();
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
        let mut errors = args.errors.clone();
        let path_span = args.path.span();
        let segments = match path::parse(&args.path.value()) {
            Ok(segments) => segments,
            Err(messages) => {
                errors.extend(messages.iter().map(|m| syn::Error::new(path_span, m)));
                Vec::new()
            }
        };
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
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.push(syn::Error::new(
                sig.generics.span(),
                "a route function cannot be generic: the framework must know every argument type to extract it",
            ));
        }
        if let Some(token) = &sig.unsafety {
            errors.push(syn::Error::new(
                token.span(),
                "a route function cannot be `unsafe`",
            ));
        }
        if let Some(variadic) = &sig.variadic {
            errors.push(syn::Error::new(
                variadic.span(),
                "a route function cannot be variadic",
            ));
        }
        if let (Some(blocking), Some(_)) = (args.blocking, sig.asyncness) {
            errors.push(syn::Error::new(
                blocking,
                "`blocking` is for synchronous functions: an async function already runs on the async workers",
            ));
        }

        let mut arguments = Vec::new();
        for input in &sig.inputs {
            let typed = match input {
                FnArg::Receiver(receiver) => {
                    errors.push(syn::Error::new(
                        receiver.span(),
                        "a route function cannot take `self`: write a free function",
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
                    errors.push(syn::Error::new(
                        other.span(),
                        "a route argument must be a plain name, as it names the value to extract: destructure it inside the function",
                    ));
                    continue;
                }
            };
            if let Type::Reference(reference) = &*typed.ty {
                errors.push(syn::Error::new(
                    reference.span(),
                    "a route argument must own its value: use `String` instead of `&str`, `Vec<T>` instead of `&[T]`",
                ));
                continue;
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
            if !arguments.iter().any(|a| a.name == name) {
                let shown = match converter {
                    Converter::Any => format!("<{name}>"),
                    other => format!("<{}:{name}>", other.keyword()),
                };
                errors.push(syn::Error::new(
                    path_span,
                    format!(
                        "the path parameter `{shown}` has no argument named `{name}` in `fn {}`; add one, e.g. `{name}: {}`",
                        sig.ident,
                        match converter {
                            Converter::Int => "i64",
                            Converter::Float => "f64",
                            _ => "String",
                        }
                    ),
                ));
            }
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

        let output_span = match &sig.output {
            ReturnType::Default => ident.span(),
            ReturnType::Type(_, ty) => ty.span(),
        };
        let respond = quote_spanned!(output_span=> #private::respond);
        let reply = if sig.asyncness.is_some() {
            quote! {
                #private::Reply::Pending(::std::boxed::Box::pin(async move {
                    #respond(#ident(#(#call_args),*).await)
                }))
            }
        } else if self.args.blocking.is_some() {
            quote! {
                #private::Reply::blocking(move || #respond(#ident(#(#call_args),*)))
            }
        } else {
            quote!(#private::Reply::Ready(#respond(#ident(#(#call_args),*))))
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

fn converter_name(converter: Converter) -> &'static str {
    match converter {
        Converter::Any => "Any",
        Converter::Int => "Int",
        Converter::Float => "Float",
        Converter::Str => "Str",
        Converter::Path => "Path",
    }
}
