//! Checks the shared test harness itself (tests/support): the Terraform install, the
//! dev_overrides CLI config, Terraform runs in temp dirs, and the std-only HTTP client used for
//! the emulator's admin API (against a tiny server started here, so this file does not depend
//! on the emulator being implemented).

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::json;
use support::{Emulator, TfDir};

#[test]
fn terraform_bin_is_v1_0_3() {
    let tf = support::terraform_bin();
    assert!(tf.starts_with(support::project_root().join(".tools")));
    let out = std::process::Command::new(&tf)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform version");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().next(), Some("Terraform v1.0.3"), "{stdout}");
}

#[test]
fn python_bin_imports_the_sdks() {
    let py = support::python_bin();
    let out = std::process::Command::new(&py)
        .args([
            "-c",
            "import pytest, aliyunsdkcore, aliyunsdkecs, alibabacloud_ecs20140526.client; print('ok')",
        ])
        .output()
        .expect("run venv python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

const NO_PROVIDERS: &str = r#"
variable "greeting" {
  type    = string
  default = "hello"
}

locals {
  shout = upper(var.greeting)
}

output "greeting" {
  value = local.shout
}
"#;

#[test]
fn validate_runs_without_init_when_no_provider_is_used() {
    let dir = TfDir::new(&[("main.tf", NO_PROVIDERS)]);
    let run = dir.tf_ok(&["validate", "-no-color"]);
    assert!(
        run.stdout.contains("The configuration is valid"),
        "{}",
        run.stdout
    );
}

#[test]
fn validate_reports_errors_with_a_nonzero_code() {
    let dir = TfDir::new(&[("main.tf", "output \"x\" {\n  value = undefined_thing\n}\n")]);
    let run = dir.tf(&["validate", "-no-color"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Error"), "{}", run.stderr);
}

#[test]
fn env_reaches_terraform_and_show_json_reads_state() {
    let mut dir = TfDir::new(&[("main.tf", NO_PROVIDERS)]);
    dir.env("TF_VAR_greeting", "from env");
    dir.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    let state = dir.show_json();
    assert_eq!(
        state["values"]["outputs"]["greeting"]["value"],
        json!("FROM ENV"),
        "{state:#}"
    );
    let raw = dir.tf_ok(&["output", "-raw", "greeting"]);
    assert_eq!(raw.stdout, "FROM ENV");
}

#[test]
fn write_creates_subdirectories() {
    let dir = TfDir::new(&[("modules/m/main.tf", "output \"v\" {\n  value = 1\n}\n")]);
    dir.write("extra.txt", "x");
    assert!(dir.path().join("modules/m/main.tf").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("extra.txt")).unwrap(),
        "x"
    );
}

#[test]
fn cli_config_overrides_our_provider_with_the_built_binary_dir() {
    let dir = TfDir::new(&[]);
    let text = std::fs::read_to_string(dir.cli_config_path()).unwrap();
    let provider_dir = support::provider_bin().parent().unwrap().to_path_buf();
    let expected = format!(
        "provider_installation {{\n  dev_overrides {{\n    \"local/ecs\" = \"{0}\"\n    \
         \"registry.terraform.io/ecs-tools/ecs\" = \"{0}\"\n  }}\n  direct {{}}\n}}\n",
        provider_dir.display()
    );
    assert_eq!(text, expected);
    assert!(provider_dir.join("terraform-provider-ecs").is_file());
    assert!(
        !dir.cli_config_path().starts_with(dir.path()),
        "the CLI config must live outside the working dir"
    );
}

#[test]
fn cli_config_escapes_hcl_special_characters() {
    let text = support::dev_overrides_config(std::path::Path::new(r#"/tmp/a"b\c${x}"#));
    assert!(
        text.contains(r#""local/ecs" = "/tmp/a\"b\\c$${x}""#),
        "{text}"
    );
}

#[test]
fn terraform_reads_the_dev_overrides() {
    // Terraform warns on every run that loads an overridden provider; the warning proves it
    // parsed our CLI config and matched `local/ecs`, whether or not the provider then works.
    let dir = TfDir::new(&[(
        "main.tf",
        "terraform {\n  required_providers {\n    ecs = { source = \"local/ecs\" }\n  }\n}\n",
    )]);
    let run = dir.tf(&["validate", "-no-color"]);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("Provider development overrides are in effect"),
        "{run:?}"
    );
    let provider_dir = support::provider_bin().parent().unwrap().to_path_buf();
    let listed = format!("local/ecs in {}", provider_dir.display());
    assert!(all.contains(&listed), "expected {listed:?} in {run:?}");
}

#[test]
#[should_panic(expected = "did not finish within")]
fn a_run_past_its_time_limit_is_killed() {
    let mut dir = TfDir::new(&[("main.tf", NO_PROVIDERS)]);
    dir.timeout(Duration::from_millis(1));
    dir.tf(&["version"]);
}

#[test]
#[should_panic(expected = "exited with")]
fn tf_ok_panics_on_failure() {
    let dir = TfDir::new(&[("main.tf", "this is not hcl {")]);
    dir.tf_ok(&["validate", "-no-color"]);
}

/// One request as the fake server saw it.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<String>,
    body: String,
}

/// Serves `answers.len()` connections on a loopback port, answering each with the next raw
/// response and reporting what it received.
fn fake_server(answers: Vec<&'static str>) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for answer in answers {
            let (stream, _) = listener.accept().unwrap();
            tx.send(serve_one(stream, answer)).unwrap();
        }
    });
    (format!("http://{addr}"), rx)
}

fn serve_one(mut stream: TcpStream, answer: &str) -> Seen {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut headers = Vec::new();
    let mut len = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        headers.push(line);
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    stream.write_all(answer.as_bytes()).unwrap();
    Seen {
        request_line: request_line.trim_end().to_owned(),
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

#[test]
fn http_client_get_post_delete() {
    let (url, seen) = fake_server(vec![
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 23\r\n\r\n{\"Instances\":[\"i-1\"]}\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7;ext=1\r\n{\"ok\":t\r\n4\r\nrue}\r\n0\r\n\r\n",
        "HTTP/1.1 204 No Content\r\n\r\n",
    ]);
    let emu = Emulator::attach(&format!("{url}/"));
    assert_eq!(emu.url, url);
    assert_eq!(emu.pid(), None);

    let got = emu.get("/_emulator/instances");
    assert_eq!(got, json!({"Instances": ["i-1"]}));
    let req = seen.recv().unwrap();
    assert_eq!(req.request_line, "GET /_emulator/instances HTTP/1.1");
    assert!(req.headers.iter().any(|h| h == "Connection: close"));
    assert_eq!(req.body, "");

    let body = json!({"Status": "Stopped", "InstanceType": "ecs.g6.large"});
    let got = emu.post("/_emulator/instances/i-1", &body);
    assert_eq!(got, json!({"ok": true}));
    let req = seen.recv().unwrap();
    assert_eq!(req.request_line, "POST /_emulator/instances/i-1 HTTP/1.1");
    assert!(req
        .headers
        .iter()
        .any(|h| h == "Content-Type: application/json"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&req.body).unwrap(),
        body
    );

    assert_eq!(emu.delete("/_emulator/instances/i-1"), 204);
    let req = seen.recv().unwrap();
    assert_eq!(req.request_line, "DELETE /_emulator/instances/i-1 HTTP/1.1");
}

#[test]
fn http_client_error_status_is_reported() {
    let (url, _seen) = fake_server(vec![
        "HTTP/1.1 404 Not Found\r\nContent-Length: 21\r\n\r\n{\"Code\":\"NotFound\"}\r\n",
        "HTTP/1.1 404 Not Found\r\nContent-Length: 21\r\n\r\n{\"Code\":\"NotFound\"}\r\n",
    ]);
    let emu = Emulator::attach(&url);
    let resp = emu.request("GET", "/_emulator/instances/i-x", None);
    assert_eq!(resp.status, 404);
    assert_eq!(resp.header("Content-Length"), Some("21"));
    assert_eq!(resp.json()["Code"], "NotFound");
    let panicked = std::panic::catch_unwind(|| emu.get("/_emulator/instances/i-x"))
        .expect_err("get on a 404 must panic");
    let msg = panicked
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(msg.contains("answered 404"), "{msg}");
}

#[test]
fn parse_response_rejects_malformed_answers() {
    assert!(support::parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
    assert!(support::parse_response(b"garbage\r\n\r\n").is_err());
    assert!(
        support::parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").is_err()
    );
    assert!(support::parse_response(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    )
    .is_err());
    let ok = support::parse_response(b"HTTP/1.0 201 Created\r\nX-A: b\r\n\r\n{}").unwrap();
    assert_eq!(
        (ok.status, ok.header("x-a"), ok.body.as_str()),
        (201, Some("b"), "{}")
    );
}
