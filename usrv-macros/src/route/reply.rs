//! What the typed call returns: the route's return type seen from the
//! client. `(status, a, b)` gives `(a, b)`, `(status, a)` gives `a`,
//! `(status,)` and `()` give `()`, `Json<T>` gives `T`, text gives
//! `String`, `StatusCode` the reply's status, `Bytes` the body, and
//! `Result<T, E>` the output of `T` (an error status is
//! `ClientError::Status`). A full `Response`, `impl IntoResponse` or a
//! responder of the user's own give the raw `usrv::client::Reply`.
//!
//! Values are mapped to types a client can own: `&str` becomes `String`,
//! `&[T]` a `Vec`, `Json<T>` inside a value `T`, and `Kwargs`, `Args` and
//! `impl Trait` values `serde_json::Value`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{GenericArgument, PathArguments, ReturnType, Type};

use super::body::type_name;
use super::kind::single_argument;

/// How the reply becomes the output: the `usrv::__private` function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decode {
    Json,
    Text,
    Empty,
    Status,
    Bytes,
    Raw,
}

impl Decode {
    /// The runtime function that decodes it.
    pub fn function(self) -> proc_macro2::Ident {
        let name = match self {
            Decode::Json => "decode_json",
            Decode::Text => "decode_text",
            Decode::Empty => "decode_empty",
            Decode::Status => "decode_status",
            Decode::Bytes => "decode_bytes",
            Decode::Raw => "decode_raw",
        };
        proc_macro2::Ident::new(name, proc_macro2::Span::call_site())
    }
}

/// The output type of `call` and how to decode it.
pub struct Output {
    pub ty: TokenStream,
    pub decode: Decode,
}

/// The output of a route returning `output`.
pub fn output(output: &ReturnType) -> Output {
    match output {
        ReturnType::Default => empty(),
        ReturnType::Type(_, ty) => of_type(ty),
    }
}

fn empty() -> Output {
    Output {
        ty: quote!(()),
        decode: Decode::Empty,
    }
}

fn raw() -> Output {
    Output {
        ty: quote!(::usrv::client::Reply),
        decode: Decode::Raw,
    }
}

