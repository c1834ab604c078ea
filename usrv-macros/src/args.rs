//! The arguments of the attribute: `#[route("/path", methods = [...], signed)]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprArray, ExprLit, Ident, Lit, LitStr, Token};

use crate::suggest::closest;

/// The HTTP methods a route may name, in the order of `MethodSet`'s bits.
pub const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

const OPTIONS: &str = "`methods = [...]`, `signed`, `encrypted`, `blocking`";

/// The options written without a value.
const FLAGS: &[&str] = &["signed", "encrypted", "blocking"];

/// Every option's name, for suggestions.
const OPTION_NAMES: &[&str] = &["methods", "signed", "encrypted", "blocking"];

/// What the attribute says, before it is checked against the function.
pub struct RouteArgs {
    pub path: LitStr,
    /// False when the path was not a string literal (already reported).
    pub path_is_valid: bool,
    /// Each method with the span of its string, in the order written.
    pub methods: Vec<(&'static str, Span)>,
    pub signed: Option<Span>,
    pub encrypted: Option<Span>,
    pub blocking: Option<Span>,
    /// Problems found while reading the options, each at its token.
    pub errors: Vec<syn::Error>,
}

impl Parse for RouteArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "missing route path: write #[route(\"/path\")] or #[route(\"/path\", methods = [\"POST\"])]",
            ));
        }
        let mut errors = Vec::new();
        let path = if input.peek(LitStr) {
            input.parse::<LitStr>()?
        } else {
            // Report it, then read the options anyway: every problem is
            // reported at once.
            let span = input.span();
            let found: Expr = input.parse()?;
            errors.push(syn::Error::new_spanned(
                &found,
                "the route path must be a string literal, like #[route(\"/users/<int:id>\")]: \
                 the macro parses it at compile time, so it cannot be a constant or an expression",
            ));
            LitStr::new("/", span)
        };
        let mut args = RouteArgs {
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
                args.errors.push(syn::Error::new(
                    extra.span(),
                    "a route has one path; to answer several paths, write one function per path",
                ));
                continue;
            }
            let name: Ident = input
                .parse()
                .map_err(|e| syn::Error::new(e.span(), format!("expected an option: {OPTIONS}")))?;
            if input.peek(Token![=]) {
                input.parse::<Token![=]>()?;
                let value: Expr = input.parse()?;
                if name == "methods" {
                    if methods_seen {
                        args.errors.push(syn::Error::new(
                            name.span(),
                            "`methods` is given twice: list every method in one `methods = [...]`",
                        ));
                    }
                    methods_seen = true;
                    args.read_methods(&value);
                } else if FLAGS.contains(&name.to_string().as_str()) {
                    args.errors.push(syn::Error::new_spanned(
                        &value,
                        format!("the option `{name}` takes no value: write `{name}` alone"),
                    ));
                } else {
                    args.errors.push(unknown_option(&name));
                }
                continue;
            }
            let slot = match name.to_string().as_str() {
                "signed" => &mut args.signed,
                "encrypted" => &mut args.encrypted,
                "blocking" => &mut args.blocking,
                "methods" => {
                    args.errors.push(syn::Error::new(
                        name.span(),
                        "`methods` needs a list: methods = [\"GET\", \"POST\"]",
                    ));
                    continue;
                }
                _ => {
                    args.errors.push(unknown_option(&name));
                    continue;
                }
            };
            if slot.is_some() {
                args.errors.push(syn::Error::new(
                    name.span(),
                    format!("the option `{name}` is given twice"),
                ));
            }
            *slot = Some(name.span());
        }
        if args.methods.is_empty() && !methods_seen {
            args.methods.push(("GET", args.path.span()));
        }
        Ok(args)
    }
}

impl RouteArgs {
    fn read_methods(&mut self, value: &Expr) {
        let Expr::Array(ExprArray { elems, .. }) = value else {
            self.errors.push(syn::Error::new_spanned(
                value,
                "`methods` needs a list of strings: methods = [\"GET\", \"POST\"]",
            ));
            return;
        };
        if elems.is_empty() {
            self.errors.push(syn::Error::new_spanned(
                value,
                "`methods` is empty: name at least one HTTP method",
            ));
        }
        let elems: &Punctuated<Expr, Token![,]> = elems;
        for elem in elems {
            let Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) = elem
            else {
                self.errors.push(syn::Error::new_spanned(
                    elem,
                    "a method is a string literal, like \"POST\"",
                ));
                continue;
            };
            let text = lit.value().to_ascii_uppercase();
            match METHODS.iter().find(|m| **m == text) {
                None => {
                    let hint = match closest(&text, METHODS) {
                        Some(close) => format!(" (did you mean \"{close}\"?)"),
                        None => String::new(),
                    };
                    self.errors.push(syn::Error::new(
                        lit.span(),
                        format!(
                            "unknown HTTP method `{}`{hint}; expected one of: {}",
                            lit.value(),
                            METHODS.join(", ")
                        ),
                    ))
                }
                Some(method) if self.methods.iter().any(|(m, _)| m == method) => self.errors.push(
                    syn::Error::new(lit.span(), format!("the method `{method}` is listed twice")),
                ),
                Some(method) => self.methods.push((method, lit.span())),
            }
        }
    }
}

fn unknown_option(name: &Ident) -> syn::Error {
    let hint = match closest(&name.to_string(), OPTION_NAMES) {
        Some(close) => format!(" (did you mean `{close}`?)"),
        None => String::new(),
    };
    syn::Error::new(
        name.span(),
        format!("unknown option `{name}`{hint}; the options are: {OPTIONS}"),
    )
}
