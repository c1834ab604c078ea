//! Sealed (encrypted and authenticated) bodies, PROTOCOL.md "Envelope".
//!
//! Sealing `M` for the recipient key `R_x`:
//! 1. fresh ephemeral key `e`, `E_x` its x-only public key;
//! 2. `z = ECDH(e, R_x)`;
//! 3. `okm = HKDF-SHA256(ikm = z, salt = "usrv/v1", info = "usrv/v1 envelope" || E_x || R_x, L = 64)`,
//!    `enc_key = okm[0..32]`, `mac_key = okm[32..64]`;
//! 4. 16 fresh bytes of `iv`, `C = AES-256-CBC(enc_key, iv, PKCS7(M))`;
//! 5. `tag = HMAC-SHA256(mac_key, iv || C)`;
//! 6. wire body `iv || C || tag`.
//!
//! [`open`] checks the length, recomputes the tag and compares it in constant
//! time before decrypting. Every failure is the same [`OpenError`]: there is no
//! padding oracle.

use core::fmt;
use std::sync::LazyLock;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hkdf::HkdfExtract;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::keys::os_random;
use crate::{PublicKey, SecretKey, SharedSecret};

/// Value of the `Content-Encoding` header of a sealed body.
pub const CONTENT_ENCODING: &str = "usrv-v1";

/// Name of the header that carries `hex(E_x)` beside a sealed body.
pub const EPHEMERAL_HEADER: &str = "Ephemeral-Public-Key";

/// Bytes of the IV at the start of a sealed body.
pub const IV_LEN: usize = 16;
/// Bytes of the HMAC-SHA256 tag at the end of a sealed body.
pub const TAG_LEN: usize = 32;
/// Smallest valid sealed body: IV, one AES block, tag.
pub const MIN_BODY_LEN: usize = IV_LEN + 16 + TAG_LEN;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

/// A sealed body and the ephemeral public key that goes with it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sealed {
    /// `E_x`, sent as `Ephemeral-Public-Key: hex(E_x)`.
    pub ephemeral: PublicKey,
    /// The wire body `iv || C || tag`.
    pub body: Vec<u8>,
}

/// The envelope could not be opened: wrong length, bad tag, bad padding or
/// wrong key, deliberately indistinguishable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenError;

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("encrypted body cannot be opened")
    }
}

impl std::error::Error for OpenError {}

/// HKDF-Extract keyed with the salt `usrv/v1`, made once: each envelope
/// clones it instead of hashing the salt's two HMAC pad blocks again.
static EXTRACT: LazyLock<HkdfExtract<Sha256>> =
    LazyLock::new(|| HkdfExtract::new(Some(b"usrv/v1")));

/// The envelope keys, zeroized on drop.
struct Keys(Zeroizing<[u8; 64]>);

impl Keys {
    fn derive(shared: &SharedSecret, ephemeral: &PublicKey, recipient: &PublicKey) -> Keys {
        let mut extract = EXTRACT.clone();
        extract.input_ikm(shared.as_bytes());
        let (_, hkdf) = extract.finalize();
        let mut okm = Zeroizing::new([0u8; 64]);
        hkdf.expand_multi_info(
            &[
                b"usrv/v1 envelope",
                ephemeral.as_bytes(),
                recipient.as_bytes(),
            ],
            &mut okm[..],
        )
        .expect("64 bytes is a valid HKDF-SHA256 output length");
        Keys(okm)
    }

    fn enc_key(&self) -> &[u8; 32] {
        self.0[..32].try_into().expect("32 bytes")
    }

    fn mac(&self) -> HmacSha256 {
        <HmacSha256 as KeyInit>::new_from_slice(&self.0[32..]).expect("HMAC takes any key length")
    }
}

/// Intermediate values of [`seal_with`], for checking the test vectors.
#[doc(hidden)]
#[derive(Debug)]
pub struct Trace {
    /// `z`.
    pub shared: [u8; 32],
    /// `enc_key`.
    pub enc_key: [u8; 32],
    /// `mac_key`.
    pub mac_key: [u8; 32],
}

