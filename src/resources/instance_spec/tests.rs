//! The adapter without a cloud: validation, the plans that need no API
//! (letting go, replacing, an instance unknown until apply), and updates
//! planned by the `ecs_instance` engine with its warnings.

use super::*;
use crate::protocol::diag::Severity;
use crate::resources::instance::state::tests::sample_instance;

fn config(pairs: &[(&str, Value)]) -> Value {
    attrs::config_of(&shape::schema().block, pairs)
}

/// The spec's state for the sample instance (Running ecs.g6.large, 10 Mbit/s out).
fn state() -> Value {
    let inst = instance::state::from_instance(&sample_instance(), &Value::Null);
    let mut s = shape::from_instance(&inst, &Value::Null);
    attrs::set(&mut s, "timeouts", Value::Null);
    attrs::set(&mut s, shape::ADOPTED_FROM, shape::adopted_from(&inst));
    s
}

fn with(mut obj: Value, pairs: &[(&str, Value)]) -> Value {
    for (k, v) in pairs {
        attrs::set(&mut obj, k, v.clone());
    }
    obj
}

fn plan_req(prior: Value, proposed: Value, config: Value) -> PlanResourceChangeRequest {
    PlanResourceChangeRequest {
        type_name: TYPE_NAME.into(),
        prior_state: prior,
        proposed_new_state: proposed,
        config,
        prior_private: Vec::new(),
    }
}

#[test]
fn facts_are_not_configurable_and_the_engine_checks_the_rest() {
    let d = validate(&config(&[
        ("instance_id", attrs::str_value("i-1")),
        ("instance_name", attrs::str_value("mine")),
    ]));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].attribute, Some(AttributePath::attr("instance_name")));
    let d = validate(&config(&[("instance_id", attrs::str_value("web-1"))]));
    assert_eq!(d[0].attribute, Some(AttributePath::attr("instance_id")));
    // ecs_instance's own checks, at the same attributes.
    let d = validate(&config(&[
        ("instance_id", attrs::str_value("i-1")),
        ("instance_type", attrs::str_value("g6.large")),
        ("internet_max_bandwidth_out", attrs::int_value(101)),
        ("status", attrs::str_value("running")),
        ("stopped_mode", attrs::str_value("Economical")),
        (
            "timeouts",
            attrs::object([
                ("create", attrs::str_value("soon")),
                ("update", Value::Null),
            ]),
        ),
    ]));
    let at: Vec<String> = d
        .iter()
        .map(|d| format!("{:?}", d.attribute.as_ref().unwrap()))
        .collect();
    assert_eq!(d.len(), 5, "{at:?}");
    for name in [
        "instance_type",
        "internet_max_bandwidth_out",
        "status",
        "stopped_mode",
        "create",
    ] {
        assert!(at.iter().any(|a| a.contains(name)), "{name}: {at:?}");
    }
    let fine = config(&[
        ("instance_id", attrs::str_value("i-1")),
        ("instance_type", attrs::str_value("ecs.g6.xlarge")),
        ("status", Value::Unknown),
    ]);
    assert!(validate(&fine).is_empty());
}

#[tokio::test]
async fn destroy_lets_go_without_a_plan_or_a_call() {
    let r = plan(None, plan_req(state(), Value::Null, Value::Null)).await;
    assert_eq!(r.planned_state, Value::Null);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}

#[tokio::test]
async fn another_instance_id_replaces() {
    let proposed = with(state(), &[("instance_id", attrs::str_value("i-2"))]);
    let cfg = config(&[("instance_id", attrs::str_value("i-2"))]);
    let r = plan(None, plan_req(state(), proposed, cfg)).await;
    assert_eq!(r.requires_replace, [AttributePath::attr("instance_id")]);
    assert_eq!(attrs::string(&r.planned_state, "id").unwrap(), "i-2");
    assert_eq!(attrs::get(&r.planned_state, "cpu"), &Value::Unknown);
}

