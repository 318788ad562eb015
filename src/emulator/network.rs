//! The world around instances: VPCs, vSwitches, security groups, key pairs
//! and images, with the address rules of a vSwitch's CIDR block.
//!
//! A fixed set is built in (every emulator has it, listed in
//! `docs/emulator.md`), so tests can change an instance's vSwitch, groups,
//! key or image without seeding anything:
//! - VPC `vpc-emu-main`: vSwitches `vsw-emu-h1` (172.16.1.0/24) and
//!   `vsw-emu-h2` (172.16.2.0/24) in zone `<region>-h`, `vsw-emu-i1`
//!   (172.16.3.0/24) in zone `<region>-i`; groups `sg-emu-web`, `sg-emu-app`,
//!   `sg-emu-db`, `sg-emu-ops`, `sg-emu-mon`, `sg-emu-extra`.
//! - VPC `vpc-emu-other`: vSwitch `vsw-emu-other-h` (10.1.0.0/24, zone h)
//!   and group `sg-emu-other`.
//! - Key pairs `emu-key-a`, `emu-key-b`, `emu-key-c`.
//! - Images: every public-image-shaped id (`…_<N>G_….vhd`, size N GiB, OS
//!   from its name, `win…` is Windows) and custom images `m-…` (40 GiB,
//!   Linux); anything else does not exist.
//!
//! Leniency kept for older tests and the demo: RunInstances with a vSwitch
//! or group id that is not built in creates it on the fly (a vSwitch
//! `vsw-X` in VPC `vpc-X`, 172.16.0.0/16, in the instance's zone; a group
//! that any network may use, as the tests name one group for every
//! instance). Such implicit objects live in the store.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::instance::os_of;
use super::store::Store;

/// One vSwitch. `zone` is the zone's suffix (`h`) for built-in ones, the
/// whole zone id for implicit ones (see [`VSwitch::zone_id`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VSwitch {
    pub id: String,
    pub vpc_id: String,
    pub zone: String,
    pub cidr: String,
}

impl VSwitch {
    pub fn zone_id(&self, region: &str) -> String {
        if self.zone.len() == 1 {
            format!("{region}-{}", self.zone)
        } else {
            self.zone.clone()
        }
    }
}

/// One security group: its id and VPC (empty: classic network).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub vpc_id: String,
}

/// Facts of one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    pub id: String,
    /// `linux` | `windows`.
    pub os_type: &'static str,
    pub os_name: &'static str,
    /// GiB: the smallest system disk it fits on.
    pub size: i64,
}

fn builtin_vswitches() -> Vec<VSwitch> {
    let v = |id: &str, vpc: &str, zone: &str, cidr: &str| VSwitch {
        id: id.into(),
        vpc_id: vpc.into(),
        zone: zone.into(),
        cidr: cidr.into(),
    };
    vec![
        v("vsw-emu-h1", "vpc-emu-main", "h", "172.16.1.0/24"),
        v("vsw-emu-h2", "vpc-emu-main", "h", "172.16.2.0/24"),
        v("vsw-emu-i1", "vpc-emu-main", "i", "172.16.3.0/24"),
        v("vsw-emu-other-h", "vpc-emu-other", "h", "10.1.0.0/24"),
    ]
}

/// Built-in groups: (id, VPC).
const BUILTIN_GROUPS: &[(&str, &str)] = &[
    ("sg-emu-web", "vpc-emu-main"),
    ("sg-emu-app", "vpc-emu-main"),
    ("sg-emu-db", "vpc-emu-main"),
    ("sg-emu-ops", "vpc-emu-main"),
    ("sg-emu-mon", "vpc-emu-main"),
    ("sg-emu-extra", "vpc-emu-main"),
    ("sg-emu-other", "vpc-emu-other"),
];

/// Built-in key pairs: (name, fingerprint).
pub const KEY_PAIRS: &[(&str, &str)] = &[
    (
        "emu-key-a",
        "5c:1e:8a:3f:21:9b:0d:44:6e:7a:90:12:ab:cd:ef:01",
    ),
    (
        "emu-key-b",
        "8d:22:4f:aa:13:7c:5e:60:91:b2:34:c5:d6:e7:f8:02",
    ),
    (
        "emu-key-c",
        "a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:03",
    ),
];

