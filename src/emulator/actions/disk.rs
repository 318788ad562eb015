//! The system disk: ReplaceSystemDisk (a new disk from another image),
//! ResizeDisk (grow it), DescribeDisks; and DescribeImages, whose sizes
//! bound the disk.
//!
//! ReplaceSystemDisk: instance Stopped; the image must exist and suit the
//! instance type; `SystemDisk.Size` (default: the old size, at least the
//! image's) not below the image's size nor the old disk's; the new disk gets
//! a new id, the category stays; instance id, IPs and data disks stay. The
//! key pair and password come from the call (`KeyPairName` is ignored on
//! Windows; without it the old binding is gone, as users of the alicloud
//! provider found); they reach the guest at the next start.
//!
//! ResizeDisk: `NewSize` above the current size (`InvalidDiskSize.TooSmall`),
//! at most 2048 GiB; `Type=online` needs the instance Running and a disk
//! category other than basic `cloud`; `offline` (the default) needs Running
//! or Stopped. The new size shows at once either way.

use serde_json::{json, Value};

use super::{check_security_lock, checks, dry_run, wrap, Answer, Ctx};
use crate::emulator::catalog;
use crate::emulator::error::ApiError;
use crate::emulator::instance::{new_disk_id, os_of, password_hash, Instance, Status};
use crate::emulator::network;
use crate::emulator::params::Params;

/// The largest system disk, GiB.
const MAX_SYSTEM_DISK: i64 = 2048;

pub fn replace_system_disk(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let id = params.required("InstanceId")?;
    let image_id = params.required("ImageId")?;
    let size = params.number::<i64>("SystemDisk.Size")?;
    let password = checks::password(params)?;
    let inherit = params.boolean("PasswordInherit")?.unwrap_or(false);
    if password.is_some() && inherit {
        return Err(ApiError::new(
            400,
            "InvalidParameter.Conflict",
            "Password and PasswordInherit cannot be specified together.",
        ));
    }
    let key = params.get("KeyPairName");
    if key.is_some_and(|k| !network::key_pair_exists(k)) {
        return Err(key_pair_not_found());
    }
    let image = network::existing_image(image_id)?;
    let inst = ctx.store.get(id)?;
    check_security_lock(inst)?;
    if inst.status != Status::Stopped {
        return Err(ApiError::incorrect_status());
    }
    if let Some(spec) = catalog::find(&inst.instance_type) {
        catalog::check_image(spec, image_id)?;
    }
    let old = inst.system_disk.size;
    let size = size.unwrap_or(old.max(image.size));
    if size < image.size {
        return Err(ApiError::new(
            400,
            "InvalidSystemDiskSize.LessThanImageSize",
            "The specified system disk size is smaller than the image size.",
        ));
    }
    if size < old {
        return Err(ApiError::new(
            400,
            "InvalidSystemDiskSize.LessThanDiskSize",
            "The specified system disk size is smaller than the current system disk.",
        ));
    }
    if size > MAX_SYSTEM_DISK {
        return Err(ApiError::invalid("SystemDisk.Size"));
    }
    dry_run(params)?;
    let disk_id = new_disk_id();
    let windows = image.os_type == "windows";
    let inst = ctx.store.get_mut(id)?;
    inst.image_id = image.id;
    inst.system_disk.id = disk_id.clone();
    inst.system_disk.size = size;
    inst.key_pair_name = match key {
        Some(k) if !windows => k.to_string(),
        _ => String::new(),
    };
    inst.password_hash = match (password, inherit) {
        (Some(p), _) => password_hash(id, p),
        (None, true) => password_hash(id, &format!("image-preset:{image_id}")),
        (None, false) => String::new(),
    };
    Ok(Answer::new(
        json!({"DiskId": disk_id}),
        Some(id.to_string()),
    ))
}

fn key_pair_not_found() -> ApiError {
    ApiError::new(
        404,
        "InvalidKeyPairName.NotFound",
        "The specified KeyPairName does not exist.",
    )
}

/// The instance whose system disk is `disk_id`.
fn owner<'a>(ctx: &'a Ctx<'_>, disk_id: &str) -> Result<&'a Instance, ApiError> {
    ctx.store
        .instances
        .values()
        .find(|i| i.system_disk.id == disk_id)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidDiskId.NotFound",
                "The specified disk does not exist.",
            )
        })
}

