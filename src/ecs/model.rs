//! The caller's view of ECS data: flat structs with the wrapper objects of
//! the wire format (`{"Instances":{"Instance":[...]}}`) already unwrapped, and
//! units named in the field (`memory_mib`, `memory_gib`).
//!
//! The serde structs that mirror the wire live in [`super::wire`]; this file
//! holds only what callers see, plus request types.

use super::secret::Secret;

/// One instance as DescribeInstances reports it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Instance {
    pub instance_id: String,
    pub instance_name: String,
    pub description: String,
    pub instance_type: String,
    pub image_id: String,
    /// `linux` | `windows` (`OSType`); empty when not reported.
    pub os_type: String,
    /// `HostName`. A change made by ModifyInstanceAttribute shows at once;
    /// the guest uses it only after the next API restart.
    pub host_name: String,
    /// `KeyPairName`: the key pair bound to the instance (empty: none). Like
    /// the host name, a new binding works in the guest only after the next
    /// API restart.
    pub key_pair_name: String,
    pub zone_id: String,
    pub region_id: String,
    /// `Pending` | `Starting` | `Running` | `Stopping` | `Stopped`.
    pub status: String,
    /// `None` when not reported. Every number of this struct is `None` when
    /// the API leaves it out or answers a negative value: ECS writes `-1`
    /// for "not set, platform default" (e.g. `InternetMaxBandwidthIn` of
    /// VPC instances), never a quantity to compare.
    pub cpu: Option<i64>,
    /// Memory in MiB, as the API reports it (`Memory`).
    pub memory_mib: Option<i64>,
    pub internet_charge_type: String,
    pub instance_charge_type: String,
    /// Mbit/s.
    pub internet_max_bandwidth_out: Option<i64>,
    /// Mbit/s; often `-1` (so `None`) on VPC instances.
    pub internet_max_bandwidth_in: Option<i64>,
    /// `classic` | `vpc`.
    pub instance_network_type: String,
    pub vswitch_id: String,
    pub vpc_id: String,
    pub security_group_ids: Vec<String>,
    /// `Tags.Tag`: (key, value) pairs.
    pub tags: Vec<(String, String)>,
    /// `PublicIpAddress.IpAddress`, then the EIP if one is bound.
    pub public_ips: Vec<String>,
    /// `VpcAttributes.PrivateIpAddress.IpAddress`, or `InnerIpAddress` for
    /// classic network instances.
    pub private_ips: Vec<String>,
    /// Minute precision, e.g. `2017-12-10T04:04Z`; see [`parse_api_time`].
    pub creation_time: String,
    /// `StartTime`: the last start (API start or reboot), minute precision;
    /// empty when not reported.
    pub start_time: String,
    /// `KeepCharging` | `StopCharging` | `Not-applicable` (or empty).
    pub stopped_mode: String,
    /// `DeletionProtection`: DeleteInstance is refused while it is on.
    pub deletion_protection: bool,
    /// `ExpiredTime`: the end of a subscription's paid period, minute
    /// precision (`2026-01-10T16:00Z`, see [`parse_api_time`]); pay-as-you-go
    /// instances show `2099-12-31T15:59Z`.
    pub expired_time: String,
}

/// One entry of DescribeInstanceTypes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct InstanceType {
    pub instance_type_id: String,
    pub family: String,
    /// `None` when not reported (absent or negative, as in [`Instance`]).
    pub cpu_core_count: Option<i64>,
    /// `MemorySize`, in GiB (a float: `0.5` exists); `None` when not reported.
    pub memory_gib: Option<f64>,
    pub cpu_architecture: String,
}

/// An instance type this instance can change to, from
/// DescribeResourcesModification.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AvailableType {
    pub instance_type: String,
    /// `Available` | `SoldOut`.
    pub status: String,
    /// `WithStock` | `ClosedWithStock` | `WithoutStock`.
    pub status_category: String,
}

