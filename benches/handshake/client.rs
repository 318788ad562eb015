//! A Terraform-like plugin client: launches a provider binary the way
//! Terraform's go-plugin client does and connects to it the same way.
//!
//! Shared by `tests/protocol_client.rs` (via `#[path]`) and the handshake
//! benchmark, so both exercise exactly what Terraform does:
//! - the environment: magic cookie, `PLUGIN_PROTOCOL_VERSIONS=6,5`, and an
//!   ephemeral ECDSA P-521 client certificate in `PLUGIN_CLIENT_CERT`
//!   (CN/SAN localhost, IsCA, clientAuth+serverAuth, as go-plugin makes it);
//! - the handshake line on stdout;
//! - TLS with that client certificate, ServerName `localhost`, trusting only
//!   the printed certificate, ALPN `h2`; then gRPC over it.
#![allow(dead_code)] // each includer uses a different part

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use tokio::process::{Child, ChildStdout, Command};

pub mod tfplugin5 {
    tonic::include_proto!("tfplugin5");
}

pub mod plugin {
    tonic::include_proto!("plugin");
}

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Terraform's side of AutoMTLS: a fresh certificate per plugin process.
pub struct ClientCert {
    pub pem: String,
    pub der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl ClientCert {
    /// Made as go-plugin makes it (mtls.go): ECDSA P-521, CN and SAN
    /// localhost, O HashiCorp, IsCA, clientAuth+serverAuth, valid from 30 s
    /// ago for 262980 hours.
    pub fn generate() -> ClientCert {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose as Eku, IsCa,
            KeyPair, KeyUsagePurpose as Ku,
        };
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "HashiCorp");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            Ku::DigitalSignature,
            Ku::KeyEncipherment,
            Ku::KeyAgreement,
            Ku::KeyCertSign,
        ];
        params.extended_key_usages = vec![Eku::ClientAuth, Eku::ServerAuth];
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let epoch = rcgen::date_time_ymd(1970, 1, 1);
        params.not_before = epoch + (now - Duration::from_secs(30));
        params.not_after = epoch + now + Duration::from_secs(262_980 * 3600);
        let cert = params.self_signed(&key).expect("self-signed certificate");
        ClientCert {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// The parsed handshake line `1|5|unix|PATH|grpc|CERT`.
#[derive(Clone, Debug)]
pub struct Handshake {
    pub line: String,
    pub core_version: String,
    pub protocol_version: String,
    pub network: String,
    pub address: String,
    pub protocol: String,
    /// The server certificate (DER), when one was printed.
    pub cert: Option<Vec<u8>>,
}

impl Handshake {
    pub fn parse(line: &str) -> Result<Handshake, String> {
        use base64::Engine;
        let parts: Vec<&str> = line.trim_end_matches('\n').split('|').collect();
        let [core, proto, network, address, protocol, cert] = parts[..] else {
            return Err(format!("expected 6 fields: {line:?}"));
        };
        let cert = if cert.is_empty() {
            None
        } else {
            // go-plugin's encoding: standard alphabet, no padding.
            Some(
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(cert)
                    .map_err(|e| format!("certificate is not unpadded base64: {e}"))?,
            )
        };
        Ok(Handshake {
            line: line.to_string(),
            core_version: core.into(),
            protocol_version: proto.into(),
            network: network.into(),
            address: address.into(),
            protocol: protocol.into(),
            cert,
        })
    }
}

/// A started plugin that has printed its handshake.
pub struct Launched {
    pub child: Child,
    pub handshake: Handshake,
    /// The rest of stdout (must stay empty).
    pub stdout: BufReader<ChildStdout>,
}

/// Starts `binary` as Terraform would, and reads its handshake line.
pub async fn launch(
    binary: &Path,
    client_cert: Option<&ClientCert>,
    extra_env: &[(&str, &str)],
    stderr: Stdio,
) -> io::Result<Launched> {
    let mut command = Command::new(binary);
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6,5")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true);
    if let Some(cert) = client_cert {
        command.env("PLUGIN_CLIENT_CERT", &cert.pem);
    }
    for (key, value) in extra_env {
        command.env(key, value);
    }
    let mut child = command.spawn()?;
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut line)).await;
    match read {
        Ok(Ok(n)) if n > 0 => {}
        Ok(Ok(_)) => {
            return Err(io::Error::other(
                "plugin exited before printing its handshake",
            ))
        }
        Ok(Err(err)) => return Err(err),
        Err(_) => return Err(io::Error::other("no handshake line within 30 s")),
    }
    let handshake = Handshake::parse(line.trim_end()).map_err(io::Error::other)?;
    Ok(Launched {
        child,
        handshake,
        stdout,
    })
}

