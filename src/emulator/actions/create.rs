//! RunInstances (Pending → Running, public IP when bandwidth is given) and
//! CreateInstance (Pending → Stopped, never a public IP). Both refuse what
//! ECS refuses: no security group (unless a launch template is named), the
//! classic network on an account that cannot use it (all but legacy ones:
//! `Config::classic_network`), a subscription without a period.

use serde_json::json;

use super::{check_naming, check_payment, dry_run, order_id, Answer, Ctx};
use crate::emulator::catalog;
use crate::emulator::error::ApiError;
use crate::emulator::fields::vpc_of;
use crate::emulator::instance::{minute_time, Flags, Instance, Status};
use crate::emulator::params::Params;

fn one_of(
    params: &Params,
    key: &str,
    allowed: &[&str],
    default: &str,
    code: &str,
) -> Result<String, ApiError> {
    match params.get(key) {
        None => Ok(default.to_string()),
        Some(v) if allowed.contains(&v) => Ok(v.to_string()),
        Some(_) => Err(ApiError::new(
            400,
            code,
            format!("The specified {key} is not valid."),
        )),
    }
}

fn ranged(
    params: &Params,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> Result<i64, ApiError> {
    match params.number::<i64>(key)? {
        None => Ok(default),
        Some(v) if range.contains(&v) => Ok(v),
        Some(_) => Err(ApiError::invalid(key)),
    }
}

/// Validates a creation request and returns the instance template (id and
/// addresses not yet assigned).
fn template(ctx: &Ctx<'_>, params: &Params) -> Result<Instance, ApiError> {
    check_payment(ctx.store, None)?;
    let image = params.required("ImageId")?;
    let type_id = params.required("InstanceType")?;
    let charge = one_of(
        params,
        "InstanceChargeType",
        &["PostPaid", "PrePaid"],
        "PostPaid",
        "InvalidInstanceChargeType.ValueNotSupported",
    )?;
    let net_charge = one_of(
        params,
        "InternetChargeType",
        &["PayByTraffic", "PayByBandwidth"],
        "PayByTraffic",
        "InvalidInternetChargeType.ValueNotSupported",
    )?;
    let out = ranged(params, "InternetMaxBandwidthOut", 0..=100, 0)?;
    let vpc = params.get("VSwitchId").is_some_and(|v| !v.is_empty());
    let bw_in = ranged(
        params,
        "InternetMaxBandwidthIn",
        1..=200,
        ctx.config.default_bandwidth_in(vpc),
    )?;
    let spot = one_of(
        params,
        "SpotStrategy",
        &["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"],
        "NoSpot",
        "InvalidSpotStrategy.ValueNotSupported",
    )?;
    let subscription = super::prepay::subscription_of(params, &charge, ctx.now)?;
    let (name, description, host) = check_naming(params)?;
    let vswitch = params.get("VSwitchId").unwrap_or("").to_string();
    let zones = ctx.config.zones();
    let zone = match params.get("ZoneId") {
        Some(z) if zones.iter().any(|x| x == z) => z.to_string(),
        Some(_) => {
            return Err(ApiError::new(
                404,
                "InvalidZoneId.NotFound",
                "The specified ZoneId does not exist.",
            ))
        }
        None => zones[0].clone(),
    };
    let spec = catalog::usable(type_id)?;
    catalog::check_image(spec, image)?;
    if catalog::stock(&spec.id, &zone) == catalog::Stock::SoldOut {
        return Err(ApiError::new(
            403,
            "OperationDenied.NoStock",
            "Sales of this resource are temporarily suspended in the specified region; please try again later.",
        ));
    }
    let mut groups = params.list("SecurityGroupIds");
    if let Some(g) = params.get("SecurityGroupId") {
        groups.insert(0, g.to_string());
    }
    check_network(ctx, params, &vswitch, &groups)?;
    Ok(Instance {
        id: String::new(),
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        host_name: host.unwrap_or_default(),
        zone_id: zone,
        image_id: image.to_string(),
        instance_type: spec.id.clone(),
        family: spec.family.clone(),
        cpu: spec.cpu,
        memory: spec.memory_mib(),
        status: Status::Pending,
        instance_charge_type: charge,
        internet_charge_type: net_charge,
        bandwidth_out: out,
        bandwidth_in: bw_in,
        network_type: if vswitch.is_empty() { "classic" } else { "vpc" }.into(),
        vpc_id: if vswitch.is_empty() {
            String::new()
        } else {
            vpc_of(&vswitch)
        },
        vswitch_id: vswitch,
        private_ips: vec![],
        inner_ips: vec![],
        public_ips: vec![],
        security_group_ids: groups,
        tags: params.pairs("Tag", "Key", "Value"),
        creation_time: minute_time(ctx.now),
        start_time: String::new(),
        stopped_mode: "KeepCharging".into(),
        deletion_protection: params.boolean("DeletionProtection")?.unwrap_or(false),
        spot_strategy: spot,
        serial_number: String::new(),
        flags: Flags::default(),
        seq: 0,
        pending: None,
        last_modified: None,
        subscription,
    })
}

/// What ECS requires of the network at creation: a security group (unless a
/// launch template supplies one), and a vSwitch unless the account may
/// still use the retired classic network (`--classic-network`).
fn check_network(
    ctx: &Ctx<'_>,
    params: &Params,
    vswitch: &str,
    groups: &[String],
) -> Result<(), ApiError> {
    let template = params
        .get("LaunchTemplateId")
        .is_some_and(|t| !t.is_empty());
    if groups.is_empty() && !template {
        return Err(ApiError::new(
            400,
            "MissingParameter",
            "The input parameter \"SecurityGroupId\" that is mandatory for processing this request is not supplied.",
        ));
    }
    if vswitch.is_empty() && !template && !ctx.config.classic_network {
        return Err(ApiError::new(
            400,
            "InvalidVSwitchId.IsNull",
            "The specified parameter \"VSwitchId\" is null: this account cannot create instances on the classic network; give a VSwitchId.",
        ));
    }
    Ok(())
}

/// Turns the template into a stored instance settling into `settle`.
fn materialize(ctx: &mut Ctx<'_>, mut inst: Instance, public_ip: bool, settle: Status) -> String {
    inst.id = ctx.store.new_instance_id();
    inst.serial_number = uuid::Uuid::new_v4().to_string();
    if inst.name.is_empty() {
        inst.name = inst.id.clone();
    }
    if inst.host_name.is_empty() {
        inst.host_name = inst.id.clone();
    }
    if inst.is_vpc() {
        inst.private_ips.push(ctx.store.alloc_private_ip());
    } else {
        inst.inner_ips.push(ctx.store.alloc_inner_ip());
    }
    if public_ip && inst.bandwidth_out > 0 {
        inst.public_ips.push(ctx.store.alloc_public_ip());
    }
    let id = inst.id.clone();
    ctx.store.insert(inst, ctx.now);
    ctx.store
        .transition(&id, Status::Pending, ctx.now, settle, ctx.config.transition);
    id
}

pub fn run_instances(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let amount = ranged(params, "Amount", 1..=100, 1)?;
    let unique_suffix = params.boolean("UniqueSuffix")?.unwrap_or(false);
    let template = template(ctx, params)?;
    dry_run(params)?;
    let mut ids = Vec::new();
    for n in 1..=amount {
        let mut inst = template.clone();
        if unique_suffix && amount > 1 && !inst.name.is_empty() {
            inst.name = format!("{}{n:03}", inst.name);
        }
        ids.push(materialize(ctx, inst, true, Status::Running));
    }
    let first = ids.first().cloned();
    Ok(Answer::new(
        json!({
            "OrderId": order_id(),
            "TradePrice": 0.0,
            "InstanceIdSets": {"InstanceIdSet": ids},
        }),
        first,
    ))
}

pub fn create_instance(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let template = template(ctx, params)?;
    dry_run(params)?;
    let id = materialize(ctx, template, false, Status::Stopped);
    Ok(Answer::new(
        json!({"InstanceId": id, "OrderId": order_id(), "TradePrice": 0.0}),
        Some(id),
    ))
}
