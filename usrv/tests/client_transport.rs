//! `usrv::Client`'s transport over real sockets: HTTPS with a private CA
//! (HTTP/2 and HTTP/1.1 through ALPN), refused certificates, timeouts,
//! connect errors, the User-Agent, and multipart files read from disk.

#[path = "../../tests/common/tls.rs"]
mod tls;

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};
use tls::{TestPki, TlsServer, H2_AND_HTTP1, HTTP1_ONLY};
use usrv::client::{ClientError, MultipartForm, DEFAULT_USER_AGENT};
use usrv::crypto::SecretKey;
use usrv::http::Version;
use usrv::{route, App, Client, HeaderMap, Identity, Json, Multipart};

/// The HTTP version the server saw, and the User-Agent.
#[route("/version")]
fn version(version: Version, headers: HeaderMap) -> (u16, String, Option<String>) {
    let agents: Vec<&str> = headers
        .get_all("user-agent")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (200, format!("{version:?}"), Some(agents.join(" | ")))
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

/// A part's name, file name, content type and text.
type PartSummary = (String, Option<String>, Option<String>, String);

/// Each part of the form.
#[route("/upload", methods = ["POST"])]
fn upload(form: Multipart) -> (u16, Vec<PartSummary>) {
    let parts = form
        .parts()
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.filename.clone(),
                p.content_type.clone(),
                String::from_utf8_lossy(&p.data).into_owned(),
            )
        })
        .collect();
    (200, parts)
}

/// Bounds a whole test step, so a hang fails instead of blocking.
async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("finished in time")
}

async fn tls_server(pki: &TestPki, alpn: &[&[u8]]) -> (TlsServer, App) {
    let app = App::new().expect("the routes build");
    let server = TlsServer::start(app.clone(), pki.server_config(alpn)).await;
    (server, app)
}

/// A plain-HTTP usrv server on an ephemeral port, for the life of the test.
async fn http_server() -> SocketAddr {
    let bound = usrv::serve()
        .addr("127.0.0.1:0")
        .shutdown_signal(std::future::pending())
        .bind()
        .await
        .expect("the server binds");
    let addr = bound.local_addr();
    tokio::spawn(bound.run());
    addr
}

/// An address that accepts TCP connections (the kernel completes the
/// handshake) but never reads nor answers: the listener is never polled.
async fn silent_server() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// An address where nothing listens.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    listener.local_addr().unwrap()
}

fn trusting(pki: &TestPki, url: &str) -> Client {
    Client::new(url)
        .expect("a valid URL")
        .root_certificate(pki.ca_pem.as_bytes())
        .expect("a usable CA")
}

#[tokio::test]
async fn https_speaks_http2_when_the_server_offers_it() {
    let pki = TestPki::new();
    let (server, _) = tls_server(&pki, H2_AND_HTTP1).await;
    let client = trusting(&pki, &server.url());
    for _ in 0..3 {
        let reply = bounded(client.get("/version").send()).await.unwrap();
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.version(), Version::HTTP_2);
        let seen: Value = reply.json().unwrap();
        assert_eq!(seen[0], "HTTP/2.0", "the server saw HTTP/2: {seen}");
    }
    // The name in the certificate works too (`localhost` may resolve to
    // ::1 first; the connector falls back to 127.0.0.1).
    let by_name = trusting(&pki, &format!("https://localhost:{}", server.addr.port()));
    let reply = bounded(by_name.get("/version").send()).await.unwrap();
    assert_eq!(reply.version(), Version::HTTP_2);
}

#[tokio::test]
async fn https_speaks_http1_when_the_server_offers_only_that() {
    let pki = TestPki::new();
    for alpn in [HTTP1_ONLY, &[]] {
        let (server, _) = tls_server(&pki, alpn).await;
        let client = trusting(&pki, &server.url());
        let reply = bounded(client.get("/version").send()).await.unwrap();
        assert_eq!(reply.version(), Version::HTTP_11, "ALPN {alpn:?}");
        let seen: Value = reply.json().unwrap();
        assert_eq!(seen[0], "HTTP/1.1", "ALPN {alpn:?}: {seen}");
    }
}

