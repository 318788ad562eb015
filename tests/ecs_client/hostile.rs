//! The misbehaving-API table: what a proxy, a flaky network or a hostile
//! gateway can answer, and what the client makes of it. Each row asserts
//! the outcome: retried when safe (reads, ClientToken calls), a clear error
//! otherwise, no mutating call applied twice (the scripted server applies
//! each ClientToken once, like ECS), never the secret in an error.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use terraform_provider_ecs::ecs::{
    codes, Client, ClientConfig, ErrorKind, RunInstancesRequest, Secret, SignatureVersion,
};

use crate::client_for;
use crate::server::{Reply, Req, Server, SECRET};

const MAX_RETRIES: u32 = 3;

/// An HTML error page as nginx or a cloud load balancer sends it.
fn html(status: u16, title: &str) -> Reply {
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    Reply::Body {
        status,
        content_type: "text/html",
        body,
    }
}

fn truncated_json() -> Reply {
    Reply::raw(
        200,
        "application/json",
        r#"{"RequestId":"R1","InstanceIdSets":{"InstanceIdSet":["i-"#,
    )
}

/// Headers promising 400 bytes, 40 sent, then a reset.
fn reset_mid_body() -> Reply {
    let mut bytes =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n"
            .to_vec();
    bytes.extend_from_slice(br#"{"RequestId":"R1","InstanceIdSets":{"Ins"#);
    Reply::ResetAfter(bytes)
}

fn created(id: &str) -> Reply {
    Reply::json(
        200,
        serde_json::json!({"RequestId": "R-ok", "InstanceIdSets": {"InstanceIdSet": [id]}}),
    )
}

/// A RunInstances endpoint that answers `faults[n]` to the n-th request and,
/// like ECS, creates one instance per ClientToken (a replay gets the same id).
struct Scripted {
    server: Server,
    applied: Arc<Mutex<HashMap<String, String>>>,
}

impl Scripted {
    async fn start(faults: Vec<Reply>, apply_before_fault: bool) -> Scripted {
        let applied: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let n = AtomicUsize::new(0);
        let faults = Mutex::new(faults.into_iter().map(Some).collect::<Vec<_>>());
        let state = applied.clone();
        let server = Server::start(move |req: &Req| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            let fault = faults.lock().unwrap().get_mut(i).and_then(Option::take);
            let token = req.param("ClientToken").unwrap_or_default().to_string();
            let apply = |state: &Mutex<HashMap<String, String>>| {
                let mut map = state.lock().unwrap();
                let next = format!("i-{}", map.len());
                map.entry(token.clone()).or_insert(next).clone()
            };
            match fault {
                Some(f) => {
                    // A fault after the change was made (the answer was lost) or before.
                    if apply_before_fault && req.action == "RunInstances" {
                        apply(&state);
                    }
                    f
                }
                None if req.action == "RunInstances" => created(&apply(&state)),
                None => Reply::json(
                    200,
                    serde_json::json!({"RequestId": "R", "Instances": {"Instance": []}}),
                ),
            }
        })
        .await;
        Scripted { server, applied }
    }

    fn client(&self, tweak: impl FnOnce(&mut ClientConfig)) -> Client {
        client_for(&self.server, SignatureVersion::V3, |c| {
            c.max_retries = MAX_RETRIES;
            tweak(c);
        })
    }

    /// Every RunInstances carried the same token, and at most one instance exists.
    fn assert_applied_at_most_once(&self) {
        let tokens: Vec<String> = self
            .server
            .requests()
            .iter()
            .filter(|r| r.action == "RunInstances")
            .map(|r| r.param("ClientToken").unwrap_or_default().to_string())
            .collect();
        assert!(
            tokens.windows(2).all(|w| w[0] == w[1]),
            "one token for all attempts: {tokens:?}"
        );
        assert!(self.applied.lock().unwrap().len() <= 1, "applied twice");
    }
}

fn web() -> RunInstancesRequest {
    RunInstancesRequest {
        security_group_ids: vec!["sg-emulator-test".into()],
        image_id: "aliyun_3_x64_20G_alibase_20240819.vhd".into(),
        instance_type: "ecs.g6.large".into(),
        ..Default::default()
    }
}

