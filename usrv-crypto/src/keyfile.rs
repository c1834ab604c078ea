//! Passphrase-protected key files.
//!
//! # Format, version 1 (156 bytes)
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 7 | magic `USRVKEY` |
//! | 7 | 1 | version, `0x01` |
//! | 8 | 4 | PBKDF2 iteration count, big-endian `u32` |
//! | 12 | 16 | salt (random) |
//! | 28 | 16 | IV (random) |
//! | 44 | 48 | `AES-256-CBC(enc_key, iv, PKCS7(d))`, `d` the 32-byte big-endian secret scalar |
//! | 92 | 32 | `HMAC-SHA256(mac_key, bytes[0..92])` |
//! | 124 | 32 | `SHA-256(bytes[0..124])`, a plain checksum |
//!
//! Keys: `master = PBKDF2-HMAC-SHA256(NFKD(passphrase), salt, iterations, 32)`,
//! then `enc_key || mac_key = HKDF-SHA256(ikm = master, salt = "usrv/v1 keyfile",
//! info = "enc+mac", 64)`. Encrypt-then-MAC; the tag is compared in constant
//! time before anything is decrypted.
//!
//! Decoding tells failures apart:
//! - bad magic: [`KeyFileError::NotAKeyFile`]; unknown version:
//!   [`KeyFileError::UnsupportedVersion`]; too short: [`KeyFileError::Truncated`];
//! - checksum mismatch or trailing bytes: [`KeyFileError::Corrupted`] (the
//!   checksum is no security feature, it only tells an accidental edit from a
//!   wrong passphrase);
//! - tag mismatch: [`KeyFileError::WrongPassphrase`] (or a deliberate edit whose
//!   checksum was recomputed; either way no key comes out).
//!
//! # Cost
//! [`encode`] and [`write()`] always use [`DEFAULT_ITERATIONS`] (600 000, the
//! OWASP 2023 figure for PBKDF2-HMAC-SHA256). The count is stored in the file
//! and bound to the keys (changing it changes `mac_key`), so nobody without the
//! passphrase can lower it. [`decode`] accepts counts from [`MIN_ITERATIONS`]
//! (a sanity floor: files below it can only come from a passphrase holder
//! using the hidden test helper) to [`MAX_ITERATIONS`] (so a hostile file
//! cannot make decoding run for minutes).
//!
//! Files are written with mode `0600` on Unix, through a temporary file in the
//! same directory that is renamed over the target.

use core::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, Zeroizing};

use crate::keys::os_random;
use crate::SecretKey;

/// The first 7 bytes of a key file.
pub const MAGIC: &[u8; 7] = b"USRVKEY";
/// The format version written.
pub const VERSION: u8 = 1;
/// PBKDF2 iterations used by [`encode`] and [`write()`].
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Fewest iterations [`decode`] accepts.
pub const MIN_ITERATIONS: u32 = 1_000;
/// Most iterations [`decode`] accepts.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Length of a version-1 key file.
pub const FILE_LEN: usize = 156;

const ITER_AT: usize = 8;
const SALT_AT: usize = 12;
const IV_AT: usize = 28;
const CT_AT: usize = 44;
const TAG_AT: usize = 92;
const SUM_AT: usize = 124;

/// Why a key file could not be written or read.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyFileError {
    /// Reading or writing the file failed.
    Io(io::Error),
    /// An empty passphrase was given.
    EmptyPassphrase,
    /// The data does not start with the key file magic.
    NotAKeyFile,
    /// The file has a format version this library does not know.
    UnsupportedVersion(u8),
    /// The file is shorter than its format requires.
    Truncated,
    /// The file was damaged or edited (checksum mismatch, trailing bytes).
    Corrupted,
    /// The passphrase does not open the file.
    WrongPassphrase,
    /// The stored KDF cost is outside `MIN_ITERATIONS..=MAX_ITERATIONS`.
    UnsupportedCost(u32),
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "key file I/O error: {e}"),
            Self::EmptyPassphrase => f.write_str("an empty passphrase is not allowed"),
            Self::NotAKeyFile => f.write_str("not a usrv key file"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported key file version {v}"),
            Self::Truncated => f.write_str("key file is truncated"),
            Self::Corrupted => f.write_str("key file is corrupted"),
            Self::WrongPassphrase => f.write_str("wrong passphrase for key file"),
            Self::UnsupportedCost(n) => write!(
                f,
                "key file KDF cost {n} is outside {MIN_ITERATIONS}..={MAX_ITERATIONS}"
            ),
        }
    }
}

