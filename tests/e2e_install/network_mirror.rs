//! The network mirror files `make mirror` writes, served over HTTPS as a team would host
//! them, and installed from by real Terraform.

use crate::packaging::{
    assert_ok, locked_hashes, make, os_arch, read_json, required_providers, tampered_binary,
    SOURCE, VERSION,
};
use crate::support;
use std::path::{Path, PathBuf};
use std::process::Command;

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
