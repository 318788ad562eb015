//! End to end: what a new user meets in the first hour, following the README with the
//! emulator and making ordinary mistakes. The README's emulator recipe must make
//! `examples/resize` resize in seconds; each mistake must get a message that points at the
//! real fix (the attribute or environment variable, the endpoint URL, the accepted values).

mod e2e_support;
mod support;

use e2e_support::{flat, instance_hcl, Cloud, REQUIRED_PROVIDERS, SECRET_KEY};
use serde_json::json;
use std::time::{Duration, Instant};
use support::{project_root, Emulator, TfDir};

/// The emulator command line and the exported variables of the README's recipe.
fn readme_recipe() -> (Vec<String>, Vec<(String, String)>) {
    let readme = std::fs::read_to_string(project_root().join("README.md")).expect("README");
    let section = readme
        .split("## The emulator")
        .nth(1)
        .expect("README has a section \"The emulator\"");
    let block = section
        .split("```sh")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the section starts with a sh block");
    let joined = block.replace("\\\n", " ");
    let command = joined
        .lines()
        .find(|l| l.contains("ecs-emulator"))
        .expect("the block starts the emulator");
    let args = command
        .split_whitespace()
        .skip_while(|w| !w.contains("ecs-emulator"))
        .skip(1)
        .map(String::from)
        .collect();
    let exports = joined
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export "))
        .flat_map(|l| l.split_whitespace())
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (args, exports)
}

/// `args` without `--name value`.
fn without(args: &[String], name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a == name {
            skip = true;
        } else {
            out.push(a.clone());
        }
    }
    out
}

/// The README's recipe, then `examples/resize` as the example's comment says: apply, then
/// apply a new type and bandwidth. The plan says how long the wait is, and the whole resize
/// takes seconds (the emulator's cooldown), not the five minutes of ECS.
#[test]
fn the_readme_recipe_resizes_the_example_in_seconds() {
    let (args, exports) = readme_recipe();
    let listen = args
        .iter()
        .position(|a| a == "--listen")
        .map(|i| args[i + 1].clone())
        .expect("the recipe fixes the port with --listen");
    assert!(!listen.ends_with(":0"), "a fixed port: {listen}");
    let cooldown = args
        .iter()
        .position(|a| a == "--cooldown")
        .map(|i| args[i + 1].clone())
        .expect("the recipe sets --cooldown");
    // Tests run in parallel: any free port instead of the recipe's, no state file.
    let emu_args = without(&without(&args, "--listen"), "--state");
    let emu_args: Vec<&str> = emu_args.iter().map(String::as_str).collect();
    let emu = Emulator::start(&emu_args);

    let example = std::fs::read_to_string(project_root().join("examples/resize/main.tf"))
        .expect("examples/resize/main.tf");
    // The harness's CLI config overrides the published source address the example uses.
    let mut dir = TfDir::new(&[("main.tf", &example)]);
    let mut saw_cooldown = false;
    for (k, v) in &exports {
        let v = if k == "ALIBABA_CLOUD_ENDPOINT_ECS" {
            assert!(
                v.ends_with(listen.rsplit(':').next().unwrap()),
                "{v} vs --listen {listen}"
            );
            emu.url.clone()
        } else {
            v.clone()
        };
        if k == "ECS_MODIFICATION_COOLDOWN" {
            assert_eq!(
                v, cooldown,
                "the recipe's provider cooldown is the emulator's"
            );
            saw_cooldown = true;
        }
        dir.env(k, &v);
    }
    assert!(saw_cooldown, "the recipe exports ECS_MODIFICATION_COOLDOWN");
    dir.env("ECS_PROVIDER_POLL_MS", "100");

    dir.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    let resize = [
        "-var",
        "instance_type=ecs.g6.xlarge",
        "-var",
        "bandwidth_out=20",
    ];
    let plan = dir.tf(&[&["plan", "-no-color"][..], &resize[..]].concat());
    let text = flat(&plan);
    assert!(plan.success(), "{text}");
    let wait = format!(
        "wait up to {} for the modification cooldown",
        humantime::format_duration(humantime::parse_duration(&cooldown).unwrap())
    );
    assert!(
        text.contains(&wait),
        "the plan says how long it waits ({wait}):\n{text}"
    );
    let started = Instant::now();
    dir.tf_ok(&[&["apply", "-auto-approve", "-no-color"][..], &resize[..]].concat());
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(120),
        "the resize took {took:?}: the provider did not use the emulator's cooldown"
    );
    let journal = e2e_support::Journal::parse(&emu.get("/_emulator/journal"));
    let modifications: Vec<_> = journal
        .requests
        .iter()
        .filter(|r| r.ok() && r.is_modification())
        .map(|r| r.describe())
        .collect();
    assert_eq!(modifications.len(), 2, "{modifications:?}");
    journal.assert_rules(humantime::parse_duration(&cooldown).unwrap());
}

