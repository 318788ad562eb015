//! Subscription (PrePaid) instances: RunInstances' period parameters,
//! ModifyPrepayInstanceSpec (upgrade pending until a restart, downgrade only
//! while Stopped, three refunds), subscription bandwidth, orders and their
//! payment, expiry, and the auto-renewal pair. Table rows are named after
//! the rule they check.

// The tables' row types are tuples spelled out where they are used.
#![allow(clippy::type_complexity)]

use std::time::Duration;

use chrono::{Datelike, Utc};
use serde_json::{json, Value};

use super::support::*;

const PREPAID: (&str, &str) = ("InstanceChargeType", "PrePaid");
const VPC: (&str, &str) = ("VSwitchId", "vsw-prepay");

/// A Running subscription instance of `type_id` (one month), with `extra`.
async fn prepaid(api: &Api, type_id: &str, extra: &[(&str, &str)]) -> String {
    let mut p = vec![
        ("ImageId", X86_IMAGE),
        ("InstanceType", type_id),
        PREPAID,
        ("Period", "1"),
    ];
    p.extend_from_slice(extra);
    let r = api.call("RunInstances", &p).await;
    let id = r.ok()["InstanceIdSets"]["InstanceIdSet"][0]
        .as_str()
        .unwrap()
        .to_string();
    api.wait_status(&id, "Running").await;
    id
}

async fn prepay_spec(api: &Api, id: &str, extra: &[(&str, &str)]) -> Reply {
    let mut p = vec![("InstanceId", id)];
    p.extend_from_slice(extra);
    api.call("ModifyPrepayInstanceSpec", &p).await
}

async fn network(api: &Api, id: &str, extra: &[(&str, &str)]) -> Reply {
    let mut p = vec![("InstanceId", id)];
    p.extend_from_slice(extra);
    api.call("ModifyInstanceNetworkSpec", &p).await
}

