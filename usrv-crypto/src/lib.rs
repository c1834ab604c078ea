//! The usrv secure protocol, version 1: signed, encrypted and
//! replay-protected HTTP requests between a client and a server that are
//! identified by secp256k1 keys.
//!
//! - [`SecretKey`] / [`PublicKey`]: identities; public keys are BIP340 x-only
//!   keys, 64 hex characters on the wire. [`SecretKey::from_phrase`] derives a
//!   key from a phrase as the original Python `usrv` does.
//! - [`signing`]: the request and response signature bases; signatures are
//!   BIP340 over `SHA256(base)`.
//! - [`envelope`]: sealed bodies (x-only ECDH, HKDF-SHA256, AES-256-CBC,
//!   HMAC-SHA256, encrypt-then-MAC).
//! - [`nonce`] and [`replay`]: nonces `<ms>.<rand>`, the time window and the
//!   (asynchronous) replay store.
//! - [`keyfile`]: passphrase-protected key files.
//!
//! # Crate features
//! - `redis` (off by default): `replay::RedisStore`, a replay store in
//!   Redis that several server instances share (Tokio; connects lazily and
//!   fails closed).
//! - `secp256k1` (off by default): sign, verify, ECDH and public-key
//!   derivation through `libsecp256k1`, the C library of Bitcoin Core (via
//!   the `secp256k1` crate, which bundles it and builds it with `cc`; a C
//!   compiler is needed). The API and the wire format are the same; without
//!   the feature everything is pure Rust (`k256`). [`BACKEND`] tells which
//!   one was built.
//!
//! The wire contract is PROTOCOL.md; the tests check every vector of
//! `tests/vectors/usrv-v1.json`, the BIP340 vectors and the NIP-44
//! conversation-key vectors.
//!
//! # A whole exchange
//!
//! ```
//! # async fn exchange() -> Result<(), Box<dyn std::error::Error>> {
//! use usrv_crypto::nonce::now_unix_ms;
//! use usrv_crypto::{envelope, Nonce, PublicKey, ReplayError, ReplayGuard, RequestBase,
//!                   ResponseBase, SecretKey, Signature};
//!
//! let server = SecretKey::generate();
//! let server_public = server.public_key(); // what GET /puk answers; the client pins it
//! let client = SecretKey::generate();
//!
//! // Client: seal the body to the server and sign the request.
//! let sealed = envelope::seal(&server_public, br#"{"value1": 1}"#);
//! let nonce = Nonce::generate();
//! let request = RequestBase {
//!     method: "POST",
//!     target: "/api/endpoint?x=1",
//!     content_type: "application/json",
//!     nonce: nonce.as_str(),
//!     ephemeral: Some(&sealed.ephemeral),
//!     body: &sealed.body,
//! };
//! let signature = request.sign(&client);
//! // Headers sent beside the sealed body (Content-Encoding: usrv-v1):
//! let sender_header = client.public_key().to_string(); // Sender-Public-Key
//! let nonce_header = nonce.to_string(); // Nonce
//! let signature_header = signature.to_string(); // Sender-Signature
//! let ephemeral_header = sealed.ephemeral.to_string(); // Ephemeral-Public-Key
//! let body = sealed.body;
//!
//! // Server: parse the headers (400 if malformed), cheap time check (401),
//! // signature (401), replay (412), then open the body (400).
//! let guard = ReplayGuard::default(); // 30 s window, 1 000 000 entries
//! let sender: PublicKey = sender_header.parse()?;
//! let nonce: Nonce = nonce_header.parse()?;
//! let signature: Signature = signature_header.parse()?;
//! let ephemeral: PublicKey = ephemeral_header.parse()?;
//! let now = now_unix_ms();
//! guard.check_time(&nonce, now)?;
//! let received = RequestBase {
//!     method: "POST",
//!     target: "/api/endpoint?x=1",
//!     content_type: "application/json",
//!     nonce: nonce.as_str(),
//!     ephemeral: Some(&ephemeral),
//!     body: &body,
//! };
//! received.verify(&sender, &signature)?;
//! guard.record(&sender, &nonce, now).await?;
//! let plaintext = envelope::open(&server, &ephemeral, &body)?;
//! assert_eq!(plaintext, br#"{"value1": 1}"#);
//! // The same request again is a replay.
//! assert_eq!(guard.record(&sender, &nonce, now).await, Err(ReplayError::Replayed));
//!
//! // Server: seal the reply to the sender and sign it, bound to the request nonce.
//! let reply = envelope::seal(&sender, br#"["12", "test"]"#);
//! let response = ResponseBase {
//!     status: 200,
//!     content_type: "application/json",
//!     request_nonce: nonce.as_str(),
//!     ephemeral: Some(&reply.ephemeral),
//!     body: &reply.body,
//! };
//! let reply_signature = response.sign(&server);
//!
//! // Client: check the signature with the pinned server key, then open.
//! response.verify(&server_public, &reply_signature)?;
//! let answer = envelope::open(&client, &reply.ephemeral, &reply.body)?;
//! assert_eq!(answer, br#"["12", "test"]"#);
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(exchange())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
// No `unsafe` code, except with the `secp256k1` feature in the one module
// that calls libsecp256k1 on a context of its own (`backend::secp256k1::ffi`).
#![cfg_attr(not(feature = "secp256k1"), forbid(unsafe_code))]
#![cfg_attr(feature = "secp256k1", deny(unsafe_code))]
#![warn(missing_docs)]

mod backend;
pub mod envelope;
mod hex;
pub mod keyfile;
mod keys;
pub mod nonce;
pub mod replay;
pub mod signing;

pub use envelope::{open, seal, OpenError, Sealed};
pub use keyfile::KeyFileError;
pub use keys::{KeyError, PublicKey, SecretKey, SharedSecret, Signature, SignatureError};
pub use nonce::{Nonce, NonceError};
pub use replay::{InsertFuture, MemoryStore, ReplayError, ReplayGuard, ReplayStore};
pub use signing::{RequestBase, ResponseBase};

/// The library behind the curve operations (sign, verify, ECDH, public keys):
/// `"k256"` (pure Rust, the default) or `"libsecp256k1"` (the `secp256k1`
/// feature).
pub const BACKEND: &str = backend::NAME;
