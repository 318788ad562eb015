//! One emulated instance: what the emulator stores, and the DescribeInstances
//! `Instance` shape it shows. The state file stores [`Instance`] as is; the
//! wire shape is built by [`Instance::to_wire`] so storage can carry
//! bookkeeping (pending transition, last modification) the API never shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::subscription::Subscription;

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
    /// The zone has no stock of the instance's type: a start after an
    /// economical stop (`StopCharging`, which gave the resources back) is
    /// refused with `OperationDenied.NoStock`.
    pub no_stock: bool,
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
    /// `KeyPairName`: the key pair bound through the API (shown at once).
    #[serde(default)]
    pub key_pair_name: String,
    /// `UserData`, Base64 as sent (empty: none).
    #[serde(default)]
    pub user_data: String,
    /// The password set through the API, as [`password_hash`] (never the
    /// password itself); empty when none was set.
    #[serde(default)]
    pub password_hash: String,
    #[serde(default)]
    pub system_disk: SystemDisk,
    /// What the guest OS uses: host name, password and key pair as of the
    /// last API restart (creation, StartInstance, RebootInstance).
    #[serde(default)]
    pub guest: Guest,
    /// The instance has been started at least once (ModifyInstanceVpcAttribute
    /// needs it).
    #[serde(default = "yes")]
    pub started_once: bool,
    /// A vSwitch / private IP change since the last start: the next one is
    /// refused until the instance starts again.
    #[serde(default)]
    pub vpc_changed: bool,
    /// Subscription (PrePaid) bookkeeping; empty for pay-as-you-go.
    #[serde(default)]
    pub subscription: Subscription,
}

fn yes() -> bool {
    true
}

/// The system disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemDisk {
    pub id: String,
    /// GiB.
    pub size: i64,
    pub category: String,
}

/// The settings that take effect only at an API restart, as the guest
/// sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guest {
    pub host_name: String,
    pub password_hash: String,
    pub key_pair_name: String,
}

/// How a password is kept: SHA-256 of `<instance id>:<password>`, hex. Tests
/// compute the same to check which password is in effect.
pub fn password_hash(instance_id: &str, password: &str) -> String {
    crate::ecs::sign::sha256_hex(format!("{instance_id}:{password}").as_bytes())
}