async fn type_of(api: &Api, id: &str) -> String {
    api.instance(id).await.unwrap()["InstanceType"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn start_it(api: &Api, id: &str) {
    api.call("StartInstance", &[("InstanceId", id)]).await.ok();
    api.wait_status(id, "Running").await;
}

async fn admin_instance(api: &Api, id: &str) -> Value {
    let all = api.admin_get("/_emulator/instances").await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|i| i["InstanceId"] == id)
        .cloned()
        .unwrap()
}

async fn orders(api: &Api) -> Vec<Value> {
    api.admin_get("/_emulator/orders").await["Orders"]
        .as_array()
        .unwrap()
        .clone()
}

async fn order(api: &Api, order_id: &str) -> Value {
    orders(api)
        .await
        .into_iter()
        .find(|o| o["OrderId"] == order_id)
        .unwrap()
}

fn order_id(r: &Reply) -> String {
    let id = r.ok()["OrderId"].as_str().unwrap().to_string();
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    id
}

#[tokio::test]
async fn run_instances_subscription_parameters() {
    let env = start_default().await;
    let api = &env.api;
    let base = [
        ("ImageId", X86_IMAGE),
        ("InstanceType", "ecs.g6.large"),
        PREPAID,
    ];
    // (rule, extra parameters, expected status and code)
    let refused: &[(&str, &[(&str, &str)], u16, &str)] = &[
        ("PrePaid needs a Period", &[], 400, "MissingParameter"),
        (
            "Month periods skip 10",
            &[("Period", "10")],
            400,
            "InvalidPeriod",
        ),
        (
            "Month periods end at 60",
            &[("Period", "72")],
            400,
            "InvalidPeriod",
        ),
        (
            "Week periods end at 4",
            &[("Period", "5"), ("PeriodUnit", "Week")],
            400,
            "InvalidPeriod",
        ),
        (
            "PeriodUnit is Week or Month",
            &[("Period", "1"), ("PeriodUnit", "Year")],
            400,
            "InvalidPeriodUnit.ValueNotSupported",
        ),
        (
            "monthly AutoRenewPeriod skips 4",
            &[
                ("Period", "1"),
                ("AutoRenew", "true"),
                ("AutoRenewPeriod", "4"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "weekly AutoRenewPeriod ends at 3",
            &[
                ("Period", "1"),
                ("PeriodUnit", "Week"),
                ("AutoRenewPeriod", "4"),
            ],
            400,
            "InvalidParameter",
        ),
    ];
    for (rule, extra, status, code) in refused {
        let mut p = base.to_vec();
        p.extend_from_slice(extra);
        let r = api.call("RunInstances", &p).await;
        assert_eq!((r.status, r.code()), (*status, *code), "{rule}: {}", r.body);
    }
    assert!(
        api.admin_get("/_emulator/instances")
            .await
            .as_array()
            .unwrap()
            .is_empty(),
        "refused creations created nothing"
    );

    // (rule, extra, days the period lasts at least/most, renewal status, duration, unit)
    let accepted: &[(&str, &[(&str, &str)], (i64, i64), &str, i64, &str)] = &[
        (
            "one month by default unit",
            &[("Period", "1")],
            (28, 31),
            "Normal",
            1,
            "Month",
        ),
        (
            "four weeks with weekly auto-renewal",
            &[
                ("Period", "4"),
                ("PeriodUnit", "Week"),
                ("AutoRenew", "true"),
                ("AutoRenewPeriod", "3"),
            ],
            (28, 28),
            "AutoRenewal",
            3,
            "Week",
        ),
        (
            "five years",
            &[("Period", "60"), ("AutoRenewPeriod", "12")],
            (1826, 1827),
            "Normal",
            12,
            "Month",
        ),
    ];
    for (rule, extra, (min_days, max_days), renewal, duration, unit) in accepted {
        let mut p = base.to_vec();
        p.extend_from_slice(extra);
        let r = api.call("RunInstances", &p).await;
        let id = r.ok()["InstanceIdSets"]["InstanceIdSet"][0]
            .as_str()
            .unwrap()
            .to_string();
        let inst = api.instance(&id).await.unwrap();
        let expires =
            terraform_provider_ecs::ecs::parse_api_time(inst["ExpiredTime"].as_str().unwrap())
                .unwrap();
        let days = (expires - Utc::now()).num_days() + 1;
        assert!(
            (*min_days..=*max_days).contains(&days),
            "{rule}: {days} days"
        );
        let attrs = api
            .call("DescribeInstanceAutoRenewAttribute", &[("InstanceId", &id)])
            .await;
        let a = &attrs.ok()["InstanceRenewAttributes"]["InstanceRenewAttribute"][0];
        assert_eq!(
            (
                a["RenewalStatus"].as_str().unwrap(),
                a["Duration"].as_i64().unwrap(),
                a["PeriodUnit"].as_str().unwrap(),
                a["AutoRenewEnabled"].as_bool().unwrap()
            ),
            (*renewal, *duration, *unit, *renewal == "AutoRenewal"),
            "{rule}"
        );
    }
    let payg = api.run_one(&[]).await;
    assert_eq!(
        api.instance(&payg).await.unwrap()["ExpiredTime"],
        "2099-12-31T15:59Z",
        "pay-as-you-go never expires"
    );
}

#[tokio::test]
async fn an_upgrade_sent_while_running_takes_effect_at_the_next_start() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.large", &[]).await;
    let r = prepay_spec(
        api,
        &id,
        &[
            ("InstanceType", "ecs.g6.xlarge"),
            ("OperatorType", "upgrade"),
        ],
    )
    .await;
    let oid = order_id(&r);
    assert_eq!(order(api, &oid).await["Status"], "Paid");
    assert_eq!(
        type_of(api, &id).await,
        "ecs.g6.large",
        "not before a restart"
    );
    assert_eq!(
        admin_instance(api, &id).await["PendingInstanceType"],
        "ecs.g6.xlarge"
    );
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.2xlarge")])
        .await
        .expect_err(403, "InvalidOperation.RebootingRequired");
    api.stop(&id).await;
    assert_eq!(
        type_of(api, &id).await,
        "ecs.g6.large",
        "a stop is no start"
    );
    start_it(api, &id).await;
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
    assert_eq!(
        (inst["Cpu"].clone(), inst["Memory"].clone()),
        (json!(4), json!(16384))
    );
    assert_eq!(
        admin_instance(api, &id).await["PendingInstanceType"],
        Value::Null
    );
}

#[tokio::test]
async fn reboot_when_finished_restarts_a_running_instance_and_not_a_stopped_one() {
    let env = start_default().await;
    let api = &env.api;
    let running = prepaid(api, "ecs.g6.large", &[]).await;
    prepay_spec(
        api,
        &running,
        &[
            ("InstanceType", "ecs.g6.xlarge"),
            ("RebootWhenFinished", "true"),
        ],
    )
    .await
    .ok();
    assert_eq!(api.status(&running).await, "Starting");
    api.wait_status(&running, "Running").await;
    assert_eq!(type_of(api, &running).await, "ecs.g6.xlarge");

    let stopped = prepaid(api, "ecs.g6.large", &[]).await;
    api.stop(&stopped).await;
    prepay_spec(
        api,
        &stopped,
        &[
            ("InstanceType", "ecs.g6.xlarge"),
            ("RebootWhenFinished", "true"),
        ],
    )
    .await
    .ok();
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(api.status(&stopped).await, "Stopped");
    assert_eq!(type_of(api, &stopped).await, "ecs.g6.large");
    start_it(api, &stopped).await;
    assert_eq!(type_of(api, &stopped).await, "ecs.g6.xlarge");
}

#[tokio::test]
async fn a_downgrade_needs_stopped_and_operator_type_and_waits_for_the_start() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.xlarge", &[]).await;
    let down = [
        ("InstanceType", "ecs.g6.large"),
        ("OperatorType", "downgrade"),
    ];
    prepay_spec(api, &id, &down)
        .await
        .expect_err(400, "InvalidStatus.NotStopped");
    api.stop(&id).await;
    // (rule, parameters, code)
    let refused: &[(&str, &[(&str, &str)], &str)] = &[
        (
            "a smaller type without OperatorType",
            &[("InstanceType", "ecs.g6.large")],
            "InvalidParameter",
        ),
        (
            "a smaller type sent as an upgrade",
            &[
                ("InstanceType", "ecs.g6.large"),
                ("OperatorType", "upgrade"),
            ],
            "InvalidParameter",
        ),
        (
            "a bigger type sent as a downgrade",
            &[
                ("InstanceType", "ecs.g6.2xlarge"),
                ("OperatorType", "downgrade"),
            ],
            "InvalidParameter",
        ),
        (
            "an unknown OperatorType",
            &[
                ("InstanceType", "ecs.g6.large"),
                ("OperatorType", "sideways"),
            ],
            "InvalidParameter",
        ),
    ];
    for (rule, params, code) in refused {
        let r = prepay_spec(api, &id, params).await;
        assert_eq!((r.status, r.code()), (400, *code), "{rule}: {}", r.body);
    }
    let r = prepay_spec(api, &id, &down).await;
    assert_eq!(
        order(api, &order_id(&r)).await["OperationType"],
        "Downgrade"
    );
    assert_eq!(
        type_of(api, &id).await,
        "ecs.g6.xlarge",
        "not before the start"
    );
    assert_eq!(admin_instance(api, &id).await["RefundsUsed"], 1);
    start_it(api, &id).await;
    assert_eq!(type_of(api, &id).await, "ecs.g6.large");
}

#[tokio::test]
async fn three_refunds_per_instance_counting_bandwidth_downgrades() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(
        api,
        "ecs.g6.4xlarge",
        &[VPC, ("InternetMaxBandwidthOut", "10")],
    )
    .await;
    api.stop(&id).await;
    for (n, t) in ["ecs.g6.2xlarge", "ecs.g6.xlarge"].iter().enumerate() {
        prepay_spec(
            api,
            &id,
            &[("InstanceType", t), ("OperatorType", "downgrade")],
        )
        .await
        .ok();
        start_it(api, &id).await;
        api.stop(&id).await;
        assert_eq!(admin_instance(api, &id).await["RefundsUsed"], n + 1);
    }
    network(api, &id, &[("InternetMaxBandwidthOut", "5")])
        .await
        .ok();
    assert_eq!(admin_instance(api, &id).await["RefundsUsed"], 3);
    prepay_spec(
        api,
        &id,
        &[
            ("InstanceType", "ecs.g6.large"),
            ("OperatorType", "downgrade"),
        ],
    )
    .await
    .expect_err(400, "InstanceDowngrade.QuotaExceed");
    // Upgrades cost no refund.
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.2xlarge")])
        .await
        .ok();

    // The same count refuses a fourth downgrade of bandwidth.
    let other = prepaid(
        api,
        "ecs.g6.large",
        &[VPC, ("InternetMaxBandwidthOut", "10")],
    )
    .await;
    let (code, _) = api
        .admin_post(
            &format!("/_emulator/instances/{other}"),
            json!({"RefundsUsed": 3}),
        )
        .await;
    assert_eq!(code, 200);
    network(api, &other, &[("InternetMaxBandwidthOut", "5")])
        .await
        .expect_err(400, "InstanceDowngrade.QuotaExceed");
    network(api, &other, &[("InternetMaxBandwidthOut", "20")])
        .await
        .ok();
}

