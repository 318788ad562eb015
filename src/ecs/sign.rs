//! Request signatures for Alibaba Cloud RPC APIs: V1 (HMAC-SHA1 over the
//! sorted query) and V3 (ACS3-HMAC-SHA256 over a canonical request).
//!
//! Pure functions, no I/O and no clock: the client calls them to sign and the
//! emulator calls the very same functions to verify, so there is exactly one
//! implementation of the rules. Golden vectors from the public docs pin them.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Header value of `x-acs-content-sha256` for an empty body.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The V3 algorithm name, first word of the `Authorization` header.
pub const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// RFC 3986 percent-encoding as Alibaba Cloud signs it: unreserved
/// characters (`A-Z a-z 0-9 - _ . ~`) stay, every other UTF-8 byte becomes
/// `%XY` in upper-case hex. So a space is `%20` (never `+`) and `*` is `%2A`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(
                char::from_digit((b >> 4) as u32, 16)
                    .unwrap()
                    .to_ascii_uppercase(),
            );
            out.push(
                char::from_digit((b & 15) as u32, 16)
                    .unwrap()
                    .to_ascii_uppercase(),
            );
        }
    }
    out
}

/// Parameters sorted by their raw name (UTF-8 byte order, then value), each
/// written `encode(k)=encode(v)`, joined with `&`. Used by V1 (over every
/// parameter but `Signature`) and by V3 (over the query string).
///
/// The sort happens *before* encoding, as the docs and every official SDK do
/// it: for names holding characters such as `/` or non-ASCII letters, sorting
/// the encoded form would give another order (`%` sorts before `-` and `.`).
pub fn canonical_query<'a, I>(params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut raw: Vec<(&str, &str)> = params.into_iter().collect();
    raw.sort();
    let pairs: Vec<(String, String)> = raw
        .into_iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// V1 string to sign: `METHOD&%2F&encode(canonical query)`. `params` must not
/// include `Signature`.
pub fn v1_string_to_sign<'a, I>(method: &str, params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    format!(
        "{}&{}&{}",
        method,
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    )
}

/// V1 signature: `base64(HMAC-SHA1(secret + "&", string_to_sign))`.
pub fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Hex SHA-256, as used for `x-acs-content-sha256` and the canonical request.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// What a V3 signature covers. Header names may be in any case; only `host`,
/// `content-type` and `x-acs-*` headers are signed.
pub struct V3Input<'a> {
    pub method: &'a str,
    /// The path; empty means `/`.
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    /// Hex SHA-256 of the body (the `x-acs-content-sha256` value).
    pub payload_hash: &'a str,
}

/// Whether our own client signs this header: V3 requires `host`,
/// `content-type` and every `x-acs-*` header. (Other clients may sign more,
/// e.g. the official SDKs add `accept` and `user-agent`; a verifier uses the
/// list the client declared, see [`v3_canonical_request_signed`].)
pub fn v3_is_default_signed(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "host" || name == "content-type" || name.starts_with("x-acs-")
}

/// The canonical header block over the headers named in `signed` (any case):
/// lower-cased names, trimmed values, sorted; values of a repeated name sorted
/// and joined with `,`. Returns (canonical headers, signed names joined with `;`).
pub fn v3_canonical_headers_for(
    headers: &[(String, String)],
    signed: &[String],
) -> (String, String) {
    let mut names: Vec<String> = signed.iter().map(|h| h.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    let mut canonical = String::new();
    for name in &names {
        let mut values: Vec<&str> = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect();
        values.sort_unstable();
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(&values.join(","));
        canonical.push('\n');
    }
    (canonical, names.join(";"))
}

/// The headers our client signs (see [`v3_is_default_signed`]), canonicalised.
pub fn v3_canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let signed: Vec<String> = headers
        .iter()
        .filter(|(k, _)| v3_is_default_signed(k))
        .map(|(k, _)| k.clone())
        .collect();
    v3_canonical_headers_for(headers, &signed)
}

/// The V3 canonical request over the headers our client signs:
/// `METHOD\nPATH\nQUERY\nHEADERS\nSIGNED_HEADERS\nPAYLOAD_HASH`.
pub fn v3_canonical_request(input: &V3Input<'_>) -> String {
    let (headers, signed) = v3_canonical_headers(input.headers);
    v3_assemble(input, &headers, &signed)
}

/// The V3 canonical request over exactly the headers a client declared in
/// its `SignedHeaders` (what a server must do to verify any client).
pub fn v3_canonical_request_signed(input: &V3Input<'_>, signed: &[String]) -> String {
    let (headers, signed) = v3_canonical_headers_for(input.headers, signed);
    v3_assemble(input, &headers, &signed)
}

