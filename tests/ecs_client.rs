//! Integration tests of the ECS client (`src/ecs/`) against a scripted local
//! endpoint: retries and idempotence, limiter, batching, fixtures from the
//! documented samples, the error table, log redaction, and the official
//! Python SDK as a signature oracle.

#[path = "ecs_client/server.rs"]
mod server;

#[path = "ecs_client/batching.rs"]
mod batching;
#[path = "ecs_client/errors.rs"]
mod errors;
#[path = "ecs_client/fixtures.rs"]
mod fixtures;
#[path = "ecs_client/hostile.rs"]
mod hostile;
#[path = "ecs_client/in_place.rs"]
mod in_place;
#[path = "ecs_client/redaction.rs"]
mod redaction;
#[path = "ecs_client/retries.rs"]
mod retries;
#[path = "ecs_client/sdk_oracle.rs"]
mod sdk_oracle;
#[path = "ecs_client/subscription.rs"]
mod subscription;
#[path = "ecs_client/tls.rs"]
mod tls;

use std::time::Duration;

use terraform_provider_ecs::ecs::{
    Client, ClientConfig, RetryPolicy, Secret, SignatureVersion, Tuning,
};

/// A client for `server`, with backoff scaled down to milliseconds.
pub fn client_for(
    server: &server::Server,
    version: SignatureVersion,
    tweak: impl FnOnce(&mut ClientConfig),
) -> Client {
    let tuning = Tuning {
        retry: RetryPolicy {
            base_delay: Duration::from_millis(2),
            throttle_base_delay: Duration::from_millis(4),
            max_delay: Duration::from_millis(50),
        },
        batch_window: Duration::from_millis(5),
    };
    client_tuned(server, version, tweak, tuning)
}

pub fn client_tuned(
    server: &server::Server,
    version: SignatureVersion,
    tweak: impl FnOnce(&mut ClientConfig),
    tuning: Tuning,
) -> Client {
    let mut cfg = ClientConfig::new("cn-hangzhou", "test-ak", Secret::new(server::SECRET));
    cfg.endpoint = Some(server.url());
    cfg.signature_version = version;
    cfg.max_requests_per_second = 1000.0;
    cfg.max_retries = 3;
    cfg.read_timeout = Duration::from_secs(5);
    tweak(&mut cfg);
    Client::with_tuning(cfg, tuning).expect("valid test config")
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/ecs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub const BOTH: [SignatureVersion; 2] = [SignatureVersion::V1, SignatureVersion::V3];
