//! Sending formatted messages to a receiver: syslog over TLS (RFC 5425), plain TCP
//! (RFC 6587 octet counting, same framing) or UDP (RFC 5426, one message per datagram).
//!
//! Delivery of a batch is confirmed the only way plain syslog allows: after the last frame
//! the sender closes its side (TLS `close_notify`, then TCP FIN) and waits for the
//! receiver to close in turn. A receiver reads the stream in order, so seeing its close
//! means it has read every frame before our close; only then does the exporter advance
//! its cursor. A batch whose confirmation does not arrive is sent again on the next
//! connection, so a receiver may see a message twice, never miss one. UDP has no such
//! confirmation: a datagram may be lost, which is why it is only used when configured.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// Longest wait for the receiver's close after ours.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for a connection (TCP and TLS handshake).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes read (and thrown away) from a receiver while waiting for its close; syslog
/// receivers send nothing, so a peer that talks this much is not one.
const MAX_DISCARD: usize = 64 * 1024;
/// Largest UDP datagram payload sent (RFC 5426 over IPv4 allows 65,507 bytes).
const MAX_DATAGRAM: usize = 65_507;

/// How to reach a receiver.
#[derive(Debug, Clone)]
pub enum Transport {
    Tls(TlsSettings),
    Tcp,
    Udp,
}

/// TLS settings: the CA that must have signed the receiver's certificate, and an optional
/// client certificate for receivers that require one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub ca_file: PathBuf,
    pub client_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
}

/// Why a batch was not delivered (or a transport could not be set up).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Pem { path: PathBuf, reason: String },
    #[error("TLS setup: {0}")]
    Tls(#[from] rustls::Error),
    #[error("address {0:?} has no host:port form usable as a TLS server name")]
    ServerName(String),
    #[error("cannot resolve {address}: {source}")]
    Resolve {
        address: String,
        source: std::io::Error,
    },
    #[error("{address} resolves to no address")]
    NoAddress { address: String },
    #[error("connecting to {address}: {source}")]
    Connect {
        address: String,
        source: std::io::Error,
    },
    #[error("connecting to {address}: timed out")]
    ConnectTimeout { address: String },
    #[error("sending to {address}: {source}")]
    Send {
        address: String,
        source: std::io::Error,
    },
    #[error("{address} did not confirm the batch by closing its side within {CONFIRM_TIMEOUT:?}")]
    NoConfirmation { address: String },
    #[error("{address} sent more than {MAX_DISCARD} bytes; not a syslog receiver")]
    Chatty { address: String },
    #[error("message of {0} bytes is larger than a UDP datagram")]
    TooLargeForUdp(usize),
}

/// A configured connection maker for one target.
#[derive(Clone)]
pub struct Sender {
    address: String,
    kind: SenderKind,
}

#[derive(Clone)]
enum SenderKind {
    Tls {
        connector: TlsConnector,
        server_name: ServerName<'static>,
    },
    Tcp,
    Udp,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            SenderKind::Tls { .. } => "tls",
            SenderKind::Tcp => "tcp",
            SenderKind::Udp => "udp",
        };
        f.debug_struct("Sender")
            .field("address", &self.address)
            .field("transport", &kind)
            .finish()
    }
}

impl Sender {
    /// Prepares sending to `address` (`host:port`). For TLS this reads the CA and client
    /// credentials now, so a bad file is reported at start, not at the first event.
    pub fn new(address: &str, transport: &Transport) -> Result<Self, TransportError> {
        let kind = match transport {
            Transport::Tcp => SenderKind::Tcp,
            Transport::Udp => SenderKind::Udp,
            Transport::Tls(settings) => SenderKind::Tls {
                connector: TlsConnector::from(Arc::new(client_config(settings)?)),
                server_name: server_name(address)?,
            },
        };
        Ok(Self {
            address: address.to_owned(),
            kind,
        })
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// Sends `messages` (RFC 5424 lines) on a new connection and waits for the receiver
    /// to confirm (see the module documentation). `Ok` means delivered.
    pub async fn deliver(&self, messages: &[String]) -> Result<(), TransportError> {
        let peer = self.resolve().await?;
        match &self.kind {
            SenderKind::Udp => self.send_datagrams(peer, messages).await,
            SenderKind::Tcp => {
                let tcp = self.connect_tcp(peer).await?;
                self.send_stream(tcp, messages).await
            }
            SenderKind::Tls {
                connector,
                server_name,
            } => {
                let tcp = self.connect_tcp(peer).await?;
                let tls = self
                    .connecting(connector.connect(server_name.clone(), tcp))
                    .await?;
                self.send_stream(tls, messages).await
            }
        }
    }

    async fn resolve(&self) -> Result<SocketAddr, TransportError> {
        tokio::net::lookup_host(&self.address)
            .await
            .map_err(|source| TransportError::Resolve {
                address: self.address.clone(),
                source,
            })?
            .next()
            .ok_or_else(|| TransportError::NoAddress {
                address: self.address.clone(),
            })
    }

    async fn connect_tcp(&self, peer: SocketAddr) -> Result<TcpStream, TransportError> {
        self.connecting(TcpStream::connect(peer)).await
    }

    /// A connection step (TCP connect, TLS handshake) within [`CONNECT_TIMEOUT`].
    async fn connecting<T>(
        &self,
        step: impl Future<Output = std::io::Result<T>>,
    ) -> Result<T, TransportError> {
        tokio::time::timeout(CONNECT_TIMEOUT, step)
            .await
            .map_err(|_| TransportError::ConnectTimeout {
                address: self.address.clone(),
            })?
            .map_err(|source| TransportError::Connect {
                address: self.address.clone(),
                source,
            })
    }

    /// Writes the frames, closes our side and waits for the receiver's close.
    async fn send_stream<S>(&self, mut stream: S, messages: &[String]) -> Result<(), TransportError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let send_error = |source| TransportError::Send {
            address: self.address.clone(),
            source,
        };
        let mut buffer = Vec::new();
        for message in messages {
            buffer.clear();
            frame(message, &mut buffer);
            stream.write_all(&buffer).await.map_err(send_error)?;
        }
        stream.flush().await.map_err(send_error)?;
        // TLS: close_notify, then FIN; TCP: FIN.
        stream.shutdown().await.map_err(send_error)?;
        let confirm = async {
            let mut discard = [0u8; 4096];
            let mut total = 0;
            loop {
                match stream.read(&mut discard).await {
                    Ok(0) => return Ok(()),
                    Ok(n) => {
                        total += n;
                        if total > MAX_DISCARD {
                            return Err(TransportError::Chatty {
                                address: self.address.clone(),
                            });
                        }
                    }
                    // The receiver closed the TCP connection without a TLS close_notify:
                    // it still read everything before our close, which is all we wait for.
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                    Err(source) => return Err(send_error(source)),
                }
            }
        };
        tokio::time::timeout(CONFIRM_TIMEOUT, confirm)
            .await
            .map_err(|_| TransportError::NoConfirmation {
                address: self.address.clone(),
            })?
    }

