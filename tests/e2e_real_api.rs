//! End to end: what the real ECS API returns and refuses, that a tidy model misses (issue 8):
//! `-1` for an unset inbound bandwidth, `""` for unset placement, errors at the attribute they
//! are about, subscriptions and deletion protection that DeleteInstance refuses, and a provider
//! block whose values are unknown during plan.

mod e2e_support;
mod support;

use e2e_support::{flat, id_of, instance_hcl, seed_instance, Cloud, REQUIRED_PROVIDERS};
use serde_json::{json, Value};
use std::time::Duration;

/// Successful calls of `action` on `id`.
fn calls(cloud: &Cloud, action: &str, id: &str) -> usize {
    cloud
        .journal()
        .requests
        .iter()
        .filter(|r| r.action == action && r.instance_id == id && r.ok())
        .count()
}

#[test]
fn an_imported_vpc_instance_reporting_minus_one_inbound_plans_clean_and_converges() {
    let cloud = Cloud::quick();
    // As real ECS reports a VPC instance (tests/fixtures/ecs/describe_instances.json).
    seed_instance(
        &cloud,
        "i-vpc",
        json!({"VSwitchId": "vsw-abc", "InternetMaxBandwidthIn": -1}),
    );
    let vpc = "  vswitch_id = \"vsw-abc\"";
    cloud.config(&instance_hcl("legacy", "ecs.g6.large", vpc));
    cloud
        .dir
        .tf_ok(&["import", "-no-color", "ecs_instance.legacy", "i-vpc"]);
    assert_eq!(
        cloud.state_attr("ecs_instance.legacy", "internet_max_bandwidth_in"),
        Value::Null,
        "-1 means no value, never 4294967295"
    );
    cloud.assert_converged();

    // A configured inbound bandwidth is set once and converges.
    cloud.config(&instance_hcl(
        "legacy",
        "ecs.g6.large",
        &format!("{vpc}\n  internet_max_bandwidth_in = 50"),
    ));
    cloud.apply();
    assert_eq!(cloud.instance("i-vpc")["InternetMaxBandwidthIn"], 50);
    assert_eq!(
        cloud.state_attr("ecs_instance.legacy", "internet_max_bandwidth_in"),
        50
    );
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn a_vpc_instance_created_where_ecs_reports_minus_one_converges() {
    let cloud = Cloud::start(
        Duration::from_millis(300),
        Duration::from_secs(1),
        &["--vpc-bandwidth-in-unset"],
    );
    cloud.config(&instance_hcl(
        "fresh",
        "ecs.g6.large",
        "  vswitch_id = \"vsw-abc\"",
    ));
    cloud.apply();
    let fresh = id_of(&cloud, "ecs_instance.fresh");
    assert_eq!(cloud.instance(&fresh)["InternetMaxBandwidthIn"], -1);
    assert_eq!(
        cloud.state_attr("ecs_instance.fresh", "internet_max_bandwidth_in"),
        Value::Null
    );
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn blank_zone_and_vswitch_from_module_variables_behave_as_unset() {
    let cloud = Cloud::quick();
    let blank = r#"
variable "zone_id" {
  default = ""
}
variable "vswitch_id" {
  default = ""
}
"#;
    let with_blanks = format!(
        "{blank}{}",
        instance_hcl(
            "web",
            "ecs.g6.large",
            "  zone_id    = var.zone_id\n  vswitch_id = var.vswitch_id"
        )
    );
    cloud.config(&with_blanks);
    let run = cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    let inst = cloud.instance(&id);
    assert_eq!(inst["InstanceNetworkType"], "classic", "{}", flat(&run));
    assert_eq!(inst["ZoneId"], "cn-hangzhou-h", "ECS chose the zone");
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "network_type"),
        "classic"
    );
    cloud.assert_converged();
    // Dropping the blanks is no replacement either.
    cloud.config(&format!(
        "{blank}{}",
        instance_hcl("web", "ecs.g6.large", "")
    ));
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_ne!(plan.code, 1, "{text}");
    assert!(!text.contains("must be replaced"), "{text}");
    cloud.apply();
    cloud.assert_converged();
    assert_eq!(id_of(&cloud, "ecs_instance.web"), id);
    cloud.assert_rules_kept();
}

