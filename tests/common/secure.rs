//! Helpers of the secure-protocol integration tests (`tests/secure*.rs`):
//! a raw request signer that can tamper with any byte, a raw HTTP/1.1 exchange over TCP (so a captured request can
//! be resent byte for byte), response-signature checks, and a tampering
//! proxy to put between a `usrv::Client` and the server.
//!
//! Every network wait is bounded by [`LIMIT`].
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use usrv::crypto::nonce::now_unix_ms;
use usrv::crypto::{Nonce, PublicKey, RequestBase, ResponseBase, SecretKey, Signature};

use super::LIMIT;

impl super::Exchange for &Wire {
    type Reply = Raw;

    async fn exchange(self, addr: SocketAddr) -> Raw {
        self.send(addr).await
    }
}

/// An identity header value that is well formed but off the curve: an x
/// coordinate with no point (found at run time, not hard-coded).
pub fn off_curve_key_hex() -> String {
    (1u8..=255)
        .map(|i| {
            let mut bytes = [0u8; 32];
            bytes[31] = i;
            bytes
        })
        .find(|bytes| PublicKey::from_bytes(bytes).is_err())
        .map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect())
        .expect("some small x is not on secp256k1")
}

/// A request as it goes on the wire: every protocol field is plain text so
/// a test can tamper with any of them, before or after signing.
#[derive(Clone, Debug)]
pub struct Wire {
    pub method: String,
    pub target: String,
    pub content_type: Option<String>,
    /// `Sender-Public-Key`.
    pub sender: Option<String>,
    pub nonce: Option<String>,
    /// `Sender-Signature`.
    pub signature: Option<String>,
    /// `Ephemeral-Public-Key`.
    pub ephemeral: Option<String>,
    /// `Content-Encoding`.
    pub encoding: Option<String>,
    pub extra: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body chunked, without `Content-Length`.
    pub chunked: bool,
}

impl Wire {
    /// An unsigned request without a body.
    pub fn new(method: &str, target: &str) -> Wire {
        Wire {
            method: method.into(),
            target: target.into(),
            content_type: None,
            sender: None,
            nonce: None,
            signature: None,
            ephemeral: None,
            encoding: None,
            extra: Vec::new(),
            body: Vec::new(),
            chunked: false,
        }
    }

    /// A JSON body.
    pub fn json(self, text: &str) -> Wire {
        self.body(text.as_bytes(), "application/json")
    }

    /// A body and its content type.
    pub fn body(mut self, body: impl Into<Vec<u8>>, content_type: &str) -> Wire {
        self.body = body.into();
        self.content_type = Some(content_type.into());
        self
    }

