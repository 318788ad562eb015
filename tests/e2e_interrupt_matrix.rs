//! The interruption matrix: every step of the resize sequence × every way an apply can end.
//!
//! One instance goes from ecs.g6.large / 5 Mbit/s to ecs.g6.xlarge / 10 Mbit/s, which the
//! planner sequences as Stop → ModifyType → Start → WaitUntil (cooldown) → ModifyBandwidth.
//! For each step, the apply is cut short there by
//! - **Ctrl-C**: SIGINT to Terraform's process group (Terraform sends the Stop RPC),
//! - **timeout**: `timeouts.update` runs out at that step,
//! - **lost connection**: the API stops answering (the emulator drops every request),
//! - **SIGKILL** of Terraform and the provider (nothing written to state),
//!
//! using the emulator's test hooks to land exactly on the step. A Ctrl-C must leave the
//! instance Running before Terraform exits, with no second apply (the provider starts again what
//! it stopped, within its grace time), and say in one diagnostic how it was left. Then
//! `terraform apply` runs again, and each cell checks: the instance ends with the new type and bandwidth, Running;
//! each modification was applied once; no StopInstance/StartInstance was sent to an instance
//! already on its way; the seed's rules hold; the next plan is empty; and the state Terraform
//! kept is truthful (never Running for a stopped instance, never the old type's cpu/memory).
//! The table of outcomes is printed.
//!
//! The matrix runs three times: for `ecs_instance` (an instance Terraform created), for
//! `ecs_instance_spec` updating an instance it adopted (created out of band, through the
//! emulator's admin API), and for `ecs_instance_spec` interrupted while adopting (the resize
//! is the adoption itself). The spec runs the same engine and must give the same guarantees.
//!
//! A fourth run covers issue 16's in-place steps ([`IN_PLACE`]): one `ecs_instance` change
//! each (image → ReplaceSystemDisk in a stop window, vSwitch/private IP →
//! ModifyInstanceVpcAttribute in one, key pair → AttachKeyPair, description →
//! ModifyInstanceAttribute, system disk size → ResizeDisk online, password → its
//! RebootInstance), and issue 21's renewal of a subscription (auto_renew →
//! ModifyInstanceAutoRenewAttribute), cut short at that call by the same four endings, with the same checks:
//! the change effective after the next apply (the guest's view for key and password), each
//! call applied once, an empty plan, and a Ctrl-C leaving the instance Running.
//!
//! Issue 21 adds two rows for a subscription instance's type upgrade: cut short at its
//! ModifyPrepayInstanceSpec (the order, sent while the instance runs) and at the
//! RebootInstance that puts it in effect. A SIGKILL between the two leaves the order pending:
//! the next apply restarts the instance without ordering again, and the state never claims
//! the new type before it is in effect.

mod e2e_support;
mod support;

use e2e_support::{flat, id_of, instance_hcl, seed_instance, Cloud, IMAGE};
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::Duration;
use support::TfRun;

const FROM: &str = "ecs.g6.large";
const TO: &str = "ecs.g6.xlarge";
/// The cooldown: long enough to interrupt during the wait, short enough to be quick.
const COOLDOWN: Duration = Duration::from_secs(3);
const TRANSITION: Duration = Duration::from_millis(300);
/// `timeouts.update` for the timeout cells; the hooks below make the chosen step outlast it.
const SHORT_TIMEOUT_S: u64 = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Stop,
    ModifyType,
    Start,
    WaitUntil,
    ModifyBandwidth,
    // Issue 16's in-place steps (rows of [`IN_PLACE`]).
    ReplaceSystemDisk,
    VpcAttribute,
    KeyPair,
    Attribute,
    ResizeDisk,
    Reboot,
    // Issue 21: a subscription's renewal setting.
    AutoRenew,
    // Issue 21: a subscription upgrade, its order and its restart.
    PrepayOrder,
    PrepayRestart,
}

