//! End to end: rolling resizes. The fleet example (20 instances) resized with
//! `max_unavailable = 3` and `-parallelism=20`: the emulator's journal must never show
//! more than 3 instances down at once, and every instance must converge within the seed's
//! rules. A Ctrl-C in the middle of a rolling resize must take no new slot, leave every
//! instance Running before Terraform exits (no second apply), say per instance how it was left,
//! and the next apply must converge.

mod e2e_support;
mod support;

use chrono::Utc;
use e2e_support::{Cloud, Journal};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FLEET: usize = 20;
const CAP: usize = 3;

/// A cloud holding the fleet example, created (not yet resized).
fn fleet_cloud() -> Cloud {
    let mut cloud = Cloud::start(Duration::from_millis(400), Duration::from_secs(1), &[]);
    cloud.dir.timeout(Duration::from_secs(600));
    let root = support::project_root().join("examples/fleet");
    for file in ["main.tf", "modules/node/main.tf"] {
        let text = std::fs::read_to_string(root.join(file)).expect("fleet example");
        cloud.dir.write(file, &text);
    }
    cloud.dir.tf_ok(&["get", "-no-color"]);
    cloud.dir.tf_ok(
        &apply_args(&cloud, &[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(cloud.instances().len(), FLEET);
    cloud
}

fn apply_args(cloud: &Cloud, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["apply", "-auto-approve", "-no-color", "-parallelism=20"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push("-var".into());
    args.push(format!(
        "modification_cooldown={}ms",
        cloud.cooldown.as_millis()
    ));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

const RESIZE: [&str; 4] = [
    "-var",
    "instance_type=ecs.g6.xlarge",
    "-var",
    "max_unavailable=3",
];

/// The most instances that were down (not Running after having run) at one instant.
fn most_down_at_once(journal: &Journal) -> usize {
    journal.most_taken_down_since(None)
}

fn assert_resized(cloud: &Cloud) {
    for inst in cloud.instances() {
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge", "{inst}");
        assert_eq!(inst["Status"], "Running", "{inst}");
    }
}

#[test]
fn a_fleet_of_twenty_resizes_three_at_a_time() {
    let mut cloud = fleet_cloud();
    let args = apply_args(&cloud, &RESIZE);
    // What a user following the rollout runs (README, "Rolling resizes").
    cloud.dir.env("TF_LOG_PROVIDER", "INFO");
    let run = cloud
        .dir
        .tf_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    // The progress log names every instance that waited, what it waited for, and its slot.
    let ids: Vec<String> = cloud
        .instances()
        .iter()
        .map(|i| i["InstanceId"].as_str().unwrap_or_default().to_string())
        .collect();
    let waited: Vec<&String> = ids
        .iter()
        .filter(|id| {
            run.stderr
                .contains(&format!("{id} waits for a rolling-update slot (it keeps running): 3 of max_unavailable = 3 held by"))
        })
        .collect();
    assert!(
        waited.len() >= FLEET - 2 * CAP,
        "only {} of {FLEET} instances logged their wait for a slot:\n{}",
        waited.len(),
        run.stderr
    );
    for id in &ids {
        assert!(
            run.stderr
                .contains(&format!("{id} took rolling-update slot")),
            "{id} never logged taking its slot"
        );
        assert!(
            run.stderr.contains(&format!("{id} runs again")),
            "{id} never logged running again"
        );
    }
    // What Terraform prints: one rolling warning whose summary says the cap, the rest folded
    // into Terraform's count (which is the rest of the fleet); no promise of a total that
    // never shows.
    eprintln!("--- the rolling apply's output ---\n{}", run.stdout);
    let out = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        out.contains("Warning: Rolling Update: at most 3 down at once"),
        "{out}"
    );
    assert!(
        !out.contains("the last of these warnings gives the total"),
        "{out}"
    );
    let folded = out
        .split("Warning: Rolling Update: at most 3 down at once")
        .nth(1)
        .and_then(|rest| {
            rest.split("(and ")
                .skip(1)
                .find_map(|r| r.split(' ').next()?.parse::<usize>().ok())
        });
    // terraform apply plans each instance twice (the detail says so): 2 x 20 warnings.
    assert_eq!(folded, Some(2 * FLEET - 1), "{out}");
    assert_resized(&cloud);
    let journal = cloud.journal();
    let most = most_down_at_once(&journal);
    assert!(
        most <= CAP,
        "{most} instances were down at once with max_unavailable = {CAP}"
    );
    assert!(most >= 2, "the resize rolled one at a time only ({most})");
    assert_eq!(
        journal
            .requests
            .iter()
            .filter(|r| r.ok() && r.action == "StopInstance")
            .count(),
        FLEET,
        "each instance stopped once"
    );
    // Alike instances share the plan's type question: two per phase (plan, apply), not 40.
    let asked = journal.count("DescribeResourcesModification");
    assert!(
        asked <= 4,
        "{asked} DescribeResourcesModification calls for {FLEET} alike instances"
    );
    let mut plan = vec!["plan", "-detailed-exitcode", "-no-color"];
    let cooldown = format!("modification_cooldown={}ms", cloud.cooldown.as_millis());
    plan.extend(["-var", &cooldown]);
    plan.extend(RESIZE);
    let converged = cloud.dir.tf(&plan);
    assert_eq!(
        converged.code, 0,
        "{}\n{}",
        converged.stdout, converged.stderr
    );
    journal.assert_rules(cloud.cooldown);
}

#[test]
fn ctrl_c_in_a_rolling_resize_stops_no_waiting_instance_and_the_next_apply_converges() {
    let cloud = fleet_cloud();
    let args = apply_args(&cloud, &RESIZE);
    let mut cmd = Command::new(support::terraform_bin());
    cmd.args(&args)
        .current_dir(cloud.dir.path())
        .env("TF_CLI_CONFIG_FILE", cloud.dir.cli_config_path())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY)
        .env("ALICLOUD_SECRET_KEY", e2e_support::SECRET_KEY)
        .env("ALICLOUD_REGION", e2e_support::REGION)
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", &cloud.emu.url)
        .env("ECS_PROVIDER_POLL_MS", "20")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, as a terminal's foreground job: Ctrl-C reaches all of it.
        .process_group(0);
    let child = cmd.spawn().expect("start terraform apply");
    // Interrupt once the first wave is down and others wait for a slot.
    let started = Instant::now();
    loop {
        let stops = cloud.journal().count("StopInstance");
        if stops > CAP {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the rolling resize never got going"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = i32::try_from(child.id()).expect("pid fits");
    // SAFETY: signals the process group of our own child, as Ctrl-C in a terminal does.
    assert_eq!(unsafe { libc::kill(-pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().expect("terraform exits");
    let interrupted = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success(),
        "the interrupted apply failed:\n{interrupted}"
    );
    eprintln!("--- interrupted apply ---\n{interrupted}");

    let journal = cloud.journal();
    let stopped = journal
        .requests
        .iter()
        .filter(|r| r.ok() && r.action == "StopInstance")
        .count();
    assert!(
        stopped < FLEET,
        "the interrupt came before every instance had its turn ({stopped} stopped)"
    );
    for inst in cloud.instances() {
        let id = inst["InstanceId"].as_str().unwrap_or_default().to_string();
        eprintln!(
            "{id} {} {} {:?}",
            inst["Status"],
            inst["InstanceType"],
            journal.mutations(&id)
        );
    }
    // No second apply: every instance runs again, the ones the rollout took down included.
    let not_running: Vec<_> = cloud
        .instances()
        .into_iter()
        .filter(|i| i["Status"] != "Running")
        .collect();
    assert!(
        not_running.is_empty(),
        "instances left down after Ctrl-C: {not_running:?}\n{interrupted}"
    );
    assert!(most_down_at_once(&journal) <= CAP);
    // One diagnostic per instance that was updating, saying how it was left: those waiting
    // for a slot in other words than those that were stopped.
    let flat = interrupted.split_whitespace().collect::<Vec<_>>().join(" ");
    let said = flat.matches("Error: Update Interrupted").count();
    let queued = flat
        .matches("Update Interrupted: untouched, was waiting for a rolling-update slot")
        .count();
    let restarted = flat.matches("Update Interrupted: started again on").count();
    assert!(queued >= 1 && restarted >= 1, "{interrupted}");
    assert!(
        said <= FLEET,
        "{said} diagnostics for {FLEET} instances:\n{interrupted}"
    );
    assert!(!flat.contains("Operation Cancelled"), "{interrupted}");

    // The next apply finishes the resize, still rolling, and starts every instance (those an
    // interrupted update left down are started at once: waiting would only lengthen their
    // downtime).
    let next_started = Utc::now();
    let next = cloud
        .dir
        .tf_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    eprintln!("--- next apply ---\n{}", next.stdout);
    assert_resized(&cloud);
    let journal = cloud.journal();
    assert!(journal.most_taken_down_since(Some(next_started)) <= CAP);
    journal.assert_rules(cloud.cooldown);
    let mut plan = vec!["plan", "-detailed-exitcode", "-no-color"];
    let cooldown = format!("modification_cooldown={}ms", cloud.cooldown.as_millis());
    plan.extend(["-var", &cooldown]);
    plan.extend(RESIZE);
    assert_eq!(cloud.dir.tf(&plan).code, 0);
}
