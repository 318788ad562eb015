//! AllocatePublicIpAddress: a public IP for an instance that has outbound
//! bandwidth but no address (the classic-network way; VPC instances can
//! also use ModifyInstanceNetworkSpec `AllocatePublicIp`). Not a
//! modification: no ClientToken in the reference, no 5-minute rule, no
//! stamp. ECS says the address takes effect at the next start or reboot;
//! the emulator shows it at once.
//!
//! Checks, in order: instance exists; payment (`Account.Arrearage`, as for
//! the other calls); security lock; status Running or Stopped (403
//! `IncorrectInstanceStatus`); an address already (403 `AllocatedAlready`);
//! outbound bandwidth 0 (403 `OperationDenied`, the emulator's choice: the
//! reference names no code for it).

use serde_json::json;

use super::{check_payment, check_security_lock, dry_run, Answer, Ctx};
use crate::emulator::error::ApiError;
use crate::emulator::instance::Status;
use crate::emulator::params::Params;

pub fn allocate_public_ip_address(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let inst = ctx.store.get(id)?;
    check_payment(ctx.store, Some(inst))?;
    check_security_lock(inst)?;
    if !matches!(inst.status, Status::Running | Status::Stopped) {
        return Err(ApiError::incorrect_status());
    }
    if !inst.public_ips.is_empty() {
        return Err(ApiError::new(
            403,
            "AllocatedAlready",
            "There is an IpAddress allocated already for the specified instance.",
        ));
    }
    if inst.bandwidth_out == 0 {
        return Err(ApiError::new(
            403,
            "OperationDenied",
            "The instance has no public bandwidth (InternetMaxBandwidthOut is 0).",
        ));
    }
    dry_run(params)?;
    let ip = ctx.store.alloc_public_ip();
    ctx.store.get_mut(id)?.public_ips.push(ip.clone());
    Ok(Answer::new(json!({"IpAddress": ip}), Some(id.to_string())))
}
