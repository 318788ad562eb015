//! The admin API: drift, creation, deletion, journal, loopback guard.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;
use terraform_provider_ecs::emulator::{router, server::PeerAddr, Emulator};
use tower_service::Service;

use super::support::*;

#[tokio::test]
async fn drift_is_visible_to_the_api_and_journaled() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    let (status, view) = api
        .admin_post(
            &format!("/_emulator/instances/{id}"),
            json!({"InstanceType": "ecs.g6.2xlarge", "InternetMaxBandwidthOut": 5, "Status": "Stopped"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(view["Flags"]["SecurityLock"], false);
    let inst = api.instance(&id).await.unwrap();
    assert_eq!(inst["InstanceType"], "ecs.g6.2xlarge");
    assert_eq!(
        (inst["Cpu"].clone(), inst["Memory"].clone()),
        (json!(8), json!(32768))
    );
    assert_eq!(inst["Status"], "Stopped");
    let journal = api.journal().await;
    let last = journal["status_changes"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str()),
        (Some("Running"), Some("Stopped"))
    );
}

#[tokio::test]
async fn admin_creates_deletes_and_validates() {
    let env = start_default().await;
    let api = &env.api;
    let (status, view) = api
        .admin_post(
            "/_emulator/instances/i-made",
            json!({"InstanceType": "ecs.c6.large"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(view["InstanceId"], "i-made");
    assert_eq!(api.status("i-made").await, "Running");
    let (status, body) = api
        .admin_post("/_emulator/instances/i-made", json!({"Statuss": "Stopped"}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("Statuss"),
        "{body}"
    );
    let (status, _) = api
        .admin_post("/_emulator/instances/i-made", json!({"Status": "Sleeping"}))
        .await;
    assert_eq!(status, 400);
    let del = |id: &str| {
        let url = format!("{}/_emulator/instances/{id}", api.url);
        let http = api.http.clone();
        async move { http.delete(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(del("i-made").await, 204);
    assert_eq!(del("i-made").await, 404);
    assert!(api.instance("i-made").await.is_none());
    assert_eq!(api.admin_get("/_emulator/health").await["status"], "ok");
    assert_eq!(api.admin_get("/_emulator/instances").await, json!([]));
}

#[tokio::test]
async fn journal_records_requests_without_secrets() {
    let env = start_default().await;
    let api = &env.api;
    api.call("StopInstance", &[("InstanceId", "i-ghost")]).await;
    let id = api.run_one(&[("Password", "Sup3rSecret!")]).await;
    let journal = api.journal().await;
    let requests = journal["requests"].as_array().unwrap();
    let stop = requests
        .iter()
        .find(|r| r["action"] == "StopInstance")
        .unwrap();
    assert_eq!(stop["code"], "InvalidInstanceId.NotFound");
    assert_eq!(stop["http_status"], 404);
    assert_eq!(stop["instance_id"], "i-ghost");
    let run = requests
        .iter()
        .find(|r| r["action"] == "RunInstances")
        .unwrap();
    assert_eq!(run["code"], "OK");
    assert_eq!(run["instance_id"], id.as_str());
    let text = journal.to_string();
    assert!(!text.contains("Sup3rSecret!") && !text.contains("\"Signature\""));
    assert!(run["params"]["SignatureNonce"].is_string());
    let time = run["time"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.len() == 24,
        "{time}"
    );
}

#[tokio::test]
async fn admin_refuses_remote_peers() {
    let emu = Emulator::new(config()).unwrap();
    let mut app = router(emu);
    let mut req = Request::get("/_emulator/instances")
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(PeerAddr("10.1.2.3:5555".parse().unwrap()));
    assert_eq!(app.call(req).await.unwrap().status(), 403);
    let mut req = Request::get("/_emulator/instances")
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(PeerAddr("127.0.0.1:5555".parse().unwrap()));
    assert_eq!(app.call(req).await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_timeline_page_draws_the_journal_and_the_journal_carries_what_it_needs() {
    let mut cfg = config();
    cfg.transition = std::time::Duration::from_millis(50);
    cfg.cooldown = std::time::Duration::from_millis(1500);
    let env = start(cfg).await;
    let api = &env.api;
    let id = api.run_one(&[("Password", "Sup3rSecret!")]).await;
    api.wait_status(&id, "Running").await;
    api.stop(&id).await;
    let journal = api.journal().await;
    assert_eq!(journal["settings"]["cooldown_ms"], 1500);
    assert_eq!(journal["settings"]["transition_ms"], 50);
    let last = journal["status_changes"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(last["to"], "Stopped");
    assert_eq!(last["instance_type"], "ecs.g6.large");

    let r = api
        .http
        .get(format!("{}/_emulator/timeline", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    let html = r.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(&format!("data-instance=\"{id}\"")), "{html}");
    for status in ["Pending", "Running", "Stopping", "Stopped"] {
        assert!(
            html.contains(&format!("data-status=\"{status}\"")),
            "{status}: {html}"
        );
    }
    assert!(html.contains("most down at once: 1"), "{html}");
    assert!(!html.contains("Sup3rSecret!"));
}
