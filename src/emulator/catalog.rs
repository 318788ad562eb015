//! The built-in instance-type catalog: families, sizes, vCPU, memory,
//! architecture and per-zone stock, plus the image rules that make a type
//! incompatible. DescribeInstanceTypes, DescribeResourcesModification,
//! RunInstances and ModifyInstanceSpec all read this one table, so the
//! emulator never contradicts itself. `docs/design/emulator.md` lists it for test
//! writers.

use std::sync::OnceLock;

use super::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// The `CpuArchitecture` value DescribeInstanceTypes reports.
    pub fn api_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "X86",
            Arch::Arm64 => "ARM",
        }
    }
}

/// One instance type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeSpec {
    pub id: String,
    pub family: String,
    pub generation: u8,
    pub cpu: u32,
    pub memory_gib: f64,
    pub arch: Arch,
    /// False for types the account may not use (ValueUnauthorized).
    pub authorized: bool,
}

impl TypeSpec {
    pub fn memory_mib(&self) -> u64 {
        (self.memory_gib * 1024.0) as u64
    }

    pub fn eni_quantity(&self) -> u32 {
        match self.cpu {
            0..=2 => 3,
            3..=4 => 4,
            5..=8 => 6,
            _ => 8,
        }
    }

    /// Baseline bandwidth in Kbit/s: 0.5 Gbit/s per vCPU, at most 32 Gbit/s.
    pub fn bandwidth_kbps(&self) -> u64 {
        (u64::from(self.cpu) * 512_000).min(32 * 1_024_000)
    }
}

/// Stock of one type in one zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stock {
    Available,
    SoldOut,
}

impl Stock {
    pub fn status(self) -> &'static str {
        match self {
            Stock::Available => "Available",
            Stock::SoldOut => "SoldOut",
        }
    }

    pub fn category(self) -> &'static str {
        match self {
            Stock::Available => "WithStock",
            Stock::SoldOut => "WithoutStock",
        }
    }
}

const SIZES: [(&str, u32); 7] = [
    ("large", 2),
    ("xlarge", 4),
    ("2xlarge", 8),
    ("3xlarge", 12),
    ("4xlarge", 16),
    ("6xlarge", 24),
    ("8xlarge", 32),
];

/// (family, generation, GiB per vCPU, architecture)
const FAMILIES: [(&str, u8, f64, Arch); 5] = [
    ("g6", 6, 4.0, Arch::X86_64),
    ("c6", 6, 2.0, Arch::X86_64),
    ("r6", 6, 8.0, Arch::X86_64),
    ("g7", 7, 4.0, Arch::X86_64),
    ("g8y", 8, 4.0, Arch::Arm64),
];

/// Types out of stock, by zone suffix (`h`, `i`, `j` of `<region>-h` …).
const SOLD_OUT: [(&str, &[&str]); 5] = [
    ("ecs.g6.8xlarge", &["h", "i", "j"]),
    ("ecs.r6.6xlarge", &["h"]),
    ("ecs.c6.8xlarge", &["i"]),
    ("ecs.g7.8xlarge", &["j"]),
    ("ecs.g8y.8xlarge", &["h"]),
];

/// The whole catalog, built once.
pub fn types() -> &'static [TypeSpec] {
    static TYPES: OnceLock<Vec<TypeSpec>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let mut all = Vec::new();
        for (family, generation, ratio, arch) in FAMILIES {
            for (size, cpu) in SIZES {
                all.push(TypeSpec {
                    id: format!("ecs.{family}.{size}"),
                    family: format!("ecs.{family}"),
                    generation,
                    cpu,
                    memory_gib: f64::from(cpu) * ratio,
                    arch,
                    authorized: true,
                });
            }
        }
        all.push(TypeSpec {
            id: "ecs.ebmg6.26xlarge".into(),
            family: "ecs.ebmg6".into(),
            generation: 6,
            cpu: 104,
            memory_gib: 384.0,
            arch: Arch::X86_64,
            authorized: false,
        });
        all
    })
}

pub fn find(id: &str) -> Option<&'static TypeSpec> {
    types().iter().find(|t| t.id == id)
}

/// Stock of `type_id` in `zone` (`<region>-<suffix>`).
pub fn stock(type_id: &str, zone: &str) -> Stock {
    let suffix = zone.rsplit('-').next().unwrap_or("");
    let sold_out = SOLD_OUT
        .iter()
        .any(|(id, zones)| *id == type_id && zones.contains(&suffix));
    if sold_out {
        Stock::SoldOut
    } else {
        Stock::Available
    }
}

/// The architecture of an image, from its id: `arm64`/`aarch64` in the name
/// means Arm, anything else x86-64 (as public image ids are spelled).
pub fn image_arch(image_id: &str) -> Arch {
    let lower = image_id.to_ascii_lowercase();
    if lower.contains("arm64") || lower.contains("aarch64") {
        Arch::Arm64
    } else {
        Arch::X86_64
    }
}

/// Images whose kernel predates the 7th generation's devices (`centos_6*`)
/// cannot boot generation 7 or newer.
pub fn image_max_generation(image_id: &str) -> u8 {
    if image_id.to_ascii_lowercase().starts_with("centos_6") {
        6
    } else {
        u8::MAX
    }
}

