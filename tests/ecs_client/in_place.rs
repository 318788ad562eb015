//! The calls behind in-place changes beyond ModifyInstanceSpec: their wire
//! shapes (one ModifyInstanceAttribute for every attribute, Base64 user
//! data, `SecurityGroupIds.N`, `Tag.N`), the per-instance results of the key
//! pair calls, reads before resending the token-less ones, and the password
//! kept out of logs, errors and `Debug`.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use terraform_provider_ecs::ecs::{
    Client, DiskFilter, ErrorKind, ModifyAttributes, ModifyVpcAttributes, ReplaceSystemDiskRequest,
    ResizeType, RunInstancesRequest, Secret,
};

use crate::server::{Reply, Req, Server};
use crate::{client_for, BOTH};

const PASSWORD: &str = "Sup3r-Secret!pw";

/// A DescribeInstances answer holding one instance with `fields`.
fn one_instance(fields: serde_json::Value) -> Reply {
    let mut inst = json!({"InstanceId": "i-1", "Status": "Stopped"});
    for (k, v) in fields.as_object().unwrap() {
        inst[k] = v.clone();
    }
    Reply::json(
        200,
        json!({"RequestId": "R", "NextToken": "", "Instances": {"Instance": [inst]}}),
    )
}

/// Answers `action` from `script` in order (then 200 OK), and every
/// DescribeInstances with `describe`.
fn script_for(
    action: &'static str,
    script: Vec<Reply>,
    describe: impl Fn() -> Reply + Send + Sync + 'static,
) -> impl Fn(&Req) -> Reply + Send + Sync {
    let n = AtomicUsize::new(0);
    let script = Mutex::new(script.into_iter().map(Some).collect::<Vec<_>>());
    move |req| {
        if req.action == "DescribeInstances" {
            return describe();
        }
        assert_eq!(req.action, action);
        let i = n.fetch_add(1, Ordering::SeqCst);
        script
            .lock()
            .unwrap()
            .get_mut(i)
            .and_then(Option::take)
            .unwrap_or_else(Reply::ok)
    }
}

fn sent(server: &Server, action: &str) -> Vec<Req> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.action == action)
        .collect()
}

#[tokio::test]
async fn modify_instance_attribute_sends_every_attribute_in_one_call() {
    for version in BOTH {
        let server = Server::start(|_: &Req| Reply::ok()).await;
        let client = client_for(&server, version, |_| {});
        let attrs = ModifyAttributes {
            instance_name: Some("web".into()),
            description: Some("front end".into()),
            host_name: Some("web-1".into()),
            password: Some(Secret::new(PASSWORD)),
            user_data: Some(b"#!/bin/sh\necho hi\n".to_vec()),
            security_group_ids: Some(vec!["sg-a".into(), "sg-b".into()]),
            deletion_protection: Some(true),
        };
        client
            .modify_instance_attribute("i-1", &attrs)
            .await
            .unwrap();
        let reqs = server.requests();
        assert_eq!(reqs.len(), 1, "one call carries every attribute");
        let r = &reqs[0];
        assert!(r.signature_ok);
        assert_eq!(r.method, "POST");
        assert_eq!(r.action, "ModifyInstanceAttribute");
        for (k, v) in [
            ("InstanceId", "i-1"),
            ("InstanceName", "web"),
            ("Description", "front end"),
            ("HostName", "web-1"),
            ("Password", PASSWORD),
            ("UserData", "IyEvYmluL3NoCmVjaG8gaGkK"),
            ("SecurityGroupIds.1", "sg-a"),
            ("SecurityGroupIds.2", "sg-b"),
            ("DeletionProtection", "true"),
        ] {
            assert_eq!(r.param(k), Some(v), "{k}");
        }
        assert_eq!(r.param("SecurityGroupIds.3"), None);
        assert_eq!(r.param("ClientToken"), None);
        assert!(!format!("{attrs:?}").contains(PASSWORD));
    }
}

