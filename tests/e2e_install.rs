//! The provider installed the way every published provider is: no `dev_overrides`, real
//! `terraform init`, a dependency lock file, mirrors and signed release artifacts.
//!
//! Each test packages the binary cargo built for this run (`PROVIDER_BIN=...`) with the
//! project's own `make install`, `make mirror` and `make release`, into temporary
//! directories. Terraform never reaches a registry: the provider comes from the implied
//! local mirror (a temporary `HOME`'s `~/.terraform.d/plugins`) or from an explicit
//! `filesystem_mirror`, and both exclude it from direct installation.

mod e2e_support;
mod support;

use e2e_support::{Cloud, IMAGE};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::TfRun;

/// The source address every example uses (`make install`'s default `SOURCE`).
const SOURCE: &str = "registry.terraform.io/ecs-tools/ecs";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `make -s TARGET VARS...` at the project root, packaging the binary of this test run.
fn make(target: &str, vars: &[(&str, &Path)], env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new("make");
    cmd.current_dir(support::project_root())
        .arg("-s")
        .arg(target)
        .arg(format!(
            "PROVIDER_BIN={}",
            support::provider_bin().display()
        ));
    for (k, v) in vars {
        cmd.arg(format!("{k}={}", v.display()));
    }
    // An outer `make test` passes its jobserver, whose descriptors we do not inherit.
    for k in ["MAKEFLAGS", "MFLAGS", "MAKELEVEL"] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run make");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "`make {target}` failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// This machine's OS_ARCH, as `make install` names it.
fn os_arch() -> String {
    let out = Command::new("python3")
        .arg(support::project_root().join("scripts/dist.py"))
        .arg("platform")
        .output()
        .expect("run dist.py platform");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `~> MAJOR.MINOR.0`: any patch release of this version's minor line.
fn version_constraint() -> String {
    let mut parts = VERSION.split('.');
    let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
    format!("~> {major}.{minor}.0")
}

fn required_providers() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    ecs = {{\n      source  = \"{SOURCE}\"\n      \
         version = \"{}\"\n    }}\n  }}\n}}\n",
        version_constraint()
    )
}

/// The `hashes` of our provider in a `.terraform.lock.hcl`.
fn locked_hashes(lock_file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(lock_file)
        .unwrap_or_else(|e| panic!("read {}: {e}", lock_file.display()));
    let block = text
        .split(&format!("provider \"{SOURCE}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {SOURCE} in the lock file:\n{text}"));
    assert!(
        block.contains(&format!("version     = \"{VERSION}\"")),
        "lock file does not pin {VERSION}:\n{text}"
    );
    let hashes = block.split("hashes = [").nth(1).expect("hashes list");
    let hashes = hashes.split(']').next().unwrap();
    hashes
        .split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_string)
        .collect()
}

/// Terraform's refusal of a package that does not match `.terraform.lock.hcl`.
fn refused_by_the_lock(run: &TfRun) -> bool {
    let text = run.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    text.contains(
        "doesn't match any of the checksums previously recorded in the dependency lock file",
    )
}

fn assert_ok(run: &TfRun, what: &str) {
    assert!(
        run.success(),
        "{what} exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
}

/// A copy of the provider binary with bytes appended: still runs, hashes differently.
fn tampered_binary(dir: &Path) -> PathBuf {
    let path = dir.join("terraform-provider-ecs");
    let mut bytes = std::fs::read(support::provider_bin()).expect("read provider binary");
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&path, bytes).expect("write tampered binary");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

#[test]
fn make_install_then_plain_init_locks_and_plan_apply_work() {
    let mut cloud = Cloud::quick();
    let home = tempfile::tempdir().expect("temp HOME");
    let plugin_dir = home.path().join(".terraform.d/plugins");
    let out = make("install", &[("PLUGIN_DIR", &plugin_dir)], &[]);
    let installed = plugin_dir
        .join(SOURCE)
        .join(VERSION)
        .join(os_arch())
        .join(format!("terraform-provider-ecs_v{VERSION}"));
    assert!(installed.is_file(), "{out}\nnot at {}", installed.display());

    // No CLI configuration at all: Terraform's implied local mirrors only, with HOME (and
    // the XDG data dirs) pointing at our temporary ones.
    std::fs::write(cloud.dir.cli_config_path(), "").unwrap();
    let home_str = home.path().to_str().unwrap();
    let nowhere = home.path().join("xdg").to_str().unwrap().to_string();
    cloud
        .dir
        .env("HOME", home_str)
        .env("XDG_DATA_HOME", &nowhere)
        .env("XDG_DATA_DIRS", &nowhere);
    cloud.dir.write(
        "main.tf",
        &format!(
            "{}\nprovider \"ecs\" {{\n  modification_cooldown = \"1s\"\n}}\n\n\
             resource \"ecs_instance\" \"web\" {{\n  image_id      = \"{IMAGE}\"\n  \
             instance_type = \"ecs.g6.large\"\n}}\n",
            required_providers()
        ),
    );

    let init = cloud.dir.tf(&["init", "-no-color"]);
    assert_ok(&init, "terraform init");
    assert!(
        init.stdout
            .contains(&format!("Installed ecs-tools/ecs v{VERSION}")),
        "{}",
        init.stdout
    );
    let all = format!("{}{}", init.stdout, init.stderr);
    assert!(
        !all.contains("development overrides"),
        "no dev_overrides may be involved: {all}"
    );
    let lock_file = cloud.dir.path().join(".terraform.lock.hcl");
    let hashes = locked_hashes(&lock_file);
    assert!(
        hashes.iter().any(|h| h.starts_with("h1:")),
        "lock file without an h1 hash: {hashes:?}"
    );
    let lock = std::fs::read_to_string(&lock_file).unwrap();
    assert!(
        lock.contains(&format!("constraints = \"{}\"", version_constraint())),
        "{lock}"
    );

    assert_ok(
        &cloud.dir.tf(&["apply", "-auto-approve", "-no-color"]),
        "terraform apply",
    );
    assert_eq!(cloud.instances().len(), 1);
    cloud.assert_converged();

    // A second init, and one that must install afresh: both check the package against the
    // lock file and leave the lock as it was.
    assert_ok(
        &cloud.dir.tf(&["init", "-no-color"]),
        "second terraform init",
    );
    std::fs::remove_dir_all(cloud.dir.path().join(".terraform")).unwrap();
    assert_ok(
        &cloud.dir.tf(&["init", "-no-color"]),
        "terraform init again",
    );
    assert_eq!(std::fs::read_to_string(&lock_file).unwrap(), lock);
    cloud.assert_converged();

    // A different binary under the same version no longer matches the lock.
    let scratch = tempfile::tempdir().unwrap();
    let tampered = tampered_binary(scratch.path());
    std::fs::copy(&tampered, &installed).unwrap();
    std::fs::remove_dir_all(cloud.dir.path().join(".terraform")).unwrap();
    let refused = cloud.dir.tf(&["init", "-no-color"]);
    assert_ne!(
        refused.code, 0,
        "init accepted a changed package: {refused:?}"
    );
    assert!(refused_by_the_lock(&refused), "{refused:?}");
}

/// A CLI config whose only installation method is the filesystem mirror at `mirror`.
fn fs_mirror_config(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    \
         include = [\"{SOURCE}\"]\n  }}\n}}\n",
        mirror.display()
    )
}

fn read_json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

#[test]
fn a_tampered_zip_in_a_filesystem_mirror_is_refused_by_init() {
    let scratch = tempfile::tempdir().unwrap();
    let mirror = scratch.path().join("mirror");
    make("mirror", &[("MIRROR_DIR", &mirror)], &[]);
    let zip = mirror.join(SOURCE).join(format!(
        "terraform-provider-ecs_{VERSION}_{}.zip",
        os_arch()
    ));
    assert!(zip.is_file(), "no {}", zip.display());

    let mut dir = support::TfDir::new(&[("main.tf", &required_providers())]);
    std::fs::write(dir.cli_config_path(), fs_mirror_config(&mirror)).unwrap();
    dir.env("HOME", scratch.path().to_str().unwrap());
    let init = dir.tf(&["init", "-no-color"]);
    assert_ok(&init, "terraform init from the filesystem mirror");
    let lock_file = dir.path().join(".terraform.lock.hcl");
    let locked = locked_hashes(&lock_file);

    // The same version, repackaged from a different binary, replaces the genuine zip.
    let tampered = tampered_binary(scratch.path());
    let genuine = std::fs::read(&zip).unwrap();
    let repackaged = Command::new("python3")
        .arg(support::project_root().join("scripts/dist.py"))
        .args(["mirror", "--out"])
        .arg(&mirror)
        .arg("--binary")
        .arg(&tampered)
        .output()
        .expect("repackage");
    assert!(repackaged.status.success(), "{repackaged:?}");
    assert_ne!(
        std::fs::read(&zip).unwrap(),
        genuine,
        "the zip was not replaced"
    );
    std::fs::remove_dir_all(dir.path().join(".terraform")).unwrap();
    let refused = dir.tf(&["init", "-no-color"]);
    assert_ne!(refused.code, 0, "init accepted a tampered zip: {refused:?}");
    assert!(refused_by_the_lock(&refused), "{refused:?}");
    assert_eq!(
        locked_hashes(&lock_file),
        locked,
        "the lock must not change"
    );
}

#[test]
fn providers_lock_from_the_fs_mirror_gives_the_network_mirror_hashes() {
    let scratch = tempfile::tempdir().unwrap();
    let mirror = scratch.path().join("mirror");
    make("mirror", &[("MIRROR_DIR", &mirror)], &[]);
    let pkg_dir = mirror.join(SOURCE);
    let platform = os_arch();

    // The network mirror protocol's static files.
    let index = read_json(&pkg_dir.join("index.json"));
    assert_eq!(index["versions"][VERSION], serde_json::json!({}), "{index}");
    let archives = read_json(&pkg_dir.join(format!("{VERSION}.json")));
    let archive = &archives["archives"][platform.as_str()];
    let url = archive["url"].as_str().expect("archive url");
    let zip_bytes = std::fs::read(pkg_dir.join(url)).expect("the url names the zip beside it");
    let published: Vec<String> = archive["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    let zh = format!("zh:{}", hex::encode(Sha256::digest(&zip_bytes)));
    assert!(published.contains(&zh), "{published:?} lacks {zh}");

    // Terraform computes the package's hashes itself from the filesystem mirror.
    let mut dir = support::TfDir::new(&[("main.tf", &required_providers())]);
    std::fs::write(dir.cli_config_path(), "").unwrap();
    dir.env("HOME", scratch.path().to_str().unwrap());
    let fs_mirror = format!("-fs-mirror={}", mirror.display());
    let platform_arg = format!("-platform={platform}");
    let run = dir.tf(&["providers", "lock", "-no-color", &fs_mirror, &platform_arg]);
    assert_ok(&run, "terraform providers lock -fs-mirror");
    let locked = locked_hashes(&dir.path().join(".terraform.lock.hcl"));
    assert!(
        locked.iter().any(|h| h.starts_with("h1:")),
        "no h1 hash locked: {locked:?}"
    );
    for hash in &locked {
        assert!(
            published.contains(hash),
            "Terraform locked {hash}, the network mirror publishes {published:?}"
        );
    }
}

/// gpg, installed through the project's own tool script when the machine lacks it.
fn gpg() -> &'static str {
    static READY: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    READY.get_or_init(|| {
        let out = Command::new("bash")
            .arg(support::project_root().join("scripts/install-tools.sh"))
            .arg("gpg")
            .output()
            .expect("run install-tools.sh gpg");
        assert!(
            out.status.success(),
            "`bash scripts/install-tools.sh gpg` failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    "gpg"
}

/// A throwaway GnuPG home with one signing key; kills its agent on drop.
struct Keyring {
    home: tempfile::TempDir,
    fingerprint: String,
}

impl Keyring {
    fn new() -> Keyring {
        // A short path: gpg-agent's socket lives in it.
        let home = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .unwrap();
        let run = gpg_in(
            home.path(),
            &[
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-gen-key",
                "Release Test <release-test@example.invalid>",
                "ed25519",
                "sign",
                "never",
            ],
        );
        assert!(run.status.success(), "gpg key generation: {run:?}");
        let listed = gpg_in(
            home.path(),
            &["--batch", "--with-colons", "--list-secret-keys"],
        );
        let text = String::from_utf8_lossy(&listed.stdout).into_owned();
        let fingerprint = text
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|rest| rest.trim_matches(':').to_string())
            .unwrap_or_else(|| panic!("no fingerprint in {text}"));
        Keyring { home, fingerprint }
    }

    fn gpg(&self, args: &[&str]) -> std::process::Output {
        gpg_in(self.home.path(), args)
    }
}

fn gpg_in(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(gpg())
        .env("GNUPGHOME", home)
        .args(args)
        .output()
        .expect("run gpg")
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

#[test]
fn make_release_writes_registry_artifacts_and_a_detached_signature() {
    let keyring = Keyring::new();
    let scratch = tempfile::tempdir().unwrap();
    let dist = scratch.path().join("dist");
    let fingerprint = PathBuf::from(&keyring.fingerprint);
    make(
        "release",
        &[("DIST", &dist), ("GPG_KEY_ID", &fingerprint)],
        &[("GNUPGHOME", keyring.home.path())],
    );
    let prefix = format!("terraform-provider-ecs_{VERSION}");
    let zip_name = format!("{prefix}_{}.zip", os_arch());
    let sums_path = dist.join(format!("{prefix}_SHA256SUMS"));
    let manifest_name = format!("{prefix}_manifest.json");

    let manifest = read_json(&dist.join(&manifest_name));
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["5.0"]}})
    );

    // The zip holds exactly the versioned executable.
    let listing = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
        ])
        .arg(dist.join(&zip_name))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).trim(),
        format!("terraform-provider-ecs_v{VERSION}")
    );

    // SHA256SUMS covers the zip and the manifest, with their real digests.
    let sums = std::fs::read_to_string(&sums_path).unwrap();
    let mut listed: Vec<&str> = Vec::new();
    for line in sums.lines() {
        let (digest, name) = line.split_once("  ").expect("`DIGEST  NAME` lines");
        let bytes = std::fs::read(dist.join(name)).unwrap();
        assert_eq!(digest, hex::encode(Sha256::digest(&bytes)), "{name}");
        listed.push(name);
    }
    listed.sort_unstable();
    let mut expected = [manifest_name.as_str(), zip_name.as_str()];
    expected.sort_unstable();
    assert_eq!(listed, expected);

    // The detached signature verifies, and only for these exact sums.
    let sig = format!("{}.sig", sums_path.display());
    let sums_str = sums_path.to_str().unwrap();
    let verified = keyring.gpg(&["--batch", "--verify", &sig, sums_str]);
    assert!(verified.status.success(), "{verified:?}");
    std::fs::write(&sums_path, sums.replace(&zip_name, "other.zip")).unwrap();
    let forged = keyring.gpg(&["--batch", "--verify", &sig, sums_str]);
    assert!(!forged.status.success(), "a changed SHA256SUMS verified");
}

