//! The one table of `ecs_instance`'s attributes: for each, its Terraform
//! type and mode, its description, how Read gets it from the API
//! ([`ecs::Instance`]), what RunInstances sends for it, and how a change is
//! made: in place (a [`planner::Attr`]: the planner's table says which call
//! and which stop class), by replacing the instance, or never (computed).
//!
//! Everything that used to name attributes one by one reads this table: the
//! schema ([`super::schema`]), Read and import ([`super::state`]), the
//! planner's inputs ([`observed_attrs`], [`desired_attrs`]), RunInstances
//! ([`run_request`]), the replace decision at plan, and the docs' table of
//! in-place changes ([`changes_markdown`]). A new attribute is a row here
//! (plus, for an in-place one, a row in `planner::table`).

use super::marker;
use super::place_check::PlanFacts;
use crate::ecs::{self, RunInstancesRequest};
use crate::planner::{self, Attr, Settings, Val};
use crate::protocol::{self as proto, Type, Value};
use crate::resources::attrs;
use std::collections::BTreeMap;

/// How an attribute is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Optional; when unset, the provider fills it in and keeps it.
    OptionalComputed,
    /// Set by the provider only.
    Computed,
    /// Optional, and never sent to or read from the API: how to apply.
    ConfigOnly,
}

/// How a change of the attribute is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// In place, by the planner (its table gives the call and stop class).
    InPlace(Attr),
    /// By replacing the instance.
    Replaces,
    /// Reported by ECS (computed), or config only: nothing to change.
    None,
}

/// How a value converts between Terraform and the planner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conv {
    /// Typed fields of the planner model (type, bandwidth, status).
    Typed,
    Text,
    Secret,
    TextSet,
    TextMap,
    Flag,
    Size,
    /// A number of the state's `period_unit`s (default Month): a
    /// subscription's auto-renewal length.
    Term,
}

/// One attribute.
pub struct Attribute {
    pub name: &'static str,
    pub ty: fn() -> Type,
    pub mode: Mode,
    pub sensitive: bool,
    pub update: Update,
    pub conv: Conv,
    /// What a null planned value asks of the planner: `None` leave as is,
    /// `Some(v)` set `v` (an unset `tags` means no user tags).
    pub null_means: Option<fn() -> Val>,
    pub doc: &'static str,
    /// The value from the API; `None`: carried (config only, and values
    /// the API cannot tell, as a password).
    pub read: Option<fn(&ecs::Instance) -> Value>,
    /// What RunInstances sends for a planned value.
    pub create: Option<fn(&mut RunInstancesRequest, &Value)>,
    /// Read with a call of its own (not DescribeInstances).
    pub extra: Option<Extra>,
    /// For an in-place attribute: when a change replaces the instance
    /// after all, given (prior, proposed) state objects and what the plan
    /// read from the API (as data: the rule itself asks nothing).
    pub replaces_if: Option<fn(&Value, &Value, &PlanFacts) -> bool>,
}

/// The reads besides DescribeInstances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extra {
    /// DescribeUserData.
    UserData,
    /// DescribeDisks of the system disk: its size.
    SystemDiskSize,
    /// DescribeDisks of the system disk: its category.
    SystemDiskCategory,
    /// DescribeInstanceAutoRenewAttribute (subscriptions only, batched
    /// across instances): `auto_renew` and `auto_renew_period`.
    AutoRenew,
}

fn string() -> Type {
    Type::String
}
fn number() -> Type {
    Type::Number
}
fn boolean() -> Type {
    Type::Bool
}
fn string_set() -> Type {
    Type::Set(Box::new(Type::String))
}
fn string_map() -> Type {
    Type::Map(Box::new(Type::String))
}

fn non_empty(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        attrs::str_value(s)
    }
}

fn first(v: &[String]) -> Value {
    v.first().map_or(Value::Null, |s| non_empty(s))
}