/// One in-place step: the call it makes (where the hook lands), the text replacements that
/// turn [`in_place_hcl`]'s instance into the one wanting that change, and the calls that must
/// be applied exactly once over the interrupted apply and the next.
struct InPlace {
    step: Step,
    action: &'static str,
    change: &'static [(&'static str, &'static str)],
    /// Lines the row's instance has besides [`in_place_hcl`]'s (before and after).
    extra: &'static str,
    once: &'static [&'static str],
    /// Of `once`, the calls an ending may make the next apply send again (at most twice in
    /// all), because nothing can tell it they were done:
    /// - SIGKILL: Terraform keeps no state, and a password cannot be read back from the API;
    /// - a lost connection on RebootInstance: no ClientToken, its answer lost and the API
    ///   unreachable until the apply gave up. A restart that may be missing is made again
    ///   (one restart too many rather than a password never in effect).
    may_repeat: &'static [(Ending, &'static str)],
}

const OTHER_IMAGE: &str = "ubuntu_22_04_x64_20G_alibase_20240101.vhd";

const IN_PLACE: [InPlace; 9] = [
    InPlace {
        step: Step::ReplaceSystemDisk,
        action: "ReplaceSystemDisk",
        change: &[(IMAGE, OTHER_IMAGE)],
        extra: "",
        once: &["ReplaceSystemDisk"],
        may_repeat: &[],
    },
    InPlace {
        step: Step::VpcAttribute,
        action: "ModifyInstanceVpcAttribute",
        change: &[("vsw-emu-h1", "vsw-emu-h2"), ("172.16.1.10", "172.16.2.20")],
        extra: "",
        once: &["ModifyInstanceVpcAttribute"],
        may_repeat: &[],
    },
    InPlace {
        step: Step::KeyPair,
        action: "AttachKeyPair",
        change: &[("emu-key-a", "emu-key-b")],
        extra: "",
        once: &["AttachKeyPair", "RebootInstance"],
        may_repeat: &[],
    },
    InPlace {
        step: Step::Attribute,
        action: "ModifyInstanceAttribute",
        change: &[("\"before\"", "\"after\"")],
        extra: "",
        once: &["ModifyInstanceAttribute"],
        may_repeat: &[],
    },
    InPlace {
        step: Step::ResizeDisk,
        action: "ResizeDisk",
        change: &[("system_disk_size   = 40", "system_disk_size   = 60")],
        extra: "",
        once: &["ResizeDisk"],
        may_repeat: &[],
    },
    InPlace {
        step: Step::Reboot,
        action: "RebootInstance",
        change: &[("Old-pass-1", "New-pass-2")],
        extra: "",
        once: &["ModifyInstanceAttribute", "RebootInstance"],
        may_repeat: &[
            (Ending::Kill, "ModifyInstanceAttribute"),
            (Ending::Kill, "RebootInstance"),
            (Ending::LostConnection, "RebootInstance"),
        ],
    },
    // A subscription (the other rows' instances are pay-as-you-go): auto-renewal turned on,
    // one ModifyInstanceAutoRenewAttribute, no stop. It carries absolute values and is read
    // back, so even after SIGKILL the next apply does not send it again.
    InPlace {
        step: Step::AutoRenew,
        action: "ModifyInstanceAutoRenewAttribute",
        change: &[(
            "auto_renew = false",
            "auto_renew = true\n  auto_renew_period = 6",
        )],
        extra: "  instance_charge_type = \"PrePaid\"\n  period = 1\n  auto_renew = false\n",
        once: &["ModifyInstanceAutoRenewAttribute"],
        may_repeat: &[],
    },
    InPlace {
        step: Step::PrepayOrder,
        action: "ModifyPrepayInstanceSpec",
        change: &[("\"ecs.g6.large\"", "\"ecs.g6.xlarge\"")],
        extra: "  instance_charge_type = \"PrePaid\"\n  period = 1\n",
        once: &["ModifyPrepayInstanceSpec", "RebootInstance"],
        may_repeat: &[],
    },
    InPlace {
        step: Step::PrepayRestart,
        action: "RebootInstance",
        change: &[("\"ecs.g6.large\"", "\"ecs.g6.xlarge\"")],
        extra: "  instance_charge_type = \"PrePaid\"\n  period = 1\n",
        once: &["ModifyPrepayInstanceSpec", "RebootInstance"],
        // As for the password's restart: a reboot whose answer was lost (or an apply
        // killed before it could say) may be made again, never the order.
        may_repeat: &[
            (Ending::Kill, "RebootInstance"),
            (Ending::LostConnection, "RebootInstance"),
        ],
    },
];

