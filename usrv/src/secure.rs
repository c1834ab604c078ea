//! The server side of the secure protocol (PROTOCOL.md): the checks a
//! signed request goes through, in order, and the signing and sealing of the
//! reply. The cheap checks run first, so garbage costs no signature
//! verification; a nonce is recorded only once its signature verified.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};
use usrv_crypto::envelope::CONTENT_ENCODING as USRV_V1;
use usrv_crypto::{
    MemoryStore, Nonce, PublicKey, ReplayError, ReplayGuard, ReplayStore, RequestBase,
    ResponseBase, SecretKey, Signature,
};

use crate::body::Body;
use crate::error::Error;
use crate::protocol::{
    accepts_sealed, ambiguous_covered_header, display_name, header_str, header_value, is_sealed,
    EPHEMERAL_PUBLIC_KEY, NONCE, SENDER_PUBLIC_KEY, SENDER_SIGNATURE,
};
use crate::rejection::Rejection;
use crate::response::{IntoResponse, Response};

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
    /// An encrypted key file and its passphrase, read at start.
    pub key_file: Option<(PathBuf, String)>,
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
            key_file: None,
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

impl SecurityConfig {
    /// The server key: the one given, else the key file given, else
    /// `USRV_KEY_FILE` (with `USRV_KEY_PASSPHRASE`), else a fresh key.
    fn resolve_key(&mut self) -> Result<SecretKey, Error> {
        if let Some(key) = self.key.take() {
            return Ok(key);
        }
        let key_file = self.key_file.take().or_else(|| {
            let path = std::env::var_os("USRV_KEY_FILE")?;
            let passphrase = std::env::var("USRV_KEY_PASSPHRASE").unwrap_or_default();
            Some((PathBuf::from(path), passphrase))
        });
        let Some((path, passphrase)) = key_file else {
            return Ok(SecretKey::generate());
        };
        let key = usrv_crypto::keyfile::read(&path, &passphrase)
            .map_err(|e| Error::Key(format!("{}: {e}", path.display())))?;
        warn_if_readable_by_others(&path);
        Ok(key)
    }
}

/// The shared replay store that `USRV_REPLAY_STORE` names
/// (`redis://host:port/db`, `rediss://` for TLS).
fn store_at(url: &str) -> Result<Box<dyn ReplayStore>, Error> {
    let named = |why: String| Error::ReplayStore(format!("USRV_REPLAY_STORE={url:?}: {why}"));
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(named("expected a `redis://` URL".into()));
    }
    #[cfg(feature = "redis")]
    {
        let store = usrv_crypto::replay::RedisStore::new(url).map_err(|e| named(e.to_string()))?;
        tracing::info!(target: "usrv", "replay store: Redis at {}", redacted(url));
        Ok(Box::new(store))
    }
    #[cfg(not(feature = "redis"))]
    Err(named("usrv was built without its `redis` feature".into()))
}

/// A URL without its password, for logs.
#[cfg(feature = "redis")]
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A key file should be readable by its owner only (it is written 0600).
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path) {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    target: "usrv",
                    "key file {} has mode {mode:o}: others may read it (chmod 600)",
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

impl Security {
    pub fn new(mut config: SecurityConfig) -> Result<Security, Error> {
        let key = config.resolve_key()?;
        let public = key.public_key();
        let store = match config.store {
            Some(store) => store,
            None => match std::env::var("USRV_REPLAY_STORE") {
                Ok(url) if !url.is_empty() => store_at(&url)?,
                _ => Box::new(MemoryStore::new(config.capacity)),
            },
        };
        let puk = config.puk.then(|| Bytes::from(format!("\"{public}\"")));
        Ok(Security {
            key,
            public,
            replay: ReplayGuard::with_store(config.window, store),
            allowed: config.allowed.map(|keys| keys.into_iter().collect()),
            puk,
            senders: SenderKeys::default(),
        })
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
        if let Some(name) = ambiguous_covered_header(headers) {
            return Err(Rejection::bad_request(format!(
                "the `{}` header of a signed request must appear once, in visible ASCII",
                display_name(name)
            )));
        }
        if let Some(ephemeral) = headers.get(EPHEMERAL_PUBLIC_KEY) {
            let hex = ephemeral.as_bytes();
            if hex.len() != 64 || !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err(Rejection::bad_request(
                    "malformed `Ephemeral-Public-Key` header: expected 64 hex characters",
                ));
            }
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
    pub async fn verify(
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
            .await
            .map_err(replay_rejection)?;
        Ok(Verified {
            sender: head.sender,
            nonce: head.nonce,
            seal_reply: accepts_sealed(&parts.headers) || envelope.is_some(),
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

    /// Seals the reply when asked, then signs it, bound to the request
    /// nonce. The body must be whole: a stream (which the pipeline collects
    /// first) is answered 500 here rather than signed unseen.
    pub fn sign_reply(&self, verified: &Verified, seal: bool, response: &mut Response) {
        if response.body().is_stream() {
            tracing::error!(target: "usrv", "a streamed reply reached the signing step: answering 500");
            *response = Rejection::internal("the streamed reply cannot be signed").into_response();
        }
        let mut ephemeral = None;
        if seal {
            let plain = std::mem::take(response.body_mut())
                .into_bytes()
                .unwrap_or_default();
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
            body: response.body().as_bytes().map_or(&[][..], |body| &body[..]),
        }
        .digest();
        let signature = self.key.sign_digest(&digest);
        let headers = response.headers_mut();
        headers.insert(SENDER_PUBLIC_KEY, header_value(&self.public));
        headers.insert(SENDER_SIGNATURE, header_value(&signature));
    }
}

/// The `Ephemeral-Public-Key` of a sealed body, as received.
pub(crate) struct Envelope<'h> {
    /// The header text, if any: what the signature covers.
    text: Option<&'h str>,
    /// The key, when the text is one on the curve.
    key: Option<PublicKey>,
}

/// The ephemeral key of a sealed body (`None` for a plain body). Its form
/// (64 hex) is checked with the identity headers; whether it is on the
/// curve is not judged here: the signature covers its text first
/// (PROTOCOL.md's order), and a key off the curve is then one more
/// envelope that does not open.
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

fn replay_rejection(error: ReplayError) -> Rejection {
    let status = match error {
        ReplayError::Stale | ReplayError::Future => StatusCode::UNAUTHORIZED,
        ReplayError::Replayed => StatusCode::PRECONDITION_FAILED,
        ReplayError::Busy | ReplayError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
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
