//! End to end, real Terraform against the emulator's STS, metadata service and
//! credentials URI: every link of the default credential chain, every mode of an
//! aliyun CLI profile, every credential form of the provider block, the errors
//! at plan (with no ECS call), renewal through a resize that outlives three
//! credential lifetimes (with the OIDC token file rotated meanwhile), and a
//! renewal failure mid-resize that converges on the next apply. Every run logs
//! at TRACE; no secret, security token or OIDC token may appear in the log.

mod e2e_support;
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use e2e_support::{flat, instance_hcl, Cloud, ACCESS_KEY, REQUIRED_PROVIDERS, SECRET_KEY};
use serde_json::{json, Value};
use support::{Emulator, TfRun};

const ROLE: &str = "acs:ram::1000000000000000:role/terraform";
const OTHER_ROLE: &str = "acs:ram::1000000000000000:role/not-trusted";
const OIDC_PROVIDER: &str = "acs:ram::1000000000000000:oidc-provider/ci";
const ECS_ROLE: &str = "ecs-runner";
const STS_ACTIONS: [&str; 2] = ["AssumeRole", "AssumeRoleWithOIDC"];

/// Every variable a case may set, cleared before each case.
const VARS: &[&str] = &[
    "ALICLOUD_ACCESS_KEY",
    "ALICLOUD_SECRET_KEY",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "ALIBABA_CLOUD_ROLE_ARN",
    "ALIBABA_CLOUD_ROLE_SESSION_NAME",
    "ALIBABA_CLOUD_CONFIG_FILE",
    "ALIBABA_CLOUD_PROFILE",
    "ALIBABA_CLOUD_CREDENTIALS_FILE",
    "ALIBABA_CLOUD_ECS_METADATA",
    "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
    "ALIBABA_CLOUD_CREDENTIALS_URI",
    "ALIBABA_CLOUD_ENDPOINT_STS",
];

/// A cloud whose Terraform has no credentials yet, a private HOME, TRACE logs,
/// and the emulator as its STS endpoint and metadata service.
struct Setup {
    cloud: Cloud,
    home: tempfile::TempDir,
    /// Secrets the tests wrote (profiles, OIDC tokens): none may reach a log.
    planted: Vec<String>,
    logs: Vec<PathBuf>,
}

impl Setup {
    fn new(transition: Duration, extra: &[&str]) -> Setup {
        let mut args = vec!["--ecs-role", ECS_ROLE];
        args.extend_from_slice(extra);
        let cloud = Cloud::start(transition, Duration::from_secs(1), &args);
        let home = tempfile::tempdir().expect("temp HOME");
        let mut s = Setup {
            cloud,
            home,
            planted: vec![SECRET_KEY.to_string()],
            logs: Vec::new(),
        };
        s.clear();
        s
    }

    fn quick() -> Setup {
        Setup::new(Duration::from_millis(300), &[])
    }

    fn url(&self) -> String {
        self.cloud.emu.url.clone()
    }

    /// Unsets every credential variable; the STS endpoint and metadata service
    /// are the emulator's.
    fn clear(&mut self) {
        let url = self.url();
        let home = self.home.path().display().to_string();
        let dir = &mut self.cloud.dir;
        for v in VARS {
            dir.env(v, "");
        }
        dir.env("HOME", &home)
            .env("ALIBABA_CLOUD_ENDPOINT_STS", &url)
            .env("ECS_PROVIDER_METADATA_ENDPOINT", &url)
            .env("TF_LOG", "TRACE");
    }

    fn env(&mut self, pairs: &[(&str, &str)]) -> &mut Self {
        for (k, v) in pairs {
            self.cloud.dir.env(k, v);
        }
        self
    }

    fn file(&self, name: &str, contents: &str) -> String {
        let p = self.home.path().join(name);
        write_atomic(&p, contents);
        p.display().to_string()
    }

    /// A fresh OIDC token from the emulator, valid `ttl` seconds, in `name`.
    fn token_file(&mut self, name: &str, ttl: u64) -> String {
        let token = oidc_token(&self.cloud.emu, ttl);
        self.planted.push(token.clone());
        self.file(name, &token)
    }

    fn next_log(&mut self) -> String {
        let p = self
            .home
            .path()
            .join(format!("trace-{}.log", self.logs.len()));
        self.logs.push(p.clone());
        p.display().to_string()
    }

