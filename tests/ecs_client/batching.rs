//! Batched lookups, direct DescribeInstances paging, and the shared limiter.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;
use terraform_provider_ecs::ecs::Client;

use crate::server::{Reply, Req, Server};
use crate::{client_for, BOTH};

/// DescribeInstances over a fleet where ids ending in `-gone` do not exist;
/// pages of `page` instances, with NextToken = index of the next one.
fn fleet(page: usize) -> impl Fn(&Req) -> Reply + Send + Sync {
    move |req| {
        assert_eq!(req.action, "DescribeInstances");
        assert_eq!(req.method, "GET");
        let ids: Vec<String> = serde_json::from_str(req.param("InstanceIds").unwrap()).unwrap();
        assert!(ids.len() <= 100, "{} ids in one call", ids.len());
        let found: Vec<_> = ids.iter().filter(|id| !id.ends_with("-gone")).collect();
        let start: usize = req.param("NextToken").map_or(0, |t| t.parse().unwrap());
        let end = (start + page).min(found.len());
        let next = if end < found.len() {
            end.to_string()
        } else {
            String::new()
        };
        let instances: Vec<_> = found[start..end]
            .iter()
            .map(|id| json!({"InstanceId": id, "Status": "Running", "Memory": 2048, "Cpu": 1}))
            .collect();
        Reply::json(
            200,
            json!({"RequestId": "R", "NextToken": next, "Instances": {"Instance": instances}}),
        )
    }
}

async fn lookup_all(client: &Client, ids: &[String]) {
    let results = join_all(ids.iter().map(|id| {
        let c = client.clone();
        let id = id.clone();
        async move { (id.clone(), c.describe_instance(&id).await) }
    }))
    .await;
    for (id, r) in results {
        match r.unwrap() {
            Some(i) => {
                assert_eq!(i.instance_id, id);
                assert_eq!(i.memory_mib, Some(2048));
            }
            None => assert!(id.ends_with("-gone"), "{id} should exist"),
        }
    }
}

#[tokio::test]
async fn hundred_concurrent_lookups_cost_at_most_two_calls() {
    for version in BOTH {
        let server = Server::start(fleet(100)).await;
        let client = client_for(&server, version, |_| {});
        let ids: Vec<String> = (0..100)
            .map(|i| {
                if i % 10 == 3 {
                    format!("i-{i}-gone")
                } else {
                    format!("i-{i}")
                }
            })
            .collect();
        lookup_all(&client, &ids).await;
        let calls = server.requests().len();
        assert!(
            (1..=2).contains(&calls),
            "{calls} DescribeInstances calls for 100 lookups"
        );
        assert!(server.requests().iter().all(|r| r.signature_ok));
    }
}

#[tokio::test]
async fn a_thousand_lookups_are_split_into_calls_of_100() {
    let server = Server::start(fleet(100)).await;
    let client = client_for(&server, BOTH[0], |_| {});
    let ids: Vec<String> = (0..1000).map(|i| format!("i-{i}")).collect();
    lookup_all(&client, &ids).await;
    let calls = server.requests().len();
    assert!((10..=20).contains(&calls), "{calls} calls for 1000 lookups");
}

#[tokio::test]
async fn direct_describe_follows_pages_and_chunks() {
    let server = Server::start(fleet(30)).await;
    let client = client_for(&server, BOTH[1], |_| {});
    let mut ids: Vec<String> = (0..150).map(|i| format!("i-{i}")).collect();
    ids.push("i-0".into()); // duplicates are asked once
    ids.push("i-x-gone".into());
    let found = client.describe_instances(&ids).await.unwrap();
    assert_eq!(found.len(), 150);
    let reqs = server.requests();
    // 100 ids in 4 pages of 30, then 51 (one gone) in 2 pages.
    assert_eq!(
        reqs.len(),
        6,
        "{:?}",
        reqs.iter()
            .map(|r| r.param("NextToken"))
            .collect::<Vec<_>>()
    );
    assert!(reqs.iter().all(|r| r.param("MaxResults") == Some("100")));
    assert!(client.describe_instances(&[]).await.unwrap().is_empty());
    assert_eq!(server.requests().len(), 6, "no call for an empty id list");
}

/// Five calls from five clones at 2 requests/s with a burst of 2: the last
/// three must wait for tokens, so the whole cannot finish in under ~1.5 s.
#[tokio::test]
async fn one_limiter_is_shared_by_every_clone() {
    let server = Server::start(|_| Reply::ok()).await;
    let client = client_for(&server, BOTH[0], |c| c.max_requests_per_second = 2.0);
    let started = Instant::now();
    join_all((0..5).map(|i| {
        let c = client.clone();
        async move { c.start_instance(&format!("i-{i}")).await.unwrap() }
    }))
    .await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1400),
        "5 calls at 2/s took only {took:?}"
    );
    assert_eq!(client.requests_sent(), 5);
}
