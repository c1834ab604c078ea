//! Small helpers on the user's tokens: where they start and end, and how a
//! person writes them.

use proc_macro2::{Span, TokenTree};
use quote::ToTokens;

/// The spans of the first and the last token of `tokens`.
///
/// Without `Span::join` on stable, a diagnostic (or an expression whose
/// errors rustc reports) covers several tokens when it starts with the first
/// token's span and ends with the last token's span.
pub fn edges(tokens: &impl ToTokens) -> (Span, Span) {
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

/// Tokens as a person writes them: `Vec<u8>`, not `Vec < u8 >`.
pub fn pretty(tokens: &impl ToTokens) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_as_written() {
        let ty: syn::Type = syn::parse_quote!(&'static [Option<Vec<u8>>]);
        assert_eq!(pretty(&ty), "&'static [Option<Vec<u8>>]");
        let ty: syn::Type = syn::parse_quote!(std::collections::HashMap<String, (i64, bool)>);
        assert_eq!(
            pretty(&ty),
            "std::collections::HashMap<String, (i64, bool)>"
        );
    }
}
