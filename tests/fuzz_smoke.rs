//! The fuzz targets of `fuzz/` as a short proptest smoke on the stable toolchain (the long
//! runs need nightly: `scripts/fuzz.sh`). Each feeds hostile input to one parser and
//! asserts what must hold, not just "no crash":
//! - the emulator (parameter parsing, V1/V3 signature checks, every action) answers every
//!   request with a 2xx or 4xx API answer, never a 5xx, and never accepts a signed request
//!   whose parameters were changed after signing;
//! - the ECS client's answer parsing (2xx shapes, JSON/XML/HTML error bodies) returns a
//!   value or a displayable error.
//!
//! The msgpack/JSON value decoders have theirs in `tests/protocol_values.rs`.

use std::sync::OnceLock;

use proptest::prelude::*;
use terraform_provider_ecs::ecs::fuzzing::parse_answer;
use terraform_provider_ecs::emulator::{self, fuzzing::Harness};

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(Harness::new)
}

/// Parameter names the emulator knows, and a few it does not.
const NAMES: &[&str] = &[
    "Action",
    "RegionId",
    "InstanceId",
    "InstanceIds",
    "InstanceType",
    "ImageId",
    "ZoneId",
    "InternetMaxBandwidthOut",
    "InternetMaxBandwidthIn",
    "ClientToken",
    "DryRun",
    "PageSize",
    "PageNumber",
    "MaxResults",
    "NextToken",
    "Amount",
    "InstanceName",
    "Description",
    "Status",
    "Tag.1.Key",
    "Tag.1.Value",
    "InstanceId.1",
    "SecurityGroupIds.1",
    "Format",
    "ResourceId",
    "DestinationResource",
    "OperationType",
    "StoppedMode",
    "ForceStop",
    "Force",
    "InternetChargeType",
    "InstanceChargeType",
    "VSwitchId",
    "PrivateIpAddress",
    "HostName",
    "Password",
    "UserData",
    "KeyPairName",
    "DiskId",
    "NewSize",
    "Type",
    "SystemDisk.Size",
    "SystemDisk.Category",
    "DeletionProtection",
    "Period",
    "PeriodUnit",
    "AutoRenewPeriod",
    "OperatorType",
    "RenewalStatus",
    "Duration",
    "RebootTime",
    "Bogus",
];

fn arb_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("cn-hangzhou".to_string()),
        Just("i-missing".to_string()),
        Just("ecs.g6.large".to_string()),
        Just("[\"i-1\",\"i-2\"]".to_string()),
        Just("true".to_string()),
        Just("XML".to_string()),
        "-?[0-9]{1,12}",
        any::<String>(),
    ]
}

fn arb_params() -> impl Strategy<Value = Vec<(String, String)>> {
    let action = prop::sample::select(emulator::actions()).prop_map(str::to_string);
    (
        prop_oneof![action, any::<String>()],
        prop::collection::vec(
            (
                prop::sample::select(NAMES).prop_map(str::to_string),
                arb_value(),
            ),
            0..8,
        ),
    )
        .prop_map(|(action, mut params)| {
            params.retain(|(k, _)| k != "Action" && k != "Format");
            params.push(("Action".into(), action));
            params.push(("RegionId".into(), "cn-hangzhou".into()));
            params.dedup_by(|a, b| a.0 == b.0);
            params
        })
}

fn pairs(query: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    v.sort();
    v
}

