//! In-place changes beyond ModifyInstanceSpec: every refusal rule of the new
//! calls as a named table row (each row also checks that the refused call
//! changed nothing), then the flows: settings that wait for an API restart,
//! one vSwitch change per stop window, a new system disk, online growth, key
//! pairs with per-instance results, and the reads.

use base64::Engine;
use serde_json::{json, Value};

use super::support::*;

const UBUNTU_20G: &str = "ubuntu_22_04_x64_20G_alibase_20240101.vhd";
const UBUNTU_60G: &str = "ubuntu_22_04_x64_60G_alibase_20240101.vhd";
const WINDOWS: &str = "win2022_datacenter_x64_40G_alibase_20240101.vhd";
const ARM: &str = "aliyun_3_arm64_20G_alibase_20240819.vhd";

fn hash(id: &str, password: &str) -> String {
    terraform_provider_ecs::ecs::sign::sha256_hex(format!("{id}:{password}").as_bytes())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The instances the table rows act on.
struct Fx {
    running: String,
    stopped: String,
    windows: String,
    classic: String,
    prepaid: String,
    starting: String,
    pending: String,
    never_started: String,
    basic_disk: String,
    neighbour: String,
    stopped_disk: String,
    running_disk: String,
}

async fn fixtures(api: &Api) -> Fx {
    let vpc = [("VSwitchId", "vsw-emu-h1")];
    let running = api.run_one(&vpc).await;
    let stopped = api.run_one(&vpc).await;
    api.stop(&stopped).await;
    let windows = api
        .run_one(&[("VSwitchId", "vsw-emu-h1"), ("ImageId", WINDOWS)])
        .await;
    let classic = api.run_one(&[]).await;
    let prepaid = api
        .run_one(&[
            ("VSwitchId", "vsw-emu-h1"),
            ("InstanceChargeType", "PrePaid"),
            ("Period", "1"),
        ])
        .await;
    let starting = api.run_one(&vpc).await;
    let pending = api.run_one(&vpc).await;
    for (id, status) in [(&starting, "Starting"), (&pending, "Pending")] {
        let (code, _) = api
            .admin_post(
                &format!("/_emulator/instances/{id}"),
                json!({"Status": status}),
            )
            .await;
        assert_eq!(code, 200);
    }
    let created = api
        .call(
            "CreateInstance",
            &[
                ("ImageId", X86_IMAGE),
                ("InstanceType", "ecs.g6.large"),
                ("VSwitchId", "vsw-emu-h1"),
            ],
        )
        .await;
    let never_started = created.ok()["InstanceId"].as_str().unwrap().to_string();
    api.wait_status(&never_started, "Stopped").await;
    let basic_disk = api
        .run_one(&[
            ("VSwitchId", "vsw-emu-h1"),
            ("SystemDisk.Category", "cloud"),
        ])
        .await;
    let neighbour = api
        .run_one(&[
            ("VSwitchId", "vsw-emu-h2"),
            ("PrivateIpAddress", "172.16.2.10"),
        ])
        .await;
    let stopped_disk = system_disk(api, &stopped).await["DiskId"]
        .as_str()
        .unwrap()
        .to_string();
    let running_disk = system_disk(api, &running).await["DiskId"]
        .as_str()
        .unwrap()
        .to_string();
    Fx {
        running,
        stopped,
        windows,
        classic,
        prepaid,
        starting,
        pending,
        never_started,
        basic_disk,
        neighbour,
        stopped_disk,
        running_disk,
    }
}

async fn system_disk(api: &Api, id: &str) -> Value {
    let r = api
        .call(
            "DescribeDisks",
            &[("InstanceId", id), ("DiskType", "system")],
        )
        .await;
    r.ok()["Disks"]["Disk"][0].clone()
}

/// One refusal: which instance, the call, and the expected answer.
struct Row {
    name: &'static str,
    on: fn(&Fx) -> &str,
    action: &'static str,
    params: Vec<(String, String)>,
    expect: (u16, &'static str),
}

fn row(
    name: &'static str,
    on: fn(&Fx) -> &str,
    action: &'static str,
    params: &[(&'static str, &str)],
    expect: (u16, &'static str),
) -> Row {
    Row {
        name,
        on,
        action,
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        expect,
    }
}

fn refusals() -> Vec<Row> {
    let big = b64(&vec![b'x'; 32 * 1024 + 1]);
    let fits = b64(&vec![b'x'; 32 * 1024]);
    let six: Vec<(&'static str, &str)> = vec![
        ("SecurityGroupIds.1", "sg-emu-web"),
        ("SecurityGroupIds.2", "sg-emu-app"),
        ("SecurityGroupIds.3", "sg-emu-db"),
        ("SecurityGroupIds.4", "sg-emu-ops"),
        ("SecurityGroupIds.5", "sg-emu-mon"),
        ("SecurityGroupIds.6", "sg-emu-extra"),
    ];
    let fifty_one = serde_json::to_string(&vec!["i-x"; 51]).unwrap();
    let tags: Vec<(String, String)> = (1..=21)
        .flat_map(|n| {
            [
                (format!("Tag.{n}.Key"), format!("k{n}")),
                (format!("Tag.{n}.Value"), "v".to_string()),
            ]
        })
        .collect();
    let run = |extra: &[(&'static str, &str)]| {
        let mut p = vec![("ImageId", X86_IMAGE), ("InstanceType", "ecs.g6.large")];
        p.extend_from_slice(extra);
        p.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let mut rows = vec![
        // --- ModifyInstanceAttribute -------------------------------------
        row(
            "host name malformed",
            |f| &f.running,
            "ModifyInstanceAttribute",
            &[("HostName", "-web")],
            (400, "InvalidHostName.Malformed"),
        ),
        row(
            "windows host name over 15",
            |f| &f.windows,
            "ModifyInstanceAttribute",
            &[("HostName", "web-frontend-0001")],
            (400, "InvalidHostName.Malformed"),
        ),
        row(
            "password too weak",
            |f| &f.running,
            "ModifyInstanceAttribute",
            &[("Password", "password1")],
            (400, "InvalidPassword.Malformed"),
        ),
        row(
            "user data over 32 KB",
            |f| &f.running,
            "ModifyInstanceAttribute",
            &[("UserData", big.as_str())],
            (400, "InvalidUserData.SizeExceeded"),
        ),
        row(
            "user data not base64",
            |f| &f.running,
            "ModifyInstanceAttribute",
            &[("UserData", "%%%")],
            (400, "InvalidUserData.Base64FormatInvalid"),
        ),
        row(
            "six security groups",
            |f| &f.running,
            "ModifyInstanceAttribute",
            &six,
            (400, "InstanceSecurityGroupLimitExceeded"),
        ),
        row(
            "unknown security group",
            |f| &f.running,
            "ModifyInstanceAttribute",
            &[("SecurityGroupIds.1", "sg-nope")],
            (404, "InvalidSecurityGroupId.NotFound"),
        ),
        row(
            "group of another vpc",
            |f| &f.running,
            "ModifyInstanceAttribute",
            &[("SecurityGroupIds.1", "sg-emu-other")],
            (404, "InvalidSecurityGroupId.NotFound"),
        ),
        row(
            "deletion protection on subscription",
            |f| &f.prepaid,
            "ModifyInstanceAttribute",
            &[("DeletionProtection", "true")],
            (403, "ChargeTypeViolation"),
        ),
        row(
            "host name while starting",
            |f| &f.starting,
            "ModifyInstanceAttribute",
            &[("HostName", "web-2")],
            (403, "IncorrectInstanceStatus"),
        ),
        row(
            "host name while pending",
            |f| &f.pending,
            "ModifyInstanceAttribute",
            &[("HostName", "web-2")],
            (403, "IncorrectInstanceStatus"),
        ),
        row(
            "password while starting",
            |f| &f.starting,
            "ModifyInstanceAttribute",
            &[("Password", "Sup3rSecret!")],
            (403, "IncorrectInstanceStatus"),
        ),
        row(
            "a refused attribute refuses the whole call",
            |f| &f.running,
            "ModifyInstanceAttribute",
            &[("InstanceName", "renamed"), ("Password", "weak")],
            (400, "InvalidPassword.Malformed"),
        ),
        row(
            "dry run",
            |f| &f.running,
            "ModifyInstanceAttribute",
            &[("UserData", fits.as_str()), ("DryRun", "true")],
            (400, "DryRunOperation"),
        ),
        // --- ModifyInstanceVpcAttribute ----------------------------------
        row(
            "vpc attribute while running",
            |f| &f.running,
            "ModifyInstanceVpcAttribute",
            &[("VSwitchId", "vsw-emu-h2")],
            (400, "IncorrectInstanceStatus"),
        ),
        row(
            "vpc attribute before the first start",
            |f| &f.never_started,
            "ModifyInstanceVpcAttribute",
            &[("VSwitchId", "vsw-emu-h2")],
            (400, "IncorrectInstanceStatus"),
        ),
        row(
            "vswitch of another zone",
            |f| &f.stopped,
            "ModifyInstanceVpcAttribute",
            &[("VSwitchId", "vsw-emu-i1")],
            (400, "InvalidVSwitchId.Mismatch"),
        ),
        row(
            "vswitch of another vpc",
            |f| &f.stopped,
            "ModifyInstanceVpcAttribute",
            &[("VSwitchId", "vsw-emu-other-h")],
            (404, "InvalidVSwitchId.NotFound"),
        ),
        row(
            "unknown vswitch",
            |f| &f.stopped,
            "ModifyInstanceVpcAttribute",
            &[("VSwitchId", "vsw-nope")],
            (404, "InvalidVSwitchId.NotFound"),
        ),
        row(
            "vswitch is required",
            |f| &f.stopped,
            "ModifyInstanceVpcAttribute",
            &[("PrivateIpAddress", "172.16.1.50")],
            (400, "MissingParameter"),
        ),
        row(
            "ip outside the cidr",
            |f| &f.stopped,
            "ModifyInstanceVpcAttribute",
            &[
                ("VSwitchId", "vsw-emu-h2"),
                ("PrivateIpAddress", "172.16.1.50"),
            ],
            (400, "InvalidPrivateIpAddress.Mismatch"),
        ),
        row(
            "first three addresses reserved",
            |f| &f.stopped,
            "ModifyInstanceVpcAttribute",
            &[
                ("VSwitchId", "vsw-emu-h2"),
                ("PrivateIpAddress", "172.16.2.2"),
            ],
            (400, "InvalidPrivateIpAddress.Mismatch"),
        ),
        row(
            "last three addresses reserved",
            |f| &f.stopped,
            "ModifyInstanceVpcAttribute",
            &[
                ("VSwitchId", "vsw-emu-h2"),
                ("PrivateIpAddress", "172.16.2.253"),
            ],
            (400, "InvalidPrivateIpAddress.Mismatch"),
        ),
        row(
            "ip used by another instance",
            |f| &f.stopped,
            "ModifyInstanceVpcAttribute",
            &[
                ("VSwitchId", "vsw-emu-h2"),
                ("PrivateIpAddress", "172.16.2.10"),
            ],
            (400, "InvalidPrivateIpAddress.Duplicated"),
        ),
        row(
            "ip malformed",
            |f| &f.stopped,
            "ModifyInstanceVpcAttribute",
            &[
                ("VSwitchId", "vsw-emu-h2"),
                ("PrivateIpAddress", "172.16.2.300"),
            ],
            (400, "InvalidPrivateIpAddress.Malformed"),
        ),
        row(
            "classic instance",
            |f| &f.classic,
            "ModifyInstanceVpcAttribute",
            &[("VSwitchId", "vsw-emu-h2")],
            (400, "OperationDenied"),
        ),
        // --- ReplaceSystemDisk -------------------------------------------
        row(
            "replace while running",
            |f| &f.running,
            "ReplaceSystemDisk",
            &[("ImageId", UBUNTU_20G)],
            (403, "IncorrectInstanceStatus"),
        ),
        row(
            "unknown image",
            |f| &f.stopped,
            "ReplaceSystemDisk",
            &[("ImageId", "img-nope")],
            (404, "InvalidImageId.NotFound"),
        ),
        row(
            "disk smaller than the image",
            |f| &f.stopped,
            "ReplaceSystemDisk",
            &[("ImageId", UBUNTU_60G), ("SystemDisk.Size", "50")],
            (400, "InvalidSystemDiskSize.LessThanImageSize"),
        ),
        row(
            "disk smaller than the old one",
            |f| &f.stopped,
            "ReplaceSystemDisk",
            &[("ImageId", UBUNTU_20G), ("SystemDisk.Size", "30")],
            (400, "InvalidSystemDiskSize.LessThanDiskSize"),
        ),
        row(
            "replace with unknown key",
            |f| &f.stopped,
            "ReplaceSystemDisk",
            &[("ImageId", UBUNTU_20G), ("KeyPairName", "nope")],
            (404, "InvalidKeyPairName.NotFound"),
        ),
        row(
            "password and password inherit",
            |f| &f.stopped,
            "ReplaceSystemDisk",
            &[
                ("ImageId", UBUNTU_20G),
                ("Password", "Sup3rSecret!"),
                ("PasswordInherit", "true"),
            ],
            (400, "InvalidParameter.Conflict"),
        ),
        row(
            "arm image on an x86 type",
            |f| &f.stopped,
            "ReplaceSystemDisk",
            &[("ImageId", ARM)],
            (400, "InvalidParameter.Conflict"),
        ),
        // --- ResizeDisk ---------------------------------------------------
        row(
            "resize not larger",
            |f| &f.running_disk,
            "ResizeDisk",
            &[("NewSize", "40"), ("Type", "online")],
            (400, "InvalidDiskSize.TooSmall"),
        ),
        row(
            "resize over 2048",
            |f| &f.running_disk,
            "ResizeDisk",
            &[("NewSize", "4096")],
            (400, "InvalidDiskSize.ValueNotSupported"),
        ),
        row(
            "online resize while stopped",
            |f| &f.stopped_disk,
            "ResizeDisk",
            &[("NewSize", "80"), ("Type", "online")],
            (403, "InvalidInstanceStatus.NotRunning"),
        ),
        row(
            "unknown disk",
            |_| "d-nope",
            "ResizeDisk",
            &[("NewSize", "80")],
            (404, "InvalidDiskId.NotFound"),
        ),
        // --- Key pairs, reboot --------------------------------------------
        row(
            "attach unknown key",
            |f| &f.running,
            "AttachKeyPair",
            &[("KeyPairName", "nope")],
            (404, "InvalidKeyPairName.NotFound"),
        ),
        row(
            "attach to 51 instances",
            |_| "",
            "AttachKeyPair",
            &[
                ("KeyPairName", "emu-key-a"),
                ("InstanceIds", fifty_one.as_str()),
            ],
            (400, "InvalidParameter"),
        ),
        row(
            "reboot while stopped",
            |f| &f.stopped,
            "RebootInstance",
            &[],
            (403, "IncorrectInstanceStatus"),
        ),
        // --- RunInstances -------------------------------------------------
    ];
    // Rows whose parameters are built above.
    type RunRow = (&'static str, Vec<(String, String)>, (u16, &'static str));
    let more: Vec<RunRow> = vec![
        (
            "run: unknown key",
            run(&[("KeyPairName", "nope")]),
            (404, "InvalidKeyPairName.NotFound"),
        ),
        (
            "run: private ip without vswitch",
            run(&[("PrivateIpAddress", "172.16.1.50")]),
            (400, "InvalidParameter"),
        ),
        (
            "run: private ip outside the cidr",
            run(&[
                ("VSwitchId", "vsw-emu-h1"),
                ("PrivateIpAddress", "172.16.2.50"),
            ]),
            (400, "InvalidPrivateIpAddress.Mismatch"),
        ),
        (
            "run: private ip taken",
            run(&[
                ("VSwitchId", "vsw-emu-h2"),
                ("PrivateIpAddress", "172.16.2.10"),
            ]),
            (400, "InvalidPrivateIpAddress.Duplicated"),
        ),
        (
            "run: one private ip for two",
            run(&[
                ("VSwitchId", "vsw-emu-h1"),
                ("PrivateIpAddress", "172.16.1.200"),
                ("Amount", "2"),
            ]),
            (400, "InvalidParameter"),
        ),
        (
            "run: vswitch of another zone",
            run(&[("VSwitchId", "vsw-emu-i1"), ("ZoneId", "cn-hangzhou-h")]),
            (400, "InvalidVSwitchId.Mismatch"),
        ),
        (
            "run: group of another vpc",
            run(&[
                ("VSwitchId", "vsw-emu-h1"),
                ("SecurityGroupIds.1", "sg-emu-other"),
            ]),
            (404, "InvalidSecurityGroupId.NotFound"),
        ),
        (
            "run: reserved tag key",
            run(&[("Tag.1.Key", "acs:owner"), ("Tag.1.Value", "x")]),
            (400, "InvalidTagKey.Malformed"),
        ),
        (
            "run: disk below the image",
            run(&[("ImageId", WINDOWS), ("SystemDisk.Size", "30")]),
            (400, "InvalidSystemDiskSize.LessThanImageSize"),
        ),
        (
            "run: disk category unknown",
            run(&[("SystemDisk.Category", "cloud_floppy")]),
            (400, "InvalidSystemDiskCategory.ValueNotSupported"),
        ),
        (
            "run: deletion protection on subscription",
            run(&[
                ("InstanceChargeType", "PrePaid"),
                ("Period", "1"),
                ("DeletionProtection", "true"),
            ]),
            (403, "ChargeTypeViolation"),
        ),
        (
            "run: password too weak",
            run(&[("Password", "weakweak")]),
            (400, "InvalidPassword.Malformed"),
        ),
        (
            "run: host name malformed",
            run(&[("HostName", "web..1")]),
            (400, "InvalidHostName.Malformed"),
        ),
        (
            "run: user data over 32 KB",
            run(&[("UserData", big.as_str())]),
            (400, "InvalidUserData.SizeExceeded"),
        ),
    ];
    for (name, params, expect) in more {
        rows.push(Row {
            name,
            on: |_| "",
            action: "RunInstances",
            params,
            expect,
        });
    }
    let mut p = run(&[]);
    p.extend(tags);
    rows.push(Row {
        name: "run: 21 tags",
        on: |_| "",
        action: "RunInstances",
        params: p,
        expect: (400, "InvalidTagCount"),
    });
    let mut p = run(&[("VSwitchId", "vsw-emu-h1")]);
    p.extend(six.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    rows.push(Row {
        name: "run: six groups",
        on: |_| "",
        action: "RunInstances",
        params: p,
        expect: (400, "InstanceSecurityGroupLimitExceeded"),
    });
    rows
}

#[tokio::test]
async fn every_refusal_has_its_code_and_changes_nothing() {
    let env = start_default().await;
    let api = &env.api;
    let fx = fixtures(api).await;
    let mut failures = Vec::new();
    for r in refusals() {
        let target = (r.on)(&fx).to_string();
        let mut params = r.params.clone();
        let mut add = |k: &str, v: String| params.push((k.to_string(), v));
        match r.action {
            "ResizeDisk" => add("DiskId", target.clone()),
            "AttachKeyPair" | "DetachKeyPair" if !target.is_empty() => {
                add("InstanceIds", format!("[\"{target}\"]"))
            }
            "RunInstances" | "AttachKeyPair" => {}
            _ => add("InstanceId", target.clone()),
        }
        let borrowed: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let before = api.admin_get("/_emulator/instances").await;
        let reply = api.call(r.action, &borrowed).await;
        let after = api.admin_get("/_emulator/instances").await;
        if (reply.status, reply.code()) != r.expect {
            failures.push(format!(
                "{}: expected {:?}, got {} {} ({})",
                r.name,
                r.expect,
                reply.status,
                reply.code(),
                reply.message()
            ));
        }
        if before != after {
            failures.push(format!("{}: the refused call changed the world", r.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The rows used the neighbour's address: it is still its own.
    let n = api.instance(&fx.neighbour).await.unwrap();
    assert_eq!(
        n["VpcAttributes"]["PrivateIpAddress"]["IpAddress"],
        json!(["172.16.2.10"])
    );
    let _ = &fx.basic_disk;
}

#[tokio::test]
async fn online_resize_of_a_basic_disk_is_refused() {
    let env = start_default().await;
    let api = &env.api;
    let id = api
        .run_one(&[
            ("VSwitchId", "vsw-emu-h1"),
            ("SystemDisk.Category", "cloud"),
        ])
        .await;
    let disk = system_disk(api, &id).await;
    assert_eq!(disk["Category"], "cloud");
    let d = disk["DiskId"].as_str().unwrap();
    api.call(
        "ResizeDisk",
        &[("DiskId", d), ("NewSize", "80"), ("Type", "online")],
    )
    .await
    .expect_err(403, "InvalidDiskCategory.NotSupported");
    // Offline works, and shows at once.
    api.call("ResizeDisk", &[("DiskId", d), ("NewSize", "80")])
        .await
        .ok();
    assert_eq!(system_disk(api, &id).await["Size"], 80);
}

async fn guest(api: &Api, id: &str) -> Value {
    api.admin_get(&format!("/_emulator/instances/{id}/guest"))
        .await
}

#[tokio::test]
async fn host_name_password_and_key_wait_for_an_api_restart() {
    let env = start_default().await;
    let api = &env.api;
    let id = api
        .run_one(&[
            ("VSwitchId", "vsw-emu-h1"),
            ("HostName", "web-1"),
            ("Password", "Fir5t-Secret"),
            ("KeyPairName", "emu-key-a"),
        ])
        .await;
    let g = guest(api, &id).await;
    assert_eq!(g["Effective"]["HostName"], "web-1");
    assert_eq!(g["Effective"]["PasswordHash"], hash(&id, "Fir5t-Secret"));
    assert_eq!(g["Effective"]["KeyPairName"], "emu-key-a");
    assert_eq!(g["PendingRestart"], false);

    api.call(
        "ModifyInstanceAttribute",
        &[
            ("InstanceId", &id),
            ("HostName", "web-2"),
            ("Password", "Sec0nd-Secret"),
        ],
    )
    .await
    .ok();
    let ids = format!("[\"{id}\"]");
    let r = api
        .call(
            "AttachKeyPair",
            &[("InstanceIds", &ids), ("KeyPairName", "emu-key-b")],
        )
        .await;
    assert_eq!(r.ok()["FailCount"], "0");
    // The API shows the new values at once; the guest still uses the old.
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["HostName"], "web-2");
    assert_eq!(inst["KeyPairName"], "emu-key-b");
    let g = guest(api, &id).await;
    assert_eq!(g["Effective"]["HostName"], "web-1");
    assert_eq!(g["Effective"]["PasswordHash"], hash(&id, "Fir5t-Secret"));
    assert_eq!(g["Effective"]["KeyPairName"], "emu-key-a");
    assert_eq!(g["Configured"]["PasswordHash"], hash(&id, "Sec0nd-Secret"));
    assert_eq!(g["PendingRestart"], true);

    // RebootInstance is an API restart.
    api.call("RebootInstance", &[("InstanceId", &id)])
        .await
        .ok();
    assert_eq!(api.status(&id).await, "Starting");
    api.wait_status(&id, "Running").await;
    let g = guest(api, &id).await;
    assert_eq!(g["Effective"]["HostName"], "web-2");
    assert_eq!(g["Effective"]["PasswordHash"], hash(&id, "Sec0nd-Secret"));
    assert_eq!(g["Effective"]["KeyPairName"], "emu-key-b");
    assert_eq!(g["PendingRestart"], false);

    // So is a stop and start; a reboot inside the OS (nothing here) is not.
    api.call(
        "DetachKeyPair",
        &[("InstanceIds", &ids), ("KeyPairName", "emu-key-b")],
    )
    .await
    .ok();
    api.stop(&id).await;
    assert_eq!(
        guest(api, &id).await["Effective"]["KeyPairName"],
        "emu-key-b"
    );
    api.call("StartInstance", &[("InstanceId", &id)]).await.ok();
    assert_eq!(guest(api, &id).await["Effective"]["KeyPairName"], "");
    // The journal never holds a password.
    let journal = api.journal().await.to_string();
    assert!(!journal.contains("Sec0nd-Secret") && !journal.contains("Fir5t-Secret"));
}

#[tokio::test]
async fn one_vswitch_change_per_stop_window() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[("VSwitchId", "vsw-emu-h1")]).await;
    let public_before = api.instance(&id).await.unwrap()["PublicIpAddress"].clone();
    api.stop(&id).await;
    api.call(
        "ModifyInstanceVpcAttribute",
        &[
            ("InstanceId", &id),
            ("VSwitchId", "vsw-emu-h2"),
            ("PrivateIpAddress", "172.16.2.20"),
        ],
    )
    .await
    .ok();
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["VpcAttributes"]["VSwitchId"], "vsw-emu-h2");
    assert_eq!(inst["VpcAttributes"]["VpcId"], "vpc-emu-main");
    assert_eq!(
        inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"],
        json!(["172.16.2.20"])
    );
    assert_eq!(inst["PublicIpAddress"], public_before);
    // Twice in one window: refused until the instance starts.
    api.call(
        "ModifyInstanceVpcAttribute",
        &[
            ("InstanceId", &id),
            ("VSwitchId", "vsw-emu-h2"),
            ("PrivateIpAddress", "172.16.2.21"),
        ],
    )
    .await
    .expect_err(400, "InvalidPrivateIp.Changing");
    api.call("StartInstance", &[("InstanceId", &id)]).await.ok();
    api.wait_status(&id, "Running").await;
    api.stop(&id).await;
    // A new window: the vSwitch only, the address chosen by ECS.
    api.call(
        "ModifyInstanceVpcAttribute",
        &[("InstanceId", &id), ("VSwitchId", "vsw-emu-h1")],
    )
    .await
    .ok();
    let inst = api.instance(&id).await.unwrap();
    let ip = inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(ip.starts_with("172.16.1."), "{ip}");
    let vsw = api
        .call("DescribeVSwitches", &[("VSwitchId", "vsw-emu-h1")])
        .await;
    let v = &vsw.ok()["VSwitches"]["VSwitch"][0];
    assert_eq!(v["CidrBlock"], "172.16.1.0/24");
    assert_eq!(v["ZoneId"], "cn-hangzhou-h");
    let all = api
        .call("DescribeVSwitches", &[("VpcId", "vpc-emu-main")])
        .await;
    assert_eq!(all.ok()["TotalCount"], 3);
}

#[tokio::test]
async fn replace_system_disk_keeps_the_instance_and_its_addresses() {
    let env = start_default().await;
    let api = &env.api;
    let id = api
        .run_one(&[("VSwitchId", "vsw-emu-h1"), ("KeyPairName", "emu-key-a")])
        .await;
    api.stop(&id).await;
    let before = api.instance(&id).await.unwrap();
    let old_disk = system_disk(api, &id).await;
    assert_eq!(old_disk["Size"], 40);
    let replace = [
        ("InstanceId", id.as_str()),
        ("ImageId", UBUNTU_60G),
        ("Password", "N3w-Secret!"),
        ("ClientToken", "replace-1"),
    ];
    let r = api.call("ReplaceSystemDisk", &replace).await;
    let disk_id = r.ok()["DiskId"].as_str().unwrap().to_string();
    assert_ne!(disk_id, old_disk["DiskId"].as_str().unwrap());
    // The same token again: the first answer, nothing new.
    let again = api.call("ReplaceSystemDisk", &replace).await;
    assert_eq!(again.ok()["DiskId"], disk_id.as_str());
    let mut other = replace.to_vec();
    other[1] = ("ImageId", UBUNTU_20G);
    api.call("ReplaceSystemDisk", &other)
        .await
        .expect_err(400, "IdempotenceParamNotMatch");
    let after = api.instance(&id).await.unwrap();
    assert_eq!(after["InstanceId"], before["InstanceId"]);
    assert_eq!(after["VpcAttributes"], before["VpcAttributes"]);
    assert_eq!(after["ImageId"], UBUNTU_60G);
    assert_eq!(
        after["KeyPairName"], "",
        "no KeyPairName: the binding is gone"
    );
    let disk = system_disk(api, &id).await;
    assert_eq!(
        (disk["DiskId"].as_str().unwrap(), disk["Size"].as_i64()),
        (disk_id.as_str(), Some(60)),
        "the default size grows to the image"
    );
    assert_eq!(disk["Category"], old_disk["Category"]);
    api.call("StartInstance", &[("InstanceId", &id)]).await.ok();
    assert_eq!(
        guest(api, &id).await["Effective"]["PasswordHash"],
        hash(&id, "N3w-Secret!")
    );
    // The state file and journal see no password either.
    let tokens = api.journal().await.to_string();
    assert!(!tokens.contains("N3w-Secret!"));
}

#[tokio::test]
async fn online_growth_keeps_the_instance_running() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[("VSwitchId", "vsw-emu-h1")]).await;
    let disk = system_disk(api, &id).await;
    let d = disk["DiskId"].as_str().unwrap();
    api.call(
        "ResizeDisk",
        &[
            ("DiskId", d),
            ("NewSize", "100"),
            ("Type", "online"),
            ("ClientToken", "grow-1"),
        ],
    )
    .await
    .ok();
    assert_eq!(system_disk(api, &id).await["Size"], 100);
    assert_eq!(api.status(&id).await, "Running");
    let journal = api.journal().await;
    let resize = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "ResizeDisk")
        .unwrap()
        .clone();
    assert_eq!(resize["instance_id"], id.as_str(), "journaled by instance");
    let changes = journal["status_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["instance_id"] == id.as_str())
        .count();
    assert_eq!(
        changes, 2,
        "created Pending, then Running, nothing since: {journal}"
    );
}

#[tokio::test]
async fn key_pair_results_are_per_instance_behind_a_200() {
    let env = start_default().await;
    let api = &env.api;
    let linux = api.run_one(&[("VSwitchId", "vsw-emu-h1")]).await;
    let windows = api
        .run_one(&[("VSwitchId", "vsw-emu-h1"), ("ImageId", WINDOWS)])
        .await;
    let ids = serde_json::to_string(&[linux.as_str(), windows.as_str(), "i-ghost"]).unwrap();
    let r = api
        .call(
            "AttachKeyPair",
            &[("InstanceIds", &ids), ("KeyPairName", "emu-key-c")],
        )
        .await;
    let body = r.ok();
    assert_eq!(body["FailCount"], "2");
    assert_eq!(body["TotalCount"], "3");
    let results = body["Results"]["Result"].as_array().unwrap();
    let code_of = |id: &str| {
        results
            .iter()
            .find(|x| x["InstanceId"] == id)
            .map(|x| (x["Success"].clone(), x["Code"].clone()))
            .unwrap()
    };
    assert_eq!(code_of(&linux), (json!("true"), json!("200")));
    assert_eq!(
        code_of(&windows),
        (json!("false"), json!("DependencyViolation.WindowsInstance"))
    );
    assert_eq!(
        code_of("i-ghost"),
        (json!("false"), json!("InvalidInstanceId.NotFound"))
    );
    assert_eq!(
        api.instance(&linux).await.unwrap()["KeyPairName"],
        "emu-key-c"
    );
    assert_eq!(api.instance(&windows).await.unwrap()["KeyPairName"], "");
    let pairs = api
        .call("DescribeKeyPairs", &[("KeyPairName", "emu-key-c")])
        .await;
    assert_eq!(
        pairs.ok()["KeyPairs"]["KeyPair"].as_array().unwrap().len(),
        1
    );
    // A one-instance call is journaled by its instance.
    let one = format!("[\"{linux}\"]");
    api.call(
        "DetachKeyPair",
        &[("InstanceIds", &one), ("KeyPairName", "emu-key-c")],
    )
    .await
    .ok();
    let journal = api.journal().await;
    let detach = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "DetachKeyPair")
        .unwrap()
        .clone();
    assert_eq!(detach["instance_id"], linux.as_str());
}

#[tokio::test]
async fn attributes_user_data_groups_and_reads() {
    let env = start_default().await;
    let api = &env.api;
    let script = b"#!/bin/sh\necho hello\n";
    let id = api
        .run_one(&[
            ("VSwitchId", "vsw-emu-h1"),
            ("SecurityGroupIds.1", "sg-emu-web"),
            ("SecurityGroupIds.2", "sg-emu-app"),
            ("UserData", &b64(script)),
            ("Tag.1.Key", "env"),
            ("Tag.1.Value", "prod"),
            ("SystemDisk.Category", "cloud_essd"),
            ("SystemDisk.Size", "50"),
            ("DeletionProtection", "true"),
        ])
        .await;
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["Tags"]["Tag"][0]["TagKey"], "env");
    assert_eq!(inst["DeletionProtection"], true);
    assert_eq!(inst["VpcAttributes"]["VpcId"], "vpc-emu-main");
    let ip = inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0]
        .as_str()
        .unwrap();
    assert!(ip.starts_with("172.16.1."), "{ip}");
    let disk = system_disk(api, &id).await;
    assert_eq!(
        (disk["Category"].clone(), disk["Size"].clone()),
        (json!("cloud_essd"), json!(50))
    );
    let ud = api.call("DescribeUserData", &[("InstanceId", &id)]).await;
    assert_eq!(ud.ok()["UserData"], b64(script));
    // One call: name, groups (the whole list replaced), user data, protection.
    let new_script = b"#!/bin/sh\necho again\n";
    api.call(
        "ModifyInstanceAttribute",
        &[
            ("InstanceId", &id),
            ("InstanceName", "web"),
            ("SecurityGroupIds.1", "sg-emu-db"),
            ("UserData", &b64(new_script)),
            ("DeletionProtection", "false"),
        ],
    )
    .await
    .ok();
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["InstanceName"], "web");
    assert_eq!(
        inst["SecurityGroupIds"]["SecurityGroupId"],
        json!(["sg-emu-db"])
    );
    assert_eq!(inst["DeletionProtection"], false);
    assert_eq!(inst["Status"], "Running", "no stop for any of these");
    let ud = api.call("DescribeUserData", &[("InstanceId", &id)]).await;
    assert_eq!(ud.ok()["UserData"], b64(new_script));
    // Images: OS type and size; unknown ids are left out.
    let images = api
        .call(
            "DescribeImages",
            &[("ImageId", &format!("{WINDOWS},{UBUNTU_60G},img-nope"))],
        )
        .await;
    let list = images.ok()["Images"]["Image"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0]["OSType"].clone(), list[0]["Size"].clone()),
        (json!("windows"), json!(40))
    );
    assert_eq!(
        (list[1]["OSType"].clone(), list[1]["Size"].clone()),
        (json!("linux"), json!(60))
    );
    let windows = api
        .run_one(&[
            ("VSwitchId", "vsw-emu-h1"),
            ("ImageId", WINDOWS),
            ("KeyPairName", "emu-key-a"),
        ])
        .await;
    let w = api.instance(&windows).await.unwrap();
    assert_eq!(
        (w["OSType"].clone(), w["KeyPairName"].clone()),
        (json!("windows"), json!("")),
        "a key is ignored on Windows"
    );
}

