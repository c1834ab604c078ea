//! What the literal segments of a route path may contain.
//!
//! The router compares a literal with the request path as the client sent
//! it: still percent-encoded, byte for byte. So a literal is written the way
//! RFC 3986 has a client send it, as `pchar`s: letters, digits, `-._~`,
//! `!$&'()*+,;=`, `:` and `@` as they are, and every other byte
//! percent-encoded (`%20` for a space, `%C3%A9` for `é`). Anything else can
//! never match a conforming client, so it is a compile error that shows the
//! encoded form to write instead.
//!
//! `?` and `#` are not part of the path at all (a query string, a fragment):
//! query values are function arguments, and a fragment is never sent.
//!
//! A percent-encoded byte matches only that spelling: `%2F` in a literal
//! matches a request that has `%2F` (upper case, as RFC 3986 recommends),
//! not `/`. Some clients send characters outside `pchar` without encoding
//! them (browsers send `|` as is, curl sends whatever it is given); such a
//! request does not match the encoded literal.

use crate::diagnostic::Diagnostic;
use proc_macro2::Span;

/// One kind of problem in a literal; each is reported once per path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A character outside `pchar`, to be percent-encoded.
    Unencoded(char),
    /// A `%` not followed by two hex digits (the first such spelling).
    BadEscape(String),
    /// A `.` or `..` segment, which clients resolve before sending.
    DotSegment(String),
}

