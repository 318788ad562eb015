//! The speed figures users care about, measured side by side in one run and printed as one
//! table beside their goals (`make bench`; see docs/benchmarks.md for the last results).
//!
//! Real Terraform drives the release build of the provider against `ecs-emulator`, with the
//! provider's default settings (no polling override) except the modification cooldown, which
//! the emulator and the provider both scale down to keep the run to minutes:
//!
//! - one instance resized (type + bandwidth) with 2 s stop and start transitions: its
//!   downtime from the emulator's journal, and the apply's wall time;
//! - `terraform plan -parallelism=100` of 1000 instances: DescribeInstances calls, wall
//!   time against `plan -refresh=false`, and the provider's share of the CPU;
//! - the plan's downtime estimates: six instances of three families resized three times
//!   with transitions spread by family and ±30 % at random (`--transition-spread 0.3`),
//!   each plan's announced downtime against the journal's (median error once observed);
//! - a fleet of 100 resized with `-parallelism=100` while the emulator throttles every action
//!   to 20 requests per second: API calls per instance, wall time against the throttle's own
//!   limit; then the same with `max_unavailable = 10`: most instances down at once and wall
//!   time against ten waves.
//!
//! The handshake rows come from the handshake bench of the same `make bench` run, which
//! leaves its figures in `target/bench-handshake.json`. The table is printed and written to
//! docs/benchmarks.md (`BENCH_NO_WRITE=1` only prints it).
//!
//! For tuning, `BENCH_ONLY=plan`, `BENCH_ONLY=fleet` or `BENCH_ONLY=estimates` runs that one part and prints its
//! figures (no table, nothing written); `BENCH_VERBOSE=1` adds each plan's calls over time and
//! the fleet's calls per second by action; `BENCH_TF_LOG=<file>` keeps the plan's provider
//! log at TRACE (the batcher's decisions).

#[path = "../../tests/support/mod.rs"]
mod support;

#[path = "../../tests/e2e_support/mod.rs"]
mod e2e_support;

use chrono::{DateTime, Utc};
use e2e_support::{Cloud, Journal};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

const TRANSITION: Duration = Duration::from_secs(2);
const COOLDOWN: Duration = Duration::from_secs(10);
const THROTTLE_QPS: f64 = 20.0;
const FLEET: usize = 100;
const PLANNED: usize = 1000;
const CAP: usize = 10;

/// One row of the table.
struct Row {
    figure: String,
    value: String,
    goal: String,
    /// None: reported only.
    met: Option<bool>,
}

fn row(figure: &str, value: f64, goal: &str, met: Option<bool>) -> Row {
    Row {
        figure: figure.into(),
        value: format!("{value:.2}"),
        goal: goal.into(),
        met,
    }
}

/// A cloud for the bench: `extra` emulator flags, the provider's default polling.
fn cloud(extra: &[&str]) -> Cloud {
    let mut c = Cloud::start(TRANSITION, COOLDOWN, extra);
    // Default settings: no polling override (Cloud::start sets one for tests).
    c.dir.env("ECS_PROVIDER_POLL_MS", "");
    c.dir.timeout(Duration::from_secs(1800));
    c
}

fn since(journal: &Journal, t: DateTime<Utc>) -> Vec<&e2e_support::Request> {
    journal.requests.iter().filter(|r| r.time >= t).collect()
}

fn timed(cloud: &Cloud, args: &[&str]) -> (Duration, DateTime<Utc>) {
    let at = Utc::now();
    let start = Instant::now();
    cloud.dir.tf_ok(args);
    (start.elapsed(), at)
}

struct Single {
    downtime: Duration,
    wall: Duration,
}

