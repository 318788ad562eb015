//! The API endpoint: one handler that takes any request that is not for the
//! admin API and runs it through the same pipeline the gateway and ECS
//! apply, in this order:
//!
//! 1. parse parameters (query + form body) and pick the answer format;
//! 2. authenticate (V1 or V3), find the action, check the version;
//! 3. throttle (`--throttle-qps`), check `RegionId`;
//! 4. mutating only: `--fail-rate` (500 before any change), ClientToken
//!    admission (replay, mismatch, in flight);
//! 5. `--latency`;
//! 6. run the action under the store lock; on success remember the token
//!    and persist the state before answering;
//! 7. journal the request; answer, or with `--drop-rate` close the
//!    connection without answering (the change stays applied).

use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, Method, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::actions::{self, Ctx};
use super::auth::{self, Credentials, Presented};
use super::error::ApiError;
use super::faults::roll;
use super::hooks::Phase;
use super::idempotence::{self, Admission};
use super::identity;
use super::journal::{redact, RequestEntry};
use super::params::Params;
use super::server::DropConnection;
use super::state::Emulator;
use super::store::TokenRecord;
use super::wire::{self, Format};

/// The API version served.
pub const API_VERSION: &str = "2014-05-26";
const MAX_BODY: usize = 1 << 20;

/// A request as the pipeline sees it.
struct Incoming {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    params: Params,
    arrival: DateTime<Utc>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The API version asked for (V1 parameter or V3 header).
    fn version(&self) -> Option<&str> {
        self.params
            .get("Version")
            .or_else(|| self.header("x-acs-version"))
    }

    /// The action the request names (V1: the `Action` parameter; V3: the
    /// `x-acs-action` header), or "" when it names none.
    fn action_name(&self) -> &str {
        self.params
            .get("Action")
            .or_else(|| {
                self.headers
                    .iter()
                    .find(|(k, _)| k == "x-acs-action")
                    .map(|(_, v)| v.as_str())
            })
            .unwrap_or("")
    }
}

