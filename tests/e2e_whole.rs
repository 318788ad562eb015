//! End to end, real Terraform 1.0.3 against the emulator (issue 16): every change ECS
//! makes in place, made in place, with at most one stop (or one restart) per apply.

mod e2e_support;
mod support;

use e2e_support::{id_of, Cloud, IMAGE};

const OTHER_IMAGE: &str = "ubuntu_22_04_x64_20G_alibase_20240101.vhd";

fn web(body: &str) -> String {
    format!("resource \"ecs_instance\" \"web\" {{\n{body}\n}}\n")
}

/// The instance every test starts from: VPC, groups, a key, a password, tags.
fn before() -> String {
    web(&format!(
        r#"  image_id           = "{IMAGE}"
  instance_type      = "ecs.g6.large"
  vswitch_id         = "vsw-emu-h1"
  private_ip         = "172.16.1.10"
  security_group_ids = ["sg-emu-web"]
  password           = "Old-pass-1"
  host_name          = "web-1"
  key_name           = "emu-key-a"
  tags               = {{ env = "dev" }}
  internet_max_bandwidth_out = 5"#
    ))
}

/// Successful calls on `id` after its creation, tag calls included.
fn calls_after_create(cloud: &Cloud, id: &str) -> Vec<String> {
    let j = cloud.journal();
    let all: Vec<String> = j
        .requests
        .iter()
        .filter(|r| r.ok() && r.instance_id == id && !r.action.starts_with("Describe"))
        .filter(|r| !r.params.to_string().contains("stopped-for-update"))
        .map(|r| r.action.clone())
        .collect();
    let created = all
        .iter()
        .position(|a| a == "RunInstances")
        .expect("created");
    all[created + 1..].to_vec()
}

/// The instance's user tags as ECS reports them (the marker and `acs:` tags left out).
fn user_tags(inst: &serde_json::Value) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = inst["Tags"]["Tag"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap_or_default().to_string();
            (s("TagKey"), s("TagValue"))
        })
        .filter(|(k, _)| !k.starts_with("acs:") && !k.starts_with("terraform-provider-ecs:"))
        .collect();
    tags.sort();
    tags
}

