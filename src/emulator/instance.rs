//! One emulated instance: what the emulator stores, and the DescribeInstances
//! `Instance` shape it shows. The state file stores [`Instance`] as is; the
//! wire shape is built by [`Instance::to_wire`] so storage can carry
//! bookkeeping (pending transition, last modification) the API never shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The five API states. Transitional ones (Pending, Starting, Stopping) end
/// by themselves after `--transition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Pending,
    Running,
    Starting,
    Stopping,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::Running => "Running",
            Status::Starting => "Starting",
            Status::Stopping => "Stopping",
            Status::Stopped => "Stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Running,
            Status::Starting,
            Status::Stopping,
            Status::Stopped,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// A status change scheduled for `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub to: Status,
    pub at: DateTime<Utc>,
}

/// Per-instance conditions that make ECS refuse changes; set in the seed
/// file or through the admin API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields, default)]
pub struct Flags {
    /// Overdue payment (also settable account-wide): `Account.Arrearage`.
    pub arrearage: bool,
    /// `InvalidInstance.UnpaidOrder`.
    pub unpaid_order: bool,
    /// `InstanceLockedForSecurity`; shown as a `security` operation lock.
    pub security_lock: bool,
    /// Type changes refused with `CategoryViolation`.
    pub disk_category_unsupported: bool,
}

/// An instance as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub name: String,
    pub description: String,
    pub host_name: String,
    pub zone_id: String,
    pub image_id: String,
    pub instance_type: String,
    pub family: String,
    pub cpu: u32,
    /// MiB, as DescribeInstances reports it.
    pub memory: u64,
    pub status: Status,
    pub instance_charge_type: String,
    pub internet_charge_type: String,
    pub bandwidth_out: i64,
    pub bandwidth_in: i64,
    /// `vpc` or `classic`.
    pub network_type: String,
    pub vpc_id: String,
    pub vswitch_id: String,
    pub private_ips: Vec<String>,
    pub inner_ips: Vec<String>,
    pub public_ips: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub tags: Vec<(String, String)>,
    /// Minute precision, `yyyy-MM-ddTHH:mmZ`.
    pub creation_time: String,
    pub start_time: String,
    pub stopped_mode: String,
    pub deletion_protection: bool,
    pub spot_strategy: String,
    pub serial_number: String,
    pub flags: Flags,
    /// Creation order, for stable listing.
    pub seq: u64,
    pub pending: Option<Transition>,
    /// Last successful ModifyInstanceSpec/ModifyInstanceNetworkSpec.
    pub last_modified: Option<DateTime<Utc>>,
}

/// `yyyy-MM-ddTHH:mmZ`, the minute-precision form ECS uses for times.
pub fn minute_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%MZ").to_string()
}

/// `OSType` and `OSName` guessed from a public image id.
pub fn os_of(image_id: &str) -> (&'static str, &'static str) {
    let lower = image_id.to_ascii_lowercase();
    let names = [
        ("win", "Windows Server"),
        ("aliyun_3", "Alibaba Cloud Linux 3"),
        ("aliyun_2", "Alibaba Cloud Linux 2"),
        ("ubuntu", "Ubuntu"),
        ("centos", "CentOS"),
        ("debian", "Debian"),
    ];
    let name = names
        .iter()
        .find(|(prefix, _)| lower.starts_with(prefix))
        .map(|(_, n)| *n)
        .unwrap_or("Linux");
    let os_type = if lower.starts_with("win") {
        "windows"
    } else {
        "linux"
    };
    (os_type, name)
}

impl Instance {
    pub fn is_vpc(&self) -> bool {
        self.network_type == "vpc"
    }

    /// The DescribeInstances `Instance` object.
    pub fn to_wire(&self, region: &str) -> Value {
        let (os_type, os_name) = os_of(&self.image_id);
        let locks: Vec<Value> = [
            (self.flags.security_lock, "security"),
            (self.flags.arrearage, "financial"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, reason)| json!({"LockReason": reason, "LockMsg": ""}))
        .collect();
        let tags: Vec<Value> = self
            .tags
            .iter()
            .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
            .collect();
        let stopped_mode = if self.status == Status::Stopped {
            self.stopped_mode.as_str()
        } else {
            "Not-applicable"
        };
        json!({
            "InstanceId": self.id,
            "InstanceName": self.name,
            "Description": self.description,
            "HostName": self.host_name,
            "RegionId": region,
            "ZoneId": self.zone_id,
            "ImageId": self.image_id,
            "OSType": os_type,
            "OSName": os_name,
            "InstanceType": self.instance_type,
            "InstanceTypeFamily": self.family,
            "Cpu": self.cpu,
            "Memory": self.memory,
            "Status": self.status.as_str(),
            "InstanceChargeType": self.instance_charge_type,
            "InternetChargeType": self.internet_charge_type,
            "InternetMaxBandwidthOut": self.bandwidth_out,
            "InternetMaxBandwidthIn": self.bandwidth_in,
            "InstanceNetworkType": self.network_type,
            "SpotStrategy": self.spot_strategy,
            "StoppedMode": stopped_mode,
            "DeletionProtection": self.deletion_protection,
            "SerialNumber": self.serial_number,
            "CreationTime": self.creation_time,
            "StartTime": self.start_time,
            "ExpiredTime": "2099-12-31T15:59Z",
            "AutoReleaseTime": "",
            "VpcAttributes": {
                "VpcId": self.vpc_id,
                "VSwitchId": self.vswitch_id,
                "NatIpAddress": "",
                "PrivateIpAddress": {"IpAddress": self.private_ips},
            },
            "InnerIpAddress": {"IpAddress": self.inner_ips},
            "PublicIpAddress": {"IpAddress": self.public_ips},
            "EipAddress": {
                "AllocationId": "",
                "IpAddress": "",
                "Bandwidth": 0,
                "InternetChargeType": "",
                "IsSupportUnassociate": false,
            },
            "SecurityGroupIds": {"SecurityGroupId": self.security_group_ids},
            "Tags": {"Tag": tags},
            "OperationLocks": {"LockReason": locks},
        })
    }
}
