//! ModifyInstanceVpcAttribute (another vSwitch of the same VPC and zone, or
//! another private IP) and DescribeVSwitches.
//!
//! Rules (the API reference, 2014-05-26): the instance must be Stopped, a
//! VPC instance, started at least once since it was created, and not changed
//! by this call since its last start (one change per stop window:
//! `InvalidPrivateIp.Changing`). VSwitchId is required; a vSwitch of another
//! VPC is `InvalidVSwitchId.NotFound` (404), of another zone
//! `InvalidVSwitchId.Mismatch`; the address must be a usable one of the
//! vSwitch's block (`InvalidPrivateIpAddress.Mismatch`) and free
//! (`.Duplicated`). Moving to another VPC (`VpcId`) is not modelled.

use serde_json::{json, Value};

use super::{check_security_lock, dry_run, wrap, Answer, Ctx};
use crate::emulator::error::ApiError;
use crate::emulator::instance::Status;
use crate::emulator::network;
use crate::emulator::params::Params;

pub fn modify_instance_vpc_attribute(
    ctx: &mut Ctx<'_>,
    params: &Params,
) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let vsw_id = params.required("VSwitchId")?;
    let ip = params.get("PrivateIpAddress");
    let inst = ctx.store.get(id)?;
    if params.get("VpcId").is_some_and(|v| v != inst.vpc_id) {
        return Err(ApiError::new(
            400,
            "OperationDenied",
            "Moving an instance to another VPC is not supported by the emulator.",
        ));
    }
    if !inst.is_vpc() {
        return Err(ApiError::new(
            400,
            "OperationDenied",
            "Specified operation is denied as your instance is not in VPC.",
        ));
    }
    check_security_lock(inst)?;
    if inst.status != Status::Stopped {
        return Err(ApiError::new(
            400,
            "IncorrectInstanceStatus",
            "The current status of instance does not support this operation.",
        ));
    }
    if !inst.started_once {
        return Err(ApiError::new(
            400,
            "IncorrectInstanceStatus",
            "A new instance must be started once before its vSwitch or private IP can change.",
        ));
    }
    if inst.vpc_changed {
        return Err(ApiError::new(
            400,
            "InvalidPrivateIp.Changing",
            "Previous action is not finished yet: start the instance before changing its vSwitch or private IP again.",
        ));
    }
    let vsw = network::vswitch(ctx.store, vsw_id)
        .filter(|v| v.vpc_id == inst.vpc_id)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidVSwitchId.NotFound",
                "Specified virtual switch is not found in current VPC.",
            )
        })?;
    if vsw.zone_id(&ctx.config.region) != inst.zone_id {
        return Err(ApiError::new(
            400,
            "InvalidVSwitchId.Mismatch",
            "Specified instance and virtual switch are not in the same zone.",
        ));
    }
    let new_ip = match ip {
        Some(ip) => {
            network::check_private_ip(ctx.store, &vsw, ip, Some(id))?;
            ip.to_string()
        }
        None if vsw.id == inst.vswitch_id => inst.private_ips.first().cloned().unwrap_or_default(),
        None => network::free_ip(ctx.store, &vsw, Some(id)).ok_or_else(|| {
            ApiError::new(
                400,
                "InvalidVSwitchId.IpNotEnough",
                "The specified virtual switch has no free IP address.",
            )
        })?,
    };
    let unchanged = vsw.id == inst.vswitch_id && inst.private_ips.first() == Some(&new_ip);
    dry_run(params)?;
    if !unchanged {
        let inst = ctx.store.get_mut(id)?;
        inst.vswitch_id = vsw.id;
        inst.private_ips = vec![new_ip];
        inst.vpc_changed = true;
    }
    Ok(Answer::new(json!({}), Some(id.to_string())))
}

pub fn describe_vswitches(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let page_number = params.number::<usize>("PageNumber")?.unwrap_or(1).max(1);
    let page_size = match params.number::<usize>("PageSize")? {
        None => 10,
        Some(n @ 1..=50) => n,
        Some(_) => return Err(ApiError::invalid("PageSize")),
    };
    let region = &ctx.config.region;
    let all: Vec<Value> = network::vswitches(ctx.store)
        .into_iter()
        .filter(|v| params.get("VSwitchId").is_none_or(|x| x == v.id))
        .filter(|v| params.get("VpcId").is_none_or(|x| x == v.vpc_id))
        .filter(|v| params.get("ZoneId").is_none_or(|x| x == v.zone_id(region)))
        .map(|v| {
            let used = ctx
                .store
                .instances
                .values()
                .filter(|i| i.vswitch_id == v.id)
                .count();
            json!({
                "VSwitchId": v.id,
                "VpcId": v.vpc_id,
                "ZoneId": v.zone_id(region),
                "CidrBlock": v.cidr,
                "Status": "Available",
                "VSwitchName": v.id,
                "IsDefault": false,
                "AvailableIpAddressCount": 250usize.saturating_sub(used),
            })
        })
        .collect();
    let total = all.len();
    let page: Vec<Value> = all
        .into_iter()
        .skip((page_number - 1) * page_size)
        .take(page_size)
        .collect();
    Ok(Answer::new(
        json!({
            "TotalCount": total,
            "PageNumber": page_number,
            "PageSize": page_size,
            "VSwitches": wrap("VSwitch", page),
        }),
        None,
    ))
}