#[tokio::test]
async fn modify_instance_attribute_sends_nothing_for_nothing_and_refuses_an_empty_group_list() {
    let server = Server::start(|_: &Req| Reply::ok()).await;
    let client = client_for(&server, BOTH[0], |_| {});
    client
        .modify_instance_attribute("i-1", &ModifyAttributes::default())
        .await
        .unwrap();
    let err = client
        .modify_instance_attribute(
            "i-1",
            &ModifyAttributes {
                security_group_ids: Some(Vec::new()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidParameter);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn modify_instance_attribute_resends_after_a_lost_answer_since_its_values_are_absolute() {
    let server = Server::start(script_for(
        "ModifyInstanceAttribute",
        vec![Reply::Drop],
        || panic!("no read needed"),
    ))
    .await;
    let client = client_for(&server, BOTH[1], |_| {});
    let attrs = ModifyAttributes {
        security_group_ids: Some(vec!["sg-a".into()]),
        ..Default::default()
    };
    client
        .modify_instance_attribute("i-1", &attrs)
        .await
        .unwrap();
    let reqs = sent(&server, "ModifyInstanceAttribute");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].params, reqs[1].params);
}

/// Captures TRACE logs for one test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_reach_no_log_error_or_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut shown = Vec::new();
    for version in BOTH {
        // Each call fails once (retried), then for good: logs of both, and
        // the final error, must not hold the password.
        let server = Server::start(|r: &Req| {
            if r.param("Password").is_some() && r.action != "ReplaceSystemDisk" {
                Reply::error(500, "InternalError", "transient")
            } else {
                Reply::error(400, "InvalidPassword.Malformed", "bad password")
            }
        })
        .await;
        let client = client_for(&server, version, |c| c.max_retries = 1);
        let attrs = ModifyAttributes {
            password: Some(Secret::new(PASSWORD)),
            ..Default::default()
        };
        let e = client
            .modify_instance_attribute("i-1", &attrs)
            .await
            .unwrap_err();
        shown.push(format!("{e} {e:?} {attrs:?}"));
        let run = RunInstancesRequest {
            image_id: "img".into(),
            instance_type: "ecs.g6.large".into(),
            password: Some(Secret::new(PASSWORD)),
            ..Default::default()
        };
        let e = client
            .run_instances(&run, &Client::new_client_token("RunInstances"))
            .await
            .unwrap_err();
        shown.push(format!("{e} {e:?} {run:?}"));
        let replace = ReplaceSystemDiskRequest {
            image_id: "img".into(),
            password: Some(Secret::new(PASSWORD)),
            ..Default::default()
        };
        let e = client
            .replace_system_disk("i-1", &replace, &Client::new_client_token("R"))
            .await
            .unwrap_err();
        shown.push(format!("{e} {e:?} {replace:?}"));
        assert!(sent(&server, "ModifyInstanceAttribute")
            .iter()
            .all(|r| r.param("Password") == Some(PASSWORD)));
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("Password=***"), "the requests were logged");
    assert!(!logs.contains(PASSWORD), "{logs}");
    for s in shown {
        assert!(!s.contains(PASSWORD), "{s}");
    }
}

#[tokio::test]
async fn run_instances_sends_every_new_argument() {
    let server = Server::start(|_: &Req| {
        Reply::json(
            200,
            json!({"RequestId": "R", "InstanceIdSets": {"InstanceIdSet": ["i-new"]}}),
        )
    })
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    let req = RunInstancesRequest {
        image_id: "ubuntu_22_04_x64_20G_alibase_20240101.vhd".into(),
        instance_type: "ecs.g6.large".into(),
        vswitch_id: Some("vsw-a".into()),
        private_ip_address: Some("172.16.0.10".into()),
        security_group_ids: vec!["sg-a".into(), "sg-b".into()],
        host_name: Some("web-1".into()),
        password: Some(Secret::new(PASSWORD)),
        key_pair_name: Some("deploy".into()),
        user_data: Some("écho".as_bytes().to_vec()),
        tags: vec![
            ("env".into(), "prod".into()),
            ("team".into(), String::new()),
        ],
        system_disk_category: Some("cloud_essd".into()),
        system_disk_size: Some(60),
        deletion_protection: Some(true),
        ..Default::default()
    };
    let id = client
        .run_instances(&req, &Client::new_client_token("RunInstances"))
        .await
        .unwrap();
    assert_eq!(id, "i-new");
    let r = &server.requests()[0];
    for (k, v) in [
        ("VSwitchId", "vsw-a"),
        ("PrivateIpAddress", "172.16.0.10"),
        ("SecurityGroupIds.1", "sg-a"),
        ("SecurityGroupIds.2", "sg-b"),
        ("HostName", "web-1"),
        ("Password", PASSWORD),
        ("KeyPairName", "deploy"),
        ("UserData", "w6ljaG8="),
        ("Tag.1.Key", "env"),
        ("Tag.1.Value", "prod"),
        ("Tag.2.Key", "team"),
        ("Tag.2.Value", ""),
        ("SystemDisk.Category", "cloud_essd"),
        ("SystemDisk.Size", "60"),
        ("DeletionProtection", "true"),
    ] {
        assert_eq!(r.param(k), Some(v), "{k}");
    }
}

