//! Who may call: the emulator's STS, ECS metadata service, credentials URI,
//! OIDC token issuer and RAM policy.
//!
//! - **STS** (`Version=2015-04-01` on the API port, the same URL as ECS):
//!   `AssumeRole` (signed, by the emulator's key or by STS credentials it
//!   issued; `RoleArn` must be one of `--role`) and `AssumeRoleWithOIDC`
//!   (anonymous; `OIDCProviderArn` must be one of `--oidc-provider`, the
//!   token one the emulator issued, unexpired).
//! - **Metadata** (`ECS_PROVIDER_METADATA_ENDPOINT` = the emulator's URL):
//!   `PUT /latest/api/token`, `GET /latest/meta-data/ram/security-credentials/`
//!   (the `--ecs-role`, else 404) and `.../ROLE`.
//! - **Credentials URI**: `GET /credentials-uri`.
//! - **OIDC tokens**: `POST /_emulator/oidc-token {"TtlSeconds": n}` (admin,
//!   loopback) → `{"Token": "<jwt>"}`, signed with a key of this process.
//! - `GET /_emulator/credentials` (admin): every credential issued, with its
//!   secret and token (a test aid: TRACE logs are searched for them).
//!
//! Every issued credential lives `--credential-lifetime` (default: the
//! `DurationSeconds` asked, 3600 s for the metadata service and the URI),
//! is accepted until then, and afterwards refused with 400
//! `InvalidSecurityToken.Expired`. `--ram-policy FILE` (a RAM policy
//! document) refuses actions it does not allow with 403 `Forbidden.RAM`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::params::Params;
use super::state::Emulator;

pub const STS_VERSION: &str = "2015-04-01";
pub const DEFAULT_ROLE: &str = "acs:ram::1000000000000000:role/terraform";
pub const DEFAULT_OIDC_PROVIDER: &str = "acs:ram::1000000000000000:oidc-provider/ci";

/// The identity settings (part of [`super::Config`]).
#[derive(Clone, Debug)]
pub struct IdentityConfig {
    /// Lifetime of every credential issued; `None`: as asked.
    pub credential_lifetime: Option<Duration>,
    /// Roles AssumeRole / AssumeRoleWithOIDC may assume.
    pub roles: Vec<String>,
    /// OIDC providers AssumeRoleWithOIDC accepts.
    pub oidc_providers: Vec<String>,
    /// The RAM role of "this instance" for the metadata service.
    pub ecs_role: Option<String>,
    /// `--ram-policy`: actions not allowed get `Forbidden.RAM`.
    pub ram_policy: Option<RamPolicy>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            credential_lifetime: None,
            roles: vec![DEFAULT_ROLE.to_string()],
            oidc_providers: vec![DEFAULT_OIDC_PROVIDER.to_string()],
            ecs_role: None,
            ram_policy: None,
        }
    }
}

/// A RAM policy document: `{"Version":"1","Statement":[{"Effect","Action"}]}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RamPolicy {
    pub statement: Vec<Statement>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub effect: String,
    #[serde(deserialize_with = "one_or_many")]
    pub action: Vec<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        One(String),
        Many(Vec<String>),
    }
    Ok(match V::deserialize(d)? {
        V::One(s) => vec![s],
        V::Many(v) => v,
    })
}

fn glob(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    match p.split_once('*') {
        None => p == n,
        Some((pre, post)) => {
            n.starts_with(pre)
                && n[pre.len()..].ends_with(post)
                && n.len() >= pre.len() + post.len()
        }
    }
}

impl RamPolicy {
    /// Reads `--ram-policy`.
    pub fn load(path: &std::path::Path) -> Result<RamPolicy, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--ram-policy {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "--ram-policy {}: not a RAM policy document: {e}",
                path.display()
            )
        })
    }

    /// Explicit Deny wins; else some Allow must match.
    pub fn allows(&self, action: &str) -> bool {
        let hit = |effect: &str| {
            self.statement
                .iter()
                .filter(|s| s.effect.eq_ignore_ascii_case(effect))
                .any(|s| s.action.iter().any(|a| glob(a, action)))
        };
        !hit("Deny") && hit("Allow")
    }
}

/// One credential the emulator issued.
#[derive(Clone, Debug)]
pub struct Issued {
    pub access_key_id: String,
    pub secret: String,
    pub token: String,
    pub expires: DateTime<Utc>,
    pub issued: DateTime<Utc>,
    /// `AssumeRole`, `AssumeRoleWithOIDC`, `EcsRamRole` or `CredentialsURI`.
    pub via: String,
    pub role: String,
    /// The `jti` of the OIDC token exchanged, if any.
    pub oidc_token_id: Option<String>,
}

