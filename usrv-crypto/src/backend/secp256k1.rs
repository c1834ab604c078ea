//! The `libsecp256k1` backend, on the `secp256k1` crate (the C library,
//! bundled and built with `cc`).
//!
//! Each thread owns a context, randomized from the operating system when it
//! is made and again after every [`RERANDOMIZE_EVERY`] uses of a secret key
//! (the blinding of the library's fixed-base multiplication, a defence in
//! depth against side channels; libsecp256k1 asks for it once per context).
//! The crate's own global context since 0.33 re-randomizes after each use,
//! which costs as much as a third of a signature; once per
//! [`RERANDOMIZE_EVERY`] uses keeps the blinding fresh for a fraction of it.

use std::cell::RefCell;

use secp256k1::{ecdh, schnorr, All, Keypair, Parity, PublicKey, Secp256k1, XOnlyPublicKey};
use zeroize::Zeroize;

use crate::keys::os_random;

/// How many uses of a secret key a context's blinding serves.
const RERANDOMIZE_EVERY: u32 = 256;

/// A thread's context, and the uses of secrets since its last blinding.
struct Context {
    secp: Secp256k1<All>,
    secret_uses: u32,
}

impl Context {
    fn new() -> Context {
        let mut secp = Secp256k1::new();
        randomize(&mut secp);
        Context {
            secp,
            secret_uses: 0,
        }
    }
}

fn randomize(secp: &mut Secp256k1<All>) {
    let mut seed = [0u8; 32];
    os_random(&mut seed);
    secp.seeded_randomize(&seed);
    seed.zeroize();
}

thread_local! {
    static CONTEXT: RefCell<Context> = RefCell::new(Context::new());
}

/// Runs `f` with this thread's context (verification: no secret involved).
fn with_context<T>(f: impl FnOnce(&Secp256k1<All>) -> T) -> T {
    CONTEXT.with(|context| f(&context.borrow().secp))
}

/// Runs `f`, which uses a secret key, with this thread's context; counts
/// the use towards the next blinding.
fn with_secret_context<T>(f: impl FnOnce(&Secp256k1<All>) -> T) -> T {
    CONTEXT.with(|context| {
        let mut context = context.borrow_mut();
        let out = f(&context.secp);
        context.secret_uses += 1;
        if context.secret_uses >= RERANDOMIZE_EVERY {
            context.secret_uses = 0;
            randomize(&mut context.secp);
        }
        out
    })
}

/// A secret key: the library's key pair (`d` as given and its public key).
#[derive(Clone)]
pub(crate) struct Secret(Keypair);

impl Secret {
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Option<Secret> {
        with_secret_context(|secp| Keypair::from_seckey_byte_array(secp, *bytes))
            .ok()
            .map(Secret)
    }

    pub(crate) fn to_bytes(&self) -> [u8; 32] {
        self.0.secret_bytes()
    }

    pub(crate) fn public(&self) -> Public {
        // The x-only key is the point with even y.
        let (x_only, parity) = self.0.x_only_public_key();
        let point = self.0.public_key();
        let point = match parity {
            Parity::Even => point,
            Parity::Odd => with_context(|secp| point.negate(secp)),
        };
        Public { x_only, point }
    }

    pub(crate) fn sign(&self, msg: &[u8], aux: &[u8; 32]) -> [u8; 64] {
        with_secret_context(|secp| secp.sign_schnorr_with_aux_rand(msg, &self.0, aux))
            .to_byte_array()
    }

    pub(crate) fn diffie_hellman_x(&self, peer: &Public) -> [u8; 32] {
        // x(d · Q) is the same for Q and -Q: the even lift kept by `Public`.
        let mut secret = secp256k1::SecretKey::from_keypair(&self.0);
        let mut xy = ecdh::shared_secret_point(&peer.point, &secret);
        secret.non_secure_erase();
        let mut x = [0u8; 32];
        x.copy_from_slice(&xy[..32]);
        xy.zeroize();
        x
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.non_secure_erase();
    }
}

/// An x-only public key, with its point (even y) parsed once: ECDH needs
/// the point, and lifting the x coordinate costs a square root.
#[derive(Clone, Copy)]
pub(crate) struct Public {
    x_only: XOnlyPublicKey,
    point: PublicKey,
}

impl Public {
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Option<Public> {
        let mut compressed = [0u8; 33];
        compressed[0] = 0x02; // even y
        compressed[1..].copy_from_slice(bytes);
        let point = PublicKey::from_byte_array_compressed(compressed).ok()?;
        let (x_only, _) = point.x_only_public_key();
        Some(Public { x_only, point })
    }

    pub(crate) fn to_bytes(self) -> [u8; 32] {
        self.x_only.serialize()
    }

    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        let sig = schnorr::Signature::from_byte_array(*sig);
        with_context(|secp| secp.verify_schnorr(&sig, msg, &self.x_only)).is_ok()
    }
}
