//! The go-plugin handshake: what Terraform's environment asks of us, and
//! the one line we answer on stdout.
//!
//! Terraform sets a magic cookie (so a plugin run by hand can say so and
//! stop), the protocol versions it speaks, and, for AutoMTLS, its client
//! certificate. The answer is `1|5|NETWORK|ADDRESS|grpc|CERT`: core protocol
//! 1, app protocol 5, where to connect, and our certificate in unpadded
//! standard base64 (empty when serving plaintext).

use base64::Engine;

pub(crate) const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub(crate) const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The only plugin protocol this provider speaks.
pub(crate) const PROTOCOL_VERSION: u32 = 5;

/// Where to listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    /// A socket in a private temporary directory (the go-plugin default).
    Unix,
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
         run terraform. For a local build, point a dev_overrides entry of your Terraform CLI \
         configuration at the directory holding this binary.\n\
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

/// Unix sockets where they exist, as go-plugin does; TCP on other systems
/// or when `PLUGIN_TRANSPORT=tcp` asks for it.
pub(crate) fn transport(env: impl Fn(&str) -> Option<String>) -> Result<Transport, Refusal> {
    let wants_tcp = env("PLUGIN_TRANSPORT").is_some_and(|t| t.eq_ignore_ascii_case("tcp"));
    if cfg!(unix) && !wants_tcp {
        return Ok(Transport::Unix);
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

/// The `TF_REATTACH_PROVIDERS` value for `--debug` mode. `Test: true` tells
/// Terraform it does not own the process (so it neither kills it nor
/// assumes TLS).
pub(crate) fn reattach_json(
    provider_address: &str,
    network: &str,
    address: &str,
    pid: u32,
) -> String {
    serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": network, "String": address },
        }
    })
    .to_string()
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
            assert_eq!(transport(env_of(&[])), Ok(Transport::Unix));
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
    fn reattach_json_shape() {
        let json: serde_json::Value = serde_json::from_str(&reattach_json(
            "registry.terraform.io/local/ecs",
            "unix",
            "/s",
            42,
        ))
        .unwrap();
        let entry = &json["registry.terraform.io/local/ecs"];
        assert_eq!(entry["Test"], true);
        assert_eq!(entry["ProtocolVersion"], 5);
        assert_eq!(entry["Pid"], 42);
        assert_eq!(entry["Addr"]["Network"], "unix");
        assert_eq!(entry["Addr"]["String"], "/s");
    }
}
