//! Listening: the socket Terraform connects to, and the stream of ready
//! connections (TLS handshake done, when AutoMTLS is on) that tonic serves.
//!
//! TLS handshakes run in their own tasks, so a slow or hostile client never
//! holds up the accept loop; a failed handshake is logged and dropped.

use super::handshake::Transport;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

/// The socket's name in its private directory.
const SOCKET_NAME: &str = "plugin";

/// The longest socket path every unix accepts: `sun_path` holds 104 bytes on
/// macOS and the BSDs (108 on Linux), including the terminating NUL.
const MAX_SOCKET_PATH: usize = 103;

/// How long a client may take to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound listener and how to tell Terraform about it.
pub(crate) struct Endpoint {
    listener: Listener,
    /// `unix` or `tcp`, as the handshake line spells it.
    pub(crate) network: &'static str,
    pub(crate) address: String,
    /// Removed (with the socket) when the endpoint is dropped.
    _dir: Option<PrivateDir>,
}

enum Listener {
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
    Tcp(TcpListener),
}

impl Endpoint {
    /// Binds as `transport` says.
    ///
    /// # Errors
    /// When no socket can be created (no temp dir, no free port, ...).
    pub(crate) async fn bind(transport: &Transport) -> io::Result<Endpoint> {
        match transport {
            #[cfg(unix)]
            Transport::Unix { socket_dir } => {
                let base = socket_dir.clone().unwrap_or_else(std::env::temp_dir);
                let dir = PrivateDir::create(&base)?;
                let path = dir.path().join(SOCKET_NAME);
                check_socket_path(&path)?;
                let listener = tokio::net::UnixListener::bind(&path)?;
                // The directory already keeps others out; the socket itself is
                // owner-only too (bind applies the umask, typically 0755).
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
                }
                Ok(Endpoint {
                    listener: Listener::Unix(listener),
                    network: "unix",
                    address: path.display().to_string(),
                    _dir: Some(dir),
                })
            }
            #[cfg(not(unix))]
            Transport::Unix { .. } => Box::pin(Endpoint::bind(&Transport::Tcp(None))).await,
            Transport::Tcp(range) => {
                let listener = bind_tcp(*range).await?;
                Ok(Endpoint {
                    address: listener.local_addr()?.to_string(),
                    listener: Listener::Tcp(listener),
                    network: "tcp",
                    _dir: None,
                })
            }
        }
    }

    /// Accepts connections until `shutdown`, yielding them once ready: at
    /// once in plaintext, after a successful handshake with TLS. The accept
    /// task owns the socket (and its directory), removed when it ends.
    pub(crate) fn incoming(
        self,
        tls: Option<Arc<rustls::ServerConfig>>,
        shutdown: CancellationToken,
    ) -> ReceiverStream<io::Result<Conn>> {
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        tokio::spawn(async move {
            let Endpoint { listener, _dir, .. } = self;
            loop {
                let accepted = tokio::select! {
                    () = shutdown.cancelled() => break,
                    accepted = listener.accept() => accepted,
                };
                let io = match accepted {
                    Ok(io) => io,
                    Err(err) => {
                        // Usually out of file descriptors: back off briefly.
                        tracing::warn!(error = %err, "Cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Some(acceptor) = acceptor.clone() else {
                    if tx.send(Ok(Conn(io))).await.is_err() {
                        break;
                    }
                    continue;
                };
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send(Ok(Conn(Box::new(stream)))).await;
                        }
                        Ok(Err(err)) => tracing::warn!(error = %err, "Refused a TLS connection"),
                        Err(_) => tracing::warn!(
                            "Dropped a connection that did not finish its TLS handshake"
                        ),
                    }
                });
            }
        });
        ReceiverStream::new(rx)
    }
}

impl Listener {
    async fn accept(&self) -> io::Result<Box<dyn Io>> {
        match self {
            #[cfg(unix)]
            Listener::Unix(l) => Ok(Box::new(l.accept().await?.0)),
            Listener::Tcp(l) => {
                let (stream, _) = l.accept().await?;
                stream.set_nodelay(true)?;
                Ok(Box::new(stream))
            }
        }
    }
}

/// Binds 127.0.0.1 on the first free port of `range` (go-plugin's order),
/// or on any port.
async fn bind_tcp(range: Option<(u16, u16)>) -> io::Result<TcpListener> {
    let Some((min, max)) = range else {
        return TcpListener::bind(("127.0.0.1", 0)).await;
    };
    for port in min..=max {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return Ok(listener);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!("no free port between PLUGIN_MIN_PORT={min} and PLUGIN_MAX_PORT={max}"),
    ))
}

