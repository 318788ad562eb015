//! ModifyInstanceSpec and ModifyInstanceNetworkSpec: one test per rule of
//! the seed's error table that the emulator models.

use std::time::Duration;

use serde_json::json;

use super::support::*;

/// A Stopped classic instance.
async fn stopped(api: &Api) -> String {
    let id = api.run_one(&[("InternetMaxBandwidthOut", "5")]).await;
    api.stop(&id).await;
    id
}

async fn spec(api: &Api, id: &str, extra: &[(&str, &str)]) -> Reply {
    let mut p = vec![("InstanceId", id)];
    p.extend_from_slice(extra);
    api.call("ModifyInstanceSpec", &p).await
}

#[tokio::test]
async fn type_changes_only_when_stopped() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .expect_err(400, "InvalidInstanceStatus.NotStopped");
    api.stop(&id).await;
    spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .ok();
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
    assert_eq!(
        (inst["Cpu"].clone(), inst["Memory"].clone()),
        (json!(4), json!(16384))
    );
}

#[tokio::test]
async fn bandwidth_changes_when_running_or_stopped_only() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[("InternetMaxBandwidthOut", "5")]).await;
    spec(api, &id, &[("InternetMaxBandwidthOut", "20")])
        .await
        .ok();
    assert_eq!(
        api.instance(&id).await.unwrap()["InternetMaxBandwidthOut"],
        20
    );
    api.stop(&id).await;
    spec(api, &id, &[("InternetMaxBandwidthIn", "50")])
        .await
        .ok();
    assert_eq!(
        api.instance(&id).await.unwrap()["InternetMaxBandwidthIn"],
        50
    );
    for status in ["Stopping", "Starting", "Pending"] {
        let (code, _) = api
            .admin_post(
                &format!("/_emulator/instances/{id}"),
                json!({"Status": status}),
            )
            .await;
        assert_eq!(code, 200);
        let r = spec(api, &id, &[("InternetMaxBandwidthOut", "7")]).await;
        r.expect_err(400, "InvalidStatus.ValueNotSupported");
        assert_eq!(
            r.message(),
            "The instance cannot be modified in the specified status."
        );
    }
}

#[tokio::test]
async fn one_change_per_call() {
    let env = start_default().await;
    let api = &env.api;
    let id = stopped(api).await;
    spec(
        api,
        &id,
        &[
            ("InstanceType", "ecs.g6.xlarge"),
            ("InternetMaxBandwidthOut", "9"),
        ],
    )
    .await
    .expect_err(400, "InvalidParameter.Mismatch");
    spec(api, &id, &[])
        .await
        .expect_err(400, "MissingParameter");
    // Without --strict-bandwidth, Out and In together are one change.
    spec(
        api,
        &id,
        &[
            ("InternetMaxBandwidthOut", "9"),
            ("InternetMaxBandwidthIn", "9"),
        ],
    )
    .await
    .ok();
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(
        inst["InstanceType"], "ecs.g6.large",
        "refused call changed nothing"
    );
    assert_eq!(inst["InternetMaxBandwidthOut"], 9);
}

#[tokio::test]
async fn strict_bandwidth_counts_out_and_in_as_two() {
    let mut cfg = config();
    cfg.strict_bandwidth = true;
    let env = start(cfg).await;
    let api = &env.api;
    let id = api.run_one(&[("InternetMaxBandwidthOut", "1")]).await;
    spec(
        api,
        &id,
        &[
            ("InternetMaxBandwidthOut", "9"),
            ("InternetMaxBandwidthIn", "9"),
        ],
    )
    .await
    .expect_err(400, "InvalidParameter.Mismatch");
    let vpc = api.run_one(&[("VSwitchId", "vsw-1")]).await;
    api.call(
        "ModifyInstanceNetworkSpec",
        &[
            ("InstanceId", &vpc),
            ("InternetMaxBandwidthOut", "9"),
            ("InternetMaxBandwidthIn", "9"),
        ],
    )
    .await
    .expect_err(400, "InvalidParameter.Mismatch");
    spec(api, &id, &[("InternetMaxBandwidthOut", "9")])
        .await
        .ok();
}

