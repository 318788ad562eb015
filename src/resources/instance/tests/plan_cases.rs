//! The plan as named table cases: each builds a prior state and a
//! configuration, derives Terraform's proposed state the way Terraform does,
//! and checks the planned values, replace paths and diagnostics (with their
//! attribute paths).

use crate::planner::{estimate, Step};
use crate::protocol::{AttributePath, Diagnostic, Severity, Value};
use crate::resources::attrs;
use crate::resources::instance::place_check::{PlanFacts, VSwitchFact};
use crate::resources::instance::plan::{plan_change, PlanInput, Planned};
use crate::resources::instance::schema::schema;
use crate::resources::instance::state::{self, tests::sample_instance};
use std::time::Duration;

const NOW: Duration = Duration::from_secs(1_700_000_000);
const COOLDOWN: Duration = Duration::from_secs(300);

/// A configuration with every attribute null, then `pairs`.
fn config(pairs: &[(&str, Value)]) -> Value {
    let s = schema();
    let mut obj = attrs::object(
        s.block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .chain([("timeouts".to_string(), Value::Null)]),
    );
    attrs::set(&mut obj, "instance_type", attrs::str_value("ecs.g6.large"));
    attrs::set(&mut obj, "image_id", attrs::str_value("ubuntu_22_04_x64"));
    for (k, v) in pairs {
        attrs::set(&mut obj, k, v.clone());
    }
    obj
}

/// Terraform's proposed new state: configured values; for computed
/// attributes left null, the prior value.
fn proposed(prior: &Value, config: &Value) -> Value {
    let mut out = config.clone();
    if matches!(prior, Value::Null) {
        return out;
    }
    for a in schema().block.attributes {
        if a.computed && matches!(attrs::get(config, &a.name), Value::Null) {
            attrs::set(&mut out, &a.name, attrs::get(prior, &a.name).clone());
        }
    }
    out
}

fn running_prior() -> Value {
    state::from_instance(&sample_instance(), &Value::Null)
}

fn prior_with(pairs: &[(&str, Value)]) -> Value {
    let mut p = running_prior();
    for (k, v) in pairs {
        attrs::set(&mut p, k, v.clone());
    }
    p
}

struct Case {
    prior: Value,
    config: Value,
    last_modified: Option<Duration>,
    restart_pending: bool,
    stopped_charging: bool,
    restart_owed: bool,
    subscription: crate::planner::Subscription,
    type_direction: Option<crate::planner::Direction>,
    history: estimate::History<'static>,
    facts: PlanFacts,
}

impl Case {
    fn new(prior: Value, config: Value) -> Case {
        Case {
            prior,
            config,
            last_modified: None,
            restart_pending: false,
            stopped_charging: false,
            restart_owed: false,
            subscription: Default::default(),
            type_direction: None,
            history: estimate::History::default(),
            facts: PlanFacts::default(),
        }
    }

    fn plan(&self) -> Planned {
        let proposed = proposed(&self.prior, &self.config);
        plan_change(&PlanInput {
            prior: &self.prior,
            proposed: &proposed,
            config: &self.config,
            last_modified: self.last_modified,
            restart_pending: self.restart_pending,
            stopped_charging: self.stopped_charging,
            restart_owed: self.restart_owed,
            subscription: self.subscription.clone(),
            type_direction: self.type_direction,
            cooldown: COOLDOWN,
            now: NOW,
            history: self.history.clone(),
            facts: self.facts.clone(),
        })
    }
}

fn s(v: &str) -> Value {
    attrs::str_value(v)
}

fn at(name: &str) -> Option<AttributePath> {
    Some(AttributePath::attr(name))
}

