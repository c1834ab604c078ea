//! The `libsecp256k1` backend, on the `secp256k1` crate (the C library,
//! bundled and built with `cc`). The crate keeps one context per thread and
//! re-randomizes it after each use of a secret (side-channel blinding).

use secp256k1::{ecdh, schnorr, Keypair, Parity, XOnlyPublicKey};
use zeroize::Zeroize;

/// A secret key: the library's key pair (`d` as given and its public key).
#[derive(Clone)]
pub(crate) struct Secret(Keypair);

impl Secret {
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Option<Secret> {
        Keypair::from_secret_bytes(*bytes).ok().map(Secret)
    }

    pub(crate) fn to_bytes(&self) -> [u8; 32] {
        self.0.to_secret_bytes()
    }

    pub(crate) fn public(&self) -> Public {
        Public(self.0.x_only_public_key().0)
    }

    pub(crate) fn sign(&self, msg: &[u8], aux: &[u8; 32]) -> [u8; 64] {
        schnorr::sign_with_aux_rand(msg, &self.0, aux).to_byte_array()
    }

    pub(crate) fn diffie_hellman_x(&self, peer: &Public) -> [u8; 32] {
        // x(d · Q) is the same for Q and -Q: lift with even y.
        let point = peer.0.public_key(Parity::Even);
        let mut secret = secp256k1::SecretKey::from_keypair(&self.0);
        let mut xy = ecdh::shared_secret_point(&point, &secret);
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

/// An x-only public key.
#[derive(Clone, Copy)]
pub(crate) struct Public(XOnlyPublicKey);

impl Public {
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Option<Public> {
        XOnlyPublicKey::from_byte_array(*bytes).ok().map(Public)
    }

    pub(crate) fn to_bytes(self) -> [u8; 32] {
        self.0.to_byte_array()
    }

    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        schnorr::verify(&schnorr::Signature::from_byte_array(*sig), msg, &self.0).is_ok()
    }
}