    async fn send_datagrams(
        &self,
        peer: SocketAddr,
        messages: &[String],
    ) -> Result<(), TransportError> {
        let send_error = |source| TransportError::Send {
            address: self.address.clone(),
            source,
        };
        let local: SocketAddr = if peer.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(local).await.map_err(send_error)?;
        socket.connect(peer).await.map_err(send_error)?;
        for message in messages {
            if message.len() > MAX_DATAGRAM {
                return Err(TransportError::TooLargeForUdp(message.len()));
            }
            socket.send(message.as_bytes()).await.map_err(send_error)?;
        }
        Ok(())
    }
}

/// RFC 5425 / RFC 6587 octet-counted framing: `MSG-LEN SP SYSLOG-MSG`.
pub fn frame(message: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(message.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(message.as_bytes());
}

/// The TLS server name of `host:port` (a DNS name or an IP address).
fn server_name(address: &str) -> Result<ServerName<'static>, TransportError> {
    let host = address
        .rsplit_once(':')
        .map(|(host, _)| host.trim_start_matches('[').trim_end_matches(']'))
        .filter(|host| !host.is_empty())
        .ok_or_else(|| TransportError::ServerName(address.to_owned()))?;
    ServerName::try_from(host.to_owned())
        .map_err(|_| TransportError::ServerName(address.to_owned()))
}

fn client_config(settings: &TlsSettings) -> Result<ClientConfig, TransportError> {
    let mut roots = RootCertStore::empty();
    for cert in read_certs(&settings.ca_file)? {
        roots.add(cert).map_err(|e| TransportError::Pem {
            path: settings.ca_file.clone(),
            reason: format!("not a usable CA certificate: {e}"),
        })?;
    }
    // An explicit provider: the process may link more than one rustls backend.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let config = match (&settings.client_cert_file, &settings.client_key_file) {
        (Some(cert_file), Some(key_file)) => {
            let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| pem_error(key_file, e))?;
            builder.with_client_auth_cert(read_certs(cert_file)?, key)?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(config)
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, e))?;
    if certs.is_empty() {
        return Err(TransportError::Pem {
            path: path.to_owned(),
            reason: "no PEM certificate in the file".to_owned(),
        });
    }
    Ok(certs)
}

fn pem_error(path: &Path, error: rustls::pki_types::pem::Error) -> TransportError {
    match error {
        rustls::pki_types::pem::Error::Io(source) => TransportError::ReadFile {
            path: path.to_owned(),
            source,
        },
        other => TransportError::Pem {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octet_counting_counts_bytes() {
        let mut out = Vec::new();
        frame("<14>1 - - - - - - é", &mut out);
        assert_eq!(out, "20 <14>1 - - - - - - é".as_bytes());
    }

    #[test]
    fn server_names_from_addresses() {
        assert!(server_name("siem.example:6514").is_ok());
        assert!(server_name("127.0.0.1:6514").is_ok());
        assert!(server_name("[::1]:6514").is_ok());
        assert!(server_name("6514").is_err());
        assert!(server_name(":6514").is_err());
    }

    #[test]
    fn missing_ca_file_is_named() {
        let settings = TlsSettings {
            ca_file: "/nonexistent/ca.pem".into(),
            client_cert_file: None,
            client_key_file: None,
        };
        let error =
            Sender::new("siem.example:6514", &Transport::Tls(settings)).expect_err("no CA file");
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
    }
}
