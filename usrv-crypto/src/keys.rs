//! Identities: secp256k1 secret keys, BIP340 x-only public keys, signatures
//! and x-only ECDH.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

use k256::elliptic_curve::ops::Reduce;
use k256::{Scalar, WideBytes};
use sha2::Sha512;
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, Zeroizing};

use crate::backend;
use crate::hex;

/// Fills `buf` with operating-system randomness.
///
/// # Panics
/// If the operating system cannot provide randomness, which leaves no safe
/// way to continue.
pub(crate) fn os_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system failed to provide randomness");
}

/// Why a key could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyError {
    /// The input does not have 32 bytes (64 hex characters).
    Length,
    /// The input is not hexadecimal.
    Hex,
    /// The secret scalar is zero or not below the curve order `n`.
    OutOfRange,
    /// The x coordinate is not that of a secp256k1 point (or is not below `p`).
    NotOnCurve,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Length => "key must be 32 bytes (64 hex characters)",
            Self::Hex => "key is not hexadecimal",
            Self::OutOfRange => "secret key is zero or not below the secp256k1 order",
            Self::NotOnCurve => "public key is not the x coordinate of a secp256k1 point",
        })
    }
}

impl std::error::Error for KeyError {}

impl From<hex::HexError> for KeyError {
    fn from(e: hex::HexError) -> Self {
        match e {
            hex::HexError::Length => Self::Length,
            hex::HexError::Digit => Self::Hex,
        }
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature text is not 128 hex characters (64 bytes).
    Malformed,
    /// The signature does not verify for this key and message.
    Invalid,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "signature must be 64 bytes (128 hex characters)",
            Self::Invalid => "signature does not verify",
        })
    }
}

impl std::error::Error for SignatureError {}

/// A secp256k1 secret key: a scalar `d` in `[1, n-1]`.
///
/// The scalar is zeroized when the value is dropped, and `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey(backend::Secret);

impl SecretKey {
    /// A fresh key from operating-system randomness.
    ///
    /// # Panics
    /// If the operating system cannot provide randomness.
    #[must_use]
    pub fn generate() -> SecretKey {
        let mut bytes = Zeroizing::new([0u8; 32]);
        loop {
            os_random(&mut bytes[..]);
            // 32 random bytes are out of range with probability about 2^-128.
            if let Ok(key) = Self::from_bytes(&bytes) {
                return key;
            }
        }
    }

