//! The journal checker every end-to-end test relies on must itself catch each broken rule;
//! here it is fed small hand-written journals.

mod e2e_support;
mod support;

use e2e_support::Journal;
use serde_json::{json, Value};
use std::time::Duration;

const COOLDOWN: Duration = Duration::from_secs(5);

fn request(sec: u32, action: &str, params: Value, code: &str) -> Value {
    let mut p = json!({"InstanceId": "i-1"});
    p.as_object_mut()
        .unwrap()
        .extend(params.as_object().unwrap().clone());
    json!({"time": format!("2025-01-01T10:00:{sec:02}.000Z"), "action": action,
           "params": p, "code": code, "http_status": 200, "instance_id": "i-1"})
}

fn change(sec: u32, from: Option<&str>, to: &str) -> Value {
    json!({"time": format!("2025-01-01T10:00:{sec:02}.000Z"), "instance_id": "i-1",
           "from": from, "to": to})
}

fn journal(requests: Vec<Value>) -> Journal {
    Journal::parse(&json!({
        "requests": requests,
        "status_changes": [
            change(0, None, "Running"),
            change(10, Some("Running"), "Stopping"),
            change(12, Some("Stopping"), "Stopped"),
            change(13, Some("Stopped"), "Starting"),
            change(15, Some("Starting"), "Running"),
        ],
    }))
}

fn breaks_rules(requests: Vec<Value>) -> bool {
    let j = journal(requests);
    std::panic::catch_unwind(|| j.assert_rules(COOLDOWN)).is_err()
}

fn spec(params: Value) -> (&'static str, Value) {
    ("ModifyInstanceSpec", params)
}

#[test]
fn a_correct_resize_passes_and_its_downtime_is_measured() {
    let (a, p) = spec(json!({"InstanceType": "ecs.g6.xlarge"}));
    let (b, q) = spec(json!({"InternetMaxBandwidthOut": "20", "InternetMaxBandwidthIn": "100"}));
    let j = journal(vec![request(12, a, p, "OK"), request(20, b, q, "OK")]);
    j.assert_rules(COOLDOWN);
    assert_eq!(j.downtimes("i-1"), [Duration::from_secs(5)]);
    assert_eq!(j.modifications_while_down("i-1").len(), 1);
}

#[test]
fn type_and_bandwidth_in_one_call_is_caught() {
    let (a, p) = spec(json!({"InstanceType": "ecs.g6.xlarge", "InternetMaxBandwidthOut": "1"}));
    assert!(breaks_rules(vec![request(12, a, p, "OK")]));
}

#[test]
fn a_type_change_while_running_is_caught_even_when_refused() {
    let (a, p) = spec(json!({"InstanceType": "ecs.g6.xlarge"}));
    assert!(breaks_rules(vec![request(
        5,
        a,
        p,
        "InvalidInstanceStatus.NotStopped"
    )]));
}

#[test]
fn modifications_closer_than_the_cooldown_are_caught() {
    let (a, p) = spec(json!({"InternetMaxBandwidthOut": "1"}));
    let (b, q) = spec(json!({"InternetMaxBandwidthOut": "2"}));
    assert!(breaks_rules(vec![
        request(1, a, p, "OK"),
        request(3, b, q, "OK")
    ]));
}

#[test]
fn a_cooldown_refusal_must_be_retried_after_it() {
    let (a, p) = spec(json!({"InternetMaxBandwidthOut": "1"}));
    let (b, q) = spec(json!({"InternetMaxBandwidthOut": "2"}));
    let refused = request(3, b, q.clone(), "InvalidStatus.ValueNotSupported");
    assert!(breaks_rules(vec![
        request(1, a, p.clone(), "OK"),
        refused.clone()
    ]));
    let (_, b2) = spec(q);
    assert!(!breaks_rules(vec![
        request(1, a, p, "OK"),
        refused,
        request(7, b, b2, "OK")
    ]));
}

#[test]
fn a_status_change_in_the_same_millisecond_may_come_either_side() {
    // Stopped at :12.000; the type change and the start arrive in the same millisecond
    // as the Stopped -> Starting change.
    let (a, p) = spec(json!({"InstanceType": "ecs.g6.xlarge"}));
    let j = Journal::parse(&json!({
        "requests": [request(13, a, p, "OK")],
        "status_changes": [
            change(0, None, "Running"),
            change(10, Some("Running"), "Stopping"),
            change(12, Some("Stopping"), "Stopped"),
            change(13, Some("Stopped"), "Starting"),
        ],
    }));
    j.assert_rules(COOLDOWN);
}

