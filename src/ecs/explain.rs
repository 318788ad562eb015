//! Remedies that depend on this client's configuration. The table in
//! [`super::codes`] says *what* to do in general ("check the secret"); here
//! the same failures name *which* value to look at: the endpoint URL the
//! client really used, and where the caller got each setting (a provider
//! block attribute, an environment variable...), as told by [`Origins`].
//!
//! The result goes into [`Error::hint`], which `Display` prints instead of
//! the table's remedy. Nothing secret is printed: the endpoint is the base
//! URL only (the V1 query, which can hold a token, is never part of it).

use url::Url;

use super::codes;
use super::error::{Error, ErrorKind};

/// Where the caller got each setting, in words a user recognises, e.g.
/// "the environment variable ALICLOUD_SECRET_KEY". Empty: unknown, and the
/// table's generic remedy is used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins {
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub endpoint: String,
}

/// What [`annotate`] needs to know about the client.
pub struct Context<'a> {
    pub endpoint: &'a Url,
    /// No endpoint was configured: `endpoint` is the region's default, so
    /// a wrong region shows up as an endpoint that does not answer.
    pub endpoint_is_default: bool,
    pub region: &'a str,
    pub origins: &'a Origins,
}

/// The API's message for a refused signature carries the server's string to
/// sign (several lines of canonical request): useful when debugging the
/// signer, noise for a user. It stays in the DEBUG log.
const STRING_TO_SIGN: &str = "string to sign";

fn from(origin: &str) -> String {
    if origin.is_empty() {
        String::new()
    } else {
        format!(" (from {origin})")
    }
}

/// Sets `err.hint` (and trims its message) where the configuration explains
/// the failure. `regions` are the regions the endpoint serves, when known.
pub fn annotate(err: &mut Error, ctx: &Context<'_>, regions: Option<&[String]>) {
    let o = ctx.origins;
    if let Some(at) = err.message.find(STRING_TO_SIGN) {
        tracing::debug!(action = %err.action, code = %err.code, message = %err.message, "ecs refused the signature");
        err.message = err.message[..at]
            .trim_end_matches([' ', ':', '.'])
            .trim_end_matches(" server")
            .to_string()
            + ".";
    }
    let hint = match (err.kind, err.code.as_str()) {
        (ErrorKind::Transport | ErrorKind::Timeout, code) if err.http_status.is_none() => {
            let url = ctx.endpoint.as_str();
            let generic = matches!(code, codes::TRANSPORT | codes::CONNECT_TIMEOUT | codes::READ_TIMEOUT);
            let tls = matches!(code, codes::TLS_UNTRUSTED | codes::TLS_EXPIRED | codes::TLS_WRONG_HOST | codes::TLS_HANDSHAKE);
            if !generic && !tls {
                // The call's own deadline, a cancel: nothing about the endpoint.
                return;
            }
            if ctx.endpoint.scheme() == "https" && looks_like_plain_http(&err.message) {
                format!("{url}{} is an https:// URL, but the server there answers plain HTTP (a local emulator?): use http:// for it, then run Terraform again", from(&o.endpoint))
            } else if tls {
                // A TLS refusal: the table's remedy is the fix; say where.
                format!("{url}{}: {}", from(&o.endpoint), err.remedy())
            } else if ctx.endpoint_is_default {
                let origin = if o.region.is_empty() {
                    String::new()
                } else {
                    format!(", which came from {}", o.region)
                };
                format!("no answer from {url}, the default endpoint of region \"{}\"; check the region{origin}, and network access (proxy, firewall, DNS), or set an endpoint, then run Terraform again", ctx.region)
            } else {
                format!("no answer from {url}{}; check that this endpoint is right and reachable (is the emulator running? proxy, firewall, DNS), then run Terraform again", from(&o.endpoint))
            }
        }
        (_, "InvalidRegionId.NotFound") => {
            let known = match regions {
                Some(r) if !r.is_empty() => format!(" (it serves {})", r.join(", ")),
                _ => String::new(),
            };
            let origin = if o.region.is_empty() {
                String::new()
            } else {
                format!(", which came from {}", o.region)
            };
            format!(
                "{} does not serve region \"{}\"{known}: fix the region{origin}",
                ctx.endpoint.as_str(),
                ctx.region,
            )
        }
        (_, "InvalidAccessKeyId.NotFound") if !o.access_key.is_empty() => format!(
            "{} does not know this access key: check access_key, which came from {}",
            ctx.endpoint.as_str(),
            o.access_key
        ),
        (_, "SignatureDoesNotMatch") if !o.secret_key.is_empty() => format!(
            "the signature was rejected: check secret_key, which came from {} (typos, stray spaces), and that it belongs to the access key from {}",
            o.secret_key, o.access_key
        ),
        _ => return,
    };
    err.hint = Some(hint.into_boxed_str());
}

