//! Shared harness for the end-to-end tests: real Terraform 1.0.3 driving our provider binary,
//! and the `ecs-emulator` binary standing in for the cloud.
//!
//! Every integration test file that needs it says `mod support;`. What it gives:
//!
//! - [`terraform_bin`] / [`python_bin`]: the tools from `.tools/`, installed on first use by
//!   `scripts/install-tools.sh` (once per test process; cached across runs), so a plain
//!   `cargo test` on a fresh clone works without `make tools`.
//! - [`TfDir`]: a throw-away Terraform working directory plus a CLI config whose
//!   `dev_overrides` point `local/ecs` (and the published address the examples use,
//!   [`DEFAULT_SOURCE`]) at the freshly built provider. With dev_overrides,
//!   Terraform loads the provider straight from that directory and skips the lock file, so
//!   tests never run `terraform init` for it (init would try to reach a registry).
//! - [`Emulator`]: a spawned `ecs-emulator` on a free loopback port, killed on drop, with a
//!   tiny std-only HTTP/1.1 client for its `/_emulator/...` admin API.
//!
//! Runs are hermetic: inherited `TF_*`, `ALICLOUD_*` and `ALIBABA_CLOUD_*` variables are removed
//! so neither a developer's Terraform settings nor real cloud credentials leak into a test.
//! Only what a test sets with [`TfDir::env`] reaches Terraform and the provider.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Provider address the CLI config overrides; test configurations use
/// `required_providers { ecs = { source = "local/ecs" } }`.
pub const PROVIDER_SOURCE: &str = "local/ecs";

/// The provider's published source address, which the files in `examples/` use; the CLI
/// config overrides it too, so tests can run the examples as they are.
pub const DEFAULT_SOURCE: &str = "registry.terraform.io/ecs-tools/ecs";

/// Default limit for one Terraform command; a hung run fails the test instead of CI.
pub const DEFAULT_TF_TIMEOUT: Duration = Duration::from_secs(300);

/// Environment prefixes never inherited by Terraform or the emulator.
const SCRUBBED_ENV_PREFIXES: [&str; 3] = ["TF_", "ALICLOUD_", "ALIBABA_CLOUD_"];

/// The package root (where `Cargo.toml` is).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Terraform v1.0.3 from `.tools/`, installing it on first use.
///
/// # Panics
/// If `scripts/install-tools.sh terraform` fails; the message carries its output.
pub fn terraform_bin() -> PathBuf {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| install_tool("terraform"));
    project_root().join(".tools/terraform/terraform")
}

/// The Python of `.tools/venv` (pytest and the official ECS SDKs), installing it on first use.
///
/// # Panics
/// If `scripts/install-tools.sh python` fails; the message carries its output.
pub fn python_bin() -> PathBuf {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| install_tool("python"));
    project_root().join(".tools/venv/bin/python")
}

/// Our provider binary, built by cargo for this test run.
pub fn provider_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-ecs"))
}

/// The emulator binary, built by cargo for this test run.
pub fn emulator_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ecs-emulator"))
}

fn install_tool(tool: &str) {
    let script = project_root().join("scripts/install-tools.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(tool)
        .current_dir(project_root())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "installing '{tool}' failed ({}); run `bash scripts/install-tools.sh {tool}` to see why.\n\
         --- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}

/// Removes the scrubbed variables (see the module docs) from a command's environment.
fn scrub_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if SCRUBBED_ENV_PREFIXES.iter().any(|p| key.starts_with(p)) {
            cmd.env_remove(key.as_ref());
        }
    }
}

/// Outcome of one Terraform command.
#[derive(Debug, Clone)]
pub struct TfRun {
    /// Exit code; -1 when killed by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfRun {
    pub fn success(&self) -> bool {
        self.code == 0
    }
}

