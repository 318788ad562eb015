//! The two STS 2015-04-01 calls credentials need: AssumeRole, signed (V1,
//! with the caller's SecurityToken when it has one), and AssumeRoleWithOIDC,
//! which is anonymous (the OIDC token is the proof).
//!
//! A call that fails for a reason that may pass (network, 5xx, throttling)
//! is tried three times; what is left is an error naming the credential
//! source and the setting to fix. Nothing secret is logged: the request's
//! redacted form (no signature, no token, no OIDC token) at TRACE, and the
//! answer's non-secret fields (key id, expiry) at DEBUG.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use super::super::config::SignatureVersion;
use super::super::error::{Error, Result};
use super::super::request::{self, Call, Method, Stamp};
use super::super::secret::Secret;
use super::super::transport::api_error;
use super::spec::AssumeRole;
use super::{source_error, CredentialProvider, Credentials, Fetch};

pub const STS_VERSION: &str = "2015-04-01";
const ATTEMPTS: u32 = 3;

/// Builds the HTTP client for a credential endpoint: no redirects, short
/// timeouts, and no CA store for plain http (loopback emulator, metadata).
pub(super) fn http_for(url: &Url, timeout: Duration) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(timeout)
        .read_timeout(timeout.max(Duration::from_secs(1)) * 5)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "terraform-provider-ecs/",
            env!("CARGO_PKG_VERSION")
        ));
    if url.scheme() != "https" {
        b = b.tls_certs_only(Vec::new());
    }
    b.build().map_err(|e| {
        Error::local(
            super::super::error::ErrorKind::Other,
            "Configure",
            super::super::codes::INVALID_CONFIG,
            format!("cannot build the HTTP client for {url}: {e}"),
        )
    })
}

pub struct Sts {
    endpoint: Url,
    http: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    credentials: Option<WireCreds>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireCreds {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: Option<String>,
    pub expiration: Option<String>,
}

impl WireCreds {
    pub(super) fn into_credentials(self) -> std::result::Result<Credentials, String> {
        let expiration = match self.expiration.as_deref() {
            None | Some("") => None,
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t)
                    .map_err(|e| format!("Expiration {t:?} is not a time: {e}"))?
                    .with_timezone(&Utc),
            ),
        };
        if self.access_key_id.is_empty() || self.access_key_secret.is_empty() {
            return Err("the answer holds no AccessKeyId or AccessKeySecret".into());
        }
        Ok(Credentials {
            access_key_id: self.access_key_id,
            secret: Secret::new(self.access_key_secret),
            security_token: self
                .security_token
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            expiration,
        })
    }
}

impl Sts {
    pub fn new(endpoint: &Url) -> Result<Sts> {
        Ok(Sts {
            endpoint: endpoint.clone(),
            http: http_for(endpoint, Duration::from_secs(5))?,
        })
    }