/// Issued credentials and the OIDC signing key.
pub struct Identity {
    issued: Mutex<BTreeMap<String, Issued>>,
    order: Mutex<Vec<String>>,
    oidc_key: String,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            issued: Mutex::default(),
            order: Mutex::default(),
            oidc_key: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

fn random(n: usize) -> String {
    use rand::Rng;
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut r = rand::rng();
    (0..n)
        .map(|_| A[r.random_range(0..A.len())] as char)
        .collect()
}

impl Identity {
    pub fn lookup(&self, access_key_id: &str) -> Option<Issued> {
        self.issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(access_key_id)
            .cloned()
    }

    fn issue(
        &self,
        cfg: &IdentityConfig,
        asked: Duration,
        via: &str,
        role: &str,
        jti: Option<String>,
    ) -> Issued {
        let now = Utc::now();
        let life = cfg.credential_lifetime.unwrap_or(asked);
        // ECS's Expiration has whole seconds: so has the truth here.
        let expires = (now + chrono::Duration::from_std(life).unwrap_or_default()).trunc_subsecs(0);
        let i = Issued {
            access_key_id: format!("STS.{}", random(24)),
            secret: random(40),
            token: format!("CAIS{}", random(120)),
            expires,
            issued: now,
            via: via.to_string(),
            role: role.to_string(),
            oidc_token_id: jti,
        };
        self.issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(i.access_key_id.clone(), i.clone());
        self.order
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(i.access_key_id.clone());
        tracing::info!(via, role, access_key_id = %i.access_key_id, expires = %i.expires, "credentials issued");
        i
    }

    fn all(&self) -> Vec<Issued> {
        let issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        self.order
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(|k| issued.get(k).cloned())
            .collect()
    }

    /// A signed OIDC token (JWT shape) valid for `ttl`.
    pub fn oidc_token(&self, ttl: Duration) -> (String, String) {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let jti = uuid::Uuid::new_v4().simple().to_string();
        let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let exp = Utc::now().timestamp() + ttl.as_secs() as i64;
        let payload = b64.encode(json!({"iss": "https://ci.example", "aud": "sts.aliyuncs.com", "sub": "repo:ecs-tools/demo", "exp": exp, "jti": jti}).to_string());
        let sig = b64.encode(crate::ecs::sign::v3_signature(
            &self.oidc_key,
            &format!("{header}.{payload}"),
        ));
        (format!("{header}.{payload}.{sig}"), jti)
    }

    /// Checks an OIDC token: its `jti`, or the STS error.
    fn check_oidc(&self, token: &str) -> Result<String, ApiError> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let invalid = || {
            ApiError::new(
                401,
                "AuthenticationFail.OIDCToken.Invalid",
                "The OIDC token is invalid.",
            )
        };
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, sig] = parts[..] else {
            return Err(invalid());
        };
        let expected = b64.encode(crate::ecs::sign::v3_signature(
            &self.oidc_key,
            &format!("{header}.{payload}"),
        ));
        let claims: Value = b64
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(invalid)?;
        if sig != expected {
            return Err(ApiError::new(
                401,
                "AuthenticationFail.OIDCToken.InvalidSignature",
                "The signature of the OIDC token is invalid.",
            ));
        }
        if claims["exp"]
            .as_i64()
            .is_none_or(|exp| exp <= Utc::now().timestamp())
        {
            return Err(ApiError::new(
                401,
                "AuthenticationFail.OIDCToken.Expired",
                "The OIDC token has expired.",
            ));
        }
        Ok(claims["jti"].as_str().unwrap_or("").to_string())
    }
}

/// Whether an access key id is one the emulator issued (not its own key).
pub fn is_issued(key: &str) -> bool {
    key.starts_with("STS.")
}

/// The issued credential `key` if it may sign now, or the gateway's error.
pub fn admit_issued(
    emu: &Emulator,
    key: &str,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Issued, ApiError> {
    let Some(i) = emu.shared.identity.lookup(key) else {
        return Err(ApiError::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ));
    };
    match token {
        None => {
            return Err(ApiError::new(
                400,
                "MissingSecurityToken",
                "SecurityToken is mandatory for this action.",
            ))
        }
        Some(t) if t != i.token => {
            return Err(ApiError::new(
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "The SecurityToken does not match the AccessKeyId.",
            ))
        }
        _ => {}
    }
    if now >= i.expires {
        return Err(ApiError::new(
            400,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        ));
    }
    Ok(i)
}