#[tokio::test]
async fn describe_instances_exposes_host_name_os_key_pair_and_start_time() {
    let server = Server::start(|_: &Req| {
        one_instance(json!({
            "HostName": "web-1", "OSType": "linux", "KeyPairName": "deploy",
            "StartTime": "2026-12-04T10:00Z", "ImageId": "img",
            "VpcAttributes": {"VpcId": "vpc-1", "VSwitchId": "vsw-a",
                "PrivateIpAddress": {"IpAddress": ["172.16.0.10"]}},
            "SecurityGroupIds": {"SecurityGroupId": ["sg-a"]},
            "Tags": {"Tag": [{"TagKey": "env", "TagValue": "prod"}]},
            "DeletionProtection": true
        }))
    })
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    let i = client
        .describe_instances(&["i-1".into()])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (
            i.host_name.as_str(),
            i.os_type.as_str(),
            i.key_pair_name.as_str(),
            i.start_time.as_str()
        ),
        ("web-1", "linux", "deploy", "2026-12-04T10:00Z")
    );
    assert_eq!(
        (i.vpc_id.as_str(), i.vswitch_id.as_str()),
        ("vpc-1", "vsw-a")
    );
    assert_eq!(i.private_ips, vec!["172.16.0.10".to_string()]);
    assert_eq!(i.security_group_ids, vec!["sg-a".to_string()]);
    assert_eq!(i.tags, vec![("env".to_string(), "prod".to_string())]);
    assert!(i.deletion_protection);
}

fn key_pair_answer(success: bool, code: &str) -> Reply {
    Reply::json(
        200,
        json!({
            "RequestId": "KP-REQ", "KeyPairName": "deploy",
            "TotalCount": "1", "FailCount": if success { "0" } else { "1" },
            "Results": {"Result": [{"InstanceId": "i-1", "Success": if success { "true" } else { "false" },
                "Code": code, "Message": if success { "successful" } else { "The instance is Windows." }}]}
        }),
    )
}

