//! The error table: every ECS code the provider knows → kind, retryable or
//! not, and a one-line remedy. Codes not in the table fall back to rules on
//! their shape (`Throttling*`, `*.NotFound`, `Invalid*`, `Missing*`,
//! `Forbidden*`) and on the HTTP status (5xx → server, retryable).
//!
//! Sources: the ModifyInstanceSpec error table, the gateway's common codes,
//! and the ECS codes the official SDKs and Terraform providers handle. An
//! explicit entry always wins over the status: `InvalidAction` comes with
//! HTTP 500 but retrying it is pointless.

use super::error::{Error, ErrorKind};

use ErrorKind::*;

// Local codes: failures with no ECS answer.
pub const TRANSPORT: &str = "Transport";
pub const CONNECT_TIMEOUT: &str = "ConnectTimeout";
pub const READ_TIMEOUT: &str = "ReadTimeout";
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";
pub const CANCELLED: &str = "Cancelled";
pub const INVALID_RESPONSE: &str = "InvalidResponse";
pub const INVALID_CONFIG: &str = "InvalidConfig";
/// A 2xx answer whose body does not decode (truncated, empty, a proxy's
/// page): retried, since only reads and ClientToken calls decode bodies.
pub const MALFORMED_RESPONSE: &str = "MalformedResponse";
// TLS refusals: the endpoint's certificate (or handshake) was refused. Never
// retried (over HTTPS or, above all, over plain HTTP): nothing changes by
// itself, and the user must act.
pub const TLS_UNTRUSTED: &str = "TlsUntrustedCertificate";
pub const TLS_EXPIRED: &str = "TlsCertificateExpired";
pub const TLS_WRONG_HOST: &str = "TlsCertificateWrongHost";
pub const TLS_HANDSHAKE: &str = "TlsHandshakeFailed";
// The credential source failed, so a request could not be signed: for a
// while (STS did not answer; retried), or for good (STS refused).
pub const CREDENTIALS_UNAVAILABLE: &str = "CredentialsUnavailable";
pub const CREDENTIALS_REFUSED: &str = "CredentialsRefused";

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Class {
    pub kind: ErrorKind,
    pub retryable: bool,
    pub remedy: &'static str,
}

const fn c(kind: ErrorKind, retryable: bool, remedy: &'static str) -> Class {
    Class {
        kind,
        retryable,
        remedy,
    }
}

const THROTTLED: Class = c(
    Throttled,
    true,
    "ECS is throttling this account; retried with backoff — lower max_requests_per_second or terraform -parallelism if it persists",
);
const SERVER: Class = c(
    Server,
    true,
    "a temporary ECS failure; it was retried — run Terraform again later, quoting the RequestId to support if it persists",
);
const IN_PROGRESS: Class = c(
    Conflict,
    true,
    "an earlier request for this instance is still being processed; it was retried — wait a minute and run Terraform again",
);
const IDEMPOTENCE: Class = c(
    Idempotence,
    false,
    "a ClientToken was reused with different parameters; run apply again (a new token is generated per step)",
);
const INSTANCE_NOT_FOUND: Class = c(
    NotFound,
    false,
    "the instance does not exist in this region; check the id and region, or remove it from state",
);

