//! Authentication as the gateway does it, before any action runs: V1
//! (`Signature` parameter, HMAC-SHA1) or V3 (`Authorization: ACS3-HMAC-SHA256`
//! header). The signature rules are not reimplemented here: the server
//! rebuilds the string to sign with `crate::ecs::sign`, the same code the
//! client signs with, and compares.
//!
//! Order of checks: missing pieces, unknown key, signature, timestamp
//! window (±15 minutes), nonce reuse. A mismatch answers with the server's
//! string to sign at the end of the message (`...is:<string>`), which SDKs
//! parse to tell a wrong secret from a wrong canonicalisation.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::error::ApiError;
use crate::ecs::sign;

/// Allowed clock skew either way.
pub const MAX_SKEW_MINUTES: i64 = 15;
/// How long nonces are remembered: past this a replay fails the timestamp check anyway.
const NONCE_MEMORY_MINUTES: i64 = 2 * MAX_SKEW_MINUTES + 1;

/// What a request presents for authentication.
pub struct Presented<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Query parameters, decoded, in order.
    pub query: &'a [(String, String)],
    /// Form-body parameters, decoded, in order.
    pub form: &'a [(String, String)],
    /// All headers (name, value).
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Presented<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(self.form)
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// A request that passed authentication.
#[derive(Debug, PartialEq, Eq)]
pub struct Verified {
    pub action: String,
    pub version: String,
}

/// The one known key pair.
pub struct Credentials<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a str,
}

/// Remembers nonces for [`NONCE_MEMORY_MINUTES`].
#[derive(Default)]
pub struct NonceCache {
    inner: Mutex<Nonces>,
}

#[derive(Default)]
struct Nonces {
    seen: HashMap<String, DateTime<Utc>>,
    order: VecDeque<(DateTime<Utc>, String)>,
}

impl NonceCache {
    /// Records `nonce`; false when it was seen already.
    pub fn first_use(&self, nonce: &str, now: DateTime<Utc>) -> bool {
        let mut n = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let horizon = now - Duration::minutes(NONCE_MEMORY_MINUTES);
        while n.order.front().is_some_and(|(t, _)| *t < horizon) {
            let (_, old) = n.order.pop_front().expect("checked non-empty");
            n.seen.remove(&old);
        }
        if n.seen.contains_key(nonce) {
            return false;
        }
        n.seen.insert(nonce.to_string(), now);
        n.order.push_back((now, nonce.to_string()));
        true
    }
}

fn incomplete() -> ApiError {
    ApiError::new(
        400,
        "IncompleteSignature",
        "The request signature does not conform to Aliyun standards.",
    )
}

fn key_not_found() -> ApiError {
    ApiError::new(
        404,
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
    )
}

fn mismatch(server_view: &str) -> ApiError {
    ApiError::new(
        400,
        "SignatureDoesNotMatch",
        format!("Specified signature is not matched with our calculation. server string to sign is:{server_view}"),
    )
}

fn check_time(value: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let t = DateTime::parse_from_rfc3339(value)
        .map_err(|_| {
            ApiError::new(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            )
        })?
        .with_timezone(&Utc);
    if (now - t).num_seconds().abs() > MAX_SKEW_MINUTES * 60 {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    Ok(())
}

fn check_nonce(nonces: &NonceCache, nonce: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    if nonces.first_use(nonce, now) {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ))
    }
}

/// Authenticates one request.
///
/// # Errors
/// The gateway's code for the first failed check.
pub fn verify(
    req: &Presented<'_>,
    creds: &Credentials<'_>,
    nonces: &NonceCache,
    now: DateTime<Utc>,
) -> Result<Verified, ApiError> {
    match req.header("authorization") {
        Some(auth) => verify_v3(req, auth, creds, nonces, now),
        None => verify_v1(req, creds, nonces, now),
    }
}