/// The values `seal_with` derives, for the vectors' `shared`, `enc_key`, `mac_key`.
#[doc(hidden)]
#[must_use]
pub fn trace(recipient: &PublicKey, ephemeral: &SecretKey) -> Trace {
    let shared = ephemeral.diffie_hellman(recipient);
    let keys = Keys::derive(&shared, &ephemeral.public_key(), recipient);
    let mut enc_key = [0u8; 32];
    let mut mac_key = [0u8; 32];
    enc_key.copy_from_slice(&keys.0[..32]);
    mac_key.copy_from_slice(&keys.0[32..]);
    Trace {
        shared: *shared.as_bytes(),
        enc_key,
        mac_key,
    }
}

/// Seals `plaintext` for `recipient` with a fresh ephemeral key and IV.
///
/// # Panics
/// If the operating system cannot provide randomness.
#[must_use]
pub fn seal(recipient: &PublicKey, plaintext: &[u8]) -> Sealed {
    let ephemeral = SecretKey::generate();
    let mut iv = [0u8; IV_LEN];
    os_random(&mut iv);
    seal_with(recipient, plaintext, &ephemeral, &iv)
}

/// Seals with the given ephemeral key and IV (deterministic). Only for test
/// vectors and tests: reusing an ephemeral key or IV breaks confidentiality.
#[must_use]
pub fn seal_with(
    recipient: &PublicKey,
    plaintext: &[u8],
    ephemeral: &SecretKey,
    iv: &[u8; 16],
) -> Sealed {
    let ephemeral_public = ephemeral.public_key();
    let shared = ephemeral.diffie_hellman(recipient);
    let keys = Keys::derive(&shared, &ephemeral_public, recipient);

    // One allocation: iv || PKCS7(M) encrypted in place || tag.
    let padded_len = (plaintext.len() / 16 + 1) * 16;
    let mut body = Vec::with_capacity(IV_LEN + padded_len + TAG_LEN);
    body.extend_from_slice(iv);
    body.extend_from_slice(plaintext);
    body.resize(IV_LEN + padded_len, 0);
    let ct_len = Aes256CbcEnc::new(keys.enc_key().into(), iv.into())
        .encrypt_padded::<Pkcs7>(&mut body[IV_LEN..], plaintext.len())
        .expect("buffer holds the padded plaintext")
        .len();
    debug_assert_eq!(ct_len, padded_len);

    let mut mac = keys.mac();
    mac.update(&body);
    let tag = mac.finalize().into_bytes();
    body.extend_from_slice(&tag);

    Sealed {
        ephemeral: ephemeral_public,
        body,
    }
}

/// Opens a sealed body addressed to `recipient`.
///
/// # Errors
/// [`OpenError`] for any failure: length, tag, padding or key.
pub fn open(
    recipient: &SecretKey,
    ephemeral: &PublicKey,
    body: &[u8],
) -> Result<Vec<u8>, OpenError> {
    let len = body.len();
    if len < MIN_BODY_LEN || !(len - IV_LEN - TAG_LEN).is_multiple_of(16) {
        return Err(OpenError);
    }
    let (authenticated, tag) = body.split_at(len - TAG_LEN);

    let shared = recipient.diffie_hellman(ephemeral);
    let keys = Keys::derive(&shared, ephemeral, &recipient.public_key());

    let mut mac = keys.mac();
    mac.update(authenticated);
    let expected = mac.finalize().into_bytes();
    if !bool::from(expected.as_slice().ct_eq(tag)) {
        return Err(OpenError);
    }

    let (iv, ciphertext) = authenticated.split_at(IV_LEN);
    let iv: &[u8; IV_LEN] = iv.try_into().map_err(|_| OpenError)?;
    let mut out = ciphertext.to_vec();
    let plain_len = match Aes256CbcDec::new(keys.enc_key().into(), iv.into())
        .decrypt_padded::<Pkcs7>(&mut out)
    {
        Ok(plain) => plain.len(),
        Err(_) => {
            zeroize::Zeroize::zeroize(&mut out);
            return Err(OpenError);
        }
    };
    out.truncate(plain_len);
    Ok(out)
}