/// Known codes. Kept sorted by theme; the table test walks every row.
pub static TABLE: &[(&str, Class)] = &[
    // --- ModifyInstanceSpec's own table -------------------------------------
    ("Account.Arrearage", c(Billing, false, "the account has an overdue payment; settle it in the billing console, then apply again")),
    ("DependencyViolation.InstanceType", c(Unsupported, false, "this instance cannot change to that instance_type; pick one the ecs_instance_type_modifications data source lists for this instance")),
    ("IdempotenceParamNotMatch", IDEMPOTENCE),
    ("InvalidClientToken.ValueNotSupported", c(InvalidParameter, false, "the ClientToken was refused (max 64 ASCII characters); this is a provider bug, please report it")),
    ("InvalidInstance.UnpaidOrder", c(Billing, false, "the instance has an unpaid order; pay or cancel it in the billing console, then apply again")),
    ("InvalidInstanceType.ValueNotSupported", c(InvalidParameter, false, "instance_type does not exist or is not offered here; check the name against the ecs_instance_types data source")),
    ("InvalidInstanceType.ValueUnauthorized", c(Unsupported, false, "the account may not use this instance_type; request access to it or choose another type")),
    ("InvalidInternetChargeType.ValueNotSupported", c(InvalidParameter, false, "internet_charge_type must be PayByTraffic or PayByBandwidth")),
    ("InvalidParameter", c(InvalidParameter, false, "a request value is invalid (see the message); e.g. internet_max_bandwidth_out must be within 0–100 Mbps")),
    ("InvalidParameter.Bandwidth", c(InvalidParameter, false, "the bandwidth is out of range for this charge type; adjust internet_max_bandwidth_out / internet_max_bandwidth_in")),
    ("InvalidParameter.Conflict", c(Unsupported, false, "the instance's image does not support this instance_type; choose another instance_type or image")),
    ("InvalidParameter.Mismatch", c(InvalidParameter, false, "ModifyInstanceSpec takes either instance_type or bandwidth per call, not both; this is a provider bug, please report it")),
    ("InvalidStatus.ValueNotSupported", c(InvalidStatus, false, "the instance's current status does not allow this change; wait until it is Running or Stopped and apply again")),
    ("OperationDenied", c(Unsupported, false, "ECS denied the operation for this instance (network type, or no stock of the type); see the message, choose another instance_type or zone")),
    ("Price.PricePlanResultNotFound", c(InvalidParameter, false, "no price exists for this bandwidth; choose other internet_max_bandwidth_in / internet_max_bandwidth_out values")),
    ("Throttling", THROTTLED),
    ("InvalidInstanceStatus.NotStopped", c(InvalidStatus, false, "the instance must be Stopped to change instance_type")),
    ("CategoryViolation", c(Unsupported, false, "the instance's disk category does not support this change; choose another instance_type")),
    ("ChargeTypeViolation", c(Unsupported, false, "the instance's billing method (subscription or pay-as-you-go) does not allow this action; see the action's remedy")),
    ("Imagenotsupportinstancetype", c(Unsupported, false, "the instance's image does not support this instance_type; choose another instance_type or image")),
    ("InstanceLockedForSecurity", c(InvalidStatus, false, "the instance is locked for security reasons; resolve the lock in the console, then apply again")),
    ("InvalidAccountStatus.NotEnoughBalance", c(Billing, false, "the account balance is too low; top it up or fix the payment method, then apply again")),
    ("LastTokenProcessing", IN_PROGRESS),
    ("InvalidInstanceId.NotFound", INSTANCE_NOT_FOUND),
    ("InternalError", SERVER),
    ("InvalidAction", c(Unsupported, false, "the endpoint does not offer this action; check the endpoint setting points to ECS")),
    // --- Gateway codes, common to every API ---------------------------------
    ("InvalidAccessKeyId.NotFound", c(Auth, false, "the access key does not exist; check access_key (or ALIBABA_CLOUD_ACCESS_KEY_ID)")),
    ("InvalidAccessKeyId.Inactive", c(Auth, false, "the access key is disabled; enable it in the RAM console or use another one")),
    ("SignatureDoesNotMatch", c(Auth, false, "the signature was rejected; check secret_key (or ALIBABA_CLOUD_ACCESS_KEY_SECRET) for typos or stray spaces")),
    ("IncompleteSignature", c(Auth, false, "the signature was incomplete; check the access key pair, and that no proxy strips the x-acs-* headers")),
    ("SignatureNonceUsed", c(Auth, true, "a request nonce was reused; it was retried with a fresh one — if it persists, check for a proxy replaying requests")),
    ("InvalidTimeStamp.Format", c(Auth, false, "the request timestamp was refused; this is a provider bug, please report it")),
    ("InvalidTimeStamp.Expired", c(Auth, false, "this machine's clock is more than 15 minutes off; synchronise it (NTP) and apply again")),
    ("InvalidSecurityToken.Expired", c(Auth, false, "the STS security_token has expired; get a fresh one and apply again")),
    ("InvalidSecurityToken.Malformed", c(Auth, false, "the STS security_token is malformed; check security_token (or ALIBABA_CLOUD_SECURITY_TOKEN)")),
    ("InvalidSecurityToken.MismatchWithAccessKey", c(Auth, false, "the security_token belongs to another access key; use the key pair issued with it")),
    ("MissingParameter", c(InvalidParameter, false, "a required parameter is missing (see the message); this is likely a provider bug, please report it")),
    ("InvalidApi.NotFound", c(Unsupported, false, "the endpoint does not know this API; check the endpoint and region settings")),
    ("UnsupportedHTTPMethod", c(Unsupported, false, "the endpoint refused the HTTP method; check the endpoint setting points to ECS")),
    ("Throttling.User", THROTTLED),
    ("Throttling.Api", THROTTLED),
    ("Throttling.Resource", THROTTLED),
    ("Rejected.Throttling", THROTTLED),
    ("Forbidden.RAM", c(Auth, false, "the RAM user or role lacks permission for this action; grant it ecs:<Action> in a RAM policy")),
    ("Forbidden", c(Auth, false, "access was denied; check the RAM policy of the access key's user or role")),
    ("Forbidden.RiskControl", c(Auth, false, "the account is under risk control; verify it in the console, then apply again")),
    ("InternalError.Timeout", SERVER),
    ("UnknownError", SERVER),
    ("ServiceUnavailable", SERVER),
    ("ServiceUnavailable.Timeout", SERVER),
    // --- Other ECS codes seen around instance lifecycles -------------------
    ("IdempotentParameterMismatch", IDEMPOTENCE),
    ("LastRequestProcessing", IN_PROGRESS),
    ("LastOrderProcessing", IN_PROGRESS),
    ("OperationConflict", c(Conflict, true, "another operation on this instance is in progress; it was retried — wait for it to finish and apply again")),
    ("IncorrectInstanceStatus", c(InvalidStatus, false, "the instance is in a status that does not allow this action; wait until it is Running or Stopped and apply again")),
    ("IncorrectInstanceStatus.Initializing", c(InvalidStatus, false, "the instance is still initialising; wait a minute and apply again")),
    ("Forbidden.InstanceNotFound", INSTANCE_NOT_FOUND),
    ("InvalidInstanceId.Malformed", c(InvalidParameter, false, "the instance id is malformed; ids look like i-bp1...")),
    ("AllocatedAlready", c(Unsupported, false, "the instance already has a public IP; nothing to allocate")),
    ("OperationDenied.NoStock", c(Unsupported, false, "the zone has no stock of this instance_type; choose another instance_type or zone, or retry later")),
    ("InvalidResourceType.NotSupported", c(Unsupported, false, "this instance_type is not offered in the zone; choose another instance_type or zone")),
    ("Zone.NotOnSale", c(Unsupported, false, "the zone does not sell this resource; choose another zone")),
    ("QuotaExceed.ElasticQuota", c(Unsupported, false, "the account's instance quota is used up; raise the quota in Quota Center or release instances")),
    ("InvalidImageId.NotFound", c(InvalidParameter, false, "image_id does not exist in this region; check the image id")),
    ("InvalidVSwitchId.NotFound", c(InvalidParameter, false, "vswitch_id does not exist in this region; check the vSwitch id")),
    ("InvalidSecurityGroupId.NotFound", c(InvalidParameter, false, "a security group id does not exist in this region; check security_group_ids")),
    ("DryRunOperation", c(Other, false, "a dry run succeeded; nothing was changed")),
    ("InvalidInstanceChargeType.ValueNotSupported", c(InvalidParameter, false, "the billing method must be PostPaid or PrePaid")),
    ("InvalidZoneId.NotFound", c(InvalidParameter, false, "the zone does not exist in this region; check the zone id")),
    ("InvalidInstanceName.Malformed", c(InvalidParameter, false, "the instance name must have 2 to 128 characters")),
    ("InvalidDescription.Malformed", c(InvalidParameter, false, "the description must have 2 to 256 characters")),
    // --- DeleteInstance ------------------------------------------------------
    ("InvalidOperation.DeletionProtection", c(Unsupported, false, "deletion protection is on for this instance; turn it off (console: instance > Release Protection, or ModifyInstanceAttribute DeletionProtection=false), then release it")),
    ("DependencyViolation.RouteEntry", c(Unsupported, false, "a VPC route entry points at this instance; delete the route entry, then release the instance")),
    // --- ModifyInstanceChargeType ---------------------------------------------
    ("InvalidParameter.InstanceIds", c(InvalidParameter, false, "InstanceIds must be a JSON array of 1 to 20 instance ids; this is a provider bug, please report it")),
    ("InstancesIdQuotaExceed", c(InvalidParameter, false, "at most 20 instances convert per call; this is a provider bug, please report it")),
    ("ExpiredInstance", c(InvalidStatus, false, "the subscription has expired; renew it in the console, or release it (an expired subscription can be released)")),
    ("QuotaExceed.RufundVcpu", c(Billing, false, "this month's refund quota for converting subscriptions to pay-as-you-go is used up; convert next month, or release the instance when it expires")),
    ("ReleaseTimeHaveBeenSet", c(Unsupported, false, "the instance has an automatic release time, which forbids changing its billing method; clear the release time in the console first")),
    ("InvalidInstance.TempBandwidthUpgrade", c(Unsupported, false, "a temporary bandwidth upgrade is in progress, which forbids changing the billing method; wait until it ends")),
    // --- ModifyInstanceAttribute ----------------------------------------------
    ("InvalidHostName.Malformed", c(InvalidParameter, false, "host_name must be 2–64 characters (Windows: 2–15) of letters, digits, dots and hyphens, not starting or ending with a dot or hyphen")),
    ("InvalidPassword.Malformed", c(InvalidParameter, false, "password must be 8–30 characters with three of: upper-case, lower-case, digits, and special characters ()`~!@#$%^&*-_+=|{}[]:;'<>,.?/")),
    ("InvalidUserData.SizeExceeded", c(InvalidParameter, false, "user_data must be at most 32 KB before Base64 encoding; move the rest of the script to a download it fetches")),
    ("InvalidUserData.NotSupported", c(Unsupported, false, "the instance (its type or network) does not support user_data; remove user_data or choose another instance type")),
    ("ImageNotSupportCloudInit", c(Unsupported, false, "the instance's image has no cloud-init, so user_data cannot be used; choose another image or remove user_data")),
    ("SecurityGroupInstanceLimitExceed", c(Unsupported, false, "a security group in security_group_ids holds its maximum number of instances; choose another group")),
    ("InvalidSecurityGroupId.NotBelongToVpc", c(InvalidParameter, false, "every group in security_group_ids must be in the instance's VPC; check the group ids")),
    ("InvalidSecurityGroupId.Malformed", c(InvalidParameter, false, "a security group id is malformed; ids look like sg-bp1...")),
    ("InstanceSecurityGroupLimitExceeded", c(InvalidParameter, false, "an instance joins at most 5 security groups (more only by a quota ticket); shorten security_group_ids")),
    // --- ModifyInstanceVpcAttribute ---------------------------------------------
    ("InvalidVSwitchId.Mismatch", c(InvalidParameter, false, "the new vswitch_id is in another zone than the instance; only a vSwitch of the same zone changes in place (another zone means a new instance)")),
    ("InvalidPrivateIpAddress.Mismatch", c(InvalidParameter, false, "private_ip is not inside the vSwitch's CIDR block (or is one of its reserved first or last addresses); choose an address of that block")),
    ("InvalidPrivateIpAddress.Malformed", c(InvalidParameter, false, "private_ip is not a valid IPv4 address")),
    ("InvalidPrivateIpAddress.Duplicated", c(InvalidParameter, false, "private_ip is already used by another instance or interface of the vSwitch; choose a free address")),
    ("InvalidPrivateIp.Changing", c(InvalidStatus, false, "the instance's vSwitch or private IP was already changed in this stop window; start the instance once, then apply again")),
    // --- ReplaceSystemDisk, ResizeDisk ------------------------------------------
    ("InvalidSystemDiskSize.LessThanImageSize", c(InvalidParameter, false, "system_disk_size is smaller than the image needs; raise system_disk_size to at least the image's size")),
    ("InvalidSystemDiskSize.LessThanDiskSize", c(InvalidParameter, false, "a system disk never shrinks: system_disk_size must be at least the current disk's size")),
    ("DiskCreatingSnapshot", c(InvalidStatus, false, "a snapshot of the disk is being created; wait until it finishes, then apply again")),
    ("InvalidDiskId.NotFound", c(InvalidParameter, false, "the disk does not exist in this region; refresh the state and apply again")),
    ("InvalidDiskSize.TooSmall", c(InvalidParameter, false, "a disk only grows: the new size must be larger than the current one")),
    ("InvalidDiskSize.ValueNotSupported", c(InvalidParameter, false, "the disk size is out of range for its category (e.g. 20–2048 GiB for a system disk)")),
    ("InvalidInstanceStatus.NotRunning", c(InvalidStatus, false, "an online disk resize needs the instance Running; start it, or apply while it runs")),
    ("InvalidDiskCategory.NotSupported", c(Unsupported, false, "this disk category cannot be resized online (basic `cloud` disks); resize it offline, which takes effect at the next restart")),
    ("InvalidDiskCategory.ValueNotSupported", c(InvalidParameter, false, "system_disk_category is not offered for this instance type or zone; choose another category")),
    ("ImageNotSupportInstanceType", c(Unsupported, false, "the image does not support this instance_type; choose another image or instance_type")),
    ("InvalidImageId.NotSupported", c(Unsupported, false, "the image cannot be used here (another region, or not shared with this account); choose another image")),
    // --- AttachKeyPair, DetachKeyPair --------------------------------------------
    ("InvalidKeyPairName.NotFound", c(InvalidParameter, false, "key_name does not name a key pair of this region; create it first (or check the name)")),
    ("DependencyViolation.WindowsInstance", c(Unsupported, false, "Windows instances cannot use SSH key pairs; remove key_name and use password")),
    ("InvalidKeyPair.NotAttached", c(InvalidParameter, false, "the key pair is not bound to the instance; refresh the state and apply again")),
    // --- Subscription (PrePaid) changes: ModifyPrepayInstanceSpec, its
    // ModifyInstanceNetworkSpec, RunInstances' period, auto-renewal --------
    ("InvalidStatus.NotStopped", c(InvalidStatus, false, "a subscription downgrade needs the instance Stopped; stop it (or let the provider stop it), then apply again")),
    ("InstanceDowngrade.QuotaExceed", c(Billing, false, "the instance has used all three downgrades (refunds) ECS allows in its life; only upgrades remain — keep the larger size, or replace the instance")),
    ("OperationDenied.UnpaidOrder", c(Billing, false, "the instance has an unpaid order; pay or cancel it in the billing console (Expenses > Orders), then apply again")),
    ("InvalidInstance.PreInstanceExpired", c(Billing, false, "the subscription has expired; renew it in the console, then apply again")),
    ("InvalidOperation.InstanceRenewWithDowngradeInPlan", c(Billing, false, "a renewal with a downgrade is scheduled for this instance; no change is possible until it takes effect, or cancel it in the console")),
    ("InvalidOperation.RebootingRequired", c(InvalidStatus, false, "an earlier type change of this instance waits for a restart; restart it through the API or console (not inside the OS), then apply again")),
    ("InvalidOperation.MaxModifyOnlineNumberExceeded", c(InvalidStatus, false, "the instance has had as many changes while running as ECS allows; restart it through the API or console, then apply again")),
    ("InvalidAction.WithActiveElasticUpgrade", c(Unsupported, false, "a temporary upgrade of this instance is active; wait until it ends, then apply again")),
    ("OrderCreationFailed", c(Billing, true, "ECS could not create the order; it was retried — check the change and apply again later")),
    ("NoPermission.Price", c(Auth, false, "the RAM user may not see prices, which an order not paid automatically needs; grant it price permission, or let orders be paid automatically")),
    ("NoPermission.Refund", c(Auth, false, "the RAM user may not receive refunds, which a downgrade is; the main account must grant refund permission")),
    ("InvalidBillingMethod.ValueNotSupported", c(Billing, false, "the instance's billing method does not allow this change; check it in the console")),
    ("BillingMethodNotFound", c(Billing, false, "the account has no payment method; add one in the billing console, then apply again")),
    ("InvalidInstance.PurchaseNotFound", c(Billing, false, "ECS has no purchase record for this instance; contact support with the RequestId")),
    ("InstanceType.Offline", c(Unsupported, false, "this instance_type is retired or short of stock; choose another instance_type")),
    ("InvalidRebootTime.MalFormed", c(InvalidParameter, false, "the restart time was refused; this is a provider bug, please report it")),
    ("InvalidRebootTime.ValueNotSupported", c(InvalidParameter, false, "the restart time was refused; this is a provider bug, please report it")),
    ("InvalidPeriod", c(InvalidParameter, false, "period must be 1–9, 12, 24, 36, 48 or 60 with period_unit Month, or 1–4 with Week")),
    ("InvalidPeriodUnit.ValueNotSupported", c(InvalidParameter, false, "period_unit must be Week or Month (auto-renewal also takes Year)")),
    ("InvalidPayMethod", c(Billing, false, "the account cannot pay for a subscription; add a payment method or credit in the billing console")),
    ("MissingParameter.InstanceId", c(InvalidParameter, false, "no instance id was sent; this is a provider bug, please report it")),
    ("InvalidParameter.ToManyInstanceIds", c(InvalidParameter, false, "more than 100 instance ids in one call; this is a provider bug, please report it")),
    ("InvalidParameter.InvalidInstanceId", c(InvalidParameter, false, "an instance id is not a subscription instance of this region; check the id and region")),
    ("InvalidParameter.Duration", c(InvalidParameter, false, "ECS refused this auto-renewal length: use auto_renew_period 1, 2, 3, 6, 12, 24 or 36 (months; 24 and 36 go as years), or 1–3 (weeks)")),
    ("InvalidParameter.RenewalStatus", c(InvalidParameter, false, "the renewal status must be AutoRenewal, Normal or NotRenewal; this is a provider bug, please report it")),
    ("InvalidParameter.RenewalStatusInstanceId", c(InvalidParameter, false, "no instance id was sent; this is a provider bug, please report it")),
    ("InvalidPeriod.StarterPackage", c(Unsupported, false, "a Starter Package instance renews monthly only; set the renewal unit to Month")),
];