/// `--ram-policy`: `Forbidden.RAM` unless `service:action` is allowed.
pub fn check_policy(emu: &Emulator, service: &str, action: &str) -> Result<(), ApiError> {
    match &emu.config().identity.ram_policy {
        Some(p) if !p.allows(&format!("{service}:{action}")) => Err(ApiError::new(
            403,
            "Forbidden.RAM",
            format!("User not authorized to operate on the specified resource, or this API doesn't support RAM. ({service}:{action})"),
        )),
        _ => Ok(()),
    }
}

fn creds_fields(i: &Issued) -> Value {
    json!({
        "AccessKeyId": i.access_key_id,
        "AccessKeySecret": i.secret,
        "SecurityToken": i.token,
        "Expiration": i.expires.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })
}

fn duration(params: &Params) -> Result<Duration, ApiError> {
    match params.get("DurationSeconds") {
        None => Ok(Duration::from_secs(3600)),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (900..=43200).contains(&n) => Ok(Duration::from_secs(n)),
            _ => Err(ApiError::new(400, "InvalidParameter.DurationSeconds", "The parameter DurationSeconds is invalid: from 900 to the role's MaxSessionDuration.")),
        },
    }
}

fn session(params: &Params) -> Result<(), ApiError> {
    let s = params
        .get("RoleSessionName")
        .ok_or_else(|| ApiError::missing("RoleSessionName"))?;
    if !(2..=64).contains(&s.len())
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".@-_".contains(c))
    {
        return Err(ApiError::new(
            400,
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is wrongly formed.",
        ));
    }
    Ok(())
}

fn role<'a>(emu: &Emulator, params: &'a Params) -> Result<&'a str, ApiError> {
    let arn = params
        .get("RoleArn")
        .ok_or_else(|| ApiError::missing("RoleArn"))?;
    if !emu
        .config()
        .identity
        .roles
        .iter()
        .any(|r| r.eq_ignore_ascii_case(arn))
    {
        return Err(ApiError::new(
            403,
            "NoPermission",
            "No permission perform sts:AssumeRole on this Role.",
        ));
    }
    Ok(arn)
}

/// An STS call. `signed`: the request passed signature checks (AssumeRole
/// needs that); the answer's fields.
pub fn sts(
    emu: &Emulator,
    action: &str,
    params: &Params,
    signed: bool,
) -> Result<(&'static str, Map<String, Value>), ApiError> {
    let cfg = &emu.config().identity;
    let (name, issued, extra) = match action {
        "AssumeRole" => {
            if !signed {
                return Err(ApiError::new(
                    400,
                    "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards.",
                ));
            }
            check_policy(emu, "sts", "AssumeRole")?;
            let arn = role(emu, params)?;
            session(params)?;
            let d = duration(params)?;
            (
                "AssumeRole",
                emu.shared.identity.issue(cfg, d, "AssumeRole", arn, None),
                None,
            )
        }
        "AssumeRoleWithOIDC" => {
            let provider = params
                .get("OIDCProviderArn")
                .ok_or_else(|| ApiError::missing("OIDCProviderArn"))?;
            let token = params
                .get("OIDCToken")
                .ok_or_else(|| ApiError::missing("OIDCToken"))?;
            if !cfg
                .oidc_providers
                .iter()
                .any(|p| p.eq_ignore_ascii_case(provider))
            {
                return Err(ApiError::new(
                    401,
                    "AuthenticationFail.NoPermission",
                    "No such OIDC Provider registered.",
                ));
            }
            let jti = emu.shared.identity.check_oidc(token)?;
            let arn = role(emu, params)?;
            session(params)?;
            let d = duration(params)?;
            let i = emu
                .shared
                .identity
                .issue(cfg, d, "AssumeRoleWithOIDC", arn, Some(jti.clone()));
            (
                "AssumeRoleWithOIDC",
                i,
                Some(
                    json!({"Issuer": "https://ci.example", "ClientIds": "sts.aliyuncs.com", "JTI": jti}),
                ),
            )
        }
        _ => {
            return Err(ApiError::new(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            ))
        }
    };
    let mut fields = Map::new();
    fields.insert("Credentials".into(), creds_fields(&issued));
    fields.insert("AssumedRoleUser".into(), json!({"Arn": format!("{}/{}", issued.role.replace(":role/", ":assumed-role/"), params.get("RoleSessionName").unwrap_or("")), "AssumedRoleId": format!("3{}", random(17))}));
    if let Some(x) = extra {
        fields.insert("OIDCTokenInfo".into(), x);
    }
    Ok((name, fields))
}