fn of_type(ty: &Type) -> Output {
    match ty {
        Type::Paren(paren) => of_type(&paren.elem),
        Type::Group(group) => of_type(&group.elem),
        Type::Tuple(tuple) => {
            let values: Vec<TokenStream> = tuple.elems.iter().skip(1).map(value).collect();
            match values.len() {
                0 => empty(),
                1 => Output {
                    ty: values[0].clone(),
                    decode: Decode::Json,
                },
                _ => Output {
                    ty: quote!((#(#values),*)),
                    decode: Decode::Json,
                },
            }
        }
        Type::Reference(reference) if is_str(&reference.elem) => text(),
        Type::Path(_) => {
            let Some(name) = type_name(ty) else {
                return raw();
            };
            match name.to_string().as_str() {
                "Json" => match single_argument(ty) {
                    Some(inner) => Output {
                        ty: value(inner),
                        decode: Decode::Json,
                    },
                    None => raw(),
                },
                "String" => text(),
                "StatusCode" => Output {
                    ty: quote!(::usrv::StatusCode),
                    decode: Decode::Status,
                },
                "Bytes" => Output {
                    ty: quote!(::usrv::Bytes),
                    decode: Decode::Bytes,
                },
                "Rejection" => empty(),
                "Result" => match first_argument(ty) {
                    Some(ok) => of_type(ok),
                    None => raw(),
                },
                _ => raw(),
            }
        }
        _ => raw(),
    }
}

fn text() -> Output {
    Output {
        ty: quote!(::std::string::String),
        decode: Decode::Text,
    }
}

fn is_str(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none() && path.path.is_ident("str"))
}

/// `T` of `Result<T, E>`.
fn first_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let PathArguments::AngleBracketed(arguments) = &path.path.segments.last()?.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// A serialised value's type as a client owns it.
pub fn value(ty: &Type) -> TokenStream {
    match ty {
        Type::Paren(paren) => value(&paren.elem),
        Type::Group(group) => value(&group.elem),
        Type::Reference(reference) => match &*reference.elem {
            elem if is_str(elem) => quote!(::std::string::String),
            Type::Slice(slice) => {
                let elem = value(&slice.elem);
                quote!(::std::vec::Vec<#elem>)
            }
            elem => value(elem),
        },
        Type::Tuple(tuple) => {
            let elems = tuple.elems.iter().map(value);
            quote!((#(#elems,)*))
        }
        Type::Array(array) => {
            let (elem, len) = (value(&array.elem), &array.len);
            quote!([#elem; #len])
        }
        Type::Slice(slice) => {
            let elem = value(&slice.elem);
            quote!(::std::vec::Vec<#elem>)
        }
        Type::ImplTrait(_) => quote!(::usrv::__private::JsonValue),
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return quote!(#ty);
            };
            match last.ident.to_string().as_str() {
                "Json" => match single_argument(ty) {
                    Some(inner) => return value(inner),
                    None => return quote!(#ty),
                },
                "Kwargs" | "Args" => return quote!(::usrv::__private::JsonValue),
                _ => {}
            }
            // Map the type arguments: `Vec<Json<T>>` holds `T`s.
            let mut mapped = path.clone();
            if let Some(last) = mapped.path.segments.last_mut() {
                if let PathArguments::AngleBracketed(arguments) = &mut last.arguments {
                    for argument in arguments.args.iter_mut() {
                        if let GenericArgument::Type(inner) = argument {
                            let tokens = value(inner);
                            *inner = syn::parse2(tokens).unwrap_or_else(|_| inner.clone());
                        }
                    }
                }
            }
            quote!(#mapped)
        }
        other => quote!(#other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output_of(ty: &str) -> (String, Decode) {
        let written: ReturnType = match ty {
            "" => ReturnType::Default,
            ty => syn::parse_str(&format!("-> {ty}")).unwrap(),
        };
        let output = output(&written);
        (output.ty.to_string(), output.decode)
    }

    #[test]
    fn outputs_mirror_the_return_type() {
        let cases = [
            ("", "()", Decode::Empty),
            ("()", "()", Decode::Empty),
            ("(u16,)", "()", Decode::Empty),
            ("(StatusCode, i64)", "i64", Decode::Json),
            ("(u16, i64, String)", "(i64 , String)", Decode::Json),
            (
                "(u16, &'static str, Json<Todo>, Kwargs)",
                "(:: std :: string :: String , Todo , :: usrv :: __private :: JsonValue)",
                Decode::Json,
            ),
            ("Json<Vec<Todo>>", "Vec < Todo >", Decode::Json),
            ("usrv::Json<Todo>", "Todo", Decode::Json),
            ("String", ":: std :: string :: String", Decode::Text),
            ("&'static str", ":: std :: string :: String", Decode::Text),
            ("StatusCode", ":: usrv :: StatusCode", Decode::Status),
            ("Bytes", ":: usrv :: Bytes", Decode::Bytes),
            ("Result<(u16, i64), Rejection>", "i64", Decode::Json),
            ("Result<Json<u8>, StatusCode>", "u8", Decode::Json),
            ("Rejection", "()", Decode::Empty),
            ("Response", ":: usrv :: client :: Reply", Decode::Raw),
            (
                "impl IntoResponse",
                ":: usrv :: client :: Reply",
                Decode::Raw,
            ),
            ("MyResponder", ":: usrv :: client :: Reply", Decode::Raw),
        ];
        for (ty, expected, decode) in cases {
            assert_eq!(output_of(ty), (expected.to_owned(), decode), "{ty}");
        }
    }

    #[test]
    fn values_become_owned() {
        let cases = [
            (
                "&'static [&'static str]",
                ":: std :: vec :: Vec < :: std :: string :: String >",
            ),
            ("[Json<u8>; 2]", "[u8 ; 2]"),
            ("Option<(Json<A>, B)>", "Option < (A , B ,) >"),
            (
                "std::collections::BTreeMap<String, Json<A>>",
                "std :: collections :: BTreeMap < String , A >",
            ),
            ("impl Serialize", ":: usrv :: __private :: JsonValue"),
        ];
        for (ty, expected) in cases {
            let ty: Type = syn::parse_str(ty).unwrap();
            assert_eq!(value(&ty).to_string(), expected);
        }
    }
}
