//! Public addresses and economical stops: what ECS does to an instance's
//! public IP, and the refusals around it.

use std::time::Duration;

use serde_json::{json, Value};

use super::support::*;
use terraform_provider_ecs::emulator::Config;

fn ips(inst: &Value) -> Vec<String> {
    inst["PublicIpAddress"]["IpAddress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

async fn start_instance(api: &Api, id: &str) {
    api.call("StartInstance", &[("InstanceId", id)]).await.ok();
    api.wait_status(id, "Running").await;
}

const VPC: (&str, &str) = ("VSwitchId", "vsw-a");

#[tokio::test]
async fn economical_default_releases_the_ip_and_the_start_assigns_a_new_one() {
    let env = start(Config {
        default_stopped_mode: "StopCharging".into(),
        ..config()
    })
    .await;
    let api = &env.api;
    let id = api.run_one(&[VPC, ("InternetMaxBandwidthOut", "5")]).await;
    let first = ips(&api.instance(&id).await.unwrap());
    assert_eq!(first.len(), 1);
    api.stop(&id).await;
    let stopped = api.instance(&id).await.unwrap();
    assert_eq!(stopped["StoppedMode"], "StopCharging");
    assert!(ips(&stopped).is_empty(), "{stopped}");
    start_instance(api, &id).await;
    let running = api.instance(&id).await.unwrap();
    assert_eq!(running["StoppedMode"], "Not-applicable");
    let second = ips(&running);
    assert_eq!(second.len(), 1);
    assert_ne!(first, second);

    // Asking for KeepCharging keeps the address.
    api.call(
        "StopInstance",
        &[("InstanceId", &id), ("StoppedMode", "KeepCharging")],
    )
    .await
    .ok();
    api.wait_status(&id, "Stopped").await;
    let kept = api.instance(&id).await.unwrap();
    assert_eq!(kept["StoppedMode"], "KeepCharging");
    assert_eq!(ips(&kept), second);
}

#[tokio::test]
async fn economical_mode_serves_only_vpc_pay_as_you_go_instances() {
    let env = start(Config {
        default_stopped_mode: "StopCharging".into(),
        ..config()
    })
    .await;
    let api = &env.api;
    let classic = api.run_one(&[("InternetMaxBandwidthOut", "5")]).await;
    api.call(
        "StopInstance",
        &[("InstanceId", &classic), ("StoppedMode", "StopCharging")],
    )
    .await
    .ok();
    api.wait_status(&classic, "Stopped").await;
    let inst = api.instance(&classic).await.unwrap();
    assert_eq!(inst["StoppedMode"], "KeepCharging");
    assert_eq!(ips(&inst).len(), 1);
}

#[tokio::test]
async fn a_start_after_an_economical_stop_can_find_no_stock() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[VPC, ("InternetMaxBandwidthOut", "5")]).await;
    api.call(
        "StopInstance",
        &[("InstanceId", &id), ("StoppedMode", "StopCharging")],
    )
    .await
    .ok();
    api.wait_status(&id, "Stopped").await;
    let (code, _) = api
        .admin_post(
            &format!("/_emulator/instances/{id}"),
            json!({"Flags": {"NoStock": true}}),
        )
        .await;
    assert_eq!(code, 200);
    api.call("StartInstance", &[("InstanceId", &id)])
        .await
        .expect_err(403, "OperationDenied.NoStock");
    assert_eq!(api.status(&id).await, "Stopped");
}

#[tokio::test]
async fn vpc_bandwidth_from_zero_gets_no_address_until_asked() {
    let env = start(Config {
        cooldown: Duration::from_millis(300),
        ..config()
    })
    .await;
    let api = &env.api;
    let id = api.run_one(&[VPC]).await;
    api.call(
        "ModifyInstanceNetworkSpec",
        &[("InstanceId", &id), ("InternetMaxBandwidthOut", "10")],
    )
    .await
    .ok();
    assert!(ips(&api.instance(&id).await.unwrap()).is_empty());
    // AllocatePublicIp alone is a modification: the cooldown applies.
    let alone = [("InstanceId", id.as_str()), ("AllocatePublicIp", "true")];
    api.call("ModifyInstanceNetworkSpec", &alone)
        .await
        .expect_err(400, "InvalidStatus.ValueNotSupported");
    tokio::time::sleep(Duration::from_millis(350)).await;
    api.call("ModifyInstanceNetworkSpec", &alone).await.ok();
    assert_eq!(ips(&api.instance(&id).await.unwrap()).len(), 1);
}

#[tokio::test]
async fn classic_bandwidth_from_zero_needs_a_stop_and_allocate_public_ip_address() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    let raise = [
        ("InstanceId", id.as_str()),
        ("InternetMaxBandwidthOut", "10"),
    ];
    for action in ["ModifyInstanceSpec", "ModifyInstanceNetworkSpec"] {
        api.call(action, &raise)
            .await
            .expect_err(400, "InvalidInstanceStatus.NotStopped");
    }
    let allocate = [("InstanceId", id.as_str())];
    api.call("AllocatePublicIpAddress", &allocate)
        .await
        .expect_err(403, "OperationDenied");
    api.stop(&id).await;
    api.call("ModifyInstanceSpec", &raise).await.ok();
    assert!(ips(&api.instance(&id).await.unwrap()).is_empty());
    let r = api.call("AllocatePublicIpAddress", &allocate).await;
    let ip = r.ok()["IpAddress"].as_str().unwrap().to_string();
    assert_eq!(ips(&api.instance(&id).await.unwrap()), [ip]);
    api.call("AllocatePublicIpAddress", &allocate)
        .await
        .expect_err(403, "AllocatedAlready");
    // Not a modification: no cooldown was started by it.
    start_instance(api, &id).await;
    api.call(
        "ModifyInstanceSpec",
        &[("InstanceId", &id), ("InternetMaxBandwidthOut", "20")],
    )
    .await
    .ok();
}

#[tokio::test]
async fn subscription_bandwidth_from_zero_gets_an_address_by_itself() {
    let env = start_default().await;
    let api = &env.api;
    let id = api
        .run_one(&[VPC, ("InstanceChargeType", "PrePaid"), ("Period", "1")])
        .await;
    api.call(
        "ModifyInstanceNetworkSpec",
        &[("InstanceId", &id), ("InternetMaxBandwidthOut", "10")],
    )
    .await
    .ok();
    assert_eq!(ips(&api.instance(&id).await.unwrap()).len(), 1);
}