/// `--debug` serves until killed; its reattach line is read from stdout.
struct DebugSession {
    child: std::process::Child,
    reattach: String,
}

impl DebugSession {
    fn start() -> DebugSession {
        use std::io::BufRead;
        let mut child = Command::new(support::provider_bin())
            .arg("--debug")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start --debug");
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let reattach = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                l.trim()
                    .strip_prefix("export TF_REATTACH_PROVIDERS='")
                    .map(|rest| rest.trim_end_matches('\'').to_string())
            })
            .expect("an export TF_REATTACH_PROVIDERS line");
        std::thread::spawn(move || lines.for_each(drop));
        DebugSession { child, reattach }
    }
}

impl Drop for DebugSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_debug_reattach_line_serves_terraform_with_the_full_or_short_source() {
    let session = DebugSession::start();
    for source in [SOURCE, "ecs-tools/ecs"] {
        let home = tempfile::tempdir().unwrap();
        let config = format!(
            "terraform {{\n  required_providers {{\n    ecs = {{ source = \"{source}\" }}\n  }}\n}}\n\
             provider \"ecs\" {{\n  region = \"cn-hangzhou\"\n}}\n"
        );
        let mut dir = support::TfDir::new(&[("main.tf", &config)]);
        // No dev_overrides, nothing installed: only the reattached process serves it.
        std::fs::write(dir.cli_config_path(), "").unwrap();
        dir.env("HOME", home.path().to_str().unwrap())
            .env("TF_REATTACH_PROVIDERS", &session.reattach);
        assert_ok(&dir.tf(&["init", "-no-color"]), "terraform init");
        let run = dir.tf(&["providers", "schema", "-json"]);
        assert_ok(&run, "terraform providers schema -json");
        let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert!(
            schema["provider_schemas"][SOURCE]["resource_schemas"]
                .get("ecs_instance")
                .is_some(),
            "{source}: {}",
            run.stdout
        );
    }
}

