//! Key files: any bytes fail cleanly; a real key file with fuzzed bytes
//! (checksum repaired, so that the damage reaches the KDF and the cipher)
//! never opens to another key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use usrv_crypto::keyfile::{self, FILE_LEN, MIN_ITERATIONS};
use usrv_crypto::SecretKey;

#[derive(Arbitrary, Debug)]
struct Input {
    raw: Vec<u8>,
    passphrase: String,
    /// Byte changes to a real key file: (position, xor).
    damage: Vec<(u8, u8)>,
    right_passphrase: bool,
}

const PASSPHRASE: &str = "correct horse battery staple";

fn real() -> &'static (SecretKey, Vec<u8>) {
    static FILE: OnceLock<(SecretKey, Vec<u8>)> = OnceLock::new();
    FILE.get_or_init(|| {
        let key = SecretKey::generate();
        let bytes = keyfile::encode_with_cost(&key, PASSPHRASE, MIN_ITERATIONS).expect("encodes");
        (key, bytes)
    })
}

fuzz_target!(|input: Input| {
    let _ = keyfile::decode(&input.raw, &input.passphrase);

    let (key, file) = real();
    let mut bytes = file.clone();
    assert_eq!(bytes.len(), FILE_LEN);
    for (at, xor) in &input.damage {
        // Keep the cost at its minimum: a file may ask for up to
        // MAX_ITERATIONS, which is a slow decode, not a finding.
        let at = usize::from(*at) % FILE_LEN;
        if (8..12).contains(&at) {
            continue;
        }
        bytes[at] ^= xor;
    }
    // Repair the checksum, the last 32 bytes: SHA-256 of the rest.
    use sha2::Digest;
    let sum = sha2::Sha256::digest(&bytes[..FILE_LEN - 32]);
    bytes[FILE_LEN - 32..].copy_from_slice(&sum);
    let passphrase = if input.right_passphrase { PASSPHRASE } else { &input.passphrase };
    if let Ok(opened) = keyfile::decode(&bytes, passphrase) {
        assert_eq!(opened.to_bytes(), key.to_bytes(), "a damaged file opened to another key");
    }
});
