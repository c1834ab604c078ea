//! `usrv::Client`: the original's `req`, speaking the secure protocol.
//!
//! ```no_run
//! # async fn run() -> Result<(), usrv::client::ClientError> {
//! use usrv::crypto::SecretKey;
//!
//! let client = usrv::Client::new("http://127.0.0.1:5000")?.with_key(SecretKey::generate());
//! // Signed and sealed; the reply is verified against the server key
//! // (discovered through `GET /puk` on first use, or pinned) and opened.
//! let reply = client
//!     .post("/vault")
//!     .json(&serde_json::json!({"secret": 42}))?
//!     .encrypted()
//!     .send()
//!     .await?;
//! println!("{} {}", reply.status(), reply.text()?);
//! # Ok(()) }
//! ```
//!
//! ## Transport
//! `http://` speaks HTTP/1.1. `https://` (the `tls` feature, on by default)
//! uses rustls, trusts the Mozilla roots of `webpki-roots` plus the CAs
//! given to `Client::root_certificate`, and speaks HTTP/2 when the server
//! accepts it through ALPN, else HTTP/1.1. The secure protocol works the
//! same over both: TLS hides the transport, the protocol authenticates both
//! ends and seals bodies end to end.
//!
//! Every request is bounded by a timeout ([`DEFAULT_TIMEOUT`],
//! [`Client::timeout`], [`RequestBuilder::timeout`]) covering the server
//! key discovery, connecting, sending and reading the whole reply; expiry
//! is [`ClientError::Timeout`]. Requests carry
//! `User-Agent: usrv/<version>` ([`DEFAULT_USER_AGENT`]) unless they set
//! their own.

mod connect;
mod multipart;
#[cfg(feature = "tls")]
mod tls;
#[doc(hidden)]
pub mod typed;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Serialize;
use usrv_crypto::envelope::CONTENT_ENCODING as USRV_V1;
use usrv_crypto::{Nonce, PublicKey, RequestBase, ResponseBase, SecretKey, Signature};

use crate::protocol::{
    header_str, header_value, EPHEMERAL_PUBLIC_KEY, NONCE, SENDER_PUBLIC_KEY, SENDER_SIGNATURE,
};
use connect::{ConnectFailure, Connector, Stage};

pub use multipart::{content_type_of, MultipartForm};

/// How long a request may take unless [`Client::timeout`] or
/// [`RequestBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The `User-Agent` of requests that set none: `usrv/<crate version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("usrv/", env!("CARGO_PKG_VERSION"));

