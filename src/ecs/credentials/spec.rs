//! [`Spec`]: how to get credentials, as plain data, and [`fetcher`], which
//! turns one into a [`Fetch`]. Every spec travels with its *origin*, the words
//! that tell a user where it was configured ("the environment variables
//! ALIBABA_CLOUD_OIDC_*", "profile \"ci\" of /home/u/.aliyun/config.json",
//! "assume_role in the provider block"); every error says it.

use std::path::PathBuf;

use url::Url;

use super::super::error::Result;
use super::super::secret::Secret;
use super::remote::{EcsRole, External, Uri};
use super::sts::{Oidc, RoleOnTop, Sts};
use super::{CredentialProvider, Credentials, Fetch};

/// Default `DurationSeconds` of an assumed role (the API's default).
pub const DEFAULT_SESSION_SECONDS: u32 = 3600;
/// Default `RoleSessionName` (the alicloud provider's).
pub const DEFAULT_SESSION_NAME: &str = "terraform";

/// An AssumeRole call layered on other credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: String,
    pub policy: Option<String>,
    pub external_id: Option<String>,
    pub duration_seconds: u32,
}

/// How to get credentials. `Debug` hides secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    /// An AccessKey pair, maybe with an STS token: used as they are.
    Static {
        access_key_id: String,
        secret: Secret,
        token: Option<Secret>,
    },
    /// AssumeRoleWithOIDC with the token in `token_file`, read again at
    /// every renewal (CI systems rotate it).
    Oidc {
        provider_arn: String,
        token_file: PathBuf,
        role_arn: String,
        session_name: String,
        policy: Option<String>,
        duration_seconds: u32,
    },
    /// AssumeRole signed with the credentials of `source`.
    AssumeRole {
        source: Box<(Spec, String)>,
        role: AssumeRole,
    },
    /// The RAM role of the ECS instance this runs on (metadata service);
    /// `None`: the one the service names.
    EcsRole { role_name: Option<String> },
    /// A GET that answers credentials.
    Uri { url: String },
    /// A command that prints credentials (the CLI's External mode).
    External { command: String },
}

impl Spec {
    /// Whether credentials of this kind expire (and so are renewed).
    pub fn expires(&self) -> bool {
        !matches!(self, Spec::Static { .. })
    }
}

/// What fetchers need besides their spec.
#[derive(Clone, Debug)]
pub struct Endpoints {
    /// The STS endpoint (`https://sts.<region>.aliyuncs.com/` by default).
    pub sts: Url,
    /// Base URL of the ECS metadata service (`http://100.100.100.200`).
    pub metadata: Url,
    /// `ALIBABA_CLOUD_IMDSV1_DISABLED=true`: no tokenless fallback.
    pub imdsv1_disabled: bool,
}

/// A fetcher for `spec`, whose errors name `origin`.
///
/// # Errors
/// An endpoint the HTTP client refuses.
pub fn fetcher(spec: &Spec, origin: &str, ends: &Endpoints) -> Result<Box<dyn Fetch>> {
    let origin = origin.to_string();
    Ok(match spec {
        Spec::Static {
            access_key_id,
            secret,
            token,
        } => Box::new(Plain(Credentials::fixed(
            access_key_id.clone(),
            secret.clone(),
            token.clone(),
        ))),
        Spec::Oidc {
            provider_arn,
            token_file,
            role_arn,
            session_name,
            policy,
            duration_seconds,
        } => Box::new(Oidc {
            sts: Sts::new(&ends.sts)?,
            provider_arn: provider_arn.clone(),
            token_file: token_file.clone(),
            role_arn: role_arn.clone(),
            session_name: session_name.clone(),
            policy: policy.clone(),
            duration_seconds: *duration_seconds,
            origin,
        }),
        Spec::AssumeRole { source, role } => {
            let (inner, inner_origin) = source.as_ref();
            let below =
                CredentialProvider::new(fetcher(inner, inner_origin, ends)?, inner_origin.clone());
            Box::new(RoleOnTop {
                sts: Sts::new(&ends.sts)?,
                source: below,
                role: role.clone(),
                origin,
            })
        }
        Spec::EcsRole { role_name } => Box::new(EcsRole::new(
            ends.metadata.clone(),
            role_name.clone(),
            ends.imdsv1_disabled,
            origin,
        )?),
        Spec::Uri { url } => Box::new(Uri::new(url, origin)?),
        Spec::External { command } => Box::new(External {
            command: command.clone(),
            origin,
        }),
    })
}

struct Plain(Credentials);

#[async_trait::async_trait]
impl Fetch for Plain {
    async fn fetch(&self) -> Result<Credentials> {
        Ok(self.0.clone())
    }
}

/// A shared provider for `spec` (static ones never renew).
///
/// # Errors
/// See [`fetcher`].
pub fn provider(spec: &Spec, origin: &str, ends: &Endpoints) -> Result<CredentialProvider> {
    Ok(match spec {
        Spec::Static {
            access_key_id,
            secret,
            token,
        } => CredentialProvider::fixed(
            Credentials::fixed(access_key_id.clone(), secret.clone(), token.clone()),
            origin,
        ),
        _ => CredentialProvider::new(fetcher(spec, origin, ends)?, origin),
    })
}
