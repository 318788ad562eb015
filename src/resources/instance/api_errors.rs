//! Which attribute of `ecs_instance` an ECS error is about, and what to do
//! about it in Terraform's terms.
//!
//! The client (`crate::ecs`) knows codes, kinds and API-level remedies but
//! no attribute names; this table adds them. Codes are matched exactly (the
//! API spells some codes with odd case, so case is ignored), never by
//! substring: `InvalidParameter.Bandwidth` is not about `instance_type`
//! because it contains no "type", and `InvalidInternetChargeType…` is about
//! `internet_charge_type`, not `instance_charge_type`. Some codes are about
//! whatever the failing call carried (`InvalidParameter.Bandwidth` names the
//! bandwidth that was sent), so the caller says what it sent ([`Sent`]).

use crate::ecs;

/// What the failing call carried, as far as attribution needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub instance_type: bool,
    pub bandwidth_out: bool,
    pub bandwidth_in: bool,
}

impl Sent {
    /// The bandwidth attribute sent (outbound first when both were).
    fn bandwidth(self) -> Option<&'static str> {
        if self.bandwidth_out {
            Some("internet_max_bandwidth_out")
        } else if self.bandwidth_in {
            Some("internet_max_bandwidth_in")
        } else {
            None
        }
    }
}

/// Where an error points.
#[derive(Clone, Copy, Debug)]
enum Target {
    Attr(&'static str),
    /// The bandwidth attribute the call sent (none if it sent none).
    SentBandwidth,
    /// `instance_type` if the call changed the type, else the bandwidth sent.
    SentTypeOrBandwidth,
}

use Target::*;

/// One row: the action it is limited to (`None`: any), the code, the
/// attribute, and a remedy in Terraform's terms that replaces the client's
/// (`None`: the client's remedy already says what to do).
type Row = (
    Option<&'static str>,
    &'static str,
    Target,
    Option<&'static str>,
);

static TABLE: &[Row] = &[
    // Action-specific rows first: the first match wins.
    (
        Some("DeleteInstance"),
        "ChargeTypeViolation",
        Attr("force_delete"),
        Some("a subscription (PrePaid) instance cannot be released before it expires; set force_delete = true and apply (it converts the instance to pay-as-you-go, refunding the rest, then releases it), or let it expire"),
    ),
    (
        Some("ModifyInstanceChargeType"),
        "QuotaExceed.RufundVcpu",
        Attr("force_delete"),
        None,
    ),
    (
        Some("ModifyInstanceAutoRenewAttribute"),
        "ChargeTypeViolation",
        Attr("auto_renew"),
        None,
    ),
    (None, "ChargeTypeViolation", Attr("instance_charge_type"), None),
    (
        None,
        "InvalidOperation.DeletionProtection",
        Attr("deletion_protection"),
        Some("deletion protection is on for this instance, so ECS refuses to release it; turn it off (console: instance > Release Protection, or ModifyInstanceAttribute DeletionProtection=false) and apply again"),
    ),
    // Type.
    (None, "DependencyViolation.InstanceType", Attr("instance_type"), None),
    (None, "InvalidInstanceType.ValueNotSupported", Attr("instance_type"), None),
    (None, "InvalidInstanceType.ValueUnauthorized", Attr("instance_type"), None),
    (None, "InvalidInstanceStatus.NotStopped", Attr("instance_type"), None),
    (None, "InvalidParameter.Conflict", Attr("instance_type"), None),
    (None, "Imagenotsupportinstancetype", Attr("instance_type"), None),
    (None, "CategoryViolation", Attr("instance_type"), None),
    (None, "OperationDenied.NoStock", Attr("instance_type"), None),
    (None, "InvalidResourceType.NotSupported", Attr("instance_type"), None),
    (None, "OperationDenied", SentTypeOrBandwidth, None),
    // Bandwidth.
    (None, "InvalidParameter", SentBandwidth, None),
    (None, "InvalidParameter.Bandwidth", SentBandwidth, None),
    (None, "Price.PricePlanResultNotFound", SentBandwidth, None),
    // Everything else a creation sends.
    (None, "InvalidInternetChargeType.ValueNotSupported", Attr("internet_charge_type"), None),
    (None, "InvalidInstanceChargeType.ValueNotSupported", Attr("instance_charge_type"), None),
    (None, "InvalidImageId.NotFound", Attr("image_id"), None),
    (None, "InvalidZoneId.NotFound", Attr("zone_id"), None),
    (None, "Zone.NotOnSale", Attr("zone_id"), None),
    (None, "InvalidVSwitchId.NotFound", Attr("vswitch_id"), None),
    (
        Some("RunInstances"),
        "InvalidVSwitchId.IsNull",
        Attr("vswitch_id"),
        Some("this account cannot create instances on the classic network (only accounts that used it before it was retired can); set vswitch_id to a vSwitch of your VPC"),
    ),
    (None, "InvalidPeriod", Attr("period"), None),
    (None, "InvalidPeriodUnit.ValueNotSupported", Attr("period_unit"), None),
    (None, "InvalidParameter.Duration", Attr("auto_renew_period"), None),
    (None, "InvalidSecurityGroupId.NotFound", Attr("security_group_ids"), None),
    (None, "InvalidInstanceName.Malformed", Attr("instance_name"), None),
    (None, "InvalidDescription.Malformed", Attr("description"), None),
];

fn row(err: &ecs::Error) -> Option<&'static Row> {
    TABLE.iter().find(|(action, code, _, _)| {
        action.is_none_or(|a| a == err.action) && code.eq_ignore_ascii_case(&err.code)
    })
}

