//! The server's own HTTPS (`usrv::serve().tls(cert, key)`), over real
//! sockets with a certificate made at test time: HTTP/1.1 and HTTP/2
//! through ALPN, signed and sealed requests, plain HTTP on the TLS port, the
//! slowloris guard around the handshake, and the start-up errors.

#[path = "../../tests/common/tls.rs"]
mod tls;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tls::{TempDir, TestPki};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use usrv::client::ClientError;
use usrv::crypto::SecretKey;
use usrv::http::Version;
use usrv::{route, Client, Identity, Json, Server};

/// The HTTP version the server saw.
#[route("/version")]
fn version(version: Version) -> (u16, String) {
    (200, format!("{version:?}"))
}

/// Needs a signature.
#[route("/whoami", methods = ["POST"])]
fn whoami(sender: Identity) -> (u16, String) {
    (200, sender.to_string())
}

/// Needs sealed bodies.
#[route("/vault", methods = ["POST"], encrypted)]
fn vault(body: Json<Value>) -> (u16, &'static str, Json<Value>) {
    (200, "opened", body)
}

/// The body answered to plain HTTP on the TLS port.
const PLAINTEXT_REFUSAL: &str =
    r#"{"error":"this server speaks HTTPS only: use https://","status":400}"#;

/// Bounds a whole test step, so that a hang fails instead of blocking.
async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("finished in time")
}

/// A certificate made for this test, written to PEM files.
struct Files {
    pki: TestPki,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    dir: TempDir,
}

fn files() -> Files {
    let pki = TestPki::new();
    let dir = TempDir::new("tls-server");
    let cert = dir.file("cert.pem", &pki.chain_pem);
    let key = dir.file("key.pem", &pki.key_pem);
    Files {
        pki,
        cert,
        key,
        dir,
    }
}

/// An HTTPS usrv server on an ephemeral port, for the life of the test.
async fn https_server(files: &Files, configure: impl FnOnce(Server) -> Server) -> SocketAddr {
    let server = usrv::serve()
        .addr("127.0.0.1:0")
        .tls(&files.cert, &files.key)
        .shutdown_signal(std::future::pending());
    let bound = configure(server).bind().await.expect("the server binds");
    let addr = bound.local_addr();
    tokio::spawn(bound.run());
    addr
}

fn trusting(files: &Files, addr: SocketAddr) -> Client {
    Client::new(&format!("https://{addr}"))
        .expect("a valid URL")
        .root_certificate(files.pki.ca_pem.as_bytes())
        .expect("a usable CA")
}

/// A raw TLS connection trusting the test CA, offering these ALPN protocols.
async fn tls_connect(
    files: &Files,
    addr: SocketAddr,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(files.pki.ca_pem.as_bytes()) {
        roots.add(certificate.unwrap()).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    let tcp = TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the handshake succeeds")
}

/// Sends a raw HTTP/1.1 request over `stream` and reads the whole answer
/// (the request asks the server to close).
async fn exchange<S>(stream: &mut S, request: &str) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // A TLS peer may close without close_notify; what was read still counts.
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8(answer).expect("a UTF-8 answer")
}

#[tokio::test]
async fn alpn_h2_is_served_as_http2() {
    let files = files();
    let addr = https_server(&files, |server| server).await;
    let client = trusting(&files, addr);
    for _ in 0..3 {
        let reply = bounded(client.get("/version").send()).await.unwrap();
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.version(), Version::HTTP_2);
        assert_eq!(reply.json::<String>().unwrap(), "HTTP/2.0");
    }
    // And ALPN says so on a raw connection too.
    let stream = bounded(tls_connect(&files, addr, &[b"h2", b"http/1.1"])).await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
}

#[tokio::test]
async fn alpn_http1_or_none_is_served_as_http1() {
    let files = files();
    let addr = https_server(&files, |server| server).await;
    let request = "GET /version HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n";
    for alpn in [&[&b"http/1.1"[..]][..], &[]] {
        let mut stream = bounded(tls_connect(&files, addr, alpn)).await;
        let expected = if alpn.is_empty() {
            None
        } else {
            Some(&b"http/1.1"[..])
        };
        assert_eq!(stream.get_ref().1.alpn_protocol(), expected);
        let answer = bounded(exchange(&mut stream, request)).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n\"HTTP/1.1\""), "{answer}");
    }
}

#[tokio::test]
async fn signed_and_sealed_requests_work_over_tls() {
    let files = files();
    let addr = https_server(&files, |server| server).await;
    let client = trusting(&files, addr).with_key(SecretKey::generate());
    let me = client.public_key().unwrap().to_string();
    // The server key is discovered over TLS, then the request is signed.
    let reply = bounded(client.post("/whoami").signed().send())
        .await
        .unwrap();
    assert!(reply.is_authenticated());
    assert_eq!(reply.json::<String>().unwrap(), me);
    let reply = bounded(
        client
            .post("/vault")
            .json(&json!({"secret": 42}))
            .unwrap()
            .encrypted()
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(reply.version(), Version::HTTP_2);
    assert!(reply.is_authenticated());
    assert_eq!(
        reply.json::<Value>().unwrap(),
        json!(["opened", {"secret": 42}])
    );
}

#[tokio::test]
async fn plain_http_to_the_tls_port_is_answered_400_and_closed() {
    let files = files();
    let addr = https_server(&files, |server| server).await;

    // A raw request: the answer says why, and the connection closes.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let answer = bounded(exchange(
        &mut stream,
        "GET /version HTTP/1.1\r\nhost: localhost\r\n\r\n",
    ))
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains("content-type: application/json\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with(&format!("\r\n\r\n{PLAINTEXT_REFUSAL}")),
        "{answer}"
    );

    // A request with a large body, read late, gets the whole answer too,
    // then a clean close.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = "x".repeat(200_000);
    let request = format!(
        "POST /vault HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    bounded(stream.write_all(request.as_bytes())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut answer = Vec::new();
    bounded(stream.read_to_end(&mut answer))
        .await
        .expect("the answer, then a clean close");
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.ends_with(PLAINTEXT_REFUSAL), "{answer}");

    // What usrv's own client shows for an `http://` URL.
    let client = Client::new(&format!("http://{addr}")).unwrap();
    match bounded(client.get("/version").send()).await {
        Err(ClientError::Status { status, reason, .. }) => {
            assert_eq!(status, 400);
            assert_eq!(reason, "this server speaks HTTPS only: use https://");
        }
        other => panic!("expected a 400, got {other:?}"),
    }

    // The server goes on serving HTTPS.
    let reply = bounded(trusting(&files, addr).get("/version").send())
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}