    /// Writes main.tf (`provider_body` inside the provider block, and `rest`).
    fn config(&self, provider_body: &str, rest: &str) {
        self.cloud.dir.write(
            "main.tf",
            &format!(
                "{REQUIRED_PROVIDERS}\nprovider \"ecs\" {{\n  modification_cooldown = \"1s\"\n{provider_body}\n{}}}\n{rest}",
                self.cloud.provider_args
            ),
        );
    }

    fn run(&mut self, args: &[&str]) -> TfRun {
        let log = self.next_log();
        self.cloud.dir.env("TF_LOG_PATH", &log);
        self.cloud.dir.tf(args)
    }

    /// A plan reading the instance types (one ECS call), which must succeed.
    fn plan_ok(&mut self, provider_body: &str) -> TfRun {
        self.config(provider_body, "data \"ecs_instance_types\" \"all\" {}\n");
        let run = self.run(&["plan", "-no-color"]);
        assert!(run.success(), "plan failed:\n{}", flat(&run));
        run
    }

    /// A plan that must fail: its text.
    fn plan_err(&mut self, provider_body: &str) -> String {
        self.config(provider_body, "data \"ecs_instance_types\" \"all\" {}\n");
        let run = self.run(&["plan", "-no-color"]);
        assert!(!run.success(), "plan should fail:\n{}", flat(&run));
        flat(&run)
    }

    fn requests(&self) -> Vec<Value> {
        self.cloud.emu.get("/_emulator/journal")["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn ecs_requests(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| !STS_ACTIONS.contains(&r["action"].as_str().unwrap_or("")))
            .collect()
    }

    fn issued(&self) -> Vec<Value> {
        self.cloud.emu.get("/_emulator/credentials")["Credentials"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// How the last ECS request was signed: "static" (the emulator's own key)
    /// or how its STS credential was issued (AssumeRole, AssumeRoleWithOIDC,
    /// EcsRamRole, CredentialsURI).
    fn last_signer(&self) -> String {
        let last = self.ecs_requests().pop().expect("an ECS request");
        assert_eq!(last["code"], "OK", "{last}");
        let key = last["credential"].as_str().unwrap_or("").to_string();
        if key == ACCESS_KEY {
            return "static".into();
        }
        self.issued()
            .iter()
            .find(|i| i["AccessKeyId"] == key.as_str())
            .map(|i| i["Via"].as_str().unwrap_or("").to_string())
            .unwrap_or_else(|| format!("unknown key {key}"))
    }

    /// No TRACE log written so far holds a secret, token or OIDC token.
    fn assert_logs_clean(&self) {
        let mut secrets = self.planted.clone();
        for i in self.issued() {
            for k in ["AccessKeySecret", "SecurityToken"] {
                secrets.push(i[k].as_str().unwrap_or("").to_string());
            }
        }
        let mut traced = 0;
        for log in &self.logs {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            traced += text.matches("ecs request").count() + text.matches("sts request").count();
            for s in secrets.iter().filter(|s| s.len() >= 8) {
                assert!(
                    !text.contains(s.as_str()),
                    "{} holds a secret ({}…)",
                    log.display(),
                    &s[..6]
                );
            }
        }
        assert!(traced > 0, "the TRACE logs hold no request line of ours");
    }
}

fn write_atomic(p: &Path, contents: &str) {
    let tmp = p.with_extension("tmp");
    std::fs::write(&tmp, contents).expect("write");
    std::fs::rename(&tmp, p).expect("rename");
}

fn oidc_token(emu: &Emulator, ttl: u64) -> String {
    emu.post("/_emulator/oidc-token", &json!({ "TtlSeconds": ttl }))["Token"]
        .as_str()
        .expect("a token")
        .to_string()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// Credentials from the emulator's credentials URI, for profiles that need an
/// STS token given as is.
fn served(setup: &Setup) -> Value {
    let v = support::http_request(setup.cloud.emu.addr(), "GET", "/credentials-uri", None).json();
    assert_eq!(v["Code"], "Success", "{v}");
    v
}

#[test]
fn each_link_of_the_default_chain_signs_through_terraform() {
    let mut s = Setup::quick();

    // 1. Environment keys (and they win over OIDC, which is also set).
    let token = s.token_file("oidc-token", 600);
    s.env(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET_KEY),
        ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token),
        ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER),
        ("ALIBABA_CLOUD_ROLE_ARN", ROLE),
    ]);
    s.plan_ok("");
    assert_eq!(s.last_signer(), "static");