/// Routes of the metadata service, the credentials URI and the identity
/// admin API (merged into [`super::router`]).
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/latest/api/token", put(imds_token))
        .route(
            "/latest/meta-data/ram/security-credentials/",
            get(imds_role),
        )
        .route(
            "/latest/meta-data/ram/security-credentials/{role}",
            get(imds_creds),
        )
        .route("/credentials-uri", get(uri_creds))
}

/// Admin routes (loopback only, merged under the admin layer).
pub fn admin_routes() -> Router<Emulator> {
    Router::new()
        .route("/_emulator/oidc-token", post(admin_oidc_token))
        .route("/_emulator/credentials", get(admin_credentials))
}

async fn imds_token(headers: HeaderMap) -> Response {
    let ttl = headers
        .get("x-aliyun-ecs-metadata-token-ttl-seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok());
    match ttl {
        Some(1..=21600) => (StatusCode::OK, random(40)).into_response(),
        _ => (
            StatusCode::BAD_REQUEST,
            "X-aliyun-ecs-metadata-token-ttl-seconds must be 1-21600",
        )
            .into_response(),
    }
}

async fn imds_role(State(emu): State<Emulator>) -> Response {
    match &emu.config().identity.ecs_role {
        Some(r) => (StatusCode::OK, r.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

async fn imds_creds(State(emu): State<Emulator>, Path(role): Path<String>) -> Response {
    if emu.config().identity.ecs_role.as_deref() != Some(role.as_str()) {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    served(&emu, "EcsRamRole", &role)
}

async fn uri_creds(State(emu): State<Emulator>) -> Response {
    served(&emu, "CredentialsURI", "credentials-uri")
}

fn served(emu: &Emulator, via: &str, role: &str) -> Response {
    let i = emu.shared.identity.issue(
        &emu.config().identity,
        Duration::from_secs(3600),
        via,
        role,
        None,
    );
    let mut v = creds_fields(&i);
    v["Code"] = json!("Success");
    v["LastUpdated"] = json!(i.issued.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    Json(v).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TokenAsk {
    #[serde(default)]
    ttl_seconds: Option<u64>,
}

async fn admin_oidc_token(State(emu): State<Emulator>, body: axum::body::Bytes) -> Response {
    let ask: TokenAsk = serde_json::from_slice(&body).unwrap_or(TokenAsk { ttl_seconds: None });
    let (token, jti) = emu
        .shared
        .identity
        .oidc_token(Duration::from_secs(ask.ttl_seconds.unwrap_or(3600)));
    Json(json!({"Token": token, "Id": jti})).into_response()
}

async fn admin_credentials(State(emu): State<Emulator>) -> Response {
    let all: Vec<Value> = emu
        .shared
        .identity
        .all()
        .iter()
        .map(|i| {
            json!({
                "AccessKeyId": i.access_key_id,
                "AccessKeySecret": i.secret,
                "SecurityToken": i.token,
                "Via": i.via,
                "Role": i.role,
                "Issued": super::journal::rfc3339_millis(i.issued),
                "Expiration": super::journal::rfc3339_millis(i.expires),
                "OIDCTokenId": i.oidc_token_id,
            })
        })
        .collect();
    Json(json!({"Credentials": all})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_allow_by_glob_and_deny_wins() {
        let p: RamPolicy = serde_json::from_str(
            r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":["ecs:Describe*","ecs:StopInstance"],"Resource":"*"},
            {"Effect":"Deny","Action":"ecs:DescribeRegions","Resource":"*"}]}"#,
        )
        .unwrap();
        assert!(p.allows("ecs:DescribeInstances"));
        assert!(p.allows("ecs:StopInstance"));
        assert!(!p.allows("ecs:DescribeRegions"));
        assert!(!p.allows("ecs:DeleteInstance"));
    }

    #[test]
    fn oidc_tokens_are_checked() {
        let id = Identity::default();
        let (t, jti) = id.oidc_token(Duration::from_secs(60));
        assert_eq!(id.check_oidc(&t).unwrap(), jti);
        let other = Identity::default();
        assert_eq!(
            other.check_oidc(&t).unwrap_err().code,
            "AuthenticationFail.OIDCToken.InvalidSignature"
        );
        assert_eq!(
            id.check_oidc("garbage").unwrap_err().code,
            "AuthenticationFail.OIDCToken.Invalid"
        );
        let (old, _) = id.oidc_token(Duration::ZERO);
        assert_eq!(
            id.check_oidc(&old).unwrap_err().code,
            "AuthenticationFail.OIDCToken.Expired"
        );
    }
}
