//! Instances described from outside the API: entries of the seed file and
//! bodies of `POST /_emulator/instances/{id}`. Both use the DescribeInstances
//! `Instance` field names, so a Describe answer can be fed back as a seed.
//! Unknown field names are refused (a typo must not pass silently); fields
//! the emulator derives itself (OSType, InstanceTypeFamily, …) are accepted
//! and ignored.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::catalog;
use super::config::Config;
use super::instance::{minute_time, new_disk_id, Flags, Guest, Instance, Status, SystemDisk};
use super::network;
use super::store::Store;

/// Default image of seeded and created instances when none is given.
pub const DEFAULT_IMAGE: &str = "aliyun_3_x64_20G_alibase_20240819.vhd";
/// System disk category of seeded instances, and of created ones that name
/// none.
pub const DEFAULT_DISK_CATEGORY: &str = "cloud_efficiency";
/// Default instance type of seeded instances.
pub const DEFAULT_TYPE: &str = "ecs.g6.large";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpList {
    #[serde(rename = "IpAddress", default)]
    pub ip_address: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroups {
    #[serde(rename = "SecurityGroupId", default)]
    pub security_group_id: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct VpcAttributes {
    pub vpc_id: Option<String>,
    pub v_switch_id: Option<String>,
    #[allow(dead_code)] // accepted and ignored
    pub nat_ip_address: Option<Value>,
    pub private_ip_address: Option<IpList>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Tag {
    pub tag_key: String,
    #[serde(default)]
    pub tag_value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tags {
    #[serde(rename = "Tag", default)]
    pub tag: Vec<Tag>,
}

/// Flags to set; absent ones keep their value.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FlagsPatch {
    pub arrearage: Option<bool>,
    pub unpaid_order: Option<bool>,
    pub security_lock: Option<bool>,
    pub disk_category_unsupported: Option<bool>,
    pub no_stock: Option<bool>,
}

impl FlagsPatch {
    fn apply(&self, flags: &mut Flags) {
        let pairs = [
            (self.arrearage, &mut flags.arrearage),
            (self.unpaid_order, &mut flags.unpaid_order),
            (self.security_lock, &mut flags.security_lock),
            (
                self.disk_category_unsupported,
                &mut flags.disk_category_unsupported,
            ),
            (self.no_stock, &mut flags.no_stock),
        ];
        for (value, slot) in pairs {
            if let Some(v) = value {
                *slot = v;
            }
        }
    }
}

/// Fields of an instance, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InstanceFields {
    pub instance_id: Option<String>,
    pub instance_name: Option<String>,
    pub description: Option<String>,
    pub host_name: Option<String>,
    pub key_pair_name: Option<String>,
    pub zone_id: Option<String>,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub cpu: Option<u32>,
    /// MiB.
    pub memory: Option<u64>,
    pub status: Option<String>,
    pub instance_charge_type: Option<String>,
    pub internet_charge_type: Option<String>,
    pub internet_max_bandwidth_out: Option<i64>,
    pub internet_max_bandwidth_in: Option<i64>,
    pub instance_network_type: Option<String>,
    pub vpc_id: Option<String>,
    pub v_switch_id: Option<String>,
    pub vpc_attributes: Option<VpcAttributes>,
    pub inner_ip_address: Option<IpList>,
    pub public_ip_address: Option<IpList>,
    pub security_group_ids: Option<SecurityGroups>,
    pub tags: Option<Tags>,
    pub creation_time: Option<String>,
    pub start_time: Option<String>,
    pub stopped_mode: Option<String>,
    pub deletion_protection: Option<bool>,
    pub spot_strategy: Option<String>,
    pub serial_number: Option<String>,
    pub flags: Option<FlagsPatch>,
    /// Emulator-only (DescribeInstances does not show them): user data as
    /// Base64, and the system disk's size (GiB) and category.
    pub user_data: Option<String>,
    pub system_disk_size: Option<i64>,
    pub system_disk_category: Option<String>,
    // Derived by the emulator: accepted (so a Describe answer can be fed
    // back) and ignored.
    #[allow(dead_code)]
    pub region_id: Option<Value>,
    #[allow(dead_code)]
    #[serde(rename = "OSType")]
    pub os_type: Option<Value>,
    #[allow(dead_code)]
    #[serde(rename = "OSName")]
    pub os_name: Option<Value>,
    #[allow(dead_code)]
    pub instance_type_family: Option<Value>,
    /// `yyyy-MM-ddTHH:mmZ`: the end of a subscription's paid period (a
    /// time in the past makes it expired). Ignored for pay-as-you-go.
    pub expired_time: Option<String>,
    /// Emulator-only: downgrades (refunds) a subscription has used.
    pub refunds_used: Option<u32>,
    #[allow(dead_code)]
    pub auto_release_time: Option<Value>,
    #[allow(dead_code)]
    pub pending_instance_type: Option<Value>,
    #[allow(dead_code)]
    pub eip_address: Option<Value>,
    #[allow(dead_code)]
    pub operation_locks: Option<Value>,
}

impl InstanceFields {
    /// A new instance from these fields, with defaults for the rest: a
    /// Running `ecs.g6.large` in the first zone, pay-as-you-go, classic
    /// network unless a VSwitchId is given, addresses allocated.
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn build(
        self,
        store: &mut Store,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<Instance, String> {
        let id = match &self.instance_id {
            Some(id) if id.is_empty() => return Err("InstanceId must not be empty".into()),
            Some(id) => id.clone(),
            None => store.new_instance_id(),
        };
        let spec = catalog::find(DEFAULT_TYPE).expect("default type is in the catalog");
        let mut inst = Instance {
            name: id.clone(),
            host_name: id.clone(),
            serial_number: uuid::Uuid::new_v4().to_string(),
            id,
            description: String::new(),
            zone_id: config.zones()[0].clone(),
            image_id: DEFAULT_IMAGE.into(),
            instance_type: spec.id.clone(),
            family: spec.family.clone(),
            cpu: spec.cpu,
            memory: spec.memory_mib(),
            status: Status::Running,
            instance_charge_type: "PostPaid".into(),
            internet_charge_type: "PayByTraffic".into(),
            bandwidth_out: 0,
            bandwidth_in: 200,
            network_type: String::new(),
            vpc_id: String::new(),
            vswitch_id: String::new(),
            private_ips: vec![],
            inner_ips: vec![],
            public_ips: vec![],
            security_group_ids: vec![],
            tags: vec![],
            creation_time: minute_time(now),
            start_time: minute_time(now),
            stopped_mode: "KeepCharging".into(),
            deletion_protection: false,
            spot_strategy: "NoSpot".into(),
            flags: Flags::default(),
            seq: 0,
            pending: None,
            last_modified: None,
            key_pair_name: String::new(),
            user_data: String::new(),
            password_hash: String::new(),
            system_disk: SystemDisk::default(),
            guest: Guest::default(),
            started_once: true,
            vpc_changed: false,
            subscription: Default::default(),
        };
        let public_given = self.public_ip_address.is_some();
        let bandwidth_in_given = self.internet_max_bandwidth_in.is_some();
        self.apply(&mut inst)?;
        if inst.network_type.is_empty() {
            inst.network_type = if inst.vswitch_id.is_empty() {
                "classic"
            } else {
                "vpc"
            }
            .into();
        }
        if !bandwidth_in_given {
            inst.bandwidth_in = config.default_bandwidth_in(inst.is_vpc());
        }
        if inst.is_vpc() {
            if inst.vpc_id.is_empty() {
                inst.vpc_id = network::vswitch(store, &inst.vswitch_id)
                    .map_or_else(|| vpc_of(&inst.vswitch_id), |v| v.vpc_id);
            }
            if inst.private_ips.is_empty() {
                let ip = network::vswitch(store, &inst.vswitch_id)
                    .and_then(|v| network::free_ip(store, &v, None))
                    .unwrap_or_else(|| store.alloc_private_ip());
                inst.private_ips.push(ip);
            }
        } else if inst.inner_ips.is_empty() {
            inst.inner_ips.push(store.alloc_inner_ip());
        }
        if !public_given && inst.bandwidth_out > 0 {
            inst.public_ips.push(store.alloc_public_ip());
        }
        // A seeded vSwitch or group that is not built in exists from now on,
        // as for RunInstances (see `network`).
        if inst.is_vpc()
            && !inst.vswitch_id.is_empty()
            && network::vswitch(store, &inst.vswitch_id).is_none()
        {
            let v = network::VSwitch {
                id: inst.vswitch_id.clone(),
                vpc_id: inst.vpc_id.clone(),
                zone: inst.zone_id.clone(),
                cidr: "172.16.0.0/16".into(),
            };
            store.implicit_vswitches.insert(v.id.clone(), v);
        }
        network::adopt_groups(store, &inst.security_group_ids, &inst.vpc_id);
        let image_size = network::image(&inst.image_id).map_or(20, |i| i.size);
        if inst.system_disk.id.is_empty() {
            inst.system_disk.id = new_disk_id();
        }
        if inst.system_disk.size == 0 {
            inst.system_disk.size = image_size.max(40);
        }
        if inst.system_disk.category.is_empty() {
            inst.system_disk.category = DEFAULT_DISK_CATEGORY.into();
        }
        inst.restart();
        Ok(inst)
    }

    /// Sets the given fields on `inst`. A new InstanceType also sets Cpu,
    /// Memory and family from the catalog unless Cpu/Memory are given too.
    /// Status is set as is (no transition is scheduled).
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn apply(self, inst: &mut Instance) -> Result<(), String> {
        if let Some(id) = &self.instance_id {
            if *id != inst.id {
                return Err(format!(
                    "InstanceId {id:?} differs from the instance's id {:?}",
                    inst.id
                ));
            }
        }
        if let Some(t) = self.instance_type {
            let spec = catalog::find(&t).ok_or_else(|| {
                format!(
                    "InstanceType {t:?} is not in the emulator's catalog (see docs/design/emulator.md)"
                )
            })?;
            inst.instance_type = t;
            inst.family = spec.family.clone();
            inst.cpu = spec.cpu;
            inst.memory = spec.memory_mib();
        }
        if let Some(s) = self.status {
            inst.status = Status::parse(&s).ok_or_else(|| {
                format!("Status {s:?} is not one of Pending, Running, Starting, Stopping, Stopped")
            })?;
            inst.pending = None;
        }
        if let Some(n) = &self.instance_network_type {
            if n != "vpc" && n != "classic" {
                return Err(format!(
                    "InstanceNetworkType {n:?} must be \"vpc\" or \"classic\""
                ));
            }
        }
        if let Some(c) = &self.instance_charge_type {
            if c != "PostPaid" && c != "PrePaid" {
                return Err(format!(
                    "InstanceChargeType {c:?} must be \"PostPaid\" or \"PrePaid\""
                ));
            }
        }
        set(&mut inst.cpu, self.cpu);
        set(&mut inst.memory, self.memory);
        set(&mut inst.name, self.instance_name);
        set(&mut inst.description, self.description);
        set(&mut inst.host_name, self.host_name);
        set(&mut inst.key_pair_name, self.key_pair_name);
        set(&mut inst.zone_id, self.zone_id);
        set(&mut inst.image_id, self.image_id);
        set(&mut inst.instance_charge_type, self.instance_charge_type);
        set(&mut inst.internet_charge_type, self.internet_charge_type);
        set(&mut inst.bandwidth_out, self.internet_max_bandwidth_out);
        set(&mut inst.bandwidth_in, self.internet_max_bandwidth_in);
        set(&mut inst.network_type, self.instance_network_type);
        set(&mut inst.vpc_id, self.vpc_id);
        set(&mut inst.vswitch_id, self.v_switch_id);
        if let Some(vpc) = self.vpc_attributes {
            set(&mut inst.vpc_id, vpc.vpc_id);
            set(&mut inst.vswitch_id, vpc.v_switch_id);
            set(
                &mut inst.private_ips,
                vpc.private_ip_address.map(|l| l.ip_address),
            );
        }
        set(
            &mut inst.inner_ips,
            self.inner_ip_address.map(|l| l.ip_address),
        );
        set(
            &mut inst.public_ips,
            self.public_ip_address.map(|l| l.ip_address),
        );
        set(
            &mut inst.security_group_ids,
            self.security_group_ids.map(|s| s.security_group_id),
        );
        set(
            &mut inst.tags,
            self.tags.map(|t| {
                t.tag
                    .into_iter()
                    .map(|t| (t.tag_key, t.tag_value))
                    .collect()
            }),
        );
        set(&mut inst.creation_time, self.creation_time);
        set(&mut inst.start_time, self.start_time);
        set(&mut inst.stopped_mode, self.stopped_mode);
        set(&mut inst.deletion_protection, self.deletion_protection);
        set(&mut inst.spot_strategy, self.spot_strategy);
        set(&mut inst.serial_number, self.serial_number);
        if let Some(t) = self.expired_time {
            let parsed = crate::ecs::parse_api_time(&t)
                .ok_or_else(|| format!("ExpiredTime {t:?} is not yyyy-MM-ddTHH:mmZ"))?;
            if inst.instance_charge_type == "PrePaid" {
                inst.subscription.expired_time = Some(parsed);
            }
        }
        set(&mut inst.subscription.refunds, self.refunds_used);
        // A subscription always has a paid period (a month unless given);
        // pay-as-you-go has none.
        if inst.instance_charge_type != "PrePaid" {
            inst.subscription.expired_time = None;
        } else if inst.subscription.expired_time.is_none() {
            inst.subscription.expired_time = Some(super::subscription::period_end(
                chrono::Utc::now(),
                1,
                "Month",
            ));
        }
        if let Some(f) = self.flags {
            f.apply(&mut inst.flags);
        }
        if let Some(u) = self.user_data {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(u.trim())
                .map_err(|_| "UserData must be Base64".to_string())?;
            inst.user_data = u.trim().to_string();
        }
        if let Some(n) = self.system_disk_size {
            if !(1..=2048).contains(&n) {
                return Err(format!("SystemDiskSize {n} must be 1–2048 (GiB)"));
            }
            inst.system_disk.size = n;
        }
        set(&mut inst.system_disk.category, self.system_disk_category);
        Ok(())
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// The VPC a vSwitch belongs to, derived from its id so it is stable.
pub fn vpc_of(vswitch_id: &str) -> String {
    let tail = vswitch_id.strip_prefix("vsw-").unwrap_or(vswitch_id);
    format!("vpc-{tail}")
}