/// Every `source = "..."` of an ecs provider in the files of `dir` (recursively).
fn declared_sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            declared_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines() {
                if let Some(rest) = line.trim().strip_prefix("source") {
                    let value = rest.trim_start_matches([' ', '=']).trim_matches('"');
                    if value.ends_with("/ecs") {
                        out.push((path.clone(), value.to_string()));
                    }
                }
            }
        }
    }
}

#[test]
fn one_source_address_in_the_code_the_packaging_and_every_example() {
    assert_eq!(terraform_provider_ecs::resources::SOURCE_ADDRESS, SOURCE);
    assert_eq!(support::DEFAULT_SOURCE, SOURCE);
    let root = support::project_root();
    let makefile = std::fs::read_to_string(root.join("Makefile")).unwrap();
    assert!(
        makefile.contains(&format!("SOURCE ?= {SOURCE}\n")),
        "Makefile's SOURCE default"
    );
    let dist = std::fs::read_to_string(root.join("scripts/dist.py")).unwrap();
    assert!(
        dist.contains(&format!("DEFAULT_SOURCE = \"{SOURCE}\"\n")),
        "scripts/dist.py's DEFAULT_SOURCE"
    );
    let mut sources = Vec::new();
    declared_sources(&root.join("examples"), &mut sources);
    assert!(sources.len() >= 5, "{sources:?}");
    for (path, source) in &sources {
        assert_eq!(source, SOURCE, "{}", path.display());
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains(&format!("source  = \"{SOURCE}\"")));
    assert!(
        !readme.contains("\"local/ecs\""),
        "README still uses local/ecs"
    );
}