impl std::error::Error for KeyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for KeyFileError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// `enc_key || mac_key`.
fn derive(passphrase: &str, salt: &[u8], iterations: u32) -> Zeroizing<[u8; 64]> {
    let password: Zeroizing<String> = Zeroizing::new(passphrase.nfkd().collect());
    let mut master = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut master[..]);
    let mut keys = Zeroizing::new([0u8; 64]);
    Hkdf::<Sha256>::new(Some(b"usrv/v1 keyfile"), &master[..])
        .expand(b"enc+mac", &mut keys[..])
        .expect("64 bytes is a valid HKDF-SHA256 output length");
    keys
}

fn tag(mac_key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(mac_key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The key file bytes for `key` under `passphrase`, at the default cost.
///
/// # Errors
/// [`KeyFileError::EmptyPassphrase`].
pub fn encode(key: &SecretKey, passphrase: &str) -> Result<Vec<u8>, KeyFileError> {
    encode_with_cost(key, passphrase, DEFAULT_ITERATIONS)
}

/// [`encode`] with a chosen PBKDF2 iteration count. For tests, which need a
/// cheap cost; production code uses [`encode`].
///
/// # Errors
/// [`KeyFileError::EmptyPassphrase`], or [`KeyFileError::UnsupportedCost`]
/// outside `MIN_ITERATIONS..=MAX_ITERATIONS`.
#[doc(hidden)]
pub fn encode_with_cost(
    key: &SecretKey,
    passphrase: &str,
    iterations: u32,
) -> Result<Vec<u8>, KeyFileError> {
    if passphrase.is_empty() {
        return Err(KeyFileError::EmptyPassphrase);
    }
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        return Err(KeyFileError::UnsupportedCost(iterations));
    }
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    os_random(&mut salt);
    os_random(&mut iv);
    let keys = derive(passphrase, &salt, iterations);

    let mut out = vec![0u8; FILE_LEN];
    out[..7].copy_from_slice(MAGIC);
    out[7] = VERSION;
    out[ITER_AT..SALT_AT].copy_from_slice(&iterations.to_be_bytes());
    out[SALT_AT..IV_AT].copy_from_slice(&salt);
    out[IV_AT..CT_AT].copy_from_slice(&iv);
    let mut secret = Zeroizing::new(key.to_bytes());
    let enc_key: &[u8; 32] = keys[..32].try_into().expect("32 bytes");
    let ct_len = Aes256CbcEnc::new(enc_key.into(), (&iv).into())
        .encrypt_padded_b2b::<Pkcs7>(&secret[..], &mut out[CT_AT..TAG_AT])
        .expect("48 bytes hold 32 padded bytes")
        .len();
    debug_assert_eq!(ct_len, TAG_AT - CT_AT);
    secret.zeroize();
    let t = tag(&keys[32..], &out[..TAG_AT]);
    out[TAG_AT..SUM_AT].copy_from_slice(&t);
    let sum: [u8; 32] = Sha256::digest(&out[..SUM_AT]).into();
    out[SUM_AT..].copy_from_slice(&sum);
    Ok(out)
}

/// The key in key file `bytes`, opened with `passphrase`.
///
/// # Errors
/// See the module documentation for which [`KeyFileError`] means what.
pub fn decode(bytes: &[u8], passphrase: &str) -> Result<SecretKey, KeyFileError> {
    if passphrase.is_empty() {
        return Err(KeyFileError::EmptyPassphrase);
    }
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(KeyFileError::NotAKeyFile);
    }
    if bytes.len() <= MAGIC.len() {
        return Err(KeyFileError::Truncated);
    }
    if bytes[7] != VERSION {
        return Err(KeyFileError::UnsupportedVersion(bytes[7]));
    }
    if bytes.len() < FILE_LEN {
        return Err(KeyFileError::Truncated);
    }
    if bytes.len() > FILE_LEN {
        return Err(KeyFileError::Corrupted);
    }
    let sum: [u8; 32] = Sha256::digest(&bytes[..SUM_AT]).into();
    if sum[..] != bytes[SUM_AT..] {
        return Err(KeyFileError::Corrupted);
    }
    let iterations = u32::from_be_bytes(
        bytes[ITER_AT..SALT_AT]
            .try_into()
            .map_err(|_| KeyFileError::Corrupted)?,
    );
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        return Err(KeyFileError::UnsupportedCost(iterations));
    }
    let keys = derive(passphrase, &bytes[SALT_AT..IV_AT], iterations);
    let expected = tag(&keys[32..], &bytes[..TAG_AT]);
    if !bool::from(expected.ct_eq(&bytes[TAG_AT..SUM_AT])) {
        return Err(KeyFileError::WrongPassphrase);
    }
    let enc_key: &[u8; 32] = keys[..32].try_into().expect("32 bytes");
    let iv: &[u8; 16] = bytes[IV_AT..CT_AT]
        .try_into()
        .map_err(|_| KeyFileError::Corrupted)?;
    let mut buf = Zeroizing::new([0u8; 48]);
    let plain = Aes256CbcDec::new(enc_key.into(), iv.into())
        .decrypt_padded_b2b::<Pkcs7>(&bytes[CT_AT..TAG_AT], &mut buf[..])
        .map_err(|_| KeyFileError::Corrupted)?;
    let secret: &[u8; 32] = plain.try_into().map_err(|_| KeyFileError::Corrupted)?;
    SecretKey::from_bytes(secret).map_err(|_| KeyFileError::Corrupted)
}