    /// Sends `call` (signed with `creds`, or anonymous) up to three times;
    /// the credentials of a 2xx answer.
    async fn send(&self, call: &Call, creds: Option<&Credentials>) -> Result<Credentials> {
        let mut last = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))).await;
            }
            match self.send_once(call, creds).await {
                Ok(c) => return Ok(c),
                Err(e) if e.is_retryable() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    async fn send_once(&self, call: &Call, creds: Option<&Credentials>) -> Result<Credentials> {
        let (url, body, redacted) = match creds {
            Some(c) => {
                let signing = request::Credentials {
                    access_key_id: &c.access_key_id,
                    secret: &c.secret,
                    security_token: c.security_token.as_ref(),
                };
                let p = request::prepare(
                    &self.endpoint,
                    SignatureVersion::V1,
                    &signing,
                    call,
                    &Stamp::fresh(),
                );
                (p.url, p.body.unwrap_or_default(), p.redacted)
            }
            None => anonymous(&self.endpoint, call),
        };
        tracing::trace!(action = call.action, request = %redacted, "sts request");
        let answer = self
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                Error::local(
                    if e.is_timeout() {
                        super::super::error::ErrorKind::Timeout
                    } else {
                        super::super::error::ErrorKind::Transport
                    },
                    call.action,
                    super::super::codes::TRANSPORT,
                    format!(
                        "no answer from the STS endpoint {}: {}",
                        self.endpoint,
                        super::http_failure(&e)
                    ),
                )
            })?;
        let status = answer.status().as_u16();
        let bytes = answer.bytes().await.map_err(|e| {
            Error::local(
                super::super::error::ErrorKind::Transport,
                call.action,
                super::super::codes::TRANSPORT,
                format!("the STS answer broke off: {}", super::http_failure(&e)),
            )
        })?;
        if !(200..300).contains(&status) {
            return Err(api_error(call.action, status, &bytes, None));
        }
        let parsed: Answer = serde_json::from_slice(&bytes).map_err(|e| {
            Error::local(
                super::super::error::ErrorKind::Other,
                call.action,
                super::super::codes::INVALID_RESPONSE,
                format!("the STS answer is not what {} returns: {e}", call.action),
            )
        })?;
        let creds = parsed
            .credentials
            .ok_or_else(|| "the answer has no Credentials".to_string())
            .and_then(WireCreds::into_credentials)
            .map_err(|m| {
                Error::local(
                    super::super::error::ErrorKind::Other,
                    call.action,
                    super::super::codes::INVALID_RESPONSE,
                    m,
                )
            })?;
        tracing::debug!(action = call.action, access_key_id = %creds.access_key_id, expiration = ?creds.expiration, "sts issued credentials");
        Ok(creds)
    }
}

