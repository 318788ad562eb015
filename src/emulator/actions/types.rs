//! DescribeInstanceTypes and DescribeResourcesModification, both read from
//! the built-in catalog.

use serde_json::{json, Value};

use super::{with, wrap, Answer, Ctx};
use crate::emulator::catalog::{self, Direction, TypeSpec};
use crate::emulator::error::ApiError;
use crate::emulator::params::Params;

fn type_json(t: &TypeSpec) -> Value {
    json!({
        "InstanceTypeId": t.id,
        "InstanceTypeFamily": t.family,
        "CpuCoreCount": t.cpu,
        "MemorySize": t.memory_gib,
        "GPUAmount": 0,
        "GPUSpec": "",
        "InstanceFamilyLevel": "EnterpriseLevel",
        "CpuArchitecture": t.arch.api_name(),
        "EniQuantity": t.eni_quantity(),
        "InstanceBandwidthRx": t.bandwidth_kbps(),
        "InstanceBandwidthTx": t.bandwidth_kbps(),
        "LocalStorageCategory": "",
    })
}

pub fn describe_instance_types(_ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let wanted = params.list("InstanceTypes");
    if wanted.len() > 10 {
        return Err(ApiError::invalid("InstanceTypes"));
    }
    let family = params.get("InstanceTypeFamily");
    let arch = params.get("CpuArchitecture");
    let max = params.number::<usize>("MaxResults")?.unwrap_or(100);
    if max == 0 || max > 100 {
        return Err(ApiError::invalid("MaxResults"));
    }
    let skip = match params.get("NextToken") {
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::invalid_code("InvalidNextToken.Malformed", "NextToken"))?,
        None => 0,
    };
    let all: Vec<&TypeSpec> = catalog::types()
        .iter()
        .filter(|t| wanted.is_empty() || wanted.contains(&t.id))
        .filter(|t| family.is_none_or(|f| f == t.family))
        .filter(|t| arch.is_none_or(|a| a == t.arch.api_name()))
        .collect();
    let items: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(max)
        .map(|t| type_json(t))
        .collect();
    let next = if skip + max < all.len() {
        (skip + max).to_string()
    } else {
        String::new()
    };
    Ok(Answer::new(
        with(
            json!({"NextToken": next}),
            "InstanceTypes",
            wrap("InstanceType", items),
        ),
        None,
    ))
}

fn resource_not_found() -> ApiError {
    ApiError::new(
        404,
        "InvalidResourceId.NotFound",
        "The specified ResourceId is not found.",
    )
}

pub fn describe_resources_modification(
    ctx: &mut Ctx<'_>,
    params: &Params,
) -> Result<Answer, ApiError> {
    let id = params.required("ResourceId")?;
    let destination = params.required("DestinationResource")?;
    let direction = match params.get("OperationType").unwrap_or("Upgrade") {
        "Upgrade" => Direction::Upgrade,
        "Downgrade" => Direction::Downgrade,
        _ => return Err(ApiError::invalid("OperationType")),
    };
    let inst = ctx.store.instances.get(id).ok_or_else(resource_not_found)?;
    let resource = match destination {
        "InstanceType" => {
            let current = catalog::find(&inst.instance_type).ok_or_else(|| {
                ApiError::new(
                    400,
                    "InvalidInstanceType.ValueNotSupported",
                    "The specified InstanceType is not supported.",
                )
            })?;
            let target = params.get("InstanceType");
            let cores = params.number::<u32>("Cores")?;
            let memory = params.number::<f64>("Memory")?;
            let supported: Vec<Value> =
                catalog::resize_candidates(current, &inst.image_id, direction)
                    .into_iter()
                    .filter(|t| target.is_none_or(|x| x == t.id))
                    .filter(|t| cores.is_none_or(|c| c == t.cpu))
                    .filter(|t| memory.is_none_or(|m| m == t.memory_gib))
                    .map(|t| {
                        let stock = catalog::stock(&t.id, &inst.zone_id);
                        json!({
                            "Value": t.id,
                            "Status": stock.status(),
                            "StatusCategory": stock.category(),
                        })
                    })
                    .collect();
            ("InstanceType", supported)
        }
        "SystemDisk" => {
            let disks = ["cloud_essd", "cloud_ssd", "cloud_efficiency"]
                .iter()
                .map(|c| {
                    json!({
                        "Value": c, "Status": "Available", "StatusCategory": "WithStock",
                        "Min": 20, "Max": 2048, "Unit": "GiB",
                    })
                })
                .collect();
            ("SystemDisk", disks)
        }
        _ => return Err(ApiError::invalid("DestinationResource")),
    };
    let (kind, supported) = resource;
    let zones: Vec<Value> = if supported.is_empty() {
        vec![]
    } else {
        let any = supported.iter().any(|s| s["Status"] == "Available");
        let (status, category) = if any {
            ("Available", "WithStock")
        } else {
            ("SoldOut", "WithoutStock")
        };
        let resource = with(
            json!({"Type": kind}),
            "SupportedResources",
            wrap("SupportedResource", supported),
        );
        let zone = json!({
            "RegionId": ctx.config.region,
            "ZoneId": inst.zone_id,
            "Status": status,
            "StatusCategory": category,
        });
        vec![with(
            zone,
            "AvailableResources",
            wrap("AvailableResource", vec![resource]),
        )]
    };
    Ok(Answer::new(
        with(json!({}), "AvailableZones", wrap("AvailableZone", zones)),
        Some(id.to_string()),
    ))
}