#[tokio::test]
async fn bandwidth_ranges() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[("InternetMaxBandwidthOut", "1")]).await;
    for (k, v, code) in [
        ("InternetMaxBandwidthOut", "101", "InvalidParameter"),
        ("InternetMaxBandwidthOut", "-1", "InvalidParameter"),
        ("InternetMaxBandwidthOut", "ten", "InvalidParameter"),
        ("InternetMaxBandwidthIn", "0", "InvalidParameter.Bandwidth"),
        (
            "InternetMaxBandwidthIn",
            "201",
            "InvalidParameter.Bandwidth",
        ),
    ] {
        spec(api, &id, &[(k, v)]).await.expect_err(400, code);
    }
    spec(api, &id, &[("InternetMaxBandwidthOut", "100")])
        .await
        .ok();
    spec(api, &id, &[("InternetMaxBandwidthIn", "200")])
        .await
        .ok();
    spec(api, &id, &[("InternetMaxBandwidthOut", "0")])
        .await
        .ok();
}

#[tokio::test]
async fn prepaid_is_refused() {
    let env = start_default().await;
    let api = &env.api;
    let id = api
        .run_one(&[("InstanceChargeType", "PrePaid"), ("Period", "1")])
        .await;
    spec(api, &id, &[("InternetMaxBandwidthOut", "3")])
        .await
        .expect_err(403, "ChargeTypeViolation");
}

#[tokio::test]
async fn instance_type_rules() {
    let env = start_default().await;
    let api = &env.api;
    let id = stopped(api).await;
    for (ty, status, code) in [
        (
            "ecs.nope.large",
            400,
            "InvalidInstanceType.ValueNotSupported",
        ),
        (
            "ecs.ebmg6.26xlarge",
            400,
            "InvalidInstanceType.ValueUnauthorized",
        ),
        ("ecs.g8y.large", 400, "InvalidParameter.Conflict"),
        ("ecs.g6.large", 400, "DependencyViolation.InstanceType"),
        ("ecs.g6.8xlarge", 403, "OperationDenied"),
    ] {
        spec(api, &id, &[("InstanceType", ty)])
            .await
            .expect_err(status, code);
    }
    let legacy = api
        .run_one(&[("ImageId", "centos_6_10_x64_20G_alibase_20200319.vhd")])
        .await;
    api.stop(&legacy).await;
    spec(api, &legacy, &[("InstanceType", "ecs.g7.large")])
        .await
        .expect_err(403, "Imagenotsupportinstancetype");
    spec(api, &legacy, &[("InstanceType", "ecs.c6.xlarge")])
        .await
        .ok();
}

#[tokio::test]
async fn account_and_instance_flags() {
    let env = start_default().await;
    let api = &env.api;
    let id = stopped(api).await;
    let path = format!("/_emulator/instances/{id}");
    let bw = [("InternetMaxBandwidthOut", "6")];
    let cases = [
        (
            json!({"Flags": {"UnpaidOrder": true}}),
            400,
            "InvalidInstance.UnpaidOrder",
        ),
        (
            json!({"Flags": {"SecurityLock": true}}),
            403,
            "InstanceLockedForSecurity",
        ),
        (
            json!({"Flags": {"Arrearage": true}}),
            400,
            "Account.Arrearage",
        ),
    ];
    for (flags, status, code) in cases {
        api.admin_post(&path, flags.clone()).await;
        spec(api, &id, &bw).await.expect_err(status, code);
        let off =
            json!({"Flags": {"UnpaidOrder": false, "SecurityLock": false, "Arrearage": false}});
        api.admin_post(&path, off).await;
    }
    api.admin_post(&path, json!({"Flags": {"DiskCategoryUnsupported": true}}))
        .await;
    spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .expect_err(403, "CategoryViolation");
    spec(api, &id, &bw).await.ok();

    for (account, status, code) in [
        (json!({"Arrearage": true}), 400, "Account.Arrearage"),
        (
            json!({"NotEnoughBalance": true}),
            403,
            "InvalidAccountStatus.NotEnoughBalance",
        ),
    ] {
        let (s, _) = api.admin_post("/_emulator/account", account).await;
        assert_eq!(s, 200);
        spec(api, &id, &[("InternetMaxBandwidthOut", "8")])
            .await
            .expect_err(status, code);
        api.call(
            "RunInstances",
            &[("ImageId", X86_IMAGE), ("InstanceType", "ecs.g6.large")],
        )
        .await
        .expect_err(status, code);
        api.admin_post(
            "/_emulator/account",
            json!({"Arrearage": false, "NotEnoughBalance": false}),
        )
        .await;
    }
}