/// A typo in a new instance's type fails the plan, with the family's types; a name that is
/// not even shaped like a type fails validate, which needs no credentials.
#[test]
fn a_typo_in_a_new_instance_type_fails_at_plan() {
    let cloud = Cloud::quick();
    let fleet: String = (0..4)
        .map(|i| instance_hcl(&format!("ok{i}"), "ecs.g6.large", ""))
        .collect();
    cloud.config(&format!(
        "{fleet}{}",
        instance_hcl("web", "ecs.g6.larg", "")
    ));
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_eq!(plan.code, 1, "{text}");
    for needle in [
        "Unknown Instance Type",
        "ecs.g6.larg is not an instance type ECS offers in this region",
        "Types of this region: ecs.g6.large,",
        "ecs_instance_types data source",
        "instance_type",
    ] {
        assert!(text.contains(needle), "missing {needle:?}:\n{text}");
    }
    assert!(!text.contains("DescribeInstanceTypes"), "{text}");
    assert_eq!(text.matches("Unknown Instance Type").count(), 1, "{text}");
    assert_eq!(
        cloud.journal().count("DescribeInstanceTypes"),
        1,
        "the region's types are listed once for all new instances"
    );
    cloud.config(&instance_hcl("web", "g6.large", ""));
    let validate = cloud.dir.tf(&["validate", "-no-color"]);
    let text = flat(&validate);
    assert_eq!(validate.code, 1, "{text}");
    assert!(text.contains("ecs.<family>.<size>"), "{text}");
    assert_eq!(cloud.journal().count("RunInstances"), 0);
}

/// A Terraform directory with one data source read, whose provider settings come from the
/// cloud's environment except for `env` and the provider block's `extra` lines.
fn read_types(cloud: &mut Cloud, env: &[(&str, &str)], extra: &str) -> String {
    for (k, v) in env {
        cloud.dir.env(k, v);
    }
    cloud.dir.write(
        "main.tf",
        &format!(
            "{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{\n  max_retries = 0\n{extra}\n}}\n\ndata \"ecs_instance_types\" \"all\" {{}}\ndata \"ecs_instance_types\" \"arm\" {{\n  architecture = \"ARM\"\n}}\n"
        ),
    );
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_eq!(plan.code, 1, "{text}");
    text
}

