//! The pure-Rust backend, on `k256`.

use k256::elliptic_curve::point::AffineCoordinates;
use k256::schnorr;
use k256::{FieldBytes, NonZeroScalar, ProjectivePoint};
use zeroize::Zeroize;

/// A secret key: `d`, and the BIP340 signing key (which holds `d` or `n - d`,
/// whichever gives an even y, and the x-only public key).
#[derive(Clone)]
pub(crate) struct Secret {
    scalar: NonZeroScalar,
    signing: schnorr::SigningKey,
}

impl Secret {
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Option<Secret> {
        let scalar: Option<NonZeroScalar> =
            NonZeroScalar::from_repr(FieldBytes::from(*bytes)).into();
        scalar.map(|scalar| Secret {
            scalar,
            signing: schnorr::SigningKey::from(scalar),
        })
    }

    pub(crate) fn to_bytes(&self) -> [u8; 32] {
        self.scalar.to_bytes().into()
    }

    pub(crate) fn public(&self) -> Public {
        Public(*self.signing.verifying_key())
    }

    /// # Panics
    /// Only if the nonce or `s` comes out zero (probability about 2^-256).
    pub(crate) fn sign(&self, msg: &[u8], aux: &[u8; 32]) -> [u8; 64] {
        self.signing
            .sign_raw(msg, aux)
            .expect("BIP340 nonce or s is zero (probability 2^-256)")
            .to_bytes()
    }

    pub(crate) fn diffie_hellman_x(&self, peer: &Public) -> [u8; 32] {
        let point = ProjectivePoint::from(*peer.0.as_affine()) * *self.scalar;
        point.to_affine().x().into()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // `schnorr::SigningKey` zeroizes itself.
        self.scalar.zeroize();
    }
}

/// An x-only public key.
#[derive(Clone, Copy)]
pub(crate) struct Public(schnorr::VerifyingKey);

impl Public {
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Option<Public> {
        schnorr::VerifyingKey::from_bytes(&FieldBytes::from(*bytes))
            .ok()
            .map(Public)
    }

    pub(crate) fn to_bytes(self) -> [u8; 32] {
        self.0.to_bytes().into()
    }

    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        schnorr::Signature::from_bytes(sig).is_ok_and(|sig| self.0.verify_raw(msg, &sig).is_ok())
    }
}
