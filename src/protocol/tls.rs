//! AutoMTLS: the mutual TLS that Terraform's plugin client sets up.
//!
//! Terraform generates an ephemeral client certificate per plugin process
//! and passes it in `PLUGIN_CLIENT_CERT` (PEM). We generate an ephemeral
//! server certificate, print it in the handshake line, and accept only TLS
//! connections that present exactly Terraform's certificate.
//!
//! Why pinning rather than a CA store: Terraform's certificate is
//! self-signed with `IsCA` set, and webpki rightly refuses a CA certificate
//! as an end entity. The certificate bytes are the whole trust decision, so
//! the verifier compares them exactly, then still checks each handshake
//! signature against the certificate's key, proving the peer holds it.
//!
//! The crypto provider is aws-lc-rs: Terraform's key is ECDSA P-521, which
//! the ring provider cannot verify (Go clients then send no certificate).

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName as TlsName, SignatureScheme,
};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A TLS setup failure; the handshake cannot proceed.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT holds no PEM certificate: {0}")]
    ClientCert(String),
    #[error("cannot generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The server side of AutoMTLS.
pub(crate) struct AutoTls {
    pub(crate) config: Arc<rustls::ServerConfig>,
    /// The server certificate (DER), printed in the handshake line.
    pub(crate) cert: CertificateDer<'static>,
}

pub(crate) fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Builds the TLS server configuration for Terraform's client certificate.
///
/// # Errors
/// When `client_cert_pem` holds no certificate, or rustls refuses the setup.
pub(crate) fn auto_mtls(client_cert_pem: &str) -> Result<AutoTls, TlsError> {
    let client_cert = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| TlsError::ClientCert(e.to_string()))?;
    let (cert, key) = server_certificate()?;
    let provider = crypto_provider();
    let verifier = PinnedClientCert {
        cert: client_cert,
        algorithms: provider.signature_verification_algorithms,
    };
    // The key is known to be Ed25519 and to match the certificate: parse it
    // as such once (`with_single_cert` would try the ECDSA parsers first and
    // re-derive the public key to compare, both start-up time).
    let key = rustls::crypto::aws_lc_rs::sign::any_eddsa_type(&key)?;
    let certified = rustls::sign::CertifiedKey::new(vec![cert.clone()], key);
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
    // grpc-go ≥1.67 (Terraform ≥1.12) refuses a connection without ALPN h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(AutoTls {
        config: Arc::new(config),
        cert,
    })
}

/// An ephemeral server certificate: Ed25519, SAN `localhost` (Go ignores
/// the CN), serverAuth, a random positive serial, valid from a minute ago for
/// one year.
///
/// Why Ed25519: Terraform pays for this certificate on every start of the
/// provider. An ECDSA P-256 key costs a point multiplication to generate,
/// another each time it is parsed (rcgen and rustls each check it) and a
/// third per signature, about two thirds of our start-up CPU. Ed25519 does
/// the same for a small fraction, and every Go release Terraform has been
/// built with (Go ≥ 1.13) verifies it, in TLS 1.2 and 1.3.
fn server_certificate() -> Result<(CertificateDer<'static>, PrivatePkcs8KeyDer<'static>), TlsError>
{
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "localhost");
    name.push(DnType::OrganizationName, "terraform-provider-ecs");
    params.distinguished_name = name;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let mut serial: [u8; 16] = rand::random();
    serial[0] = (serial[0] & 0x7f) | 0x01; // positive, and no leading zero byte
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + now.saturating_sub(Duration::from_secs(60));
    params.not_after = epoch + now + Duration::from_secs(365 * 24 * 3600);
    let cert = params.self_signed(&key)?;
    Ok((
        cert.der().clone(),
        PrivatePkcs8KeyDer::from(key.serialize_der()),
    ))
}

/// Requires a client certificate, and accepts exactly one.
#[derive(Debug)]
struct PinnedClientCert {
    cert: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    /// No CA names: Go's client then offers its only certificate.
    fn root_hint_subjects(&self) -> &[TlsName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            tracing::warn!(
                "Refused a TLS client whose certificate is not the one Terraform passed"
            );
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_certificate_is_localhost_with_positive_serial() {
        let (cert, _) = server_certificate().unwrap();
        let der = cert.as_ref();
        // "localhost" appears in both the CN and the SAN.
        let hits = der.windows(9).filter(|w| *w == b"localhost").count();
        assert!(hits >= 2, "expected CN and SAN localhost, found {hits}");
        // The serial INTEGER follows the explicit version field `a0 03 02 01 02`.
        let version = [0xa0, 0x03, 0x02, 0x01, 0x02];
        let at = der.windows(5).position(|w| w == version).unwrap() + 5;
        assert_eq!((der[at], der[at + 1]), (0x02, 16), "a 16-byte INTEGER");
        assert!(
            der[at + 2] < 0x80 && der[at + 2] != 0,
            "serial must be positive"
        );
    }

    #[test]
    fn rejects_a_client_cert_that_is_not_pem() {
        assert!(matches!(auto_mtls("garbage"), Err(TlsError::ClientCert(_))));
    }

    #[test]
    fn verifier_requires_and_pins_the_certificate() {
        let (pinned, _) = server_certificate().unwrap();
        let (other, _) = server_certificate().unwrap();
        let verifier = PinnedClientCert {
            cert: pinned.clone(),
            algorithms: crypto_provider().signature_verification_algorithms,
        };
        assert!(verifier.client_auth_mandatory());
        let now = UnixTime::now();
        assert!(verifier.verify_client_cert(&pinned, &[], now).is_ok());
        assert!(verifier.verify_client_cert(&other, &[], now).is_err());
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }
}
