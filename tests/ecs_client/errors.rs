//! The error table, row by row: every code of the ModifyInstanceSpec seed
//! and the gateway's common codes → kind, retryable, remedy.

use terraform_provider_ecs::ecs::codes::{self, TABLE};
use terraform_provider_ecs::ecs::{Error, ErrorKind};

use ErrorKind::*;

/// (code, HTTP status, kind, retryable, words the remedy must contain)
const EXPECTED: &[(&str, u16, ErrorKind, bool, &str)] = &[
    // The seed's table, in its order.
    ("Account.Arrearage", 400, Billing, false, "overdue payment"),
    (
        "DependencyViolation.InstanceType",
        400,
        Unsupported,
        false,
        "ecs_instance_type_modifications",
    ),
    (
        "IdempotenceParamNotMatch",
        400,
        Idempotence,
        false,
        "ClientToken",
    ),
    (
        "InvalidClientToken.ValueNotSupported",
        400,
        InvalidParameter,
        false,
        "64 ASCII",
    ),
    (
        "InvalidInstance.UnpaidOrder",
        400,
        Billing,
        false,
        "unpaid order",
    ),
    (
        "InvalidInstanceType.ValueNotSupported",
        400,
        InvalidParameter,
        false,
        "instance_type",
    ),
    (
        "InvalidInstanceType.ValueUnauthorized",
        400,
        Unsupported,
        false,
        "instance_type",
    ),
    (
        "InvalidInternetChargeType.ValueNotSupported",
        400,
        InvalidParameter,
        false,
        "internet_charge_type",
    ),
    (
        "InvalidParameter",
        400,
        InvalidParameter,
        false,
        "internet_max_bandwidth_out",
    ),
    (
        "InvalidParameter.Bandwidth",
        400,
        InvalidParameter,
        false,
        "internet_max_bandwidth_out",
    ),
    (
        "InvalidParameter.Conflict",
        400,
        Unsupported,
        false,
        "image",
    ),
    (
        "InvalidParameter.Mismatch",
        400,
        InvalidParameter,
        false,
        "either instance_type or bandwidth",
    ),
    (
        "InvalidStatus.ValueNotSupported",
        400,
        InvalidStatus,
        false,
        "Running or Stopped",
    ),
    (
        "OperationDenied",
        400,
        Unsupported,
        false,
        "instance_type or zone",
    ),
    (
        "OperationDenied",
        403,
        Unsupported,
        false,
        "instance_type or zone",
    ),
    (
        "Price.PricePlanResultNotFound",
        400,
        InvalidParameter,
        false,
        "internet_max_bandwidth",
    ),
    (
        "Throttling",
        400,
        Throttled,
        true,
        "max_requests_per_second",
    ),
    (
        "InvalidInstanceStatus.NotStopped",
        400,
        InvalidStatus,
        false,
        "the instance must be Stopped to change instance_type",
    ),
    (
        "CategoryViolation",
        403,
        Unsupported,
        false,
        "disk category",
    ),
    (
        "ChargeTypeViolation",
        403,
        Unsupported,
        false,
        "ModifyInstanceSpec changes only pay-as-you-go",
    ),
    (
        "Imagenotsupportinstancetype",
        403,
        Unsupported,
        false,
        "image",
    ),
    (
        "InstanceLockedForSecurity",
        403,
        InvalidStatus,
        false,
        "locked",
    ),
    (
        "InvalidAccountStatus.NotEnoughBalance",
        403,
        Billing,
        false,
        "balance",
    ),
    (
        "LastTokenProcessing",
        403,
        Conflict,
        true,
        "still being processed",
    ),
    (
        "InvalidInstanceId.NotFound",
        404,
        NotFound,
        false,
        "does not exist",
    ),
    ("InternalError", 500, Server, true, "RequestId"),
    ("InvalidAction", 500, Unsupported, false, "endpoint"),
    // Gateway codes.
    (
        "InvalidAccessKeyId.NotFound",
        404,
        Auth,
        false,
        "access_key",
    ),
    ("InvalidAccessKeyId.Inactive", 400, Auth, false, "disabled"),
    ("SignatureDoesNotMatch", 400, Auth, false, "secret_key"),
    ("IncompleteSignature", 400, Auth, false, "signature"),
    ("SignatureNonceUsed", 400, Auth, true, "nonce"),
    ("InvalidTimeStamp.Format", 400, Auth, false, "timestamp"),
    ("InvalidTimeStamp.Expired", 400, Auth, false, "clock"),
    ("MissingParameter", 400, InvalidParameter, false, "missing"),
    ("MissingInstanceId", 400, InvalidParameter, false, "invalid"),
    (
        "InvalidRegionId.Malformed",
        400,
        InvalidParameter,
        false,
        "invalid",
    ),
    ("InvalidApi.NotFound", 404, Unsupported, false, "endpoint"),
    (
        "UnsupportedHTTPMethod",
        403,
        Unsupported,
        false,
        "HTTP method",
    ),
    ("Throttling.User", 400, Throttled, true, "throttling"),
    ("Throttling.Api", 400, Throttled, true, "throttling"),
    ("Forbidden.RAM", 403, Auth, false, "RAM"),
    ("ServiceUnavailable", 503, Server, true, "temporary"),
    // Other ECS codes the lifecycle meets.
    (
        "IdempotentParameterMismatch",
        400,
        Idempotence,
        false,
        "ClientToken",
    ),
    (
        "IncorrectInstanceStatus",
        403,
        InvalidStatus,
        false,
        "status",
    ),
    ("OperationConflict", 403, Conflict, true, "in progress"),
    (
        "Forbidden.InstanceNotFound",
        404,
        NotFound,
        false,
        "does not exist",
    ),
    (
        "InvalidVSwitchId.NotFound",
        404,
        InvalidParameter,
        false,
        "vswitch_id",
    ),
    ("UnknownError", 500, Server, true, "temporary"),
    // Codes nobody listed: the status and the code's shape decide.
    ("SomethingNew", 502, Server, true, "temporary"),
    ("SomethingNew", 429, Throttled, true, "throttling"),
    ("SomethingNew", 400, Other, false, "RequestId"),
    ("Throttling.Whatever", 400, Throttled, true, "throttling"),
    (
        "InvalidFoo.NotFound",
        404,
        InvalidParameter,
        false,
        "does not exist",
    ),
];