fn int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, attrs::int_value)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Set(v) | Value::List(v) => v
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A string set with its elements sorted, so two sets compare by content.
pub fn set_value(items: &[String]) -> Value {
    let mut items: Vec<String> = items.to_vec();
    items.sort();
    items.dedup();
    Value::Set(items.into_iter().map(Value::String).collect())
}

fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

const fn row(
    name: &'static str,
    ty: fn() -> Type,
    mode: Mode,
    update: Update,
    doc: &'static str,
) -> Attribute {
    Attribute {
        name,
        ty,
        mode,
        sensitive: false,
        update,
        conv: Conv::Typed,
        null_means: None,
        doc,
        read: None,
        create: None,
        extra: None,
        replaces_if: None,
    }
}

impl Attribute {
    const fn conv(mut self, conv: Conv) -> Attribute {
        self.conv = conv;
        self
    }
    const fn read(mut self, f: fn(&ecs::Instance) -> Value) -> Attribute {
        self.read = Some(f);
        self
    }
    const fn create(mut self, f: fn(&mut RunInstancesRequest, &Value)) -> Attribute {
        self.create = Some(f);
        self
    }
    const fn null_means(mut self, f: fn() -> Val) -> Attribute {
        self.null_means = Some(f);
        self
    }
    const fn extra(mut self, e: Extra) -> Attribute {
        self.extra = Some(e);
        self
    }
    const fn replaces_if(mut self, f: fn(&Value, &Value, &PlanFacts) -> bool) -> Attribute {
        self.replaces_if = Some(f);
        self
    }
    const fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    /// The row of the planner's table, for an in-place attribute.
    pub fn planner_row(&self) -> Option<&'static planner::Row> {
        match self.update {
            Update::InPlace(a) => Some(a.row()),
            _ => None,
        }
    }

    /// The schema attribute: the description says how a change is made.
    pub fn schema(&self) -> proto::Attribute {
        let ty = (self.ty)();
        let doc = match self.update {
            Update::InPlace(a) => {
                let row = a.row();
                format!(
                    "{} Changes in place: {}, {}.",
                    self.doc,
                    row.call.actions(),
                    row.stop.describe()
                )
            }
            Update::Replaces => format!("{} Changing it replaces the instance.", self.doc),
            Update::None => self.doc.to_string(),
        };
        let a = match self.mode {
            Mode::Required => proto::Attribute::required(self.name, ty),
            Mode::Optional | Mode::ConfigOnly => proto::Attribute::optional(self.name, ty),
            Mode::OptionalComputed => proto::Attribute::optional_computed(self.name, ty),
            Mode::Computed => proto::Attribute::computed(self.name, ty),
        }
        .describe(&doc);
        if self.sensitive {
            a.sensitive()
        } else {
            a
        }
    }
}

fn no_tags() -> Val {
    Val::Map(BTreeMap::new())
}

fn no_key() -> Val {
    Val::None
}

fn blank(v: &Value) -> bool {
    matches!(v, Value::Null) || matches!(v, Value::String(s) if s.is_empty())
}

/// A `vswitch_id` change that ECS cannot make in place: between the classic
/// network and a VPC, or to a vSwitch the plan read ([`PlanFacts`]) in
/// another VPC or zone than the instance (ModifyInstanceVpcAttribute keeps
/// both). A vSwitch not read (unknown, or the read failed) stays in place.
fn vswitch_replaces(prior: &Value, proposed: &Value, facts: &PlanFacts) -> bool {
    let (a, b) = (
        attrs::get(prior, "vswitch_id"),
        attrs::get(proposed, "vswitch_id"),
    );
    if matches!(b, Value::Unknown) {
        return false;
    }
    if blank(a) != blank(b) {
        return true;
    }
    let Some(to) =
        attrs::string(proposed, "vswitch_id").and_then(|id| facts.vswitch_found(&id).cloned())
    else {
        return false;
    };
    // Compared with what the instance is in (prior state); a value state
    // does not hold (an old state) is not a difference.
    let differs = |name: &str, theirs: &str| {
        attrs::string(prior, name).is_some_and(|ours| !ours.is_empty() && ours != theirs)
    };
    differs("vpc_id", &to.vpc_id) || differs("zone_id", &to.zone_id)
}

