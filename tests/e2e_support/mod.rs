//! What the end-to-end tests of `ecs_instance` share, on top of `tests/support`: a "cloud"
//! (an emulator with scaled-down time plus a Terraform directory whose provider talks to it),
//! and the emulator's journal with the checks every test runs on it.
//!
//! The rules checked on every journal are the seed's (ModifyInstanceSpec.md): one
//! modification per call, the type changed only while Stopped, and no modification inside
//! the cooldown unless it was refused and retried after it.
#![allow(dead_code)] // each e2e binary uses a different part

use crate::support::{Emulator, TfDir, TfRun};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::time::Duration;

pub const ACCESS_KEY: &str = "emulator-access-key";
pub const SECRET_KEY: &str = "emulator-secret";
pub const REGION: &str = "cn-hangzhou";
pub const IMAGE: &str = "aliyun_3_x64_20G_alibase_20240819.vhd";

/// The `terraform` block every test configuration starts with.
pub const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    ecs = {
      source = "local/ecs"
    }
  }
}
"#;

/// An emulator and a Terraform directory pointed at it.
pub struct Cloud {
    pub emu: Emulator,
    pub dir: TfDir,
    pub transition: Duration,
    pub cooldown: Duration,
    /// Extra lines for the provider block (e.g. `max_retries = 15`).
    pub provider_args: String,
}

/// Transitions and cooldown of a quick cloud.
const QUICK: (Duration, Duration) = (Duration::from_millis(300), Duration::from_secs(1));

fn ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

impl Cloud {
    /// Starts an emulator with `transition` and `cooldown` (plus `extra` flags) and a
    /// Terraform directory whose provider uses the same cooldown.
    pub fn start(transition: Duration, cooldown: Duration, extra: &[&str]) -> Cloud {
        let (t, c) = (ms(transition), ms(cooldown));
        let mut args = vec!["--transition", &t, "--cooldown", &c];
        args.extend_from_slice(extra);
        let emu = Emulator::start(&args);
        let mut dir = TfDir::new(&[]);
        dir.env("ALICLOUD_ACCESS_KEY", ACCESS_KEY)
            .env("ALICLOUD_SECRET_KEY", SECRET_KEY)
            .env("ALICLOUD_REGION", REGION)
            .env("ALIBABA_CLOUD_ENDPOINT_ECS", &emu.url)
            .env("ECS_PROVIDER_POLL_MS", "20");
        Cloud {
            emu,
            dir,
            transition,
            cooldown,
            provider_args: String::new(),
        }
    }

    /// A quick cloud whose emulator fails `fail` of mutating calls with a 500
    /// before applying them and loses the answer to `drop` of those it applies.
    /// A call without a ClientToken (StopInstance, TagResources) can meet either
    /// fault on every attempt: at 0.25/0.25 an attempt fails 44 % of the time, so
    /// the default 5 retries give up on about one call in 140, and a test making
    /// dozens of such calls would fail now and then although every layer works.
    /// 15 retries make that about one call in 500 000.
    pub fn flaky(fail: f64, drop: f64) -> Cloud {
        let (f, d) = (fail.to_string(), drop.to_string());
        let (transition, cooldown) = QUICK;
        let mut cloud = Cloud::start(
            transition,
            cooldown,
            &["--fail-rate", &f, "--drop-rate", &d],
        );
        cloud.provider_args = "  max_retries = 15\n".into();
        cloud
    }

    /// A quick cloud: 300 ms transitions, 1 s cooldown.
    pub fn quick() -> Cloud {
        Cloud::start(QUICK.0, QUICK.1, &[])
    }

    /// The provider block for this cloud.
    /// A quick cloud with one `ecs_instance.web` (ecs.g6.large) applied;
    /// returns the cloud and the instance id.
    pub fn with_web_instance() -> (Cloud, String) {
        let cloud = Cloud::quick();
        cloud.config(&instance_hcl("web", "ecs.g6.large", ""));
        cloud.apply();
        let id = id_of(&cloud, "ecs_instance.web");
        (cloud, id)
    }

    pub fn provider_block(&self) -> String {
        format!(
            "{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{\n  modification_cooldown = \"{}\"\n{}}}\n",
            ms(self.cooldown),
            self.provider_args
        )
    }

    /// Writes main.tf: the provider block plus `resources`.
    pub fn config(&self, resources: &str) {
        self.dir.write(
            "main.tf",
            &format!("{}\n{resources}", self.provider_block()),
        );
    }

