//! Credentials served by something else: the ECS metadata service (the RAM
//! role of the instance this runs on), a credentials URI, and an external
//! command (the aliyun CLI's `External` mode).

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::super::error::Result;
use super::sts::{http_for, WireCreds};
use super::{source_error, Credentials, Fetch};

/// The metadata service's address on every ECS instance.
pub const METADATA_BASE: &str = "http://100.100.100.200";
const TOKEN_TTL_SECONDS: &str = "21600";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Served {
    code: Option<String>,
    message: Option<String>,
    #[serde(flatten)]
    creds: Option<WireCreds>,
}

fn parse_served(body: &[u8]) -> std::result::Result<Credentials, String> {
    let s: Served = serde_json::from_slice(body)
        .map_err(|e| format!("the answer is not credentials JSON: {e}"))?;
    if let Some(code) = s.code.as_deref().filter(|c| *c != "Success") {
        return Err(format!(
            "the answer's Code is {code:?}, not \"Success\"{}",
            s.message.map(|m| format!(" ({m})")).unwrap_or_default()
        ));
    }
    s.creds
        .ok_or_else(|| "the answer has no AccessKeyId/AccessKeySecret".to_string())?
        .into_credentials()
}

/// The instance's RAM role, from the metadata service: an IMDSv2 token
/// first (PUT), then the role name (unless given) and its credentials.
pub struct EcsRole {
    base: Url,
    role_name: Option<String>,
    v1_disabled: bool,
    origin: String,
    http: reqwest::Client,
}

impl EcsRole {
    pub fn new(
        base: Url,
        role_name: Option<String>,
        v1_disabled: bool,
        origin: String,
    ) -> Result<EcsRole> {
        // The metadata service answers within a second or not at all.
        let http = http_for(&base, Duration::from_secs(1))?;
        Ok(EcsRole {
            base,
            role_name,
            v1_disabled,
            origin,
            http,
        })
    }

