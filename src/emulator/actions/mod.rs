//! The ECS actions, one small module per group, all with one shape: a
//! synchronous function over the locked [`Store`] and the request
//! [`Params`], returning the answer's fields or an [`ApiError`]. No I/O and
//! no clock reads happen here: `now` comes in through [`Ctx`], so the
//! rules are plain functions and the HTTP layer owns everything else.
//!
//! Each mutating action validates everything first, then honours `DryRun`
//! (where the reference has it: not ModifyPrepayInstanceSpec nor
//! ModifyInstanceAutoRenewAttribute, whose `DryRun=true` is ignored as ECS
//! ignores unknown parameters), and only then changes the store; a refused
//! call changes nothing.

mod address;
mod attribute;
mod billing;
mod checks;
mod create;
mod describe;
mod disk;
mod keypair;
mod modify;
mod power;
mod prepay;
mod tags;
mod types;
mod vpc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::config::Config;
use super::error::ApiError;
use super::instance::Instance;
use super::params::Params;
use super::store::Store;

/// What an action sees.
pub struct Ctx<'a> {
    pub store: &'a mut Store,
    pub config: &'a Config,
    pub now: DateTime<Utc>,
}

/// A successful answer: the fields after `RequestId`, and the instance the
/// journal should name.
#[derive(Debug, Default)]
pub struct Answer {
    pub fields: Map<String, Value>,
    pub instance_id: Option<String>,
}