fn verify_v1(
    req: &Presented<'_>,
    creds: &Credentials<'_>,
    nonces: &NonceCache,
    now: DateTime<Utc>,
) -> Result<Verified, ApiError> {
    let signature = req.param("Signature").ok_or_else(incomplete)?;
    let key = req
        .param("AccessKeyId")
        .ok_or_else(|| ApiError::missing("AccessKeyId"))?;
    let nonce = req
        .param("SignatureNonce")
        .ok_or_else(|| ApiError::missing("SignatureNonce"))?;
    let timestamp = req
        .param("Timestamp")
        .or_else(|| req.param("TimeStamp"))
        .ok_or_else(|| ApiError::missing("Timestamp"))?;
    if let Some(m) = req.param("SignatureMethod") {
        if m != "HMAC-SHA1" {
            return Err(ApiError::new(
                400,
                "InvalidSignatureMethod",
                "Specified signature method is not supported.",
            ));
        }
    }
    if key != creds.access_key_id {
        return Err(key_not_found());
    }
    let signed = req
        .query
        .iter()
        .chain(req.form)
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let sts = sign::v1_string_to_sign(req.method, signed);
    if sign::v1_signature(creds.secret, &sts) != signature {
        return Err(mismatch(&sts));
    }
    check_time(timestamp, now)?;
    check_nonce(nonces, nonce, now)?;
    Ok(Verified {
        action: req
            .param("Action")
            .ok_or_else(|| ApiError::missing("Action"))?
            .to_string(),
        version: req
            .param("Version")
            .ok_or_else(|| ApiError::missing("Version"))?
            .to_string(),
    })
}

fn verify_v3(
    req: &Presented<'_>,
    auth: &str,
    creds: &Credentials<'_>,
    nonces: &NonceCache,
    now: DateTime<Utc>,
) -> Result<Verified, ApiError> {
    let algorithm = auth.split_whitespace().next().unwrap_or("");
    if algorithm.starts_with("ACS3-") && algorithm != sign::V3_ALGORITHM {
        return Err(ApiError::new(
            400,
            "InvalidSignatureMethod",
            "Specified signature method is not supported.",
        ));
    }
    let parsed = sign::parse_v3_authorization(auth).ok_or_else(incomplete)?;
    let required = |name: &str| {
        req.header(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::missing(name))
    };
    let action = required("x-acs-action")?;
    let version = required("x-acs-version")?;
    let date = required("x-acs-date")?;
    let nonce = required("x-acs-signature-nonce")?;
    let payload = required("x-acs-content-sha256")?;
    for name in [
        "x-acs-action",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    ] {
        if !parsed.signed_headers.iter().any(|h| h == name) {
            return Err(incomplete());
        }
    }
    if parsed.access_key_id != creds.access_key_id {
        return Err(key_not_found());
    }
    let actual_payload = sign::sha256_hex(req.body);
    if !payload.eq_ignore_ascii_case(&actual_payload) {
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!("The x-acs-content-sha256 header does not match the body, whose SHA-256 is {actual_payload}."),
        ));
    }
    let signed: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(k, _)| {
            parsed
                .signed_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(k))
        })
        .cloned()
        .collect();
    let input = sign::V3Input {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: &signed,
        payload_hash: payload,
    };
    let canonical = v3_canonical_request(&input, &parsed.signed_headers);
    let sts = sign::v3_string_to_sign(&canonical);
    if !sign::v3_signature(creds.secret, &sts).eq_ignore_ascii_case(&parsed.signature) {
        return Err(mismatch(&canonical));
    }
    check_time(date, now)?;
    check_nonce(nonces, nonce, now)?;
    Ok(Verified {
        action: action.to_string(),
        version: version.to_string(),
    })
}

