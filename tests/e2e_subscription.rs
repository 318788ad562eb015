//! End to end, real Terraform 1.0.3 against the emulator (issue 21): a subscription
//! (PrePaid) instance's creation, its renewal settings, what Read reports and import.
//! (Resizing a subscription is tested elsewhere.)

mod e2e_support;
mod support;

use e2e_support::{flat, id_of, Cloud, GROUP, IMAGE};
use serde_json::json;

fn web(extra: &str) -> String {
    format!(
        "resource \"ecs_instance\" \"web\" {{\n  image_id      = \"{IMAGE}\"\n  instance_type = \"ecs.g6.large\"\n{GROUP}{extra}\n}}\n"
    )
}

const SUBSCRIPTION: &str = "  instance_charge_type = \"PrePaid\"\n  period = 2\n";

/// Successful calls of `action` so far.
fn calls(cloud: &Cloud, action: &str) -> Vec<e2e_support::Request> {
    cloud
        .journal()
        .requests
        .into_iter()
        .filter(|r| r.ok() && r.action == action)
        .collect()
}

#[test]
fn create_sends_the_terms_and_reads_them_back() {
    let cloud = Cloud::quick();
    cloud.config(&web(&format!(
        "{SUBSCRIPTION}  auto_renew = true\n  auto_renew_period = 3"
    )));
    cloud.apply();
    let run = calls(&cloud, "RunInstances");
    assert_eq!(run.len(), 1);
    for (param, want) in [
        ("InstanceChargeType", "PrePaid"),
        ("Period", "2"),
        ("PeriodUnit", "Month"),
        ("AutoRenew", "true"),
        ("AutoRenewPeriod", "3"),
    ] {
        assert_eq!(
            run[0].param(param),
            Some(want),
            "{param}: {:#}",
            run[0].params
        );
    }
    let attr = |n: &str| cloud.state_attr("ecs_instance.web", n);
    assert_eq!(attr("auto_renew"), json!(true));
    assert_eq!(attr("auto_renew_period"), json!(3));
    assert_eq!(attr("period"), json!(2));
    let expires = attr("expired_time");
    let expires = terraform_provider_ecs::ecs::parse_api_time(expires.as_str().unwrap())
        .unwrap_or_else(|| panic!("expired_time {expires}"));
    let days = (expires - chrono::Utc::now()).num_days();
    assert!((55..=62).contains(&days), "two months ahead: {expires}");
    cloud.assert_converged();
    // The data source reports the same end, from the same DescribeInstances field.
    cloud.config(&format!(
        "{}data \"ecs_instances\" \"all\" {{}}\noutput \"ends\" {{ value = data.ecs_instances.all.instances[0].expired_time }}\n",
        web(&format!("{SUBSCRIPTION}  auto_renew = true\n  auto_renew_period = 3"))
    ));
    cloud.apply();
    let out = cloud.dir.tf_ok(&["output", "-json", "ends"]);
    let ends: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(ends, attr("expired_time"));
}

#[test]
fn pay_as_you_go_costs_no_renewal_read_and_has_no_expiry() {
    let cloud = Cloud::quick();
    cloud.config(&web(""));
    cloud.apply();
    cloud.assert_converged();
    let attr = |n: &str| cloud.state_attr("ecs_instance.web", n);
    assert_eq!(attr("expired_time"), json!(null));
    assert_eq!(attr("auto_renew"), json!(null));
    assert_eq!(
        cloud.journal().count("DescribeInstanceAutoRenewAttribute"),
        0,
        "a pay-as-you-go instance has no renewal to read"
    );
}

#[test]
fn a_subscription_without_period_is_refused_at_validate_and_renewal_of_pay_as_you_go_at_plan() {
    let cloud = Cloud::quick();
    cloud.config(&web("  instance_charge_type = \"PrePaid\""));
    let run = cloud.dir.tf(&["validate", "-no-color"]);
    let text = flat(&run);
    assert_eq!(run.code, 1, "{text}");
    assert!(text.contains("set period"), "{text}");
    assert_eq!(cloud.journal().requests.len(), 0, "no API call");
    // Unset, the charge type of a new instance is PostPaid: refused at plan (validation
    // cannot tell a new instance from an imported subscription), before any change.
    cloud.config(&web("  auto_renew = true"));
    let run = cloud.plan();
    let text = flat(&run);
    assert_eq!(run.code, 1, "{text}");
    assert!(
        text.contains("auto_renew applies to subscriptions only"),
        "{text}"
    );
    let j = cloud.journal();
    assert!(
        j.requests.iter().all(|r| r.action.starts_with("Describe")),
        "only reads: {:?}",
        j.requests.iter().map(|r| &r.action).collect::<Vec<_>>()
    );
}