/// `user_data_replace_on_change = true` and the script changes.
fn user_data_replaces(prior: &Value, proposed: &Value, _: &PlanFacts) -> bool {
    attrs::boolean(proposed, "user_data_replace_on_change") == Some(true)
        && !blank(attrs::get(proposed, "user_data"))
        && attrs::get(prior, "user_data") != attrs::get(proposed, "user_data")
}

use Mode::*;
use Update as U;

/// Every attribute of `ecs_instance`, in schema order.
pub static TABLE: [Attribute; 39] = [
    row("id", string, Computed, U::None, "Instance ID, e.g. i-bp1…")
        .read(|i| attrs::str_value(&i.instance_id)),
    row("instance_type", string, Required, U::InPlace(Attr::InstanceType), "Instance type, e.g. ecs.g6.large.")
        .read(|i| attrs::str_value(super::pending::shown_type(i)))
        .create(|r, v| r.instance_type = text(v).unwrap_or_default()),
    row("image_id", string, Required, U::InPlace(Attr::Image), "Image the instance boots. A change replaces the system disk (ReplaceSystemDisk: everything on it is erased; the instance ID, IP addresses and data disks stay; password and key pair are set again from the configuration).")
        .conv(Conv::Text)
        .read(|i| attrs::str_value(&i.image_id))
        .create(|r, v| r.image_id = text(v).unwrap_or_default()),
    row("zone_id", string, OptionalComputed, U::Replaces, "Zone, e.g. cn-hangzhou-h. Chosen by ECS when unset.")
        .read(|i| non_empty(&i.zone_id))
        .create(|r, v| r.zone_id = text(v)),
    row("vswitch_id", string, Optional, U::InPlace(Attr::VSwitch), "VSwitch: set for a VPC instance, unset for the classic network. Another vSwitch of the same zone and VPC is changed in place; a vSwitch in another VPC or zone (read at plan), or a move between the classic network and a VPC, replaces the instance.")
        .conv(Conv::Text)
        .replaces_if(vswitch_replaces)
        .read(|i| non_empty(&i.vswitch_id))
        .create(|r, v| r.vswitch_id = text(v)),
    row("private_ip", string, OptionalComputed, U::InPlace(Attr::PrivateIp), "Private IP address: inside the vSwitch's CIDR block. Chosen by ECS when unset.")
        .conv(Conv::Text)
        .read(|i| first(&i.private_ips))
        .create(|r, v| r.private_ip_address = text(v)),
    row("security_group_ids", string_set, OptionalComputed, U::InPlace(Attr::SecurityGroups), "Security groups (1–5, of the instance's VPC): the whole list is replaced in one call.")
        .conv(Conv::TextSet)
        .read(|i| set_value(&i.security_group_ids))
        .create(|r, v| r.security_group_ids = texts(v)),
    row("instance_name", string, OptionalComputed, U::InPlace(Attr::InstanceName), "Name (2–128 characters). ECS names the instance after its ID when unset.")
        .conv(Conv::Text)
        .read(|i| attrs::str_value(&i.instance_name))
        .create(|r, v| r.instance_name = text(v)),
    row("description", string, OptionalComputed, U::InPlace(Attr::Description), "Description (2–256 characters).")
        .conv(Conv::Text)
        .read(|i| attrs::str_value(&i.description))
        .create(|r, v| r.description = text(v)),
    row("host_name", string, OptionalComputed, U::InPlace(Attr::HostName), "The guest's host name. Chosen by ECS when unset.")
        .conv(Conv::Text)
        .read(|i| non_empty(&i.host_name))
        .create(|r, v| r.host_name = text(v)),
    row("password", string, Optional, U::InPlace(Attr::Password), "The instance's login password (8–30 characters, three of: upper case, lower case, digits, special characters). ECS cannot report it: state keeps what was configured, and an imported instance's is null.")
        .conv(Conv::Secret)
        .sensitive()
        .create(|r, v| r.password = text(v).map(ecs::Secret::new)),
    row("key_name", string, Optional, U::InPlace(Attr::KeyPair), "SSH key pair (Linux images only). Unset: none (a key pair attached is detached).")
        .conv(Conv::Text)
        .null_means(no_key)
        .read(|i| non_empty(&i.key_pair_name))
        .create(|r, v| r.key_pair_name = text(v)),
    row("user_data", string, OptionalComputed, U::InPlace(Attr::UserData), "User data: a script or cloud-init configuration, as plain text (the provider encodes it Base64; at most 32 KB). ECS runs it at the first start only: a new value is stored but not run again (set user_data_replace_on_change = true to replace the instance instead).")
        .conv(Conv::Text)
        .extra(Extra::UserData)
        .replaces_if(user_data_replaces)
        .create(|r, v| r.user_data = text(v).map(String::into_bytes)),
    row("user_data_replace_on_change", boolean, ConfigOnly, U::None, "Whether a change of user_data replaces the instance (so the new script runs) instead of storing it in place. Default false."),
    row("tags", string_map, OptionalComputed, U::InPlace(Attr::Tags), "Tags (at most 20; keys up to 128 characters, not starting with \"aliyun\" or \"acs:\"; values up to 128). Only these are managed: tags ECS sets itself and the provider's stop marker (terraform-provider-ecs:stopped-for-update) never show here and are never removed. Unset: no tags of yours.")
        .conv(Conv::TextMap)
        .null_means(no_tags)
        .read(|i| map_value(&marker::user_tags(i)))
        .create(|r, v| {
            if let Value::Map(m) = v {
                r.tags = m
                    .iter()
                    .filter_map(|(k, x)| text(x).or(Some(String::new())).map(|x| (k.clone(), x)))
                    .collect();
            }
        }),
    row("system_disk_category", string, OptionalComputed, U::Replaces, "System disk category: cloud_essd, cloud_ssd, cloud_efficiency, cloud_auto, cloud_essd_entry or cloud. Chosen by ECS when unset.")
        .extra(Extra::SystemDiskCategory)
        .create(|r, v| r.system_disk_category = text(v)),
    row("system_disk_size", number, OptionalComputed, U::InPlace(Attr::SystemDiskSize), "System disk size in GiB. Grows in place (online while the instance runs, except a basic cloud disk, which takes effect at a restart); it cannot shrink. Chosen by ECS when unset (at least the image's size).")
        .conv(Conv::Size)
        .extra(Extra::SystemDiskSize)
        .create(|r, v| r.system_disk_size = attrs_int(v)),
    row("internet_charge_type", string, OptionalComputed, U::Replaces, "PayByTraffic (default) or PayByBandwidth.")
        .read(|i| non_empty(&i.internet_charge_type))
        .create(|r, v| r.internet_charge_type = text(v)),
    row("internet_max_bandwidth_out", number, OptionalComputed, U::InPlace(Attr::BandwidthOut), "Outbound public bandwidth in Mbit/s, 0–100. A rise from 0 on the classic network needs the instance stopped. Set above 0, it also gives a pay-as-you-go instance without a public IP one, as a step of its own.")
        .read(|i| int(i.internet_max_bandwidth_out))
        .create(|r, v| r.internet_max_bandwidth_out = attrs_int(v)),
    row("internet_max_bandwidth_in", number, OptionalComputed, U::InPlace(Attr::BandwidthIn), "Inbound public bandwidth in Mbit/s, 1–200.")
        .read(|i| int(i.internet_max_bandwidth_in))
        .create(|r, v| r.internet_max_bandwidth_in = attrs_int(v)),
    row("instance_charge_type", string, OptionalComputed, U::Replaces, "PostPaid (pay-as-you-go, default) or PrePaid (subscription: its type and bandwidth change in place through orders, see \"Subscription instances\").")
        .read(|i| non_empty(&i.instance_charge_type))
        .create(|r, v| r.instance_charge_type = text(v)),
    row("deletion_protection", boolean, OptionalComputed, U::InPlace(Attr::DeletionProtection), "Whether ECS refuses to release the instance (pay-as-you-go instances only). While it is on, a destroy or replace is refused. Default false.")
        .conv(Conv::Flag)
        .read(|i| Value::Bool(i.deletion_protection))
        .create(|r, v| r.deletion_protection = matches!(v, Value::Bool(true)).then_some(true)),
    row("status", string, OptionalComputed, U::None, "Running or Stopped. Unset: Running at creation, and afterwards whatever the instance is (a resize restores it).")
        .read(|i| attrs::str_value(super::state::settled_status(&i.status))),
    // Kept by the provider (private state), never read from the API.
    row("restart_required", boolean, Computed, U::None, "Whether a change that takes effect only at a restart (password, host_name, key_name) was made and the instance has not been restarted since: an apply ended between the two (Ctrl-C, a timeout, a failed restart). The next plan shows it going to false and restarts the instance once (or stops it, with status = \"Stopped\": the change takes effect at its next start) without making the change again; with allow_stopping_for_update = false that plan is refused. A stopped instance owes no restart."),
    row("allow_stopping_for_update", boolean, ConfigOnly, U::None, "Whether a Running instance may be stopped or restarted for a change that needs it (see the table of in-place changes). Default true. With false, such a plan is refused; set status = \"Stopped\" to stop it yourself."),
    row("stopped_mode", string, ConfigOnly, U::None, "How our stops stop the instance: KeepCharging (default, always sent, whatever the account's default) or StopCharging (economical mode: the public IP is released and a new one assigned at the start, which may fail for lack of stock)."),
    row("force_delete", boolean, ConfigOnly, U::None, "Whether destroying (or replacing) a subscription (PrePaid) instance may first convert it to pay-as-you-go, which ECS requires before releasing it. Default false: such a destroy or replace is refused. The conversion refunds the rest of the subscription and counts against the account's monthly refund quota."),
    row("period", number, ConfigOnly, U::None, "Subscription length at creation, in period_unit: Week 1–4, Month 1–9, 12, 24, 36, 48 or 60. Required when instance_charge_type = \"PrePaid\", not allowed otherwise. Used only to create the instance (renewals are not managed: a later change does nothing).")
        .create(|r, v| {
            r.terms = attrs_int(v).map(|period| ecs::SubscriptionTerms {
                period,
                period_unit: ecs::PeriodUnit::Month,
                auto_renew: false,
                auto_renew_period: None,
            })
        }),
    // After `period` (it fills the terms that one creates).
    row("period_unit", string, ConfigOnly, U::None, "Unit of period: Week or Month (default Month).")
        .create(|r, v| {
            if let (Some(t), Some(u)) = (r.terms.as_mut(), text(v).and_then(|u| ecs::PeriodUnit::parse(&u))) {
                t.period_unit = u;
            }
        }),
    // After `period` too (they complete its terms).
    row("auto_renew", boolean, OptionalComputed, U::InPlace(Attr::AutoRenew), "Whether ECS renews the subscription automatically before it expires (subscriptions only; default false at creation). Read back with DescribeInstanceAutoRenewAttribute; unset, it keeps what the instance has (null for pay-as-you-go instances).")
        .conv(Conv::Flag)
        .extra(Extra::AutoRenew)
        .create(|r, v| {
            if let Some(t) = r.terms.as_mut() {
                t.auto_renew = matches!(v, Value::Bool(true));
            }
        }),
    row("auto_renew_period", number, OptionalComputed, U::InPlace(Attr::AutoRenewPeriod), "How long each automatic renewal is, in period_unit: Week 1–3, Month 1, 2, 3, 6, 12, 24, 36, 48 or 60. Needs auto_renew = true; null while auto-renewal is off (and when ECS reports a unit that does not convert to period_unit).")
        .conv(Conv::Term)
        .extra(Extra::AutoRenew)
        .create(|r, v| {
            if let Some(t) = r.terms.as_mut() {
                t.auto_renew_period = attrs_int(v).filter(|_| t.auto_renew);
            }
        }),
    row("network_type", string, Computed, U::None, "classic or vpc.")
        .read(|i| non_empty(&i.instance_network_type.to_ascii_lowercase())),
    row("public_ip", string, Computed, U::None, "Public IP address, if any. Changes after a stop in economical mode (StopCharging).")
        .read(|i| first(&i.public_ips)),
    row("os_type", string, Computed, U::None, "linux or windows.")
        .read(|i| non_empty(&i.os_type)),
    row("cpu", number, Computed, U::None, "vCPUs of the instance type.")
        .read(|i| int(i.cpu)),
    row("memory", number, Computed, U::None, "Memory of the instance type, in MiB.")
        .read(|i| int(i.memory_mib)),
    row("creation_time", string, Computed, U::None, "When the instance was created (UTC, minute precision).")
        .read(|i| non_empty(&i.creation_time)),
    row("vpc_id", string, Computed, U::None, "The VPC of a VPC instance.")
        .read(|i| non_empty(&i.vpc_id)),
    row("expired_time", string, Computed, U::None, "When a subscription's paid period ends (UTC, minute precision, from DescribeInstances); null for pay-as-you-go instances. Renewals move it: ECS renews automatically with auto_renew, or in the console.")
        .read(|i| {
            if i.instance_charge_type == "PrePaid" {
                non_empty(&i.expired_time)
            } else {
                Value::Null
            }
        }),
];

