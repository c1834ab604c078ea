//! The route syntax, defined once: the HTTP methods a route may name (in the
//! order of the runtime's `MethodSet` bits), the path converters and the most
//! path parameters one route may have.
//!
//! The macro checks every route against these lists, and `__route_syntax!()`
//! writes the runtime's copy from them, so the two cannot disagree.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

/// The HTTP methods a route may name. A method's bit in the runtime's
/// `MethodSet` is its index here, so the common methods come first: the
/// runtime compares them in this order on every request.
pub const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// The most path parameters one route may have: the router records them in
/// an array of this size, so that a lookup allocates nothing.
pub const MAX_PARAMS: usize = 16;

/// One of [`METHODS`], by its index (its bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Method(usize);

impl Method {
    /// `GET`, what a route answers when it names no method.
    pub const GET: Method = Method(0);
    /// `HEAD`, answered by every GET route as well.
    pub const HEAD: Method = Method(5);

    /// The method named exactly `name` (upper case), if a route may name it.
    pub fn named(name: &str) -> Option<Method> {
        METHODS.iter().position(|m| *m == name).map(Method)
    }

    /// Its name, as written in `methods = [...]`.
    pub fn name(self) -> &'static str {
        METHODS[self.0]
    }

    /// Its bit in the runtime's `MethodSet`.
    pub fn bit(self) -> u16 {
        1 << self.0
    }
}

/// How a path parameter is converted, written `<kind:name>` in the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Converter {
    /// `<name>`: any type that can be parsed from a segment.
    Any,
    /// `<int:name>`: an integer type.
    Int,
    /// `<float:name>`: `f32` or `f64`.
    Float,
    /// `<str:name>`: a string type.
    Str,
    /// `<path:name>`: the rest of the path, slashes included.
    Path,
}

/// The converters a `<kind:name>` parameter may name, by keyword.
pub const CONVERTERS: [(&str, Converter); 4] = [
    ("int", Converter::Int),
    ("float", Converter::Float),
    ("str", Converter::Str),
    ("path", Converter::Path),
];

impl Converter {
    /// The converter a `<kind:name>` parameter names.
    pub fn from_keyword(kind: &str) -> Option<Converter> {
        CONVERTERS
            .iter()
            .find(|(keyword, _)| *keyword == kind)
            .map(|(_, converter)| *converter)
    }

    /// The `kind` of `<kind:name>`; `None` for `<name>`.
    pub fn keyword(self) -> Option<&'static str> {
        CONVERTERS
            .iter()
            .find(|(_, converter)| *converter == self)
            .map(|(keyword, _)| *keyword)
    }

    /// The parameter as written in a path: `<int:id>` or `<id>`.
    pub fn show(self, name: &str) -> String {
        match self.keyword() {
            Some(keyword) => format!("<{keyword}:{name}>"),
            None => format!("<{name}>"),
        }
    }

    /// A type to suggest for an argument that takes this parameter.
    pub fn example_type(self) -> &'static str {
        match self {
            Converter::Int => "i64",
            Converter::Float => "f64",
            Converter::Any | Converter::Str | Converter::Path => "String",
        }
    }

    /// The variant of the runtime's `Converter`.
    pub fn variant(self) -> Ident {
        let name = match self {
            Converter::Any => "Any",
            Converter::Int => "Int",
            Converter::Float => "Float",
            Converter::Str => "Str",
            Converter::Path => "Path",
        };
        Ident::new(name, Span::call_site())
    }

    /// The runtime function that extracts a parameter through it.
    pub fn extractor(self) -> Ident {
        let name = match self {
            Converter::Any => "path_any",
            Converter::Int => "path_int",
            Converter::Float => "path_float",
            Converter::Str => "path_str",
            Converter::Path => "path_path",
        };
        Ident::new(name, Span::call_site())
    }
}

/// The runtime's copy of the syntax, for `usrv_macros::__route_syntax!()`
/// in the module that defines `MethodSet`:
///
/// - `METHODS: [http::Method; 9]`, in bit order;
/// - `method_index(&Method) -> Option<u32>`, the bit of a method, a `match`
///   in the same order (the request hot path);
/// - `pub(crate) MAX_PARAMS: usize`.
pub fn runtime_definitions() -> TokenStream {
    let count = Literal::usize_unsuffixed(METHODS.len());
    let max_params = Literal::usize_unsuffixed(MAX_PARAMS);
    let methods: Vec<Ident> = METHODS
        .iter()
        .map(|m| Ident::new(m, Span::call_site()))
        .collect();
    let indices = (0..METHODS.len()).map(|i| Literal::u32_unsuffixed(i as u32));
    quote! {
        /// The methods a route may name, in the order of `MethodSet`'s bits
        /// (from the one definition the macro checks routes against).
        const METHODS: [::http::Method; #count] = [#(::http::Method::#methods),*];

        /// The index of `method` in [`METHODS`], that is its bit in a
        /// `MethodSet`; `None` for extension methods.
        #[inline]
        fn method_index(method: &::http::Method) -> ::core::option::Option<u32> {
            match *method {
                #(::http::Method::#methods => ::core::option::Option::Some(#indices),)*
                _ => ::core::option::Option::None,
            }
        }

        /// The most path parameters one route may have (the macro rejects
        /// routes with more).
        pub(crate) const MAX_PARAMS: usize = #max_params;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_methods_keep_their_bits() {
        assert_eq!(Method::GET.name(), "GET");
        assert_eq!(Method::HEAD.name(), "HEAD");
        assert_eq!(Method::GET.bit(), 1);
        for (index, name) in METHODS.iter().enumerate() {
            let method = Method::named(name).expect("every listed method is named");
            assert_eq!(method.bit(), 1 << index, "{name}");
            assert_eq!(method.name(), *name);
        }
        assert_eq!(Method::named("get"), None, "callers upper-case first");
        assert_eq!(Method::named("FETCH"), None);
        assert!(METHODS.len() <= 16, "the runtime's MethodSet is a u16");
    }

    #[test]
    fn converters_round_trip() {
        for (keyword, converter) in CONVERTERS {
            assert_eq!(Converter::from_keyword(keyword), Some(converter));
            assert_eq!(converter.keyword(), Some(keyword));
            assert_eq!(converter.show("id"), format!("<{keyword}:id>"));
        }
        assert_eq!(Converter::Any.keyword(), None);
        assert_eq!(Converter::Any.show("id"), "<id>");
        assert_eq!(Converter::from_keyword("uuid"), None);
    }

    #[test]
    fn runtime_definitions_follow_the_lists() {
        let text = runtime_definitions().to_string();
        let listed: Vec<String> = METHODS
            .iter()
            .map(|m| format!(":: http :: Method :: {m}"))
            .collect();
        assert!(
            text.contains(&format!("[{}]", listed.join(" , "))),
            "{text}"
        );
        for (index, method) in listed.iter().enumerate() {
            let arm = format!("{method} => :: core :: option :: Option :: Some ({index})");
            assert!(text.contains(&arm), "{arm} in {text}");
        }
        assert!(text.contains("const MAX_PARAMS : usize = 16 ;"), "{text}");
    }
}
