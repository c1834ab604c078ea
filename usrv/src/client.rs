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
//! Plain `http://` only: put TLS in front (a reverse proxy) when the
//! transport must be hidden too; the protocol already authenticates both
//! ends and seals bodies.

use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Serialize;
use usrv_crypto::envelope::CONTENT_ENCODING as USRV_V1;
use usrv_crypto::{Nonce, PublicKey, RequestBase, ResponseBase, SecretKey, Signature};

use crate::protocol::{
    header_str, header_value, EPHEMERAL_PUBLIC_KEY, NONCE, SENDER_PUBLIC_KEY, SENDER_SIGNATURE,
};

/// Why a call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The base URL or a path is not a valid `http://` URL.
    InvalidUrl(String),
    /// A header name or value is invalid.
    InvalidHeader(String),
    /// The request body could not be serialised.
    Encode(String),
    /// Connecting or exchanging with the server failed.
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

impl std::error::Error for ClientError {}

/// A client of a usrv server: base URL, optional identity key, and the
/// server key, pinned or discovered on first use. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    base: Arc<str>,
    http: hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>,
    key: Option<Arc<SecretKey>>,
    server_key: Arc<OnceLock<PublicKey>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("identity", &self.key.as_ref().map(|k| k.public_key()))
            .field("server_key", &self.server_key.get())
            .finish()
    }
}

impl Client {
    /// A client of the server at `base_url` (`http://host:port`, optionally
    /// with a path prefix).
    pub fn new(base_url: &str) -> Result<Client, ClientError> {
        let uri: Uri = base_url
            .parse()
            .map_err(|_| ClientError::InvalidUrl(base_url.to_owned()))?;
        if uri.scheme_str() != Some("http") || uri.authority().is_none() {
            return Err(ClientError::InvalidUrl(format!(
                "{base_url} (expected http://host:port)"
            )));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http =
            hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
        Ok(Client {
            base: base_url.trim_end_matches('/').into(),
            http,
            key: None,
            server_key: Arc::new(OnceLock::new()),
        })
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

    /// The server key: pinned, else fetched once from `GET /puk`.
    pub async fn server_key(&self) -> Result<PublicKey, ClientError> {
        if let Some(key) = self.server_key.get() {
            return Ok(*key);
        }
        // Boxed: `send` itself asks for the server key (of signed requests).
        let reply = Box::pin(self.request(Method::GET, "/puk").send())
            .await
            .map_err(|e| ClientError::Discovery(e.to_string()))?;
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

    /// Sends the request. The reply of a signed exchange is verified and
    /// opened before it is returned; an error status is
    /// [`ClientError::Status`].
    pub async fn send(self) -> Result<Reply, ClientError> {
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
        let mut body = self.body;
        let mut exchange = None;
        if self.signed {
            let key = client.key.as_ref().ok_or(ClientError::NoKey)?;
            let server_key = client.server_key().await?;
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
            .map_err(|e| ClientError::Transport(error_chain(&e)))?;
        let (parts, incoming) = response.into_parts();
        let body = incoming
            .collect()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?
            .to_bytes();
        let mut reply = Reply {
            status: parts.status,
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

/// A `multipart/form-data` body being built, for
/// [`RequestBuilder::multipart`].
///
/// ```
/// let form = usrv::client::MultipartForm::new()
///     .text("title", "notes")
///     .file("file", "notes.txt", "text/plain", b"hello".to_vec());
/// ```
#[derive(Clone, Debug)]
pub struct MultipartForm {
    boundary: String,
    body: Vec<u8>,
}

impl Default for MultipartForm {
    fn default() -> Self {
        Self::new()
    }
}

impl MultipartForm {
    /// An empty form with a random boundary.
    pub fn new() -> Self {
        let random = Nonce::generate();
        MultipartForm {
            boundary: format!("usrv-{}", random.random_part()),
            body: Vec::new(),
        }
    }

    /// Adds a text field.
    pub fn text(self, name: &str, value: &str) -> Self {
        self.part(name, None, None, value.as_bytes())
    }

    /// Adds a file.
    pub fn file(
        self,
        name: &str,
        filename: &str,
        content_type: &str,
        data: impl AsRef<[u8]>,
    ) -> Self {
        self.part(name, Some(filename), Some(content_type), data.as_ref())
    }

    fn part(
        mut self,
        name: &str,
        filename: Option<&str>,
        content_type: Option<&str>,
        data: &[u8],
    ) -> Self {
        let quote = |s: &str| s.replace(['"', '\r', '\n'], "_");
        self.body
            .extend_from_slice(format!("--{}\r\n", self.boundary).as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", quote(name));
        if let Some(filename) = filename {
            disposition.push_str(&format!("; filename=\"{}\"", quote(filename)));
        }
        self.body.extend_from_slice(disposition.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        if let Some(content_type) = content_type {
            self.body
                .extend_from_slice(format!("Content-Type: {}\r\n", quote(content_type)).as_bytes());
        }
        self.body.extend_from_slice(b"\r\n");
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    fn finish(mut self) -> (Vec<u8>, String) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            self.body,
            format!("multipart/form-data; boundary={}", self.boundary),
        )
    }
}

/// A reply: status, headers and the body (opened when it was sealed).
#[derive(Clone, Debug)]
pub struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    authenticated: bool,
}

impl Reply {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
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
