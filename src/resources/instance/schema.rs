//! The `ecs_instance` schema, and the names and defaults the rest of the
//! resource shares.
//!
//! Three kinds of attributes, and why each is declared the way it is:
//! - **From the API** (`instance_type`, bandwidth, `status`, …): Read always
//!   reports what ECS says, so drift shows up in plans. Those the API fills
//!   in when the configuration is silent (`zone_id`, `instance_name`, the
//!   bandwidth, …) are optional + computed, so an unset value keeps what
//!   the instance has instead of planning a change every time.
//! - **Computed only** (`id`, `cpu`, `public_ip`, …): planned unknown only
//!   when they may change, otherwise kept, so a second plan is empty.
//! - **Config only** (`allow_stopping_for_update`, `stopped_mode`,
//!   `timeouts`): how to apply, not what exists. Optional without
//!   `computed`: null means the documented default, so removing the line
//!   from the configuration really returns to the default.

use crate::protocol::{Block, NestedBlock, Nesting, Schema, Type};
use crate::resources::schema_builder::{computed, optional, optional_computed, required};
use std::time::Duration;

pub const TYPE_NAME: &str = "ecs_instance";

/// Attributes whose change replaces the instance: no API changes them in
/// place (the client offers none for security groups or charge types).
pub const REPLACE_ON_CHANGE: [&str; 6] = [
    "image_id",
    "zone_id",
    "vswitch_id",
    "instance_charge_type",
    "internet_charge_type",
    "security_group_ids",
];

/// Placement attributes where `""` means unset (module variables often
/// default to `""`): nothing is sent to the API for them, a replace is
/// never planned between `""` and null, and state keeps the `""` the
/// configuration holds (Terraform requires the planned and applied value to
/// equal a configured one) instead of what ECS chose.
pub const BLANK_IS_UNSET: [&str; 2] = ["zone_id", "vswitch_id"];

/// Set only by the provider.
pub const COMPUTED_ONLY: [&str; 8] = [
    "id",
    "network_type",
    "public_ip",
    "private_ip",
    "cpu",
    "memory",
    "creation_time",
    "deletion_protection",
];

/// Carried from configuration to state; the API does not know them.
pub const CONFIG_ONLY: [&str; 6] = [
    "allow_stopping_for_update",
    "stopped_mode",
    "force_delete",
    "timeouts",
    "period",
    "period_unit",
];

/// Subscription lengths ECS sells at creation (`Period`), by `PeriodUnit`.
pub const PERIODS: [(&str, &[i64]); 2] = [
    ("Week", &[1, 2, 3, 4]),
    ("Month", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60]),
];
pub const DEFAULT_PERIOD_UNIT: &str = "Month";

pub const DEFAULT_INTERNET_CHARGE_TYPE: &str = "PayByTraffic";
pub const DEFAULT_INSTANCE_CHARGE_TYPE: &str = "PostPaid";
pub const DEFAULT_STATUS: &str = "Running";
pub const DEFAULT_STOPPED_MODE: &str = "KeepCharging";

pub const STATUSES: [&str; 2] = ["Running", "Stopped"];
pub const STOPPED_MODES: [&str; 2] = ["KeepCharging", "StopCharging"];
pub const INSTANCE_CHARGE_TYPES: [&str; 2] = ["PostPaid", "PrePaid"];
pub const INTERNET_CHARGE_TYPES: [&str; 2] = ["PayByTraffic", "PayByBandwidth"];

/// Default operation timeouts. Update must outlast the 5-minute rule: a
/// type plus bandwidth change waits one cooldown between its two calls.
pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
pub const DEFAULT_UPDATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

