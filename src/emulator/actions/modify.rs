//! ModifyInstanceSpec and ModifyInstanceNetworkSpec, the heart of the
//! emulator, following the ModifyInstanceSpec reference row by row.
//!
//! Check order (the first failing check answers):
//! 1. instance exists; parameters parse; something to change; one change
//!    per call (type *or* bandwidth; with `--strict-bandwidth` Out and In
//!    count as two) → `InvalidParameter.Mismatch`;
//! 2. payment (arrearage, balance), unpaid order, security lock, charge type;
//! 3. the change itself: bandwidth ranges, VPC (Spec only), disk category,
//!    unknown/unauthorized/image-incompatible/identical type;
//! 4. the 5-minute rule (`--cooldown`) → `InvalidStatus.ValueNotSupported`;
//! 5. status: type needs Stopped, bandwidth Running or Stopped, and on the
//!    classic network outbound bandwidth rises from 0 only while Stopped
//!    (`InvalidInstanceStatus.NotStopped`);
//! 6. stock of the new type in the instance's zone;
//! 7. DryRun; then the change, stamped as the instance's last modification.

use serde_json::json;

use super::{check_payment, check_security_lock, dry_run, order_id, Answer, Ctx};
use crate::emulator::catalog;
use crate::emulator::error::ApiError;
use crate::emulator::instance::{Instance, Status};
use crate::emulator::params::Params;

/// Requested bandwidth change.
pub(super) struct Bandwidth {
    pub(super) out: Option<i64>,
    pub(super) inbound: Option<i64>,
}

