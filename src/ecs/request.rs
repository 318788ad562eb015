//! Turns one API call into the exact HTTP request to send, signed with V1 or
//! V3. Pure: the nonce and timestamp come in as arguments, so every retry
//! simply calls [`prepare`] again with fresh ones, and tests can pin them.
//!
//! Where parameters go:
//! - GET: every parameter in the query string.
//! - POST: the action's parameters in a form body
//!   (`application/x-www-form-urlencoded`); V1 keeps its common parameters in
//!   the query and signs query and body merged, V3 hashes the body into
//!   `x-acs-content-sha256`.

use url::Url;

use super::config::SignatureVersion;
use super::secret::Secret;
use super::sign;

/// The API version every call speaks.
pub const API_VERSION: &str = "2014-05-26";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One logical API call: the action and its parameters (with `RegionId`).
/// Built once; every attempt signs it afresh. `Debug` hides the values of
/// [`HIDDEN`] parameters (`Password`).
#[derive(Clone)]
pub struct Call {
    pub action: &'static str,
    /// The API version (`2014-05-26` for ECS; STS calls set theirs).
    pub version: &'static str,
    pub method: Method,
    pub params: Vec<(String, String)>,
}

impl Call {
    pub fn new(action: &'static str, method: Method) -> Call {
        Call {
            action,
            version: API_VERSION,
            method,
            params: Vec::new(),
        }
    }

    /// The same call for another API (e.g. STS, `2015-04-01`).
    pub fn version(mut self, version: &'static str) -> Call {
        self.version = version;
        self
    }

    pub fn param(mut self, k: impl Into<String>, v: impl Into<String>) -> Call {
        self.params.push((k.into(), v.into()));
        self
    }

    pub fn opt(self, k: &str, v: Option<impl ToString>) -> Call {
        match v {
            Some(v) => self.param(k, v.to_string()),
            None => self,
        }
    }

    /// `ClientToken`, or `None` for calls without one.
    pub fn client_token(&self) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == "ClientToken")
            .map(|(_, v)| v.as_str())
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("action", &self.action)
            .field("method", &self.method)
            .field("params", &redact(&self.params))
            .finish()
    }
}

pub struct Credentials<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a Secret,
    pub security_token: Option<&'a Secret>,
}

/// What changes on every attempt.
pub struct Stamp {
    pub nonce: String,
    /// `yyyy-MM-ddTHH:mm:ssZ`, UTC.
    pub timestamp: String,
}

impl Stamp {
    pub fn fresh() -> Stamp {
        Stamp {
            nonce: uuid::Uuid::new_v4().simple().to_string(),
            timestamp: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }
    }
}

/// A signed request, ready for the transport.
pub struct Prepared {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Every signed parameter and header with secrets replaced by `***`:
    /// the only form of the request that may be logged.
    pub redacted: String,
}

/// Names whose values never reach a log.
const HIDDEN: &[&str] = &[
    "signature",
    "securitytoken",
    "authorization",
    "x-acs-security-token",
    "password",
];