pub fn schema() -> Schema {
    let s = Type::String;
    let n = Type::Number;
    Schema {
        version: 0,
        block: Block {
            description: "An Alibaba Cloud ECS instance. instance_type and the bandwidth change in place, one API modification at a time, stopping the instance only for a type change (and saying so in the plan).".into(),
            attributes: vec![
                computed("id", s.clone(), "Instance ID, e.g. i-bp1…"),
                required("instance_type", s.clone(), "Instance type, e.g. ecs.g6.large. Changes in place: the instance is stopped, changed and started again (see allow_stopping_for_update)."),
                required("image_id", s.clone(), "Image the instance boots. Changing it replaces the instance."),
                optional_computed("zone_id", s.clone(), "Zone, e.g. cn-hangzhou-h. Chosen by ECS when unset. Changing it replaces the instance."),
                optional("vswitch_id", s.clone(), "VSwitch: set for a VPC instance, unset for the classic network. Changing it replaces the instance."),
                optional_computed("security_group_ids", Type::Set(Box::new(s.clone())), "Security groups. Changing them replaces the instance."),
                optional_computed("instance_name", s.clone(), "Name (2–128 characters). ECS names the instance after its ID when unset. Changes in place."),
                optional_computed("description", s.clone(), "Description (2–256 characters). Changes in place."),
                optional_computed("internet_charge_type", s.clone(), "PayByTraffic (default) or PayByBandwidth. Changing it replaces the instance."),
                optional_computed("internet_max_bandwidth_out", n.clone(), "Outbound public bandwidth in Mbit/s, 0–100. Changes in place, without a stop, except a rise from 0 on the classic network (ECS needs the instance stopped). Set above 0, it also gives a pay-as-you-go instance without a public IP one, as a step of its own."),
                optional_computed("internet_max_bandwidth_in", n.clone(), "Inbound public bandwidth in Mbit/s, 1–200. Changes in place, without a stop."),
                optional_computed("instance_charge_type", s.clone(), "PostPaid (pay-as-you-go, default) or PrePaid (subscription; its type and bandwidth cannot change in place). Changing it replaces the instance."),
                optional_computed("status", s.clone(), "Running or Stopped. Unset: Running at creation, and afterwards whatever the instance is (a resize restores it)."),
                optional("allow_stopping_for_update", Type::Bool, "Whether a Running instance may be stopped to change its type. Default true. With false, such a plan is refused; set status = \"Stopped\" to stop it yourself."),
                optional("stopped_mode", s.clone(), "How our stops stop the instance: KeepCharging (default, always sent, whatever the account's default) or StopCharging (economical mode: the public IP is released and a new one assigned at the start, which may fail for lack of stock)."),
                optional("period", n.clone(), "Subscription length at creation, in period_unit: Week 1–4, Month 1–9, 12, 24, 36, 48 or 60. Required when instance_charge_type = \"PrePaid\", not allowed otherwise. Used only to create the instance (renewals are not managed: a later change does nothing)."),
                optional("period_unit", s.clone(), "Unit of period: Week or Month (default Month)."),
                optional("force_delete", Type::Bool, "Whether destroying (or replacing) a subscription (PrePaid) instance may first convert it to pay-as-you-go, which ECS requires before releasing it. Default false: such a destroy or replace is refused. The conversion refunds the rest of the subscription and counts against the account's monthly refund quota."),
                computed("network_type", s.clone(), "classic or vpc."),
                computed("public_ip", s.clone(), "Public IP address, if any. Changes after a stop in economical mode (StopCharging)."),
                computed("private_ip", s.clone(), "Private IP address."),
                computed("cpu", n.clone(), "vCPUs of the instance type."),
                computed("memory", n, "Memory of the instance type, in MiB."),
                computed("creation_time", s.clone(), "When the instance was created (UTC, minute precision)."),
                computed("deletion_protection", Type::Bool, "Whether deletion protection is on (set in the console or with ModifyInstanceAttribute). While it is, ECS refuses to release the instance, so a destroy or replace is refused."),
            ],
            block_types: vec![NestedBlock {
                type_name: "timeouts".into(),
                nesting: Nesting::Single,
                min_items: 0,
                max_items: 0,
                block: Block {
                    description: "How long each operation may take, as durations such as \"10m\".".into(),
                    attributes: vec![
                        optional("create", s.clone(), "Creation, including the wait until Running (default 10m)."),
                        optional("update", s.clone(), "An update, including stops, starts and cooldown waits (default 20m; keep it above the 5-minute modification cooldown)."),
                        optional("delete", s, "Deletion, until the instance is gone (default 20m)."),
                    ],
                    block_types: vec![],
                },
            }],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_attribute_exists_in_the_schema() {
        let schema = schema();
        let names: Vec<&str> = schema
            .block
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .chain(
                schema
                    .block
                    .block_types
                    .iter()
                    .map(|b| b.type_name.as_str()),
            )
            .collect();
        for name in REPLACE_ON_CHANGE
            .iter()
            .chain(&COMPUTED_ONLY)
            .chain(&CONFIG_ONLY)
        {
            assert!(names.contains(name), "{name} missing from the schema");
        }
    }

    #[test]
    fn computed_only_attributes_cannot_be_configured() {
        for a in schema().block.attributes {
            let configurable = a.required || a.optional;
            assert_eq!(
                !configurable,
                COMPUTED_ONLY.contains(&a.name.as_str()),
                "{}",
                a.name
            );
        }
    }
}
