//! Property tests: envelopes, signatures and signature bases.

use proptest::prelude::*;
use usrv_crypto::envelope::{self, OpenError};
use usrv_crypto::signing::{RequestBase, ResponseBase};
use usrv_crypto::{PublicKey, SecretKey, SignatureError};

fn secret_key() -> impl Strategy<Value = SecretKey> {
    any::<[u8; 32]>().prop_filter_map("scalar out of range", |b| SecretKey::from_bytes(&b).ok())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn seal_open_round_trip(
        recipient in secret_key(),
        plaintext in prop::collection::vec(any::<u8>(), 0..65_536),
    ) {
        let sealed = envelope::seal(&recipient.public_key(), &plaintext);
        let padded = (plaintext.len() / 16 + 1) * 16;
        prop_assert_eq!(sealed.body.len(), 16 + padded + 32);
        let opened = envelope::open(&recipient, &sealed.ephemeral, &sealed.body).unwrap();
        prop_assert_eq!(opened, plaintext);
    }

    #[test]
    fn other_recipient_cannot_open(
        recipient in secret_key(),
        other in secret_key(),
        plaintext in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        prop_assume!(recipient.public_key() != other.public_key());
        let sealed = envelope::seal(&recipient.public_key(), &plaintext);
        prop_assert_eq!(envelope::open(&other, &sealed.ephemeral, &sealed.body), Err(OpenError));
    }

    #[test]
    fn any_bit_flip_of_the_body_is_rejected(
        recipient in secret_key(),
        plaintext in prop::collection::vec(any::<u8>(), 0..200),
        bit in any::<prop::sample::Index>(),
    ) {
        let sealed = envelope::seal(&recipient.public_key(), &plaintext);
        let mut body = sealed.body.clone();
        let bit = bit.index(body.len() * 8);
        body[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(envelope::open(&recipient, &sealed.ephemeral, &body), Err(OpenError));
    }

    #[test]
    fn any_bit_flip_of_the_ephemeral_key_is_rejected(
        recipient in secret_key(),
        plaintext in prop::collection::vec(any::<u8>(), 0..200),
        bit in 0usize..256,
    ) {
        let sealed = envelope::seal(&recipient.public_key(), &plaintext);
        let mut key = sealed.ephemeral.to_bytes();
        key[bit / 8] ^= 1 << (bit % 8);
        // Either the flipped x is not on the curve, or it is another key.
        if let Ok(ephemeral) = PublicKey::from_bytes(&key) {
            prop_assert_eq!(envelope::open(&recipient, &ephemeral, &sealed.body), Err(OpenError));
        }
    }

    #[test]
    fn truncated_or_extended_bodies_are_rejected(
        recipient in secret_key(),
        plaintext in prop::collection::vec(any::<u8>(), 0..100),
        cut in 1usize..64,
        extra in prop::collection::vec(any::<u8>(), 1..33),
    ) {
        let sealed = envelope::seal(&recipient.public_key(), &plaintext);
        let cut = cut.min(sealed.body.len());
        let short = &sealed.body[..sealed.body.len() - cut];
        prop_assert_eq!(envelope::open(&recipient, &sealed.ephemeral, short), Err(OpenError));
        let mut long = sealed.body.clone();
        long.extend_from_slice(&extra);
        prop_assert_eq!(envelope::open(&recipient, &sealed.ephemeral, &long), Err(OpenError));
    }

    #[test]
    fn ecdh_is_symmetric(a in secret_key(), b in secret_key()) {
        let ab = a.diffie_hellman(&b.public_key());
        let ba = b.diffie_hellman(&a.public_key());
        prop_assert_eq!(ab.as_bytes(), ba.as_bytes());
    }

    #[test]
    fn sign_verify_round_trip(
        key in secret_key(),
        digest in any::<[u8; 32]>(),
        aux in any::<[u8; 32]>(),
        bit in 0usize..512,
    ) {
        let public = key.public_key();
        let sig = key.sign_digest_with_aux(&digest, &aux);
        prop_assert_eq!(public.verify_digest(&digest, &sig), Ok(()));
        prop_assert_eq!(public.verify_digest(&digest, &key.sign_digest(&digest)), Ok(()));
        // Round trip through text.
        let parsed: usrv_crypto::Signature = sig.to_string().parse().unwrap();
        prop_assert_eq!(parsed, sig);
        // Any flipped bit of the signature or the digest breaks it.
        let mut bytes = sig.to_bytes();
        bytes[bit / 8] ^= 1 << (bit % 8);
        let flipped = usrv_crypto::Signature::from_bytes(bytes);
        prop_assert_eq!(public.verify_digest(&digest, &flipped), Err(SignatureError::Invalid));
        let mut other = digest;
        other[bit % 32] ^= 1 << (bit % 8);
        prop_assert_eq!(public.verify_digest(&other, &sig), Err(SignatureError::Invalid));
    }

    #[test]
    fn changing_any_request_field_breaks_the_signature(
        key in secret_key(),
        method in "[A-Z]{3,7}",
        target in "/[a-z0-9/]{0,20}(\\?[a-z=&0-9]{0,10})?",
        content_type in "(|application/json|text/plain)",
        ms in 0u64..10_000_000_000_000,
        rand in "[0-9a-f]{16,64}",
        with_ephemeral in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        field in 0usize..6,
        extra in "[a-z]{1,3}",
    ) {
        let ephemeral_key = SecretKey::generate().public_key();
        let nonce = format!("{ms}.{rand}");
        let ephemeral = with_ephemeral.then_some(&ephemeral_key);
        let base = RequestBase {
            method: &method,
            target: &target,
            content_type: &content_type,
            nonce: &nonce,
            ephemeral,
            body: &body,
        };
        let public = key.public_key();
        let sig = base.sign(&key);
        prop_assert_eq!(base.verify(&public, &sig), Ok(()));

        let (m, t, c, n) = (
            format!("{method}{}", extra.to_uppercase()),
            format!("{target}{extra}"),
            format!("{content_type}{extra}"),
            format!("{nonce}0"),
        );
        let other_key = SecretKey::generate().public_key();
        let mut changed_body = body.clone();
        changed_body.push(extra.as_bytes()[0]);
        let mut changed = base;
        match field {
            0 => changed.method = &m,
            1 => changed.target = &t,
            2 => changed.content_type = &c,
            3 => changed.nonce = &n,
            4 => changed.ephemeral = if with_ephemeral { None } else { Some(&other_key) },
            _ => changed.body = &changed_body,
        }
        prop_assert_ne!(changed.to_text(), base.to_text());
        prop_assert_eq!(changed.verify(&public, &sig), Err(SignatureError::Invalid));
        // And another signer's key does not verify the original.
        prop_assert_eq!(base.verify(&other_key, &sig), Err(SignatureError::Invalid));
    }

    #[test]
    fn changing_any_response_field_breaks_the_signature(
        key in secret_key(),
        status in 100u16..600,
        content_type in "(|application/json|text/plain)",
        ms in 0u64..10_000_000_000_000,
        rand in "[0-9a-f]{16,64}",
        with_ephemeral in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        field in 0usize..5,
        extra in "[a-z]{1,3}",
    ) {
        let ephemeral_key = SecretKey::generate().public_key();
        let nonce = format!("{ms}.{rand}");
        let base = ResponseBase {
            status,
            content_type: &content_type,
            request_nonce: &nonce,
            ephemeral: with_ephemeral.then_some(&ephemeral_key),
            body: &body,
        };
        let public = key.public_key();
        let sig = base.sign(&key);
        prop_assert_eq!(base.verify(&public, &sig), Ok(()));

        let c = format!("{content_type}{extra}");
        let n = format!("{nonce}0");
        let other_key = SecretKey::generate().public_key();
        let mut changed_body = body.clone();
        changed_body.push(extra.as_bytes()[0]);
        let mut changed = base;
        match field {
            0 => changed.status = if status == 599 { 100 } else { status + 1 },
            1 => changed.content_type = &c,
            2 => changed.request_nonce = &n,
            3 => changed.ephemeral = if with_ephemeral { None } else { Some(&other_key) },
            _ => changed.body = &changed_body,
        }
        prop_assert_ne!(changed.to_text(), base.to_text());
        prop_assert_eq!(changed.verify(&public, &sig), Err(SignatureError::Invalid));
    }
}