/// The canonical request over exactly the headers the client signed (the
/// official SDKs sign `accept` and `user-agent` too, which the gateway accepts).
fn v3_canonical_request(input: &sign::V3Input<'_>, signed: &[String]) -> String {
    sign::v3_canonical_request_signed(input, signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const CREDS: Credentials<'static> = Credentials {
        access_key_id: "ak",
        secret: "sk",
    };

    fn v1_request(now: DateTime<Utc>, nonce: &str) -> Vec<(String, String)> {
        let ts = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let mut q = pairs(&[
            ("Action", "DescribeInstances"),
            ("Version", "2014-05-26"),
            ("AccessKeyId", "ak"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce),
            ("Timestamp", &ts),
            ("RegionId", "cn-hangzhou"),
        ]);
        let sts = sign::v1_string_to_sign("GET", q.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        q.push(("Signature".into(), sign::v1_signature("sk", &sts)));
        q
    }

    fn present<'a>(q: &'a [(String, String)]) -> Presented<'a> {
        Presented {
            method: "GET",
            path: "/",
            query: q,
            form: &[],
            headers: &[],
            body: b"",
        }
    }

    #[test]
    fn v1_accepts_once_then_refuses_the_nonce() {
        let now = Utc::now();
        let nonces = NonceCache::default();
        let q = v1_request(now, "n-1");
        let ok = verify(&present(&q), &CREDS, &nonces, now).unwrap();
        assert_eq!(ok.action, "DescribeInstances");
        assert_eq!(
            verify(&present(&q), &CREDS, &nonces, now).unwrap_err().code,
            "SignatureNonceUsed"
        );
    }

    #[test]
    fn v1_mismatch_ends_with_string_to_sign() {
        let now = Utc::now();
        let mut q = v1_request(now, "n-2");
        q.iter_mut().find(|(k, _)| k == "RegionId").unwrap().1 = "cn-beijing".into();
        let err = verify(&present(&q), &CREDS, &NonceCache::default(), now).unwrap_err();
        assert_eq!(err.code, "SignatureDoesNotMatch");
        let sts = err.message.split(':').nth(1).unwrap();
        assert!(sts.starts_with("GET&%2F&AccessKeyId%3Dak"), "{sts}");
        assert!(sts.contains("cn-beijing"));
    }

    #[test]
    fn v1_skew_and_unknown_key() {
        let now = Utc::now();
        let q = v1_request(now - Duration::minutes(16), "n-3");
        assert_eq!(
            verify(&present(&q), &CREDS, &NonceCache::default(), now)
                .unwrap_err()
                .code,
            "InvalidTimeStamp.Expired"
        );
        let other = Credentials {
            access_key_id: "other",
            secret: "sk",
        };
        let err = verify(&present(&q), &other, &NonceCache::default(), now).unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (404, "InvalidAccessKeyId.NotFound")
        );
    }

    #[test]
    fn v3_round_trip_with_the_shared_signer() {
        let now = Utc::now();
        let query = pairs(&[("RegionId", "cn-hangzhou")]);
        let mut headers = pairs(&[
            ("host", "127.0.0.1:1"),
            ("x-acs-action", "DescribeInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", &now.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            ("x-acs-signature-nonce", "abc"),
            ("x-acs-content-sha256", sign::EMPTY_BODY_SHA256),
        ]);
        let input = sign::V3Input {
            method: "POST",
            path: "/",
            query: &query,
            headers: &headers,
            payload_hash: sign::EMPTY_BODY_SHA256,
        };
        let auth = sign::v3_authorization("ak", "sk", &input);
        headers.push(("Authorization".into(), auth));
        headers.push(("user-agent".into(), "test".into()));
        let req = Presented {
            method: "POST",
            path: "/",
            query: &query,
            form: &[],
            headers: &headers,
            body: b"",
        };
        let nonces = NonceCache::default();
        assert_eq!(
            verify(&req, &CREDS, &nonces, now).unwrap().action,
            "DescribeInstances"
        );
        let wrong = Credentials {
            access_key_id: "ak",
            secret: "bad",
        };
        let err = verify(&req, &wrong, &NonceCache::default(), now).unwrap_err();
        assert_eq!(err.code, "SignatureDoesNotMatch");
        assert!(err.message.contains("x-acs-action:DescribeInstances"));
    }

    #[test]
    fn header_block_agrees_with_the_shared_signer() {
        let query = pairs(&[("B", "2 3"), ("A", "*")]);
        let headers = pairs(&[
            ("Host", "h"),
            ("x-acs-b", " 2 "),
            ("x-acs-B", "1"),
            ("content-type", "application/x-www-form-urlencoded"),
        ]);
        let input = sign::V3Input {
            method: "POST",
            path: "",
            query: &query,
            headers: &headers,
            payload_hash: sign::EMPTY_BODY_SHA256,
        };
        let names = ["host", "x-acs-b", "content-type"].map(String::from);
        assert_eq!(
            v3_canonical_request(&input, &names),
            sign::v3_canonical_request(&input)
        );
        let with_agent = pairs(&[("host", "h"), ("user-agent", "sdk/1")]);
        let input = sign::V3Input {
            headers: &with_agent,
            ..input
        };
        let names = ["user-agent", "host"].map(String::from);
        assert!(v3_canonical_request(&input, &names)
            .contains("host:h\nuser-agent:sdk/1\n\nhost;user-agent\n"));
    }
}