fn assert_api_answer(status: u16, body: &[u8]) {
    assert!(
        (200..500).contains(&status),
        "status {status}: {}",
        String::from_utf8_lossy(body)
    );
    let text = String::from_utf8_lossy(body);
    assert!(text.contains("RequestId"), "no RequestId in {text}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Unsigned garbage: any method, path, query, headers and body.
    #[test]
    fn emulator_answers_arbitrary_requests_with_an_api_error(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
        path in "/[a-zA-Z0-9_./-]{0,20}",
        query in prop::collection::vec((any::<String>(), any::<String>()), 0..6),
        headers in prop::collection::vec(
            (prop::sample::select(vec![
                "authorization", "x-acs-action", "x-acs-version", "x-acs-date",
                "x-acs-signature-nonce", "x-acs-content-sha256", "content-type", "x-acs-security-token",
            ]).prop_map(str::to_string), "[ -~]{0,60}"),
            0..6,
        ),
        body in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        prop_assume!(!path.starts_with("/_emulator"));
        let q = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&query).finish();
        let uri = format!("{path}?{q}");
        if let Some((status, body)) = harness().request(method, &uri, &headers, body) {
            assert_api_answer(status, &body);
        }
    }

    /// Correctly signed V1 requests with arbitrary parameters reach every action's parser.
    #[test]
    fn emulator_answers_signed_requests_with_arbitrary_parameters(params in arb_params()) {
        let query = harness().signed_v1_query(&params);
        let (status, body) = harness().request("GET", &format!("/?{query}"), &[], vec![]).unwrap();
        assert_api_answer(status, &body);
        prop_assert!(status != 400 || !String::from_utf8_lossy(&body).contains("SignatureDoesNotMatch"),
            "a correct signature was refused: {}", String::from_utf8_lossy(&body));
    }

    /// One byte of a signed query changed: if the parameters differ, never a success.
    #[test]
    fn a_signed_request_changed_after_signing_is_refused(
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"abcXYZ019%&=+-_.~".to_vec()),
    ) {
        let params = vec![("Action".to_string(), "DescribeInstances".to_string()),
                          ("RegionId".to_string(), "cn-hangzhou".to_string()),
                          ("PageSize".to_string(), "10".to_string())];
        let query = harness().signed_v1_query(&params);
        let mut damaged = query.clone().into_bytes();
        let i = at.index(damaged.len());
        damaged[i] = byte;
        let damaged = String::from_utf8(damaged).unwrap();
        let (status, body) = harness().request("GET", &format!("/?{damaged}"), &[], vec![]).unwrap();
        assert_api_answer(status, &body);
        if pairs(&damaged) != pairs(&query) {
            prop_assert_ne!(status, 200, "accepted a changed request: {}", damaged);
        }
    }

    /// The client's answer parsing: arbitrary bytes under any status.
    #[test]
    fn client_parses_arbitrary_answers(
        status in prop_oneof![Just(200u16), Just(400u16), Just(403u16), Just(404u16), Just(500u16), Just(502u16), 100u16..600],
        body in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let out = parse_answer(status, &body);
        if !(200..300).contains(&status) {
            prop_assert!(out.contains("Fuzz: "), "{}", out);
        }
    }

    /// Documented answers with one byte changed or the tail cut: deep into the decoders.
    #[test]
    fn client_parses_damaged_documented_answers(
        file in prop::sample::select(fixtures()),
        status in prop_oneof![Just(200u16), Just(400u16), Just(404u16)],
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let mut body = std::fs::read(&file).unwrap();
        let i = at.index(body.len());
        if cut { body.truncate(i) } else { body[i] = byte }
        let _ = parse_answer(status, &body);
    }
}

fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ecs");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The undamaged fixtures decode to something: the smoke above reaches past the first byte.
#[test]
fn documented_answers_decode() {
    for f in fixtures() {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let body = std::fs::read(&f).unwrap();
        let status = if name.starts_with("error") { 400 } else { 200 };
        let out = parse_answer(status, &body);
        if status == 200 && name.ends_with(".json") && !name.starts_with("modify") {
            assert_ne!(out, "0", "{name} decoded nothing");
        } else if status == 400 {
            assert!(
                !out.contains("HTTP400"),
                "{name}: error body not parsed: {out}"
            );
        }
    }
}

/// The signing helper the smoke relies on is right: an undamaged request is accepted.
#[test]
fn an_undamaged_signed_request_is_accepted() {
    let params = vec![
        ("Action".to_string(), "DescribeInstances".to_string()),
        ("RegionId".to_string(), "cn-hangzhou".to_string()),
    ];
    let query = harness().signed_v1_query(&params);
    let (status, body) = harness()
        .request("GET", &format!("/?{query}"), &[], vec![])
        .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}
