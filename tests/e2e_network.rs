//! End to end, real Terraform against the emulator: what happens to an instance's public IP.
//! Economical stops (`StoppedMode = StopCharging`, an account default on real ECS) release
//! it and the next start assigns another; raising the outbound bandwidth from 0 gives a
//! pay-as-you-go instance none by itself. Each test checks the plan's text, the API journal,
//! the seed's rules and that a second plan is empty.

mod e2e_support;
mod support;

use e2e_support::{flat, id_of, instance_hcl, Cloud};
use std::time::Duration;

const VPC: &str = "  vswitch_id = \"vsw-net\"\n";

fn quick(extra: &[&str]) -> Cloud {
    Cloud::start(
        Duration::from_millis(100),
        Duration::from_millis(500),
        extra,
    )
}

fn public_ip(cloud: &Cloud) -> Option<String> {
    cloud
        .state_attr("ecs_instance.web", "public_ip")
        .as_str()
        .map(String::from)
}

fn emulator_ips(cloud: &Cloud, id: &str) -> Vec<String> {
    cloud.instance(id)["PublicIpAddress"]["IpAddress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Mutating calls on `id` after its creation, with AllocatePublicIp shown.
fn after_create(cloud: &Cloud, id: &str) -> Vec<String> {
    let journal = cloud.journal();
    let calls: Vec<String> = journal
        .requests
        .iter()
        .filter(|r| r.ok() && r.instance_id == id && !r.action.starts_with("Describe"))
        // The stop marker's TagResources/UntagResources are bookkeeping, not changes.
        .filter(|r| !r.action.ends_with("agResources"))
        .map(|r| match r.param("AllocatePublicIp") {
            Some(v) => format!("{}(AllocatePublicIp={v})", r.action),
            None => r.describe(),
        })
        .collect();
    assert!(calls[0].starts_with("RunInstances"), "{calls:?}");
    calls[1..].to_vec()
}

fn stopped_modes(cloud: &Cloud) -> Vec<Option<String>> {
    cloud
        .journal()
        .requests
        .iter()
        .filter(|r| r.action == "StopInstance")
        .map(|r| r.param("StoppedMode").map(String::from))
        .collect()
}

#[test]
fn every_stop_names_keep_charging_so_an_economical_account_keeps_the_ip() {
    let cloud = quick(&["--default-stopped-mode", "StopCharging"]);
    let bandwidth = format!("{VPC}  internet_max_bandwidth_out = 5");
    cloud.config(&instance_hcl("web", "ecs.g6.large", &bandwidth));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    let before = public_ip(&cloud).expect("a public IP at creation");

    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", &bandwidth));
    cloud.apply();
    assert_eq!(
        after_create(&cloud, &id),
        [
            "StopInstance",
            "ModifyInstanceSpec(InstanceType=ecs.g6.xlarge)",
            "StartInstance"
        ]
    );
    assert_eq!(stopped_modes(&cloud), [Some("KeepCharging".to_string())]);
    assert_eq!(public_ip(&cloud), Some(before.clone()));
    assert_eq!(emulator_ips(&cloud, &id), [before]);
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn an_economical_stop_plans_public_ip_unknown_and_the_apply_takes_the_new_one() {
    let cloud = quick(&[]);
    let extra = format!("{VPC}  internet_max_bandwidth_out = 5\n  stopped_mode = \"StopCharging\"");
    cloud.config(&instance_hcl("web", "ecs.g6.large", &extra));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    let before = public_ip(&cloud).expect("a public IP at creation");

    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", &extra));
    let plan = cloud.plan();
    assert_eq!(plan.code, 2, "{}", flat(&plan));
    assert!(
        flat(&plan).contains("public_ip = \"47.96") && flat(&plan).contains("(known after apply)"),
        "{}",
        flat(&plan)
    );
    cloud.apply();
    assert_eq!(stopped_modes(&cloud), [Some("StopCharging".to_string())]);
    let after = public_ip(&cloud).expect("a public IP after the start");
    assert_ne!(after, before, "an economical stop releases the address");
    assert_eq!(emulator_ips(&cloud, &id), [after]);
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

/// Created stopped in economical mode: no address while down. Starting it later (an
/// unchanged configuration but `status = "Running"`) assigns a new one, which the plan must
/// have left unknown or Terraform reports an inconsistent result.
#[test]
fn an_instance_stopped_in_economical_mode_starts_with_a_new_ip() {
    let cloud = quick(&[]);
    let base = format!("{VPC}  internet_max_bandwidth_out = 5\n");
    let stopped = format!("{base}  status = \"Stopped\"\n  stopped_mode = \"StopCharging\"");
    cloud.config(&instance_hcl("web", "ecs.g6.large", &stopped));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    assert_eq!(cloud.state_attr("ecs_instance.web", "status"), "Stopped");
    assert_eq!(public_ip(&cloud), None, "released by the economical stop");
    assert_eq!(cloud.instance(&id)["StoppedMode"], "StopCharging");
    cloud.assert_converged();

    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        &format!("{base}  status = \"Running\""),
    ));
    let plan = cloud.plan();
    assert!(flat(&plan).contains("+ public_ip"), "{}", flat(&plan));
    cloud.apply();
    let ip = public_ip(&cloud).expect("a new public IP after the start");
    assert_eq!(emulator_ips(&cloud, &id), [ip]);
    cloud.assert_converged();
}

#[test]
fn raising_vpc_bandwidth_from_zero_allocates_a_public_ip_as_its_own_step() {
    let cloud = quick(&[]);
    cloud.config(&instance_hcl("web", "ecs.g6.large", VPC));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    assert_eq!(public_ip(&cloud), None);

    let raised = format!("{VPC}  internet_max_bandwidth_out = 10");
    cloud.config(&instance_hcl("web", "ecs.g6.large", &raised));
    let plan = cloud.plan();
    assert_eq!(plan.code, 2, "{}", flat(&plan));
    let text = flat(&plan);
    assert!(text.contains("+ public_ip = (known after apply)"), "{text}");
    assert!(!text.contains("Instance Will Be Stopped"), "{text}");
    cloud.apply();
    assert_eq!(
        after_create(&cloud, &id),
        [
            "ModifyInstanceNetworkSpec(InternetMaxBandwidthOut=10)",
            "ModifyInstanceNetworkSpec(AllocatePublicIp=true)"
        ]
    );
    let ip = public_ip(&cloud).expect("a public IP");
    assert_eq!(emulator_ips(&cloud, &id), [ip]);
    assert!(cloud.journal().downtimes(&id).is_empty());
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn raising_classic_bandwidth_from_zero_stops_allocates_and_starts() {
    let cloud = quick(&[]);
    let timeouts = "  timeouts {\n    update = \"60s\"\n  }\n";
    cloud.config(&instance_hcl("web", "ecs.g6.large", timeouts));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    assert_eq!(public_ip(&cloud), None);

    let raised = format!("{timeouts}  internet_max_bandwidth_out = 10");
    cloud.config(&instance_hcl("web", "ecs.g6.large", &raised));
    let plan = cloud.plan();
    assert_eq!(plan.code, 2, "{}", flat(&plan));
    let text = flat(&plan);
    assert!(
        text.contains(&format!(
            "will stop {id} to change internet_max_bandwidth_out 0 → 10 and allocate a public IP, then start it"
        )),
        "{text}"
    );
    cloud.apply();
    assert_eq!(
        after_create(&cloud, &id),
        [
            "StopInstance",
            "ModifyInstanceSpec(InternetMaxBandwidthOut=10)",
            "AllocatePublicIpAddress",
            "StartInstance"
        ]
    );
    let ip = public_ip(&cloud).expect("a public IP");
    assert_eq!(emulator_ips(&cloud, &id), [ip]);
    assert_eq!(cloud.journal().downtimes(&id).len(), 1);
    assert_eq!(cloud.state_attr("ecs_instance.web", "status"), "Running");
    cloud.assert_converged();
    cloud.assert_rules_kept();
}

#[test]
fn classic_bandwidth_from_zero_is_refused_at_plan_time_when_stopping_is_not_allowed() {
    let cloud = quick(&[]);
    let no_stop = "  allow_stopping_for_update = false\n";
    cloud.config(&instance_hcl("web", "ecs.g6.large", no_stop));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    let raised = format!("{no_stop}  internet_max_bandwidth_out = 10");
    cloud.config(&instance_hcl("web", "ecs.g6.large", &raised));
    let plan = cloud.plan();
    assert_eq!(plan.code, 1, "{}", flat(&plan));
    let text = flat(&plan);
    assert!(text.contains("Stopping Not Allowed"), "{text}");
    assert!(
        text.contains("raising internet_max_bandwidth_out from 0 to 10 on a classic-network instance requires stopping it"),
        "{text}"
    );
    assert!(text.contains("internet_max_bandwidth_out"), "{text}");
    assert_eq!(after_create(&cloud, &id), Vec::<String>::new());
}

/// ECS warns that an instance stopped in economical mode may not start again for lack of
/// stock. The apply says what happened and what to do, remembers the instance must run,
/// and the next apply (stock back) starts it with a new address.
#[test]
fn no_stock_after_an_economical_stop_is_explained_and_the_next_apply_starts_it() {
    let cloud = quick(&[]);
    let extra = format!("{VPC}  internet_max_bandwidth_out = 5\n  stopped_mode = \"StopCharging\"");
    cloud.config(&instance_hcl("web", "ecs.g6.large", &extra));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    cloud.drift(&id, serde_json::json!({"Flags": {"NoStock": true}}));

    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", &extra));
    let run = cloud.dir.tf(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(run.code, 0, "{}", flat(&run));
    let text = flat(&run);
    assert!(text.contains("OperationDenied.NoStock"), "{text}");
    assert!(
        text.contains("stopped in economical mode (StoppedMode = StopCharging)"),
        "{text}"
    );
    assert!(text.contains("Instance Left Stopped"), "{text}");
    assert_eq!(cloud.instance(&id)["Status"], "Stopped");

    cloud.drift(&id, serde_json::json!({"Flags": {"NoStock": false}}));
    cloud.apply();
    assert_eq!(cloud.instance(&id)["Status"], "Running");
    assert_eq!(cloud.instance(&id)["InstanceType"], "ecs.g6.xlarge");
    let ip = public_ip(&cloud).expect("a new address after the start");
    assert_eq!(emulator_ips(&cloud, &id), [ip]);
    cloud.assert_converged();
    cloud.assert_rules_kept();
}
