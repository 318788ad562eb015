//! End to end: applies cut short, and what the next apply makes of them. An instance the
//! provider stopped is started again whatever ended the apply (even SIGKILL of Terraform and
//! the provider, when nothing reaches the state file), a user's own stop stays theirs, the
//! restart flag ends once the instance runs, an apply never stops an instance its plan did not
//! say it would, and calls without a ClientToken are never sent twice after a lost answer.
//! The full step × ending table is `e2e_interrupt_matrix.rs`.

mod e2e_support;
mod support;

use e2e_support::{flat, id_of, instance_hcl, Cloud};
use serde_json::json;
use std::time::Duration;

const MARKER: &str = "terraform-provider-ecs:stopped-for-update";

fn has_marker(inst: &serde_json::Value) -> bool {
    inst["Tags"]["Tag"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| t["TagKey"] == MARKER)
}

#[test]
fn sigkill_while_stopping_is_started_again_by_the_next_apply() {
    let (cloud, id) = Cloud::with_web_instance();
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    // Stopping lasts 2 s: the kill lands while the instance stops.
    cloud.hook(json!({"Action": "StopInstance", "Phase": "after", "TransitionMs": 2000}));
    let apply = cloud.spawn(&["apply", "-auto-approve", "-no-color"]);
    cloud.wait_for("StopInstance", Duration::from_secs(60), |c| {
        c.hooks_fired() > 0
    });
    apply.signal(libc::SIGKILL);
    apply.wait();
    let inst = cloud.instance(&id);
    assert_eq!(inst["Status"], "Stopping");
    assert!(
        has_marker(&inst),
        "the marker went on before the stop: {inst:#}"
    );
    // Nothing reached the state file; the marker on the instance tells the next plan.
    let run = cloud.apply();
    let inst = cloud.instance(&id);
    assert_eq!(inst["Status"], "Running", "{}", run.stdout);
    assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
    assert!(!has_marker(&inst), "removed after the start: {inst:#}");
    assert_eq!(cloud.state_attr("ecs_instance.web", "status"), "Running");
    assert_eq!(cloud.state_attr("ecs_instance.web", "cpu"), inst["Cpu"]);
    cloud.assert_converged();
    let journal = cloud.journal();
    assert_eq!(journal.applied(&id, "InstanceType"), 1);
    journal.assert_no_power_call_sent_twice();
    cloud.assert_rules_kept();
}

#[test]
fn ctrl_c_while_stopping_starts_the_instance_again_before_terraform_exits() {
    let (cloud, id) = Cloud::with_web_instance();
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    cloud.hook(json!({"Action": "StopInstance", "Phase": "after", "TransitionMs": 2000}));
    let apply = cloud.spawn(&["apply", "-auto-approve", "-no-color"]);
    cloud.wait_for("StopInstance", Duration::from_secs(60), |c| {
        c.hooks_fired() > 0
    });
    apply.signal(libc::SIGINT);
    let run = apply.wait();
    assert_ne!(run.code, 0);
    let text = flat(&run);
    // No second apply: it runs again, on its old type, unmarked, and the state says so.
    let inst = cloud.instance(&id);
    assert_eq!(inst["Status"], "Running", "{text}");
    assert_eq!(inst["InstanceType"], "ecs.g6.large");
    assert!(!has_marker(&inst), "{inst:#}");
    assert_eq!(cloud.state_attr("ecs_instance.web", "status"), "Running");
    assert!(
        text.contains("Update Interrupted: started again on ecs.g6.large"),
        "{text}"
    );
    assert!(text.contains("Type change not made"), "{text}");
    assert!(!text.contains("Left Stopped"), "{text}");
    // The next apply does the resize; nothing was applied twice.
    cloud.apply();
    assert_eq!(cloud.instance(&id)["InstanceType"], "ecs.g6.xlarge");
    cloud.assert_converged();
    cloud.journal().assert_no_power_call_sent_twice();
}

#[test]
fn a_users_own_stop_with_status_unset_stays_theirs() {
    let (cloud, id) = Cloud::with_web_instance();
    cloud.drift(&id, json!({"Status": "Stopped"}));
    cloud.assert_converged();
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    cloud.apply();
    let inst = cloud.instance(&id);
    assert_eq!(inst["Status"], "Stopped");
    assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
    assert!(cloud
        .journal()
        .mutations(&id)
        .iter()
        .all(|m| m != "StartInstance"));
}

