//! Responses written from the documented samples, parsed through the public
//! client: wrapped arrays unwrapped, Memory in MiB, minute-precision times.

use terraform_provider_ecs::ecs::{
    parse_api_time, AvailableType, Client, ErrorKind, InstanceTypeFilter, ModifySpec,
    RunInstancesRequest,
};

use crate::server::{Reply, Server};
use crate::{client_for, fixture, BOTH};

fn json_fixture(name: &'static str) -> Reply {
    Reply::raw(200, "application/json", &fixture(name))
}

#[tokio::test]
async fn describe_instances_sample() {
    let server = Server::start(|_| json_fixture("describe_instances.json")).await;
    let client = client_for(&server, BOTH[1], |_| {});
    let ids = vec![
        "i-bp67acfmxazb4ph****".to_string(),
        "i-classic0001****".to_string(),
    ];
    let found = client.describe_instances(&ids).await.unwrap();
    assert_eq!(found.len(), 2);
    let vpc = &found[0];
    assert_eq!(vpc.instance_id, "i-bp67acfmxazb4ph****");
    assert_eq!(vpc.instance_name, "web-01");
    assert_eq!(vpc.instance_type, "ecs.g5.large");
    assert_eq!((vpc.cpu, vpc.memory_mib), (Some(2), Some(8192)));
    assert_eq!(vpc.status, "Running");
    assert_eq!(vpc.zone_id, "cn-hangzhou-g");
    assert_eq!(vpc.region_id, "cn-hangzhou");
    assert_eq!(vpc.image_id, "m-bp67acfmxazb4p****");
    assert_eq!(
        (
            vpc.internet_max_bandwidth_out,
            vpc.internet_max_bandwidth_in
        ),
        (Some(5), Some(50))
    );
    assert_eq!(vpc.internet_charge_type, "PayByTraffic");
    assert_eq!(vpc.instance_charge_type, "PostPaid");
    assert_eq!(vpc.instance_network_type, "vpc");
    assert_eq!(vpc.vpc_id, "v-bp67acfmxazb4p****");
    assert_eq!(vpc.vswitch_id, "vsw-bp67acfmxazb4p****");
    assert_eq!(
        vpc.security_group_ids,
        vec!["sg-bp67acfmxazb4p****", "sg-bp67acfmxazb4q****"]
    );
    assert_eq!(vpc.public_ips, vec!["121.40.**.**"]);
    assert_eq!(vpc.private_ips, vec!["172.17.**.**"]);
    assert_eq!(vpc.stopped_mode, "Not-applicable");
    assert_eq!(vpc.creation_time, "2017-12-10T04:04Z");
    assert_eq!(
        parse_api_time(&vpc.creation_time).unwrap().to_rfc3339(),
        "2017-12-10T04:04:00+00:00"
    );
    let classic = &found[1];
    assert_eq!(classic.instance_network_type, "classic");
    assert_eq!(
        classic.private_ips,
        vec!["10.170.**.**"],
        "InnerIpAddress for classic"
    );
    assert_eq!(
        classic.public_ips,
        vec!["47.94.**.**"],
        "the EIP counts as public"
    );
    assert_eq!(
        (classic.memory_mib, classic.internet_max_bandwidth_in),
        (Some(1024), None),
        "-1 means not set"
    );
    assert_eq!(classic.stopped_mode, "KeepCharging");
    assert_eq!(classic.vpc_id, "");
}

#[tokio::test]
async fn batched_lookup_of_the_sample() {
    let server = Server::start(|_| json_fixture("describe_instances.json")).await;
    let client = client_for(&server, BOTH[0], |_| {});
    let (a, b) = tokio::join!(
        client.describe_instance("i-classic0001****"),
        client.describe_instance("i-not-in-sample")
    );
    assert_eq!(a.unwrap().unwrap().instance_name, "legacy");
    assert!(b.unwrap().is_none());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn describe_instance_types_follows_next_token() {
    let server = Server::start(|req| match req.param("NextToken") {
        None => json_fixture("describe_instance_types_page1.json"),
        Some("e71d8a535bd9cc11") => json_fixture("describe_instance_types_page2.json"),
        Some(other) => panic!("unexpected NextToken {other}"),
    })
    .await;
    let client = client_for(&server, BOTH[1], |_| {});
    let filter = InstanceTypeFilter {
        family: Some("ecs.g6".into()),
        instance_type_ids: vec![],
    };
    let types = client.describe_instance_types(&filter).await.unwrap();
    assert_eq!(types.len(), 3);
    assert_eq!(types[0].instance_type_id, "ecs.g6.large");
    assert_eq!(types[0].family, "ecs.g6");
    assert_eq!(
        (types[0].cpu_core_count, types[0].memory_gib),
        (Some(2), Some(8.0))
    );
    assert_eq!(types[0].cpu_architecture, "X86");
    assert_eq!(types[2].memory_gib, Some(0.5));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].param("InstanceTypeFamily"), Some("ecs.g6"));
}