fn errors(p: &Planned) -> Vec<&Diagnostic> {
    p.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

fn warnings(p: &Planned) -> Vec<&Diagnostic> {
    p.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect()
}

/// The attributes whose planned value differs from the prior one.
fn changed(prior: &Value, planned: &Value) -> Vec<String> {
    let Value::Object(m) = planned else {
        panic!("not an object")
    };
    m.keys()
        .filter(|k| attrs::get(prior, k) != attrs::get(planned, k))
        .cloned()
        .collect()
}

#[test]
fn create_plans_defaults_and_unknowns() {
    let p = Case::new(Value::Null, config(&[])).plan();
    let st = &p.state;
    for name in [
        "id",
        "public_ip",
        "private_ip",
        "cpu",
        "memory",
        "creation_time",
    ] {
        assert_eq!(attrs::get(st, name), &Value::Unknown, "{name}");
    }
    // The API picks these when not asked.
    for name in [
        "zone_id",
        "instance_name",
        "internet_max_bandwidth_out",
        "internet_max_bandwidth_in",
        "security_group_ids",
    ] {
        assert_eq!(attrs::get(st, name), &Value::Unknown, "{name}");
    }
    assert_eq!(attrs::get(st, "status"), &s("Running"));
    assert_eq!(attrs::get(st, "internet_charge_type"), &s("PayByTraffic"));
    assert_eq!(attrs::get(st, "instance_charge_type"), &s("PostPaid"));
    assert_eq!(attrs::get(st, "network_type"), &s("classic"));
    // Config-only attributes stay null: null means the default.
    assert_eq!(attrs::get(st, "allow_stopping_for_update"), &Value::Null);
    assert!(p.requires_replace.is_empty());
    // ECS creates no instance without a security group: said at plan time, at the attribute.
    assert_eq!(p.diagnostics.len(), 1, "{:?}", p.diagnostics);
    assert_eq!(p.diagnostics[0].summary, "Security Group Required");
    assert_eq!(
        p.diagnostics[0].attribute,
        Some(crate::protocol::AttributePath::attr("security_group_ids"))
    );
}

#[test]
fn create_keeps_configured_values() {
    let cfg = config(&[
        ("vswitch_id", s("vsw-1")),
        ("status", s("Stopped")),
        ("internet_max_bandwidth_out", attrs::int_value(5)),
        ("zone_id", s("cn-hangzhou-i")),
    ]);
    let p = Case::new(Value::Null, cfg).plan();
    assert_eq!(attrs::get(&p.state, "network_type"), &s("vpc"));
    assert_eq!(attrs::get(&p.state, "status"), &s("Stopped"));
    assert_eq!(attrs::int(&p.state, "internet_max_bandwidth_out"), Some(5));
    assert_eq!(attrs::get(&p.state, "zone_id"), &s("cn-hangzhou-i"));
}

#[test]
fn unchanged_config_plans_exactly_the_prior_state() {
    // The minimal config (what an import is followed by) and one repeating
    // every API value must both plan no change at all.
    let minimal = Case::new(running_prior(), config(&[])).plan();
    assert_eq!(minimal.state, running_prior());
    assert!(minimal.diagnostics.is_empty(), "{:?}", minimal.diagnostics);
    let full = config(&[
        ("zone_id", s("cn-hangzhou-h")),
        ("instance_name", s("web")),
        ("internet_max_bandwidth_out", attrs::int_value(10)),
        ("internet_max_bandwidth_in", attrs::int_value(200)),
        ("status", s("Running")),
        ("security_group_ids", Value::Set(vec![s("sg-b"), s("sg-a")])),
    ]);
    let p = Case::new(running_prior(), full).plan();
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    assert_eq!(changed(&running_prior(), &p.state), ["security_group_ids"]);
    assert!(p.steps.is_empty() && p.diagnostics.is_empty());
}

#[test]
fn type_change_on_running_instance_is_in_place_with_the_stop_warning() {
    let p = Case::new(
        running_prior(),
        config(&[("instance_type", s("ecs.g6.xlarge"))]),
    )
    .plan();
    assert!(p.requires_replace.is_empty());
    assert_eq!(
        changed(&running_prior(), &p.state),
        ["cpu", "instance_type", "memory"]
    );
    assert_eq!(attrs::get(&p.state, "cpu"), &Value::Unknown);
    assert_eq!(
        p.steps,
        [
            Step::Stop,
            Step::ModifyType {
                to: "ecs.g6.xlarge".into()
            },
            Step::Start
        ]
    );
    let w = warnings(&p);
    assert_eq!(w.len(), 1, "{:?}", p.diagnostics);
    assert_eq!(w[0].attribute, at("instance_type"));
    assert!(
        w[0].detail.contains(
            "will stop i-1 to change instance_type ecs.g6.large → ecs.g6.xlarge, then start it"
        ),
        "{}",
        w[0].detail
    );
    let change = p.type_change.expect("type checked against the API");
    assert_eq!(
        (change.from.as_str(), change.to.as_str()),
        ("ecs.g6.large", "ecs.g6.xlarge")
    );
}

#[test]
fn the_stop_warning_carries_the_estimate_in_its_summary_and_the_estimate_changes_no_step() {
    let cfg = config(&[("instance_type", s("ecs.g6.xlarge"))]);
    let assumed = Case::new(running_prior(), cfg.clone()).plan();
    let mut seen = Case::new(running_prior(), cfg);
    seen.history = estimate::History {
        this: estimate::Observed {
            stops: vec![Duration::from_secs(15)],
            starts: vec![Duration::from_secs(25)],
            create: None,
        },
        instance_type: "ecs.g6.large",
        ..estimate::History::default()
    };
    let seen = seen.plan();
    assert_eq!(assumed.steps, seen.steps, "an estimate is words only");
    assert_eq!(assumed.state, seen.state);
    let (a, b) = (warnings(&assumed)[0], warnings(&seen)[0]);
    assert_eq!(
        a.summary,
        "Instance Will Be Stopped: down ≈ 1 min 30 s (assumed)"
    );
    assert!(a.detail.contains("is an assumption"), "{}", a.detail);
    assert_eq!(b.summary, "Instance Will Be Stopped: down ≈ 40 s");
    assert!(
        b.detail.contains(
            "Expected downtime: about 40 s (stop ≈ 15 s + start ≈ 25 s, as observed on this instance)"
        ),
        "{}",
        b.detail
    );
}

#[test]
fn bandwidth_only_change_needs_no_stop_and_no_type_check() {
    let p = Case::new(
        running_prior(),
        config(&[("internet_max_bandwidth_out", attrs::int_value(50))]),
    )
    .plan();
    assert_eq!(
        changed(&running_prior(), &p.state),
        ["internet_max_bandwidth_out"]
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert!(p.type_change.is_none());
    assert!(matches!(
        p.steps[..],
        [Step::ModifyBandwidth {
            out: Some(50),
            inbound: None,
            ..
        }]
    ));
}

#[test]
fn first_public_bandwidth_leaves_the_public_ip_unknown() {
    let prior = prior_with(&[
        ("internet_max_bandwidth_out", attrs::int_value(0)),
        ("public_ip", Value::Null),
    ]);
    let p = Case::new(
        prior,
        config(&[("internet_max_bandwidth_out", attrs::int_value(5))]),
    )
    .plan();
    assert_eq!(attrs::get(&p.state, "public_ip"), &Value::Unknown);
}

#[test]
fn replacing_attributes_are_reported_as_paths() {
    for (name, value) in [
        ("zone_id", s("cn-hangzhou-i")),
        // From the classic network to a VPC.
        ("vswitch_id", s("vsw-1")),
        ("instance_charge_type", s("PrePaid")),
        ("internet_charge_type", s("PayByBandwidth")),
        ("system_disk_category", s("cloud_essd")),
    ] {
        let p = Case::new(running_prior(), config(&[(name, value)])).plan();
        assert_eq!(p.requires_replace, [AttributePath::attr(name)], "{name}");
        assert_eq!(attrs::get(&p.state, "id"), &Value::Unknown, "{name}");
        assert!(p.diagnostics.is_empty() && p.steps.is_empty(), "{name}");
    }
}

#[test]
fn a_restart_owed_by_an_interrupted_apply_is_planned_once() {
    let owed_prior = prior_with(&[("restart_required", Value::Bool(true))]);
    let mut case = Case::new(running_prior(), config(&[]));
    assert!(case.plan().steps.is_empty());
    // With status unset or configured Running alike: the plan shows
    // restart_required going to false (Terraform applies only a plan that
    // changes something), and restarts once.
    for status in [Value::Null, s("Running")] {
        case = Case::new(owed_prior.clone(), config(&[("status", status.clone())]));
        case.restart_owed = true;
        let p = case.plan();
        assert_eq!(p.steps, [Step::Reboot], "{status:?}");
        assert_eq!(
            changed(&owed_prior, &p.state),
            ["restart_required"],
            "{status:?}"
        );
        assert_eq!(
            attrs::get(&p.state, "restart_required"),
            &Value::Bool(false)
        );
        assert!(
            p.diagnostics
                .iter()
                .any(|d| d.summary.starts_with("Instance Will Be Restarted")),
            "{:?}",
            p.diagnostics
        );
    }
    // status = "Stopped": a stop, no restart; the change takes effect at the
    // next start, so nothing is owed after it.
    let mut stop = Case::new(owed_prior.clone(), config(&[("status", s("Stopped"))]));
    stop.restart_owed = true;
    let p = stop.plan();
    assert_eq!(p.steps, [Step::Stop]);
    assert_eq!(
        attrs::get(&p.state, "restart_required"),
        &Value::Bool(false)
    );
    // allow_stopping_for_update = false: refused at plan, with the way out.
    let mut kept_up = Case::new(
        owed_prior.clone(),
        config(&[
            ("status", s("Running")),
            ("allow_stopping_for_update", Value::Bool(false)),
        ]),
    );
    kept_up.restart_owed = true;
    let p = kept_up.plan();
    let e = errors(&p);
    assert_eq!(e.len(), 1, "{:?}", p.diagnostics);
    assert_eq!(e[0].attribute, at("allow_stopping_for_update"));
    assert!(p.steps.is_empty());
    // Nothing owed: the value stays, and nothing is planned.
    let p = Case::new(owed_prior.clone(), config(&[("status", s("Running"))])).plan();
    assert!(changed(&owed_prior, &p.state).is_empty());
}

#[test]
fn a_new_instance_owes_no_restart() {
    let p = Case::new(Value::Null, config(&[])).plan();
    assert_eq!(
        attrs::get(&p.state, "restart_required"),
        &Value::Bool(false)
    );
}

#[test]
fn image_and_security_groups_change_in_place() {
    use crate::planner::{Attr, Call};
    let call_of = |p: &Planned, attr: Attr| {
        p.steps.iter().find_map(|st| match st {
            Step::Call { call, set } if set.contains_key(&attr) => Some(*call),
            _ => None,
        })
    };
    let groups = Case::new(
        running_prior(),
        config(&[("security_group_ids", Value::Set(vec![s("sg-c")]))]),
    )
    .plan();
    assert!(groups.requires_replace.is_empty());
    assert_eq!(
        call_of(&groups, Attr::SecurityGroups),
        Some(Call::Attribute)
    );
    assert!(!groups.steps.contains(&Step::Stop), "{:?}", groups.steps);
    let image = Case::new(running_prior(), config(&[("image_id", s("centos_7_x64"))])).plan();
    assert!(image.requires_replace.is_empty());
    assert_eq!(call_of(&image, Attr::Image), Some(Call::ReplaceSystemDisk));
    assert_eq!(image.steps.first(), Some(&Step::Stop), "{:?}", image.steps);
    let wiped = image
        .diagnostics
        .iter()
        .any(|d| d.detail.contains("everything on it is erased"));
    assert!(wiped, "{:?}", image.diagnostics);
}

#[test]
fn a_subscription_upgrade_restarts_once_and_its_notes_say_how() {
    use crate::planner::{Direction, Step};
    let prior = prior_with(&[("instance_charge_type", s("PrePaid"))]);
    let cfg = config(&[("instance_type", s("ecs.g6.xlarge"))]);
    let mut case = Case::new(prior, cfg);
    case.type_direction = Some(Direction::Upgrade);
    let p = case.plan();
    assert!(errors(&p).is_empty(), "{:?}", p.diagnostics);
    assert_eq!(
        p.steps,
        [
            Step::ModifyPrepayType {
                to: "ecs.g6.xlarge".into(),
                direction: Direction::Upgrade
            },
            Step::Reboot
        ]
    );
    let w = warnings(&p);
    assert!(
        w.iter()
            .any(|d| d.summary.starts_with("Instance Will Be Restarted")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|d| d.summary == "Subscription Type Change"
            && d.detail.contains("while the instance runs")),
        "{w:?}"
    );
    // The API is asked only about upgrades.
    assert_eq!(
        p.type_change.map(|c| c.direction),
        Some(Some(Direction::Upgrade))
    );
}

#[test]
fn a_subscription_downgrade_says_which_refund_it_uses_and_none_left_is_refused() {
    use crate::planner::{Direction, Subscription};
    let prior = prior_with(&[("instance_charge_type", s("PrePaid"))]);
    let cfg = config(&[("instance_type", s("ecs.g6.medium"))]);
    let mut case = Case::new(prior, cfg);
    case.type_direction = Some(Direction::Downgrade);
    case.subscription = Subscription {
        refunds_used: Some(1),
        ..Subscription::default()
    };
    let p = case.plan();
    assert!(errors(&p).is_empty(), "{:?}", p.diagnostics);
    let refund = warnings(&p)
        .into_iter()
        .find(|d| d.summary == "Subscription Downgrade Uses A Refund")
        .expect("a refund note");
    assert!(
        refund.detail.contains("uses refund 2 of 3"),
        "{}",
        refund.detail
    );
    assert_eq!(refund.attribute, at("instance_type"));
    case.subscription.refunds_used = Some(3);
    let p = case.plan();
    let e = errors(&p);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].attribute, at("instance_type"));
    assert_eq!(e[0].summary, "No Subscription Refund Left");
    assert!(
        e[0].detail.contains("replace the instance"),
        "{}",
        e[0].detail
    );
    assert!(p.type_change.is_none(), "no API check once refused");
    // Imported: the count is unknown, and the note says so.
    case.subscription.refunds_used = None;
    let p = case.plan();
    assert!(errors(&p).is_empty());
    assert!(
        warnings(&p)
            .iter()
            .any(|d| d.detail.contains("is unknown (it was imported)")),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn no_stopping_allowed_is_refused_with_the_way_out() {
    let cfg = config(&[
        ("instance_type", s("ecs.g6.xlarge")),
        ("allow_stopping_for_update", Value::Bool(false)),
    ]);
    let p = Case::new(running_prior(), cfg).plan();
    let e = errors(&p);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].attribute, at("instance_type"));
    assert!(
        e[0].detail.contains("allow_stopping_for_update = true"),
        "{}",
        e[0].detail
    );
    assert!(
        e[0].detail.contains("status = \"Stopped\""),
        "{}",
        e[0].detail
    );
}

