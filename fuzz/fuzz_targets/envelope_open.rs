//! Opening an envelope: any bytes and any ephemeral key fail cleanly, and
//! what is sealed opens to itself (and only for its recipient).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use usrv_crypto::{envelope, PublicKey, SecretKey};

#[derive(Arbitrary, Debug)]
struct Input {
    ephemeral_x: [u8; 32],
    body: Vec<u8>,
    plaintext: Vec<u8>,
    flip: Option<(u16, u8)>,
}

fn recipient() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(SecretKey::generate)
}

fuzz_target!(|input: Input| {
    if let Ok(ephemeral) = PublicKey::from_bytes(&input.ephemeral_x) {
        // Garbage: an error, never a panic (a forgery would be a finding).
        assert!(envelope::open(recipient(), &ephemeral, &input.body).is_err());
    }
    let sealed = envelope::seal(&recipient().public_key(), &input.plaintext);
    let mut body = sealed.body.clone();
    let opened = envelope::open(recipient(), &sealed.ephemeral, &body).expect("opens");
    assert_eq!(opened, input.plaintext);
    if let Some((at, bits)) = input.flip {
        if bits != 0 && !body.is_empty() {
            let at = usize::from(at) % body.len();
            body[at] ^= bits;
            assert!(envelope::open(recipient(), &sealed.ephemeral, &body).is_err());
        }
    }
});