/// One instance: create, then resize type + bandwidth.
fn single() -> Single {
    let c = cloud(&[]);
    let hcl = |t: &str, bw: u32| {
        e2e_support::instance_hcl("one", t, &format!("  internet_max_bandwidth_out = {bw}"))
    };
    c.config(&hcl("ecs.g6.large", 1));
    c.apply();
    c.config(&hcl("ecs.g6.xlarge", 5));
    let (wall, _) = timed(&c, &["apply", "-auto-approve", "-no-color"]);
    let id = e2e_support::id_of(&c, "ecs_instance.one");
    let downtime = *c.journal().downtimes(&id).last().expect("one outage");
    Single { downtime, wall }
}

struct PlanOf1000 {
    describe_calls: usize,
    ids_per_call: f64,
    wall: Duration,
    wall_no_refresh: Duration,
    provider_cpu_share: f64,
}

/// CPU seconds used by `terraform-provider-ecs` processes while `f` runs, sampled from /proc,
/// and by all children of this process (Terraform and the provider) in total.
fn cpu_of_provider<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    fn children_cpu() -> f64 {
        // SAFETY: getrusage writes into the struct we pass.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        tv(u.ru_utime) + tv(u.ru_stime)
    }
    let ticks = 100.0; // USER_HZ
    let done = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<BTreeMap<u32, f64>>> = Arc::default();
    let sampler = {
        let (done, seen) = (done.clone(), seen.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                        continue;
                    };
                    let comm =
                        std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                    if !comm.starts_with("terraform-provi") {
                        continue;
                    }
                    let stat =
                        std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
                    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
                    let f: Vec<&str> = after.split_whitespace().collect();
                    if f.len() > 13 {
                        let cpu = (f[11].parse::<f64>().unwrap_or(0.0)
                            + f[12].parse::<f64>().unwrap_or(0.0))
                            / ticks;
                        let mut s = seen.lock().unwrap();
                        let e = s.entry(pid).or_default();
                        *e = e.max(cpu);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let before = children_cpu();
    let out = f();
    let total = children_cpu() - before;
    done.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let provider: f64 = seen.lock().unwrap().values().sum();
    (out, provider, total)
}

/// 1000 instances in state and in the emulator, then `plan` with and without refresh.
fn plan_of_1000() -> PlanOf1000 {
    let mut c = cloud(&[]);
    let config = |n: usize| {
        format!(
            "{}\nvariable \"n\" {{\n  default = {n}\n}}\nresource \"ecs_instance\" \"n\" {{\n  count         = var.n\n  image_id      = \"{}\"\n  instance_type = \"ecs.g6.large\"\n{}}}\n",
            c.provider_block(),
            e2e_support::IMAGE,
            e2e_support::GROUP
        )
    };
    c.dir.write("main.tf", &config(1));
    c.apply();
    // The other 999: the same instance again in the emulator and in state.
    let first = c.instances().pop().expect("one instance");
    let fields: serde_json::Map<String, Value> = first
        .as_object()
        .expect("instance object")
        .iter()
        .filter(|(k, _)| {
            [
                "ImageId",
                "InstanceType",
                "ZoneId",
                "Status",
                "InstanceName",
                "Description",
                "InternetMaxBandwidthOut",
                "InternetMaxBandwidthIn",
                "InternetChargeType",
                "InstanceChargeType",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let state_path = c.dir.path().join("terraform.tfstate");
    let mut state: Value =
        serde_json::from_str(&std::fs::read_to_string(&state_path).expect("state")).expect("json");
    let template = state["resources"][0]["instances"][0].clone();
    let mut instances = vec![template.clone()];
    for i in 1..PLANNED {
        let id = format!("i-bench{i:016}");
        c.emu.post(
            &format!("/_emulator/instances/{id}"),
            &Value::Object(fields.clone()),
        );
        let mut inst = template.clone();
        inst["index_key"] = json!(i);
        inst["attributes"]["id"] = json!(id);
        instances.push(inst);
    }
    state["resources"][0]["instances"] = Value::Array(instances);
    state["serial"] = json!(state["serial"].as_u64().unwrap_or(1) + 1);
    std::fs::write(&state_path, state.to_string()).expect("write state");
    c.dir.write("main.tf", &config(PLANNED));
    // Steady state, as in a fleet that drifts nowhere: state holds what a read returns (the
    // copies differ from the template in addresses and times). Without this, the measured plan
    // also renders 1000 "changed outside of Terraform" notes, about 1 s of Terraform's time.
    c.dir.tf_ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-parallelism=100",
    ]);

    if let Ok(path) = std::env::var("BENCH_TF_LOG") {
        c.dir.env("TF_LOG_PROVIDER", "trace");
        c.dir.env("TF_LOG_PATH", &path);
    }
    let plan = |extra: &[&str]| {
        let mut args = vec![
            "plan",
            "-no-color",
            "-parallelism=100",
            "-detailed-exitcode",
        ];
        args.extend_from_slice(extra);
        let start = Instant::now();
        let run = c.dir.tf(&args);
        assert_ne!(
            run.code, 1,
            "the plan of 1000 failed\n{}\n{}",
            run.stdout, run.stderr
        );
        start.elapsed()
    };
    // Warm the file cache, then measure the two kinds alternately, three runs each, and keep
    // each kind's fastest (this machine's speed drifts by tens of percent within a minute).
    // Calls: the most any of the three refreshing runs made.
    plan(&["-refresh=false"]);
    let mut wall_no_refresh = Duration::MAX;
    let mut wall = Duration::MAX;
    let mut describe_calls = 0;
    let mut ids = 0;
    let mut cpu_share = 0.0;
    for _ in 0..3 {
        wall_no_refresh = wall_no_refresh.min(plan(&["-refresh=false"]));
        let before = c.journal().requests.len();
        let (w, provider, total) = cpu_of_provider(|| plan(&[]));
        let after = c.journal();
        let calls: Vec<_> = after.requests[before..]
            .iter()
            .filter(|r| r.action == "DescribeInstances")
            .collect();
        let ids_of = |r: &e2e_support::Request| {
            serde_json::from_str::<Vec<String>>(r.param("InstanceIds").unwrap_or("[]"))
                .map_or(0, |v| v.len())
        };
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            if let Some(first) = calls.first() {
                let line: Vec<String> = calls
                    .iter()
                    .map(|r| {
                        format!(
                            "+{} ms {}",
                            (r.time - first.time).num_milliseconds(),
                            ids_of(r)
                        )
                    })
                    .collect();
                eprintln!("  plan {w:?}: {}", line.join(", "));
            }
        }
        if calls.len() >= describe_calls {
            describe_calls = calls.len();
            ids = calls.iter().map(|r| ids_of(r)).sum::<usize>();
        }
        if w < wall {
            wall = w;
            cpu_share = if total > 0.0 { provider / total } else { 0.0 };
        }
    }
    PlanOf1000 {
        describe_calls,
        ids_per_call: ids as f64 / describe_calls.max(1) as f64,
        wall,
        wall_no_refresh,
        provider_cpu_share: cpu_share,
    }
}

struct FleetResize {
    calls_per_instance: f64,
    polls_per_instance: f64,
    busiest: (String, usize),
    /// The bandwidth changes' calls: ModifyInstanceNetworkSpec (a VPC instance's), and
    /// ModifyInstanceSpec's beyond one type change per instance (a classic instance's).
    bandwidth_calls: usize,
    wall: Duration,
    most_down: usize,
}

/// A fleet of 100 (the fleet example) created, then resized (type + bandwidth), with the
/// emulator throttling each action to 20 requests per second.
fn fleet(max_unavailable: Option<usize>) -> FleetResize {
    let qps = format!("{THROTTLE_QPS}");
    let c = cloud(&["--throttle-qps", &qps]);
    let root = support::project_root().join("examples/fleet");
    for file in ["main.tf", "modules/node/main.tf"] {
        let text = std::fs::read_to_string(root.join(file)).expect("fleet example");
        c.dir.write(file, &text);
    }
    c.dir.tf_ok(&["get", "-no-color"]);
    let size = format!("size={FLEET}");
    let cooldown = format!("modification_cooldown={}s", COOLDOWN.as_secs());
    let cap = max_unavailable.map(|n| format!("max_unavailable={n}"));
    let mut args = vec![
        "apply",
        "-auto-approve",
        "-no-color",
        "-parallelism=100",
        "-var",
        &size,
        "-var",
        &cooldown,
    ];
    if let Some(cap) = &cap {
        args.extend(["-var", cap]);
    }
    c.dir.tf_ok(&args);
    args.extend([
        "-var",
        "instance_type=ecs.g6.xlarge",
        "-var",
        "bandwidth_out=5",
    ]);
    let (wall, at) = timed(&c, &args);
    let journal = c.journal();
    let calls = since(&journal, at);
    let mut by_action: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &calls {
        *by_action.entry(r.action.as_str()).or_default() += 1;
    }
    let busiest = by_action
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(a, n)| (a.to_string(), *n))
        .unwrap_or_default();
    for inst in c.instances() {
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge", "{inst}");
        assert_eq!(inst["Status"], "Running", "{inst}");
    }
    journal.assert_rules(COOLDOWN);
    if std::env::var_os("BENCH_VERBOSE").is_some() {
        // Per second of the apply: calls by action (throttled ones in brackets).
        let mut seconds: BTreeMap<i64, BTreeMap<&str, (usize, usize)>> = BTreeMap::new();
        for r in &calls {
            let e = seconds
                .entry((r.time - at).num_seconds())
                .or_default()
                .entry(r.action.as_str())
                .or_default();
            e.0 += 1;
            if r.code.contains("Throttl") {
                e.1 += 1;
            }
        }
        for (s, actions) in seconds {
            let line: Vec<String> = actions
                .iter()
                .map(|(a, (n, t))| format!("{a} {n} [{t}]"))
                .collect();
            eprintln!("  {s:>3} s  {}", line.join(", "));
        }
    }
    eprintln!("fleet (max_unavailable {max_unavailable:?}): calls by action {by_action:?}");
    FleetResize {
        calls_per_instance: calls.len() as f64 / FLEET as f64,
        polls_per_instance: by_action.get("DescribeInstances").copied().unwrap_or(0) as f64
            / FLEET as f64,
        busiest,
        bandwidth_calls: by_action
            .get("ModifyInstanceNetworkSpec")
            .copied()
            .unwrap_or(0)
            + by_action
                .get("ModifyInstanceSpec")
                .copied()
                .unwrap_or(0)
                .saturating_sub(FLEET),
        wall,
        most_down: journal.most_taken_down_since(Some(at)),
    }
}

