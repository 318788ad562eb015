//! The default credential chain, as a table: [`CHAIN`]. Each row is one link
//! (its name, the settings it reads, whether its credentials expire, and a
//! `detect` function that turns the environment into a [`Spec`]). [`resolve`]
//! walks the table after whatever the caller set explicitly, fetches the
//! first credentials at once (so a wrong setting fails before any ECS call)
//! and layers an AssumeRole on top when asked.
//!
//! Order, as the official SDKs have it: environment keys → OIDC → the aliyun
//! CLI profile → the INI credentials file → the ECS instance's RAM role → a
//! credentials URI.

use std::path::PathBuf;

use url::Url;

use super::super::error::{Error, ErrorKind, Result};
use super::super::secret::Secret;
use super::files;
use super::remote::METADATA_BASE;
use super::spec::{
    self, AssumeRole, Endpoints, Spec, DEFAULT_SESSION_NAME, DEFAULT_SESSION_SECONDS,
};
use super::{source_error, CredentialProvider};

/// Looks up one environment variable.
pub struct Env<'a> {
    pub var: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

impl Env<'_> {
    fn get(&self, k: &str) -> Option<String> {
        (self.var)(k).filter(|v| !v.trim().is_empty())
    }

    /// The first of `keys` that is set, with its name.
    fn first(&self, keys: &[&'static str]) -> Option<(String, &'static str)> {
        keys.iter().find_map(|k| self.get(k).map(|v| (v, *k)))
    }

    fn flag(&self, k: &str) -> bool {
        self.get(k).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    fn home(&self) -> Option<PathBuf> {
        self.get("HOME").map(PathBuf::from)
    }
}

/// What a row found: nothing (`Ok(None)`), a spec with its origin, or a
/// setting that is there but wrong (`Err`: the chain stops and says so).
pub type Detected = std::result::Result<Option<(Spec, String)>, String>;

/// One link of the chain.
pub struct Link {
    pub name: &'static str,
    /// The settings it reads (docs and "nothing found" messages).
    pub settings: &'static str,
    /// Whether its credentials expire (and are renewed before they do).
    pub expires: &'static str,
    pub detect: fn(&Env) -> Detected,
    /// Found without being asked for (the metadata service of whatever
    /// machine this is): when fetching fails, the chain goes on.
    pub probe: bool,
}

pub const ACCESS_KEY_ENV: &[&str] = &["ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID"];
pub const SECRET_KEY_ENV: &[&str] = &["ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"];
pub const SECURITY_TOKEN_ENV: &[&str] =
    &["ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN"];

/// The default chain, in order.
pub static CHAIN: &[Link] = &[
    Link {
        name: "environment",
        settings: "ALIBABA_CLOUD_ACCESS_KEY_ID + ALIBABA_CLOUD_ACCESS_KEY_SECRET (or ALICLOUD_ACCESS_KEY + ALICLOUD_SECRET_KEY), optional ALIBABA_CLOUD_SECURITY_TOKEN",
        expires: "no (a security token in it is used as given)",
        detect: detect_env,
        probe: false,
    },
    Link {
        name: "OIDC",
        settings: "ALIBABA_CLOUD_OIDC_TOKEN_FILE + ALIBABA_CLOUD_OIDC_PROVIDER_ARN + ALIBABA_CLOUD_ROLE_ARN, optional ALIBABA_CLOUD_ROLE_SESSION_NAME",
        expires: "yes: AssumeRoleWithOIDC again, the token file read afresh",
        detect: detect_oidc,
        probe: false,
    },
    Link {
        name: "aliyun CLI profile",
        settings: "~/.aliyun/config.json or ALIBABA_CLOUD_CONFIG_FILE; profile ALIBABA_CLOUD_PROFILE or the file's current; skipped when ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true",
        expires: "per mode: RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC, CredentialsURI and External are renewed",
        detect: detect_cli,
        probe: false,
    },
    Link {
        name: "credentials file",
        settings: "ALIBABA_CLOUD_CREDENTIALS_FILE or ~/.alibabacloud/credentials (INI); section ALIBABA_CLOUD_PROFILE or default",
        expires: "per type: ecs_ram_role, ram_role_arn, oidc_role_arn and credentials_uri are renewed",
        detect: detect_ini,
        probe: false,
    },
    Link {
        name: "ECS instance RAM role",
        settings: "the metadata service (IMDSv2 token first); role ALIBABA_CLOUD_ECS_METADATA or the one attached; ALIBABA_CLOUD_ECS_METADATA_DISABLED=true skips it, ALIBABA_CLOUD_IMDSV1_DISABLED=true forbids the tokenless fallback",
        expires: "yes: asked again before expiry",
        detect: detect_ecs_role,
        probe: true,
    },
    Link {
        name: "credentials URI",
        settings: "ALIBABA_CLOUD_CREDENTIALS_URI",
        expires: "yes: asked again before expiry",
        detect: detect_uri,
        probe: false,
    },
];

fn detect_env(env: &Env) -> Detected {
    let ak = env.first(ACCESS_KEY_ENV);
    let sk = env.first(SECRET_KEY_ENV);
    match (ak, sk) {
        (None, None) => Ok(None),
        (Some((ak, ak_var)), Some((sk, sk_var))) => Ok(Some((
            Spec::Static {
                access_key_id: ak,
                secret: Secret::new(sk),
                token: env.first(SECURITY_TOKEN_ENV).map(|(t, _)| Secret::new(t)),
            },
            format!("the environment variables {ak_var} and {sk_var}"),
        ))),
        (Some((_, var)), None) => Err(format!("{var} is set but no secret is: set ALIBABA_CLOUD_ACCESS_KEY_SECRET (or ALICLOUD_SECRET_KEY) too, or unset {var}")),
        (None, Some((_, var))) => Err(format!("{var} is set but no access key id is: set ALIBABA_CLOUD_ACCESS_KEY_ID (or ALICLOUD_ACCESS_KEY) too, or unset {var}")),
    }
}

const OIDC_VARS: [&str; 3] = [
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "ALIBABA_CLOUD_ROLE_ARN",
];

fn detect_oidc(env: &Env) -> Detected {
    let vals: Vec<Option<String>> = OIDC_VARS.iter().map(|k| env.get(k)).collect();
    if vals.iter().all(Option::is_none) {
        return Ok(None);
    }
    if let [Some(file), Some(provider), Some(role)] = &vals[..] {
        return Ok(Some((
            Spec::Oidc {
                provider_arn: provider.clone(),
                token_file: PathBuf::from(file),
                role_arn: role.clone(),
                session_name: env
                    .get("ALIBABA_CLOUD_ROLE_SESSION_NAME")
                    .unwrap_or_else(|| DEFAULT_SESSION_NAME.into()),
                policy: None,
                duration_seconds: DEFAULT_SESSION_SECONDS,
            },
            "the environment variables ALIBABA_CLOUD_OIDC_TOKEN_FILE, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_ROLE_ARN".into(),
        )));
    }
    // ALIBABA_CLOUD_ROLE_ARN alone is the alicloud provider's assume_role
    // variable, not half an OIDC setup.
    if vals[0].is_none() && vals[1].is_none() {
        return Ok(None);
    }
    let missing: Vec<&str> = OIDC_VARS
        .iter()
        .zip(&vals)
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| *k)
        .collect();
    Err(format!(
        "OIDC needs all three of {}; {} missing",
        OIDC_VARS.join(", "),
        missing.join(" and ")
    ))
}

