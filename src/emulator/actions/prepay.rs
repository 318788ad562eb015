//! Subscription (PrePaid) instances: ModifyPrepayInstanceSpec,
//! ModifyInstanceNetworkSpec on a subscription instance, the auto-renewal
//! pair (DescribeInstanceAutoRenewAttribute, ModifyInstanceAutoRenewAttribute)
//! and RunInstances' period parameters.
//!
//! The rules, from the API references (where older and newer pages differ,
//! the stricter reading; each choice is in `docs/design/emulator.md`,
//! "Subscription instances"):
//! - an **upgrade** may be sent while Running or Stopped and takes effect
//!   at the next API start or restart (StartInstance, RebootInstance,
//!   `RebootWhenFinished`); until then DescribeInstances shows the old type
//!   and any other type change answers `InvalidOperation.RebootingRequired`;
//! - a **downgrade** needs Stopped (`InvalidStatus.NotStopped`) and
//!   `OperatorType=downgrade`, and also takes effect at the start;
//! - at most [`MAX_REFUNDS`] downgrades per instance, type and bandwidth
//!   together (`InstanceDowngrade.QuotaExceed`); a bandwidth downgrade locks
//!   bandwidth changes until the end of the billing cycle (`OperationDenied`);
//!   a fixed (PayByBandwidth) bandwidth only rises through the API;
//! - every change opens an order: `AutoPay=false` leaves it unpaid, a low
//!   balance (admin `LowBalance`) leaves it abnormal, and in both cases
//!   nothing changes until it is paid (admin API); an open order refuses
//!   later changes (`InvalidInstance.UnpaidOrder`);
//! - an expired subscription refuses changes
//!   (`InvalidInstance.PreInstanceExpired`).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::modify::{
    check_bandwidth_status, check_billing, check_cooldown, check_new_type, mismatch,
    nothing_to_change, Bandwidth,
};
use super::{check_payment, check_security_lock, dry_run, wrap, Answer, Ctx};
use crate::emulator::catalog;
use crate::emulator::error::ApiError;
use crate::emulator::instance::{Instance, Status};
use crate::emulator::params::Params;
use crate::emulator::subscription::{
    period_end, place, Change, OrderStatus, Shown, Subscription, MAX_REFUNDS,
};

/// RunInstances `Period` values per `PeriodUnit`.
const PERIOD_WEEKS: &[i64] = &[1, 2, 3, 4];
const PERIOD_MONTHS: &[i64] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60];
/// RunInstances `AutoRenewPeriod` values per `PeriodUnit`.
const RENEW_WEEKS: &[i64] = &[1, 2, 3];
const RENEW_MONTHS: &[i64] = &[1, 2, 3, 6, 12, 24, 36, 48, 60];
/// ModifyInstanceAutoRenewAttribute `Duration` values per `PeriodUnit`.
const DURATION_WEEKS: &[i64] = &[1, 2, 3, 4];
const DURATION_MONTHS: &[i64] = &[1, 2, 3, 6, 12];
const DURATION_YEARS: &[i64] = &[1, 2, 3];

fn expired() -> ApiError {
    ApiError::new(
        403,
        "InvalidInstance.PreInstanceExpired",
        "Instance business status is not Expired.",
    )
}

/// A type change still owed a restart refuses another one (also through
/// ModifyInstanceSpec, after a conversion to pay-as-you-go).
pub(super) fn check_no_pending_type(inst: &Instance) -> Result<(), ApiError> {
    if inst.subscription.pending_type.is_some() {
        return Err(ApiError::new(
            403,
            "InvalidOperation.RebootingRequired",
            "The specified instance needs to be rebooted.",
        ));
    }
    Ok(())
}

fn quota_exceeded() -> ApiError {
    ApiError::new(
        400,
        "InstanceDowngrade.QuotaExceed",
        "Quota of instance downgrade is exceed.",
    )
}