/// Waits for the server to close; how long after `opened` that was. Data
/// from the server fails the test.
async fn closed_after<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    opened: Instant,
) -> Duration {
    let mut buffer = [0u8; 1024];
    // A TLS stream closed without close_notify is an error: closed all the same.
    if let Ok(read @ 1..) = stream.read(&mut buffer).await {
        panic!("the server sent {read} bytes");
    }
    opened.elapsed()
}

#[tokio::test]
async fn the_head_timeout_bounds_the_handshake_and_the_first_request() {
    let files = files();
    let timeout = Duration::from_millis(300);
    let addr = https_server(&files, |server| server.header_read_timeout(timeout)).await;

    // Connects and sends nothing.
    let silent_opened = Instant::now();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    // Sends the first bytes of a ClientHello (a record of 512 bytes) and stops.
    let halfway_opened = Instant::now();
    let mut halfway = TcpStream::connect(addr).await.unwrap();
    halfway
        .write_all(&[
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ])
        .await
        .unwrap();
    // Completes the handshake (HTTP/1.1) and never sends a request: the
    // deadline runs from the connection's opening, handshake included.
    let idle_opened = Instant::now();
    let mut idle = bounded(tls_connect(&files, addr, &[b"http/1.1"])).await;

    let closed = bounded(async {
        tokio::join!(
            closed_after(&mut silent, silent_opened),
            closed_after(&mut halfway, halfway_opened),
            closed_after(&mut idle, idle_opened)
        )
    })
    .await;
    let (silent, halfway, idle) = closed;
    for (name, after) in [("silent", silent), ("halfway", halfway), ("idle", idle)] {
        // The server's clock starts after the client's, and the guard
        // counts whole milliseconds.
        assert!(
            after >= timeout - Duration::from_millis(5) && after < Duration::from_secs(5),
            "{name}: closed after {after:?}"
        );
    }

    // A client that keeps to the deadline is served.
    let reply = bounded(trusting(&files, addr).get("/version").send())
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}

/// The start-up error of a server given these files.
async fn startup_error(cert: &std::path::Path, key: &std::path::Path) -> String {
    match usrv::serve()
        .addr("127.0.0.1:0")
        .tls(cert, key)
        .bind()
        .await
    {
        Ok(_) => panic!("the server started"),
        Err(error) => {
            let message = error.to_string();
            // One line, and `main` returning it prints the same sentence.
            assert!(!message.contains('\n'), "{message}");
            assert_eq!(format!("{error:?}"), message);
            message
        }
    }
}

#[tokio::test]
async fn certificate_and_key_problems_are_one_readable_line_each() {
    let files = files();
    let missing = files.dir.path().join("missing.pem");
    assert_eq!(
        startup_error(&missing, &files.key).await,
        format!(
            "cannot use the TLS certificate {}: file not found",
            missing.display()
        )
    );
    assert_eq!(
        startup_error(&files.cert, &missing).await,
        format!(
            "cannot use the TLS key {}: file not found",
            missing.display()
        )
    );

    let junk = files.dir.file("junk.pem", "not a certificate\n");
    assert_eq!(
        startup_error(&junk, &files.key).await,
        format!(
            "cannot use the TLS certificate {}: not a PEM certificate file \
             (no `-----BEGIN CERTIFICATE-----` section)",
            junk.display()
        )
    );
    assert_eq!(
        startup_error(&files.cert, &junk).await,
        format!(
            "cannot use the TLS key {}: not a PEM private key file \
             (no `-----BEGIN PRIVATE KEY-----` section, nor an RSA or EC one)",
            junk.display()
        )
    );

    let other = TestPki::new();
    let other_key = files.dir.file("other-key.pem", &other.key_pem);
    assert_eq!(
        startup_error(&files.cert, &other_key).await,
        format!(
            "cannot use the TLS key {}: the key does not match the certificate {} \
             (its first certificate must be the server's own)",
            other_key.display(),
            files.cert.display()
        )
    );
}

/// A writer appending to a shared buffer, for the log.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_startup_line_says_https() {
    use tracing_subscriber::util::SubscriberInitExt;

    let files = files();
    let log = Log::default();
    let writer = log.clone();
    let _subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish()
        .set_default();
    for tls in [true, false] {
        let mut server = usrv::serve().addr("127.0.0.1:0");
        if tls {
            server = server.tls(&files.cert, &files.key);
        }
        // Stops at once: `run` logs its start-up line, then returns.
        let bound = server
            .shutdown_signal(std::future::ready(()))
            .bind()
            .await
            .unwrap();
        let addr = bound.local_addr();
        bounded(bound.run()).await.unwrap();
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        let scheme = if tls { "https" } else { "http" };
        assert!(
            text.contains(&format!("listening on {scheme}://{addr} ")),
            "{text}"
        );
    }
}
