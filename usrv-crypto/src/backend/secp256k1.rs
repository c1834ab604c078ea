//! The `libsecp256k1` backend, on the `secp256k1` crate (the C library,
//! bundled and built with `cc`).
//!
//! Verification, ECDH and key parsing go through the crate's safe API.
//! The two operations that use a secret with the library's fixed-base
//! multiplication (making a key pair and signing) go through [`ffi`], the
//! only `unsafe` code in usrv: they run on a context this thread owns,
//! randomized from the operating system when it is made and again after
//! every [`ffi::RERANDOMIZE_EVERY`] uses of a secret. The randomization
//! blinds that multiplication, a defence in depth against side channels:
//! libsecp256k1 calls it highly recommended for a new context and
//! recommends repeating it "before every few computations involving secret
//! keys". The crate's safe API repeats it after every use, which costs
//! 372 k instructions, 1.5 times the signature itself (`bench/secure.sh`);
//! every 256 uses bounds how many multiplications share one blinding for
//! 1.5 k per use. (k256, the default backend, has no blinding.)

use secp256k1::{ecdh, schnorr, PublicKey, SecretKey, XOnlyPublicKey};
use zeroize::Zeroize;

/// A secret key: `d` as given, the library's key pair (`d` and `d · G`,
/// which its BIP340 signing needs), and the public key.
#[derive(Clone)]
pub(crate) struct Secret {
    scalar: SecretKey,
    keypair: ffi::Keypair,
    public: Public,
}

impl Secret {
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Option<Secret> {
        let scalar = SecretKey::from_secret_bytes(*bytes).ok()?;
        let (keypair, x_only, point) = ffi::keypair(bytes)?;
        Some(Secret {
            scalar,
            keypair,
            public: Public { x_only, point },
        })
    }

    pub(crate) fn to_bytes(&self) -> [u8; 32] {
        self.scalar.to_secret_bytes()
    }

    pub(crate) fn public(&self) -> Public {
        self.public
    }

    pub(crate) fn sign(&self, msg: &[u8], aux: &[u8; 32]) -> [u8; 64] {
        ffi::sign(&self.keypair, msg, aux)
    }

    pub(crate) fn diffie_hellman_x(&self, peer: &Public) -> [u8; 32] {
        // x(d · Q) is the same for Q and -Q: the even lift kept by `Public`.
        let mut xy = ecdh::shared_secret_point(&peer.point, &self.scalar);
        let mut x = [0u8; 32];
        x.copy_from_slice(&xy[..32]);
        xy.zeroize();
        x
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.scalar.non_secure_erase();
        self.keypair.non_secure_erase();
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
        self.x_only.to_byte_array()
    }

    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        // Verification uses no secret: the crate's own context, never
        // re-randomized for it.
        let sig = schnorr::Signature::from_byte_array(*sig);
        schnorr::verify(&sig, msg, &self.x_only).is_ok()
    }
}

/// Key pairs and signatures on a context of this thread's own.
///
/// The one module of usrv with `unsafe` code (the crate denies it
/// elsewhere). Making a key pair and signing are calls the `secp256k1`
/// crate offers only on its own, per-use re-randomized context; here they
/// are made on this thread's context, and the key pair made that way is
/// read back (its public key) with two more calls. Each call's pointers
/// come from references that outlive it, to buffers of the sizes the C
/// declarations name; the context is one the crate made for signing and
/// verification (`Secp256k1<All>`) and that only this thread uses.
#[allow(unsafe_code)]
mod ffi {
    use std::cell::RefCell;

    pub(super) use secp256k1::ffi::Keypair;
    use secp256k1::ffi::{
        secp256k1_context_static, secp256k1_keypair_create, secp256k1_keypair_pub,
        secp256k1_keypair_xonly_pub, secp256k1_schnorrsig_sign_custom, SchnorrSigExtraParams,
    };
    use secp256k1::{All, PublicKey, Secp256k1, XOnlyPublicKey};
    use zeroize::Zeroize;

    use crate::keys::os_random;

    /// How many uses of a secret key a context's blinding serves.
    pub(super) const RERANDOMIZE_EVERY: u32 = 256;

    /// A thread's context, and the uses of secrets since its last blinding.
    struct Context {
        secp: Secp256k1<All>,
        secret_uses: u32,
    }

    impl Context {
        fn new() -> Context {
            let mut context = Context {
                secp: Secp256k1::new(),
                secret_uses: 0,
            };
            context.randomize();
            context
        }

