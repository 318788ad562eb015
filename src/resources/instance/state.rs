//! Between the API's view of an instance and the resource's state object,
//! and from either to the planner's [`Observed`] / [`Desired`].
//!
//! Read builds every API-backed attribute from [`ecs::Instance`], never
//! from configuration; only the config-only attributes are carried over from
//! the object Terraform already holds. Transitional power states are reported
//! as the state they are heading to (Starting → Running, Stopping →
//! Stopped): `status` only ever holds Running or Stopped, so a plan never
//! proposes a "change" from Starting to Running.

use super::attributes;
use super::schema::BLANK_IS_UNSET;
use crate::ecs;
use crate::planner::{Bandwidth, ChargeType, Desired, NetworkType, Observed, PowerState};
use crate::protocol::Value;
use crate::resources::attrs;
use std::time::Duration;

/// The stable power state, or `None` while the instance is changing state.
pub fn stable_status(api_status: &str) -> Option<PowerState> {
    match api_status {
        "Running" => Some(PowerState::Running),
        "Stopped" => Some(PowerState::Stopped),
        _ => None,
    }
}

/// The `status` attribute for an API status: the stable state it is or is
/// heading to; anything unexpected is kept verbatim.
pub fn settled_status(api_status: &str) -> String {
    match api_status {
        "Pending" | "Starting" | "Running" => "Running".into(),
        "Stopping" | "Stopped" => "Stopped".into(),
        other => other.into(),
    }
}

pub fn power_name(p: PowerState) -> &'static str {
    match p {
        PowerState::Running => "Running",
        PowerState::Stopped => "Stopped",
    }
}

/// A string set with its elements sorted, so two sets compare by content.
pub fn string_set(items: &[String]) -> Value {
    attributes::set_value(items)
}

/// The state object for `inst`: every attribute the table reads from the
/// API ([`attributes::read`]); the others (config only, and what the API
/// cannot tell) come from `carried` (the prior state at Read, the planned
/// state at apply).
pub fn from_instance(inst: &ecs::Instance, carried: &Value) -> Value {
    let mut obj = attrs::object(attributes::read(inst));
    for name in ["internet_max_bandwidth_out", "internet_max_bandwidth_in"] {
        let v = reported(attrs::int(&obj, name), carried, name);
        attrs::set(&mut obj, name, v);
    }
    for a in attributes::TABLE.iter().filter(|a| a.read.is_none()) {
        attrs::set(&mut obj, a.name, attrs::get(carried, a.name).clone());
    }
    attrs::set(
        &mut obj,
        "timeouts",
        attrs::get(carried, "timeouts").clone(),
    );
    for name in BLANK_IS_UNSET {
        if attrs::string(carried, name).is_some_and(|v| v.is_empty()) {
            attrs::set(&mut obj, name, attrs::str_value(""));
        }
    }
    obj
}

/// `restart_required` as the private state says (a restart owed by an
/// apply that ended before it): the attribute the plan shows it by. A
/// state without the value (written before it existed) gets one only when
/// a restart is owed, so that upgrading changes nothing in a refresh.
pub fn set_restart_required(state: &mut Value, private: &[u8]) {
    let owed = super::private::Private::decode(private).restart_owed;
    let held = !matches!(attrs::get(state, "restart_required"), Value::Null);
    if !matches!(state, Value::Null) && (owed || held) {
        attrs::set(state, "restart_required", Value::Bool(owed));
    }
}

/// A string the configuration or state gives for `name`, with `""` read as
/// not given (see [`BLANK_IS_UNSET`]).
pub fn given(obj: &Value, name: &str) -> Option<String> {
    attrs::string(obj, name).filter(|v| !v.is_empty())
}

/// A bandwidth for state. When the API does not say (it answered `-1`:
/// "not set, platform default"), the value already known for the instance
/// stays (the one we set, or the one the plan asked for); with none known,
/// null. Never a number the API did not give: `-1` read as a quantity is
/// what made every plan of an imported VPC instance fail.
fn reported(v: Option<i64>, carried: &Value, name: &str) -> Value {
    match (v, attrs::int(carried, name)) {
        (Some(n), _) => attrs::int_value(n),
        // A -1 an older version wrote to state is no value either.
        (None, Some(known)) if known >= 0 => attrs::int_value(known),
        (None, _) => Value::Null,
    }
}

