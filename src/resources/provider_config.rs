//! The `provider "ecs" {}` block: its schema, environment fallbacks and
//! validation.
//!
//! Validation runs twice. At validate/plan time (`validate`) the block may
//! still hold unknown values, so only what is known is checked. At Configure
//! time (`ProviderSettings::resolve`) every value is known, environment
//! fallbacks are applied, and anything missing is an error that names the
//! attribute and the variables that could supply it.

use super::attrs;
use super::schema_builder::{optional, sensitive};
use crate::protocol::{AttributePath, Block, Diagnostic, Schema, Type, Value};
use std::fmt;
use std::time::Duration;

/// Environment variables read, in order, when an attribute is not set.
pub const REGION_ENV: &[&str] = &["ALICLOUD_REGION", "ALIBABA_CLOUD_REGION"];
pub const ACCESS_KEY_ENV: &[&str] = &["ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID"];
pub const SECRET_KEY_ENV: &[&str] = &["ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"];
pub const SECURITY_TOKEN_ENV: &[&str] =
    &["ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN"];
pub const ENDPOINT_ENV: &[&str] = &["ALIBABA_CLOUD_ENDPOINT_ECS"];
/// For emulators and CI: the README's emulator recipe sets it to the
/// emulator's `--cooldown`, so the examples need no edit.
pub const COOLDOWN_ENV: &[&str] = &["ECS_MODIFICATION_COOLDOWN"];

pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(300);
pub const DEFAULT_MAX_RPS: f64 = 20.0;
pub const DEFAULT_MAX_RETRIES: u32 = 5;

pub fn schema() -> Schema {
    let s = Type::String;
    Schema {
        version: 0,
        block: Block {
            description: "Alibaba Cloud ECS. Credentials and region may come from the environment, the aliyun CLI's profiles, OIDC, a RAM role or the ECS metadata service (see Authentication).".into(),
            attributes: vec![
                optional("region", s.clone(), "Region, e.g. cn-hangzhou. Env: ALICLOUD_REGION, ALIBABA_CLOUD_REGION."),
                optional("access_key", s.clone(), "AccessKey ID. Env: ALICLOUD_ACCESS_KEY, ALIBABA_CLOUD_ACCESS_KEY_ID. When neither the block nor these variables give keys, the default credential chain is used (see Authentication)."),
                sensitive(optional("secret_key", s.clone(), "AccessKey secret. Env: ALICLOUD_SECRET_KEY, ALIBABA_CLOUD_ACCESS_KEY_SECRET.")),
                sensitive(optional("security_token", s.clone(), "STS security token. Env: ALICLOUD_SECURITY_TOKEN, ALIBABA_CLOUD_SECURITY_TOKEN.")),
                optional("endpoint", s.clone(), "Full URL of the ECS endpoint, e.g. http://127.0.0.1:8080 for the emulator (http only for loopback hosts). Env: ALIBABA_CLOUD_ENDPOINT_ECS. Default https://ecs.<region>.aliyuncs.com."),
                optional("signature_version", s.clone(), "Request signature: \"v3\" (default, ACS3-HMAC-SHA256) or \"v1\" (HMAC-SHA1)."),
                optional("modification_cooldown", s, "Time the API needs between two modifications of one instance (the 5-minute rule). Duration such as \"5m\" or \"2s\"; default \"5m\". Env: ECS_MODIFICATION_COOLDOWN. Lower it only for emulators, to their --cooldown."),
                optional("max_requests_per_second", Type::Number, "Client-side rate limit per API action (ECS throttles each action separately), shared by all operations of this provider (default 20 requests per second)."),
                optional("max_retries", Type::Number, "Retries of a failed API call that may succeed later (throttling, 5xx, network); default 5."),
            ]
            .into_iter()
            .chain(super::provider_auth::attributes())
            .chain(super::rolling::attributes())
            .collect(),
            block_types: super::provider_auth::blocks(),
        },
    }
}

/// Where a setting's value came from, so that a message about a wrong value
/// names the place to fix it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// The attribute of this name in the provider block.
    Block(&'static str),
    /// This environment variable.
    Env(&'static str),
    /// Not set anywhere: the built-in default.
    #[default]
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Block(name) => write!(f, "{name} in the provider block"),
            Source::Env(var) => write!(f, "the environment variable {var}"),
            Source::Default => write!(f, "the default"),
        }
    }
}

/// Where each setting that a user may get wrong came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    pub region: Source,
    pub access_key: Source,
    pub secret_key: Source,
    pub endpoint: Source,
    pub modification_cooldown: Source,
}

