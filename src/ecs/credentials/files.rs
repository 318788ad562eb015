//! The two files users keep credentials in: the aliyun CLI's
//! `~/.aliyun/config.json` (profiles with a `mode`) and the SDKs' INI file
//! `~/.alibabacloud/credentials` (sections with a `type`). Both become a
//! [`Spec`]; a profile that cannot be used is an error naming the profile,
//! the file and the field.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::super::secret::Secret;
use super::spec::{AssumeRole, Spec, DEFAULT_SESSION_NAME, DEFAULT_SESSION_SECONDS};

#[derive(Deserialize, Default)]
pub struct CliConfig {
    #[serde(default)]
    pub current: String,
    #[serde(default)]
    pub profiles: Vec<CliProfile>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CliProfile {
    pub name: String,
    pub mode: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub sts_token: String,
    pub ram_role_name: String,
    pub ram_role_arn: String,
    pub ram_session_name: String,
    pub external_id: String,
    pub source_profile: String,
    pub expired_seconds: u32,
    pub process_command: String,
    pub credentials_uri: String,
    pub oidc_provider_arn: String,
    pub oidc_token_file: String,
}

impl std::fmt::Debug for CliProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CliProfile")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Reads and parses the CLI config file.
pub fn read_cli(path: &Path) -> Result<CliConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{} is not an aliyun CLI config file: {e}", path.display()))
}