#[tokio::test]
async fn instance_type_ids_are_asked_ten_at_a_time() {
    let server = Server::start(|_| json_fixture("describe_instance_types_page2.json")).await;
    let client = client_for(&server, BOTH[0], |_| {});
    let filter = InstanceTypeFilter {
        family: None,
        instance_type_ids: (0..23).map(|i| format!("ecs.t{i}.large")).collect(),
    };
    client.describe_instance_types(&filter).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].param("InstanceTypes.10"), Some("ecs.t9.large"));
    assert_eq!(reqs[0].param("InstanceTypes.11"), None);
    assert_eq!(reqs[2].param("InstanceTypes.3"), Some("ecs.t22.large"));
}

#[tokio::test]
async fn describe_resources_modification_sample() {
    let server = Server::start(|_| json_fixture("describe_resources_modification.json")).await;
    let client = client_for(&server, BOTH[1], |_| {});
    let types = client
        .describe_resources_modification("i-1", "Upgrade")
        .await
        .unwrap();
    assert_eq!(
        types,
        vec![
            AvailableType {
                instance_type: "ecs.g5.xlarge".into(),
                status: "Available".into(),
                status_category: "WithStock".into()
            },
            AvailableType {
                instance_type: "ecs.g5.2xlarge".into(),
                status: "SoldOut".into(),
                status_category: "WithoutStock".into()
            },
        ],
        "system disks are not instance types"
    );
    let r = &server.requests()[0];
    assert_eq!(r.param("ResourceId"), Some("i-1"));
    assert_eq!(r.param("DestinationResource"), Some("InstanceType"));
    assert_eq!(r.param("OperationType"), Some("Upgrade"));
    assert_eq!(r.param("RegionId"), Some("cn-hangzhou"));
}

#[tokio::test]
async fn run_instances_sample() {
    let server = Server::start(|_| json_fixture("run_instances.json")).await;
    let client = client_for(&server, BOTH[0], |_| {});
    let req = RunInstancesRequest {
        security_group_ids: vec!["sg-emulator-test".into()],
        image_id: "img".into(),
        instance_type: "ecs.g6.large".into(),
        vswitch_id: Some("vsw-1".into()),
        instance_name: Some("web 01 ✓".into()),
        ..Default::default()
    };
    let id = client
        .run_instances(&req, &Client::new_client_token("RunInstances"))
        .await
        .unwrap();
    assert_eq!(id, "i-bp67acfmxazb4pd2****");
    let r = &server.requests()[0];
    assert_eq!(r.param("InstanceName"), Some("web 01 ✓"));
    assert_eq!(r.param("VSwitchId"), Some("vsw-1"));
    assert_eq!(r.param("ZoneId"), None);
    assert!(r.signature_ok);
}

#[tokio::test]
async fn modify_instance_spec_samples_json_and_xml() {
    // The documented JSON sample has a trailing comma; a 2xx is still done.
    for (name, ctype) in [
        ("modify_instance_spec.json", "application/json"),
        ("modify_instance_spec.xml", "text/xml"),
    ] {
        let server = Server::start(move |_| Reply::raw(200, ctype, &fixture(name))).await;
        let client = client_for(&server, BOTH[1], |_| {});
        let spec = ModifySpec::Bandwidth {
            out: Some(10),
            inbound: Some(100),
        };
        client
            .modify_instance_spec("i-xxxxx1", &spec, "tok-1")
            .await
            .unwrap();
        let r = &server.requests()[0];
        assert_eq!(r.param("InternetMaxBandwidthOut"), Some("10"));
        assert_eq!(r.param("InternetMaxBandwidthIn"), Some("100"));
        assert_eq!(r.param("InstanceType"), None);
        assert_eq!(r.param("ClientToken"), Some("tok-1"));
    }
}

#[tokio::test]
async fn network_spec_sends_only_what_changes() {
    let server = Server::start(|_| Reply::ok()).await;
    let client = client_for(&server, BOTH[0], |_| {});
    client
        .modify_instance_network_spec("i-1", Some(20), None, "tok-2")
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.action, "ModifyInstanceNetworkSpec");
    assert_eq!(r.param("InternetMaxBandwidthOut"), Some("20"));
    assert_eq!(r.param("InternetMaxBandwidthIn"), None);
    let err = client
        .modify_instance_network_spec("i-1", None, None, "tok-3")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidParameter);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn error_samples_json_and_xml() {
    let server =
        Server::start(|_| Reply::raw(404, "application/json", &fixture("error_access_key.json")))
            .await;
    let client = client_for(&server, BOTH[1], |_| {});
    let err = client.start_instance("i-1").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth);
    assert_eq!(err.code, "InvalidAccessKeyId.NotFound");
    assert_eq!(err.message, "Specified access key is not found.");
    assert_eq!(
        err.request_id.as_deref(),
        Some("540CFF28-407A-40B5-B6A5-74Bxxxxxxxxx")
    );
    assert_eq!(server.requests().len(), 1);

    let server =
        Server::start(|_| Reply::raw(400, "text/xml", &fixture("error_not_stopped.xml"))).await;
    let client = client_for(&server, BOTH[0], |_| {});
    let err = client
        .modify_instance_spec("i-1", &ModifySpec::Type("ecs.g6.large".into()), "tok")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidStatus);
    assert_eq!(
        err.request_id.as_deref(),
        Some("7B6D9D4D-4E10-4A0C-9C3A-57A6C7E0B1F2")
    );
    assert!(err
        .to_string()
        .contains("the instance must be Stopped to change instance_type"));
}
