//! Encrypted key files.

use std::path::PathBuf;

use usrv_crypto::keyfile::{self, KeyFileError, DEFAULT_ITERATIONS, FILE_LEN, MIN_ITERATIONS};
use usrv_crypto::SecretKey;

/// A cheap cost so that the tests stay fast; the real cost is exercised once.
const CHEAP: u32 = MIN_ITERATIONS;

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("usrv-crypto-keyfile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn encoded(key: &SecretKey) -> Vec<u8> {
    keyfile::encode_with_cost(key, "correct horse", CHEAP).unwrap()
}

#[test]
fn round_trip() {
    let key = SecretKey::generate();
    let bytes = encoded(&key);
    assert_eq!(bytes.len(), FILE_LEN);
    assert_eq!(&bytes[..8], b"USRVKEY\x01");
    let back = keyfile::decode(&bytes, "correct horse").unwrap();
    assert_eq!(back.to_bytes(), key.to_bytes());
    // Fresh salt and IV each time.
    assert_ne!(encoded(&key), bytes);
    // The secret does not appear in the file.
    assert!(!bytes.windows(32).any(|w| w == key.to_bytes()));
}

#[test]
fn passphrase_is_nfkd_normalized() {
    let key = SecretKey::generate();
    let bytes = keyfile::encode_with_cost(&key, "cr\u{e8}me", CHEAP).unwrap();
    let back = keyfile::decode(&bytes, "cre\u{300}me").unwrap();
    assert_eq!(back.to_bytes(), key.to_bytes());
}

#[test]
fn real_default_cost_write_read_and_mode() {
    let dir = temp_dir("default");
    let path = dir.join("server.key");
    let key = SecretKey::generate();
    keyfile::write(&path, &key, "a long passphrase").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[8..12], &DEFAULT_ITERATIONS.to_be_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let back = keyfile::read(&path, "a long passphrase").unwrap();
    assert_eq!(back.to_bytes(), key.to_bytes());
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn overwriting_a_permissive_file_gives_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("overwrite");
    let path = dir.join("server.key");
    std::fs::write(&path, b"old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let key = SecretKey::generate();
    keyfile::write_with_cost(&path, &key, "pass", CHEAP).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        keyfile::read(&path, "pass").unwrap().to_bytes(),
        key.to_bytes()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrong_passphrase() {
    let bytes = encoded(&SecretKey::generate());
    assert!(matches!(
        keyfile::decode(&bytes, "wrong horse"),
        Err(KeyFileError::WrongPassphrase)
    ));
}

#[test]
fn empty_passphrase_is_refused() {
    let key = SecretKey::generate();
    assert!(matches!(
        keyfile::encode(&key, ""),
        Err(KeyFileError::EmptyPassphrase)
    ));
    assert!(matches!(
        keyfile::encode_with_cost(&key, "", CHEAP),
        Err(KeyFileError::EmptyPassphrase)
    ));
    assert!(matches!(
        keyfile::decode(&encoded(&key), ""),
        Err(KeyFileError::EmptyPassphrase)
    ));
    let dir = temp_dir("empty");
    let path = dir.join("k");
    assert!(matches!(
        keyfile::write(&path, &key, ""),
        Err(KeyFileError::EmptyPassphrase)
    ));
    assert!(!path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn truncated() {
    let bytes = encoded(&SecretKey::generate());
    for len in 0..bytes.len() {
        let err = keyfile::decode(&bytes[..len], "correct horse").unwrap_err();
        assert!(matches!(err, KeyFileError::Truncated), "{len}: {err}");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(matches!(
        keyfile::decode(&long, "correct horse"),
        Err(KeyFileError::Corrupted)
    ));
}

#[test]
fn one_byte_edited_anywhere() {
    let bytes = encoded(&SecretKey::generate());
    for i in 0..bytes.len() {
        let mut edited = bytes.clone();
        edited[i] ^= 0x01;
        let err = keyfile::decode(&edited, "correct horse").unwrap_err();
        match i {
            0..=6 => assert!(matches!(err, KeyFileError::NotAKeyFile), "{i}: {err}"),
            7 => assert!(
                matches!(err, KeyFileError::UnsupportedVersion(0)),
                "{i}: {err}"
            ),
            _ => assert!(matches!(err, KeyFileError::Corrupted), "{i}: {err}"),
        }
    }
}

#[test]
fn edited_with_recomputed_checksum_gives_no_key() {
    use sha2::{Digest, Sha256};
    let bytes = encoded(&SecretKey::generate());
    // An attacker who edits the body and fixes the checksum still gets no key.
    // (From byte 11 on: editing the high bytes of the iteration count would
    // make the test run a costly KDF.)
    for i in 11..124 {
        let mut edited = bytes.clone();
        edited[i] ^= 0x80;
        let sum: [u8; 32] = Sha256::digest(&edited[..124]).into();
        edited[124..].copy_from_slice(&sum);
        let err = keyfile::decode(&edited, "correct horse").unwrap_err();
        assert!(
            matches!(
                err,
                KeyFileError::WrongPassphrase | KeyFileError::UnsupportedCost(_)
            ),
            "{i}: {err}"
        );
    }
}

#[test]
fn unknown_version() {
    let mut bytes = encoded(&SecretKey::generate());
    bytes[7] = 2;
    let err = keyfile::decode(&bytes, "correct horse").unwrap_err();
    assert!(matches!(err, KeyFileError::UnsupportedVersion(2)));
    assert_eq!(err.to_string(), "unsupported key file version 2");
}

#[test]
fn not_a_key_file() {
    assert!(matches!(
        keyfile::decode(b"-----BEGIN PRIVATE KEY-----", "x"),
        Err(KeyFileError::NotAKeyFile)
    ));
}

#[test]
fn costs_out_of_range_are_refused() {
    let key = SecretKey::generate();
    assert!(matches!(
        keyfile::encode_with_cost(&key, "p", MIN_ITERATIONS - 1),
        Err(KeyFileError::UnsupportedCost(_))
    ));
    assert!(matches!(
        keyfile::encode_with_cost(&key, "p", u32::MAX),
        Err(KeyFileError::UnsupportedCost(_))
    ));
}

#[test]
fn missing_file_is_io_error() {
    let dir = temp_dir("missing");
    let err = keyfile::read(&dir.join("nope"), "p").unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(err, KeyFileError::Io(_)));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn error_messages_reveal_nothing() {
    let bytes = encoded(&SecretKey::generate());
    let err = keyfile::decode(&bytes, "hunter2").unwrap_err();
    assert!(!err.to_string().contains("hunter2"));
    assert_eq!(err.to_string(), "wrong passphrase for key file");
}