    pub fn apply(&self) -> TfRun {
        self.dir.tf_ok(&["apply", "-auto-approve", "-no-color"])
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes.
    pub fn plan(&self) -> TfRun {
        self.dir.tf(&["plan", "-detailed-exitcode", "-no-color"])
    }

    /// Panics unless a plan shows no changes (run after every apply).
    pub fn assert_converged(&self) {
        let run = self.plan();
        assert_eq!(
            run.code, 0,
            "a plan after apply must be empty\n--- stdout ---\n{}\n--- stderr ---\n{}",
            run.stdout, run.stderr
        );
    }

    /// One attribute of a resource in state, e.g. `("ecs_instance.web", "status")`.
    pub fn state_attr(&self, address: &str, name: &str) -> Value {
        let state = self.dir.show_json();
        let mut found = None;
        visit_resources(&state["values"]["root_module"], &mut |r| {
            if r["address"] == address {
                found = Some(r["values"][name].clone());
            }
        });
        found.unwrap_or_else(|| panic!("{address} not in state: {state:#}"))
    }

    /// Every resource address in state.
    pub fn state_addresses(&self) -> Vec<String> {
        let state = self.dir.show_json();
        let mut out = Vec::new();
        visit_resources(&state["values"]["root_module"], &mut |r| {
            out.push(r["address"].as_str().unwrap_or_default().to_string());
        });
        out
    }

    /// The emulator's instances (API shape).
    pub fn instances(&self) -> Vec<Value> {
        self.emu
            .get("/_emulator/instances")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn instance(&self, id: &str) -> Value {
        self.instances()
            .into_iter()
            .find(|i| i["InstanceId"] == id)
            .unwrap_or_else(|| panic!("no instance {id} in the emulator"))
    }

    /// Changes an instance behind Terraform's back.
    pub fn drift(&self, id: &str, fields: Value) {
        self.emu
            .post(&format!("/_emulator/instances/{id}"), &fields);
    }

    pub fn journal(&self) -> Journal {
        Journal::parse(&self.emu.get("/_emulator/journal"))
    }

    /// What the guest OS of `id` uses and what waits for an API restart (host name,
    /// password hash, key pair): `{"Effective": {...}, "Configured": {...},
    /// "PendingRestart": bool}` (docs/design/emulator.md, "Admin API").
    pub fn guest(&self, id: &str) -> Value {
        self.emu.get(&format!("/_emulator/instances/{id}/guest"))
    }

    /// The hash the emulator keeps of `password` on instance `id`, as `guest` shows it.
    pub fn password_hash(id: &str, password: &str) -> String {
        terraform_provider_ecs::ecs::sign::sha256_hex(format!("{id}:{password}").as_bytes())
    }

    /// Checks the seed's rules on the whole journal so far.
    pub fn assert_rules_kept(&self) {
        self.journal().assert_rules(self.cooldown);
    }
}

fn visit_resources(module: &Value, f: &mut dyn FnMut(&Value)) {
    for r in module["resources"].as_array().into_iter().flatten() {
        f(r);
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        visit_resources(child, f);
    }
}

/// The security group every instance of the tests names (ECS requires one at creation).
pub const GROUP: &str = "  security_group_ids = [\"sg-emulator-test\"]\n";

/// A resource block for one instance: `name`, then extra HCL lines.
pub fn instance_hcl(name: &str, instance_type: &str, extra: &str) -> String {
    format!(
        "resource \"ecs_instance\" \"{name}\" {{\n  image_id      = \"{IMAGE}\"\n  instance_type = \"{instance_type}\"\n{GROUP}{extra}\n}}\n"
    )
}

/// One API request as the emulator journaled it.
#[derive(Clone, Debug)]
pub struct Request {
    pub time: DateTime<Utc>,
    pub action: String,
    pub params: Value,
    pub code: String,
    pub instance_id: String,
    /// Applied, but the emulator closed the connection without answering.
    pub dropped: bool,
}

impl Request {
    pub fn ok(&self) -> bool {
        self.code == "OK"
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params[name].as_str()
    }

    pub fn is_modification(&self) -> bool {
        matches!(
            self.action.as_str(),
            "ModifyInstanceSpec" | "ModifyInstanceNetworkSpec" | "ModifyPrepayInstanceSpec"
        )
    }

    /// `Action(param=value,…)` with only the parameters that say what changed.
    pub fn describe(&self) -> String {
        let shown: Vec<String> = [
            "InstanceType",
            "InternetMaxBandwidthOut",
            "InternetMaxBandwidthIn",
        ]
        .iter()
        .filter_map(|k| self.param(k).map(|v| format!("{k}={v}")))
        .collect();
        if shown.is_empty() {
            self.action.clone()
        } else {
            format!("{}({})", self.action, shown.join(","))
        }
    }
}

/// One status change of an instance.
#[derive(Clone, Debug)]
pub struct StatusChange {
    pub time: DateTime<Utc>,
    pub instance_id: String,
    pub from: Option<String>,
    pub to: String,
}

#[derive(Clone, Debug)]
pub struct Journal {
    pub requests: Vec<Request>,
    pub changes: Vec<StatusChange>,
}

fn time(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_default();
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("journal time {s:?}: {e}"))
        .with_timezone(&Utc)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

impl Journal {
    pub fn parse(v: &Value) -> Journal {
        let requests = v["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| Request {
                time: time(&r["time"]),
                action: text(&r["action"]),
                params: r["params"].clone(),
                code: text(&r["code"]),
                instance_id: text(&r["instance_id"]),
                dropped: r["dropped"].as_bool().unwrap_or(false),
            })
            .collect();
        let changes = v["status_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| StatusChange {
                time: time(&c["time"]),
                instance_id: text(&c["instance_id"]),
                from: c["from"].as_str().map(String::from),
                to: text(&c["to"]),
            })
            .collect();
        Journal { requests, changes }
    }