/// The instance's security groups as ECS reports them, sorted.
fn groups(inst: &serde_json::Value) -> Vec<String> {
    let mut g: Vec<String> = inst["SecurityGroupIds"]["SecurityGroupId"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    g.sort();
    g
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn count(calls: &[String], action: &str) -> usize {
    calls.iter().filter(|c| *c == action).count()
}

fn created(cloud: &Cloud) -> String {
    cloud.config(&before());
    cloud.apply();
    cloud.assert_converged();
    id_of(cloud, "ecs_instance.web")
}

/// Plan `config` and expect it refused, its text holding each of `wants`.
fn refused_at_plan(cloud: &Cloud, config: &str, wants: &[&str]) {
    cloud.config(config);
    let run = cloud.plan();
    let text = e2e_support::flat(&run);
    assert_eq!(run.code, 1, "{text}");
    for want in wants {
        assert!(text.contains(want), "{want}: {text}");
    }
}

/// Since the create: one RebootInstance and no stop or start, one
/// ModifyInstanceAttribute (the password, never sent again), and the guest
/// running with "New-pass-2". Returns the guest's record.
fn restarted_once_with_the_new_password(cloud: &Cloud, id: &str) -> serde_json::Value {
    let calls = calls_after_create(cloud, id);
    assert_eq!(count(&calls, "RebootInstance"), 1, "{calls:?}");
    assert_eq!(count(&calls, "StopInstance"), 0, "{calls:?}");
    assert_eq!(count(&calls, "StartInstance"), 0, "{calls:?}");
    assert_eq!(count(&calls, "ModifyInstanceAttribute"), 1, "{calls:?}");
    let guest = cloud.guest(id);
    assert_eq!(
        guest["Effective"]["PasswordHash"],
        Cloud::password_hash(id, "New-pass-2"),
        "{guest}"
    );
    guest
}

#[test]
fn everything_at_once_stops_the_instance_once() {
    let cloud = Cloud::quick();
    let id = created(&cloud);
    cloud.config(&web(&format!(
        r#"  image_id           = "{OTHER_IMAGE}"
  instance_type      = "ecs.g6.xlarge"
  vswitch_id         = "vsw-emu-h2"
  private_ip         = "172.16.2.20"
  security_group_ids = ["sg-emu-app", "sg-emu-db"]
  password           = "New-pass-2"
  host_name          = "web-2"
  key_name           = "emu-key-b"
  tags               = {{ env = "prod", team = "web" }}
  internet_max_bandwidth_out = 10"#
    )));
    let plan = cloud.plan();
    let text = e2e_support::flat(&plan);
    assert!(
        text.contains("0 to add, 1 to change, 0 to destroy"),
        "{text}"
    );
    assert!(text.contains("Instance Will Be Stopped"), "{text}");
    for cause in [
        "instance_type",
        "vswitch_id",
        "image_id",
        "password",
        "host_name",
    ] {
        assert!(text.contains(cause), "the warning names {cause}: {text}");
    }
    assert!(text.contains("everything on it is erased"), "{text}");

    cloud.apply();
    let calls = calls_after_create(&cloud, &id);
    assert_eq!(count(&calls, "StopInstance"), 1, "{calls:?}");
    assert_eq!(count(&calls, "StartInstance"), 1, "{calls:?}");
    assert_eq!(count(&calls, "RebootInstance"), 0, "{calls:?}");
    assert_eq!(count(&calls, "ModifyInstanceAttribute"), 1, "{calls:?}");
    assert_eq!(count(&calls, "ModifyInstanceVpcAttribute"), 1, "{calls:?}");
    assert_eq!(count(&calls, "ReplaceSystemDisk"), 1, "{calls:?}");
    // Groups and tags before the stop, bandwidth after the start: no stop for them.
    let at = |a: &str| calls.iter().position(|c| c == a).unwrap_or(usize::MAX);
    let (stop, start) = (at("StopInstance"), at("StartInstance"));
    assert!(at("ModifyInstanceAttribute") < stop, "{calls:?}");
    assert!(at("TagResources") < stop, "{calls:?}");
    assert!(at("ModifyInstanceNetworkSpec") > start, "{calls:?}");

    let inst = cloud.instance(&id);
    assert_eq!(cloud.state_attr("ecs_instance.web", "id"), id.as_str());
    assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
    assert_eq!(inst["ImageId"], OTHER_IMAGE);
    assert_eq!(
        user_tags(&inst),
        [pair("env", "prod"), pair("team", "web")],
        "{inst:#}"
    );
    assert_eq!(groups(&inst), ["sg-emu-app", "sg-emu-db"], "{inst:#}");
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "tags"),
        serde_json::json!({"env": "prod", "team": "web"})
    );
    let guest = cloud.guest(&id);
    assert_eq!(guest["Effective"]["HostName"], "web-2", "{guest}");
    assert_eq!(guest["Effective"]["KeyPairName"], "emu-key-b", "{guest}");
    assert_eq!(
        guest["Effective"]["PasswordHash"],
        Cloud::password_hash(&id, "New-pass-2"),
        "{guest}"
    );
    assert_eq!(guest["PendingRestart"], false, "{guest}");
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "private_ip"),
        "172.16.2.20"
    );
    cloud.assert_converged();
    cloud.assert_rules_kept();
    cloud.journal().assert_in_place_rules();
}

#[test]
fn no_stop_changes_send_no_stop() {
    let cloud = Cloud::quick();
    let id = created(&cloud);
    cloud.config(&web(&format!(
        r#"  image_id           = "{IMAGE}"
  instance_type      = "ecs.g6.large"
  vswitch_id         = "vsw-emu-h1"
  private_ip         = "172.16.1.10"
  security_group_ids = ["sg-emu-app"]
  password           = "Old-pass-1"
  host_name          = "web-1"
  key_name           = "emu-key-a"
  instance_name      = "renamed"
  description        = "changed without a stop"
  deletion_protection = true
  system_disk_size   = 60
  tags               = {{ env = "prod" }}
  internet_max_bandwidth_out = 5"#
    )));
    let text = e2e_support::flat(&cloud.plan());
    assert!(!text.contains("Will Be Stopped"), "{text}");
    assert!(!text.contains("Will Be Restarted"), "{text}");
    cloud.apply();
    let calls = calls_after_create(&cloud, &id);
    assert_eq!(count(&calls, "StopInstance"), 0, "{calls:?}");
    assert_eq!(count(&calls, "RebootInstance"), 0, "{calls:?}");
    assert_eq!(count(&calls, "ModifyInstanceAttribute"), 1, "{calls:?}");
    assert_eq!(count(&calls, "ResizeDisk"), 1, "{calls:?}");
    let inst = cloud.instance(&id);
    assert_eq!(inst["Description"], "changed without a stop", "{inst:#}");
    assert_eq!(inst["InstanceName"], "renamed", "{inst:#}");
    assert_eq!(groups(&inst), ["sg-emu-app"], "{inst:#}");
    assert_eq!(user_tags(&inst), [pair("env", "prod")], "{inst:#}");
    assert_eq!(cloud.state_attr("ecs_instance.web", "system_disk_size"), 60);
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "deletion_protection"),
        true
    );
    cloud.assert_converged();
    cloud.journal().assert_in_place_rules();
    // Let the test's clean-up release it.
    cloud.config(&before());
    cloud.apply();
}