fn v3_assemble(input: &V3Input<'_>, headers: &str, signed: &str) -> String {
    let path = if input.path.is_empty() {
        "/"
    } else {
        input.path
    };
    let query = canonical_query(input.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method, path, query, headers, signed, input.payload_hash
    )
}

/// V3 string to sign: `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
pub fn v3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{V3_ALGORITHM}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// V3 signature: hex HMAC-SHA256 keyed with the secret itself (no `&`).
pub fn v3_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The whole `Authorization` header value for a V3 request.
pub fn v3_authorization(access_key_id: &str, secret: &str, input: &V3Input<'_>) -> String {
    let (_, signed) = v3_canonical_headers(input.headers);
    let sig = v3_signature(secret, &v3_string_to_sign(&v3_canonical_request(input)));
    format!("{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={signed},Signature={sig}")
}

/// A parsed `Authorization: ACS3-HMAC-SHA256 ...` header.
#[derive(Debug, PartialEq, Eq)]
pub struct V3Authorization {
    pub access_key_id: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Parses a V3 `Authorization` header; `None` when it is not one.
pub fn parse_v3_authorization(header: &str) -> Option<V3Authorization> {
    let rest = header.trim().strip_prefix(V3_ALGORITHM)?.trim();
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "Credential" => cred = Some(v.trim().to_string()),
            "SignedHeaders" => signed = Some(v.trim().to_string()),
            "Signature" => sig = Some(v.trim().to_string()),
            _ => {}
        }
    }
    Some(V3Authorization {
        access_key_id: cred?,
        signed_headers: signed?
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        signature: sig?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn percent_encoding_follows_rfc3986() {
        assert_eq!(
            percent_encode("begin_+_*_~_-_._\"_ end"),
            "begin_%2B_%2A_~_-_._%22_%20end"
        );
        assert_eq!(percent_encode("é/:"), "%C3%A9%2F%3A");
    }

    #[test]
    fn parameters_sort_by_raw_name_before_encoding() {
        // Raw order: "a." < "a/" < "aé"; encoded order would put "a%2F" and
        // "a%C3%A9" first. The official SDKs sort raw names.
        let q = canonical_query([("aé", "3"), ("a/", "2"), ("a.", "1")]);
        assert_eq!(q, "a.=1&a%2F=2&a%C3%A9=3");
    }

    #[test]
    fn v1_doc_vector() {
        let params = [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("TimeStamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ];
        let sts = v1_string_to_sign("GET", params);
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            v1_signature("testsecret", &sts),
            "CT9X0VtwR86fNWSnsc6v8YGOjuE="
        );
        let modern = params.map(|(k, v)| (if k == "TimeStamp" { "Timestamp" } else { k }, v));
        assert_eq!(
            v1_signature("testsecret", &v1_string_to_sign("GET", modern)),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn v1_dara_vector() {
        let sts = v1_string_to_sign("", [("test", "ok")]);
        assert_eq!(sts, "&%2F&test%3Dok");
        assert_eq!(
            v1_signature("accessKeySecret", &sts),
            "jHx/oHoHNrbVfhncHEvPdHXZwHU="
        );
    }

    fn v3_doc(date: &str, nonce: &str) -> String {
        let query = p(&[
            (
                "ImageId",
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            ),
            ("RegionId", "cn-shanghai"),
        ]);
        let headers = p(&[
            ("host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-content-sha256", EMPTY_BODY_SHA256),
            ("x-acs-date", date),
            ("x-acs-signature-nonce", nonce),
            ("x-acs-version", "2014-05-26"),
        ]);
        let input = V3Input {
            method: "POST",
            path: "/",
            query: &query,
            headers: &headers,
            payload_hash: EMPTY_BODY_SHA256,
        };
        v3_signature(
            "YourAccessKeySecret",
            &v3_string_to_sign(&v3_canonical_request(&input)),
        )
    }

    #[test]
    fn v3_doc_vectors() {
        assert_eq!(
            v3_doc("2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d"),
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
        assert_eq!(
            v3_doc("2023-10-26T09:01:01Z", "d410180a5abf7fe235dd9b74aca91fc0"),
            "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"
        );
    }

    #[test]
    fn v3_dara_vector() {
        let query = p(&[("test", "ok"), ("empty", "")]);
        let headers = p(&[("x-acs-test", "http"), ("x-acs-TEST", "https")]);
        let input = V3Input {
            method: "",
            path: "",
            query: &query,
            headers: &headers,
            payload_hash: "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
        };
        let auth = v3_authorization("acesskey", "secret", &input);
        assert_eq!(
            auth,
            "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
        );
        let parsed = parse_v3_authorization(&auth).unwrap();
        assert_eq!(parsed.access_key_id, "acesskey");
        assert_eq!(parsed.signed_headers, vec!["x-acs-test"]);
    }
}