#[tokio::test]
async fn key_pair_calls_send_a_json_id_list_and_surface_a_failed_instance_behind_a_200() {
    for (action, attach) in [("AttachKeyPair", true), ("DetachKeyPair", false)] {
        let server = Server::start(script_for(
            action,
            vec![
                key_pair_answer(true, "200"),
                key_pair_answer(false, "DependencyViolation.WindowsInstance"),
            ],
            || panic!("no read"),
        ))
        .await;
        let client = client_for(&server, BOTH[1], |_| {});
        let call = |c: Client| async move {
            if attach {
                c.attach_key_pair("i-1", "deploy").await
            } else {
                c.detach_key_pair("i-1", "deploy").await
            }
        };
        call(client.clone()).await.expect("Success=true");
        let err = call(client.clone()).await.unwrap_err();
        assert_eq!(err.code, "DependencyViolation.WindowsInstance");
        assert_eq!(err.kind, ErrorKind::Unsupported);
        assert_eq!(err.http_status, Some(200));
        assert_eq!(err.request_id.as_deref(), Some("KP-REQ"));
        assert!(err.message.contains("i-1"), "{err}");
        let reqs = sent(&server, action);
        assert_eq!(reqs[0].param("InstanceIds"), Some(r#"["i-1"]"#));
        assert_eq!(reqs[0].param("KeyPairName"), Some("deploy"));
        assert_eq!(reqs[0].param("ClientToken"), None);
    }
}

#[tokio::test]
async fn a_key_pair_call_whose_answer_was_lost_is_read_before_being_sent_again() {
    // Bound already: done, not sent again.
    let server = Server::start(script_for("AttachKeyPair", vec![Reply::Drop], || {
        one_instance(json!({"KeyPairName": "deploy"}))
    }))
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    client.attach_key_pair("i-1", "deploy").await.unwrap();
    assert_eq!(sent(&server, "AttachKeyPair").len(), 1);
    assert_eq!(sent(&server, "DescribeInstances").len(), 1);
    // Not detached yet: sent again.
    let server = Server::start(script_for(
        "DetachKeyPair",
        vec![Reply::Drop, key_pair_answer(true, "200")],
        || one_instance(json!({"KeyPairName": "deploy"})),
    ))
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    client.detach_key_pair("i-1", "deploy").await.unwrap();
    assert_eq!(sent(&server, "DetachKeyPair").len(), 2);
}

#[tokio::test]
async fn vpc_attribute_change_is_read_before_being_sent_again() {
    let req = ModifyVpcAttributes {
        vswitch_id: "vsw-b".into(),
        private_ip_address: Some("172.16.1.20".into()),
    };
    for (applied, expected_sends) in [(true, 1), (false, 2)] {
        let server = Server::start(script_for(
            "ModifyInstanceVpcAttribute",
            vec![Reply::error(503, "ServiceUnavailable", "try later")],
            move || {
                let (vsw, ip) = if applied {
                    ("vsw-b", "172.16.1.20")
                } else {
                    ("vsw-a", "172.16.0.10")
                };
                one_instance(json!({"VpcAttributes": {"VSwitchId": vsw,
                    "PrivateIpAddress": {"IpAddress": [ip]}}}))
            },
        ))
        .await;
        let client = client_for(&server, BOTH[1], |_| {});
        client
            .modify_instance_vpc_attribute("i-1", &req)
            .await
            .unwrap();
        let sends = sent(&server, "ModifyInstanceVpcAttribute");
        assert_eq!(sends.len(), expected_sends, "applied: {applied}");
        assert_eq!(sends[0].param("VSwitchId"), Some("vsw-b"));
        assert_eq!(sends[0].param("PrivateIpAddress"), Some("172.16.1.20"));
    }
    let server = Server::start(|_: &Req| Reply::ok()).await;
    let client = client_for(&server, BOTH[0], |_| {});
    let err = client
        .modify_instance_vpc_attribute("i-1", &ModifyVpcAttributes::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidParameter);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn replace_system_disk_reuses_its_token_and_returns_the_new_disk() {
    let server = Server::start(script_for(
        "ReplaceSystemDisk",
        vec![
            Reply::Drop,
            Reply::json(200, json!({"RequestId": "R", "DiskId": "d-new"})),
        ],
        || panic!("no read"),
    ))
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    let token = Client::new_client_token("ReplaceSystemDisk");
    let req = ReplaceSystemDiskRequest {
        image_id: "img-2".into(),
        system_disk_size: Some(80),
        key_pair_name: Some("deploy".into()),
        ..Default::default()
    };
    assert_eq!(
        client
            .replace_system_disk("i-1", &req, &token)
            .await
            .unwrap(),
        "d-new"
    );
    let reqs = sent(&server, "ReplaceSystemDisk");
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.param("ClientToken"), Some(token.as_str()));
        assert_eq!(r.param("ImageId"), Some("img-2"));
        assert_eq!(r.param("SystemDisk.Size"), Some("80"));
        assert_eq!(r.param("KeyPairName"), Some("deploy"));
        assert_eq!(r.param("PasswordInherit"), None);
    }
    let both = ReplaceSystemDiskRequest {
        password: Some(Secret::new(PASSWORD)),
        password_inherit: true,
        ..req
    };
    let err = client
        .replace_system_disk("i-1", &both, &token)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidParameter);
    assert_eq!(
        sent(&server, "ReplaceSystemDisk").len(),
        2,
        "refused locally"
    );
}