impl Step {
    fn in_place(self) -> Option<&'static InPlace> {
        IN_PLACE.iter().find(|r| r.step == self)
    }
}

/// The instance of the in-place rows (VPC, a key, a password), `changed` or not.
fn in_place_hcl(row: &InPlace, update_timeout: &str, changed: bool) -> String {
    let body = format!(
        r#"{}  vswitch_id         = "vsw-emu-h1"
  private_ip         = "172.16.1.10"
  password           = "Old-pass-1"
  key_name           = "emu-key-a"
  description        = "before"
  system_disk_size   = 40
  internet_max_bandwidth_out = 5
  timeouts {{
    update = "{update_timeout}"
  }}"#,
        row.extra
    );
    let mut text = instance_hcl("web", FROM, &body);
    if changed {
        for (from, to) in row.change {
            assert!(text.contains(from), "{from} in {text}");
            text = text.replace(from, to);
        }
    }
    text
}

/// Whether the in-place change is in effect (the guest's view for key and password).
fn check_effective(cloud: &Cloud, row: &InPlace, id: &str) -> Result<(), String> {
    let inst = cloud.instance(id);
    let guest = cloud.guest(id);
    let state = |a: &str| cloud.state_attr("ecs_instance.web", a);
    let ok = match row.step {
        Step::ReplaceSystemDisk => inst["ImageId"] == OTHER_IMAGE,
        Step::VpcAttribute => {
            state("vswitch_id") == "vsw-emu-h2" && state("private_ip") == "172.16.2.20"
        }
        Step::KeyPair => guest["Effective"]["KeyPairName"] == "emu-key-b",
        Step::Attribute => inst["Description"] == "after",
        Step::ResizeDisk => state("system_disk_size") == 60,
        Step::Reboot => {
            guest["Effective"]["PasswordHash"] == Cloud::password_hash(id, "New-pass-2")
        }
        // Read back by the second apply's refresh (DescribeInstanceAutoRenewAttribute).
        Step::AutoRenew => state("auto_renew") == true && state("auto_renew_period") == 6,
        Step::PrepayOrder | Step::PrepayRestart => {
            inst["InstanceType"] == TO && state("instance_type") == TO
        }
        _ => unreachable!("not an in-place row"),
    };
    if !ok || inst["Status"] != "Running" || guest["PendingRestart"] != false {
        return Err(format!("{:?} not in effect: {inst:#}\n{guest:#}", row.step));
    }
    Ok(())
}

/// Successful `action` calls on `id` in `requests`, not counting ClientToken replays.
fn applied_calls(requests: &[e2e_support::Request], id: &str, action: &str) -> usize {
    requests
        .iter()
        .enumerate()
        .filter(|(_, r)| r.ok() && r.action == action && r.instance_id == id)
        .filter(|(i, r)| {
            let token = r.param("ClientToken");
            !requests[..*i]
                .iter()
                .any(|p| p.ok() && token.is_some() && p.param("ClientToken") == token)
        })
        .count()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    CtrlC,
    Timeout,
    LostConnection,
    Kill,
}

const STEPS: [Step; 5] = [
    Step::Stop,
    Step::ModifyType,
    Step::Start,
    Step::WaitUntil,
    Step::ModifyBandwidth,
];
const IN_PLACE_STEPS: [Step; 7] = [
    Step::ReplaceSystemDisk,
    Step::VpcAttribute,
    Step::KeyPair,
    Step::Attribute,
    Step::ResizeDisk,
    Step::Reboot,
    Step::AutoRenew,
];
const SUBSCRIPTION_STEPS: [Step; 2] = [Step::PrepayOrder, Step::PrepayRestart];
const ENDINGS: [Ending; 4] = [
    Ending::CtrlC,
    Ending::Timeout,
    Ending::LostConnection,
    Ending::Kill,
];

