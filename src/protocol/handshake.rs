//! The go-plugin handshake: what Terraform's environment asks of us, and
//! the one line we answer on stdout.
//!
//! Terraform sets a magic cookie (so a plugin run by hand can say so and
//! stop), the protocol versions it speaks, and, for AutoMTLS, its client
//! certificate. The answer is `1|5|NETWORK|ADDRESS|grpc|CERT`: core protocol
//! 1, app protocol 5, where to connect, and our certificate in unpadded
//! standard base64 (empty when serving plaintext).

use base64::Engine;
use std::path::PathBuf;

pub(crate) const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub(crate) const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Where go-plugin clients ask plugins to put their unix socket.
pub(crate) const SOCKET_DIR_ENV: &str = "PLUGIN_UNIX_SOCKET_DIR";
/// The only plugin protocol this provider speaks.
pub(crate) const PROTOCOL_VERSION: u32 = 5;

/// Where to listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    /// A socket in a private directory created in `socket_dir` (go-plugin's
    /// `PLUGIN_UNIX_SOCKET_DIR`), or in the system's temporary directory.
    Unix { socket_dir: Option<PathBuf> },
    /// 127.0.0.1, on the first free port of the range (any port if `None`).
    Tcp(Option<(u16, u16)>),
}

/// What the environment asks for, once it has been found acceptable.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Terraform's AutoMTLS client certificate (PEM); plaintext when `None`.
    pub(crate) client_cert: Option<String>,
    pub(crate) transport: Transport,
}

/// Why the process will not serve; printed to stderr as is.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error(
        "This is terraform-provider-ecs, a Terraform provider plugin. Terraform starts it \
         itself; it is not meant to be run by hand.\n\n\
         To use it, declare the provider in a configuration's required_providers block and \
         run terraform init. For a local build, `make install` in the provider's repository \
         puts it where terraform init finds it.\n\
         To debug it, run `terraform-provider-ecs --debug` and export the \
         TF_REATTACH_PROVIDERS line it prints before running terraform."
    )]
    NotStartedByTerraform,
    #[error(
        "Terraform offered plugin protocol version(s) {0}, but terraform-provider-ecs speaks \
         only version 5. Use Terraform 0.12 or later, or an OpenTofu release."
    )]
    ProtocolVersion(String),
    #[error("{0} must be a port number (1-65535), found {1:?}")]
    BadPort(&'static str, String),
}

/// Checks the environment Terraform sets; `env` reads one variable.
pub(crate) fn settings(env: impl Fn(&str) -> Option<String>) -> Result<Settings, Refusal> {
    if env(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(Refusal::NotStartedByTerraform);
    }
    // Unset means a client older than version negotiation: it speaks 5.
    if let Some(offered) = env("PLUGIN_PROTOCOL_VERSIONS").filter(|v| !v.trim().is_empty()) {
        let speaks_ours = offered
            .split(',')
            .any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
        if !speaks_ours {
            return Err(Refusal::ProtocolVersion(offered));
        }
    }
    Ok(Settings {
        client_cert: env("PLUGIN_CLIENT_CERT").filter(|pem| !pem.trim().is_empty()),
        transport: transport(&env)?,
    })
}

/// Unix sockets where they exist, as go-plugin does (in `PLUGIN_UNIX_SOCKET_DIR`
/// when it is set, as the client asks for short socket paths that way); TCP
/// on other systems or when `PLUGIN_TRANSPORT=tcp` asks for it.
pub(crate) fn transport(env: impl Fn(&str) -> Option<String>) -> Result<Transport, Refusal> {
    let wants_tcp = env("PLUGIN_TRANSPORT").is_some_and(|t| t.eq_ignore_ascii_case("tcp"));
    if cfg!(unix) && !wants_tcp {
        let socket_dir = env(SOCKET_DIR_ENV)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from);
        return Ok(Transport::Unix { socket_dir });
    }
    let port = |key: &'static str| -> Result<Option<u16>, Refusal> {
        match env(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .map(Some)
                .ok_or(Refusal::BadPort(key, v)),
        }
    };
    let range = match (port("PLUGIN_MIN_PORT")?, port("PLUGIN_MAX_PORT")?) {
        (None, None) => None,
        (min, max) => Some((min.unwrap_or(1024), max.unwrap_or(u16::MAX))),
    };
    Ok(Transport::Tcp(range))
}

/// The handshake line (without the newline).
pub(crate) fn line(network: &str, address: &str, cert_der: Option<&[u8]>) -> String {
    let cert = cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("1|{PROTOCOL_VERSION}|{network}|{address}|grpc|{cert}")
}

/// The public registry hosts: a source address written without a host means
/// the first to Terraform and the second to OpenTofu.
const REGISTRY_HOSTS: [&str; 2] = ["registry.terraform.io", "registry.opentofu.org"];

/// The addresses a `--debug` session answers to: `source` (`HOST/NAMESPACE/TYPE`
/// or `NAMESPACE/TYPE`), and when its host is a public registry's (or absent),
/// the same provider on both, so that one reattach line serves Terraform and
/// OpenTofu whether the configuration writes the host or not. `None` for a
/// malformed address.
pub(crate) fn reattach_addresses(source: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = source.split('/').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    match parts.as_slice() {
        [host, ns, ty] if !REGISTRY_HOSTS.contains(host) => Some(vec![format!("{host}/{ns}/{ty}")]),
        [_, ns, ty] | [ns, ty] => Some(
            REGISTRY_HOSTS
                .iter()
                .map(|host| format!("{host}/{ns}/{ty}"))
                .collect(),
        ),
        _ => None,
    }
}