impl Answer {
    pub fn new(fields: Value, instance_id: Option<String>) -> Self {
        let fields = match fields {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        Answer {
            fields,
            instance_id,
        }
    }
}

type Run = fn(&mut Ctx<'_>, &Params) -> Result<Answer, ApiError>;

/// One action of the API.
pub struct Action {
    pub name: &'static str,
    /// Changes state: subject to ClientToken, `--fail-rate`, `--drop-rate`
    /// and persistence.
    pub mutating: bool,
    /// Whether `RegionId` must be given (it must always name our region).
    pub region_required: bool,
    pub run: Run,
}

const ACTIONS: &[Action] = &[
    act("DescribeRegions", false, false, describe::describe_regions),
    act(
        "DescribeInstances",
        false,
        true,
        describe::describe_instances,
    ),
    act(
        "DescribeInstanceStatus",
        false,
        true,
        describe::describe_instance_status,
    ),
    act(
        "DescribeInstanceTypes",
        false,
        false,
        types::describe_instance_types,
    ),
    act(
        "DescribeResourcesModification",
        false,
        true,
        types::describe_resources_modification,
    ),
    act("RunInstances", true, true, create::run_instances),
    act("CreateInstance", true, true, create::create_instance),
    act("StartInstance", true, false, power::start_instance),
    act("StopInstance", true, false, power::stop_instance),
    act("DeleteInstance", true, false, power::delete_instance),
    act(
        "ModifyInstanceAttribute",
        true,
        false,
        attribute::modify_instance_attribute,
    ),
    act(
        "ModifyInstanceSpec",
        true,
        false,
        modify::modify_instance_spec,
    ),
    act(
        "ModifyInstanceNetworkSpec",
        true,
        false,
        modify::modify_instance_network_spec,
    ),
    act(
        "AllocatePublicIpAddress",
        true,
        false,
        address::allocate_public_ip_address,
    ),
    act(
        "ModifyInstanceChargeType",
        true,
        true,
        billing::modify_instance_charge_type,
    ),
    act("RebootInstance", true, false, power::reboot_instance),
    act(
        "DescribeUserData",
        false,
        true,
        attribute::describe_user_data,
    ),
    act(
        "ModifyInstanceVpcAttribute",
        true,
        false,
        vpc::modify_instance_vpc_attribute,
    ),
    act("DescribeVSwitches", false, true, vpc::describe_vswitches),
    act("ReplaceSystemDisk", true, false, disk::replace_system_disk),
    act("ResizeDisk", true, false, disk::resize_disk),
    act("DescribeDisks", false, true, disk::describe_disks),
    act("DescribeImages", false, true, disk::describe_images),
    act("AttachKeyPair", true, true, keypair::attach_key_pair),
    act("DetachKeyPair", true, true, keypair::detach_key_pair),
    act("DescribeKeyPairs", false, true, keypair::describe_key_pairs),
    act(
        "ModifyPrepayInstanceSpec",
        true,
        true,
        prepay::modify_prepay_instance_spec,
    ),
    act(
        "DescribeInstanceAutoRenewAttribute",
        false,
        true,
        prepay::describe_instance_auto_renew_attribute,
    ),
    act(
        "ModifyInstanceAutoRenewAttribute",
        true,
        true,
        prepay::modify_instance_auto_renew_attribute,
    ),
    act("TagResources", true, true, tags::tag_resources),
    act("UntagResources", true, true, tags::untag_resources),
    act("ListTagResources", false, true, tags::list_tag_resources),
];

const fn act(name: &'static str, mutating: bool, region_required: bool, run: Run) -> Action {
    Action {
        name,
        mutating,
        region_required,
        run,
    }
}

/// The action named `name`, if the emulator implements it.
pub fn lookup(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// Names of all implemented actions.
pub fn names() -> impl Iterator<Item = &'static str> {
    ACTIONS.iter().map(|a| a.name)
}

/// `DryRun=true`: every check passed, nothing changes.
fn dry_run(params: &Params) -> Result<(), ApiError> {
    if params.boolean("DryRun")? == Some(true) {
        Err(ApiError::dry_run())
    } else {
        Ok(())
    }
}

/// Account or instance in arrears, or out of balance.
fn check_payment(store: &Store, inst: Option<&Instance>) -> Result<(), ApiError> {
    if store.account.arrearage || inst.is_some_and(|i| i.flags.arrearage) {
        return Err(ApiError::new(
            400,
            "Account.Arrearage",
            "Your account has an outstanding payment.",
        ));
    }
    if store.account.not_enough_balance {
        return Err(ApiError::new(
            403,
            "InvalidAccountStatus.NotEnoughBalance",
            "Your account does not have enough balance.",
        ));
    }
    Ok(())
}

fn check_security_lock(inst: &Instance) -> Result<(), ApiError> {
    if inst.flags.security_lock {
        return Err(ApiError::new(
            403,
            "InstanceLockedForSecurity",
            "The specified instance is locked for security reasons.",
        ));
    }
    Ok(())
}

/// A text parameter whose length must lie in `min..=max` characters.
fn check_len(
    params: &Params,
    key: &str,
    min: usize,
    max: usize,
    code: &str,
) -> Result<Option<String>, ApiError> {
    match params.get(key) {
        None => Ok(None),
        Some(v) if (min..=max).contains(&v.chars().count()) => Ok(Some(v.to_string())),
        Some(_) => Err(ApiError::invalid_code(code, key)),
    }
}

/// The descriptive attributes RunInstances and ModifyInstanceAttribute share,
/// with the same length rules: (InstanceName, Description, HostName).
type Naming = (Option<String>, Option<String>, Option<String>);

fn check_naming(params: &Params) -> Result<Naming, ApiError> {
    Ok((
        check_len(
            params,
            "InstanceName",
            2,
            128,
            "InvalidInstanceName.Malformed",
        )?,
        check_len(
            params,
            "Description",
            2,
            256,
            "InvalidDescription.Malformed",
        )?,
        check_len(params, "HostName", 2, 64, "InvalidHostName.Malformed")?,
    ))
}

/// `{name: [items]}`, the shape ECS wraps every list in. Values are moved,
/// never copied: `json!` would serialize an embedded `Value` again, which
/// for a page of 100 instances costs more than building it.
fn wrap(name: &str, items: Vec<Value>) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(name.to_string(), Value::Array(items));
    Value::Object(m)
}

/// Adds `key: value` to an answer object by moving `value`.
fn with(mut fields: Value, key: &str, value: Value) -> Value {
    if let Value::Object(m) = &mut fields {
        m.insert(key.to_string(), value);
    }
    fields
}

/// A random order number, as billing would return.
fn order_id() -> String {
    super::subscription::new_order_id()
}