#[tokio::test]
async fn signed_and_sealed_requests_over_tls() {
    let pki = TestPki::new();
    let (server, app) = tls_server(&pki, H2_AND_HTTP1).await;
    let client = trusting(&pki, &server.url()).with_key(SecretKey::generate());
    let me = client.public_key().unwrap().to_string();
    // The server key is discovered over TLS (HTTP/2).
    let reply = bounded(client.post("/whoami").signed().send())
        .await
        .unwrap();
    assert!(reply.is_authenticated());
    assert_eq!(reply.version(), Version::HTTP_2);
    assert_eq!(reply.json::<Value>().unwrap(), json!(me));
    assert_eq!(client.server_key().await.unwrap(), *app.public_key());

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
    assert!(reply.is_authenticated());
    assert_eq!(
        reply.json::<Value>().unwrap(),
        json!(["opened", {"secret": 42}])
    );

    // Over HTTP/1.1 with a pinned key as well.
    let (server, app) = tls_server(&pki, HTTP1_ONLY).await;
    let client = trusting(&pki, &server.url())
        .with_key(SecretKey::generate())
        .with_server_key(*app.public_key());
    let reply = bounded(
        client
            .post("/vault")
            .json(&json!([1, 2]))
            .unwrap()
            .encrypted()
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(reply.version(), Version::HTTP_11);
    assert_eq!(reply.json::<Value>().unwrap(), json!(["opened", [1, 2]]));
}

fn assert_tls_error(error: &ClientError, addr: SocketAddr, contains: &str) {
    match error {
        ClientError::Tls {
            addr: named,
            reason,
        } => {
            assert_eq!(named, &addr.to_string(), "{error}");
            assert!(reason.contains(contains), "{contains:?} in {error}");
        }
        other => panic!("expected a TLS error: {other:?}"),
    }
    let text = error.to_string();
    assert!(text.starts_with("TLS with 127.0.0.1:"), "{text}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let pki = TestPki::new();
    let (server, _) = tls_server(&pki, H2_AND_HTTP1).await;

    // The built-in roots do not know the private CA.
    let client = Client::new(&server.url()).unwrap();
    let error = bounded(client.get("/version").send()).await.unwrap_err();
    assert_tls_error(&error, server.addr, "UnknownIssuer");

    // Nor does another private CA (of the same name: the signature does
    // not verify).
    let other = TestPki::new();
    let client = trusting(&other, &server.url());
    let error = bounded(client.get("/version").send()).await.unwrap_err();
    assert_tls_error(&error, server.addr, "invalid peer certificate");

    // A signed request is refused the same way (the discovery of the
    // server key keeps the TLS error).
    let client = Client::new(&server.url())
        .unwrap()
        .with_key(SecretKey::generate());
    let error = bounded(client.post("/whoami").signed().send())
        .await
        .unwrap_err();
    assert_tls_error(&error, server.addr, "UnknownIssuer");

    // A trusted CA, but a certificate for another name.
    let elsewhere = TestPki::for_names(&["elsewhere.invalid"]);
    let (server, _) = tls_server(&elsewhere, H2_AND_HTTP1).await;
    let client = trusting(&elsewhere, &server.url());
    let error = bounded(client.get("/version").send()).await.unwrap_err();
    assert_tls_error(&error, server.addr, "not valid for name");
}

#[test]
fn root_certificate_refuses_what_is_not_a_certificate() {
    let client = Client::new("https://127.0.0.1:1").unwrap();
    for pem in [&b"not PEM at all"[..], b""] {
        match client.clone().root_certificate(pem) {
            Err(error @ ClientError::Certificate(_)) => {
                assert!(
                    error.to_string().contains("no `BEGIN CERTIFICATE`"),
                    "{error}"
                )
            }
            other => panic!("expected a certificate error: {other:?}"),
        }
    }
    let pki = TestPki::new();
    let mut bundle = pki.ca_pem.clone();
    bundle.push_str(&TestPki::new().ca_pem);
    // Several CAs in one bundle are fine.
    assert!(client.clone().root_certificate(bundle.as_bytes()).is_ok());
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (_listener, addr) = silent_server().await;
    let limit = Duration::from_millis(300);

    // The client's timeout.
    let client = Client::new(&format!("http://{addr}"))
        .unwrap()
        .timeout(limit);
    let error = bounded(client.get("/version").send()).await.unwrap_err();
    assert!(
        matches!(error, ClientError::Timeout(d) if d == limit),
        "{error:?}"
    );
    assert!(error.to_string().contains("timed out"), "{error}");

    // One request's own timeout, under a long client timeout.
    let client = Client::new(&format!("http://{addr}"))
        .unwrap()
        .timeout(Duration::from_secs(3600));
    let short = Duration::from_millis(200);
    let error = bounded(client.get("/version").timeout(short).send())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::Timeout(d) if d == short),
        "{error:?}"
    );

    // The discovery of the server key is bounded too, and stays a timeout.
    let client = Client::new(&format!("http://{addr}"))
        .unwrap()
        .with_key(SecretKey::generate())
        .timeout(limit);
    let error = bounded(client.post("/whoami").signed().send())
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Timeout(_)), "{error:?}");
    let error = bounded(client.server_key()).await.unwrap_err();
    assert!(matches!(error, ClientError::Timeout(_)), "{error:?}");

    // A TLS handshake that never completes.
    let client = Client::new(&format!("https://{addr}"))
        .unwrap()
        .timeout(limit);
    let error = bounded(client.get("/version").send()).await.unwrap_err();
    assert!(matches!(error, ClientError::Timeout(_)), "{error:?}");
}

