//! The arguments of the attribute: `#[route("/path", methods = [...], signed)]`.
//!
//! Reading goes on after a mistake, so that every problem is reported at
//! once; only broken syntax (`#[route("/a" signed)]`) stops it.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprArray, ExprLit, Ident, Lit, LitStr, Token};

use crate::diagnostic::Diagnostic;
use crate::suggest::closest;
use crate::syntax::{Method, METHODS};

/// How the options are written, for messages.
const OPTIONS: &str = "`methods = [...]`, `signed`, `encrypted`, `blocking`";

/// The options written without a value.
const FLAGS: [&str; 3] = ["signed", "encrypted", "blocking"];

/// Every option's name, for suggestions.
const OPTION_NAMES: [&str; 4] = ["methods", "signed", "encrypted", "blocking"];

/// What the attribute says, before it is checked against the function.
pub struct Attribute {
    pub path: LitStr,
    /// False when the path was not a string literal (already reported).
    pub path_is_valid: bool,
    /// The methods, in the order written; GET when none is named.
    pub methods: Vec<Method>,
    pub signed: Option<Span>,
    pub encrypted: Option<Span>,
    pub blocking: Option<Span>,
    /// Problems found while reading the options, each at its token.
    pub errors: Vec<Diagnostic>,
}

impl Parse for Attribute {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "missing route path\n\
                 = help: write #[route(\"/path\")] or #[route(\"/path\", methods = [\"POST\"])]",
            ));
        }
        let mut errors = Vec::new();
        let path = if input.peek(LitStr) {
            input.parse::<LitStr>()?
        } else {
            // Report it, then read the options anyway.
            let span = input.span();
            let found: Expr = input.parse()?;
            errors.push(
                Diagnostic::spanned(&found, "the route path must be a string literal")
                    .note("the macro parses the path at compile time, so it cannot be a constant or an expression")
                    .help("write the path itself: #[route(\"/users/<int:id>\")]"),
            );
            LitStr::new("/", span)
        };
        let mut attribute = Attribute {
            path_is_valid: errors.is_empty(),
            path,
            methods: Vec::new(),
            signed: None,
            encrypted: None,
            blocking: None,
            errors,
        };
        let mut methods_seen = false;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            if input.peek(LitStr) {
                let extra: LitStr = input.parse()?;
                attribute.errors.push(
                    Diagnostic::new(extra.span(), "a route has one path")
                        .help("to answer several paths, write one function per path"),
                );
                continue;
            }
            let name: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    format!("expected an option\n= note: the options are: {OPTIONS}"),
                )
            })?;
            if input.peek(Token![=]) {
                input.parse::<Token![=]>()?;
                let value: Expr = input.parse()?;
                attribute.read_valued_option(&name, &value, &mut methods_seen);
            } else {
                attribute.read_flag(&name);
            }
        }
        if attribute.methods.is_empty() && !methods_seen {
            attribute.methods.push(Method::GET);
        }
        Ok(attribute)
    }
}

impl Attribute {
    /// `name = value`: only `methods` takes a value.
    fn read_valued_option(&mut self, name: &Ident, value: &Expr, methods_seen: &mut bool) {
        if name == "methods" {
            if *methods_seen {
                self.errors.push(
                    Diagnostic::new(name.span(), "`methods` is given twice")
                        .help("list every method in one `methods = [...]`"),
                );
            }
            *methods_seen = true;
            self.read_methods(value);
        } else if FLAGS.contains(&name.to_string().as_str()) {
            self.errors.push(
                Diagnostic::spanned(value, format!("the option `{name}` takes no value"))
                    .help(format!("write `{name}` alone")),
            );
        } else {
            self.errors.push(unknown_option(name));
        }
    }

    /// `signed`, `encrypted` or `blocking`.
    fn read_flag(&mut self, name: &Ident) {
        let slot = match name.to_string().as_str() {
            "signed" => &mut self.signed,
            "encrypted" => &mut self.encrypted,
            "blocking" => &mut self.blocking,
            "methods" => {
                self.errors.push(
                    Diagnostic::new(name.span(), "`methods` needs a list")
                        .help("write `methods = [\"GET\", \"POST\"]`"),
                );
                return;
            }
            _ => {
                self.errors.push(unknown_option(name));
                return;
            }
        };
        if slot.is_some() {
            self.errors.push(Diagnostic::new(
                name.span(),
                format!("the option `{name}` is given twice"),
            ));
        }
        *slot = Some(name.span());
    }