#[test]
fn a_password_alone_restarts_once() {
    let cloud = Cloud::quick();
    let id = created(&cloud);
    cloud.config(&before().replace("Old-pass-1", "New-pass-2"));
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("Instance Will Be Restarted"), "{text}");
    assert!(text.contains("password takes effect"), "{text}");
    cloud.apply();
    restarted_once_with_the_new_password(&cloud, &id);
    cloud.assert_converged();
}

#[test]
fn import_with_tags_groups_key_and_user_data_plans_nothing() {
    let cloud = Cloud::quick();
    let body = format!(
        r##"  image_id           = "{IMAGE}"
  instance_type      = "ecs.g6.large"
  vswitch_id         = "vsw-emu-h1"
  security_group_ids = ["sg-emu-web", "sg-emu-app"]
  key_name           = "emu-key-a"
  user_data          = "#!/bin/sh\necho hello\n"
  tags               = {{ env = "dev", team = "web" }}"##
    );
    cloud.config(&web(&body));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    // A stop marker left on it (an interrupted apply) must not show either.
    cloud.drift(
        &id,
        serde_json::json!({"Tags": {"Tag": [
            {"TagKey": "env", "TagValue": "dev"},
            {"TagKey": "team", "TagValue": "web"},
            {"TagKey": "terraform-provider-ecs:stopped-for-update", "TagValue": "stopped-at-1"},
            {"TagKey": "acs:ecs:owner", "TagValue": "ecs"}
        ]}}),
    );
    cloud
        .dir
        .tf_ok(&["state", "rm", "-no-color", "ecs_instance.web"]);
    cloud
        .dir
        .tf_ok(&["import", "-no-color", "ecs_instance.web", &id]);
    let tags = cloud.state_attr("ecs_instance.web", "tags");
    assert_eq!(tags, serde_json::json!({"env": "dev", "team": "web"}));
    cloud.assert_converged();
    // A full cycle on the imported instance: a change applies, then nothing is left to do.
    cloud.config(&web(&body
        .replace("team = \"web\"", "team = \"api\"")
        .replace(
            "sg-emu-app\"]",
            "sg-emu-app\"]\n  description        = \"imported\"",
        )));
    let run = cloud.apply();
    assert!(
        e2e_support::flat(&run).contains("1 changed"),
        "{}",
        e2e_support::flat(&run)
    );
    let inst = cloud.instance(&id);
    assert_eq!(inst["Description"], "imported", "{inst:#}");
    assert_eq!(
        user_tags(&inst),
        [pair("env", "dev"), pair("team", "api")],
        "{inst:#}"
    );
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "tags"),
        serde_json::json!({"env": "dev", "team": "api"})
    );
    cloud.assert_converged();
}

#[test]
fn a_private_ip_outside_its_vswitch_and_a_key_on_windows_are_refused_at_plan() {
    let cloud = Cloud::quick();
    let id = created(&cloud);
    let before_calls = calls_after_create(&cloud, &id).len();
    refused_at_plan(
        &cloud,
        &before().replace("172.16.1.10", "172.16.9.10"),
        &["Private IP Outside The vSwitch"],
    );
    refused_at_plan(
        &cloud,
        &before().replace(IMAGE, "win2022_datacenter_x64_40G_alibase_20240101.vhd"),
        &["Key Pair On A Windows Image"],
    );
    // Nothing was sent to change the instance.
    assert_eq!(calls_after_create(&cloud, &id).len(), before_calls);
}

/// DescribeVSwitches calls so far.
fn vswitch_reads(cloud: &Cloud) -> usize {
    cloud.journal().count("DescribeVSwitches")
}