fn cli_path(env: &Env) -> Option<PathBuf> {
    env.get("ALIBABA_CLOUD_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| env.home().map(|h| h.join(".aliyun").join("config.json")))
}

fn ini_path(env: &Env) -> Option<(PathBuf, bool)> {
    if let Some(p) = env.get("ALIBABA_CLOUD_CREDENTIALS_FILE") {
        return Some((PathBuf::from(p), true));
    }
    let home = env.home()?;
    ["credentials", "credentials.ini"]
        .iter()
        .map(|n| home.join(".alibabacloud").join(n))
        .find(|p| p.exists())
        .map(|p| (p, false))
}

/// The CLI profile `name` (or the file's `current`), as the provider block's
/// `profile` asks for it: a missing file or profile is an error.
pub fn cli_profile(
    env: &Env,
    name: &str,
    origin: &str,
) -> std::result::Result<(Spec, String), String> {
    let path = cli_path(env).ok_or_else(|| format!("{origin}: HOME is not set, so there is no ~/.aliyun/config.json; set ALIBABA_CLOUD_CONFIG_FILE"))?;
    let cfg = files::read_cli(&path).map_err(|e| format!("{origin}: {e}"))?;
    let where_ = path.display().to_string();
    let spec = cfg
        .spec(name, &where_)
        .map_err(|e| format!("{origin}: {e}"))?;
    Ok((spec, format!("profile {name:?} of {where_} ({origin})")))
}

fn detect_cli(env: &Env) -> Detected {
    if env.flag("ALIBABA_CLOUD_CLI_PROFILE_DISABLED") {
        return Ok(None);
    }
    let Some(path) = cli_path(env) else {
        return Ok(None);
    };
    let explicit_file = env.get("ALIBABA_CLOUD_CONFIG_FILE").is_some();
    if !path.exists() {
        return if explicit_file {
            Err(format!(
                "ALIBABA_CLOUD_CONFIG_FILE names {}, which does not exist",
                path.display()
            ))
        } else {
            Ok(None)
        };
    }
    let cfg = files::read_cli(&path)?;
    let where_ = path.display().to_string();
    let (name, from) = match env.get("ALIBABA_CLOUD_PROFILE") {
        Some(n) => (n, "ALIBABA_CLOUD_PROFILE"),
        None if !cfg.current.is_empty() => (cfg.current.clone(), "the file's current"),
        None => return Ok(None),
    };
    if cfg.get(&name).is_none() {
        // The same variable picks the INI file's section: leave it to that
        // link when the INI file has it.
        if from == "ALIBABA_CLOUD_PROFILE" {
            if let Some((ini, _)) = ini_path(env) {
                if matches!(files::ini_spec(&ini, &name), Ok(Some(_))) {
                    return Ok(None);
                }
            }
        }
        return Err(format!(
            "profile {name:?} (from {from}) is not in {where_}, which has {}",
            cfg.names()
        ));
    }
    let spec = cfg.spec(&name, &where_)?;
    Ok(Some((
        spec,
        format!("profile {name:?} of {where_} (chosen by {from})"),
    )))
}

fn detect_ini(env: &Env) -> Detected {
    let Some((path, explicit)) = ini_path(env) else {
        return Ok(None);
    };
    if !path.exists() {
        return Err(format!(
            "ALIBABA_CLOUD_CREDENTIALS_FILE names {}, which does not exist",
            path.display()
        ));
    }
    let (name, from) = match env.get("ALIBABA_CLOUD_PROFILE") {
        Some(n) => (n, "ALIBABA_CLOUD_PROFILE"),
        None => ("default".to_string(), "the default section"),
    };
    match files::ini_spec(&path, &name)? {
        Some(spec) => Ok(Some((
            spec,
            format!("section [{name}] of {} (chosen by {from})", path.display()),
        ))),
        None if explicit || from == "ALIBABA_CLOUD_PROFILE" => Err(format!(
            "the credentials file {} has no section [{name}] (from {from})",
            path.display()
        )),
        None => Ok(None),
    }
}

fn detect_ecs_role(env: &Env) -> Detected {
    if env.flag("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
        return Ok(None);
    }
    let role_name = env.get("ALIBABA_CLOUD_ECS_METADATA");
    let origin = match &role_name {
        Some(r) => format!("the ECS instance RAM role {r:?} (ALIBABA_CLOUD_ECS_METADATA)"),
        None => "the ECS instance RAM role (the metadata service, found by the default chain)"
            .to_string(),
    };
    Ok(Some((Spec::EcsRole { role_name }, origin)))
}

fn detect_uri(env: &Env) -> Detected {
    Ok(env.get("ALIBABA_CLOUD_CREDENTIALS_URI").map(|url| {
        (
            Spec::Uri { url },
            "the credentials URI of ALIBABA_CLOUD_CREDENTIALS_URI".to_string(),
        )
    }))
}

/// What the caller set explicitly (a provider block), before the chain.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Credentials named outright, with their origin.
    pub explicit: Option<(Spec, String)>,
    /// An AssumeRole layered on whatever came out, with its origin.
    pub assume_role: Option<(AssumeRole, String)>,
    pub region: String,
    /// STS endpoint URL; `None`: the region's public one.
    pub sts_endpoint: Option<String>,
}

