//! TRACE logs of full requests (both signature versions, GET and POST, a
//! retry and an error) must contain neither the secret, nor the STS token,
//! nor any signature.

use std::io::Write;
use std::sync::{Arc, Mutex};

use terraform_provider_ecs::ecs::{sign, Client, ModifySpec, Secret};

use crate::server::{Reply, Server, SECRET};
use crate::{client_for, fixture, BOTH};

const TOKEN: &str = "CAIS-sts.Token/with+special=chars&more";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn handler() -> impl Fn(&crate::server::Req) -> Reply + Send + Sync {
    let modify_calls = Mutex::new(0);
    move |req| match req.action.as_str() {
        "DescribeInstances" => {
            Reply::raw(200, "application/json", &fixture("describe_instances.json"))
        }
        "ModifyInstanceSpec" => {
            let mut n = modify_calls.lock().unwrap();
            *n += 1;
            if *n == 1 {
                Reply::error(500, "InternalError", "transient")
            } else {
                Reply::ok()
            }
        }
        _ => Reply::error(403, "ChargeTypeViolation", "not pay-as-you-go"),
    }
}

#[tokio::test]
async fn trace_logs_hold_no_secret_token_or_signature() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut signatures = Vec::new();
    let mut errors = Vec::new();
    for version in BOTH {
        let server = Server::start(handler()).await;
        let client = client_for(&server, version, |c| {
            c.credentials = terraform_provider_ecs::ecs::CredentialProvider::fixed(
                terraform_provider_ecs::ecs::Credentials::fixed(
                    "test-ak",
                    Secret::new(crate::server::SECRET),
                    Some(Secret::new(TOKEN)),
                ),
                "a test",
            )
        });
        client
            .describe_instance("i-bp67acfmxazb4ph****")
            .await
            .unwrap()
            .unwrap();
        let token = Client::new_client_token("ModifyInstanceSpec");
        client
            .modify_instance_spec("i-1", &ModifySpec::Type("ecs.g6.large".into()), &token)
            .await
            .unwrap();
        let err = client.start_instance("i-1").await.unwrap_err();
        errors.push(format!("{err} {err:?}"));
        for r in server.requests() {
            assert!(r.signature_ok);
            if let Some(sig) = r.param("Signature") {
                signatures.push(sig.to_string());
            }
            if let Some((_, auth)) = r.headers.iter().find(|(k, _)| k == "authorization") {
                signatures.push(sign::parse_v3_authorization(auth).unwrap().signature);
            }
            let sent_token = r.param("SecurityToken").map(str::to_string).or_else(|| {
                r.headers
                    .iter()
                    .find(|(k, _)| k == "x-acs-security-token")
                    .map(|(_, v)| v.clone())
            });
            assert_eq!(
                sent_token.as_deref(),
                Some(TOKEN),
                "the token is sent with {version:?}"
            );
        }
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for needle in [
        "ecs request",
        "ecs response",
        "DescribeInstances",
        "ModifyInstanceSpec",
        "ecs retry",
        "SecurityToken=***",
    ] {
        assert!(
            logs.contains(needle),
            "logs should mention {needle:?}:\n{logs}"
        );
    }
    assert!(signatures.len() >= 8, "{signatures:?}");
    let mut forbidden = vec![
        SECRET.to_string(),
        sign::percent_encode(SECRET),
        TOKEN.to_string(),
        sign::percent_encode(TOKEN),
    ];
    forbidden.extend(signatures.iter().cloned());
    forbidden.extend(signatures.iter().map(|s| sign::percent_encode(s)));
    for secret in &forbidden {
        assert!(!logs.contains(secret.as_str()), "logs leak {secret:?}");
        for e in &errors {
            assert!(
                !e.contains(secret.as_str()),
                "error text leaks {secret:?}: {e}"
            );
        }
    }
}