    /// An extra header.
    pub fn header(mut self, name: &str, value: &str) -> Wire {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// Seals the current body to `recipient` (`Content-Encoding: usrv-v1`
    /// and `Ephemeral-Public-Key`).
    pub fn seal(mut self, recipient: &PublicKey) -> Wire {
        let sealed = usrv::crypto::seal(recipient, &self.body);
        self.body = sealed.body;
        self.ephemeral = Some(sealed.ephemeral.to_string());
        self.encoding = Some("usrv-v1".into());
        self
    }

    /// Signs with `key` and a fresh nonce for now.
    pub fn sign(self, key: &SecretKey) -> Wire {
        self.sign_nonce(key, Nonce::generate().as_str())
    }

    /// Signs with `key` and this nonce text.
    pub fn sign_nonce(mut self, key: &SecretKey, nonce: &str) -> Wire {
        self.sender = Some(key.public_key().to_string());
        self.nonce = Some(nonce.into());
        self.resign(key)
    }

    /// Signs with a nonce `offset_ms` away from now.
    pub fn sign_at(self, key: &SecretKey, offset_ms: i64) -> Wire {
        let ms = now_unix_ms().saturating_add_signed(offset_ms);
        self.sign_nonce(key, Nonce::generate_at(ms).as_str())
    }

    /// Recomputes `Sender-Signature` over the fields as they are now
    /// (after a tampering), keeping the sender and nonce headers.
    pub fn resign(mut self, key: &SecretKey) -> Wire {
        self.signature = Some(key.sign_digest(&self.digest()).to_string());
        self
    }

    /// The digest of PROTOCOL.md's request base over the fields as sent.
    pub fn digest(&self) -> [u8; 32] {
        let ephemeral = self.ephemeral.as_deref().and_then(|e| e.parse().ok());
        let base = RequestBase {
            method: &self.method,
            target: &self.target,
            content_type: self.content_type.as_deref().unwrap_or(""),
            nonce: self.nonce.as_deref().unwrap_or(""),
            ephemeral: ephemeral.as_ref(),
            body: &self.body,
        };
        // A key off the curve is signed as the hex text it is sent as.
        match (&self.ephemeral, ephemeral) {
            (Some(text), None) => base
                .digest_with_ephemeral_hex(text)
                .unwrap_or_else(|| base.digest()),
            _ => base.digest(),
        }
    }

    /// The request bytes (HTTP/1.1, `Connection: close`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
            self.method, self.target
        );
        let fields = [
            ("Content-Type", &self.content_type),
            ("Sender-Public-Key", &self.sender),
            ("Nonce", &self.nonce),
            ("Sender-Signature", &self.signature),
            ("Ephemeral-Public-Key", &self.ephemeral),
            ("Content-Encoding", &self.encoding),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        for (name, value) in &self.extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let mut bytes = if self.chunked {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            let mut bytes = head.into_bytes();
            for chunk in self.body.chunks(4096) {
                bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                bytes.extend_from_slice(chunk);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
            return bytes;
        } else {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
            head.into_bytes()
        };
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Sends the request on a fresh connection and reads the reply.
    pub async fn send(&self, addr: SocketAddr) -> Raw {
        send_bytes(addr, &self.to_bytes()).await
    }
}

/// Sends these bytes on a fresh connection and reads one reply.
pub async fn send_bytes(addr: SocketAddr, bytes: &[u8]) -> Raw {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connects");
        stream.set_nodelay(true).expect("nodelay");
        stream.write_all(bytes).await.expect("writes the request");
        read_message(&mut stream, true)
            .await
            .expect("reads a reply")
            .expect("the server answers before closing")
            .into_raw()
    };
    tokio::time::timeout(LIMIT, exchange)
        .await
        .expect("the server answers in time")
}

/// One HTTP/1.1 message as read from the wire.
pub struct Message {
    /// The start line.
    pub start: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Every byte of the message as read.
    pub wire: Vec<u8>,
}

impl Message {
    fn into_raw(self) -> Raw {
        let status = self
            .start
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {:?}", self.start));
        Raw {
            status,
            headers: self.headers,
            body: self.body,
            wire: self.wire,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Reads one message (a request, or a reply when `reply`): the head, then a
/// `Content-Length` or chunked body. `None` on a clean EOF before any byte.
pub async fn read_message<S: AsyncRead + Unpin>(
    stream: &mut S,
    reply: bool,
) -> std::io::Result<Option<Message>> {
    let mut wire = Vec::new();
    let mut buffer = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&wire, b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            if wire.is_empty() {
                return Ok(None);
            }
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        wire.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&wire[..head_end - 4]).into_owned();
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked =
        header(&headers, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let length = header(&headers, "content-length").and_then(|v| v.parse::<usize>().ok());
    let mut message = Message {
        start,
        headers,
        body: Vec::new(),
        wire: Vec::new(),
    };
    let status_has_no_body = reply
        && message
            .start
            .split(' ')
            .nth(1)
            .is_some_and(|s| s == "204" || s == "304" || s.starts_with('1'));
    if chunked {
        let mut at = head_end;
        loop {
            let line_end = loop {
                if let Some(i) = find(&wire[at..], b"\r\n") {
                    break at + i;
                }
                fill(stream, &mut wire, &mut buffer).await?;
            };
            let size_text = String::from_utf8_lossy(&wire[at..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| std::io::Error::other(format!("bad chunk size {size_text:?}")))?;
            let data_start = line_end + 2;
            while wire.len() < data_start + size + 2 {
                fill(stream, &mut wire, &mut buffer).await?;
            }
            message
                .body
                .extend_from_slice(&wire[data_start..data_start + size]);
            at = data_start + size + 2;
            if size == 0 {
                break;
            }
        }
        wire.truncate(at);
    } else if let Some(length) = length.filter(|_| !status_has_no_body) {
        while wire.len() < head_end + length {
            fill(stream, &mut wire, &mut buffer).await?;
        }
        wire.truncate(head_end + length);
        message.body = wire[head_end..].to_vec();
    } else if reply && !status_has_no_body {
        // No length: the body runs to the end of the connection.
        stream.read_to_end(&mut wire).await?;
        message.body = wire[head_end..].to_vec();
    } else {
        wire.truncate(head_end);
    }
    message.wire = wire;
    Ok(Some(message))
}

async fn fill<S: AsyncRead + Unpin>(
    stream: &mut S,
    wire: &mut Vec<u8>,
    buffer: &mut [u8],
) -> std::io::Result<()> {
    let n = stream.read(buffer).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    wire.extend_from_slice(&buffer[..n]);
    Ok(())
}

/// Where `needle` first occurs in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A reply as read from the wire.
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as transmitted (an envelope when sealed).
    pub body: Vec<u8>,
    /// Every byte of the reply.
    pub wire: Vec<u8>,
}

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} {}",
            self.status,
            self.headers,
            String::from_utf8_lossy(&self.body)
        )
    }
}