/// The outcome: the shared provider, primed with its first credentials.
#[derive(Debug)]
pub struct Resolved {
    pub provider: CredentialProvider,
    /// Which link of the chain (or explicit setting) it came from.
    pub origin: String,
}

/// The endpoints fetchers use: `sts_endpoint`, else
/// `ALIBABA_CLOUD_ENDPOINT_STS`... resolved by the caller; the region's
/// public host by default (`sts-vpc.` with ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED).
fn endpoints(req: &Request, env: &Env) -> Result<Endpoints> {
    let region = env
        .get("ALIBABA_CLOUD_STS_REGION")
        .unwrap_or_else(|| req.region.clone());
    let sts = match &req.sts_endpoint {
        Some(e) if e.contains("://") => e.clone(),
        Some(e) => format!("https://{e}"),
        None if env.flag("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED") => {
            format!("https://sts-vpc.{region}.aliyuncs.com/")
        }
        None => format!("https://sts.{region}.aliyuncs.com/"),
    };
    let sts = Url::parse(&sts)
        .map_err(|e| config_error(format!("sts_endpoint {sts:?} is not a URL: {e}")))?;
    let meta = env
        .get("ECS_PROVIDER_METADATA_ENDPOINT")
        .unwrap_or_else(|| METADATA_BASE.to_string());
    let metadata = Url::parse(&meta).map_err(|e| {
        config_error(format!(
            "ECS_PROVIDER_METADATA_ENDPOINT {meta:?} is not a URL: {e}"
        ))
    })?;
    Ok(Endpoints {
        sts,
        metadata,
        imdsv1_disabled: env.flag("ALIBABA_CLOUD_IMDSV1_DISABLED"),
    })
}

