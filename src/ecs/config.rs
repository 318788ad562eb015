//! How one configured provider talks to ECS: region, credentials, endpoint,
//! signature version and the limits (rate, retries, timeouts).
//!
//! `ClientConfig` is plain data; [`crate::ecs::Client::new`] validates it, so a
//! bad value fails once, at configure time, naming the setting to fix.

use std::time::Duration;

use super::credentials::{CredentialProvider, Credentials};
use super::error::{Error, ErrorKind, Result};
use super::explain::Origins;
use super::secret::Secret;

/// Which request signature to send. Both are accepted by ECS; V3 is what
/// current official SDKs use, V1 is the long-standing RPC one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureVersion {
    V1,
    V3,
}

/// Everything the client needs. Build with [`ClientConfig::new`] and change
/// the public fields as needed.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub region: String,
    /// Where every request's credentials come from, asked at signing time.
    pub credentials: CredentialProvider,
    /// Full URL (`https://host[:port][/]`); `None` means
    /// `https://ecs.<region>.aliyuncs.com`.
    pub endpoint: Option<String>,
    pub signature_version: SignatureVersion,
    /// Shared by every call of the client; lowered on throttling.
    pub max_requests_per_second: f64,
    /// Retries after the first attempt of one call.
    pub max_retries: u32,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Where each setting came from, for error messages.
    pub origins: Origins,
}

impl ClientConfig {
    /// A config with fixed keys and the defaults: V3 signatures, 20
    /// requests/s, 5 retries, 10 s connect and 30 s read timeouts, the
    /// regional endpoint.
    pub fn new(
        region: impl Into<String>,
        access_key_id: impl Into<String>,
        secret: Secret,
    ) -> Self {
        let access_key_id = access_key_id.into();
        let fixed = Credentials::fixed(access_key_id, secret, None);
        ClientConfig::with_credentials(
            region,
            CredentialProvider::fixed(fixed, "access_key and secret_key"),
        )
    }

    /// A config whose credentials come from `credentials` (renewed as needed).
    pub fn with_credentials(region: impl Into<String>, credentials: CredentialProvider) -> Self {
        ClientConfig {
            region: region.into(),
            credentials,
            endpoint: None,
            signature_version: SignatureVersion::V3,
            max_requests_per_second: 20.0,
            max_retries: 5,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            origins: Origins::default(),
        }
    }

    /// The endpoint URL to use: the configured one (a bare host gets
    /// `https://`), else the regional default.
    pub fn endpoint_url(&self) -> Result<url::Url> {
        let raw = match &self.endpoint {
            Some(e) if e.contains("://") => e.trim().to_string(),
            Some(e) => format!("https://{}", e.trim()),
            None => format!("https://ecs.{}.aliyuncs.com/", self.region),
        };
        let url = url::Url::parse(&raw)
            .map_err(|e| invalid(format!("endpoint {raw:?} is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(invalid(format!(
                "endpoint {raw:?} must be an http:// or https:// URL with a host"
            )));
        }
        Ok(url)
    }

    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        if self.region.trim().is_empty() {
            return Err(invalid(
                "region is empty: set region (or ALIBABA_CLOUD_REGION)".into(),
            ));
        }
        if let Some(c) = self.credentials.fixed_credentials() {
            if c.access_key_id.trim().is_empty() {
                return Err(invalid(
                    "access_key is empty: set it (or ALIBABA_CLOUD_ACCESS_KEY_ID)".into(),
                ));
            }
            if c.secret.is_empty() {
                return Err(invalid(
                    "secret_key is empty: set it (or ALIBABA_CLOUD_ACCESS_KEY_SECRET)".into(),
                ));
            }
        }
        let rps = self.max_requests_per_second;
        if !(rps.is_finite() && rps > 0.0) {
            return Err(invalid(format!(
                "max_requests_per_second must be a positive number, got {rps}"
            )));
        }
        if self.connect_timeout.is_zero() || self.read_timeout.is_zero() {
            return Err(invalid(
                "connect_timeout and read_timeout must be above zero".into(),
            ));
        }
        self.endpoint_url().map(|_| ())
    }
}

fn invalid(message: String) -> Error {
    Error::local(
        ErrorKind::InvalidParameter,
        "Configure",
        "InvalidConfig",
        message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ClientConfig {
        ClientConfig::new("cn-hangzhou", "ak", Secret::new("sk"))
    }

    #[test]
    fn default_endpoint_is_regional_https() {
        assert_eq!(
            cfg().endpoint_url().unwrap().as_str(),
            "https://ecs.cn-hangzhou.aliyuncs.com/"
        );
    }

    #[test]
    fn bare_host_gets_https_and_bad_urls_are_named() {
        let mut c = cfg();
        c.endpoint = Some("ecs.example.test:8443".into());
        assert_eq!(
            c.endpoint_url().unwrap().as_str(),
            "https://ecs.example.test:8443/"
        );
        c.endpoint = Some("ftp://x".into());
        let e = c.validate().unwrap_err();
        assert!(e.message.contains("endpoint"), "{e}");
    }

    #[test]
    fn rate_must_be_positive() {
        let mut c = cfg();
        c.max_requests_per_second = 0.0;
        let e = c.validate().unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        assert!(e.message.contains("max_requests_per_second"), "{e}");
    }

    #[test]
    fn debug_hides_the_secret() {
        let c = ClientConfig::with_credentials(
            "cn-hangzhou",
            CredentialProvider::fixed(
                Credentials::fixed(
                    "ak",
                    Secret::new("TOPSECRET"),
                    Some(Secret::new("TOKENVALUE")),
                ),
                "a test",
            ),
        );
        let d = format!("{c:?}");
        assert!(!d.contains("TOPSECRET") && !d.contains("TOKENVALUE"), "{d}");
    }
}