#[tokio::test]
async fn subscription_bandwidth_ranges_public_ip_and_cycle_lock() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(
        api,
        "ecs.g6.large",
        &[VPC, ("InternetChargeType", "PayByBandwidth")],
    )
    .await;
    network(api, &id, &[("InternetMaxBandwidthOut", "201")])
        .await
        .expect_err(400, "InvalidParameter");
    let r = network(api, &id, &[("InternetMaxBandwidthOut", "200")]).await;
    order_id(&r);
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["InternetMaxBandwidthOut"], 200);
    assert_eq!(
        inst["PublicIpAddress"]["IpAddress"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "a rise from 0 gives a subscription a public IP by itself"
    );
    // A fixed bandwidth only rises through the API, and stays fixed.
    for (rule, extra) in [
        (
            "a lower PayByBandwidth",
            [("InternetMaxBandwidthOut", "100")],
        ),
        (
            "back to PayByTraffic",
            [("NetworkChargeType", "PayByTraffic")],
        ),
    ] {
        let r = network(api, &id, &extra).await;
        assert_eq!((r.status, r.code()), (403, "OperationDenied"), "{rule}");
        assert!(r.message().contains("only be upgraded"), "{}", r.message());
    }
    assert_eq!(admin_instance(api, &id).await["RefundsUsed"], 0);

    // PayByTraffic bandwidth goes down too, as a refund, and then stays
    // until the next billing cycle.
    let traffic = prepaid(
        api,
        "ecs.g6.large",
        &[VPC, ("InternetMaxBandwidthOut", "50")],
    )
    .await;
    network(api, &traffic, &[("InternetMaxBandwidthOut", "101")])
        .await
        .expect_err(400, "InvalidParameter");
    network(api, &traffic, &[("InternetMaxBandwidthOut", "20")])
        .await
        .ok();
    assert_eq!(admin_instance(api, &traffic).await["RefundsUsed"], 1);
    for out in ["10", "30"] {
        let r = network(api, &traffic, &[("InternetMaxBandwidthOut", out)]).await;
        r.expect_err(403, "OperationDenied");
        assert!(r.message().contains("billing cycle"), "{}", r.message());
    }
    assert_eq!(
        api.instance(&traffic).await.unwrap()["InternetMaxBandwidthOut"],
        20
    );
}