#[test]
fn asking_for_stopped_lifts_the_refusal_and_warns_at_status() {
    let cfg = config(&[
        ("instance_type", s("ecs.g6.xlarge")),
        ("allow_stopping_for_update", Value::Bool(false)),
        ("status", s("Stopped")),
    ]);
    let p = Case::new(running_prior(), cfg).plan();
    assert!(errors(&p).is_empty(), "{:?}", p.diagnostics);
    let w = warnings(&p);
    assert_eq!(w[0].attribute, at("status"));
    assert!(w[0].detail.contains("it stays stopped"), "{}", w[0].detail);
}

#[test]
fn stopped_instance_changes_type_without_a_warning_and_stays_stopped() {
    let prior = prior_with(&[("status", s("Stopped"))]);
    let p = Case::new(prior, config(&[("instance_type", s("ecs.g6.xlarge"))])).plan();
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(attrs::get(&p.state, "status"), &s("Stopped"));
    assert_eq!(
        p.steps,
        [Step::ModifyType {
            to: "ecs.g6.xlarge".into()
        }]
    );
}

#[test]
fn status_only_changes_are_a_start_or_a_stop() {
    let stop = Case::new(running_prior(), config(&[("status", s("Stopped"))])).plan();
    assert_eq!(stop.steps, [Step::Stop]);
    assert_eq!(warnings(&stop)[0].attribute, at("status"));
    let prior = prior_with(&[("status", s("Stopped"))]);
    let start = Case::new(prior, config(&[("status", s("Running"))])).plan();
    assert_eq!(start.steps, [Step::Start]);
    assert!(start.diagnostics.is_empty());
}