/// The subscription of a new instance from RunInstances' `Period`,
/// `PeriodUnit`, `AutoRenew` and `AutoRenewPeriod` (PrePaid only; ignored
/// for pay-as-you-go, as the reference says).
pub(super) fn subscription_of(
    params: &Params,
    charge: &str,
    now: DateTime<Utc>,
) -> Result<Subscription, ApiError> {
    if charge != "PrePaid" {
        return Ok(Subscription::default());
    }
    let unit = match params.get("PeriodUnit") {
        None => "Month",
        Some(u) if u.eq_ignore_ascii_case("Month") => "Month",
        Some(u) if u.eq_ignore_ascii_case("Week") => "Week",
        Some(_) => {
            return Err(ApiError::invalid_code(
                "InvalidPeriodUnit.ValueNotSupported",
                "PeriodUnit",
            ))
        }
    };
    let period = params
        .number::<i64>("Period")?
        .ok_or_else(|| ApiError::missing("Period"))?;
    let (periods, renewals) = if unit == "Week" {
        (PERIOD_WEEKS, RENEW_WEEKS)
    } else {
        (PERIOD_MONTHS, RENEW_MONTHS)
    };
    if !periods.contains(&period) {
        return Err(ApiError::new(
            400,
            "InvalidPeriod",
            "The specified period is not valid.",
        ));
    }
    let auto_renew = params.boolean("AutoRenew")?.unwrap_or(false);
    let renew = params.number::<i64>("AutoRenewPeriod")?.unwrap_or(1);
    if !renewals.contains(&renew) {
        return Err(ApiError::invalid("AutoRenewPeriod"));
    }
    Ok(Subscription {
        expired_time: Some(period_end(now, period, unit)),
        renewal_status: if auto_renew { "AutoRenewal" } else { "Normal" }.into(),
        renew_duration: renew,
        renew_unit: unit.into(),
        ..Subscription::default()
    })
}

/// The payment outcome of a change that costs money.
fn payment(ctx: &Ctx<'_>, auto_pay: bool) -> OrderStatus {
    if !auto_pay {
        OrderStatus::Unpaid
    } else if ctx.store.account.low_balance {
        OrderStatus::Abnormal
    } else {
        OrderStatus::Paid
    }
}

/// Payment, open orders, security lock, expiry: what refuses any change of
/// a subscription instance before its parameters are looked at.
fn check_subscription(ctx: &Ctx<'_>, inst: &Instance) -> Result<(), ApiError> {
    check_billing(ctx, inst)?;
    if inst.subscription.is_expired(ctx.now) {
        return Err(expired());
    }
    Ok(())
}

/// Whether `to` is at least as big as `from` in vCPU and memory (the rule
/// DescribeResourcesModification's Upgrade list follows); anything else is
/// a downgrade.
fn is_upgrade(from: &Instance, to: &catalog::TypeSpec) -> bool {
    to.cpu >= from.cpu && to.memory_mib() >= from.memory
}