/// Why a call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The base URL or a path is not a valid `http://` or `https://` URL
    /// (or `https://` without the `tls` feature).
    InvalidUrl(String),
    /// A header name or value is invalid.
    InvalidHeader(String),
    /// The request body could not be serialised.
    Encode(String),
    /// A file for the body could not be read.
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A CA certificate given to `Client::root_certificate` is unusable.
    Certificate(String),
    /// The server could not be reached: name resolution or the TCP
    /// connection failed.
    Connect {
        /// `host:port`.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The TLS handshake failed (an untrusted or mismatched certificate,
    /// no common protocol version, ...).
    Tls {
        /// `host:port`.
        addr: String,
        /// Why.
        reason: String,
    },
    /// No complete reply within this time.
    Timeout(Duration),
    /// The exchange with the server failed after connecting.
    Transport(String),
    /// `.signed()` or `.encrypted()` without an identity key.
    NoKey,
    /// The server key could not be discovered through `GET /puk`.
    Discovery(String),
    /// A signed exchange got a successful reply without a signature.
    UnsignedReply,
    /// The reply's signature is invalid, or from another key than the server's.
    BadReplySignature,
    /// The reply was sealed but could not be opened.
    CannotOpenReply,
    /// The server answered an error status.
    Status {
        /// The status.
        status: StatusCode,
        /// The `error` field of the JSON error body, else the body as text.
        reason: String,
        /// Whether the reply was signed by the server key (errors raised
        /// before the request's signature was checked are not).
        authenticated: bool,
    },
    /// The reply body is not what was asked for (`.json()` on non-JSON).
    Decode(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidUrl(url) => write!(f, "invalid URL: {url}"),
            ClientError::InvalidHeader(message) => write!(f, "invalid header: {message}"),
            ClientError::Encode(message) => write!(f, "cannot encode the body: {message}"),
            ClientError::File { path, error } => {
                write!(f, "cannot read {}: {error}", path.display())
            }
            ClientError::Certificate(message) => write!(f, "CA certificate: {message}"),
            ClientError::Connect { addr, reason } => {
                write!(f, "cannot connect to {addr}: {reason}")
            }
            ClientError::Tls { addr, reason } => write!(f, "TLS with {addr} failed: {reason}"),
            ClientError::Timeout(limit) => write!(f, "timed out: no reply within {limit:?}"),
            ClientError::Transport(message) => write!(f, "transport error: {message}"),
            ClientError::NoKey => f.write_str("a signed request needs an identity key"),
            ClientError::Discovery(message) => {
                write!(f, "cannot discover the server key: {message}")
            }
            ClientError::UnsignedReply => f.write_str("the reply is not signed by the server"),
            ClientError::BadReplySignature => {
                f.write_str("the reply signature is invalid or not from the server key")
            }
            ClientError::CannotOpenReply => f.write_str("the sealed reply cannot be opened"),
            ClientError::Status { status, reason, .. } => {
                write!(f, "{} {reason}", status.as_u16())
            }
            ClientError::Decode(message) => write!(f, "cannot decode the reply: {message}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::File { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl ClientError {
    /// A failure of the pooled HTTP client: the connector's own error when
    /// it is one (it names the address), else the whole error chain.
    fn transport(error: hyper_util::client::legacy::Error) -> ClientError {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(current) = cause {
            if let Some(failure) = current.downcast_ref::<ConnectFailure>() {
                let addr = failure.addr.clone();
                let reason = failure.reason.clone();
                return match failure.stage {
                    Stage::Tcp => ClientError::Connect { addr, reason },
                    Stage::Tls => ClientError::Tls { addr, reason },
                };
            }
            cause = current.source();
        }
        ClientError::Transport(error_chain(&error))
    }
}

type HttpClient = hyper_util::client::legacy::Client<Connector, Full<Bytes>>;

/// A client of a usrv server: base URL, optional identity key, and the
/// server key, pinned or discovered on first use. Cheap to clone (clones
/// share the connection pool).
#[derive(Clone)]
pub struct Client {
    base: Arc<str>,
    /// Whether the base URL is `https://`.
    #[cfg(feature = "tls")]
    https: bool,
    http: HttpClient,
    /// The CAs trusted beyond the built-in roots.
    #[cfg(feature = "tls")]
    roots: Arc<[tokio_rustls::rustls::pki_types::CertificateDer<'static>]>,
    key: Option<Arc<SecretKey>>,
    server_key: Arc<OnceLock<PublicKey>>,
    timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("identity", &self.key.as_ref().map(|k| k.public_key()))
            .field("server_key", &self.server_key.get())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the server at `base_url`: `http://host:port` or
    /// `https://host:port` (the `tls` feature), optionally with a path
    /// prefix.
    ///
    /// # Errors
    /// [`ClientError::InvalidUrl`] for anything else.
    pub fn new(base_url: &str) -> Result<Client, ClientError> {
        let uri: Uri = base_url
            .parse()
            .map_err(|_| ClientError::InvalidUrl(base_url.to_owned()))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => {
                return Err(ClientError::InvalidUrl(format!(
                    "{base_url} (expected http://host:port or https://host:port)"
                )))
            }
        };
        if uri.host().is_none_or(str::is_empty) {
            return Err(ClientError::InvalidUrl(format!("{base_url} has no host")));
        }
        if https && !cfg!(feature = "tls") {
            return Err(ClientError::InvalidUrl(
                "https needs the `tls` feature".to_owned(),
            ));
        }
        #[cfg(feature = "tls")]
        let connector = if https {
            Connector::with_tls(tls::config(&[])?)
        } else {
            Connector::plain()
        };
        #[cfg(not(feature = "tls"))]
        let connector = Connector::plain();
        Ok(Client {
            base: base_url.trim_end_matches('/').into(),
            #[cfg(feature = "tls")]
            https,
            http: pooled(connector),
            #[cfg(feature = "tls")]
            roots: Arc::new([]),
            key: None,
            server_key: Arc::new(OnceLock::new()),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Also trusts the CA certificates of this PEM text (one or more
    /// `CERTIFICATE` sections), besides the built-in roots: for servers
    /// whose certificate a private CA signed.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = std::fs::read("ca.pem")?;
    /// let client = usrv::Client::new("https://internal.example:8443")?.root_certificate(&pem)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::Certificate`] when the text holds no certificate or
    /// one that cannot be a trust anchor.
    #[cfg(feature = "tls")]
    pub fn root_certificate(mut self, pem: &[u8]) -> Result<Client, ClientError> {
        let mut roots = self.roots.to_vec();
        roots.extend(tls::parse_certificates(pem)?);
        if self.https {
            self.http = pooled(Connector::with_tls(tls::config(&roots)?));
        }
        self.roots = roots.into();
        Ok(self)
    }

    /// Bounds every request of this client (default [`DEFAULT_TIMEOUT`]);
    /// [`RequestBuilder::timeout`] overrides it for one request.
    pub fn timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// Signs requests with this identity key.
    pub fn with_key(mut self, key: SecretKey) -> Client {
        self.key = Some(Arc::new(key));
        self
    }

    /// Pins the server key: replies must be signed by it, and sealed bodies
    /// are sealed to it. Without it, the key is fetched from `GET /puk` on
    /// first use (trust on first use).
    pub fn with_server_key(mut self, key: PublicKey) -> Client {
        let pinned = OnceLock::new();
        let _ = pinned.set(key);
        self.server_key = Arc::new(pinned);
        self
    }

    /// The identity key's public key, if any.
    pub fn public_key(&self) -> Option<PublicKey> {
        self.key.as_ref().map(|k| k.public_key())
    }

    /// The server key: pinned, else fetched once from `GET /puk` (within
    /// the client's timeout).
    pub async fn server_key(&self) -> Result<PublicKey, ClientError> {
        self.discover(self.timeout).await
    }

    /// The server key, fetched within `limit` when not known yet. Failures
    /// to reach the server keep their own kind (connect, TLS, timeout);
    /// a reply that is not a key is [`ClientError::Discovery`].
    async fn discover(&self, limit: Duration) -> Result<PublicKey, ClientError> {
        if let Some(key) = self.server_key.get() {
            return Ok(*key);
        }
        // Boxed: `send` itself asks for the server key (of signed requests).
        let reply = Box::pin(self.request(Method::GET, "/puk").timeout(limit).send())
            .await
            .map_err(|e| match e {
                ClientError::Connect { .. }
                | ClientError::Tls { .. }
                | ClientError::Timeout(_)
                | ClientError::Transport(_) => e,
                other => ClientError::Discovery(other.to_string()),
            })?;
        let text: String = reply
            .json()
            .map_err(|e| ClientError::Discovery(e.to_string()))?;
        let key: PublicKey = text
            .parse()
            .map_err(|_| ClientError::Discovery("`/puk` is not a public key".into()))?;
        Ok(*self.server_key.get_or_init(|| key))
    }

    /// A request with any method.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            signed: false,
            encrypted: false,
            timeout: None,
            error: None,
        }
    }

    /// A GET request.
    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }

    /// A POST request.
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }

    /// A PUT request.
    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, path)
    }

    /// A PATCH request.
    pub fn patch(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PATCH, path)
    }

    /// A DELETE request.
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }
}

