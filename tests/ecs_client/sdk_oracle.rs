//! Cross-check against the official SDKs: 250 random V1 parameter sets
//! signed by aliyunsdkcore's RPC composer and 250 V3 sets signed by the Tea
//! OpenAPI utility must give exactly our string-to-sign and signatures.
//!
//! The sets are full of what breaks encoders: unicode, spaces, `*`, `~`,
//! `+`, `/`, `=`, `&`, `%`. One python process signs them all (JSON in/out).
//! The python venv comes from `scripts/install-tools.sh python`; without it
//! this test fails (it is never skipped).

use std::io::Write;
use std::process::{Command, Stdio};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use terraform_provider_ecs::ecs::sign;

const SETS: usize = 250;

const ATOMS: &[&str] = &[
    "a", "Z", "q", "0", "9", " ", "*", "~", "+", "/", "=", "&", "%", "-", "_", ".", ":", "\"", "!",
    "(", ")", "'", "?", "#", "[", "]", "@", ",", ";", "é", "ü", "ß", "中", "文", "😀", "\u{a0}",
    "Instance", "Id", ".1", "%20", "%7E",
];
const SAFE_KEY: &[u8] = b"abcxyzABCXYZ0189._-~";
const HEADER_CHARS: &[u8] = b"abcXYZ019 -_.:/=+*;,";
const RESERVED: &[&str] = &[
    "Timestamp",
    "SignatureMethod",
    "SignatureType",
    "SignatureVersion",
    "SignatureNonce",
    "AccessKeyId",
    "Format",
    "Signature",
];

fn text(rng: &mut StdRng, min: usize, max: usize) -> String {
    let n = rng.random_range(min..=max);
    (0..n)
        .map(|_| ATOMS[rng.random_range(0..ATOMS.len())])
        .collect()
}

fn from(rng: &mut StdRng, alphabet: &[u8], min: usize, max: usize) -> String {
    let n = rng.random_range(min..=max);
    (0..n)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

fn python() -> std::path::PathBuf {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/install-tools.sh python (it installs the official \
         aliyun-python-sdk-core and alibabacloud-ecs20140526 SDKs used as a signature oracle)",
        p.display()
    );
    p
}

fn oracle(input: &Value) -> Value {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk_signature_oracle.py");
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the python oracle");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the python oracle failed (run scripts/install-tools.sh python if the SDKs are missing):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("oracle output is JSON")
}

struct V1Case {
    json: Value,
    /// Every parameter the SDK should sign.
    signed: Vec<(String, String)>,
    method: String,
    secret: String,
}