/// What the matrix resizes: an instance Terraform created, or one created out of band and
/// adopted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subject {
    Instance,
    /// An update of an adopted instance.
    Spec,
    /// The adoption itself resizes the instance.
    Adoption,
}

/// The instance id the out-of-band instance of [`Subject::Spec`] gets.
const ADOPTED_ID: &str = "i-adopted00001";

impl Subject {
    fn address(self) -> &'static str {
        match self {
            Subject::Instance => "ecs_instance.web",
            Subject::Spec | Subject::Adoption => "ecs_instance_spec.web",
        }
    }

    /// The configuration for `step`'s row, before (`changed` false) or after the change.
    fn config(self, step: Step, update_timeout: &str, changed: bool) -> String {
        match step.in_place() {
            Some(row) => in_place_hcl(row, update_timeout, changed),
            None if changed => self.resource(update_timeout, 10, TO),
            None => self.resource(update_timeout, 5, FROM),
        }
    }

    fn resource(self, update_timeout: &str, out: u32, instance_type: &str) -> String {
        // An adoption runs under timeouts.create.
        let create = if self == Subject::Adoption {
            format!("    create = \"{update_timeout}\"\n")
        } else {
            String::new()
        };
        let extra = format!(
            "  internet_max_bandwidth_out = {out}\n  timeouts {{\n{create}    update = \"{update_timeout}\"\n  }}"
        );
        match self {
            Subject::Instance => instance_hcl("web", instance_type, &extra),
            Subject::Spec | Subject::Adoption => format!(
                "resource \"ecs_instance_spec\" \"web\" {{\n  instance_id   = \"{ADOPTED_ID}\"\n  instance_type = \"{instance_type}\"\n{extra}\n}}\n"
            ),
        }
    }
}

/// The hook that makes the apply reach `step` and stay there long enough to be interrupted
/// (or, for timeouts, long enough to run out of time). `None`: the step is found by watching
/// the instance (the cooldown wait makes no call).
fn hook_for(step: Step, ending: Ending) -> Option<Value> {
    let lost = ending == Ending::LostConnection;
    let timeout = ending == Ending::Timeout;
    let blackout = if lost { 4000 } else { 0 };
    match step {
        Step::Stop => Some(json!({
            "Action": "StopInstance", "Phase": "after",
            "TransitionMs": if timeout { 8000 } else { 2000 },
            "Drop": lost, "BlackoutMs": blackout,
        })),
        Step::Start => Some(json!({
            "Action": "StartInstance", "Phase": "after",
            "TransitionMs": if timeout { 8000 } else { 2000 },
            "Drop": lost, "BlackoutMs": blackout,
        })),
        Step::ModifyType | Step::ModifyBandwidth => {
            let skip = u32::from(step == Step::ModifyBandwidth);
            Some(if lost {
                json!({"Action": "ModifyInstanceSpec", "Skip": skip, "Phase": "after",
                       "Drop": true, "BlackoutMs": blackout})
            } else {
                json!({"Action": "ModifyInstanceSpec", "Skip": skip, "Phase": "before",
                       "HoldMs": if timeout { 7000 } else { 1500 }})
            })
        }
        // Timeout in the wait: the stop takes so long that the cooldown wait would end
        // after the deadline (the plan, which assumes instant steps, still fits).
        Step::WaitUntil if timeout => Some(json!({
            "Action": "StopInstance", "Phase": "after", "TransitionMs": 4000,
        })),
        Step::WaitUntil => None,
        // The reboot is a power call: the instance stays Starting for a while.
        Step::Reboot | Step::PrepayRestart => Some(json!({
            "Action": "RebootInstance", "Phase": "after",
            "TransitionMs": if timeout { 8000 } else { 2000 },
            "Drop": lost, "BlackoutMs": blackout,
        })),
        _ => {
            let action = step.in_place().expect("an in-place row").action;
            Some(if lost {
                json!({"Action": action, "Phase": "after", "Drop": true, "BlackoutMs": blackout})
            } else {
                json!({"Action": action, "Phase": "before",
                       "HoldMs": if timeout { 7000 } else { 1500 }})
            })
        }
    }
}

