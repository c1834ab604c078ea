//! The server side of the secure protocol (PROTOCOL.md): the checks a
//! signed request goes through, in order, and the signing and sealing of the
//! reply. The cheap checks run first, so garbage costs no signature
//! verification; a nonce is recorded only once its signature verified.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use usrv_crypto::envelope::CONTENT_ENCODING as USRV_V1;
use usrv_crypto::{
    MemoryStore, Nonce, PublicKey, ReplayError, ReplayGuard, ReplayStore, RequestBase,
    ResponseBase, SecretKey, Signature,
};

use crate::extract::{Ctx, FromRequest};
use crate::response::{Body, Response};
use crate::Rejection;

pub(crate) const SENDER_PUBLIC_KEY: HeaderName = HeaderName::from_static("sender-public-key");
pub(crate) const SENDER_SIGNATURE: HeaderName = HeaderName::from_static("sender-signature");
pub(crate) const NONCE: HeaderName = HeaderName::from_static("nonce");
pub(crate) const EPHEMERAL_PUBLIC_KEY: HeaderName = HeaderName::from_static("ephemeral-public-key");

/// The verified sender of a signed request: its public key.
///
/// Taking `Identity` makes a route refuse unsigned requests (401); take
/// `Option<Identity>` to serve both.
///
/// ```
/// use usrv::{route, Identity};
///
/// #[route("/whoami", methods = ["POST"])]
/// fn whoami(sender: Identity) -> (u16, String) {
///     (200, sender.to_string())
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Identity(pub PublicKey);

impl Identity {
    /// The sender's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.0
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::ops::Deref for Identity {
    type Target = PublicKey;
    fn deref(&self) -> &PublicKey {
        &self.0
    }
}

impl FromRequest for Identity {
    const NEEDS_IDENTITY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        ctx.sender()
            .map(Identity)
            .ok_or_else(|| Rejection::unauthorized("this route needs a signed request"))
    }
}

impl FromRequest for Option<Identity> {
    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        Ok(ctx.sender().map(Identity))
    }
}

/// The server's identity and the protocol state shared by all requests.
pub(crate) struct Security {
    key: SecretKey,
    public: PublicKey,
    replay: ReplayGuard<Box<dyn ReplayStore>>,
    allowed: Option<HashSet<PublicKey>>,
    puk: Option<Bytes>,
    senders: SenderKeys,
}

/// Recently seen sender keys by their header text: parsing a key
/// decompresses a curve point (about 10 µs), and clients come back.
#[derive(Default)]
struct SenderKeys(Mutex<HashMap<Box<str>, PublicKey>>);

impl SenderKeys {
    /// At most this many keys; the cache starts over when full.
    const CAPACITY: usize = 4096;

    fn parse(&self, text: &str) -> Option<PublicKey> {
        let lock = || {
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(key) = lock().get(text) {
            return Some(*key);
        }
        // Parsed outside the lock: a miss costs the others nothing.
        let key = text.parse::<PublicKey>().ok()?;
        let mut keys = lock();
        if keys.len() >= Self::CAPACITY {
            keys.clear();
        }
        keys.insert(text.into(), key);
        Some(key)
    }
}

/// The protocol settings of a server.
pub(crate) struct SecurityConfig {
    pub key: Option<SecretKey>,
    pub window: Duration,
    pub store: Option<Box<dyn ReplayStore>>,
    pub capacity: usize,
    pub allowed: Option<Vec<PublicKey>>,
    pub puk: bool,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            key: None,
            window: Duration::from_secs(30),
            store: None,
            capacity: 1_000_000,
            allowed: None,
            puk: true,
        }
    }
}

/// The identity headers of a request that claims a sender, parsed.
pub(crate) struct SignedHead {
    sender: PublicKey,
    nonce: Nonce,
    signature: Signature,
}

/// A request whose signature verified.
pub(crate) struct Verified {
    pub sender: PublicKey,
    nonce: Nonce,
    /// Seal the reply to the sender.
    pub seal_reply: bool,
}

impl Security {
    pub fn new(config: SecurityConfig) -> Security {
        let key = config.key.unwrap_or_else(SecretKey::generate);
        let public = key.public_key();
        let store = config
            .store
            .unwrap_or_else(|| Box::new(MemoryStore::new(config.capacity)));
        let puk = config.puk.then(|| Bytes::from(format!("\"{public}\"")));
        Security {
            key,
            public,
            replay: ReplayGuard::with_store(config.window, store),
            allowed: config.allowed.map(|keys| keys.into_iter().collect()),
            puk,
            senders: SenderKeys::default(),
        }
    }

