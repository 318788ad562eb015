//! Serde mirrors of the ECS JSON responses, and the error body parser.
//!
//! ECS wraps every array in an object named after its singular element
//! (`"SecurityGroupIds":{"SecurityGroupId":["sg-1"]}`); these structs follow
//! that shape exactly and convert into the flat [`super::model`] types. Every
//! field defaults when absent, and `null`s are dropped before decoding, so a
//! sparse answer (or a newer API adding fields) never breaks a read.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::model::{
    AutoRenewAttribute, AvailableType, Disk, Image, Instance, InstanceType, KeyPair, PeriodUnit,
    RenewalStatus, VSwitch,
};

/// Decodes a JSON success body into `T`, ignoring `null` values.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
    strip_nulls(&mut value);
    serde_json::from_value(value).map_err(|e| format!("unexpected JSON shape: {e}"))
}

fn strip_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Integers sometimes arrive as strings; accept both.
fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Int {
        N(i64),
        F(f64),
        S(String),
    }
    Ok(match Int::deserialize(d)? {
        Int::N(n) => n,
        Int::F(f) => f as i64,
        Int::S(s) => s.trim().parse().map_err(serde::de::Error::custom)?,
    })
}

/// An id that ECS documents as a string but some answers carry as a bare
/// number (`"OrderId": 1234567890`): accept both, keep the digits.
fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        U(u64),
        I(i64),
        F(f64),
    }
    Ok(match Id::deserialize(d)? {
        Id::S(s) => s.trim().to_string(),
        Id::U(n) => n.to_string(),
        Id::I(n) => n.to_string(),
        Id::F(f) => format!("{f:.0}"),
    })
}

