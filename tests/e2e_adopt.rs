//! End to end (real Terraform, the emulator): instances another tool owns.
//!
//! The instances here are created **out of band**, through the emulator's admin API, as
//! alicloud_instance or a console would; there is no alicloud provider in these tests, so
//! that is how they stand in for alicloud-owned instances.
//! - `ecs_instances` over 250 instances: every filter, paging, and the DescribeInstances
//!   calls counted in the journal (3 for 250); a filter that cannot match fails validate
//!   without a call.
//! - `ecs_instance_spec` with `for_each`: adopting changes nothing; a resize is a rolling
//!   fleet whose `max_unavailable` is shared with `ecs_instance` resources of the same
//!   provider (the journal never shows more down than the cap), with the same plan
//!   warnings; drift is planned back; destroying the specs sends no mutating call and leaves
//!   the instances Running on their new type; an instance deleted out of band leaves state
//!   with a warning; a saved adoption plan applied after the instance changed (with
//!   `status` unset, and with `status = "Running"` set on an instance started since, where
//!   the plan showed no stop) is refused by Terraform with no call.
//! - `examples/adopt/resize` (the ecs half of `examples/adopt`),
//!   `examples/resources/ecs_instance_spec` as written (data source by tag, then a rolling
//!   resize) and the migration steps of `docs/guides/migrate.md` (state rm, import, an empty
//!   plan).

mod e2e_support;
mod support;

use e2e_support::{flat, id_of, instance_hcl, Cloud, IMAGE};
use serde_json::{json, Value};
use std::time::Duration;

/// Creates an instance behind Terraform's back (the admin API), with `fields` over a
/// running ecs.g6.large with 5 Mbit/s out.
fn out_of_band(cloud: &Cloud, id: &str, fields: Value) {
    let mut body = json!({
        "ImageId": IMAGE,
        "InstanceType": "ecs.g6.large",
        "Status": "Running",
        "InternetMaxBandwidthOut": 5,
        "InstanceName": id,
    });
    for (k, v) in fields.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    cloud.emu.post(&format!("/_emulator/instances/{id}"), &body);
}

fn describe_calls(cloud: &Cloud) -> usize {
    cloud.journal().count("DescribeInstances")
}

/// Requests other than reads since request number `since`.
fn mutating_since(cloud: &Cloud, since: usize) -> Vec<String> {
    cloud.journal().requests[since..]
        .iter()
        .filter(|r| !r.action.starts_with("Describe"))
        .map(|r| format!("{} {}", r.action, r.instance_id))
        .collect()
}

fn output(cloud: &Cloud) -> Value {
    let run = cloud.dir.tf_ok(&["output", "-json", "-no-color"]);
    serde_json::from_str(&run.stdout).expect("terraform output -json")
}

