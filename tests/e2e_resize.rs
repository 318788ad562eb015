//! End to end, real Terraform 1.0.3 against the emulator: in-place changes of
//! `ecs_instance` (type, bandwidth, both, power state, VPC bandwidth), each checked in the
//! plan's text, in the API journal (what was called, in which order, the seed's rules) and
//! by a second plan that must be empty.

mod e2e_support;
mod support;

use e2e_support::{id_of, instance_hcl, Cloud};
use serde_json::json;
use std::time::Duration;

/// Mutating calls on `id` after its creation.
fn after_create(cloud: &Cloud, id: &str) -> Vec<String> {
    let all = cloud.journal().mutations(id);
    assert!(
        all.first().is_some_and(|c| c.starts_with("RunInstances")),
        "{all:?}"
    );
    all[1..].to_vec()
}

#[test]
fn type_change_on_a_running_instance_is_stop_modify_start_in_place() {
    let cloud = Cloud::quick();
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 5",
    ));
    cloud.apply();
    cloud.assert_converged();
    let id = id_of(&cloud, "ecs_instance.web");
    assert_eq!(cloud.state_attr("ecs_instance.web", "status"), "Running");
    assert_eq!(cloud.state_attr("ecs_instance.web", "cpu"), 2);

    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.xlarge",
        "  internet_max_bandwidth_out = 5",
    ));
    let plan = cloud.plan();
    assert_eq!(plan.code, 2, "{}", e2e_support::flat(&plan));
    let text = e2e_support::flat(&plan);
    assert!(text.contains("will be updated in-place"), "{text}");
    assert!(
        text.contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{text}"
    );
    assert!(text.contains("Instance Will Be Stopped"), "{text}");
    assert!(
        text.contains(&format!(
            "will stop {id} to change instance_type ecs.g6.large → ecs.g6.xlarge, then start it"
        )),
        "{text}"
    );

    cloud.apply();
    assert_eq!(
        after_create(&cloud, &id),
        [
            "StopInstance",
            "ModifyInstanceSpec(InstanceType=ecs.g6.xlarge)",
            "StartInstance"
        ]
    );
    assert_eq!(cloud.state_attr("ecs_instance.web", "id"), id.as_str());
    assert_eq!(cloud.state_attr("ecs_instance.web", "status"), "Running");
    assert_eq!(cloud.state_attr("ecs_instance.web", "cpu"), 4);
    assert_eq!(cloud.instance(&id)["InstanceType"], "ecs.g6.xlarge");
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn bandwidth_only_change_does_not_stop_the_instance() {
    let cloud = Cloud::quick();
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 5",
    ));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 20\n  internet_max_bandwidth_in = 100",
    ));
    let plan = cloud.plan();
    assert_eq!(plan.code, 2);
    assert!(
        !e2e_support::flat(&plan).contains("Instance Will Be Stopped"),
        "{}",
        e2e_support::flat(&plan)
    );
    cloud.apply();
    assert_eq!(
        after_create(&cloud, &id),
        ["ModifyInstanceSpec(InternetMaxBandwidthOut=20,InternetMaxBandwidthIn=100)"]
    );
    assert!(cloud.journal().downtimes(&id).is_empty());
    let inst = cloud.instance(&id);
    assert_eq!(
        (
            &inst["InternetMaxBandwidthOut"],
            &inst["InternetMaxBandwidthIn"]
        ),
        (&json!(20), &json!(100))
    );
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