    // 2. OIDC.
    s.env(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
    ]);
    s.plan_ok("");
    assert_eq!(s.last_signer(), "AssumeRoleWithOIDC");

    // 3. The aliyun CLI profile (the file's `current`), found in ~/.aliyun.
    s.clear();
    std::fs::create_dir_all(s.home.path().join(".aliyun")).unwrap();
    s.file(
        ".aliyun/config.json",
        &json!({"current": "ops", "profiles": [
            {"name": "ops", "mode": "RamRoleArn", "access_key_id": ACCESS_KEY,
             "access_key_secret": SECRET_KEY, "ram_role_arn": ROLE, "ram_session_name": "ops"}]})
        .to_string(),
    );
    s.plan_ok("");
    assert_eq!(s.last_signer(), "AssumeRole");
    std::fs::remove_file(s.home.path().join(".aliyun/config.json")).unwrap();

    // 4. The INI credentials file.
    let ini = s.file(
        "credentials.ini",
        &format!("[default]\ntype = ram_role_arn\naccess_key_id = {ACCESS_KEY}\naccess_key_secret = {SECRET_KEY}\nrole_arn = {ROLE}\nrole_session_name = ini\n"),
    );
    s.env(&[("ALIBABA_CLOUD_CREDENTIALS_FILE", &ini)]);
    s.plan_ok("");
    assert_eq!(s.last_signer(), "AssumeRole");

    // 5. The ECS instance RAM role (nothing else set).
    s.clear();
    s.plan_ok("");
    assert_eq!(s.last_signer(), "EcsRamRole");

    // 6. The credentials URI (the metadata service skipped).
    let uri = format!("{}/credentials-uri", s.url());
    s.env(&[
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
        ("ALIBABA_CLOUD_CREDENTIALS_URI", &uri),
    ]);
    s.plan_ok("");
    assert_eq!(s.last_signer(), "CredentialsURI");
    s.assert_logs_clean();
}

