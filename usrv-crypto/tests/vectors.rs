//! Every entry of every vector file under `tests/vectors/`.

use std::path::PathBuf;

use serde_json::Value;
use usrv_crypto::envelope::{self, OpenError};
use usrv_crypto::signing::{RequestBase, ResponseBase};
use usrv_crypto::{KeyError, Nonce, PublicKey, SecretKey, Signature, SignatureError};

fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
        .join(name)
}

fn load_json(name: &str) -> Value {
    let text = std::fs::read_to_string(vector_path(name)).expect("vector file");
    serde_json::from_str(&text).expect("vector JSON")
}

fn usrv() -> Value {
    load_json("usrv-v1.json")
}

fn unhex(s: &str) -> Vec<u8> {
    base16ct::mixed::decode_vec(s).unwrap_or_else(|e| panic!("not hex ({e}): {s}"))
}

fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

fn arr32(s: &str) -> [u8; 32] {
    unhex(s).try_into().expect("32 bytes")
}

fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} missing in {v}"))
}

fn section<'a>(root: &'a Value, name: &str, expected: usize) -> &'a [Value] {
    let entries = root[name]
        .as_array()
        .unwrap_or_else(|| panic!("section {name} missing"));
    assert_eq!(entries.len(), expected, "entries in section {name}");
    entries
}

fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(data).into()
}

fn optional_key(hex_text: &str) -> Option<PublicKey> {
    (!hex_text.is_empty()).then(|| hex_text.parse().expect("ephemeral key"))
}

#[test]
fn file_header() {
    let root = usrv();
    assert_eq!(root["protocol"], "usrv/v1");
    let mut sections: Vec<&str> = root
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.is_array())
        .map(|(k, _)| k.as_str())
        .collect();
    sections.sort_unstable();
    // A section added to (or removed from) the file must change the tests here.
    assert_eq!(
        sections,
        [
            "ecdh",
            "envelopes",
            "envelopes_rejected",
            "keys",
            "nonces_invalid_text",
            "nonces_valid_text",
            "phrase_keys",
            "request_signatures",
            "response_signatures",
            "signatures_rejected",
        ]
    );
}

#[test]
fn phrase_keys() {
    let root = usrv();
    let entries = section(&root, "phrase_keys", 4);
    for v in entries {
        let key = SecretKey::from_phrase(s(v, "phrase_text"), None);
        assert_eq!(hex(&key.to_bytes()), s(v, "secret"), "{v}");
        assert_eq!(key.public_key().to_string(), s(v, "public"), "{v}");
        // The default passphrase is "SALT".
        let explicit = SecretKey::from_phrase(s(v, "phrase_text"), Some("SALT"));
        assert_eq!(explicit.to_bytes(), key.to_bytes());
        let other = SecretKey::from_phrase(s(v, "phrase_text"), Some("other"));
        assert_ne!(other.to_bytes(), key.to_bytes());
    }
}

#[test]
fn keys() {
    let root = usrv();
    let entries = section(&root, "keys", 4);
    for v in entries {
        let key = SecretKey::from_hex(s(v, "secret")).unwrap();
        assert_eq!(hex(&key.to_bytes()), s(v, "secret"));
        let upper = SecretKey::from_hex(&s(v, "secret").to_uppercase()).unwrap();
        assert_eq!(upper.to_bytes(), key.to_bytes());
        let public = key.public_key();
        assert_eq!(public.to_string(), s(v, "public"));
        assert_eq!(format!("{public:x}"), s(v, "public"));
        let parsed: PublicKey = s(v, "public").to_uppercase().parse().unwrap();
        assert_eq!(parsed, public);
        assert_eq!(
            PublicKey::from_bytes(&arr32(s(v, "public"))).unwrap(),
            public
        );
        assert_eq!(
            SecretKey::from_bytes(&arr32(s(v, "secret")))
                .unwrap()
                .public_key(),
            public
        );
    }
}

#[test]
fn ecdh() {
    let root = usrv();
    let entries = section(&root, "ecdh", 3);
    for v in entries {
        let key = SecretKey::from_hex(s(v, "secret")).unwrap();
        let peer: PublicKey = s(v, "peer_public").parse().unwrap();
        let shared = key.diffie_hellman(&peer);
        assert_eq!(hex(shared.as_bytes()), s(v, "shared"), "{v}");
    }
}