#[tokio::test]
async fn unpaid_orders_change_nothing_and_block_later_changes_until_paid() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.large", &[VPC]).await;
    let r = prepay_spec(
        api,
        &id,
        &[("InstanceType", "ecs.g6.xlarge"), ("AutoPay", "false")],
    )
    .await;
    let oid = order_id(&r);
    let o = order(api, &oid).await;
    assert_eq!(
        (
            o["Status"].as_str(),
            o["InstanceId"].as_str(),
            o["Action"].as_str()
        ),
        (
            Some("Unpaid"),
            Some(id.as_str()),
            Some("ModifyPrepayInstanceSpec")
        )
    );
    assert_eq!(o["Change"]["InstanceType"], "ecs.g6.xlarge");
    assert_eq!(
        admin_instance(api, &id).await["PendingInstanceType"],
        Value::Null
    );
    // (rule, action, parameters)
    let blocked: &[(&str, &str, &[(&str, &str)])] = &[
        (
            "another type change",
            "ModifyPrepayInstanceSpec",
            &[("InstanceType", "ecs.g6.2xlarge")],
        ),
        (
            "a bandwidth change",
            "ModifyInstanceNetworkSpec",
            &[("InternetMaxBandwidthOut", "5")],
        ),
    ];
    for (rule, action, extra) in blocked {
        let mut p = vec![("InstanceId", id.as_str())];
        p.extend_from_slice(extra);
        let r = api.call(action, &p).await;
        assert_eq!(
            (r.status, r.code()),
            (400, "InvalidInstance.UnpaidOrder"),
            "{rule}: {}",
            r.body
        );
    }
    // Paying applies the change: pending until the restart.
    let (code, paid) = api
        .admin_post(
            &format!("/_emulator/orders/{oid}"),
            json!({"Status": "Paid"}),
        )
        .await;
    assert_eq!((code, paid["Status"].as_str()), (200, Some("Paid")));
    let (code, _) = api
        .admin_post(
            &format!("/_emulator/orders/{oid}"),
            json!({"Status": "Cancelled"}),
        )
        .await;
    assert_eq!(code, 409, "a paid order cannot be cancelled");
    assert_eq!(type_of(api, &id).await, "ecs.g6.large");
    api.stop(&id).await;
    start_it(api, &id).await;
    assert_eq!(type_of(api, &id).await, "ecs.g6.xlarge");

    // A cancelled order changes nothing and unblocks the instance.
    let r = network(
        api,
        &id,
        &[("InternetMaxBandwidthOut", "5"), ("AutoPay", "false")],
    )
    .await;
    let oid = order_id(&r);
    assert_eq!(
        order(api, &oid).await["Change"]["InternetMaxBandwidthOut"],
        5
    );
    let (code, _) = api
        .admin_post(
            &format!("/_emulator/orders/{oid}"),
            json!({"Status": "Cancelled"}),
        )
        .await;
    assert_eq!(code, 200);
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["InternetMaxBandwidthOut"], 0);
    assert!(inst["PublicIpAddress"]["IpAddress"]
        .as_array()
        .unwrap()
        .is_empty());
    network(api, &id, &[("InternetMaxBandwidthOut", "5")])
        .await
        .ok();
    let (code, _) = api
        .admin_post("/_emulator/orders/no-such", json!({"Status": "Paid"}))
        .await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn a_low_balance_leaves_an_abnormal_order_and_changes_nothing() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.large", &[]).await;
    let (code, account) = api
        .admin_post("/_emulator/account", json!({"LowBalance": true}))
        .await;
    assert_eq!((code, account["LowBalance"].as_bool()), (200, Some(true)));
    let r = prepay_spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")]).await;
    let oid = order_id(&r);
    assert_eq!(order(api, &oid).await["Status"], "Abnormal");
    api.stop(&id).await;
    start_it(api, &id).await;
    assert_eq!(type_of(api, &id).await, "ecs.g6.large", "nothing was paid");
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .expect_err(400, "InvalidInstance.UnpaidOrder");
    let (code, body) = api
        .admin_post(
            &format!("/_emulator/orders/{oid}"),
            json!({"Status": "Paid"}),
        )
        .await;
    assert_eq!(code, 409, "{body}");
    let (code, _) = api
        .admin_post(
            &format!("/_emulator/orders/{oid}"),
            json!({"Status": "Cancelled"}),
        )
        .await;
    assert_eq!(code, 200);
    // A downgrade is a refund: the balance does not matter.
    api.stop(&id).await;
    let r = prepay_spec(
        api,
        &id,
        &[
            ("InstanceType", "ecs.c6.large"),
            ("OperatorType", "downgrade"),
        ],
    )
    .await;
    assert_eq!(order(api, &order_id(&r)).await["Status"], "Paid");
}