/// Remedies for codes whose meaning depends on the action that got them:
/// `(action, code, remedy)`; they win over [`TABLE`]'s remedy (kind and
/// retryability stay the code's). Each names the action's own way out.
pub static ACTION_REMEDIES: &[(&str, &str, &str)] = &[
    ("ModifyInstanceSpec", "ChargeTypeViolation", "ModifyInstanceSpec changes only pay-as-you-go (PostPaid) instances; change a subscription instance's type or bandwidth with an upgrade or downgrade order in the console"),
    ("ModifyInstanceNetworkSpec", "ChargeTypeViolation", "this bandwidth change is not offered for the instance's billing method; change it in the console"),
    ("DeleteInstance", "ChargeTypeViolation", "a subscription (PrePaid) instance cannot be released before it expires; convert it to pay-as-you-go (ModifyInstanceChargeType) first, or let it expire"),
    ("DeleteInstance", "IncorrectInstanceStatus", "the instance is not Running or Stopped (or still has volumes attached); wait until it settles and release it again"),
    ("StartInstance", "IncorrectInstanceStatus", "only a Stopped instance can be started; wait until it is Stopped and apply again"),
    ("StopInstance", "IncorrectInstanceStatus", "only a Running instance can be stopped; wait until it is Running and apply again"),
    ("ModifyInstanceAttribute", "ChargeTypeViolation", "deletion_protection can be set only on pay-as-you-go (PostPaid) instances; remove it for a subscription instance"),
    ("ModifyInstanceAttribute", "IncorrectInstanceStatus", "host_name cannot change while the instance is Pending or Starting, nor password while it is Starting; wait until it is Running or Stopped and apply again"),
    ("ModifyInstanceVpcAttribute", "IncorrectInstanceStatus", "the vSwitch or private IP changes only while the instance is Stopped, and a new instance must have started once before; start it once (or let the provider stop it) and apply again"),
    ("ReplaceSystemDisk", "IncorrectInstanceStatus", "image_id changes (ReplaceSystemDisk) only while the instance is Stopped; let the provider stop it (allow_stopping_for_update) or stop it, then apply again"),
    ("RebootInstance", "IncorrectInstanceStatus", "only a Running instance can be rebooted; wait until it is Running and apply again"),
    ("ResizeDisk", "IncorrectInstanceStatus", "the disk cannot be resized in the instance's current status; wait until it is Running (online) or Stopped, and apply again"),
    ("ModifyPrepayInstanceSpec", "InvalidInstanceChargeType.ValueNotSupported", "ModifyPrepayInstanceSpec changes subscription (PrePaid) instances only; a pay-as-you-go instance changes type with ModifyInstanceSpec"),
    ("ModifyPrepayInstanceSpec", "QuotaExceed.RufundVcpu", "this month's refund quota (vCPUs) of the account is used up, and a downgrade is a refund; downgrade next month, or keep the larger size"),
    ("ModifyPrepayInstanceSpec", "IncorrectInstanceStatus", "a subscription upgrade needs the instance Running or Stopped; wait until it settles and apply again"),
    ("ModifyPrepayInstanceSpec", "OperationDenied", "ECS denied the type change for this account or instance; see the message, or change the type in the console"),
    ("ModifyInstanceNetworkSpec", "OperationDenied", "ECS denied it: a subscription's PayByBandwidth bandwidth only rises via the API, and after a downgrade it is frozen until the next billing cycle"),
    ("ModifyInstanceNetworkSpec", "InstanceDowngrade.QuotaExceed", "a lower outbound bandwidth is a downgrade, and the instance has used all three downgrades (refunds) ECS allows; keep the bandwidth, or replace the instance"),
    ("DescribeInstanceAutoRenewAttribute", "ChargeTypeViolation", "auto-renewal exists for subscription (PrePaid) instances only; ask for those"),
    ("ModifyInstanceAutoRenewAttribute", "ChargeTypeViolation", "auto-renewal exists for subscription (PrePaid) instances only; remove auto_renew from pay-as-you-go instances"),
    ("ModifyInstanceChargeType", "InvalidStatus.ValueNotSupported", "the billing method can change only while the instance is Running or Stopped; wait until it is, and apply again"),
    ("ModifyInstanceChargeType", "InvalidParameter.Bandwidth", "the instance's bandwidth is not offered under the new billing method; change the bandwidth first"),
];