#[test]
fn every_code_maps_to_its_kind_retryability_and_remedy() {
    for &(code, status, kind, retryable, words) in EXPECTED {
        let e = Error::api(
            "ModifyInstanceSpec",
            Some(status),
            code,
            "msg",
            Some("RID".into()),
        );
        assert_eq!(e.kind, kind, "{code} ({status})");
        assert_eq!(e.is_retryable(), retryable, "{code} ({status}) retryable");
        let remedy = e.remedy();
        assert!(
            remedy.to_lowercase().contains(&words.to_lowercase()),
            "{code}: remedy {remedy:?} should mention {words:?}"
        );
        let text = e.to_string();
        assert!(text.ends_with("[RequestId: RID]"), "{text}");
        assert!(text.contains(remedy), "{text}");
    }
}

#[test]
fn every_table_row_has_a_one_line_remedy_and_is_covered_above() {
    for (code, class) in TABLE {
        assert!(
            !class.remedy.is_empty() && !class.remedy.contains('\n'),
            "{code}"
        );
        assert!(class.remedy.len() < 200, "{code}: remedy too long");
        assert_eq!(codes::classify(code, Some(400)), *class, "{code}");
    }
    let seed_codes = terraform_provider_ecs::ecs::codes::MODIFY_INSTANCE_SPEC_CODES;
    for code in seed_codes {
        assert!(
            TABLE.iter().any(|(k, _)| *k == code),
            "seed code {code} missing from TABLE"
        );
    }
}

#[test]
fn local_failures_classify_too() {
    let cases = [
        (codes::TRANSPORT, Transport, true),
        (codes::READ_TIMEOUT, Timeout, true),
        (codes::CONNECT_TIMEOUT, Timeout, true),
        (codes::DEADLINE_EXCEEDED, Timeout, false),
        (codes::CANCELLED, Cancelled, false),
        (codes::INVALID_RESPONSE, Other, false),
        (codes::TLS_UNTRUSTED, Transport, false),
        (codes::TLS_EXPIRED, Transport, false),
        (codes::TLS_WRONG_HOST, Transport, false),
        (codes::TLS_HANDSHAKE, Transport, false),
    ];
    for (code, kind, retryable) in cases {
        let e = Error::local(kind, "StartInstance", code, "x");
        assert_eq!(e.is_retryable(), retryable, "{code}");
        assert!(!e.remedy().is_empty());
        assert_eq!(e.http_status, None);
    }
}