#[test]
fn an_api_refusal_points_at_the_attribute_it_is_about() {
    let cloud = Cloud::quick();
    seed_instance(
        &cloud,
        "i-disk",
        json!({"Flags": {"DiskCategoryUnsupported": true}}),
    );
    cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
    cloud
        .dir
        .tf_ok(&["import", "-no-color", "ecs_instance.web", "i-disk"]);
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    let run = cloud.dir.tf(&["apply", "-auto-approve", "-no-color"]);
    let text = flat(&run);
    assert_ne!(run.code, 0, "{text}");
    assert!(text.contains("CategoryViolation"), "{text}");
    // Terraform quotes the configuration line of the attribute the diagnostic names (the
    // plan's stop warning quotes it too, so look inside the error's own block).
    let start = text
        .find("Error: ECS API Error")
        .expect("the API error is shown");
    let block = &text[start..];
    let end = block[5..]
        .find("Error: ")
        .into_iter()
        .chain(block.find("Warning: "))
        .min()
        .map_or(block.len(), |i| i + 5);
    let block = &block[..end];
    assert!(
        block.contains(r#"instance_type = "ecs.g6.xlarge""#),
        "the error must point at instance_type: {block}"
    );
    assert_eq!(
        cloud.instance("i-disk")["Status"],
        "Running",
        "started again"
    );
}

#[test]
fn a_subscription_is_released_only_with_force_delete_and_converted_once() {
    let cloud = Cloud::quick();
    let prepaid = "  instance_charge_type = \"PrePaid\"\n  period = 1";
    cloud.config(&instance_hcl("sub", "ecs.g6.large", prepaid));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.sub");

    // A replace is refused at plan time, saying what to do.
    // (ECS changes an image in place; a new system disk category needs a new instance.)
    cloud.config(&instance_hcl(
        "sub",
        "ecs.g6.large",
        &format!("{prepaid}\n  system_disk_category = \"cloud_ssd\""),
    ));
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_eq!(plan.code, 1, "{text}");
    assert!(
        text.contains("Subscription Instance Cannot Be Released"),
        "{text}"
    );
    assert!(text.contains("force_delete = true"), "{text}");

    // A destroy is refused before any change.
    cloud.config(&instance_hcl("sub", "ecs.g6.large", prepaid));
    let run = cloud.dir.tf(&["destroy", "-auto-approve", "-no-color"]);
    let text = flat(&run);
    assert_ne!(run.code, 0, "{text}");
    assert!(text.contains("force_delete = true"), "{text}");
    assert!(
        !text.contains("ModifyInstanceSpec"),
        "wrong action named: {text}"
    );
    assert_eq!(cloud.instance(&id)["InstanceChargeType"], "PrePaid");
    assert_eq!(calls(&cloud, "DeleteInstance", &id), 0);
    assert!(text.contains("then run terraform destroy again"), "{text}");

    // force_delete set but not applied: the destroy reads the state, and says so.
    cloud.config(&instance_hcl(
        "sub",
        "ecs.g6.large",
        &format!("{prepaid}\n  force_delete = true"),
    ));
    let run = cloud.dir.tf(&["destroy", "-auto-approve", "-no-color"]);
    let text = flat(&run);
    assert_ne!(run.code, 0, "{text}");
    assert!(
        text.contains("run terraform apply once")
            && text.contains("reads force_delete from the state"),
        "{text}"
    );

    // With force_delete applied, the destroy converts, then releases.
    cloud.apply();
    cloud.assert_converged();
    cloud.dir.tf_ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(cloud.instances().is_empty(), "{:?}", cloud.instances());
    assert_eq!(calls(&cloud, "ModifyInstanceChargeType", &id), 1);
    let journal = cloud.journal();
    let order: Vec<&str> = journal
        .requests
        .iter()
        .filter(|r| r.ok() && r.instance_id == id)
        .map(|r| r.action.as_str())
        .filter(|a| matches!(*a, "ModifyInstanceChargeType" | "DeleteInstance"))
        .collect();
    assert_eq!(order, ["ModifyInstanceChargeType", "DeleteInstance"]);

    // A conversion already done (e.g. by a destroy cut short after it) is not redone.
    cloud.config(&instance_hcl(
        "again",
        "ecs.g6.large",
        &format!("{prepaid}\n  force_delete = true"),
    ));
    cloud.apply();
    let again = id_of(&cloud, "ecs_instance.again");
    cloud.drift(&again, json!({"InstanceChargeType": "PostPaid"}));
    cloud.dir.tf_ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(cloud.instances().is_empty());
    assert_eq!(calls(&cloud, "ModifyInstanceChargeType", &again), 0);
    cloud.assert_rules_kept();
}

#[test]
fn deletion_protection_refuses_replace_at_plan_and_destroy_before_any_change() {
    let (cloud, id) = Cloud::with_web_instance();
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "deletion_protection"),
        false
    );
    cloud.drift(&id, json!({"DeletionProtection": true}));
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  system_disk_category = \"cloud_ssd\"",
    ));
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_eq!(plan.code, 1, "{text}");
    assert!(
        text.contains("Instance Is Protected From Deletion"),
        "{text}"
    );
    assert!(text.contains("DeletionProtection=false"), "{text}");
    // The attribute that forces the replacement, and the in-place way to keep the instance.
    assert!(
        text.contains("forced by the change of system_disk_category")
            && text.contains("a new instance is the only way"),
        "{text}"
    );

    cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
    let run = cloud.dir.tf(&["destroy", "-auto-approve", "-no-color"]);
    let text = flat(&run);
    assert_ne!(run.code, 0, "{text}");
    assert!(text.contains("deletion protection on"), "{text}");
    assert!(
        text.contains("run the same terraform command again")
            && !text.contains("terraform apply again"),
        "a destroy is not an apply: {text}"
    );
    assert_eq!(calls(&cloud, "DeleteInstance", &id), 0);
    assert_eq!(cloud.instances().len(), 1);

    // Turned off (the way out the message names), the destroy goes through.
    cloud.drift(&id, json!({"DeletionProtection": false}));
    cloud.dir.tf_ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(cloud.instances().is_empty());
    cloud.assert_rules_kept();
}

