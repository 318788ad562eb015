//! ClientToken: replay, mismatch, in flight, malformed.

use std::time::Duration;

use super::support::*;

const RUN: [(&str, &str); 2] = [("ImageId", X86_IMAGE), ("InstanceType", "ecs.g6.large")];

async fn count(api: &Api) -> u64 {
    api.call("DescribeInstances", &[]).await.ok()["TotalCount"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn same_token_same_parameters_replays_the_first_answer() {
    let env = start_default().await;
    let api = &env.api;
    let mut p = RUN.to_vec();
    p.push(("ClientToken", "tok-1"));
    let first = api.call("RunInstances", &p).await;
    let second = api.call("RunInstances", &p).await;
    assert_eq!(
        first.ok()["InstanceIdSets"],
        second.ok()["InstanceIdSets"],
        "same instance ids"
    );
    assert_eq!(first.ok()["OrderId"], second.ok()["OrderId"]);
    assert_ne!(first.ok()["RequestId"], second.ok()["RequestId"]);
    assert_eq!(count(api).await, 1, "nothing created twice");
}

#[tokio::test]
async fn same_token_other_parameters_is_refused() {
    let env = start_default().await;
    let api = &env.api;
    let mut p = RUN.to_vec();
    p.push(("ClientToken", "tok-2"));
    api.call("RunInstances", &p).await.ok();
    p.push(("InstanceName", "other"));
    api.call("RunInstances", &p)
        .await
        .expect_err(400, "IdempotenceParamNotMatch");
    let id = api.run_one(&[]).await;
    api.call(
        "StopInstance",
        &[("InstanceId", &id), ("ClientToken", "tok-2")],
    )
    .await
    .expect_err(400, "IdempotenceParamNotMatch");
    assert_eq!(count(api).await, 2);
}

#[tokio::test]
async fn replayed_modification_skips_the_cooldown() {
    let mut cfg = config();
    cfg.cooldown = Duration::from_secs(60);
    let env = start(cfg).await;
    let api = &env.api;
    // A classic instance already has bandwidth: from 0 it would need a stop.
    let id = api.run_one(&[("InternetMaxBandwidthOut", "1")]).await;
    let p = [
        ("InstanceId", id.as_str()),
        ("InternetMaxBandwidthOut", "12"),
        ("ClientToken", "mod-1"),
    ];
    api.call("ModifyInstanceSpec", &p).await.ok();
    // A retry after a lost answer gets the success again, not the 5-minute rule.
    api.call("ModifyInstanceSpec", &p).await.ok();
    let fresh = [
        ("InstanceId", id.as_str()),
        ("InternetMaxBandwidthOut", "12"),
        ("ClientToken", "mod-2"),
    ];
    api.call("ModifyInstanceSpec", &fresh)
        .await
        .expect_err(400, "InvalidStatus.ValueNotSupported");
}

#[tokio::test]
async fn refused_calls_do_not_consume_the_token() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    let p = [("InstanceId", id.as_str()), ("ClientToken", "start-1")];
    api.call("StartInstance", &p)
        .await
        .expect_err(403, "IncorrectInstanceStatus");
    api.stop(&id).await;
    api.call("StartInstance", &p).await.ok();
}

#[tokio::test]
async fn token_in_flight_is_refused() {
    let mut cfg = config();
    cfg.latency = Duration::from_millis(1500);
    let env = start(cfg).await;
    let api = env.api.clone();
    let mut p = RUN.to_vec();
    p.push(("ClientToken", "slow-1"));
    let first = {
        let api = api.clone();
        let p = p.clone();
        tokio::spawn(async move { api.call("RunInstances", &p).await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    api.call("RunInstances", &p)
        .await
        .expect_err(403, "LastTokenProcessing");
    first.await.unwrap().ok();
    api.call("RunInstances", &p).await.ok();
    assert_eq!(count(&api).await, 1);
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    let env = start_default().await;
    let api = &env.api;
    let long = "x".repeat(65);
    for token in [long.as_str(), "jeton-été"] {
        let mut p = RUN.to_vec();
        p.push(("ClientToken", token));
        api.call("RunInstances", &p)
            .await
            .expect_err(400, "InvalidClientToken.ValueNotSupported");
    }
    let mut p = RUN.to_vec();
    let max = "y".repeat(64);
    p.push(("ClientToken", &max));
    api.call("RunInstances", &p).await.ok();
}
