//! Persistence: restart in-process, seed files, and kill -9 of the real
//! binary with `--state`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use terraform_provider_ecs::emulator;

use super::support::*;

#[tokio::test]
async fn restart_restores_instances_tokens_and_cooldowns() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.state = Some(dir.path().join("state.json"));
    cfg.cooldown = Duration::from_secs(60);
    let env = start(cfg.clone()).await;
    let id = env.api.run_one(&[("InternetMaxBandwidthOut", "3")]).await;
    let p = [
        ("InstanceId", id.as_str()),
        ("InternetMaxBandwidthOut", "4"),
        ("ClientToken", "persist-1"),
    ];
    env.api.call("ModifyInstanceSpec", &p).await.ok();
    env.handle.shutdown().await;

    let env = start(cfg).await;
    let inst = env.api.instance(&id).await.expect("instance survived");
    assert_eq!(inst["InternetMaxBandwidthOut"], 4);
    assert_eq!(inst["Status"], "Running");
    env.api.call("ModifyInstanceSpec", &p).await.ok();
    let other = [
        ("InstanceId", id.as_str()),
        ("InternetMaxBandwidthOut", "5"),
    ];
    env.api
        .call("ModifyInstanceSpec", &other)
        .await
        .expect_err(400, "InvalidStatus.ValueNotSupported");
}

#[tokio::test]
async fn seed_file_in_both_forms() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.json");
    std::fs::write(
        &plain,
        json!([
            {"InstanceId": "i-seed1", "InstanceType": "ecs.r6.xlarge", "Status": "Stopped",
             "InternetMaxBandwidthOut": 5, "InstanceName": "db", "ZoneId": "cn-hangzhou-i"},
            {"InstanceId": "i-seed2", "VSwitchId": "vsw-7", "Flags": {"SecurityLock": true}}
        ])
        .to_string(),
    )
    .unwrap();
    let mut cfg = config();
    cfg.seed = Some(plain);
    let env = start(cfg).await;
    let api = &env.api;
    let one = api.instance("i-seed1").await.unwrap();
    assert_eq!(
        (one["Cpu"].clone(), one["Memory"].clone()),
        (json!(4), json!(32768))
    );
    assert_eq!(one["Status"], "Stopped");
    assert_eq!(one["InstanceNetworkType"], "classic");
    assert_eq!(
        one["PublicIpAddress"]["IpAddress"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let two = api.instance("i-seed2").await.unwrap();
    assert_eq!(two["InstanceNetworkType"], "vpc");
    assert_eq!(
        two["OperationLocks"]["LockReason"][0]["LockReason"],
        "security"
    );
    api.call("StopInstance", &[("InstanceId", "i-seed2")])
        .await
        .expect_err(403, "InstanceLockedForSecurity");

    let full = dir.path().join("full.json");
    std::fs::write(
        &full,
        json!({"Account": {"Arrearage": true}, "Instances": [{"InstanceId": "i-a", "Status": "Stopped"}]})
            .to_string(),
    )
    .unwrap();
    let mut cfg = config();
    cfg.seed = Some(full);
    let env = start(cfg).await;
    env.api
        .call("StartInstance", &[("InstanceId", "i-a")])
        .await
        .expect_err(400, "Account.Arrearage");
}

#[tokio::test]
async fn bad_seed_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"[{"InstanceId":"i-1","InstanceTyp":"ecs.g6.large"}]"#,
    )
    .unwrap();
    let mut cfg = config();
    cfg.seed = Some(seed.clone());
    let err = emulator::start(cfg)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("instance #1") && err.contains("InstanceTyp"),
        "{err}"
    );
    std::fs::write(
        &seed,
        r#"[{"InstanceId":"i-1","InstanceType":"ecs.g6.huge"}]"#,
    )
    .unwrap();
    let mut cfg = config();
    cfg.seed = Some(seed);
    let err = emulator::start(cfg)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("ecs.g6.huge"), "{err}");
}

#[tokio::test]
async fn state_file_wins_over_seed() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, r#"[{"InstanceId":"i-seeded"}]"#).unwrap();
    let mut cfg = config();
    cfg.seed = Some(seed);
    cfg.state = Some(dir.path().join("state.json"));
    let env = start(cfg.clone()).await;
    env.api
        .call(
            "DeleteInstance",
            &[("InstanceId", "i-seeded"), ("Force", "true")],
        )
        .await
        .ok();
    env.handle.shutdown().await;
    let env = start(cfg).await;
    assert!(
        env.api.instance("i-seeded").await.is_none(),
        "not re-seeded"
    );
}

/// The real binary, started with `--state`.
struct Binary {
    child: Child,
    url: String,
}

