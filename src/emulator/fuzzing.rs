//! Entry points for the fuzz targets (`fuzz/`) and their stable-toolchain
//! smoke (`tests/fuzz_smoke.rs`): whole HTTP requests through the router
//! (parameter parsing, V1/V3 signature verification, every action), with
//! no socket. Hidden from the docs; not an API to build on.

use std::time::Duration;

use axum::body::Body;
use http::Request;
use tower_service::Service;

use super::{router, Config, Emulator};
use crate::ecs::sign;

pub const ACCESS_KEY_ID: &str = "fuzz-ak";
pub const SECRET: &str = "fuzz-secret";

/// One emulator (fast transitions, no cooldown) and a runtime to drive it.
pub struct Harness {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    nonce: std::sync::atomic::AtomicU64,
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    pub fn new() -> Harness {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let emu = Emulator::new(Config {
            access_key_id: ACCESS_KEY_ID.into(),
            access_key_secret: SECRET.into(),
            transition: Duration::from_millis(1),
            cooldown: Duration::ZERO,
            ..Config::default()
        })
        .expect("a valid emulator config");
        Harness {
            runtime,
            app: router(emu),
            nonce: Default::default(),
        }
    }

    /// Sends one request; `(status, body)`. `None` when `method`, `uri` or
    /// a header is not even valid HTTP (hyper would refuse it first).
    pub fn request(
        &self,
        method: &str,
        uri: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Option<(u16, Vec<u8>)> {
        let mut builder = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder.body(Body::from(body)).ok()?;
        let mut app = self.app.clone();
        self.runtime.block_on(async move {
            let response = app.call(request).await.expect("the router is infallible");
            let status = response.status().as_u16();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            Some((status, bytes))
        })
    }

    /// A V1-signed GET query string for `params` (plus the common ones,
    /// with a fresh nonce and the current time).
    pub fn signed_v1_query(&self, params: &[(String, String)]) -> String {
        let n = self
            .nonce
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut all: Vec<(String, String)> = params.to_vec();
        for (k, v) in [
            ("Format", "JSON".to_string()),
            ("Version", "2014-05-26".to_string()),
            ("AccessKeyId", ACCESS_KEY_ID.to_string()),
            ("SignatureMethod", "HMAC-SHA1".to_string()),
            ("SignatureVersion", "1.0".to_string()),
            (
                "SignatureNonce",
                format!("fuzz-{n}-{}", uuid::Uuid::new_v4()),
            ),
            (
                "Timestamp",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ),
        ] {
            if !all.iter().any(|(name, _)| name == k) {
                all.push((k.to_string(), v));
            }
        }
        let sts = sign::v1_string_to_sign("GET", all.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        all.push(("Signature".into(), sign::v1_signature(SECRET, &sts)));
        sign::canonical_query(all.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}
