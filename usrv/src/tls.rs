//! HTTPS for the server: the certificate chain and private key read from PEM
//! files at start-up (each problem one readable error), a rustls
//! configuration offering HTTP/2 and HTTP/1.1 through ALPN (ring provider),
//! and the acceptor that turns an accepted TCP connection into a TLS stream.
//!
//! The files come from `Server::tls(cert, key)`, else from `USRV_TLS_CERT`
//! and `USRV_TLS_KEY`. A client speaking plain HTTP to the TLS port is
//! answered a plain `400` saying so, rather than a handshake failure it
//! cannot show. The handshake runs inside the connection's task, so the
//! slowloris guard that bounds a request head bounds it as well.

use std::path::PathBuf;

#[cfg(not(feature = "tls"))]
use tokio::net::TcpStream;

use crate::error::Error;

/// The environment variable naming the certificate chain (PEM).
pub(crate) const CERT_VAR: &str = "USRV_TLS_CERT";
/// The environment variable naming the private key (PEM).
pub(crate) const KEY_VAR: &str = "USRV_TLS_KEY";

/// The TLS set-up of a server: `explicit` files (`Server::tls`), else those
/// of the environment, else none (plain HTTP).
pub(crate) fn configure(explicit: Option<(PathBuf, PathBuf)>) -> Result<Option<Tls>, Error> {
    match files(explicit)? {
        None => Ok(None),
        #[cfg(feature = "tls")]
        Some((cert, key)) => Tls::load(&cert, &key).map(Some),
        // Serving plain HTTP when HTTPS was asked for would be a silent downgrade.
        #[cfg(not(feature = "tls"))]
        Some(_) => Err(Error::Tls(format!(
            "{CERT_VAR} and {KEY_VAR} are set, but usrv was built without its `tls` feature"
        ))),
    }
}

/// The certificate and key files: from the builder, else the environment
/// (both variables or neither; an empty one counts as unset).
fn files(explicit: Option<(PathBuf, PathBuf)>) -> Result<Option<(PathBuf, PathBuf)>, Error> {
    if explicit.is_some() {
        return Ok(explicit);
    }
    let var = |name| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    match (var(CERT_VAR), var(KEY_VAR)) {
        (Some(cert), Some(key)) => Ok(Some((cert, key))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Error::Tls(format!(
            "{CERT_VAR} is set but {KEY_VAR} is not: HTTPS needs both"
        ))),
        (None, Some(_)) => Err(Error::Tls(format!(
            "{KEY_VAR} is set but {CERT_VAR} is not: HTTPS needs both"
        ))),
    }
}

/// Without the `tls` feature no server has TLS: [`configure`] never
/// returns one.
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
pub(crate) enum Tls {}

#[cfg(not(feature = "tls"))]
impl Tls {
    /// Never called: there is no value to call it on.
    pub async fn accept(&self, _stream: TcpStream) -> Option<(TcpStream, bool)> {
        match *self {}
    }
}

#[cfg(feature = "tls")]
pub(crate) use enabled::Tls;

#[cfg(feature = "tls")]
mod enabled {
    use std::io;
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio_rustls::rustls::crypto::ring;
    use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::sign::{CertifiedKey, SingleCertAndKey};
    use tokio_rustls::rustls::{self, InconsistentKeys, ServerConfig};
    use tokio_rustls::server::TlsStream;
    use tokio_rustls::TlsAcceptor;

    use crate::error::Error;

    /// The first byte of a TLS connection: a handshake record.
    const HANDSHAKE_RECORD: u8 = 0x16;

    /// The body answered to plain HTTP on the TLS port.
    pub(crate) const PLAINTEXT_REFUSAL: &str =
        r#"{"error":"this server speaks HTTPS only: use https://","status":400}"#;

    /// How much of a plain-HTTP request is read before it is answered.
    const PLAINTEXT_HEAD_LIMIT: usize = 16 * 1024;

    /// How long the rest of a refused plain-HTTP request is drained after the
    /// answer, so that closing does not reset the connection before the
    /// client has read it.
    const PLAINTEXT_LINGER: Duration = Duration::from_secs(1);

    /// A server's TLS configuration: cheap to clone (one per connection).
    #[derive(Clone)]
    pub(crate) struct Tls {
        acceptor: TlsAcceptor,
    }

