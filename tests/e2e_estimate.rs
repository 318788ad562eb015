//! End to end: the plan says how long an instance will be down, as a person reads it in
//! Terraform's output. A first resize of an instance the provider never stopped states an
//! assumption; the second resize of the same instance gives the stop and start the first one
//! observed, and its figure is within 20 % of the downtime the emulator then journals.
//! Alike warnings are folded by Terraform ("and N more similar warnings"): the figure is in
//! the summary, so it stays in sight. A change that stops nothing carries no estimate.

mod e2e_support;
mod support;

use e2e_support::{instance_hcl, seed_instance, Cloud};
use serde_json::json;
use std::time::Duration;

/// The plan's output as one line (Terraform wraps diagnostic text).
fn plan_text(cloud: &Cloud) -> String {
    let run = cloud.plan();
    assert_eq!(
        run.code, 2,
        "a plan with changes:\n{}\n{}",
        run.stdout, run.stderr
    );
    e2e_support::flat(&run)
}

#[test]
fn a_second_resize_is_estimated_from_the_first_within_twenty_percent() {
    let cloud = Cloud::start(Duration::from_millis(600), Duration::from_secs(1), &[]);
    seed_instance(&cloud, "i-seen", json!({}));
    cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
    cloud
        .dir
        .tf_ok(&["import", "-no-color", "ecs_instance.web", "i-seen"]);

    // First resize: never stopped by us, no other instance of its type: an assumption, said so.
    cloud.config(&instance_hcl("web", "ecs.g6.large", "").replace("ecs.g6.large", "ecs.g6.xlarge"));
    let first = plan_text(&cloud);
    assert!(
        first.contains("Instance Will Be Stopped: down ≈ 1 min 30 s (assumed)"),
        "{first}"
    );
    assert!(first.contains("is an assumption"), "{first}");
    assert!(!first.contains("as observed on"), "{first}");
    let applied = e2e_support::flat(&cloud.apply());
    assert!(applied.contains("Apply complete!"), "{applied}");
    cloud.assert_converged();

    // Second resize: the figures of the first, from private state.
    cloud.config(&instance_hcl("web", "ecs.g6.2xlarge", ""));
    let second = plan_text(&cloud);
    assert!(
        second.contains("as observed on this instance"),
        "the second estimate is measured: {second}"
    );
    assert!(!second.contains("assumed"), "{second}");
    let estimated = e2e_support::announced_downtime(&second)
        .unwrap_or_else(|| panic!("no estimate in the summary: {second}"));
    cloud.apply();
    let journal = cloud.journal();
    let downtimes = journal.downtimes("i-seen");
    assert_eq!(downtimes.len(), 2, "two resizes, two outages");
    let measured = downtimes[1];
    let error = (estimated.as_secs_f64() - measured.as_secs_f64()).abs() / measured.as_secs_f64();
    eprintln!(
        "estimated {estimated:?}, journal {measured:?}, error {:.1} %",
        error * 100.0
    );
    assert!(
        error <= 0.20,
        "estimate {estimated:?} vs the journal's downtime {measured:?}: {:.0} % off",
        error * 100.0
    );
    // The estimate changed nothing that was applied: each resize is stop, type, start.
    assert_eq!(
        journal.mutations("i-seen"),
        [
            "StopInstance",
            "ModifyInstanceSpec(InstanceType=ecs.g6.xlarge)",
            "StartInstance",
            "StopInstance",
            "ModifyInstanceSpec(InstanceType=ecs.g6.2xlarge)",
            "StartInstance",
        ]
    );
    cloud.assert_rules_kept();
}

#[test]
fn alike_estimates_fold_together_with_the_figure_in_sight_and_no_stop_means_no_estimate() {
    let cloud = Cloud::quick();
    let mut hcl = String::new();
    for i in 0..3 {
        let id = format!("i-alike{i}");
        seed_instance(&cloud, &id, json!({"InternetMaxBandwidthOut": 5}));
        hcl += &instance_hcl(
            &format!("n{i}"),
            "ecs.g6.large",
            "  internet_max_bandwidth_out = 5",
        );
    }
    cloud.config(&hcl);
    for i in 0..3 {
        cloud.dir.tf_ok(&[
            "import",
            "-no-color",
            &format!("ecs_instance.n{i}"),
            &format!("i-alike{i}"),
        ]);
    }
    cloud.config(&hcl.replace("ecs.g6.large", "ecs.g6.xlarge"));
    let text = plan_text(&cloud);
    // Terraform shows one of the three alike warnings and folds the others; the summary
    // it shows carries the figure.
    assert_eq!(
        text.matches("Instance Will Be Stopped: down ≈ 1 min 30 s (assumed)")
            .count(),
        1,
        "{text}"
    );
    assert!(text.contains("and 2 more similar warnings"), "{text}");

    // A bandwidth change that needs no stop (5 → 7 Mbit/s) carries no estimate anywhere.
    cloud.config(&hcl.replace(
        "internet_max_bandwidth_out = 5",
        "internet_max_bandwidth_out = 7",
    ));
    let text = plan_text(&cloud);
    assert!(!text.contains("down ≈"), "{text}");
    assert!(!text.contains("Expected downtime"), "{text}");
}
