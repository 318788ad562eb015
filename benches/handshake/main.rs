//! Handshake benchmark: this provider against a Go provider
//! (terraform-provider-lxd v1.5.0, built on go-plugin), side by side.
//!
//! Each run does what Terraform does when it starts a provider: make a fresh
//! ECDSA P-521 client certificate and TLS configuration, spawn the provider
//! with the AutoMTLS environment, read the handshake line, and complete the
//! TLS connection pinned to the printed certificate. Measured: the time
//! from spawn to that completed connection, and the resident memory (VmRSS)
//! once the connection has served one health check. Runs alternate between
//! the two binaries so that machine noise hits both alike.
//!
//! Targets: median handshake ≤ 1/5 of Go's, median RSS ≤ 1/3 of Go's. Exits
//! 1 when a target is missed, 2 when the Go provider is not installed.
//!
//! `BENCH_RUNS` (default 15) sets the number of runs per binary;
//! `BENCH_GO_PROVIDER` overrides the Go provider's path.

#[path = "client.rs"]
mod client;

use client::{ClientCert, PreparedTls};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

struct Sample {
    handshake: Duration,
    rss_kib: u64,
    anon_kib: u64,
}

async fn measure(binary: &Path) -> Result<Sample, String> {
    // Terraform makes its certificate and TLS configuration before it spawns
    // the plugin.
    let cert = ClientCert::generate();
    let tls = PreparedTls::new(&cert).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut plugin = client::launch(binary, Some(&cert), &[], Stdio::null())
        .await
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let io = tls
        .connect(&plugin.handshake)
        .await
        .map_err(|e| format!("{}: TLS: {e}", binary.display()))?;
    let handshake = start.elapsed();

    let channel = client::channel_over(io).await.map_err(|e| e.to_string())?;
    tonic_health::pb::health_client::HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .map_err(|e| format!("{}: health check: {e}", binary.display()))?;
    let pid = plugin.child.id().ok_or("plugin exited early")?;
    let rss_kib = client::vm_rss_kib(pid).ok_or("cannot read VmRSS")?;
    let anon_kib = client::rss_anon_kib(pid).ok_or("cannot read RssAnon")?;

    let _ = client::shutdown(channel).await;
    if tokio::time::timeout(Duration::from_secs(3), plugin.child.wait())
        .await
        .is_err()
    {
        let _ = plugin.child.kill().await;
    }
    Ok(Sample {
        handshake,
        rss_kib,
        anon_kib,
    })
}

fn median<T: Copy + Ord>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

fn go_provider() -> PathBuf {
    std::env::var_os("BENCH_GO_PROVIDER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/lxd/terraform-provider-lxd_v1.5.0")
        })
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; nothing to parse.
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-ecs"));
    let go = go_provider();
    if !go.is_file() {
        eprintln!(
            "The Go provider is not installed at {}.\n\
             Install it with `scripts/install-tools.sh lxd` \
             (or set BENCH_GO_PROVIDER to its path).",
            go.display()
        );
        return ExitCode::from(2);
    }
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(15)
        .max(1);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
    let binaries = [&ours, &go];
    for run in 0..runs {
        // Alternate, and alternate who goes first.
        for k in 0..2 {
            let which = (run + k) % 2;
            match runtime.block_on(measure(binaries[which])) {
                Ok(sample) => samples[which].push(sample),
                Err(err) => {
                    eprintln!("run {run}: {err}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }

    let summarize = |s: &[Sample]| {
        let mut times: Vec<Duration> = s.iter().map(|x| x.handshake).collect();
        let mut rss: Vec<u64> = s.iter().map(|x| x.rss_kib).collect();
        let mut anon: Vec<u64> = s.iter().map(|x| x.anon_kib).collect();
        (median(&mut times), median(&mut rss), median(&mut anon))
    };
    let (our_time, our_rss, our_anon) = summarize(&samples[0]);
    let (go_time, go_rss, go_anon) = summarize(&samples[1]);
    let time_ratio = our_time.as_secs_f64() / go_time.as_secs_f64();
    let rss_ratio = our_rss as f64 / go_rss as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mib = |kib: u64| kib as f64 / 1024.0;

    println!(
        "Handshake benchmark: {runs} runs each, alternating; \
         AutoMTLS with a P-521 client certificate"
    );
    println!(
        "(time = spawn → handshake line → TLS connection complete; \
         RSS = VmRSS after one health check)\n"
    );
    println!(
        "{:<34} {:>16} {:>12} {:>14}",
        "", "median time", "median RSS", "of which anon"
    );
    println!(
        "{:<34} {:>13.2} ms {:>8.1} MiB {:>10.1} MiB",
        "terraform-provider-ecs (Rust)",
        ms(our_time),
        mib(our_rss),
        mib(our_anon)
    );
    println!(
        "{:<34} {:>13.2} ms {:>8.1} MiB {:>10.1} MiB",
        "terraform-provider-lxd v1.5.0 (Go)",
        ms(go_time),
        mib(go_rss),
        mib(go_anon)
    );
    println!(
        "{:<34} {:>16.3} {:>12.3}\n",
        "ratio (ours / go)", time_ratio, rss_ratio
    );
    // For the one table of `make bench` (benches/fleet/main.rs).
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-handshake.json");
    let _ = std::fs::write(
        results,
        format!(
            "{{\"time_ratio\": {time_ratio}, \"rss_ratio\": {rss_ratio}, \"ours_ms\": {}, \"go_ms\": {}, \"ours_rss_mib\": {}, \"go_rss_mib\": {}, \"ours_anon_mib\": {}, \"go_anon_mib\": {}}}",
            ms(our_time),
            ms(go_time),
            mib(our_rss),
            mib(go_rss),
            mib(our_anon),
            mib(go_anon)
        ),
    );
    let time_ok = time_ratio <= 0.2;
    let rss_ok = rss_ratio <= 1.0 / 3.0;
    let verdict = |ok: bool| if ok { "HOLDS" } else { "MISSED" };
    println!(
        "target handshake ≤ 1/5 of Go: {} ({time_ratio:.3})",
        verdict(time_ok)
    );
    println!(
        "target RSS ≤ 1/3 of Go:       {} ({rss_ratio:.3})",
        verdict(rss_ok)
    );
    if time_ok && rss_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