impl Raw {
    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Whether the body is an envelope.
    pub fn is_sealed(&self) -> bool {
        self.header("content-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("usrv-v1"))
    }

    /// Whether the reply carries signature headers.
    pub fn is_signed(&self) -> bool {
        self.header("sender-signature").is_some() || self.header("sender-public-key").is_some()
    }

    /// Checks PROTOCOL.md's response signature: by `server`, over the
    /// status, content type, the request nonce, the ephemeral key and the
    /// body as transmitted.
    pub fn verify(&self, server: &PublicKey, request_nonce: &str) -> Result<(), String> {
        let sender = self
            .header("sender-public-key")
            .ok_or("no Sender-Public-Key")?;
        if sender != server.to_string() {
            return Err(format!("signed by {sender}, not by the server {server}"));
        }
        let signature: Signature = self
            .header("sender-signature")
            .ok_or("no Sender-Signature")?
            .parse()
            .map_err(|_| "malformed Sender-Signature")?;
        let ephemeral: Option<PublicKey> = if self.is_sealed() {
            Some(
                self.header("ephemeral-public-key")
                    .ok_or("sealed without Ephemeral-Public-Key")?
                    .parse()
                    .map_err(|_| "malformed Ephemeral-Public-Key")?,
            )
        } else {
            None
        };
        ResponseBase {
            status: self.status,
            content_type: self.header("content-type").unwrap_or(""),
            request_nonce,
            ephemeral: ephemeral.as_ref(),
            body: &self.body,
        }
        .verify(server, &signature)
        .map_err(|e| format!("invalid reply signature: {e}"))
    }

    /// Asserts the reply is signed by `server` for this request nonce.
    pub fn assert_signed(&self, server: &PublicKey, request_nonce: &str) {
        if let Err(error) = self.verify(server, request_nonce) {
            panic!("{error}: {self:?}");
        }
    }

    /// The plaintext body: opened with `client` when sealed.
    pub fn plain(&self, client: &SecretKey) -> Vec<u8> {
        if !self.is_sealed() {
            return self.body.clone();
        }
        let ephemeral: PublicKey = self
            .header("ephemeral-public-key")
            .expect("Ephemeral-Public-Key")
            .parse()
            .expect("a public key");
        usrv::crypto::open(client, &ephemeral, &self.body).expect("the reply opens")
    }

    /// The body as JSON (plaintext replies only).
    pub fn json(&self) -> Value {
        parse_json(&self.body)
    }

    /// Asserts a plaintext framework error: this status, the JSON shape
    /// `{"error": reason, "status": N}`, a reason containing `contains`.
    /// Returns the reason.
    pub fn assert_error(&self, status: u16, contains: &str) -> String {
        assert_eq!(self.status, status, "{self:?}");
        assert!(!self.is_sealed(), "a plaintext error: {self:?}");
        error_reason(&self.body, status, contains)
    }

    /// Same, for an error that may be sealed to `client`.
    pub fn assert_error_for(&self, client: &SecretKey, status: u16, contains: &str) -> String {
        assert_eq!(self.status, status, "{self:?}");
        error_reason(&self.plain(client), status, contains)
    }
}

fn parse_json(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(body)))
}