#[test]
fn cooldown_waits_longer_than_the_update_timeout_are_refused() {
    let cfg = |timeout: &str| {
        config(&[
            ("instance_type", s("ecs.g6.xlarge")),
            ("internet_max_bandwidth_out", attrs::int_value(50)),
            (
                "timeouts",
                attrs::object([
                    ("create", Value::Null),
                    ("update", s(timeout)),
                    ("delete", Value::Null),
                ]),
            ),
        ])
    };
    let mut short = Case::new(running_prior(), cfg("2m"));
    short.last_modified = Some(NOW - Duration::from_secs(60));
    let p = short.plan();
    let e = errors(&p);
    assert_eq!(e.len(), 1, "{:?}", p.diagnostics);
    assert_eq!(
        e[0].attribute,
        Some(AttributePath::attr("timeouts").then("update"))
    );
    let mut enough = Case::new(running_prior(), cfg("20m"));
    enough.last_modified = Some(NOW - Duration::from_secs(60));
    let p = enough.plan();
    assert!(errors(&p).is_empty(), "{:?}", p.diagnostics);
    assert!(p.steps.iter().any(|s| matches!(s, Step::WaitUntil { .. })));
    assert!(warnings(&p)[0].detail.contains("cooldown"));
}

#[test]
fn a_pending_restart_is_planned_when_status_is_unset() {
    let prior = prior_with(&[("status", s("Stopped"))]);
    let mut c = Case::new(prior.clone(), config(&[]));
    c.restart_pending = true;
    let p = c.plan();
    assert_eq!(attrs::get(&p.state, "status"), &s("Running"));
    assert_eq!(p.steps, [Step::Start]);
    // An explicit status wins.
    let mut explicit = Case::new(prior, config(&[("status", s("Stopped"))]));
    explicit.restart_pending = true;
    assert!(explicit.plan().steps.is_empty());
}

