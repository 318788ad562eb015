//! The `ecs_instance_spec` schema, and the translation between its objects
//! and `ecs_instance`'s, which is all the adapter needs to run the
//! `ecs_instance` engine on them.
//!
//! Three kinds of attributes, all with `ecs_instance`'s names and meaning:
//! - **Managed** ([`MANAGED`]): what this resource changes, optional +
//!   computed so that an unset one keeps what the instance has.
//! - **How** ([`HOW`], plus `timeouts`): config only, as on `ecs_instance`.
//! - **Facts** ([`FACTS`]): read-only; the instance's own, owned by whoever
//!   created it. They ride along in the `ecs_instance`-shaped object so that
//!   the planner knows the network and the billing method (which decide
//!   what needs a stop or cannot change at all), and are never changed:
//!   [`overlay`] takes them from the live instance.
//! - **The record** ([`ADOPTED_FROM`]): read-only and the spec's own; the
//!   managed attributes as the adoption's plan read them, fixed from then
//!   on. Planned known, it makes Terraform refuse a saved adoption plan
//!   applied to an instance that has changed since, and it gives the
//!   adoption's apply the state the plan was made on ([`as_planned_on`]).

use crate::protocol::{Block, NestedBlock, Nesting, Schema, Type, Value};
use crate::resources::attrs;
use crate::resources::instance::schema as instance_schema;
use crate::resources::schema_builder::{computed, optional, optional_computed, required};
use std::collections::BTreeMap;

pub const TYPE_NAME: &str = "ecs_instance_spec";

/// What this resource changes on the instance.
pub const MANAGED: [&str; 4] = [
    "instance_type",
    "internet_max_bandwidth_out",
    "internet_max_bandwidth_in",
    "status",
];

/// The managed attributes as the adoption's plan read them (an object of
/// the [`MANAGED`] values).
pub const ADOPTED_FROM: &str = "adopted_from";

fn adopted_from_type() -> Type {
    let n = || Type::Number;
    Type::Object(BTreeMap::from([
        ("instance_type".to_string(), Type::String),
        ("internet_max_bandwidth_out".to_string(), n()),
        ("internet_max_bandwidth_in".to_string(), n()),
        ("status".to_string(), Type::String),
    ]))
}

/// How to apply (config only), besides `timeouts`.
pub const HOW: [&str; 2] = ["allow_stopping_for_update", "stopped_mode"];

/// Read-only facts of the instance; those a change of [`MANAGED`] may
/// change are [`FOLLOWS_MANAGED`].
pub const FACTS: [&str; 12] = [
    "instance_name",
    "image_id",
    "zone_id",
    "vswitch_id",
    "network_type",
    "instance_charge_type",
    "internet_charge_type",
    "public_ip",
    "private_ip",
    "cpu",
    "memory",
    "creation_time",
];

/// Facts the plan of a managed change decides (unknown when a type change
/// changes cpu and memory, or a start may assign a new public IP).
pub const FOLLOWS_MANAGED: [&str; 3] = ["cpu", "memory", "public_ip"];