impl Sources {
    /// The same, in the client's words for its error messages.
    pub fn origins(&self) -> crate::ecs::Origins {
        let endpoint = match self.endpoint {
            Source::Default => "the default for the region; set endpoint or ALIBABA_CLOUD_ENDPOINT_ECS to change it".to_string(),
            s => s.to_string(),
        };
        crate::ecs::Origins {
            region: format!(
                "{}; set region in the provider block or {}",
                self.region,
                REGION_ENV.join(" or ")
            ),
            access_key: self.access_key.to_string(),
            secret_key: self.secret_key.to_string(),
            endpoint,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureChoice {
    V1,
    V3,
}

/// The provider block, validated and with fallbacks applied.
#[derive(Clone)]
pub struct ProviderSettings {
    pub region: String,
    /// Where the credentials come from: the block's keys or other settings,
    /// else the default chain (`super::provider_auth`).
    pub credentials: crate::ecs::credentials::chain::Request,
    pub endpoint: Option<String>,
    pub signature_version: SignatureChoice,
    pub modification_cooldown: Duration,
    pub max_requests_per_second: f64,
    pub max_retries: u32,
    /// `max_unavailable` and `update_grace_period` (see `super::rolling`).
    pub rolling: super::rolling::RollingSettings,
    pub sources: Sources,
}

/// Secrets are never printed, not even in debug logs.
impl fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("region", &self.region)
            .field(
                "credentials",
                &self.credentials.explicit.as_ref().map(|(_, origin)| origin),
            )
            .field(
                "assume_role",
                &self
                    .credentials
                    .assume_role
                    .as_ref()
                    .map(|(r, _)| &r.role_arn),
            )
            .field("endpoint", &self.endpoint)
            .field("signature_version", &self.signature_version)
            .field("modification_cooldown", &self.modification_cooldown)
            .field("max_requests_per_second", &self.max_requests_per_second)
            .field("max_retries", &self.max_retries)
            .field("rolling", &self.rolling)
            .field("sources", &self.sources)
            .finish()
    }
}

fn at(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

/// Checks the known values of the block (it may hold unknowns at validate time).
pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if let Some(v) = attrs::string(config, "signature_version") {
        if parse_signature(&v).is_none() {
            diags.push(
                Diagnostic::error(
                    "Invalid Signature Version",
                    format!("signature_version = \"{v}\" is not supported. Use \"v3\" (the default) or \"v1\"."),
                )
                .at(at("signature_version")),
            );
        }
    }
    if let Some(v) = attrs::string(config, "modification_cooldown") {
        if let Err(e) = humantime::parse_duration(&v) {
            diags.push(
                Diagnostic::error(
                    "Invalid Modification Cooldown",
                    format!("modification_cooldown = \"{v}\" is not a duration ({e}). Use a value such as \"5m\", \"90s\" or \"500ms\"."),
                )
                .at(at("modification_cooldown")),
            );
        }
    }
    if let Some(v) = attrs::string(config, "endpoint") {
        if let Err(msg) = check_endpoint(&v) {
            diags.push(Diagnostic::error("Invalid Endpoint", msg).at(at("endpoint")));
        }
    }
    if !attrs::is_unknown(config, "max_requests_per_second") {
        if let Some(v) = attrs::float(config, "max_requests_per_second") {
            if !(v > 0.0 && v <= 10_000.0) {
                diags.push(
                    Diagnostic::error(
                        "Invalid Rate Limit",
                        format!("max_requests_per_second = {v} must be greater than 0 and at most 10000."),
                    )
                    .at(at("max_requests_per_second")),
                );
            }
        }
    }
    if !matches!(
        attrs::get(config, "max_retries"),
        Value::Null | Value::Unknown
    ) {
        match attrs::int(config, "max_retries") {
            Some(n) if (0..=50).contains(&n) => {}
            _ => diags.push(
                Diagnostic::error(
                    "Invalid Retry Count",
                    "max_retries must be a whole number from 0 to 50.",
                )
                .at(at("max_retries")),
            ),
        }
    }
    for name in ["region", "access_key", "secret_key"] {
        if attrs::string(config, name).is_some_and(|s| s.trim().is_empty()) {
            diags.push(
                Diagnostic::error(
                    "Empty Provider Attribute",
                    format!("{name} is set to an empty string. Remove it to use the environment, or set a value."),
                )
                .at(at(name)),
            );
        }
    }
    diags.extend(super::provider_auth::validate(config));
    diags.extend(super::rolling::validate(config));
    diags
}

fn parse_signature(v: &str) -> Option<SignatureChoice> {
    match v.to_ascii_lowercase().as_str() {
        "v1" => Some(SignatureChoice::V1),
        "v3" => Some(SignatureChoice::V3),
        _ => None,
    }
}

/// An endpoint must be an absolute http(s) URL; plain http is only accepted
/// for loopback hosts, so credentials never cross a network unencrypted.
pub fn check_endpoint(v: &str) -> Result<(), String> {
    let url = url::Url::parse(v).map_err(|e| {
        format!("endpoint = \"{v}\" is not a URL ({e}). Use a full URL such as https://ecs.cn-hangzhou.aliyuncs.com or http://127.0.0.1:8080.")
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(format!("endpoint = \"{v}\" uses plain http to a non-loopback host, which would send signed requests unencrypted. Use https, or a loopback address (127.0.0.1, ::1, localhost) for a local emulator."))
            }
        }
        other => Err(format!("endpoint = \"{v}\" has scheme \"{other}\"; use https (or http for a loopback emulator).")),
    }
}