#[tokio::test]
async fn expired_subscriptions_refuse_changes_and_can_be_released() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.large", &[VPC]).await;
    let (code, _) = api
        .admin_post(
            &format!("/_emulator/instances/{id}"),
            json!({"ExpiredTime": "2020-01-01T00:00Z"}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        api.instance(&id).await.unwrap()["ExpiredTime"],
        "2020-01-01T00:00Z"
    );
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .expect_err(403, "InvalidInstance.PreInstanceExpired");
    network(api, &id, &[("InternetMaxBandwidthOut", "5")])
        .await
        .expect_err(403, "InvalidInstance.PreInstanceExpired");
    api.stop(&id).await;
    api.call("DeleteInstance", &[("InstanceId", &id)])
        .await
        .expect_err(403, "ChargeTypeViolation");
    api.call(
        "DeleteInstance",
        &[("InstanceId", &id), ("TerminateSubscription", "true")],
    )
    .await
    .ok();
    assert!(api.instance(&id).await.is_none());
}

#[tokio::test]
async fn prepay_spec_refusals() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.large", &[]).await;
    let payg = api.run_one(&[]).await;
    // (rule, instance, parameters, status, code)
    let rows: &[(&str, &str, &[(&str, &str)], u16, &str)] = &[
        (
            "pay-as-you-go instances use ModifyInstanceSpec",
            &payg,
            &[("InstanceType", "ecs.g6.xlarge")],
            400,
            "InvalidInstanceChargeType.ValueNotSupported",
        ),
        (
            "InstanceType is required",
            &id,
            &[],
            400,
            "MissingParameter",
        ),
        (
            "an unknown type",
            &id,
            &[("InstanceType", "ecs.g6.huge")],
            400,
            "InvalidInstanceType.ValueNotSupported",
        ),
        (
            "the current type",
            &id,
            &[("InstanceType", "ecs.g6.large")],
            400,
            "DependencyViolation.InstanceType",
        ),
        (
            "a sold-out type",
            &id,
            &[("InstanceType", "ecs.g6.8xlarge")],
            403,
            "OperationDenied.NoStock",
        ),
        (
            "a malformed RebootTime",
            &id,
            &[
                ("InstanceType", "ecs.g6.xlarge"),
                ("RebootTime", "tomorrow"),
            ],
            400,
            "InvalidRebootTime.MalFormed",
        ),
        (
            "an unknown instance",
            "i-nope",
            &[("InstanceType", "ecs.g6.xlarge")],
            404,
            "InvalidInstanceId.NotFound",
        ),
    ];
    for (rule, inst, params, status, code) in rows {
        let r = prepay_spec(api, inst, params).await;
        assert_eq!((r.status, r.code()), (*status, *code), "{rule}: {}", r.body);
    }
    for status in ["Stopping", "Starting", "Pending"] {
        api.admin_post(
            &format!("/_emulator/instances/{id}"),
            json!({"Status": status}),
        )
        .await;
        prepay_spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
            .await
            .expect_err(403, "IncorrectInstanceStatus");
    }
    api.admin_post(
        &format!("/_emulator/instances/{id}"),
        json!({"Status": "Running"}),
    )
    .await;
    api.admin_post("/_emulator/account", json!({"Arrearage": true}))
        .await;
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .expect_err(400, "Account.Arrearage");
    api.admin_post("/_emulator/account", json!({"Arrearage": false}))
        .await;
    assert!(orders(api).await.is_empty(), "refused calls open no order");
    // ModifyPrepayInstanceSpec has no DryRun: ECS ignores the unknown
    // parameter and makes the change.
    let r = prepay_spec(
        api,
        &id,
        &[("InstanceType", "ecs.g6.xlarge"), ("DryRun", "true")],
    )
    .await;
    order_id(&r);
    assert_eq!(
        admin_instance(api, &id).await["PendingInstanceType"],
        "ecs.g6.xlarge"
    );
}