fn attrs_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// The row of `name`.
pub fn get(name: &str) -> Option<&'static Attribute> {
    TABLE.iter().find(|a| a.name == name)
}

/// The names of the rows whose `pred` holds.
pub fn names(pred: impl Fn(&Attribute) -> bool) -> Vec<&'static str> {
    TABLE.iter().filter(|a| pred(a)).map(|a| a.name).collect()
}

/// A Terraform value as the planner's; `None` for null (and for values of
/// the wrong shape, which validation refuses).
pub fn to_val(conv: Conv, v: &Value) -> Option<Val> {
    match (conv, v) {
        (_, Value::Unknown) => Some(Val::Unknown),
        (_, Value::Null) | (Conv::Typed, _) => None,
        // "" is unset (a module's blank `vswitch_id` or `zone_id`; ECS takes
        // no empty name, host name or key pair either).
        (Conv::Text, Value::String(s)) if s.is_empty() => None,
        (Conv::Text, Value::String(s)) => Some(Val::Text(s.clone())),
        (Conv::Secret, Value::String(s)) => Some(Val::Secret(planner::Sensitive(s.clone()))),
        (Conv::TextSet, _) => {
            if texts_known(v) {
                Some(Val::Set(texts(v).into_iter().collect()))
            } else {
                Some(Val::Unknown)
            }
        }
        (Conv::TextMap, Value::Map(m)) => {
            if m.values().any(|x| matches!(x, Value::Unknown)) {
                return Some(Val::Unknown);
            }
            Some(Val::Map(
                m.iter()
                    .filter_map(|(k, x)| match x {
                        Value::String(s) => Some((k.clone(), s.clone())),
                        _ => None,
                    })
                    .collect(),
            ))
        }
        (Conv::Flag, Value::Bool(b)) => Some(Val::Flag(*b)),
        (Conv::Size, Value::Number(n)) => n
            .as_i64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Val::Size),
        _ => None,
    }
}