/// What rustls reports when the server's first bytes are not TLS.
fn looks_like_plain_http(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "invalidcontenttype",
        "corrupt message",
        "wrong version number",
        "http request",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins() -> Origins {
        Origins {
            region: "the environment variable ALICLOUD_REGION".into(),
            access_key: "the environment variable ALICLOUD_ACCESS_KEY".into(),
            secret_key: "secret_key in the provider block".into(),
            endpoint: "the environment variable ALIBABA_CLOUD_ENDPOINT_ECS".into(),
        }
    }

    fn explained(mut err: Error, endpoint: &str, regions: Option<&[String]>) -> Error {
        let url = Url::parse(endpoint).unwrap();
        let o = origins();
        annotate(
            &mut err,
            &Context {
                endpoint: &url,
                endpoint_is_default: endpoint.contains("aliyuncs.com"),
                region: "cn-nowhere",
                origins: &o,
            },
            regions,
        );
        err
    }

    #[test]
    fn connection_failures_name_the_url_and_where_it_came_from() {
        let e = Error::local(
            ErrorKind::Transport,
            "DescribeInstances",
            "Transport",
            "could not connect: tcp connect error: Connection refused",
        );
        let s = explained(e, "http://127.0.0.1:1/", None).to_string();
        assert!(s.contains("no answer from http://127.0.0.1:1/ (from the environment variable ALIBABA_CLOUD_ENDPOINT_ECS)"), "{s}");
        assert!(!s.contains("apply again"), "{s}");
    }

    #[test]
    fn no_answer_from_the_default_endpoint_points_at_the_region() {
        let e = Error::local(
            ErrorKind::Transport,
            "DescribeInstances",
            "Transport",
            "could not connect: dns error: failed to lookup address information",
        );
        let s = explained(e, "https://ecs.cn-nowhere.aliyuncs.com/", None).to_string();
        assert!(s.contains("no answer from https://ecs.cn-nowhere.aliyuncs.com/, the default endpoint of region \"cn-nowhere\"; check the region, which came from the environment variable ALICLOUD_REGION"), "{s}");
    }

    #[test]
    fn a_deadline_keeps_its_own_remedy() {
        let e = Error::local(
            ErrorKind::Timeout,
            "DescribeInstances",
            codes::DEADLINE_EXCEEDED,
            "out of time",
        );
        assert!(explained(e, "http://127.0.0.1:1/", None).hint.is_none());
    }

    #[test]
    fn tls_refusals_keep_their_remedy_and_name_the_endpoint() {
        let e = Error::local(
            ErrorKind::Transport,
            "DescribeInstances",
            codes::TLS_UNTRUSTED,
            "the server's certificate was issued by an unknown certificate authority",
        );
        let s = explained(e, "https://127.0.0.1:8443/", None).to_string();
        assert!(s.contains("https://127.0.0.1:8443/ (from the environment variable ALIBABA_CLOUD_ENDPOINT_ECS): the endpoint's certificate is not signed by a CA this machine trusts"), "{s}");
        assert!(s.contains("SSL_CERT_FILE"), "{s}");
    }

    #[test]
    fn https_to_a_plain_http_server_says_so() {
        let e = Error::local(
            ErrorKind::Transport,
            "DescribeInstances",
            "Transport",
            "the request failed: received corrupt message of type InvalidContentType",
        );
        let s = explained(e, "https://127.0.0.1:8080/", None).to_string();
        assert!(s.contains("answers plain HTTP"), "{s}");
        assert!(s.contains("use http://"), "{s}");
    }

    #[test]
    fn a_wrong_region_lists_the_regions_served() {
        let e = Error::api(
            "DescribeInstances",
            Some(404),
            "InvalidRegionId.NotFound",
            "The specified RegionId does not exist.",
            None,
        );
        let regions = vec!["cn-hangzhou".to_string()];
        let s = explained(e, "http://127.0.0.1:1/", Some(&regions)).to_string();
        assert!(
            s.contains("does not serve region \"cn-nowhere\" (it serves cn-hangzhou): fix the region, which came from the environment variable ALICLOUD_REGION"),
            "{s}"
        );
        assert!(!s.contains("check the ids"), "{s}");
    }

    #[test]
    fn bad_credentials_name_their_origin_without_the_string_to_sign() {
        let e = Error::api("DescribeInstances", Some(400), "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId\nline two", None);
        let s = explained(e, "http://127.0.0.1:1/", None).to_string();
        assert!(
            s.contains("check secret_key, which came from secret_key in the provider block"),
            "{s}"
        );
        assert!(
            s.contains("access key from the environment variable ALICLOUD_ACCESS_KEY"),
            "{s}"
        );
        assert!(!s.contains("string to sign") && !s.contains('\n'), "{s}");
        assert!(s.contains("not matched with our calculation."), "{s}");
        let e = Error::api(
            "DescribeInstances",
            Some(404),
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
            None,
        );
        let s = explained(e, "http://127.0.0.1:1/", None).to_string();
        assert!(
            s.contains(
                "check access_key, which came from the environment variable ALICLOUD_ACCESS_KEY"
            ),
            "{s}"
        );
        assert!(!s.contains("ALIBABA_CLOUD_ACCESS_KEY_ID"), "{s}");
    }
}