/// Whether `spec` can run `image_id`, with the seed table's error if not.
///
/// # Errors
/// Architecture mismatch: 400 `InvalidParameter.Conflict`; an image too old
/// for the generation: 403 `Imagenotsupportinstancetype`.
pub fn check_image(spec: &TypeSpec, image_id: &str) -> Result<(), ApiError> {
    if image_arch(image_id) != spec.arch {
        return Err(ApiError::new(
            400,
            "InvalidParameter.Conflict",
            "The specified image does not support the specified instance type.",
        ));
    }
    if spec.generation > image_max_generation(image_id) {
        return Err(ApiError::new(
            403,
            "Imagenotsupportinstancetype",
            "Specified image does not support the specified InstanceType.",
        ));
    }
    Ok(())
}

/// Looks up a type the account may use.
///
/// # Errors
/// Unknown: 400 `InvalidInstanceType.ValueNotSupported`; not authorized:
/// 400 `InvalidInstanceType.ValueUnauthorized`.
pub fn usable(id: &str) -> Result<&'static TypeSpec, ApiError> {
    let spec = find(id).ok_or_else(|| {
        ApiError::new(
            400,
            "InvalidInstanceType.ValueNotSupported",
            "The specified InstanceType is not supported.",
        )
    })?;
    if !spec.authorized {
        return Err(ApiError::new(
            400,
            "InvalidInstanceType.ValueUnauthorized",
            "The specified instancetype is not authorized.",
        ));
    }
    Ok(spec)
}

/// Direction of a resize query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upgrade,
    Downgrade,
}

/// Types an instance of `current` running `image_id` may change to:
/// authorized, compatible with the image, other than `current`, and
/// - Upgrade: at least as many vCPU and as much memory (so a same-size
///   type of another family, e.g. g6.large → g7.large, is an upgrade);
/// - Downgrade: at most as many vCPU and as much memory, and smaller in one.
///
/// Ordered by vCPU, memory, then id.
pub fn resize_candidates(
    current: &TypeSpec,
    image_id: &str,
    dir: Direction,
) -> Vec<&'static TypeSpec> {
    let mut out: Vec<&TypeSpec> = types()
        .iter()
        .filter(|t| t.authorized && t.id != current.id && check_image(t, image_id).is_ok())
        .filter(|t| {
            let same_size = t.cpu == current.cpu && t.memory_gib == current.memory_gib;
            match dir {
                Direction::Upgrade => t.cpu >= current.cpu && t.memory_gib >= current.memory_gib,
                Direction::Downgrade => {
                    t.cpu <= current.cpu && t.memory_gib <= current.memory_gib && !same_size
                }
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.cpu, a.memory_gib as u64, &a.id).cmp(&(b.cpu, b.memory_gib as u64, &b.id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_the_documented_special_cases() {
        assert_eq!(types().len(), 36);
        for zone in ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"] {
            assert_eq!(stock("ecs.g6.8xlarge", zone), Stock::SoldOut);
            assert_eq!(stock("ecs.g6.large", zone), Stock::Available);
        }
        assert_eq!(stock("ecs.r6.6xlarge", "cn-hangzhou-h"), Stock::SoldOut);
        assert_eq!(stock("ecs.r6.6xlarge", "cn-hangzhou-i"), Stock::Available);
        assert_eq!(
            usable("ecs.ebmg6.26xlarge").unwrap_err().code,
            "InvalidInstanceType.ValueUnauthorized"
        );
        assert_eq!(
            usable("ecs.nope.large").unwrap_err().code,
            "InvalidInstanceType.ValueNotSupported"
        );
        let g8y = usable("ecs.g8y.large").unwrap();
        assert_eq!(
            check_image(g8y, "aliyun_3_x64_20G_alibase_20240819.vhd")
                .unwrap_err()
                .code,
            "InvalidParameter.Conflict"
        );
        assert!(check_image(g8y, "aliyun_3_arm64_20G_alibase_20240819.vhd").is_ok());
        let g7 = usable("ecs.g7.large").unwrap();
        assert_eq!(
            check_image(g7, "centos_6_10_x64_20G_alibase.vhd")
                .unwrap_err()
                .status,
            403
        );
        assert_eq!(g7.memory_mib(), 8192);
    }

    #[test]
    fn upgrade_and_downgrade_are_strictly_ordered_and_compatible() {
        let g6l = find("ecs.g6.large").unwrap();
        let image = "aliyun_3_x64_20G_alibase_20240819.vhd";
        let up = resize_candidates(g6l, image, Direction::Upgrade);
        assert!(up
            .iter()
            .all(|t| t.cpu >= 2 && t.memory_gib >= 8.0 && t.arch == Arch::X86_64));
        assert!(up.iter().any(|t| t.id == "ecs.r6.large"));
        assert!(up.iter().any(|t| t.id == "ecs.g7.large"));
        assert!(!up
            .iter()
            .any(|t| t.id == "ecs.g6.large" || t.id == "ecs.c6.large"));
        assert!(!up
            .iter()
            .any(|t| t.id.starts_with("ecs.ebmg6") || t.id.starts_with("ecs.g8y")));
        let down = resize_candidates(find("ecs.g6.2xlarge").unwrap(), image, Direction::Downgrade);
        assert_eq!(down.first().unwrap().id, "ecs.c6.large");
        assert!(down.iter().all(|t| t.cpu <= 8 && t.memory_gib <= 32.0));
    }
}
