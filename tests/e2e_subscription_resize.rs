//! End to end, real Terraform 1.0.3 against the emulator (issue 21): subscription
//! (PrePaid) instances resized in place. An upgrade is ordered while the instance runs and
//! takes one restart; a downgrade stops it once and uses one of its three refunds, and the
//! fourth is refused at plan; bandwidth from 0 brings a public IP by itself; an unpaid
//! order is met before any stop and named.

mod e2e_support;
mod support;

use e2e_support::{id_of, instance_hcl, Cloud};
use serde_json::json;

const SMALL: &str = "ecs.g6.large";
const BIG: &str = "ecs.g6.xlarge";

/// A subscription instance `web` of `instance_type`, with `extra` HCL lines.
fn subscription(instance_type: &str, extra: &str) -> String {
    instance_hcl(
        "web",
        instance_type,
        &format!(
            "  instance_charge_type = \"PrePaid\"\n  period = 1\n  vswitch_id = \"vsw-emu-h1\"\n{extra}"
        ),
    )
}

/// A quick cloud with the subscription instance created; its id.
fn created(instance_type: &str, extra: &str) -> (Cloud, String) {
    let cloud = Cloud::quick();
    cloud.config(&subscription(instance_type, extra));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    (cloud, id)
}

/// Successful calls on `id` after `skip` of them (tag calls left out), by action.
fn calls_since(cloud: &Cloud, id: &str, skip: usize) -> Vec<String> {
    calls(cloud, id).into_iter().skip(skip).collect()
}

fn calls(cloud: &Cloud, id: &str) -> Vec<String> {
    cloud
        .journal()
        .requests
        .iter()
        .filter(|r| r.ok() && r.instance_id == id && !r.action.starts_with("Describe"))
        .filter(|r| !matches!(r.action.as_str(), "TagResources" | "UntagResources"))
        .map(|r| r.action.clone())
        .collect()
}

fn count(calls: &[String], action: &str) -> usize {
    calls.iter().filter(|c| *c == action).count()
}

fn position(calls: &[String], action: &str) -> usize {
    calls
        .iter()
        .position(|c| c == action)
        .unwrap_or_else(|| panic!("no {action} in {calls:?}"))
}

#[test]
fn a_running_subscription_is_upgraded_with_one_restart_after_the_order() {
    let (cloud, id) = created(SMALL, "");
    let before = calls(&cloud, &id).len();
    cloud.config(&subscription(BIG, ""));
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("Instance Will Be Restarted"), "{text}");
    assert!(text.contains("Subscription Type Change"), "{text}");
    assert!(!text.contains("Instance Will Be Stopped"), "{text}");
    cloud.apply();
    let after = calls_since(&cloud, &id, before);
    assert_eq!(count(&after, "ModifyPrepayInstanceSpec"), 1, "{after:?}");
    assert_eq!(count(&after, "RebootInstance"), 1, "{after:?}");
    assert_eq!(count(&after, "StopInstance"), 0, "{after:?}");
    assert_eq!(count(&after, "StartInstance"), 0, "{after:?}");
    assert!(
        position(&after, "ModifyPrepayInstanceSpec") < position(&after, "RebootInstance"),
        "{after:?}"
    );
    let j = cloud.journal();
    let order = j
        .requests
        .iter()
        .find(|r| r.action == "ModifyPrepayInstanceSpec")
        .expect("ordered");
    assert_eq!(order.param("OperatorType"), Some("upgrade"));
    assert_eq!(order.param("AutoPay"), Some("true"));
    // Down only for the restart: within the emulator's transitions (a start) and polling.
    let downs = j.downtimes(&id);
    assert_eq!(downs.len(), 1, "{downs:?}");
    assert!(downs[0] <= cloud.transition * 3, "{downs:?}");
    assert_eq!(cloud.instance(&id)["InstanceType"], BIG);
    assert_eq!(cloud.state_attr("ecs_instance.web", "instance_type"), BIG);
    cloud.assert_rules_kept();
    cloud.assert_converged();
}

#[test]
fn an_upgrade_with_status_stopped_takes_effect_at_the_next_start_and_the_plan_says_so() {
    let (cloud, id) = created(SMALL, "");
    cloud.config(&subscription(BIG, "  status = \"Stopped\"\n"));
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("takes effect at its next start"), "{text}");
    cloud.apply();
    let all = calls(&cloud, &id);
    assert!(
        position(&all, "ModifyPrepayInstanceSpec") < position(&all, "StopInstance"),
        "{all:?}"
    );
    assert_eq!(count(&all, "RebootInstance"), 0, "{all:?}");
    cloud.assert_converged();
    // The user's start (here: Terraform's) puts it in effect.
    cloud.config(&subscription(BIG, "  status = \"Running\"\n"));
    cloud.apply();
    assert_eq!(cloud.instance(&id)["InstanceType"], BIG);
    cloud.assert_rules_kept();
    cloud.assert_converged();
}

