//! Retries against the scripted server: what is retried, with which token,
//! and what fails at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use terraform_provider_ecs::ecs::{
    Client, ErrorKind, ModifyAttributes, ModifySpec, RetryPolicy, RunInstancesRequest, Tuning,
};

use crate::server::{Reply, Server};
use crate::{client_for, client_tuned, BOTH};

/// Answers the n-th request (0-based) with `script[n]`, then `ok` forever.
fn scripted(script: Vec<Reply>) -> impl Fn(&crate::server::Req) -> Reply + Send + Sync {
    let n = AtomicUsize::new(0);
    let script = Mutex::new(script.into_iter().map(Some).collect::<Vec<_>>());
    move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        script
            .lock()
            .unwrap()
            .get_mut(i)
            .and_then(Option::take)
            .unwrap_or_else(Reply::ok)
    }
}

fn assert_fresh_signatures(server: &Server) {
    let reqs = server.requests();
    assert!(
        reqs.iter().all(|r| r.signature_ok),
        "a request failed signature checks: {reqs:#?}"
    );
    let mut nonces: Vec<&str> = reqs.iter().map(|r| r.nonce.as_str()).collect();
    nonces.sort();
    nonces.dedup();
    assert_eq!(
        nonces.len(),
        reqs.len(),
        "every attempt needs a fresh nonce"
    );
}

#[tokio::test]
async fn throttling_then_success() {
    for version in BOTH {
        let server = Server::start(scripted(vec![Reply::error(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )]))
        .await;
        let client = client_for(&server, version, |_| {});
        let before = client.current_rate();
        client
            .start_instance("i-1")
            .await
            .expect("retried past throttling");
        assert_eq!(server.requests().len(), 2);
        assert!(client.current_rate() < before, "the limiter slowed down");
        assert_fresh_signatures(&server);
    }
}

#[tokio::test]
async fn server_error_then_success_keeps_the_client_token() {
    for version in BOTH {
        let server = Server::start(scripted(vec![
            Reply::error(500, "InternalError", "The request processing has failed."),
            Reply::raw(503, "text/html", "<html>busy</html>"),
        ]))
        .await;
        let client = client_for(&server, version, |_| {});
        let token = Client::new_client_token("ModifyInstanceSpec");
        client
            .modify_instance_spec("i-1", &ModifySpec::Type("ecs.g6.xlarge".into()), &token)
            .await
            .expect("retried past 5xx");
        let reqs = server.requests();
        assert_eq!(reqs.len(), 3);
        for r in &reqs {
            assert_eq!(r.action, "ModifyInstanceSpec");
            assert_eq!(r.param("ClientToken"), Some(token.as_str()));
            assert_eq!(r.param("InstanceType"), Some("ecs.g6.xlarge"));
            assert_eq!(r.method, "POST");
        }
        assert_fresh_signatures(&server);
    }
}

/// The server creates the instance, then the connection drops before the
/// answer. The retry carries the same ClientToken, so the server answers
/// with the instance it already made instead of making a second one.
#[tokio::test]
async fn dropped_connection_after_apply_is_retried_with_the_same_token() {
    for version in BOTH {
        let created: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let seen = created.clone();
        let server = Server::start(move |req| {
            let token = req.param("ClientToken").unwrap_or_default().to_string();
            let mut created = seen.lock().unwrap();
            if let Some((_, id)) = created.iter().find(|(t, _)| *t == token) {
                return Reply::json(
                    200,
                    serde_json::json!({"RequestId": "R2", "InstanceIdSets": {"InstanceIdSet": [id]}}),
                );
            }
            let id = format!("i-new{}", created.len());
            created.push((token, id));
            Reply::Drop
        })
        .await;
        let client = client_for(&server, version, |_| {});
        let token = Client::new_client_token("RunInstances");
        let req = RunInstancesRequest {
            image_id: "ubuntu_22_04_x64_20G_alibase_20240101.vhd".into(),
            instance_type: "ecs.g6.large".into(),
            security_group_ids: vec!["sg-1".into(), "sg-2".into()],
            internet_max_bandwidth_out: Some(5),
            ..Default::default()
        };
        let id = client
            .run_instances(&req, &token)
            .await
            .expect("retried after the drop");
        assert_eq!(id, "i-new0");
        assert_eq!(created.lock().unwrap().len(), 1, "applied exactly once");
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2);
        assert!(reqs
            .iter()
            .all(|r| r.param("ClientToken") == Some(token.as_str())));
        assert_eq!(reqs[0].param("SecurityGroupIds.2"), Some("sg-2"));
        assert_eq!(reqs[0].param("Amount"), Some("1"));
        assert_fresh_signatures(&server);
    }
}

