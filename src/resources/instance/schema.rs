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

use super::attributes::{self, Mode, Update};
use crate::protocol::{Block, NestedBlock, Nesting, Schema, Type};
use crate::resources::schema_builder::optional;
use std::time::Duration;

pub const TYPE_NAME: &str = "ecs_instance";

/// Attributes whose change replaces the instance: no API changes them in
/// place ([`attributes::Update::Replaces`]).
pub fn replace_on_change() -> Vec<&'static str> {
    attributes::names(|a| a.update == Update::Replaces)
}

/// Placement attributes where `""` means unset (module variables often
/// default to `""`): nothing is sent to the API for them, a replace is
/// never planned between `""` and null, and state keeps the `""` the
/// configuration holds (Terraform requires the planned and applied value to
/// equal a configured one) instead of what ECS chose.
pub const BLANK_IS_UNSET: [&str; 2] = ["zone_id", "vswitch_id"];

/// Set only by the provider.
pub fn computed_only() -> Vec<&'static str> {
    attributes::names(|a| a.mode == Mode::Computed)
}

/// Carried from configuration to state; the API does not know them
/// (`timeouts` is a block).
pub fn config_only() -> Vec<&'static str> {
    let mut v = attributes::names(|a| a.mode == Mode::ConfigOnly);
    v.push("timeouts");
    v
}

/// Subscription lengths ECS sells at creation (`Period`), by `PeriodUnit`.
pub const PERIODS: [(&str, &[i64]); 2] = [
    ("Week", &[1, 2, 3, 4]),
    ("Month", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60]),
];
pub const DEFAULT_PERIOD_UNIT: &str = "Month";
/// `auto_renew_period` per `period_unit`: RunInstances' `AutoRenewPeriod`
/// values (ModifyInstanceAutoRenewAttribute takes them too, months from 24
/// as years).
pub const RENEW_PERIODS: [(&str, &[i64]); 2] = [
    ("Week", &[1, 2, 3]),
    ("Month", &[1, 2, 3, 6, 12, 24, 36, 48, 60]),
];

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
    Schema {
        version: 0,
        block: Block {
            description: "An Alibaba Cloud ECS instance. Every change ECS can make in place is made in place, and one apply stops or restarts the instance at most once, saying so in the plan (see the table of in-place changes).".into(),
            attributes: attributes::TABLE.iter().map(|a| a.schema()).collect(),
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
        for name in replace_on_change()
            .iter()
            .chain(&computed_only())
            .chain(&config_only())
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
                computed_only().contains(&a.name.as_str()),
                "{}",
                a.name
            );
        }
    }
}
