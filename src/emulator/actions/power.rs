//! StartInstance (Stopped → Starting → Running; an API restart: pending
//! host name, password and key pair reach the guest), RebootInstance
//! (Running → Starting → Running, also a restart), StopInstance (Running →
//! Stopping → Stopped) and DeleteInstance (Stopped, or Running with Force;
//! never with deletion protection on, never a subscription).
//!
//! Economical mode: a StopInstance without `StoppedMode` uses
//! `--default-stopped-mode` for VPC pay-as-you-go instances (the only ones
//! economical mode serves; others always stop in `KeepCharging`, as ECS
//! silently does). A `StopCharging` stop releases the public IP when the
//! instance reaches Stopped and the next start assigns a new one (see
//! `Store::advance`); with the `NoStock` flag that start is refused.

use serde_json::json;

use super::{check_payment, check_security_lock, dry_run, Answer, Ctx};
use crate::emulator::error::ApiError;
use crate::emulator::instance::Status;
use crate::emulator::params::Params;

pub fn start_instance(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let inst = ctx.store.get(id)?;
    check_security_lock(inst)?;
    check_payment(ctx.store, Some(inst))?;
    if inst.status != Status::Stopped {
        return Err(ApiError::incorrect_status());
    }
    if inst.flags.no_stock && inst.stopped_mode == "StopCharging" {
        return Err(ApiError::new(
            403,
            "OperationDenied.NoStock",
            "The resource is out of stock in the specified zone. Please try other types of resources or other regions and zones.",
        ));
    }
    params.boolean("InitLocalDisk")?;
    dry_run(params)?;
    let inst = ctx.store.get_mut(id)?;
    inst.restart();
    inst.started_once = true;
    inst.vpc_changed = false;
    ctx.store.transition(
        id,
        Status::Starting,
        ctx.now,
        Status::Running,
        ctx.config.transition,
    );
    Ok(Answer::new(json!({}), Some(id.to_string())))
}

/// RebootInstance: Running → Starting → Running; an API restart, so the
/// pending host name, password and key pair reach the guest.
pub fn reboot_instance(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    params.boolean("ForceStop")?;
    let inst = ctx.store.get(id)?;
    check_security_lock(inst)?;
    if inst.status != Status::Running {
        return Err(ApiError::incorrect_status());
    }
    dry_run(params)?;
    ctx.store.get_mut(id)?.restart();
    ctx.store.transition(
        id,
        Status::Starting,
        ctx.now,
        Status::Running,
        ctx.config.transition,
    );
    Ok(Answer::new(json!({}), Some(id.to_string())))
}

pub fn stop_instance(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let asked = match params.get("StoppedMode") {
        None => None,
        Some(m @ ("KeepCharging" | "StopCharging")) => Some(m),
        Some(_) => return Err(ApiError::invalid("StoppedMode")),
    };
    params.boolean("ForceStop")?;
    let inst = ctx.store.get(id)?;
    let economical_possible = inst.is_vpc() && inst.instance_charge_type != "PrePaid";
    let mode = match asked.unwrap_or(&ctx.config.default_stopped_mode) {
        "StopCharging" if economical_possible => "StopCharging",
        _ => "KeepCharging",
    };
    check_security_lock(inst)?;
    if inst.status != Status::Running {
        return Err(ApiError::incorrect_status());
    }
    dry_run(params)?;
    ctx.store.get_mut(id)?.stopped_mode = mode.to_string();
    ctx.store.transition(
        id,
        Status::Stopping,
        ctx.now,
        Status::Stopped,
        ctx.config.transition,
    );
    Ok(Answer::new(json!({}), Some(id.to_string())))
}

pub fn delete_instance(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let force = params.boolean("Force")?.unwrap_or(false);
    let terminate = params.boolean("TerminateSubscription")?.unwrap_or(false);
    let inst = ctx.store.get(id)?;
    if inst.deletion_protection {
        return Err(ApiError::new(
            403,
            "InvalidOperation.DeletionProtection",
            "The operation is denied due to the deletion protection of the instance.",
        ));
    }
    // TerminateSubscription releases only an expired subscription; any
    // other PrePaid instance must be converted (ModifyInstanceChargeType)
    // before it can be released.
    let expired = inst.subscription.is_expired(ctx.now);
    if inst.instance_charge_type == "PrePaid" && !(terminate && expired) {
        return Err(ApiError::charge_type_violation());
    }
    let allowed = match inst.status {
        Status::Stopped => true,
        Status::Running => force,
        _ => false,
    };
    if !allowed {
        return Err(ApiError::incorrect_status());
    }
    dry_run(params)?;
    ctx.store.remove(id, ctx.now);
    Ok(Answer::new(json!({}), Some(id.to_string())))
}