/// A temporary Terraform working directory with its own CLI config.
///
/// Layout of the temp dir: `work/` (the working directory, [`TfDir::path`]) and
/// `terraform.rc` (the CLI config, passed as `TF_CLI_CONFIG_FILE`). Everything is deleted on
/// drop unless `KEEP_TF_DIRS=1` is set, which keeps it and prints where.
pub struct TfDir {
    root: tempfile::TempDir,
    work: PathBuf,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl TfDir {
    /// Creates the directory with `files` (name, contents) in it and a CLI config that
    /// overrides [`PROVIDER_SOURCE`] with the directory of [`provider_bin`].
    pub fn new(files: &[(&str, &str)]) -> TfDir {
        let root = tempfile::Builder::new()
            .prefix("tf-test-")
            .tempdir()
            .expect("create temp dir for Terraform");
        let work = root.path().join("work");
        std::fs::create_dir(&work).expect("create Terraform working dir");
        let cli_config = root.path().join("terraform.rc");
        let provider_dir = provider_bin()
            .parent()
            .expect("provider binary has a parent dir")
            .to_path_buf();
        std::fs::write(&cli_config, dev_overrides_config(&provider_dir))
            .expect("write Terraform CLI config");
        let dir = TfDir {
            root,
            work,
            cli_config,
            env: Vec::new(),
            timeout: DEFAULT_TF_TIMEOUT,
        };
        for (name, contents) in files {
            dir.write(name, contents);
        }
        dir
    }

    /// The working directory Terraform runs in.
    pub fn path(&self) -> &Path {
        &self.work
    }

    /// The CLI config file (`TF_CLI_CONFIG_FILE`).
    pub fn cli_config_path(&self) -> &Path {
        &self.cli_config
    }

    /// Writes (or replaces) a file in the working directory; `name` may contain subdirectories.
    pub fn write(&self, name: &str, contents: &str) {
        let path = self.work.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir in Terraform working dir");
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Adds an environment variable to every later run (e.g. `TF_LOG`, provider settings).
    pub fn env(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    /// Changes the per-command time limit (default [`DEFAULT_TF_TIMEOUT`]).
    pub fn timeout(&mut self, limit: Duration) -> &mut Self {
        self.timeout = limit;
        self
    }

    /// Runs `terraform ARGS` in the working directory, with no stdin, `TF_IN_AUTOMATION=1`,
    /// `TF_INPUT=0` and `CHECKPOINT_DISABLE=1` (no update check over the network).
    /// Pass `-no-color` when asserting on text.
    ///
    /// # Panics
    /// If Terraform cannot be started, or runs longer than the time limit (then it is killed
    /// and the panic shows what it had printed).
    pub fn tf(&self, args: &[&str]) -> TfRun {
        let cmd = self.command(args);
        let what = format!("terraform {}", args.join(" "));
        run_with_timeout(cmd, &what, self.timeout)
    }

    /// The command [`TfDir::tf`] runs, not started: for tests that run Terraform in the
    /// background and signal it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(terraform_bin());
        cmd.args(args).current_dir(&self.work);
        scrub_env(&mut cmd);
        cmd.env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Like [`TfDir::tf`], but panics (showing stdout and stderr) unless the exit code is 0.
    pub fn tf_ok(&self, args: &[&str]) -> TfRun {
        let run = self.tf(args);
        assert!(
            run.success(),
            "`terraform {}` exited with {} in {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            args.join(" "),
            run.code,
            self.work.display(),
            run.stdout,
            run.stderr,
        );
        run
    }

    /// `terraform show -json`, parsed: the current state (`values.root_module.resources`...).
    pub fn show_json(&self) -> Value {
        let run = self.tf_ok(&["show", "-json", "-no-color"]);
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "`terraform show -json` printed invalid JSON ({e}):\n{}",
                run.stdout
            )
        })
    }
}

impl Drop for TfDir {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_TF_DIRS").is_some_and(|v| v == "1") {
            let kept = std::mem::replace(
                &mut self.root,
                tempfile::tempdir().expect("placeholder temp dir"),
            );
            eprintln!("KEEP_TF_DIRS=1: kept {}", kept.keep().display());
        }
    }
}