/// A bandwidth for the planner: one the API does not report (or state
/// leaves null) reads as 0, which no plan mistakes for a value to keep
/// (the inbound range starts at 1; 0 outbound means none).
fn mbit(v: Option<i64>) -> u32 {
    v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0)
}

fn network(s: &str) -> NetworkType {
    if s.eq_ignore_ascii_case("vpc") {
        NetworkType::Vpc
    } else {
        NetworkType::Classic
    }
}

fn charge(s: &str) -> ChargeType {
    if s == "PrePaid" {
        ChargeType::PrePaid
    } else {
        ChargeType::PostPaid
    }
}

/// Whether the instance is (or is becoming) Stopped in economical mode
/// (`StoppedMode` = `StopCharging`): its public IP is released, and its next
/// start assigns a new one (and may fail for lack of stock).
pub fn stopped_charging(inst: &ecs::Instance) -> bool {
    matches!(inst.status.as_str(), "Stopped" | "Stopping") && inst.stopped_mode == "StopCharging"
}

/// Has a public IP, or gets one back at its next start (economical stop
/// with outbound bandwidth).
fn has_public_ip(ips: bool, stopped_charging: bool, out: u32) -> bool {
    ips || (stopped_charging && out > 0)
}

/// `inst` with each bandwidth the API did not report taken from `known`
/// (a state object), so an apply does not set again what it set before
/// only because ECS answers `-1` for it.
pub fn fill_unreported(inst: &ecs::Instance, known: &Value) -> ecs::Instance {
    let mut inst = inst.clone();
    for (slot, name) in [
        (
            &mut inst.internet_max_bandwidth_out,
            "internet_max_bandwidth_out",
        ),
        (
            &mut inst.internet_max_bandwidth_in,
            "internet_max_bandwidth_in",
        ),
    ] {
        if slot.is_none() {
            *slot = attrs::int(known, name).filter(|n| *n >= 0);
        }
    }
    inst
}

/// The planner's view of a live instance; `None` while it is changing
/// state (the caller waits first).
pub fn observed(inst: &ecs::Instance, last_modified: Option<Duration>) -> Option<Observed> {
    let out = mbit(inst.internet_max_bandwidth_out);
    Some(Observed {
        status: stable_status(&inst.status)?,
        instance_type: super::pending::effective_type(inst),
        bandwidth: Bandwidth {
            out: mbit(inst.internet_max_bandwidth_out),
            inbound: mbit(inst.internet_max_bandwidth_in),
        },
        network: network(&inst.instance_network_type),
        charge: charge(&inst.instance_charge_type),
        public_ip: has_public_ip(!inst.public_ips.is_empty(), stopped_charging(inst), out),
        last_modified,
        attrs: attributes::observed_attrs(&attrs::object(attributes::read(inst))),
        restart_owed: false,
        online_resize: true,
        subscription: crate::planner::Subscription {
            pending_type: super::pending::pending_type(inst),
            ..Default::default()
        },
    })
}

/// The planner's view of the instance as a (refreshed) state object holds it;
/// `stopped_charging` as Read last saw it ([`stopped_charging`]).
pub fn observed_from_state(
    state: &Value,
    last_modified: Option<Duration>,
    stopped_charging: bool,
) -> Option<Observed> {
    let out = mbit(attrs::int(state, "internet_max_bandwidth_out"));
    let ips = !matches!(attrs::get(state, "public_ip"), Value::Null);
    Some(Observed {
        status: stable_status(&attrs::string(state, "status")?)?,
        instance_type: attrs::string(state, "instance_type")?,
        bandwidth: Bandwidth {
            out: mbit(attrs::int(state, "internet_max_bandwidth_out")),
            inbound: mbit(attrs::int(state, "internet_max_bandwidth_in")),
        },
        network: network(&attrs::string(state, "network_type").unwrap_or_default()),
        charge: charge(&attrs::string(state, "instance_charge_type").unwrap_or_default()),
        public_ip: has_public_ip(ips, stopped_charging, out),
        last_modified,
        attrs: attributes::observed_attrs(state),
        restart_owed: false,
        online_resize: true,
        subscription: Default::default(),
    })
}