    /// Successful state-changing calls on `id`, described, in order (reads, refused
    /// attempts and the stop marker's TagResources/UntagResources left out): what the
    /// provider did to the instance.
    pub fn mutations(&self, id: &str) -> Vec<String> {
        self.requests
            .iter()
            .filter(|r| r.ok() && r.instance_id == id && !r.action.starts_with("Describe"))
            .filter(|r| !r.action.ends_with("agResources"))
            .map(Request::describe)
            .collect()
    }

    /// Requests of `action`, any instance, any outcome.
    pub fn count(&self, action: &str) -> usize {
        self.requests.iter().filter(|r| r.action == action).count()
    }

    /// The instance's status just before `t` (None before it existed).
    pub fn status_at(&self, id: &str, t: DateTime<Utc>) -> Option<String> {
        self.changes
            .iter()
            .rfind(|c| c.instance_id == id && c.time <= t)
            .map(|c| c.to.clone())
    }

    /// Whether `id` may have been Stopped when a request arrived at `t`. Times have
    /// millisecond precision, so a status change stamped with the very millisecond of the
    /// request may have come just before or just after it: both sides count.
    pub fn could_be_stopped_at(&self, id: &str, t: DateTime<Utc>) -> bool {
        let mine = || self.changes.iter().filter(|c| c.instance_id == id);
        let before = mine().rfind(|c| c.time < t).map(|c| c.to.as_str());
        let same_ms = mine()
            .filter(|c| c.time == t)
            .flat_map(|c| [c.from.as_deref(), Some(c.to.as_str())]);
        std::iter::once(before)
            .chain(same_ms)
            .any(|s| s == Some("Stopped"))
    }

    /// Each outage of `id`: from leaving Running to being Running again.
    pub fn downtimes(&self, id: &str) -> Vec<Duration> {
        let mut out = Vec::new();
        let mut down_since = None;
        for c in self.changes.iter().filter(|c| c.instance_id == id) {
            if c.from.as_deref() == Some("Running") {
                down_since = Some(c.time);
            } else if c.to == "Running" {
                if let Some(since) = down_since.take() {
                    out.push((c.time - since).to_std().unwrap_or_default());
                }
            }
        }
        out
    }

