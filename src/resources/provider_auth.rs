//! The provider block's credential settings beyond a static key pair, in the
//! alicloud provider's names: `profile`, `ecs_role_name`, `credentials_uri`,
//! `sts_endpoint` and the blocks `assume_role` and `assume_role_with_oidc`.
//!
//! The schema is data ([`ATTRIBUTES`], [`BLOCKS`]): each row names the
//! setting, its environment variables and its description; `resolve` reads
//! the same rows. What they mean (and the default chain they override) lives
//! in `crate::ecs::credentials`; this file only turns the block into an
//! [`ecs::credentials::chain::Request`] and its checks into diagnostics.

use super::attrs;
use super::schema_builder::optional;
use crate::ecs::credentials::chain::Request;
use crate::ecs::credentials::spec::{DEFAULT_SESSION_NAME, DEFAULT_SESSION_SECONDS};
use crate::ecs::credentials::{AssumeRole, Spec};
use crate::protocol::{AttributePath, Block, Diagnostic, NestedBlock, Nesting, Type, Value};

/// One string setting: name, environment variables (first set wins) and
/// description.
pub struct Row {
    pub name: &'static str,
    pub env: &'static [&'static str],
    pub description: &'static str,
}

/// Top-level attributes.
pub const ATTRIBUTES: &[Row] = &[
    Row { name: "profile", env: &["ALICLOUD_PROFILE"], description: "Profile of the aliyun CLI's config file (~/.aliyun/config.json, or ALIBABA_CLOUD_CONFIG_FILE) to take credentials from; any of its modes AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC, CredentialsURI, External. Env: ALICLOUD_PROFILE. (ALIBABA_CLOUD_PROFILE picks a profile in the default chain.)" },
    Row { name: "credentials_uri", env: &["ALICLOUD_CREDENTIALS_URI"], description: "URL answering credentials (`{\"Code\": \"Success\", \"AccessKeyId\", \"AccessKeySecret\", \"SecurityToken\", \"Expiration\"}`), asked again before they expire. Env: ALICLOUD_CREDENTIALS_URI. (ALIBABA_CLOUD_CREDENTIALS_URI is the default chain's last link.)" },
    Row { name: "ecs_role_name", env: &["ALICLOUD_ECS_ROLE_NAME"], description: "RAM role of the ECS instance Terraform runs on, from the metadata service (IMDSv2), renewed before expiry. Env: ALICLOUD_ECS_ROLE_NAME. (ALIBABA_CLOUD_ECS_METADATA names it in the default chain.)" },
    Row { name: "sts_endpoint", env: &["ALIBABA_CLOUD_ENDPOINT_STS"], description: "STS endpoint for assume_role, assume_role_with_oidc and the OIDC and role modes of profiles, e.g. https://sts.cn-hangzhou.aliyuncs.com (http only for loopback hosts). Env: ALIBABA_CLOUD_ENDPOINT_STS. Default https://sts.<region>.aliyuncs.com." },
];

/// The attributes of `assume_role`.
pub const ASSUME_ROLE: &[Row] = &[
    Row { name: "role_arn", env: &["ALICLOUD_ASSUME_ROLE_ARN"], description: "ARN of the role to assume, acs:ram::<account>:role/<name>. Env: ALICLOUD_ASSUME_ROLE_ARN." },
    Row { name: "session_name", env: &["ALICLOUD_ASSUME_ROLE_SESSION_NAME"], description: "Role session name, 2-64 letters, digits and .@-_ (default \"terraform\"). Env: ALICLOUD_ASSUME_ROLE_SESSION_NAME." },
    Row { name: "policy", env: &[], description: "A RAM policy (JSON) that further restricts the session." },
    Row { name: "external_id", env: &[], description: "External ID the role's trust policy requires." },
];