#[tokio::test]
async fn non_retryable_codes_fail_at_once_with_the_remedy() {
    let cases = [
        (
            400,
            "InvalidInstanceStatus.NotStopped",
            ErrorKind::InvalidStatus,
            "the instance must be Stopped to change instance_type",
        ),
        (
            403,
            "ChargeTypeViolation",
            ErrorKind::Unsupported,
            "ModifyInstanceSpec changes only pay-as-you-go",
        ),
        (
            400,
            "IdempotenceParamNotMatch",
            ErrorKind::Idempotence,
            "ClientToken was reused",
        ),
        (
            400,
            "DependencyViolation.InstanceType",
            ErrorKind::Unsupported,
            "ecs_instance_type_modifications",
        ),
        (500, "InvalidAction", ErrorKind::Unsupported, "endpoint"),
        (400, "SignatureDoesNotMatch", ErrorKind::Auth, "secret_key"),
    ];
    for (status, code, kind, remedy) in cases {
        let server = Server::start(move |_| Reply::error(status, code, "refused")).await;
        let client = client_for(&server, crate::BOTH[1], |_| {});
        let token = Client::new_client_token("ModifyInstanceSpec");
        let err = client
            .modify_instance_spec("i-1", &ModifySpec::Type("ecs.g6.xlarge".into()), &token)
            .await
            .unwrap_err();
        assert_eq!(server.requests().len(), 1, "{code} must not be retried");
        assert_eq!(err.kind, kind, "{code}");
        assert_eq!(err.code, code);
        assert_eq!(err.http_status, Some(status));
        assert_eq!(
            err.request_id.as_deref(),
            Some(format!("REQ-{code}").as_str())
        );
        assert!(!err.is_retryable());
        let text = err.to_string();
        assert!(text.contains(remedy), "{code}: {text}");
        assert!(
            text.starts_with(&format!(
                "ModifyInstanceSpec: {code} (HTTP {status}): refused — "
            )),
            "{text}"
        );
    }
}

/// Left out, the account's default would apply (economical mode on some accounts).
#[tokio::test]
async fn every_stop_names_its_stopped_mode() {
    let server = Server::start(|_| Reply::ok()).await;
    let client = client_for(&server, crate::BOTH[0], |_| {});
    client.stop_instance("i-1", false, None).await.unwrap();
    client
        .stop_instance("i-1", false, Some("StopCharging"))
        .await
        .unwrap();
    let modes: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.param("StoppedMode").map(String::from))
        .collect();
    assert_eq!(
        modes,
        [
            Some("KeepCharging".to_string()),
            Some("StopCharging".to_string())
        ]
    );
}