/// The resize example, applied twice as the demo does: two single-modification calls, the
/// cooldown between them spent while the instance runs, and an outage no longer than the
/// emulator's stop and start transitions plus 10 %.
#[test]
fn type_and_bandwidth_change_keeps_downtime_to_stop_modify_start() {
    let transition = Duration::from_secs(3);
    let cloud = Cloud::start(transition, Duration::from_secs(3), &[]);
    let example = std::fs::read_to_string(support::project_root().join("examples/resize/main.tf"))
        .expect("examples/resize/main.tf");
    cloud.dir.write("main.tf", &example);
    let cooldown = format!("modification_cooldown={}ms", cloud.cooldown.as_millis());
    cloud
        .dir
        .tf_ok(&["apply", "-auto-approve", "-no-color", "-var", &cooldown]);
    let id = id_of(&cloud, "ecs_instance.app");

    let args = [
        "-no-color",
        "-var",
        &cooldown,
        "-var",
        "instance_type=ecs.g6.xlarge",
        "-var",
        "bandwidth_out=20",
    ];
    let plan = cloud
        .dir
        .tf(&[&["plan", "-detailed-exitcode"], &args[..]].concat());
    assert_eq!(plan.code, 2, "{}", e2e_support::flat(&plan));
    assert!(
        e2e_support::flat(&plan).contains("Cooldown waits happen while the instance runs"),
        "{}",
        e2e_support::flat(&plan)
    );
    cloud
        .dir
        .tf_ok(&[&["apply", "-auto-approve"], &args[..]].concat());

    assert_eq!(
        after_create(&cloud, &id),
        [
            "StopInstance",
            "ModifyInstanceSpec(InstanceType=ecs.g6.xlarge)",
            "StartInstance",
            // The example is a VPC instance: bandwidth through ModifyInstanceNetworkSpec.
            "ModifyInstanceNetworkSpec(InternetMaxBandwidthOut=20)"
        ]
    );
    let journal = cloud.journal();
    let downtimes = journal.downtimes(&id);
    assert_eq!(downtimes.len(), 1, "{downtimes:?}");
    let limit = transition * 2 * 11 / 10;
    assert!(
        downtimes[0] <= limit,
        "down for {:?}, more than {limit:?}",
        downtimes[0]
    );
    let while_down: Vec<String> = journal
        .modifications_while_down(&id)
        .iter()
        .map(|r| r.describe())
        .collect();
    assert_eq!(
        while_down,
        ["ModifyInstanceSpec(InstanceType=ecs.g6.xlarge)"],
        "only the type changes while the instance is down"
    );
    let converged = cloud
        .dir
        .tf(&[&["plan", "-detailed-exitcode"], &args[..]].concat());
    assert_eq!(converged.code, 0, "{}", e2e_support::flat(&converged));
    cloud.assert_rules_kept();
}

