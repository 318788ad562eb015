//! The provider binary as Terraform sees it: launched with Terraform's
//! environment, connected over AutoMTLS with a P-521 client certificate,
//! asked for its schema, shut down. Plus the refusals: no certificate, the
//! wrong certificate, no magic cookie, no protocol 5.

#[path = "../benches/handshake/client.rs"]
mod client;

use client::tfplugin5::{self, provider_client::ProviderClient};
use client::{ClientCert, Trust};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-ecs"))
}

/// Waits for the plugin to exit (generously: a hang fails, speed does not).
async fn exit_code(launched: &mut client::Launched) -> Option<i32> {
    let status = tokio::time::timeout(Duration::from_secs(10), launched.child.wait())
        .await
        .expect("plugin exits after Shutdown")
        .expect("wait");
    status.code()
}

async fn assert_stdout_done(launched: &mut client::Launched) {
    let mut rest = String::new();
    launched.stdout.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "", "stdout must hold only the handshake line");
}

async fn get_schema(
    channel: tonic::transport::Channel,
) -> Result<tfplugin5::get_provider_schema::Response, tonic::Status> {
    ProviderClient::new(channel)
        .get_schema(tfplugin5::get_provider_schema::Request {})
        .await
        .map(tonic::Response::into_inner)
}

/// Connects as Terraform would (with `cert`, or plaintext), checks that the
/// schema is served, then shuts the plugin down and expects a clean exit.
async fn serve_then_shut_down(launched: &mut client::Launched, cert: Option<&ClientCert>) {
    let hs = launched.handshake.clone();
    let channel = client::channel(&hs, cert, Trust::WebPki).await.unwrap();
    assert!(get_schema(channel.clone()).await.is_ok());
    client::shutdown(channel).await.unwrap();
    assert_eq!(exit_code(launched).await, Some(0));
}

#[tokio::test]
async fn automtls_with_p521_client_cert_serves_schema_and_shuts_down() {
    let cert = ClientCert::generate();
    let mut plugin = client::launch(binary(), Some(&cert), &[], Stdio::null())
        .await
        .unwrap();
    let hs = plugin.handshake.clone();
    assert_eq!(
        (hs.core_version.as_str(), hs.protocol_version.as_str()),
        ("1", "5")
    );
    assert_eq!(
        (hs.network.as_str(), hs.protocol.as_str()),
        ("unix", "grpc")
    );
    assert!(
        hs.line.len() > 50 && hs.cert.is_some(),
        "a certificate is printed: {}",
        hs.line
    );

    // Trust only the printed certificate, with webpki's full checks.
    let channel = client::channel(&hs, Some(&cert), Trust::WebPki)
        .await
        .unwrap();
    let schema = get_schema(channel.clone()).await.unwrap();
    let provider = schema.provider.expect("a provider schema");
    assert!(provider.block.is_some());
    assert!(schema.diagnostics.is_empty());
    let caps = schema.server_capabilities.expect("server capabilities");
    assert!(!caps.plan_destroy && !caps.get_provider_schema_optional);

    // Health reports the plugin service as SERVING.
    let health = tonic_health::pb::health_client::HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    client::shutdown(channel).await.unwrap();
    assert_eq!(exit_code(&mut plugin).await, Some(0));
    assert_stdout_done(&mut plugin).await;
    let socket_dir = Path::new(&hs.address).parent().unwrap();
    assert!(
        !socket_dir.exists(),
        "the socket directory is removed on exit"
    );
}