    /// The key whose scalar is the big-endian `bytes`.
    ///
    /// # Errors
    /// [`KeyError::OutOfRange`] when the scalar is zero or not below the curve order.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<SecretKey, KeyError> {
        backend::Secret::from_bytes(bytes)
            .map(SecretKey)
            .ok_or(KeyError::OutOfRange)
    }

    /// The key from 64 hex characters (either case), decoded in constant time.
    ///
    /// # Errors
    /// [`KeyError::Length`], [`KeyError::Hex`] or [`KeyError::OutOfRange`].
    pub fn from_hex(s: &str) -> Result<SecretKey, KeyError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to(s.as_bytes(), &mut bytes[..])?;
        Self::from_bytes(&bytes)
    }

    /// The key derived from a phrase, as the original Python `usrv` does:
    /// `d = int(PBKDF2-HMAC-SHA512(NFKD(phrase), "mnemonic" || NFKD(passphrase),
    /// 2048, 64 bytes)) mod n`, the passphrase defaulting to `"SALT"`.
    ///
    /// # Panics
    /// Only if the derived scalar is zero, which happens with probability about 2^-256.
    #[must_use]
    pub fn from_phrase(phrase: &str, passphrase: Option<&str>) -> SecretKey {
        let password: Zeroizing<String> = Zeroizing::new(phrase.nfkd().collect());
        let mut salt: Zeroizing<String> = Zeroizing::new(String::from("mnemonic"));
        salt.extend(passphrase.unwrap_or("SALT").nfkd());
        let mut okm = Zeroizing::new(WideBytes::default());
        pbkdf2::pbkdf2_hmac::<Sha512>(password.as_bytes(), salt.as_bytes(), 2048, &mut okm[..]);
        let mut reduced = <Scalar as Reduce<WideBytes>>::reduce(&okm);
        let bytes = Zeroizing::new(<[u8; 32]>::from(reduced.to_bytes()));
        reduced.zeroize();
        Self::from_bytes(&bytes).expect("phrase key reduced to zero (probability 2^-256)")
    }

    /// The scalar, 32 bytes big-endian. Treat the result as secret.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The BIP340 x-only public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        let key = self.0.public();
        PublicKey {
            bytes: key.to_bytes(),
            key,
        }
    }

    /// BIP340 signature of a 32-byte digest with 32 bytes of fresh auxiliary randomness.
    ///
    /// # Panics
    /// If the operating system cannot provide randomness.
    #[must_use]
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Signature {
        let mut aux = [0u8; 32];
        os_random(&mut aux);
        self.sign_digest_with_aux(digest, &aux)
    }

    /// BIP340 signature of a 32-byte digest with the given auxiliary randomness
    /// (deterministic; for test vectors).
    #[must_use]
    pub fn sign_digest_with_aux(&self, digest: &[u8; 32], aux: &[u8; 32]) -> Signature {
        self.bip340_sign(digest, aux)
    }

    /// BIP340 signature of a message of any length (the BIP340 vectors have
    /// messages of 0, 1, 17 and 100 bytes). The protocol signs 32-byte digests only.
    ///
    /// # Panics
    /// Only if the nonce or `s` comes out zero (probability about 2^-256).
    #[doc(hidden)]
    #[must_use]
    pub fn bip340_sign(&self, msg: &[u8], aux: &[u8; 32]) -> Signature {
        Signature(self.0.sign(msg, aux))
    }

    /// x-only ECDH: `x(d · lift_x(Q_x))`, 32 bytes.
    #[must_use]
    pub fn diffie_hellman(&self, peer: &PublicKey) -> SharedSecret {
        SharedSecret(self.0.diffie_hellman_x(&peer.key))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// A BIP340 x-only public key, checked to be on the curve.
///
/// Equality, ordering and hashing are those of the 32 bytes.
#[derive(Clone, Copy)]
pub struct PublicKey {
    bytes: [u8; 32],
    key: backend::Public,
}

impl PublicKey {
    /// The key with x coordinate `bytes` (the point with even y).
    ///
    /// # Errors
    /// [`KeyError::NotOnCurve`] when no curve point has this x coordinate, or it is not below `p`.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let key = backend::Public::from_bytes(bytes).ok_or(KeyError::NotOnCurve)?;
        Ok(PublicKey { bytes: *bytes, key })
    }

    /// The key from 64 hex characters (either case).
    ///
    /// # Errors
    /// [`KeyError::Length`], [`KeyError::Hex`] or [`KeyError::NotOnCurve`].
    pub fn from_hex(s: &str) -> Result<PublicKey, KeyError> {
        let mut bytes = [0u8; 32];
        hex::decode_to(s.as_bytes(), &mut bytes)?;
        Self::from_bytes(&bytes)
    }

    /// The 32-byte x coordinate.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// The 32-byte x coordinate, borrowed.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Checks a BIP340 signature of a 32-byte digest.
    ///
    /// # Errors
    /// [`SignatureError::Invalid`] when the signature does not verify.
    pub fn verify_digest(&self, digest: &[u8; 32], sig: &Signature) -> Result<(), SignatureError> {
        self.bip340_verify(digest, sig)
    }

    /// Checks a BIP340 signature of a message of any length (see
    /// [`SecretKey::bip340_sign`]).
    ///
    /// # Errors
    /// [`SignatureError::Invalid`] when the signature does not verify.
    #[doc(hidden)]
    pub fn bip340_verify(&self, msg: &[u8], sig: &Signature) -> Result<(), SignatureError> {
        if self.key.verify(msg, &sig.0) {
            Ok(())
        } else {
            Err(SignatureError::Invalid)
        }
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex::fmt_hex(&self.bytes, f)
    }
}

