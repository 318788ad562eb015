//! The HTTPS path: the client against the emulator serving TLS (in-process,
//! `Config::tls`), trusting a private CA the way users do, through
//! `SSL_CERT_FILE` (read by rustls-platform-verifier via rustls-native-certs
//! when the client is built). Each refusal names which check failed, is not
//! retried, and nothing is ever sent over plain HTTP.
//!
//! `SSL_CERT_FILE` is process-wide: it is set once, before any HTTPS client
//! of this binary is built, to the test CA. The other client tests use
//! `http://` endpoints, for which the client loads no CA at all.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use terraform_provider_ecs::ecs::{
    codes, Client, ClientConfig, ErrorKind, RunInstancesRequest, Secret,
};
use terraform_provider_ecs::emulator::{self, tls::TlsSetting, Config, ServerHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const AK: &str = "tls-ak";
const SECRET: &str = "tls-secret";

/// Certificates signed by the trusted test CA, plus one from a CA nobody trusts.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn files(&self, name: &str) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{name}.crt")),
            self.dir.join(format!("{name}.key")),
        )
    }
}

fn leaf(
    names: &[&str],
    from: (i32, u8, u8),
    until: (i32, u8, u8),
    issuer: &CertifiedIssuer<'_, KeyPair>,
) -> (String, String) {
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    params.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let trusted = ca("trusted test CA");
        let stranger = ca("a CA nobody trusts");
        std::fs::write(dir.join("ca.pem"), trusted.pem()).unwrap();
        let here = ["localhost", "127.0.0.1"];
        let certs = [
            ("good", leaf(&here, (2024, 1, 1), (2100, 1, 1), &trusted)),
            ("expired", leaf(&here, (2020, 1, 1), (2021, 1, 1), &trusted)),
            (
                "wrong-host",
                leaf(
                    &["ecs.elsewhere.example"],
                    (2024, 1, 1),
                    (2100, 1, 1),
                    &trusted,
                ),
            ),
            (
                "unknown-ca",
                leaf(&here, (2024, 1, 1), (2100, 1, 1), &stranger),
            ),
        ];
        for (name, (cert, key)) in certs {
            std::fs::write(dir.join(format!("{name}.crt")), cert).unwrap();
            std::fs::write(dir.join(format!("{name}.key")), key).unwrap();
        }
        // Edition 2021: set_var is safe. Set before any HTTPS client exists.
        std::env::set_var("SSL_CERT_FILE", dir.join("ca.pem"));
        std::env::remove_var("SSL_CERT_DIR");
        Pki { dir }
    })
}

async fn tls_emulator(cert_name: &str) -> ServerHandle {
    let (cert, key) = pki().files(cert_name);
    emulator::start(Config {
        access_key_id: AK.into(),
        access_key_secret: SECRET.into(),
        transition: Duration::from_millis(20),
        cooldown: Duration::ZERO,
        tls: Some(TlsSetting::Files { cert, key }),
        classic_network: true,
        ..Config::default()
    })
    .await
    .expect("emulator serves TLS")
}

fn client(endpoint: String) -> Client {
    pki();
    let mut cfg = ClientConfig::new("cn-hangzhou", AK, Secret::new(SECRET));
    cfg.endpoint = Some(endpoint);
    cfg.max_retries = 3;
    cfg.read_timeout = Duration::from_secs(5);
    Client::new(cfg).expect("valid config")
}

