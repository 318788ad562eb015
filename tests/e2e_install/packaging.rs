//! Packaging the provider with the project's own make targets, and reading what Terraform
//! made of it (lock files, mirror JSON).

use crate::support::{self, TfRun};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The source address every example uses (`make install`'s default `SOURCE`).
pub(crate) const SOURCE: &str = "registry.terraform.io/ecs-tools/ecs";

pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `make -s TARGET VARS...` at the project root, packaging the binary of this test run.
pub(crate) fn make(target: &str, vars: &[(&str, &Path)], env: &[(&str, &Path)]) -> String {
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

/// Runs `make TARGET VARS...` expecting failure; returns stderr.
pub(crate) fn make_fails(target: &str, vars: &[String]) -> String {
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

/// This machine's OS_ARCH, as `make install` names it.
pub(crate) fn os_arch() -> String {
    let out = Command::new("python3")
        .arg(support::project_root().join("scripts/dist.py"))
        .arg("platform")
        .output()
        .expect("run dist.py platform");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `~> MAJOR.MINOR.0`: any patch release of this version's minor line.
pub(crate) fn version_constraint() -> String {
    let mut parts = VERSION.split('.');
    let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
    format!("~> {major}.{minor}.0")
}

pub(crate) fn required_providers() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    ecs = {{\n      source  = \"{SOURCE}\"\n      \
         version = \"{}\"\n    }}\n  }}\n}}\n",
        version_constraint()
    )
}

/// The `hashes` of our provider in a `.terraform.lock.hcl`.
pub(crate) fn locked_hashes(lock_file: &Path) -> Vec<String> {
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
pub(crate) fn refused_by_the_lock(run: &TfRun) -> bool {
    let text = run.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    text.contains(
        "doesn't match any of the checksums previously recorded in the dependency lock file",
    )
}

pub(crate) fn assert_ok(run: &TfRun, what: &str) {
    assert!(
        run.success(),
        "{what} exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
}

/// A copy of the provider binary with bytes appended: still runs, hashes differently.
pub(crate) fn tampered_binary(dir: &Path) -> PathBuf {
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

/// A CLI config whose only installation method is the filesystem mirror at `mirror`.
pub(crate) fn fs_mirror_config(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    \
         include = [\"{SOURCE}\"]\n  }}\n}}\n",
        mirror.display()
    )
}

pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}