fn config_error(message: String) -> Error {
    Error::local(
        ErrorKind::Auth,
        "Credentials",
        "InvalidCredentialsConfig",
        message,
    )
}

/// Finds the credentials: `req.explicit`, else the first link of [`CHAIN`]
/// that is configured; fetches them once, with `req.assume_role` on top.
///
/// # Errors
/// A link that is configured wrongly, or whose first fetch fails, names
/// itself and the setting to fix; nothing found names every link.
pub async fn resolve(req: Request, env: &Env<'_>) -> Result<Resolved> {
    let ends = endpoints(&req, env)?;
    let mut looked = Vec::new();
    let mut chosen = req.explicit.clone();
    if chosen.is_none() {
        for (i, link) in CHAIN.iter().enumerate() {
            match (link.detect)(env) {
                Err(m) => {
                    let mut e = config_error(format!(
                        "the {} link of the credential chain: {m}",
                        link.name
                    ));
                    e.hint = Some(format!("fix it, or set credentials in the provider block ({} is read only when the provider block sets none)", link.name).into());
                    return Err(e);
                }
                Ok(None) => looked.push(format!("{} ({}): not set", link.name, link.settings)),
                Ok(Some((spec, origin))) => {
                    let later = CHAIN[i + 1..]
                        .iter()
                        .any(|l| matches!((l.detect)(env), Ok(Some(_))));
                    if link.probe && later {
                        let p = spec::provider(&spec, &origin, &ends)?;
                        match p.current().await {
                            Ok(_) if req.assume_role.is_none() => {
                                return Ok(Resolved {
                                    provider: p,
                                    origin,
                                })
                            }
                            Ok(_) => {
                                chosen = Some((spec, origin));
                                break;
                            }
                            Err(e) => {
                                looked.push(format!("{}: {}", link.name, e.message));
                                continue;
                            }
                        }
                    }
                    if link.probe {
                        // The last resort: say what else was looked at.
                        let p = spec::provider(&spec, &origin, &ends)?;
                        if let Err(mut e) = p.current().await {
                            e.message = format!(
                                "no credentials were found: {}; and {}",
                                looked.join("; "),
                                e.message
                            );
                            e.hint = Some("set access_key and secret_key, profile, assume_role_with_oidc, credentials_uri or ecs_role_name in the provider block, or the environment variables of one of the links above (docs: Authentication)".into());
                            return Err(e);
                        }
                        if req.assume_role.is_none() {
                            return Ok(Resolved {
                                provider: p,
                                origin,
                            });
                        }
                    }
                    chosen = Some((spec, origin));
                    break;
                }
            }
        }
    }
    let Some((spec, origin)) = chosen else {
        let mut e = config_error(format!("no credentials were found: {}", looked.join("; ")));
        e.hint = Some("set access_key and secret_key, profile, assume_role_with_oidc, credentials_uri or ecs_role_name in the provider block, or the environment variables of one of the links above (docs: Authentication)".into());
        return Err(e);
    };
    let (spec, origin) = match req.assume_role {
        Some((role, role_origin)) => (
            Spec::AssumeRole {
                source: Box::new((spec, origin)),
                role,
            },
            role_origin,
        ),
        None => (spec, origin),
    };
    let provider = spec::provider(&spec, &origin, &ends)?;
    provider.current().await?;
    tracing::debug!(origin = %origin, "credentials resolved");
    Ok(Resolved { provider, origin })
}