pub fn schema() -> Schema {
    let s = Type::String;
    let n = Type::Number;
    Schema {
        version: 0,
        block: Block {
            description: "The type, bandwidth and (optionally) power state of an ECS instance this resource does not own: one created by another configuration, another provider (alicloud_instance) or by hand. Changes are planned and applied exactly as ecs_instance does (the same stop warning, modification cooldown, rolling max_unavailable shared with ecs_instance resources of the same provider, and recovery from interrupted applies). Creating it adopts the instance; destroying it only lets go: no API call, the instance stays as it is.".into(),
            attributes: vec![
                computed("id", s.clone(), "The instance ID (the same as instance_id)."),
                required("instance_id", s.clone(), "The instance to manage, e.g. i-bp1…. Changing it lets go of the old instance and adopts the new one."),
                optional_computed("instance_type", s.clone(), "Instance type, e.g. ecs.g6.large. Unset: whatever the instance has. Changes in place: the instance is stopped, changed and started again (see allow_stopping_for_update)."),
                optional_computed("internet_max_bandwidth_out", n.clone(), "Outbound public bandwidth in Mbit/s, 0–100. Unset: whatever the instance has. Changes in place, without a stop, except a rise from 0 on the classic network."),
                optional_computed("internet_max_bandwidth_in", n.clone(), "Inbound public bandwidth in Mbit/s, 1–200. Unset: whatever the instance has. Changes in place, without a stop."),
                optional_computed("status", s.clone(), "Running or Stopped. Unset: whatever the instance is (a resize restores it)."),
                optional("allow_stopping_for_update", Type::Bool, "Whether a Running instance may be stopped to change its type. Default true. With false, such a plan is refused; set status = \"Stopped\" to stop it yourself."),
                optional("stopped_mode", s.clone(), "How our stops stop the instance: KeepCharging (default) or StopCharging (economical mode: the public IP is released and a new one assigned at the start, which may fail for lack of stock)."),
                computed("instance_name", s.clone(), "The instance's name (its owner's to change)."),
                computed("image_id", s.clone(), "Image the instance runs."),
                computed("zone_id", s.clone(), "Zone."),
                computed("vswitch_id", s.clone(), "VSwitch (null on the classic network)."),
                computed("network_type", s.clone(), "classic or vpc."),
                computed("instance_charge_type", s.clone(), "PostPaid or PrePaid (a subscription instance's type and bandwidth change in place through orders, as for ecs_instance)."),
                computed("internet_charge_type", s.clone(), "PayByTraffic or PayByBandwidth."),
                computed("public_ip", s.clone(), "Public IP address, if any. Changes after a stop in economical mode (StopCharging)."),
                computed("private_ip", s.clone(), "Private IP address."),
                computed("cpu", n.clone(), "vCPUs of the instance type."),
                computed("memory", n, "Memory of the instance type, in MiB."),
                computed("creation_time", s.clone(), "When the instance was created (UTC, minute precision)."),
                computed(ADOPTED_FROM, adopted_from_type(), "The instance's type, bandwidths and power state as the plan that adopted it read them (for an import: as imported); never changed afterwards. Known in the plan, so a saved plan (terraform plan -out) applied after the instance changed is refused by Terraform (\"Provider produced inconsistent final plan\") instead of doing what the plan did not show, such as stopping an instance that was Stopped when planned and runs now."),
            ],
            block_types: vec![NestedBlock {
                type_name: "timeouts".into(),
                nesting: Nesting::Single,
                min_items: 0,
                max_items: 0,
                block: Block {
                    description: "How long each operation may take, as durations such as \"10m\". Destroying takes no time: it makes no call.".into(),
                    attributes: vec![
                        optional("create", s.clone(), "Adoption: applying the differences between the instance and the configuration, including stops, starts and cooldown waits (default 20m)."),
                        optional("update", s, "An update, including stops, starts and cooldown waits (default 20m; keep it above the 5-minute modification cooldown)."),
                    ],
                    block_types: vec![],
                },
            }],
        },
    }
}

/// Which of the spec's timeouts the engine's `update` entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Adopt,
    Update,
}

/// The spec's `timeouts` block as `ecs_instance`'s: the engine runs both
/// adoption and update as an update, under `timeouts.update`.
fn timeouts(spec: &Value, op: Operation) -> Value {
    let block = attrs::get(spec, "timeouts");
    match block {
        Value::Object(_) => {
            let from = match op {
                Operation::Adopt => "create",
                Operation::Update => "update",
            };
            attrs::object([
                ("create", Value::Null),
                ("update", attrs::get(block, from).clone()),
                ("delete", Value::Null),
            ])
        }
        other => other.clone(),
    }
}

/// An `ecs_instance` object with every attribute null.
fn empty_instance() -> Value {
    let schema = instance_schema::schema();
    attrs::object(
        schema
            .block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .chain([("timeouts".to_string(), Value::Null)]),
    )
}

/// A spec object (configuration, plan or state) in `ecs_instance`'s shape;
/// what `ecs_instance` has and the spec has not is null.
pub fn to_instance(spec: &Value, op: Operation) -> Value {
    if !matches!(spec, Value::Object(_)) {
        return spec.clone();
    }
    let mut obj = empty_instance();
    for name in ["id"].iter().chain(&MANAGED).chain(&HOW).chain(&FACTS) {
        attrs::set(&mut obj, name, attrs::get(spec, name).clone());
    }
    attrs::set(&mut obj, "timeouts", timeouts(spec, op));
    obj
}