/// Whether the instance is up again after our start (the cooldown wait has begun).
fn started_again(cloud: &Cloud, id: &str) -> bool {
    let j = cloud.journal();
    let start = j
        .requests
        .iter()
        .any(|r| r.action == "StartInstance" && r.ok() && r.instance_id == id);
    start && cloud.instance(id)["Status"] == "Running"
}

/// What the state says must not contradict the instance.
fn check_state_truthful(
    cloud: &Cloud,
    subject: Subject,
    id: &str,
    when: &str,
) -> Result<(), String> {
    let inst = cloud.instance(id);
    if subject == Subject::Adoption
        && !cloud
            .state_addresses()
            .iter()
            .any(|a| a == subject.address())
    {
        // An adoption cut short may leave nothing in state: nothing claimed, nothing false.
        return Ok(());
    }
    let status = cloud.state_attr(subject.address(), "status");
    let settled = match inst["Status"].as_str().unwrap_or_default() {
        "Stopping" | "Stopped" => "Stopped",
        _ => "Running",
    };
    if settled == "Stopped" && status == "Running" {
        return Err(format!(
            "{when}: state says Running, the instance is {}",
            inst["Status"]
        ));
    }
    // Never the new type before it is in effect (a subscription's ordered type waits for
    // the restart; DescribeInstances shows the type in effect).
    let claimed = cloud.state_attr(subject.address(), "instance_type");
    if settled == "Running" && inst["InstanceType"] == FROM && claimed == TO {
        return Err(format!(
            "{when}: state claims {TO}, the running instance is on {FROM}"
        ));
    }
    if inst["InstanceType"] != FROM {
        for (attr, real) in [("cpu", &inst["Cpu"]), ("memory", &inst["Memory"])] {
            let kept = cloud.state_attr(subject.address(), attr);
            if !kept.is_null() && kept != *real {
                return Err(format!(
                    "{when}: state {attr} = {kept} after the type change to {} ({real})",
                    inst["InstanceType"]
                ));
            }
        }
    }
    Ok(())
}

/// After a Ctrl-C, with no second apply: the instance runs (on the new type if the type
/// change was made, the old one otherwise), carries no stop marker, the state says Running, and
/// the apply's output has one diagnostic saying how the instance was left.
fn check_ctrl_c_left_it_running(
    cloud: &Cloud,
    subject: Subject,
    id: &str,
    step: Step,
    run: &TfRun,
) -> Result<(), String> {
    let inst = cloud.instance(id);
    let text = flat(run);
    if inst["Status"] != "Running" {
        return Err(format!(
            "left {} by Ctrl-C (no second apply):\n{text}",
            inst["Status"]
        ));
    }
    let marked = inst["Tags"]["Tag"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| t["TagKey"] == "terraform-provider-ecs:stopped-for-update");
    if marked {
        return Err(format!(
            "the stop marker is still on the running instance: {inst:#}"
        ));
    }
    if cloud.state_attr(subject.address(), "status") != "Running" {
        return Err("the state does not say Running after Ctrl-C".into());
    }
    let said = text.matches("Update Interrupted").count();
    if said != 1 || text.contains("Operation Cancelled") || text.contains("Left Stopped") {
        return Err(format!(
            "{said} \"Update Interrupted\" diagnostics:\n{text}"
        ));
    }
    let expected: Vec<String> = match step {
        Step::Stop => vec![format!("started again on {FROM}")],
        Step::ModifyType | Step::Start => vec![format!(
            "started again on {}",
            inst["InstanceType"].as_str().unwrap_or("?")
        )],
        // The Ctrl-C may come while the provider still waits for Running.
        Step::WaitUntil => vec![
            format!("Running on {TO}, was waiting for the modification cooldown"),
            format!("started again on {TO}"),
        ],
        Step::ModifyBandwidth => vec![format!("Running on {TO}")],
        // In-place rows: how it was left depends on the row; one diagnostic is enough.
        _ => vec![String::new()],
    };
    if !expected
        .iter()
        .any(|e| text.contains(&format!("Update Interrupted: {e}")))
    {
        return Err(format!(
            "expected \"Update Interrupted: {expected:?}\":\n{text}"
        ));
    }
    Ok(())
}