#[tokio::test]
async fn the_five_minute_rule_applies_to_subscription_changes() {
    let mut cfg = config();
    cfg.cooldown = Duration::from_millis(400);
    let env = start(cfg).await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.large", &[VPC]).await;
    network(api, &id, &[("InternetMaxBandwidthOut", "5")])
        .await
        .ok();
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .expect_err(400, "InvalidStatus.ValueNotSupported");
    tokio::time::sleep(Duration::from_millis(450)).await;
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .ok();
}

#[tokio::test]
async fn auto_renewal_attributes() {
    let env = start_default().await;
    let api = &env.api;
    let a = prepaid(api, "ecs.g6.large", &[]).await;
    let b = prepaid(api, "ecs.g6.large", &[("AutoRenew", "true")]).await;
    let payg = api.run_one(&[]).await;
    let both = format!("{a},{b}");
    // (rule, action, parameters, status, code)
    let refused: &[(&str, &str, &[(&str, &str)], u16, &str)] = &[
        (
            "Describe needs ids or a status",
            "DescribeInstanceAutoRenewAttribute",
            &[],
            403,
            "InvalidParameter.RenewalStatusInstanceId",
        ),
        (
            "Describe of pay-as-you-go",
            "DescribeInstanceAutoRenewAttribute",
            &[("InstanceId", &payg)],
            403,
            "ChargeTypeViolation",
        ),
        (
            "Describe of an unknown id",
            "DescribeInstanceAutoRenewAttribute",
            &[("InstanceId", "i-nope")],
            403,
            "InvalidParameter.InvalidInstanceId",
        ),
        (
            "Describe with a bad status",
            "DescribeInstanceAutoRenewAttribute",
            &[("RenewalStatus", "Sometimes")],
            403,
            "InvalidParameter.RenewalStatus",
        ),
        (
            "Modify needs ids",
            "ModifyInstanceAutoRenewAttribute",
            &[("AutoRenew", "true")],
            403,
            "MissingParameter.InstanceId",
        ),
        (
            "Modify of pay-as-you-go",
            "ModifyInstanceAutoRenewAttribute",
            &[("InstanceId", &payg), ("AutoRenew", "true")],
            403,
            "ChargeTypeViolation",
        ),
        (
            "monthly Duration skips 4",
            "ModifyInstanceAutoRenewAttribute",
            &[("InstanceId", &a), ("Duration", "4")],
            403,
            "InvalidParameter.Duration",
        ),
        (
            "yearly Duration ends at 3",
            "ModifyInstanceAutoRenewAttribute",
            &[
                ("InstanceId", &a),
                ("Duration", "4"),
                ("PeriodUnit", "Year"),
            ],
            403,
            "InvalidParameter.Duration",
        ),
        (
            "PeriodUnit is Week, Month or Year",
            "ModifyInstanceAutoRenewAttribute",
            &[("InstanceId", &a), ("Duration", "1"), ("PeriodUnit", "Day")],
            403,
            "InvalidPeriodUnit.ValueNotSupported",
        ),
    ];
    for (rule, action, params, status, code) in refused {
        let r = api.call(action, params).await;
        assert_eq!((r.status, r.code()), (*status, *code), "{rule}: {}", r.body);
    }
    let list = |r: &Reply| -> Vec<(String, String)> {
        r.ok()["InstanceRenewAttributes"]["InstanceRenewAttribute"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["InstanceId"].as_str().unwrap().to_string(),
                    x["RenewalStatus"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let r = api
        .call(
            "DescribeInstanceAutoRenewAttribute",
            &[("RenewalStatus", "AutoRenewal")],
        )
        .await;
    assert_eq!(list(&r), vec![(b.clone(), "AutoRenewal".to_string())]);
    // RenewalStatus wins over AutoRenew; both instances in one call.
    api.call(
        "ModifyInstanceAutoRenewAttribute",
        &[
            ("InstanceId", &both),
            ("AutoRenew", "true"),
            ("RenewalStatus", "NotRenewal"),
            ("Duration", "2"),
            ("PeriodUnit", "Year"),
        ],
    )
    .await
    .ok();
    let r = api
        .call(
            "DescribeInstanceAutoRenewAttribute",
            &[("InstanceId", &both)],
        )
        .await;
    assert_eq!(
        list(&r),
        vec![
            (a.clone(), "NotRenewal".into()),
            (b.clone(), "NotRenewal".into())
        ]
    );
    let first = &r.ok()["InstanceRenewAttributes"]["InstanceRenewAttribute"][0];
    assert_eq!(
        (
            first["Duration"].clone(),
            first["PeriodUnit"].clone(),
            first["AutoRenewEnabled"].clone()
        ),
        (json!(2), json!("Year"), json!(false))
    );
    api.call(
        "ModifyInstanceAutoRenewAttribute",
        &[
            ("InstanceId", &a),
            ("AutoRenew", "true"),
            ("Duration", "4"),
            ("PeriodUnit", "Week"),
        ],
    )
    .await
    .ok();
    let r = api
        .call("DescribeInstanceAutoRenewAttribute", &[("InstanceId", &a)])
        .await;
    assert_eq!(list(&r), vec![(a.clone(), "AutoRenewal".into())]);
}

#[tokio::test]
async fn conversion_to_subscription_starts_a_paid_period() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    api.call(
        "ModifyInstanceChargeType",
        &[
            ("InstanceIds", &format!("[\"{id}\"]")),
            ("InstanceChargeType", "PrePaid"),
            ("Period", "2"),
        ],
    )
    .await
    .ok();
    let inst = api.instance(&id).await.unwrap();
    let expires =
        terraform_provider_ecs::ecs::parse_api_time(inst["ExpiredTime"].as_str().unwrap()).unwrap();
    let now = Utc::now();
    let months = (expires.year() - now.year()) * 12 + expires.month() as i32 - now.month() as i32;
    assert_eq!(months, 2, "{expires}");
    api.call(
        "ModifyInstanceChargeType",
        &[
            ("InstanceIds", &format!("[\"{id}\"]")),
            ("InstanceChargeType", "PostPaid"),
        ],
    )
    .await
    .ok();
    assert_eq!(
        api.instance(&id).await.unwrap()["ExpiredTime"],
        "2099-12-31T15:59Z"
    );
}

#[tokio::test]
async fn downgrade_candidates_are_smaller_types() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.xlarge", &[]).await;
    let r = api
        .call(
            "DescribeResourcesModification",
            &[
                ("ResourceId", &id),
                ("DestinationResource", "InstanceType"),
                ("OperationType", "Downgrade"),
            ],
        )
        .await;
    let values: Vec<String> = r.ok()["AvailableZones"]["AvailableZone"][0]["AvailableResources"]
        ["AvailableResource"][0]["SupportedResources"]["SupportedResource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Value"].as_str().unwrap().to_string())
        .collect();
    assert!(values.contains(&"ecs.g6.large".to_string()), "{values:?}");
    assert!(
        !values.contains(&"ecs.g6.2xlarge".to_string()),
        "{values:?}"
    );
    // Each listed type is accepted as a downgrade.
    api.stop(&id).await;
    prepay_spec(
        api,
        &id,
        &[("InstanceType", &values[0]), ("OperatorType", "downgrade")],
    )
    .await
    .ok();
}