/// How the client decides to trust the server's certificate.
#[derive(Clone, Copy, Debug)]
pub enum Trust {
    /// A root store holding only the printed certificate, with webpki's full
    /// checks (name `localhost`, serverAuth, validity): what Go's verifier
    /// asks of a certificate that is not a CA.
    WebPki,
    /// The exact printed certificate. Needed for go-plugin servers, whose
    /// certificate is a CA, which webpki refuses as an end entity.
    Pinned,
}

pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

fn crypto() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn tls_config(
    handshake: &Handshake,
    client_cert: Option<&ClientCert>,
    trust: Trust,
) -> io::Result<rustls::ClientConfig> {
    let server_cert = CertificateDer::from(
        handshake
            .cert
            .clone()
            .ok_or_else(|| io::Error::other("no certificate in the handshake"))?,
    );
    let builder = rustls::ClientConfig::builder_with_provider(crypto())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?;
    let builder = match trust {
        Trust::WebPki => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(server_cert).map_err(io::Error::other)?;
            builder.with_root_certificates(roots)
        }
        Trust::Pinned => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedServer {
                cert: PinSlot::Now(server_cert),
                crypto: crypto(),
            })),
    };
    let mut config = match client_cert {
        Some(cert) => builder
            .with_client_auth_cert(vec![cert.der.clone()], cert.key.clone_key())
            .map_err(io::Error::other)?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Opens the transport the handshake names.
pub async fn connect_raw(handshake: &Handshake) -> io::Result<Box<dyn Io>> {
    match handshake.network.as_str() {
        "unix" => Ok(Box::new(
            tokio::net::UnixStream::connect(&handshake.address).await?,
        )),
        "tcp" => Ok(Box::new(
            tokio::net::TcpStream::connect(&handshake.address).await?,
        )),
        other => Err(io::Error::other(format!("unknown network {other:?}"))),
    }
}

/// Connects and completes the TLS handshake (client side).
pub async fn connect_tls(
    handshake: &Handshake,
    client_cert: Option<&ClientCert>,
    trust: Trust,
) -> io::Result<Box<dyn Io>> {
    let config = tls_config(handshake, client_cert, trust)?;
    let stream = connect_raw(handshake).await?;
    let name = ServerName::try_from("localhost").expect("valid name");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await?;
    Ok(Box::new(tls))
}

/// A gRPC channel to the plugin: TLS when the handshake printed a
/// certificate, plaintext HTTP/2 otherwise.
pub async fn channel(
    handshake: &Handshake,
    client_cert: Option<&ClientCert>,
    trust: Trust,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let connector = Connector {
        handshake: Arc::new(handshake.clone()),
        client_cert: client_cert.map(|c| {
            Arc::new(ClientCert {
                pem: c.pem.clone(),
                der: c.der.clone(),
                key: c.key.clone_key(),
            })
        }),
        trust,
    };
    tonic::transport::Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(10))
        .connect_with_connector(connector)
        .await
}

#[derive(Clone)]
struct Connector {
    handshake: Arc<Handshake>,
    client_cert: Option<Arc<ClientCert>>,
    trust: Trust,
}