/// The attributes of the block that are not known yet (all of them named
/// `provider` when the block itself is unknown). Terraform configures
/// providers during plan with whatever the block evaluates to, so a value
/// taken from a resource still to be created arrives unknown: that is not
/// "unset", so no environment fallback applies and nothing is missing; the
/// provider just cannot talk to ECS until apply.
pub fn unknown_attributes(config: &Value) -> Vec<String> {
    match config {
        Value::Unknown => vec!["provider".to_string()],
        Value::Object(m) => m
            .iter()
            .filter(|(_, v)| !v.is_wholly_known())
            .map(|(k, _)| k.clone())
            .collect(),
        _ => Vec::new(),
    }
}

impl ProviderSettings {
    /// Resolves the fully known block against the environment (`env` looks up
    /// one variable; pass `|k| std::env::var(k).ok()` in production).
    ///
    /// # Errors
    /// Every problem as a diagnostic pointing at its attribute.
    pub fn resolve(
        config: &Value,
        env: impl Fn(&str) -> Option<String> + Sync,
    ) -> Result<Self, Vec<Diagnostic>> {
        let mut diags = validate(config);
        let from = |name: &'static str, vars: &[&'static str]| -> Option<(String, Source)> {
            attrs::string(config, name)
                .map(|v| (v, Source::Block(name)))
                .or_else(|| {
                    vars.iter().find_map(|k| {
                        env(k)
                            .filter(|v| !v.is_empty())
                            .map(|v| (v, Source::Env(k)))
                    })
                })
        };
        let mut need = |name: &'static str, vars: &[&'static str], what: &str| {
            from(name, vars).unwrap_or_else(|| {
                diags.push(
                    Diagnostic::error(
                        format!("Missing {what}"),
                        format!(
                            "Set {name} in the provider block, or the environment variable {}.",
                            vars.join(" or ")
                        ),
                    )
                    .at(at(name)),
                );
                (String::new(), Source::Default)
            })
        };
        let (region, region_from) = need("region", REGION_ENV, "Region");
        // A key pair in the block or its variables is used as it is; with
        // neither half anywhere, the default chain takes over (Configure).
        let (access_key, access_key_from, secret_key, secret_key_from) =
            if from("access_key", ACCESS_KEY_ENV).is_some()
                || from("secret_key", SECRET_KEY_ENV).is_some()
            {
                let (a, af) = need("access_key", ACCESS_KEY_ENV, "Access Key");
                let (s, sf) = need("secret_key", SECRET_KEY_ENV, "Secret Key");
                (a, af, s, sf)
            } else {
                (
                    String::new(),
                    Source::Default,
                    String::new(),
                    Source::Default,
                )
            };
        let security_token = from("security_token", SECURITY_TOKEN_ENV).map(|(v, _)| v);
        let keys_in_block = matches!(access_key_from, Source::Block(_))
            || matches!(secret_key_from, Source::Block(_));
        let keys = (!access_key.is_empty() && !secret_key.is_empty()).then(|| {
            (
                crate::ecs::credentials::Spec::Static {
                    access_key_id: access_key.clone(),
                    secret: crate::ecs::Secret::new(secret_key.clone()),
                    token: security_token.clone().map(crate::ecs::Secret::new),
                },
                if access_key_from == secret_key_from {
                    access_key_from.to_string()
                } else {
                    format!("{access_key_from} and {secret_key_from}")
                },
                keys_in_block,
            )
        });
        let credentials = match super::provider_auth::request(config, &region, keys, &env) {
            Ok(r) => Some(r),
            Err(d) => {
                diags.extend(d);
                None
            }
        };
        let endpoint = from("endpoint", ENDPOINT_ENV);
        if let Some((e, Source::Env(var))) = &endpoint {
            if let Err(msg) = check_endpoint(e) {
                diags.push(
                    Diagnostic::error("Invalid Endpoint", format!("From {var}: {msg}"))
                        .at(at("endpoint")),
                );
            }
        }
        let cooldown = from("modification_cooldown", COOLDOWN_ENV);
        let modification_cooldown = match &cooldown {
            Some((v, Source::Env(var))) => humantime::parse_duration(v).unwrap_or_else(|e| {
                diags.push(
                    Diagnostic::error(
                        "Invalid Modification Cooldown",
                        format!("{var} = \"{v}\" is not a duration ({e}). Use a value such as \"5m\", \"10s\" or \"500ms\", or unset it."),
                    )
                    .at(at("modification_cooldown")),
                );
                DEFAULT_COOLDOWN
            }),
            Some((v, _)) => humantime::parse_duration(v).unwrap_or(DEFAULT_COOLDOWN),
            None => DEFAULT_COOLDOWN,
        };
        let sources = Sources {
            region: region_from,
            access_key: access_key_from,
            secret_key: secret_key_from,
            endpoint: endpoint.as_ref().map_or(Source::Default, |(_, s)| *s),
            modification_cooldown: cooldown.as_ref().map_or(Source::Default, |(_, s)| *s),
        };
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(ProviderSettings {
            region,
            credentials: credentials.expect("no diagnostics: resolved"),
            endpoint: endpoint.map(|(v, _)| v),
            signature_version: attrs::string(config, "signature_version")
                .and_then(|v| parse_signature(&v))
                .unwrap_or(SignatureChoice::V3),
            modification_cooldown,
            max_requests_per_second: attrs::float(config, "max_requests_per_second")
                .unwrap_or(DEFAULT_MAX_RPS),
            max_retries: attrs::int(config, "max_retries")
                .map(|n| n as u32)
                .unwrap_or(DEFAULT_MAX_RETRIES),
            rolling: super::rolling::RollingSettings::of(config),
            sources,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PathStep;

    fn block(pairs: &[(&str, Value)]) -> Value {
        attrs::config_of(&schema().block, pairs)
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn path_of(d: &Diagnostic) -> String {
        match d.attribute.as_ref().and_then(|p| p.0.first()) {
            Some(PathStep::Attribute(a)) => a.clone(),
            _ => String::new(),
        }
    }

    #[test]
    fn env_fallbacks_fill_missing_attributes() {
        let env = |k: &str| match k {
            "ALIBABA_CLOUD_REGION" => Some("cn-beijing".to_string()),
            "ALICLOUD_ACCESS_KEY" => Some("AKID".to_string()),
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some("s3cr3t".to_string()),
            "ALIBABA_CLOUD_ENDPOINT_ECS" => Some("http://127.0.0.1:9000".to_string()),
            _ => None,
        };
        let s = ProviderSettings::resolve(&block(&[]), env).unwrap();
        assert_eq!(s.region, "cn-beijing");
        let Some((
            crate::ecs::credentials::Spec::Static {
                access_key_id,
                secret,
                ..
            },
            origin,
        )) = &s.credentials.explicit
        else {
            panic!("static keys expected: {s:?}");
        };
        assert_eq!(access_key_id, "AKID");
        assert_eq!(secret.expose(), "s3cr3t");
        assert!(origin.contains("ALICLOUD_ACCESS_KEY"), "{origin}");
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s.signature_version, SignatureChoice::V3);
        assert_eq!(s.modification_cooldown, DEFAULT_COOLDOWN);
    }

    #[test]
    fn sources_name_the_block_attribute_or_the_variable_used() {
        let env = |k: &str| match k {
            "ALICLOUD_REGION" => Some("cn-beijing".to_string()),
            "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some("AKID".to_string()),
            "ALIBABA_CLOUD_ENDPOINT_ECS" => Some("http://127.0.0.1:9000".to_string()),
            "ECS_MODIFICATION_COOLDOWN" => Some("10s".to_string()),
            _ => None,
        };
        let cfg = block(&[("secret_key", attrs::str_value("b"))]);
        let s = ProviderSettings::resolve(&cfg, env).unwrap();
        assert_eq!(s.modification_cooldown, Duration::from_secs(10));
        assert_eq!(s.sources.region, Source::Env("ALICLOUD_REGION"));
        assert_eq!(
            s.sources.access_key,
            Source::Env("ALIBABA_CLOUD_ACCESS_KEY_ID")
        );
        assert_eq!(s.sources.secret_key, Source::Block("secret_key"));
        assert_eq!(
            s.sources.endpoint.to_string(),
            "the environment variable ALIBABA_CLOUD_ENDPOINT_ECS"
        );
        assert_eq!(
            s.sources.modification_cooldown,
            Source::Env("ECS_MODIFICATION_COOLDOWN")
        );
        assert_eq!(
            s.sources.secret_key.to_string(),
            "secret_key in the provider block"
        );
    }

    #[test]
    fn a_bad_cooldown_variable_is_named() {
        let env = |k: &str| match k {
            "ALICLOUD_REGION" | "ALICLOUD_ACCESS_KEY" | "ALICLOUD_SECRET_KEY" => Some("x".into()),
            "ECS_MODIFICATION_COOLDOWN" => Some("ten seconds".into()),
            _ => None,
        };
        let err = ProviderSettings::resolve(&block(&[]), env).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(path_of(&err[0]), "modification_cooldown");
        assert!(
            err[0].detail.contains("ECS_MODIFICATION_COOLDOWN"),
            "{}",
            err[0].detail
        );
        // The block wins over the variable.
        let cfg = block(&[("modification_cooldown", attrs::str_value("2s"))]);
        let s = ProviderSettings::resolve(&cfg, env).unwrap();
        assert_eq!(s.modification_cooldown, Duration::from_secs(2));
    }

    #[test]
    fn block_values_win_over_env() {
        let env = |k: &str| (k == "ALICLOUD_REGION").then(|| "cn-beijing".to_string());
        let cfg = block(&[
            ("region", attrs::str_value("cn-hangzhou")),
            ("access_key", attrs::str_value("a")),
            ("secret_key", attrs::str_value("b")),
            ("signature_version", attrs::str_value("v1")),
            ("modification_cooldown", attrs::str_value("2s")),
            ("max_retries", attrs::int_value(2)),
        ]);
        let s = ProviderSettings::resolve(&cfg, env).unwrap();
        assert_eq!(s.region, "cn-hangzhou");
        assert_eq!(s.signature_version, SignatureChoice::V1);
        assert_eq!(s.modification_cooldown, Duration::from_secs(2));
        assert_eq!(s.max_retries, 2);
    }

    #[test]
    fn missing_settings_name_attribute_and_variables() {
        // No keys at all: the default chain's turn (at Configure).
        let err = ProviderSettings::resolve(&block(&[]), no_env).unwrap_err();
        let paths: Vec<String> = err.iter().map(path_of).collect();
        assert_eq!(paths, ["region"]);
        // Half a pair: the other half is missing.
        let cfg = block(&[
            ("region", attrs::str_value("r")),
            ("access_key", attrs::str_value("a")),
        ]);
        let err = ProviderSettings::resolve(&cfg, no_env).unwrap_err();
        assert_eq!(err.iter().map(path_of).collect::<Vec<_>>(), ["secret_key"]);
        assert!(err[0].detail.contains("ALICLOUD_SECRET_KEY"));
    }

    #[test]
    fn a_setting_in_the_block_beats_keys_from_the_environment() {
        let env = |k: &str| match k {
            "ALICLOUD_ACCESS_KEY" | "ALICLOUD_SECRET_KEY" => Some("x".to_string()),
            _ => None,
        };
        let cfg = block(&[
            ("region", attrs::str_value("r")),
            ("credentials_uri", attrs::str_value("http://127.0.0.1:1/c")),
        ]);
        let s = ProviderSettings::resolve(&cfg, env).unwrap();
        assert!(matches!(
            s.credentials.explicit,
            Some((crate::ecs::credentials::Spec::Uri { .. }, _))
        ));
        // Without it, the keys of the environment.
        let s =
            ProviderSettings::resolve(&block(&[("region", attrs::str_value("r"))]), env).unwrap();
        assert!(matches!(
            s.credentials.explicit,
            Some((crate::ecs::credentials::Spec::Static { .. }, _))
        ));
    }

    #[test]
    fn credential_blocks_become_a_request_for_the_chain() {
        let schema = schema();
        let oidc_block = schema
            .block
            .block_types
            .iter()
            .find(|b| b.type_name == "assume_role_with_oidc")
            .unwrap();
        let oidc = attrs::config_of(
            &oidc_block.block,
            &[
                (
                    "oidc_provider_arn",
                    attrs::str_value("acs:ram::1:oidc-provider/gh"),
                ),
                ("role_arn", attrs::str_value("acs:ram::1:role/deploy")),
            ],
        );
        let env =
            |k: &str| (k == "ALIBABA_CLOUD_OIDC_TOKEN_FILE").then(|| "/run/token".to_string());
        let cfg = block(&[
            ("region", attrs::str_value("r")),
            ("assume_role_with_oidc", oidc),
            ("sts_endpoint", attrs::str_value("http://127.0.0.1:1")),
        ]);
        let s = ProviderSettings::resolve(&cfg, env).unwrap();
        let Some((
            crate::ecs::credentials::Spec::Oidc {
                token_file,
                role_arn,
                duration_seconds,
                ..
            },
            origin,
        )) = &s.credentials.explicit
        else {
            panic!("{s:?}")
        };
        assert_eq!(token_file.to_str(), Some("/run/token"));
        assert_eq!(role_arn, "acs:ram::1:role/deploy");
        assert_eq!(*duration_seconds, 3600);
        assert!(origin.contains("assume_role_with_oidc"));
        assert_eq!(
            s.credentials.sts_endpoint.as_deref(),
            Some("http://127.0.0.1:1")
        );
        // Bad values point at their attribute inside the block.
        let bad = attrs::config_of(
            &oidc_block.block,
            &[
                ("role_arn", attrs::str_value("arn:aws:iam::1:role/x")),
                ("session_expiration", attrs::int_value(60)),
            ],
        );
        let diags = validate(&block(&[("assume_role_with_oidc", bad)]));
        let summaries: Vec<_> = diags.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(
            summaries,
            ["Invalid Role ARN", "Invalid Session Expiration"]
        );
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(check_endpoint("http://127.0.0.1:8080").is_ok());
        assert!(check_endpoint("http://[::1]:8080").is_ok());
        assert!(check_endpoint("http://localhost:1").is_ok());
        assert!(check_endpoint("https://ecs.cn-hangzhou.aliyuncs.com").is_ok());
        assert!(check_endpoint("http://10.0.0.1:8080").is_err());
        assert!(check_endpoint("ftp://127.0.0.1").is_err());
        assert!(check_endpoint("not a url").is_err());
        let diags = validate(&block(&[(
            "endpoint",
            attrs::str_value("http://example.com"),
        )]));
        assert_eq!(diags.len(), 1);
        assert_eq!(path_of(&diags[0]), "endpoint");
    }

    #[test]
    fn bad_values_point_at_their_attribute() {
        let diags = validate(&block(&[
            ("signature_version", attrs::str_value("v2")),
            ("modification_cooldown", attrs::str_value("five minutes")),
            ("max_requests_per_second", attrs::int_value(0)),
            ("max_retries", attrs::int_value(-1)),
        ]));
        let paths: Vec<String> = diags.iter().map(path_of).collect();
        assert_eq!(
            paths,
            [
                "signature_version",
                "modification_cooldown",
                "max_requests_per_second",
                "max_retries"
            ]
        );
    }

    #[test]
    fn unknown_values_are_not_judged_at_validate() {
        let diags = validate(&block(&[
            ("endpoint", Value::Unknown),
            ("max_retries", Value::Unknown),
            ("max_requests_per_second", Value::Unknown),
        ]));
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn unknown_is_told_apart_from_unset() {
        let cfg = block(&[
            ("region", Value::Unknown),
            ("access_key", attrs::str_value("a")),
        ]);
        assert_eq!(unknown_attributes(&cfg), ["region"]);
        assert!(unknown_attributes(&block(&[])).is_empty());
        assert_eq!(unknown_attributes(&Value::Unknown), ["provider"]);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let env = |k: &str| match k {
            "ALICLOUD_REGION" => Some("r".into()),
            "ALICLOUD_ACCESS_KEY" => Some("ak".into()),
            "ALICLOUD_SECRET_KEY" => Some("TOPSECRET".into()),
            "ALICLOUD_SECURITY_TOKEN" => Some("STSTOKEN".into()),
            _ => None,
        };
        let s = ProviderSettings::resolve(&block(&[]), env).unwrap();
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains("TOPSECRET") && !dbg.contains("STSTOKEN"),
            "{dbg}"
        );
    }
}
