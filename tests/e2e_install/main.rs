//! The provider installed the way every published provider is: no `dev_overrides`, real
//! `terraform init`, a dependency lock file, mirrors and signed release artifacts.
//!
//! Each test packages the binary cargo built for this run (`PROVIDER_BIN=...`) with the
//! project's own `make install`, `make mirror` and `make release`, into temporary
//! directories. Terraform never reaches a registry: the provider comes from the implied
//! local mirror (a temporary `HOME`'s `~/.terraform.d/plugins`) or from an explicit
//! `filesystem_mirror`, and both exclude it from direct installation.

#[path = "../e2e_support/mod.rs"]
mod e2e_support;
#[path = "../support/mod.rs"]
mod support;

mod network_mirror;
mod packaging;
mod release;

use e2e_support::{Cloud, IMAGE};
use packaging::{
    assert_ok, fs_mirror_config, locked_hashes, make, os_arch, read_json, refused_by_the_lock,
    required_providers, tampered_binary, version_constraint, SOURCE, VERSION,
};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

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
             instance_type = \"ecs.g6.large\"\n{}}}\n",
            required_providers(),
            e2e_support::GROUP
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
