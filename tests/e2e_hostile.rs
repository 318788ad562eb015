//! End to end through Terraform when the input is hostile or the infrastructure fails:
//! HTTPS with a private CA (and refused certificates), the emulator killed and restarted
//! mid-apply, and a table of bad configurations refused before any API call.

mod e2e_support;
mod support;

use e2e_support::{id_of, instance_hcl, Cloud, REQUIRED_PROVIDERS};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use std::path::Path;
use std::time::Duration;
use support::{Emulator, TfDir};

/// Both outputs, with Terraform's line wrapping undone (runs of whitespace become one space).
fn out(run: &support::TfRun) -> String {
    format!("{}\n{}", run.stdout, run.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// --- HTTPS -----------------------------------------------------------------------------

/// The user's path: `ecs-emulator --tls` writes its CA, the provider trusts it through
/// `SSL_CERT_FILE`, and create, an in-place resize and destroy all go over HTTPS.
#[test]
fn https_with_the_emulator_ca_in_ssl_cert_file_creates_resizes_and_destroys() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let ca_arg = ca.to_str().unwrap();
    let mut cloud = Cloud::start(
        Duration::from_millis(200),
        Duration::from_secs(1),
        &["--tls", "--tls-ca-out", ca_arg],
    );
    assert!(cloud.emu.url.starts_with("https://"), "{}", cloud.emu.url);
    cloud.dir.env("SSL_CERT_FILE", ca_arg);
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 5",
    ));
    cloud.apply();
    assert!(id_of(&cloud, "ecs_instance.web").starts_with("i-"));
    cloud.config(&instance_hcl(
        "web",
        "ecs.g6.large",
        "  internet_max_bandwidth_out = 10",
    ));
    cloud.apply();
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "internet_max_bandwidth_out"),
        10
    );
    cloud.assert_converged();
    cloud.dir.tf_ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(cloud.state_addresses().is_empty());
}