/// The `TF_REATTACH_PROVIDERS` value for `--debug` mode: one entry per
/// provider address, all pointing at this process. `Test: true` tells
/// Terraform it does not own the process (so it neither kills it nor
/// assumes TLS).
pub(crate) fn reattach_json(
    provider_addresses: &[String],
    network: &str,
    address: &str,
    pid: u32,
) -> String {
    let entry = serde_json::json!({
        "Protocol": "grpc",
        "ProtocolVersion": PROTOCOL_VERSION,
        "Pid": pid,
        "Test": true,
        "Addr": { "Network": network, "String": address },
    });
    let map: serde_json::Map<String, serde_json::Value> = provider_addresses
        .iter()
        .map(|a| (a.clone(), entry.clone()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| map.get(key).cloned()
    }

    const COOKIE: (&str, &str) = (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE);

    #[test]
    fn refuses_without_the_cookie_or_with_a_wrong_one() {
        assert_eq!(settings(env_of(&[])), Err(Refusal::NotStartedByTerraform));
        let wrong = env_of(&[(MAGIC_COOKIE_KEY, "nope")]);
        assert_eq!(settings(wrong), Err(Refusal::NotStartedByTerraform));
        let msg = Refusal::NotStartedByTerraform.to_string();
        assert!(
            msg.contains("Terraform provider plugin") && msg.contains("--debug"),
            "{msg}"
        );
    }

    #[test]
    fn protocol_versions() {
        // Terraform 1.x offers both, in either order; 0.12-0.14 offer 5.
        for ok in ["5", "6,5", "5,6", " 6 , 5 ", ""] {
            let env = env_of(&[COOKIE, ("PLUGIN_PROTOCOL_VERSIONS", ok)]);
            assert!(settings(env).is_ok(), "{ok:?}");
        }
        assert!(settings(env_of(&[COOKIE])).is_ok(), "unset");
        let env = env_of(&[COOKIE, ("PLUGIN_PROTOCOL_VERSIONS", "6")]);
        let err = settings(env).unwrap_err();
        assert_eq!(err, Refusal::ProtocolVersion("6".into()));
        assert!(err.to_string().contains("only version 5"));
    }

    #[test]
    fn client_cert_selects_tls() {
        let env = env_of(&[
            COOKIE,
            ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----"),
        ]);
        assert!(settings(env).unwrap().client_cert.is_some());
        let env = env_of(&[COOKIE, ("PLUGIN_CLIENT_CERT", "")]);
        assert_eq!(settings(env).unwrap().client_cert, None);
    }

    #[test]
    fn transport_choice() {
        if cfg!(unix) {
            assert_eq!(
                transport(env_of(&[])),
                Ok(Transport::Unix { socket_dir: None })
            );
            assert_eq!(
                transport(env_of(&[(SOCKET_DIR_ENV, "/run/tf")])),
                Ok(Transport::Unix {
                    socket_dir: Some(PathBuf::from("/run/tf"))
                })
            );
        }
        let tcp = env_of(&[
            ("PLUGIN_TRANSPORT", "TCP"),
            ("PLUGIN_MIN_PORT", "10000"),
            ("PLUGIN_MAX_PORT", "25000"),
        ]);
        assert_eq!(transport(tcp), Ok(Transport::Tcp(Some((10000, 25000)))));
        assert_eq!(
            transport(env_of(&[("PLUGIN_TRANSPORT", "tcp")])),
            Ok(Transport::Tcp(None))
        );
        let bad = env_of(&[("PLUGIN_TRANSPORT", "tcp"), ("PLUGIN_MIN_PORT", "x")]);
        assert!(matches!(
            transport(bad),
            Err(Refusal::BadPort("PLUGIN_MIN_PORT", _))
        ));
    }

    #[test]
    fn handshake_line_format() {
        assert_eq!(
            line("unix", "/tmp/x/plugin.sock", None),
            "1|5|unix|/tmp/x/plugin.sock|grpc|"
        );
        // Unpadded standard base64: 4 bytes would need "==" padding.
        assert_eq!(
            line("tcp", "127.0.0.1:10000", Some(&[0xff, 0xfe, 0xfd, 0xfc])),
            "1|5|tcp|127.0.0.1:10000|grpc|//79/A"
        );
    }

    #[test]
    fn reattach_addresses_cover_both_public_registries() {
        let both = Some(vec![
            "registry.terraform.io/ns/ecs".to_string(),
            "registry.opentofu.org/ns/ecs".to_string(),
        ]);
        assert_eq!(reattach_addresses("registry.terraform.io/ns/ecs"), both);
        assert_eq!(reattach_addresses("registry.opentofu.org/ns/ecs"), both);
        assert_eq!(reattach_addresses("ns/ecs"), both);
        assert_eq!(
            reattach_addresses("tf.example.com/ns/ecs"),
            Some(vec!["tf.example.com/ns/ecs".to_string()])
        );
        for bad in ["", "ecs", "a//ecs", "a/b/c/d"] {
            assert_eq!(reattach_addresses(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reattach_json_shape() {
        let addresses = [
            "registry.terraform.io/ns/ecs".to_string(),
            "b/ns/ecs".to_string(),
        ];
        let json: serde_json::Value =
            serde_json::from_str(&reattach_json(&addresses, "unix", "/s", 42)).unwrap();
        assert_eq!(json["b/ns/ecs"], json["registry.terraform.io/ns/ecs"]);
        let entry = &json["registry.terraform.io/ns/ecs"];
        assert_eq!(entry["Test"], true);
        assert_eq!(entry["ProtocolVersion"], 5);
        assert_eq!(entry["Pid"], 42);
        assert_eq!(entry["Addr"]["Network"], "unix");
        assert_eq!(entry["Addr"]["String"], "/s");
    }
}