#[test]
fn envelopes() {
    let root = usrv();
    let entries = section(&root, "envelopes", 8);
    for v in entries {
        let recipient = SecretKey::from_hex(s(v, "recipient_secret")).unwrap();
        let recipient_public: PublicKey = s(v, "recipient_public").parse().unwrap();
        assert_eq!(recipient.public_key(), recipient_public);
        let ephemeral = SecretKey::from_hex(s(v, "ephemeral_secret")).unwrap();
        assert_eq!(ephemeral.public_key().to_string(), s(v, "ephemeral_public"));

        let trace = envelope::trace(&recipient_public, &ephemeral);
        assert_eq!(hex(&trace.shared), s(v, "shared"));
        assert_eq!(hex(&trace.enc_key), s(v, "enc_key"));
        assert_eq!(hex(&trace.mac_key), s(v, "mac_key"));
        // Both sides derive the same z.
        let back = recipient.diffie_hellman(&ephemeral.public_key());
        assert_eq!(hex(back.as_bytes()), s(v, "shared"));

        let iv: [u8; 16] = unhex(s(v, "iv")).try_into().unwrap();
        let plaintext = unhex(s(v, "plaintext"));
        let sealed = envelope::seal_with(&recipient_public, &plaintext, &ephemeral, &iv);
        assert_eq!(sealed.ephemeral.to_string(), s(v, "ephemeral_public"));
        assert_eq!(hex(&sealed.body), s(v, "wire"), "{v}");
        assert_eq!(&sealed.body[..16], &iv);

        let wire = unhex(s(v, "wire"));
        let ephemeral_public: PublicKey = s(v, "ephemeral_public").parse().unwrap();
        let opened = envelope::open(&recipient, &ephemeral_public, &wire).unwrap();
        assert_eq!(opened, plaintext);
    }
}

#[test]
fn envelopes_rejected() {
    let root = usrv();
    let entries = section(&root, "envelopes_rejected", 9);
    for v in entries {
        let recipient = SecretKey::from_hex(s(v, "recipient_secret")).unwrap();
        let ephemeral: PublicKey = s(v, "ephemeral_public").parse().unwrap();
        let wire = unhex(s(v, "wire"));
        assert_eq!(
            envelope::open(&recipient, &ephemeral, &wire),
            Err(OpenError),
            "{}",
            s(v, "why_text")
        );
    }
}

#[test]
fn request_signatures() {
    let root = usrv();
    let entries = section(&root, "request_signatures", 4);
    for v in entries {
        let key = SecretKey::from_hex(s(v, "secret")).unwrap();
        let public: PublicKey = s(v, "public").parse().unwrap();
        assert_eq!(key.public_key(), public);
        let ephemeral = optional_key(s(v, "ephemeral_public"));
        let body = unhex(s(v, "body"));
        let base = RequestBase {
            method: s(v, "method_text"),
            target: s(v, "target_text"),
            content_type: s(v, "content_type_text"),
            nonce: s(v, "nonce_text"),
            ephemeral: ephemeral.as_ref(),
            body: &body,
        };
        assert_eq!(base.to_text(), s(v, "base_text"));
        assert_eq!(hex(&base.digest()), s(v, "message"));
        assert_eq!(sha256(s(v, "base_text").as_bytes()), base.digest());
        assert!(s(v, "nonce_text").parse::<Nonce>().is_ok());

        let aux = arr32(s(v, "aux_rand"));
        let sig = key.sign_digest_with_aux(&base.digest(), &aux);
        assert_eq!(sig.to_string(), s(v, "signature"), "{v}");
        let expected: Signature = s(v, "signature").parse().unwrap();
        assert_eq!(public.verify_digest(&base.digest(), &expected), Ok(()));
        assert_eq!(base.verify(&public, &expected), Ok(()));
        // A signature with fresh aux randomness verifies too.
        assert_eq!(base.verify(&public, &base.sign(&key)), Ok(()));
    }
}

#[test]
fn response_signatures() {
    let root = usrv();
    let entries = section(&root, "response_signatures", 3);
    for v in entries {
        let key = SecretKey::from_hex(s(v, "secret")).unwrap();
        let public: PublicKey = s(v, "public").parse().unwrap();
        assert_eq!(key.public_key(), public);
        let ephemeral = optional_key(s(v, "ephemeral_public"));
        let body = unhex(s(v, "body"));
        let base = ResponseBase {
            status: u16::try_from(v["status"].as_u64().unwrap()).unwrap(),
            content_type: s(v, "content_type_text"),
            request_nonce: s(v, "request_nonce_text"),
            ephemeral: ephemeral.as_ref(),
            body: &body,
        };
        assert_eq!(base.to_text(), s(v, "base_text"));
        assert_eq!(hex(&base.digest()), s(v, "message"));
        let aux = arr32(s(v, "aux_rand"));
        let sig = key.sign_digest_with_aux(&base.digest(), &aux);
        assert_eq!(sig.to_string(), s(v, "signature"), "{v}");
        let expected: Signature = s(v, "signature").parse().unwrap();
        assert_eq!(base.verify(&public, &expected), Ok(()));
    }
}

#[test]
fn signatures_rejected() {
    let root = usrv();
    let entries = section(&root, "signatures_rejected", 3);
    for v in entries {
        let public: PublicKey = s(v, "public").parse().unwrap();
        let digest = sha256(s(v, "base_text").as_bytes());
        let sig: Signature = s(v, "signature").parse().unwrap();
        assert_eq!(
            public.verify_digest(&digest, &sig),
            Err(SignatureError::Invalid),
            "{}",
            s(v, "why_text")
        );
    }
}