/// A self-signed CA and a leaf signed by it, written as PEM files in `dir`.
fn write_pki(dir: &Path, leaf_names: &[&str], expired: bool) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "e2e test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let mut leaf =
        CertificateParams::new(leaf_names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    if expired {
        leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("leaf.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("leaf.key"), key.serialize_pem()).unwrap();
}

/// Unknown CA, expired certificate, wrong host name: `terraform plan` fails naming which,
/// and what to do.
#[test]
fn refused_certificates_fail_the_plan_saying_which_check_failed() {
    let plan = |emu_args: &[&str], ssl_cert_file: Option<&Path>| -> String {
        let emu = Emulator::start(emu_args);
        let mut dir = TfDir::new(&[(
            "main.tf",
            &format!("{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{}}\ndata \"ecs_instance_types\" \"all\" {{}}\n"),
        )]);
        dir.env("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY)
            .env("ALICLOUD_SECRET_KEY", e2e_support::SECRET_KEY)
            .env("ALICLOUD_REGION", e2e_support::REGION)
            .env("ALIBABA_CLOUD_ENDPOINT_ECS", &emu.url);
        if let Some(f) = ssl_cert_file {
            dir.env("SSL_CERT_FILE", f.to_str().unwrap());
        }
        let run = dir.tf(&["plan", "-no-color"]);
        assert_eq!(run.code, 1, "{}", out(&run));
        assert!(!out(&run).contains("panic"), "{}", out(&run));
        out(&run)
    };
    let tmp = tempfile::tempdir().unwrap();
    let ca_out = tmp.path().join("unused-ca.pem");
    // The emulator's own CA, which this machine does not trust.
    let text = plan(&["--tls", "--tls-ca-out", ca_out.to_str().unwrap()], None);
    assert!(text.contains("unknown certificate authority"), "{text}");
    assert!(text.contains("SSL_CERT_FILE"), "{text}");

    let expired = tmp.path().join("expired");
    std::fs::create_dir(&expired).unwrap();
    write_pki(&expired, &["localhost", "127.0.0.1"], true);
    let (cert, key) = (expired.join("leaf.crt"), expired.join("leaf.key"));
    let args = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    let text = plan(&args, Some(&expired.join("ca.pem")));
    assert!(text.contains("certificate has expired"), "{text}");

    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    write_pki(&other, &["ecs.elsewhere.example"], false);
    let (cert, key) = (other.join("leaf.crt"), other.join("leaf.key"));
    let args = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    let text = plan(&args, Some(&other.join("ca.pem")));
    assert!(text.contains("does not name the endpoint's host"), "{text}");
}

// --- The emulator killed and restarted mid-apply ----------------------------------------

/// The user's CI case: the emulator (with `--state`) is killed -9 in the middle of a resize
/// that stops the instances, and restarted on the same port. The provider rides through
/// the refused connections with its retries; the apply converges, or fails with an error
/// that says to run Terraform again, and the next apply converges. Nothing is lost or duplicated.
#[test]
fn emulator_killed_and_restarted_mid_resize_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    let args = [
        "--state",
        state.to_str().unwrap(),
        "--transition",
        "700ms",
        "--cooldown",
        "1s",
    ];
    let emu = Emulator::start(&args);
    let listen = emu.addr().to_string();
    let mut dir = TfDir::new(&[]);
    dir.env("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY)
        .env("ALICLOUD_SECRET_KEY", e2e_support::SECRET_KEY)
        .env("ALICLOUD_REGION", e2e_support::REGION)
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", &emu.url)
        .env("ECS_PROVIDER_POLL_MS", "50");
    let config = |t: &str| {
        let provider = format!(
            "{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{\n  modification_cooldown = \"1s\"\n}}\n"
        );
        let body: String = ["a", "b"]
            .iter()
            .map(|n| instance_hcl(n, t, "  internet_max_bandwidth_out = 5"))
            .collect();
        dir.write("main.tf", &format!("{provider}{body}"));
    };
    config("ecs.g6.large");
    dir.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    let ids: Vec<String> = emu
        .get("/_emulator/instances")
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["InstanceId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);

    config("ecs.g6.xlarge");
    let (first, emu) = std::thread::scope(|s| {
        let apply = s.spawn(|| dir.tf(&["apply", "-auto-approve", "-no-color"]));
        // Kill as soon as a stop was sent: the instances are going down.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let journal = emu.get("/_emulator/journal");
            let stopped = journal["requests"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["action"] == "StopInstance");
            if stopped {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no StopInstance sent");
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = emu.pid().unwrap() as i32;
        // SAFETY: kill(2) on the emulator child we started.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
        drop(emu); // reaps it
        std::thread::sleep(Duration::from_millis(1200));
        let restarted = Emulator::start_on(&listen, &args);
        (apply.join().unwrap(), restarted)
    });
    let first_text = out(&first);
    assert!(!first_text.contains("panic"), "{first_text}");
    if first.code != 0 {
        // Allowed: a clear error saying the endpoint could not be reached, and to run again.
        assert!(
            first_text.contains("could not connect") && first_text.contains("run Terraform again"),
            "{first_text}"
        );
        dir.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    }
    let run = dir.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(run.code, 0, "converged: {}", out(&run));
    let live = emu.get("/_emulator/instances");
    let live = live.as_array().unwrap();
    assert_eq!(live.len(), 2, "no instance lost or duplicated: {live:?}");
    for inst in live {
        assert!(ids.contains(&inst["InstanceId"].as_str().unwrap().to_string()));
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge", "{inst}");
        assert_eq!(inst["Status"], "Running", "never left down: {inst}");
    }
    let journal = e2e_support::Journal::parse(&emu.get("/_emulator/journal"));
    assert!(
        journal.count("StartInstance") > 0 || journal.count("ModifyInstanceSpec") > 0,
        "the apply carried on against the restarted emulator"
    );
    journal.assert_rules(Duration::from_secs(1));
    eprintln!(
        "restart mid-resize: first apply {}",
        if first.code == 0 {
            "converged"
        } else {
            "failed, the next one converged"
        }
    );
}

// --- Security ---------------------------------------------------------------------------

/// TRACE logs of a full create + resize (stop, type change, start) + destroy, with both
/// signature versions and an STS token, hold neither the secret, nor the token, nor the V1
/// signing key (`secret&`); nor do Terraform's state or the emulator's state file.
#[test]
fn trace_logs_and_state_files_hold_no_secret() {
    const SECRET: &str = "Tr4ce-S3cret/+=zq";
    const TOKEN: &str = "CAIS-sts-T0ken/+=trace";
    for version in ["v1", "v3"] {
        let tmp = tempfile::tempdir().unwrap();
        let emu_state = tmp.path().join("emulator.json");
        let emu = Emulator::start(&[
            "--access-key-secret",
            SECRET,
            "--transition",
            "200ms",
            "--cooldown",
            "1s",
            "--state",
            emu_state.to_str().unwrap(),
        ]);
        let log = tmp.path().join("trace.log");
        let mut dir = TfDir::new(&[]);
        dir.env("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY)
            .env("ALICLOUD_SECRET_KEY", SECRET)
            .env("ALICLOUD_SECURITY_TOKEN", TOKEN)
            .env("ALICLOUD_REGION", e2e_support::REGION)
            .env("ALIBABA_CLOUD_ENDPOINT_ECS", &emu.url)
            .env("ECS_PROVIDER_POLL_MS", "20")
            .env("TF_LOG", "TRACE")
            .env("TF_LOG_PATH", log.to_str().unwrap());
        let config = |t: &str| {
            dir.write(
                "main.tf",
                &format!(
                    "{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{\n  signature_version = \"{version}\"\n  modification_cooldown = \"1s\"\n}}\n{}",
                    instance_hcl("web", t, "")
                ),
            );
        };
        config("ecs.g6.large");
        let mut outputs = vec![dir.tf_ok(&["apply", "-auto-approve", "-no-color"])];
        config("ecs.g6.xlarge");
        outputs.push(dir.tf_ok(&["apply", "-auto-approve", "-no-color"]));
        let tfstate = std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap();
        outputs.push(dir.tf_ok(&["destroy", "-auto-approve", "-no-color"]));
        let trace = std::fs::read_to_string(&log).unwrap();
        assert!(
            trace.contains("ModifyInstanceSpec") && trace.contains("StopInstance"),
            "{version}: the trace shows the calls"
        );
        let emulator_state = std::fs::read_to_string(&emu_state).unwrap();
        let mut texts = vec![
            ("trace log", trace),
            ("terraform.tfstate", tfstate),
            ("emulator state", emulator_state),
        ];
        for (i, run) in outputs.iter().enumerate() {
            texts.push(if i == 0 {
                ("apply output", out(run))
            } else {
                ("later output", out(run))
            });
        }
        for (what, text) in &texts {
            for needle in [SECRET, TOKEN, &format!("{SECRET}&"), &sign_key_hex(SECRET)] {
                assert!(!text.contains(needle), "{version}: {what} holds {needle:?}");
            }
            // Percent-encoded forms too (V1 puts the token in the URL).
            let encoded = terraform_provider_ecs::ecs::sign::percent_encode(TOKEN);
            assert!(
                !text.contains(&encoded),
                "{version}: {what} holds the encoded token"
            );
        }
    }
}

/// The secret as hex (how a key could leak through a debug print of bytes).
fn sign_key_hex(secret: &str) -> String {
    secret.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The emulator binds loopback by default, and says so loudly when told otherwise.
#[test]
fn the_emulator_warns_when_it_listens_beyond_loopback() {
    let local = Emulator::start(&[]);
    assert!(local.url.starts_with("http://127.0.0.1:"), "{}", local.url);
    assert!(!local.logs().contains("non-loopback"), "{}", local.logs());
    let open = Emulator::start_on("0.0.0.0:0", &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !open.logs().contains("non-loopback") {
        assert!(
            std::time::Instant::now() < deadline,
            "no warning: {}",
            open.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// --- Bad configuration table ------------------------------------------------------------

/// One bad configuration: the line to put in a block, the attribute it sets (the diagnostic
/// must point at that line and name it), and a short stable phrase of the diagnostic.
struct Row {
    line: &'static str,
    attribute: &'static str,
    phrase: &'static str,
}

const fn row(line: &'static str, attribute: &'static str, phrase: &'static str) -> Row {
    Row {
        line,
        attribute,
        phrase,
    }
}

/// Rows in an `ecs_instance` block (with a valid image and type unless the row sets them).
const RESOURCE_ROWS: &[Row] = &[
    row("internet_max_bandwidth_out = -1", "internet_max_bandwidth_out", "0 to 100"),
    row("internet_max_bandwidth_out = 101", "internet_max_bandwidth_out", "0 to 100"),
    row("internet_max_bandwidth_out = 2.5", "internet_max_bandwidth_out", "whole number"),
    row("internet_max_bandwidth_in = 201", "internet_max_bandwidth_in", "200"),
    row("internet_max_bandwidth_in = 0", "internet_max_bandwidth_in", "200"),
    row("internet_max_bandwidth_out = \"lots\"", "internet_max_bandwidth_out", "number"),
    row("status = \"running\"", "status", "Running"),
    row("status = \"Deleted\"", "status", "Stopped"),
    row("instance_type = \"\"", "instance_type", "instance_type"),
    row("instance_type = \"g6.large\"", "instance_type", "ecs.<family>.<size>"),
    row("instance_type = \"ecs.g6\"", "instance_type", "ecs.<family>.<size>"),
    row("image_id = \"\"", "image_id", "image_id"),
    row("instance_name = \"x\"", "instance_name", "128"),
    row("instance_name = \"\"", "instance_name", "instance_name"),
    row("instance_name = \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"", "instance_name", "128"),
    row("description = \"ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\"", "description", "256"),
    row("description = \"\"", "description", "description"),
    row("instance_charge_type = \"Monthly\"", "instance_charge_type", "PrePaid"),
    row("instance_charge_type = \"PrePaid\"", "instance_charge_type", "set period"),
    row("instance_charge_type = \"PrePaid\"\n  period_unit = \"Week\"\n  period = 5", "period", "1, 2, 3, 4"),
    row("instance_charge_type = \"PrePaid\"\n  period = 10", "period", "12, 24"),
    row("instance_charge_type = \"PrePaid\"\n  period = 1\n  period_unit = \"Year\"", "period_unit", "Week"),
    row("period = 1", "period", "subscriptions only"),
    row("instance_charge_type = \"PostPaid\"\n  auto_renew = true", "auto_renew", "subscriptions only"),
    row("instance_charge_type = \"PostPaid\"\n  auto_renew_period = 1", "auto_renew_period", "subscriptions only"),
    row("instance_charge_type = \"PrePaid\"\n  period = 1\n  auto_renew_period = 3", "auto_renew_period", "auto_renew = true"),
    row("instance_charge_type = \"PrePaid\"\n  period = 1\n  auto_renew = true\n  auto_renew_period = 4", "auto_renew_period", "6, 12, 24"),
    row("instance_charge_type = \"PrePaid\"\n  period = 1\n  period_unit = \"Week\"\n  auto_renew = true\n  auto_renew_period = 4", "auto_renew_period", "1, 2, 3"),
    row("expired_time = \"2030-01-01T00:00Z\"", "expired_time", "expired_time"),
    row("internet_charge_type = \"PayByHour\"", "internet_charge_type", "PayByTraffic"),
    row("stopped_mode = \"Cheap\"", "stopped_mode", "StopCharging"),
    row("allow_stopping_for_update = \"maybe\"", "allow_stopping_for_update", "bool"),
    row("security_group_ids = \"sg-1\"", "security_group_ids", "set of string"),
    row("cpu = 4", "cpu", "cpu"),
    row("tags = { \"acs:x\" = \"1\" }", "tags", "reserves"),
    row("tags = { \"aliyun-x\" = \"1\" }", "tags", "reserves"),
    row("tags = { \"terraform-provider-ecs:stopped-for-update\" = \"1\" }", "tags", "stop marker"),
    row("tags = { k = \"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\" }", "tags", "at most 128"),
    row("tags = { k0 = \"v\", k1 = \"v\", k2 = \"v\", k3 = \"v\", k4 = \"v\", k5 = \"v\", k6 = \"v\", k7 = \"v\", k8 = \"v\", k9 = \"v\", k10 = \"v\", k11 = \"v\", k12 = \"v\", k13 = \"v\", k14 = \"v\", k15 = \"v\", k16 = \"v\", k17 = \"v\", k18 = \"v\", k19 = \"v\", k20 = \"v\" }", "tags", "at most 20"),
    row("password = \"short1A\"", "password", "8 to 30"),
    row("password = \"alllowercase1\"", "password", "three of"),
    row("host_name = \"-web\"", "host_name", "host name"),
    row("security_group_ids = []", "security_group_ids", "at least one"),
    row("security_group_ids = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]", "security_group_ids", "at most 5"),
    row("colour = \"red\"", "colour", "colour"),
];

/// Rows inside the `timeouts` block of an `ecs_instance`.
const TIMEOUT_ROWS: &[Row] = &[
    row("create = \"ten minutes\"", "create", "10m"),
    row("update = \"0s\"", "update", "zero"),
    row("delete = \"-1m\"", "delete", "duration"),
];

/// Rows in a `provider "ecs"` block (each in its own aliased block).
const PROVIDER_ROWS: &[Row] = &[
    row("signature_version = \"v2\"", "signature_version", "v3"),
    row(
        "modification_cooldown = \"five minutes\"",
        "modification_cooldown",
        "5m",
    ),
    row(
        "modification_cooldown = \"-5m\"",
        "modification_cooldown",
        "5m",
    ),
    row(
        "max_requests_per_second = 0",
        "max_requests_per_second",
        "greater than 0",
    ),
    row(
        "max_requests_per_second = -3",
        "max_requests_per_second",
        "greater than 0",
    ),
    row("max_retries = -1", "max_retries", "0 to 50"),
    row("max_retries = 1.5", "max_retries", "whole number"),
    row("endpoint = \"http://10.1.2.3:8080\"", "endpoint", "https"),
    row("endpoint = \"not a url\"", "endpoint", "URL"),
    row("endpoint = \"ftp://ecs.example.com\"", "endpoint", "https"),
    row("region = \"\"", "region", "region"),
    row("access_key = \"\"", "access_key", "access_key"),
    row("proxy = \"http://proxy:3128\"", "proxy", "proxy"),
];

/// Finds the error diagnostic whose range starts on `line` of main.tf.
fn diagnostic_at(diags: &[serde_json::Value], line: usize) -> Option<&serde_json::Value> {
    diags.iter().find(|d| {
        d["severity"] == "error" && d["range"]["start"]["line"].as_u64() == Some(line as u64)
    })
}

/// Every row at once through `terraform validate -json` (Terraform reports every error of
/// every block), then the rows only Configure can judge through `terraform plan`. Each row:
/// an error at the row's line naming its attribute, exit code 1, no panic; and the
/// emulator the provider is pointed at sees no request at all.
#[test]
fn bad_configurations_are_refused_at_their_attribute_before_any_api_call() {
    let emu = Emulator::start(&[]);
    let mut hcl = String::from(REQUIRED_PROVIDERS);
    let mut expected: Vec<(usize, &Row)> = Vec::new();
    let push = |hcl: &mut String, text: &str| {
        hcl.push_str(text);
        hcl.push('\n');
    };
    push(&mut hcl, "provider \"ecs\" {}");
    for (i, r) in RESOURCE_ROWS.iter().enumerate() {
        push(&mut hcl, &format!("resource \"ecs_instance\" \"r{i}\" {{"));
        if !r.line.starts_with("image_id") {
            push(
                &mut hcl,
                &format!("  image_id = \"{}\"", e2e_support::IMAGE),
            );
        }
        if !r.line.starts_with("instance_type") {
            push(&mut hcl, "  instance_type = \"ecs.g6.large\"");
        }
        push(&mut hcl, &format!("  {}", r.line));
        expected.push((hcl.lines().count(), r));
        push(&mut hcl, "}");
    }
    for (i, r) in TIMEOUT_ROWS.iter().enumerate() {
        push(&mut hcl, &format!("resource \"ecs_instance\" \"t{i}\" {{"));
        push(
            &mut hcl,
            &format!("  image_id = \"{}\"", e2e_support::IMAGE),
        );
        push(&mut hcl, "  instance_type = \"ecs.g6.large\"");
        push(&mut hcl, "  timeouts {");
        push(&mut hcl, &format!("    {}", r.line));
        expected.push((hcl.lines().count(), r));
        push(&mut hcl, "  }\n}");
    }
    for (i, r) in PROVIDER_ROWS.iter().enumerate() {
        push(&mut hcl, "provider \"ecs\" {");
        push(&mut hcl, &format!("  alias = \"p{i}\""));
        push(&mut hcl, &format!("  {}", r.line));
        expected.push((hcl.lines().count(), r));
        push(&mut hcl, "}");
        push(
            &mut hcl,
            &format!("data \"ecs_instance_types\" \"p{i}\" {{\n  provider = ecs.p{i}\n}}"),
        );
    }
    let mut dir = TfDir::new(&[("main.tf", &hcl)]);
    dir.env("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY)
        .env("ALICLOUD_SECRET_KEY", e2e_support::SECRET_KEY)
        .env("ALICLOUD_REGION", e2e_support::REGION)
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", &emu.url);
    let run = dir.tf(&["validate", "-json", "-no-color"]);
    assert_eq!(run.code, 1, "{}", out(&run));
    assert!(!out(&run).contains("panic"), "{}", out(&run));
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("validate -json");
    let diags = report["diagnostics"].as_array().unwrap();
    let mut failures = Vec::new();
    for (line, r) in &expected {
        let Some(d) = diagnostic_at(diags, *line) else {
            failures.push(format!("line {line} `{}`: no error at that line", r.line));
            continue;
        };
        let text = format!("{} {}", d["summary"], d["detail"]).replace("\\\"", "\"");
        if !text.contains(r.attribute) || !text.contains(r.phrase) {
            failures.push(format!(
                "line {line} `{}`: diagnostic should name {} and say {:?}: {text}",
                r.line, r.attribute, r.phrase
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}\n--- all diagnostics ---\n{:#}",
        failures.len(),
        expected.len(),
        failures.join("\n"),
        report["diagnostics"]
    );

    // Configure-time rows: credentials and the endpoint from the environment.
    /// (environment, diagnostic summary, words it must hold)
    type PlanRow<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a [&'a str]);
    let plan_rows: [PlanRow; 4] = [
        (
            &[("ALICLOUD_REGION", e2e_support::REGION)],
            // No keys anywhere: the default chain found nothing either.
            "Cannot Get Credentials",
            &[
                "access_key",
                "ALICLOUD_ACCESS_KEY",
                "no credentials were found",
            ],
        ),
        (
            &[("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY)],
            "Missing Secret Key",
            &["secret_key", "ALICLOUD_SECRET_KEY"],
        ),
        (
            &[
                ("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY),
                ("ALICLOUD_SECRET_KEY", e2e_support::SECRET_KEY),
            ],
            "Missing Region",
            &["region", "ALICLOUD_REGION"],
        ),
        (
            &[
                ("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY),
                ("ALICLOUD_SECRET_KEY", e2e_support::SECRET_KEY),
                ("ALICLOUD_REGION", e2e_support::REGION),
                ("ALIBABA_CLOUD_ENDPOINT_ECS", "http://192.0.2.10:8080"),
            ],
            "Invalid Endpoint",
            &["endpoint", "ALIBABA_CLOUD_ENDPOINT_ECS"],
        ),
    ];
    let config = format!(
        "{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{}}\ndata \"ecs_instance_types\" \"all\" {{}}\n{}",
        instance_hcl("web", "ecs.g6.large", "")
    );
    for (env, summary, words) in plan_rows {
        let mut dir = TfDir::new(&[("main.tf", &config)]);
        for (k, v) in env {
            dir.env(k, v);
        }
        if !env.iter().any(|(k, _)| *k == "ALIBABA_CLOUD_ENDPOINT_ECS") {
            dir.env("ALIBABA_CLOUD_ENDPOINT_ECS", &emu.url);
        }
        let run = dir.tf(&["plan", "-no-color"]);
        let text = out(&run);
        assert_eq!(run.code, 1, "{summary}: {text}");
        assert!(!text.contains("panic"), "{text}");
        assert!(text.contains(summary), "{summary}: {text}");
        for w in words {
            assert!(text.contains(w), "{summary}: should name {w}: {text}");
        }
        assert!(!text.contains(e2e_support::SECRET_KEY), "{text}");
    }
    let journal = emu.get("/_emulator/journal");
    assert_eq!(
        journal["requests"].as_array().unwrap().len(),
        0,
        "no API call for a bad configuration: {journal:#}"
    );
    eprintln!(
        "bad configuration table: {} rows",
        expected.len() + plan_rows.len()
    );
}

// --- Misbehaving API, through Terraform ---------------------------------------------------

/// Refused credentials end the plan with the code, the attribute and its variables to fix,
/// after one request each (not retried), and never show the secret.
#[test]
fn refused_credentials_name_the_attribute_never_the_secret() {
    const WRONG: &str = "Wr0ng-S3cret/+=e2e";
    let emu = Emulator::start(&[]);
    let cases = [
        (
            "nobody",
            e2e_support::SECRET_KEY,
            "InvalidAccessKeyId.NotFound",
            "access_key",
        ),
        (
            e2e_support::ACCESS_KEY,
            WRONG,
            "SignatureDoesNotMatch",
            "secret_key",
        ),
    ];
    for (key, secret, code, attribute) in cases {
        let mut dir = TfDir::new(&[(
            "main.tf",
            &format!("{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{}}\ndata \"ecs_instance_types\" \"all\" {{}}\n"),
        )]);
        dir.env("ALICLOUD_ACCESS_KEY", key)
            .env("ALICLOUD_SECRET_KEY", secret)
            .env("ALICLOUD_REGION", e2e_support::REGION)
            .env("ALIBABA_CLOUD_ENDPOINT_ECS", &emu.url);
        let run = dir.tf(&["plan", "-no-color"]);
        let text = out(&run);
        assert_eq!(run.code, 1, "{text}");
        assert!(
            text.contains(code) && text.contains(attribute),
            "{code}: {text}"
        );
        // The variable the value really came from (issue 12), not its alias.
        assert!(
            text.contains("the environment variable ALICLOUD_"),
            "{code}: names the variable: {text}"
        );
        assert!(
            !text.contains(WRONG) && !text.contains(e2e_support::SECRET_KEY),
            "{text}"
        );
    }
    let journal = emu.get("/_emulator/journal");
    let requests = journal["requests"].as_array().unwrap();
    assert_eq!(
        requests.len(),
        2,
        "one request per refusal, no retry: {journal:#}"
    );
}

/// The gateway refuses this machine's clock (20 minutes off): the plan says to fix the
/// clock, after one request.
#[test]
fn clock_skew_refused_by_the_gateway_names_the_machine_clock() {
    let emu = Emulator::start(&["--clock-skew", "20m"]);
    let mut dir = TfDir::new(&[(
        "main.tf",
        &format!("{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{}}\ndata \"ecs_instance_types\" \"all\" {{}}\n"),
    )]);
    dir.env("ALICLOUD_ACCESS_KEY", e2e_support::ACCESS_KEY)
        .env("ALICLOUD_SECRET_KEY", e2e_support::SECRET_KEY)
        .env("ALICLOUD_REGION", e2e_support::REGION)
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", &emu.url);
    let run = dir.tf(&["plan", "-no-color"]);
    let text = out(&run);
    assert_eq!(run.code, 1, "{text}");
    assert!(text.contains("InvalidTimeStamp.Expired"), "{text}");
    assert!(text.contains("this machine's clock"), "{text}");
    let journal = emu.get("/_emulator/journal");
    assert_eq!(
        journal["requests"].as_array().unwrap().len(),
        1,
        "not retried: {journal:#}"
    );
}