/// `base` (an `ecs_instance` object read from the live instance) with what
/// the spec asks for: the managed attributes where `spec` gives a value
/// (null: keep the instance's), the facts a managed change decides when
/// `spec` says, and how to apply. Every other fact stays the instance's,
/// so the engine never sees a difference it would act on (a name, say).
pub fn overlay(base: &Value, spec: &Value, op: Operation, with_followers: bool) -> Value {
    let mut obj = base.clone();
    for name in MANAGED {
        let v = attrs::get(spec, name);
        if !matches!(v, Value::Null) {
            attrs::set(&mut obj, name, v.clone());
        }
    }
    if with_followers {
        for name in FOLLOWS_MANAGED {
            attrs::set(&mut obj, name, attrs::get(spec, name).clone());
        }
    }
    for name in HOW {
        attrs::set(&mut obj, name, attrs::get(spec, name).clone());
    }
    attrs::set(&mut obj, "timeouts", timeouts(spec, op));
    obj
}

/// The [`ADOPTED_FROM`] record of `inst`, an `ecs_instance` object read
/// from the live instance.
pub fn adopted_from(inst: &Value) -> Value {
    attrs::object(MANAGED.map(|name| (name, attrs::get(inst, name).clone())))
}

/// `live` (an `ecs_instance` object read from the live instance) with the
/// managed values of `record` (an [`ADOPTED_FROM`] value): the instance as
/// the plan saw it, which is the prior state the engine's apply compares
/// the live instance with, refusing any change the plan did not show. A
/// record that is not known leaves `live` as it is.
pub fn as_planned_on(live: &Value, record: &Value) -> Value {
    let mut obj = live.clone();
    if matches!(record, Value::Object(_)) {
        for name in MANAGED {
            let v = attrs::get(record, name);
            if !matches!(v, Value::Null | Value::Unknown) {
                attrs::set(&mut obj, name, v.clone());
            }
        }
    }
    obj
}