#[test]
fn every_cli_profile_mode_signs_through_terraform() {
    let mut s = Setup::quick();
    let token = s.token_file("oidc-token", 600);
    let sts = served(&s);
    s.planted
        .push(sts["AccessKeySecret"].as_str().unwrap().into());
    let printed = s.file(
        "external.json",
        &json!({"mode": "AK", "access_key_id": ACCESS_KEY, "access_key_secret": SECRET_KEY})
            .to_string(),
    );
    let uri = format!("{}/credentials-uri", s.url());
    let config = s.file(
        "aliyun.json",
        &json!({"current": "ak", "profiles": [
            {"name": "ak", "mode": "AK", "access_key_id": ACCESS_KEY, "access_key_secret": SECRET_KEY},
            {"name": "sts", "mode": "StsToken", "access_key_id": sts["AccessKeyId"],
             "access_key_secret": sts["AccessKeySecret"], "sts_token": sts["SecurityToken"]},
            {"name": "role", "mode": "RamRoleArn", "access_key_id": ACCESS_KEY,
             "access_key_secret": SECRET_KEY, "ram_role_arn": ROLE},
            {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "role", "ram_role_arn": ROLE},
            {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": ECS_ROLE},
            {"name": "oidc", "mode": "OIDC", "oidc_provider_arn": OIDC_PROVIDER,
             "oidc_token_file": token, "ram_role_arn": ROLE},
            {"name": "uri", "mode": "CredentialsURI", "credentials_uri": uri},
            {"name": "ext", "mode": "External", "process_command": format!("cat {printed}")}]})
        .to_string(),
    );
    s.env(&[("ALIBABA_CLOUD_CONFIG_FILE", &config)]);
    for (profile, signer) in [
        ("ak", "static"),
        ("sts", "CredentialsURI"),
        ("role", "AssumeRole"),
        ("chain", "AssumeRole"),
        ("ecs", "EcsRamRole"),
        ("oidc", "AssumeRoleWithOIDC"),
        ("uri", "CredentialsURI"),
        ("ext", "static"),
    ] {
        s.env(&[("ALIBABA_CLOUD_PROFILE", profile)]);
        s.plan_ok("");
        assert_eq!(s.last_signer(), signer, "profile {profile}");
    }
    // ChainableRamRoleArn: two AssumeRole calls, the second signed by the first's
    // STS credentials (with their token).
    let chained = s
        .requests()
        .into_iter()
        .filter(|r| r["action"] == "AssumeRole" && r["code"] == "OK")
        .filter(|r| {
            r["credential"]
                .as_str()
                .is_some_and(|k| k.starts_with("STS."))
        })
        .count();
    assert!(chained >= 1, "no AssumeRole signed with STS credentials");
    s.assert_logs_clean();
}

#[test]
fn every_provider_block_form_signs_through_terraform() {
    let mut s = Setup::quick();
    let token = s.token_file("oidc-token", 600);
    let config = s.file(
        "aliyun.json",
        &json!({"current": "", "profiles": [
            {"name": "deploy", "mode": "RamRoleArn", "access_key_id": ACCESS_KEY,
             "access_key_secret": SECRET_KEY, "ram_role_arn": ROLE}]})
        .to_string(),
    );
    // Keys left in the environment: every setting written in the block wins over them.
    s.env(&[
        ("ALIBABA_CLOUD_CONFIG_FILE", &config),
        ("ALICLOUD_ACCESS_KEY", ACCESS_KEY),
        ("ALICLOUD_SECRET_KEY", SECRET_KEY),
    ]);
    s.plan_ok("  profile = \"deploy\"\n");
    assert_eq!(s.last_signer(), "AssumeRole");

    s.plan_ok(&format!(
        "  credentials_uri = \"{}/credentials-uri\"\n",
        s.url()
    ));
    assert_eq!(s.last_signer(), "CredentialsURI");

    s.plan_ok(&format!("  ecs_role_name = \"{ECS_ROLE}\"\n"));
    assert_eq!(s.last_signer(), "EcsRamRole");

    // assume_role layered on static keys from the environment.
    s.env(&[
        ("ALICLOUD_ACCESS_KEY", ACCESS_KEY),
        ("ALICLOUD_SECRET_KEY", SECRET_KEY),
    ]);
    s.plan_ok(&format!(
        "  assume_role {{\n    role_arn = \"{ROLE}\"\n    session_name = \"ci-deploy\"\n    session_expiration = 900\n  }}\n"
    ));
    assert_eq!(s.last_signer(), "AssumeRole");
    let sts = s
        .requests()
        .into_iter()
        .rfind(|r| r["action"] == "AssumeRole")
        .unwrap();
    assert_eq!(sts["params"]["RoleSessionName"], "ci-deploy", "{sts}");
    assert_eq!(sts["params"]["DurationSeconds"], "900", "{sts}");

    // assume_role_with_oidc, with the STS endpoint from the block.
    s.clear();
    s.env(&[("ALIBABA_CLOUD_ENDPOINT_STS", "")]);
    s.plan_ok(&format!(
        "  sts_endpoint = \"{}\"\n  assume_role_with_oidc {{\n    oidc_provider_arn = \"{OIDC_PROVIDER}\"\n    oidc_token_file = \"{token}\"\n    role_arn = \"{ROLE}\"\n    role_session_name = \"gha\"\n  }}\n",
        s.url()
    ));
    assert_eq!(s.last_signer(), "AssumeRoleWithOIDC");
    s.assert_logs_clean();
}

/// (what, provider block body, environment, words the error must hold)
type Case<'a> = (&'a str, String, &'a [(&'a str, &'a str)], Vec<&'a str>);