impl fmt::LowerHex for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex::fmt_hex(&self.bytes, f)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        hex::fmt_hex(&self.bytes, f)?;
        f.write_str(")")
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_hex(s)
    }
}

/// The x-only ECDH shared secret (32 bytes), zeroized on drop.
pub struct SharedSecret([u8; 32]);

impl SharedSecret {
    /// The 32 bytes of the shared x coordinate.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for SharedSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

/// A 64-byte BIP340 signature `r || s`.
///
/// Any 64 bytes are accepted here; out-of-range `r` or `s` simply fail verification.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; 64]);

impl Signature {
    /// The signature with these 64 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 64]) -> Signature {
        Signature(bytes)
    }

    /// The signature from 128 hex characters (either case).
    ///
    /// # Errors
    /// [`SignatureError::Malformed`] when the text is not 128 hex characters.
    pub fn from_hex(s: &str) -> Result<Signature, SignatureError> {
        let mut bytes = [0u8; 64];
        hex::decode_to(s.as_bytes(), &mut bytes).map_err(|_| SignatureError::Malformed)?;
        Ok(Signature(bytes))
    }

    /// The 64 bytes.
    #[must_use]
    pub const fn to_bytes(&self) -> [u8; 64] {
        self.0
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex::fmt_hex(&self.0, f)
    }
}

impl fmt::LowerHex for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex::fmt_hex(&self.0, f)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(")?;
        hex::fmt_hex(&self.0, f)?;
        f.write_str(")")
    }
}

impl FromStr for Signature {
    type Err = SignatureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_hex(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secret() {
        let k = SecretKey::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(format!("{k:?}"), "SecretKey(..)");
        let s = k.diffie_hellman(&k.public_key());
        assert_eq!(format!("{s:?}"), "SharedSecret(..)");
    }

    #[test]
    fn public_key_text() {
        let k = SecretKey::from_bytes(&[7u8; 32]).unwrap();
        let p = k.public_key();
        let text = p.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(format!("{p:x}"), text);
        assert_eq!(format!("{p:?}"), format!("PublicKey({text})"));
        assert_eq!(text.to_uppercase().parse::<PublicKey>().unwrap(), p);
        assert_eq!("zz".parse::<PublicKey>(), Err(KeyError::Length));
    }

    #[test]
    fn round_trips() {
        for _ in 0..16 {
            let k = SecretKey::generate();
            let again = SecretKey::from_bytes(&k.to_bytes()).unwrap();
            assert_eq!(again.public_key(), k.public_key());
            let p = k.public_key();
            assert_eq!(PublicKey::from_bytes(p.as_bytes()).unwrap(), p);
            let sig = k.sign_digest(&[1u8; 32]);
            assert_eq!(p.verify_digest(&[1u8; 32], &sig), Ok(()));
            assert_eq!(
                p.verify_digest(&[2u8; 32], &sig),
                Err(SignatureError::Invalid)
            );
            // Fresh auxiliary randomness: two signatures differ.
            assert_ne!(sig, k.sign_digest(&[1u8; 32]));
        }
        assert_ne!(
            SecretKey::generate().to_bytes(),
            SecretKey::generate().to_bytes()
        );
    }

    #[test]
    fn zero_and_order_refused() {
        assert_eq!(
            SecretKey::from_bytes(&[0u8; 32]).err(),
            Some(KeyError::OutOfRange)
        );
        assert_eq!(
            SecretKey::from_bytes(&[0xff; 32]).err(),
            Some(KeyError::OutOfRange)
        );
    }
}