/// The attribute `err` is about, given what the failing call sent.
pub fn attribute(err: &ecs::Error, sent: Sent) -> Option<&'static str> {
    match row(err)?.2 {
        Attr(a) => Some(a),
        SentBandwidth => sent.bandwidth(),
        SentTypeOrBandwidth if sent.instance_type => Some("instance_type"),
        SentTypeOrBandwidth => sent.bandwidth(),
    }
}

/// What to do, in one line: ours when the table has one, else the client's.
pub fn remedy(err: &ecs::Error) -> &'static str {
    row(err).and_then(|r| r.3).unwrap_or_else(|| err.remedy())
}

/// The error as a diagnostic detail: `Action: Code (HTTP n): message —
/// remedy [RequestId: …]`, with [`remedy`] in place of the client's.
pub fn describe(err: &ecs::Error) -> String {
    let mut s = format!("{}: {}", err.action, err.code);
    if let Some(status) = err.http_status {
        s.push_str(&format!(" (HTTP {status})"));
    }
    if !err.message.is_empty() {
        s.push_str(&format!(": {}", err.message));
    }
    s.push_str(&format!(" — {}", remedy(err)));
    if let Some(id) = &err.request_id {
        s.push_str(&format!(" [RequestId: {id}]"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: Sent = Sent {
        instance_type: true,
        bandwidth_out: false,
        bandwidth_in: false,
    };
    const OUT: Sent = Sent {
        instance_type: false,
        bandwidth_out: true,
        bandwidth_in: false,
    };
    const IN: Sent = Sent {
        instance_type: false,
        bandwidth_out: false,
        bandwidth_in: true,
    };
    const NOTHING: Sent = Sent {
        instance_type: false,
        bandwidth_out: false,
        bandwidth_in: false,
    };

    /// (action, code, HTTP status, what was sent, attribute, words the remedy holds)
    type Case = (
        &'static str,
        &'static str,
        u16,
        Sent,
        Option<&'static str>,
        &'static str,
    );

    const MIS: &str = "ModifyInstanceSpec";

    /// Every code of the ModifyInstanceSpec seed (in its order, the ones that
    /// depend on the call twice), then the delete, stop, start, create and
    /// charge-type codes this resource meets.
    const CASES: &[Case] = &[
        (MIS, "Account.Arrearage", 400, TYPE, None, "overdue payment"),
        (
            MIS,
            "DependencyViolation.InstanceType",
            400,
            TYPE,
            Some("instance_type"),
            "ecs_instance_type_modifications data source",
        ),
        (MIS, "IdempotenceParamNotMatch", 400, OUT, None, "apply"),
        (
            MIS,
            "InvalidClientToken.ValueNotSupported",
            400,
            OUT,
            None,
            "provider bug",
        ),
        (
            MIS,
            "InvalidInstance.UnpaidOrder",
            400,
            TYPE,
            None,
            "unpaid order",
        ),
        (
            MIS,
            "InvalidInstanceType.ValueNotSupported",
            400,
            TYPE,
            Some("instance_type"),
            "ecs_instance_types data source",
        ),
        (
            MIS,
            "InvalidInstanceType.ValueUnauthorized",
            400,
            TYPE,
            Some("instance_type"),
            "another type",
        ),
        (
            MIS,
            "InvalidInternetChargeType.ValueNotSupported",
            400,
            OUT,
            Some("internet_charge_type"),
            "PayByTraffic",
        ),
        (
            MIS,
            "InvalidParameter",
            400,
            OUT,
            Some("internet_max_bandwidth_out"),
            "0–100",
        ),
        (
            MIS,
            "InvalidParameter",
            400,
            IN,
            Some("internet_max_bandwidth_in"),
            "invalid",
        ),
        (
            MIS,
            "InvalidParameter.Bandwidth",
            400,
            IN,
            Some("internet_max_bandwidth_in"),
            "bandwidth",
        ),
        (
            MIS,
            "InvalidParameter.Bandwidth",
            400,
            OUT,
            Some("internet_max_bandwidth_out"),
            "bandwidth",
        ),
        (
            MIS,
            "InvalidParameter.Conflict",
            400,
            TYPE,
            Some("instance_type"),
            "choose another instance_type",
        ),
        (
            MIS,
            "InvalidParameter.Mismatch",
            400,
            OUT,
            None,
            "provider bug",
        ),
        (
            MIS,
            "InvalidStatus.ValueNotSupported",
            400,
            TYPE,
            None,
            "Running or Stopped",
        ),
        (
            MIS,
            "OperationDenied",
            400,
            OUT,
            Some("internet_max_bandwidth_out"),
            "see the message",
        ),
        (
            MIS,
            "OperationDenied",
            403,
            TYPE,
            Some("instance_type"),
            "choose another instance_type",
        ),
        (
            MIS,
            "Price.PricePlanResultNotFound",
            400,
            IN,
            Some("internet_max_bandwidth_in"),
            "no price",
        ),
        (
            MIS,
            "Price.PricePlanResultNotFound",
            400,
            OUT,
            Some("internet_max_bandwidth_out"),
            "no price",
        ),
        (MIS, "Throttling", 400, OUT, None, "throttling"),
        (
            MIS,
            "InvalidInstanceStatus.NotStopped",
            400,
            TYPE,
            Some("instance_type"),
            "Stopped",
        ),
        (
            MIS,
            "CategoryViolation",
            403,
            TYPE,
            Some("instance_type"),
            "disk category",
        ),
        (
            MIS,
            "ChargeTypeViolation",
            403,
            TYPE,
            Some("instance_charge_type"),
            "pay-as-you-go",
        ),
        (
            MIS,
            "Imagenotsupportinstancetype",
            403,
            TYPE,
            Some("instance_type"),
            "image",
        ),
        (MIS, "InstanceLockedForSecurity", 403, TYPE, None, "console"),
        (
            MIS,
            "InvalidAccountStatus.NotEnoughBalance",
            403,
            OUT,
            None,
            "balance",
        ),
        (
            MIS,
            "LastTokenProcessing",
            403,
            OUT,
            None,
            "run Terraform again",
        ),
        (
            MIS,
            "InvalidInstanceId.NotFound",
            404,
            TYPE,
            None,
            "remove it from state",
        ),
        (MIS, "InternalError", 500, TYPE, None, "run Terraform again"),
        (MIS, "InvalidAction", 500, TYPE, None, "endpoint"),
        // Release.
        (
            "DeleteInstance",
            "ChargeTypeViolation",
            403,
            NOTHING,
            Some("force_delete"),
            "force_delete = true",
        ),
        (
            "DeleteInstance",
            "InvalidOperation.DeletionProtection",
            403,
            NOTHING,
            Some("deletion_protection"),
            "turn it off",
        ),
        (
            "DeleteInstance",
            "IncorrectInstanceStatus",
            403,
            NOTHING,
            None,
            "release it again",
        ),
        (
            "DeleteInstance",
            "DependencyViolation.RouteEntry",
            400,
            NOTHING,
            None,
            "route entry",
        ),
        (
            "ModifyInstanceChargeType",
            "QuotaExceed.RufundVcpu",
            400,
            NOTHING,
            Some("force_delete"),
            "refund quota",
        ),
        (
            "ModifyInstanceChargeType",
            "ExpiredInstance",
            400,
            NOTHING,
            None,
            "expired",
        ),
        (
            "ModifyInstanceChargeType",
            "InvalidStatus.ValueNotSupported",
            400,
            NOTHING,
            None,
            "Running or Stopped",
        ),
        // Power.
        (
            "StopInstance",
            "IncorrectInstanceStatus",
            403,
            NOTHING,
            None,
            "only a Running instance",
        ),
        (
            "StartInstance",
            "IncorrectInstanceStatus",
            403,
            NOTHING,
            None,
            "only a Stopped instance",
        ),
        // Creation.
        (
            "RunInstances",
            "OperationDenied.NoStock",
            403,
            TYPE,
            Some("instance_type"),
            "no stock",
        ),
        (
            "RunInstances",
            "InvalidZoneId.NotFound",
            404,
            TYPE,
            Some("zone_id"),
            "zone",
        ),
        (
            "RunInstances",
            "InvalidVSwitchId.NotFound",
            404,
            TYPE,
            Some("vswitch_id"),
            "vSwitch",
        ),
        (
            "RunInstances",
            "InvalidImageId.NotFound",
            404,
            TYPE,
            Some("image_id"),
            "image",
        ),
        (
            "RunInstances",
            "InvalidInstanceChargeType.ValueNotSupported",
            400,
            TYPE,
            Some("instance_charge_type"),
            "PostPaid",
        ),
        (
            "ModifyInstanceAutoRenewAttribute",
            "ChargeTypeViolation",
            403,
            TYPE,
            Some("auto_renew"),
            "remove auto_renew",
        ),
        (
            "ModifyInstanceAutoRenewAttribute",
            "InvalidParameter.Duration",
            403,
            TYPE,
            Some("auto_renew_period"),
            "auto_renew_period",
        ),
    ];

    /// Actions a remedy may name besides its own: the ones that are the way out.
    const WAYS_OUT: &[&str] = &[
        "DescribeResourcesModification",
        "DescribeInstanceTypes",
        "ModifyInstanceAttribute",
        "ModifyInstanceChargeType",
    ];

    const ACTIONS: &[&str] = &[
        "ModifyInstanceSpec",
        "ModifyInstanceNetworkSpec",
        "DeleteInstance",
        "StopInstance",
        "StartInstance",
        "RunInstances",
        "ModifyInstanceChargeType",
    ];

    #[test]
    fn every_code_points_at_its_attribute_with_a_remedy_for_its_action() {
        for &(action, code, status, sent, attr, words) in CASES {
            let e = ecs::Error::api(action, Some(status), code, "msg", Some("R".into()));
            assert_eq!(attribute(&e, sent), attr, "{action} {code} {sent:?}");
            let r = remedy(&e);
            assert!(
                r.to_lowercase().contains(&words.to_lowercase()),
                "{action} {code}: remedy {r:?} should mention {words:?}"
            );
            for other in ACTIONS {
                if *other != action && !WAYS_OUT.contains(other) {
                    assert!(
                        !r.contains(other),
                        "{action} {code}: remedy {r:?} names {other}"
                    );
                }
            }
            let d = describe(&e);
            assert!(d.starts_with(&format!("{action}: {code}")), "{d}");
            assert!(d.contains(r) && d.ends_with("[RequestId: R]"), "{d}");
        }
    }

    #[test]
    fn every_seed_code_is_covered() {
        let seed = crate::ecs::codes::MODIFY_INSTANCE_SPEC_CODES;
        for code in seed {
            assert!(
                CASES.iter().any(|c| c.0 == MIS && c.1 == code),
                "seed code {code} has no case"
            );
        }
    }

    #[test]
    fn codes_match_exactly_not_by_substring() {
        let e = |code: &str| ecs::Error::api(MIS, Some(400), code, "", None);
        // Substrings of mapped codes map to nothing.
        assert_eq!(attribute(&e("InvalidInternetChargeTypeX"), OUT), None);
        assert_eq!(attribute(&e("Bandwidth"), OUT), None);
        assert_eq!(attribute(&e("SomethingAboutInstanceType"), TYPE), None);
        // A bandwidth code with no bandwidth sent points nowhere.
        assert_eq!(attribute(&e("InvalidParameter.Bandwidth"), TYPE), None);
    }
}