/// The attributes of `assume_role_with_oidc`.
pub const OIDC: &[Row] = &[
    Row { name: "oidc_provider_arn", env: &["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"], description: "ARN of the OIDC identity provider, acs:ram::<account>:oidc-provider/<name>. Env: ALIBABA_CLOUD_OIDC_PROVIDER_ARN." },
    Row { name: "oidc_token_file", env: &["ALIBABA_CLOUD_OIDC_TOKEN_FILE"], description: "File holding the OIDC token; read again at every renewal, so a CI system may rotate it. Env: ALIBABA_CLOUD_OIDC_TOKEN_FILE." },
    Row { name: "role_arn", env: &["ALIBABA_CLOUD_ROLE_ARN"], description: "ARN of the role to assume. Env: ALIBABA_CLOUD_ROLE_ARN." },
    Row { name: "role_session_name", env: &["ALIBABA_CLOUD_ROLE_SESSION_NAME"], description: "Role session name (default \"terraform\"). Env: ALIBABA_CLOUD_ROLE_SESSION_NAME." },
    Row { name: "policy", env: &[], description: "A RAM policy (JSON) that further restricts the session." },
];

/// `session_expiration` of both blocks: seconds, 900-43200.
const SESSION_EXPIRATION: &str = "session_expiration";

fn rows_block(rows: &[Row], description: &str) -> Block {
    Block {
        description: description.into(),
        attributes: rows
            .iter()
            .map(|r| optional(r.name, Type::String, r.description))
            .chain([optional(SESSION_EXPIRATION, Type::Number, "Lifetime of each session in seconds, 900-43200 (default 3600; at most the role's maximum session duration). Sessions are renewed before they end, for as long as Terraform runs.")])
            .collect(),
        block_types: vec![],
    }
}

pub fn attributes() -> Vec<crate::protocol::Attribute> {
    ATTRIBUTES
        .iter()
        .map(|r| optional(r.name, Type::String, r.description))
        .collect()
}

pub fn blocks() -> Vec<NestedBlock> {
    vec![
        NestedBlock::new("assume_role", Nesting::Single, rows_block(ASSUME_ROLE, "Assume this RAM role with whatever credentials the rest of the configuration (or the default chain) gives; renewed before it expires.")),
        NestedBlock::new("assume_role_with_oidc", Nesting::Single, rows_block(OIDC, "Credentials from AssumeRoleWithOIDC: an OIDC token (e.g. a CI job's) exchanged for a role's STS credentials, renewed before they expire with the token file read afresh.")),
    ]
}

fn at(path: &[&str]) -> AttributePath {
    let mut p = AttributePath::attr(path[0]);
    for step in &path[1..] {
        p = p.then(*step);
    }
    p
}

fn session_name_ok(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".@-_".contains(c))
}

fn role_arn_ok(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("acs:ram::") else {
        return false;
    };
    let Some((account, name)) = rest.split_once(":role/") else {
        return false;
    };
    !account.is_empty() && account.chars().all(|c| c.is_ascii_digit()) && !name.is_empty()
}

/// Checks the known values of the credential settings.
pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if let Some(v) = attrs::string(config, "sts_endpoint") {
        if let Err(msg) = super::provider_config::check_endpoint(&v) {
            diags.push(
                Diagnostic::error(
                    "Invalid STS Endpoint",
                    msg.replace("endpoint =", "sts_endpoint ="),
                )
                .at(at(&["sts_endpoint"])),
            );
        }
    }
    for (block, role, session) in [
        ("assume_role", "role_arn", "session_name"),
        ("assume_role_with_oidc", "role_arn", "role_session_name"),
    ] {
        let b = attrs::get(config, block);
        if !matches!(b, Value::Object(_)) {
            continue;
        }
        if let Some(v) = attrs::string(b, role) {
            if !role_arn_ok(&v) {
                diags.push(Diagnostic::error("Invalid Role ARN", format!("{block}.{role} = \"{v}\" is not a RAM role ARN. Use the form acs:ram::<account id>:role/<role name>, as the RAM console shows it.")).at(at(&[block, role])));
            }
        }
        if let Some(v) = attrs::string(b, session) {
            if !session_name_ok(&v) {
                diags.push(Diagnostic::error("Invalid Session Name", format!("{block}.{session} = \"{v}\" must be 2 to 64 letters, digits or .@-_ characters.")).at(at(&[block, session])));
            }
        }
        if !attrs::is_unknown(b, SESSION_EXPIRATION) {
            if let Some(n) = attrs::float(b, SESSION_EXPIRATION) {
                if !(900.0..=43200.0).contains(&n) || n.fract() != 0.0 {
                    diags.push(Diagnostic::error("Invalid Session Expiration", format!("{block}.{SESSION_EXPIRATION} = {n} must be a whole number of seconds from 900 to 43200 (STS's limits).")).at(at(&[block, SESSION_EXPIRATION])));
                }
            }
        }
    }
    diags
}

