//! Signature bases of requests and responses, PROTOCOL.md "Request signature"
//! and "Response signature".
//!
//! A base is a few lines joined by LF (no trailing LF); the signature is
//! BIP340 over `SHA256(base)`. [`RequestBase::digest`] and
//! [`ResponseBase::digest`] feed the lines straight into the hasher without
//! building the text.

use sha2::{Digest, Sha256};

use crate::hex;
use crate::{PublicKey, SecretKey, Signature, SignatureError};

/// Header carrying `hex(P_x)` of the signer.
pub const PUBLIC_KEY_HEADER: &str = "Sender-Public-Key";
/// Header carrying `hex(sig)`.
pub const SIGNATURE_HEADER: &str = "Sender-Signature";
/// Header carrying the nonce.
pub const NONCE_HEADER: &str = "Nonce";

/// First line of a request base.
pub const REQUEST_TAG: &str = "usrv/v1 request";
/// First line of a response base.
pub const RESPONSE_TAG: &str = "usrv/v1 response";

/// `hex(SHA256(body))`, on the stack.
fn body_hash_hex(body: &[u8]) -> [u8; 64] {
    let digest: [u8; 32] = Sha256::digest(body).into();
    hex::encode_array(&digest)
}

/// `hex(E_x)` or nothing, on the stack.
fn ephemeral_hex(ephemeral: Option<&PublicKey>) -> ([u8; 64], usize) {
    match ephemeral {
        Some(key) => (hex::encode_array(key.as_bytes()), 64),
        None => ([0u8; 64], 0),
    }
}

/// Decimal digits of the status, at least three.
fn status_digits(status: u16) -> ([u8; 5], usize) {
    let mut digits = [b'0'; 5];
    let mut n = status;
    let mut i = 5;
    while n > 0 {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = i.min(2);
    let mut out = [0u8; 5];
    let len = 5 - start;
    out[..len].copy_from_slice(&digits[start..]);
    (out, len)
}

/// Feeds `parts` joined by LF into `sink`.
fn join(parts: &[&[u8]], mut sink: impl FnMut(&[u8])) {
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            sink(b"\n");
        }
        sink(part);
    }
}

fn to_string(parts: &[&[u8]]) -> String {
    let len = parts.iter().map(|p| p.len() + 1).sum::<usize>();
    let mut text = Vec::with_capacity(len);
    join(parts, |p| text.extend_from_slice(p));
    // Every part is either a `&str` or ASCII hex/digits.
    String::from_utf8(text).expect("signature base is UTF-8")
}

fn digest_of(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    join(parts, |p| hasher.update(p));
    hasher.finalize().into()
}

/// What a request signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestBase<'a> {
    /// The method, upper case, as on the request line.
    pub method: &'a str,
    /// The origin-form target exactly as sent: path and `?query` if any.
    pub target: &'a str,
    /// The `Content-Type` header value verbatim, or `""`.
    pub content_type: &'a str,
    /// The `Nonce` header value.
    pub nonce: &'a str,
    /// `E_x` when the body is an envelope.
    pub ephemeral: Option<&'a PublicKey>,
    /// The body bytes exactly as transmitted (the sealed body when encrypted).
    pub body: &'a [u8],
}

impl RequestBase<'_> {
    fn with_parts<R>(&self, f: impl FnOnce(&[&[u8]]) -> R) -> R {
        let (eph, eph_len) = ephemeral_hex(self.ephemeral);
        self.with_ephemeral_line(&eph[..eph_len], f)
    }

    fn with_ephemeral_line<R>(&self, ephemeral: &[u8], f: impl FnOnce(&[&[u8]]) -> R) -> R {
        let body = body_hash_hex(self.body);
        f(&[
            REQUEST_TAG.as_bytes(),
            self.method.as_bytes(),
            self.target.as_bytes(),
            self.content_type.as_bytes(),
            self.nonce.as_bytes(),
            ephemeral,
            &body,
        ])
    }

    /// The base text (lines joined by LF, no trailing LF).
    #[must_use]
    pub fn to_text(&self) -> String {
        self.with_parts(to_string)
    }

    /// `SHA256(base)`, computed without building the text.
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        self.with_parts(digest_of)
    }

    /// `SHA256(base)` with the ephemeral line taken from the received
    /// `Ephemeral-Public-Key` text (64 hex digits, either case) instead of
    /// `self.ephemeral`: a server can check the signature of a sealed
    /// request whose ephemeral key is not on the curve, and then refuse the
    /// envelope like any other that does not open. `None` unless 64 hex digits.
    #[must_use]
    pub fn digest_with_ephemeral_hex(&self, ephemeral_hex: &str) -> Option<[u8; 32]> {
        let mut x = [0u8; 32];
        hex::decode_to(ephemeral_hex.as_bytes(), &mut x).ok()?;
        let ephemeral: [u8; 64] = hex::encode_array(&x);
        Some(self.with_ephemeral_line(&ephemeral, digest_of))
    }

    /// Signs the base with fresh auxiliary randomness.
    #[must_use]
    pub fn sign(&self, key: &SecretKey) -> Signature {
        key.sign_digest(&self.digest())
    }

    /// Checks a signature of the base.
    ///
    /// # Errors
    /// [`SignatureError::Invalid`] when it does not verify.
    pub fn verify(&self, key: &PublicKey, sig: &Signature) -> Result<(), SignatureError> {
        key.verify_digest(&self.digest(), sig)
    }
}