/// An anonymous RPC request: common parameters in the query, the call's in
/// the form body. Returns the URL, the body and the loggable form (without
/// the OIDC token).
fn anonymous(endpoint: &Url, call: &Call) -> (String, String, String) {
    let stamp = Stamp::fresh();
    let mut url = endpoint.clone();
    url.query_pairs_mut()
        .append_pair("Action", call.action)
        .append_pair("Version", call.version)
        .append_pair("Format", "JSON")
        .append_pair("Timestamp", &stamp.timestamp)
        .append_pair("SignatureNonce", &stamp.nonce);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(call.params.iter())
        .finish();
    let shown = call
        .params
        .iter()
        .map(|(k, v)| {
            if k == "OIDCToken" {
                format!("{k}=***")
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    (
        url.to_string(),
        body,
        format!("Action={} Version={} {shown}", call.action, call.version),
    )
}

/// What to do about an STS refusal, by its code; `token_file`: the OIDC
/// token's file, when there is one.
fn sts_fix(code: &str, what: &str, token_file: Option<&std::path::Path>) -> String {
    let file = token_file.map_or_else(
        || "the token file".to_string(),
        |f| format!("the token file {}", f.display()),
    );
    match code {
        c if c.starts_with("AuthenticationFail.OIDCToken.Expired") => format!("the OIDC token in {file} has expired: write a fresh one there (CI systems issue one per job; it is read again at every renewal), then run Terraform again ({what})"),
        c if c.starts_with("AuthenticationFail.OIDCToken") => format!("the OIDC token in {file} was refused ({c}): check that it comes from the identity provider of the OIDC provider ARN and that its audience is that provider's client id, e.g. sts.aliyuncs.com ({what})"),
        c if c.starts_with("AuthenticationFail.NoPermission") || c == "NoPermission" || c.starts_with("Forbidden") => format!("the role cannot be assumed: check the role ARN and OIDC provider ARN of {what}, and that the role's trust policy lets this caller assume it"),
        c if c.starts_with("EntityNotExist.Role") || c.contains("RoleArn") => format!("check the role ARN of {what}"),
        super::super::codes::TRANSPORT => format!("STS did not answer: check sts_endpoint (or ALIBABA_CLOUD_ENDPOINT_STS) and network access to it, then run Terraform again ({what})"),
        _ => format!("check {what}"),
    }
}

fn wrap(e: Error, origin: &str, token_file: Option<&std::path::Path>) -> Error {
    let fix = sts_fix(&e.code, origin, token_file);
    let message = if e.http_status.is_some() {
        format!("STS refused {}: {} ({})", e.action, e.code, e.message)
    } else {
        e.message.clone()
    };
    let mut out = source_error(&e.action, &e.code, origin, message, fix);
    out.kind = e.kind;
    out.http_status = e.http_status;
    out.request_id = e.request_id;
    out
}

fn role_call(
    action: &'static str,
    role_arn: &str,
    session: &str,
    duration: u32,
    policy: Option<&str>,
) -> Call {
    Call::new(action, Method::Post)
        .version(STS_VERSION)
        .param("RoleArn", role_arn)
        .param("RoleSessionName", session)
        .param("DurationSeconds", duration.to_string())
        .opt("Policy", policy)
}

/// AssumeRoleWithOIDC, the token read from its file at every fetch.
pub struct Oidc {
    pub sts: Sts,
    pub provider_arn: String,
    pub token_file: PathBuf,
    pub role_arn: String,
    pub session_name: String,
    pub policy: Option<String>,
    pub duration_seconds: u32,
    pub origin: String,
}

#[async_trait::async_trait]
impl Fetch for Oidc {
    async fn fetch(&self) -> Result<Credentials> {
        let token = tokio::fs::read_to_string(&self.token_file)
            .await
            .map_err(|e| {
                source_error(
                    "AssumeRoleWithOIDC",
                    "OIDCTokenFileUnreadable",
                    &self.origin,
                    format!(
                        "cannot read the OIDC token file {}: {e}",
                        self.token_file.display()
                    ),
                    format!("make the token file of {} exist and readable", self.origin),
                )
            })?;
        let token = Secret::new(token.trim().to_string());
        if token.is_empty() {
            return Err(source_error(
                "AssumeRoleWithOIDC",
                "OIDCTokenFileEmpty",
                &self.origin,
                format!("the OIDC token file {} is empty", self.token_file.display()),
                format!(
                    "write the job's OIDC token into the token file of {}",
                    self.origin
                ),
            ));
        }
        let call = role_call(
            "AssumeRoleWithOIDC",
            &self.role_arn,
            &self.session_name,
            self.duration_seconds,
            self.policy.as_deref(),
        )
        .param("OIDCProviderArn", &self.provider_arn)
        .param("OIDCToken", token.expose());
        self.sts
            .send(&call, None)
            .await
            .map_err(|e| wrap(e, &self.origin, Some(&self.token_file)))
    }
}

/// AssumeRole signed with the current credentials of another source.
pub struct RoleOnTop {
    pub sts: Sts,
    pub source: CredentialProvider,
    pub role: AssumeRole,
    pub origin: String,
}

#[async_trait::async_trait]
impl Fetch for RoleOnTop {
    async fn fetch(&self) -> Result<Credentials> {
        let below = self.source.current().await?;
        let call = role_call(
            "AssumeRole",
            &self.role.role_arn,
            &self.role.session_name,
            self.role.duration_seconds,
            self.role.policy.as_deref(),
        )
        .opt("ExternalId", self.role.external_id.as_deref());
        self.sts
            .send(&call, Some(&below))
            .await
            .map_err(|e| wrap(e, &self.origin, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anonymous_form_never_shows_the_oidc_token() {
        let call = role_call("AssumeRoleWithOIDC", "acs:ram::1:role/r", "s", 900, None)
            .param("OIDCToken", "eyJSECRET");
        let (url, body, shown) = anonymous(&Url::parse("https://sts.example/").unwrap(), &call);
        assert!(!url.contains("eyJSECRET") && !shown.contains("eyJSECRET"));
        assert!(body.contains("OIDCToken=eyJSECRET"));
        assert!(url.contains("Version=2015-04-01"));
    }

    #[test]
    fn fixes_name_the_setting() {
        let f = std::path::Path::new("/run/token");
        let s = sts_fix("AuthenticationFail.OIDCToken.Expired", "X", Some(f));
        assert!(s.contains("X") && s.contains("/run/token"), "{s}");
        assert!(sts_fix("NoPermission", "assume_role", None).contains("trust policy"));
    }
}