/// RunInstances for one instance (`Amount=1`). `None` and empty lists are
/// not sent (the API's defaults apply).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RunInstancesRequest {
    pub image_id: String,
    pub instance_type: String,
    pub zone_id: Option<String>,
    pub vswitch_id: Option<String>,
    /// `PrivateIpAddress`: inside the vSwitch's CIDR (needs `vswitch_id`).
    pub private_ip_address: Option<String>,
    /// `SecurityGroupIds.N` (1–5).
    pub security_group_ids: Vec<String>,
    pub instance_name: Option<String>,
    pub description: Option<String>,
    pub host_name: Option<String>,
    /// `Password`; never printed (see [`Secret`]).
    pub password: Option<Secret>,
    /// `KeyPairName` (Linux images; ECS ignores it on Windows).
    pub key_pair_name: Option<String>,
    /// `UserData`: the script as bytes; the client sends it Base64-encoded.
    pub user_data: Option<Vec<u8>>,
    /// `Tag.N.Key` / `Tag.N.Value` (at most 20), in this order.
    pub tags: Vec<(String, String)>,
    /// `SystemDisk.Category`: `cloud_essd`, `cloud_ssd`, `cloud_efficiency`, ...
    pub system_disk_category: Option<String>,
    /// `SystemDisk.Size`, GiB.
    pub system_disk_size: Option<i64>,
    /// `DeletionProtection` (PostPaid only).
    pub deletion_protection: Option<bool>,
    pub internet_charge_type: Option<String>,
    pub internet_max_bandwidth_out: Option<i64>,
    pub internet_max_bandwidth_in: Option<i64>,
    pub instance_charge_type: Option<String>,
    /// The subscription terms of a PrePaid instance (ECS refuses one
    /// without a period); `None` for pay-as-you-go.
    pub terms: Option<SubscriptionTerms>,
}

/// ModifyInstanceAttribute: every attribute it changes, sent in one call.
/// `None` leaves an attribute as it is.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ModifyAttributes {
    pub instance_name: Option<String>,
    pub description: Option<String>,
    /// Used by the guest from the next API restart (RebootInstance, or
    /// StartInstance from Stopped).
    pub host_name: Option<String>,
    /// Like `host_name`, effective from the next API restart. Never printed.
    pub password: Option<Secret>,
    /// The script as bytes (sent Base64). Shown after a restart; ECS does not
    /// run it again.
    pub user_data: Option<Vec<u8>>,
    /// `SecurityGroupIds.N`: **replaces** the instance's whole list (1–5
    /// groups of its VPC).
    pub security_group_ids: Option<Vec<String>>,
    /// PostPaid instances only.
    pub deletion_protection: Option<bool>,
}

impl ModifyAttributes {
    /// Nothing to change: no call is made.
    pub fn is_empty(&self) -> bool {
        self == &ModifyAttributes::default()
    }
}

/// ModifyInstanceVpcAttribute (instance Stopped; one such change per stop
/// window).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ModifyVpcAttributes {
    /// Required by the API even when only the address changes (then the
    /// instance's current vSwitch): another vSwitch must be in the same VPC
    /// and zone.
    pub vswitch_id: String,
    /// A free address inside the vSwitch's CIDR block; `None`: ECS picks one
    /// (when the vSwitch changes).
    pub private_ip_address: Option<String>,
}

/// ReplaceSystemDisk (instance Stopped): a new system disk from `image_id`.
///
/// The new disk has only the password and key pair this call names: send
/// the configured ones even when they do not change, or the instance comes
/// back without them (the key pair binding is dropped; users of the alicloud
/// provider met this as keys lost after an image change until a second
/// apply). The emulator models it so.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ReplaceSystemDiskRequest {
    pub image_id: String,
    /// `SystemDisk.Size`, GiB: at least the image's size and the old disk's.
    pub system_disk_size: Option<i64>,
    /// Never printed. Exclusive with `password_inherit`.
    pub password: Option<Secret>,
    /// `PasswordInherit=true`: keep the image's preset password.
    pub password_inherit: bool,
    /// `KeyPairName` (Linux images).
    pub key_pair_name: Option<String>,
}