#[test]
fn a_vswitch_in_another_zone_or_vpc_replaces_the_instance_decided_at_plan() {
    let cloud = Cloud::quick();
    let id = created(&cloud);
    // Nothing changes: no vSwitch is read.
    let reads = vswitch_reads(&cloud);
    cloud.assert_converged();
    assert_eq!(
        vswitch_reads(&cloud),
        reads,
        "an unchanged vswitch_id is read"
    );

    // Another zone of the same VPC.
    cloud.config(
        &before()
            .replace("vsw-emu-h1", "vsw-emu-i1")
            .replace("172.16.1.10", "172.16.3.10"),
    );
    let reads = vswitch_reads(&cloud);
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("forces replacement"), "{text}");
    assert!(
        text.contains("1 to add, 0 to change, 1 to destroy"),
        "{text}"
    );
    // One read serves the decision and the private-IP check, in both plan calls.
    assert_eq!(vswitch_reads(&cloud) - reads, 1, "{text}");
    cloud.apply();
    let zoned = id_of(&cloud, "ecs_instance.web");
    assert_ne!(zoned, id, "another zone is a new instance");
    let inst = cloud.instance(&zoned);
    assert_eq!(inst["VpcAttributes"]["VSwitchId"], "vsw-emu-i1", "{inst:#}");
    assert!(
        cloud
            .state_attr("ecs_instance.web", "zone_id")
            .as_str()
            .is_some_and(|z| z.ends_with("-i")),
        "{inst:#}"
    );
    // The refused ModifyInstanceVpcAttribute was never tried.
    assert_eq!(cloud.journal().count("ModifyInstanceVpcAttribute"), 0);
    cloud.assert_converged();

    // Another VPC (with a group of that VPC).
    cloud.config(
        &before()
            .replace("vsw-emu-h1", "vsw-emu-other-h")
            .replace("172.16.1.10", "10.1.0.10")
            .replace("sg-emu-web", "sg-emu-other"),
    );
    let text = e2e_support::flat(&cloud.plan());
    assert!(text.contains("forces replacement"), "{text}");
    assert!(
        text.contains("1 to add, 0 to change, 1 to destroy"),
        "{text}"
    );
    cloud.apply();
    let moved = id_of(&cloud, "ecs_instance.web");
    assert_ne!(moved, zoned, "another VPC is a new instance");
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "vpc_id"),
        "vpc-emu-other"
    );
    assert_eq!(cloud.journal().count("ModifyInstanceVpcAttribute"), 0);
    cloud.assert_converged();
    // (Same VPC and zone stays in place: everything_at_once_stops_the_instance_once.)
}

#[test]
fn a_vswitch_that_does_not_exist_is_an_error_at_plan() {
    let cloud = Cloud::quick();
    let id = created(&cloud);
    let before_calls = calls_after_create(&cloud, &id).len();
    refused_at_plan(
        &cloud,
        &before().replace("vsw-emu-h1", "vsw-emu-nope"),
        &["vSwitch Not Found", "vswitch_id"],
    );
    assert_eq!(calls_after_create(&cloud, &id).len(), before_calls);
}

#[test]
fn a_restart_owed_with_status_running_configured_is_made_by_the_next_apply() {
    let cloud = Cloud::quick();
    let running = |hcl: String| {
        hcl.replace(
            "internet_max_bandwidth_out = 5",
            "internet_max_bandwidth_out = 5\n  status = \"Running\"",
        )
    };
    cloud.config(&running(before()));
    cloud.apply();
    cloud.assert_converged();
    let id = id_of(&cloud, "ecs_instance.web");
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "restart_required"),
        false
    );

    // The password change goes out; Ctrl-C comes before the restart.
    cloud.config(&running(before().replace("Old-pass-1", "New-pass-2")));
    cloud.hook(serde_json::json!({
        "Action": "ModifyInstanceAttribute", "Phase": "before", "HoldMs": 1500,
    }));
    let apply = cloud.spawn(&["apply", "-auto-approve", "-no-color"]);
    cloud.wait_for(
        "the password call",
        std::time::Duration::from_secs(60),
        |c| c.hooks_fired() > 0,
    );
    apply.signal(libc::SIGINT);
    let first = apply.wait();
    assert_ne!(first.code, 0, "{}", e2e_support::flat(&first));
    // Let the held call finish.
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let calls = calls_after_create(&cloud, &id);
    assert_eq!(count(&calls, "ModifyInstanceAttribute"), 1, "{calls:?}");
    assert_eq!(count(&calls, "RebootInstance"), 0, "{calls:?}");
    assert_eq!(cloud.guest(&id)["PendingRestart"], true);
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "restart_required"),
        true
    );

    // The next plan shows the owed restart although nothing else differs.
    let run = cloud.plan();
    let text = e2e_support::flat(&run);
    assert_eq!(run.code, 2, "{text}");
    assert!(text.contains("restart_required"), "{text}");
    assert!(text.contains("Instance Will Be Restarted"), "{text}");
    cloud.apply();
    let guest = restarted_once_with_the_new_password(&cloud, &id);
    assert_eq!(guest["PendingRestart"], false, "{guest}");
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "restart_required"),
        false
    );
    cloud.assert_converged();
}
