//! TagResources, UntagResources and ListTagResources on instances, with the
//! API's limits; tags shown by DescribeInstances; and the admin API's test
//! hooks that hold, drop or slow one chosen request.

use serde_json::json;
use std::time::{Duration, Instant};

use super::support::*;

fn tags_of(inst: &serde_json::Value) -> Vec<(String, String)> {
    inst["Tags"]["Tag"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["TagKey"].as_str().unwrap().to_string(),
                t["TagValue"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn tags_are_set_replaced_listed_and_removed_on_many_instances() {
    let env = start_default().await;
    let api = &env.api;
    let a = api.run_one(&[]).await;
    let b = api.run_one(&[]).await;
    let both = [
        ("ResourceType", "instance"),
        ("ResourceId.1", a.as_str()),
        ("ResourceId.2", b.as_str()),
    ];
    let mut tag = both.to_vec();
    tag.extend([
        ("Tag.1.Key", "k"),
        ("Tag.1.Value", "v1"),
        ("Tag.2.Key", "env"),
    ]);
    api.call("TagResources", &tag).await.ok();
    let mut again = both.to_vec();
    again.extend([("Tag.1.Key", "k"), ("Tag.1.Value", "v2")]);
    api.call("TagResources", &again).await.ok();
    for id in [&a, &b] {
        let inst = api.instance(id).await.unwrap();
        assert_eq!(
            tags_of(&inst),
            [("k".into(), "v2".into()), ("env".into(), String::new())]
        );
    }
    let listed = api
        .call(
            "ListTagResources",
            &[("ResourceType", "instance"), ("Tag.1.Key", "k")],
        )
        .await;
    let rows = listed.ok()["TagResources"]["TagResource"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["TagValue"], "v2");
    let mut untag = both.to_vec();
    untag.push(("TagKey.1", "k"));
    api.call("UntagResources", &untag).await.ok();
    // Removing a tag that is not there is no error.
    api.call("UntagResources", &untag).await.ok();
    let inst = api.instance(&a).await.unwrap();
    assert_eq!(tags_of(&inst), [("env".into(), String::new())]);
    let mut all = both.to_vec();
    all.push(("All", "true"));
    api.call("UntagResources", &all).await.ok();
    assert!(tags_of(&api.instance(&b).await.unwrap()).is_empty());
}

#[tokio::test]
async fn tag_limits_and_errors_change_nothing() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    let base = [("ResourceType", "instance"), ("ResourceId.1", id.as_str())];
    let call = |extra: Vec<(&str, String)>| {
        let mut p: Vec<(String, String)> = base
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
        p
    };
    let send = |p: Vec<(String, String)>| async move {
        let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        api.call("TagResources", &refs).await
    };
    send(call(vec![("Tag.1.Key", "acs:x".into())]))
        .await
        .expect_err(400, "InvalidTagKey.Malformed");
    send(call(vec![("Tag.1.Key", "aliyun-x".into())]))
        .await
        .expect_err(400, "InvalidTagKey.Malformed");
    send(call(vec![("Tag.1.Key", "k".repeat(129))]))
        .await
        .expect_err(400, "InvalidTagKey.Malformed");
    send(call(vec![
        ("Tag.1.Key", "k".into()),
        ("Tag.1.Value", "https://x".into()),
    ]))
    .await
    .expect_err(400, "InvalidTagValue.Malformed");
    send(call(vec![])).await.expect_err(400, "MissingParameter");
    let keys: Vec<String> = (1..=21).map(|n| format!("Tag.{n}.Key")).collect();
    let many: Vec<(&str, String)> = keys
        .iter()
        .enumerate()
        .map(|(n, k)| (k.as_str(), format!("k{n}")))
        .collect();
    send(call(many)).await.expect_err(400, "InvalidTagCount");
    api.call(
        "TagResources",
        &[
            ("ResourceType", "instance"),
            ("ResourceId.1", &id),
            ("ResourceId.2", "i-missing"),
            ("Tag.1.Key", "k"),
        ],
    )
    .await
    .expect_err(404, "InvalidResourceId.NotFound");
    api.call(
        "TagResources",
        &[
            ("ResourceType", "disk"),
            ("ResourceId.1", &id),
            ("Tag.1.Key", "k"),
        ],
    )
    .await
    .expect_err(404, "InvalidResourceType.NotFound");
    let ids: Vec<String> = (1..=51).map(|n| format!("ResourceId.{n}")).collect();
    let mut params: Vec<(&str, &str)> = ids.iter().map(|k| (k.as_str(), id.as_str())).collect();
    params.extend([("ResourceType", "instance"), ("Tag.1.Key", "k")]);
    api.call("TagResources", &params)
        .await
        .expect_err(400, "InvalidParameter");
    // All or nothing: none of the refused calls left a tag.
    assert!(tags_of(&api.instance(&id).await.unwrap()).is_empty());
}

#[tokio::test]
async fn hooks_hold_slow_and_drop_one_chosen_request() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    let (status, _) = api
        .admin_post(
            "/_emulator/hooks",
            json!({"Action": "StopInstance", "Phase": "after", "HoldMs": 300, "TransitionMs": 2000}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = api
        .admin_post(
            "/_emulator/hooks",
            json!({"Action": "StopInstance", "Bogus": 1}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let t0 = Instant::now();
    api.call("StopInstance", &[("InstanceId", &id)]).await.ok();
    assert!(t0.elapsed() >= Duration::from_millis(300), "answer held");
    // The transition the call started lasts 2 s instead of --transition.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(api.status(&id).await, "Stopping");
    let hooks = api.admin_get("/_emulator/hooks").await;
    assert_eq!(hooks["Fired"].as_array().unwrap().len(), 1);
    assert_eq!(hooks["Fired"][0]["InstanceId"], id.as_str());
    // A dropped request before it runs: no answer, nothing applied.
    api.admin_post(
        "/_emulator/hooks",
        json!({"Action": "ModifyInstanceAttribute", "Phase": "before", "Drop": true}),
    )
    .await;
    let lost = api
        .try_call(
            "ModifyInstanceAttribute",
            &[("InstanceId", &id), ("InstanceName", "renamed")],
        )
        .await;
    assert!(lost.is_err(), "the connection closed without an answer");
    assert_ne!(api.instance(&id).await.unwrap()["InstanceName"], "renamed");
}
