//! End to end: changes that cannot work are refused by `terraform plan`, pointing at the
//! attribute, before anything is stopped: what a subscription (PrePaid) instance cannot
//! take, unknown, sold-out and unauthorized types, and a stop that
//! `allow_stopping_for_update = false` forbids.

mod e2e_support;
mod support;

use e2e_support::{id_of, instance_hcl, Cloud};

/// Plans `config` and expects an error whose text contains every one of `needles`;
/// nothing may have been sent to the instance.
fn refused(cloud: &Cloud, id: &str, config: &str, needles: &[&str]) {
    let before = cloud.journal().mutations(id);
    cloud.config(config);
    let run = cloud.plan();
    let text = e2e_support::flat(&run);
    assert_eq!(run.code, 1, "the plan must fail:\n{text}");
    for n in needles {
        assert!(text.contains(n), "missing {n:?} in:\n{text}");
    }
    assert_eq!(cloud.journal().mutations(id), before, "nothing was changed");
}

#[test]
fn unusable_instance_types_are_refused_at_plan() {
    let (cloud, id) = Cloud::with_web_instance();
    refused(
        &cloud,
        &id,
        &instance_hcl("web", "ecs.g6.huge", ""),
        &["Unknown Instance Type", "ecs.g6.huge", "instance_type"],
    );
    refused(
        &cloud,
        &id,
        &instance_hcl("web", "ecs.g6.8xlarge", ""),
        &["Instance Type Sold Out", "can change to now: ecs.g6.xlarge"],
    );
    refused(
        &cloud,
        &id,
        &instance_hcl("web", "ecs.ebmg6.26xlarge", ""),
        &["Instance Type Not Available", "not authorized"],
    );
    cloud.assert_rules_kept();
}

#[test]
fn prepaid_instances_refuse_what_only_pay_as_you_go_allows_at_plan() {
    let cloud = Cloud::quick();
    let prepaid = |t: &str, extra: &str| {
        instance_hcl(
            "web",
            t,
            &format!("  instance_charge_type = \"PrePaid\"\n  period = 1\n{extra}"),
        )
    };
    // Created pay-as-you-go and converted behind Terraform's back: creating
    // a subscription is e2e_subscription's subject, not this one's.
    cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    cloud.drift(&id, serde_json::json!({"InstanceChargeType": "PrePaid"}));
    // ECS takes deletion protection on pay-as-you-go instances only.
    refused(
        &cloud,
        &id,
        &prepaid("ecs.g6.large", "  deletion_protection = true"),
        &["pay-as-you-go (PostPaid) instance", "deletion_protection"],
    );
    // A subscription upgrade is made in place (e2e_subscription_resize), but
    // it still needs its restart, which this configuration forbids.
    refused(
        &cloud,
        &id,
        &prepaid("ecs.g6.xlarge", "  allow_stopping_for_update = false"),
        &["Stopping Not Allowed", "instance_type"],
    );
    cloud.assert_rules_kept();
}

#[test]
fn forbidden_stop_is_refused_at_plan_with_the_way_out() {
    let cloud = Cloud::quick();
    let no_stop = |t: &str, extra: &str| {
        instance_hcl(
            "web",
            t,
            &format!("  allow_stopping_for_update = false\n{extra}"),
        )
    };
    cloud.config(&no_stop("ecs.g6.large", ""));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    refused(
        &cloud,
        &id,
        &no_stop("ecs.g6.xlarge", ""),
        &[
            "Stopping Not Allowed",
            "allow_stopping_for_update = true",
            "status = \"Stopped\"",
        ],
    );
    // The way out it names works: stop it ourselves, and it stays stopped.
    cloud.config(&no_stop("ecs.g6.xlarge", "  status = \"Stopped\""));
    cloud.apply();
    assert_eq!(cloud.instance(&id)["Status"], "Stopped");
    assert_eq!(cloud.instance(&id)["InstanceType"], "ecs.g6.xlarge");
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn an_update_timeout_shorter_than_its_cooldown_waits_is_refused_at_plan() {
    // A type and a bandwidth change are two modifications, a cooldown (1 s here) apart:
    // an update timeout of 1 s cannot hold that wait.
    let (cloud, id) = Cloud::with_web_instance();
    refused(
        &cloud,
        &id,
        &instance_hcl(
            "web",
            "ecs.g6.xlarge",
            "  internet_max_bandwidth_out = 7\n  timeouts {\n    update = \"1s\"\n  }",
        ),
        &["not less than timeouts.update", "Raise timeouts.update"],
    );
    cloud.assert_rules_kept();
}

#[test]
fn an_instance_without_a_security_group_is_refused_at_plan_before_any_call() {
    let cloud = Cloud::quick();
    let without = instance_hcl("web", "ecs.g6.large", "").replace(e2e_support::GROUP, "");
    cloud.config(&without);
    let plan = cloud.plan();
    let text = e2e_support::flat(&plan);
    assert_eq!(plan.code, 1, "{text}");
    assert!(
        text.contains("Security Group Required") && text.contains("set security_group_ids"),
        "{text}"
    );
    assert_eq!(cloud.journal().count("RunInstances"), 0);
    // Named, the instance is created in it.
    cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    assert_eq!(
        cloud.instance(&id)["SecurityGroupIds"]["SecurityGroupId"][0],
        "sg-emulator-test"
    );
}