/// Every vSwitch: built-in, then implicit ones.
pub fn vswitches(store: &Store) -> Vec<VSwitch> {
    let mut all = builtin_vswitches();
    all.extend(store.implicit_vswitches.values().cloned());
    all
}

pub fn vswitch(store: &Store, id: &str) -> Option<VSwitch> {
    vswitches(store).into_iter().find(|v| v.id == id)
}

pub fn group(store: &Store, id: &str) -> Option<Group> {
    BUILTIN_GROUPS
        .iter()
        .find(|(g, _)| *g == id)
        .map(|(g, vpc)| Group {
            id: g.to_string(),
            vpc_id: vpc.to_string(),
        })
        .or_else(|| store.implicit_groups.get(id).cloned())
}

pub fn key_pair_exists(name: &str) -> bool {
    KEY_PAIRS.iter().any(|(k, _)| *k == name)
}

/// The image `id`, if it exists (see the module comment).
pub fn image(id: &str) -> Option<ImageFacts> {
    let size = if id.starts_with("m-") && id.len() > 2 {
        40
    } else if id.ends_with(".vhd") {
        id.split('_')
            .find_map(|part| part.strip_suffix('G').and_then(|n| n.parse::<i64>().ok()))
            .unwrap_or(20)
    } else {
        return None;
    };
    let (os_type, os_name) = os_of(id);
    Some(ImageFacts {
        id: id.to_string(),
        os_type,
        os_name,
        size,
    })
}

/// `InvalidImageId.NotFound` unless the image exists.
pub fn existing_image(id: &str) -> Result<ImageFacts, ApiError> {
    image(id).ok_or_else(|| {
        ApiError::new(
            404,
            "InvalidImageId.NotFound",
            "The specified ImageId does not exist.",
        )
    })
}

fn parse_cidr(cidr: &str) -> Option<(u32, u32)> {
    let (ip, len) = cidr.split_once('/')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    let len: u32 = len.parse().ok().filter(|l| *l <= 32)?;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some((u32::from(ip) & mask, mask))
}

/// Whether `ip` is a usable host address of `cidr`: inside it, and not one
/// of the first or last three, which ECS reserves.
pub fn usable_in(cidr: &str, ip: Ipv4Addr) -> bool {
    let Some((net, mask)) = parse_cidr(cidr) else {
        return false;
    };
    let ip = u32::from(ip);
    let last = net | !mask;
    ip & mask == net && u64::from(ip) >= u64::from(net) + 3 && u64::from(ip) + 3 <= u64::from(last)
}

/// `InvalidPrivateIpAddress.Malformed` / `.Mismatch` / `.Duplicated` for
/// `ip` on vSwitch `vsw`, ignoring instance `except` (the one moving).
pub fn check_private_ip(
    store: &Store,
    vsw: &VSwitch,
    ip: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let addr: Ipv4Addr = ip.parse().map_err(|_| {
        ApiError::new(
            400,
            "InvalidPrivateIpAddress.Malformed",
            "Specified private IP address is malformed.",
        )
    })?;
    if !usable_in(&vsw.cidr, addr) {
        return Err(ApiError::new(
            400,
            "InvalidPrivateIpAddress.Mismatch",
            "Specified private IP address is not in the CIDR block of virtual switch.",
        ));
    }
    let taken = store.instances.values().any(|i| {
        Some(i.id.as_str()) != except
            && i.vswitch_id == vsw.id
            && i.private_ips.iter().any(|p| p == ip)
    });
    if taken {
        return Err(ApiError::new(
            400,
            "InvalidPrivateIpAddress.Duplicated",
            "Specified private IP address is duplicated.",
        ));
    }
    Ok(())
}