/// A quantity: `None` when absent or negative (ECS answers `-1` for "not
/// set / platform default").
fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Some(int(d)?).filter(|n| *n >= 0))
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstances {
    pub request_id: String,
    pub next_token: String,
    pub instances: Instances,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instances {
    pub instance: Vec<WireInstance>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct WireInstance {
    pub instance_id: String,
    pub instance_name: String,
    pub description: String,
    pub instance_type: String,
    pub image_id: String,
    #[serde(rename = "OSType")]
    pub os_type: String,
    pub host_name: String,
    pub key_pair_name: String,
    pub zone_id: String,
    pub region_id: String,
    pub status: String,
    #[serde(deserialize_with = "quantity")]
    pub cpu: Option<i64>,
    #[serde(deserialize_with = "quantity")]
    pub memory: Option<i64>,
    pub internet_charge_type: String,
    pub instance_charge_type: String,
    #[serde(deserialize_with = "quantity")]
    pub internet_max_bandwidth_out: Option<i64>,
    #[serde(deserialize_with = "quantity")]
    pub internet_max_bandwidth_in: Option<i64>,
    pub instance_network_type: String,
    pub vpc_attributes: VpcAttributes,
    pub security_group_ids: SecurityGroupIds,
    pub tags: Tags,
    pub public_ip_address: IpAddresses,
    pub inner_ip_address: IpAddresses,
    pub eip_address: EipAddress,
    pub creation_time: String,
    pub start_time: String,
    pub stopped_mode: String,
    pub deletion_protection: bool,
    pub expired_time: String,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcAttributes {
    pub vpc_id: String,
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
    pub private_ip_address: IpAddresses,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpAddresses {
    pub ip_address: Vec<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityGroupIds {
    pub security_group_id: Vec<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tags {
    pub tag: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    pub tag_key: String,
    pub tag_value: String,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct EipAddress {
    pub ip_address: String,
}

impl From<WireInstance> for Instance {
    fn from(w: WireInstance) -> Instance {
        let mut public_ips = w.public_ip_address.ip_address;
        if !w.eip_address.ip_address.is_empty() && !public_ips.contains(&w.eip_address.ip_address) {
            public_ips.push(w.eip_address.ip_address);
        }
        let private_ips = if w.vpc_attributes.private_ip_address.ip_address.is_empty() {
            w.inner_ip_address.ip_address
        } else {
            w.vpc_attributes.private_ip_address.ip_address
        };
        Instance {
            instance_id: w.instance_id,
            instance_name: w.instance_name,
            description: w.description,
            instance_type: w.instance_type,
            image_id: w.image_id,
            os_type: w.os_type,
            host_name: w.host_name,
            key_pair_name: w.key_pair_name,
            zone_id: w.zone_id,
            region_id: w.region_id,
            status: w.status,
            cpu: w.cpu,
            memory_mib: w.memory,
            internet_charge_type: w.internet_charge_type,
            instance_charge_type: w.instance_charge_type,
            internet_max_bandwidth_out: w.internet_max_bandwidth_out,
            internet_max_bandwidth_in: w.internet_max_bandwidth_in,
            instance_network_type: w.instance_network_type,
            vswitch_id: w.vpc_attributes.vswitch_id,
            vpc_id: w.vpc_attributes.vpc_id,
            security_group_ids: w.security_group_ids.security_group_id,
            tags: w
                .tags
                .tag
                .into_iter()
                .map(|t| (t.tag_key, t.tag_value))
                .collect(),
            public_ips,
            private_ips,
            creation_time: w.creation_time,
            start_time: w.start_time,
            stopped_mode: w.stopped_mode,
            deletion_protection: w.deletion_protection,
            expired_time: w.expired_time,
        }
    }
}

/// DescribeRegions: `{Regions: {Region: [{RegionId, LocalName, ...}]}}`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeRegions {
    pub regions: Regions,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Regions {
    pub region: Vec<Region>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Region {
    pub region_id: String,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstanceTypes {
    pub request_id: String,
    pub next_token: String,
    pub instance_types: InstanceTypes,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceTypes {
    pub instance_type: Vec<WireInstanceType>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct WireInstanceType {
    pub instance_type_id: String,
    pub instance_type_family: String,
    #[serde(deserialize_with = "quantity")]
    pub cpu_core_count: Option<i64>,
    pub memory_size: Option<f64>,
    pub cpu_architecture: String,
}

impl From<WireInstanceType> for InstanceType {
    fn from(w: WireInstanceType) -> InstanceType {
        InstanceType {
            instance_type_id: w.instance_type_id,
            family: w.instance_type_family,
            cpu_core_count: w.cpu_core_count,
            memory_gib: w.memory_size.filter(|m| *m >= 0.0),
            cpu_architecture: w.cpu_architecture,
        }
    }
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeResourcesModification {
    pub request_id: String,
    pub available_zones: AvailableZones,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AvailableZones {
    pub available_zone: Vec<AvailableZone>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AvailableZone {
    pub zone_id: String,
    pub status: String,
    pub status_category: String,
    pub available_resources: AvailableResources,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AvailableResources {
    pub available_resource: Vec<AvailableResource>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AvailableResource {
    #[serde(rename = "Type")]
    pub kind: String,
    pub supported_resources: SupportedResources,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct SupportedResources {
    pub supported_resource: Vec<SupportedResource>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct SupportedResource {
    pub value: String,
    pub status: String,
    pub status_category: String,
}

impl DescribeResourcesModification {
    /// Every `InstanceType` resource across zones, once per type; a type
    /// `Available` in any zone wins over `SoldOut` elsewhere.
    pub fn instance_types(self) -> Vec<AvailableType> {
        let mut out: Vec<AvailableType> = Vec::new();
        let resources = self
            .available_zones
            .available_zone
            .into_iter()
            .flat_map(|z| z.available_resources.available_resource)
            .filter(|r| r.kind == "InstanceType")
            .flat_map(|r| r.supported_resources.supported_resource);
        for r in resources {
            let t = AvailableType {
                instance_type: r.value,
                status: r.status,
                status_category: r.status_category,
            };
            match out.iter_mut().find(|o| o.instance_type == t.instance_type) {
                Some(o) if o.status != "Available" && t.status == "Available" => *o = t,
                Some(_) => {}
                None => out.push(t),
            }
        }
        out
    }
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatePublicIpAddress {
    pub request_id: String,
    pub ip_address: String,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct RunInstances {
    pub request_id: String,
    pub instance_id_sets: InstanceIdSets,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceIdSets {
    pub instance_id_set: Vec<String>,
}

/// An answer that opens an order (ModifyPrepayInstanceSpec,
/// ModifyInstanceNetworkSpec): `OrderId`, a string or a bare number.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct OrderAnswer {
    pub request_id: String,
    #[serde(deserialize_with = "id_text")]
    pub order_id: String,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstanceAutoRenewAttribute {
    pub request_id: String,
    #[serde(deserialize_with = "int")]
    pub total_count: i64,
    #[serde(deserialize_with = "int")]
    pub page_number: i64,
    #[serde(deserialize_with = "int")]
    pub page_size: i64,
    pub instance_renew_attributes: InstanceRenewAttributes,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceRenewAttributes {
    pub instance_renew_attribute: Vec<WireRenewAttribute>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct WireRenewAttribute {
    pub instance_id: String,
    pub auto_renew_enabled: bool,
    #[serde(deserialize_with = "quantity")]
    pub duration: Option<i64>,
    pub period_unit: String,
    pub renewal_status: String,
}

impl From<WireRenewAttribute> for AutoRenewAttribute {
    fn from(w: WireRenewAttribute) -> AutoRenewAttribute {
        AutoRenewAttribute {
            instance_id: w.instance_id,
            auto_renew_enabled: w.auto_renew_enabled,
            duration: w.duration,
            period_unit: PeriodUnit::parse(&w.period_unit),
            renewal_status: RenewalStatus::parse(&w.renewal_status),
        }
    }
}

/// Booleans sometimes arrive as strings (`"true"`); accept both.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        B(bool),
        S(String),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::B(b) => b,
        Flag::S(s) => s.trim().eq_ignore_ascii_case("true"),
    })
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeUserData {
    pub request_id: String,
    pub instance_id: String,
    /// Base64; empty when the instance has none.
    pub user_data: String,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReplaceSystemDisk {
    pub request_id: String,
    pub disk_id: String,
}

/// AttachKeyPair / DetachKeyPair: one result per instance; an HTTP 200 can
/// carry failures (`FailCount` > 0).
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyPairResults {
    pub request_id: String,
    #[serde(deserialize_with = "int")]
    pub fail_count: i64,
    #[serde(deserialize_with = "int")]
    pub total_count: i64,
    pub results: KeyPairResultList,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyPairResultList {
    pub result: Vec<KeyPairResult>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyPairResult {
    pub instance_id: String,
    #[serde(deserialize_with = "flag")]
    pub success: bool,
    /// `200` on success, else an error code.
    pub code: String,
    pub message: String,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeDisks {
    pub request_id: String,
    pub next_token: String,
    pub disks: Disks,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Disks {
    pub disk: Vec<WireDisk>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct WireDisk {
    pub disk_id: String,
    pub instance_id: String,
    #[serde(rename = "Type")]
    pub disk_type: String,
    pub category: String,
    #[serde(deserialize_with = "quantity")]
    pub size: Option<i64>,
    pub status: String,
    pub image_id: String,
}

impl From<WireDisk> for Disk {
    fn from(w: WireDisk) -> Disk {
        Disk {
            disk_id: w.disk_id,
            instance_id: w.instance_id,
            disk_type: w.disk_type,
            category: w.category,
            size_gib: w.size,
            status: w.status,
            image_id: w.image_id,
        }
    }
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeKeyPairs {
    pub request_id: String,
    #[serde(deserialize_with = "int")]
    pub total_count: i64,
    pub key_pairs: KeyPairs,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyPairs {
    pub key_pair: Vec<WireKeyPair>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct WireKeyPair {
    pub key_pair_name: String,
    pub key_pair_finger_print: String,
}

impl From<WireKeyPair> for KeyPair {
    fn from(w: WireKeyPair) -> KeyPair {
        KeyPair {
            key_pair_name: w.key_pair_name,
            finger_print: w.key_pair_finger_print,
        }
    }
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeVSwitches {
    pub request_id: String,
    #[serde(deserialize_with = "int")]
    pub total_count: i64,
    #[serde(rename = "VSwitches")]
    pub vswitches: WireVSwitches,
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct WireVSwitches {
    #[serde(rename = "VSwitch")]
    pub vswitch: Vec<WireVSwitch>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct WireVSwitch {
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
    pub vpc_id: String,
    pub zone_id: String,
    pub cidr_block: String,
    pub status: String,
}

impl From<WireVSwitch> for VSwitch {
    fn from(w: WireVSwitch) -> VSwitch {
        VSwitch {
            vswitch_id: w.vswitch_id,
            vpc_id: w.vpc_id,
            zone_id: w.zone_id,
            cidr_block: w.cidr_block,
            status: w.status,
        }
    }
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeImages {
    pub request_id: String,
    #[serde(deserialize_with = "int")]
    pub total_count: i64,
    pub images: Images,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Images {
    pub image: Vec<WireImage>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct WireImage {
    pub image_id: String,
    #[serde(rename = "OSType")]
    pub os_type: String,
    #[serde(rename = "OSName")]
    pub os_name: String,
    pub platform: String,
    #[serde(deserialize_with = "quantity")]
    pub size: Option<i64>,
    pub status: String,
}

impl From<WireImage> for Image {
    fn from(w: WireImage) -> Image {
        Image {
            image_id: w.image_id,
            os_type: w.os_type,
            os_name: w.os_name,
            platform: w.platform,
            size_gib: w.size,
            status: w.status,
        }
    }
}

/// The fields of an error body, JSON or XML alike.
#[derive(Deserialize, Default, Debug, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct ErrorBody {
    pub request_id: Option<String>,
    pub host_id: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub recommend: Option<String>,
}

impl ErrorBody {
    /// Parses a JSON (`{"Code":...}`) or XML (`<Error><Code>...`) body;
    /// `None` when it is neither (an HTML page from a proxy, say).
    pub fn parse(body: &[u8]) -> Option<ErrorBody> {
        let text = std::str::from_utf8(body)
            .ok()?
            .trim_start_matches('\u{feff}')
            .trim();
        let parsed = if text.starts_with('<') {
            quick_xml::de::from_str::<ErrorBody>(text).ok()
        } else {
            decode::<ErrorBody>(text.as_bytes()).ok()
        }?;
        parsed.code.as_ref()?;
        Some(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_xml_error_bodies() {
        let json = br#"{"RequestId":"R1","HostId":"ecs.aliyuncs.com","Code":"Throttling","Message":"m","Recommend":"https://x"}"#;
        let b = ErrorBody::parse(json).unwrap();
        assert_eq!(b.code.as_deref(), Some("Throttling"));
        assert_eq!(b.request_id.as_deref(), Some("R1"));
        assert_eq!(b.recommend.as_deref(), Some("https://x"));
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>R2</RequestId><HostId>h</HostId><Code>InternalError</Code><Message>boom</Message></Error>"#;
        let b = ErrorBody::parse(xml).unwrap();
        assert_eq!(b.code.as_deref(), Some("InternalError"));
        assert_eq!(b.request_id.as_deref(), Some("R2"));
        assert_eq!(b.host_id.as_deref(), Some("h"));
        assert!(ErrorBody::parse(b"<html>bad gateway</html>").is_none());
        assert!(ErrorBody::parse(b"{\"RequestId\":\"x\"}").is_none());
    }

    #[test]
    fn nulls_and_string_numbers_are_tolerated() {
        let body = br#"{"Instances":{"Instance":[{"InstanceId":"i-1","Cpu":"2","Memory":4096,"Description":null}]},"NextToken":null}"#;
        let r: DescribeInstances = decode(body).unwrap();
        let i: Instance = r.instances.instance.into_iter().next().unwrap().into();
        assert_eq!(
            (i.cpu, i.memory_mib, i.description.as_str()),
            (Some(2), Some(4096), "")
        );
        assert_eq!(r.next_token, "");
    }

    #[test]
    fn order_ids_arrive_as_strings_or_bare_numbers() {
        for body in [
            &br#"{"RequestId":"R","OrderId":"1234567890"}"#[..],
            br#"{"RequestId":"R","OrderId":1234567890}"#,
        ] {
            let a: OrderAnswer = decode(body).unwrap();
            assert_eq!(a.order_id, "1234567890");
        }
        let a: OrderAnswer = decode(br#"{"OrderId":1011111111111111}"#).unwrap();
        assert_eq!(a.order_id, "1011111111111111");
        let a: OrderAnswer = decode(br#"{"RequestId":"R"}"#).unwrap();
        assert_eq!(a.order_id, "");
    }

    #[test]
    fn negative_numbers_mean_not_set() {
        let body = br#"{"Instances":{"Instance":[{"InstanceId":"i-1","InternetMaxBandwidthIn":-1,"InternetMaxBandwidthOut":"-1","Cpu":-1,"DeletionProtection":true}]}}"#;
        let r: DescribeInstances = decode(body).unwrap();
        let i: Instance = r.instances.instance.into_iter().next().unwrap().into();
        assert_eq!(i.internet_max_bandwidth_in, None);
        assert_eq!(i.internet_max_bandwidth_out, None);
        assert_eq!((i.cpu, i.memory_mib), (None, None));
        assert!(i.deletion_protection);
        let body = br#"{"InstanceTypes":{"InstanceType":[{"InstanceTypeId":"ecs.x","CpuCoreCount":-1,"MemorySize":-1}]}}"#;
        let r: DescribeInstanceTypes = decode(body).unwrap();
        let t: InstanceType = r
            .instance_types
            .instance_type
            .into_iter()
            .next()
            .unwrap()
            .into();
        assert_eq!((t.cpu_core_count, t.memory_gib), (None, None));
    }
}
