//! Where the client's credentials come from, and keeping them fresh.
//!
//! # Layout
//! - this file: [`Credentials`] (a key pair, maybe an STS token, maybe an
//!   expiry) and [`CredentialProvider`], the one shared, refresh-ahead cache
//!   of a provider configuration. Every signed request asks it for the
//!   current credentials at signing time; concurrent callers share one
//!   renewal.
//! - [`spec`]: [`Spec`], *how* to get credentials (static keys, a role to
//!   assume, the metadata service...), as plain data with the setting it came
//!   from, and [`spec::fetcher`], which turns one into something that fetches.
//! - [`chain`]: the default chain as a table of rows ([`chain::CHAIN`]): name,
//!   settings, how a row is detected, whether its credentials expire.
//! - `files`: the aliyun CLI's `config.json` and the SDKs' INI file.
//! - `sts`: AssumeRole (signed) and AssumeRoleWithOIDC (unsigned).
//! - `remote`: the ECS metadata service, a credentials URI, an external
//!   command.
//!
//! Design notes: docs/design/credentials.md.

pub mod chain;
mod files;
mod remote;
pub mod spec;
mod sts;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::error::{Error, ErrorKind, Result};
use super::secret::Secret;

pub use chain::{resolve, Env, Resolved};
pub use spec::{AssumeRole, Spec};

/// One set of credentials. `Debug` never shows the secret or the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret: Secret,
    pub security_token: Option<Secret>,
    /// When they stop working; `None` for long-term AccessKeys.
    pub expiration: Option<DateTime<Utc>>,
}

impl Credentials {
    pub fn fixed(access_key_id: impl Into<String>, secret: Secret, token: Option<Secret>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret,
            security_token: token,
            expiration: None,
        }
    }
}

/// Something that fetches a fresh set of credentials (an STS call, a file, the
/// metadata service...). Errors name the source and the setting to fix.
#[async_trait::async_trait]
pub trait Fetch: Send + Sync {
    async fn fetch(&self) -> Result<Credentials>;

    /// For [`CredentialProvider::fixed_credentials`] only.
    #[doc(hidden)]
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

/// How long before expiry a renewal starts: three minutes, or a third of the
/// lifetime when that is shorter (a 15-minute STS session renews at 12 min; the
/// emulator's 6-second one at 4 s).
pub fn renewal_margin(lifetime: Duration) -> Duration {
    (lifetime / 3).min(Duration::from_secs(180))
}

/// A failed HTTP exchange of a credential source, said from its parts:
/// `reqwest`'s Display may hold the URL, whose query can carry a token.
fn http_failure(e: &reqwest::Error) -> String {
    let mut m = String::from(if e.is_connect() {
        "could not connect"
    } else if e.is_timeout() {
        "no answer in time"
    } else {
        "the request failed"
    });
    let mut s = std::error::Error::source(e);
    while let Some(x) = s {
        m.push_str(": ");
        m.push_str(&x.to_string());
        s = x.source();
    }
    m
}

struct Cached {
    creds: Arc<Credentials>,
    /// From this instant on, callers renew before using them.
    renew_at: Option<DateTime<Utc>>,
}

struct Inner {
    source: Box<dyn Fetch>,
    /// Where they come from, in the user's words (errors, logs).
    origin: String,
    current: Mutex<Option<Cached>>,
    /// Held by the one caller renewing; others wait for its result.
    renewing: tokio::sync::Mutex<()>,
    fetches: std::sync::atomic::AtomicU64,
}

/// The credentials of one provider configuration, shared by every request
/// (cheap to clone). Credentials that expire are renewed ahead of time, by
/// one caller while the others wait for (and share) its result.
#[derive(Clone)]
pub struct CredentialProvider {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CredentialProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialProvider")
            .field("origin", &self.inner.origin)
            .finish_non_exhaustive()
    }
}

struct Fixed(Credentials);