#[test]
fn a_downgrade_stops_once_and_the_plan_counts_the_refund() {
    let (cloud, id) = created(BIG, "");
    let before = calls(&cloud, &id).len();
    cloud.config(&subscription(SMALL, ""));
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("uses refund 1 of 3"), "{text}");
    assert!(text.contains("Instance Will Be Stopped"), "{text}");
    cloud.apply();
    let after = calls_since(&cloud, &id, before);
    assert_eq!(count(&after, "StopInstance"), 1, "{after:?}");
    assert_eq!(count(&after, "StartInstance"), 1, "{after:?}");
    assert_eq!(count(&after, "RebootInstance"), 0, "{after:?}");
    let order = position(&after, "ModifyPrepayInstanceSpec");
    assert!(position(&after, "StopInstance") < order, "{after:?}");
    assert!(order < position(&after, "StartInstance"), "{after:?}");
    assert_eq!(cloud.instance(&id)["InstanceType"], SMALL);
    cloud.assert_rules_kept();
    cloud.assert_converged();
}

#[test]
fn the_fourth_downgrade_is_refused_at_plan_with_the_way_out() {
    let (cloud, id) = created(BIG, "");
    for n in 1..=3 {
        cloud.config(&subscription(SMALL, ""));
        let text = e2e_support::flat(&cloud.plan());
        assert!(text.contains(&format!("uses refund {n} of 3")), "{text}");
        cloud.apply();
        cloud.config(&subscription(BIG, ""));
        cloud.apply();
    }
    let before = calls(&cloud, &id).len();
    cloud.config(&subscription(SMALL, ""));
    let run = cloud.plan();
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = e2e_support::flat(&run);
    assert!(text.contains("No Subscription Refund Left"), "{text}");
    assert!(text.contains("replace the instance"), "{text}");
    assert!(calls_since(&cloud, &id, before).is_empty());
    assert_eq!(cloud.instance(&id)["InstanceType"], BIG);
    cloud.assert_rules_kept();
}

#[test]
fn bandwidth_from_zero_brings_a_public_ip_without_allocating_one() {
    let (cloud, id) = created(SMALL, "");
    assert_eq!(
        cloud.instance(&id)["PublicIpAddress"]["IpAddress"],
        json!([])
    );
    cloud.config(&subscription(SMALL, "  internet_max_bandwidth_out = 10\n"));
    cloud.apply();
    let all = calls(&cloud, &id);
    assert_eq!(count(&all, "ModifyInstanceNetworkSpec"), 1, "{all:?}");
    assert_eq!(count(&all, "AllocatePublicIpAddress"), 0, "{all:?}");
    assert_eq!(count(&all, "StopInstance"), 0, "{all:?}");
    let j = cloud.journal();
    let spec = j
        .requests
        .iter()
        .find(|r| r.action == "ModifyInstanceNetworkSpec")
        .expect("sent");
    assert_eq!(spec.param("AllocatePublicIp"), None);
    let ip = cloud.instance(&id)["PublicIpAddress"]["IpAddress"][0].clone();
    assert!(ip.is_string(), "{ip}");
    assert_eq!(cloud.state_attr("ecs_instance.web", "public_ip"), ip);
    cloud.assert_rules_kept();
    cloud.assert_converged();
}