/// A request being built; [`send`](RequestBuilder::send) it.
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder<'c> {
    client: &'c Client,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    signed: bool,
    encrypted: bool,
    timeout: Option<Duration>,
    error: Option<ClientError>,
}

impl RequestBuilder<'_> {
    /// Adds a query parameter (percent-encoded).
    pub fn query(mut self, key: &str, value: impl fmt::Display) -> Self {
        let pair = form_urlencoded::Serializer::new(String::new())
            .append_pair(key, &value.to_string())
            .finish();
        self.path
            .push(if self.path.contains('?') { '&' } else { '?' });
        self.path.push_str(&pair);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            _ => self.error = Some(ClientError::InvalidHeader(name.to_owned())),
        }
        self
    }

    /// A JSON body.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, ClientError> {
        let body = serde_json::to_vec(value).map_err(|e| ClientError::Encode(e.to_string()))?;
        Ok(self.body(body, "application/json"))
    }

    /// An urlencoded form body.
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, ClientError> {
        let body =
            serde_urlencoded::to_string(value).map_err(|e| ClientError::Encode(e.to_string()))?;
        Ok(self.body(body, "application/x-www-form-urlencoded"))
    }

    /// A `multipart/form-data` body.
    pub fn multipart(self, form: MultipartForm) -> Self {
        let (body, content_type) = form.finish();
        self.body(body, &content_type)
    }

    /// A raw body with its content type.
    pub fn body(mut self, body: impl Into<Bytes>, content_type: &str) -> Self {
        self.body = body.into();
        match HeaderValue::try_from(content_type) {
            Ok(value) => {
                self.headers.insert(CONTENT_TYPE, value);
            }
            Err(_) => self.error = Some(ClientError::InvalidHeader("content-type".into())),
        }
        self
    }

    /// Signs the request with the client's key; the reply must be signed by
    /// the server key.
    pub fn signed(mut self) -> Self {
        self.signed = true;
        self
    }

    /// Seals the body to the server key and asks for a sealed reply
    /// (implies [`signed`](Self::signed)).
    pub fn encrypted(mut self) -> Self {
        self.signed = true;
        self.encrypted = true;
        self
    }

    /// Bounds this request (instead of the client's timeout): the server
    /// key discovery, connecting, sending and reading the whole reply.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request. The reply of a signed exchange is verified and
    /// opened before it is returned; an error status is
    /// [`ClientError::Status`]; no complete reply within the timeout is
    /// [`ClientError::Timeout`].
    pub async fn send(self) -> Result<Reply, ClientError> {
        let limit = self.timeout.unwrap_or(self.client.timeout);
        match tokio::time::timeout(limit, self.exchange(limit)).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout(limit)),
        }
    }

    async fn exchange(self, limit: Duration) -> Result<Reply, ClientError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let client = self.client;
        let target = if self.path.starts_with('/') {
            self.path.clone()
        } else {
            format!("/{}", self.path)
        };
        let url = format!("{}{}", client.base, target);
        let uri: Uri = url
            .parse()
            .map_err(|_| ClientError::InvalidUrl(url.clone()))?;
        // The signature covers the target exactly as sent.
        let sent_target = uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let mut headers = self.headers;
        headers
            .entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(DEFAULT_USER_AGENT));
        let mut body = self.body;
        let mut exchange = None;
        if self.signed {
            let key = client.key.as_ref().ok_or(ClientError::NoKey)?;
            let server_key = client.discover(limit).await?;
            let mut ephemeral = None;
            if self.encrypted {
                let sealed = usrv_crypto::seal(&server_key, &body);
                body = Bytes::from(sealed.body);
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static(USRV_V1));
                headers.insert(EPHEMERAL_PUBLIC_KEY, header_value(&sealed.ephemeral));
                headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(USRV_V1));
                ephemeral = Some(sealed.ephemeral);
            }
            let nonce = Nonce::generate();
            let digest = RequestBase {
                method: self.method.as_str(),
                target: &sent_target,
                content_type: header_str(&headers, &CONTENT_TYPE),
                nonce: nonce.as_str(),
                ephemeral: ephemeral.as_ref(),
                body: &body,
            }
            .digest();
            let signature = key.sign_digest(&digest);
            headers.insert(SENDER_PUBLIC_KEY, header_value(&key.public_key()));
            headers.insert(NONCE, header_value(&nonce.as_str()));
            headers.insert(SENDER_SIGNATURE, header_value(&signature));
            exchange = Some((server_key, nonce, key.clone()));
        }

        let mut request = http::Request::new(Full::new(body));
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let response = client
            .http
            .request(request)
            .await
            .map_err(ClientError::transport)?;
        let (parts, incoming) = response.into_parts();
        let body = incoming
            .collect()
            .await
            .map_err(|e| ClientError::Transport(error_chain(&e)))?
            .to_bytes();
        let mut reply = Reply {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body,
            authenticated: false,
        };
        if let Some((server_key, nonce, key)) = exchange {
            reply.verify(&server_key, &nonce, &key)?;
        }
        if reply.status.is_client_error() || reply.status.is_server_error() {
            return Err(ClientError::Status {
                status: reply.status,
                reason: reply.reason(),
                authenticated: reply.authenticated,
            });
        }
        Ok(reply)
    }
}