/// The CLI config text: dev_overrides for our provider, then normal installation for others.
pub fn dev_overrides_config(provider_dir: &Path) -> String {
    let dir = hcl_escape(&provider_dir.to_string_lossy());
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{dir}\"\n    \
         \"{DEFAULT_SOURCE}\" = \"{dir}\"\n  }}\n  direct {{}}\n}}\n"
    )
}

fn hcl_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("${", "$${")
        .replace("%{", "%%{")
}

/// Runs `cmd` with piped outputs, killing it after `limit`.
fn run_with_timeout(mut cmd: Command, what: &str, limit: Duration) -> TfRun {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("could not start `{what}`: {e}"));
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait().expect("wait for child") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => break None,
            None => thread::sleep(Duration::from_millis(20)),
        }
    };
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "`{what}` did not finish within {limit:?} and was killed\n--- stdout ---\n{}\n--- stderr ---\n{}",
            stdout.join().unwrap_or_default(),
            stderr.join().unwrap_or_default(),
        );
    };
    TfRun {
        code: exit_code(status),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn exit_code(status: ExitStatus) -> i32 {
    status.code().unwrap_or(-1)
}

/// A running emulator: either a child process we own (killed on drop) or one we attached to.
pub struct Emulator {
    /// Base URL, `http://HOST:PORT` (`https://` with `--tls`), without a trailing slash. The
    /// admin helpers below speak plain HTTP only.
    pub url: String,
    child: Option<Child>,
    stderr_log: Option<tempfile::NamedTempFile>,
}

impl Emulator {
    /// Spawns `ecs-emulator --listen 127.0.0.1:0 ARGS...` and waits (up to 30 s) for its first
    /// stdout line, `listening on http://HOST:PORT`. Its stderr goes to a temp file, readable
    /// with [`Emulator::logs`].
    ///
    /// # Panics
    /// If the binary cannot start or does not announce its address in time.
    pub fn start(args: &[&str]) -> Emulator {
        Emulator::start_on("127.0.0.1:0", args)
    }

    /// [`Emulator::start`] on a given `--listen` address (e.g. the port of an emulator that
    /// was killed, to restart it where the provider expects it).
    pub fn start_on(listen: &str, args: &[&str]) -> Emulator {
        let stderr_log = tempfile::Builder::new()
            .prefix("ecs-emulator-")
            .suffix(".log")
            .tempfile()
            .expect("temp file for emulator stderr");
        let mut cmd = Command::new(emulator_bin());
        // A legacy account that may still create classic-network instances: the tests of
        // classic behaviour keep their network (the emulator refuses classic by default).
        cmd.arg("--listen")
            .arg(listen)
            .arg("--classic-network")
            .args(args);
        scrub_env(&mut cmd);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr_log.reopen().expect("reopen emulator log"))
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", emulator_bin().display()));

        // Read stdout on a thread: the first line goes back over the channel, the rest is
        // drained so the emulator never blocks on a full pipe.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let mut emulator = Emulator {
            url: String::new(),
            child: Some(child),
            stderr_log: Some(stderr_log),
        };
        let first = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(Ok(line))) => line,
            other => panic!(
                "ecs-emulator {args:?} did not print `listening on http://HOST:PORT` ({other:?})\n\
                 --- stderr ---\n{}",
                emulator.logs()
            ),
        };
        match first.trim().strip_prefix("listening on ") {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                emulator.url = url.trim_end_matches('/').to_owned();
            }
            _ => panic!(
                "ecs-emulator's first stdout line was {first:?}, expected `listening on http://HOST:PORT`\n\
                 --- stderr ---\n{}",
                emulator.logs()
            ),
        }
        emulator
    }

    /// Uses an emulator that is already running at `url` (not owned: nothing is killed on drop).
    pub fn attach(url: &str) -> Emulator {
        Emulator {
            url: url.trim_end_matches('/').to_owned(),
            child: None,
            stderr_log: None,
        }
    }

    /// `HOST:PORT` of the emulator (for a provider `endpoint` or the SDKs).
    pub fn addr(&self) -> &str {
        let url = self.url.strip_prefix("https://").unwrap_or(&self.url);
        url.strip_prefix("http://").unwrap_or(url)
    }

    /// What the emulator wrote to stderr so far (empty when attached).
    pub fn logs(&self) -> String {
        self.stderr_log
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f.path()).ok())
            .unwrap_or_default()
    }

    /// PID of the owned emulator process (for kill -9 / restart tests).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `GET path` on the admin API, parsed as JSON.
    ///
    /// # Panics
    /// Unless the status is 2xx and the body is JSON.
    pub fn get(&self, path: &str) -> Value {
        self.expect_json("GET", path, None)
    }

    /// `POST path` with a JSON body, parsed as JSON.
    ///
    /// # Panics
    /// Unless the status is 2xx and the body is JSON (an empty body reads as `null`).
    pub fn post(&self, path: &str, body: &Value) -> Value {
        self.expect_json("POST", path, Some(body))
    }

    /// `DELETE path`; returns the HTTP status, whatever it is.
    pub fn delete(&self, path: &str) -> u16 {
        self.request("DELETE", path, None).status
    }

    /// Any request; returns the status and raw body without judging them.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
        http_request(self.addr(), method, path, body)
    }

    fn expect_json(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let resp = self.request(method, path, body);
        assert!(
            (200..300).contains(&resp.status),
            "{method} {path} on the emulator answered {}: {}\n--- emulator stderr ---\n{}",
            resp.status,
            resp.body,
            self.logs()
        );
        resp.json()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; an empty body is `null`.
    ///
    /// # Panics
    /// If the body is not JSON.
    pub fn json(&self) -> Value {
        if self.body.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {}", self.body))
    }
}