/// The warnings of `terraform plan -json`: (summary, resource address, detail).
fn plan_warnings(cloud: &Cloud) -> Vec<(String, String, String)> {
    let run = cloud.dir.tf(&["plan", "-json", "-no-color"]);
    assert_eq!(run.code, 0, "{}", flat(&run));
    run.stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["type"] == "diagnostic" && m["diagnostic"]["severity"] == "warning")
        .map(|m| {
            let d = &m["diagnostic"];
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (s(&d["summary"]), s(&d["address"]), s(&d["detail"]))
        })
        .collect()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn ecs_instances_filters_and_pages_250_instances_in_few_calls() {
    let cloud = Cloud::quick();
    // 250 instances: names web-/db-, tags team=a/b, a tenth Stopped, a fifth xlarge, two
    // vSwitches.
    struct Seeded {
        id: String,
        name: String,
        team: &'static str,
        stopped: bool,
        xlarge: bool,
        vswitch: &'static str,
    }
    let seeded: Vec<Seeded> = (0..250)
        .map(|n| Seeded {
            id: format!("i-fleet{n:04}"),
            name: if n < 200 {
                format!("web-{n}")
            } else {
                format!("db-{n}")
            },
            team: if n % 2 == 0 { "a" } else { "b" },
            stopped: n % 10 == 0,
            xlarge: n % 5 == 0,
            vswitch: if n < 120 { "vsw-one" } else { "vsw-two" },
        })
        .collect();
    for s in &seeded {
        out_of_band(
            &cloud,
            &s.id,
            json!({
                "InstanceName": s.name,
                "Status": if s.stopped { "Stopped" } else { "Running" },
                "InstanceType": if s.xlarge { "ecs.g6.xlarge" } else { "ecs.g6.large" },
                "InstanceNetworkType": "vpc",
                "VpcAttributes": {"VpcId": "vpc-one", "VSwitchId": s.vswitch},
                "Tags": {"Tag": [{"TagKey": "team", "TagValue": s.team}]},
            }),
        );
    }
    let expect = |f: &dyn Fn(&Seeded) -> bool| -> Vec<String> {
        let mut v: Vec<String> = seeded
            .iter()
            .filter(|s| f(s))
            .map(|s| s.id.clone())
            .collect();
        v.sort();
        v
    };

    // Everything: 250 instances in 3 pages.
    cloud.config(
        "data \"ecs_instances\" \"all\" {}\noutput \"all\" { value = data.ecs_instances.all.instances[*].id }\n",
    );
    let before = describe_calls(&cloud);
    cloud.dir.tf_ok(&["plan", "-no-color"]);
    let calls = describe_calls(&cloud) - before;
    assert_eq!(calls, 3, "250 instances are 3 pages of 100");
    let j = cloud.journal();
    let pages: Vec<_> = j
        .requests
        .iter()
        .filter(|r| r.action == "DescribeInstances")
        .collect();
    assert!(pages.iter().all(|r| r.param("MaxResults") == Some("100")));
    cloud.apply();
    assert_eq!(ids(&output(&cloud)["all"]["value"]), expect(&|_| true));

    // Every filter, alone and together; ECS does all but name_regex.
    /// (data source name, its filter lines, which seeded instances it must list, how
    /// many DescribeInstances calls it may make).
    type Case = (
        &'static str,
        &'static str,
        Box<dyn Fn(&Seeded) -> bool>,
        usize,
    );
    let filters: [Case; 9] = [
        ("none", "ids = []", Box::new(|_: &Seeded| false), 0),
        (
            "by_ids",
            "ids = [\"i-fleet0003\", \"i-fleet0249\", \"i-fleet0100\", \"i-missing\"]",
            Box::new(|s: &Seeded| ["i-fleet0003", "i-fleet0249", "i-fleet0100"].contains(&s.id.as_str())),
            1,
        ),
        (
            "by_name",
            "name_regex = \"^db-\"",
            Box::new(|s: &Seeded| s.name.starts_with("db-")),
            3,
        ),
        (
            "by_tag",
            "tags = { team = \"a\" }",
            Box::new(|s: &Seeded| s.team == "a"),
            2,
        ),
        (
            "by_tag_key",
            "tags = { team = \"\" }",
            Box::new(|_: &Seeded| true),
            3,
        ),
        (
            "by_status",
            "status = \"Stopped\"",
            Box::new(|s: &Seeded| s.stopped),
            1,
        ),
        (
            "by_type",
            "instance_type = \"ecs.g6.xlarge\"",
            Box::new(|s: &Seeded| s.xlarge),
            1,
        ),
        (
            "by_vswitch",
            "vswitch_id = \"vsw-two\"",
            Box::new(|s: &Seeded| s.vswitch == "vsw-two"),
            2,
        ),
        (
            "combined",
            "tags = { team = \"a\" }\n  status = \"Running\"\n  vswitch_id = \"vsw-one\"\n  instance_type = \"ecs.g6.large\"\n  name_regex = \"^web-1\"",
            Box::new(|s: &Seeded| {
                s.team == "a"
                    && !s.stopped
                    && s.vswitch == "vsw-one"
                    && !s.xlarge
                    && s.name.starts_with("web-1")
            }),
            1,
        ),
    ];
    let mut hcl = String::new();
    for (name, body, _, _) in &filters {
        hcl += &format!(
            "data \"ecs_instances\" \"{name}\" {{\n  {body}\n}}\noutput \"{name}\" {{ value = data.ecs_instances.{name}.instances[*].id }}\n"
        );
    }
    cloud.config(&hcl);
    let before = describe_calls(&cloud);
    cloud.dir.tf_ok(&["plan", "-no-color"]);
    let calls = describe_calls(&cloud) - before;
    let expected_calls: usize = filters.iter().map(|f| f.3).sum();
    assert_eq!(
        calls, expected_calls,
        "one call per 100 instances ECS matched, per data source"
    );
    // The filters went to ECS.
    let j = cloud.journal();
    let sent = |k: &str, v: &str| {
        j.requests
            .iter()
            .any(|r| r.action == "DescribeInstances" && r.param(k) == Some(v))
    };
    assert!(sent("Status", "Stopped") && sent("InstanceType", "ecs.g6.xlarge"));
    assert!(sent("VSwitchId", "vsw-two") && sent("Tag.1.Key", "team") && sent("Tag.1.Value", "a"));
    cloud.apply();
    let out = output(&cloud);
    for (name, _, want, _) in &filters {
        let mut got = ids(&out[*name]["value"]);
        let listed = got.clone();
        got.sort();
        assert_eq!(got, expect(want.as_ref()), "{name}");
        let mut oldest_first = listed.clone();
        oldest_first.sort();
        assert_eq!(listed, oldest_first, "{name}: oldest first, ties by id");
    }

    // Filters that cannot match: refused by validate, before any call.
    let before = cloud.journal().requests.len();
    for (body, attribute) in [
        ("name_regex = \"web-(\"", "name_regex"),
        ("status = \"running\"", "Did you mean \"Running\"?"),
        (
            "instance_type = \"g6.large\"",
            "Did you mean \"ecs.g6.large\"?",
        ),
        ("ids = [\"web-1\"]", "not an instance ID"),
    ] {
        cloud.config(&format!(
            "data \"ecs_instances\" \"bad\" {{\n  {body}\n}}\n"
        ));
        let run = cloud.dir.tf(&["validate", "-no-color"]);
        assert_ne!(run.code, 0, "{body}");
        assert!(flat(&run).contains(attribute), "{body}: {}", flat(&run));
    }
    assert_eq!(
        cloud.journal().requests.len(),
        before,
        "validate calls nothing"
    );

    // A module adopting all it finds: the 250 plans read their instances in shared calls
    // (batched like Terraform's refresh; about 60 on a 2-core machine, where one call per
    // instance would be 250).
    cloud.config(
        "data \"ecs_instances\" \"all\" {}\nresource \"ecs_instance_spec\" \"all\" {\n  for_each    = { for i in data.ecs_instances.all.instances : i.id => i }\n  instance_id = each.key\n}\n",
    );
    let before = describe_calls(&cloud);
    let plan = cloud.dir.tf(&["plan", "-no-color", "-parallelism=50"]);
    assert_eq!(plan.code, 0, "{}", flat(&plan));
    assert!(flat(&plan).contains("Plan: 250 to add"), "{}", flat(&plan));
    let calls = describe_calls(&cloud) - before;
    eprintln!(
        "planning 250 adoptions: {calls} DescribeInstances calls (3 of them the data source)"
    );
    assert!(calls <= 3 + 125, "{calls} calls to plan 250 adoptions");
}

