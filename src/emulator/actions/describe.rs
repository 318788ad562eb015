//! DescribeInstances and DescribeInstanceStatus: filtering and paging over
//! the store, in creation order.

use serde_json::{json, Value};

use super::{with, wrap, Answer, Ctx};
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

/// Reads one filterable field of an instance.
type Field = fn(&Instance) -> &str;

/// DescribeInstances filters, read once per request (not once per instance).
struct Filters<'a> {
    exact: Vec<(&'a str, Field)>,
    name: Option<&'a str>,
    tags: Vec<(String, String)>,
}

impl<'a> Filters<'a> {
    fn new(params: &'a Params) -> Self {
        let fields: [(&str, Field); 10] = [
            ("Status", |i| i.status.as_str()),
            ("ZoneId", |i| &i.zone_id),
            ("VpcId", |i| &i.vpc_id),
            ("VSwitchId", |i| &i.vswitch_id),
            ("InstanceType", |i| &i.instance_type),
            ("InstanceTypeFamily", |i| &i.family),
            ("InstanceChargeType", |i| &i.instance_charge_type),
            ("InternetChargeType", |i| &i.internet_charge_type),
            ("InstanceNetworkType", |i| &i.network_type),
            ("ImageId", |i| &i.image_id),
        ];
        Filters {
            exact: fields
                .into_iter()
                .filter_map(|(key, field)| Some((params.get(key)?, field)))
                .collect(),
            name: params.get("InstanceName"),
            tags: params.pairs("Tag", "Key", "Value"),
        }
    }

    fn matches(&self, inst: &Instance) -> bool {
        self.exact.iter().all(|(want, field)| field(inst) == *want)
            && self.name.is_none_or(|p| name_matches(p, &inst.name))
            && self.tags.iter().all(|(k, v)| {
                inst.tags
                    .iter()
                    .any(|(tk, tv)| tk == k && (v.is_empty() || tv == v))
            })
    }
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
    let filters = Filters::new(params);
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
        .filter(|i| filters.matches(i))
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
    let fields = json!({
        "TotalCount": total,
        "PageNumber": number,
        "PageSize": size,
        "NextToken": next,
    });
    Ok(Answer::new(
        with(fields, "Instances", wrap("Instance", items)),
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
    let fields = json!({
        "TotalCount": selected.len(),
        "PageNumber": number,
        "PageSize": size,
    });
    Ok(Answer::new(
        with(fields, "InstanceStatuses", wrap("InstanceStatus", items)),
        None,
    ))
}

/// DescribeRegions: the one region this emulator serves. Takes no
/// `RegionId` (a client with a wrong region uses it to learn the right one).
pub fn describe_regions(ctx: &mut Ctx<'_>, _params: &Params) -> Result<Answer, ApiError> {
    let region = &ctx.config.region;
    let item = json!({
        "RegionId": region,
        "LocalName": region,
        "RegionEndpoint": "ecs.aliyuncs.com",
        "Status": "available",
    });
    Ok(Answer::new(
        with(json!({}), "Regions", wrap("Region", vec![item])),
        None,
    ))
}
