//! Subscription (PrePaid) calls: the parameters each method sends, the
//! answers it accepts (an OrderId as a string or a bare number), retries
//! with the same ClientToken, the subscription error codes, and the whole
//! round trip against the emulator.

use std::time::Duration;

use serde_json::json;
use terraform_provider_ecs::ecs::codes::{self, SUBSCRIPTION_CODES, TABLE};
use terraform_provider_ecs::ecs::{
    parse_api_time, AutoRenewSetting, Client, ClientConfig, Error, ErrorKind, PeriodUnit,
    PrepaySpec, RenewalStatus, Resize, RunInstancesRequest, Secret, SubscriptionTerms,
};
use terraform_provider_ecs::emulator::{self, Config};

use crate::server::{Reply, Server};
use crate::{client_for, BOTH};

fn upgrade(t: &str) -> PrepaySpec {
    PrepaySpec {
        instance_type: t.into(),
        direction: Resize::Upgrade,
        auto_pay: true,
        reboot_when_finished: false,
    }
}

#[tokio::test]
async fn modify_prepay_instance_spec_sends_every_choice_and_reads_either_order_id() {
    for (n, body) in [
        json!({"RequestId": "R", "OrderId": "1234567890"}),
        json!({"RequestId": "R", "OrderId": 1234567890u64}),
    ]
    .into_iter()
    .enumerate()
    {
        let server = Server::start(move |_| Reply::json(200, body.clone())).await;
        let client = client_for(&server, BOTH[n % 2], |_| {});
        let spec = PrepaySpec {
            direction: Resize::Downgrade,
            auto_pay: false,
            reboot_when_finished: true,
            ..upgrade("ecs.g6.large")
        };
        let order = client
            .modify_prepay_instance_spec("i-1", &spec, "tok-1")
            .await
            .unwrap();
        assert_eq!(order, "1234567890");
        let req = &server.requests()[0];
        assert_eq!(req.action, "ModifyPrepayInstanceSpec");
        for (k, v) in [
            ("InstanceId", "i-1"),
            ("InstanceType", "ecs.g6.large"),
            ("OperatorType", "downgrade"),
            ("AutoPay", "false"),
            ("RebootWhenFinished", "true"),
            ("ClientToken", "tok-1"),
            ("RegionId", "cn-hangzhou"),
        ] {
            assert_eq!(req.param(k), Some(v), "{k}");
        }
    }
}

#[tokio::test]
async fn a_lost_answer_is_retried_with_the_same_token_and_unpaid_orders_are_not() {
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = n.clone();
    let server =
        Server::start(
            move |_| match seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => Reply::Drop,
                1 => Reply::error(
                    400,
                    "LastOrderProcessing",
                    "The previous order is still processing, please try again later.",
                ),
                _ => Reply::json(200, json!({"RequestId": "R", "OrderId": "42"})),
            },
        )
        .await;
    let client = client_for(&server, BOTH[0], |_| {});
    let order = client
        .modify_prepay_instance_spec("i-1", &upgrade("ecs.g6.xlarge"), "tok-same")
        .await
        .unwrap();
    assert_eq!(order, "42");
    let tokens: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.param("ClientToken").unwrap().to_string())
        .collect();
    assert_eq!(tokens, vec!["tok-same"; 3]);

    let server = Server::start(|_| {
        Reply::error(
            400,
            "InvalidInstance.UnpaidOrder",
            "The specified instance has unpaid order.",
        )
    })
    .await;
    let client = client_for(&server, BOTH[1], |_| {});
    let e = client
        .modify_prepay_instance_spec("i-1", &upgrade("ecs.g6.xlarge"), "tok")
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 1, "not retried");
    assert_eq!(e.kind, ErrorKind::Billing);
    assert!(codes::is_unpaid_order(&e.code));
    assert!(e.remedy().contains("pay or cancel"), "{}", e.remedy());
}