/// The fleet: `ecs_instance.own[0..2]` created by Terraform, and four instances created out
/// of band adopted by `ecs_instance_spec.fleet`, all under one provider with `max_unavailable`.
fn fleet_config(cloud: &Cloud, own_type: &str, fleet: &[(&str, &str)]) {
    let map: Vec<String> = fleet
        .iter()
        .map(|(id, t)| format!("    \"{id}\" = \"{t}\""))
        .collect();
    let own = instance_hcl("own", own_type, "  count = 2");
    cloud.config(&format!(
        "{own}\nvariable \"fleet\" {{\n  type = map(string)\n  default = {{\n{}\n  }}\n}}\n\nresource \"ecs_instance_spec\" \"fleet\" {{\n  for_each      = var.fleet\n  instance_id   = each.key\n  instance_type = each.value\n}}\n",
        map.join("\n")
    ));
}

const FLEET: [&str; 4] = ["i-alicloud1", "i-alicloud2", "i-alicloud3", "i-alicloud4"];

#[test]
fn an_out_of_band_fleet_is_adopted_resized_rolling_and_let_go() {
    let mut cloud = Cloud::start(Duration::from_millis(400), Duration::from_secs(1), &[]);
    cloud.provider_args = "  max_unavailable = 2\n".into();
    for id in FLEET {
        out_of_band(&cloud, id, json!({}));
    }
    let large: Vec<(&str, &str)> = FLEET.iter().map(|id| (*id, "ecs.g6.large")).collect();
    fleet_config(&cloud, "ecs.g6.large", &large);
    // Adopting what already matches changes nothing.
    let before = cloud.journal().requests.len();
    cloud.apply();
    let created: Vec<String> = mutating_since(&cloud, before)
        .into_iter()
        .filter(|c| !c.starts_with("RunInstances"))
        .collect();
    assert!(
        created.is_empty(),
        "adoption changed something: {created:?}"
    );
    cloud.assert_converged();
    assert_eq!(
        cloud.state_attr("ecs_instance_spec.fleet[\"i-alicloud1\"]", "cpu"),
        json!(2)
    );

    // Resize all six: a rolling update across both resource types, cap 2.
    let xlarge: Vec<(&str, &str)> = FLEET.iter().map(|id| (*id, "ecs.g6.xlarge")).collect();
    fleet_config(&cloud, "ecs.g6.xlarge", &xlarge);
    // The same warnings for the adopted instances as for ecs_instance's (Terraform folds
    // alike warnings together in its text output: read them one by one).
    let warnings = plan_warnings(&cloud);
    let ids: Vec<String> = FLEET
        .iter()
        .map(|id| id.to_string())
        .chain((0..2).map(|n| id_of(&cloud, &format!("ecs_instance.own[{n}]"))))
        .collect();
    for id in &ids {
        for summary in ["Instance Will Be Stopped", "Rolling Update"] {
            let w = warnings
                .iter()
                // "Rolling Update: at most 2 down at once": the summary carries the cap.
                .find(|(s, _, d)| s.starts_with(summary) && d.contains(&format!(" {id} ")))
                .unwrap_or_else(|| panic!("no {summary} warning for {id}: {warnings:#?}"));
            if summary.starts_with("Rolling Update") {
                assert!(w.2.contains("max_unavailable = 2"), "{}", w.2);
            }
        }
    }
    // One summary across both resource types, so Terraform's "and N more similar warnings"
    // counts the whole rollout: six warnings, one summary.
    let rolling: Vec<&String> = warnings
        .iter()
        .filter(|(s, _, _)| s.starts_with("Rolling Update"))
        .map(|(s, _, _)| s)
        .collect();
    assert_eq!(rolling.len(), 6, "{warnings:#?}");
    assert!(
        rolling
            .iter()
            .all(|s| *s == "Rolling Update: at most 2 down at once"),
        "{warnings:#?}"
    );
    let since = cloud.journal().changes.last().map(|c| c.time);
    let applied = cloud.apply();
    assert!(flat(&applied).contains("Instance Will Be Stopped"));
    let j = cloud.journal();
    let most = j.most_taken_down_since(since);
    assert!(
        most <= 2,
        "{most} instances were down at once; the cap is 2"
    );
    assert_eq!(most, 2, "the cap was used (6 instances to stop)");
    for inst in cloud.instances() {
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge", "{inst}");
        assert_eq!(inst["Status"], "Running", "{inst}");
    }
    cloud.assert_rules_kept();
    cloud.assert_converged();
    assert_eq!(
        cloud.state_attr("ecs_instance_spec.fleet[\"i-alicloud2\"]", "cpu"),
        json!(4)
    );

    // Drift: a type changed in the console is planned back.
    cloud.drift(
        "i-alicloud3",
        json!({"InstanceType": "ecs.g6.large", "Status": "Stopped"}),
    );
    let plan = cloud.plan();
    assert_eq!(plan.code, 2, "{}", flat(&plan));
    assert!(
        flat(&plan).contains("\"ecs.g6.large\" -> \"ecs.g6.xlarge\""),
        "{}",
        flat(&plan)
    );
    cloud.apply();
    let back = cloud.instance("i-alicloud3");
    assert_eq!(back["InstanceType"], "ecs.g6.xlarge");
    // status unset: the instance keeps the power state it was found in.
    assert_eq!(back["Status"], "Stopped");
    cloud.drift("i-alicloud3", json!({"Status": "Running"}));
    cloud.assert_converged();

    // Letting go: no mutating call; the instances stay Running on their new type.
    let before = cloud.journal().requests.len();
    cloud.dir.tf_ok(&[
        "destroy",
        "-auto-approve",
        "-no-color",
        "-target=ecs_instance_spec.fleet",
    ]);
    let calls = mutating_since(&cloud, before);
    assert!(calls.is_empty(), "letting go called {calls:?}");
    for id in FLEET {
        let inst = cloud.instance(id);
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge", "{inst}");
        assert_eq!(inst["Status"], "Running", "{inst}");
    }
    assert!(cloud
        .state_addresses()
        .iter()
        .all(|a| !a.starts_with("ecs_instance_spec")));
}

