//! An HTTPS test server: a private CA and a server certificate made at run
//! time ([`TestPki`]), and a `usrv::App` served over rustls with
//! hyper-util's auto connection builder, HTTP/1.1 and HTTP/2 chosen through
//! ALPN ([`TlsServer`]). Everything listens on 127.0.0.1 only.
#![allow(dead_code)] // each test binary uses part of it

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// ALPN of a server speaking both HTTP/2 and HTTP/1.1.
pub const H2_AND_HTTP1: &[&[u8]] = &[b"h2", b"http/1.1"];
/// ALPN of a server speaking HTTP/1.1 only.
pub const HTTP1_ONLY: &[&[u8]] = &[b"http/1.1"];

/// A private CA and a server certificate it signed.
pub struct TestPki {
    /// The CA certificate, PEM: what a client must trust.
    pub ca_pem: String,
    /// The server certificate, then the CA certificate.
    pub chain: Vec<CertificateDer<'static>>,
    /// The same chain, PEM: what a server's certificate file holds.
    pub chain_pem: String,
    /// The server's private key, PEM (PKCS#8).
    pub key_pem: String,
    /// The server's private key, PKCS#8 DER.
    key: Vec<u8>,
}

impl TestPki {
    /// A fresh CA, and a server certificate for `localhost`, `127.0.0.1`
    /// and `::1`.
    pub fn new() -> TestPki {
        TestPki::for_names(&["localhost", "127.0.0.1", "::1"])
    }

    /// A fresh CA, and a server certificate for these names (DNS names or
    /// IP addresses).
    pub fn for_names(names: &[&str]) -> TestPki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "usrv test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().expect("a CA key");
        let ca = ca_params.self_signed(&ca_key).expect("the CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let names: Vec<String> = names.iter().map(|&name| name.to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "usrv test server");
        params.use_authority_key_identifier_extension = true;
        params
            .extended_key_usages
            .push(rcgen::ExtendedKeyUsagePurpose::ServerAuth);
        let key = KeyPair::generate().expect("a server key");
        let cert = params
            .signed_by(&key, &issuer)
            .expect("the server certificate");
        TestPki {
            ca_pem: ca.pem(),
            chain: vec![cert.der().clone(), ca.der().clone()],
            chain_pem: format!("{}{}", cert.pem(), ca.pem()),
            key_pem: key.serialize_pem(),
            key: key.serialize_der(),
        }
    }

    /// A rustls server configuration presenting the server certificate,
    /// offering these ALPN protocols (ring provider).
    pub fn server_config(&self, alpn: &[&[u8]]) -> Arc<ServerConfig> {
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .expect("a certificate and its key");
        config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
        Arc::new(config)
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

/// `app` served over TLS on an ephemeral port of 127.0.0.1, until dropped.
pub struct TlsServer {
    pub addr: SocketAddr,
    /// The TLS handshakes that failed, with their reason (as the server saw them).
    pub handshake_errors: Arc<Mutex<Vec<String>>>,
    accept: JoinHandle<()>,
}

impl TlsServer {
    /// Starts serving `app` with this TLS configuration.
    pub async fn start(app: usrv::App, config: Arc<ServerConfig>) -> TlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("an address");
        let acceptor = TlsAcceptor::from(config);
        let handshake_errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let errors = handshake_errors.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                let app = app.clone();
                let errors = errors.clone();
                tokio::spawn(async move {
                    let stream = match acceptor.accept(stream).await {
                        Ok(stream) => stream,
                        Err(error) => {
                            errors.lock().unwrap().push(error.to_string());
                            return;
                        }
                    };
                    let service = service_fn(move |request| {
                        let app = app.clone();
                        async move { Ok::<_, std::convert::Infallible>(app.handle(request).await) }
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TlsServer {
            addr,
            handshake_errors,
            accept,
        }
    }

    /// `https://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A fresh folder under the system's temporary folder, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty folder; `tag` helps to recognise it.
    pub fn new(tag: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "usrv-test-{tag}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        TempDir(dir)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a file of the folder and returns its path.
    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("a temporary file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