    impl Tls {
        /// Reads the certificate chain and the private key.
        pub fn load(cert: &Path, key: &Path) -> Result<Tls, Error> {
            let config = server_config(cert, key)?;
            Ok(Tls {
                acceptor: TlsAcceptor::from(Arc::new(config)),
            })
        }

        /// Completes the handshake: the TLS stream and whether ALPN chose
        /// HTTP/2. `None` when the peer closed, spoke plain HTTP (it was
        /// answered 400) or failed the handshake.
        pub async fn accept(&self, stream: TcpStream) -> Option<(TlsStream<TcpStream>, bool)> {
            let mut first = [0u8; 1];
            match stream.peek(&mut first).await {
                Ok(1) => {}
                _ => return None,
            }
            if first[0] != HANDSHAKE_RECORD {
                refuse_plaintext(stream).await;
                return None;
            }
            match self.acceptor.accept(stream).await {
                Ok(stream) => {
                    let is_h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                    Some((stream, is_h2))
                }
                Err(error) => {
                    tracing::debug!(target: "usrv", %error, "TLS handshake failed");
                    None
                }
            }
        }

        /// The ALPN protocols offered, most preferred first.
        #[cfg(test)]
        fn alpn(&self) -> Vec<Vec<u8>> {
            self.acceptor.config().alpn_protocols.clone()
        }
    }