/// Classes for local failures and for codes the table does not list.
const LOCAL_TRANSPORT: Class = c(Transport, true, "ECS could not be reached; check the endpoint and network access to it (proxy, firewall, DNS), then run Terraform again");
const LOCAL_TLS_UNTRUSTED: Class = c(Transport, false, "the endpoint's certificate is not signed by a CA this machine trusts; for a private CA (e.g. ecs-emulator --tls) set SSL_CERT_FILE to its PEM file");
const LOCAL_TLS_EXPIRED: Class = c(Transport, false, "the endpoint's certificate is outside its validity dates; renew it on the server, or fix this machine's clock if it is wrong");
const LOCAL_TLS_WRONG_HOST: Class = c(Transport, false, "the endpoint's certificate is for another host name; set endpoint to a host name the certificate names");
const LOCAL_TLS_HANDSHAKE: Class = c(Transport, false, "the TLS handshake failed; check endpoint is an https:// ECS endpoint and that no proxy intercepts TLS");
const LOCAL_MALFORMED: Class = c(Other, true, "ECS answered success with a body that is not a whole ECS answer (truncated, empty or a proxy's page); it was retried — check the endpoint and any proxy");
const LOCAL_TIMEOUT: Class = c(
    Timeout,
    true,
    "ECS did not answer in time; check the network, or raise read_timeout / connect_timeout",
);
const LOCAL_DEADLINE: Class = c(
    Timeout,
    false,
    "the operation ran out of time; raise the resource's timeouts or apply again later",
);
const LOCAL_CANCELLED: Class = c(
    Cancelled,
    false,
    "Terraform asked the provider to stop; run the same Terraform command again to finish",
);
const LOCAL_RESPONSE: Class = c(
    Other,
    false,
    "ECS answered with an unexpected body; check the endpoint setting points to an ECS API",
);
const LOCAL_CONFIG: Class = c(
    InvalidParameter,
    false,
    "fix the provider setting named in the message",
);
const GENERIC_NOT_FOUND: Class = c(
    InvalidParameter,
    false,
    "a resource named in the request does not exist; check the ids in the configuration",
);
const GENERIC_INVALID: Class = c(
    InvalidParameter,
    false,
    "a request value is invalid (see the message); correct it in the configuration",
);
const GENERIC_FORBIDDEN: Class = c(
    Auth,
    false,
    "access was denied; check the RAM policy of the access key's user or role",
);
const GENERIC_CLIENT: Class = c(
    Other,
    false,
    "ECS refused the request (see the message); quote the RequestId to support if unclear",
);