/// Minimal HTTP/1.1 client (one request per connection, `Connection: close`), enough for the
/// emulator's admin API: JSON bodies, `Content-Length` or chunked responses. 30 s timeouts.
///
/// # Panics
/// On connection errors and malformed responses, naming the request.
pub fn http_request(addr: &str, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
    let what = format!("{method} http://{addr}{path}");
    let mut stream =
        TcpStream::connect(addr).unwrap_or_else(|e| panic!("{what}: cannot connect: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set read timeout");
    stream
        .set_write_timeout(Some(Duration::from_secs(30)))
        .expect("set write timeout");
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n"
    );
    if body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    if body.is_some() || matches!(method, "POST" | "PUT" | "PATCH") {
        head.push_str(&format!("Content-Length: {}\r\n", payload.len()));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(payload.as_bytes()))
        .unwrap_or_else(|e| panic!("{what}: cannot send: {e}"));
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{what}: cannot read the answer: {e}"));
    parse_response(&raw).unwrap_or_else(|e| {
        panic!(
            "{what}: malformed answer ({e}): {:?}",
            String::from_utf8_lossy(&raw)
        )
    })
}

/// Parses a complete HTTP/1.1 response (the connection was read to EOF).
pub fn parse_response(raw: &[u8]) -> Result<HttpResponse, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| "headers are not UTF-8")?;
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("empty response")?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!("bad status line {status_line:?}"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let body = if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = find("content-length") {
        let len: usize = len.parse().map_err(|_| "bad content-length")?;
        rest.get(..len)
            .ok_or("body shorter than content-length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    let body = String::from_utf8(body).map_err(|_| "body is not UTF-8")?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line without CRLF")?;
        let size_text = std::str::from_utf8(&data[..eol]).map_err(|_| "chunk size not UTF-8")?;
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("chunk shorter than its size")?;
        out.extend_from_slice(chunk);
        data = data
            .get(size..)
            .and_then(|d| d.strip_prefix(b"\r\n"))
            .ok_or("chunk not followed by CRLF")?;
    }
}