pub fn modify_prepay_instance_spec(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let type_id = params.required("InstanceType")?;
    let operator = match params.get("OperatorType") {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("upgrade") => Some(true),
        Some(v) if v.eq_ignore_ascii_case("downgrade") => Some(false),
        Some(_) => return Err(ApiError::invalid("OperatorType")),
    };
    let auto_pay = params.boolean("AutoPay")?.unwrap_or(true);
    let reboot = params.boolean("RebootWhenFinished")?.unwrap_or(false);
    params.boolean("MigrateAcrossZone")?;
    if let Some(t) = params.get("RebootTime") {
        if crate::ecs::parse_api_time(t).is_none() {
            return Err(ApiError::new(
                400,
                "InvalidRebootTime.MalFormed",
                "The specified rebootTime is not valid.",
            ));
        }
        return Err(ApiError::new(
            400,
            "InvalidRebootTime.ValueNotSupported",
            "The emulator does not model scheduled restarts (RebootTime); restart the instance instead.",
        ));
    }
    if params.get("EndTime").is_some() {
        return Err(ApiError::new(
            400,
            "InvalidParameter",
            "The emulator does not model temporary changes (EndTime).",
        ));
    }
    let inst = ctx.store.get(id)?;
    check_payment(ctx.store, Some(inst))?;
    if inst.instance_charge_type != "PrePaid" {
        return Err(ApiError::new(
            400,
            "InvalidInstanceChargeType.ValueNotSupported",
            "ModifyPrepayInstanceSpec changes subscription (PrePaid) instances only.",
        ));
    }
    check_subscription(ctx, inst)?;
    check_security_lock(inst)?;
    check_no_pending_type(inst)?;
    let spec = check_new_type(inst, type_id)?;
    let upgrade = is_upgrade(inst, spec);
    match (upgrade, operator) {
        (false, Some(false)) | (true, None | Some(true)) => {}
        (false, _) => {
            return Err(ApiError::new(
                400,
                "InvalidParameter",
                "The specified InstanceType is smaller than the current one: set OperatorType to downgrade.",
            ))
        }
        (true, Some(false)) => {
            return Err(ApiError::new(
                400,
                "InvalidParameter",
                "The specified InstanceType is not smaller than the current one: OperatorType downgrade does not apply.",
            ))
        }
    }
    if !upgrade && inst.subscription.refunds >= MAX_REFUNDS {
        return Err(quota_exceeded());
    }
    check_cooldown(ctx, inst)?;
    match (upgrade, inst.status) {
        (_, Status::Stopped) | (true, Status::Running) => {}
        (false, _) => {
            return Err(ApiError::new(
                400,
                "InvalidStatus.NotStopped",
                "Instance status must be stopped.",
            ))
        }
        (true, _) => return Err(ApiError::incorrect_status()),
    }
    if catalog::stock(&spec.id, &inst.zone_id) == catalog::Stock::SoldOut {
        return Err(ApiError::new(
            403,
            "OperationDenied.NoStock",
            "The resource is out of stock in the specified zone. Please try other types, or choose other regions and zones.",
        ));
    }
    // No DryRun: the reference lists none, and ECS ignores parameters it
    // does not know, so `DryRun=true` does not protect anything here.
    let running = inst.status == Status::Running;
    // A downgrade is a refund: AutoPay does not apply to it.
    let status = if upgrade {
        payment(ctx, auto_pay)
    } else {
        OrderStatus::Paid
    };
    let (now, spec_id) = (ctx.now, spec.id.clone());
    if !upgrade {
        ctx.store.get_mut(id)?.subscription.refunds += 1;
    }
    let operation = if upgrade { "Upgrade" } else { "Downgrade" };
    let order_id = place(
        ctx.store,
        id,
        "ModifyPrepayInstanceSpec",
        operation,
        status,
        Change::InstanceType(spec_id),
        Shown::of(ctx.config.subscription_type_shown_early),
        now,
    );
    // RebootWhenFinished restarts a Running instance; a Stopped one stays
    // stopped (reference).
    if reboot && running && status == OrderStatus::Paid {
        ctx.store.set_status(
            id,
            Status::Starting,
            now,
            Some((Status::Running, ctx.config.transition)),
        );
    }
    Ok(Answer::new(
        json!({ "OrderId": order_id }),
        Some(id.to_string()),
    ))
}

