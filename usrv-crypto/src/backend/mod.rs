//! The curve operations behind [`crate::SecretKey`] and [`crate::PublicKey`],
//! chosen at build time: pure-Rust `k256` by default, `libsecp256k1` (the C
//! library, through the `secp256k1` crate) with the `secp256k1` feature.
//!
//! Each backend has the same two types:
//! - `Secret`: a secret scalar `d` in `[1, n-1]`, with its public key;
//!   `from_bytes`, `to_bytes` (`d` as given), `public`, `sign` (BIP340 with
//!   auxiliary randomness, messages of any length) and `diffie_hellman_x`
//!   (`x(d · Q)`);
//! - `Public`: an x-only public key (the point with even y); `from_bytes`
//!   (`None` unless `x < p` is the x coordinate of a point), `to_bytes` and
//!   `verify` (BIP340).

#[cfg(any(not(feature = "secp256k1"), test))]
mod k256;
#[cfg(feature = "secp256k1")]
mod secp256k1;

#[cfg(not(feature = "secp256k1"))]
pub(crate) use self::k256::{Public, Secret};
#[cfg(feature = "secp256k1")]
pub(crate) use self::secp256k1::{Public, Secret};

/// Name of the backend in use.
#[cfg(not(feature = "secp256k1"))]
pub(crate) const NAME: &str = "k256";
/// Name of the backend in use.
#[cfg(feature = "secp256k1")]
pub(crate) const NAME: &str = "libsecp256k1";

/// With both backends built, they must agree on everything.
#[cfg(all(test, feature = "secp256k1"))]
mod differential {
    use super::{k256, secp256k1};
    use crate::keys::os_random;

    fn random<const N: usize>() -> [u8; N] {
        let mut bytes = [0u8; N];
        os_random(&mut bytes);
        bytes
    }

    #[test]
    fn same_keys_signatures_and_shared_secrets() {
        for round in 0..64 {
            let d: [u8; 32] = random();
            let (Some(a), Some(b)) = (
                k256::Secret::from_bytes(&d),
                secp256k1::Secret::from_bytes(&d),
            ) else {
                panic!("a random scalar is valid (probability 1 - 2^-127)");
            };
            assert_eq!(a.to_bytes(), d);
            assert_eq!(b.to_bytes(), d);
            let (pa, pb) = (a.public(), b.public());
            assert_eq!(pa.to_bytes(), pb.to_bytes(), "round {round}");

            let msg: [u8; 32] = random();
            let aux: [u8; 32] = random();
            let (sa, sb) = (a.sign(&msg, &aux), b.sign(&msg, &aux));
            assert_eq!(sa, sb, "round {round}");
            assert!(pa.verify(&msg, &sb) && pb.verify(&msg, &sa));
            let mut bad = sa;
            bad[usize::from(random::<1>()[0] % 64)] ^= 1;
            assert!(!pa.verify(&msg, &bad) && !pb.verify(&msg, &bad));
            // Messages of other lengths, as in the BIP340 vectors.
            let long = [round as u8; 100];
            assert_eq!(a.sign(&long, &aux), b.sign(&long, &aux));
            assert_eq!(a.sign(&[], &aux), b.sign(&[], &aux));

            let e: [u8; 32] = random();
            let peer_a = k256::Secret::from_bytes(&e).unwrap().public();
            let peer_b = secp256k1::Public::from_bytes(&peer_a.to_bytes()).unwrap();
            assert_eq!(a.diffie_hellman_x(&peer_a), b.diffie_hellman_x(&peer_b));
        }
    }

    #[test]
    fn same_public_keys_refused() {
        let p_minus = |k: u8| {
            // p = 2^256 - 2^32 - 977 = ff..ff fffffffe fffffc2f
            let mut x = [0xffu8; 32];
            x[27] = 0xfe;
            x[30] = 0xfc;
            x[31] = 0x2f - k;
            x
        };
        assert!(k256::Public::from_bytes(&p_minus(0)).is_none());
        assert!(secp256k1::Public::from_bytes(&p_minus(0)).is_none());
        let mut cases: Vec<[u8; 32]> = (0..256).map(|_| random()).collect();
        cases.extend([[0u8; 32], [0xff; 32], p_minus(0), p_minus(1)]);
        let mut on_curve = 0;
        for x in cases {
            let a = k256::Public::from_bytes(&x);
            let b = secp256k1::Public::from_bytes(&x);
            assert_eq!(a.is_some(), b.is_some(), "{x:02x?}");
            on_curve += usize::from(a.is_some());
        }
        // About half of all x coordinates are on the curve.
        assert!((64..=196).contains(&on_curve), "{on_curve}");
    }
}