    /// The window(s) during which `id` was not Running after having run.
    fn down_windows(&self, id: &str) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut out = Vec::new();
        let mut since = None;
        for c in self.changes.iter().filter(|c| c.instance_id == id) {
            if c.from.as_deref() == Some("Running") {
                since = Some(c.time);
            } else if c.to == "Running" {
                if let Some(s) = since.take() {
                    out.push((s, c.time));
                }
            }
        }
        out
    }

    /// Successful modifications of `id` that happened while it was down.
    pub fn modifications_while_down(&self, id: &str) -> Vec<&Request> {
        let windows = self.down_windows(id);
        self.requests
            .iter()
            .filter(|r| r.ok() && r.is_modification() && r.instance_id == id)
            .filter(|r| windows.iter().any(|(a, b)| *a <= r.time && r.time <= *b))
            .collect()
    }

    /// The seed's rules, over every modification call in the journal.
    ///
    /// # Panics
    /// Naming the first call that broke one: two modifications in one call, a type change
    /// while not Stopped, a successful modification inside the cooldown, or a modification
    /// refused for the cooldown that was never retried successfully afterwards.
    pub fn assert_rules(&self, cooldown: Duration) {
        let cooldown = chrono::Duration::from_std(cooldown).expect("cooldown fits");
        for (i, r) in self.requests.iter().enumerate() {
            if !r.is_modification() {
                continue;
            }
            let has_type = r.param("InstanceType").is_some();
            let has_bandwidth = r.param("InternetMaxBandwidthOut").is_some()
                || r.param("InternetMaxBandwidthIn").is_some();
            assert!(
                !(has_type && has_bandwidth),
                "two modifications in one call: {}",
                r.describe()
            );
            if r.action == "ModifyPrepayInstanceSpec" {
                // No DryRun there: ECS ignores it and makes the change.
                assert!(
                    r.param("DryRun").is_none(),
                    "ModifyPrepayInstanceSpec probed with DryRun (ECS ignores it and makes the change): {}",
                    r.describe()
                );
            }
            let subscription_upgrade = r.action == "ModifyPrepayInstanceSpec"
                && r.param("OperatorType")
                    .is_none_or(|o| o.eq_ignore_ascii_case("upgrade"));
            if subscription_upgrade {
                // Sent while Running or Stopped; in effect at the next start or restart. (A
                // change in the same millisecond may come either side of it: the status just
                // before, or any of that millisecond's, must be one of the two.)
                let mine = || {
                    self.changes
                        .iter()
                        .filter(|c| c.instance_id == r.instance_id)
                };
                let before = mine().rfind(|c| c.time < r.time).map(|c| c.to.as_str());
                let same_ms = mine()
                    .filter(|c| c.time == r.time)
                    .flat_map(|c| [c.from.as_deref(), Some(c.to.as_str())]);
                assert!(
                    std::iter::once(before)
                        .chain(same_ms)
                        .any(|s| matches!(s, Some("Running" | "Stopped"))),
                    "subscription upgrade of {} while it was {:?}: {}",
                    r.instance_id,
                    self.status_at(&r.instance_id, r.time),
                    r.describe()
                );
            } else if has_type {
                assert!(
                    self.could_be_stopped_at(&r.instance_id, r.time),
                    "type change of {} while it was {:?}: {}",
                    r.instance_id,
                    self.status_at(&r.instance_id, r.time),
                    r.describe()
                );
            }
            let replay = r.ok()
                && r.param("ClientToken").is_some_and(|token| {
                    self.requests[..i]
                        .iter()
                        .any(|p| p.ok() && p.param("ClientToken") == Some(token))
                });
            if replay {
                // The same ClientToken again after a lost answer: the API answers the first
                // call's result and changes nothing, so this is no new modification.
                continue;
            }
            if r.ok() {
                let previous = self.requests[..i]
                    .iter()
                    .rfind(|p| p.ok() && p.is_modification() && p.instance_id == r.instance_id);
                if let Some(p) = previous {
                    assert!(
                        r.time - p.time >= cooldown,
                        "{} of {} only {} ms after {}",
                        r.describe(),
                        r.instance_id,
                        (r.time - p.time).num_milliseconds(),
                        p.describe()
                    );
                }
            } else if r.code == "InvalidStatus.ValueNotSupported" {
                let retried = self.requests[i + 1..].iter().any(|later| {
                    later.ok()
                        && later.action == r.action
                        && later.instance_id == r.instance_id
                        && later.param("InstanceType") == r.param("InstanceType")
                        && later.param("InternetMaxBandwidthOut")
                            == r.param("InternetMaxBandwidthOut")
                        && later.param("InternetMaxBandwidthIn")
                            == r.param("InternetMaxBandwidthIn")
                });
                assert!(
                    retried,
                    "{} of {} was refused inside the cooldown and never retried after it",
                    r.describe(),
                    r.instance_id
                );
            }
        }
        self.assert_in_place_rules();
    }

    /// Whether every status `id` may have had when a request arrived at `t` is one of
    /// `statuses` (a change in the same millisecond may come either side of it).
    fn surely_in(&self, id: &str, t: DateTime<Utc>, statuses: &[&str]) -> bool {
        let mine = || self.changes.iter().filter(|c| c.instance_id == id);
        let before = mine().rfind(|c| c.time < t).map(|c| c.to.as_str());
        let same_ms: Vec<Option<&str>> = mine()
            .filter(|c| c.time == t)
            .flat_map(|c| [c.from.as_deref(), Some(c.to.as_str())])
            .collect();
        std::iter::once(before)
            .chain(same_ms)
            .all(|s| s.is_some_and(|s| statuses.contains(&s)))
    }

    /// The rules of the in-place calls beyond ModifyInstanceSpec, over every such request,
    /// answered or refused (sending one out of turn is the provider's mistake either way):
    /// ModifyInstanceVpcAttribute and ReplaceSystemDisk only while Stopped; at most one
    /// successful ModifyInstanceVpcAttribute per stop window (the instance starts in
    /// between); ModifyInstanceAttribute never with HostName while Pending or Starting, nor
    /// with Password while Starting; RebootInstance only while Running.
    ///
    /// # Panics
    /// Naming the first call that broke one.
    pub fn assert_in_place_rules(&self) {
        for (i, r) in self.requests.iter().enumerate() {
            let id = r.instance_id.as_str();
            let what = || {
                format!(
                    "{} of {id} while it was {:?}",
                    r.action,
                    self.status_at(id, r.time)
                )
            };
            match r.action.as_str() {
                "ModifyInstanceVpcAttribute" | "ReplaceSystemDisk" => {
                    assert!(self.could_be_stopped_at(id, r.time), "{}", what());
                }
                "ModifyInstanceAttribute" => {
                    if r.param("HostName").is_some() {
                        assert!(
                            !self.surely_in(id, r.time, &["Pending", "Starting"]),
                            "HostName in {}",
                            what()
                        );
                    }
                    if r.param("Password").is_some() {
                        assert!(
                            !self.surely_in(id, r.time, &["Starting"]),
                            "Password in {}",
                            what()
                        );
                    }
                }
                "RebootInstance" => {
                    assert!(
                        !self.surely_in(
                            id,
                            r.time,
                            &["Pending", "Starting", "Stopping", "Stopped"]
                        ),
                        "{}",
                        what()
                    );
                }
                _ => {}
            }
            if r.action == "ModifyInstanceVpcAttribute" && r.ok() {
                let previous = self.requests[..i].iter().rfind(|p| {
                    p.ok() && p.action == "ModifyInstanceVpcAttribute" && p.instance_id == id
                });
                if let Some(p) = previous {
                    let started_between = self.changes.iter().any(|c| {
                        c.instance_id == id
                            && c.to == "Starting"
                            && p.time <= c.time
                            && c.time <= r.time
                    });
                    assert!(
                        started_between,
                        "two ModifyInstanceVpcAttribute calls of {id} in one stop window ({} and {})",
                        p.time,
                        r.time
                    );
                }
            }
        }
    }
}

