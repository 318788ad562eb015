//! ModifyInstanceChargeType: subscription (PrePaid) ⇄ pay-as-you-go
//! (PostPaid) for up to 20 instances per call (`InstanceIds`, a JSON array).
//!
//! Modelled from the API reference: the default target is PrePaid; each
//! instance must be Running or Stopped and its account in good standing;
//! the answer carries an `OrderId` and a fee per instance. Asking for the
//! charge type an instance already has is refused with
//! `InvalidInstanceChargeType.ValueNotSupported` (the reference does not say
//! what ECS answers; refusing keeps clients honest about checking first).

use serde_json::{json, Value};

use super::{check_payment, dry_run, order_id, wrap, Answer, Ctx};
use crate::emulator::error::ApiError;
use crate::emulator::instance::Status;
use crate::emulator::params::Params;
use crate::emulator::subscription::{period_end, Subscription};

/// Periods (months) a conversion to subscription accepts.
const PERIODS: [i64; 14] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60];

fn invalid_ids() -> ApiError {
    ApiError::new(
        400,
        "InvalidParameter.InstanceIds",
        "The specified InstanceIds are invalid.",
    )
}

pub fn modify_instance_charge_type(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let ids: Vec<String> =
        serde_json::from_str(params.required("InstanceIds")?).map_err(|_| invalid_ids())?;
    if ids.is_empty() || ids.iter().any(String::is_empty) {
        return Err(invalid_ids());
    }
    if ids.len() > 20 {
        return Err(ApiError::new(
            400,
            "InstancesIdQuotaExceed",
            "The maximum number of Instances is exceeded.",
        ));
    }
    let target = match params.get("InstanceChargeType") {
        None => "PrePaid",
        Some(t @ ("PrePaid" | "PostPaid")) => t,
        Some(_) => {
            return Err(ApiError::invalid_code(
                "InvalidInstanceChargeType.ValueNotSupported",
                "InstanceChargeType",
            ))
        }
    };
    for key in ["AutoPay", "IncludeDataDisks", "IsDetailFee"] {
        params.boolean(key)?;
    }
    let period = params.number::<i64>("Period")?.unwrap_or(1);
    if target == "PrePaid" {
        if !PERIODS.contains(&period) {
            return Err(ApiError::new(
                400,
                "InvalidPeriod",
                "The specified period is not valid.",
            ));
        }
        if params.get("PeriodUnit").is_some_and(|u| u != "Month") {
            return Err(ApiError::new(
                400,
                "InvalidPeriod.UnitMismatch",
                "The specified Period must be correlated with the PeriodUnit.",
            ));
        }
    }
    for id in &ids {
        let inst = ctx.store.get(id)?;
        check_payment(ctx.store, Some(inst))?;
        if !matches!(inst.status, Status::Running | Status::Stopped) {
            return Err(ApiError::new(
                400,
                "InvalidStatus.ValueNotSupported",
                "The current status of the resource does not support this operation.",
            ));
        }
        if inst.instance_charge_type == target {
            return Err(ApiError::new(
                400,
                "InvalidInstanceChargeType.ValueNotSupported",
                format!("The instance {id} is already {target}."),
            ));
        }
    }
    dry_run(params)?;
    let mut fees: Vec<Value> = Vec::with_capacity(ids.len());
    let now = ctx.now;
    for id in &ids {
        let inst = ctx.store.get_mut(id)?;
        inst.instance_charge_type = target.to_string();
        // A subscription starts its paid period now; a conversion to
        // pay-as-you-go ends it. The refunds used, and a type change still
        // owed a restart, stay with the instance.
        let old = std::mem::take(&mut inst.subscription);
        inst.subscription = Subscription {
            expired_time: (target == "PrePaid").then(|| period_end(now, period, "Month")),
            refunds: old.refunds,
            pending_type: old.pending_type,
            ..Subscription::default()
        };
        fees.push(json!({"InstanceId": id, "Fee": "0", "Currency": "CNY"}));
    }
    let fields = json!({"OrderId": order_id()});
    let fields = super::with(fields, "FeeOfInstances", wrap("FeeOfInstance", fees));
    Ok(Answer::new(fields, ids.first().cloned()))
}