impl Bandwidth {
    pub(super) fn parse(params: &Params) -> Result<Self, ApiError> {
        Ok(Bandwidth {
            out: params.number("InternetMaxBandwidthOut")?,
            inbound: params.number("InternetMaxBandwidthIn")?,
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.out.is_none() && self.inbound.is_none()
    }

    pub(super) fn both(&self) -> bool {
        self.out.is_some() && self.inbound.is_some()
    }

    pub(super) fn check_ranges(&self, max_out: i64) -> Result<(), ApiError> {
        if self.out.is_some_and(|v| !(0..=max_out).contains(&v)) {
            return Err(ApiError::invalid("InternetMaxBandwidthOut"));
        }
        if self.inbound.is_some_and(|v| !(1..=200).contains(&v)) {
            return Err(ApiError::new(
                400,
                "InvalidParameter.Bandwidth",
                "The specified parameter Bandwidth is not valid.",
            ));
        }
        Ok(())
    }

    pub(super) fn apply(&self, inst: &mut Instance) {
        if let Some(v) = self.out {
            inst.bandwidth_out = v;
        }
        if let Some(v) = self.inbound {
            inst.bandwidth_in = v;
        }
    }
}

pub(super) fn mismatch() -> ApiError {
    ApiError::new(
        400,
        "InvalidParameter.Mismatch",
        "Too many parameters in one request.",
    )
}

pub(super) fn nothing_to_change(keys: &str) -> ApiError {
    ApiError::new(
        400,
        "MissingParameter",
        format!("At least one of {keys} must be given."),
    )
}

pub(super) fn check_billing(ctx: &Ctx<'_>, inst: &Instance) -> Result<(), ApiError> {
    check_payment(ctx.store, Some(inst))?;
    if inst.flags.unpaid_order || ctx.store.open_order(&inst.id).is_some() {
        return Err(ApiError::new(
            400,
            "InvalidInstance.UnpaidOrder",
            "The specified instance has unpaid order.",
        ));
    }
    check_security_lock(inst)
}

fn check_charge_type(inst: &Instance) -> Result<(), ApiError> {
    if !matches!(
        inst.internet_charge_type.as_str(),
        "PayByTraffic" | "PayByBandwidth"
    ) {
        return Err(ApiError::new(
            400,
            "InvalidInternetChargeType.ValueNotSupported",
            "The specified InternetChargeType is not valid.",
        ));
    }
    Ok(())
}

/// The 5-minute rule.
pub(super) fn check_cooldown(ctx: &Ctx<'_>, inst: &Instance) -> Result<(), ApiError> {
    let cooldown = chrono::Duration::from_std(ctx.config.cooldown).unwrap_or(chrono::Duration::MAX);
    if inst.last_modified.is_some_and(|t| ctx.now < t + cooldown) {
        return Err(ApiError::new(
            400,
            "InvalidStatus.ValueNotSupported",
            "The current status of the resource does not support this operation.",
        ));
    }
    Ok(())
}

fn not_stopped() -> ApiError {
    ApiError::new(
        400,
        "InvalidInstanceStatus.NotStopped",
        "The specified Instance status is not stopped.",
    )
}

pub(super) fn check_bandwidth_status(inst: &Instance, bw: &Bandwidth) -> Result<(), ApiError> {
    if !matches!(inst.status, Status::Running | Status::Stopped) {
        return Err(ApiError::new(
            400,
            "InvalidStatus.ValueNotSupported",
            "The instance cannot be modified in the specified status.",
        ));
    }
    // Classic network: a first public bandwidth only while Stopped (the
    // ModifyInstanceNetworkSpec reference; applied to ModifyInstanceSpec too).
    let from_zero = inst.bandwidth_out == 0 && bw.out.is_some_and(|v| v > 0);
    if from_zero && !inst.is_vpc() && inst.status != Status::Stopped {
        return Err(not_stopped());
    }
    Ok(())
}

/// Checks a type change to `type_id` up to (not including) cooldown/status.
pub(super) fn check_new_type(
    inst: &Instance,
    type_id: &str,
) -> Result<&'static catalog::TypeSpec, ApiError> {
    if inst.flags.disk_category_unsupported {
        return Err(ApiError::new(
            403,
            "CategoryViolation",
            "The specified instance does not support this operation because of its disk category.",
        ));
    }
    let spec = catalog::usable(type_id)?;
    catalog::check_image(spec, &inst.image_id)?;
    if spec.id == inst.instance_type {
        return Err(ApiError::new(
            400,
            "DependencyViolation.InstanceType",
            "The current InstanceType cannot be changed to the specified InstanceType.",
        ));
    }
    Ok(spec)
}

pub fn modify_instance_spec(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let inst = ctx.store.get(id)?;
    let new_type = params.get("InstanceType");
    let bw = Bandwidth::parse(params)?;
    params.boolean("AllowMigrateAcrossZone")?;
    params.boolean("Async")?;
    if new_type.is_none() && bw.is_empty() {
        return Err(nothing_to_change(
            "InstanceType, InternetMaxBandwidthOut, InternetMaxBandwidthIn",
        ));
    }
    if (new_type.is_some() && !bw.is_empty()) || (ctx.config.strict_bandwidth && bw.both()) {
        return Err(mismatch());
    }
    check_billing(ctx, inst)?;
    if inst.instance_charge_type == "PrePaid" {
        return Err(ApiError::charge_type_violation());
    }
    let spec = match new_type {
        Some(t) => {
            super::prepay::check_no_pending_type(inst)?;
            Some(check_new_type(inst, t)?)
        }
        None => {
            bw.check_ranges(100)?;
            if inst.is_vpc() {
                return Err(ApiError::new(
                    400,
                    "OperationDenied",
                    "The specified instance is in VPC.",
                ));
            }
            check_charge_type(inst)?;
            None
        }
    };
    check_cooldown(ctx, inst)?;
    match spec {
        Some(spec) => {
            if inst.status != Status::Stopped {
                return Err(not_stopped());
            }
            if catalog::stock(&spec.id, &inst.zone_id) == catalog::Stock::SoldOut {
                return Err(ApiError::new(
                    403,
                    "OperationDenied",
                    "The instance is out of usage.",
                ));
            }
        }
        None => check_bandwidth_status(inst, &bw)?,
    }
    dry_run(params)?;
    let now = ctx.now;
    let inst = ctx.store.get_mut(id)?;
    match spec {
        Some(spec) => {
            inst.instance_type = spec.id.clone();
            inst.family = spec.family.clone();
            inst.cpu = spec.cpu;
            inst.memory = spec.memory_mib();
        }
        None => bw.apply(inst),
    }
    inst.last_modified = Some(now);
    Ok(Answer::new(json!({}), Some(id.to_string())))
}

pub fn modify_instance_network_spec(
    ctx: &mut Ctx<'_>,
    params: &Params,
) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let inst = ctx.store.get(id)?;
    if inst.instance_charge_type == "PrePaid" {
        return super::prepay::modify_network_spec(ctx, params);
    }
    let bw = Bandwidth::parse(params)?;
    let charge = params.get("NetworkChargeType");
    let allocate = params.boolean("AllocatePublicIp")?.unwrap_or(false);
    params.boolean("AutoPay")?;
    if bw.is_empty() && charge.is_none() && !allocate {
        return Err(nothing_to_change(
            "InternetMaxBandwidthOut, InternetMaxBandwidthIn, NetworkChargeType, AllocatePublicIp",
        ));
    }
    if ctx.config.strict_bandwidth && bw.both() {
        return Err(mismatch());
    }
    check_billing(ctx, inst)?;
    let charge = match charge {
        None => inst.internet_charge_type.clone(),
        Some(c @ ("PayByTraffic" | "PayByBandwidth")) => c.to_string(),
        Some(_) => {
            return Err(ApiError::new(
                400,
                "InvalidInternetChargeType.ValueNotSupported",
                "The specified InternetChargeType is not valid.",
            ))
        }
    };
    let max_out = if charge == "PayByBandwidth" && inst.instance_charge_type == "PrePaid" {
        200
    } else {
        100
    };
    bw.check_ranges(max_out)?;
    check_cooldown(ctx, inst)?;
    check_bandwidth_status(inst, &bw)?;
    dry_run(params)?;
    let now = ctx.now;
    // Pay-as-you-go instances get an address only when asked; subscription
    // ones get one automatically when their bandwidth rises from 0.
    let from_zero = inst.bandwidth_out == 0 && bw.out.is_some_and(|v| v > 0);
    let wants_ip = allocate || (from_zero && inst.instance_charge_type == "PrePaid");
    let needs_ip =
        wants_ip && inst.public_ips.is_empty() && bw.out.unwrap_or(inst.bandwidth_out) > 0;
    let ip = needs_ip.then(|| ctx.store.alloc_public_ip());
    let inst = ctx.store.get_mut(id)?;
    bw.apply(inst);
    inst.internet_charge_type = charge;
    inst.public_ips.extend(ip);
    inst.last_modified = Some(now);
    Ok(Answer::new(
        json!({"OrderId": order_id()}),
        Some(id.to_string()),
    ))
}