/// Looks a code up in the table, exactly and then ignoring case (the docs
/// spell some codes inconsistently, e.g. `Imagenotsupportinstancetype`).
pub fn lookup(code: &str) -> Option<Class> {
    TABLE
        .iter()
        .find(|(k, _)| *k == code)
        .or_else(|| TABLE.iter().find(|(k, _)| k.eq_ignore_ascii_case(code)))
        .map(|(_, class)| *class)
}

/// The class of `code` answered with `http_status`.
pub fn classify(code: &str, http_status: Option<u16>) -> Class {
    if let Some(class) = lookup(code).or_else(|| local(code)) {
        return class;
    }
    // Shape rules: only instance codes may mean "the instance is gone"; any
    // other `*.NotFound` is a wrong reference in the request.
    if code.starts_with("Throttling") || code.contains(".Throttling") {
        return THROTTLED;
    }
    if code.starts_with("InvalidInstanceId.") && code.ends_with("NotFound") {
        return INSTANCE_NOT_FOUND;
    }
    if code.ends_with(".NotFound") {
        return GENERIC_NOT_FOUND;
    }
    match http_status {
        Some(s) if s >= 500 => SERVER,
        Some(429) => THROTTLED,
        _ if code.starts_with("Invalid") || code.starts_with("Missing") => GENERIC_INVALID,
        _ if code.starts_with("Forbidden") || http_status == Some(403) => GENERIC_FORBIDDEN,
        _ => GENERIC_CLIENT,
    }
}