/// The value of row `r` in `obj` (a block or the provider block), else its
/// first environment variable that is set.
fn value(
    obj: &Value,
    r: &Row,
    block: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, String)> {
    attrs::string(obj, r.name)
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            let name = match block {
                Some(b) => format!("{b}.{}", r.name),
                None => r.name.to_string(),
            };
            (v, format!("{name} in the provider block"))
        })
        .or_else(|| {
            r.env.iter().find_map(|k| {
                env(k)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (v, format!("the environment variable {k}")))
            })
        })
}

fn row<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.name == name)
        .expect("a row of the table")
}

fn seconds(b: &Value) -> u32 {
    attrs::float(b, SESSION_EXPIRATION).map_or(DEFAULT_SESSION_SECONDS, |n| n as u32)
}

/// The credential settings, in their order: access keys, `profile`,
/// `credentials_uri`, `ecs_role_name`, `assume_role_with_oidc`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Keys,
    Profile,
    Uri,
    EcsRole,
    Oidc,
}

/// The block's credential settings as a request for the chain. `keys`: a
/// static key pair from the block or its environment variables, and whether
/// the block set it. A setting written in the block wins over one that only
/// an environment variable gives (an explicit `profile` beats ambient keys);
/// among equals the order of [`Form`] decides. `assume_role` is layered on top.
pub fn request(
    config: &Value,
    region: &str,
    keys: Option<(Spec, String, bool)>,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Request, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let top = |name: &str| value(config, row(ATTRIBUTES, name), None, env);
    let in_block = |name: &str| attrs::string(config, name).is_some_and(|v| !v.trim().is_empty());
    let oidc_block = attrs::get(config, "assume_role_with_oidc");
    let mut forms: Vec<(Form, bool)> = Vec::new();
    if let Some((_, _, block)) = &keys {
        forms.push((Form::Keys, *block));
    }
    for (form, name) in [
        (Form::Profile, "profile"),
        (Form::Uri, "credentials_uri"),
        (Form::EcsRole, "ecs_role_name"),
    ] {
        if top(name).is_some() {
            forms.push((form, in_block(name)));
        }
    }
    if matches!(oidc_block, Value::Object(_)) {
        forms.push((Form::Oidc, true));
    }
    let chosen = forms
        .iter()
        .find(|(_, block)| *block)
        .or(forms.first())
        .map(|(f, _)| *f);
    let explicit = match chosen {
        None => None,
        Some(Form::Keys) => keys.map(|(spec, origin, _)| (spec, origin)),
        Some(Form::Profile) => {
            let (name, origin) = top("profile").expect("present");
            let e = crate::ecs::credentials::Env { var: env };
            match crate::ecs::credentials::chain::cli_profile(&e, &name, &origin) {
                Ok(found) => Some(found),
                Err(m) => {
                    diags.push(Diagnostic::error("Unknown Profile", format!("{m}. Fix profile (or ALICLOUD_PROFILE), or the profile in the aliyun CLI's config file (`aliyun configure --profile {name}`).")).at(at(&["profile"])));
                    None
                }
            }
        }
        Some(Form::Uri) => top("credentials_uri").map(|(url, origin)| (Spec::Uri { url }, origin)),
        Some(Form::EcsRole) => top("ecs_role_name").map(|(role, origin)| {
            (
                Spec::EcsRole {
                    role_name: Some(role.clone()),
                },
                format!("the ECS instance RAM role {role:?} ({origin})"),
            )
        }),
        Some(Form::Oidc) => {
            let get = |n: &str| value(oidc_block, row(OIDC, n), Some("assume_role_with_oidc"), env);
            let mut need = |n: &str| {
                get(n).map(|(v, _)| v).or_else(|| {
                    let r = row(OIDC, n);
                    diags.push(Diagnostic::error("Missing OIDC Setting", format!("assume_role_with_oidc needs {n}: set it in the block, or the environment variable {}.", r.env.join(" or "))).at(at(&["assume_role_with_oidc", n])));
                    None
                })
            };
            let provider_arn = need("oidc_provider_arn");
            let token_file = need("oidc_token_file");
            let role_arn = need("role_arn");
            match (provider_arn, token_file, role_arn) {
                (Some(provider_arn), Some(token_file), Some(role_arn)) => Some((
                    Spec::Oidc {
                        provider_arn,
                        token_file: token_file.into(),
                        role_arn,
                        session_name: get("role_session_name")
                            .map_or(DEFAULT_SESSION_NAME.into(), |(v, _)| v),
                        policy: get("policy").map(|(v, _)| v),
                        duration_seconds: seconds(oidc_block),
                    },
                    "assume_role_with_oidc in the provider block".to_string(),
                )),
                _ => None,
            }
        }
    };
    let role_block = attrs::get(config, "assume_role");
    let assume_role = if matches!(role_block, Value::Object(_)) {
        let get = |n: &str| value(role_block, row(ASSUME_ROLE, n), Some("assume_role"), env);
        match get("role_arn") {
            Some((role_arn, _)) => Some((
                AssumeRole {
                    role_arn,
                    session_name: get("session_name")
                        .map_or(DEFAULT_SESSION_NAME.into(), |(v, _)| v),
                    policy: get("policy").map(|(v, _)| v),
                    external_id: get("external_id").map(|(v, _)| v),
                    duration_seconds: seconds(role_block),
                },
                "assume_role in the provider block".to_string(),
            )),
            None => {
                diags.push(Diagnostic::error("Missing Role ARN", "assume_role needs role_arn: set it in the block, or the environment variable ALICLOUD_ASSUME_ROLE_ARN.").at(at(&["assume_role", "role_arn"])));
                None
            }
        }
    } else {
        None
    };
    let sts_endpoint = top("sts_endpoint").map(|(v, origin)| {
        if let Err(m) = super::provider_config::check_endpoint(&v) {
            diags.push(
                Diagnostic::error(
                    "Invalid STS Endpoint",
                    format!(
                        "From {origin}: {}",
                        m.replace("endpoint =", "sts_endpoint =")
                    ),
                )
                .at(at(&["sts_endpoint"])),
            );
        }
        v
    });
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Request {
        explicit,
        assume_role,
        region: region.to_string(),
        sts_endpoint,
    })
}

