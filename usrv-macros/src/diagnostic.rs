//! Errors and warnings at the user's tokens, each with its notes and helps.
//!
//! A stable proc macro cannot emit rustc's structured diagnostics
//! (`proc_macro::Diagnostic` is nightly only). As in the stable fallback of
//! Rocket's `devise`, an error is a `compile_error!` at the user's tokens
//! whose message carries its notes and helps on lines of their own:
//!
//! ```text
//! error: a route function cannot be `unsafe`
//!        = note: the framework calls it from safe code
//!  --> src/main.rs:4:1
//! ```
//!
//! A warning uses the one warning a macro can raise on stable: the use, at
//! the user's token, of a `#[deprecated]` constant whose note is the
//! message, which rustc shows as "use of deprecated constant `_::name`:
//! (the message)". It is the `deprecated` lint, so `#[allow(deprecated)]` is
//! what silences it.

use proc_macro2::{Delimiter, Group, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};

use crate::tokens::edges;

/// One error (or warning) at a range of the user's tokens.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// The first and the last token of the range.
    start: Span,
    end: Span,
    message: String,
    /// Why: `= note: ...` lines.
    notes: Vec<String>,
    /// What to write instead: `= help: ...` lines, after the notes.
    helps: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic at one span.
    pub fn new(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            start: span,
            end: span,
            message: message.into(),
            notes: Vec::new(),
            helps: Vec::new(),
        }
    }

    /// A diagnostic covering `tokens`, from the first to the last.
    pub fn spanned(tokens: &impl ToTokens, message: impl Into<String>) -> Diagnostic {
        let (start, end) = edges(tokens);
        Diagnostic {
            start,
            end,
            ..Diagnostic::new(start, message)
        }
    }

    /// Adds a `= note:` line: why.
    pub fn note(mut self, text: impl AsRef<str>) -> Diagnostic {
        self.notes.push(text.as_ref().to_owned());
        self
    }

    /// Adds a `= help:` line: what to write instead.
    pub fn help(mut self, text: impl AsRef<str>) -> Diagnostic {
        self.helps.push(text.as_ref().to_owned());
        self
    }

    /// The first line, without the notes and helps.
    #[cfg(test)]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The whole text: the message, then each note and each help on a line
    /// of its own, as rustc orders them.
    pub fn text(&self) -> String {
        let mut text = self.message.clone();
        let notes = self.notes.iter().map(|note| ("note", note));
        let helps = self.helps.iter().map(|help| ("help", help));
        for (level, line) in notes.chain(helps) {
            text.push_str(&format!("\n= {level}: {line}"));
        }
        text
    }

    /// `::core::compile_error! { "..." }`, spanned like `syn::Error`'s: the
    /// path at the first token, the message at the last, so that the caret
    /// covers the whole range.
    pub fn to_compile_error(&self) -> TokenStream {
        let path = quote_spanned!(self.start=> ::core::compile_error!);
        let mut message = Literal::string(&self.text());
        message.set_span(self.end);
        let mut group = Group::new(Delimiter::Brace, TokenTree::Literal(message).into());
        group.set_span(self.end);
        quote!(#path #group)
    }

    /// The diagnostic as a warning: a `#[deprecated]` constant named `name`
    /// (which shows in the warning), used at the diagnostic's first token.
    /// Each warning is an item of its own, so names may repeat.
    pub fn to_warning(&self, name: &str) -> TokenStream {
        let note = self.text();
        let definition = Ident::new(name, Span::call_site());
        let usage = Ident::new(name, self.start);
        quote! {
            const _: () = {
                #[deprecated(note = #note)]
                #[allow(non_upper_case_globals)]
                const #definition: () = ();
                #usage
            };
        }
    }
}

/// Every problem found in one `#[route]`, so that all are reported at once.
#[derive(Default)]
pub struct Diagnostics {
    errors: Vec<Diagnostic>,
    /// Each warning with the name of its deprecated constant.
    warnings: Vec<(&'static str, Diagnostic)>,
}

impl Diagnostics {
    /// Records an error.
    pub fn error(&mut self, error: Diagnostic) {
        self.errors.push(error);
    }

    /// Records errors, in order.
    pub fn errors(&mut self, errors: impl IntoIterator<Item = Diagnostic>) {
        self.errors.extend(errors);
    }

    /// Records the errors of a failed parse (each at its own token).
    pub fn syn_error(&mut self, error: syn::Error) {
        for error in error {
            self.errors
                .push(Diagnostic::new(error.span(), error.to_string()));
        }
    }

    /// Records a warning, shown as the use of the deprecated constant `name`.
    pub fn warning(&mut self, name: &'static str, warning: Diagnostic) {
        self.warnings.push((name, warning));
    }

    /// Whether an error was found: the route is then not generated.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The errors found, in order.
    #[cfg(test)]
    pub fn error_list(&self) -> &[Diagnostic] {
        &self.errors
    }

    /// The warnings found, in order.
    #[cfg(test)]
    pub fn warning_list(&self) -> impl Iterator<Item = &Diagnostic> {
        self.warnings.iter().map(|(_, warning)| warning)
    }

    /// Every error as a `compile_error!`, then every warning.
    pub fn to_tokens(&self) -> TokenStream {
        let errors = self.errors.iter().map(Diagnostic::to_compile_error);
        let warnings = self.warnings.iter().map(|(n, w)| w.to_warning(n));
        quote!(#(#errors)* #(#warnings)*)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_and_helps_are_lines_of_their_own() {
        let diagnostic = Diagnostic::new(Span::call_site(), "a route function cannot be `unsafe`")
            .help("remove `unsafe`")
            .note("the framework calls it from safe code");
        assert_eq!(
            diagnostic.text(),
            "a route function cannot be `unsafe`\n\
             = note: the framework calls it from safe code\n\
             = help: remove `unsafe`"
        );
        let tokens = diagnostic.to_compile_error().to_string();
        assert!(tokens.starts_with(":: core :: compile_error !"), "{tokens}");
        assert!(tokens.contains(r"\n= note: the framework"), "{tokens}");
    }

    #[test]
    fn a_warning_is_a_deprecated_constant_used_once() {
        let warning = Diagnostic::new(Span::call_site(), "reads the body").help("use POST");
        let tokens = warning.to_warning("body_on_a_GET_route").to_string();
        assert!(
            tokens.contains(r#"# [deprecated (note = "reads the body\n= help: use POST")]"#),
            "{tokens}"
        );
        assert_eq!(tokens.matches("body_on_a_GET_route").count(), 2, "{tokens}");
    }

    #[test]
    fn every_error_is_kept() {
        let mut diagnostics = Diagnostics::default();
        assert!(!diagnostics.has_errors());
        diagnostics.warning("w", Diagnostic::new(Span::call_site(), "w"));
        assert!(!diagnostics.has_errors());
        let mut error = syn::Error::new(Span::call_site(), "first");
        error.combine(syn::Error::new(Span::call_site(), "second"));
        diagnostics.syn_error(error);
        diagnostics.error(Diagnostic::new(Span::call_site(), "third"));
        let messages: Vec<&str> = diagnostics
            .error_list()
            .iter()
            .map(|d| d.message())
            .collect();
        assert_eq!(messages, ["first", "second", "third"]);
        assert_eq!(diagnostics.warning_list().count(), 1);
        let tokens = diagnostics.to_tokens().to_string();
        assert_eq!(tokens.matches("compile_error").count(), 3, "{tokens}");
        assert_eq!(tokens.matches("deprecated").count(), 1, "{tokens}");
    }
}