/// Runs one cell; the outcome for the table, or what went wrong.
fn cell(subject: Subject, step: Step, ending: Ending) -> Result<String, String> {
    let cloud = Cloud::start(TRANSITION, COOLDOWN, &[]);
    let provider = format!(
        "{}\nprovider \"ecs\" {{\n  modification_cooldown = \"3s\"\n  max_retries = 2\n}}\n",
        e2e_support::REQUIRED_PROVIDERS
    );
    let write = |resources: String| {
        cloud
            .dir
            .write("main.tf", &format!("{provider}\n{resources}"))
    };
    if subject != Subject::Instance {
        // Created by someone else: Running, FROM, 5 Mbit/s out.
        seed_instance(
            &cloud,
            ADOPTED_ID,
            serde_json::json!({"InstanceType": FROM, "InternetMaxBandwidthOut": 5}),
        );
    }
    let id = if subject == Subject::Adoption {
        ADOPTED_ID.to_string()
    } else {
        write(subject.config(step, "10m", false));
        cloud.apply();
        id_of(&cloud, subject.address())
    };
    let timeout = if ending == Ending::Timeout {
        format!("{SHORT_TIMEOUT_S}s")
    } else {
        "10m".to_string()
    };
    write(subject.config(step, &timeout, true));
    let journal_before = cloud.journal().requests.len();
    if let Some(h) = hook_for(step, ending) {
        cloud.hook(h);
    }
    let apply = cloud.spawn(&["apply", "-auto-approve", "-no-color"]);
    let limit = Duration::from_secs(60);
    let first: TfRun = match ending {
        Ending::CtrlC | Ending::Kill => {
            if step == Step::WaitUntil {
                cloud.wait_for("the start before the wait", limit, |c| {
                    started_again(c, &id)
                });
            } else {
                cloud.wait_for("the hook", limit, |c| c.hooks_fired() > 0);
            }
            apply.signal(if ending == Ending::Kill {
                libc::SIGKILL
            } else {
                libc::SIGINT
            });
            apply.wait()
        }
        Ending::LostConnection if step == Step::WaitUntil => {
            // The connection goes while the provider sleeps; the call after the wait is lost.
            cloud.wait_for("the start before the wait", limit, |c| {
                started_again(c, &id)
            });
            cloud.hook(json!({"Action": "ModifyInstanceSpec", "Phase": "before",
                              "Drop": true, "BlackoutMs": 4000}));
            apply.wait()
        }
        Ending::Timeout | Ending::LostConnection => apply.wait(),
    };
    if first.code == 0 && ending != Ending::Kill {
        return Err(format!(
            "the interrupted apply succeeded:\n{}",
            flat(&first)
        ));
    }
    if ending != Ending::Kill {
        // Terraform wrote what the provider returned.
        check_state_truthful(&cloud, subject, &id, "after the interruption")?;
    }
    if ending == Ending::CtrlC {
        check_ctrl_c_left_it_running(&cloud, subject, &id, step, &first)?;
    }
    let left = cloud.instance(&id);
    let left = format!(
        "{} {}{}",
        left["Status"].as_str().unwrap_or("?"),
        left["InstanceType"]
            .as_str()
            .unwrap_or("?")
            .trim_start_matches("ecs.g6."),
        if left["InternetMaxBandwidthOut"] == 10 {
            " 10M"
        } else {
            ""
        }
    );
    // Let held requests, blackouts and transitions finish (the user's next apply comes
    // seconds later, too).
    let settle_ms = match ending {
        Ending::CtrlC => 500,
        Ending::Kill => 2000,
        Ending::Timeout | Ending::LostConnection => 3000,
    };
    std::thread::sleep(Duration::from_millis(settle_ms));
    write(subject.config(step, "10m", true));
    let again = cloud.dir.tf(&["apply", "-auto-approve", "-no-color"]);
    if again.code != 0 {
        return Err(format!("the second apply failed:\n{}", flat(&again)));
    }
    let inst = cloud.instance(&id);
    match step.in_place() {
        Some(row) => check_effective(&cloud, row, &id)?,
        None if inst["Status"] != "Running"
            || inst["InstanceType"] != TO
            || inst["InternetMaxBandwidthOut"] != 10 =>
        {
            return Err(format!("did not converge: {inst:#}"));
        }
        None => {}
    }
    check_state_truthful(&cloud, subject, &id, "after the second apply")?;
    let plan = cloud.plan();
    if plan.code != 0 {
        return Err(format!("the plan after is not empty:\n{}", plan.stdout));
    }
    let journal = cloud.journal();
    if let Some(row) = step.in_place() {
        let since = &journal.requests[journal_before..];
        for action in row.once {
            let n = applied_calls(since, &id, action);
            let may_repeat = row.may_repeat.contains(&(ending, *action));
            if n != 1 && !(may_repeat && n == 2) {
                let sent: Vec<_> = since
                    .iter()
                    .filter(|r| r.instance_id == id && !r.action.starts_with("Describe"))
                    .map(|r| format!("{}:{}", r.action, r.code))
                    .collect();
                return Err(format!("{action} applied {n} times: {sent:?}"));
            }
        }
    } else {
        for param in ["InstanceType", "InternetMaxBandwidthOut"] {
            let n = journal.applied(&id, param);
            if n != 1 {
                return Err(format!(
                    "{param} applied {n} times: {:?}",
                    journal.mutations(&id)
                ));
            }
        }
    }
    let rules = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        journal.assert_rules(COOLDOWN);
        journal.assert_no_power_call_sent_twice();
    }));
    if let Err(e) = rules {
        let text = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        return Err(format!("rule broken: {text}"));
    }
    Ok(format!("left {left} -> ok"))
}