    fn fail(&self, message: impl std::fmt::Display) -> super::super::error::Error {
        source_error(
            "EcsRamRole",
            "MetadataUnavailable",
            &self.origin,
            message,
            format!(
                "the ECS metadata service at {} must answer (this only works on an ECS instance with a RAM role attached); elsewhere configure other credentials, or set ALIBABA_CLOUD_ECS_METADATA_DISABLED=true to skip this link",
                self.base
            ),
        )
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Result<Vec<u8>> {
        let url = self.base.join(path).map_err(|e| self.fail(e))?;
        let mut req = self.http.get(url.clone());
        if let Some(t) = token {
            req = req.header("X-aliyun-ecs-metadata-token", t);
        }
        let answer = req
            .send()
            .await
            .map_err(|e| self.fail(format!("GET {url}: {}", super::http_failure(&e))))?;
        let status = answer.status().as_u16();
        let body = answer
            .bytes()
            .await
            .map_err(|e| self.fail(super::http_failure(&e)))?
            .to_vec();
        if status == 404 && path.ends_with('/') {
            return Err(self.fail("the metadata service knows no RAM role of this instance (404): attach one to the instance, or name it with ecs_role_name / ALIBABA_CLOUD_ECS_METADATA"));
        }
        if status != 200 {
            return Err(self.fail(format!("GET {url} answered HTTP {status}")));
        }
        Ok(body)
    }
}

#[async_trait::async_trait]
impl Fetch for EcsRole {
    async fn fetch(&self) -> Result<Credentials> {
        let token_url = self
            .base
            .join("/latest/api/token")
            .map_err(|e| self.fail(e))?;
        let token = match self
            .http
            .put(token_url)
            .header("X-aliyun-ecs-metadata-token-ttl-seconds", TOKEN_TTL_SECONDS)
            .send()
            .await
        {
            Ok(a) if a.status().is_success() => Some(a.text().await.map_err(|e| self.fail(super::http_failure(&e)))?),
            Ok(a) if self.v1_disabled => {
                return Err(self.fail(format!(
                    "the IMDSv2 token request answered HTTP {} and ALIBABA_CLOUD_IMDSV1_DISABLED forbids the tokenless fallback",
                    a.status().as_u16()
                )))
            }
            Err(e) if self.v1_disabled || e.is_connect() || e.is_timeout() => {
                return Err(self.fail(format!("the IMDSv2 token request failed: {}", super::http_failure(&e))))
            }
            _ => None,
        };
        let token = token.as_deref();
        let role = match &self.role_name {
            Some(r) => r.clone(),
            None => {
                let body = self
                    .get("/latest/meta-data/ram/security-credentials/", token)
                    .await?;
                let name = String::from_utf8_lossy(&body)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                if name.is_empty() {
                    return Err(self.fail("the instance has no RAM role attached"));
                }
                name
            }
        };
        let body = self
            .get(
                &format!("/latest/meta-data/ram/security-credentials/{role}"),
                token,
            )
            .await?;
        parse_served(&body).map_err(|m| self.fail(format!("role {role:?}: {m}")))
    }
}

/// A credentials URI: a plain GET answering `{Code: "Success", AccessKeyId, ...}`.
pub struct Uri {
    url: Url,
    origin: String,
    http: reqwest::Client,
}

impl Uri {
    pub fn new(url: &str, origin: String) -> Result<Uri> {
        let parsed = Url::parse(url).map_err(|e| {
            source_error(
                "CredentialsURI",
                "InvalidCredentialsURI",
                &origin,
                format!("{url:?} is not a URL: {e}"),
                format!("set {origin} to an http(s) URL"),
            )
        })?;
        let http = http_for(&parsed, Duration::from_secs(5))?;
        Ok(Uri {
            url: parsed,
            origin,
            http,
        })
    }
}

#[async_trait::async_trait]
impl Fetch for Uri {
    async fn fetch(&self) -> Result<Credentials> {
        let fail = |m: String| {
            source_error(
                "CredentialsURI",
                "CredentialsURIFailed",
                &self.origin,
                m,
                format!(
                    "the credentials URI of {} must answer HTTP 200 with Code \"Success\"",
                    self.origin
                ),
            )
        };
        // The URL may carry a token of its own: only its origin is shown.
        let shown = self.url.origin().ascii_serialization();
        let answer = self
            .http
            .get(self.url.clone())
            .send()
            .await
            .map_err(|e| fail(format!("GET {shown}: {}", super::http_failure(&e))))?;
        let status = answer.status().as_u16();
        let body = answer
            .bytes()
            .await
            .map_err(|e| fail(super::http_failure(&e)))?;
        if status != 200 {
            return Err(fail(format!("GET {shown} answered HTTP {status}")));
        }
        parse_served(&body).map_err(fail)
    }
}

/// The aliyun CLI's External mode: a command printing
/// `{"mode": "AK"|"StsToken", "access_key_id", "access_key_secret", "sts_token", "expiration"}`.
pub struct External {
    pub command: String,
    pub origin: String,
}

#[derive(Deserialize)]
struct Printed {
    access_key_id: String,
    access_key_secret: String,
    sts_token: Option<String>,
    expiration: Option<serde_json::Value>,
}

#[async_trait::async_trait]
impl Fetch for External {
    async fn fetch(&self) -> Result<Credentials> {
        let fail = |m: String| {
            source_error(
                "External",
                "ExternalCommandFailed",
                &self.origin,
                m,
                format!(
                    "the process_command of {} must exit 0 and print credentials JSON",
                    self.origin
                ),
            )
        };
        let out = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .map_err(|e| fail(format!("cannot run the command: {e}")))?;
        if !out.status.success() {
            // Its stderr may be anything: not shown (it could print a secret).
            return Err(fail(format!("the command exited with {}", out.status)));
        }
        let p: Printed = serde_json::from_slice(&out.stdout)
            .map_err(|e| fail(format!("its output is not credentials JSON: {e}")))?;
        let expiration = match p.expiration {
            Some(serde_json::Value::Number(n)) => n
                .as_i64()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0)),
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(
                chrono::DateTime::parse_from_rfc3339(&s)
                    .map_err(|e| fail(format!("expiration {s:?}: {e}")))?
                    .with_timezone(&chrono::Utc),
            ),
            _ => None,
        };
        WireCreds {
            access_key_id: p.access_key_id,
            access_key_secret: p.access_key_secret,
            security_token: p.sts_token,
            expiration: None,
        }
        .into_credentials()
        .map(|mut c| {
            c.expiration = expiration;
            c
        })
        .map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_credentials_need_code_success() {
        let ok = br#"{"Code":"Success","AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2030-01-01T00:00:00Z"}"#;
        let c = parse_served(ok).unwrap();
        assert_eq!(c.access_key_id, "STS.a");
        assert!(c.expiration.is_some());
        let bad = br#"{"Code":"Failed","Message":"no role"}"#;
        assert!(parse_served(bad).unwrap_err().contains("Failed"));
    }
}