#[test]
fn nonces() {
    let root = usrv();
    let valid = section(&root, "nonces_valid_text", 4);
    for v in valid {
        let text = v.as_str().unwrap();
        let nonce: Nonce = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(nonce.as_str(), text);
        assert_eq!(nonce.to_string(), text);
        let ms: u64 = text.split('.').next().unwrap().parse().unwrap();
        assert_eq!(nonce.unix_ms(), ms);
    }
    let invalid = section(&root, "nonces_invalid_text", 11);
    for v in invalid {
        let text = v.as_str().unwrap();
        assert!(text.parse::<Nonce>().is_err(), "accepted {text:?}");
    }
}

/// One row of bip340-test-vectors.csv.
struct Bip340 {
    index: usize,
    secret: String,
    public: String,
    aux: String,
    message: String,
    signature: String,
    result: bool,
    comment: String,
}

fn bip340_rows() -> Vec<Bip340> {
    let text = std::fs::read_to_string(vector_path("bip340-test-vectors.csv")).unwrap();
    assert!(
        text.contains("\r\n"),
        "the official file has CRLF line endings"
    );
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    assert_eq!(
        lines.next().unwrap(),
        "index,secret key,public key,aux_rand,message,signature,verification result,comment"
    );
    lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.splitn(8, ',').collect();
            assert_eq!(f.len(), 8, "{line}");
            Bip340 {
                index: f[0].parse().unwrap(),
                secret: f[1].to_lowercase(),
                public: f[2].to_lowercase(),
                aux: f[3].to_lowercase(),
                message: f[4].to_lowercase(),
                signature: f[5].to_lowercase(),
                result: match f[6] {
                    "TRUE" => true,
                    "FALSE" => false,
                    other => panic!("result {other}"),
                },
                comment: f[7].to_string(),
            }
        })
        .collect()
}

#[test]
fn bip340_vectors() {
    let rows = bip340_rows();
    assert_eq!(rows.len(), 19);
    let mut signed = 0;
    let mut verified = 0;
    let mut bad_keys = 0;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.index, i);
        let message = unhex(&row.message);
        let sig: Signature = row.signature.parse().unwrap();
        if !row.secret.is_empty() {
            let key = SecretKey::from_hex(&row.secret).unwrap();
            assert_eq!(key.public_key().to_string(), row.public, "vector {i}");
            let aux = arr32(&row.aux);
            let made = key.bip340_sign(&message, &aux);
            assert_eq!(made, sig, "vector {i}");
            if let Ok(digest) = <[u8; 32]>::try_from(message.as_slice()) {
                assert_eq!(key.sign_digest_with_aux(&digest, &aux), sig);
            }
            signed += 1;
        }
        let outcome = match PublicKey::from_bytes(&arr32(&row.public)) {
            Ok(public) => {
                let by_raw = public.bip340_verify(&message, &sig).is_ok();
                if let Ok(digest) = <[u8; 32]>::try_from(message.as_slice()) {
                    assert_eq!(public.verify_digest(&digest, &sig).is_ok(), by_raw);
                }
                by_raw
            }
            Err(e) => {
                assert_eq!(e, KeyError::NotOnCurve, "vector {i}");
                assert!(!row.result, "vector {i}: valid key refused");
                bad_keys += 1;
                false
            }
        };
        assert_eq!(outcome, row.result, "vector {i}: {}", row.comment);
        verified += 1;
    }
    assert_eq!((signed, verified, bad_keys), (8, 19, 2));
}

#[test]
fn nip44_conversation_keys() {
    use hkdf::Hkdf;
    use sha2::Sha256;

    let root = load_json("nip44.vectors.json");
    let valid = root["v2"]["valid"]["get_conversation_key"]
        .as_array()
        .unwrap();
    assert_eq!(valid.len(), 35);
    for v in valid {
        let key = SecretKey::from_hex(s(v, "sec1")).unwrap();
        let peer: PublicKey = s(v, "pub2").parse().unwrap();
        let shared = key.diffie_hellman(&peer);
        let (conversation, _) = Hkdf::<Sha256>::extract(Some(b"nip44-v2"), shared.as_bytes());
        assert_eq!(hex(&conversation), s(v, "conversation_key"), "{v}");
    }
    let invalid = root["v2"]["invalid"]["get_conversation_key"]
        .as_array()
        .unwrap();
    assert_eq!(invalid.len(), 8);
    for v in invalid {
        let key = SecretKey::from_hex(s(v, "sec1"));
        let peer = s(v, "pub2").parse::<PublicKey>();
        assert!(key.is_err() || peer.is_err(), "accepted: {}", s(v, "note"));
    }
}

/// The vectors above ran on the backend the crate was built with.
#[test]
fn backend_in_use() {
    let expected = if cfg!(feature = "secp256k1") {
        "libsecp256k1"
    } else {
        "k256"
    };
    assert_eq!(usrv_crypto::BACKEND, expected);
}
