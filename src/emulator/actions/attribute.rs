//! ModifyInstanceAttribute (every attribute in one call) and
//! DescribeUserData.
//!
//! Rules: HostName not while Pending or Starting, Password not while
//! Starting; both wait for the next API restart to reach the guest (see
//! `Instance::restart`). SecurityGroupIds.N replaces the whole list: 1–5
//! existing groups of the instance's VPC. DeletionProtection only on
//! pay-as-you-go instances. New UserData is kept (and shown) but never run.
//! The password is checked and hashed, never stored.

use serde_json::json;

use super::{check_naming, check_security_lock, checks, dry_run, Answer, Ctx};
use crate::emulator::error::ApiError;
use crate::emulator::instance::{password_hash, Status};
use crate::emulator::network;
use crate::emulator::params::Params;

pub fn modify_instance_attribute(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let (name, description, _) = check_naming(params)?;
    let inst = ctx.store.get(id)?;
    let host = checks::host_name(params, inst.is_windows())?;
    let password = checks::password(params)?;
    let user_data = checks::user_data(params)?;
    let protection = params.boolean("DeletionProtection")?;
    let groups = params.list("SecurityGroupIds");
    check_security_lock(inst)?;
    if host.is_some() && matches!(inst.status, Status::Pending | Status::Starting) {
        return Err(ApiError::incorrect_status());
    }
    if password.is_some() && inst.status == Status::Starting {
        return Err(ApiError::incorrect_status());
    }
    if protection.is_some() && inst.instance_charge_type == "PrePaid" {
        return Err(ApiError::charge_type_violation());
    }
    if !groups.is_empty() {
        network::check_groups(ctx.store, &groups, &inst.vpc_id)?;
    }
    dry_run(params)?;
    let hash = password.map(|p| password_hash(id, p));
    let inst = ctx.store.get_mut(id)?;
    if let Some(n) = name {
        inst.name = n;
    }
    if let Some(d) = description {
        inst.description = d;
    }
    if let Some(h) = host {
        inst.host_name = h;
    }
    if let Some(h) = hash {
        inst.password_hash = h;
    }
    if let Some(u) = user_data {
        inst.user_data = u;
    }
    if let Some(p) = protection {
        inst.deletion_protection = p;
    }
    if !groups.is_empty() {
        inst.security_group_ids = groups;
    }
    Ok(Answer::new(json!({}), Some(id.to_string())))
}

pub fn describe_user_data(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let inst = ctx.store.get(id)?;
    Ok(Answer::new(
        json!({
            "InstanceId": id,
            "RegionId": ctx.config.region,
            "UserData": inst.user_data,
        }),
        Some(id.to_string()),
    ))
}