/// A static HTTPS file server over `root`, as a team would host `make mirror`'s output, with
/// a self-signed certificate for 127.0.0.1 that Terraform trusts through `SSL_CERT_FILE`.
/// Serves until the test process ends.
struct HttpsMirror {
    url: String,
    ca_file: PathBuf,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl HttpsMirror {
    fn start(root: PathBuf, scratch: &Path) -> HttpsMirror {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .unwrap();
        let cert = params.self_signed(&key).unwrap();
        let ca_file = scratch.join("mirror-ca.pem");
        std::fs::write(&ca_file, cert.pem()).unwrap();
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = std::sync::Arc::new(config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}/", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, root, log) = (config.clone(), root.clone(), log.clone());
                std::thread::spawn(move || serve_one(stream, config, &root, &log));
            }
        });
        HttpsMirror {
            url,
            ca_file,
            requests,
        }
    }
}

/// Answers one HTTP/1.1 GET with a file under `root` (or 404), then closes.
fn serve_one(
    stream: std::net::TcpStream,
    config: std::sync::Arc<rustls::ServerConfig>,
    root: &Path,
    log: &std::sync::Mutex<Vec<String>>,
) {
    use std::io::{Read, Write};
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&request).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    log.lock().unwrap().push(path.clone());
    let file = root.join(path.trim_start_matches('/'));
    let body = if path.contains("..") {
        None
    } else {
        std::fs::read(&file).ok()
    };
    let (status, body) = match body {
        Some(body) => ("200 OK", body),
        None => ("404 Not Found", b"not found".to_vec()),
    };
    // The protocol's JSON documents must say so: Terraform checks the media type.
    let content_type = if path.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = tls.write_all(header.as_bytes());
    let _ = tls.write_all(&body);
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