        fn randomize(&mut self) {
            let mut seed = [0u8; 32];
            os_random(&mut seed);
            self.secp.seeded_randomize(&seed);
            seed.zeroize();
            self.secret_uses = 0;
        }
    }

    thread_local! {
        static CONTEXT: RefCell<Context> = RefCell::new(Context::new());
    }

    /// Runs `f`, which uses a secret key, with this thread's context; counts
    /// the use towards the next blinding.
    fn with_secret_context<T>(f: impl FnOnce(&Secp256k1<All>) -> T) -> T {
        CONTEXT.with(|context| {
            let mut context = context.borrow_mut();
            let out = f(&context.secp);
            context.secret_uses += 1;
            if context.secret_uses >= RERANDOMIZE_EVERY {
                context.randomize();
            }
            out
        })
    }

    /// The key pair of `d` (`None` unless `d` is in `[1, n-1]`), its x-only
    /// public key, and that key's point (the one with even y).
    pub(super) fn keypair(d: &[u8; 32]) -> Option<(Keypair, XOnlyPublicKey, PublicKey)> {
        // SAFETY: `Keypair::new` is zeroed memory, passed only as the output
        // of `keypair_create`, which fills it (or reports 0, and it is
        // dropped unread); `d` is 32 readable bytes.
        let mut keypair = unsafe { Keypair::new() };
        let created = with_secret_context(|secp| unsafe {
            secp256k1_keypair_create(secp.ctx().as_ptr(), &mut keypair, d.as_ptr())
        });
        if created != 1 {
            return None;
        }
        let mut parity = 0;
        // SAFETY: `keypair` was made by `keypair_create` just above; the
        // zeroed outputs are passed only as outputs, which both calls fill.
        // The static context serves: neither call multiplies by a secret.
        let (x_only, point) = unsafe {
            let mut x_only = secp256k1::ffi::XOnlyPublicKey::new();
            let mut point = secp256k1::ffi::PublicKey::new();
            let read = (
                secp256k1_keypair_xonly_pub(
                    secp256k1_context_static,
                    &mut x_only,
                    &mut parity,
                    &keypair,
                ),
                secp256k1_keypair_pub(secp256k1_context_static, &mut point, &keypair),
            );
            assert_eq!(read, (1, 1), "libsecp256k1 reads the key pair it made");
            (x_only, point)
        };
        let point = PublicKey::from(point);
        let even = if parity == 0 { point } else { point.negate() };
        Some((keypair, x_only.into(), even))
    }

    /// The BIP340 signature of `msg` (any length) with auxiliary randomness
    /// `aux`.
    pub(super) fn sign(keypair: &Keypair, msg: &[u8], aux: &[u8; 32]) -> [u8; 64] {
        let mut signature = [0u8; 64];
        // BIP340's nonce function (the default) with `aux` as its data.
        let extra = SchnorrSigExtraParams::new(None, aux.as_ptr().cast());
        // SAFETY: `signature` is 64 writable bytes; `msg` is `msg.len()`
        // readable bytes; `keypair` was made by `keypair_create`; `extra`
        // points at `aux`, 32 readable bytes, for the length of the call.
        let signed = with_secret_context(|secp| unsafe {
            secp256k1_schnorrsig_sign_custom(
                secp.ctx().as_ptr(),
                signature.as_mut_ptr(),
                msg.as_ptr(),
                msg.len(),
                keypair,
                &extra,
            )
        });
        assert_eq!(signed, 1, "libsecp256k1 signs with a valid key pair");
        signature
    }
}

#[cfg(test)]
mod tests {
    use super::{ffi, Public, Secret};
    use crate::keys::os_random;

    /// Signatures stay valid across the context's re-randomizations, and a
    /// key made on one thread signs on another (each with its own context).
    #[test]
    fn signatures_survive_reblinding_and_threads() {
        let mut d = [0u8; 32];
        os_random(&mut d);
        let secret = Secret::from_bytes(&d).expect("a random scalar is valid");
        let public = Public::from_bytes(&secret.public().to_bytes()).expect("its own key");
        let uses = 3 * ffi::RERANDOMIZE_EVERY as usize + 7;
        for i in 0..uses {
            let msg = (i as u64).to_le_bytes();
            let aux = [i as u8; 32];
            assert!(public.verify(&msg, &secret.sign(&msg, &aux)), "use {i}");
        }
        let signature = std::thread::spawn({
            let secret = secret.clone();
            move || secret.sign(b"elsewhere", &[9; 32])
        })
        .join()
        .expect("the other thread signs");
        assert!(public.verify(b"elsewhere", &signature));
        assert!(!public.verify(b"elsewhere!", &signature));
    }
}