/// The diagnostic for a credential source that failed at Configure: which
/// link, what happened and what to fix; pointed at the block's setting when
/// one is to blame.
pub fn diagnostic(e: &crate::ecs::Error, config: &Value) -> Diagnostic {
    let fix = e.hint.as_deref().unwrap_or_else(|| e.remedy());
    let detail = format!(
        "{}{} — {fix}",
        e.message,
        match e.http_status {
            Some(_) => format!(" [{}]", e.code),
            None => String::new(),
        }
    );
    let d = Diagnostic::error("Cannot Get Credentials", detail);
    let named = |n: &str| !matches!(attrs::get(config, n), Value::Null);
    let origin = &e.message;
    for name in [
        "assume_role_with_oidc",
        "assume_role",
        "profile",
        "credentials_uri",
        "ecs_role_name",
    ] {
        if named(name) && origin.contains(name) {
            return d.at(at(&[name]));
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authentication_docs_name_every_link_and_setting() {
        let page = include_str!("../../templates/index.md.tmpl");
        for link in crate::ecs::credentials::chain::CHAIN {
            assert!(
                page.contains(&format!("| {} |", link.name)),
                "templates/index.md.tmpl lacks the link {}",
                link.name
            );
        }
        for row in ATTRIBUTES.iter().chain(ASSUME_ROLE).chain(OIDC) {
            for var in row.env {
                assert!(
                    page.contains(var),
                    "templates/index.md.tmpl lacks {var} ({})",
                    row.name
                );
            }
        }
        for name in ["assume_role", "assume_role_with_oidc"] {
            assert!(page.contains(name), "{name}");
        }
    }

    #[test]
    fn arns_and_session_names() {
        assert!(role_arn_ok("acs:ram::1234567890:role/ecs-operator"));
        assert!(!role_arn_ok("acs:ram::abc:role/x"));
        assert!(!role_arn_ok("arn:aws:iam::1:role/x"));
        assert!(
            session_name_ok("terraform") && !session_name_ok("a") && !session_name_ok("has space")
        );
    }
}