/// Refuses a socket path too long for `bind(2)` on some unix, with what to do
/// about it, instead of a bare "path too long" (or a truncated path on macOS).
fn check_socket_path(path: &Path) -> io::Result<()> {
    let len = path.as_os_str().len();
    if len <= MAX_SOCKET_PATH {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "the socket path {} is {len} bytes, more than the {MAX_SOCKET_PATH} unix sockets \
             allow; set {} (or TMPDIR) to a shorter directory",
            path.display(),
            super::handshake::SOCKET_DIR_ENV
        ),
    ))
}

/// A fresh directory only this user can enter, holding the socket. Its name is
/// short (`tfecs-` and 8 hex digits), since socket paths are limited.
struct PrivateDir(PathBuf);

impl PrivateDir {
    #[cfg(unix)]
    fn create(base: &Path) -> io::Result<PrivateDir> {
        use std::os::unix::fs::DirBuilderExt;
        let mut last_err = None;
        for _ in 0..8 {
            let name = format!("tfecs-{:08x}", rand::random::<u32>());
            let path = base.join(name);
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(PrivateDir(path)),
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("cannot create a socket directory")))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Any byte stream a connection can be: plain or TLS, unix or TCP.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// One ready connection, as tonic wants it.
pub(crate) struct Conn(Box<dyn Io>);

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_shutdown(cx)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn unix_socket_lives_in_a_private_dir_removed_on_drop() {
        let endpoint = Endpoint::bind(&Transport::Unix { socket_dir: None })
            .await
            .unwrap();
        assert_eq!(endpoint.network, "unix");
        let socket = PathBuf::from(&endpoint.address);
        let dir = socket.parent().unwrap().to_path_buf();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(socket.exists());
        let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the socket is owner-only");
        drop(endpoint);
        assert!(!dir.exists());
    }

    #[tokio::test]
    async fn unix_socket_goes_into_the_requested_dir_with_a_short_path() {
        let base = tempfile::tempdir().unwrap();
        let transport = Transport::Unix {
            socket_dir: Some(base.path().to_path_buf()),
        };
        let endpoint = Endpoint::bind(&transport).await.unwrap();
        let socket = PathBuf::from(&endpoint.address);
        assert_eq!(socket.parent().unwrap().parent().unwrap(), base.path());
        let added = socket.as_os_str().len() - base.path().as_os_str().len();
        assert!(added <= 22, "{} adds {added} bytes", socket.display());
    }

    #[tokio::test]
    async fn a_socket_path_too_long_for_macos_is_refused_with_advice() {
        let base = tempfile::tempdir().unwrap();
        let long = base.path().join("d".repeat(100));
        std::fs::create_dir(&long).unwrap();
        let transport = Transport::Unix {
            socket_dir: Some(long),
        };
        let err = Endpoint::bind(&transport).await.err().expect("refused");
        let text = err.to_string();
        assert!(text.contains("PLUGIN_UNIX_SOCKET_DIR"), "{text}");
        assert!(text.contains("103"), "{text}");
    }

    #[tokio::test]
    async fn tcp_binds_loopback_within_the_range() {
        let endpoint = Endpoint::bind(&Transport::Tcp(Some((20000, 20100))))
            .await
            .unwrap();
        assert_eq!(endpoint.network, "tcp");
        let addr: std::net::SocketAddr = endpoint.address.parse().unwrap();
        assert!(addr.ip().is_loopback());
        assert!((20000..=20100).contains(&addr.port()));
    }

    #[tokio::test]
    async fn plaintext_connections_flow_until_shutdown() {
        let endpoint = Endpoint::bind(&Transport::Unix { socket_dir: None })
            .await
            .unwrap();
        let shutdown = CancellationToken::new();
        let address = endpoint.address.clone();
        let mut incoming = endpoint.incoming(None, shutdown.clone());
        let _client = tokio::net::UnixStream::connect(&address).await.unwrap();
        use tokio_stream::StreamExt;
        assert!(incoming.next().await.unwrap().is_ok());
        shutdown.cancel();
        assert!(
            incoming.next().await.is_none(),
            "the stream ends on shutdown"
        );
        let dir = PathBuf::from(&address).parent().unwrap().to_path_buf();
        assert!(
            !dir.exists(),
            "the socket directory goes with the accept task"
        );
    }
}