#[test]
fn the_restart_flag_ends_once_the_instance_runs() {
    let (cloud, id) = Cloud::with_web_instance();
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    // SIGKILL once the type has changed: it is left stopped, and the marker flags it.
    cloud.hook(json!({"Action": "ModifyInstanceSpec", "Phase": "after", "HoldMs": 3000}));
    let apply = cloud.spawn(&["apply", "-auto-approve", "-no-color"]);
    cloud.wait_for("ModifyInstanceSpec", Duration::from_secs(60), |c| {
        c.hooks_fired() > 0
    });
    apply.signal(libc::SIGKILL);
    apply.wait();
    assert_eq!(cloud.instance(&id)["Status"], "Stopped");
    let plan = cloud.plan();
    assert!(
        plan.code == 2,
        "the flag makes the next plan start it:\n{}",
        plan.stdout
    );
    // The user starts it by hand and refreshes; then stops it by hand, on purpose.
    cloud.drift(&id, json!({"Status": "Running"}));
    cloud
        .dir
        .tf_ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    cloud.drift(&id, json!({"Status": "Stopped"}));
    let plan = cloud.plan();
    assert_eq!(
        plan.code, 0,
        "a stale restart flag (or marker) must not start what the user stopped:\n{}",
        plan.stdout
    );
}

#[test]
fn apply_refuses_a_stop_its_plan_did_not_show() {
    let (cloud, id) = Cloud::with_web_instance();
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    for saved_plan in [true, false] {
        // Terraform last saw the instance stopped (by the user): a type change needs no stop.
        cloud.drift(&id, json!({"Status": "Stopped"}));
        cloud
            .dir
            .tf_ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
        if saved_plan {
            cloud.dir.tf_ok(&["plan", "-out=tfplan", "-no-color"]);
        }
        // Started by hand before the apply, which does not refresh.
        cloud.drift(&id, json!({"Status": "Running"}));
        let run = if saved_plan {
            cloud.dir.tf(&["apply", "-no-color", "tfplan"])
        } else {
            cloud
                .dir
                .tf(&["apply", "-auto-approve", "-refresh=false", "-no-color"])
        };
        assert_ne!(run.code, 0, "saved plan {saved_plan}: {}", run.stdout);
        let text = flat(&run);
        assert!(text.contains("Instance Changed Since The Plan"), "{text}");
        assert!(text.contains("Run terraform plan again"), "{text}");
        let inst = cloud.instance(&id);
        assert_eq!(inst["Status"], "Running", "never stopped silently");
        assert_eq!(inst["InstanceType"], "ecs.g6.large");
    }
    assert!(cloud
        .journal()
        .mutations(&id)
        .iter()
        .all(|m| m != "StopInstance"));
    // A fresh plan announces the stop, and applying it works.
    let plan = cloud.plan();
    assert!(
        flat(&plan).contains("Instance Will Be Stopped"),
        "{}",
        plan.stdout
    );
    cloud.apply();
    assert_eq!(cloud.instance(&id)["InstanceType"], "ecs.g6.xlarge");
}

#[test]
fn lost_answers_never_send_stop_or_start_twice() {
    let cloud = Cloud::flaky(0.2, 0.2);
    let fleet = |t: &str| -> String {
        (0..3)
            .map(|n| instance_hcl(&format!("n{n}"), t, ""))
            .collect()
    };
    cloud.config(&fleet("ecs.g6.large"));
    cloud.apply();
    // Besides the random faults: the first answer to each power call is surely lost.
    for action in ["StopInstance", "StartInstance"] {
        cloud.hook(json!({"Action": action, "Phase": "after", "Drop": true}));
    }
    cloud.config(&fleet("ecs.g6.xlarge"));
    cloud.apply();
    assert_eq!(cloud.hooks_fired(), 2);
    for n in 0..3 {
        let id = id_of(&cloud, &format!("ecs_instance.n{n}"));
        let inst = cloud.instance(&id);
        assert_eq!(inst["Status"], "Running");
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
        assert!(!has_marker(&inst));
    }
    let journal = cloud.journal();
    journal.assert_no_power_call_sent_twice();
    journal.assert_rules(cloud.cooldown);
    cloud.assert_converged();
}

/// What changed between `terraform plan -out` and `terraform apply PLANFILE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Since {
    Type,
    Bandwidth,
    Power,
    Deleted,
}

