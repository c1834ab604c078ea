//! Strict percent-decoding: invalid UTF-8 after decoding is an error, never
//! a silent replacement character.

use std::borrow::Cow;

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`). Borrows
/// when there is nothing to decode. `Err` when the result is not UTF-8.
pub(crate) fn percent_decode(raw: &str, plus_is_space: bool) -> Result<Cow<'_, str>, ()> {
    let bytes = raw.as_bytes();
    let needs_work = bytes
        .iter()
        .any(|&b| b == b'%' || (plus_is_space && b == b'+'));
    if !needs_work {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map(Cow::Owned).map_err(|_| ())
}

fn hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert!(matches!(
            percent_decode("plain", true),
            Ok(Cow::Borrowed("plain"))
        ));
        assert_eq!(percent_decode("a%20b", false).unwrap(), "a b");
        assert_eq!(percent_decode("a+b", true).unwrap(), "a b");
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert_eq!(percent_decode("caf%C3%A9", false).unwrap(), "café");
        assert_eq!(percent_decode("100%", false).unwrap(), "100%");
        assert_eq!(percent_decode("%zz%4", false).unwrap(), "%zz%4");
        assert_eq!(percent_decode("%2F", false).unwrap(), "/");
        assert!(percent_decode("%FF", false).is_err());
        assert!(percent_decode("%C3", true).is_err());
    }
}