fn v1_case(rng: &mut StdRng) -> V1Case {
    let method = if rng.random_bool(0.5) { "GET" } else { "POST" }.to_string();
    let secret = text(rng, 1, 12);
    let nonce = uuid::Uuid::from_u128(rng.random()).to_string();
    let timestamp = format!(
        "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        rng.random_range(10..40),
        rng.random_range(1..13),
        rng.random_range(1..29),
        rng.random_range(0..24),
        rng.random_range(0..60),
        rng.random_range(0..60)
    );
    let mut query = Map::new();
    let mut body = Map::new();
    for i in 0..rng.random_range(1..8) {
        let key = text(rng, 1, 4);
        if RESERVED.contains(&key.as_str()) || query.contains_key(&key) || body.contains_key(&key) {
            continue;
        }
        let value = text(rng, 0, 10);
        if method == "POST" && i % 2 == 1 {
            body.insert(key, json!(value));
        } else {
            query.insert(key, json!(value));
        }
    }
    let mut signed: Vec<(String, String)> = query
        .iter()
        .chain(body.iter())
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    for (k, v) in [
        ("Timestamp", timestamp.as_str()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureType", ""),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce.as_str()),
        ("AccessKeyId", "ak-oracle"),
        ("Format", "JSON"),
    ] {
        signed.push((k.to_string(), v.to_string()));
    }
    let json = json!({
        "method": method, "access_key_id": "ak-oracle", "secret": secret,
        "timestamp": timestamp, "nonce": nonce, "query": query, "body": body,
    });
    V1Case {
        json,
        signed,
        method,
        secret,
    }
}

struct V3Case {
    json: Value,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    payload_hash: String,
    secret: String,
}

fn v3_case(rng: &mut StdRng) -> V3Case {
    let method = if rng.random_bool(0.5) { "GET" } else { "POST" }.to_string();
    let path = if rng.random_bool(0.8) { "/" } else { "" }.to_string();
    let secret = text(rng, 1, 12);
    let mut query: Vec<(String, String)> = Vec::new();
    for _ in 0..rng.random_range(0..7) {
        let key = from(rng, SAFE_KEY, 1, 6);
        if !query.iter().any(|(k, _)| *k == key) {
            query.push((key, text(rng, 0, 10)));
        }
    }
    let body = text(rng, 0, 20);
    let payload_hash = sign::sha256_hex(body.as_bytes());
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), "ecs.cn-hangzhou.aliyuncs.com".into()),
        ("x-acs-action".into(), "RunInstances".into()),
        ("x-acs-version".into(), "2014-05-26".into()),
        ("x-acs-date".into(), "2024-05-06T07:08:09Z".into()),
        (
            "x-acs-signature-nonce".into(),
            uuid::Uuid::from_u128(rng.random()).simple().to_string(),
        ),
        ("x-acs-content-sha256".into(), payload_hash.clone()),
    ];
    if method == "POST" {
        headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    if rng.random_bool(0.5) {
        headers.push((
            "x-acs-security-token".into(),
            from(rng, HEADER_CHARS, 1, 30),
        ));
    }
    if rng.random_bool(0.3) {
        // Two spellings of one name: values are sorted and joined.
        headers.push((
            "x-acs-extra".into(),
            format!(" {} ", from(rng, HEADER_CHARS, 1, 8)),
        ));
        headers.push(("X-Acs-Extra".into(), from(rng, HEADER_CHARS, 1, 8)));
    }
    let json = json!({
        "method": method, "path": path, "access_key_id": "ak-oracle", "secret": secret,
        "payload_hash": payload_hash,
        "query": query.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>(),
        "headers": headers,
    });
    V3Case {
        json,
        method,
        path,
        query,
        headers,
        payload_hash,
        secret,
    }
}

#[test]
fn signatures_match_the_official_python_sdks() {
    let mut rng = StdRng::seed_from_u64(0x05ee_dec5);
    let v1: Vec<V1Case> = (0..SETS).map(|_| v1_case(&mut rng)).collect();
    let v3: Vec<V3Case> = (0..SETS).map(|_| v3_case(&mut rng)).collect();
    let answer = oracle(&json!({
        "v1": v1.iter().map(|c| c.json.clone()).collect::<Vec<_>>(),
        "v3": v3.iter().map(|c| c.json.clone()).collect::<Vec<_>>(),
    }));

    let v1_answers = answer["v1"].as_array().expect("v1 answers");
    assert_eq!(v1_answers.len(), SETS);
    for (case, sdk) in v1.iter().zip(v1_answers) {
        let mut sdk_signed: Vec<(String, String)> = sdk["signed"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let mut ours_signed = case.signed.clone();
        sdk_signed.sort();
        ours_signed.sort();
        assert_eq!(
            ours_signed, sdk_signed,
            "the SDK signs another parameter set: {}",
            case.json
        );
        let sts = sign::v1_string_to_sign(
            &case.method,
            case.signed.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        assert_eq!(
            sts,
            sdk["string_to_sign"].as_str().unwrap(),
            "V1 string to sign for {}",
            case.json
        );
        assert_eq!(
            sign::v1_signature(&case.secret, &sts),
            sdk["signature"].as_str().unwrap(),
            "V1 signature for {}",
            case.json
        );
    }

    let v3_answers = answer["v3"].as_array().expect("v3 answers");
    assert_eq!(v3_answers.len(), SETS);
    for (case, sdk) in v3.iter().zip(v3_answers) {
        let input = sign::V3Input {
            method: &case.method,
            path: &case.path,
            query: &case.query,
            headers: &case.headers,
            payload_hash: &case.payload_hash,
        };
        assert_eq!(
            sign::v3_authorization("ak-oracle", &case.secret, &input),
            sdk.as_str().unwrap(),
            "V3 Authorization for {}",
            case.json
        );
    }
}
