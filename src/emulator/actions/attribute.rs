//! ModifyInstanceAttribute: name, description, host name, deletion
//! protection and security groups. The password is checked and dropped:
//! the emulator never stores a secret.

use serde_json::json;

use super::{check_len, check_naming, check_security_lock, dry_run, Answer, Ctx};
use crate::emulator::error::ApiError;
use crate::emulator::params::Params;

pub fn modify_instance_attribute(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let (name, description, host) = check_naming(params)?;
    check_len(params, "Password", 8, 30, "InvalidPassword.Malformed")?;
    let protection = params.boolean("DeletionProtection")?;
    let groups = params.list("SecurityGroupIds");
    check_security_lock(ctx.store.get(id)?)?;
    dry_run(params)?;
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
    if let Some(p) = protection {
        inst.deletion_protection = p;
    }
    if !groups.is_empty() {
        inst.security_group_ids = groups;
    }
    Ok(Answer::new(json!({}), Some(id.to_string())))
}