#[tokio::test]
async fn prepaid_bandwidth_and_auto_renewal_send_what_ecs_reads() {
    let server = Server::start(|r| match r.action.as_str() {
        "ModifyInstanceNetworkSpec" => Reply::json(200, json!({"RequestId": "R", "OrderId": 77})),
        "DescribeInstanceAutoRenewAttribute" => Reply::json(
            200,
            json!({
                "RequestId": "R", "PageNumber": 1, "PageSize": 100, "TotalCount": 1,
                "InstanceRenewAttributes": {"InstanceRenewAttribute": [{
                    "InstanceId": "i-1", "AutoRenewEnabled": true, "Duration": 3,
                    "PeriodUnit": "week", "RenewalStatus": "AutoRenewal"
                }]}
            }),
        ),
        _ => Reply::ok(),
    })
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    let order = client
        .modify_prepaid_bandwidth("i-1", Some(5), None, true, "tok-bw")
        .await
        .unwrap();
    assert_eq!(order, "77");
    let ids = vec!["i-1".to_string(), "i-2".to_string()];
    let attrs = client
        .describe_instance_auto_renew_attribute(&ids)
        .await
        .unwrap();
    assert_eq!(attrs.len(), 1);
    assert_eq!(
        (
            attrs[0].duration,
            attrs[0].period_unit,
            attrs[0].renewal_status
        ),
        (
            Some(3),
            Some(PeriodUnit::Week),
            Some(RenewalStatus::AutoRenewal)
        )
    );
    client
        .modify_instance_auto_renew_attribute(
            &ids,
            &AutoRenewSetting {
                renewal_status: RenewalStatus::NotRenewal,
                duration: Some((2, PeriodUnit::Year)),
            },
        )
        .await
        .unwrap();
    let reqs = server.requests();
    let bw = &reqs[0];
    assert_eq!(
        (
            bw.param("InternetMaxBandwidthOut"),
            bw.param("InternetMaxBandwidthIn"),
            bw.param("AutoPay"),
            bw.param("ClientToken")
        ),
        (Some("5"), None, Some("true"), Some("tok-bw"))
    );
    assert_eq!(reqs[1].param("InstanceId"), Some("i-1,i-2"));
    let m = &reqs[2];
    assert_eq!(
        (
            m.param("InstanceId"),
            m.param("RenewalStatus"),
            m.param("Duration"),
            m.param("PeriodUnit"),
            m.param("AutoRenew")
        ),
        (
            Some("i-1,i-2"),
            Some("NotRenewal"),
            Some("2"),
            Some("Year"),
            None
        )
    );
}

#[test]
fn every_subscription_code_has_a_row_with_a_remedy() {
    for code in SUBSCRIPTION_CODES {
        assert!(
            TABLE.iter().any(|(k, _)| *k == code),
            "subscription code {code} missing from TABLE"
        );
    }
    // (action, code, HTTP status, kind, retryable, words of the remedy)
    let rows: &[(&str, &str, u16, ErrorKind, bool, &str)] = &[
        (
            "ModifyPrepayInstanceSpec",
            "InvalidStatus.NotStopped",
            400,
            ErrorKind::InvalidStatus,
            false,
            "stopped",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "InstanceDowngrade.QuotaExceed",
            400,
            ErrorKind::Billing,
            false,
            "three downgrades",
        ),
        (
            "ModifyInstanceNetworkSpec",
            "InstanceDowngrade.QuotaExceed",
            400,
            ErrorKind::Billing,
            false,
            "lower outbound bandwidth",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "InvalidInstance.UnpaidOrder",
            400,
            ErrorKind::Billing,
            false,
            "pay or cancel",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "OperationDenied.UnpaidOrder",
            403,
            ErrorKind::Billing,
            false,
            "pay or cancel",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "InvalidInstance.PreInstanceExpired",
            403,
            ErrorKind::Billing,
            false,
            "renew",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "InvalidOperation.RebootingRequired",
            403,
            ErrorKind::InvalidStatus,
            false,
            "restart",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "LastOrderProcessing",
            400,
            ErrorKind::Conflict,
            true,
            "still being processed",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "OrderCreationFailed",
            400,
            ErrorKind::Billing,
            true,
            "order",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "QuotaExceed.RufundVcpu",
            400,
            ErrorKind::Billing,
            false,
            "downgrade next month",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "InvalidInstanceChargeType.ValueNotSupported",
            400,
            ErrorKind::InvalidParameter,
            false,
            "ModifyInstanceSpec",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "NoPermission.Refund",
            400,
            ErrorKind::Auth,
            false,
            "refund",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "OperationDenied.NoStock",
            403,
            ErrorKind::Unsupported,
            false,
            "stock",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "Account.Arrearage",
            400,
            ErrorKind::Billing,
            false,
            "overdue",
        ),
        (
            "ModifyPrepayInstanceSpec",
            "IncorrectInstanceStatus",
            403,
            ErrorKind::InvalidStatus,
            false,
            "Running or Stopped",
        ),
        (
            "ModifyInstanceNetworkSpec",
            "OperationDenied",
            403,
            ErrorKind::Unsupported,
            false,
            "billing cycle",
        ),
        (
            "RunInstances",
            "InvalidPeriod",
            400,
            ErrorKind::InvalidParameter,
            false,
            "period",
        ),
        (
            "ModifyInstanceAutoRenewAttribute",
            "InvalidParameter.Duration",
            403,
            ErrorKind::InvalidParameter,
            false,
            "auto_renew_period",
        ),
        (
            "ModifyInstanceAutoRenewAttribute",
            "ChargeTypeViolation",
            403,
            ErrorKind::Unsupported,
            false,
            "subscription",
        ),
    ];
    for &(action, code, status, kind, retryable, words) in rows {
        let e = Error::api(action, Some(status), code, "msg", Some("RID".into()));
        assert_eq!(e.kind, kind, "{action} {code}");
        assert_eq!(e.is_retryable(), retryable, "{action} {code} retryable");
        assert!(
            e.remedy().to_lowercase().contains(&words.to_lowercase()),
            "{action} {code}: remedy {:?} should mention {words:?}",
            e.remedy()
        );
    }
}