#[tokio::test]
async fn gives_up_after_max_retries_with_the_last_error() {
    let server = Server::start(|_| Reply::error(503, "ServiceUnavailable", "try later")).await;
    let client = client_for(&server, crate::BOTH[0], |c| c.max_retries = 2);
    let err = client
        .stop_instance("i-1", false, Some("StopCharging"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert_eq!(err.request_id.as_deref(), Some("REQ-ServiceUnavailable"));
    let reqs = server.requests();
    let actions: Vec<&str> = reqs.iter().map(|r| r.action.as_str()).collect();
    // 1 attempt + max_retries; each retry after a 5xx reads the instance
    // first (StopInstance has no ClientToken), and that read failed too.
    assert_eq!(
        actions,
        ["StopInstance", "DescribeInstances", "DescribeInstances"]
    );
    assert_eq!(reqs[0].param("StoppedMode"), Some("StopCharging"));
    assert_eq!(reqs[0].param("ForceStop"), Some("false"));
}

#[tokio::test]
async fn read_timeout_is_retried() {
    let server = Server::start(scripted(vec![Reply::After(
        Duration::from_secs(3),
        Box::new(Reply::ok()),
    )]))
    .await;
    let client = client_for(&server, crate::BOTH[1], |c| {
        c.read_timeout = Duration::from_millis(300)
    });
    client
        .modify_instance_attribute(
            "i-1",
            &ModifyAttributes {
                instance_name: Some("web".into()),
                ..Default::default()
            },
        )
        .await
        .expect("second attempt answers in time");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].param("InstanceName"), Some("web"));
    assert_eq!(reqs[1].param("Description"), None);
}

/// A 5xx whose change did go through makes the retry see "already in that
/// state"; without a ClientToken, that is read as success.
#[tokio::test]
async fn lost_answer_then_already_done_counts_as_success() {
    let server = Server::start(scripted(vec![
        Reply::Drop,
        Reply::error(404, "InvalidInstanceId.NotFound", "gone"),
    ]))
    .await;
    let client = client_for(&server, crate::BOTH[0], |_| {});
    client
        .delete_instance("i-1", true)
        .await
        .expect("deleted by the first attempt");
    assert_eq!(server.requests()[0].param("Force"), Some("true"));
    // Without an earlier lost answer, NotFound stays an error.
    let server = Server::start(|_| Reply::error(404, "InvalidInstanceId.NotFound", "gone")).await;
    let client = client_for(&server, crate::BOTH[0], |_| {});
    let err = client.delete_instance("i-1", false).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn cancel_ends_backoff_waits_and_refuses_new_calls() {
    let server = Server::start(|_| Reply::error(500, "InternalError", "")).await;
    let hour = Duration::from_secs(3600);
    let tuning = Tuning {
        retry: RetryPolicy {
            base_delay: hour,
            throttle_base_delay: hour,
            max_delay: hour,
        },
        ..Default::default()
    };
    let client = client_tuned(&server, crate::BOTH[1], |_| {}, tuning);
    let canceller = client.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        canceller.cancel();
    });
    let err = tokio::time::timeout(Duration::from_secs(60), client.start_instance("i-1"))
        .await
        .expect("cancel must end the hour-long backoff")
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Cancelled);
    assert!(
        err.to_string()
            .contains("run the same Terraform command again"),
        "{err}"
    );
    let sent = client.requests_sent();
    let err = client.describe_instance("i-2").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Cancelled);
    assert_eq!(client.requests_sent(), sent, "no request after cancel");
}

#[tokio::test]
async fn deadline_bounds_the_retries() {
    let server = Server::start(|_| Reply::error(500, "InternalError", "")).await;
    let client = client_for(&server, crate::BOTH[1], |c| c.max_retries = 1000);
    let bounded = client.with_deadline(tokio::time::Instant::now() + Duration::from_millis(300));
    let err = tokio::time::timeout(Duration::from_secs(60), bounded.start_instance("i-1"))
        .await
        .expect("the deadline ends the loop")
        .unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Server | ErrorKind::Timeout),
        "{err}"
    );
    assert!(server.requests().len() < 1000);
}