#[tokio::test]
async fn refuses_clients_without_the_terraform_certificate() {
    let cert = ClientCert::generate();
    let mut plugin = client::launch(binary(), Some(&cert), &[], Stdio::null())
        .await
        .unwrap();
    let hs = plugin.handshake.clone();

    // No client certificate at all.
    let no_cert = match client::channel(&hs, None, Trust::WebPki).await {
        Ok(channel) => get_schema(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(no_cert, "a client without a certificate must be refused");

    // A different certificate made the same way.
    let other = ClientCert::generate();
    let wrong_cert = match client::channel(&hs, Some(&other), Trust::WebPki).await {
        Ok(channel) => get_schema(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(
        wrong_cert,
        "a client with another certificate must be refused"
    );

    // A plaintext client.
    let plain_hs = client::Handshake {
        cert: None,
        ..hs.clone()
    };
    let plaintext = match client::channel(&plain_hs, None, Trust::WebPki).await {
        Ok(channel) => get_schema(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(plaintext, "a plaintext client must be refused");

    // The server is unharmed: Terraform itself still gets through.
    serve_then_shut_down(&mut plugin, Some(&cert)).await;
}

#[tokio::test]
async fn plaintext_when_no_client_cert_is_given() {
    let mut plugin = client::launch(binary(), None, &[], Stdio::null())
        .await
        .unwrap();
    let hs = plugin.handshake.clone();
    assert!(
        hs.line.ends_with("|grpc|"),
        "empty certificate field: {}",
        hs.line
    );
    serve_then_shut_down(&mut plugin, None).await;
    assert_stdout_done(&mut plugin).await;
}

#[tokio::test]
async fn unix_socket_in_plugin_unix_socket_dir() {
    let cert = ClientCert::generate();
    let dir = tempfile::tempdir().unwrap();
    let env = [("PLUGIN_UNIX_SOCKET_DIR", dir.path().to_str().unwrap())];
    let mut plugin = client::launch(binary(), Some(&cert), &env, Stdio::null())
        .await
        .unwrap();
    let hs = plugin.handshake.clone();
    assert_eq!(hs.network, "unix");
    let socket = Path::new(&hs.address);
    assert_eq!(socket.parent().and_then(Path::parent), Some(dir.path()));
    serve_then_shut_down(&mut plugin, Some(&cert)).await;
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "the socket's directory is removed on exit"
    );
}

#[tokio::test]
async fn tcp_transport_within_the_port_range() {
    let cert = ClientCert::generate();
    let env = [
        ("PLUGIN_TRANSPORT", "tcp"),
        ("PLUGIN_MIN_PORT", "21000"),
        ("PLUGIN_MAX_PORT", "21999"),
    ];
    let mut plugin = client::launch(binary(), Some(&cert), &env, Stdio::null())
        .await
        .unwrap();
    let hs = plugin.handshake.clone();
    assert_eq!(hs.network, "tcp");
    let addr: std::net::SocketAddr = hs.address.parse().unwrap();
    assert!(
        addr.ip().is_loopback() && (21000..=21999).contains(&addr.port()),
        "{addr}"
    );
    serve_then_shut_down(&mut plugin, Some(&cert)).await;
}

#[tokio::test]
async fn sigint_is_ignored_and_rpcs_run_concurrently() {
    let cert = ClientCert::generate();
    let mut plugin = client::launch(binary(), Some(&cert), &[], Stdio::null())
        .await
        .unwrap();
    let pid = plugin.child.id().unwrap() as i32;
    // SAFETY: kill(2) on our own child's pid has no memory effects.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        plugin.child.try_wait().unwrap().is_none(),
        "SIGINT must not stop the plugin"
    );

    let channel = client::channel(&plugin.handshake, Some(&cert), Trust::WebPki)
        .await
        .unwrap();
    let calls = (0..16).map(|_| get_schema(channel.clone()));
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    // Stop answers at once and leaves the plugin serving.
    let stop = ProviderClient::new(channel.clone())
        .stop(tfplugin5::stop::Request {})
        .await
        .unwrap();
    assert_eq!(stop.into_inner().error, "");
    assert!(get_schema(channel.clone()).await.is_ok());
    client::shutdown(channel).await.unwrap();
    assert_eq!(exit_code(&mut plugin).await, Some(0));
}

/// Runs the binary to completion with this environment.
fn run_by_hand(env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(binary());
    command
        .env_remove(client::MAGIC_COOKIE_KEY)
        .env_remove("PLUGIN_PROTOCOL_VERSIONS")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

#[test]
fn without_the_magic_cookie_explains_itself_and_exits_1() {
    let out = run_by_hand(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Terraform provider plugin")
            && stderr.contains("not meant to be run by hand"),
        "{stderr}"
    );
}

#[test]
fn protocol_6_only_is_a_clear_error() {
    let out = run_by_hand(&[
        (client::MAGIC_COOKIE_KEY, client::MAGIC_COOKIE_VALUE),
        ("PLUGIN_PROTOCOL_VERSIONS", "6"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("speaks only version 5"), "{stderr}");
}

#[test]
fn version_flag() {
    let out = std::process::Command::new(binary())
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn debug_mode_prints_reattach_config_and_serves_plaintext() {
    let mut child = tokio::process::Command::new(binary())
        .arg("--debug")
        .env_remove(client::MAGIC_COOKIE_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let json = loop {
        let mut line = String::new();
        use tokio::io::AsyncBufReadExt;
        let n = tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "debug output ended early: {text}");
        text.push_str(&line);
        if let Some(rest) = line.trim().strip_prefix("export TF_REATTACH_PROVIDERS='") {
            break rest.trim_end_matches('\'').to_string();
        }
    };
    let config: serde_json::Value = serde_json::from_str(&json).unwrap();
    // One line for Terraform and OpenTofu: the published address on both registry hosts.
    let entry = &config["registry.terraform.io/ecs-tools/ecs"];
    assert_eq!(entry, &config["registry.opentofu.org/ecs-tools/ecs"]);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["ProtocolVersion"], 5);
    assert_eq!(entry["Pid"], child.id().unwrap());
    let hs = client::Handshake::parse(&format!(
        "1|5|{}|{}|grpc|",
        entry["Addr"]["Network"].as_str().unwrap(),
        entry["Addr"]["String"].as_str().unwrap()
    ))
    .unwrap();
    let channel = client::channel(&hs, None, Trust::WebPki).await.unwrap();
    assert!(get_schema(channel.clone()).await.is_ok());
    // Terraform's Shutdown does not end a debug session; Ctrl-C does.
    client::shutdown(channel.clone()).await.unwrap();
    assert!(get_schema(channel).await.is_ok());
    // SAFETY: kill(2) on our own child's pid has no memory effects.
    assert_eq!(
        unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGINT) },
        0
    );
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