/// Checks `{"error": "<reason>", "status": N}` and returns the reason.
pub fn error_reason(body: &[u8], status: u16, contains: &str) -> String {
    let value = parse_json(body);
    let object = value.as_object().expect("an error object");
    assert_eq!(object.len(), 2, "only `error` and `status`: {value}");
    assert_eq!(object["status"], status, "{value}");
    let reason = object["error"]
        .as_str()
        .expect("a string reason")
        .to_owned();
    assert!(
        reason.contains(contains),
        "reason {reason:?} should contain {contains:?}"
    );
    reason
}

/// A proxy in front of `upstream` that passes each request through and
/// hands each reply (the whole HTTP/1.1 message) to `tamper` before sending
/// it back. Keeps client connections alive. Stops with the runtime.
pub async fn proxy(
    upstream: SocketAddr,
    tamper: impl Fn(Message) -> Vec<u8> + Send + Sync + 'static,
) -> SocketAddr {
    let tamper = Arc::new(tamper);
    fake_server(move |request: Message| {
        let tamper = tamper.clone();
        async move { tamper(forward(upstream, &request).await) }
    })
    .await
}

/// Sends a request read by a fake server on to `upstream`, and reads the reply.
pub async fn forward(upstream: SocketAddr, request: &Message) -> Message {
    let exchange = async {
        let mut stream = TcpStream::connect(upstream).await.expect("upstream");
        stream.write_all(&request.wire).await.expect("forwards");
        read_message(&mut stream, true)
            .await
            .expect("reads upstream")
            .expect("upstream answers")
    };
    tokio::time::timeout(LIMIT, exchange)
        .await
        .expect("upstream answers in time")
}

/// A server answering each request (read whole) with the bytes `answer`
/// gives, on kept-alive connections. Stops with the runtime.
pub async fn fake_server<F, Fut>(answer: F) -> SocketAddr
where
    F: Fn(Message) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Vec<u8>> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("an address");
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                while let Ok(Some(request)) = read_message(&mut stream, false).await {
                    let reply = answer(request).await;
                    if stream.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// The message with the header `name` removed (case-insensitive).
pub fn without_header(message: &Message, name: &str) -> Vec<u8> {
    without_headers(message, &[name])
}

/// The message with these headers removed (case-insensitive).
pub fn without_headers(message: &Message, names: &[&str]) -> Vec<u8> {
    let head_end = find(&message.wire, b"\r\n\r\n").expect("a head") + 4;
    let head = String::from_utf8_lossy(&message.wire[..head_end]).into_owned();
    let prefixes: Vec<String> = names
        .iter()
        .map(|name| format!("{}:", name.to_ascii_lowercase()))
        .collect();
    let kept: Vec<&str> = head
        .split("\r\n")
        .filter(|line| {
            let line = line.to_ascii_lowercase();
            !prefixes.iter().any(|prefix| line.starts_with(prefix))
        })
        .collect();
    let mut bytes = kept.join("\r\n").into_bytes();
    bytes.extend_from_slice(&message.wire[head_end..]);
    bytes
}

/// The message with the last byte of its body flipped.
pub fn flip_last_body_byte(message: &Message) -> Vec<u8> {
    assert!(!message.body.is_empty(), "a body to tamper with");
    let mut bytes = message.wire.clone();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    bytes
}

/// The request nonce of a message read by a fake server.
pub fn nonce_of(message: &Message) -> Option<String> {
    message.header("nonce").map(str::to_owned)
}
