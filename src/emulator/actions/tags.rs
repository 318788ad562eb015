//! TagResources, UntagResources and ListTagResources, for instances
//! (`ResourceType=instance`; the other resource types ECS tags are not
//! modelled and answer `InvalidResourceType.NotFound`).
//!
//! Limits as the API reference states them: `ResourceId.N` 1–50,
//! `Tag.N` / `TagKey.N` 1–20, keys 1–128 characters not starting with
//! `aliyun` or `acs:`, values up to 128 characters not starting with `acs:`,
//! neither containing `http://` or `https://`; at most 20 tags per instance.
//! A call is all or nothing: every id and tag is checked before any change.

use serde_json::{json, Value};

use super::{dry_run, wrap, Answer, Ctx};
use crate::emulator::error::ApiError;
use crate::emulator::params::Params;
use crate::emulator::store::Store;

const MAX_RESOURCES: usize = 50;
const MAX_TAGS_PER_CALL: usize = 20;
const MAX_TAGS_PER_INSTANCE: usize = 20;
const MAX_LEN: usize = 128;

fn resource_type(params: &Params) -> Result<(), ApiError> {
    match params.required("ResourceType")? {
        t if t.eq_ignore_ascii_case("instance") => Ok(()),
        _ => Err(ApiError::new(
            404,
            "InvalidResourceType.NotFound",
            "The specified ResourceType does not exist.",
        )),
    }
}

/// `ResourceId.N`: 1 to 50 instances that exist.
fn resource_ids(store: &Store, params: &Params, required: bool) -> Result<Vec<String>, ApiError> {
    let ids = params.list("ResourceId");
    if ids.is_empty() && required {
        return Err(ApiError::missing("ResourceId.1"));
    }
    if ids.len() > MAX_RESOURCES {
        return Err(ApiError::invalid("ResourceId.N"));
    }
    for id in &ids {
        if !store.instances.contains_key(id) {
            return Err(ApiError::new(
                404,
                "InvalidResourceId.NotFound",
                "The specified ResourceIds are not found in our records.",
            ));
        }
    }
    Ok(ids)
}

fn has_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.contains("http://") || lower.contains("https://")
}

pub(super) fn check_key(key: &str) -> Result<(), ApiError> {
    let lower = key.to_ascii_lowercase();
    if key.is_empty()
        || key.chars().count() > MAX_LEN
        || lower.starts_with("aliyun")
        || lower.starts_with("acs:")
        || has_url(key)
    {
        return Err(ApiError::invalid_code(
            "InvalidTagKey.Malformed",
            "Tag.N.Key",
        ));
    }
    Ok(())
}

pub(super) fn check_value(value: &str) -> Result<(), ApiError> {
    if value.chars().count() > MAX_LEN
        || value.to_ascii_lowercase().starts_with("acs:")
        || has_url(value)
    {
        return Err(ApiError::invalid_code(
            "InvalidTagValue.Malformed",
            "Tag.N.Value",
        ));
    }
    Ok(())
}

pub(super) fn too_many_tags() -> ApiError {
    ApiError::new(
        400,
        "InvalidTagCount",
        "The specified tags are beyond the permitted range.",
    )
}

/// The journal names the instance when the call is about one.
fn journal_id(ids: &[String]) -> Option<String> {
    (ids.len() == 1).then(|| ids[0].clone())
}

pub fn tag_resources(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    resource_type(params)?;
    let ids = resource_ids(ctx.store, params, true)?;
    let tags = params.pairs("Tag", "Key", "Value");
    if tags.is_empty() {
        return Err(ApiError::missing("Tag.1.Key"));
    }
    if tags.len() > MAX_TAGS_PER_CALL {
        return Err(too_many_tags());
    }
    for (k, v) in &tags {
        check_key(k)?;
        check_value(v)?;
    }
    for id in &ids {
        let inst = &ctx.store.instances[id];
        let new_keys = tags
            .iter()
            .filter(|(k, _)| !inst.tags.iter().any(|(have, _)| have == k))
            .count();
        if inst.tags.len() + new_keys > MAX_TAGS_PER_INSTANCE {
            return Err(too_many_tags());
        }
    }
    dry_run(params)?;
    for id in &ids {
        let inst = ctx.store.get_mut(id)?;
        for (k, v) in &tags {
            match inst.tags.iter_mut().find(|(have, _)| have == k) {
                Some(entry) => entry.1 = v.clone(),
                None => inst.tags.push((k.clone(), v.clone())),
            }
        }
    }
    Ok(Answer::new(json!({}), journal_id(&ids)))
}

pub fn untag_resources(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    resource_type(params)?;
    let ids = resource_ids(ctx.store, params, true)?;
    let keys = params.list("TagKey");
    if keys.len() > MAX_TAGS_PER_CALL {
        return Err(too_many_tags());
    }
    for k in &keys {
        check_key(k)?;
    }
    let all = params.boolean("All")?.unwrap_or(false);
    dry_run(params)?;
    for id in &ids {
        let inst = ctx.store.get_mut(id)?;
        if keys.is_empty() {
            if all {
                inst.tags.clear();
            }
        } else {
            inst.tags.retain(|(k, _)| !keys.contains(k));
        }
    }
    Ok(Answer::new(json!({}), journal_id(&ids)))
}

pub fn list_tag_resources(ctx: &mut Ctx<'_>, params: &Params) -> Result<Answer, ApiError> {
    resource_type(params)?;
    let ids = resource_ids(ctx.store, params, false)?;
    let filter = params.pairs("Tag", "Key", "Value");
    if filter.len() > MAX_TAGS_PER_CALL {
        return Err(too_many_tags());
    }
    if ids.is_empty() && filter.is_empty() {
        return Err(ApiError::missing("ResourceId.1"));
    }
    let skip = match params.get("NextToken") {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::invalid("NextToken"))?,
    };
    let mut rows: Vec<Value> = Vec::new();
    for inst in ctx.store.ordered() {
        if !ids.is_empty() && !ids.contains(&inst.id) {
            continue;
        }
        for (k, v) in &inst.tags {
            let wanted = filter.is_empty()
                || filter
                    .iter()
                    .any(|(fk, fv)| fk == k && (fv.is_empty() || fv == v));
            if wanted {
                rows.push(json!({
                    "ResourceType": "instance",
                    "ResourceId": inst.id,
                    "TagKey": k,
                    "TagValue": v,
                }));
            }
        }
    }
    let page: Vec<Value> = rows
        .iter()
        .skip(skip)
        .take(MAX_RESOURCES)
        .cloned()
        .collect();
    let next = if skip + page.len() < rows.len() {
        (skip + page.len()).to_string()
    } else {
        String::new()
    };
    Ok(Answer::new(
        json!({"NextToken": next, "TagResources": wrap("TagResource", page)}),
        None,
    ))
}