/// One matrix at a time: each runs two cells at once, and CI has two cores.
static ONE_MATRIX: Mutex<()> = Mutex::new(());

#[test]
fn every_step_times_every_ending_converges_on_the_next_apply() {
    matrix(Subject::Instance, &STEPS);
}

#[test]
fn every_step_times_every_ending_converges_for_an_adopted_instance() {
    matrix(Subject::Spec, &STEPS);
}

#[test]
fn every_step_times_every_ending_converges_while_adopting() {
    matrix(Subject::Adoption, &STEPS);
}

#[test]
fn every_in_place_step_times_every_ending_converges_on_the_next_apply() {
    matrix(Subject::Instance, &IN_PLACE_STEPS);
}

#[test]
fn every_subscription_upgrade_step_times_every_ending_converges_on_the_next_apply() {
    matrix(Subject::Instance, &SUBSCRIPTION_STEPS);
}

fn matrix(subject: Subject, steps: &[Step]) {
    let _one = ONE_MATRIX.lock().unwrap_or_else(|e| e.into_inner());
    let cells: Vec<(Step, Ending)> = steps
        .iter()
        .flat_map(|s| ENDINGS.iter().map(move |e| (*s, *e)))
        .collect();
    let queue = Mutex::new(cells.clone());
    let results = Mutex::new(Vec::new());
    // Two at a time: CI has two cores, and each cell is mostly waiting.
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let Some((step, ending)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let outcome = std::panic::catch_unwind(|| cell(subject, step, ending))
                    .unwrap_or_else(|_| Err("panicked (see above)".to_string()));
                results.lock().unwrap().push((step, ending, outcome));
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut table = format!("{subject:?}\n{:<16}", "step \\ ending");
    for e in ENDINGS {
        table += &format!(" | {:<28}", format!("{e:?}"));
    }
    table += "\n";
    let mut failures = Vec::new();
    for &s in steps {
        table += &format!("{:<16}", format!("{s:?}"));
        for e in ENDINGS {
            let (_, _, outcome) = results
                .iter()
                .find(|(rs, re, _)| *rs == s && *re == e)
                .expect("every cell ran");
            let shown = match outcome {
                Ok(text) => text.clone(),
                Err(why) => {
                    failures.push(format!("{s:?} x {e:?}: {why}"));
                    "FAILED".to_string()
                }
            };
            table += &format!(" | {shown:<28}");
        }
        table += "\n";
    }
    println!("{table}");
    assert!(failures.is_empty(), "{table}\n{}", failures.join("\n\n"));
}
