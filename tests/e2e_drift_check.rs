//! `examples/ci/drift-check.sh` against the emulator: a clean run exits 0, an out-of-band
//! change made through the emulator's admin API exits 2 and names the attribute with its
//! before and after values, and a broken configuration exits 1.

mod e2e_support;
mod support;

use e2e_support::{id_of, instance_hcl, Cloud, ACCESS_KEY, REGION, SECRET_KEY};
use serde_json::json;
use std::process::Command;

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the script in the cloud's working directory with the cloud's Terraform settings.
fn drift_check(cloud: &Cloud) -> Outcome {
    let mut cmd = Command::new("bash");
    cmd.arg(support::project_root().join("examples/ci/drift-check.sh"))
        .arg(cloud.dir.path());
    for (key, _) in std::env::vars() {
        if ["TF_", "ALICLOUD_", "ALIBABA_CLOUD_"]
            .iter()
            .any(|p| key.starts_with(p))
        {
            cmd.env_remove(key);
        }
    }
    cmd.env("TERRAFORM", support::terraform_bin())
        .env("TF_CLI_CONFIG_FILE", cloud.dir.cli_config_path())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("ALICLOUD_ACCESS_KEY", ACCESS_KEY)
        .env("ALICLOUD_SECRET_KEY", SECRET_KEY)
        .env("ALICLOUD_REGION", REGION)
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", &cloud.emu.url)
        .env("ECS_PROVIDER_POLL_MS", "20");
    let out = cmd.output().expect("run drift-check.sh");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn show(o: &Outcome) -> String {
    format!(
        "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.code, o.stdout, o.stderr
    )
}

#[test]
fn clean_then_out_of_band_change_then_broken_config() {
    let cloud = Cloud::quick();
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  instance_name = \"drift-web\"",
    ));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");

    let clean = drift_check(&cloud);
    assert_eq!(clean.code, 0, "{}", show(&clean));
    assert!(clean.stdout.contains("No drift"), "{}", show(&clean));

    // Someone renames the instance in the console.
    cloud.emu.post(
        &format!("/_emulator/instances/{id}"),
        &json!({"InstanceName": "renamed-by-hand"}),
    );
    let drifted = drift_check(&cloud);
    assert_eq!(drifted.code, 2, "{}", show(&drifted));
    for expected in [
        "Changed outside Terraform",
        "ecs_instance.web",
        "instance_name: \"drift-web\" -> \"renamed-by-hand\"",
        "An apply would change",
        "instance_name: \"renamed-by-hand\" -> \"drift-web\"",
    ] {
        assert!(
            drifted.stdout.contains(expected),
            "missing {expected:?}\n{}",
            show(&drifted)
        );
    }
    assert!(
        !drifted.stdout.contains("cpu:"),
        "unchanged attributes must not be listed\n{}",
        show(&drifted)
    );
    // Nothing was applied or written: the state still holds the old name.
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "instance_name"),
        "drift-web"
    );

    cloud
        .dir
        .write("broken.tf", "resource \"ecs_instance\" \"x\" {\n");
    let broken = drift_check(&cloud);
    assert_eq!(broken.code, 1, "{}", show(&broken));
    assert!(broken.stderr.contains("drift-check:"), "{}", show(&broken));
}

#[test]
fn an_instance_deleted_outside_terraform_is_said_in_words() {
    let cloud = Cloud::quick();
    cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    // Someone releases it in the console (the emulator's admin API, as in the README).
    cloud.emu.delete(&format!("/_emulator/instances/{id}"));
    let gone = drift_check(&cloud);
    assert_eq!(gone.code, 2, "{}", show(&gone));
    assert!(
        gone.stdout
            .contains("ecs_instance.web: deleted outside Terraform; the plan creates it again"),
        "{}",
        show(&gone)
    );
    for broken in [": null -> {}", ": {} -> null", "(delete)"] {
        assert!(
            !gone.stdout.contains(broken),
            "{broken:?} printed\n{}",
            show(&gone)
        );
    }
}