    /// The server's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// `GET /puk`: the server key as a JSON string, unless turned off.
    pub fn puk_response(&self) -> Option<Response> {
        let body = self.puk.clone()?;
        let mut response = Response::new(Body::from(body));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Some(response)
    }

    /// Step 1 and 2: the identity headers, well formed, and a nonce inside
    /// the time window. `None` for an unsigned request.
    pub fn read_head(&self, headers: &HeaderMap) -> Result<Option<SignedHead>, Rejection> {
        let sender = headers.get(SENDER_PUBLIC_KEY);
        let signature = headers.get(SENDER_SIGNATURE);
        let nonce = headers.get(NONCE);
        if sender.is_none() && signature.is_none() && nonce.is_none() {
            return Ok(None);
        }
        let sender = self
            .senders
            .parse(header_text(sender, "Sender-Public-Key")?)
            .ok_or_else(|| {
                Rejection::bad_request(
                    "malformed `Sender-Public-Key` header: expected 64 hex characters of a secp256k1 x-only key",
                )
            })?;
        let nonce = header_text(nonce, "Nonce")?.parse::<Nonce>().map_err(|_| {
            Rejection::bad_request(
                "malformed `Nonce` header: expected `<unix ms>.<16 to 64 hex characters>`",
            )
        })?;
        let signature = header_text(signature, "Sender-Signature")?
            .parse::<Signature>()
            .map_err(|_| {
                Rejection::bad_request(
                    "malformed `Sender-Signature` header: expected 128 hex characters",
                )
            })?;
        self.replay
            .check_time(&nonce, usrv_crypto::nonce::now_unix_ms())
            .map_err(replay_rejection)?;
        Ok(Some(SignedHead {
            sender,
            nonce,
            signature,
        }))
    }

    /// Steps 4 and 5, once the body is read: the signature, the allow-list,
    /// then the replay store.
    pub fn verify(
        &self,
        head: SignedHead,
        parts: &http::request::Parts,
        envelope: Option<&Envelope<'_>>,
        body: &[u8],
    ) -> Result<Verified, Rejection> {
        let target = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let base = RequestBase {
            method: parts.method.as_str(),
            target,
            content_type: header_str(&parts.headers, &CONTENT_TYPE),
            nonce: head.nonce.as_str(),
            ephemeral: envelope.and_then(|e| e.key.as_ref()),
            body,
        };
        let invalid = || Rejection::unauthorized("invalid request signature");
        let digest = match envelope {
            // A key off the curve: its text is still what was signed.
            Some(Envelope {
                text: Some(text),
                key: None,
            }) => base.digest_with_ephemeral_hex(text).ok_or_else(invalid)?,
            _ => base.digest(),
        };
        head.sender
            .verify_digest(&digest, &head.signature)
            .map_err(|_| invalid())?;
        if let Some(allowed) = &self.allowed {
            if !allowed.contains(&head.sender) {
                return Err(Rejection::forbidden(
                    "this public key is not allowed on this server",
                ));
            }
        }
        self.replay
            .record(&head.sender, &head.nonce, usrv_crypto::nonce::now_unix_ms())
            .map_err(replay_rejection)?;
        let accepts_sealed = parts
            .headers
            .get_all(ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|coding| {
                let coding = coding.split(';').next().unwrap_or("").trim();
                coding.eq_ignore_ascii_case(USRV_V1)
            });
        Ok(Verified {
            sender: head.sender,
            nonce: head.nonce,
            seal_reply: accepts_sealed || envelope.is_some(),
        })
    }

    /// Step 6: opens a sealed body. Every failure, an unusable key
    /// included, is the same 400.
    pub fn open(&self, envelope: &Envelope<'_>, body: &[u8]) -> Result<Bytes, Rejection> {
        let key = envelope.key.as_ref().ok_or_else(cannot_open)?;
        usrv_crypto::open(&self.key, key, body)
            .map(Bytes::from)
            .map_err(|_| cannot_open())
    }

