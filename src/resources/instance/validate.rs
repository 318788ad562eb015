//! Static checks of an `ecs_instance` configuration (ValidateResourceTypeConfig).
//! The configuration may still hold unknown values; only known ones are
//! judged. Terraform runs this before every plan, so PlanResourceChange
//! never sees a value refused here.

use super::marker;
use super::schema::{
    computed_only, DEFAULT_PERIOD_UNIT, INSTANCE_CHARGE_TYPES, INTERNET_CHARGE_TYPES, PERIODS,
    RENEW_PERIODS, STATUSES, STOPPED_MODES,
};
use super::timeouts;
use crate::planner::MAX_TAGS;
use crate::planner::{BANDWIDTH_IN_RANGE, BANDWIDTH_OUT_RANGE};
use crate::protocol::{AttributePath, Diagnostic, Value};
use crate::resources::attrs;
use std::ops::RangeInclusive;

pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut range = |name: &str, r: RangeInclusive<u32>| {
        if matches!(attrs::get(config, name), Value::Null | Value::Unknown) {
            return;
        }
        let ok = attrs::int(config, name)
            .and_then(|v| u32::try_from(v).ok())
            .is_some_and(|v| r.contains(&v));
        if !ok {
            let value = attrs::float(config, name);
            let shown = value.map_or("?".into(), |v| v.to_string());
            // ECS shows -1 for "not set": say how to ask for that.
            let unset = if value.is_some_and(|v| v < 0.0) {
                " (ECS reports -1 for \"not set\"; to leave it at the platform default, remove the attribute)"
            } else {
                ""
            };
            diags.push(
                Diagnostic::error(
                    "Bandwidth Out Of Range",
                    format!(
                        "{name} = {shown} is not accepted by ECS: use a whole number of Mbit/s from {} to {}{unset}.",
                        r.start(),
                        r.end()
                    ),
                )
                .at(AttributePath::attr(name)),
            );
        }
    };
    range("internet_max_bandwidth_out", BANDWIDTH_OUT_RANGE);
    range("internet_max_bandwidth_in", BANDWIDTH_IN_RANGE);
    for (name, allowed) in [
        ("status", &STATUSES),
        ("stopped_mode", &STOPPED_MODES),
        ("instance_charge_type", &INSTANCE_CHARGE_TYPES),
        ("internet_charge_type", &INTERNET_CHARGE_TYPES),
    ] {
        if let Some(v) = attrs::string(config, name) {
            if !allowed.contains(&v.as_str()) {
                diags.push(
                    Diagnostic::error(
                        "Invalid Value",
                        format!(
                            "{name} = \"{v}\" is not one of {}. Values are case-sensitive.",
                            allowed
                                .iter()
                                .map(|a| format!("\"{a}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .at(AttributePath::attr(name)),
                );
            }
        }
    }
    for (name, min, max) in [("instance_name", 2, 128), ("description", 2, 256)] {
        if let Some(v) = attrs::string(config, name) {
            let n = v.chars().count();
            if !(min..=max).contains(&n) {
                diags.push(
                    Diagnostic::error(
                        "Invalid Length",
                        format!("{name} has {n} characters; ECS accepts {min} to {max}."),
                    )
                    .at(AttributePath::attr(name)),
                );
            }
        }
    }
    for name in ["instance_type", "image_id"] {
        if attrs::string(config, name).is_some_and(|v| v.trim().is_empty()) {
            diags.push(
                Diagnostic::error("Empty Value", format!("{name} must not be empty."))
                    .at(AttributePath::attr(name)),
            );
        }
    }
    // Terraform leaves this check to providers (the SDKs make it too).
    for name in computed_only() {
        if !matches!(attrs::get(config, name), Value::Null) {
            diags.push(
                Diagnostic::error(
                    "Value For Unconfigurable Attribute",
                    format!("{name} is reported by ECS and cannot be configured. Remove the {name} line."),
                )
                .at(AttributePath::attr(name)),
            );
        }
    }
    if let Some(v) = attrs::string(config, "instance_type") {
        if !v.trim().is_empty() && !well_formed_type(&v) {
            diags.push(
                Diagnostic::error(
                    "Invalid Instance Type",
                    format!("instance_type = \"{v}\" is not an ECS instance type name: those look like \"ecs.<family>.<size>\", e.g. \"ecs.g6.large\". The ecs_instance_types data source lists the region's types."),
                )
                .at(AttributePath::attr("instance_type")),
            );
        }
    }
    diags.extend(tags(config));
    diags.extend(in_place_values(config));
    diags.extend(validate_period(config));
    diags.extend(validate_renewal(config));
    diags.extend(timeouts::validate(config));
    diags
}

/// ECS's rules for the values of the in-place attributes: refused here,
/// with no API call, rather than by the call mid-apply.
fn in_place_values(config: &Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut bad = |name: &str, summary: &str, detail: String| {
        diags.push(Diagnostic::error(summary, detail).at(AttributePath::attr(name)));
    };
    if let Some(p) = attrs::string(config, "password") {
        let n = p.chars().count();
        let classes = [
            p.chars().any(|c| c.is_ascii_uppercase()),
            p.chars().any(|c| c.is_ascii_lowercase()),
            p.chars().any(|c| c.is_ascii_digit()),
            p.chars().any(|c| PASSWORD_SPECIALS.contains(c)),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        let foreign = p
            .chars()
            .any(|c| !c.is_ascii_alphanumeric() && !PASSWORD_SPECIALS.contains(c));
        if !(8..=30).contains(&n) || classes < 3 || foreign {
            // Never the value itself.
            bad("password", "Invalid Password", format!("password does not meet ECS's rules: 8 to 30 characters (it has {n}), with at least three of upper case letters, lower case letters, digits and the special characters {PASSWORD_SPECIALS} (it has {classes}), and no other characters. Choose another password."));
        }
    }
    if let Some(h) = attrs::string(config, "host_name") {
        if !well_formed_host_name(&h) {
            bad("host_name", "Invalid Host Name", format!("host_name = \"{h}\" is not a host name ECS accepts: 2 to 64 characters of letters, digits, '-' and '.', neither starting nor ending with '.' or '-', and no two of those in a row. Choose another name."));
        }
    }
    if let Some(u) = attrs::string(config, "user_data") {
        if u.len() > USER_DATA_MAX {
            bad("user_data", "User Data Too Large", format!("user_data has {} bytes; ECS accepts at most {USER_DATA_MAX} (32 KB) before Base64 encoding. Shorten it, or have it fetch the rest.", u.len()));
        }
    }
    match attrs::get(config, "security_group_ids") {
        Value::Set(v) | Value::List(v) if v.is_empty() => bad("security_group_ids", "Invalid Security Groups", "security_group_ids is empty: an instance needs at least one security group. Name one, or remove the attribute to keep the instance's groups.".into()),
        Value::Set(v) | Value::List(v) if v.len() > 5 => bad("security_group_ids", "Invalid Security Groups", format!("security_group_ids has {} groups; ECS allows at most 5 per instance (16 by a quota ticket). Remove {}.", v.len(), v.len() - 5)),
        _ => {}
    }
    diags
}

/// The special characters ECS accepts in a password.
const PASSWORD_SPECIALS: &str = "()`~!@#$%^&*-_+=|{}[]:;'<>,.?/";

/// User data, before Base64.
const USER_DATA_MAX: usize = 32 * 1024;

/// Letters, digits, '-' and '.', 2–64 characters; no '.' or '-' at either
/// end or twice in a row.
fn well_formed_host_name(h: &str) -> bool {
    let n = h.chars().count();
    let punct = |c: char| c == '.' || c == '-';
    (2..=64).contains(&n)
        && h.chars().all(|c| c.is_ascii_alphanumeric() || punct(c))
        && !h.starts_with(punct)
        && !h.ends_with(punct)
        && !h
            .chars()
            .zip(h.chars().skip(1))
            .any(|(a, b)| punct(a) && punct(b))
}

/// ECS's rules for user tags (TagResources / RunInstances Tag.N).
fn tags(config: &Value) -> Vec<Diagnostic> {
    let Value::Map(tags) = attrs::get(config, "tags") else {
        return Vec::new();
    };
    let mut diags = Vec::new();
    let mut bad = |detail: String| {
        diags.push(Diagnostic::error("Invalid Tags", detail).at(AttributePath::attr("tags")));
    };
    if tags.len() > MAX_TAGS {
        bad(format!(
            "tags has {} entries; ECS keeps at most {MAX_TAGS} tags per instance. Remove {}.",
            tags.len(),
            tags.len() - MAX_TAGS
        ));
    }
    for (key, value) in tags {
        if key.is_empty() {
            bad("tags has an empty key: ECS needs 1 to 128 characters.".into());
        }
        if key.chars().count() > 128 {
            bad(format!(
                "tags key \"{}…\" has {} characters; ECS accepts at most 128.",
                key.chars().take(20).collect::<String>(),
                key.chars().count()
            ));
        }
        for reserved in ["aliyun", "acs:"] {
            if key.starts_with(reserved) {
                bad(format!(
                    "tags key \"{key}\" starts with \"{reserved}\", which ECS reserves for its own tags; rename the key."
                ));
            }
        }
        if key == marker::KEY {
            bad(format!(
                "tags key \"{key}\" is the provider's stop marker; choose another key."
            ));
        }
        if key.contains("http://") || key.contains("https://") {
            bad(format!(
                "tags key \"{key}\" contains \"http://\" or \"https://\", which ECS refuses in tag keys; rename the key."
            ));
        }
        if let Value::String(v) = value {
            if v.chars().count() > 128 {
                bad(format!(
                    "tags value of \"{key}\" has {} characters; ECS accepts at most 128.",
                    v.chars().count()
                ));
            }
        }
    }
    diags
}

/// `period` and `period_unit`: a subscription needs a length ECS sells; a
/// pay-as-you-go instance has none.
fn validate_period(config: &Value) -> Vec<Diagnostic> {
    let unknown = |n: &str| matches!(attrs::get(config, n), Value::Unknown);
    if unknown("period") || unknown("period_unit") || unknown("instance_charge_type") {
        return Vec::new();
    }
    let prepaid = attrs::string(config, "instance_charge_type").as_deref() == Some("PrePaid");
    let unit = attrs::string(config, "period_unit");
    let period = attrs::get(config, "period");
    let error = |summary: &str, detail: String, at: &str| {
        vec![Diagnostic::error(summary, detail).at(AttributePath::attr(at))]
    };
    let Some((unit_name, allowed)) = PERIODS
        .iter()
        .find(|(u, _)| *u == unit.as_deref().unwrap_or(DEFAULT_PERIOD_UNIT))
    else {
        return error(
            "Invalid Value",
            format!("period_unit = \"{}\" is not one of \"Week\", \"Month\". Values are case-sensitive.", unit.unwrap_or_default()),
            "period_unit",
        );
    };
    match (prepaid, period) {
        (true, Value::Null) => error(
            "Subscription Period Required",
            "instance_charge_type = \"PrePaid\" creates a subscription, which ECS sells for a period: set period (and period_unit, default Month), e.g. period = 1 for one month.".into(),
            "instance_charge_type",
        ),
        (false, Value::Null) if unit.is_some() => error(
            "Period For Pay-As-You-Go",
            "period_unit applies to subscriptions only (instance_charge_type = \"PrePaid\"). Remove it.".into(),
            "period_unit",
        ),
        (false, Value::Null) => Vec::new(),
        (false, _) => error(
            "Period For Pay-As-You-Go",
            "period applies to subscriptions only (instance_charge_type = \"PrePaid\"); a pay-as-you-go instance has no period. Remove it, or set instance_charge_type = \"PrePaid\".".into(),
            "period",
        ),
        (true, _) => match attrs::int(config, "period").filter(|p| allowed.contains(p)) {
            Some(_) => Vec::new(),
            None => error(
                "Invalid Subscription Period",
                format!(
                    "period = {} is not a length ECS sells in {unit_name}s: use one of {}.",
                    attrs::float(config, "period").map_or("?".into(), |v| v.to_string()),
                    allowed.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                ),
                "period",
            ),
        },
    }
}

/// `auto_renew` and `auto_renew_period`: subscriptions only; a length ECS
/// renews for, in `period_unit`, and only with auto-renewal on.
fn validate_renewal(config: &Value) -> Vec<Diagnostic> {
    let get = |n: &str| attrs::get(config, n);
    if [
        "auto_renew",
        "auto_renew_period",
        "instance_charge_type",
        "period_unit",
    ]
    .iter()
    .any(|n| matches!(get(n), Value::Unknown))
    {
        return Vec::new();
    }
    let error = |summary: &str, detail: String, at: &str| {
        vec![Diagnostic::error(summary, detail).at(AttributePath::attr(at))]
    };
    // Unset, the charge type is the instance's (an imported subscription
    // keeps PrePaid): a new instance's default is judged at plan.
    if attrs::string(config, "instance_charge_type").as_deref() == Some("PostPaid") {
        if let Some(d) = renewal_on_pay_as_you_go(config) {
            return vec![d];
        }
    }
    if matches!(get("auto_renew_period"), Value::Null) {
        return Vec::new();
    }
    if attrs::boolean(config, "auto_renew") != Some(true) {
        return error(
            "Auto-Renewal Period Without Auto-Renewal",
            "auto_renew_period is how long each automatic renewal is: it needs auto_renew = true. Set auto_renew = true, or remove auto_renew_period.".into(),
            "auto_renew_period",
        );
    }
    let unit = attrs::string(config, "period_unit");
    let Some((unit_name, allowed)) = RENEW_PERIODS
        .iter()
        .find(|(u, _)| *u == unit.as_deref().unwrap_or(DEFAULT_PERIOD_UNIT))
    else {
        // period_unit's own diagnostic says what is wrong.
        return Vec::new();
    };
    match attrs::int(config, "auto_renew_period").filter(|p| allowed.contains(p)) {
        Some(_) => Vec::new(),
        None => error(
            "Invalid Auto-Renewal Period",
            format!(
                "auto_renew_period = {} is not a length ECS renews for in {unit_name}s (period_unit): use one of {}.",
                attrs::float(config, "auto_renew_period").map_or("?".into(), |v| v.to_string()),
                allowed.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            ),
            "auto_renew_period",
        ),
    }
}

/// `auto_renew` or `auto_renew_period` set on what is (or will be) a
/// pay-as-you-go instance: the error at the first one set.
pub fn renewal_on_pay_as_you_go(config: &Value) -> Option<Diagnostic> {
    let name = ["auto_renew", "auto_renew_period"]
        .into_iter()
        .find(|n| !matches!(attrs::get(config, n), Value::Null))?;
    Some(
        Diagnostic::error(
            "Auto-Renewal For Pay-As-You-Go",
            format!("{name} applies to subscriptions only (instance_charge_type = \"PrePaid\"); a pay-as-you-go instance is never renewed. Remove {name}, or set instance_charge_type = \"PrePaid\" (with period)."),
        )
        .at(AttributePath::attr(name)),
    )
}

/// `ecs.<family>.<size>`: what every ECS type name looks like. Checked
/// without credentials; whether the region offers it is the plan's question.
fn well_formed_type(v: &str) -> bool {
    let mut parts = v.split('.');
    parts.next() == Some("ecs")
        && parts.clone().count() >= 2
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Number, PathStep};

    #[test]
    fn a_subscription_needs_a_period_ecs_sells_and_pay_as_you_go_none() {
        let cfg = |charge: &str, period: Option<i64>, unit: Option<&str>| {
            attrs::object([
                ("instance_charge_type", attrs::str_value(charge)),
                ("period", period.map_or(Value::Null, attrs::int_value)),
                ("period_unit", unit.map_or(Value::Null, attrs::str_value)),
            ])
        };
        let at = |c: &Value| {
            validate_period(c)
                .into_iter()
                .map(|d| (d.attribute, d.detail))
                .collect::<Vec<_>>()
        };
        assert!(at(&cfg("PrePaid", Some(1), None)).is_empty());
        assert!(at(&cfg("PrePaid", Some(4), Some("Week"))).is_empty());
        assert!(at(&cfg("PrePaid", Some(60), Some("Month"))).is_empty());
        assert!(at(&cfg("PostPaid", None, None)).is_empty());
        for (c, attr, phrase) in [
            (
                cfg("PrePaid", None, None),
                "instance_charge_type",
                "set period",
            ),
            (
                cfg("PrePaid", Some(5), Some("Week")),
                "period",
                "1, 2, 3, 4",
            ),
            (cfg("PrePaid", Some(10), None), "period", "9, 12, 24"),
            (cfg("PrePaid", Some(1), Some("Year")), "period_unit", "Week"),
            (
                cfg("PostPaid", Some(1), None),
                "period",
                "subscriptions only",
            ),
            (
                cfg("PostPaid", None, Some("Month")),
                "period_unit",
                "subscriptions only",
            ),
        ] {
            let found = at(&c);
            assert_eq!(found.len(), 1, "{c:?}: {found:?}");
            assert_eq!(found[0].0, Some(AttributePath::attr(attr)), "{c:?}");
            assert!(found[0].1.contains(phrase), "{c:?}: {}", found[0].1);
        }
        let unknown = attrs::object([
            ("instance_charge_type", Value::Unknown),
            ("period", Value::Null),
            ("period_unit", Value::Null),
        ]);
        assert!(at(&unknown).is_empty());
    }

    #[test]
    fn auto_renewal_is_for_subscriptions_with_a_length_ecs_renews_for() {
        let cfg = |charge: &str, on: Option<bool>, n: Option<i64>, unit: Option<&str>| {
            attrs::object([
                ("instance_charge_type", attrs::str_value(charge)),
                ("auto_renew", on.map_or(Value::Null, Value::Bool)),
                ("auto_renew_period", n.map_or(Value::Null, attrs::int_value)),
                ("period_unit", unit.map_or(Value::Null, attrs::str_value)),
            ])
        };
        let at = |c: &Value| {
            validate_renewal(c)
                .into_iter()
                .map(|d| (d.attribute, d.detail))
                .collect::<Vec<_>>()
        };
        assert!(at(&cfg("PrePaid", Some(true), Some(1), None)).is_empty());
        assert!(at(&cfg("PrePaid", Some(true), Some(60), Some("Month"))).is_empty());
        assert!(at(&cfg("PrePaid", Some(true), Some(3), Some("Week"))).is_empty());
        assert!(at(&cfg("PrePaid", Some(false), None, None)).is_empty());
        assert!(at(&cfg("PostPaid", None, None, None)).is_empty());
        for (c, attr, phrase) in [
            (
                cfg("PostPaid", Some(true), None, None),
                "auto_renew",
                "subscriptions only",
            ),
            (
                cfg("PostPaid", None, Some(1), None),
                "auto_renew_period",
                "subscriptions only",
            ),
            (
                cfg("PrePaid", None, Some(1), None),
                "auto_renew_period",
                "auto_renew = true",
            ),
            (
                cfg("PrePaid", Some(false), Some(1), None),
                "auto_renew_period",
                "auto_renew = true",
            ),
            (
                cfg("PrePaid", Some(true), Some(4), None),
                "auto_renew_period",
                "6, 12, 24",
            ),
            (
                cfg("PrePaid", Some(true), Some(4), Some("Week")),
                "auto_renew_period",
                "1, 2, 3",
            ),
        ] {
            let found = at(&c);
            assert_eq!(found.len(), 1, "{c:?}: {found:?}");
            assert_eq!(found[0].0, Some(AttributePath::attr(attr)), "{c:?}");
            assert!(found[0].1.contains(phrase), "{c:?}: {}", found[0].1);
        }
    }

    #[test]
    fn instance_type_needs_the_ecs_prefix_and_a_size() {
        for ok in [
            "ecs.g6.large",
            "ecs.g6e.13xlarge",
            "ecs.ebmg6.26xlarge",
            "ecs.t5-lc1m1.small",
        ] {
            assert!(well_formed_type(ok), "{ok}");
        }
        for bad in [
            "g6.large",
            "ecs.g6",
            "ecs..large",
            "ECS.g6.large",
            "ecs.g6.large ",
        ] {
            assert!(!well_formed_type(bad), "{bad}");
        }
        let d = validate(&config(&[("instance_type", attrs::str_value("g6.large"))]));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].attribute, Some(AttributePath::attr("instance_type")));
        assert!(
            d[0].detail.contains("ecs_instance_types"),
            "{}",
            d[0].detail
        );
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut obj = attrs::object([
            ("instance_type", attrs::str_value("ecs.g6.large")),
            ("image_id", attrs::str_value("ubuntu")),
        ]);
        for (k, v) in pairs {
            attrs::set(&mut obj, k, v.clone());
        }
        obj
    }

    fn paths(diags: &[Diagnostic]) -> Vec<String> {
        diags
            .iter()
            .map(|d| match d.attribute.as_ref().and_then(|p| p.0.first()) {
                Some(PathStep::Attribute(a)) => a.clone(),
                _ => String::new(),
            })
            .collect()
    }

    #[test]
    fn a_plain_config_is_valid() {
        assert!(validate(&config(&[])).is_empty());
        let edges = config(&[
            ("internet_max_bandwidth_out", attrs::int_value(0)),
            ("internet_max_bandwidth_in", attrs::int_value(200)),
            ("status", attrs::str_value("Stopped")),
        ]);
        assert!(validate(&edges).is_empty());
    }

    #[test]
    fn bandwidth_ranges_are_enforced_at_their_attribute() {
        let diags = validate(&config(&[
            ("internet_max_bandwidth_out", attrs::int_value(101)),
            ("internet_max_bandwidth_in", attrs::int_value(0)),
        ]));
        assert_eq!(
            paths(&diags),
            ["internet_max_bandwidth_out", "internet_max_bandwidth_in"]
        );
        assert!(
            diags[0].detail.contains("from 0 to 100"),
            "{}",
            diags[0].detail
        );
        let negative = validate(&config(&[(
            "internet_max_bandwidth_out",
            attrs::int_value(-1),
        )]));
        assert_eq!(paths(&negative), ["internet_max_bandwidth_out"]);
        assert!(
            negative[0].detail.contains("remove the attribute"),
            "{}",
            negative[0].detail
        );
        let fraction = validate(&config(&[(
            "internet_max_bandwidth_out",
            Value::Number(Number::Float(1.5)),
        )]));
        assert_eq!(paths(&fraction), ["internet_max_bandwidth_out"]);
    }

    #[test]
    fn enumerations_and_lengths_name_their_attribute() {
        let diags = validate(&config(&[
            ("status", attrs::str_value("running")),
            ("stopped_mode", attrs::str_value("Cheap")),
            ("instance_name", attrs::str_value("x")),
        ]));
        assert_eq!(paths(&diags), ["status", "stopped_mode", "instance_name"]);
    }

    #[test]
    fn computed_only_attributes_cannot_be_configured() {
        let diags = validate(&config(&[
            ("cpu", attrs::int_value(4)),
            ("public_ip", Value::Unknown),
        ]));
        assert_eq!(paths(&diags), ["public_ip", "cpu"]);
        assert!(
            diags[1].detail.contains("Remove the cpu line"),
            "{}",
            diags[1].detail
        );
    }

    #[test]
    fn in_place_values_follow_ecs_rules() {
        let s = |v: &str| attrs::str_value(v.to_string());
        assert!(validate(&config(&[
            ("password", s("Good-pass1")),
            ("host_name", s("web-1.example")),
            ("user_data", s("#!/bin/sh")),
        ]))
        .is_empty());
        for (name, v, says) in [
            ("password", s("short1A"), "8 to 30"),
            ("password", s("alllowercase1"), "three of"),
            ("password", s("Has space 1a"), "no other"),
            ("host_name", s("-web"), "host name"),
            ("host_name", s("a..b"), "host name"),
            ("user_data", s(&"x".repeat(32 * 1024 + 1)), "32 KB"),
            ("security_group_ids", Value::Set(vec![]), "at least one"),
            (
                "security_group_ids",
                Value::Set(
                    (0..6)
                        .map(|i| attrs::str_value(format!("sg-{i}")))
                        .collect(),
                ),
                "at most 5",
            ),
        ] {
            let d = validate(&config(&[(name, v)]));
            assert_eq!(paths(&d), [name], "{name}");
            assert!(d[0].detail.contains(says), "{}", d[0].detail);
            assert!(
                !d[0].detail.contains("Has space"),
                "a password is never shown"
            );
        }
    }

    #[test]
    fn tags_follow_ecs_rules() {
        let map = |pairs: Vec<(String, String)>| {
            Value::Map(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, attrs::str_value(v)))
                    .collect(),
            )
        };
        let ok = map((0..20).map(|i| (format!("k{i}"), "v".into())).collect());
        assert!(validate(&config(&[("tags", ok)])).is_empty());
        let many = map((0..21).map(|i| (format!("k{i}"), "v".into())).collect());
        let d = validate(&config(&[("tags", many)]));
        assert_eq!(paths(&d), ["tags"]);
        assert!(d[0].detail.contains("at most 20"), "{}", d[0].detail);
        for (k, v, says) in [
            ("acs:x", "v", "reserves"),
            ("aliyun-x", "v", "reserves"),
            (marker::KEY, "v", "stop marker"),
            (&"k".repeat(129) as &str, "v", "at most 128"),
            ("k", &"v".repeat(129) as &str, "at most 128"),
            ("https://x", "v", "http"),
        ] {
            let d = validate(&config(&[("tags", map(vec![(k.into(), v.into())]))]));
            assert_eq!(paths(&d), ["tags"], "{k}");
            assert!(d[0].detail.contains(says), "{}", d[0].detail);
        }
    }

    #[test]
    fn unknown_values_are_not_judged() {
        let diags = validate(&config(&[
            ("internet_max_bandwidth_out", Value::Unknown),
            ("status", Value::Unknown),
            ("instance_type", Value::Unknown),
        ]));
        assert!(diags.is_empty(), "{diags:?}");
    }
}