#[test]
fn an_unpaid_order_is_named_and_refuses_the_next_change_before_any_stop() {
    let (cloud, id) = created(SMALL, "");
    // A balance too low: the AutoPay order is left abnormal, and nothing changes.
    cloud
        .emu
        .post("/_emulator/account", &json!({"LowBalance": true}));
    cloud.config(&subscription(BIG, ""));
    let failed = cloud.dir.tf(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(failed.code, 0);
    let orders = cloud.emu.get("/_emulator/orders");
    let order = orders["Orders"][0]["OrderId"]
        .as_str()
        .expect("an order")
        .to_string();
    assert_eq!(orders["Orders"][0]["Status"], "Abnormal");
    let text = e2e_support::flat(&failed);
    assert!(text.contains("Subscription Order Not Paid"), "{text}");
    assert!(text.contains(&order), "{text}");
    assert_eq!(cloud.instance(&id)["InstanceType"], SMALL);
    assert_eq!(cloud.instance(&id)["Status"], "Running");
    // The next plan says so (ECS reads no orders back: a warning, not a refusal), and the
    // apply meets the open order with its first call, before any stop.
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("Unpaid Subscription Order"), "{text}");
    assert!(text.contains(&order), "{text}");
    let before = calls(&cloud, &id).len();
    let again = cloud.dir.tf(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(again.code, 0);
    let text = e2e_support::flat(&again);
    assert!(text.contains("Unpaid Order Blocks The Change"), "{text}");
    assert!(text.contains(&order), "{text}");
    assert!(text.contains("Nothing was stopped"), "{text}");
    let after = calls_since(&cloud, &id, before);
    assert_eq!(count(&after, "StopInstance"), 0, "{after:?}");
    assert_eq!(count(&after, "RebootInstance"), 0, "{after:?}");
    assert_eq!(cloud.instance(&id)["Status"], "Running");
    // The refused order left no pending-type tag behind.
    assert!(
        !cloud.instance(&id)["Tags"]
            .to_string()
            .contains("type-pending-restart"),
        "{}",
        cloud.instance(&id)
    );
    // Cancelled in the console (and the balance topped up): the next apply orders again.
    cloud
        .emu
        .post("/_emulator/account", &json!({"LowBalance": false}));
    cloud.emu.post(
        &format!("/_emulator/orders/{order}"),
        &json!({"Status": "Cancelled"}),
    );
    cloud.apply();
    assert_eq!(cloud.instance(&id)["InstanceType"], BIG);
    cloud.assert_rules_kept();
    cloud.assert_converged();
}

/// On accounts where ECS shows an ordered type at once (the emulator's
/// `--subscription-type-shown-early`), an apply killed between the order and the restart
/// leaves a running instance that DescribeInstances shows on the new type although it runs on
/// the old one: the state must not claim it, and the next apply restarts it once, without
/// ordering again.
#[test]
fn shown_early_and_killed_between_order_and_restart_the_next_apply_restarts_it() {
    let cloud = Cloud::start(
        std::time::Duration::from_millis(300),
        std::time::Duration::from_secs(1),
        &["--subscription-type-shown-early"],
    );
    cloud.config(&subscription(SMALL, ""));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    cloud.config(&subscription(BIG, ""));
    // The order is made; its answer is held while Terraform and the provider are killed.
    cloud.hook(json!({"Action": "ModifyPrepayInstanceSpec", "Phase": "after", "HoldMs": 3000}));
    let apply = cloud.spawn(&["apply", "-auto-approve", "-no-color"]);
    cloud.wait_for("the order", std::time::Duration::from_secs(60), |c| {
        c.hooks_fired() > 0
    });
    apply.signal(libc::SIGKILL);
    apply.wait();
    std::thread::sleep(std::time::Duration::from_millis(3500));
    assert_eq!(cloud.instance(&id)["InstanceType"], BIG, "shown early");
    assert_eq!(cloud.instance(&id)["Status"], "Running");
    // A refresh reads the type it runs with.
    cloud
        .dir
        .tf_ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(cloud.state_attr("ecs_instance.web", "instance_type"), SMALL);
    let before = calls(&cloud, &id).len();
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("Instance Will Be Restarted"), "{text}");
    cloud.apply();
    let after = calls_since(&cloud, &id, before);
    assert_eq!(count(&after, "RebootInstance"), 1, "{after:?}");
    assert_eq!(count(&after, "ModifyPrepayInstanceSpec"), 0, "{after:?}");
    assert_eq!(cloud.state_attr("ecs_instance.web", "instance_type"), BIG);
    cloud.assert_rules_kept();
    cloud.assert_converged();
}

#[test]
fn a_bandwidth_decrease_uses_a_refund_and_locks_the_bandwidth_until_the_next_cycle() {
    let (cloud, id) = created(SMALL, "  internet_max_bandwidth_out = 10\n");
    cloud.config(&subscription(SMALL, "  internet_max_bandwidth_out = 5\n"));
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("uses refund 1 of 3"), "{text}");
    assert!(text.contains("locks the bandwidth"), "{text}");
    cloud.apply();
    assert_eq!(cloud.instance(&id)["InternetMaxBandwidthOut"], 5);
    cloud.assert_converged();
    let before = calls(&cloud, &id).len();
    cloud.config(&subscription(SMALL, "  internet_max_bandwidth_out = 8\n"));
    let run = cloud.plan();
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = e2e_support::flat(&run);
    assert!(text.contains("Subscription Bandwidth Locked"), "{text}");
    assert!(calls_since(&cloud, &id, before).is_empty());
    cloud.assert_rules_kept();
}
