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
use super::error::{Error, ErrorKind, Result};
use super::request::{self, Call, Credentials, Method, Stamp};
use super::secret::Secret;
use super::wire::ErrorBody;

pub struct Transport {
    http: reqwest::Client,
    endpoint: Url,
    version: SignatureVersion,
    access_key_id: String,
    secret: Secret,
    security_token: Option<Secret>,
    sent: AtomicU64,
}

impl Transport {
    pub fn new(cfg: &ClientConfig) -> Result<Transport> {
        cfg.validate()?;
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .read_timeout(cfg.read_timeout)
            .user_agent(concat!(
                "terraform-provider-ecs/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| {
                Error::local(
                    ErrorKind::Other,
                    "Configure",
                    codes::INVALID_CONFIG,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(Transport {
            http,
            endpoint: cfg.endpoint_url()?,
            version: cfg.signature_version,
            access_key_id: cfg.access_key_id.clone(),
            secret: cfg.access_key_secret.clone(),
            security_token: cfg.security_token.clone(),
            sent: AtomicU64::new(0),
        })
    }

    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Sends one freshly signed attempt of `call`; returns the 2xx body.
    pub async fn send(&self, call: &Call, attempt: u32) -> Result<Vec<u8>> {
        let creds = Credentials {
            access_key_id: &self.access_key_id,
            secret: &self.secret,
            security_token: self.security_token.as_ref(),
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
            tracing::debug!(
                action = call.action,
                attempt,
                status,
                client_token = call.client_token().unwrap_or(""),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "ecs call ok"
            );
            return Ok(body);
        }
        let err = api_error(call.action, status, &body, header_request_id);
        tracing::debug!(
            action = call.action,
            attempt,
            status,
            code = %err.code,
            client_token = call.client_token().unwrap_or(""),
            request_id = err.request_id.as_deref().unwrap_or(""),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "ecs call failed"
        );
        Err(err)
    }
}

/// The typed error for a non-2xx answer.
pub fn api_error(
    action: &str,
    status: u16,
    body: &[u8],
    header_request_id: Option<String>,
) -> Error {
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
        None => {
            let text: String = String::from_utf8_lossy(body).chars().take(200).collect();
            Error::api(
                action,
                Some(status),
                &format!("HTTP{status}"),
                text.trim(),
                header_request_id,
            )
        }
    }
}

fn transport_error(action: &str, e: &reqwest::Error) -> Error {
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
    let mut message = String::from(if e.is_connect() {
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
