//! RunInstances (Pending → Running, public IP when bandwidth is given) and
//! CreateInstance (Pending → Stopped, never a public IP). Both refuse what
//! ECS refuses: no security group (unless a launch template is named), the
//! classic network on an account that cannot use it (all but legacy ones:
//! `Config::classic_network`), a subscription without a period.
//!
//! Both validate every argument before anything is created: host name,
//! password, user data (`checks`), key pair (must exist; ignored on
//! Windows), 1–5 security groups of the instance's VPC, vSwitch in the
//! zone, private IP (a usable, free address of the vSwitch; one instance
//! only), up to 20 tags, system disk category and size (20–2048 GiB, not
//! below the image), deletion protection (pay-as-you-go only).

use serde_json::json;

use super::tags::{check_key, check_value, too_many_tags};
use super::{check_naming, check_payment, checks, dry_run, order_id, Answer, Ctx};
use crate::emulator::catalog;
use crate::emulator::error::ApiError;
use crate::emulator::fields::DEFAULT_DISK_CATEGORY;
use crate::emulator::instance::{
    minute_time, new_disk_id, password_hash, Flags, Guest, Instance, Status, SystemDisk,
};
use crate::emulator::network::{self, VSwitch};
use crate::emulator::params::Params;

/// System disk categories RunInstances takes.
const DISK_CATEGORIES: &[&str] = &[
    "cloud_efficiency",
    "cloud_ssd",
    "cloud_essd",
    "cloud_auto",
    "cloud_essd_entry",
    "cloud",
];

/// A validated creation request: the instance template (id and addresses
/// not yet assigned), its vSwitch, and the password to hash once the id is
/// known.
struct Plan<'a> {
    inst: Instance,
    vswitch: Option<VSwitch>,
    private_ip: Option<String>,
    password: Option<&'a str>,
}

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