/// The lowest free usable address of `vsw` (instance `except` ignored), or
/// `None` when the block is full.
pub fn free_ip(store: &Store, vsw: &VSwitch, except: Option<&str>) -> Option<String> {
    let (net, mask) = parse_cidr(&vsw.cidr)?;
    let last = net | !mask;
    (net + 3..=last.saturating_sub(3))
        .map(|n| Ipv4Addr::from(n).to_string())
        .find(|ip| check_private_ip(store, vsw, ip, except).is_ok())
}

/// The vSwitch `id` for a new instance in `zone`: a known one, or an
/// implicit one to create with it (see the module comment; the caller
/// records it once the instance is created).
///
/// # Errors
/// `InvalidVSwitchId.Mismatch` when a known vSwitch is in another zone.
pub fn vswitch_for_creation(
    store: &Store,
    id: &str,
    zone: &str,
    region: &str,
) -> Result<VSwitch, ApiError> {
    if let Some(v) = vswitch(store, id) {
        if v.zone_id(region) != zone {
            return Err(ApiError::new(
                400,
                "InvalidVSwitchId.Mismatch",
                "Specified virtual switch is not in the specified zone.",
            ));
        }
        return Ok(v);
    }
    Ok(VSwitch {
        id: id.to_string(),
        vpc_id: super::fields::vpc_of(id),
        zone: zone.to_string(),
        cidr: "172.16.0.0/16".into(),
    })
}

/// Checks `groups` for an instance in VPC `vpc_id` (empty: classic): 1–5
/// groups, each existing and in that VPC.
///
/// # Errors
/// `InstanceSecurityGroupLimitExceeded` (more than 5),
/// `InvalidSecurityGroupId.NotFound` (unknown, or in another VPC).
pub fn check_groups(store: &Store, groups: &[String], vpc_id: &str) -> Result<(), ApiError> {
    if groups.len() > 5 {
        return Err(ApiError::new(
            400,
            "InstanceSecurityGroupLimitExceeded",
            "The maximum number of security groups an instance can join is exceeded.",
        ));
    }
    for g in groups {
        // Implicit groups (test leniency) belong to whichever network names
        // them; only built-in groups are bound to their VPC.
        let builtin = BUILTIN_GROUPS.iter().any(|(b, _)| b == g);
        match group(store, g) {
            Some(_) if !builtin => {}
            Some(found) if found.vpc_id == vpc_id => {}
            Some(_) => {
                return Err(ApiError::new(
                    404,
                    "InvalidSecurityGroupId.NotFound",
                    format!("The security group {g} is not in the instance's VPC."),
                ))
            }
            None => {
                return Err(ApiError::new(
                    404,
                    "InvalidSecurityGroupId.NotFound",
                    format!("The specified security group {g} does not exist."),
                ))
            }
        }
    }
    Ok(())
}

/// Registers groups named at creation that are not known yet as implicit
/// groups of `vpc_id`.
pub fn adopt_groups(store: &mut Store, groups: &[String], vpc_id: &str) {
    for g in groups {
        if group(store, g).is_none() {
            store.implicit_groups.insert(
                g.clone(),
                Group {
                    id: g.clone(),
                    vpc_id: vpc_id.to_string(),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_and_last_three_addresses_are_reserved() {
        let cidr = "172.16.1.0/24";
        let ok = |s: &str| usable_in(cidr, s.parse().unwrap());
        assert!(!ok("172.16.1.2") && ok("172.16.1.3"));
        assert!(ok("172.16.1.252") && !ok("172.16.1.253"));
        assert!(!ok("172.16.2.10"));
        assert!(!usable_in("0.0.0.0/0", "255.255.255.255".parse().unwrap()));
    }

    #[test]
    fn images_are_known_by_their_shape() {
        let win = image("win2022_datacenter_x64_40G_alibase_20240101.vhd").unwrap();
        assert_eq!((win.os_type, win.size), ("windows", 40));
        let linux = image("aliyun_3_x64_20G_alibase_20240819.vhd").unwrap();
        assert_eq!((linux.os_type, linux.size), ("linux", 20));
        assert_eq!(image("m-custom").unwrap().size, 40);
        assert!(image("img").is_none());
    }
}
