//! AttachKeyPair, DetachKeyPair and DescribeKeyPairs.
//!
//! Key pairs are built in (`network::KEY_PAIRS`). Attach binds the key to
//! up to 50 instances (`InstanceIds`, a JSON array), replacing any other;
//! detach unbinds it (a no-op for an instance that does not carry it). The
//! binding shows at once in DescribeInstances (`KeyPairName`) and reaches
//! the guest at the next API restart. Every instance gets its own result:
//! an unknown one (`InvalidInstanceId.NotFound`), a Windows one
//! (`DependencyViolation.WindowsInstance`) or a locked one fails alone,
//! and the answer is still HTTP 200 with `FailCount`.

use serde_json::{json, Value};

use super::{dry_run, wrap, Answer, Ctx};
use crate::emulator::error::ApiError;
use crate::emulator::network;
use crate::emulator::params::Params;

/// Instances one call may name.
const MAX_IDS: usize = 50;

fn instance_ids(params: &Params) -> Result<Vec<String>, ApiError> {
    let raw = params.required("InstanceIds")?;
    let ids: Vec<String> =
        serde_json::from_str(raw).map_err(|_| ApiError::invalid("InstanceIds"))?;
    if ids.is_empty() || ids.len() > MAX_IDS {
        return Err(ApiError::invalid("InstanceIds"));
    }
    Ok(ids)
}

fn key_name(params: &Params) -> Result<&str, ApiError> {
    let name = params.required("KeyPairName")?;
    if !network::key_pair_exists(name) {
        return Err(ApiError::new(
            404,
            "InvalidKeyPairName.NotFound",
            "The specified KeyPairName does not exist.",
        ));
    }
    Ok(name)
}

fn call(ctx: &mut Ctx<'_>, params: &Params, attach: bool) -> Result<Answer, ApiError> {
    let name = key_name(params)?;
    let ids = instance_ids(params)?;
    // Each instance's refusal, if any: decided before anything changes.
    let refusals: Vec<Option<(&str, &str)>> = ids
        .iter()
        .map(|id| match ctx.store.instances.get(id) {
            None => Some((
                "InvalidInstanceId.NotFound",
                "The specified InstanceId does not exist.",
            )),
            Some(i) if i.is_windows() => Some((
                "DependencyViolation.WindowsInstance",
                "The instance is a Windows instance, which does not support key pairs.",
            )),
            Some(i) if i.flags.security_lock => Some((
                "InstanceLockedForSecurity",
                "The specified instance is locked for security reasons.",
            )),
            Some(_) => None,
        })
        .collect();
    dry_run(params)?;
    let mut results = Vec::with_capacity(ids.len());
    let mut failed = 0;
    for (id, refusal) in ids.iter().zip(refusals) {
        let result: Value = match refusal {
            Some((code, message)) => {
                failed += 1;
                json!({"InstanceId": id, "Success": "false", "Code": code, "Message": message})
            }
            None => {
                let inst = ctx.store.get_mut(id)?;
                if attach {
                    inst.key_pair_name = name.to_string();
                } else if inst.key_pair_name == name {
                    inst.key_pair_name.clear();
                }
                json!({"InstanceId": id, "Success": "true", "Code": "200", "Message": "successful"})
            }
        };
        results.push(result);
    }
    Ok(Answer::new(
        json!({
            "KeyPairName": name,
            "TotalCount": ids.len().to_string(),
            "FailCount": failed.to_string(),
            "Results": wrap("Result", results),
        }),
        (ids.len() == 1).then(|| ids[0].clone()),
    ))
}

pub fn attach_key_pair(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    call(ctx, params, true)
}

pub fn detach_key_pair(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    call(ctx, params, false)
}

pub fn describe_key_pairs(_ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let wanted = params.get("KeyPairName");
    let matches = |k: &str| match wanted {
        None => true,
        Some(w) => match w.strip_suffix('*') {
            Some(prefix) => k.starts_with(prefix),
            None => k == w,
        },
    };
    let pairs: Vec<Value> = network::KEY_PAIRS
        .iter()
        .filter(|(k, _)| matches(k))
        .map(|(k, f)| {
            json!({"KeyPairName": k, "KeyPairFingerPrint": f, "CreationTime": "2026-01-01T00:00:00Z"})
        })
        .collect();
    Ok(Answer::new(
        json!({
            "TotalCount": pairs.len(),
            "PageNumber": 1,
            "PageSize": 50,
            "KeyPairs": wrap("KeyPair", pairs),
        }),
        None,
    ))
}
