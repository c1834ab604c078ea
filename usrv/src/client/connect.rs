//! The client's connector: TCP (through hyper-util's `HttpConnector`: DNS,
//! happy eyeballs, `TCP_NODELAY`), then TLS for `https://` URLs.
//!
//! A TLS connection that negotiated `h2` through ALPN reports it, so the
//! pooled client speaks HTTP/2 on it; everything else is HTTP/1.1.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tower::ServiceExt;

use super::error_chain;

/// Opens connections for the pooled HTTP client.
#[derive(Clone)]
pub(crate) struct Connector {
    tcp: HttpConnector,
    /// The TLS settings of `https://` URLs.
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Connector {
    /// A connector of plain `http://` URLs.
    pub(crate) fn plain() -> Connector {
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        // The scheme is checked here, not by the TCP connector.
        tcp.enforce_http(false);
        Connector {
            tcp,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// A connector of `http://` and `https://` URLs.
    #[cfg(feature = "tls")]
    pub(crate) fn with_tls(
        config: std::sync::Arc<tokio_rustls::rustls::ClientConfig>,
    ) -> Connector {
        Connector {
            tls: Some(tokio_rustls::TlsConnector::from(config)),
            ..Connector::plain()
        }
    }
}

type Connecting = Pin<Box<dyn Future<Output = Result<TokioIo<Stream>, ConnectFailure>> + Send>>;

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = ConnectFailure;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ConnectFailure>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Connecting {
        let tcp = self.tcp.clone();
        #[cfg(feature = "tls")]
        let tls = self.tls.clone();
        Box::pin(async move {
            let https = match uri.scheme_str() {
                Some("http") => false,
                Some("https") => true,
                _ => {
                    return Err(ConnectFailure::new(
                        Stage::Tcp,
                        uri.to_string(),
                        "not an http:// or https:// URL",
                    ))
                }
            };
            let host = uri.host().unwrap_or_default().to_owned();
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
            let addr = format!("{host}:{port}");
            let stream = tcp
                .oneshot(uri)
                .await
                .map_err(|e| ConnectFailure::new(Stage::Tcp, addr.clone(), error_chain(&e)))?
                .into_inner();
            if !https {
                return Ok(TokioIo::new(Stream::Plain(stream)));
            }
            #[cfg(feature = "tls")]
            {
                let tls = tls.ok_or_else(|| {
                    ConnectFailure::new(Stage::Tls, addr.clone(), "no TLS settings")
                })?;
                // `[::1]` names the IPv6 address `::1`.
                let name = host.trim_start_matches('[').trim_end_matches(']');
                let name = tokio_rustls::rustls::pki_types::ServerName::try_from(name.to_owned())
                    .map_err(|_| {
                    ConnectFailure::new(Stage::Tls, addr.clone(), "not a valid server name")
                })?;
                let stream = tls
                    .connect(name, stream)
                    .await
                    .map_err(|e| ConnectFailure::new(Stage::Tls, addr.clone(), error_chain(&e)))?;
                Ok(TokioIo::new(Stream::Tls(Box::new(stream))))
            }
            #[cfg(not(feature = "tls"))]
            Err(ConnectFailure::new(
                Stage::Tls,
                addr,
                "https needs the `tls` feature",
            ))
        })
    }
}

/// Which step of opening a connection failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Resolving the name or opening the TCP connection.
    Tcp,
    /// The TLS handshake.
    Tls,
}

/// Why a connection could not be opened, naming the address.
#[derive(Debug)]
pub(crate) struct ConnectFailure {
    pub(crate) stage: Stage,
    /// `host:port`.
    pub(crate) addr: String,
    pub(crate) reason: String,
}

impl ConnectFailure {
    fn new(stage: Stage, addr: String, reason: impl Into<String>) -> ConnectFailure {
        ConnectFailure {
            stage,
            addr,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stage {
            Stage::Tcp => write!(f, "cannot connect to {}: {}", self.addr, self.reason),
            Stage::Tls => write!(f, "TLS with {} failed: {}", self.addr, self.reason),
        }
    }
}

impl std::error::Error for ConnectFailure {}

/// A client connection: plain TCP, or TLS over TCP.
pub(crate) enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Stream::Plain(stream) => stream.connected(),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => {
                let (tcp, session) = stream.get_ref();
                let connected = tcp.connected();
                if session.alpn_protocol() == Some(b"h2") {
                    connected.negotiated_h2()
                } else {
                    connected
                }
            }
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(stream) => stream.is_write_vectored(),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_flush(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}