    /// Answers plain HTTP on the TLS port: reads the request head (up to a
    /// limit), answers 400 with a JSON reason, and closes.
    async fn refuse_plaintext(mut stream: TcpStream) {
        let mut buffer = vec![0u8; PLAINTEXT_HEAD_LIMIT];
        let mut filled = 0;
        while filled < buffer.len() {
            match stream.read(&mut buffer[filled..]).await {
                Ok(0) | Err(_) => return,
                Ok(read) => filled += read,
            }
            if memchr::memmem::find(&buffer[..filled], b"\r\n\r\n").is_some() {
                break;
            }
        }
        tracing::debug!(target: "usrv", "plain HTTP on the TLS port: answered 400");
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{PLAINTEXT_REFUSAL}",
            PLAINTEXT_REFUSAL.len()
        );
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
        let _ = stream.shutdown().await;
        let drain = async { while let Ok(1..) = stream.read(&mut buffer).await {} };
        let _ = tokio::time::timeout(PLAINTEXT_LINGER, drain).await;
    }

    /// The rustls configuration: the chain of `cert_path`, the key of
    /// `key_path` (which must belong to the chain's first certificate), ALPN
    /// h2 then http/1.1, the ring provider.
    fn server_config(cert_path: &Path, key_path: &Path) -> Result<ServerConfig, Error> {
        let chain = certificates(cert_path)?;
        let key = private_key(key_path)?;
        let provider = Arc::new(ring::default_provider());
        let signing_key = provider
            .key_provider
            .load_private_key(key)
            .map_err(|error| {
                key_error(key_path, format!("the private key is not usable ({error})"))
            })?;
        let certified = CertifiedKey::new(chain, signing_key);
        match certified.keys_match() {
            // `Unknown`: the provider cannot tell; a ring key always can.
            Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
            Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
                return Err(key_error(
                    key_path,
                    format!(
                        "the key does not match the certificate {} (its first \
                         certificate must be the server's own)",
                        cert_path.display()
                    ),
                ));
            }
            Err(error) => {
                return Err(certificate_error(
                    cert_path,
                    format!("not a valid X.509 certificate ({error})"),
                ));
            }
        }
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| Error::Tls(format!("cannot set up TLS: {error}")))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    /// The `CERTIFICATE` sections of the file, in order (other sections are
    /// skipped).
    fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
        let text = read(path).map_err(|reason| certificate_error(path, reason))?;
        let chain = CertificateDer::pem_slice_iter(&text)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| certificate_error(path, pem_reason(error)))?;
        if chain.is_empty() {
            return Err(certificate_error(
                path,
                "not a PEM certificate file (no `-----BEGIN CERTIFICATE-----` section)".into(),
            ));
        }
        Ok(chain)
    }

    /// The first private key of the file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
    fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
        let text = read(path).map_err(|reason| key_error(path, reason))?;
        PrivateKeyDer::from_pem_slice(&text).map_err(|error| {
            let reason = match error {
                pem::Error::NoItemsFound
                    if memchr::memmem::find(&text, b"ENCRYPTED PRIVATE KEY").is_some() =>
                {
                    "the private key is encrypted: give it unencrypted".into()
                }
                pem::Error::NoItemsFound => "not a PEM private key file (no `-----BEGIN PRIVATE \
                                             KEY-----` section, nor an RSA or EC one)"
                    .into(),
                error => pem_reason(error),
            };
            key_error(path, reason)
        })
    }

    /// The file's bytes, or why they cannot be read.
    fn read(path: &Path) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => "file not found".into(),
            io::ErrorKind::PermissionDenied => "permission denied".into(),
            _ => error.to_string(),
        })
    }

    /// A malformed PEM file, in words.
    fn pem_reason(error: pem::Error) -> String {
        match error {
            pem::Error::MissingSectionEnd { end_marker } => format!(
                "broken PEM: a section does not end (no `-----END {}-----` line)",
                String::from_utf8_lossy(&end_marker)
            ),
            pem::Error::IllegalSectionStart { line } => format!(
                "broken PEM: malformed line `{}`",
                String::from_utf8_lossy(&line)
            ),
            pem::Error::Base64Decode(error) => format!("broken PEM: bad base64 ({error})"),
            error => format!("broken PEM: {error}"),
        }
    }

    fn certificate_error(path: &Path, reason: String) -> Error {
        Error::Tls(format!(
            "cannot use the TLS certificate {}: {reason}",
            path.display()
        ))
    }

    fn key_error(path: &Path, reason: String) -> Error {
        Error::Tls(format!(
            "cannot use the TLS key {}: {reason}",
            path.display()
        ))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// A self-signed certificate for `localhost` and its key, PEM.
        fn self_signed() -> (String, String) {
            let key = rcgen::KeyPair::generate().unwrap();
            let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
            let cert = params.self_signed(&key).unwrap();
            (cert.pem(), key.serialize_pem())
        }

        /// A folder of its own under the system's temporary folder.
        struct Scratch(std::path::PathBuf);

        impl Scratch {
            fn new(name: &str) -> Scratch {
                let dir = std::env::temp_dir()
                    .join(format!("usrv-tls-unit-{}-{name}", std::process::id()));
                std::fs::create_dir_all(&dir).unwrap();
                Scratch(dir)
            }

            fn file(&self, name: &str, contents: &str) -> std::path::PathBuf {
                let path = self.0.join(name);
                std::fs::write(&path, contents).unwrap();
                path
            }
        }

        impl Drop for Scratch {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }

        fn load_error(cert: &Path, key: &Path) -> String {
            match Tls::load(cert, key) {
                Ok(_) => panic!("expected an error"),
                Err(error) => error.to_string(),
            }
        }

        #[test]
        fn a_matching_pair_loads_and_offers_h2_then_http1() {
            let scratch = Scratch::new("pair");
            let (cert, key) = self_signed();
            let tls = Tls::load(
                &scratch.file("cert.pem", &cert),
                &scratch.file("key.pem", &key),
            )
            .unwrap();
            assert_eq!(tls.alpn(), [&b"h2"[..], b"http/1.1"]);
        }

        #[test]
        fn one_file_may_hold_both_the_key_and_the_certificate() {
            let scratch = Scratch::new("combined");
            let (cert, key) = self_signed();
            let both = scratch.file("both.pem", &format!("{key}{cert}"));
            assert!(Tls::load(&both, &both).is_ok());
        }

        #[test]
        fn missing_files_are_named() {
            let scratch = Scratch::new("missing");
            let (cert, key) = self_signed();
            let cert = scratch.file("cert.pem", &cert);
            let key = scratch.file("key.pem", &key);
            let nowhere = scratch.0.join("nowhere.pem");
            assert_eq!(
                load_error(&nowhere, &key),
                format!(
                    "cannot use the TLS certificate {}: file not found",
                    nowhere.display()
                )
            );
            assert_eq!(
                load_error(&cert, &nowhere),
                format!(
                    "cannot use the TLS key {}: file not found",
                    nowhere.display()
                )
            );
        }

        #[test]
        fn files_that_are_not_pem_are_refused() {
            let scratch = Scratch::new("not-pem");
            let (cert, key) = self_signed();
            let cert = scratch.file("cert.pem", &cert);
            let key = scratch.file("key.pem", &key);
            let junk = scratch.file("junk.txt", "hello, world\n");
            let message = load_error(&junk, &key);
            assert!(
                message.starts_with(&format!(
                    "cannot use the TLS certificate {}: not a PEM certificate file",
                    junk.display()
                )),
                "{message}"
            );
            let message = load_error(&cert, &junk);
            assert!(
                message.starts_with(&format!(
                    "cannot use the TLS key {}: not a PEM private key file",
                    junk.display()
                )),
                "{message}"
            );
            // The certificate file given as the key, and the other way round.
            assert!(load_error(&cert, &cert).contains("not a PEM private key file"));
            assert!(load_error(&key, &key).contains("not a PEM certificate file"));
        }

        #[test]
        fn broken_pem_is_refused_in_words() {
            let scratch = Scratch::new("broken");
            let (_, key) = self_signed();
            let key = scratch.file("key.pem", &key);
            let unended = scratch.file("unended.pem", "-----BEGIN CERTIFICATE-----\naGVsbG8=\n");
            let message = load_error(&unended, &key);
            assert!(
                message.contains(
                    "broken PEM: a section does not end (no `-----END CERTIFICATE-----` line)"
                ),
                "{message}"
            );
            // Valid base64 that is not a certificate.
            let not_der = scratch.file(
                "not-der.pem",
                "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
            );
            let message = load_error(&not_der, &key);
            assert!(
                message.contains("not a valid X.509 certificate"),
                "{message}"
            );
            // A key section that is not a key.
            let (cert, _) = self_signed();
            let cert = scratch.file("cert.pem", &cert);
            let not_a_key = scratch.file(
                "not-a-key.pem",
                "-----BEGIN PRIVATE KEY-----\naGVsbG8=\n-----END PRIVATE KEY-----\n",
            );
            let message = load_error(&cert, &not_a_key);
            assert!(
                message.contains("the private key is not usable"),
                "{message}"
            );
            let encrypted = scratch.file(
                "encrypted.pem",
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\naGVsbG8=\n-----END ENCRYPTED PRIVATE KEY-----\n",
            );
            let message = load_error(&cert, &encrypted);
            assert!(
                message.contains("the private key is encrypted"),
                "{message}"
            );
        }

        #[test]
        fn a_key_of_another_certificate_is_refused() {
            let scratch = Scratch::new("mismatch");
            let (cert, _) = self_signed();
            let (_, other_key) = self_signed();
            let cert = scratch.file("cert.pem", &cert);
            let other_key = scratch.file("other.pem", &other_key);
            assert_eq!(
                load_error(&cert, &other_key),
                format!(
                    "cannot use the TLS key {}: the key does not match the certificate {} \
                     (its first certificate must be the server's own)",
                    other_key.display(),
                    cert.display()
                )
            );
        }

        #[test]
        fn explicit_files_win_over_the_environment() {
            use std::path::PathBuf;
            let explicit = Some((PathBuf::from("a.pem"), PathBuf::from("b.pem")));
            assert_eq!(super::super::files(explicit.clone()).unwrap(), explicit);
        }
    }
}

#[cfg(all(test, not(feature = "tls")))]
mod tests {
    use super::*;

    /// Nothing else in this crate's unit tests reads these variables.
    #[test]
    fn without_the_feature_the_variables_are_an_error_not_plain_http() {
        std::env::set_var(CERT_VAR, "cert.pem");
        std::env::set_var(KEY_VAR, "key.pem");
        let result = configure(None);
        std::env::remove_var(CERT_VAR);
        std::env::remove_var(KEY_VAR);
        match result {
            Err(error) => assert_eq!(
                error.to_string(),
                "USRV_TLS_CERT and USRV_TLS_KEY are set, but usrv was built without its `tls` feature"
            ),
            Ok(_) => panic!("expected an error"),
        }
        assert!(configure(None).unwrap().is_none());
    }
}