fn redact(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            if HIDDEN.contains(&k.to_ascii_lowercase().as_str()) {
                format!("{k}=***")
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn form(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", sign::percent_encode(k), sign::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn borrowed(params: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// `host[:port]` exactly as the HTTP client sends it in `Host`.
pub fn host_header(endpoint: &Url) -> String {
    let host = endpoint.host_str().unwrap_or_default();
    match endpoint.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn base(endpoint: &Url) -> String {
    let mut u = endpoint.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// Signs `call` for `endpoint`.
pub fn prepare(
    endpoint: &Url,
    version: SignatureVersion,
    creds: &Credentials<'_>,
    call: &Call,
    stamp: &Stamp,
) -> Prepared {
    match version {
        SignatureVersion::V1 => prepare_v1(endpoint, creds, call, stamp),
        SignatureVersion::V3 => prepare_v3(endpoint, creds, call, stamp),
    }
}

fn prepare_v1(endpoint: &Url, creds: &Credentials<'_>, call: &Call, stamp: &Stamp) -> Prepared {
    let mut query: Vec<(String, String)> = [
        ("Action", call.action),
        ("Version", call.version),
        ("Format", "JSON"),
        ("AccessKeyId", creds.access_key_id),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", stamp.nonce.as_str()),
        ("Timestamp", stamp.timestamp.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(token) = creds.security_token {
        query.push(("SecurityToken".into(), token.expose().to_string()));
    }
    let body_params: &[(String, String)] = match call.method {
        Method::Get => {
            query.extend(call.params.iter().cloned());
            &[]
        }
        Method::Post => &call.params,
    };
    let string_to_sign = sign::v1_string_to_sign(
        call.method.as_str(),
        borrowed(&query).chain(borrowed(body_params)),
    );
    let signature = sign::v1_signature(creds.secret.expose(), &string_to_sign);
    let url = format!(
        "{}?{}&Signature={}",
        base(endpoint),
        sign::canonical_query(borrowed(&query)),
        sign::percent_encode(&signature)
    );
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    let body = (call.method == Method::Post).then(|| {
        headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        form(body_params)
    });
    let mut logged = query;
    logged.extend(body_params.iter().cloned());
    logged.push(("Signature".into(), signature));
    Prepared {
        method: call.method,
        url,
        headers,
        body,
        redacted: redact(&logged),
    }
}

fn prepare_v3(endpoint: &Url, creds: &Credentials<'_>, call: &Call, stamp: &Stamp) -> Prepared {
    let (query, body): (&[(String, String)], Option<String>) = match call.method {
        Method::Get => (&call.params, None),
        Method::Post => (&[], Some(form(&call.params))),
    };
    let payload_hash = sign::sha256_hex(body.as_deref().unwrap_or("").as_bytes());
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host_header(endpoint)),
        ("x-acs-action".into(), call.action.into()),
        ("x-acs-version".into(), call.version.into()),
        ("x-acs-date".into(), stamp.timestamp.clone()),
        ("x-acs-signature-nonce".into(), stamp.nonce.clone()),
        ("x-acs-content-sha256".into(), payload_hash.clone()),
    ];
    if let Some(token) = creds.security_token {
        headers.push(("x-acs-security-token".into(), token.expose().to_string()));
    }
    if body.is_some() {
        headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    let path = endpoint.path();
    let input = sign::V3Input {
        method: call.method.as_str(),
        path,
        query,
        headers: &headers,
        payload_hash: &payload_hash,
    };
    let authorization = sign::v3_authorization(creds.access_key_id, creds.secret.expose(), &input);
    headers.push(("authorization".into(), authorization));
    headers.push(("accept".into(), "application/json".into()));
    let canonical = sign::canonical_query(borrowed(query));
    let url = if canonical.is_empty() {
        base(endpoint)
    } else {
        format!("{}?{canonical}", base(endpoint))
    };
    let mut logged = call.params.clone();
    logged.extend(headers.iter().cloned());
    Prepared {
        method: call.method,
        url,
        headers,
        body,
        redacted: redact(&logged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds<'a>(secret: &'a Secret, token: Option<&'a Secret>) -> Credentials<'a> {
        Credentials {
            access_key_id: "testid",
            secret,
            security_token: token,
        }
    }

    fn stamp() -> Stamp {
        Stamp {
            nonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf".into(),
            timestamp: "2016-02-23T12:46:24Z".into(),
        }
    }

    fn query_pairs(url: &str) -> Vec<(String, String)> {
        Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    #[test]
    fn v1_get_puts_everything_in_the_query_and_verifies() {
        let secret = Secret::new("testsecret");
        let endpoint = Url::parse("https://ecs.aliyuncs.com/").unwrap();
        let call = Call::new("DescribeRegions", Method::Get).param("RegionId", "cn-hangzhou");
        let p = prepare(
            &endpoint,
            SignatureVersion::V1,
            &creds(&secret, None),
            &call,
            &stamp(),
        );
        assert!(p.body.is_none());
        let mut pairs = query_pairs(&p.url);
        let sig = pairs.iter().position(|(k, _)| k == "Signature").unwrap();
        let (_, sig) = pairs.remove(sig);
        let sts = sign::v1_string_to_sign("GET", borrowed(&pairs));
        assert_eq!(sign::v1_signature("testsecret", &sts), sig);
        assert!(pairs.contains(&("RegionId".into(), "cn-hangzhou".into())));
    }

    #[test]
    fn v1_post_signs_query_and_body_merged() {
        let secret = Secret::new("s");
        let token = Secret::new("TOKEN-VALUE");
        let endpoint = Url::parse("http://127.0.0.1:8080").unwrap();
        let call = Call::new("StartInstance", Method::Post)
            .param("InstanceId", "i-1")
            .param("Description", "a b*c~");
        let p = prepare(
            &endpoint,
            SignatureVersion::V1,
            &creds(&secret, Some(&token)),
            &call,
            &stamp(),
        );
        let body = p.body.clone().unwrap();
        assert_eq!(body, "InstanceId=i-1&Description=a%20b%2Ac~");
        let mut pairs = query_pairs(&p.url);
        assert!(!pairs.iter().any(|(k, _)| k == "InstanceId"));
        let (_, sig) = pairs.remove(pairs.iter().position(|(k, _)| k == "Signature").unwrap());
        pairs.extend(call.params.iter().cloned());
        let sts = sign::v1_string_to_sign("POST", borrowed(&pairs));
        assert_eq!(sign::v1_signature("s", &sts), sig);
        assert!(!p.redacted.contains("TOKEN-VALUE"), "{}", p.redacted);
        assert!(p.redacted.contains("SecurityToken=***"));
    }

    #[test]
    fn v3_post_hashes_the_body_and_signs_the_headers() {
        let secret = Secret::new("YourAccessKeySecret");
        let token = Secret::new("TOKEN-VALUE");
        let endpoint = Url::parse("http://127.0.0.1:8080/").unwrap();
        let call = Call::new("ModifyInstanceSpec", Method::Post)
            .param("InstanceId", "i-1")
            .param("ClientToken", "tok");
        let p = prepare(
            &endpoint,
            SignatureVersion::V3,
            &creds(&secret, Some(&token)),
            &call,
            &stamp(),
        );
        assert_eq!(p.url, "http://127.0.0.1:8080/");
        let body = p.body.clone().unwrap();
        let get = |name: &str| {
            p.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("host"), "127.0.0.1:8080");
        assert_eq!(
            get("x-acs-content-sha256"),
            sign::sha256_hex(body.as_bytes())
        );
        let auth = sign::parse_v3_authorization(&get("authorization")).unwrap();
        assert!(auth
            .signed_headers
            .contains(&"x-acs-security-token".to_string()));
        assert!(auth.signed_headers.contains(&"content-type".to_string()));
        let signed: Vec<(String, String)> = p
            .headers
            .iter()
            .filter(|(k, _)| k != "authorization")
            .cloned()
            .collect();
        let input = sign::V3Input {
            method: "POST",
            path: "/",
            query: &[],
            headers: &signed,
            payload_hash: &get("x-acs-content-sha256"),
        };
        let expected = sign::v3_signature(
            "YourAccessKeySecret",
            &sign::v3_string_to_sign(&sign::v3_canonical_request(&input)),
        );
        assert_eq!(auth.signature, expected);
        assert!(!p.redacted.contains("TOKEN-VALUE"), "{}", p.redacted);
        assert!(!p.redacted.contains(&expected), "{}", p.redacted);
    }

    #[test]
    fn v3_get_puts_params_in_the_canonical_query() {
        let secret = Secret::new("k");
        let endpoint = Url::parse("https://ecs.cn-shanghai.aliyuncs.com").unwrap();
        let call = Call::new("DescribeInstances", Method::Get)
            .param("RegionId", "cn-shanghai")
            .param("InstanceIds", r#"["i-a","i-b"]"#);
        let p = prepare(
            &endpoint,
            SignatureVersion::V3,
            &creds(&secret, None),
            &call,
            &stamp(),
        );
        assert_eq!(
            p.url,
            "https://ecs.cn-shanghai.aliyuncs.com/?InstanceIds=%5B%22i-a%22%2C%22i-b%22%5D&RegionId=cn-shanghai"
        );
        assert!(p.body.is_none());
        let sha = p
            .headers
            .iter()
            .find(|(k, _)| k == "x-acs-content-sha256")
            .unwrap();
        assert_eq!(sha.1, sign::EMPTY_BODY_SHA256);
    }
}