#[test]
fn an_instance_deleted_by_its_owner_leaves_state_with_a_warning() {
    let cloud = Cloud::quick();
    for id in ["i-keep", "i-gone"] {
        out_of_band(&cloud, id, json!({}));
    }
    let config = |ids: &[&str]| {
        let set: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
        cloud.config(&format!(
            "resource \"ecs_instance_spec\" \"fleet\" {{\n  for_each    = toset([{}])\n  instance_id = each.key\n}}\n",
            set.join(", ")
        ));
    };
    config(&["i-keep", "i-gone"]);
    cloud.apply();
    assert_eq!(cloud.emu.delete("/_emulator/instances/i-gone"), 204);
    let refresh = cloud
        .dir
        .tf_ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    let text = flat(&refresh);
    assert!(
        text.contains("Adopted Instance No Longer Exists") && text.contains("i-gone"),
        "{text}"
    );
    let left = cloud.state_addresses();
    assert_eq!(left, ["ecs_instance_spec.fleet[\"i-keep\"]"], "{left:?}");
    // Still configured: the plan says what to do, once, and nothing loops.
    let plan = cloud.plan();
    assert_eq!(plan.code, 1);
    assert!(
        flat(&plan).contains("Instance To Adopt Does Not Exist"),
        "{}",
        flat(&plan)
    );
    config(&["i-keep"]);
    cloud.assert_converged();
}

