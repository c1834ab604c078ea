//! The TLS settings of `https://` URLs: rustls with the ring provider, the
//! Mozilla roots of `webpki-roots` plus the caller's own CAs, and ALPN
//! offering HTTP/2 then HTTP/1.1.

use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::ClientError;

/// The certificates of a PEM text (one or more `CERTIFICATE` sections; other
/// sections are skipped). Each must be usable as a trust anchor.
pub(crate) fn parse_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ClientError::Certificate(format!("not a PEM certificate: {e}")))?;
    if certificates.is_empty() {
        return Err(ClientError::Certificate(
            "no `BEGIN CERTIFICATE` section in the PEM text".into(),
        ));
    }
    // Checks that each one parses, before a connection needs them.
    let mut store = RootCertStore::empty();
    for certificate in &certificates {
        store
            .add(certificate.clone())
            .map_err(|e| ClientError::Certificate(format!("unusable CA certificate: {e}")))?;
    }
    Ok(certificates)
}

/// The client configuration trusting the `webpki-roots` anchors and `extra`.
pub(crate) fn config(extra: &[CertificateDer<'static>]) -> Result<Arc<ClientConfig>, ClientError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for certificate in extra {
        roots
            .add(certificate.clone())
            .map_err(|e| ClientError::Certificate(format!("unusable CA certificate: {e}")))?;
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Certificate(format!("TLS settings: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_a_certificate_is_refused() {
        for pem in [
            &b""[..],
            b"hello",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            match parse_certificates(pem) {
                Err(ClientError::Certificate(reason)) => {
                    assert!(reason.contains("no `BEGIN CERTIFICATE`"), "{reason}")
                }
                other => panic!("expected a certificate error: {other:?}"),
            }
        }
    }

    #[test]
    fn a_broken_certificate_is_refused() {
        // Valid base64 that is not DER.
        let pem = b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
        match parse_certificates(pem) {
            Err(ClientError::Certificate(reason)) => {
                assert!(reason.contains("unusable"), "{reason}")
            }
            other => panic!("expected a certificate error: {other:?}"),
        }
        // A section that does not end.
        let pem = b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n";
        assert!(matches!(
            parse_certificates(pem),
            Err(ClientError::Certificate(_))
        ));
    }

    #[test]
    fn the_default_config_offers_h2_then_http1() {
        let config = config(&[]).unwrap();
        assert_eq!(config.alpn_protocols, [&b"h2"[..], b"http/1.1"]);
    }
}