#[tokio::test]
async fn vpc_bandwidth_goes_through_network_spec() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[("VSwitchId", "vsw-9")]).await;
    let r = spec(api, &id, &[("InternetMaxBandwidthOut", "10")]).await;
    r.expect_err(400, "OperationDenied");
    assert_eq!(r.message(), "The specified instance is in VPC.");
    let r = api
        .call(
            "ModifyInstanceNetworkSpec",
            &[
                ("InstanceId", &id),
                ("InternetMaxBandwidthOut", "10"),
                ("AllocatePublicIp", "true"),
            ],
        )
        .await;
    assert!(r.ok()["OrderId"].as_str().is_some_and(|o| !o.is_empty()));
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["InternetMaxBandwidthOut"], 10);
    assert_eq!(
        inst["PublicIpAddress"]["IpAddress"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn five_minute_rule_is_a_cooldown_across_both_actions() {
    let mut cfg = config();
    cfg.cooldown = Duration::from_millis(1500);
    let env = start(cfg).await;
    let api = &env.api;
    let id = stopped(api).await;
    spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .ok();
    let r = spec(api, &id, &[("InternetMaxBandwidthOut", "9")]).await;
    r.expect_err(400, "InvalidStatus.ValueNotSupported");
    assert_eq!(
        r.message(),
        "The current status of the resource does not support this operation."
    );
    api.call(
        "ModifyInstanceNetworkSpec",
        &[("InstanceId", &id), ("InternetMaxBandwidthOut", "9")],
    )
    .await
    .expect_err(400, "InvalidStatus.ValueNotSupported");
    // Invalid parameters are still reported as such during the cooldown.
    spec(api, &id, &[("InternetMaxBandwidthOut", "500")])
        .await
        .expect_err(400, "InvalidParameter");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    spec(api, &id, &[("InternetMaxBandwidthOut", "9")])
        .await
        .ok();
    assert_eq!(
        api.instance(&id).await.unwrap()["InternetMaxBandwidthOut"],
        9
    );
}

#[tokio::test]
async fn dry_run_checks_and_changes_nothing() {
    let mut cfg = config();
    cfg.cooldown = Duration::from_secs(60);
    let env = start(cfg).await;
    let api = &env.api;
    let id = stopped(api).await;
    spec(
        api,
        &id,
        &[("InstanceType", "ecs.g6.xlarge"), ("DryRun", "true")],
    )
    .await
    .expect_err(400, "DryRunOperation");
    assert_eq!(
        api.instance(&id).await.unwrap()["InstanceType"],
        "ecs.g6.large"
    );
    // A dry run does not start the cooldown.
    spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .ok();
}

#[tokio::test]
async fn unknown_instance_is_not_found() {
    let env = start_default().await;
    spec(&env.api, "i-missing", &[("InternetMaxBandwidthOut", "1")])
        .await
        .expect_err(404, "InvalidInstanceId.NotFound");
}