struct Accuracy {
    /// |estimate − journal| / journal of each resize after the instance was observed once.
    observed: Vec<f64>,
    /// The same for first resizes (creation seen, stops not yet): reported only.
    first: Vec<f64>,
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The plan-time downtime estimates against the journal: six instances of three families
/// (whose transitions the emulator spreads by family and at random, `--transition-spread 0.3`)
/// resized three times; before each apply, each instance's plan (`-target`, so its warning is
/// not folded into another's) announces its downtime, and the journal then measures it.
fn estimates() -> Accuracy {
    const FAMILIES: [&str; 3] = ["ecs.g6", "ecs.c6", "ecs.r6"];
    const ROUNDS: usize = 3;
    let seed = std::env::var("BENCH_SEED").unwrap_or_else(|_| "1".into());
    let c = cloud(&["--transition-spread", "0.3", "--transition-seed", &seed]);
    let names: Vec<String> = (0..6).map(|i| format!("n{i}")).collect();
    let hcl = |size: &str| {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| e2e_support::instance_hcl(n, &format!("{}.{size}", FAMILIES[i % 3]), ""))
            .collect::<String>()
    };
    c.config(&hcl("large"));
    c.dir
        .tf_ok(&["apply", "-auto-approve", "-no-color", "-parallelism=10"]);
    let ids: Vec<String> = names
        .iter()
        .map(|n| e2e_support::id_of(&c, &format!("ecs_instance.{n}")))
        .collect();
    let mut acc = Accuracy {
        observed: Vec::new(),
        first: Vec::new(),
    };
    for round in 0..ROUNDS {
        c.config(&hcl(if round % 2 == 0 { "xlarge" } else { "large" }));
        let announced: Vec<Duration> = names
            .iter()
            .map(|n| {
                let target = format!("-target=ecs_instance.{n}");
                let run = c.dir.tf(&["plan", "-no-color", &target]);
                let text = e2e_support::flat(&run);
                e2e_support::announced_downtime(&text)
                    .unwrap_or_else(|| panic!("no downtime announced for {n}: {text}"))
            })
            .collect();
        c.dir
            .tf_ok(&["apply", "-auto-approve", "-no-color", "-parallelism=10"]);
        let journal = c.journal();
        for (id, est) in ids.iter().zip(&announced) {
            let measured = *journal.downtimes(id).last().expect("an outage");
            let err = (est.as_secs_f64() - measured.as_secs_f64()).abs() / measured.as_secs_f64();
            if std::env::var_os("BENCH_VERBOSE").is_some() {
                eprintln!(
                    "round {round} {id}: announced {est:?}, journal {measured:?}, error {err:.3}"
                );
            }
            if round == 0 {
                acc.first.push(err);
            } else {
                acc.observed.push(err);
            }
        }
    }
    acc
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpu}, {cores} logical CPUs available, {mem_gib:.1} GiB RAM, Linux {}; load average at the end: {load}",
        kernel.trim()
    )
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "reported",
    }
}