#[tokio::test]
async fn a_restart_keeps_orders_refunds_expiry_and_the_pending_type() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.state = Some(dir.path().join("state.json"));
    let env = start(cfg.clone()).await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.xlarge", &[VPC]).await;
    let expires = api.instance(&id).await.unwrap()["ExpiredTime"].clone();
    api.stop(&id).await;
    prepay_spec(
        api,
        &id,
        &[
            ("InstanceType", "ecs.g6.large"),
            ("OperatorType", "downgrade"),
        ],
    )
    .await
    .ok();
    let unpaid = prepaid(api, "ecs.g6.large", &[]).await;
    let r = prepay_spec(
        api,
        &unpaid,
        &[("InstanceType", "ecs.g6.xlarge"), ("AutoPay", "false")],
    )
    .await;
    let oid = order_id(&r);
    env.handle.shutdown().await;

    let env = start(cfg).await;
    let api = &env.api;
    let view = admin_instance(api, &id).await;
    assert_eq!(
        (
            view["RefundsUsed"].clone(),
            view["PendingInstanceType"].clone()
        ),
        (json!(1), json!("ecs.g6.large"))
    );
    assert_eq!(api.instance(&id).await.unwrap()["ExpiredTime"], expires);
    assert_eq!(order(api, &oid).await["Status"], "Unpaid");
    prepay_spec(api, &unpaid, &[("InstanceType", "ecs.g6.2xlarge")])
        .await
        .expect_err(400, "InvalidInstance.UnpaidOrder");
    start_it(api, &id).await;
    assert_eq!(type_of(api, &id).await, "ecs.g6.large");
}

