//! Injected faults: --fail-rate, --drop-rate, --throttle-qps.

use super::support::*;

const RUN: [(&str, &str); 3] = [
    ("ImageId", X86_IMAGE),
    ("InstanceType", "ecs.g6.large"),
    ("ClientToken", "run-fault-1"),
];

#[tokio::test]
async fn fail_rate_answers_500_before_any_change() {
    let mut cfg = config();
    cfg.fail_rate = 1.0;
    let env = start(cfg).await;
    let api = &env.api;
    api.call("RunInstances", &RUN)
        .await
        .expect_err(500, "InternalError");
    let all = api.call("DescribeInstances", &[]).await;
    assert_eq!(
        all.ok()["TotalCount"],
        0,
        "reads are not failed, nothing was created"
    );
    let journal = api.journal().await;
    let last_run = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "RunInstances")
        .unwrap();
    assert_eq!(last_run["code"], "InternalError");
    assert_eq!(last_run["http_status"], 500);
}

#[tokio::test]
async fn drop_rate_applies_then_closes_without_answer() {
    let mut cfg = config();
    cfg.drop_rate = 1.0;
    let env = start(cfg).await;
    let api = &env.api;
    let lost = api.try_call("RunInstances", &RUN).await;
    let err = lost.expect_err("no answer must arrive");
    assert!(
        !err.is_status() && !err.is_decode(),
        "transport error expected: {err}"
    );
    let listed = api.admin_get("/_emulator/instances").await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "the change was applied");
    // The retry with the same token is answered (replays are not dropped).
    let retry = api.call("RunInstances", &RUN).await;
    assert_eq!(
        retry.ok()["InstanceIdSets"]["InstanceIdSet"][0],
        listed[0]["InstanceId"]
    );
    let journal = api.journal().await;
    let runs: Vec<_> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "RunInstances")
        .collect();
    assert_eq!(runs[0]["dropped"], true);
    assert!(runs[1].get("dropped").is_none());
}

#[tokio::test]
async fn throttling_is_per_action() {
    let mut cfg = config();
    // One request every two seconds per action: the burst is one request.
    cfg.throttle_qps = Some(0.5);
    let env = start(cfg).await;
    let api = &env.api;
    api.call("DescribeInstances", &[]).await.ok();
    let throttled = api.call("DescribeInstances", &[]).await;
    throttled.expect_err(400, "Throttling");
    assert!(throttled.message().contains("request throttling"));
    api.call("DescribeInstanceStatus", &[]).await.ok();
}