#[test]
fn destroy_plans_null() {
    let p = plan_change(&PlanInput {
        prior: &running_prior(),
        proposed: &Value::Null,
        config: &Value::Null,
        last_modified: None,
        restart_pending: false,
        stopped_charging: false,
        restart_owed: false,
        subscription: Default::default(),
        type_direction: None,
        cooldown: COOLDOWN,
        now: NOW,
        history: Default::default(),
        facts: PlanFacts::default(),
    });
    assert_eq!(p.state, Value::Null);
    assert!(p.diagnostics.is_empty());
}

#[test]
fn unknown_target_type_plans_unknown_cpu_without_steps() {
    let p = Case::new(
        running_prior(),
        config(&[("instance_type", Value::Unknown)]),
    )
    .plan();
    assert_eq!(attrs::get(&p.state, "cpu"), &Value::Unknown);
    assert!(p.type_change.is_none());
    assert!(errors(&p).is_empty());
}

fn vpc_prior() -> Value {
    prior_with(&[
        ("vswitch_id", s("vsw-a")),
        ("vpc_id", s("vpc-1")),
        ("network_type", s("vpc")),
        ("private_ip", s("172.16.1.10")),
    ])
}

fn found(id: &str, vpc: &str, zone: &str) -> PlanFacts {
    PlanFacts {
        vswitch: Some(VSwitchFact::Found(crate::ecs::VSwitch {
            vswitch_id: id.into(),
            vpc_id: vpc.into(),
            zone_id: zone.into(),
            cidr_block: "172.16.2.0/24".into(),
            status: "Available".into(),
        })),
    }
}