fn local(code: &str) -> Option<Class> {
    Some(match code {
        TRANSPORT => LOCAL_TRANSPORT,
        CONNECT_TIMEOUT | READ_TIMEOUT => LOCAL_TIMEOUT,
        DEADLINE_EXCEEDED => LOCAL_DEADLINE,
        CANCELLED => LOCAL_CANCELLED,
        INVALID_RESPONSE => LOCAL_RESPONSE,
        INVALID_CONFIG => LOCAL_CONFIG,
        MALFORMED_RESPONSE => LOCAL_MALFORMED,
        TLS_UNTRUSTED => LOCAL_TLS_UNTRUSTED,
        TLS_EXPIRED => LOCAL_TLS_EXPIRED,
        TLS_WRONG_HOST => LOCAL_TLS_WRONG_HOST,
        TLS_HANDSHAKE => LOCAL_TLS_HANDSHAKE,
        CREDENTIALS_UNAVAILABLE => c(Auth, true, "the credential source did not answer; it was retried — see the message for the source and its setting"),
        CREDENTIALS_REFUSED => c(Auth, false, "the credential source refused; see the message for the source and the setting to fix"),
        _ => return None,
    })
}

/// The class used for `err`: its code's row when the code is known, else
/// one that follows the error's kind (errors may be built by hand).
fn class_of(err: &Error) -> Class {
    if let Some(class) = lookup(&err.code).or_else(|| local(&err.code)) {
        return class;
    }
    let by_code = classify(&err.code, err.http_status);
    if by_code.kind == err.kind {
        return by_code;
    }
    match err.kind {
        Throttled => THROTTLED,
        Server => SERVER,
        Transport => LOCAL_TRANSPORT,
        Timeout => LOCAL_TIMEOUT,
        Cancelled => LOCAL_CANCELLED,
        NotFound => INSTANCE_NOT_FOUND,
        Idempotence => IDEMPOTENCE,
        Conflict => IN_PROGRESS,
        InvalidParameter => GENERIC_INVALID,
        Auth => GENERIC_FORBIDDEN,
        _ => by_code,
    }
}