impl Binary {
    fn spawn(state: &std::path::Path) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecs-emulator"))
            .args([
                "--state",
                state.to_str().unwrap(),
                "--transition",
                "300ms",
                "--cooldown",
                "0s",
                "--classic-network",
            ])
            .env("ECS_EMULATOR_ACCESS_KEY_ID", AK)
            .env("ECS_EMULATOR_ACCESS_KEY_SECRET", SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Binary { child, url }
    }

    fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn kill_9_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let bin = Binary::spawn(&state);
    let api = Api::new(&bin.url);
    let mut acknowledged = Vec::new();
    for n in 0..5 {
        let name = format!("vm-{n}");
        let r = api
            .call(
                "RunInstances",
                &[
                    ("ImageId", X86_IMAGE),
                    ("InstanceType", "ecs.g6.large"),
                    ("InstanceName", &name),
                    ("InternetMaxBandwidthOut", "1"),
                ],
            )
            .await;
        acknowledged.push(
            r.ok()["InstanceIdSets"]["InstanceIdSet"][0]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    api.wait_status(&acknowledged[0], "Running").await;
    api.wait_status(&acknowledged[4], "Running").await;
    api.call(
        "ModifyInstanceSpec",
        &[
            ("InstanceId", &acknowledged[0]),
            ("InternetMaxBandwidthOut", "42"),
        ],
    )
    .await
    .ok();
    api.call("StopInstance", &[("InstanceId", &acknowledged[0])])
        .await
        .ok();
    api.call(
        "DeleteInstance",
        &[("InstanceId", &acknowledged[4]), ("Force", "true")],
    )
    .await
    .ok();
    bin.kill9();

    let bin = Binary::spawn(&state);
    let api = Api::new(&bin.url);
    for id in &acknowledged[..4] {
        assert!(api.instance(id).await.is_some(), "{id} lost");
    }
    assert!(
        api.instance(&acknowledged[4]).await.is_none(),
        "delete lost"
    );
    let first = api.instance(&acknowledged[0]).await.unwrap();
    assert_eq!(first["InternetMaxBandwidthOut"], 42);
    // The Stopping begun before the kill completes after the restart.
    api.wait_status(&acknowledged[0], "Stopped").await;
    assert_eq!(
        api.instance(&acknowledged[1]).await.unwrap()["InstanceName"],
        "vm-1"
    );
}

#[tokio::test]
async fn restart_keeps_pending_guest_settings_and_the_stop_window_but_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.state = Some(dir.path().join("state.json"));
    let env = start(cfg.clone()).await;
    let id = env
        .api
        .run_one(&[("VSwitchId", "vsw-emu-h1"), ("Password", "Fir5t-Secret")])
        .await;
    env.api
        .call(
            "ModifyInstanceAttribute",
            &[
                ("InstanceId", id.as_str()),
                ("Password", "Sec0nd-Secret"),
                ("HostName", "web-2"),
            ],
        )
        .await
        .ok();
    env.api.stop(&id).await;
    env.api
        .call(
            "ModifyInstanceVpcAttribute",
            &[("InstanceId", id.as_str()), ("VSwitchId", "vsw-emu-h2")],
        )
        .await
        .ok();
    let guest_before = env
        .api
        .admin_get(&format!("/_emulator/instances/{id}/guest"))
        .await;
    env.handle.shutdown().await;
    let state = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(!state.contains("Fir5t-Secret") && !state.contains("Sec0nd-Secret"));

    let env = start(cfg).await;
    let guest = env
        .api
        .admin_get(&format!("/_emulator/instances/{id}/guest"))
        .await;
    assert_eq!(guest, guest_before);
    assert_eq!(guest["PendingRestart"], true);
    env.api
        .call(
            "ModifyInstanceVpcAttribute",
            &[("InstanceId", id.as_str()), ("VSwitchId", "vsw-emu-h1")],
        )
        .await
        .expect_err(400, "InvalidPrivateIp.Changing");
    // Drift of the emulator-only fields through the admin API.
    let (code, _) = env
        .api
        .admin_post(
            &format!("/_emulator/instances/{id}"),
            json!({"UserData": "ZHJpZnQ=", "SystemDiskSize": 90, "KeyPairName": "emu-key-c"}),
        )
        .await;
    assert_eq!(code, 200);
    let ud = env
        .api
        .call("DescribeUserData", &[("InstanceId", id.as_str())])
        .await;
    assert_eq!(ud.ok()["UserData"], "ZHJpZnQ=");
    let disks = env
        .api
        .call("DescribeDisks", &[("InstanceId", id.as_str())])
        .await;
    assert_eq!(disks.ok()["Disks"]["Disk"][0]["Size"], 90);
    assert_eq!(
        env.api.instance(&id).await.unwrap()["KeyPairName"],
        "emu-key-c"
    );
}