#[test]
fn configuration_mistakes_name_their_real_fix() {
    let mut cloud = Cloud::quick();

    // A wrong region: `region`, where it came from, and the regions the endpoint serves.
    let text = read_types(&mut cloud, &[("ALICLOUD_REGION", "cn-nowhere")], "");
    assert_eq!(
        cloud.journal().count("DescribeRegions"),
        1,
        "two reads failed, the regions were asked once"
    );
    assert!(
        text.contains(
            "does not serve region \"cn-nowhere\" (it serves cn-hangzhou): fix the region, which came from the environment variable ALICLOUD_REGION; set region in the provider block or ALICLOUD_REGION or ALIBABA_CLOUD_REGION"
        ),
        "{text}"
    );
    assert!(!text.contains("check the ids"), "{text}");
    cloud.dir.env("ALICLOUD_REGION", e2e_support::REGION);

    // A wrong secret from the README's variable: that variable is named, the string to sign
    // is not shown.
    let text = read_types(&mut cloud, &[("ALICLOUD_SECRET_KEY", "wrong")], "");
    assert!(
        text.contains(
            "check secret_key, which came from the environment variable ALICLOUD_SECRET_KEY"
        ),
        "{text}"
    );
    assert!(!text.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), "{text}");
    assert!(!text.contains("string to sign"), "{text}");
    cloud.dir.env("ALICLOUD_SECRET_KEY", SECRET_KEY);

    // A wrong access key set in the provider block: the block is named.
    let text = read_types(&mut cloud, &[], "  access_key = \"nobody\"");
    assert!(
        text.contains("check access_key, which came from access_key in the provider block"),
        "{text}"
    );

    // The emulator's own log shows what it refused, at INFO.
    let logs = cloud.emu.logs();
    for code in [
        "InvalidRegionId.NotFound",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
    ] {
        assert!(
            logs.lines().any(|l| l.contains("INFO") && l.contains(code)),
            "{code} not logged at INFO:\n{logs}"
        );
    }

    // Nothing listening: the URL and where it came from.
    let text = read_types(
        &mut cloud,
        &[("ALIBABA_CLOUD_ENDPOINT_ECS", "http://127.0.0.1:1")],
        "",
    );
    assert!(
        text.contains("no answer from http://127.0.0.1:1/ (from the environment variable ALIBABA_CLOUD_ENDPOINT_ECS)"),
        "{text}"
    );
    // https:// to the plain-HTTP emulator.
    let https = cloud.emu.url.replace("http://", "https://");
    let text = read_types(&mut cloud, &[], &format!("  endpoint = \"{https}\""));
    assert!(text.contains("answers plain HTTP"), "{text}");
    assert!(text.contains("endpoint in the provider block"), "{text}");
}

/// A destroy that cannot reach the endpoint says so without telling the user to apply.
#[test]
fn a_destroy_that_cannot_connect_does_not_say_apply() {
    let (mut cloud, _id) = Cloud::with_web_instance();
    cloud
        .dir
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", "http://127.0.0.1:1");
    cloud.provider_args = "  max_retries = 0\n".into();
    cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
    let run = cloud.dir.tf(&["destroy", "-auto-approve", "-no-color"]);
    let text = flat(&run);
    assert_ne!(run.code, 0, "{text}");
    assert!(text.contains("http://127.0.0.1:1/"), "{text}");
    assert!(!text.to_lowercase().contains("apply again"), "{text}");
}

/// `modification_cooldown` shorter than the emulator's: the refusals are retried seconds
/// apart, and the apply says the setting looks too short.
#[test]
fn a_too_short_cooldown_is_retried_sparingly_and_reported() {
    let cloud = Cloud::start(Duration::from_millis(300), Duration::from_secs(5), &[]);
    let write = |out: u32| {
        cloud.dir.write(
            "main.tf",
            &format!(
                "{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{\n  modification_cooldown = \"500ms\"\n}}\n{}",
                instance_hcl("web", "ecs.g6.large", &format!("  internet_max_bandwidth_out = {out}"))
            ),
        )
    };
    write(5);
    cloud.apply();
    write(10);
    cloud.apply();
    write(20);
    let run = cloud.apply();
    let text = flat(&run);
    assert!(
        text.contains("Modification Cooldown Looks Too Short"),
        "{text}"
    );
    assert!(
        text.contains(
            "modification_cooldown (500ms, from modification_cooldown in the provider block)"
        ),
        "{text}"
    );
    let refused = cloud
        .journal()
        .requests
        .iter()
        .filter(|r| r.is_modification() && !r.ok())
        .count();
    assert!(
        (1..=4).contains(&refused),
        "{refused} refused modifications in a 5 s cooldown"
    );
    cloud.assert_rules_kept();
}