#[test]
fn bad_credential_sources_fail_at_plan_naming_the_setting_with_no_ecs_call() {
    let mut s = Setup::quick();
    let expired = s.token_file("expired-token", 0);
    let forged = s.file(
        "forged-token",
        "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjB9.c2lnbmF0dXJl",
    );
    let oidc_block = |file: &str, role: &str| {
        format!("  assume_role_with_oidc {{\n    oidc_provider_arn = \"{OIDC_PROVIDER}\"\n    oidc_token_file = \"{file}\"\n    role_arn = \"{role}\"\n  }}\n")
    };
    let cases: Vec<Case> = vec![
        (
            "expired OIDC token",
            oidc_block(&expired, ROLE),
            &[],
            vec![
                "assume_role_with_oidc",
                "AuthenticationFail.OIDCToken.Expired",
                "token file",
            ],
        ),
        (
            "forged OIDC token",
            oidc_block(&forged, ROLE),
            &[],
            vec!["assume_role_with_oidc", "AuthenticationFail.OIDCToken"],
        ),
        (
            "role that cannot be assumed",
            format!("  assume_role {{\n    role_arn = \"{OTHER_ROLE}\"\n  }}\n"),
            &[
                ("ALICLOUD_ACCESS_KEY", ACCESS_KEY),
                ("ALICLOUD_SECRET_KEY", SECRET_KEY),
            ],
            vec![
                "assume_role in the provider block",
                "NoPermission",
                "trust policy",
            ],
        ),
        (
            "unknown profile",
            "  profile = \"nope\"\n".into(),
            &[],
            vec!["profile", "\"nope\"", "aliyun configure"],
        ),
        (
            "unreachable metadata service",
            format!("  ecs_role_name = \"{ECS_ROLE}\"\n"),
            &[("ECS_PROVIDER_METADATA_ENDPOINT", "http://127.0.0.1:9")],
            vec![
                "ecs_role_name",
                "metadata service",
                "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
            ],
        ),
        (
            "OIDC variables half set",
            String::new(),
            &[
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/nowhere"),
                ("ALIBABA_CLOUD_ROLE_ARN", ROLE),
            ],
            vec!["ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "OIDC"],
        ),
    ];
    s.file("aliyun.json", r#"{"current":"","profiles":[{"name":"ops","mode":"AK","access_key_id":"x","access_key_secret":"y"}]}"#);
    for (what, body, env, words) in cases {
        s.clear();
        let config = s.home.path().join("aliyun.json").display().to_string();
        s.env(&[("ALIBABA_CLOUD_CONFIG_FILE", &config)]).env(env);
        let out = s.plan_err(&body);
        assert!(
            out.contains("Cannot Get Credentials") || out.contains("Unknown Profile"),
            "{what}: {out}"
        );
        for w in words {
            assert!(
                out.contains(w),
                "{what}: the error should say {w:?}:\n{out}"
            );
        }
        assert!(
            s.ecs_requests().is_empty(),
            "{what}: ECS was called: {:?}",
            s.ecs_requests()
        );
    }
    s.assert_logs_clean();
}

/// Rewrites the OIDC token file every 700 ms with a token valid for `ttl`
/// seconds, until the flag is dropped.
fn rotate(
    emu_url: String,
    path: String,
    ttl: u64,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let emu = Emulator::attach(&emu_url);
        let mut written = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let t = oidc_token(&emu, ttl);
            write_atomic(Path::new(&path), &t);
            written.push(t);
            std::thread::sleep(Duration::from_millis(700));
        }
        written
    })
}

fn fleet(instance_type: &str) -> String {
    (0..3)
        .map(|i| instance_hcl(&format!("web{i}"), instance_type, ""))
        .collect()
}

fn oidc_setup(lifetime: &str) -> (Setup, String) {
    let mut s = Setup::new(
        Duration::from_millis(2000),
        &["--credential-lifetime", lifetime],
    );
    s.cloud.provider_args = "  max_unavailable = 1\n".into();
    let token = s.token_file("oidc-token", 4);
    s.env(&[
        ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token),
        ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER),
        ("ALIBABA_CLOUD_ROLE_ARN", ROLE),
    ]);
    (s, token)
}