#[test]
fn the_adopt_example_resizes_out_of_band_instances() {
    // examples/adopt/resize is the ecs half of examples/adopt; the alicloud half is stood in
    // for by instances created out of band.
    let mut cloud = Cloud::start(Duration::from_millis(300), Duration::from_secs(1), &[]);
    cloud.dir.timeout(Duration::from_secs(300));
    for (i, id) in FLEET.iter().enumerate() {
        out_of_band(
            &cloud,
            id,
            json!({"InstanceName": format!("web-{}", i + 1)}),
        );
    }
    let example =
        std::fs::read_to_string(support::project_root().join("examples/adopt/resize/main.tf"))
            .expect("examples/adopt/resize/main.tf");
    cloud.dir.write("main.tf", &example);
    cloud.dir.write(
        "provider.tf",
        "provider \"ecs\" {\n  modification_cooldown = \"1s\"\n  max_unavailable = 2\n}\n",
    );
    let ids: Vec<String> = FLEET
        .iter()
        .enumerate()
        .map(|(i, id)| format!("web-{} = \"{id}\"", i + 1))
        .collect();
    let types = |t: &str| -> String {
        let v: Vec<String> = (1..=4).map(|i| format!("web-{i} = \"{t}\"")).collect();
        v.join(", ")
    };
    let vars = |t: &str| {
        cloud.dir.write(
            "terraform.tfvars",
            &format!(
                "instances = {{ {} }}\ntypes = {{ {} }}\n",
                ids.join(", "),
                types(t)
            ),
        );
    };
    vars("ecs.g6.large");
    let before = cloud.journal().requests.len();
    cloud.apply();
    assert!(mutating_since(&cloud, before).is_empty());
    vars("ecs.g6.xlarge");
    let since = cloud.journal().changes.last().map(|c| c.time);
    cloud.apply();
    let most = cloud.journal().most_taken_down_since(since);
    assert!(
        (1..=2).contains(&most),
        "{most} down at once; the example's cap is 2"
    );
    for inst in cloud.instances() {
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
        assert_eq!(inst["Status"], "Running");
    }
    let out = output(&cloud);
    assert_eq!(out["instances"]["value"]["web-1"]["cpu"], 4);
    cloud.assert_rules_kept();
    cloud.assert_converged();
    // terraform destroy of the example lets go of every instance: no mutating call.
    let before = cloud.journal().requests.len();
    cloud.dir.tf_ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(mutating_since(&cloud, before), Vec::<String>::new());
    for inst in cloud.instances() {
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
        assert_eq!(inst["Status"], "Running");
    }
    assert!(cloud.state_addresses().is_empty());
}