/// StopInstance/StartInstance/DeleteInstance carry no ClientToken: after a
/// lost answer or a 5xx, the client reads the instance before sending the
/// call again, and does not send it again when it already took effect.
#[tokio::test]
async fn calls_without_a_token_read_the_instance_before_sending_again() {
    for (action, seen, lost) in [
        ("StopInstance", "Stopping", Reply::Drop),
        ("StartInstance", "Starting", Reply::Drop),
        (
            "StopInstance",
            "Stopped",
            Reply::error(500, "InternalError", ""),
        ),
    ] {
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = sent.clone();
        let lost = Mutex::new(Some(lost));
        let server = Server::start(move |req: &crate::server::Req| {
            if req.action == "DescribeInstances" {
                return Reply::json(
                    200,
                    serde_json::json!({"RequestId": "R", "NextToken": "", "Instances": {"Instance": [
                        {"InstanceId": "i-1", "Status": seen}
                    ]}}),
                );
            }
            counter.fetch_add(1, Ordering::SeqCst);
            lost.lock().unwrap().take().unwrap_or_else(Reply::ok)
        })
        .await;
        let client = client_for(&server, BOTH[0], |_| {});
        let result = if action == "StopInstance" {
            client.stop_instance("i-1", false, None).await
        } else {
            client.start_instance("i-1").await
        };
        result.unwrap_or_else(|e| panic!("{action}: {e}"));
        assert_eq!(
            sent.load(Ordering::SeqCst),
            1,
            "{action} sent again to an instance already {seen}: {:#?}",
            server.requests()
        );
        let actions: Vec<String> = server.requests().into_iter().map(|r| r.action).collect();
        assert_eq!(actions, [action, "DescribeInstances"]);
    }
}

/// When the read shows the call did not take effect, it is sent again.
#[tokio::test]
async fn a_call_that_did_not_take_effect_is_sent_again_after_the_read() {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let server = Server::start(move |req: &crate::server::Req| {
        if req.action == "DescribeInstances" {
            return Reply::json(
                200,
                serde_json::json!({"RequestId": "R", "Instances": {"Instance": [
                    {"InstanceId": "i-1", "Status": "Running"}
                ]}}),
            );
        }
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::error(503, "ServiceUnavailable", "")
        } else {
            Reply::ok()
        }
    })
    .await;
    let client = client_for(&server, BOTH[0], |_| {});
    client.stop_instance("i-1", false, None).await.unwrap();
    assert_eq!(sent.load(Ordering::SeqCst), 2);
}

/// The read before a resend is a DescribeInstances call like any other: it
/// waits for that action's bucket. At 4 requests/s a bucket holds two: two
/// reads empty it, the StopInstance bucket still lets the resend through at
/// once, so only the DescribeInstances bucket can hold the check back a
/// quarter of a second.
#[tokio::test]
async fn the_read_before_a_resend_waits_for_the_describe_bucket() {
    let reads = Arc::new(Mutex::new(Vec::<std::time::Instant>::new()));
    let seen = reads.clone();
    let lost = Mutex::new(Some(Reply::Drop));
    let server = Server::start(move |req: &crate::server::Req| {
        if req.action == "DescribeInstances" {
            seen.lock().unwrap().push(std::time::Instant::now());
            return Reply::json(
                200,
                serde_json::json!({"RequestId": "R", "NextToken": "", "Instances": {"Instance": [
                    {"InstanceId": "i-1", "Status": "Stopping"}
                ]}}),
            );
        }
        lost.lock().unwrap().take().unwrap_or_else(Reply::ok)
    })
    .await;
    let client = client_for(&server, BOTH[0], |c| c.max_requests_per_second = 4.0);
    for _ in 0..2 {
        client.describe_instances(&["i-1".into()]).await.unwrap();
    }
    client.stop_instance("i-1", false, None).await.unwrap();
    let reads = reads.lock().unwrap();
    assert_eq!(reads.len(), 3, "{:#?}", server.requests());
    let gap = reads[2] - reads[1];
    assert!(
        gap >= Duration::from_millis(200),
        "the resend check read {gap:?} after the last read, past the 4/s bucket"
    );
}