pub fn is_retryable(err: &Error) -> bool {
    class_of(err).retryable
}

pub fn remedy(err: &Error) -> &'static str {
    action_remedy(&err.action, &err.code).unwrap_or_else(|| class_of(err).remedy)
}

/// The [`ACTION_REMEDIES`] row for `action` and `code`, if any.
pub fn action_remedy(action: &str, code: &str) -> Option<&'static str> {
    ACTION_REMEDIES
        .iter()
        .find(|(a, c, _)| *a == action && c.eq_ignore_ascii_case(code))
        .map(|(_, _, r)| *r)
}

/// Every error code of ModifyInstanceSpec's reference page (the seed), in its
/// order: the list the error-table tests must cover.
pub const MODIFY_INSTANCE_SPEC_CODES: [&str; 26] = [
    "Account.Arrearage",
    "DependencyViolation.InstanceType",
    "IdempotenceParamNotMatch",
    "InvalidClientToken.ValueNotSupported",
    "InvalidInstance.UnpaidOrder",
    "InvalidInstanceType.ValueNotSupported",
    "InvalidInstanceType.ValueUnauthorized",
    "InvalidInternetChargeType.ValueNotSupported",
    "InvalidParameter",
    "InvalidParameter.Bandwidth",
    "InvalidParameter.Conflict",
    "InvalidParameter.Mismatch",
    "InvalidStatus.ValueNotSupported",
    "OperationDenied",
    "Price.PricePlanResultNotFound",
    "Throttling",
    "InvalidInstanceStatus.NotStopped",
    "CategoryViolation",
    "ChargeTypeViolation",
    "Imagenotsupportinstancetype",
    "InstanceLockedForSecurity",
    "InvalidAccountStatus.NotEnoughBalance",
    "LastTokenProcessing",
    "InvalidInstanceId.NotFound",
    "InternalError",
    "InvalidAction",
];