/// Private state remembers the last modification, so an apply right after another waits
/// for the cooldown instead of running into the API's refusal.
#[test]
fn back_to_back_applies_wait_out_the_cooldown_without_refusals() {
    let cloud = Cloud::start(Duration::from_millis(300), Duration::from_secs(3), &[]);
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 5",
    ));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    for out in [10, 15] {
        cloud.config(&instance_hcl(
            "web",
            "ecs.g6.large",
            &format!("  internet_max_bandwidth_out = {out}"),
        ));
        cloud.apply();
    }
    assert_eq!(
        after_create(&cloud, &id),
        [
            "ModifyInstanceSpec(InternetMaxBandwidthOut=10)",
            "ModifyInstanceSpec(InternetMaxBandwidthOut=15)"
        ]
    );
    let refused = cloud
        .journal()
        .requests
        .iter()
        .filter(|r| r.code == "InvalidStatus.ValueNotSupported")
        .count();
    assert_eq!(refused, 0, "the provider waited instead of being refused");
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn a_stopped_instance_changes_type_and_stays_stopped() {
    let (cloud, id) = Cloud::with_web_instance();
    cloud.drift(&id, json!({"Status": "Stopped"}));
    cloud.assert_converged(); // status unset: whatever the instance is
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    let plan = cloud.plan();
    assert_eq!(plan.code, 2);
    assert!(!e2e_support::flat(&plan).contains("Instance Will Be Stopped"));
    cloud.apply();
    assert_eq!(
        after_create(&cloud, &id),
        ["ModifyInstanceSpec(InstanceType=ecs.g6.xlarge)"]
    );
    assert_eq!(cloud.instance(&id)["Status"], "Stopped");
    assert_eq!(cloud.state_attr("ecs_instance.web", "status"), "Stopped");
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn status_stops_and_starts_the_instance() {
    let (cloud, id) = Cloud::with_web_instance();
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  status = \"Stopped\"",
    ));
    cloud.apply();
    assert_eq!(cloud.instance(&id)["Status"], "Stopped");
    cloud.assert_converged();
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  status = \"Running\"",
    ));
    cloud.apply();
    assert_eq!(cloud.instance(&id)["Status"], "Running");
    assert_eq!(after_create(&cloud, &id), ["StopInstance", "StartInstance"]);
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn vpc_bandwidth_goes_through_modify_instance_network_spec() {
    let cloud = Cloud::quick();
    let vpc = |out: u32| {
        instance_hcl(
            "web",
            "ecs.g6.large",
            &format!("  vswitch_id = \"vsw-test\"\n  internet_max_bandwidth_out = {out}"),
        )
    };
    cloud.config(&vpc(5));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    assert_eq!(cloud.state_attr("ecs_instance.web", "network_type"), "vpc");
    cloud.config(&vpc(10));
    cloud.apply();
    assert_eq!(
        after_create(&cloud, &id),
        ["ModifyInstanceNetworkSpec(InternetMaxBandwidthOut=10)"]
    );
    assert_eq!(cloud.journal().count("ModifyInstanceSpec"), 0);
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

/// With `--strict-bandwidth` the API refuses out and in in one call; the provider then
/// sends them as two calls, a cooldown apart.
#[test]
fn out_and_in_refused_together_are_sent_as_two_calls() {
    let cloud = Cloud::start(
        Duration::from_millis(300),
        Duration::from_secs(1),
        &["--strict-bandwidth"],
    );
    let bw = |out: u32, inbound: u32| {
        instance_hcl(
            "web",
            "ecs.g6.large",
            &format!(
                "  internet_max_bandwidth_out = {out}\n  internet_max_bandwidth_in = {inbound}"
            ),
        )
    };
    cloud.config(&bw(5, 200));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    cloud.config(&bw(10, 50));
    cloud.apply();
    assert_eq!(
        after_create(&cloud, &id),
        [
            "ModifyInstanceSpec(InternetMaxBandwidthOut=10)",
            "ModifyInstanceSpec(InternetMaxBandwidthIn=50)"
        ]
    );
    let journal = cloud.journal();
    assert!(journal
        .requests
        .iter()
        .any(|r| r.code == "InvalidParameter.Mismatch"));
    cloud.assert_converged();
    journal.assert_rules(cloud.cooldown);
}

/// A type change the API refuses after the stop: the instance is started again before the
/// error is reported, and state keeps the type it really has.
#[test]
fn a_failed_type_change_starts_the_instance_again() {
    let (cloud, id) = Cloud::with_web_instance();
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    cloud
        .dir
        .tf_ok(&["plan", "-no-color", "-out", "resize.tfplan"]);
    // Between plan and apply, the instance's disk starts refusing type changes.
    cloud.drift(&id, json!({"Flags": {"DiskCategoryUnsupported": true}}));
    let run = cloud.dir.tf(&["apply", "-no-color", "resize.tfplan"]);
    let text = e2e_support::flat(&run);
    assert_ne!(run.code, 0, "{text}");
    assert!(text.contains("CategoryViolation"), "{text}");
    assert!(text.contains("Instance Started Again"), "{text}");
    assert_eq!(after_create(&cloud, &id), ["StopInstance", "StartInstance"]);
    assert_eq!(cloud.instance(&id)["Status"], "Running");
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "instance_type"),
        "ecs.g6.large"
    );
    assert_eq!(cloud.state_attr("ecs_instance.web", "status"), "Running");
    cloud.assert_rules_kept();
}