#[test]
fn a_vswitch_in_another_vpc_or_zone_replaces_and_one_alike_changes_in_place() {
    let moved = |facts: PlanFacts| {
        let mut c = Case::new(vpc_prior(), config(&[("vswitch_id", s("vsw-b"))]));
        c.facts = facts;
        c.plan()
    };
    for facts in [
        found("vsw-b", "vpc-2", "cn-hangzhou-h"),
        found("vsw-b", "vpc-1", "cn-hangzhou-i"),
    ] {
        let p = moved(facts.clone());
        assert_eq!(
            p.requires_replace,
            [AttributePath::attr("vswitch_id")],
            "{facts:?}"
        );
        assert!(p.steps.is_empty(), "{facts:?}");
        assert_eq!(attrs::get(&p.state, "id"), &Value::Unknown);
    }
    // Same VPC and zone: ModifyInstanceVpcAttribute in a stop window.
    let p = moved(found("vsw-b", "vpc-1", "cn-hangzhou-h"));
    assert!(p.requires_replace.is_empty());
    assert!(p.steps.contains(&Step::Stop), "{:?}", p.steps);
    // Not read (no provider, a failed read) or read for another id: the
    // decision has no fact and stays in place (the plan warns elsewhere).
    for facts in [
        PlanFacts::default(),
        PlanFacts {
            vswitch: Some(VSwitchFact::Unreadable("vsw-b".into(), "denied".into())),
        },
        found("vsw-c", "vpc-2", "cn-hangzhou-i"),
    ] {
        assert!(
            moved(facts.clone()).requires_replace.is_empty(),
            "{facts:?}"
        );
    }
    // A state without vpc_id (never read) is no difference.
    let mut c = Case::new(
        prior_with(&[("vswitch_id", s("vsw-a")), ("network_type", s("vpc"))]),
        config(&[("vswitch_id", s("vsw-b"))]),
    );
    c.facts = found("vsw-b", "vpc-2", "cn-hangzhou-h");
    assert!(c.plan().requires_replace.is_empty());
}