#[test]
fn migrating_to_ecs_instance_is_state_rm_import_and_an_empty_plan() {
    // The steps of docs/guides/migrate.md on an instance created out of band (standing in
    // for one alicloud_instance created) and resized through ecs_instance_spec.
    let cloud = Cloud::quick();
    out_of_band(
        &cloud,
        "i-migrate",
        json!({
            "InstanceName": "web-1",
            "InstanceNetworkType": "vpc",
            "VpcAttributes": {"VpcId": "vpc-one", "VSwitchId": "vsw-one"},
            "ZoneId": "cn-hangzhou-h",
        }),
    );
    cloud.config(
        "resource \"ecs_instance_spec\" \"web\" {\n  instance_id   = \"i-migrate\"\n  instance_type = \"ecs.g6.xlarge\"\n}\n",
    );
    cloud.apply();
    // 1. Forget the spec (no call), 2. write the ecs_instance block from the instance's
    // arguments, 3. import, 4. the plan is empty.
    let before = cloud.journal().requests.len();
    cloud
        .dir
        .tf_ok(&["state", "rm", "-no-color", "ecs_instance_spec.web"]);
    cloud.config(&format!(
        "resource \"ecs_instance\" \"web\" {{\n  image_id      = \"{IMAGE}\"\n  instance_type = \"ecs.g6.xlarge\"\n  vswitch_id    = \"vsw-one\"\n  instance_name = \"web-1\"\n}}\n"
    ));
    cloud
        .dir
        .tf_ok(&["import", "-no-color", "ecs_instance.web", "i-migrate"]);
    cloud.assert_converged();
    assert!(mutating_since(&cloud, before).is_empty());
    assert_eq!(cloud.state_attr("ecs_instance.web", "id"), "i-migrate");
    // Importing the spec again is the way back, also with an empty plan.
    cloud
        .dir
        .tf_ok(&["state", "rm", "-no-color", "ecs_instance.web"]);
    cloud.config(
        "resource \"ecs_instance_spec\" \"web\" {\n  instance_id   = \"i-migrate\"\n  instance_type = \"ecs.g6.xlarge\"\n}\n",
    );
    cloud
        .dir
        .tf_ok(&["import", "-no-color", "ecs_instance_spec.web", "i-migrate"]);
    cloud.assert_converged();
    assert!(mutating_since(&cloud, before).is_empty());
}