#[tokio::test]
async fn shown_early_the_new_type_is_visible_before_the_restart_it_still_needs() {
    let mut cfg = config();
    cfg.subscription_type_shown_early = true;
    let env = start(cfg).await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.large", &[]).await;
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .ok();
    assert_eq!(type_of(api, &id).await, "ecs.g6.xlarge", "shown at once");
    assert_eq!(
        admin_instance(api, &id).await["PendingInstanceType"],
        "ecs.g6.xlarge",
        "but a restart is still owed"
    );
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.2xlarge")])
        .await
        .expect_err(403, "InvalidOperation.RebootingRequired");
    api.stop(&id).await;
    start_it(api, &id).await;
    assert_eq!(type_of(api, &id).await, "ecs.g6.xlarge");
    assert_eq!(
        admin_instance(api, &id).await["PendingInstanceType"],
        Value::Null
    );
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.2xlarge")])
        .await
        .ok();
}

#[tokio::test]
async fn a_conversion_keeps_the_type_change_owed_a_restart() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(api, "ecs.g6.large", &[]).await;
    prepay_spec(api, &id, &[("InstanceType", "ecs.g6.xlarge")])
        .await
        .ok();
    api.call(
        "ModifyInstanceChargeType",
        &[
            ("InstanceIds", &format!("[\"{id}\"]")),
            ("InstanceChargeType", "PostPaid"),
        ],
    )
    .await
    .ok();
    api.stop(&id).await;
    api.call(
        "ModifyInstanceSpec",
        &[("InstanceId", &id), ("InstanceType", "ecs.g6.2xlarge")],
    )
    .await
    .expect_err(403, "InvalidOperation.RebootingRequired");
    start_it(api, &id).await;
    assert_eq!(type_of(api, &id).await, "ecs.g6.xlarge");
}

#[tokio::test]
async fn a_resent_token_answers_the_same_order_and_counts_one_refund() {
    let env = start_default().await;
    let api = &env.api;
    let id = prepaid(
        api,
        "ecs.g6.xlarge",
        &[VPC, ("InternetMaxBandwidthOut", "10")],
    )
    .await;
    api.stop(&id).await;
    let down = [
        ("InstanceType", "ecs.g6.large"),
        ("OperatorType", "downgrade"),
        ("ClientToken", "down-once"),
    ];
    let first = order_id(&prepay_spec(api, &id, &down).await);
    let again = order_id(&prepay_spec(api, &id, &down).await);
    assert_eq!(first, again);
    let bw = [("InternetMaxBandwidthOut", "5"), ("ClientToken", "bw-once")];
    let first_bw = order_id(&network(api, &id, &bw).await);
    assert_eq!(order_id(&network(api, &id, &bw).await), first_bw);
    assert_eq!(orders(api).await.len(), 2, "one order per change");
    assert_eq!(admin_instance(api, &id).await["RefundsUsed"], 2);
}