/// Validates a creation request.
fn template<'a>(ctx: &Ctx<'_>, params: &'a Params) -> Result<Plan<'a>, ApiError> {
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
    let (name, description, _) = check_naming(params)?;
    let vswitch = params.get("VSwitchId").unwrap_or("").to_string();
    let known_vswitch = network::vswitch(ctx.store, &vswitch);
    let region = &ctx.config.region;
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
        None => known_vswitch
            .as_ref()
            .map_or_else(|| zones[0].clone(), |v| v.zone_id(region)),
    };
    let vsw = if vswitch.is_empty() {
        None
    } else {
        Some(network::vswitch_for_creation(
            ctx.store, &vswitch, &zone, region,
        )?)
    };
    let spec = catalog::usable(type_id)?;
    catalog::check_image(spec, image)?;
    let facts = network::image(image);
    let (os_type, _) = crate::emulator::instance::os_of(image);
    let windows = os_type == "windows";
    let host = checks::host_name(params, windows)?;
    let password = checks::password(params)?;
    let user_data = checks::user_data(params)?.unwrap_or_default();
    let key = match params.get("KeyPairName") {
        Some(k) if !network::key_pair_exists(k) => {
            return Err(ApiError::new(
                404,
                "InvalidKeyPairName.NotFound",
                "The specified KeyPairName does not exist.",
            ))
        }
        Some(k) if !windows => k.to_string(),
        _ => String::new(),
    };
    let private_ip = params.get("PrivateIpAddress").map(String::from);
    if let Some(ip) = &private_ip {
        let Some(v) = &vsw else {
            return Err(ApiError::new(
                400,
                "InvalidParameter",
                "PrivateIpAddress needs VSwitchId.",
            ));
        };
        network::check_private_ip(ctx.store, v, ip, None)?;
    }
    let tags = params.pairs("Tag", "Key", "Value");
    if tags.len() > 20 {
        return Err(too_many_tags());
    }
    for (k, v) in &tags {
        check_key(k)?;
        check_value(v)?;
    }
    let category = one_of(
        params,
        "SystemDisk.Category",
        DISK_CATEGORIES,
        DEFAULT_DISK_CATEGORY,
        "InvalidSystemDiskCategory.ValueNotSupported",
    )?;
    let image_size = facts.as_ref().map_or(20, |f| f.size);
    let disk_size = match params.number::<i64>("SystemDisk.Size")? {
        None => image_size.max(40),
        Some(n) if !(20..=2048).contains(&n) => {
            return Err(ApiError::invalid_code(
                "InvalidSystemDiskSize.ValueNotSupported",
                "SystemDisk.Size",
            ))
        }
        Some(n) if n < image_size => {
            return Err(ApiError::new(
                400,
                "InvalidSystemDiskSize.LessThanImageSize",
                "The specified system disk size is smaller than the image size.",
            ))
        }
        Some(n) => n,
    };
    let protection = params.boolean("DeletionProtection")?.unwrap_or(false);
    if protection && charge == "PrePaid" {
        return Err(ApiError::charge_type_violation());
    }
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
    let vpc_id = vsw.as_ref().map(|v| v.vpc_id.clone()).unwrap_or_default();
    let known: Vec<String> = groups
        .iter()
        .filter(|g| network::group(ctx.store, g).is_some())
        .cloned()
        .collect();
    if groups.len() > 5 {
        network::check_groups(ctx.store, &groups, &vpc_id)?;
    }
    network::check_groups(ctx.store, &known, &vpc_id)?;
    let inst = Instance {
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
        vpc_id,
        vswitch_id: vswitch,
        private_ips: vec![],
        inner_ips: vec![],
        public_ips: vec![],
        security_group_ids: groups,
        tags,
        creation_time: minute_time(ctx.now),
        start_time: String::new(),
        stopped_mode: "KeepCharging".into(),
        deletion_protection: protection,
        spot_strategy: spot,
        serial_number: String::new(),
        flags: Flags::default(),
        seq: 0,
        pending: None,
        last_modified: None,
        key_pair_name: key,
        user_data,
        password_hash: String::new(),
        system_disk: SystemDisk {
            id: String::new(),
            size: disk_size,
            category,
        },
        guest: Guest::default(),
        started_once: false,
        vpc_changed: false,
        subscription,
    };
    Ok(Plan {
        inst,
        vswitch: vsw,
        private_ip,
        password,
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

/// Records the plan's implicit vSwitch and groups (see `network`).
fn adopt(ctx: &mut Ctx<'_>, plan: &Plan<'_>) {
    if let Some(v) = &plan.vswitch {
        if network::vswitch(ctx.store, &v.id).is_none() {
            ctx.store.implicit_vswitches.insert(v.id.clone(), v.clone());
        }
    }
    network::adopt_groups(ctx.store, &plan.inst.security_group_ids, &plan.inst.vpc_id);
}

/// Turns the plan into a stored instance settling into `settle`.
fn materialize(ctx: &mut Ctx<'_>, plan: &Plan<'_>, public_ip: bool, settle: Status) -> String {
    let mut inst = plan.inst.clone();
    inst.id = ctx.store.new_instance_id();
    inst.serial_number = uuid::Uuid::new_v4().to_string();
    inst.system_disk.id = new_disk_id();
    if let Some(p) = plan.password {
        inst.password_hash = password_hash(&inst.id, p);
    }
    if inst.name.is_empty() {
        inst.name = inst.id.clone();
    }
    if inst.host_name.is_empty() {
        inst.host_name = inst.id.clone();
    }
    inst.restart();
    if inst.is_vpc() {
        let builtin = plan
            .vswitch
            .as_ref()
            .filter(|v| !ctx.store.implicit_vswitches.contains_key(&v.id));
        let ip = match (&plan.private_ip, builtin) {
            (Some(ip), _) => ip.clone(),
            (None, Some(v)) => {
                network::free_ip(ctx.store, v, None).unwrap_or_else(|| ctx.store.alloc_private_ip())
            }
            (None, None) => ctx.store.alloc_private_ip(),
        };
        inst.private_ips.push(ip);
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
    let mut plan = template(ctx, params)?;
    if amount > 1 && plan.private_ip.is_some() {
        return Err(ApiError::new(
            400,
            "InvalidParameter",
            "PrivateIpAddress can be given for one instance only (Amount=1).",
        ));
    }
    dry_run(params)?;
    adopt(ctx, &plan);
    let name = plan.inst.name.clone();
    let mut ids = Vec::new();
    for n in 1..=amount {
        if unique_suffix && amount > 1 && !name.is_empty() {
            plan.inst.name = format!("{name}{n:03}");
        }
        ids.push(materialize(ctx, &plan, true, Status::Running));
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
    let plan = template(ctx, params)?;
    dry_run(params)?;
    adopt(ctx, &plan);
    let id = materialize(ctx, &plan, false, Status::Stopped);
    Ok(Answer::new(
        json!({"InstanceId": id, "OrderId": order_id(), "TradePrice": 0.0}),
        Some(id),
    ))
}