#[test]
fn a_provider_block_fed_by_a_resource_yet_to_be_created_plans_and_applies() {
    let mut cloud = Cloud::quick();
    // No region in the environment: an unknown region must not fall back to it, nor be
    // reported missing.
    cloud.dir.env("ALICLOUD_REGION", "");
    let hcl = |image: &str| {
        format!(
            r#"{REQUIRED_PROVIDERS}
provider "ecs" {{
  alias                 = "seed"
  region                = "cn-hangzhou"
  modification_cooldown = "1s"
}}

resource "ecs_instance" "other" {{
  provider      = ecs.seed
  image_id      = "{image}"
  instance_type = "ecs.g6.large"
  security_group_ids = ["sg-emulator-test"]
}}

provider "ecs" {{
  region                = replace(ecs_instance.other.zone_id, "/-[a-z]$/", "")
  modification_cooldown = "1s"
}}

{}"#,
            instance_hcl("app", "ecs.g6.large", "")
        )
    };
    cloud.dir.write("main.tf", &hcl(e2e_support::IMAGE));
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_eq!(plan.code, 2, "{text}");
    assert!(
        text.contains("Provider Configuration Not Known Yet"),
        "{text}"
    );
    assert!(text.contains("Plan: 2 to add"), "{text}");
    // The configured `seed` provider checks its new instance's type (one
    // DescribeInstanceTypes); the half-configured one calls nothing.
    let actions: Vec<String> = cloud
        .journal()
        .requests
        .iter()
        .map(|r| r.action.clone())
        .collect();
    assert_eq!(
        actions,
        ["DescribeInstanceTypes"],
        "no ECS call from half a configuration"
    );
    cloud.apply();
    assert_eq!(cloud.instances().len(), 2);
    cloud.assert_converged();

    // Unknown again while `app` exists: its read is skipped (and said so), not failed.
    // (A new image is changed in place; a new system disk category replaces `other`.)
    cloud.dir.write(
        "main.tf",
        &hcl(e2e_support::IMAGE).replace(
            "  provider      = ecs.seed\n",
            "  provider      = ecs.seed\n  system_disk_category = \"cloud_ssd\"\n",
        ),
    );
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_eq!(plan.code, 2, "{text}");
    assert!(text.contains("were not refreshed"), "{text}");
    assert!(
        text.contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{text}"
    );
}
