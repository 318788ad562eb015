//! Throughput of the emulator with 1000 instances: signed (V1)
//! DescribeInstances and DescribeInstanceStatus over loopback HTTP with
//! concurrent clients, as the provider's refresh of a large state would
//! send them. Run with `cargo bench --bench emulator`; prints requests/s per
//! scenario and whether the 500 requests/s goal holds. The client runs in
//! the same process and shares the cores with the server, so the figure is
//! a lower bound.
//!
//! `EMULATOR_BENCH_SECONDS` (default 3) sets the time per scenario,
//! `EMULATOR_BENCH_CONCURRENCY` (default 16) the number of clients.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use terraform_provider_ecs::ecs::sign;
use terraform_provider_ecs::emulator::{self, Config};

const INSTANCES: usize = 1000;
const GOAL: f64 = 500.0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed_json() -> String {
    let zones = ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"];
    let types = [
        "ecs.g6.large",
        "ecs.c6.xlarge",
        "ecs.r6.2xlarge",
        "ecs.g7.large",
    ];
    let items: Vec<serde_json::Value> = (0..INSTANCES)
        .map(|i| {
            serde_json::json!({
                "InstanceId": format!("i-bench{i:05}"),
                "InstanceType": types[i % types.len()],
                "ZoneId": zones[i % zones.len()],
                "Status": if i % 5 == 0 { "Stopped" } else { "Running" },
                "InternetMaxBandwidthOut": i % 50,
                "VSwitchId": if i % 2 == 0 { "vsw-bench" } else { "" },
            })
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

/// A signed V1 GET URL for `action` with `params`.
fn signed_url(base: &str, config: &Config, action: &str, params: &[(String, String)]) -> String {
    let mut all: Vec<(String, String)> = [
        ("Action", action.to_string()),
        ("Version", "2014-05-26".to_string()),
        ("Format", "JSON".to_string()),
        ("AccessKeyId", config.access_key_id.clone()),
        ("SignatureMethod", "HMAC-SHA1".to_string()),
        ("SignatureVersion", "1.0".to_string()),
        ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
        (
            "Timestamp",
            Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
        ("RegionId", config.region.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .chain(params.iter().cloned())
    .collect();
    let sts = sign::v1_string_to_sign("GET", all.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    all.push((
        "Signature".into(),
        sign::v1_signature(&config.access_key_secret, &sts),
    ));
    let query: Vec<String> = all
        .iter()
        .map(|(k, v)| format!("{}={}", sign::percent_encode(k), sign::percent_encode(v)))
        .collect();
    format!("{base}/?{}", query.join("&"))
}

type ParamsFn = fn(u64) -> Vec<(String, String)>;

fn page_of_100(n: u64) -> Vec<(String, String)> {
    vec![
        ("PageSize".into(), "100".into()),
        ("PageNumber".into(), (n % 10 + 1).to_string()),
    ]
}

fn ten_ids(n: u64) -> Vec<(String, String)> {
    let first = (n * 10) as usize % INSTANCES;
    let ids: Vec<String> = (first..first + 10)
        .map(|i| format!("i-bench{:05}", i % INSTANCES))
        .collect();
    vec![("InstanceIds".into(), serde_json::to_string(&ids).unwrap())]
}

fn status_page(n: u64) -> Vec<(String, String)> {
    vec![
        ("PageSize".into(), "50".into()),
        ("PageNumber".into(), (n % 20 + 1).to_string()),
    ]
}

async fn scenario(
    name: &str,
    base: &str,
    config: &Config,
    action: &'static str,
    params: ParamsFn,
    seconds: u64,
    concurrency: usize,
) -> f64 {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (http, done, failed) = (http.clone(), done.clone(), failed.clone());
            let (base, config) = (base.to_string(), config.clone());
            tokio::spawn(async move {
                let mut n = w as u64;
                while Instant::now() < deadline {
                    let url = signed_url(&base, &config, action, &params(n));
                    match http.get(url).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    n += concurrency as u64;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rate = done.load(Ordering::Relaxed) as f64 / elapsed;
    println!(
        "{name:<44} {rate:>9.0} req/s  ({} ok, {} failed, {concurrency} clients, {elapsed:.1} s)",
        done.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
    );
    rate
}

fn main() {
    let seconds = env_or("EMULATOR_BENCH_SECONDS", 3u64);
    let concurrency = env_or("EMULATOR_BENCH_CONCURRENCY", 16usize);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let seed = dir.path().join("seed.json");
        std::fs::write(&seed, seed_json()).unwrap();
        let config = Config {
            seed: Some(seed),
            ..Config::default()
        };
        let handle = emulator::start(config.clone()).await.unwrap();
        let base = handle.url();
        println!("ecs-emulator bench: {INSTANCES} instances, signed V1 GETs over loopback");
        let scenarios: [(&str, &'static str, ParamsFn); 3] = [
            ("DescribeInstances (PageSize=100)", "DescribeInstances", page_of_100),
            ("DescribeInstances (InstanceIds=[10 ids])", "DescribeInstances", ten_ids),
            ("DescribeInstanceStatus (PageSize=50)", "DescribeInstanceStatus", status_page),
        ];
        let mut worst = f64::MAX;
        for (name, action, params) in scenarios {
            let rate = scenario(name, &base, &config, action, params, seconds, concurrency).await;
            worst = worst.min(rate);
        }
        let verdict = if worst >= GOAL { "holds" } else { "DOES NOT hold" };
        println!("goal >= {GOAL:.0} req/s with {INSTANCES} instances: {verdict} (slowest {worst:.0} req/s)");
        handle.shutdown().await;
    });
}