#[tokio::test]
async fn a_refused_connection_names_the_address() {
    let addr = closed_port().await;
    for scheme in ["http", "https"] {
        let client = Client::new(&format!("{scheme}://{addr}")).unwrap();
        let error = bounded(client.get("/version").send()).await.unwrap_err();
        match &error {
            ClientError::Connect { addr: named, .. } => assert_eq!(named, &addr.to_string()),
            other => panic!("{scheme}: expected a connect error: {other:?}"),
        }
        let text = error.to_string();
        assert!(
            text.starts_with(&format!("cannot connect to {addr}: ")),
            "{text}"
        );
        assert!(text.to_lowercase().contains("refused"), "{text}");
    }
    // Also when the first exchange is the key discovery.
    let client = Client::new(&format!("http://{addr}"))
        .unwrap()
        .with_key(SecretKey::generate());
    let error = bounded(client.post("/whoami").signed().send())
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Connect { .. }), "{error:?}");
}

#[tokio::test]
async fn the_user_agent_arrives_unless_the_caller_sets_one() {
    assert_eq!(
        DEFAULT_USER_AGENT,
        format!("usrv/{}", env!("CARGO_PKG_VERSION"))
    );
    let pki = TestPki::new();
    let (tls, _) = tls_server(&pki, H2_AND_HTTP1).await;
    let plain = http_server().await;
    for client in [
        trusting(&pki, &tls.url()),
        Client::new(&format!("http://{plain}")).unwrap(),
    ] {
        let reply = bounded(client.get("/version").send()).await.unwrap();
        let seen: Value = reply.json().unwrap();
        assert_eq!(seen[1], DEFAULT_USER_AGENT, "{client:?}");
        // The caller's own, alone.
        let reply = bounded(
            client
                .get("/version")
                .header("User-Agent", "probe/1")
                .send(),
        )
        .await
        .unwrap();
        let seen: Value = reply.json().unwrap();
        assert_eq!(seen[1], "probe/1", "{client:?}");
    }
}

#[tokio::test]
async fn a_multipart_file_from_a_path_carries_its_name_and_type() {
    let dir = std::env::temp_dir().join(format!("usrv-client-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let notes = dir.join("notes.md");
    std::fs::write(&notes, "# hello").unwrap();
    let data = dir.join("blob");
    std::fs::write(&data, "raw").unwrap();

    let addr = http_server().await;
    let client = Client::new(&format!("http://{addr}")).unwrap();
    let form = MultipartForm::new()
        .text("title", "t")
        .file_path("doc", &notes)
        .await
        .unwrap()
        .file_path("other", &data)
        .await
        .unwrap();
    let reply = bounded(client.post("/upload").multipart(form).send())
        .await
        .unwrap();
    assert_eq!(
        reply.json::<Value>().unwrap(),
        json!([
            ["title", null, null, "t"],
            ["doc", "notes.md", "text/markdown; charset=utf-8", "# hello"],
            ["other", "blob", "application/octet-stream", "raw"],
        ])
    );
    let _ = std::fs::remove_dir_all(dir);
}