/// One cell of the saved-plan matrix: an instance in power state `power` (status unset), a
/// saved plan that shows only `internet_max_bandwidth_out = 30 -> 40`, then `since` changes
/// outside Terraform, then `terraform apply PLANFILE`. What it sent (the emulator's journal)
/// must be nothing the plan did not show; the outcome for the table.
fn saved_plan_cell(power: &str, since: Since) -> Result<String, String> {
    let cloud = Cloud::quick();
    let hcl = |out: u32| {
        instance_hcl(
            "web",
            "ecs.g6.large",
            &format!("  internet_max_bandwidth_out = {out}"),
        )
    };
    cloud.config(&hcl(30));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    if power == "Stopped" {
        cloud.drift(&id, json!({"Status": "Stopped"}));
        cloud
            .dir
            .tf_ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    }
    cloud.config(&hcl(40));
    let plan = cloud.dir.tf_ok(&["plan", "-out=tfplan", "-no-color"]);
    if !plan
        .stdout
        .contains("internet_max_bandwidth_out = 30 -> 40")
        || plan.stdout.contains("instance_type  ")
        || plan.stdout.contains("Instance Will Be Stopped")
    {
        return Err(format!(
            "the plan shows more than the bandwidth:\n{}",
            plan.stdout
        ));
    }
    match since {
        Since::Type => cloud.drift(&id, json!({"InstanceType": "ecs.g6.xlarge"})),
        Since::Bandwidth => cloud.drift(&id, json!({"InternetMaxBandwidthOut": 50})),
        Since::Power => {
            let flipped = if power == "Running" {
                "Stopped"
            } else {
                "Running"
            };
            cloud.drift(&id, json!({"Status": flipped}));
        }
        Since::Deleted => {
            cloud.emu.delete(&format!("/_emulator/instances/{id}"));
        }
    }
    let before = cloud.journal().requests.len();
    let run = cloud.dir.tf(&["apply", "-no-color", "tfplan"]);
    let text = flat(&run);
    let sent: Vec<String> = cloud.journal().requests[before..]
        .iter()
        .filter(|r| r.ok() && !r.action.starts_with("Describe"))
        .map(|r| r.describe())
        .collect();
    let shown = "ModifyInstanceSpec(InternetMaxBandwidthOut=40)";
    if let Some(extra) = sent.iter().find(|s| *s != shown) {
        return Err(format!(
            "sent {extra}, which the plan did not show ({sent:?}):\n{text}"
        ));
    }
    match since {
        // The change the plan showed, made from 50 instead of 30: nothing more.
        Since::Bandwidth => {
            if run.code != 0 || sent.len() != 1 {
                return Err(format!("sent {sent:?}:\n{text}"));
            }
            Ok("applied as shown".into())
        }
        Since::Deleted => {
            if run.code == 0 || !text.contains("no longer exists: it was deleted outside Terraform since Terraform last read it (before this run, if it used -refresh=false or a saved plan") {
                return Err(format!("a deleted instance:\n{text}"));
            }
            Ok("refused, nothing sent".into())
        }
        Since::Type | Since::Power => {
            let named = if since == Since::Type {
                "change instance_type to ecs.g6.large".to_string()
            } else if power == "Running" {
                "start it".to_string()
            } else {
                "stop it".to_string()
            };
            if run.code == 0
                || !sent.is_empty()
                || !text.contains("Instance Changed Since The Plan")
                || !text.contains(&named)
                || !text.contains("Run terraform plan again")
            {
                return Err(format!(
                    "expected a refusal naming \"{named}\", sent {sent:?}:\n{text}"
                ));
            }
            Ok(format!("refused: {named}"))
        }
    }
}

#[test]
fn a_saved_plan_sends_nothing_it_did_not_show_whatever_changed_in_any_power_state() {
    let cells: Vec<(&str, Since)> = ["Running", "Stopped"]
        .iter()
        .flat_map(|p| {
            [Since::Type, Since::Bandwidth, Since::Power, Since::Deleted]
                .into_iter()
                .map(move |s| (*p, s))
        })
        .collect();
    let queue = std::sync::Mutex::new(cells);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let Some((power, since)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let outcome = std::panic::catch_unwind(|| saved_plan_cell(power, since))
                    .unwrap_or_else(|_| Err("panicked (see above)".into()));
                results.lock().unwrap().push((power, since, outcome));
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut failures = Vec::new();
    for (power, since, outcome) in &results {
        println!("{power:<8} {since:<10?} {outcome:?}");
        if let Err(e) = outcome {
            failures.push(format!("{power} x {since:?}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