/// A bandwidth change right after another waits for the cooldown: the plan says so, and
/// for how long.
#[test]
fn a_bandwidth_change_that_must_wait_says_how_long_at_plan() {
    let cloud = Cloud::start(Duration::from_millis(300), Duration::from_secs(30), &[]);
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 5",
    ));
    cloud.apply();
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 10",
    ));
    cloud.apply();
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 20",
    ));
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_eq!(plan.code, 2, "{text}");
    assert!(
        text.contains("Apply Will Wait For The Modification Cooldown"),
        "{text}"
    );
    let announced = text
        .split("wait up to ")
        .nth(1)
        .and_then(|rest| rest.split(" for the modification cooldown").next())
        .and_then(|d| humantime::parse_duration(d).ok())
        .unwrap_or_else(|| panic!("no wait length announced:\n{text}"));
    assert!(
        announced > Duration::ZERO && announced <= Duration::from_secs(30),
        "{announced:?}"
    );
    assert!(text.contains("without stopping it"), "{text}");
}

#[test]
fn instance_type_filters_are_validated_with_the_accepted_values() {
    let cloud = Cloud::quick();
    let check = |filter: &str, needles: &[&str]| {
        cloud.dir.write(
            "main.tf",
            &format!(
                "{}\ndata \"ecs_instance_types\" \"x\" {{\n  {filter}\n}}\n",
                cloud.provider_block()
            ),
        );
        let run = cloud.dir.tf(&["validate", "-no-color"]);
        let text = flat(&run);
        assert_eq!(run.code, 1, "{text}");
        for n in needles {
            assert!(text.contains(n), "missing {n:?}:\n{text}");
        }
    };
    check(
        "architecture = \"arm64\"",
        &["\"X86\", \"ARM\"", "arm64/aarch64 is \"ARM\""],
    );
    check("family = \"g6\"", &["Did you mean \"ecs.g6\"?"]);
    check("memory = 8", &["memory"]);
    cloud.dir.write(
        "main.tf",
        &format!(
            "{}\ndata \"ecs_instance_types\" \"x\" {{\n  family = \"ecs.g6\"\n  memory_gib = 16\n}}\noutput \"ids\" {{\n  value = data.ecs_instance_types.x.instance_types[*].id\n}}\n",
            cloud.provider_block()
        ),
    );
    cloud.apply();
    let out = cloud.dir.tf_ok(&["output", "-json", "ids"]);
    let ids: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(ids, json!(["ecs.g6.xlarge"]));
}

/// With `status` unset, a stop done outside Terraform is not drift (as the README says);
/// with `status = "Running"` it is.
#[test]
fn a_power_change_is_drift_only_when_status_is_set() {
    let (cloud, id) = Cloud::with_web_instance();
    cloud.drift(&id, json!({"Status": "Stopped"}));
    let plan = cloud.plan();
    assert_eq!(plan.code, 0, "{}", flat(&plan));
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  status = \"Running\"",
    ));
    let plan = cloud.plan();
    assert_eq!(plan.code, 2, "{}", flat(&plan));
}

/// The stop warning of a plain type change is one sentence per instance, and DEBUG logs
/// carry no empty or meaningless fields.
#[test]
fn the_stop_warning_is_one_concise_sentence_and_debug_logs_are_clean() {
    let (mut cloud, id) = Cloud::with_web_instance();
    cloud.config(&instance_hcl("web", "ecs.g6.xlarge", ""));
    cloud.dir.env("TF_LOG_PROVIDER", "DEBUG");
    let plan = cloud.plan();
    let text = flat(&plan);
    assert_eq!(plan.code, 2, "{text}");
    let warning = format!(
        "Applying this plan will stop {id} to change instance_type ecs.g6.large → ecs.g6.xlarge, then start it."
    );
    assert_eq!(text.matches(&warning).count(), 1, "{text}");
    assert!(!text.contains("Sequence:"), "{text}");
    assert!(
        plan.stderr.contains("tf_rpc=Configure"),
        "DEBUG logs expected:\n{}",
        plan.stderr
    );
    for line in plan.stderr.lines() {
        assert!(!line.contains("client_token=[REDACTED]"), "{line}");
        assert!(
            !line.contains("tf_resource_type= ") && !line.trim_end().ends_with("tf_resource_type="),
            "{line}"
        );
    }
}