    /// Seals the reply when asked, then signs it, bound to the request nonce.
    pub fn sign_reply(&self, verified: &Verified, seal: bool, response: &mut Response) {
        let mut ephemeral = None;
        if seal {
            let plain = std::mem::take(response.body_mut()).into_bytes();
            let sealed = usrv_crypto::seal(&verified.sender, &plain);
            ephemeral = Some(sealed.ephemeral);
            *response.body_mut() = Body::from(sealed.body);
            let headers = response.headers_mut();
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(USRV_V1));
            headers.insert(EPHEMERAL_PUBLIC_KEY, header_value(&sealed.ephemeral));
        }
        let digest = ResponseBase {
            status: response.status().as_u16(),
            content_type: header_str(response.headers(), &CONTENT_TYPE),
            request_nonce: verified.nonce.as_str(),
            ephemeral: ephemeral.as_ref(),
            body: response.body().as_bytes(),
        }
        .digest();
        let signature = self.key.sign_digest(&digest);
        let headers = response.headers_mut();
        headers.insert(SENDER_PUBLIC_KEY, header_value(&self.public));
        headers.insert(SENDER_SIGNATURE, header_value(&signature));
    }
}

/// Whether a request carries any header the protocol reads (its identity
/// headers, or a content coding): one pass over the names.
pub(crate) fn mentions_protocol(headers: &HeaderMap) -> bool {
    headers.keys().any(|name| {
        name == SENDER_PUBLIC_KEY
            || name == SENDER_SIGNATURE
            || name == NONCE
            || name == CONTENT_ENCODING
    })
}

/// Whether a body is an envelope: `Content-Encoding: usrv-v1`.
pub(crate) fn is_sealed(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(USRV_V1.as_bytes()))
}

/// The `Ephemeral-Public-Key` of a sealed body, as received.
pub(crate) struct Envelope<'h> {
    /// The header text, if any: what the signature covers.
    text: Option<&'h str>,
    /// The key, when the text is one on the curve.
    key: Option<PublicKey>,
}

/// The ephemeral key of a sealed body (`None` for a plain body). It is not
/// judged here: the signature covers its text first (PROTOCOL.md's order),
/// and an unusable key is then one more envelope that does not open.
pub(crate) fn read_ephemeral(headers: &HeaderMap) -> Option<Envelope<'_>> {
    if !is_sealed(headers) {
        return None;
    }
    let text = headers
        .get(EPHEMERAL_PUBLIC_KEY)
        .map(|v| v.to_str().unwrap_or(""));
    let key = text.and_then(|t| t.parse::<PublicKey>().ok());
    Some(Envelope { text, key })
}

/// The one reason for every envelope failure.
fn cannot_open() -> Rejection {
    Rejection::bad_request("the sealed body cannot be opened")
}

fn header_text<'h>(value: Option<&'h HeaderValue>, name: &str) -> Result<&'h str, Rejection> {
    let value = value.ok_or_else(|| Rejection::bad_request(format!("missing `{name}` header")))?;
    value
        .to_str()
        .map_err(|_| Rejection::bad_request(format!("malformed `{name}` header")))
}

/// A header's text, or `""` when absent or not visible ASCII (as the
/// signature bases want it).
pub(crate) fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A protocol value (hex of a key or signature, a nonce) as a header value.
pub(crate) fn header_value(value: &impl std::fmt::Display) -> HeaderValue {
    HeaderValue::try_from(value.to_string()).expect("hex and nonces are valid header values")
}

fn replay_rejection(error: ReplayError) -> Rejection {
    let status = match error {
        ReplayError::Stale | ReplayError::Future => StatusCode::UNAUTHORIZED,
        ReplayError::Replayed => StatusCode::PRECONDITION_FAILED,
        ReplayError::Busy => StatusCode::SERVICE_UNAVAILABLE,
    };
    Rejection::new(status, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_keys_are_parsed_once_and_bad_ones_refused() {
        let cache = SenderKeys::default();
        let key = SecretKey::generate().public_key();
        let text = key.to_string();
        assert_eq!(cache.parse(&text), Some(key));
        assert_eq!(cache.parse(&text), Some(key));
        assert_eq!(cache.parse(&text.to_uppercase()), Some(key));
        assert_eq!(cache.0.lock().unwrap().len(), 2);
        assert_eq!(cache.parse("12"), None);
        assert_eq!(cache.parse(&"zz".repeat(32)), None);
        assert_eq!(cache.0.lock().unwrap().len(), 2);
    }
}