#[test]
fn terraform_installs_from_the_network_mirror_files_and_checks_their_hashes() {
    let scratch = tempfile::tempdir().unwrap();
    let mirror = scratch.path().join("mirror");
    make("mirror", &[("MIRROR_DIR", &mirror)], &[]);
    let server = HttpsMirror::start(mirror.clone(), scratch.path());

    let mut dir = support::TfDir::new(&[("main.tf", &required_providers())]);
    std::fs::write(
        dir.cli_config_path(),
        format!(
            "provider_installation {{\n  network_mirror {{\n    url     = \"{}\"\n    \
             include = [\"{SOURCE}\"]\n  }}\n}}\n",
            server.url
        ),
    )
    .unwrap();
    dir.env("HOME", scratch.path().to_str().unwrap())
        .env("SSL_CERT_FILE", server.ca_file.to_str().unwrap());
    let init = dir.tf(&["init", "-no-color"]);
    assert_ok(&init, "terraform init from the network mirror");
    let pkg = format!("/{SOURCE}/");
    let requested = server.requests.lock().unwrap().clone();
    for file in [
        "index.json".to_string(),
        format!("{VERSION}.json"),
        format!("terraform-provider-ecs_{VERSION}_{}.zip", os_arch()),
    ] {
        assert!(
            requested.contains(&format!("{pkg}{file}")),
            "Terraform did not fetch {file}: {requested:?}"
        );
    }
    let archives = read_json(&mirror.join(SOURCE).join(format!("{VERSION}.json")));
    let published = archives["archives"][os_arch().as_str()]["hashes"].clone();
    for hash in locked_hashes(&dir.path().join(".terraform.lock.hcl")) {
        assert!(
            published.as_array().unwrap().iter().any(|h| h == &hash),
            "locked {hash}, published {published}"
        );
    }

    // A zip swapped on the server without new hashes is refused, even with no lock file.
    let other = scratch.path().join("other");
    let repackaged = Command::new("python3")
        .arg(support::project_root().join("scripts/dist.py"))
        .args(["mirror", "--out"])
        .arg(&other)
        .arg("--binary")
        .arg(tampered_binary(scratch.path()))
        .output()
        .unwrap();
    assert!(repackaged.status.success(), "{repackaged:?}");
    let zip = format!("terraform-provider-ecs_{VERSION}_{}.zip", os_arch());
    std::fs::copy(
        other.join(SOURCE).join(&zip),
        mirror.join(SOURCE).join(&zip),
    )
    .unwrap();
    std::fs::remove_dir_all(dir.path().join(".terraform")).unwrap();
    std::fs::remove_file(dir.path().join(".terraform.lock.hcl")).unwrap();
    let refused = dir.tf(&["init", "-no-color"]);
    assert_ne!(refused.code, 0, "init accepted a swapped zip: {refused:?}");
    let text = refused
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // (Terraform's wording.)
    assert!(
        text.contains("doesn't match the any of the expected checksums"),
        "{refused:?}"
    );
}