/// ModifyInstanceNetworkSpec of a subscription instance (the action's
/// pay-as-you-go path is in `modify`).
pub fn modify_network_spec(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let inst = ctx.store.get(id)?;
    let bw = Bandwidth::parse(params)?;
    let charge = params.get("NetworkChargeType");
    params.boolean("AllocatePublicIp")?;
    let auto_pay = params.boolean("AutoPay")?.unwrap_or(true);
    if params.get("StartTime").is_some() || params.get("EndTime").is_some() {
        return Err(ApiError::new(
            400,
            "InvalidParameter",
            "The emulator does not model temporary bandwidth upgrades (StartTime, EndTime).",
        ));
    }
    if bw.is_empty() && charge.is_none() {
        return Err(nothing_to_change(
            "InternetMaxBandwidthOut, InternetMaxBandwidthIn, NetworkChargeType",
        ));
    }
    if ctx.config.strict_bandwidth && bw.both() {
        return Err(mismatch());
    }
    check_subscription(ctx, inst)?;
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
    bw.check_ranges(if charge == "PayByBandwidth" { 200 } else { 100 })?;
    if inst
        .subscription
        .bandwidth_locked_until
        .is_some_and(|t| ctx.now < t)
    {
        return Err(ApiError::new(
            403,
            "OperationDenied",
            "The bandwidth of this subscription instance was downgraded in the current billing cycle and cannot be changed again until the next one.",
        ));
    }
    // Through the API a subscription's fixed bandwidth (PayByBandwidth) only
    // rises, and only the console turns it back into PayByTraffic.
    let downgrade = bw.out.is_some_and(|v| v < inst.bandwidth_out);
    if inst.internet_charge_type == "PayByBandwidth" && (downgrade || charge == "PayByTraffic") {
        return Err(ApiError::new(
            403,
            "OperationDenied",
            "The fixed bandwidth (PayByBandwidth) of a subscription instance can only be upgraded through the API.",
        ));
    }
    if downgrade && inst.subscription.refunds >= MAX_REFUNDS {
        return Err(quota_exceeded());
    }
    check_cooldown(ctx, inst)?;
    check_bandwidth_status(inst, &bw)?;
    dry_run(params)?;
    let status = if downgrade {
        OrderStatus::Paid
    } else {
        payment(ctx, auto_pay)
    };
    let now = ctx.now;
    let inst = ctx.store.get_mut(id)?;
    if downgrade {
        inst.subscription.refunds += 1;
        inst.subscription.bandwidth_locked_until = inst.subscription.expired_time;
    }
    if status == OrderStatus::Paid {
        inst.internet_charge_type = charge;
    }
    let order_id = place(
        ctx.store,
        id,
        "ModifyInstanceNetworkSpec",
        if downgrade { "Downgrade" } else { "Upgrade" },
        status,
        Change::Bandwidth {
            out: bw.out,
            inbound: bw.inbound,
        },
        Shown::AtRestart,
        now,
    );
    Ok(Answer::new(
        json!({ "OrderId": order_id }),
        Some(id.to_string()),
    ))
}

/// `InstanceId` of the auto-renewal actions: ids separated by commas, at
/// most 100.
fn instance_ids(params: &Params) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = params
        .get("InstanceId")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if ids.len() > 100 {
        return Err(ApiError::new(
            403,
            "InvalidParameter.ToManyInstanceIds",
            "InstanceId should be less than 100.",
        ));
    }
    Ok(ids)
}

/// The subscription instance `id`, for the auto-renewal actions.
fn subscribed<'a>(ctx: &'a Ctx<'_>, id: &str) -> Result<&'a Instance, ApiError> {
    let inst = ctx.store.instances.get(id).ok_or_else(|| {
        ApiError::new(
            403,
            "InvalidParameter.InvalidInstanceId",
            format!("The specified InstanceId {id} is not valid."),
        )
    })?;
    if inst.instance_charge_type != "PrePaid" {
        return Err(ApiError::new(
            403,
            "ChargeTypeViolation",
            "Pay-As-You-Go instances do not support this operation.",
        ));
    }
    Ok(inst)
}

fn renewal_status(params: &Params) -> Result<Option<&str>, ApiError> {
    match params.get("RenewalStatus") {
        None => Ok(None),
        Some(s @ ("AutoRenewal" | "Normal" | "NotRenewal")) => Ok(Some(s)),
        Some(_) => Err(ApiError::new(
            403,
            "InvalidParameter.RenewalStatus",
            "The specified parameter RenewalStatus is not valid.",
        )),
    }
}

fn renew_json(inst: &Instance) -> Value {
    let s = &inst.subscription;
    json!({
        "InstanceId": inst.id,
        "AutoRenewEnabled": s.renewal_status() == "AutoRenewal",
        "Duration": s.renew_duration.max(1),
        "PeriodUnit": if s.renew_unit.is_empty() { "Month" } else { &s.renew_unit },
        "RenewalStatus": s.renewal_status(),
    })
}