fn main() {
    let started = Instant::now();
    // `BENCH_ONLY=plan`: the plan of 1000 alone, for tuning (no table, nothing written).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("plan") {
        let p = plan_of_1000();
        eprintln!(
            "plan of 1000: {} DescribeInstances ({:.0} ids a call), {:?} vs {:?} = {:.2}; provider CPU {:.0} %",
            p.describe_calls,
            p.ids_per_call,
            p.wall,
            p.wall_no_refresh,
            p.wall.as_secs_f64() / p.wall_no_refresh.as_secs_f64(),
            p.provider_cpu_share * 100.0
        );
        return;
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("estimates") {
        let a = estimates();
        eprintln!(
            "estimates: median error {:.3} once observed ({} resizes), {:.3} on first resizes ({})",
            median(&a.observed),
            a.observed.len(),
            median(&a.first),
            a.first.len()
        );
        return;
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("fleet") {
        let f = fleet(None);
        eprintln!(
            "fleet: {:.2} calls/instance, {:?}, busiest {:?}",
            f.calls_per_instance, f.wall, f.busiest
        );
        return;
    }
    let s = single();
    eprintln!("single: {:?} down, {:?} wall", s.downtime, s.wall);
    let p = plan_of_1000();
    eprintln!(
        "plan of 1000: {} DescribeInstances, {:?} vs {:?}",
        p.describe_calls, p.wall, p.wall_no_refresh
    );
    let f = fleet(None);
    eprintln!(
        "fleet: {:.2} calls/instance, {:?}",
        f.calls_per_instance, f.wall
    );
    let r = fleet(Some(CAP));
    eprintln!("rolling fleet: {} down at most, {:?}", r.most_down, r.wall);
    let a = estimates();
    eprintln!(
        "estimates: median error {:.3} once observed, {:.3} on first resizes",
        median(&a.observed),
        median(&a.first)
    );

    let secs = |d: Duration| d.as_secs_f64();
    let mut rows = Vec::new();
    match std::fs::read_to_string(support::project_root().join("target/bench-handshake.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    {
        Some(h) => {
            let t = h["time_ratio"].as_f64().unwrap_or(f64::NAN);
            let m = h["rss_ratio"].as_f64().unwrap_or(f64::NAN);
            let f = |k: &str| h[k].as_f64().unwrap_or(f64::NAN);
            rows.push(Row {
                figure: "handshake with AutoMTLS, ours / Go provider (median)".into(),
                value: format!("{t:.3} ({:.2} ms / {:.2} ms)", f("ours_ms"), f("go_ms")),
                goal: "≤ 0.1".into(),
                met: Some(t <= 0.1),
            });
            rows.push(Row {
                figure: "RSS after the handshake, ours / Go provider".into(),
                value: format!(
                    "{m:.3} ({:.1} MiB / {:.1} MiB; anonymous memory {:.1} MiB / {:.1} MiB)",
                    f("ours_rss_mib"),
                    f("go_rss_mib"),
                    f("ours_anon_mib"),
                    f("go_anon_mib")
                ),
                goal: "≤ 0.2".into(),
                met: Some(m <= 0.2),
            });
        }
        None => rows.push(Row {
            figure: "handshake and RSS vs the Go provider".into(),
            value: "not measured (run scripts/bench-handshake.sh first)".into(),
            goal: "≤ 0.1; ≤ 0.2".into(),
            met: Some(false),
        }),
    }
    let transitions = TRANSITION * 2;
    let down = secs(s.downtime) / secs(transitions);
    rows.push(row(
        "downtime of a type + bandwidth resize / (stop + start transitions), default settings, 2 s transitions",
        down,
        "≤ 1.10",
        Some(down <= 1.10),
    ));
    let wall = secs(s.wall) / secs(COOLDOWN + transitions);
    rows.push(row(
        &format!(
            "total wall of that resize / (cooldown + transitions), cooldown {} s",
            COOLDOWN.as_secs()
        ),
        wall,
        "≤ 1.10",
        Some(wall <= 1.10),
    ));
    rows.push(Row {
        figure: "`plan` of 1000 instances, `-parallelism=100`: DescribeInstances calls".into(),
        value: format!("{} ({:.0} ids a call)", p.describe_calls, p.ids_per_call),
        goal: "≤ 20".into(),
        met: Some(p.describe_calls <= 20),
    });
    let plan_ratio = secs(p.wall) / secs(p.wall_no_refresh);
    rows.push(Row {
        figure: "same, wall / `plan -refresh=false` wall".into(),
        value: format!(
            "{plan_ratio:.2} ({:.1} s / {:.1} s)",
            secs(p.wall),
            secs(p.wall_no_refresh)
        ),
        goal: "≤ 1.2".into(),
        met: Some(plan_ratio <= 1.2),
    });
    rows.push(Row {
        figure: "same, the provider's share of the plan's CPU time (Terraform + provider)".into(),
        value: format!("{:.0} %", p.provider_cpu_share * 100.0),
        goal: "report".into(),
        met: None,
    });
    rows.push(Row {
        figure: format!(
            "fleet of {FLEET} resized (type + bandwidth), `-parallelism=100`, emulator `--throttle-qps 20` (per action): API calls per instance, reads included"
        ),
        value: format!(
            "{:.2} (of which {:.2} DescribeInstances)",
            f.calls_per_instance, f.polls_per_instance
        ),
        goal: "≤ 5".into(),
        met: Some(f.calls_per_instance <= 5.0),
    });
    let limit = secs(s.wall).max(f.busiest.1 as f64 / THROTTLE_QPS);
    let fleet_ratio = secs(f.wall) / limit;
    // Each instance's type and bandwidth calls are a cooldown apart, type first: the
    // bandwidth calls cannot begin before one instance's wall, and then take their own
    // time at 20 QPS, which the throttle's limit does not add to that wall.
    let floor = secs(s.wall) + f.bandwidth_calls as f64 / THROTTLE_QPS;
    rows.push(Row {
        figure: "same: wall / max(one instance's wall, the busiest action's calls ÷ 20 QPS)".into(),
        value: format!(
            "{fleet_ratio:.2} ({:.1} s / max({:.1} s, {} {} ÷ 20); with type changes first, \
             the bandwidth calls cannot end before {floor:.1} s = {:.2})",
            secs(f.wall),
            secs(s.wall),
            f.busiest.1,
            f.busiest.0,
            floor / limit
        ),
        goal: "≤ 1.3".into(),
        met: Some(fleet_ratio <= 1.3),
    });
    rows.push(Row {
        figure: format!(
            "same with `max_unavailable = {CAP}`: most instances down at once (from the journal)"
        ),
        value: format!("{}", r.most_down),
        goal: format!("= {CAP}"),
        met: Some(r.most_down == CAP),
    });
    let waves = secs(r.wall) / (CAP as f64 * secs(s.downtime) + secs(COOLDOWN));
    rows.push(Row {
        figure: format!("same: wall / ({CAP} waves × one instance's downtime + cooldown)"),
        value: format!(
            "{waves:.2} ({:.1} s / ({CAP} × {:.1} s + {} s))",
            secs(r.wall),
            secs(s.downtime),
            COOLDOWN.as_secs()
        ),
        goal: "≤ 1.2".into(),
        met: Some(waves <= 1.2),
    });

    let once = median(&a.observed);
    rows.push(Row {
        figure: format!(
            "plan's downtime estimate vs the journal, median |error|, once the instance was observed ({} resizes; transitions spread ±30 % and by family)",
            a.observed.len()
        ),
        value: format!("{once:.3}"),
        goal: "≤ 0.20".into(),
        met: Some(once <= 0.20),
    });
    rows.push(Row {
        figure: format!(
            "same, first resizes (stop assumed, start from the creation; {} resizes)",
            a.first.len()
        ),
        value: format!("{:.3}", median(&a.first)),
        goal: "report".into(),
        met: None,
    });
    let mut table = String::from("| figure | measured | goal | |\n|---|---|---|---|\n");
    for r in &rows {
        table += &format!(
            "| {} | {} | {} | {} |\n",
            r.figure,
            r.value,
            r.goal,
            verdict(r.met)
        );
    }
    let missed = rows.iter().filter(|r| r.met == Some(false)).count();
    println!("\n{table}");
    println!(
        "{} of {} goals met; measured in {:.0} s",
        rows.iter().filter(|r| r.met == Some(true)).count(),
        rows.iter().filter(|r| r.met.is_some()).count(),
        started.elapsed().as_secs_f64()
    );
    if std::env::var_os("BENCH_NO_WRITE").is_none() {
        let doc = format!(
            "# Benchmarks\n\n\
             Written by `make bench` (benches/fleet/main.rs, after benches/handshake/main.rs), \
             measured side by side in one run on {}. Do not edit by hand: run `make bench` again.\n\n\
             Machine: {}.\n\n\
             Settings: Terraform 1.0.3 and the release build of the provider against `ecs-emulator`; \
             the provider's default polling and rate limit; stop and start transitions of {} s; \
             the modification cooldown scaled down to {} s in both the emulator and the provider \
             (the default is 5 minutes). A missed goal is printed as MISSED.\n\n{table}",
            Utc::now().format("%Y-%m-%d %H:%M UTC"),
            machine(),
            TRANSITION.as_secs(),
            COOLDOWN.as_secs(),
        );
        let path = support::project_root().join("docs/benchmarks.md");
        std::fs::write(&path, doc).expect("write docs/benchmarks.md");
        println!("written to {}", Path::new("docs/benchmarks.md").display());
    }
    if missed > 0 {
        std::process::exit(1);
    }
}