/// Every error code of the subscription sources (ModifyPrepayInstanceSpec's
/// reference, the subscription part of ModifyInstanceNetworkSpec, the
/// auto-renewal pair, RunInstances' period): the list the error-table tests
/// must cover.
pub const SUBSCRIPTION_CODES: [&str; 36] = [
    "InvalidStatus.NotStopped",
    "IncorrectInstanceStatus",
    "InvalidInstanceType.ValueNotSupported",
    "InvalidInstanceType.ValueUnauthorized",
    "OperationDenied.NoStock",
    "InstanceType.Offline",
    "InstanceDowngrade.QuotaExceed",
    "QuotaExceed.RufundVcpu",
    "OrderCreationFailed",
    "LastOrderProcessing",
    "Account.Arrearage",
    "InvalidInstance.PreInstanceExpired",
    "InvalidOperation.InstanceRenewWithDowngradeInPlan",
    "InvalidRebootTime.MalFormed",
    "InvalidRebootTime.ValueNotSupported",
    "InvalidOperation.RebootingRequired",
    "InvalidOperation.MaxModifyOnlineNumberExceeded",
    "NoPermission.Price",
    "NoPermission.Refund",
    "Throttling",
    "IdempotenceParamNotMatch",
    "InvalidInstance.UnpaidOrder",
    "OperationDenied.UnpaidOrder",
    "InvalidBillingMethod.ValueNotSupported",
    "BillingMethodNotFound",
    "InvalidInstance.PurchaseNotFound",
    "InvalidInstanceChargeType.ValueNotSupported",
    "InvalidAction.WithActiveElasticUpgrade",
    "InvalidPeriod",
    "InvalidPeriodUnit.ValueNotSupported",
    "InvalidPayMethod",
    "MissingParameter.InstanceId",
    "InvalidParameter.ToManyInstanceIds",
    "InvalidParameter.InvalidInstanceId",
    "InvalidParameter.Duration",
    "InvalidParameter.RenewalStatus",
];

/// Whether `code` says the instance has an unpaid (or abnormal) order that
/// blocks changes: the caller names the order it opened, if it knows one
/// (ECS's message does not), and says to pay or cancel it.
pub fn is_unpaid_order(code: &str) -> bool {
    ["InvalidInstance.UnpaidOrder", "OperationDenied.UnpaidOrder"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_no_duplicate_codes() {
        let mut codes: Vec<&str> = TABLE.iter().map(|(k, _)| *k).collect();
        codes.sort();
        let before = codes.len();
        codes.dedup();
        assert_eq!(before, codes.len(), "a code appears twice in TABLE");
    }

    #[test]
    fn remedies_name_the_action_that_failed() {
        let delete = Error::api("DeleteInstance", Some(403), "ChargeTypeViolation", "", None);
        assert!(
            delete.remedy().contains("ModifyInstanceChargeType"),
            "{}",
            delete.remedy()
        );
        assert!(
            !delete.remedy().contains("ModifyInstanceSpec"),
            "{}",
            delete.remedy()
        );
        let modify = Error::api(
            "ModifyInstanceSpec",
            Some(403),
            "ChargeTypeViolation",
            "",
            None,
        );
        assert!(
            modify.remedy().starts_with("ModifyInstanceSpec"),
            "{}",
            modify.remedy()
        );
        for (action, code, _) in ACTION_REMEDIES {
            assert!(lookup(code).is_some(), "{action}/{code} has no TABLE row");
        }
    }

    #[test]
    fn explicit_rows_beat_the_status() {
        assert!(!classify("InvalidAction", Some(500)).retryable);
        assert!(classify("SomethingNew", Some(502)).retryable);
    }

    #[test]
    fn shape_rules() {
        assert_eq!(classify("Throttling.Whatever", Some(400)).kind, Throttled);
        assert_eq!(
            classify("InvalidInstanceId.NotFound", Some(404)).kind,
            NotFound
        );
        assert_eq!(
            classify("InvalidKeyPairName.NotFound", Some(404)).kind,
            InvalidParameter
        );
        assert_eq!(
            classify("MissingInstanceId", Some(400)).kind,
            InvalidParameter
        );
        assert_eq!(
            classify("imagenotsupportinstancetype", Some(403)).kind,
            Unsupported
        );
    }

    #[test]
    fn hand_built_errors_follow_their_kind() {
        let e = Error::local(Throttled, "X", "Custom", "");
        assert!(e.is_retryable());
        let e = Error::local(Timeout, "X", DEADLINE_EXCEEDED, "");
        assert!(!e.is_retryable());
    }
}