#[test]
fn the_resource_example_finds_tagged_instances_and_resizes_them_one_at_a_time() {
    // examples/resources/ecs_instance_spec/main.tf as written: ecs_instances by tag, then
    // ecs_instance_spec for each, max_unavailable = 1.
    let mut cloud = Cloud::quick();
    cloud.dir.env("ECS_MODIFICATION_COOLDOWN", "1s");
    for id in ["i-web1", "i-web2", "i-web3"] {
        out_of_band(
            &cloud,
            id,
            json!({"Tags": {"Tag": [{"TagKey": "team", "TagValue": "web"}]}}),
        );
    }
    out_of_band(&cloud, "i-other", json!({}));
    let example = std::fs::read_to_string(
        support::project_root().join("examples/resources/ecs_instance_spec/main.tf"),
    )
    .expect("the example");
    cloud.dir.write("main.tf", &example);
    let since = cloud.journal().changes.last().map(|c| c.time);
    cloud.apply();
    assert_eq!(cloud.journal().most_taken_down_since(since), 1);
    for id in ["i-web1", "i-web2", "i-web3"] {
        let inst = cloud.instance(id);
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge", "{inst}");
        assert_eq!(inst["InternetMaxBandwidthOut"], 20, "{inst}");
        assert_eq!(inst["Status"], "Running", "{inst}");
    }
    let other = cloud.instance("i-other");
    assert_eq!(other["InstanceType"], "ecs.g6.large", "untagged: untouched");
    cloud.assert_rules_kept();
    cloud.assert_converged();
}

#[test]
fn an_instance_created_in_the_same_apply_is_adopted_once_known() {
    // Like a new alicloud_instance whose spec is planned before its ID exists (here an
    // ecs_instance that ignores its type stands in for it).
    let cloud = Cloud::quick();
    let base = instance_hcl(
        "base",
        "ecs.g6.large",
        "  lifecycle {\n    ignore_changes = [instance_type]\n  }",
    );
    cloud.config(&format!(
        "{base}\nresource \"ecs_instance_spec\" \"base\" {{\n  instance_id   = ecs_instance.base.id\n  instance_type = \"ecs.g6.xlarge\"\n}}\n"
    ));
    let plan = cloud.plan();
    assert_eq!(plan.code, 2, "{}", flat(&plan));
    assert!(
        flat(&plan).contains("Instance Not Known Until Apply"),
        "{}",
        flat(&plan)
    );
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.base");
    let inst = cloud.instance(&id);
    assert_eq!(inst["InstanceType"], "ecs.g6.xlarge");
    assert_eq!(inst["Status"], "Running");
    assert_eq!(cloud.state_attr("ecs_instance_spec.base", "cpu"), json!(4));
    cloud.assert_rules_kept();
    cloud.assert_converged();
}