impl CliConfig {
    pub fn names(&self) -> String {
        self.profiles
            .iter()
            .map(|p| format!("{:?}", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn get(&self, name: &str) -> Option<&CliProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The spec of profile `name`; `where_` names the file for messages.
    pub fn spec(&self, name: &str, where_: &str) -> Result<Spec, String> {
        self.spec_depth(name, where_, 0)
    }

    fn spec_depth(&self, name: &str, where_: &str, depth: u32) -> Result<Spec, String> {
        let p = self
            .get(name)
            .ok_or_else(|| format!("{where_} has no profile {name:?} (it has {})", self.names()))?;
        let at = format!("profile {name:?} of {where_}");
        let need = |field: &str, v: &str| -> Result<String, String> {
            if v.is_empty() {
                Err(format!("{at} (mode {}) has no {field}", p.mode))
            } else {
                Ok(v.to_string())
            }
        };
        let role = |p: &CliProfile| -> Result<AssumeRole, String> {
            Ok(AssumeRole {
                role_arn: need("ram_role_arn", &p.ram_role_arn)?,
                session_name: non_empty(&p.ram_session_name).unwrap_or(DEFAULT_SESSION_NAME.into()),
                policy: None,
                external_id: non_empty(&p.external_id),
                duration_seconds: if p.expired_seconds > 0 {
                    p.expired_seconds
                } else {
                    DEFAULT_SESSION_SECONDS
                },
            })
        };
        let keys = |token: bool| -> Result<Spec, String> {
            Ok(Spec::Static {
                access_key_id: need("access_key_id", &p.access_key_id)?,
                secret: Secret::new(need("access_key_secret", &p.access_key_secret)?),
                token: if token {
                    Some(Secret::new(need("sts_token", &p.sts_token)?))
                } else {
                    None
                },
            })
        };
        Ok(match p.mode.to_ascii_lowercase().as_str() {
            "" | "ak" => keys(false)?,
            "ststoken" => keys(true)?,
            "ramrolearn" => Spec::AssumeRole {
                source: Box::new((keys(false)?, format!("the access key of {at}"))),
                role: role(p)?,
            },
            "chainableramrolearn" => {
                if depth > 5 {
                    return Err(format!("{at}: source_profile chains loop"));
                }
                let src = need("source_profile", &p.source_profile)?;
                Spec::AssumeRole {
                    source: Box::new((self.spec_depth(&src, where_, depth + 1)?, format!("profile {src:?} of {where_}"))),
                    role: role(p)?,
                }
            }
            "ecsramrole" => Spec::EcsRole { role_name: non_empty(&p.ram_role_name) },
            "oidc" => Spec::Oidc {
                provider_arn: need("oidc_provider_arn", &p.oidc_provider_arn)?,
                token_file: PathBuf::from(need("oidc_token_file", &p.oidc_token_file)?),
                role_arn: need("ram_role_arn", &p.ram_role_arn)?,
                session_name: non_empty(&p.ram_session_name).unwrap_or(DEFAULT_SESSION_NAME.into()),
                policy: None,
                duration_seconds: if p.expired_seconds > 0 { p.expired_seconds } else { DEFAULT_SESSION_SECONDS },
            },
            "credentialsuri" => Spec::Uri { url: need("credentials_uri", &p.credentials_uri)? },
            "external" => Spec::External { command: need("process_command", &p.process_command)? },
            _ => {
                return Err(format!(
                    "{at} has mode {:?}, which this provider does not support (AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC, CredentialsURI, External): use another profile",
                    p.mode
                ))
            }
        })
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The INI file's section `name` as a spec; `Ok(None)` when the file has no
/// such section.
pub fn ini_spec(path: &Path, name: &str) -> Result<Option<Spec>, String> {
    let ini = ini::Ini::load_from_file(path)
        .map_err(|e| format!("cannot read the credentials file {}: {e}", path.display()))?;
    let Some(sec) = ini.section(Some(name)) else {
        return Ok(None);
    };
    let at = format!("section [{name}] of {}", path.display());
    let get = |k: &str| {
        sec.get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let need = |k: &str| get(k).ok_or_else(|| format!("{at} has no {k}"));
    let keys = || -> Result<Spec, String> {
        Ok(Spec::Static {
            access_key_id: need("access_key_id")?,
            secret: Secret::new(need("access_key_secret")?),
            token: None,
        })
    };
    let kind = get("type").unwrap_or_else(|| "access_key".into());
    Ok(Some(match kind.as_str() {
        "access_key" => keys()?,
        "ecs_ram_role" => Spec::EcsRole { role_name: get("role_name") },
        "ram_role_arn" => Spec::AssumeRole {
            source: Box::new((keys()?, format!("the access key of {at}"))),
            role: AssumeRole {
                role_arn: need("role_arn")?,
                session_name: get("role_session_name").unwrap_or(DEFAULT_SESSION_NAME.into()),
                policy: get("policy"),
                external_id: get("external_id"),
                duration_seconds: DEFAULT_SESSION_SECONDS,
            },
        },
        "oidc_role_arn" => Spec::Oidc {
            provider_arn: need("oidc_provider_arn")?,
            token_file: PathBuf::from(need("oidc_token_file_path")?),
            role_arn: need("role_arn")?,
            session_name: get("role_session_name").unwrap_or(DEFAULT_SESSION_NAME.into()),
            policy: get("policy"),
            duration_seconds: DEFAULT_SESSION_SECONDS,
        },
        "credentials_uri" => Spec::Uri { url: need("credentials_uri")? },
        other => return Err(format!("{at} has type {other:?}; use access_key, ecs_ram_role, ram_role_arn, oidc_role_arn or credentials_uri")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_modes_become_specs() {
        let cfg: CliConfig = serde_json::from_str(r#"{"current":"a","profiles":[
            {"name":"a","mode":"AK","access_key_id":"AK1","access_key_secret":"S1"},
            {"name":"r","mode":"RamRoleArn","access_key_id":"AK1","access_key_secret":"S1","ram_role_arn":"acs:ram::1:role/x","ram_session_name":"s"},
            {"name":"c","mode":"ChainableRamRoleArn","source_profile":"r","ram_role_arn":"acs:ram::1:role/y"},
            {"name":"e","mode":"EcsRamRole","ram_role_name":"role"},
            {"name":"sso","mode":"CloudSSO"}]}"#).unwrap();
        assert!(matches!(cfg.spec("a", "f").unwrap(), Spec::Static { .. }));
        let Spec::AssumeRole { source, role } = cfg.spec("c", "f").unwrap() else {
            panic!()
        };
        assert_eq!(role.role_arn, "acs:ram::1:role/y");
        assert!(matches!(source.0, Spec::AssumeRole { .. }));
        assert_eq!(
            cfg.spec("e", "f").unwrap(),
            Spec::EcsRole {
                role_name: Some("role".into())
            }
        );
        assert!(cfg.spec("sso", "f").unwrap_err().contains("CloudSSO"));
        let e = cfg.spec("nope", "f").unwrap_err();
        assert!(e.contains("\"nope\"") && e.contains("\"a\""), "{e}");
    }

    #[test]
    fn ini_sections_become_specs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("credentials");
        std::fs::write(&p, "[default]\ntype = access_key\naccess_key_id = AK\naccess_key_secret = S\n\n[oidc]\ntype = oidc_role_arn\noidc_provider_arn = acs:ram::1:oidc-provider/gh\noidc_token_file_path = /t\nrole_arn = acs:ram::1:role/r\n").unwrap();
        assert!(matches!(
            ini_spec(&p, "default").unwrap(),
            Some(Spec::Static { .. })
        ));
        assert!(matches!(
            ini_spec(&p, "oidc").unwrap(),
            Some(Spec::Oidc { .. })
        ));
        assert_eq!(ini_spec(&p, "other").unwrap(), None);
    }
}