impl tonic::codegen::Service<http::Uri> for Connector {
    type Response = hyper_util::rt::TokioIo<Box<dyn Io>>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let io = if this.handshake.cert.is_some() {
                connect_tls(&this.handshake, this.client_cert.as_deref(), this.trust).await?
            } else {
                connect_raw(&this.handshake).await?
            };
            Ok(hyper_util::rt::TokioIo::new(io))
        })
    }
}

/// A TLS client prepared before the plugin starts, as go-plugin prepares
/// its configuration (and key) before spawning: only the server certificate
/// to pin is filled in once the handshake line is read.
pub struct PreparedTls {
    config: Arc<rustls::ClientConfig>,
    server_cert: Arc<std::sync::Mutex<Option<CertificateDer<'static>>>>,
}

impl PreparedTls {
    pub fn new(client_cert: &ClientCert) -> io::Result<PreparedTls> {
        let server_cert = Arc::new(std::sync::Mutex::new(None));
        let verifier = PinnedServer {
            cert: PinSlot::Later(server_cert.clone()),
            crypto: crypto(),
        };
        let mut config = rustls::ClientConfig::builder_with_provider(crypto())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_client_auth_cert(vec![client_cert.der.clone()], client_cert.key.clone_key())
            .map_err(io::Error::other)?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(PreparedTls {
            config: Arc::new(config),
            server_cert,
        })
    }

    /// Connects to the plugin that printed `handshake`, trusting exactly
    /// its certificate, and completes the TLS handshake.
    pub async fn connect(&self, handshake: &Handshake) -> io::Result<Box<dyn Io>> {
        let der = handshake
            .cert
            .clone()
            .ok_or_else(|| io::Error::other("no certificate in the handshake"))?;
        *self.server_cert.lock().unwrap() = Some(CertificateDer::from(der));
        let stream = connect_raw(handshake).await?;
        let name = ServerName::try_from("localhost").expect("valid name");
        let connector = tokio_rustls::TlsConnector::from(self.config.clone());
        Ok(Box::new(connector.connect(name, stream).await?))
    }
}

#[derive(Debug)]
enum PinSlot {
    Now(CertificateDer<'static>),
    Later(Arc<std::sync::Mutex<Option<CertificateDer<'static>>>>),
}

/// Trusts exactly one server certificate, and checks the handshake
/// signatures against its key.
#[derive(Debug)]
struct PinnedServer {
    cert: PinSlot,
    crypto: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let pinned = match &self.cert {
            PinSlot::Now(cert) => end_entity.as_ref() == cert.as_ref(),
            PinSlot::Later(slot) => slot
                .lock()
                .unwrap()
                .as_ref()
                .is_some_and(|cert| end_entity.as_ref() == cert.as_ref()),
        };
        if pinned {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.crypto.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.crypto.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.crypto
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Asks the plugin to exit, as Terraform does when it closes a provider.
pub async fn shutdown(channel: tonic::transport::Channel) -> Result<(), tonic::Status> {
    plugin::grpc_controller_client::GrpcControllerClient::new(channel)
        .shutdown(plugin::Empty {})
        .await
        .map(|_| ())
}

/// The resident set size of a process, in KiB (Linux).
pub fn vm_rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// The anonymous part of the resident set (heap, stacks): what the process
/// allocated, as opposed to the pages of its executable and libraries.
pub fn rss_anon_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "RssAnon:")
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A gRPC channel over an already-connected stream (used once).
pub async fn channel_over(
    io: Box<dyn Io>,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let slot = Arc::new(std::sync::Mutex::new(Some(io)));
    let connector = OneShot(slot);
    tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await
}

#[derive(Clone)]
struct OneShot(Arc<std::sync::Mutex<Option<Box<dyn Io>>>>);

impl tonic::codegen::Service<http::Uri> for OneShot {
    type Response = hyper_util::rt::TokioIo<Box<dyn Io>>;
    type Error = io::Error;
    type Future = std::future::Ready<io::Result<Self::Response>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let io = self.0.lock().unwrap().take();
        std::future::ready(
            io.map(hyper_util::rt::TokioIo::new)
                .ok_or_else(|| io::Error::other("connection already used")),
        )
    }
}