fn sts_success((action, fields): (&'static str, Map<String, Value>)) -> Result<Success, ApiError> {
    Ok(Success {
        action,
        fields,
        instance_id: None,
        fresh: true,
        mutating: false,
    })
}

/// The access key id a request presents (V1 parameter or V3 header).
fn presented_key(req: &Incoming) -> Option<String> {
    req.params
        .get("AccessKeyId")
        .map(str::to_string)
        .or_else(|| {
            req.header("authorization")
                .and_then(crate::ecs::sign::parse_v3_authorization)
                .map(|a| a.access_key_id)
        })
}

/// A successful outcome.
struct Success {
    action: &'static str,
    fields: Map<String, Value>,
    instance_id: Option<String>,
    /// Executed now (not a ClientToken replay).
    fresh: bool,
    mutating: bool,
}

fn api_not_found() -> ApiError {
    ApiError::new(
        404,
        "InvalidApi.NotFound",
        "Specified api is not found, please check your url and method.",
    )
}

/// The axum handler for every API request.
pub async fn api(State(emu): State<Emulator>, req: Request) -> Response<Body> {
    let arrival = Utc::now();
    let request_id = uuid::Uuid::new_v4().to_string().to_uppercase();
    let (parts, body) = req.into_parts();
    let killer = parts.extensions.get::<DropConnection>().cloned();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("ecs-emulator")
        .to_string();
    let (body_bytes, too_large) = match to_bytes(body, MAX_BODY).await {
        Ok(b) => (b.to_vec(), false),
        Err(_) => (Vec::new(), true),
    };
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let decode =
        |s: &[u8]| -> Vec<(String, String)> { form_urlencoded::parse(s).into_owned().collect() };
    let query = parts
        .uri
        .query()
        .map(|q| decode(q.as_bytes()))
        .unwrap_or_default();
    let form = if is_form { decode(&body_bytes) } else { vec![] };
    let params = Params::from_pairs(query.iter().chain(&form).cloned());
    let format = Format::from_param(params.get("Format"));
    let incoming = Incoming {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query,
        form,
        headers,
        body: body_bytes,
        params,
        arrival,
    };
    let hook_action = incoming.action_name().to_string();
    let hook_instance = subject_instance(&emu, &incoming.params, "ResourceId.1");
    if emu.shared.hooks.blacked_out(Utc::now()) {
        tracing::debug!(action = %hook_action, "request dropped by a test blackout");
        return drop_answer(killer).await;
    }
    let hook = emu
        .shared
        .hooks
        .fire(&hook_action, hook_instance.as_deref(), Utc::now());
    if let Some(h) = hook.as_ref().filter(|h| h.phase == Phase::Before) {
        tokio::time::sleep(h.hold).await;
        if h.drop {
            return drop_answer(killer).await;
        }
    }
    let result = if too_large {
        Err(ApiError::new(
            400,
            "InvalidParameter",
            "The request body is larger than 1 MiB.",
        ))
    } else if parts.method != Method::GET && parts.method != Method::POST {
        Err(ApiError::new(
            400,
            "UnsupportedHTTPMethod",
            "The specified HTTP method is not supported.",
        ))
    } else {
        process(&emu, &incoming).await
    };
    let p = &incoming.params;
    let named_action = match &result {
        Ok(s) => s.action.to_string(),
        Err(_) => incoming.action_name().to_string(),
    };
    let param_instance = subject_instance(&emu, p, "ResourceId");
    let mut dropped =
        matches!(&result, Ok(s) if s.mutating && s.fresh && roll(emu.config().drop_rate));
    if let Some(h) = hook.as_ref().filter(|h| h.phase == Phase::After) {
        if let (Ok(_), Some(t), Some(id)) = (&result, h.transition, &hook_instance) {
            let mut store = emu.lock();
            if let Some(p) = store.instances.get_mut(id).and_then(|i| i.pending.as_mut()) {
                p.at = Utc::now() + chrono::Duration::from_std(t).unwrap_or_default();
            }
        }
        tokio::time::sleep(h.hold).await;
        dropped |= h.drop && result.is_ok();
    }
    let (status, code, instance_id) = match &result {
        Ok(s) => (
            200,
            "OK".to_string(),
            s.instance_id.clone().or(param_instance),
        ),
        Err(e) => (e.status, e.code.clone(), param_instance),
    };
    let entry = RequestEntry {
        time: super::journal::rfc3339_millis(arrival),
        action: named_action.clone(),
        params: redact(incoming.params.iter()),
        code,
        http_status: status,
        instance_id,
        dropped,
        credential: presented_key(&incoming),
        credential_expires: presented_key(&incoming)
            .and_then(|k| emu.shared.identity.lookup(&k))
            .map(|i| super::journal::rfc3339_millis(i.expires)),
    };
    emu.shared
        .store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .journal
        .record_request(entry);
    match result {
        Ok(s) => {
            if s.mutating {
                tracing::info!(action = s.action, instance = ?s.instance_id, dropped, "applied");
            } else {
                tracing::debug!(action = s.action, "answered OK");
            }
            if dropped {
                return drop_answer(killer).await;
            }
            let body = wire::success_body(&request_id, s.fields);
            wire::render(200, &format!("{}Response", s.action), &body, format)
        }
        Err(e) => {
            if refused_at_the_door(&e.code) {
                // A client that cannot even be served (wrong credentials,
                // signature, region) is what someone setting up needs to see.
                tracing::info!(action = %named_action, code = %e.code, status = e.status, message = %e.message, "refused");
            } else {
                tracing::debug!(action = %named_action, code = %e.code, status = e.status, "answered error");
            }
            wire::render(
                e.status,
                "Error",
                &wire::error_body(&e, &request_id, &host),
                format,
            )
        }
    }
}

/// Codes that refuse a request before any action looks at it: credentials,
/// signature, clock, region, API name or version.
fn refused_at_the_door(code: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "Signature",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidTimeStamp",
        "InvalidSecurityToken",
        "InvalidRegionId",
        "InvalidApi",
        "InvalidVersion",
    ];
    PREFIXES.iter().any(|p| code.starts_with(p))
}

/// The instance a request is about, for hooks and the journal:
/// `InstanceId`, the resource parameter `resource` (tags), the only id of an
/// `InstanceIds` JSON array (key pairs), or the owner of `DiskId`.
fn subject_instance(emu: &Emulator, p: &Params, resource: &str) -> Option<String> {
    if let Some(id) = p.get("InstanceId").or_else(|| p.get(resource)) {
        return Some(id.to_string());
    }
    if let Some(list) = p.get("InstanceIds") {
        let ids: Vec<String> = serde_json::from_str(list).ok()?;
        return (ids.len() == 1).then(|| ids[0].clone());
    }
    let disk = p.get("DiskId")?;
    let store = emu.shared.store.lock().unwrap_or_else(|e| e.into_inner());
    store
        .instances
        .values()
        .find(|i| i.system_disk.id == disk)
        .map(|i| i.id.clone())
}