/// What a response signature covers.
#[derive(Debug, Clone, Copy)]
pub struct ResponseBase<'a> {
    /// The status code (written with at least three digits).
    pub status: u16,
    /// The response `Content-Type` header value verbatim, or `""`.
    pub content_type: &'a str,
    /// The `Nonce` of the request being answered.
    pub request_nonce: &'a str,
    /// `E_x` when the body is an envelope.
    pub ephemeral: Option<&'a PublicKey>,
    /// The body bytes exactly as transmitted.
    pub body: &'a [u8],
}

impl ResponseBase<'_> {
    fn with_parts<R>(&self, f: impl FnOnce(&[&[u8]]) -> R) -> R {
        let body = body_hash_hex(self.body);
        let (eph, eph_len) = ephemeral_hex(self.ephemeral);
        let (status, status_len) = status_digits(self.status);
        f(&[
            RESPONSE_TAG.as_bytes(),
            &status[..status_len],
            self.content_type.as_bytes(),
            self.request_nonce.as_bytes(),
            &eph[..eph_len],
            &body,
        ])
    }

    /// The base text (lines joined by LF, no trailing LF).
    #[must_use]
    pub fn to_text(&self) -> String {
        self.with_parts(to_string)
    }

    /// `SHA256(base)`, computed without building the text.
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        self.with_parts(digest_of)
    }

    /// Signs the base with fresh auxiliary randomness.
    #[must_use]
    pub fn sign(&self, key: &SecretKey) -> Signature {
        key.sign_digest(&self.digest())
    }

    /// Checks a signature of the base.
    ///
    /// # Errors
    /// [`SignatureError::Invalid`] when it does not verify.
    pub fn verify(&self, key: &PublicKey, sig: &Signature) -> Result<(), SignatureError> {
        key.verify_digest(&self.digest(), sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ephemeral_text_digests_as_its_key() {
        let key = SecretKey::generate().public_key();
        let base = RequestBase {
            method: "POST",
            target: "/vault",
            content_type: "application/json",
            nonce: "1732550400123.9f86d081884c7d65",
            ephemeral: Some(&key),
            body: b"sealed",
        };
        let text = key.to_string();
        assert_eq!(base.digest_with_ephemeral_hex(&text), Some(base.digest()));
        assert_eq!(
            base.digest_with_ephemeral_hex(&text.to_uppercase()),
            Some(base.digest())
        );
        assert_eq!(base.digest_with_ephemeral_hex("12"), None);
        assert_eq!(base.digest_with_ephemeral_hex(&"zz".repeat(32)), None);
    }

    #[test]
    fn status_is_three_digits_at_least() {
        let text = |s| {
            let (d, n) = status_digits(s);
            String::from_utf8(d[..n].to_vec()).unwrap()
        };
        assert_eq!(text(200), "200");
        assert_eq!(text(7), "007");
        assert_eq!(text(0), "000");
        assert_eq!(text(1000), "1000");
        assert_eq!(text(u16::MAX), "65535");
    }

    #[test]
    fn digest_matches_text() {
        let base = RequestBase {
            method: "POST",
            target: "/x?y=1",
            content_type: "text/plain",
            nonce: "1.0123456789abcdef",
            ephemeral: None,
            body: b"hello",
        };
        let text = base.to_text();
        assert_eq!(
            base.digest(),
            <[u8; 32]>::from(Sha256::digest(text.as_bytes()))
        );
        assert!(!text.ends_with('\n'));
    }
}