/// An `ecs_instance` object back in the spec's shape; how to apply
/// (config only) and the [`ADOPTED_FROM`] record come from `carried`, the
/// spec object it was made for.
pub fn from_instance(obj: &Value, carried: &Value) -> Value {
    if !matches!(obj, Value::Object(_)) {
        return obj.clone();
    }
    let id = attrs::get(obj, "id").clone();
    let mut spec = attrs::object([("id", id.clone()), ("instance_id", id)]);
    for name in MANAGED.iter().chain(&FACTS) {
        attrs::set(&mut spec, name, attrs::get(obj, name).clone());
    }
    for name in HOW.iter().chain(&["timeouts", ADOPTED_FROM]) {
        attrs::set(&mut spec, name, attrs::get(carried, name).clone());
    }
    if let Some(id) = attrs::string(carried, "instance_id") {
        // The configured spelling (`terraform import` trims it).
        attrs::set(&mut spec, "instance_id", attrs::str_value(id));
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(schema: &Schema) -> Vec<String> {
        schema
            .block
            .attributes
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    #[test]
    fn every_spec_attribute_is_an_ecs_instance_attribute_of_the_same_type() {
        let ours = schema();
        let theirs = instance_schema::schema();
        for a in &ours.block.attributes {
            if a.name == "instance_id" || a.name == ADOPTED_FROM {
                continue;
            }
            let t = theirs
                .block
                .attributes
                .iter()
                .find(|b| b.name == a.name)
                .unwrap_or_else(|| panic!("{} is not an ecs_instance attribute", a.name));
            assert_eq!(a.ty, t.ty, "{}", a.name);
        }
        let listed: Vec<&str> = ["id", "instance_id", ADOPTED_FROM]
            .into_iter()
            .chain(MANAGED)
            .chain(HOW)
            .chain(FACTS)
            .collect();
        let mut all = names(&ours);
        all.sort();
        let mut listed: Vec<String> = listed.into_iter().map(String::from).collect();
        listed.sort();
        assert_eq!(all, listed);
        for name in FACTS {
            let a = ours
                .block
                .attributes
                .iter()
                .find(|a| a.name == name)
                .unwrap();
            assert!(
                a.computed && !a.optional && !a.required,
                "{name} is read-only"
            );
        }
    }

    #[test]
    fn round_trip_keeps_the_spec_and_maps_the_timeouts() {
        let spec = attrs::object([
            ("id", attrs::str_value("i-1")),
            ("instance_id", attrs::str_value("i-1")),
            ("instance_type", attrs::str_value("ecs.g6.large")),
            ("status", Value::Null),
            ("stopped_mode", attrs::str_value("StopCharging")),
            (
                "timeouts",
                attrs::object([
                    ("create", attrs::str_value("30m")),
                    ("update", attrs::str_value("15m")),
                ]),
            ),
        ]);
        let adopt = to_instance(&spec, Operation::Adopt);
        assert_eq!(
            attrs::string(attrs::get(&adopt, "timeouts"), "update").unwrap(),
            "30m"
        );
        let update = to_instance(&spec, Operation::Update);
        assert_eq!(
            attrs::string(attrs::get(&update, "timeouts"), "update").unwrap(),
            "15m"
        );
        assert_eq!(attrs::get(&update, "security_group_ids"), &Value::Null);
        let back = from_instance(&update, &spec);
        for name in [
            "id",
            "instance_id",
            "instance_type",
            "stopped_mode",
            "timeouts",
        ] {
            assert_eq!(attrs::get(&back, name), attrs::get(&spec, name), "{name}");
        }
    }

    #[test]
    fn overlay_keeps_the_instance_facts_and_takes_only_what_the_spec_sets() {
        let base = attrs::object([
            ("id", attrs::str_value("i-1")),
            ("instance_type", attrs::str_value("ecs.g6.large")),
            ("status", attrs::str_value("Running")),
            ("instance_name", attrs::str_value("theirs")),
            ("cpu", attrs::int_value(2)),
        ]);
        let spec = attrs::object([
            ("instance_type", attrs::str_value("ecs.g6.xlarge")),
            ("status", Value::Null),
            ("instance_name", attrs::str_value("stale")),
            ("cpu", Value::Unknown),
        ]);
        let o = overlay(&base, &spec, Operation::Adopt, true);
        assert_eq!(attrs::string(&o, "instance_type").unwrap(), "ecs.g6.xlarge");
        assert_eq!(attrs::string(&o, "status").unwrap(), "Running");
        assert_eq!(attrs::string(&o, "instance_name").unwrap(), "theirs");
        assert_eq!(attrs::get(&o, "cpu"), &Value::Unknown);
        let o = overlay(&base, &spec, Operation::Adopt, false);
        assert_eq!(attrs::int(&o, "cpu"), Some(2));
    }

    #[test]
    fn the_record_is_what_the_plan_read_and_gives_the_apply_the_instance_as_planned() {
        let planned_on = attrs::object([
            ("id", attrs::str_value("i-1")),
            ("instance_type", attrs::str_value("ecs.g6.large")),
            ("status", attrs::str_value("Stopped")),
            ("internet_max_bandwidth_out", attrs::int_value(5)),
            ("internet_max_bandwidth_in", Value::Null),
            ("cpu", attrs::int_value(2)),
        ]);
        let record = adopted_from(&planned_on);
        assert_eq!(attrs::string(&record, "status").unwrap(), "Stopped");
        assert_eq!(
            attrs::get(&record, "cpu"),
            &Value::Null,
            "managed values only"
        );
        // Started since, and its bandwidth raised: the prior state is what the plan read,
        // except what the plan could not know.
        let mut live = planned_on.clone();
        attrs::set(&mut live, "status", attrs::str_value("Running"));
        attrs::set(&mut live, "internet_max_bandwidth_out", attrs::int_value(8));
        attrs::set(&mut live, "internet_max_bandwidth_in", attrs::int_value(10));
        let prior = as_planned_on(&live, &record);
        assert_eq!(attrs::string(&prior, "status").unwrap(), "Stopped");
        assert_eq!(attrs::int(&prior, "internet_max_bandwidth_out"), Some(5));
        assert_eq!(attrs::int(&prior, "internet_max_bandwidth_in"), Some(10));
        for unknown in [Value::Unknown, Value::Null] {
            assert_eq!(as_planned_on(&live, &unknown), live);
        }
        // Carried through the translation, whatever the engine's object says.
        let spec = attrs::object([
            ("instance_id", attrs::str_value("i-1")),
            (ADOPTED_FROM, record.clone()),
        ]);
        let back = from_instance(&to_instance(&spec, Operation::Update), &spec);
        assert_eq!(attrs::get(&back, ADOPTED_FROM), &record);
    }
}
