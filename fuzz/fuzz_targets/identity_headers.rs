//! The secure protocol's headers (`Sender-Public-Key`, `Sender-Signature`,
//! `Nonce`, `Ephemeral-Public-Key`, `Content-Encoding`) as a client may
//! send them: garbage, or a correctly signed request whose sealed body is
//! garbage (so that envelope opening is reached). Never a 5xx.
#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::Full;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use usrv_crypto::signing::RequestBase;
use usrv_crypto::{Nonce, PublicKey, SecretKey};

#[derive(Arbitrary, Debug)]
struct Input {
    /// Send the fuzzed header values as they are, or sign properly.
    sign: bool,
    sealed: bool,
    to_vault: bool,
    key: String,
    signature: String,
    nonce: String,
    ephemeral: Option<String>,
    /// 32 bytes of an ephemeral key, for signed requests.
    ephemeral_x: [u8; 32],
    content_type: Option<String>,
    accept_encoding: Option<String>,
    body: Vec<u8>,
}

fn client() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(SecretKey::generate)
}

fuzz_target!(|input: Input| {
    let path = if input.to_vault { "/vault" } else { "/whoami" };
    let mut request = http::Request::post(path);
    if let Some(content_type) = &input.content_type {
        request = request.header("content-type", content_type.as_str());
    }
    if let Some(accept) = &input.accept_encoding {
        request = request.header("accept-encoding", accept.as_str());
    }
    if input.sealed {
        request = request.header("content-encoding", "usrv-v1");
    }
    if input.sign {
        let nonce = Nonce::generate();
        let ephemeral = input
            .sealed
            .then(|| PublicKey::from_bytes(&input.ephemeral_x).ok())
            .flatten();
        let base = RequestBase {
            method: "POST",
            target: path,
            content_type: input.content_type.as_deref().unwrap_or(""),
            nonce: nonce.as_str(),
            ephemeral: ephemeral.as_ref(),
            body: &input.body,
        };
        if input.sealed && ephemeral.is_none() {
            return;
        }
        request = request
            .header("sender-public-key", client().public_key().to_string())
            .header("sender-signature", base.sign(client()).to_string())
            .header("nonce", nonce.as_str());
        if let Some(ephemeral) = ephemeral {
            request = request.header("ephemeral-public-key", ephemeral.to_string());
        }
    } else {
        request = request
            .header("sender-public-key", input.key.as_str())
            .header("sender-signature", input.signature.as_str())
            .header("nonce", input.nonce.as_str());
        if let Some(ephemeral) = &input.ephemeral {
            request = request.header("ephemeral-public-key", ephemeral.as_str());
        }
    }
    // Header values a client cannot send (control characters) are not
    // requests.
    let Ok(request) = request.body(Full::new(Bytes::from(input.body))) else {
        return;
    };
    let (status, _) = usrv_fuzz::serve(request);
    if !input.sign {
        // Unsigned garbage never passes the checks.
        assert!(status >= 400, "{status}");
    }
});
