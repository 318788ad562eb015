//! DescribeInstanceTypes and DescribeResourcesModification over the catalog.

use serde_json::Value;

use super::support::*;

fn values(body: &Value) -> Vec<(String, String)> {
    body["AvailableZones"]["AvailableZone"][0]["AvailableResources"]["AvailableResource"][0]
        ["SupportedResources"]["SupportedResource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["Value"].as_str().unwrap().to_string(),
                r["Status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn instance_types_are_listed_with_their_shape() {
    let env = start_default().await;
    let api = &env.api;
    let all = api.call("DescribeInstanceTypes", &[]).await;
    let list = all.ok()["InstanceTypes"]["InstanceType"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(list.len(), 36);
    let g8y = api
        .call(
            "DescribeInstanceTypes",
            &[("InstanceTypes.1", "ecs.g8y.2xlarge")],
        )
        .await;
    let t = &g8y.ok()["InstanceTypes"]["InstanceType"][0];
    assert_eq!(t["CpuCoreCount"], 8);
    assert_eq!(t["MemorySize"], 32.0);
    assert_eq!(t["CpuArchitecture"], "ARM");
    let family = api
        .call("DescribeInstanceTypes", &[("InstanceTypeFamily", "ecs.r6")])
        .await;
    assert!(family.ok()["InstanceTypes"]["InstanceType"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["MemorySize"].as_f64().unwrap() == 8.0 * t["CpuCoreCount"].as_f64().unwrap()));
}

#[tokio::test]
async fn resize_options_follow_size_stock_and_image() {
    let env = start_default().await;
    let api = &env.api;
    let id = api
        .run_one(&[
            ("InstanceType", "ecs.g6.4xlarge"),
            ("ZoneId", "cn-hangzhou-h"),
        ])
        .await;
    let up = api
        .call(
            "DescribeResourcesModification",
            &[
                ("ResourceId", &id),
                ("DestinationResource", "InstanceType"),
                ("OperationType", "Upgrade"),
            ],
        )
        .await;
    let body = up.ok();
    assert_eq!(
        body["AvailableZones"]["AvailableZone"][0]["ZoneId"],
        "cn-hangzhou-h"
    );
    let up = values(body);
    assert!(
        up.contains(&("ecs.g6.8xlarge".into(), "SoldOut".into())),
        "{up:?}"
    );
    assert!(
        up.contains(&("ecs.r6.6xlarge".into(), "SoldOut".into())),
        "{up:?}"
    );
    assert!(
        up.contains(&("ecs.g7.8xlarge".into(), "Available".into())),
        "{up:?}"
    );
    assert!(
        up.contains(&("ecs.r6.4xlarge".into(), "Available".into())),
        "{up:?}"
    );
    assert!(
        up.contains(&("ecs.g7.4xlarge".into(), "Available".into())),
        "same size, newer family"
    );
    assert!(!up
        .iter()
        .any(|(v, _)| v.contains("g8y") || v.contains("ebm") || v == "ecs.g6.4xlarge"));
    let down = api
        .call(
            "DescribeResourcesModification",
            &[
                ("ResourceId", &id),
                ("DestinationResource", "InstanceType"),
                ("OperationType", "Downgrade"),
            ],
        )
        .await;
    let down = values(down.ok());
    assert_eq!(down.first().unwrap().0, "ecs.c6.large");
    assert!(down.iter().any(|(v, _)| v == "ecs.g6.2xlarge"));
    assert!(
        !down.iter().any(|(v, _)| v == "ecs.r6.4xlarge"),
        "more memory is not a downgrade"
    );
    assert!(
        !down.iter().any(|(v, _)| v == "ecs.g7.4xlarge"),
        "same size is not a downgrade"
    );
    let one = api
        .call(
            "DescribeResourcesModification",
            &[
                ("ResourceId", &id),
                ("DestinationResource", "InstanceType"),
                ("InstanceType", "ecs.g6.8xlarge"),
            ],
        )
        .await;
    let zone = &one.ok()["AvailableZones"]["AvailableZone"][0];
    assert_eq!(
        (zone["Status"].as_str(), zone["StatusCategory"].as_str()),
        (Some("SoldOut"), Some("WithoutStock"))
    );
    api.call(
        "DescribeResourcesModification",
        &[
            ("ResourceId", "i-none"),
            ("DestinationResource", "InstanceType"),
        ],
    )
    .await
    .expect_err(404, "InvalidResourceId.NotFound");
}

#[tokio::test]
async fn creation_checks_type_image_and_stock() {
    let env = start_default().await;
    let api = &env.api;
    let run = |ty: &'static str, image: &'static str| {
        let api = api.clone();
        async move {
            api.call("RunInstances", &[("InstanceType", ty), ("ImageId", image)])
                .await
        }
    };
    run("ecs.g6.8xlarge", X86_IMAGE)
        .await
        .expect_err(403, "OperationDenied.NoStock");
    run("ecs.ebmg6.26xlarge", X86_IMAGE)
        .await
        .expect_err(400, "InvalidInstanceType.ValueUnauthorized");
    run("ecs.x1.small", X86_IMAGE)
        .await
        .expect_err(400, "InvalidInstanceType.ValueNotSupported");
    run("ecs.g8y.large", X86_IMAGE)
        .await
        .expect_err(400, "InvalidParameter.Conflict");
    run("ecs.g8y.large", "aliyun_3_arm64_20G_alibase_20240819.vhd")
        .await
        .ok();
}
