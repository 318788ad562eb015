//! Real Terraform 1.0.3 loads the provider through dev_overrides (go-plugin
//! handshake with AutoMTLS) and uses its schema: `providers schema -json`,
//! `validate` and `plan` on `examples/provider/`, diagnostics pointing at
//! provider attributes, and our hclog lines at DEBUG under `TF_LOG=DEBUG`.

mod support;

use support::TfDir;

/// The address `examples/provider/provider.tf` declares.
const SOURCE: &str = support::DEFAULT_SOURCE;

fn example_provider() -> TfDir {
    let text =
        std::fs::read_to_string(support::project_root().join("examples/provider/provider.tf"))
            .expect("examples/provider/provider.tf");
    let mut dir = TfDir::new(&[("provider.tf", &text)]);
    dir.env("ALICLOUD_ACCESS_KEY", "example-key")
        .env("ALICLOUD_SECRET_KEY", "example-secret-value")
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", "http://127.0.0.1:9");
    dir
}

#[test]
fn schema_json_shows_the_provider_block_and_types() {
    let dir = example_provider();
    let run = dir.tf_ok(&["providers", "schema", "-json"]);
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("schema JSON");
    let ours = &schema["provider_schemas"][SOURCE];
    let attrs = &ours["provider"]["block"]["attributes"];
    for name in [
        "region",
        "access_key",
        "secret_key",
        "endpoint",
        "modification_cooldown",
    ] {
        assert!(
            attrs.get(name).is_some(),
            "provider attribute {name} missing: {attrs}"
        );
    }
    assert_eq!(attrs["secret_key"]["sensitive"], true);
    assert_eq!(attrs["security_token"]["sensitive"], true);
    assert_eq!(attrs["region"]["type"], "string");
    assert_eq!(attrs["max_retries"]["type"], "number");
    let instance = &ours["resource_schemas"]["ecs_instance"]["block"]["attributes"];
    assert_eq!(instance["instance_type"]["required"], true, "{instance}");
    assert!(ours["data_source_schemas"]
        .get("ecs_instance_types")
        .is_some());
    assert!(ours["data_source_schemas"]
        .get("ecs_instance_type_modifications")
        .is_some());
}

#[test]
fn validate_and_plan_the_provider_example() {
    let dir = example_provider();
    let run = dir.tf_ok(&["validate", "-no-color"]);
    assert!(
        run.stdout.contains("The configuration is valid"),
        "{}",
        run.stdout
    );
    let run = dir.tf_ok(&["plan", "-no-color", "-detailed-exitcode"]);
    assert!(run.stdout.contains("No changes"), "{}", run.stdout);
}

#[test]
fn invalid_provider_settings_are_diagnosed_at_their_attribute() {
    let dir = TfDir::new(&[(
        "main.tf",
        r#"
terraform {
  required_providers {
    ecs = { source = "local/ecs" }
  }
}
provider "ecs" {
  region            = "cn-hangzhou"
  signature_version = "v2"
  endpoint          = "http://10.1.2.3:8080"
}
# Terraform prunes a provider that nothing uses; give it a user.
data "ecs_instance_types" "all" {}
"#,
    )]);
    let run = dir.tf(&["validate", "-no-color"]);
    assert_ne!(run.code, 0, "validate should fail: {}", run.stdout);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("Invalid Signature Version"), "{out}");
    assert!(out.contains("signature_version"), "{out}");
    assert!(out.contains("Invalid Endpoint"), "{out}");
    assert!(out.contains("non-loopback"), "{out}");
}

#[test]
fn missing_credentials_name_the_attribute_and_variables() {
    let dir = TfDir::new(&[(
        "main.tf",
        r#"
terraform {
  required_providers {
    ecs = { source = "local/ecs" }
  }
}
provider "ecs" {
  region = "cn-hangzhou"
}
data "ecs_instance_types" "all" {}
"#,
    )]);
    let run = dir.tf(&["plan", "-no-color"]);
    assert_ne!(run.code, 0);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("Cannot Get Credentials"), "{out}");
    assert!(out.contains("no credentials were found"), "{out}");
    assert!(out.contains("ALICLOUD_ACCESS_KEY"), "{out}");
}

#[test]
fn tf_log_debug_shows_our_lines_at_debug_level_and_no_secret() {
    let mut dir = example_provider();
    dir.env("TF_LOG", "DEBUG");
    let run = dir.tf_ok(&["plan", "-no-color"]);
    let ours: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("provider.terraform-provider-ecs"))
        .collect();
    assert!(
        ours.iter()
            .any(|l| l.contains("[DEBUG]") && l.contains("Serving the provider schema")),
        "no DEBUG line of ours in:\n{}",
        ours.join("\n")
    );
    // hclog JSON was parsed by Terraform: no raw JSON objects of ours leak through.
    assert!(
        !ours.iter().any(|l| l.contains("\"@message\"")),
        "{}",
        ours.join("\n")
    );
    assert!(!run.stderr.contains("example-secret-value"));
}