/// One disk as DescribeDisks reports it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Disk {
    pub disk_id: String,
    pub instance_id: String,
    /// `system` | `data` (`Type`).
    pub disk_type: String,
    /// `cloud_essd`, `cloud_ssd`, `cloud_efficiency`, `cloud`, ...
    pub category: String,
    /// GiB; `None` when not reported.
    pub size_gib: Option<i64>,
    /// `In_use`, `Available`, `Attaching`, `Creating`, `ReIniting`, ...
    pub status: String,
    /// The image the disk was created from (system disks).
    pub image_id: String,
}

/// Which disks DescribeDisks lists. Empty fields do not filter.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DiskFilter {
    pub instance_id: Option<String>,
    /// `system` | `data` | `all`.
    pub disk_type: Option<String>,
    /// At most 100 per call (more are asked in several calls).
    pub disk_ids: Vec<String>,
}

/// ResizeDisk's `Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizeType {
    /// The instance Running, no restart (cloud_efficiency/ssd/essd/auto).
    Online,
    /// Effective after the next restart.
    Offline,
}

impl ResizeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResizeType::Online => "online",
            ResizeType::Offline => "offline",
        }
    }
}

/// One SSH key pair (DescribeKeyPairs).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeyPair {
    pub key_pair_name: String,
    pub finger_print: String,
}

/// One vSwitch (DescribeVSwitches).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct VSwitch {
    pub vswitch_id: String,
    pub vpc_id: String,
    pub zone_id: String,
    /// e.g. `172.16.0.0/24`.
    pub cidr_block: String,
    /// `Available` | `Pending`.
    pub status: String,
}

/// One image (DescribeImages).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Image {
    pub image_id: String,
    /// `linux` | `windows`.
    pub os_type: String,
    pub os_name: String,
    pub platform: String,
    /// GiB: the smallest system disk it fits on; `None` when not reported.
    pub size_gib: Option<i64>,
    /// `Available`, `Creating`, ...
    pub status: String,
}

/// Which instance types to list: a family (`ecs.g6`) and/or exact ids.
/// Both empty lists every type of the region.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct InstanceTypeFilter {
    pub family: Option<String>,
    pub instance_type_ids: Vec<String>,
}

/// Which instances to list with DescribeInstances: every filter here is
/// one ECS applies itself, so paging runs over the filtered set.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct InstanceFilter {
    /// `InstanceIds`; `None` lists every instance, `Some([])` none.
    pub ids: Option<Vec<String>>,
    pub status: Option<String>,
    pub instance_type: Option<String>,
    pub vswitch_id: Option<String>,
    /// `Tag.N.Key` / `Tag.N.Value` (≤ 20); an empty value matches any.
    pub tags: Vec<(String, String)>,
}

/// What one ModifyInstanceSpec call changes: the API takes one or the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModifySpec {
    Type(String),
    Bandwidth {
        out: Option<i64>,
        inbound: Option<i64>,
    },
}

/// The subscription terms of a new PrePaid instance (RunInstances'
/// `Period`, `PeriodUnit`, `AutoRenew`, `AutoRenewPeriod`). ECS requires a
/// period for every PrePaid instance: Month 1–9, 12, 24, 36, 48, 60; Week
/// 1–4. `AutoRenewPeriod`: Month 1, 2, 3, 6, 12, 24, 36, 48, 60; Week 1–3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionTerms {
    pub period: i64,
    pub period_unit: PeriodUnit,
    /// `AutoRenew`: renew automatically at expiry.
    pub auto_renew: bool,
    /// `AutoRenewPeriod`, in `period_unit`s (ECS's default: 1).
    pub auto_renew_period: Option<i64>,
}

/// The unit of a subscription period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PeriodUnit {
    Week,
    #[default]
    Month,
    /// Only for auto-renewal durations (ModifyInstanceAutoRenewAttribute).
    Year,
}