pub fn describe_instance_auto_renew_attribute(
    ctx: &mut Ctx<'_>,
    params: &Params,
) -> Result<Answer, ApiError> {
    let ids = instance_ids(params)?;
    let status = renewal_status(params)?;
    if ids.is_empty() && status.is_none() {
        return Err(ApiError::new(
            403,
            "InvalidParameter.RenewalStatusInstanceId",
            "The parameter RenewalStatus and InstanceId can not be both empty.",
        ));
    }
    let page = params.number::<usize>("PageNumber")?.unwrap_or(1);
    let size = params.number::<usize>("PageSize")?.unwrap_or(10);
    if page == 0 {
        return Err(ApiError::invalid("PageNumber"));
    }
    if !(1..=100).contains(&size) {
        return Err(ApiError::invalid("PageSize"));
    }
    let chosen: Vec<&Instance> = if ids.is_empty() {
        ctx.store
            .ordered()
            .into_iter()
            .filter(|i| i.instance_charge_type == "PrePaid")
            .collect()
    } else {
        ids.iter()
            .map(|id| subscribed(ctx, id))
            .collect::<Result<_, _>>()?
    };
    let matching: Vec<&Instance> = chosen
        .into_iter()
        .filter(|i| status.is_none_or(|s| s == i.subscription.renewal_status()))
        .collect();
    let items: Vec<Value> = matching
        .iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|i| renew_json(i))
        .collect();
    let fields = json!({
        "PageNumber": page,
        "PageSize": size,
        "TotalCount": matching.len(),
    });
    Ok(Answer::new(
        super::with(
            fields,
            "InstanceRenewAttributes",
            wrap("InstanceRenewAttribute", items),
        ),
        ids.first().cloned(),
    ))
}

pub fn modify_instance_auto_renew_attribute(
    ctx: &mut Ctx<'_>,
    params: &Params,
) -> Result<Answer, ApiError> {
    let ids = instance_ids(params)?;
    if ids.is_empty() {
        return Err(ApiError::new(
            403,
            "MissingParameter.InstanceId",
            "InstanceId should not be null.",
        ));
    }
    let unit = match params.get("PeriodUnit") {
        None => "Month",
        Some(u) if u.eq_ignore_ascii_case("Month") => "Month",
        Some(u) if u.eq_ignore_ascii_case("Week") => "Week",
        Some(u) if u.eq_ignore_ascii_case("Year") => "Year",
        Some(_) => {
            return Err(ApiError::new(
                403,
                "InvalidPeriodUnit.ValueNotSupported",
                "The specified parameter PeriodUnit is not valid.",
            ))
        }
    };
    let allowed = match unit {
        "Week" => DURATION_WEEKS,
        "Year" => DURATION_YEARS,
        _ => DURATION_MONTHS,
    };
    let duration = params.number::<i64>("Duration")?;
    if duration.is_some_and(|d| !allowed.contains(&d)) {
        return Err(ApiError::new(
            403,
            "InvalidParameter.Duration",
            format!("The specified Duration is not valid for PeriodUnit {unit}."),
        ));
    }
    // RenewalStatus wins over AutoRenew (reference).
    let status = match (renewal_status(params)?, params.boolean("AutoRenew")?) {
        (Some(s), _) => Some(s),
        (None, Some(true)) => Some("AutoRenewal"),
        (None, Some(false)) => Some("Normal"),
        (None, None) => None,
    };
    for id in &ids {
        let inst = subscribed(ctx, id)?;
        if !matches!(inst.status, Status::Running | Status::Stopped) {
            return Err(ApiError::incorrect_status());
        }
    }
    // No DryRun in the reference (see ModifyPrepayInstanceSpec).
    for id in &ids {
        let s = &mut ctx.store.get_mut(id)?.subscription;
        if let Some(status) = status {
            s.renewal_status = status.to_string();
        }
        if let Some(d) = duration {
            s.renew_duration = d;
            s.renew_unit = unit.to_string();
        }
    }
    Ok(Answer::new(json!({}), ids.first().cloned()))
}