fn texts_known(v: &Value) -> bool {
    match v {
        Value::Set(v) | Value::List(v) => !v.iter().any(|x| matches!(x, Value::Unknown)),
        _ => true,
    }
}

/// The unit of a state's terms: its `period_unit`, Month when unset.
pub fn period_unit(state: &Value) -> ecs::PeriodUnit {
    attrs::string(state, "period_unit")
        .and_then(|u| ecs::PeriodUnit::parse(&u))
        .unwrap_or_default()
}

/// A [`Conv::Term`] value of `state` as the planner's, in the state's
/// `period_unit`.
fn term_val(state: &Value, v: &Value) -> Option<Val> {
    match v {
        Value::Unknown => Some(Val::Unknown),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| u32::try_from(n).ok())
            .map(|n| Val::Term {
                n,
                unit: period_unit(state).as_str().to_string(),
            }),
        _ => None,
    }
}

/// The planner's `Observed::attrs` from a state object (prior or read).
pub fn observed_attrs(state: &Value) -> Settings {
    TABLE
        .iter()
        .filter_map(|a| match a.update {
            Update::InPlace(attr) if a.conv != Conv::Typed => {
                let v = attrs::get(state, a.name);
                let v = if a.conv == Conv::Term {
                    term_val(state, v)
                } else {
                    to_val(a.conv, v)
                };
                let v = v.or_else(|| a.null_means.map(|f| f()))?;
                Some((attr, v))
            }
            _ => None,
        })
        .collect()
}

