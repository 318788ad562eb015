//! One HTTP attempt: sign, send, read, and turn the answer into bytes or a
//! typed [`Error`]. No retries here; [`super::retry`] decides about those.
//!
//! Logging: DEBUG gets one line per attempt (action, attempt, status,
//! RequestId, time); TRACE adds the redacted request and the response body.
//! The URL itself is never logged: with V1 it holds the security token.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use url::Url;

use super::codes;
use super::config::{ClientConfig, SignatureVersion};
use super::credentials::CredentialProvider;
use super::error::{Error, ErrorKind, Result};
use super::request::{self, Call, Credentials, Method, Stamp};
use super::wire::ErrorBody;

pub struct Transport {
    http: reqwest::Client,
    endpoint: Url,
    version: SignatureVersion,
    credentials: CredentialProvider,
    sent: AtomicU64,
}

impl Transport {
    pub fn new(cfg: &ClientConfig) -> Result<Transport> {
        cfg.validate()?;
        let endpoint = cfg.endpoint_url()?;
        let https = endpoint.scheme() == "https";
        // ECS never redirects. Following one could send the signed request
        // (with V1, the signature and security token in the URL) elsewhere,
        // or over plain HTTP: refuse them, and for an https:// endpoint let
        // no request leave over anything but HTTPS.
        let mut builder = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .read_timeout(cfg.read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(https)
            .user_agent(concat!(
                "terraform-provider-ecs/",
                env!("CARGO_PKG_VERSION")
            ));
        if !https {
            // A plain http:// endpoint (the emulator on loopback) never uses
            // TLS: skip loading the system's CA store, which may be absent
            // in a minimal CI image.
            builder = builder.tls_certs_only(Vec::new());
        }
        let http = builder.build().map_err(|e| {
            // The roots come from the system store, or from SSL_CERT_FILE /
            // SSL_CERT_DIR when set (rustls-platform-verifier on Linux).
            let mut message = format!("cannot build the HTTP client: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            if message.contains("CA certificates") {
                message.push_str(
                    "; install the system's CA certificates, or set SSL_CERT_FILE to a PEM bundle",
                );
            }
            Error::local(
                ErrorKind::Other,
                "Configure",
                codes::INVALID_CONFIG,
                message,
            )
        })?;
        Ok(Transport {
            http,
            endpoint,
            version: cfg.signature_version,
            credentials: cfg.credentials.clone(),
            sent: AtomicU64::new(0),
        })
    }

    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Sends one freshly signed attempt of `call`; returns the 2xx body.
    pub async fn send(&self, call: &Call, attempt: u32) -> Result<Vec<u8>> {
        // Taken now, at signing time: a call that waited (a cooldown, a
        // rolling slot, a backoff) never signs with credentials that
        // expired meanwhile.
        let current = self
            .credentials
            .current()
            .await
            .map_err(|e| unsigned(call.action, e))?;
        let creds = Credentials {
            access_key_id: &current.access_key_id,
            secret: &current.secret,
            security_token: current.security_token.as_ref(),
        };
        let prepared =
            request::prepare(&self.endpoint, self.version, &creds, call, &Stamp::fresh());
        tracing::trace!(action = call.action, attempt, request = %prepared.redacted, "ecs request");
        let mut builder = match prepared.method {
            Method::Get => self.http.get(&prepared.url),
            Method::Post => self.http.post(&prepared.url),
        };
        for (k, v) in &prepared.headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = prepared.body {
            builder = builder.body(body);
        }
        let started = Instant::now();
        self.sent.fetch_add(1, Ordering::Relaxed);
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(call.action, &e))?;
        let status = response.status().as_u16();
        let header_request_id = response
            .headers()
            .get("x-acs-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_error(call.action, &e))?
            .to_vec();
        tracing::trace!(
            action = call.action,
            status,
            body = %String::from_utf8_lossy(&body),
            "ecs response"
        );
        if (200..300).contains(&status) {
            let elapsed_ms = started.elapsed().as_millis() as u64;
            // Reads have no ClientToken: no empty (or redacted) field for them.
            match call.client_token() {
                Some(token) => tracing::debug!(
                    action = call.action,
                    attempt,
                    status,
                    client_token = token,
                    elapsed_ms,
                    "ecs call ok"
                ),
                None => tracing::debug!(
                    action = call.action,
                    attempt,
                    status,
                    elapsed_ms,
                    "ecs call ok"
                ),
            }
            return Ok(body);
        }
        let err = api_error(call.action, status, &body, header_request_id);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let request_id = err.request_id.as_deref().unwrap_or("");
        match call.client_token() {
            Some(token) => {
                tracing::debug!(action = call.action, attempt, status, code = %err.code, client_token = token, request_id, elapsed_ms, "ecs call failed")
            }
            None => {
                tracing::debug!(action = call.action, attempt, status, code = %err.code, request_id, elapsed_ms, "ecs call failed")
            }
        }
        Err(err)
    }
}

/// A call that could not be signed because its credential source failed:
/// the source's error (which names it and the setting to fix) as this
/// call's, retried when the source's failure may pass.
fn unsigned(action: &str, e: Error) -> Error {
    let code = if e.is_retryable() {
        codes::CREDENTIALS_UNAVAILABLE
    } else {
        codes::CREDENTIALS_REFUSED
    };
    let inner = if e.code.is_empty() || e.http_status.is_none() {
        String::new()
    } else {
        format!(" [{} {}]", e.action, e.code)
    };
    // The fix goes into the message: callers that print the table's
    // remedy rather than the hint still show it.
    let fix = e
        .hint
        .as_deref()
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    let mut out = Error::local(
        ErrorKind::Auth,
        action,
        code,
        format!("the request could not be signed: {}{inner}{fix}", e.message),
    );
    out.request_id = e.request_id;
    out
}

/// The typed error for a non-2xx answer.
pub fn api_error(
    action: &str,
    status: u16,
    body: &[u8],
    header_request_id: Option<String>,
) -> Error {
    if (300..400).contains(&status) {
        return Error::api(
            action,
            Some(status),
            &format!("HTTP{status}"),
            "the endpoint answered with a redirect, which is never followed (ECS does not \
             redirect); set endpoint to the ECS API's own https:// URL",
            header_request_id,
        );
    }
    match ErrorBody::parse(body) {
        Some(b) => {
            if b.host_id.is_some() || b.recommend.is_some() {
                tracing::debug!(
                    action,
                    host_id = b.host_id.as_deref().unwrap_or(""),
                    recommend = b.recommend.as_deref().unwrap_or(""),
                    "ecs error details"
                );
            }
            Error::api(
                action,
                Some(status),
                b.code.as_deref().unwrap_or_default(),
                b.message.as_deref().unwrap_or_default(),
                b.request_id.or(header_request_id),
            )
        }
        None => Error::api(
            action,
            Some(status),
            &format!("HTTP{status}"),
            &not_ecs(body),
            header_request_id,
        ),
    }
}

/// Describes an error answer that is not an ECS error body: usually a proxy's
/// or load balancer's HTML page (502/504), named by its `<title>`.
fn not_ecs(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if lower.contains("<html") || lower.contains("<!doctype html") {
        let title = lower
            .find("<title>")
            .and_then(|start| {
                let rest = &text[start + 7..];
                rest.to_ascii_lowercase()
                    .find("</title>")
                    .map(|end| rest[..end].trim().to_string())
            })
            .unwrap_or_default();
        return format!(
            "an HTML page ({title:?}), not an ECS answer: a proxy, gateway or load balancer \
             between this machine and ECS answered"
        );
    }
    let shown: String = text.chars().take(200).collect();
    shown.trim().to_string()
}

fn transport_error(action: &str, e: &reqwest::Error) -> Error {
    if let Some((code, what)) = tls_refusal(e) {
        return Error::local(ErrorKind::Transport, action, code, what);
    }
    // reqwest's Display may include the URL, whose query holds the V1
    // security token: describe the failure from its parts instead.
    let (kind, code) = if e.is_timeout() {
        let code = if e.is_connect() {
            codes::CONNECT_TIMEOUT
        } else {
            codes::READ_TIMEOUT
        };
        (ErrorKind::Timeout, code)
    } else {
        (ErrorKind::Transport, codes::TRANSPORT)
    };
    let dns = {
        let mut link = std::error::Error::source(e);
        let mut found = false;
        while let Some(s) = link {
            found |= s.to_string().contains("dns error");
            link = s.source();
        }
        found
    };
    let mut message = String::from(if dns {
        "could not resolve the endpoint's host name (DNS)"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_timeout() {
        "no answer before read_timeout"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "the request failed"
    });
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::local(kind, action, code, message)
}

/// The TLS refusal behind `e`, if any: its code and a sentence saying which
/// check failed. rustls' error sits inside (nested) `io::Error`s, whose
/// `source()` skips the inner error, so those are opened with `get_ref`.
fn tls_refusal(e: &reqwest::Error) -> Option<(&'static str, String)> {
    let mut link: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = link {
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return Some(describe_tls(tls));
        }
        link = match s.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as _),
            None => s.source(),
        };
    }
    None
}

fn describe_tls(e: &rustls::Error) -> (&'static str, String) {
    use rustls::CertificateError as C;
    let (code, what) = match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer | C::BadSignature => (
                codes::TLS_UNTRUSTED,
                "the server's certificate was issued by an unknown certificate authority",
            ),
            C::Expired | C::ExpiredContext { .. } => {
                (codes::TLS_EXPIRED, "the server's certificate has expired")
            }
            C::NotValidYet | C::NotValidYetContext { .. } => (
                codes::TLS_EXPIRED,
                "the server's certificate is not valid yet",
            ),
            C::NotValidForName | C::NotValidForNameContext { .. } => (
                codes::TLS_WRONG_HOST,
                "the server's certificate does not name the endpoint's host",
            ),
            _ => (codes::TLS_UNTRUSTED, "the server's certificate was refused"),
        },
        _ => (codes::TLS_HANDSHAKE, "the TLS handshake failed"),
    };
    (code, format!("{what} ({e})"))
}