#[tokio::test]
async fn resize_disk_wire_shape() {
    let server = Server::start(|_: &Req| Reply::ok()).await;
    let client = client_for(&server, BOTH[1], |_| {});
    let token = Client::new_client_token("ResizeDisk");
    client
        .resize_disk("d-1", 80, ResizeType::Online, &token)
        .await
        .unwrap();
    client
        .resize_disk("d-1", 90, ResizeType::Offline, &token)
        .await
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs[0].param("DiskId"), Some("d-1"));
    assert_eq!(reqs[0].param("NewSize"), Some("80"));
    assert_eq!(reqs[0].param("Type"), Some("online"));
    assert_eq!(reqs[1].param("Type"), Some("offline"));
    assert_eq!(reqs[0].param("ClientToken"), Some(token.as_str()));
}

#[tokio::test]
async fn a_reboot_whose_answer_was_lost_is_not_sent_twice() {
    // Read after the lost answer: Starting, or a newer StartTime → done.
    for describe in [
        json!({"Status": "Starting", "StartTime": "2026-12-04T10:00Z"}),
        json!({"Status": "Running", "StartTime": "2026-12-04T10:05Z"}),
    ] {
        let server = Server::start(script_for("RebootInstance", vec![Reply::Drop], move || {
            one_instance(describe.clone())
        }))
        .await;
        let client = client_for(&server, BOTH[0], |_| {});
        client
            .reboot_instance("i-1", false, "2026-12-04T10:00Z")
            .await
            .unwrap();
        assert_eq!(sent(&server, "RebootInstance").len(), 1);
    }
    // Still Running since the same start: not applied, sent again.
    let server = Server::start(script_for("RebootInstance", vec![Reply::Drop], || {
        one_instance(json!({"Status": "Running", "StartTime": "2026-12-04T10:00Z"}))
    }))
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    client
        .reboot_instance("i-1", true, "2026-12-04T10:00Z")
        .await
        .unwrap();
    let reqs = sent(&server, "RebootInstance");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].param("ForceStop"), Some("true"));
}

