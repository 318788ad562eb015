//! HTTPS for the emulator (`--tls`), so tests and users' CI exercise the
//! path real use takes: TLS to an endpoint whose certificate the client
//! must verify.
//!
//! Two sources of certificate:
//! - generated at start: a private CA (ECDSA P-256, valid until 2100) whose
//!   PEM is written to a file the user points clients at (`SSL_CERT_FILE`),
//!   and a server certificate it signs for `localhost`, `127.0.0.1`, `::1`
//!   and any extra `--tls-name`;
//! - given files: a PEM chain and a PEM private key (e.g. to serve an
//!   expired certificate, or one for another host name, in tests).
//!
//! HTTP/1.1 only (ALPN `http/1.1`), like the plain listener.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::state::EmulatorError;

/// Where the emulator's TLS certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSetting {
    /// Generate a CA and a server certificate at start; write the CA's PEM
    /// to `ca_out`. `names` are extra DNS names or IP addresses for the
    /// server certificate, besides `localhost`, `127.0.0.1` and `::1`.
    Generate { ca_out: PathBuf, names: Vec<String> },
    /// Serve this PEM certificate chain (leaf first) and PEM private key.
    Files { cert: PathBuf, key: PathBuf },
}

/// A CA and a server certificate it signed, both PEM.
pub struct GeneratedTls {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

/// Generates a private CA and a server certificate for `names` (DNS names
/// or IP addresses) signed by it.
///
/// # Errors
/// When rcgen refuses a name.
pub fn generate(names: &[String]) -> Result<GeneratedTls, rcgen::Error> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "ecs-emulator local CA");
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = rcgen::date_time_ymd(2024, 1, 1);
    ca.not_after = rcgen::date_time_ymd(2100, 1, 1);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;

    let mut leaf = CertificateParams::new(names.to_vec())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "ecs-emulator");
    leaf.distinguished_name = dn;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = rcgen::date_time_ymd(2024, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(2100, 1, 1);
    let key = KeyPair::generate()?;
    let cert = leaf.signed_by(&key, &ca)?;
    Ok(GeneratedTls {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// The names every generated server certificate holds.
pub fn default_names() -> Vec<String> {
    ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec()
}

/// Builds the rustls server configuration for `setting`; for `Generate`,
/// writes the CA's PEM to `ca_out` first.
///
/// # Errors
/// Unreadable or invalid files, or a CA file that cannot be written.
pub fn server_config(setting: &TlsSetting) -> Result<Arc<rustls::ServerConfig>, EmulatorError> {
    let (chain, key) = match setting {
        TlsSetting::Generate { ca_out, names } => {
            let mut all = default_names();
            all.extend(names.iter().cloned());
            let generated = generate(&all).map_err(|e| tls_err(format!("generating: {e}")))?;
            std::fs::write(ca_out, &generated.ca_pem).map_err(|e| {
                tls_err(format!("cannot write the CA to {}: {e}", ca_out.display()))
            })?;
            tracing::info!(ca = %ca_out.display(), "TLS: generated a CA; clients trust it with SSL_CERT_FILE={}", ca_out.display());
            parse(
                generated.cert_pem.as_bytes(),
                generated.key_pem.as_bytes(),
                Path::new("<generated>"),
            )?
        }
        TlsSetting::Files { cert, key } => {
            let c = std::fs::read(cert).map_err(|e| tls_err(format!("{}: {e}", cert.display())))?;
            let k = std::fs::read(key).map_err(|e| tls_err(format!("{}: {e}", key.display())))?;
            parse(&c, &k, cert)?
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| tls_err(format!("certificate and key do not match: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn parse(
    cert: &[u8],
    key: &[u8],
    origin: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), EmulatorError> {
    let chain = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_err(format!("{}: {e}", origin.display())))?;
    if chain.is_empty() {
        return Err(tls_err(format!("{}: no PEM certificate", origin.display())));
    }
    let key =
        PrivateKeyDer::from_pem_slice(key).map_err(|e| tls_err(format!("private key: {e}")))?;
    Ok((chain, key))
}

fn tls_err(message: String) -> EmulatorError {
    EmulatorError::Config(format!("TLS: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ca_is_written_and_the_config_builds() {
        let dir = tempfile::tempdir().unwrap();
        let ca_out = dir.path().join("ca.pem");
        let setting = TlsSetting::Generate {
            ca_out: ca_out.clone(),
            names: vec!["ecs.test".into()],
        };
        let config = server_config(&setting).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        let pem = std::fs::read_to_string(&ca_out).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    }

    #[test]
    fn unreadable_files_name_the_file() {
        let setting = TlsSetting::Files {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
        };
        let e = server_config(&setting).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/cert.pem"), "{e}");
    }
}
