//! The secure protocol's HTTP surface, shared by the server and the client
//! (PROTOCOL.md): the header names, which headers a signature covers and
//! the rule they follow, and how protocol values become header values.

use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue};
use usrv_crypto::envelope::CONTENT_ENCODING as USRV_V1;

/// `Sender-Public-Key`: the signer's x-only public key, 64 hex.
pub const SENDER_PUBLIC_KEY: HeaderName = HeaderName::from_static("sender-public-key");
/// `Sender-Signature`: the BIP340 signature over the base, 128 hex.
pub const SENDER_SIGNATURE: HeaderName = HeaderName::from_static("sender-signature");
/// `Nonce`: `<unix ms>.<16 to 64 hex>`.
pub const NONCE: HeaderName = HeaderName::from_static("nonce");
/// `Ephemeral-Public-Key`: the envelope's ephemeral key, 64 hex.
pub const EPHEMERAL_PUBLIC_KEY: HeaderName = HeaderName::from_static("ephemeral-public-key");

/// Every header whose value a signature covers, directly or through the
/// body it describes. Each must appear at most once, in visible ASCII.
pub static COVERED: [HeaderName; 6] = [
    SENDER_PUBLIC_KEY,
    SENDER_SIGNATURE,
    NONCE,
    EPHEMERAL_PUBLIC_KEY,
    CONTENT_TYPE,
    CONTENT_ENCODING,
];

/// Whether a request carries any header the protocol reads (its identity
/// headers, or a content coding): one pass over the names.
pub fn mentions_protocol(headers: &HeaderMap) -> bool {
    headers.keys().any(|name| {
        name == SENDER_PUBLIC_KEY
            || name == SENDER_SIGNATURE
            || name == NONCE
            || name == CONTENT_ENCODING
    })
}

/// The first covered header that is repeated or not visible ASCII, if any:
/// a signed message that has one is malformed, since an intermediary could
/// have added a value the signature does not cover.
pub fn ambiguous_covered_header(headers: &HeaderMap) -> Option<&'static HeaderName> {
    COVERED.iter().find(|name| {
        let mut values = headers.get_all(*name).iter();
        match (values.next(), values.next()) {
            (None, _) => false,
            (Some(value), None) => !is_visible_ascii(value),
            (Some(_), Some(_)) => true,
        }
    })
}

/// A header name as PROTOCOL.md writes it: `Sender-Public-Key`.
pub fn display_name(name: &HeaderName) -> String {
    let mut out = String::with_capacity(name.as_str().len());
    let mut upper = true;
    for c in name.as_str().chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

/// Visible ASCII and spaces/tabs only (what `HeaderValue::to_str` accepts).
fn is_visible_ascii(value: &HeaderValue) -> bool {
    value.to_str().is_ok()
}

/// Whether a body is an envelope: `Content-Encoding: usrv-v1`.
pub fn is_sealed(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(USRV_V1.as_bytes()))
}

/// Whether `Accept-Encoding` lists `usrv-v1` (the reply should be sealed).
pub fn accepts_sealed(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let coding = coding.split(';').next().unwrap_or("").trim();
            coding.eq_ignore_ascii_case(USRV_V1)
        })
}

/// A header's text, or `""` when absent (as the signature bases want it).
/// Callers check [`ambiguous_covered_header`] first, so a covered header
/// that is present is visible ASCII.
pub fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A protocol value (hex of a key or signature, a nonce) as a header value.
pub fn header_value(value: &impl std::fmt::Display) -> HeaderValue {
    HeaderValue::try_from(value.to_string()).expect("hex and nonces are valid header values")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covered_headers_once_and_visible_ascii() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        headers.insert(NONCE, HeaderValue::from_static("1.0123456789abcdef"));
        headers.insert("x-other", HeaderValue::from_bytes(b"\xff").unwrap());
        headers.append("x-other", HeaderValue::from_static("twice is fine"));
        assert_eq!(ambiguous_covered_header(&headers), None);

        let mut repeated = headers.clone();
        repeated.append(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        assert_eq!(ambiguous_covered_header(&repeated), Some(&CONTENT_TYPE));

        let mut binary = headers.clone();
        binary.insert(
            CONTENT_TYPE,
            HeaderValue::from_bytes(b"text/plain\xff").unwrap(),
        );
        assert_eq!(ambiguous_covered_header(&binary), Some(&CONTENT_TYPE));
    }

    #[test]
    fn names_as_written() {
        assert_eq!(display_name(&SENDER_PUBLIC_KEY), "Sender-Public-Key");
        assert_eq!(display_name(&CONTENT_TYPE), "Content-Type");
    }

    #[test]
    fn accept_encoding_lists() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_sealed(&headers));
        headers.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, USRV-v1;q=1"),
        );
        assert!(accepts_sealed(&headers));
    }
}