/// A bandwidth value for the planner. A negative one can only come from a
/// state written before `-1` was understood (validation refuses it in
/// configuration): like the API's `-1` it means "no value", so nothing is
/// asked for.
fn desired_mbit(obj: &Value, name: &str) -> Option<u32> {
    attrs::int(obj, name).and_then(|v| u32::try_from(v).ok())
}

/// What a planned state asks for; unknown values are `None` ("leave").
/// `public_ip` comes from the configuration ([`wants_public_ip`]): set it
/// with [`desired_for`].
pub fn desired(planned: &Value) -> Desired {
    Desired {
        status: attrs::string(planned, "status").and_then(|s| stable_status(&s)),
        instance_type: attrs::string(planned, "instance_type"),
        bandwidth_out: desired_mbit(planned, "internet_max_bandwidth_out"),
        bandwidth_in: desired_mbit(planned, "internet_max_bandwidth_in"),
        public_ip: false,
        attrs: attributes::desired_attrs(planned),
        type_direction: None,
    }
}

/// Whether the configuration sets `internet_max_bandwidth_out` (above 0):
/// then the instance is meant to be reachable, and one without a public IP
/// gets one. Only the configuration tells: a planned value may just be the
/// prior one kept for an unset attribute.
pub fn wants_public_ip(config: &Value) -> bool {
    attrs::int(config, "internet_max_bandwidth_out").is_some_and(|v| v > 0)
}

/// [`desired`] with `public_ip` from the configuration.
pub fn desired_for(planned: &Value, config: &Value) -> Desired {
    Desired {
        public_ip: wants_public_ip(config),
        ..desired(planned)
    }
}

/// Whether `inst` already is what `desired` asks for.
pub fn satisfies(inst: &ecs::Instance, desired: &Desired) -> bool {
    let status_ok = desired
        .status
        .is_none_or(|s| stable_status(&inst.status) == Some(s));
    let type_ok = desired
        .instance_type
        .as_ref()
        .is_none_or(|t| *t == super::pending::shown_type(inst));
    // A bandwidth the API does not report cannot be compared: it counts as
    // reached (the call that set it succeeded).
    let out_ok = desired.bandwidth_out.is_none_or(|v| {
        inst.internet_max_bandwidth_out
            .is_none_or(|n| n == i64::from(v))
    });
    let in_ok = desired.bandwidth_in.is_none_or(|v| {
        inst.internet_max_bandwidth_in
            .is_none_or(|n| n == i64::from(v))
    });
    status_ok && type_ok && out_ok && in_ok
}

