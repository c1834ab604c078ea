//! Errors at the user's tokens, each with its notes and helps.
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

use proc_macro2::{Delimiter, Group, Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};

use crate::tokens::edges;

/// One error at a range of the user's tokens.
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
}

/// Every problem found in one `#[route]`, so that all are reported at once.
#[derive(Default)]
pub struct Diagnostics {
    errors: Vec<Diagnostic>,
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

    /// Whether an error was found: the route is then not generated.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The errors found, in order.
    #[cfg(test)]
    pub fn error_list(&self) -> &[Diagnostic] {
        &self.errors
    }

    /// Every error as a `compile_error!`.
    pub fn to_tokens(&self) -> TokenStream {
        let errors = self.errors.iter().map(Diagnostic::to_compile_error);
        quote!(#(#errors)*)
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
    fn every_error_is_kept() {
        let mut diagnostics = Diagnostics::default();
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
        let tokens = diagnostics.to_tokens().to_string();
        assert_eq!(tokens.matches("compile_error").count(), 3, "{tokens}");
    }
}
