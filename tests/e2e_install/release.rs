//! `make release`: the registry's artifacts, signed with a throwaway GnuPG key; and what
//! packaging refuses.

use crate::packaging::{make, make_fails, os_arch, read_json, VERSION};
use crate::support;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

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

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

fn gpg_in(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(gpg())
        .env("GNUPGHOME", home)
        .args(args)
        .output()
        .expect("run gpg")
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