#[tokio::test]
async fn seeded_vswitches_and_groups_exist_like_created_ones() {
    let env = start_default().await;
    let api = &env.api;
    let (code, _) = api
        .admin_post(
            "/_emulator/instances/i-seeded",
            json!({"VSwitchId": "vsw-seed", "SecurityGroupIds": {"SecurityGroupId": ["sg-seed-a"]},
                   "KeyPairName": "emu-key-a"}),
        )
        .await;
    assert_eq!(code, 201);
    let set = |g: &'static str| {
        [
            ("InstanceId", "i-seeded"),
            ("SecurityGroupIds.1", "sg-seed-a"),
            ("SecurityGroupIds.2", g),
        ]
    };
    api.call("ModifyInstanceAttribute", &set("sg-seed-a"))
        .await
        .ok();
    api.call("ModifyInstanceAttribute", &set("sg-emu-web"))
        .await
        .expect_err(404, "InvalidSecurityGroupId.NotFound");
    let v = api
        .call("DescribeVSwitches", &[("VSwitchId", "vsw-seed")])
        .await;
    assert_eq!(v.ok()["VSwitches"]["VSwitch"][0]["VpcId"], "vpc-seed");
    let g = guest(api, "i-seeded").await;
    assert_eq!(
        g["Effective"]["KeyPairName"], "emu-key-a",
        "a seed is as started"
    );
}