/// Closes the connection without a byte of answer. Served through
/// [`super::serve`], the connection task is told to drop the socket and
/// this future never completes; used as a bare router, the body fails so
/// the server aborts the connection instead.
async fn drop_answer(killer: Option<DropConnection>) -> Response<Body> {
    if let Some(k) = killer {
        k.fire();
        std::future::pending::<()>().await;
    }
    let failing = futures::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other(
            "answer dropped by --drop-rate",
        ))
    });
    Response::new(Body::from_stream(failing))
}

async fn process(emu: &Emulator, req: &Incoming) -> Result<Success, ApiError> {
    let config = emu.config();
    let presented = Presented {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        form: &req.form,
        headers: &req.headers,
        body: &req.body,
    };
    // `--clock-skew`: the gateway's clock runs ahead of the client's.
    let gateway_now = req.arrival
        + chrono::Duration::from_std(config.clock_skew).unwrap_or(chrono::Duration::zero());
    let sts = req.version() == Some(identity::STS_VERSION);
    if sts && req.action_name() == "AssumeRoleWithOIDC" {
        // Anonymous: the OIDC token is the proof.
        return sts_success(identity::sts(
            emu,
            "AssumeRoleWithOIDC",
            &req.params,
            false,
        )?);
    }
    // STS credentials the emulator issued sign like its own key, with
    // their token, until they expire.
    let issued = match presented_key(req) {
        Some(k) if identity::is_issued(&k) => {
            let token = req
                .params
                .get("SecurityToken")
                .or_else(|| req.header("x-acs-security-token"));
            Some(identity::admit_issued(emu, &k, token, gateway_now)?)
        }
        _ => None,
    };
    let creds = match &issued {
        Some(i) => Credentials {
            access_key_id: &i.access_key_id,
            secret: &i.secret,
        },
        None => Credentials {
            access_key_id: &config.access_key_id,
            secret: &config.access_key_secret,
        },
    };
    let verified = auth::verify(&presented, &creds, &emu.shared.nonces, gateway_now)?;
    if sts {
        return sts_success(identity::sts(emu, &verified.action, &req.params, true)?);
    }
    let action = actions::lookup(&verified.action).ok_or_else(api_not_found)?;
    if verified.version != API_VERSION {
        return Err(ApiError::new(
            400,
            "InvalidVersion",
            "Specified parameter Version is not valid.",
        ));
    }
    identity::check_policy(emu, "ecs", action.name)?;
    if !emu.shared.throttle.admit(action.name, Instant::now()) {
        return Err(ApiError::throttling());
    }
    let params = &req.params;
    match params.get("RegionId") {
        None if action.region_required => return Err(ApiError::missing("RegionId")),
        Some(r) if r != config.region => {
            return Err(ApiError::new(
                404,
                "InvalidRegionId.NotFound",
                "The specified RegionId does not exist.",
            ))
        }
        _ => {}
    }
    if action.mutating && roll(config.fail_rate) {
        return Err(ApiError::internal());
    }
    let token = if action.mutating {
        params.get("ClientToken")
    } else {
        None
    };
    let compared = idempotence::compared_params(params);
    let guard = match token {
        None => None,
        Some(t) => {
            idempotence::validate(t)?;
            let mut store = emu.lock();
            match idempotence::admit(emu, &mut store, t, action.name, &compared)? {
                Admission::Replay(fields) => {
                    return Ok(Success {
                        action: action.name,
                        instance_id: None,
                        fields,
                        fresh: false,
                        mutating: true,
                    })
                }
                Admission::Run(guard) => Some(guard),
            }
        }
    };
    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }
    let (answer, snapshot) = {
        let mut store = emu.lock();
        let mut ctx = Ctx {
            store: &mut store,
            config,
            now: Utc::now(),
        };
        let answer = (action.run)(&mut ctx, params)?;
        let snapshot = if action.mutating {
            if let Some(t) = token {
                let now = Utc::now();
                store.prune_tokens(now);
                store.tokens.insert(
                    t.to_string(),
                    TokenRecord {
                        action: action.name.to_string(),
                        params: compared,
                        body: Value::Object(answer.fields.clone()),
                        at: now,
                    },
                );
            }
            emu.changed(&mut store)
        } else {
            None
        };
        (answer, snapshot)
    };
    emu.persist(snapshot).await.map_err(|e| {
        tracing::error!(error = %e, "cannot write the state file; answering InternalError");
        ApiError::internal()
    })?;
    drop(guard);
    Ok(Success {
        action: action.name,
        fields: answer.fields,
        instance_id: answer.instance_id,
        fresh: true,
        mutating: action.mutating,
    })
}