/// Transient faults on RunInstances, before or after the change is made:
/// retried with the same ClientToken, one instance in the end.
#[tokio::test]
async fn transient_faults_on_a_create_are_retried_and_applied_once() {
    let cases: Vec<(&str, Reply, bool)> = vec![
        (
            "502 HTML page from a proxy",
            html(502, "502 Bad Gateway"),
            false,
        ),
        (
            "504 HTML page after the change",
            html(504, "504 Gateway Time-out"),
            true,
        ),
        ("truncated JSON after the change", truncated_json(), true),
        (
            "empty 200 body after the change",
            Reply::raw(200, "application/json", ""),
            true,
        ),
        ("HTML 200 body (captive portal)", html(200, "Sign in"), true),
        (
            "connection reset mid-body after the change",
            reset_mid_body(),
            true,
        ),
        (
            "connection closed, no answer, after the change",
            Reply::Drop,
            true,
        ),
        (
            "answer slower than read_timeout, after the change",
            Reply::After(Duration::from_millis(1500), Box::new(created("i-late"))),
            true,
        ),
        (
            "Throttling, twice",
            Reply::error(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
            ),
            false,
        ),
        (
            "ServiceUnavailable",
            Reply::error(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            ),
            false,
        ),
    ];
    for (name, fault, after) in cases {
        let twice = name.contains("twice");
        let faults = if twice {
            vec![Reply::error(400, "Throttling.User", "flow control"), fault]
        } else {
            vec![fault]
        };
        let n = faults.len();
        let s = Scripted::start(faults, after).await;
        let client = s.client(|c| c.read_timeout = Duration::from_millis(500));
        let token = Client::new_client_token("RunInstances");
        let id = client
            .run_instances(&web(), &token)
            .await
            .unwrap_or_else(|e| panic!("{name}: retried to success, got {e}"));
        assert_eq!(id, "i-0", "{name}");
        assert_eq!(
            s.server.requests().len(),
            n + 1,
            "{name}: one retry per fault"
        );
        s.assert_applied_at_most_once();
    }
}

/// Persistent faults on a read: retried up to the budget, then an error that
/// says what answered. Never a panic, never the secret.
#[tokio::test]
async fn persistent_faults_end_in_a_clear_error_after_the_retry_budget() {
    type Check = fn(&terraform_provider_ecs::ecs::Error) -> bool;
    type Case = (&'static str, fn() -> Reply, &'static str, Check);
    let cases: Vec<Case> = vec![
        (
            "502 HTML",
            || html(502, "502 Bad Gateway"),
            "HTTP502",
            |e| {
                e.kind == ErrorKind::Server
                    && e.message.contains("\"502 Bad Gateway\"")
                    && e.message.contains("proxy")
            },
        ),
        (
            "504 HTML",
            || html(504, "504 Gateway Time-out"),
            "HTTP504",
            |e| {
                e.message.contains("\"504 Gateway Time-out\"")
                    && e.message.contains("load balancer")
            },
        ),
        (
            "truncated JSON",
            truncated_json,
            codes::MALFORMED_RESPONSE,
            |e| e.message.contains("body starts with") && e.to_string().contains("truncated"),
        ),
        (
            "empty 200",
            || Reply::raw(200, "application/json", ""),
            codes::MALFORMED_RESPONSE,
            |e| e.message.contains("empty"),
        ),
        ("reset mid-body", reset_mid_body, codes::TRANSPORT, |e| {
            e.message.contains("broke while reading") || e.message.contains("reset")
        }),
        (
            "throttling storm",
            || Reply::error(400, "Throttling", "Request was denied due to flow control."),
            "Throttling",
            |e| e.kind == ErrorKind::Throttled && e.remedy().contains("max_requests_per_second"),
        ),
        (
            "slower than read_timeout",
            || Reply::After(Duration::from_millis(1500), Box::new(Reply::ok())),
            codes::READ_TIMEOUT,
            |e| e.kind == ErrorKind::Timeout && e.remedy().contains("read_timeout"),
        ),
    ];
    for (name, fault, code, check) in cases {
        let server = Server::start(move |_| fault()).await;
        let client = client_for(&server, SignatureVersion::V1, |c| {
            c.max_retries = MAX_RETRIES;
            c.read_timeout = Duration::from_millis(500);
        });
        let before = client.current_rate();
        let err = client
            .describe_instance_types(&Default::default())
            .await
            .expect_err(name);
        assert_eq!(err.code, code, "{name}: {err}");
        assert!(check(&err), "{name}: {err}");
        assert_eq!(
            server.requests().len(),
            MAX_RETRIES as usize + 1,
            "{name}: the whole retry budget, no more"
        );
        let text = err.to_string();
        assert!(!text.contains(SECRET), "{name}: secret in {text}");
        if name == "throttling storm" {
            assert!(client.current_rate() < before, "the limiter slowed down");
        }
    }
}