/// The client against the emulator: the whole subscription life of one
/// instance through the public methods.
#[tokio::test]
async fn a_subscription_round_trip_through_the_emulator() {
    let emu = emulator::start(Config {
        access_key_id: "ak".into(),
        access_key_secret: "sk".into(),
        transition: Duration::from_millis(20),
        cooldown: Duration::ZERO,
        ..Config::default()
    })
    .await
    .unwrap();
    let mut cfg = ClientConfig::new("cn-hangzhou", "ak", Secret::new("sk"));
    cfg.endpoint = Some(emu.url());
    cfg.max_retries = 2;
    let client = Client::new(cfg).unwrap();
    let req = RunInstancesRequest {
        image_id: "aliyun_3_x64_20G_alibase_20240819.vhd".into(),
        instance_type: "ecs.g6.large".into(),
        vswitch_id: Some("vsw-sub".into()),
        security_group_ids: vec!["sg-sub".into()],
        instance_charge_type: Some("PrePaid".into()),
        ..Default::default()
    };
    let e = client
        .run_instances(&req, &Client::new_client_token("RunInstances"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "MissingParameter", "ECS wants a period: {e}");
    let terms = SubscriptionTerms {
        period: 2,
        period_unit: PeriodUnit::Week,
        auto_renew: true,
        auto_renew_period: Some(1),
    };
    let req = RunInstancesRequest {
        terms: Some(terms),
        ..req
    };
    let id = client
        .run_instances(&req, &Client::new_client_token("RunInstances"))
        .await
        .unwrap();
    let ids = vec![id.clone()];
    // ExpiredTime comes with DescribeInstances: no call of its own.
    let billing = client.describe_instances(&ids).await.unwrap();
    let expires = parse_api_time(&billing[0].expired_time).unwrap();
    let days = (expires - chrono::Utc::now()).num_days();
    assert!((13..=14).contains(&days), "{}", billing[0].expired_time);
    assert_eq!(billing[0].instance_charge_type, "PrePaid");
    let renew = client
        .describe_instance_auto_renew_attribute(&ids)
        .await
        .unwrap();
    assert_eq!(renew[0].renewal_status, Some(RenewalStatus::AutoRenewal));
    assert_eq!(
        (renew[0].duration, renew[0].period_unit),
        (Some(1), Some(PeriodUnit::Week))
    );

    for _ in 0..200 {
        if client.describe_instances(&ids).await.unwrap()[0].status == "Running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ups = client
        .describe_resources_modification(&id, Resize::Upgrade.operation_type())
        .await
        .unwrap();
    assert!(ups.iter().any(|t| t.instance_type == "ecs.g6.xlarge"));
    let token = Client::new_client_token("ModifyPrepayInstanceSpec");
    let order = client
        .modify_prepay_instance_spec(&id, &upgrade("ecs.g6.xlarge"), &token)
        .await
        .unwrap();
    assert!(!order.is_empty());
    let again = client
        .modify_prepay_instance_spec(&id, &upgrade("ecs.g6.xlarge"), &token)
        .await
        .unwrap();
    assert_eq!(again, order, "the same token answers the same order");
    let e = client
        .modify_prepay_instance_spec(
            &id,
            &upgrade("ecs.g6.2xlarge"),
            &Client::new_client_token("ModifyPrepayInstanceSpec"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidOperation.RebootingRequired");
    assert_eq!(
        client.describe_instances(&ids).await.unwrap()[0].instance_type,
        "ecs.g6.large"
    );

    let bw = client
        .modify_prepaid_bandwidth(&id, Some(10), None, true, &Client::new_client_token("Bw"))
        .await;
    assert!(!bw.unwrap().is_empty());
    let inst = &client.describe_instances(&ids).await.unwrap()[0];
    assert_eq!(inst.internet_max_bandwidth_out, Some(10));
    assert_eq!(inst.public_ips.len(), 1, "no AllocatePublicIp needed");

    client
        .modify_instance_auto_renew_attribute(
            &ids,
            &AutoRenewSetting {
                renewal_status: RenewalStatus::Normal,
                duration: None,
            },
        )
        .await
        .unwrap();
    let renew = client
        .describe_instance_auto_renew_attribute(&ids)
        .await
        .unwrap();
    assert_eq!(renew[0].renewal_status, Some(RenewalStatus::Normal));
    emu.shutdown().await;
}
