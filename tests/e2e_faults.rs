//! End to end under a flaky API: some mutating calls fail with 500 before doing anything,
//! others are applied and their answer is lost. ClientTokens and the client's retries must
//! still yield exactly one instance and a resize within the seed's rules; and Terraform's
//! Ctrl-C (the Stop RPC) must end a long cooldown wait promptly.

mod e2e_support;
mod support;

use e2e_support::{id_of, instance_hcl, Cloud};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn lost_answers_and_server_errors_still_converge_with_one_instance_each() {
    let cloud = Cloud::flaky(0.25, 0.25);
    // Four instances: about twenty mutating calls, so faults are all but certain.
    let fleet = |t: &str, out: u32| -> String {
        (0..4)
            .map(|n| {
                instance_hcl(
                    &format!("n{n}"),
                    t,
                    &format!("  internet_max_bandwidth_out = {out}"),
                )
            })
            .collect()
    };
    cloud.config(&fleet("ecs.g6.large", 5));
    cloud.apply();
    assert_eq!(
        cloud.instances().len(),
        4,
        "one instance each despite retries"
    );
    cloud.config(&fleet("ecs.g6.xlarge", 10));
    cloud.apply();
    for n in 0..4 {
        let id = id_of(&cloud, &format!("ecs_instance.n{n}"));
        let inst = cloud.instance(&id);
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
        assert_eq!(inst["InternetMaxBandwidthOut"], 10);
        assert_eq!(inst["Status"], "Running");
    }
    let journal = cloud.journal();
    let faults = journal
        .requests
        .iter()
        .filter(|r| r.code == "InternalError" || r.dropped)
        .count();
    assert!(faults > 0, "the faults happened");
    cloud.assert_converged();
    journal.assert_rules(cloud.cooldown);
}

#[test]
fn ctrl_c_ends_a_cooldown_wait_promptly() {
    let cloud = Cloud::start(Duration::from_millis(200), Duration::from_secs(120), &[]);
    let bandwidth = |out: u32| {
        instance_hcl(
            "web",
            "ecs.g6.large",
            &format!("  internet_max_bandwidth_out = {out}"),
        )
    };
    cloud.config(&bandwidth(5));
    cloud.apply();
    cloud.config(&bandwidth(10));
    cloud.apply();
    // The next change must wait two minutes for the cooldown.
    cloud.config(&bandwidth(15));
    let mut cmd = Command::new(support::terraform_bin());
    cmd.args(["apply", "-auto-approve", "-no-color"])
        .current_dir(cloud.dir.path())
        .env("TF_CLI_CONFIG_FILE", cloud.dir.cli_config_path())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY)
        .env("ALICLOUD_SECRET_KEY", e2e_support::SECRET_KEY)
        .env("ALICLOUD_REGION", e2e_support::REGION)
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", &cloud.emu.url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, like a terminal's foreground job: Ctrl-C signals the whole
        // group (Terraform 1.0 runs as a wrapper process plus the real one).
        .process_group(0);
    let child = cmd.spawn().expect("start terraform apply");
    // Let it reach the wait (it refreshes, plans, then sleeps).
    std::thread::sleep(Duration::from_secs(5));
    let pid = i32::try_from(child.id()).expect("pid fits");
    // SAFETY: signals the process group of our own child, as Ctrl-C in a terminal does.
    assert_eq!(unsafe { libc::kill(-pid, libc::SIGINT) }, 0);
    let interrupted = Instant::now();
    let out = child.wait_with_output().expect("terraform exits");
    let waited = interrupted.elapsed();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ");
    assert!(!out.status.success(), "{text}");
    assert!(
        waited < Duration::from_secs(60),
        "Ctrl-C took {waited:?} to end a 2-minute wait:\n{text}"
    );
    assert!(
        text.contains("Update Interrupted: untouched, was waiting for the modification cooldown"),
        "{text}"
    );
    let id = id_of(&cloud, "ecs_instance.web");
    assert_eq!(cloud.instance(&id)["InternetMaxBandwidthOut"], 10);
    cloud.assert_rules_kept();
}