/// Credential and clock refusals: one request, no retry, an error naming
/// what to fix, never the secret (not even when the server echoes the
/// string to sign).
#[tokio::test]
async fn credential_and_clock_refusals_are_not_retried_and_say_what_to_fix() {
    let cases = [
        ("InvalidAccessKeyId.NotFound", 404, "Specified access key is not found.", &["access_key", "ACCESS_KEY"][..]),
        ("SignatureDoesNotMatch", 400, "Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3Dtest-ak", &["secret_key", "SECRET"][..]),
        ("Forbidden.RAM", 403, "User not authorized to operate on the specified resource, or this API doesn't support RAM.", &["RAM", "policy"][..]),
        ("InvalidTimeStamp.Expired", 400, "Specified time stamp or date value is expired.", &["clock", "NTP"][..]),
        ("InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired.", &["security_token"][..]),
    ];
    for (code, status, message, words) in cases {
        let server = Server::start(move |_| Reply::error(status, code, message)).await;
        let client = client_for(&server, SignatureVersion::V3, |c| {
            c.max_retries = MAX_RETRIES;
            c.credentials = terraform_provider_ecs::ecs::CredentialProvider::fixed(
                terraform_provider_ecs::ecs::Credentials::fixed(
                    "test-ak",
                    Secret::new(SECRET),
                    Some(Secret::new("STS-TOKEN-VALUE")),
                ),
                "a test",
            );
        });
        let err = client
            .run_instances(&web(), &Client::new_client_token("RunInstances"))
            .await
            .expect_err(code);
        assert_eq!(err.kind, ErrorKind::Auth, "{code}");
        assert_eq!(server.requests().len(), 1, "{code}: not retried");
        let text = err.to_string();
        for w in words {
            assert!(text.contains(w), "{code}: {text:?} should say {w:?}");
        }
        assert!(!text.contains(SECRET), "{code}: secret in {text}");
        assert!(!text.contains("STS-TOKEN-VALUE"), "{code}: token in {text}");
    }
}

/// A host name that does not resolve (`.invalid` never does): a transport
/// error that says DNS, after the retry budget; no panic.
#[tokio::test]
async fn an_unresolvable_endpoint_says_dns() {
    let mut cfg = ClientConfig::new("cn-hangzhou", "test-ak", Secret::new(SECRET));
    cfg.endpoint = Some("http://ecs.cn-hangzhou.invalid".into());
    cfg.max_retries = 1;
    cfg.connect_timeout = Duration::from_secs(3);
    let client = Client::with_tuning(
        cfg,
        terraform_provider_ecs::ecs::Tuning {
            retry: terraform_provider_ecs::ecs::RetryPolicy {
                base_delay: Duration::from_millis(2),
                throttle_base_delay: Duration::from_millis(4),
                max_delay: Duration::from_millis(20),
            },
            batch_window: Duration::from_millis(5),
        },
    )
    .unwrap();
    let err = client.describe_instance("i-1").await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Transport | ErrorKind::Timeout),
        "{err}"
    );
    assert!(err.message.contains("DNS"), "{err}");
    assert!(err.remedy().contains("DNS"), "{err}");
}