#[test]
fn a_saved_adoption_plan_is_refused_when_the_instance_changed_since() {
    // Planned on a Stopped instance (no stop to show), applied after it was started: the
    // apply must not stop it. Terraform refuses the saved plan (status was planned from the
    // instance as the plan saw it), and nothing is called.
    let cloud = Cloud::quick();
    out_of_band(&cloud, "i-saved", json!({"Status": "Stopped"}));
    cloud.config(
        "resource \"ecs_instance_spec\" \"web\" {\n  instance_id   = \"i-saved\"\n  instance_type = \"ecs.g6.xlarge\"\n}\n",
    );
    cloud.dir.tf_ok(&["plan", "-no-color", "-out=adopt.plan"]);
    cloud.drift("i-saved", json!({"Status": "Running"}));
    let before = cloud.journal().requests.len();
    let run = cloud
        .dir
        .tf(&["apply", "-auto-approve", "-no-color", "adopt.plan"]);
    assert_ne!(run.code, 0, "{}", flat(&run));
    assert!(
        flat(&run).contains("inconsistent final plan"),
        "{}",
        flat(&run)
    );
    assert_eq!(mutating_since(&cloud, before), Vec::<String>::new());
    let inst = cloud.instance("i-saved");
    assert_eq!(
        (inst["Status"].as_str(), inst["InstanceType"].as_str()),
        (Some("Running"), Some("ecs.g6.large"))
    );
}

#[test]
fn a_saved_adoption_plan_with_status_set_is_refused_when_the_instance_started_since() {
    // status = "Running" set, so the planned status is the configuration's whatever the
    // instance was. Planned on a Stopped instance: change the type, start it, no stop.
    // Started out of band before the apply: reaching the plan would now take a stop the
    // plan did not show. adopted_from (the power state the plan read, known in the plan)
    // makes Terraform refuse the saved plan, with no call.
    let cloud = Cloud::quick();
    out_of_band(&cloud, "i-saved", json!({"Status": "Stopped"}));
    cloud.config(
        "resource \"ecs_instance_spec\" \"web\" {\n  instance_id   = \"i-saved\"\n  instance_type = \"ecs.g6.xlarge\"\n  status        = \"Running\"\n}\n",
    );
    let plan = cloud.dir.tf_ok(&["plan", "-no-color", "-out=adopt.plan"]);
    let shown = cloud
        .dir
        .tf_ok(&["show", "-json", "-no-color", "adopt.plan"]);
    let shown: Value = serde_json::from_str(&shown.stdout).expect("terraform show -json");
    let after = &shown["resource_changes"][0]["change"]["after"];
    assert_eq!(after["status"], "Running", "{}", flat(&plan));
    assert_eq!(after["adopted_from"]["status"], "Stopped", "{after}");
    assert!(
        !flat(&plan).contains("Instance Will Be Stopped"),
        "the plan shows no stop: {}",
        flat(&plan)
    );
    cloud.drift("i-saved", json!({"Status": "Running"}));
    let before = cloud.journal().requests.len();
    let run = cloud
        .dir
        .tf(&["apply", "-auto-approve", "-no-color", "adopt.plan"]);
    assert_ne!(run.code, 0, "{}", flat(&run));
    assert!(
        flat(&run).contains("inconsistent final plan") && flat(&run).contains("adopted_from"),
        "{}",
        flat(&run)
    );
    assert_eq!(mutating_since(&cloud, before), Vec::<String>::new());
    let inst = cloud.instance("i-saved");
    assert_eq!(
        (inst["Status"].as_str(), inst["InstanceType"].as_str()),
        (Some("Running"), Some("ecs.g6.large"))
    );
    // Planned again, it shows the stop and applies; the record stays what that plan read,
    // and nothing is left to plan (refresh keeps it).
    cloud.apply();
    let inst = cloud.instance("i-saved");
    assert_eq!(
        (inst["Status"].as_str(), inst["InstanceType"].as_str()),
        (Some("Running"), Some("ecs.g6.xlarge"))
    );
    let record = cloud.state_attr("ecs_instance_spec.web", "adopted_from");
    assert_eq!(
        (record["status"].as_str(), record["instance_type"].as_str()),
        (Some("Running"), Some("ecs.g6.large")),
        "{record}"
    );
    cloud.assert_rules_kept();
    cloud.assert_converged();
}