/// The in-place attributes the API cannot tell (no `read`: a password),
/// as the state object `known` holds them: what a live instance's
/// observed attributes are completed with.
pub fn carried_attrs(known: &Value) -> Settings {
    let carried: Vec<Attr> = TABLE
        .iter()
        .filter(|a| a.read.is_none())
        .filter_map(|a| match a.update {
            Update::InPlace(attr) => Some(attr),
            _ => None,
        })
        .collect();
    observed_attrs(known)
        .into_iter()
        .filter(|(a, _)| carried.contains(a))
        .collect()
}

/// The planner's `Desired::attrs` from a planned state object: every
/// in-place attribute with a value (or whose null means something).
pub fn desired_attrs(planned: &Value) -> Settings {
    observed_attrs(planned)
}

/// The RunInstances request for a planned state.
pub fn run_request(planned: &Value) -> RunInstancesRequest {
    let mut r = RunInstancesRequest::default();
    for a in &TABLE {
        if let Some(create) = a.create {
            create(&mut r, attrs::get(planned, a.name));
        }
    }
    r
}

/// The API-backed attributes of `inst` as state values (config-only and
/// carried attributes are left to the caller).
pub fn read(inst: &ecs::Instance) -> Vec<(&'static str, Value)> {
    TABLE
        .iter()
        .filter_map(|a| a.read.map(|f| (a.name, f(inst))))
        .collect()
}

