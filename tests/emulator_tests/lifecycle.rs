//! The state machine: creation, stop, start, delete, wrong-status refusals,
//! and the journal's status changes from which downtime is computed.

use chrono::DateTime;
use serde_json::Value;

use super::support::*;
use terraform_provider_ecs::emulator::Config;

/// (time, from, to) of one status change.
type Change = (String, Option<String>, String);

fn changes_of(journal: &Value, id: &str) -> Vec<Change> {
    journal["status_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["instance_id"] == id)
        .map(|c| {
            (
                c["time"].as_str().unwrap().to_string(),
                c["from"].as_str().map(str::to_string),
                c["to"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn run_stop_start_delete_walks_every_status() {
    // Long enough to observe the transitional states between two calls.
    let mut cfg = config();
    cfg.transition = std::time::Duration::from_millis(500);
    let env = start(cfg).await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    api.call("StopInstance", &[("InstanceId", &id)]).await.ok();
    assert_eq!(api.status(&id).await, "Stopping");
    api.wait_status(&id, "Stopped").await;
    api.call("StartInstance", &[("InstanceId", &id)]).await.ok();
    assert_eq!(api.status(&id).await, "Starting");
    api.wait_status(&id, "Running").await;
    api.call("DeleteInstance", &[("InstanceId", &id)])
        .await
        .expect_err(403, "IncorrectInstanceStatus");
    api.call("DeleteInstance", &[("InstanceId", &id), ("Force", "true")])
        .await
        .ok();
    assert!(api.instance(&id).await.is_none());
    api.call("StartInstance", &[("InstanceId", &id)])
        .await
        .expect_err(404, "InvalidInstanceId.NotFound");

    let steps: Vec<(Option<String>, String)> = changes_of(&api.journal().await, &id)
        .into_iter()
        .map(|(_, from, to)| (from, to))
        .collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        steps,
        vec![
            (None, "Pending".into()),
            (s("Pending"), "Running".into()),
            (s("Running"), "Stopping".into()),
            (s("Stopping"), "Stopped".into()),
            (s("Stopped"), "Starting".into()),
            (s("Starting"), "Running".into()),
            (s("Running"), "Deleted".into()),
        ]
    );
}

#[tokio::test]
async fn journal_gives_downtime_of_a_stop_start_cycle() {
    let mut cfg = config();
    cfg.transition = std::time::Duration::from_millis(100);
    let env = start(cfg).await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    api.stop(&id).await;
    api.call("StartInstance", &[("InstanceId", &id)]).await.ok();
    api.wait_status(&id, "Running").await;
    let changes = changes_of(&api.journal().await, &id);
    let time = |pred: &dyn Fn(&Change) -> bool| {
        let c = changes.iter().find(|c| pred(c)).expect("change journaled");
        DateTime::parse_from_rfc3339(&c.0).unwrap()
    };
    let left = time(&|c| c.1.as_deref() == Some("Running"));
    let back = time(&|c| c.1.as_deref() == Some("Starting") && c.2 == "Running");
    let down = (back - left).num_milliseconds();
    // Stopping, then Starting: two transitions of 100 ms, plus the client's turn-around.
    assert!(down >= 200, "downtime {down} ms");
    assert!(
        changes[0].0.ends_with('Z') && changes[0].0.contains('.'),
        "{}",
        changes[0].0
    );
}

#[tokio::test]
async fn wrong_status_calls_are_refused() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    api.call("StartInstance", &[("InstanceId", &id)])
        .await
        .expect_err(403, "IncorrectInstanceStatus");
    api.stop(&id).await;
    api.call("StopInstance", &[("InstanceId", &id)])
        .await
        .expect_err(403, "IncorrectInstanceStatus");
    api.call("DeleteInstance", &[("InstanceId", &id)])
        .await
        .ok();
    assert!(api.instance(&id).await.is_none());
}

#[tokio::test]
async fn create_instance_ends_stopped_without_public_ip() {
    let mut cfg = config();
    cfg.transition = std::time::Duration::from_millis(500);
    let env = start(cfg).await;
    let api = &env.api;
    let r = api
        .call(
            "CreateInstance",
            &[
                ("ImageId", X86_IMAGE),
                ("InstanceType", "ecs.c6.xlarge"),
                ("InternetMaxBandwidthOut", "10"),
                ("InstanceName", "web-1"),
            ],
        )
        .await;
    let id = r.ok()["InstanceId"].as_str().unwrap().to_string();
    assert_eq!(api.status(&id).await, "Pending");
    api.wait_status(&id, "Stopped").await;
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["PublicIpAddress"]["IpAddress"], serde_json::json!([]));
    assert_eq!(inst["InstanceName"], "web-1");
    assert_eq!(inst["Cpu"], 4);
    assert_eq!(inst["Memory"], 8192);
    assert_eq!(inst["InternetMaxBandwidthOut"], 10);
}

#[tokio::test]
async fn network_addresses_follow_the_network_type() {
    let env = start_default().await;
    let api = &env.api;
    let classic = api.run_one(&[("InternetMaxBandwidthOut", "5")]).await;
    let inst = api.instance(&classic).await.unwrap();
    assert_eq!(inst["InstanceNetworkType"], "classic");
    assert_eq!(
        inst["PublicIpAddress"]["IpAddress"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        inst["InnerIpAddress"]["IpAddress"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(inst["Memory"], 8192, "Memory is in MiB");
    let created = inst["CreationTime"].as_str().unwrap();
    assert_eq!(created.len(), "2017-12-10T04:04Z".len(), "{created}");
    assert!(created.ends_with('Z') && !created[..created.len() - 1].contains('Z'));

    let vpc = api
        .run_one(&[("VSwitchId", "vsw-abc"), ("ZoneId", "cn-hangzhou-j")])
        .await;
    let inst = api.instance(&vpc).await.unwrap();
    assert_eq!(inst["InstanceNetworkType"], "vpc");
    assert_eq!(inst["ZoneId"], "cn-hangzhou-j");
    assert_eq!(inst["VpcAttributes"]["VSwitchId"], "vsw-abc");
    assert_eq!(inst["VpcAttributes"]["VpcId"], "vpc-abc");
    assert_eq!(
        inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        inst["PublicIpAddress"]["IpAddress"],
        serde_json::json!([]),
        "no bandwidth, no public IP"
    );
}

#[tokio::test]
async fn describe_filters_and_pages() {
    let env = start_default().await;
    let api = &env.api;
    let r = api
        .call(
            "RunInstances",
            &[
                ("ImageId", X86_IMAGE),
                ("InstanceType", "ecs.g6.large"),
                ("Amount", "12"),
                ("InstanceName", "node-"),
                ("UniqueSuffix", "true"),
            ],
        )
        .await;
    let ids: Vec<String> = r.ok()["InstanceIdSets"]["InstanceIdSet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 12);
    let page2 = api
        .call(
            "DescribeInstances",
            &[("PageNumber", "2"), ("PageSize", "5")],
        )
        .await;
    let body = page2.ok();
    assert_eq!(body["TotalCount"], 12);
    let got: Vec<&str> = body["Instances"]["Instance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["InstanceId"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        ids[5..10].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let first = api.call("DescribeInstances", &[("MaxResults", "10")]).await;
    assert_eq!(first.ok()["NextToken"], "10");
    let rest = api
        .call(
            "DescribeInstances",
            &[("MaxResults", "10"), ("NextToken", "10")],
        )
        .await;
    assert_eq!(
        rest.ok()["Instances"]["Instance"].as_array().unwrap().len(),
        2
    );
    assert_eq!(rest.ok()["NextToken"], "");
    let named = api
        .call("DescribeInstances", &[("InstanceName", "node-003")])
        .await;
    assert_eq!(named.ok()["TotalCount"], 1);
    let empty = api
        .call("DescribeInstances", &[("InstanceIds", "[]")])
        .await;
    assert_eq!(empty.ok()["TotalCount"], 0);
    api.call("DescribeInstances", &[("InstanceIds", "i-not-json")])
        .await
        .expect_err(400, "InvalidInstanceIds.Malformed");
    let id_list: Vec<(String, String)> = ids[..3]
        .iter()
        .enumerate()
        .map(|(i, id)| (format!("InstanceId.{}", i + 1), id.clone()))
        .collect();
    let refs: Vec<(&str, &str)> = id_list
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let st = api.call("DescribeInstanceStatus", &refs).await;
    assert_eq!(st.ok()["TotalCount"], 3);
    assert_eq!(
        st.ok()["InstanceStatuses"]["InstanceStatus"][0]["InstanceId"],
        ids[0].as_str()
    );
    api.call("DescribeInstanceStatus", &[("PageSize", "51")])
        .await
        .expect_err(400, "InvalidParameter");
}

#[tokio::test]
async fn attributes_and_deletion_guards() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[("VSwitchId", "vsw-emu-h1")]).await;
    api.call(
        "ModifyInstanceAttribute",
        &[
            ("InstanceId", &id),
            ("InstanceName", "renamed"),
            ("Description", "a web server"),
            ("DeletionProtection", "true"),
            ("SecurityGroupIds.1", "sg-emu-web"),
        ],
    )
    .await
    .ok();
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["InstanceName"], "renamed");
    assert_eq!(inst["Description"], "a web server");
    assert_eq!(inst["DeletionProtection"], true);
    assert_eq!(
        inst["SecurityGroupIds"]["SecurityGroupId"],
        serde_json::json!(["sg-emu-web"])
    );
    api.call(
        "ModifyInstanceAttribute",
        &[("InstanceId", &id), ("InstanceName", "x")],
    )
    .await
    .expect_err(400, "InvalidInstanceName.Malformed");
    api.call("DeleteInstance", &[("InstanceId", &id), ("Force", "true")])
        .await
        .expect_err(403, "InvalidOperation.DeletionProtection");

    let prepaid = api
        .run_one(&[("InstanceChargeType", "PrePaid"), ("Period", "1")])
        .await;
    api.stop(&prepaid).await;
    api.call("DeleteInstance", &[("InstanceId", &prepaid)])
        .await
        .expect_err(403, "ChargeTypeViolation");
    // TerminateSubscription releases only expired subscriptions.
    api.call(
        "DeleteInstance",
        &[("InstanceId", &prepaid), ("TerminateSubscription", "true")],
    )
    .await
    .expect_err(403, "ChargeTypeViolation");
    // Converted to pay-as-you-go, it can go.
    let ids = format!("[\"{prepaid}\"]");
    api.call(
        "ModifyInstanceChargeType",
        &[
            ("InstanceIds", &ids),
            ("InstanceChargeType", "PostPaid"),
            ("DryRun", "true"),
        ],
    )
    .await
    .expect_err(400, "DryRunOperation");
    api.call(
        "ModifyInstanceChargeType",
        &[
            ("InstanceIds", &ids),
            ("InstanceChargeType", "PostPaid"),
            ("AutoPay", "true"),
        ],
    )
    .await
    .ok();
    assert_eq!(
        api.instance(&prepaid).await.unwrap()["InstanceChargeType"],
        "PostPaid"
    );
    api.call(
        "ModifyInstanceChargeType",
        &[("InstanceIds", &ids), ("InstanceChargeType", "PostPaid")],
    )
    .await
    .expect_err(400, "InvalidInstanceChargeType.ValueNotSupported");
    api.call("ModifyInstanceChargeType", &[("InstanceIds", "i-x")])
        .await
        .expect_err(400, "InvalidParameter.InstanceIds");
    api.call("DeleteInstance", &[("InstanceId", &prepaid)])
        .await
        .ok();
    assert!(api.instance(&prepaid).await.is_none());
}

#[tokio::test]
async fn vpc_inbound_bandwidth_can_be_reported_unset_like_real_ecs() {
    let env = start(Config {
        vpc_bandwidth_in_unset: true,
        ..config()
    })
    .await;
    let api = &env.api;
    let vpc = api.run_one(&[("VSwitchId", "vsw-abc")]).await;
    assert_eq!(
        api.instance(&vpc).await.unwrap()["InternetMaxBandwidthIn"],
        -1
    );
    let classic = api.run_one(&[]).await;
    assert_eq!(
        api.instance(&classic).await.unwrap()["InternetMaxBandwidthIn"],
        200
    );
    let asked = api
        .run_one(&[("VSwitchId", "vsw-abc"), ("InternetMaxBandwidthIn", "50")])
        .await;
    assert_eq!(
        api.instance(&asked).await.unwrap()["InternetMaxBandwidthIn"],
        50
    );
    // Once set, it is reported.
    api.call(
        "ModifyInstanceNetworkSpec",
        &[("InstanceId", &vpc), ("InternetMaxBandwidthIn", "80")],
    )
    .await
    .ok();
    assert_eq!(
        api.instance(&vpc).await.unwrap()["InternetMaxBandwidthIn"],
        80
    );
}

/// What `ecs_instances` relies on: `MaxResults` clamped to 10..=100, `NextToken` pages over
/// the *filtered* set (ending with `""`), and the Status, InstanceType, VSwitchId, Tag.N
/// (a key without a value matches any value) and InstanceIds filters combined.
#[tokio::test]
async fn describe_instances_filters_and_pages_by_token() {
    let env = start_default().await;
    let api = &env.api;
    for n in 0..130 {
        let (status, _) = api
            .admin_post(
                &format!("/_emulator/instances/i-page{n:03}"),
                serde_json::json!({
                    "Status": if n % 2 == 0 { "Running" } else { "Stopped" },
                    "InstanceType": if n < 100 { "ecs.g6.large" } else { "ecs.g6.xlarge" },
                    "VpcAttributes": {"VpcId": "vpc-1", "VSwitchId": if n % 3 == 0 { "vsw-a" } else { "vsw-b" }},
                    "InstanceNetworkType": "vpc",
                    "Tags": {"Tag": [{"TagKey": "team", "TagValue": if n < 65 { "a" } else { "b" }}]},
                }),
            )
            .await;
        assert_eq!(status, 201);
    }
    let count = |body: &serde_json::Value| body["Instances"]["Instance"].as_array().unwrap().len();
    let small = api.call("DescribeInstances", &[("MaxResults", "3")]).await;
    assert_eq!(count(small.ok()), 10, "MaxResults below 10 reads as 10");
    let big = api
        .call("DescribeInstances", &[("MaxResults", "500")])
        .await;
    assert_eq!(count(big.ok()), 100, "MaxResults above 100 reads as 100");
    assert_eq!(big.ok()["NextToken"], "100");
    let last = api
        .call(
            "DescribeInstances",
            &[("MaxResults", "100"), ("NextToken", "100")],
        )
        .await;
    assert_eq!(count(last.ok()), 30);
    assert_eq!(last.ok()["NextToken"], "", "\"\" is the last page");
    // Filters narrow the set the pages run over: one page for 65 matches.
    let team_a = api
        .call(
            "DescribeInstances",
            &[
                ("MaxResults", "100"),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", "a"),
            ],
        )
        .await;
    assert_eq!(count(team_a.ok()), 65);
    assert_eq!(team_a.ok()["NextToken"], "");
    let any_team = api
        .call(
            "DescribeInstances",
            &[("MaxResults", "100"), ("Tag.1.Key", "team")],
        )
        .await;
    assert_eq!(
        any_team.ok()["NextToken"],
        "100",
        "a key alone matches any value"
    );
    let combined = api
        .call(
            "DescribeInstances",
            &[
                ("MaxResults", "100"),
                ("Status", "Running"),
                ("InstanceType", "ecs.g6.xlarge"),
                ("VSwitchId", "vsw-a"),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", "b"),
            ],
        )
        .await;
    let want = (100..130).filter(|n| n % 2 == 0 && n % 3 == 0).count();
    assert_eq!(count(combined.ok()), want);
    let ids = api
        .call(
            "DescribeInstances",
            &[
                ("InstanceIds", r#"["i-page001","i-page002","i-nope"]"#),
                ("Status", "Stopped"),
            ],
        )
        .await;
    assert_eq!(count(ids.ok()), 1);
    let too_many: Vec<String> = (0..101).map(|n| format!("i-page{n:03}")).collect();
    api.call(
        "DescribeInstances",
        &[("InstanceIds", &serde_json::to_string(&too_many).unwrap())],
    )
    .await
    .expect_err(400, "InvalidInstanceIds.Malformed");
}

#[tokio::test]
async fn a_subscription_needs_a_period_and_expires_after_it() {
    let env = start_default().await;
    let api = &env.api;
    let base = [
        ("ImageId", X86_IMAGE),
        ("InstanceType", "ecs.g6.large"),
        ("InstanceChargeType", "PrePaid"),
    ];
    // ECS sells subscriptions for a period: none given is refused, as are lengths it
    // does not sell.
    api.call("RunInstances", &base)
        .await
        .expect_err(400, "MissingParameter");
    for (period, unit) in [("5", "Week"), ("10", "Month"), ("0", "Month")] {
        let mut p = base.to_vec();
        p.extend([("Period", period), ("PeriodUnit", unit)]);
        api.call("RunInstances", &p)
            .await
            .expect_err(400, "InvalidPeriod");
    }
    // ExpiredTime follows Period and PeriodUnit (default Month), not the far future.
    let now = chrono::Utc::now();
    for (period, unit, days) in [("2", "Week", 14), ("3", "", 89)] {
        let mut extra = vec![("InstanceChargeType", "PrePaid"), ("Period", period)];
        if !unit.is_empty() {
            extra.push(("PeriodUnit", unit));
        }
        let id = api.run_one(&extra).await;
        let inst = api.instance(&id).await.unwrap();
        let expired = inst["ExpiredTime"].as_str().unwrap().replace('Z', ":00Z");
        let expired = DateTime::parse_from_rfc3339(&expired).unwrap();
        let days_left = (expired.with_timezone(&chrono::Utc) - now).num_days();
        assert!(
            (days - 1..=days + 3).contains(&days_left),
            "Period {period} {unit}: expires in {days_left} days ({expired})"
        );
    }
    // Pay-as-you-go shows ECS's far-future time.
    let postpaid = api.run_one(&[]).await;
    assert_eq!(
        api.instance(&postpaid).await.unwrap()["ExpiredTime"],
        "2099-12-31T15:59Z"
    );
}

#[tokio::test]
async fn creation_needs_a_security_group_and_a_vswitch_unless_the_account_is_legacy() {
    // A new account (the emulator's default): no classic network.
    let env = start(Config {
        classic_network: false,
        ..config()
    })
    .await;
    let api = &env.api;
    let base = [("ImageId", X86_IMAGE), ("InstanceType", "ecs.g6.large")];
    let vpc = [("VSwitchId", "vsw-1"), ("SecurityGroupId", "sg-1")];
    for action in ["RunInstances", "CreateInstance"] {
        // No security group: refused, naming the parameter.
        let r = api
            .call_exact(action, &[base.as_slice(), &vpc[..1]].concat())
            .await;
        r.expect_err(400, "MissingParameter");
        assert!(r.message().contains("SecurityGroupId"), "{}", r.message());
        // No vSwitch: the classic network, which this account cannot use.
        api.call_exact(action, &[base.as_slice(), &vpc[1..]].concat())
            .await
            .expect_err(400, "InvalidVSwitchId.IsNull");
        // Both: created, on the VPC.
        let ok = api
            .call_exact(action, &[base.as_slice(), &vpc].concat())
            .await;
        assert_eq!(ok.code(), "OK", "{:?}", ok.body);
    }
    // A launch template supplies the network.
    let templated = api
        .call_exact(
            "RunInstances",
            &[base.as_slice(), &[("LaunchTemplateId", "lt-1")]].concat(),
        )
        .await;
    assert_eq!(templated.code(), "OK", "{:?}", templated.body);
    // A legacy account may still create on the classic network (with a group).
    let legacy = start_default().await;
    let id = legacy.api.run_one(&[]).await;
    let inst = legacy.api.instance(&id).await.unwrap();
    assert_eq!(inst["InstanceNetworkType"], "classic");
    assert_eq!(inst["SecurityGroupIds"]["SecurityGroupId"][0], TEST_GROUP);
}

/// Milliseconds each instance spent in `status`, per the journal, in order.
fn spent_in(journal: &Value, id: &str, status: &str) -> Vec<i64> {
    let changes = changes_of(journal, id);
    let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
    changes
        .windows(2)
        .filter(|w| w[0].2 == status)
        .map(|w| (t(&w[1].0) - t(&w[0].0)).num_milliseconds())
        .collect()
}

#[tokio::test]
async fn a_transition_spread_varies_times_by_family_and_from_run_to_run() {
    let env = start(Config {
        transition: std::time::Duration::from_millis(100),
        transition_spread: 0.3,
        transition_factors: [("ecs.r6".to_string(), 3.0)].into(),
        transition_seed: Some(11),
        ..config()
    })
    .await;
    let api = &env.api;
    let g6 = api.run_one(&[]).await;
    let r6 = api.run_one(&[("InstanceType", "ecs.r6.large")]).await;
    api.wait_status(&g6, "Running").await;
    api.wait_status(&r6, "Running").await;
    for _ in 0..3 {
        for id in [&g6, &r6] {
            api.stop(id).await;
            api.call("StartInstance", &[("InstanceId", id)]).await.ok();
            api.wait_status(id, "Running").await;
        }
    }
    let journal = api.journal().await;
    let g6_stops = spent_in(&journal, &g6, "Stopping");
    let r6_stops = spent_in(&journal, &r6, "Stopping");
    assert_eq!((g6_stops.len(), r6_stops.len()), (3, 3));
    // ecs.g6: 100 ms ± 30 %; ecs.r6 (factor 3): 300 ms ± 30 %.
    assert!(
        g6_stops.iter().all(|ms| (70..=135).contains(ms)),
        "{g6_stops:?}"
    );
    assert!(
        r6_stops.iter().all(|ms| (210..=395).contains(ms)),
        "{r6_stops:?}"
    );
    let starts = spent_in(&journal, &g6, "Starting");
    let mut all: Vec<i64> = g6_stops.iter().chain(&starts).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert!(all.len() >= 4, "times differ from run to run: {all:?}");
}