    /// `methods = ["GET", "POST"]`.
    fn read_methods(&mut self, value: &Expr) {
        let Expr::Array(ExprArray { elems, .. }) = value else {
            self.errors.push(
                Diagnostic::spanned(value, "`methods` needs a list of strings")
                    .help("write `methods = [\"GET\", \"POST\"]`"),
            );
            return;
        };
        if elems.is_empty() {
            self.errors.push(
                Diagnostic::spanned(value, "`methods` is empty")
                    .help("name at least one HTTP method: `methods = [\"GET\"]`"),
            );
        }
        for elem in elems {
            let Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) = elem
            else {
                self.errors.push(Diagnostic::spanned(
                    elem,
                    "a method is a string literal, like \"POST\"",
                ));
                continue;
            };
            let written = lit.value();
            match Method::named(&written.to_ascii_uppercase()) {
                None => self.errors.push(unknown_method(lit, &written)),
                Some(method) if self.methods.contains(&method) => {
                    self.errors.push(Diagnostic::new(
                        lit.span(),
                        format!("the method `{}` is listed twice", method.name()),
                    ))
                }
                Some(method) => self.methods.push(method),
            }
        }
    }
}

fn unknown_method(lit: &LitStr, written: &str) -> Diagnostic {
    let mut error = Diagnostic::new(lit.span(), format!("unknown HTTP method `{written}`"));
    if let Some(close) = closest(&written.to_ascii_uppercase(), &METHODS) {
        error = error.help(format!("did you mean \"{close}\"?"));
    }
    error.note(format!("the methods are: {}", METHODS.join(", ")))
}

fn unknown_option(name: &Ident) -> Diagnostic {
    let mut error = Diagnostic::new(name.span(), format!("unknown option `{name}`"));
    if let Some(close) = closest(&name.to_string(), &OPTION_NAMES) {
        error = error.help(format!("did you mean `{close}`?"));
    }
    error.note(format!("the options are: {OPTIONS}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: proc_macro2::TokenStream) -> Attribute {
        syn::parse2(tokens).expect("the attribute's syntax is valid")
    }

    fn messages(attribute: &Attribute) -> Vec<String> {
        attribute.errors.iter().map(Diagnostic::text).collect()
    }

    #[test]
    fn reads_every_option() {
        let attribute = parse(quote::quote!(
            "/a",
            methods = ["post", "GET"],
            signed,
            blocking
        ));
        assert!(attribute.errors.is_empty(), "{:?}", messages(&attribute));
        assert_eq!(attribute.path.value(), "/a");
        let methods: Vec<&str> = attribute.methods.iter().map(|m| m.name()).collect();
        assert_eq!(methods, ["POST", "GET"]);
        assert!(attribute.signed.is_some() && attribute.blocking.is_some());
        assert!(attribute.encrypted.is_none());
    }

    #[test]
    fn answers_get_when_no_method_is_named() {
        let attribute = parse(quote::quote!("/a"));
        assert_eq!(attribute.methods.len(), 1);
        assert_eq!(attribute.methods, [Method::GET]);
        // An empty list is an error, not GET.
        let attribute = parse(quote::quote!("/a", methods = []));
        assert!(attribute.methods.is_empty());
        assert_eq!(messages(&attribute).len(), 1);
    }

    #[test]
    fn reports_every_mistake_with_its_help() {
        let attribute = parse(quote::quote!(
            USERS,
            "/b",
            methods = ["GET", "PSOT", "get"],
            sigend,
            signed = true,
            methods,
            blocking,
            blocking
        ));
        let messages = messages(&attribute);
        assert!(!attribute.path_is_valid);
        assert_eq!(messages.len(), 8, "{messages:#?}");
        assert!(messages[0].starts_with("the route path must be a string literal\n= note:"));
        assert!(messages[1].starts_with("a route has one path\n= help:"));
        assert!(messages[2]
            .starts_with("unknown HTTP method `PSOT`\n= note: the methods are: GET, POST"));
        assert!(messages[2].ends_with("\n= help: did you mean \"POST\"?"));
        assert_eq!(messages[3], "the method `GET` is listed twice");
        assert!(messages[4].starts_with("unknown option `sigend`\n= note: the options are"));
        assert!(messages[4].ends_with("\n= help: did you mean `signed`?"));
        assert!(messages[5].starts_with("the option `signed` takes no value"));
        assert!(messages[6].starts_with("`methods` needs a list"));
        assert_eq!(messages[7], "the option `blocking` is given twice");
    }

    #[test]
    fn broken_syntax_stops_reading() {
        assert!(syn::parse2::<Attribute>(quote::quote!()).is_err());
        assert!(syn::parse2::<Attribute>(quote::quote!("/a" signed)).is_err());
        assert!(syn::parse2::<Attribute>(quote::quote!("/a", 42)).is_err());
    }
}