#[tokio::test]
async fn an_instance_unknown_until_apply_is_planned_unknown_with_a_warning() {
    let cfg = config(&[
        ("instance_id", Value::Unknown),
        ("instance_type", attrs::str_value("ecs.g6.xlarge")),
    ]);
    let r = plan(None, plan_req(Value::Null, cfg.clone(), cfg)).await;
    let p = &r.planned_state;
    assert_eq!(attrs::string(p, "instance_type").unwrap(), "ecs.g6.xlarge");
    for name in [
        "id",
        "status",
        "cpu",
        "internet_max_bandwidth_out",
        shape::ADOPTED_FROM,
    ] {
        assert_eq!(attrs::get(p, name), &Value::Unknown, "{name}");
    }
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(r.diagnostics[0].severity, Severity::Warning);
    // Refusing stops: nothing to warn about.
    let cfg = config(&[
        ("instance_id", Value::Unknown),
        ("instance_type", attrs::str_value("ecs.g6.xlarge")),
        ("allow_stopping_for_update", Value::Bool(false)),
    ]);
    let r = plan(None, plan_req(Value::Null, cfg.clone(), cfg)).await;
    assert!(r.diagnostics.is_empty());
}

#[tokio::test]
async fn a_type_change_is_planned_by_the_engine_with_its_stop_warning() {
    let proposed = with(
        state(),
        &[("instance_type", attrs::str_value("ecs.g6.xlarge"))],
    );
    let cfg = config(&[
        ("instance_id", attrs::str_value("i-1")),
        ("instance_type", attrs::str_value("ecs.g6.xlarge")),
    ]);
    let r = plan(None, plan_req(state(), proposed, cfg)).await;
    assert!(r.requires_replace.is_empty());
    let p = &r.planned_state;
    assert_eq!(attrs::string(p, "instance_type").unwrap(), "ecs.g6.xlarge");
    assert_eq!(attrs::get(p, "cpu"), &Value::Unknown);
    assert_eq!(attrs::get(p, "memory"), &Value::Unknown);
    assert_eq!(attrs::string(p, "instance_name").unwrap(), "web");
    assert_eq!(attrs::string(p, "instance_id").unwrap(), "i-1");
    // The adoption's record is never changed by an update.
    assert_eq!(
        attrs::get(p, shape::ADOPTED_FROM),
        attrs::get(&state(), shape::ADOPTED_FROM)
    );
    assert_eq!(
        attrs::string(attrs::get(p, shape::ADOPTED_FROM), "instance_type").unwrap(),
        "ecs.g6.large"
    );
    let warning = r
        .diagnostics
        .iter()
        .find(|d| d.summary.starts_with("Instance Will Be Stopped"))
        .unwrap_or_else(|| panic!("{:?}", r.diagnostics));
    assert_eq!(
        warning.attribute,
        Some(AttributePath::attr("instance_type"))
    );
    // With stops refused, the engine's refusal.
    let proposed = with(
        state(),
        &[
            ("instance_type", attrs::str_value("ecs.g6.xlarge")),
            ("allow_stopping_for_update", Value::Bool(false)),
        ],
    );
    let cfg = config(&[
        ("instance_id", attrs::str_value("i-1")),
        ("instance_type", attrs::str_value("ecs.g6.xlarge")),
        ("allow_stopping_for_update", Value::Bool(false)),
    ]);
    let r = plan(None, plan_req(state(), proposed, cfg)).await;
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && d.summary == "Stopping Not Allowed"),
        "{:?}",
        r.diagnostics
    );
}

#[tokio::test]
async fn nothing_to_change_plans_the_prior_state() {
    let cfg = config(&[("instance_id", attrs::str_value("i-1"))]);
    let r = plan(None, plan_req(state(), state(), cfg)).await;
    assert_eq!(r.planned_state, state());
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}
