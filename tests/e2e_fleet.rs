//! End to end: the fleet example (a module with for_each over 20 instances) created and
//! then resized with -parallelism=20 against an emulator that throttles each action to a
//! few requests per second. Every instance must converge, within the seed's rules.

mod e2e_support;
mod support;

use e2e_support::Cloud;
use std::time::Duration;

#[test]
fn twenty_instances_resize_together_under_throttling() {
    let mut cloud = Cloud::start(
        Duration::from_millis(500),
        Duration::from_secs(2),
        &["--throttle-qps", "5"],
    );
    cloud.dir.timeout(Duration::from_secs(600));
    let root = support::project_root().join("examples/fleet");
    for file in ["main.tf", "modules/node/main.tf"] {
        let text = std::fs::read_to_string(root.join(file)).expect("fleet example");
        cloud.dir.write(file, &text);
    }
    cloud.dir.tf_ok(&["get", "-no-color"]);
    let cooldown = format!("modification_cooldown={}ms", cloud.cooldown.as_millis());
    let run = |extra: &[&str]| {
        let mut args = vec!["apply", "-auto-approve", "-no-color", "-parallelism=20"];
        args.extend_from_slice(&["-var", &cooldown]);
        args.extend_from_slice(extra);
        cloud.dir.tf_ok(&args);
    };
    run(&[]);
    assert_eq!(cloud.instances().len(), 20);
    let resized = [
        "-var",
        "instance_type=ecs.g6.xlarge",
        "-var",
        "bandwidth_out=5",
    ];
    let before_resize = cloud.journal().requests.len();
    run(&resized);
    // Its refresh reads each system disk by the id the create kept in the private state,
    // so the 20 reads share DescribeDisks calls instead of making one each.
    let disk_reads = |since: usize| {
        cloud.journal().requests[since..]
            .iter()
            .filter(|r| r.action == "DescribeDisks" && r.ok())
            .count()
    };
    let resize_disk_reads = disk_reads(before_resize);
    assert!(
        (1..=5).contains(&resize_disk_reads),
        "the resize's refresh of 20 new instances made {resize_disk_reads} DescribeDisks calls"
    );

    let instances = cloud.instances();
    assert_eq!(instances.len(), 20);
    for inst in &instances {
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge", "{inst}");
        assert_eq!(inst["InternetMaxBandwidthOut"], 5, "{inst}");
        assert_eq!(inst["Status"], "Running", "{inst}");
    }
    let journal = cloud.journal();
    assert!(
        journal.requests.iter().any(|r| r.code == "Throttling"),
        "the emulator throttled some calls, so the test exercised the retries"
    );
    let mut plan = vec!["plan", "-detailed-exitcode", "-no-color", "-var", &cooldown];
    plan.extend_from_slice(&resized);
    let before_plan = journal.requests.len();
    let converged = cloud.dir.tf(&plan);
    assert_eq!(
        converged.code, 0,
        "{}\n{}",
        converged.stdout, converged.stderr
    );
    // And so does the next plan's, with the ids the resize kept.
    let disk_reads = disk_reads(before_plan);
    assert!(
        (1..=5).contains(&disk_reads),
        "the plan's refresh of 20 instances made {disk_reads} DescribeDisks calls"
    );
    // vswitch_id never changed: no plan asked which VPC and zone its vSwitch is in.
    assert_eq!(
        cloud.journal().count("DescribeVSwitches"),
        0,
        "plans of unchanged vswitch_id read vSwitches"
    );
    journal.assert_rules(cloud.cooldown);
    // The stop marker: one TagResources and one UntagResources per instance, merged across
    // instances by the client when their steps line up; none is left behind.
    let tag_calls = |action: &str| {
        journal
            .requests
            .iter()
            .filter(|r| r.action == action)
            .count()
    };
    eprintln!(
        "fleet of 20: {} TagResources, {} UntagResources, {} requests in all",
        tag_calls("TagResources"),
        tag_calls("UntagResources"),
        journal.requests.len()
    );
    for inst in &instances {
        assert!(
            inst["Tags"]["Tag"].as_array().is_some_and(Vec::is_empty),
            "{inst}"
        );
    }
    journal.assert_no_power_call_sent_twice();
}