#[test]
fn a_resize_outliving_three_credential_lifetimes_renews_and_never_sends_expired_ones() {
    let lifetime = Duration::from_secs(3);
    let (mut s, token) = oidc_setup("3s");
    let stop = Arc::new(AtomicBool::new(false));
    let rotation = rotate(s.url(), token, 4, Arc::clone(&stop));
    s.config("", &fleet("ecs.g6.large"));
    let run = s.run(&["apply", "-auto-approve", "-no-color"]);
    assert!(run.success(), "{}", flat(&run));
    let before = s.requests().len();
    s.config("", &fleet("ecs.g6.xlarge"));
    let run = s.run(&["apply", "-auto-approve", "-no-color"]);
    assert!(run.success(), "{}", flat(&run));
    stop.store(true, Ordering::SeqCst);
    let written = rotation.join().unwrap();
    s.planted.extend(written);

    let all = s.requests();
    let resize: Vec<&Value> = all[before..].iter().collect();
    for inst in s.cloud.instances() {
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge", "{inst}");
        assert_eq!(inst["Status"], "Running", "{inst}");
    }
    // No request was ever sent with expired credentials.
    for r in &all {
        assert_ne!(r["code"], "InvalidSecurityToken.Expired", "{r}");
        if let Some(exp) = r.get("credential_expires").filter(|v| !v.is_null()) {
            assert!(time(&r["time"]) < time(exp), "sent expired: {r}");
        }
    }
    // The resize outlived three lifetimes, from its first stop to its end.
    let first_stop = resize
        .iter()
        .find(|r| r["action"] == "StopInstance")
        .expect("a stop");
    let start = time(&first_stop["time"]);
    let end = time(&resize.last().unwrap()["time"]);
    let span = (end - start).to_std().unwrap();
    assert!(span > lifetime * 3, "the resize took only {span:?}");
    // STS: once per renewal, shared by the three instances: renewals in that
    // window are spaced by (most of) the lifetime, never one per instance.
    let renewals: Vec<DateTime<Utc>> = resize
        .iter()
        .filter(|r| r["action"] == "AssumeRoleWithOIDC" && time(&r["time"]) > start)
        .map(|r| time(&r["time"]))
        .collect();
    assert!(
        renewals.len() >= 3,
        "only {} renewals in {span:?}",
        renewals.len()
    );
    for pair in renewals.windows(2) {
        let gap = (pair[1] - pair[0]).to_std().unwrap();
        assert!(
            gap >= Duration::from_millis(1000),
            "two STS calls {gap:?} apart: {renewals:?}"
        );
    }
    // Every ECS request of the window was signed by an STS credential, and
    // several credentials took turns.
    let keys: BTreeSet<&str> = resize
        .iter()
        .filter(|r| {
            time(&r["time"]) > start && !STS_ACTIONS.contains(&r["action"].as_str().unwrap())
        })
        .map(|r| r["credential"].as_str().unwrap_or(""))
        .collect();
    assert!(
        keys.len() >= 3 && keys.iter().all(|k| k.starts_with("STS.")),
        "{keys:?}"
    );
    // The rotated token file was read again: renewals used several tokens.
    let tokens: BTreeSet<String> = s
        .issued()
        .iter()
        .filter_map(|i| i["OIDCTokenId"].as_str().map(str::to_string))
        .collect();
    assert!(
        tokens.len() >= 3,
        "renewals reused the first token: {tokens:?}"
    );
    s.cloud.assert_rules_kept();
    s.assert_logs_clean();
}

#[test]
fn a_renewal_failure_mid_resize_names_the_source_and_converges_on_the_next_apply() {
    let (mut s, token) = oidc_setup("3s");
    let stop = Arc::new(AtomicBool::new(false));
    let rotation = rotate(s.url(), token, 4, Arc::clone(&stop));
    s.config("", &fleet("ecs.g6.large"));
    let run = s.run(&["apply", "-auto-approve", "-no-color"]);
    assert!(run.success(), "{}", flat(&run));
    let before = s.requests().len();

    s.config("", &fleet("ecs.g6.xlarge"));
    let log = s.next_log();
    s.cloud.dir.env("TF_LOG_PATH", &log);
    let apply = s.cloud.spawn(&["apply", "-auto-approve", "-no-color"]);
    s.cloud
        .wait_for("the first stop", Duration::from_secs(60), |c| {
            c.journal().count("StopInstance") > 0
        });
    // From now on STS never answers: the next renewal fails.
    s.cloud.hook(
        json!({"Action": "AssumeRoleWithOIDC", "Phase": "before", "Drop": true, "Times": 100000}),
    );
    let run = apply.wait();
    assert!(!run.success(), "the apply should fail:\n{}", flat(&run));
    let out = flat(&run);
    assert!(
        out.contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE"),
        "the error should name the credential source:\n{out}"
    );
    let error = &out[out.find("Error:").expect("an error")..];
    assert!(
        error.contains("i-"),
        "the error should name the instance:\n{error}"
    );
    eprintln!("the failed apply said: {error}");
    // Nothing was sent with expired credentials, even while renewals failed.
    for r in &s.requests()[before..] {
        assert_ne!(r["code"], "InvalidSecurityToken.Expired", "{r}");
    }

    // STS is back: the next apply converges (whatever was left stopped is started).
    s.cloud.emu.delete("/_emulator/hooks");
    let run = s.run(&["apply", "-auto-approve", "-no-color"]);
    assert!(run.success(), "{}", flat(&run));
    stop.store(true, Ordering::SeqCst);
    s.planted.extend(rotation.join().unwrap());
    for inst in s.cloud.instances() {
        assert_eq!(inst["InstanceType"], "ecs.g6.xlarge", "{inst}");
        assert_eq!(inst["Status"], "Running", "{inst}");
    }
    let run = s.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(run.code, 0, "{}", flat(&run));
    s.cloud.assert_rules_kept();
    s.cloud.journal().assert_no_power_call_sent_twice();
    s.assert_logs_clean();
}