/// The problems of one literal segment, in order, each kind once.
pub fn problems(segment: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    if segment == "." || segment == ".." {
        problems.push(Problem::DotSegment(segment.to_owned()));
    }
    let mut rest = segment;
    while let Some(c) = rest.chars().next() {
        let problem = if c == '%' {
            match escape_at(rest) {
                Some(_) => None,
                None => {
                    let shown: String = rest.chars().take(3).collect();
                    let seen = problems.iter().any(|p| matches!(p, Problem::BadEscape(_)));
                    (!seen).then_some(Problem::BadEscape(shown))
                }
            }
        } else if is_pchar(c) {
            None
        } else {
            Some(Problem::Unencoded(c))
        };
        if let Some(problem) = problem {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
        rest = &rest[escape_at(rest).unwrap_or(c.len_utf8())..];
    }
    problems
}

/// The segment as a client sends it: every character outside `pchar`
/// percent-encoded, and a `%` that starts no escape written `%25`.
pub fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut rest = segment;
    while let Some(c) = rest.chars().next() {
        if let Some(len) = escape_at(rest) {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if is_pchar(c) {
            out.push(c);
        } else {
            out.push_str(&percent_encoded(c));
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The diagnostic for one problem; `fixed` is the whole path as it should be
/// written.
pub fn diagnostic(problem: &Problem, fixed: &str, span: Span) -> Diagnostic {
    match problem {
        Problem::Unencoded(c) => Diagnostic::new(
            span,
            format!("a route path cannot contain {}", describe(*c)),
        )
        .note(format!(
            "the router compares the path as the client sends it, and a client sends {} percent-encoded, as `{}` (RFC 3986)",
            it(*c),
            percent_encoded(*c)
        ))
        .help(format!("write \"{fixed}\"")),
        Problem::BadEscape(shown) => Diagnostic::new(
            span,
            format!("`{shown}` is not a percent-encoded byte: `%` must be followed by two hex digits"),
        )
        .help(format!("a `%` itself is written `%25`: \"{fixed}\"")),
        Problem::DotSegment(segment) => Diagnostic::new(
            span,
            format!("a route path cannot have a `{segment}` segment"),
        )
        .note("clients resolve `.` and `..` segments before sending a request (RFC 3986, section 5.2.4), so the router never sees one")
        .help(format!("write \"{fixed}\"")),
    }
}

/// `?`: the rest is a query string, which the router does not match.
pub fn query(path: &str, query: &str, span: Span) -> Diagnostic {
    let key = query
        .split('&')
        .next()
        .and_then(|pair| pair.split('=').next())
        .map(|key| key.trim_start_matches('<').trim_end_matches('>'))
        .map(|key| key.rsplit(':').next().unwrap_or(key))
        .filter(|key| super::path::is_identifier(key))
        .unwrap_or("name");
    Diagnostic::new(span, "a route path cannot contain `?`")
        .note("`?` starts the query string, which is not part of the path the router matches")
        .help(format!(
            "query values are function arguments: write \"{path}\" and take `{key}: String` to read `?{key}=...`"
        ))
}

/// `#`: the rest is a fragment, which a client never sends.
pub fn fragment(path: &str, fragment: &str, span: Span) -> Diagnostic {
    Diagnostic::new(span, "a route path cannot contain `#`")
        .note("`#` starts the fragment of a URL, which a client never sends to the server")
        .help(format!(
            "write \"{path}\"; to match a `#` that the client sends percent-encoded, write \"{path}{}\"",
            encode(fragment)
        ))
}

/// RFC 3986 `pchar`, except that a `%` is accepted only as part of an escape
/// (see [`escape_at`]).
fn is_pchar(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.' | '_' | '~' // unreserved
            | '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '=' // sub-delims
            | ':' | '@'
        )
}

/// The length of the escape `%XX` at the start of `text`, if there is one.
fn escape_at(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let is_escape = bytes.len() >= 3
        && bytes[0] == b'%'
        && bytes[1].is_ascii_hexdigit()
        && bytes[2].is_ascii_hexdigit();
    is_escape.then_some(3)
}

/// `%C3%A9` for `é`: each UTF-8 byte, upper-case hex.
fn percent_encoded(c: char) -> String {
    let mut buffer = [0; 4];
    c.encode_utf8(&mut buffer)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect()
}

/// How a message names the character.
fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        c if c.is_control() => format!("the control character `{}`", c.escape_debug()),
        c => format!("`{c}`"),
    }
}

/// How a note refers back to the character.
fn it(c: char) -> &'static str {
    match c {
        ' ' => "a space",
        c if c.is_control() => "a control character",
        _ => "it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pchars_and_escapes_are_fine() {
        let every_pchar = "AZaz09-._~!$&'()*+,;=:@%20%c3%A9";
        assert_eq!(problems(every_pchar), []);
        assert_eq!(encode(every_pchar), every_pchar);
        assert_eq!(problems("..."), [], "only `.` and `..` are dot segments");
    }

    #[test]
    fn finds_each_kind_once() {
        assert_eq!(
            problems("a b c\td|é"),
            [
                Problem::Unencoded(' '),
                Problem::Unencoded('\t'),
                Problem::Unencoded('|'),
                Problem::Unencoded('é'),
            ]
        );
        assert_eq!(
            problems("100%-%zz%"),
            [Problem::BadEscape("%-%".into())],
            "one report for every bad escape of a segment"
        );
        assert_eq!(problems("%4"), [Problem::BadEscape("%4".into())]);
        assert_eq!(problems(".."), [Problem::DotSegment("..".into())]);
        for c in [
            '"', '<', '>', '[', '\\', ']', '^', '`', '{', '|', '}', '\u{7f}',
        ] {
            assert_eq!(problems(&c.to_string()), [Problem::Unencoded(c)], "{c:?}");
        }
    }

    #[test]
    fn encodes_what_a_client_sends() {
        assert_eq!(encode("a b"), "a%20b");
        assert_eq!(encode("café"), "caf%C3%A9");
        assert_eq!(encode("100%"), "100%25");
        assert_eq!(encode("%zz%20"), "%25zz%20");
        assert_eq!(encode("\u{1}|"), "%01%7C");
    }

    #[test]
    fn messages_say_what_to_write() {
        let span = Span::call_site();
        let text = diagnostic(&Problem::Unencoded(' '), "/a%20b", span).text();
        assert_eq!(
            text,
            "a route path cannot contain a space\n\
             = note: the router compares the path as the client sends it, and a client sends a space percent-encoded, as `%20` (RFC 3986)\n\
             = help: write \"/a%20b\""
        );
        let text = diagnostic(&Problem::Unencoded('\t'), "/%09", span).text();
        assert!(text.starts_with("a route path cannot contain the control character `\\t`"));
        let text = query("/x", "<page>=1&b", span).text();
        assert!(
            text.contains("write \"/x\" and take `page: String`"),
            "{text}"
        );
        let text = query("/x", "a-b=1", span).text();
        assert!(text.contains("take `name: String`"), "{text}");
        let text = fragment("/x", "#top", span).text();
        assert!(text.contains("write \"/x\"; to match"), "{text}");
        assert!(text.ends_with("write \"/x%23top\""), "{text}");
    }
}
