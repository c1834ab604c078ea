//! Media types and header parameters, parsed once and by the RFC
//! (RFC 9110 §5.6.6): `type/subtype; name=value; name="quoted \" value"`.
//! Parameter names are case-insensitive; quoted strings may hold `;`, `=`
//! and backslash escapes.

use std::borrow::Cow;

use http::header::CONTENT_TYPE;
use http::HeaderMap;

/// A parsed `Content-Type` (or any `value; name=value` header): its
/// lowercased first item and its raw parameter list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType<'a> {
    essence: Cow<'a, str>,
    parameters: &'a str,
}

impl<'a> MediaType<'a> {
    /// Parses a header value; the first item is trimmed and lowercased.
    pub fn parse(value: &'a str) -> MediaType<'a> {
        let (essence, parameters) = value.split_once(';').unwrap_or((value, ""));
        let essence = essence.trim();
        let essence = if essence.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(essence.to_ascii_lowercase())
        } else {
            Cow::Borrowed(essence)
        };
        MediaType {
            essence,
            parameters,
        }
    }

    /// The request's `Content-Type`, when present and visible ASCII.
    pub fn of(headers: &'a HeaderMap) -> Option<MediaType<'a>> {
        let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
        Some(MediaType::parse(value))
    }

    /// `type/subtype` (or the first item), lowercased.
    pub fn essence(&self) -> &str {
        &self.essence
    }

    /// The value of a parameter (name compared case-insensitively),
    /// unquoted. The first occurrence wins.
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        Parameters(self.parameters)
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// `application/json` or `application/<anything>+json`.
    pub fn is_json(&self) -> bool {
        let essence = self.essence();
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
    }
}

/// The `name=value` pairs after the first `;` of a header value.
struct Parameters<'a>(&'a str);

impl<'a> Iterator for Parameters<'a> {
    type Item = (&'a str, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.0.trim_start_matches([' ', '\t', ';']);
            if rest.is_empty() {
                self.0 = rest;
                return None;
            }
            let name_end = rest.find(['=', ';']).unwrap_or(rest.len());
            let name = rest[..name_end].trim();
            let after = &rest[name_end..];
            let Some(value_text) = after.strip_prefix('=') else {
                // A name without a value: skip it.
                self.0 = after;
                continue;
            };
            let value_text = value_text.trim_start_matches([' ', '\t']);
            let (value, rest) = match value_text.strip_prefix('"') {
                Some(quoted) => unquote(quoted),
                None => {
                    let end = value_text.find(';').unwrap_or(value_text.len());
                    (
                        Cow::Borrowed(value_text[..end].trim_end()),
                        &value_text[end..],
                    )
                }
            };
            self.0 = rest;
            if !name.is_empty() {
                return Some((name, value));
            }
        }
    }
}

/// Reads a quoted string whose opening quote is already consumed: its value
/// (escapes resolved) and what follows the closing quote. An unterminated
/// string runs to the end.
fn unquote(text: &str) -> (Cow<'_, str>, &str) {
    let bytes = text.as_bytes();
    let mut owned: Option<String> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let value = owned.map_or(Cow::Borrowed(&text[..i]), Cow::Owned);
                let rest = &text[i + 1..];
                let rest = rest.find(';').map_or("", |at| &rest[at..]);
                return (value, rest);
            }
            b'\\' if i + 1 < bytes.len() => {
                let buffer = owned.get_or_insert_with(|| text[..i].to_owned());
                let escaped = text[i + 1..].chars().next().expect("a char follows");
                buffer.push(escaped);
                i += 1 + escaped.len_utf8();
            }
            _ => {
                let c = text[i..].chars().next().expect("inside the string");
                if let Some(buffer) = owned.as_mut() {
                    buffer.push(c);
                }
                i += c.len_utf8();
            }
        }
    }
    (owned.map_or(Cow::Borrowed(text), Cow::Owned), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essence_is_trimmed_and_lowercased() {
        let media = MediaType::parse(" Application/JSON ; charset=utf-8");
        assert_eq!(media.essence(), "application/json");
        assert!(media.is_json());
        assert!(MediaType::parse("application/problem+json").is_json());
        assert!(!MediaType::parse("text/json").is_json());
        assert_eq!(MediaType::parse("").essence(), "");
    }

    #[test]
    fn parameters_follow_the_rfc() {
        let media = MediaType::parse(
            r#"multipart/form-data; BOUNDARY="a;b=c"; name="say \"hi\"\\"; filename=a;b.txt"#,
        );
        assert_eq!(media.param("boundary").as_deref(), Some("a;b=c"));
        assert_eq!(media.param("Name").as_deref(), Some(r#"say "hi"\"#));
        assert_eq!(media.param("filename").as_deref(), Some("a"));
        assert_eq!(media.param("missing"), None);
        let disposition = MediaType::parse(r#"form-data; name="f"; filename="a;b.txt""#);
        assert_eq!(disposition.essence(), "form-data");
        assert_eq!(disposition.param("filename").as_deref(), Some("a;b.txt"));
        assert_eq!(disposition.param("name").as_deref(), Some("f"));
        // Borrowed when there is nothing to unescape.
        assert!(matches!(
            disposition.param("name"),
            Some(Cow::Borrowed("f"))
        ));
    }

    #[test]
    fn odd_parameter_lists() {
        let media = MediaType::parse("a/b; ; flag; x = 1 ;y=\"unterminated");
        assert_eq!(media.param("x").as_deref(), Some("1"));
        assert_eq!(media.param("y").as_deref(), Some("unterminated"));
        assert_eq!(media.param("flag"), None);
        assert_eq!(
            MediaType::parse("a/b;=v; k=\"\"").param("k").as_deref(),
            Some("")
        );
    }
}
