//! Strict percent-decoding: invalid UTF-8 after decoding is an error, never
//! a silent replacement character.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`). Borrows
/// when there is nothing to decode; an escape that is not two hex digits
/// stays as it is. `Err` when the result is not UTF-8.
pub(crate) fn percent_decode(raw: &str, plus_is_space: bool) -> Result<Cow<'_, str>, ()> {
    // Most values have nothing to decode: one byte search then, rather than
    // the decoder's byte-by-byte pass and a second UTF-8 check. A short
    // value is searched inline; `memchr` pays off from a few dozen bytes.
    let bytes = raw.as_bytes();
    let plain = match (bytes.len() < 32, plus_is_space) {
        (true, _) => !bytes
            .iter()
            .any(|&b| b == b'%' || (plus_is_space && b == b'+')),
        (false, false) => memchr::memchr(b'%', bytes).is_none(),
        (false, true) => memchr::memchr2(b'%', b'+', bytes).is_none(),
    };
    if plain {
        return Ok(Cow::Borrowed(raw));
    }
    if plus_is_space && raw.contains('+') {
        let spaced = raw.replace('+', " ");
        let decoded = percent_decode_str(&spaced).decode_utf8().map_err(|_| ())?;
        return Ok(Cow::Owned(decoded.into_owned()));
    }
    percent_decode_str(raw).decode_utf8().map_err(|_| ())
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