/// A state object with every unknown replaced by null: the last resort when
/// an apply fails and the instance cannot be read back (Terraform accepts
/// only wholly known results).
pub fn known_or_null(obj: &Value) -> Value {
    match obj {
        Value::Unknown => Value::Null,
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), known_or_null(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample_instance() -> ecs::Instance {
        ecs::Instance {
            instance_id: "i-1".into(),
            instance_name: "web".into(),
            description: String::new(),
            instance_type: "ecs.g6.large".into(),
            image_id: "ubuntu_22_04_x64".into(),
            zone_id: "cn-hangzhou-h".into(),
            region_id: "cn-hangzhou".into(),
            status: "Running".into(),
            cpu: Some(2),
            memory_mib: Some(8192),
            internet_charge_type: "PayByTraffic".into(),
            instance_charge_type: "PostPaid".into(),
            internet_max_bandwidth_out: Some(10),
            internet_max_bandwidth_in: Some(200),
            instance_network_type: "classic".into(),
            vswitch_id: String::new(),
            vpc_id: String::new(),
            security_group_ids: vec!["sg-b".into(), "sg-a".into()],
            tags: Vec::new(),
            public_ips: vec!["47.0.0.1".into()],
            private_ips: vec!["10.0.0.1".into()],
            creation_time: "2024-01-01T00:00Z".into(),
            stopped_mode: "KeepCharging".into(),
            deletion_protection: false,
            ..Default::default()
        }
    }

    #[test]
    fn state_comes_from_the_api_and_config_only_from_carried() {
        let carried = attrs::object([
            ("allow_stopping_for_update", Value::Bool(false)),
            ("instance_type", attrs::str_value("from-config")),
        ]);
        let state = from_instance(&sample_instance(), &carried);
        assert_eq!(
            attrs::string(&state, "instance_type").unwrap(),
            "ecs.g6.large"
        );
        assert_eq!(
            attrs::boolean(&state, "allow_stopping_for_update"),
            Some(false)
        );
        assert_eq!(attrs::get(&state, "stopped_mode"), &Value::Null);
        assert_eq!(attrs::get(&state, "vswitch_id"), &Value::Null);
        assert_eq!(
            attrs::get(&state, "security_group_ids"),
            &Value::Set(vec![attrs::str_value("sg-a"), attrs::str_value("sg-b")])
        );
        assert_eq!(attrs::int(&state, "memory"), Some(8192));
        assert_eq!(attrs::string(&state, "public_ip").unwrap(), "47.0.0.1");
    }

    #[test]
    fn transitional_statuses_settle_to_their_destination() {
        let mut inst = sample_instance();
        for (api, attr) in [
            ("Pending", "Running"),
            ("Starting", "Running"),
            ("Stopping", "Stopped"),
            ("Stopped", "Stopped"),
        ] {
            inst.status = api.into();
            let state = from_instance(&inst, &Value::Null);
            assert_eq!(attrs::string(&state, "status").unwrap(), attr, "{api}");
        }
        inst.status = "Stopping".into();
        assert!(observed(&inst, None).is_none());
    }

    #[test]
    fn observed_from_api_and_from_state_agree() {
        let inst = sample_instance();
        let at = Some(Duration::from_secs(5));
        let state = from_instance(&inst, &Value::Null);
        assert_eq!(observed(&inst, at), observed_from_state(&state, at, false));
        assert!(satisfies(&inst, &desired(&state)));
    }

    #[test]
    fn blank_placement_stays_blank() {
        let carried = attrs::object([
            ("zone_id", attrs::str_value("")),
            ("vswitch_id", attrs::str_value("")),
        ]);
        let state = from_instance(&sample_instance(), &carried);
        assert_eq!(attrs::string(&state, "zone_id").unwrap(), "");
        assert_eq!(attrs::string(&state, "vswitch_id").unwrap(), "");
        assert_eq!(given(&state, "zone_id"), None);
        let state = from_instance(&sample_instance(), &Value::Null);
        assert_eq!(attrs::string(&state, "zone_id").unwrap(), "cn-hangzhou-h");
        assert_eq!(attrs::get(&state, "vswitch_id"), &Value::Null);
    }

    #[test]
    fn an_unreported_bandwidth_is_no_value() {
        let mut inst = sample_instance();
        inst.internet_max_bandwidth_in = None; // the API said -1
                                               // Import: nothing known, so null, never a huge number.
        let imported = from_instance(&inst, &Value::Null);
        assert_eq!(
            attrs::get(&imported, "internet_max_bandwidth_in"),
            &Value::Null
        );
        let observed = observed_from_state(&imported, None, false).expect("observed");
        assert_eq!(observed.bandwidth.inbound, 0);
        assert_eq!(desired(&imported).bandwidth_in, None);
        // A value we set and the API does not echo stays as set.
        let carried = attrs::object([("internet_max_bandwidth_in", attrs::int_value(50))]);
        let kept = from_instance(&inst, &carried);
        assert_eq!(attrs::int(&kept, "internet_max_bandwidth_in"), Some(50));
        assert!(satisfies(&inst, &desired(&kept)));
        // A -1 left in an old state asks for nothing, and is not kept.
        let old = attrs::object([("internet_max_bandwidth_in", attrs::int_value(-1))]);
        assert_eq!(desired(&old).bandwidth_in, None);
        let refreshed = from_instance(&inst, &old);
        assert_eq!(
            attrs::get(&refreshed, "internet_max_bandwidth_in"),
            &Value::Null
        );
    }

    #[test]
    fn unknowns_become_null_as_a_last_resort() {
        let obj = attrs::object([("a", Value::Unknown), ("b", attrs::int_value(1))]);
        assert_eq!(
            known_or_null(&obj),
            attrs::object([("a", Value::Null), ("b", attrs::int_value(1))])
        );
    }
}