fn call(sec: u32, action: &str, params: Value) -> Value {
    request(sec, action, params, "OK")
}

#[test]
fn in_place_calls_inside_the_stop_window_pass() {
    // Stopped from :12 to :13; a reboot while Running, attributes any time but a host
    // name or password while Starting.
    assert!(!breaks_rules(vec![
        call(
            5,
            "ModifyInstanceAttribute",
            json!({"HostName": "web-2", "Password": "***", "SecurityGroupIds.1": "sg-a"})
        ),
        call(
            12,
            "ModifyInstanceVpcAttribute",
            json!({"VSwitchId": "vsw-b"})
        ),
        call(12, "ReplaceSystemDisk", json!({"ImageId": "img"})),
        call(20, "RebootInstance", json!({})),
    ]));
}

#[test]
fn vpc_attribute_or_system_disk_while_running_is_caught_even_when_refused() {
    for action in ["ModifyInstanceVpcAttribute", "ReplaceSystemDisk"] {
        assert!(
            breaks_rules(vec![request(
                5,
                action,
                json!({}),
                "IncorrectInstanceStatus"
            )]),
            "{action}"
        );
    }
}

#[test]
fn two_vpc_attribute_changes_in_one_stop_window_are_caught() {
    let vsw = |s: &str| json!({"VSwitchId": s});
    assert!(breaks_rules(vec![
        call(12, "ModifyInstanceVpcAttribute", vsw("vsw-b")),
        call(12, "ModifyInstanceVpcAttribute", vsw("vsw-c")),
    ]));
    // With a start in between (two windows), both may change it.
    let j = Journal::parse(&json!({
        "requests": [
            call(12, "ModifyInstanceVpcAttribute", vsw("vsw-b")),
            call(32, "ModifyInstanceVpcAttribute", vsw("vsw-c")),
        ],
        "status_changes": [
            change(0, None, "Running"),
            change(10, Some("Running"), "Stopping"),
            change(12, Some("Stopping"), "Stopped"),
            change(13, Some("Stopped"), "Starting"),
            change(15, Some("Starting"), "Running"),
            change(30, Some("Running"), "Stopping"),
            change(31, Some("Stopping"), "Stopped"),
        ],
    }));
    j.assert_rules(COOLDOWN);
}

#[test]
fn host_name_or_password_while_starting_is_caught() {
    assert!(breaks_rules(vec![call(
        14,
        "ModifyInstanceAttribute",
        json!({"HostName": "web-2"})
    )]));
    assert!(breaks_rules(vec![call(
        14,
        "ModifyInstanceAttribute",
        json!({"Password": "***"})
    )]));
    assert!(!breaks_rules(vec![call(
        14,
        "ModifyInstanceAttribute",
        json!({"SecurityGroupIds.1": "sg-a"})
    )]));
}

#[test]
fn a_reboot_of_a_stopped_instance_is_caught() {
    assert!(breaks_rules(vec![call(12, "RebootInstance", json!({}))]));
}

#[test]
fn subscription_orders_follow_their_own_rules() {
    let prepay = |sec: u32, op: &str, extra: Value| {
        let mut p = json!({"InstanceType": "ecs.g6.xlarge", "OperatorType": op});
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        request(sec, "ModifyPrepayInstanceSpec", p, "OK")
    };
    // An upgrade while Running is fine; so is a downgrade while Stopped.
    assert!(!breaks_rules(vec![prepay(2, "upgrade", json!({}))]));
    assert!(!breaks_rules(vec![prepay(12, "downgrade", json!({}))]));
    // A downgrade while Running, an upgrade while Stopping, a DryRun probe: caught.
    assert!(breaks_rules(vec![prepay(2, "downgrade", json!({}))]));
    assert!(breaks_rules(vec![prepay(11, "upgrade", json!({}))]));
    assert!(breaks_rules(vec![prepay(
        2,
        "upgrade",
        json!({"DryRun": "true"})
    )]));
    // It counts for the cooldown like the other modifications.
    let (a, p) = spec(json!({"InternetMaxBandwidthOut": "20"}));
    assert!(breaks_rules(vec![
        prepay(2, "upgrade", json!({})),
        request(4, a, p, "OK")
    ]));
}