#[tokio::test]
async fn reads_decode_user_data_disks_key_pairs_vswitches_and_images() {
    let server = Server::start(|r: &Req| match r.action.as_str() {
        "DescribeUserData" => Reply::json(
            200,
            json!({"RequestId": "R", "InstanceId": "i-1", "UserData": "IyEvYmluL3NoCg=="}),
        ),
        "DescribeDisks" if r.param("NextToken").is_none() => Reply::json(
            200,
            json!({"RequestId": "R", "NextToken": "p2", "Disks": {"Disk": [
                {"DiskId": "d-data", "InstanceId": "i-1", "Type": "data", "Category": "cloud_essd", "Size": 100}
            ]}}),
        ),
        "DescribeDisks" => Reply::json(
            200,
            json!({"RequestId": "R", "NextToken": "", "Disks": {"Disk": [
                {"DiskId": "d-sys", "InstanceId": "i-1", "Type": "system", "Category": "cloud_essd",
                 "Size": "40", "Status": "In_use", "ImageId": "img"}
            ]}}),
        ),
        "DescribeKeyPairs" => Reply::json(
            200,
            json!({"RequestId": "R", "TotalCount": 2, "KeyPairs": {"KeyPair": [
                {"KeyPairName": "deploy-old", "KeyPairFingerPrint": "aa"},
                {"KeyPairName": "deploy", "KeyPairFingerPrint": "bb"}
            ]}}),
        ),
        "DescribeVSwitches" => Reply::json(
            200,
            json!({"RequestId": "R", "TotalCount": 1, "VSwitches": {"VSwitch": [
                {"VSwitchId": "vsw-a", "VpcId": "vpc-1", "ZoneId": "cn-hangzhou-h",
                 "CidrBlock": "172.16.0.0/24", "Status": "Available"}
            ]}}),
        ),
        "DescribeImages" => Reply::json(
            200,
            json!({"RequestId": "R", "TotalCount": 1, "Images": {"Image": [
                {"ImageId": "win2022", "OSType": "windows", "OSName": "Windows Server 2022",
                 "Platform": "Windows Server 2022", "Size": 40, "Status": "Available"}
            ]}}),
        ),
        other => panic!("{other}"),
    })
    .await;
    let client = client_for(&server, BOTH[1], |_| {});
    assert_eq!(
        client.describe_user_data("i-1").await.unwrap(),
        b"#!/bin/sh\n"
    );
    let sys = client.system_disk("i-1").await.unwrap().unwrap();
    assert_eq!(
        (sys.disk_id.as_str(), sys.category.as_str(), sys.size_gib),
        ("d-sys", "cloud_essd", Some(40))
    );
    let all = client
        .describe_disks(&DiskFilter {
            disk_ids: vec!["d-sys".into(), "d-data".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2, "both pages");
    let kp = client.describe_key_pair("deploy").await.unwrap().unwrap();
    assert_eq!(kp.finger_print, "bb", "the exact name, not a prefix match");
    let vsw = client.describe_vswitch("vsw-a").await.unwrap().unwrap();
    assert_eq!(
        (
            vsw.vpc_id.as_str(),
            vsw.zone_id.as_str(),
            vsw.cidr_block.as_str()
        ),
        ("vpc-1", "cn-hangzhou-h", "172.16.0.0/24")
    );
    assert!(client.describe_vswitch("vsw-x").await.unwrap().is_none());
    let img = client.describe_image("win2022").await.unwrap().unwrap();
    assert_eq!((img.os_type.as_str(), img.size_gib), ("windows", Some(40)));
    let reqs = server.requests();
    let disks: Vec<&Req> = reqs
        .iter()
        .filter(|r| r.action == "DescribeDisks")
        .collect();
    assert_eq!(disks[0].param("InstanceId"), Some("i-1"));
    assert_eq!(disks[0].param("DiskType"), Some("system"));
    assert_eq!(disks[2].param("DiskIds"), Some(r#"["d-sys","d-data"]"#));
    assert_eq!(disks[3].param("NextToken"), Some("p2"));
    assert!(reqs.iter().all(|r| r.method == "GET" && r.signature_ok));
}

#[tokio::test]
async fn user_data_that_is_not_base64_is_an_error_not_garbage() {
    let server = Server::start(|_: &Req| {
        Reply::json(200, json!({"RequestId": "R", "UserData": "not base64!"}))
    })
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    let err = client.describe_user_data("i-1").await.unwrap_err();
    assert_eq!(err.code, "InvalidResponse");
}

#[tokio::test]
async fn concurrent_disk_reads_share_one_describe_disks() {
    let server = Server::start(|r: &Req| {
        let ids: Vec<String> = serde_json::from_str(r.param("DiskIds").unwrap()).unwrap();
        let disks: Vec<serde_json::Value> = ids
            .iter()
            .filter(|id| *id != "d-gone")
            .map(|id| json!({"DiskId": id, "Type": "system", "Size": 40}))
            .collect();
        Reply::json(
            200,
            json!({"RequestId": "R", "NextToken": "", "Disks": {"Disk": disks}}),
        )
    })
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    let ids = ["d-1", "d-2", "d-3", "d-4", "d-gone"];
    let reads = ids.iter().map(|id| {
        let c = client.clone();
        async move { c.read_disk(id).await }
    });
    let found = futures::future::join_all(reads).await;
    for (id, r) in ids.iter().zip(&found) {
        let r = r.as_ref().unwrap();
        assert_eq!(
            r.as_ref().map(|d| d.disk_id.as_str()),
            (*id != "d-gone").then_some(*id)
        );
    }
    let calls = sent(&server, "DescribeDisks");
    assert_eq!(calls.len(), 1, "one call for five concurrent reads");
    let asked: Vec<String> = serde_json::from_str(calls[0].param("DiskIds").unwrap()).unwrap();
    assert_eq!(asked.len(), 5);
}