impl Fixed {
    fn of(f: &dyn Fetch) -> Option<&Credentials> {
        f.as_any()
            .and_then(|a| a.downcast_ref::<Fixed>())
            .map(|x| &x.0)
    }
}

#[async_trait::async_trait]
impl Fetch for Fixed {
    async fn fetch(&self) -> Result<Credentials> {
        Ok(self.0.clone())
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

impl CredentialProvider {
    /// Long-term keys (or a static STS token): never renewed.
    pub fn fixed(creds: Credentials, origin: impl Into<String>) -> Self {
        let p = CredentialProvider::new(Box::new(Fixed(creds.clone())), origin);
        p.store(creds, Utc::now());
        p
    }

    pub fn new(source: Box<dyn Fetch>, origin: impl Into<String>) -> Self {
        CredentialProvider {
            inner: Arc::new(Inner {
                source,
                origin: origin.into(),
                current: Mutex::new(None),
                renewing: tokio::sync::Mutex::new(()),
                fetches: Default::default(),
            }),
        }
    }

    /// A provider that already holds `first` (fetched while resolving).
    pub fn primed(source: Box<dyn Fetch>, origin: impl Into<String>, first: Credentials) -> Self {
        let p = CredentialProvider::new(source, origin);
        p.store(first, Utc::now());
        p
    }

    /// The keys of a [`CredentialProvider::fixed`] provider (validation).
    pub fn fixed_credentials(&self) -> Option<&Credentials> {
        Fixed::of(self.inner.source.as_ref())
    }

    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// How many times the source was asked (tests: one renewal, one fetch).
    pub fn fetches(&self) -> u64 {
        self.inner
            .fetches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The access key id currently in use, if any (it is not secret).
    pub fn current_key_id(&self) -> Option<String> {
        self.lock().as_ref().map(|c| c.creds.access_key_id.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        self.inner.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn store(&self, creds: Credentials, fetched_at: DateTime<Utc>) -> Arc<Credentials> {
        let renew_at = creds.expiration.map(|exp| {
            let lifetime = (exp - fetched_at).to_std().unwrap_or_default();
            exp - chrono::Duration::from_std(renewal_margin(lifetime)).unwrap_or_default()
        });
        let creds = Arc::new(creds);
        *self.lock() = Some(Cached {
            creds: Arc::clone(&creds),
            renew_at,
        });
        creds
    }

    /// Credentials that are fresh right now, or still valid when a renewal has
    /// just failed (the failure is retried by the next caller).
    fn usable(&self, now: DateTime<Utc>, allow_stale: bool) -> Option<Arc<Credentials>> {
        let cur = self.lock();
        let c = cur.as_ref()?;
        let fresh = c.renew_at.is_none_or(|t| now < t);
        // Stale but not expired: good for a request that leaves now, with
        // half a second of slack for the trip.
        let alive = c
            .creds
            .expiration
            .is_none_or(|exp| now + chrono::Duration::milliseconds(500) < exp);
        (fresh || (allow_stale && alive)).then(|| Arc::clone(&c.creds))
    }

    /// The credentials to sign a request with, now. Renews them first when
    /// their renewal time has come; if that fails while the old ones are still
    /// valid they are used (with a warning) and the next call tries again.
    ///
    /// # Errors
    /// The source's error, naming it, when there is nothing valid to sign with.
    pub async fn current(&self) -> Result<Arc<Credentials>> {
        if let Some(c) = self.usable(Utc::now(), false) {
            return Ok(c);
        }
        let _one = self.inner.renewing.lock().await;
        // Another caller may have renewed while this one waited.
        if let Some(c) = self.usable(Utc::now(), false) {
            return Ok(c);
        }
        let started = Utc::now();
        self.inner
            .fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match self.inner.source.fetch().await {
            Ok(creds) => {
                tracing::debug!(
                    origin = %self.inner.origin,
                    access_key_id = %creds.access_key_id,
                    expiration = ?creds.expiration,
                    "credentials renewed"
                );
                Ok(self.store(creds, started))
            }
            Err(e) => match self.usable(Utc::now(), true) {
                Some(old) => {
                    tracing::warn!(origin = %self.inner.origin, error = %e, "credential renewal failed; the current credentials are still valid and stay in use");
                    Ok(old)
                }
                None => Err(e),
            },
        }
    }
}

/// An error of a credential source: what failed, in `origin`'s terms, with
/// the fix in the hint.
pub(crate) fn source_error(
    action: &str,
    code: &str,
    origin: &str,
    message: impl std::fmt::Display,
    fix: impl Into<String>,
) -> Error {
    let mut e = Error::local(
        ErrorKind::Auth,
        action,
        code,
        format!("credentials from {origin}: {message}"),
    );
    e.hint = Some(fix.into().into_boxed_str());
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Counting {
        calls: Arc<AtomicU32>,
        lifetime: chrono::Duration,
        fail: Arc<std::sync::atomic::AtomicBool>,
    }

    #[async_trait::async_trait]
    impl Fetch for Counting {
        async fn fetch(&self) -> Result<Credentials> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            if self.fail.load(Ordering::SeqCst) {
                return Err(source_error(
                    "AssumeRole",
                    "Boom",
                    "a test",
                    "down",
                    "fix it",
                ));
            }
            Ok(Credentials {
                access_key_id: format!("STS.{n}"),
                secret: Secret::new(format!("secret-{n}")),
                security_token: Some(Secret::new(format!("token-{n}"))),
                expiration: Some(Utc::now() + self.lifetime),
            })
        }
    }

    fn counting(
        lifetime_ms: i64,
    ) -> (
        CredentialProvider,
        Arc<AtomicU32>,
        Arc<std::sync::atomic::AtomicBool>,
    ) {
        let calls = Arc::new(AtomicU32::new(0));
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let p = CredentialProvider::new(
            Box::new(Counting {
                calls: Arc::clone(&calls),
                lifetime: chrono::Duration::milliseconds(lifetime_ms),
                fail: Arc::clone(&fail),
            }),
            "a test",
        );
        (p, calls, fail)
    }

    #[test]
    fn margin_is_three_minutes_or_a_third_of_a_short_lifetime() {
        assert_eq!(
            renewal_margin(Duration::from_secs(3600)),
            Duration::from_secs(180)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(6)),
            Duration::from_secs(2)
        );
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_renewal() {
        let (p, calls, _) = counting(60_000);
        let all = futures::future::join_all((0..50).map(|_| p.current())).await;
        assert!(all
            .iter()
            .all(|c| c.as_ref().unwrap().access_key_id == "STS.0"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Fresh: no renewal.
        p.current().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn renews_ahead_of_expiry_and_never_hands_out_expired_ones() {
        // 3 s lifetime: renewal 1 s before expiry.
        let (p, calls, _) = counting(3_000);
        let first = p.current().await.unwrap();
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        let second = p.current().await.unwrap();
        assert_ne!(first.access_key_id, second.access_key_id);
        assert!(second.expiration.unwrap() > Utc::now() + chrono::Duration::seconds(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_renewal_keeps_valid_credentials_then_fails_naming_the_source() {
        let (p, _, fail) = counting(3_000);
        p.current().await.unwrap();
        fail.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        // Renewal due, fails, the old ones are still valid: used.
        assert_eq!(p.current().await.unwrap().access_key_id, "STS.0");
        tokio::time::sleep(Duration::from_millis(900)).await;
        let e = p.current().await.unwrap_err();
        assert!(e.message.contains("a test"), "{e}");
        assert_eq!(e.hint.as_deref(), Some("fix it"));
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials::fixed(
            "AK",
            Secret::new("SECRETVALUE"),
            Some(Secret::new("TOKENVALUE")),
        );
        let d = format!("{c:?}");
        assert!(
            !d.contains("SECRETVALUE") && !d.contains("TOKENVALUE"),
            "{d}"
        );
    }
}