/// The id of a resource after apply.
pub fn id_of(cloud: &Cloud, address: &str) -> String {
    cloud
        .state_attr(address, "id")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// An instance seeded straight into the emulator (for import tests).
pub fn seed_instance(cloud: &Cloud, id: &str, fields: Value) {
    // In the tests' security group, as instances created through `instance_hcl` are.
    let mut body = json!({"ImageId": IMAGE, "InstanceType": "ecs.g6.large", "Status": "Running",
                          "SecurityGroupIds": {"SecurityGroupId": ["sg-emulator-test"]}});
    if let (Some(b), Some(f)) = (body.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            b.insert(k.clone(), v.clone());
        }
    }
    cloud.emu.post(&format!("/_emulator/instances/{id}"), &body);
}

/// The downtime a plan's stop warning announces in its summary
/// ("Instance Will Be Stopped: down ≈ 1.3 s"), read from Terraform's output made flat
/// ([`flat`]): the first such warning's; None when there is none.
pub fn announced_downtime(text: &str) -> Option<Duration> {
    const LEAD: &str = "Instance Will Be Stopped: down ≈ ";
    let at = text.find(LEAD)? + LEAD.len();
    let words: Vec<&str> = text[at..].split_whitespace().take(4).collect();
    let n: f64 = words.first()?.parse().ok()?;
    let unit = words.get(1)?.trim_end_matches(',');
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "min" => n * 60.0 + words.get(2)?.parse::<f64>().ok()?,
        "h" => n * 3600.0 + words.get(2)?.parse::<f64>().ok()? * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

/// Terraform's stdout and stderr together, with every run of whitespace made one space:
/// Terraform wraps diagnostic text at 78 columns.
pub fn flat(run: &TfRun) -> String {
    format!("{}\n{}", run.stdout, run.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Terraform command running in the background, in its own process group (like a
/// terminal's foreground job: Terraform 1.0 is a wrapper process plus the real one, plus the
/// provider), so a signal reaches all of them as Ctrl-C or `kill -9 -PGID` would.
pub struct Background {
    child: std::process::Child,
    pgid: i32,
}

impl Background {
    /// Sends `signal` (e.g. `libc::SIGINT`, `libc::SIGKILL`) to the whole process group.
    pub fn signal(&self, signal: i32) {
        // SAFETY: signals the process group of our own child.
        let rc = unsafe { libc::kill(-self.pgid, signal) };
        assert_eq!(rc, 0, "kill(-{}, {signal})", self.pgid);
    }

    /// Waits for Terraform to end; its output.
    pub fn wait(self) -> TfRun {
        let out = self.child.wait_with_output().expect("terraform exits");
        TfRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Cloud {
    /// Starts `terraform ARGS` in the background ([`Background`]).
    pub fn spawn(&self, args: &[&str]) -> Background {
        use std::os::unix::process::CommandExt;
        let mut cmd = self.dir.command(args);
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0);
        let child = cmd.spawn().expect("start terraform");
        let pgid = i32::try_from(child.id()).expect("pid fits");
        Background { child, pgid }
    }

    /// Adds an emulator test hook (docs/design/emulator.md, "Test hooks").
    pub fn hook(&self, spec: Value) {
        self.emu.post("/_emulator/hooks", &spec);
    }

    /// How many times the emulator's hooks fired so far.
    pub fn hooks_fired(&self) -> usize {
        self.emu.get("/_emulator/hooks")["Fired"]
            .as_array()
            .map_or(0, Vec::len)
    }

    /// Waits (polling) until `cond` holds, at most `limit`; panics naming `what` otherwise.
    pub fn wait_for(&self, what: &str, limit: Duration, mut cond: impl FnMut(&Cloud) -> bool) {
        let end = std::time::Instant::now() + limit;
        while !cond(self) {
            assert!(
                std::time::Instant::now() < end,
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Journal {
    /// The most instances taken down after `since` (None: ever) that were down at one
    /// instant; instances already down at `since` are not counted.
    pub fn most_taken_down_since(&self, since: Option<DateTime<Utc>>) -> usize {
        let mut down = std::collections::BTreeSet::new();
        let mut most = 0;
        for c in self
            .changes
            .iter()
            .filter(|c| since.is_none_or(|t| c.time > t))
        {
            if c.to == "Running" {
                down.remove(&c.instance_id);
            } else if c.from.as_deref() == Some("Running") {
                down.insert(c.instance_id.clone());
            }
            most = most.max(down.len());
        }
        most
    }

    /// Successful, first-time (not a ClientToken replay) modifications of `id` carrying
    /// `param`: how many times that change was really applied.
    pub fn applied(&self, id: &str, param: &str) -> usize {
        self.requests
            .iter()
            .enumerate()
            .filter(|(_, r)| r.ok() && r.is_modification() && r.instance_id == id)
            .filter(|(_, r)| r.param(param).is_some())
            .filter(|(i, r)| {
                let token = r.param("ClientToken");
                !self.requests[..*i]
                    .iter()
                    .any(|p| p.ok() && token.is_some() && p.param("ClientToken") == token)
            })
            .count()
    }

    /// The instance's status strictly before `t`.
    fn status_before(&self, id: &str, t: DateTime<Utc>) -> Option<String> {
        self.changes
            .iter()
            .rfind(|c| c.instance_id == id && c.time < t)
            .map(|c| c.to.clone())
    }

    /// StopInstance/StartInstance carry no ClientToken, so sending one to an instance that is
    /// already on its way is a call sent twice.
    ///
    /// # Panics
    /// Naming a StopInstance sent to an instance already Stopping or Stopped, or a
    /// StartInstance sent to one already Starting or Running.
    pub fn assert_no_power_call_sent_twice(&self) {
        for r in &self.requests {
            let already: &[&str] = match r.action.as_str() {
                "StopInstance" => &["Stopping", "Stopped"],
                "StartInstance" => &["Starting", "Running"],
                _ => continue,
            };
            let id = r.param("InstanceId").unwrap_or_default();
            let before = self.status_before(id, r.time);
            assert!(
                !before.as_deref().is_some_and(|s| already.contains(&s)),
                "{} sent to {id} while it was already {:?} (at {})",
                r.action,
                before,
                r.time
            );
        }
    }
}