#[test]
fn auto_renew_changes_in_place_with_one_call_and_no_stop() {
    let cloud = Cloud::quick();
    cloud.config(&web(SUBSCRIPTION));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "auto_renew"),
        json!(false)
    );
    // On, for 24 months (sent as 2 years).
    cloud.config(&web(&format!(
        "{SUBSCRIPTION}  auto_renew = true\n  auto_renew_period = 24"
    )));
    let plan = flat(&cloud.plan());
    assert!(plan.contains("1 to change"), "{plan}");
    cloud.apply();
    let modify = calls(&cloud, "ModifyInstanceAutoRenewAttribute");
    assert_eq!(modify.len(), 1, "one call");
    assert_eq!(modify[0].instance_id, id);
    assert_eq!(modify[0].param("RenewalStatus"), Some("AutoRenewal"));
    assert_eq!(modify[0].param("Duration"), Some("2"));
    assert_eq!(modify[0].param("PeriodUnit"), Some("Year"));
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "auto_renew_period"),
        json!(24)
    );
    cloud.assert_converged();
    // Off again, the length left out: it reads as null, and the plan says so.
    cloud.config(&web(&format!("{SUBSCRIPTION}  auto_renew = false")));
    cloud.apply();
    let modify = calls(&cloud, "ModifyInstanceAutoRenewAttribute");
    assert_eq!(modify.len(), 2);
    assert_eq!(modify[1].param("RenewalStatus"), Some("Normal"));
    assert_eq!(modify[1].param("Duration"), None);
    assert_eq!(
        cloud.state_attr("ecs_instance.web", "auto_renew_period"),
        json!(null)
    );
    cloud.assert_converged();
    let j = cloud.journal();
    for action in ["StopInstance", "RebootInstance"] {
        assert_eq!(j.count(action), 0, "{action}");
    }
    assert!(j.downtimes(&id).is_empty(), "never down");
}

#[test]
fn an_imported_subscription_plans_nothing() {
    let cloud = Cloud::quick();
    cloud.config(&web(&format!(
        "{SUBSCRIPTION}  period_unit = \"Month\"\n  auto_renew = true\n  auto_renew_period = 6"
    )));
    cloud.apply();
    let id = id_of(&cloud, "ecs_instance.web");
    let expired = cloud.state_attr("ecs_instance.web", "expired_time");
    cloud
        .dir
        .tf_ok(&["state", "rm", "-no-color", "ecs_instance.web"]);
    // A configuration of what ECS reports: the charge type and renewal are read back.
    cloud.config(&web("  auto_renew = true\n  auto_renew_period = 6"));
    let renew_reads = cloud.journal().count("DescribeInstanceAutoRenewAttribute");
    cloud
        .dir
        .tf_ok(&["import", "-no-color", "ecs_instance.web", &id]);
    assert!(cloud.journal().count("DescribeInstanceAutoRenewAttribute") > renew_reads);
    let attr = |n: &str| cloud.state_attr("ecs_instance.web", n);
    assert_eq!(attr("instance_charge_type"), json!("PrePaid"));
    assert_eq!(attr("auto_renew"), json!(true));
    assert_eq!(attr("auto_renew_period"), json!(6));
    assert_eq!(attr("expired_time"), expired);
    assert_eq!(attr("period"), json!(null));
    cloud.assert_converged();
    // Saying PrePaid asks for period too: recorded in state, no replacement and no call.
    cloud.config(&web(&format!(
        "{SUBSCRIPTION}  auto_renew = true\n  auto_renew_period = 6"
    )));
    let plan = flat(&cloud.plan());
    assert!(plan.contains("1 to change, 0 to destroy"), "{plan}");
    let mutations = cloud.journal().mutations(&id).len();
    cloud.apply();
    assert_eq!(
        cloud.journal().mutations(&id).len(),
        mutations,
        "no API change"
    );
    assert_eq!(attr("period"), json!(2));
    cloud.assert_converged();
}

/// Terraform refreshes instances concurrently: their renewal settings share one
/// DescribeInstanceAutoRenewAttribute, as their DescribeInstances do.
#[test]
fn a_fleets_renewal_reads_share_one_call() {
    let cloud = Cloud::quick();
    let fleet = format!(
        "resource \"ecs_instance\" \"web\" {{\n  count = 4\n  image_id      = \"{IMAGE}\"\n  instance_type = \"ecs.g6.large\"\n{GROUP}{SUBSCRIPTION}  auto_renew = true\n}}\n"
    );
    cloud.config(&fleet);
    cloud.apply();
    let before = cloud.journal().requests.len();
    cloud.assert_converged();
    let reads: Vec<e2e_support::Request> = cloud
        .journal()
        .requests
        .into_iter()
        .skip(before)
        .filter(|r| r.action == "DescribeInstanceAutoRenewAttribute")
        .collect();
    assert_eq!(reads.len(), 1, "one call for the four");
    let ids = reads[0].param("InstanceId").unwrap_or_default();
    assert_eq!(ids.split(',').count(), 4, "{ids}");
}