/// A reply: status, headers and the body (opened when it was sealed).
#[derive(Clone, Debug)]
pub struct Reply {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
    authenticated: bool,
}

impl Reply {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version the reply came in (`HTTP/2.0` when the TLS
    /// handshake chose it, else `HTTP/1.1`).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body (plaintext).
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, ClientError> {
        std::str::from_utf8(&self.body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// The body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Whether the server key signed this reply (always true on a
    /// successful signed exchange).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    fn reason(&self) -> String {
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            error: String,
        }
        match serde_json::from_slice::<ErrorBody>(&self.body) {
            Ok(body) => body.error,
            Err(_) => String::from_utf8_lossy(&self.body).into_owned(),
        }
    }

    /// Checks the reply signature (bound to our nonce), then opens a sealed body.
    fn verify(
        &mut self,
        server_key: &PublicKey,
        nonce: &Nonce,
        key: &SecretKey,
    ) -> Result<(), ClientError> {
        let (Some(sender), Some(signature)) = (
            self.headers.get(SENDER_PUBLIC_KEY),
            self.headers.get(SENDER_SIGNATURE),
        ) else {
            // Errors raised before the server checked our signature cannot
            // be signed; they stay unauthenticated errors, never successes.
            if self.status.is_client_error() || self.status.is_server_error() {
                return Ok(());
            }
            return Err(ClientError::UnsignedReply);
        };
        let sender: PublicKey = sender
            .to_str()
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(ClientError::BadReplySignature)?;
        let signature: Signature = signature
            .to_str()
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(ClientError::BadReplySignature)?;
        if sender != *server_key {
            return Err(ClientError::BadReplySignature);
        }
        let sealed = self
            .headers
            .get(CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(USRV_V1.as_bytes()));
        let ephemeral = if sealed {
            let value = self
                .headers
                .get(EPHEMERAL_PUBLIC_KEY)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.parse::<PublicKey>().ok())
                .ok_or(ClientError::CannotOpenReply)?;
            Some(value)
        } else {
            None
        };
        let digest = ResponseBase {
            status: self.status.as_u16(),
            content_type: header_str(&self.headers, &CONTENT_TYPE),
            request_nonce: nonce.as_str(),
            ephemeral: ephemeral.as_ref(),
            body: &self.body,
        }
        .digest();
        server_key
            .verify_digest(&digest, &signature)
            .map_err(|_| ClientError::BadReplySignature)?;
        self.authenticated = true;
        if let Some(ephemeral) = ephemeral {
            let plain = usrv_crypto::open(key, &ephemeral, &self.body)
                .map_err(|_| ClientError::CannotOpenReply)?;
            self.body = Bytes::from(plain);
            self.headers.remove(CONTENT_ENCODING);
            self.headers.remove(http::header::CONTENT_LENGTH);
        }
        Ok(())
    }
}

/// The pooled HTTP client over `connector`.
fn pooled(connector: Connector) -> HttpClient {
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector)
}

/// An error and its sources, `: `-separated.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert!(Client::new("http://127.0.0.1:5000").is_ok());
        assert!(Client::new("http://example.invalid/prefix/").is_ok());
        for bad in [
            "ftp://127.0.0.1/x",
            "127.0.0.1:5000",
            "/path",
            "http://",
            "",
        ] {
            match Client::new(bad) {
                Err(ClientError::InvalidUrl(_)) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[cfg(feature = "tls")]
    #[test]
    fn https_base_urls_with_tls() {
        let client = Client::new("https://127.0.0.1:8443").unwrap();
        assert_eq!(client.timeout, DEFAULT_TIMEOUT);
        let client = client.timeout(Duration::from_secs(2));
        assert_eq!(client.timeout, Duration::from_secs(2));
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_needs_the_tls_feature() {
        match Client::new("https://127.0.0.1:8443") {
            Err(ClientError::InvalidUrl(reason)) => {
                assert_eq!(reason, "https needs the `tls` feature")
            }
            other => panic!("{other:?}"),
        }
    }
}
