//! End to end: the life of an `ecs_instance` outside in-place changes: drift found and
//! repaired, an instance deleted behind Terraform's back, import, replacement on a new image,
//! and destroy.

mod e2e_support;
mod support;

use e2e_support::{id_of, instance_hcl, seed_instance, Cloud, IMAGE};
use serde_json::json;

#[test]
fn drift_is_planned_and_repaired() {
    let cloud = Cloud::quick();
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 5",
    ));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    cloud.drift(
        &id,
        json!({"InternetMaxBandwidthOut": 50, "InstanceType": "ecs.c6.large"}),
    );
    let plan = cloud.plan();
    assert_eq!(plan.code, 2, "{}", e2e_support::flat(&plan));
    cloud.apply();
    let inst = cloud.instance(&id);
    assert_eq!(inst["InstanceType"], "ecs.g6.large");
    assert_eq!(inst["InternetMaxBandwidthOut"], 5);
    assert_eq!(inst["Status"], "Running");
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn an_instance_deleted_out_of_band_is_planned_for_creation() {
    let (cloud, id) = Cloud::with_web_instance();
    assert_eq!(cloud.emu.delete(&format!("/_emulator/instances/{id}")), 204);
    let plan = cloud.plan();
    assert_eq!(plan.code, 2);
    assert!(
        e2e_support::flat(&plan).contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        e2e_support::flat(&plan)
    );
    cloud.apply();
    assert_ne!(id_of(&cloud, "ecs_instance.web"), id);
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn import_then_plan_shows_no_changes() {
    let cloud = Cloud::quick();
    seed_instance(
        &cloud,
        "i-imported",
        json!({"InstanceName": "legacy", "InternetMaxBandwidthOut": 3, "InstanceType": "ecs.c6.xlarge"}),
    );
    cloud.config(&instance_hcl("legacy", "ecs.c6.xlarge", ""));
    cloud
        .dir
        .tf_ok(&["import", "-no-color", "ecs_instance.legacy", "i-imported"]);
    assert_eq!(
        cloud.state_attr("ecs_instance.legacy", "internet_max_bandwidth_out"),
        3
    );
    assert_eq!(
        cloud.state_attr("ecs_instance.legacy", "instance_name"),
        "legacy"
    );
    cloud.assert_converged();
    let missing = cloud
        .dir
        .tf(&["import", "-no-color", "ecs_instance.other", "i-nope"]);
    assert_ne!(missing.code, 0);
    cloud.assert_rules_kept();
}

#[test]
fn an_image_change_keeps_the_instance() {
    let cloud = Cloud::quick();
    cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
    cloud.apply();
    let old = id_of(&cloud, "ecs_instance.web");
    let new_image = "ubuntu_22_04_x64_20G_alibase_20240901.vhd";
    cloud.config(&instance_hcl("web", "ecs.g6.large", "").replace(IMAGE, new_image));
    let plan = cloud.plan();
    let text = e2e_support::flat(&plan);
    assert_eq!(plan.code, 2, "{text}");
    assert!(!text.contains("must be replaced"), "{text}");
    assert!(
        text.contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{text}"
    );
    assert!(text.contains("everything on it is erased"), "{text}");
    cloud.apply();
    assert_eq!(id_of(&cloud, "ecs_instance.web"), old);
    assert_eq!(cloud.instances().len(), 1);
    assert_eq!(cloud.instance(&old)["ImageId"], new_image);
    assert_eq!(cloud.journal().count("ReplaceSystemDisk"), 1);
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn a_system_disk_category_change_replaces_the_instance() {
    let cloud = Cloud::quick();
    let body = "  system_disk_category = \"cloud_efficiency\"";
    cloud.config(&instance_hcl("web", "ecs.g6.large", body));
    cloud.apply();
    let old = id_of(&cloud, "ecs_instance.web");
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        &body.replace("cloud_efficiency", "cloud_essd"),
    ));
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("must be replaced"), "{text}");
    cloud.apply();
    assert_ne!(id_of(&cloud, "ecs_instance.web"), old);
    assert_eq!(cloud.instances().len(), 1);
    cloud.assert_converged();
}

#[test]
fn destroy_removes_everything() {
    let cloud = Cloud::quick();
    cloud.config(&format!(
        "{}{}",
        instance_hcl("a", "ecs.g6.large", ""),
        instance_hcl("b", "ecs.c6.large", "  status = \"Stopped\"")
    ));
    cloud.apply();
    assert_eq!(cloud.instances().len(), 2);
    cloud.dir.tf_ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(cloud.instances().is_empty(), "{:?}", cloud.instances());
    assert!(cloud.state_addresses().is_empty());
    cloud.assert_rules_kept();
}

#[test]
fn data_sources_list_types_and_resize_targets() {
    let cloud = Cloud::quick();
    cloud.config(&format!(
        "{}{}",
        instance_hcl("web", "ecs.g6.large", ""),
        r#"
data "ecs_instance_types" "four" {
  cpu          = 4
  architecture = "X86"
}

data "ecs_instance_type_modifications" "down" {
  instance_id    = ecs_instance.web.id
  operation_type = "Downgrade"
}

output "four" {
  value = data.ecs_instance_types.four.instance_types[*].id
}

output "down" {
  value = data.ecs_instance_type_modifications.down.instance_types[*].instance_type
}
"#
    ));
    cloud.apply();
    let out = cloud.dir.tf_ok(&["output", "-json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("output json");
    assert_eq!(
        v["four"]["value"],
        json!([
            "ecs.c6.xlarge",
            "ecs.g6.xlarge",
            "ecs.g7.xlarge",
            "ecs.r6.xlarge"
        ])
    );
    assert_eq!(v["down"]["value"], json!(["ecs.c6.large"]));
    cloud.assert_converged();
}