fn web() -> RunInstancesRequest {
    RunInstancesRequest {
        security_group_ids: vec!["sg-emulator-test".into()],
        image_id: "aliyun_3_x64_20G_alibase_20240819.vhd".into(),
        instance_type: "ecs.g6.large".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_private_ca_named_by_ssl_cert_file_is_trusted() {
    let emu = tls_emulator("good").await;
    assert!(emu.url().starts_with("https://127.0.0.1:"), "{}", emu.url());
    for host in ["127.0.0.1", "localhost"] {
        let url = emu.url().replace("127.0.0.1", host);
        let client = client(url);
        let token = Client::new_client_token("RunInstances");
        let id = client
            .run_instances(&web(), &token)
            .await
            .expect("created over HTTPS");
        let seen = client
            .describe_instance(&id)
            .await
            .unwrap()
            .expect("listed");
        assert_eq!(seen.instance_type, "ecs.g6.large");
        assert_eq!(client.requests_sent(), 2, "no retry was needed");
    }
    emu.shutdown().await;
}

/// Each refused certificate: its own code and words, one attempt only.
#[tokio::test]
async fn refused_certificates_say_which_check_failed_and_are_not_retried() {
    let cases = [
        (
            "unknown-ca",
            codes::TLS_UNTRUSTED,
            "unknown certificate authority",
        ),
        ("expired", codes::TLS_EXPIRED, "expired"),
        (
            "wrong-host",
            codes::TLS_WRONG_HOST,
            "does not name the endpoint's host",
        ),
    ];
    for (cert, code, words) in cases {
        let emu = tls_emulator(cert).await;
        let client = client(emu.url());
        let err = client
            .run_instances(&web(), &Client::new_client_token("RunInstances"))
            .await
            .expect_err(cert);
        assert_eq!(err.code, code, "{cert}: {err}");
        assert_eq!(err.kind, ErrorKind::Transport, "{cert}");
        assert!(
            !err.is_retryable(),
            "{cert}: a certificate does not fix itself"
        );
        let text = err.to_string();
        assert!(text.contains(words), "{cert}: {text}");
        assert_eq!(client.requests_sent(), 1, "{cert}: tried once, never again");
        emu.shutdown().await;
    }
    let err = {
        let emu = tls_emulator("unknown-ca").await;
        let e = client(emu.url())
            .describe_instance("i-1")
            .await
            .unwrap_err();
        emu.shutdown().await;
        e
    };
    assert!(err.remedy().contains("SSL_CERT_FILE"), "{}", err.remedy());
}

/// A raw TCP server: records the first bytes of every connection, then
/// answers with `reply` (or closes).
async fn recorder(reply: Option<Vec<u8>>) -> (SocketAddr, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0u8; 512];
            let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or(0);
            log.lock().unwrap().push(buf[..n].to_vec());
            if let Some(r) = &reply {
                let _ = stream.write_all(r).await;
            }
        }
    });
    (addr, seen)
}

/// A port that speaks plain HTTP where TLS is expected (a proxy or a wrong
/// port): the handshake fails, is reported as such, and the request is not
/// sent again in the clear.
#[tokio::test]
async fn a_plain_http_answer_on_an_https_endpoint_is_a_handshake_failure_never_a_downgrade() {
    let (addr, seen) = recorder(Some(
        b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
    ))
    .await;
    let client = client(format!("https://{addr}"));
    let err = client.describe_instance("i-1").await.unwrap_err();
    assert_eq!(err.code, codes::TLS_HANDSHAKE, "{err}");
    assert!(!err.is_retryable());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one connection, no retry: {seen:?}");
    assert_eq!(
        seen[0].first(),
        Some(&0x16),
        "a TLS ClientHello, not plain HTTP"
    );
}

/// A server that closes during the handshake: the client sent a ClientHello
/// on every attempt and never a plain HTTP request.
#[tokio::test]
async fn a_handshake_cut_short_is_retried_over_tls_only() {
    let (addr, seen) = recorder(None).await;
    let client = client(format!("https://{addr}"));
    let err = client.describe_instance("i-1").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport, "{err}");
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    for first in seen.iter() {
        assert_eq!(first.first(), Some(&0x16), "every attempt is TLS: {seen:?}");
    }
}

/// An HTTPS endpoint answering with a redirect to plain HTTP: the redirect
/// is not followed (it would carry the signed request in the clear).
#[tokio::test]
async fn a_redirect_to_plain_http_is_not_followed() {
    let (plain, plain_seen) = recorder(None).await;
    let redirect = format!(
        "HTTP/1.1 301 Moved Permanently\r\nlocation: http://{plain}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    // The redirect comes over TLS: the emulator's TLS setup in front of a
    // raw handler.
    let (cert, key) = pki().files("good");
    let acceptor = tokio_rustls::TlsAcceptor::from(
        emulator::tls::server_config(&TlsSetting::Files { cert, key }).unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let redirect = redirect.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(stream).await {
                    let mut buf = vec![0u8; 4096];
                    let _ = tls.read(&mut buf).await;
                    let _ = tls.write_all(redirect.as_bytes()).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    let client = client(format!("https://{addr}"));
    let err = client.describe_instance("i-1").await.unwrap_err();
    assert_eq!(err.http_status, Some(301), "{err}");
    assert!(err.to_string().contains("redirect"), "{err}");
    assert!(!err.is_retryable());
    assert!(
        plain_seen.lock().unwrap().is_empty(),
        "nothing sent in the clear"
    );
}