/// A fresh disk id shaped like ECS's: `d-` and 20 lowercase letters/digits.
pub fn new_disk_id() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..20)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect();
    format!("d-{tail}")
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

    pub fn is_windows(&self) -> bool {
        os_of(&self.image_id).0 == "windows"
    }

    /// An API restart (start from Stopped, reboot): the guest takes the
    /// host name, password and key pair set through the API.
    pub fn restart(&mut self) {
        self.guest = Guest {
            host_name: self.host_name.clone(),
            password_hash: self.password_hash.clone(),
            key_pair_name: self.key_pair_name.clone(),
        };
    }

    /// The admin API's view of what takes effect only at a restart:
    /// `{"Effective": {...}, "Configured": {...}, "PendingRestart": bool}`.
    pub fn guest_view(&self) -> Value {
        let side = |host: &str, hash: &str, key: &str| {
            Obj::new(3)
                .s("HostName", host)
                .s("PasswordHash", hash)
                .s("KeyPairName", key)
                .done()
        };
        let configured = Guest {
            host_name: self.host_name.clone(),
            password_hash: self.password_hash.clone(),
            key_pair_name: self.key_pair_name.clone(),
        };
        Obj::new(4)
            .s("InstanceId", &self.id)
            .v(
                "Effective",
                side(
                    &self.guest.host_name,
                    &self.guest.password_hash,
                    &self.guest.key_pair_name,
                ),
            )
            .v(
                "Configured",
                side(
                    &configured.host_name,
                    &configured.password_hash,
                    &configured.key_pair_name,
                ),
            )
            .v("PendingRestart", Value::Bool(configured != self.guest))
            .done()
    }

    /// The DescribeInstances `Instance` object.
    ///
    /// Built field by field rather than with `json!`, which serializes every
    /// field through serde: this runs for every instance of every Describe
    /// page and is the emulator's hottest path.
    pub fn to_wire(&self, region: &str) -> Value {
        let (os_type, os_name) = os_of(&self.image_id);
        let locks: Vec<Value> = [
            (self.flags.security_lock, "security"),
            (self.flags.arrearage, "financial"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, reason)| Obj::new(2).s("LockReason", reason).s("LockMsg", "").done())
        .collect();
        let tags: Vec<Value> = self
            .tags
            .iter()
            .map(|(k, v)| Obj::new(2).s("TagKey", k).s("TagValue", v).done())
            .collect();
        let stopped_mode = if self.status == Status::Stopped {
            self.stopped_mode.as_str()
        } else {
            "Not-applicable"
        };
        let vpc = Obj::new(4)
            .s("VpcId", &self.vpc_id)
            .s("VSwitchId", &self.vswitch_id)
            .s("NatIpAddress", "")
            .v("PrivateIpAddress", strings("IpAddress", &self.private_ips))
            .done();
        let eip = Obj::new(5)
            .s("AllocationId", "")
            .s("IpAddress", "")
            .v("Bandwidth", Value::from(0))
            .s("InternetChargeType", "")
            .v("IsSupportUnassociate", Value::Bool(false))
            .done();
        Obj::new(40)
            .s("InstanceId", &self.id)
            .s("InstanceName", &self.name)
            .s("Description", &self.description)
            .s("HostName", &self.host_name)
            .s("RegionId", region)
            .s("ZoneId", &self.zone_id)
            .s("ImageId", &self.image_id)
            .s("KeyPairName", &self.key_pair_name)
            .s("OSType", os_type)
            .s("OSName", os_name)
            .s("InstanceType", &self.instance_type)
            .s("InstanceTypeFamily", &self.family)
            .v("Cpu", Value::from(self.cpu))
            .v("Memory", Value::from(self.memory))
            .s("Status", self.status.as_str())
            .s("InstanceChargeType", &self.instance_charge_type)
            .s("InternetChargeType", &self.internet_charge_type)
            .v("InternetMaxBandwidthOut", Value::from(self.bandwidth_out))
            .v("InternetMaxBandwidthIn", Value::from(self.bandwidth_in))
            .s("InstanceNetworkType", &self.network_type)
            .s("SpotStrategy", &self.spot_strategy)
            .s("StoppedMode", stopped_mode)
            .v("DeletionProtection", Value::Bool(self.deletion_protection))
            .s("SerialNumber", &self.serial_number)
            .s("CreationTime", &self.creation_time)
            .s("StartTime", &self.start_time)
            .v(
                "ExpiredTime",
                Value::String(self.subscription.expired_time_text()),
            )
            .s("AutoReleaseTime", "")
            .v("VpcAttributes", vpc)
            .v("InnerIpAddress", strings("IpAddress", &self.inner_ips))
            .v("PublicIpAddress", strings("IpAddress", &self.public_ips))
            .v("EipAddress", eip)
            .v(
                "SecurityGroupIds",
                strings("SecurityGroupId", &self.security_group_ids),
            )
            .v("Tags", Obj::new(1).v("Tag", Value::Array(tags)).done())
            .v(
                "OperationLocks",
                Obj::new(1).v("LockReason", Value::Array(locks)).done(),
            )
            .done()
    }
}

/// A JSON object under construction.
struct Obj(Map<String, Value>);

impl Obj {
    fn new(capacity: usize) -> Self {
        Obj(Map::with_capacity(capacity))
    }

    fn s(self, key: &str, value: &str) -> Self {
        self.v(key, Value::String(value.to_owned()))
    }

    fn v(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.to_owned(), value);
        self
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// `{name: ["a", "b"]}`.
fn strings(name: &str, items: &[String]) -> Value {
    let list = items.iter().map(|s| Value::String(s.clone())).collect();
    Obj::new(1).v(name, Value::Array(list)).done()
}