pub fn resize_disk(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let disk_id = params.required("DiskId")?;
    let new_size = params
        .number::<i64>("NewSize")?
        .ok_or_else(|| ApiError::missing("NewSize"))?;
    let online = match params.get("Type") {
        None => false,
        Some(t) if t.eq_ignore_ascii_case("offline") => false,
        Some(t) if t.eq_ignore_ascii_case("online") => true,
        Some(_) => return Err(ApiError::invalid("Type")),
    };
    let inst = owner(ctx, disk_id)?;
    check_security_lock(inst)?;
    if new_size <= inst.system_disk.size {
        return Err(ApiError::new(
            400,
            "InvalidDiskSize.TooSmall",
            "The specified new disk size must be larger than the current size.",
        ));
    }
    if new_size > MAX_SYSTEM_DISK {
        return Err(ApiError::new(
            400,
            "InvalidDiskSize.ValueNotSupported",
            "The specified new disk size exceeds the maximum for a system disk.",
        ));
    }
    if online {
        if inst.status != Status::Running {
            return Err(ApiError::new(
                403,
                "InvalidInstanceStatus.NotRunning",
                "An online resize needs the instance to be Running.",
            ));
        }
        if inst.system_disk.category == "cloud" {
            return Err(ApiError::new(
                403,
                "InvalidDiskCategory.NotSupported",
                "Basic disks cannot be resized online.",
            ));
        }
    } else if !matches!(inst.status, Status::Running | Status::Stopped) {
        return Err(ApiError::incorrect_status());
    }
    let id = inst.id.clone();
    dry_run(params)?;
    ctx.store.get_mut(&id)?.system_disk.size = new_size;
    Ok(Answer::new(json!({}), Some(id)))
}

fn disk_view(inst: &Instance, region: &str) -> Value {
    json!({
        "DiskId": inst.system_disk.id,
        "InstanceId": inst.id,
        "Type": "system",
        "Category": inst.system_disk.category,
        "Size": inst.system_disk.size,
        "Status": "In_use",
        "ImageId": inst.image_id,
        "Device": "/dev/xvda",
        "Portable": false,
        "DeleteWithInstance": true,
        "ZoneId": inst.zone_id,
        "RegionId": region,
    })
}

pub fn describe_disks(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let kind = params.get("DiskType").unwrap_or("all");
    if !matches!(kind, "all" | "system" | "data") {
        return Err(ApiError::invalid("DiskType"));
    }
    let ids: Option<Vec<String>> = params
        .get("DiskIds")
        .map(|s| serde_json::from_str(s).map_err(|_| ApiError::invalid("DiskIds")))
        .transpose()?;
    let region = &ctx.config.region;
    let disks: Vec<Value> = ctx
        .store
        .ordered()
        .into_iter()
        .filter(|_| kind != "data")
        .filter(|i| !i.system_disk.id.is_empty())
        .filter(|i| params.get("InstanceId").is_none_or(|x| x == i.id))
        .filter(|i| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&i.system_disk.id))
        })
        .map(|i| disk_view(i, region))
        .collect();
    Ok(Answer::new(
        json!({
            "TotalCount": disks.len(),
            "NextToken": "",
            "Disks": wrap("Disk", disks),
        }),
        params.get("InstanceId").map(String::from),
    ))
}

/// Images DescribeImages lists when asked for none by id.
const LISTED_IMAGES: &[&str] = &[
    "aliyun_3_x64_20G_alibase_20240819.vhd",
    "ubuntu_22_04_x64_20G_alibase_20240101.vhd",
    "aliyun_3_arm64_20G_alibase_20240819.vhd",
    "win2022_datacenter_x64_40G_alibase_20240101.vhd",
];

pub fn describe_images(_ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let ids: Vec<String> = match params.get("ImageId") {
        Some(list) => list.split(',').map(|s| s.trim().to_string()).collect(),
        None => LISTED_IMAGES.iter().map(|s| s.to_string()).collect(),
    };
    let images: Vec<Value> = ids
        .iter()
        .filter_map(|id| network::image(id))
        .filter(|i| params.get("OSType").is_none_or(|t| t == i.os_type))
        .map(|i| {
            let arch = match catalog::image_arch(&i.id) {
                catalog::Arch::Arm64 => "arm64",
                catalog::Arch::X86_64 => "x86_64",
            };
            json!({
                "ImageId": i.id,
                "ImageName": i.id,
                "OSType": i.os_type,
                "OSName": os_of(&i.id).1,
                "Platform": i.os_name,
                "Architecture": arch,
                "Size": i.size,
                "Status": "Available",
                "ImageOwnerAlias": if i.id.starts_with("m-") { "self" } else { "system" },
            })
        })
        .collect();
    Ok(Answer::new(
        json!({
            "TotalCount": images.len(),
            "PageNumber": 1,
            "PageSize": images.len().max(10),
            "Images": wrap("Image", images),
        }),
        None,
    ))
}