/// Runs `make TARGET VARS...` expecting failure; returns stderr.
fn make_fails(target: &str, vars: &[String]) -> String {
    let out = Command::new("make")
        .current_dir(support::project_root())
        .arg("-s")
        .arg(target)
        .args(vars)
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .output()
        .expect("run make");
    assert!(!out.status.success(), "`make {target}` succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_binary_whose_version_is_not_cargo_toml_s_is_not_packaged() {
    let scratch = tempfile::tempdir().unwrap();
    let stale = scratch.path().join("terraform-provider-ecs");
    std::fs::write(&stale, "#!/bin/sh\necho 'terraform-provider-ecs 0.0.1'\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let plugin_dir = scratch.path().join("plugins");
    let err = make_fails(
        "install",
        &[
            format!("PROVIDER_BIN={}", stale.display()),
            format!("PLUGIN_DIR={}", plugin_dir.display()),
        ],
    );
    assert!(
        err.contains("0.0.1") && err.contains(VERSION) && err.contains("rebuild"),
        "{err}"
    );
    assert!(!plugin_dir.exists(), "nothing may be installed");
}

#[test]
fn make_release_without_a_key_writes_no_signature() {
    let scratch = tempfile::tempdir().unwrap();
    let dist = scratch.path().join("dist");
    make("release", &[("DIST", &dist)], &[]);
    let mut names: Vec<String> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let prefix = format!("terraform-provider-ecs_{VERSION}");
    assert_eq!(
        names,
        [
            format!("{prefix}_SHA256SUMS"),
            format!("{prefix}_{}.zip", os_arch()),
            format!("{prefix}_manifest.json"),
        ]
    );
}
