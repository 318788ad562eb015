//! DescribeInstances and DescribeInstanceStatus: filtering and paging over
//! the store, in creation order.

use serde_json::{json, Value};

use super::{Answer, Ctx};
use crate::emulator::error::ApiError;
use crate::emulator::instance::Instance;
use crate::emulator::params::Params;

/// A page of `total` items: (skip, take).
struct Page {
    skip: usize,
    take: usize,
}

fn page_number_size(params: &Params, max_size: usize) -> Result<(usize, usize), ApiError> {
    let number = params.number::<usize>("PageNumber")?.unwrap_or(1);
    if number == 0 {
        return Err(ApiError::invalid("PageNumber"));
    }
    let size = params.number::<usize>("PageSize")?.unwrap_or(10);
    if size == 0 || size > max_size {
        return Err(ApiError::invalid("PageSize"));
    }
    Ok((number, size))
}

/// Name filter: exact, or a prefix when it ends with `*`.
fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

fn matches(inst: &Instance, params: &Params, tags: &[(String, String)]) -> bool {
    let eq = |key: &str, value: &str| params.get(key).is_none_or(|v| v == value);
    eq("Status", inst.status.as_str())
        && eq("ZoneId", &inst.zone_id)
        && eq("VpcId", &inst.vpc_id)
        && eq("VSwitchId", &inst.vswitch_id)
        && eq("InstanceType", &inst.instance_type)
        && eq("InstanceTypeFamily", &inst.family)
        && eq("InstanceChargeType", &inst.instance_charge_type)
        && eq("InternetChargeType", &inst.internet_charge_type)
        && eq("InstanceNetworkType", &inst.network_type)
        && eq("ImageId", &inst.image_id)
        && params
            .get("InstanceName")
            .is_none_or(|p| name_matches(p, &inst.name))
        && tags.iter().all(|(k, v)| {
            inst.tags
                .iter()
                .any(|(tk, tv)| tk == k && (v.is_empty() || tv == v))
        })
}

fn id_filter(params: &Params) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = params.get("InstanceIds") else {
        return Ok(None);
    };
    let ids: Vec<String> = serde_json::from_str(raw)
        .map_err(|_| ApiError::invalid_code("InvalidInstanceIds.Malformed", "InstanceIds"))?;
    if ids.len() > 100 {
        return Err(ApiError::invalid_code(
            "InvalidInstanceIds.Malformed",
            "InstanceIds",
        ));
    }
    Ok(Some(ids))
}

pub fn describe_instances(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let ids = id_filter(params)?;
    let tags = params.pairs("Tag", "Key", "Value");
    let token_paging = params.get("MaxResults").is_some() || params.get("NextToken").is_some();
    let (page, number, size) = if token_paging {
        let max = params
            .number::<usize>("MaxResults")?
            .unwrap_or(10)
            .clamp(10, 100);
        let skip = match params.get("NextToken") {
            Some(t) => t
                .parse::<usize>()
                .map_err(|_| ApiError::invalid_code("InvalidNextToken.Malformed", "NextToken"))?,
            None => 0,
        };
        (Page { skip, take: max }, 1, max)
    } else {
        let (number, size) = page_number_size(params, 100)?;
        (
            Page {
                skip: (number - 1) * size,
                take: size,
            },
            number,
            size,
        )
    };
    let selected: Vec<&Instance> = ctx
        .store
        .ordered()
        .into_iter()
        .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.id)))
        .filter(|i| matches(i, params, &tags))
        .collect();
    let total = selected.len();
    let region = &ctx.config.region;
    let items: Vec<Value> = selected
        .iter()
        .skip(page.skip)
        .take(page.take)
        .map(|i| i.to_wire(region))
        .collect();
    let next = if token_paging && page.skip + page.take < total {
        (page.skip + page.take).to_string()
    } else {
        String::new()
    };
    Ok(Answer::new(
        json!({
            "TotalCount": total,
            "PageNumber": number,
            "PageSize": size,
            "NextToken": next,
            "Instances": {"Instance": items},
        }),
        None,
    ))
}

pub fn describe_instance_status(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    let ids = params.list("InstanceId");
    if ids.len() > 100 {
        return Err(ApiError::invalid("InstanceId"));
    }
    let (number, size) = page_number_size(params, 50)?;
    let zone = params.get("ZoneId");
    let selected: Vec<&Instance> = ctx
        .store
        .ordered()
        .into_iter()
        .filter(|i| ids.is_empty() || ids.contains(&i.id))
        .filter(|i| zone.is_none_or(|z| z == i.zone_id))
        .collect();
    let items: Vec<Value> = selected
        .iter()
        .skip((number - 1) * size)
        .take(size)
        .map(|i| json!({"InstanceId": i.id, "Status": i.status.as_str()}))
        .collect();
    Ok(Answer::new(
        json!({
            "TotalCount": selected.len(),
            "PageNumber": number,
            "PageSize": size,
            "InstanceStatuses": {"InstanceStatus": items},
        }),
        None,
    ))
}
