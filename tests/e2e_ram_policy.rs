//! Least privilege, documented and proven: docs/guides/ram-policy.md lists every API action
//! the client calls (this test fails when the client gains one the guide lacks), and the
//! policy it documents is enough for create, import, resize (with the stop marker tags) and
//! destroy against the emulator enforcing it (`--ram-policy`); without one of its actions
//! the same resize is refused with Forbidden.RAM.

mod e2e_support;
mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use e2e_support::{flat, id_of, instance_hcl, seed_instance, Cloud};
use serde_json::{json, Value};

fn read(rel: &str) -> String {
    std::fs::read_to_string(support::project_root().join(rel)).expect(rel)
}

/// `service:Action` for every action the client's source calls.
fn client_actions() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (file, service, markers) in [
        (
            "src/ecs/client.rs",
            "ecs",
            &[
                "call_of(",
                "Call::new(",
                "key_pair_call(",
                "describe_one(",
                "const ACTION: &str =",
            ][..],
        ),
        ("src/ecs/credentials/sts.rs", "sts", &["role_call("][..]),
    ] {
        let text = read(file);
        for m in markers {
            for piece in text.split(m).skip(1) {
                let Some(rest) = piece.trim_start().strip_prefix('"') else {
                    continue;
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if !name.is_empty() {
                    out.insert(format!("{service}:{name}"));
                }
            }
        }
    }
    // AssumeRoleWithOIDC is anonymous: no permission of the caller.
    out.remove("sts:AssumeRoleWithOIDC");
    out
}

fn guide() -> String {
    read("docs/guides/ram-policy.md")
}

/// The guide's JSON policy.
fn documented_policy() -> Value {
    let g = guide();
    let start = g.find("```json").expect("a json block") + "```json".len();
    let end = start + g[start..].find("```").expect("its end");
    serde_json::from_str(&g[start..end]).expect("the policy is JSON")
}

fn allowed(policy: &Value) -> BTreeSet<String> {
    policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_guide_lists_every_action_the_client_calls() {
    let actions = client_actions();
    assert!(
        actions.contains("ecs:ModifyInstanceSpec") && actions.contains("sts:AssumeRole"),
        "{actions:?}"
    );
    let g = guide();
    let policy = allowed(&documented_policy());
    for a in &actions {
        assert!(
            g.contains(&format!("| `{a}` |")),
            "docs/guides/ram-policy.md has no row for {a}"
        );
        assert!(policy.contains(a), "the guide's policy does not allow {a}");
    }
    for a in &policy {
        assert!(
            actions.contains(a),
            "the guide's policy allows {a}, which the client never calls"
        );
    }
}

fn policy_file(policy: &Value) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.json");
    std::fs::write(&p, policy.to_string()).unwrap();
    (dir, p)
}

/// An emulator whose RAM policy is the documented one less `action`.
fn cloud_without(action: &str) -> (Cloud, tempfile::TempDir) {
    let mut policy = documented_policy();
    let actions: Vec<Value> = allowed(&policy)
        .into_iter()
        .filter(|a| a != action)
        .map(Value::String)
        .collect();
    policy["Statement"][0]["Action"] = Value::Array(actions);
    let (keep, path) = policy_file(&policy);
    let p = path.display().to_string();
    let cloud = Cloud::start(
        Duration::from_millis(300),
        Duration::from_secs(1),
        &["--ram-policy", &p],
    );
    (cloud, keep)
}

fn forbidden(cloud: &Cloud) -> Vec<String> {
    cloud.emu.get("/_emulator/journal")["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == "Forbidden.RAM")
        .map(|r| r["action"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_documented_policy_is_enough_for_create_import_resize_and_destroy() {
    let (_keep, path) = policy_file(&documented_policy());
    let p = path.display().to_string();
    let cloud = Cloud::start(
        Duration::from_millis(300),
        Duration::from_secs(1),
        &["--ram-policy", &p],
    );
    // Create.
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 5",
    ));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    // Import.
    seed_instance(&cloud, "i-imported", json!({"InstanceName": "legacy"}));
    let both = format!(
        "{}{}",
        instance_hcl("web", "ecs.g6.large", "  internet_max_bandwidth_out = 5"),
        instance_hcl("legacy", "ecs.g6.large", "  instance_name = \"legacy\"")
    );
    cloud.config(&both);
    cloud
        .dir
        .tf_ok(&["import", "-no-color", "ecs_instance.legacy", "i-imported"]);
    // Resize: stop marker tag, stop, modify, start, untag.
    cloud.config(&format!(
        "{}{}",
        instance_hcl("web", "ecs.g6.xlarge", "  internet_max_bandwidth_out = 10"),
        instance_hcl("legacy", "ecs.g6.large", "  instance_name = \"legacy\"")
    ));
    cloud.apply();
    assert_eq!(cloud.instance(&id)["InstanceType"], "ecs.g6.xlarge");
    let journal = cloud.journal();
    assert!(
        journal.count("TagResources") > 0 && journal.count("UntagResources") > 0,
        "the resize used no stop marker"
    );
    cloud.assert_converged();
    // Destroy.
    cloud.dir.tf_ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(cloud.instances().is_empty(), "{:?}", cloud.instances());
    assert_eq!(forbidden(&cloud), Vec::<String>::new());
}

#[test]
fn a_policy_without_the_tag_actions_refuses_the_resize_with_forbidden_ram() {
    let (cloud, _keep) = cloud_without("ecs:TagResources");
    cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    let run = cloud.dir.tf(&["apply", "-auto-approve", "-no-color"]);
    assert!(!run.success(), "{}", flat(&run));
    assert!(flat(&run).contains("Forbidden.RAM"), "{}", flat(&run));
    assert_eq!(forbidden(&cloud), ["TagResources"]);
    // Refused before the stop: the instance never went down.
    assert_eq!(cloud.instance(&id)["Status"], "Running");
}

#[test]
fn without_describe_vswitches_a_vswitch_move_is_planned_in_place_with_a_warning() {
    let (cloud, _keep) = cloud_without("ecs:DescribeVSwitches");
    let web = |vsw: &str| instance_hcl("web", "ecs.g6.large", &format!("  vswitch_id = \"{vsw}\""));
    cloud.config(&web("vsw-emu-h1"));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    // A vSwitch of another zone: ECS will refuse it, but the plan cannot tell.
    cloud.config(&web("vsw-emu-i1"));
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_eq!(plan.code, 2, "{text}");
    assert!(text.contains("Could Not Check vswitch_id"), "{text}");
    assert!(
        text.contains("0 to add, 1 to change, 0 to destroy"),
        "{text}"
    );
    assert_eq!(forbidden(&cloud), ["DescribeVSwitches"]);
    // The apply meets ECS's refusal in the stop window and starts the instance again.
    let run = cloud.dir.tf(&["apply", "-auto-approve", "-no-color"]);
    assert!(!run.success(), "{}", flat(&run));
    assert!(
        flat(&run).contains("InvalidVSwitchId.Mismatch"),
        "{}",
        flat(&run)
    );
    assert_eq!(cloud.instance(&id)["Status"], "Running");
}
