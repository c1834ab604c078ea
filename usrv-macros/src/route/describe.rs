//! What the OpenAPI document says of the route: the doc comment, each
//! argument's place and schema, and what the function returns, as a
//! `usrv::__private::Api` in the route's static.
//!
//! Schemas are asked for through `(&&SchemaOf::<T>::new()).schema(..)`,
//! which is `T`'s `schemars::JsonSchema` when it has one and `{}` when it
//! does not: describing a route never fails to compile. A query value is
//! told from an extractor of the user's by the same means
//! (`Probe::<T>`: `FromParam`, `Option<FromParam>`, `Vec<FromParam>`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, Meta, ReturnType, Type};

use super::body::type_name;
use super::kind::{self, single_argument, Body, Role};
use super::Route;

/// The `Api` of the route.
pub fn api(route: &Route<'_>) -> TokenStream {
    let private = quote!(::usrv::__private);
    let doc = doc_comment(&route.function.attrs);
    let args = route.arguments.iter().map(|argument| {
        let name = argument.name.to_string();
        let ty = &argument.ty;
        let (kind, schema) = match kind::role(argument) {
            Role::Path => (quote!(Path), schema_of(ty)),
            Role::Query => {
                let probe = quote_spanned! {ty.span()=> {
                    fn __usrv_presence() -> #private::Presence {
                        #[allow(unused_imports)]
                        use #private::{ProbeExtractor as _, ProbeQuery as _};
                        (&&#private::Probe::<#ty>::new()).presence()
                    }
                    __usrv_presence
                }};
                (quote!(Value(#probe)), schema_of(query_value(ty)))
            }
            Role::Body { body, payload } => match body {
                Body::Json => (quote!(Json), schema_of(&payload)),
                Body::Form => (quote!(Form), schema_of(&payload)),
                Body::Multipart => (quote!(Multipart), quote!(#private::any_schema)),
                Body::Bytes => (quote!(Bytes), quote!(#private::any_schema)),
            },
            Role::Context => {
                let catch_all = type_name(ty).is_some_and(|n| n == "Kwargs" || n == "Args");
                let kind = match catch_all {
                    true => quote!(CatchAll),
                    false => quote!(Context),
                };
                (kind, quote!(#private::any_schema))
            }
        };
        quote! {
            #private::ApiArg {
                name: #name,
                kind: #private::ArgKind::#kind,
                schema: #schema,
            }
        }
    });
    let reply = reply(&route.function.sig.output);
    quote! {
        #private::Api {
            doc: #doc,
            package: match ::core::option_env!("CARGO_PKG_NAME") {
                ::core::option::Option::Some(name) => name,
                ::core::option::Option::None => "",
            },
            version: match ::core::option_env!("CARGO_PKG_VERSION") {
                ::core::option::Option::Some(version) => version,
                ::core::option::Option::None => "",
            },
            args: &[#(#args),*],
            reply: #reply,
        }
    }
}

/// `T` of a query argument `Option<T>` or `Vec<T>`, else the type itself.
fn query_value(ty: &Type) -> &Type {
    match type_name(ty) {
        Some(name) if name == "Option" || name == "Vec" => single_argument(ty).unwrap_or(ty),
        _ => ty,
    }
}

/// A `SchemaFn` giving `ty`'s schema.
fn schema_of(ty: &impl quote::ToTokens) -> TokenStream {
    let private = quote!(::usrv::__private);
    quote! {{
        fn __usrv_schema(
            schemas: &mut #private::Schemas,
        ) -> #private::JsonValue {
            #[allow(unused_imports)]
            use #private::{ViaAny as _, ViaJsonSchema as _};
            (&&#private::SchemaOf::<#ty>::new()).schema(schemas)
        }
        __usrv_schema
    }}
}

/// The schema of a returned value; `{}` for `impl Trait`, which has no name.
fn value_schema(ty: &Type) -> TokenStream {
    match ty {
        Type::ImplTrait(_) => quote!(::usrv::__private::any_schema),
        Type::Paren(paren) => value_schema(&paren.elem),
        ty => schema_of(ty),
    }
}

/// The `ApiReply` of a return type.
fn reply(output: &ReturnType) -> TokenStream {
    match output {
        ReturnType::Default => quote!(::usrv::__private::ApiReply::Empty),
        ReturnType::Type(_, ty) => reply_of(ty),
    }
}

fn reply_of(ty: &Type) -> TokenStream {
    let reply = quote!(::usrv::__private::ApiReply);
    match ty {
        Type::Paren(paren) => reply_of(&paren.elem),
        Type::Group(group) => reply_of(&group.elem),
        Type::Tuple(tuple) if tuple.elems.is_empty() => quote!(#reply::Empty),
        Type::Tuple(tuple) => {
            let values = tuple.elems.iter().skip(1).map(value_schema);
            quote!(#reply::Tuple(&[#(#values),*]))
        }
        Type::Reference(reference) => match &*reference.elem {
            Type::Path(path) if path.path.is_ident("str") => quote!(#reply::Text),
            _ => quote!(#reply::Any),
        },
        Type::Path(_) => {
            let Some(name) = type_name(ty) else {
                return quote!(#reply::Any);
            };
            match name.to_string().as_str() {
                "Json" => match single_argument(ty) {
                    Some(inner) => {
                        let schema = value_schema(inner);
                        quote!(#reply::Json(#schema))
                    }
                    None => quote!(#reply::Any),
                },
                "String" => quote!(#reply::Text),
                "StatusCode" => quote!(#reply::Status),
                "Bytes" => quote!(#reply::Bytes),
                "Rejection" => quote!(#reply::Rejection),
                "Result" => match result_arguments(ty) {
                    Some((ok, err)) => {
                        let (ok, err) = (reply_of(ok), reply_of(err));
                        quote!(#reply::Result(&#ok, &#err))
                    }
                    None => quote!(#reply::Any),
                },
                _ => quote!(#reply::Any),
            }
        }
        _ => quote!(#reply::Any),
    }
}

/// `T` and `E` of `Result<T, E>`.
fn result_arguments(ty: &Type) -> Option<(&Type, &Type)> {
    let Type::Path(path) = ty else { return None };
    let syn::PathArguments::AngleBracketed(arguments) = &path.path.segments.last()?.arguments
    else {
        return None;
    };
    let mut types = arguments.args.iter().filter_map(|argument| match argument {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    Some((types.next()?, types.next()?))
}

/// The doc comment: each `///` line (`#[doc = "..."]`), without the one
/// space after `///`.
pub fn doc_comment(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(meta) => match &meta.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|text| {
            // `split`, not `lines`: an empty `///` line is a paragraph break.
            text.split('\n')
                .map(|line| line.trim_end_matches('\r'))
                .map(|line| line.strip_prefix(' ').unwrap_or(line).to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    lines.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_comments_keep_their_lines() {
        let function: syn::ItemFn = syn::parse_quote! {
            /// Creates a todo.
            ///
            ///   Indented.
            #[doc = "Last."]
            #[doc = include_str!("x")]
            fn f() {}
        };
        assert_eq!(
            doc_comment(&function.attrs),
            "Creates a todo.\n\n  Indented.\nLast."
        );
    }

    #[test]
    fn replies_follow_the_return_type() {
        let cases = [
            ("()", "Empty"),
            ("(u16,)", "Tuple (& [])"),
            ("Json<Todo>", "Json"),
            ("&'static str", "Text"),
            ("String", "Text"),
            ("StatusCode", "Status"),
            ("Bytes", "Bytes"),
            ("Rejection", "Rejection"),
            ("Result<String, Rejection>", "Result (& :: usrv :: __private :: ApiReply :: Text , & :: usrv :: __private :: ApiReply :: Rejection)"),
            ("Response", "Any"),
            ("impl IntoResponse", "Any"),
        ];
        for (ty, expected) in cases {
            let ty: Type = syn::parse_str(ty).unwrap();
            let text = reply_of(&ty).to_string();
            assert!(
                text.starts_with(&format!(":: usrv :: __private :: ApiReply :: {expected}")),
                "{text}"
            );
        }
        let ty: Type = syn::parse_str("(u16, impl Serialize, Json<A>)").unwrap();
        let text = reply_of(&ty).to_string();
        assert!(text.contains("any_schema"), "{text}");
        assert!(text.contains("SchemaOf :: < Json < A > >"), "{text}");
    }
}
