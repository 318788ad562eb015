//! The project's own ECS client against the emulator, for every in-place
//! call: the two keep their own wire shapes (neither imports the other's), so
//! a field one side names differently fails here.

use std::time::Duration;

use terraform_provider_ecs::ecs::{
    Client, ClientConfig, ErrorKind, ModifyAttributes, ModifyVpcAttributes,
    ReplaceSystemDiskRequest, ResizeType, RetryPolicy, RunInstancesRequest, Secret, Tuning,
};

use super::support::*;

fn client_of(env: &Env) -> Client {
    let mut cfg = ClientConfig::new("cn-hangzhou", AK, Secret::new(SECRET));
    cfg.endpoint = Some(env.handle.url());
    cfg.max_requests_per_second = 1000.0;
    let tuning = Tuning {
        retry: RetryPolicy {
            base_delay: Duration::from_millis(2),
            throttle_base_delay: Duration::from_millis(4),
            max_delay: Duration::from_millis(20),
        },
        batch_window: Duration::from_millis(2),
    };
    Client::with_tuning(cfg, tuning).unwrap()
}

#[tokio::test]
async fn every_in_place_call_round_trips_through_the_client() {
    let env = start_default().await;
    let api = &env.api;
    let c = client_of(&env);
    let token = |a: &str| Client::new_client_token(a);
    let req = RunInstancesRequest {
        image_id: X86_IMAGE.into(),
        instance_type: "ecs.g6.large".into(),
        vswitch_id: Some("vsw-emu-h1".into()),
        private_ip_address: Some("172.16.1.77".into()),
        security_group_ids: vec!["sg-emu-web".into()],
        host_name: Some("web-1".into()),
        password: Some(Secret::new("Fir5t-Secret")),
        key_pair_name: Some("emu-key-a".into()),
        user_data: Some(b"#!/bin/sh\n".to_vec()),
        tags: vec![("env".into(), "prod".into())],
        system_disk_category: Some("cloud_essd".into()),
        system_disk_size: Some(50),
        deletion_protection: Some(true),
        ..Default::default()
    };
    let id = c.run_instances(&req, &token("RunInstances")).await.unwrap();
    api.wait_status(&id, "Running").await;
    let i = c
        .describe_instances(std::slice::from_ref(&id))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (
            i.host_name.as_str(),
            i.key_pair_name.as_str(),
            i.os_type.as_str(),
            i.vpc_id.as_str()
        ),
        ("web-1", "emu-key-a", "linux", "vpc-emu-main")
    );
    assert_eq!(i.private_ips, ["172.16.1.77"]);
    assert_eq!(i.tags, [("env".to_string(), "prod".to_string())]);
    assert!(i.deletion_protection && !i.start_time.is_empty());
    assert_eq!(c.describe_user_data(&id).await.unwrap(), b"#!/bin/sh\n");
    let disk = c.system_disk(&id).await.unwrap().unwrap();
    assert_eq!(
        (disk.category.as_str(), disk.size_gib),
        ("cloud_essd", Some(50))
    );

    // No stop: one ModifyInstanceAttribute, online growth.
    let attrs = ModifyAttributes {
        host_name: Some("web-2".into()),
        password: Some(Secret::new("Sec0nd-Secret")),
        security_group_ids: Some(vec!["sg-emu-db".into(), "sg-emu-ops".into()]),
        user_data: Some(b"#!/bin/sh\necho 2\n".to_vec()),
        deletion_protection: Some(false),
        ..Default::default()
    };
    c.modify_instance_attribute(&id, &attrs).await.unwrap();
    c.resize_disk(&disk.disk_id, 80, ResizeType::Online, &token("ResizeDisk"))
        .await
        .unwrap();
    c.attach_key_pair(&id, "emu-key-b").await.unwrap();
    let i = c
        .describe_instances(std::slice::from_ref(&id))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(i.security_group_ids, ["sg-emu-db", "sg-emu-ops"]);
    assert_eq!(i.status, "Running");
    assert_eq!(
        c.system_disk(&id).await.unwrap().unwrap().size_gib,
        Some(80)
    );

    // The reboot makes them effective.
    c.reboot_instance(&id, false, &i.start_time).await.unwrap();
    api.wait_status(&id, "Running").await;
    let g = api
        .admin_get(&format!("/_emulator/instances/{id}/guest"))
        .await;
    assert_eq!(g["Effective"]["HostName"], "web-2");
    assert_eq!(g["Effective"]["KeyPairName"], "emu-key-b");

    // In the stop window: vSwitch and image.
    api.stop(&id).await;
    c.modify_instance_vpc_attribute(
        &id,
        &ModifyVpcAttributes {
            vswitch_id: "vsw-emu-h2".into(),
            private_ip_address: Some("172.16.2.77".into()),
        },
    )
    .await
    .unwrap();
    let again = c
        .modify_instance_vpc_attribute(
            &id,
            &ModifyVpcAttributes {
                vswitch_id: "vsw-emu-h1".into(),
                private_ip_address: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(again.code, "InvalidPrivateIp.Changing");
    assert_eq!(again.kind, ErrorKind::InvalidStatus);
    let new_disk = c
        .replace_system_disk(
            &id,
            &ReplaceSystemDiskRequest {
                image_id: "ubuntu_22_04_x64_20G_alibase_20240101.vhd".into(),
                key_pair_name: Some("emu-key-c".into()),
                ..Default::default()
            },
            &token("ReplaceSystemDisk"),
        )
        .await
        .unwrap();
    assert_ne!(new_disk, disk.disk_id);
    let d = c.system_disk(&id).await.unwrap().unwrap();
    assert_eq!(
        (d.disk_id.as_str(), d.size_gib),
        (new_disk.as_str(), Some(80))
    );
    let read = c.read_disk(&new_disk).await.unwrap().unwrap();
    assert_eq!(
        (read.instance_id.as_str(), read.disk_type.as_str()),
        (id.as_str(), "system")
    );
    assert!(c.read_disk("d-nope").await.unwrap().is_none());
    c.detach_key_pair(&id, "emu-key-c").await.unwrap();

    // A Windows instance refuses a key inside a 200: an error all the same.
    let win = api
        .run_one(&[
            ("VSwitchId", "vsw-emu-h1"),
            ("ImageId", "win2022_datacenter_x64_40G_alibase_20240101.vhd"),
        ])
        .await;
    let e = c.attach_key_pair(&win, "emu-key-a").await.unwrap_err();
    assert_eq!(e.code, "DependencyViolation.WindowsInstance");
    assert_eq!(e.http_status, Some(200));

    // The plan-time reads.
    let v = c.describe_vswitch("vsw-emu-i1").await.unwrap().unwrap();
    assert_eq!(
        (v.zone_id.as_str(), v.cidr_block.as_str(), v.vpc_id.as_str()),
        ("cn-hangzhou-i", "172.16.3.0/24", "vpc-emu-main")
    );
    assert!(c.describe_vswitch("vsw-nope").await.unwrap().is_none());
    let img = c
        .describe_image("win2022_datacenter_x64_40G_alibase_20240101.vhd")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((img.os_type.as_str(), img.size_gib), ("windows", Some(40)));
    assert!(c.describe_image("img-nope").await.unwrap().is_none());
    assert!(c.describe_key_pair("emu-key-b").await.unwrap().is_some());
    assert!(c.describe_key_pair("emu-key").await.unwrap().is_none());
    api.call("StartInstance", &[("InstanceId", &id)]).await.ok();
    api.wait_status(&id, "Running").await;
}