/// Writes `key` encrypted under `passphrase` to `path` (mode `0600` on Unix),
/// replacing any file there.
///
/// # Errors
/// [`KeyFileError::EmptyPassphrase`] or [`KeyFileError::Io`].
pub fn write(path: &Path, key: &SecretKey, passphrase: &str) -> Result<(), KeyFileError> {
    let bytes = encode(key, passphrase)?;
    write_bytes(path, &bytes)
}

/// [`write()`] with a chosen cost; for tests only (see [`encode_with_cost`]).
///
/// # Errors
/// As [`write()`] and [`encode_with_cost`].
#[doc(hidden)]
pub fn write_with_cost(
    path: &Path,
    key: &SecretKey,
    passphrase: &str,
    iterations: u32,
) -> Result<(), KeyFileError> {
    let bytes = encode_with_cost(key, passphrase, iterations)?;
    write_bytes(path, &bytes)
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), KeyFileError> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "key file path has no file name",
        )
    })?;
    let mut suffix = [0u8; 8];
    os_random(&mut suffix);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{:016x}.tmp", u64::from_le_bytes(suffix)));
    let tmp = path.with_file_name(tmp_name);

    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    Ok(result?)
}

/// Reads the key in the file at `path`, opened with `passphrase`.
///
/// # Errors
/// [`KeyFileError::Io`], or as [`decode`].
pub fn read(path: &Path, passphrase: &str) -> Result<SecretKey, KeyFileError> {
    if passphrase.is_empty() {
        return Err(KeyFileError::EmptyPassphrase);
    }
    let bytes = Zeroizing::new(fs::read(path)?);
    decode(&bytes, passphrase)
}