/// The table of in-place changes as users need it, in Markdown: each
/// attribute, the call that changes it, and what that costs the instance.
/// `templates/resources/instance.md.tmpl` includes it.
pub fn changes_markdown() -> String {
    let mut out = String::from("| attribute | how it changes | instance |\n|---|---|---|\n");
    for a in &TABLE {
        match a.update {
            Update::InPlace(attr) => {
                let row = attr.row();
                out += &format!(
                    "| `{}` | {} | {} |\n",
                    a.name,
                    row.call.actions(),
                    row.stop.describe()
                );
            }
            Update::Replaces => {
                out += &format!("| `{}` | replaces the instance | — |\n", a.name);
            }
            Update::None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_in_place_row_of_the_planner_is_an_attribute_here_by_its_name() {
        for a in &TABLE {
            if let Some(row) = a.planner_row() {
                assert_eq!(row.name, a.name);
            }
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = TABLE.iter().map(|a| a.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), TABLE.len());
    }

    #[test]
    fn tags_read_only_the_users_and_null_means_none() {
        let mut inst = super::super::state::tests::sample_instance();
        inst.tags = vec![
            (marker::KEY.into(), "stopped-at-1".into()),
            ("acs:x".into(), "1".into()),
            ("env".into(), "dev".into()),
        ];
        let read = read(&inst);
        let tags = &read.iter().find(|(n, _)| *n == "tags").unwrap().1;
        assert_eq!(
            tags,
            &Value::Map([("env".to_string(), attrs::str_value("dev"))].into())
        );
        let planned = attrs::object([("tags", Value::Null)]);
        assert_eq!(
            desired_attrs(&planned).get(&Attr::Tags),
            Some(&Val::Map(BTreeMap::new()))
        );
    }
}