impl PeriodUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodUnit::Week => "Week",
            PeriodUnit::Month => "Month",
            PeriodUnit::Year => "Year",
        }
    }

    /// Parses ECS's spelling, in any case (`month`, `Week`).
    pub fn parse(s: &str) -> Option<PeriodUnit> {
        [PeriodUnit::Week, PeriodUnit::Month, PeriodUnit::Year]
            .into_iter()
            .find(|u| u.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// Which way a subscription's type changes (ModifyPrepayInstanceSpec
/// `OperatorType`; DescribeResourcesModification `OperationType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resize {
    /// Sent while Running or Stopped; in effect from the next API start or
    /// restart (StartInstance, RebootInstance), not before.
    Upgrade,
    /// Needs the instance Stopped; in effect from the next start. Costs one
    /// of the instance's three refunds.
    Downgrade,
}

impl Resize {
    /// `upgrade` | `downgrade`, ModifyPrepayInstanceSpec's spelling.
    pub fn operator_type(self) -> &'static str {
        match self {
            Resize::Upgrade => "upgrade",
            Resize::Downgrade => "downgrade",
        }
    }

    /// `Upgrade` | `Downgrade`, DescribeResourcesModification's spelling.
    pub fn operation_type(self) -> &'static str {
        match self {
            Resize::Upgrade => "Upgrade",
            Resize::Downgrade => "Downgrade",
        }
    }
}

/// One ModifyPrepayInstanceSpec call: a subscription instance's new type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrepaySpec {
    pub instance_type: String,
    /// Always sent: older API versions require `downgrade` for a smaller
    /// type, newer ones guess, and a guess must not decide about a refund.
    pub direction: Resize,
    /// `false`: ECS only opens an order, to be paid in the console; nothing
    /// changes until then. Ignored for downgrades.
    pub auto_pay: bool,
    /// Restart a Running instance as soon as the change is done (a Stopped
    /// one stays stopped).
    pub reboot_when_finished: bool,
}

/// `RenewalStatus` of a subscription instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenewalStatus {
    /// Renewed automatically before expiry.
    AutoRenewal,
    /// Renewed by hand (reminders are sent).
    Normal,
    /// Not to be renewed (only a last reminder).
    NotRenewal,
}

impl RenewalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RenewalStatus::AutoRenewal => "AutoRenewal",
            RenewalStatus::Normal => "Normal",
            RenewalStatus::NotRenewal => "NotRenewal",
        }
    }

    pub fn parse(s: &str) -> Option<RenewalStatus> {
        [
            RenewalStatus::AutoRenewal,
            RenewalStatus::Normal,
            RenewalStatus::NotRenewal,
        ]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// DescribeInstanceAutoRenewAttribute, one instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoRenewAttribute {
    pub instance_id: String,
    pub auto_renew_enabled: bool,
    /// `None` when not reported.
    pub duration: Option<i64>,
    /// `None` when not reported or unknown.
    pub period_unit: Option<PeriodUnit>,
    /// `None` when not reported or unknown.
    pub renewal_status: Option<RenewalStatus>,
}

/// What ModifyInstanceAutoRenewAttribute sets. `RenewalStatus` is always
/// sent (it wins over `AutoRenew` on the API side, so `AutoRenew` is not).
/// `Duration` with `PeriodUnit`: Week 1–4, Month 1, 2, 3, 6, 12, Year 1–3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoRenewSetting {
    pub renewal_status: RenewalStatus,
    pub duration: Option<(i64, PeriodUnit)>,
}

/// Parses an ECS time: minute precision (`2017-12-10T04:04Z`) as
/// DescribeInstances returns it, or with seconds (`2017-12-10T04:04:05Z`).
pub fn parse_api_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDateTime, TimeZone, Utc};
    ["%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
        .map(|t| Utc.from_utc_datetime(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_times_parse_at_minute_and_second_precision() {
        let t = parse_api_time("2017-12-10T04:04Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2017-12-10T04:04:00+00:00");
        let t = parse_api_time("2017-12-10T04:04:05Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2017-12-10T04:04:05+00:00");
        assert!(parse_api_time("yesterday").is_none());
    }
}