/// An error for a setting the caller must fix, in `origin`'s words.
pub fn setting_error(
    origin: &str,
    message: impl std::fmt::Display,
    fix: impl Into<String>,
) -> Error {
    source_error(
        "Credentials",
        "InvalidCredentialsConfig",
        origin,
        message,
        fix,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + Sync {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn rows_are_in_the_sdk_order() {
        let names: Vec<_> = CHAIN.iter().map(|l| l.name).collect();
        assert_eq!(
            names,
            [
                "environment",
                "OIDC",
                "aliyun CLI profile",
                "credentials file",
                "ECS instance RAM role",
                "credentials URI"
            ]
        );
    }

    #[test]
    fn half_an_oidc_setup_is_an_error_naming_what_is_missing() {
        let f = env_of(&[
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/t"),
            ("ALIBABA_CLOUD_ROLE_ARN", "r"),
        ]);
        let e = detect_oidc(&Env { var: &f }).unwrap_err();
        assert!(e.contains("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"), "{e}");
        // The role variable alone belongs to assume_role.
        let f = env_of(&[("ALIBABA_CLOUD_ROLE_ARN", "r")]);
        assert_eq!(detect_oidc(&Env { var: &f }).unwrap(), None);
    }

    #[test]
    fn env_keys_need_both_halves() {
        let f = env_of(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "a")]);
        assert!(detect_env(&Env { var: &f })
            .unwrap_err()
            .contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
        let f = env_of(&[
            ("ALICLOUD_ACCESS_KEY", "a"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
        ]);
        assert!(matches!(
            detect_env(&Env { var: &f }).unwrap(),
            Some((Spec::Static { .. }, _))
        ));
    }

    #[tokio::test]
    async fn an_unknown_cli_profile_is_named_with_the_ones_there_are() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(&p, r#"{"current":"a","profiles":[{"name":"a","mode":"AK","access_key_id":"x","access_key_secret":"y"}]}"#).unwrap();
        let path = p.display().to_string();
        let f = move |k: &str| match k {
            "ALIBABA_CLOUD_CONFIG_FILE" => Some(path.clone()),
            "ALIBABA_CLOUD_PROFILE" => Some("prod".into()),
            _ => None,
        };
        let e = resolve(
            Request {
                region: "cn-hangzhou".into(),
                ..Default::default()
            },
            &Env { var: &f },
        )
        .await
        .unwrap_err();
        assert!(
            e.message.contains("\"prod\"") && e.message.contains("\"a\""),
            "{e}"
        );
        assert!(e.message.contains("aliyun CLI profile"), "{e}");
    }
}
