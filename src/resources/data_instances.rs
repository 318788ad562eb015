//! The `ecs_instances` data source: existing instances, found rather than
//! created, for modules that work on instances another configuration owns
//! (with `ecs_instance_spec`, say).
//!
//! Every filter ECS applies itself (`ids`, `status`, `instance_type`,
//! `vswitch_id`, `tags`) goes into the DescribeInstances request, so the
//! pages (100 instances each, the API's most) run over the filtered set:
//! ⌈n/100⌉ calls for n matches. Only `name_regex` is applied here, over
//! what ECS returned.
//!
//! A filter that cannot match anything (a regex that does not compile,
//! `status = "running"`, `instance_type = "g6.large"`) is refused at
//! validate time, before any call, with the accepted form.

use super::attrs;
use super::schema_builder::{computed, optional};
use super::{Context, DataSource};
use crate::ecs::{Instance, InstanceFilter};
use crate::protocol::{
    AttributePath, Block, Diagnostic, ReadDataSourceResponse, Schema, Type, Value,
};
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const TYPE_NAME: &str = "ecs_instances";

/// The API's instance statuses, as the `Status` filter takes them.
pub const STATUSES: [&str; 5] = ["Pending", "Starting", "Running", "Stopping", "Stopped"];

/// DescribeInstances takes at most 20 `Tag.N` pairs.
pub const MAX_TAGS: usize = 20;

pub struct Instances;

/// The attributes of each listed instance: (name, type, description).
fn fields() -> Vec<(&'static str, Type, &'static str)> {
    let s = || Type::String;
    let n = || Type::Number;
    vec![
        ("id", s(), "Instance ID."),
        ("name", s(), "Instance name."),
        ("description", s(), "Description."),
        ("instance_type", s(), "Instance type, e.g. ecs.g6.large."),
        (
            "status",
            s(),
            "Status as ECS reports it: Pending, Starting, Running, Stopping or Stopped.",
        ),
        ("image_id", s(), "Image."),
        ("zone_id", s(), "Zone."),
        ("vpc_id", s(), "VPC (null on the classic network)."),
        ("vswitch_id", s(), "VSwitch (null on the classic network)."),
        ("network_type", s(), "classic or vpc."),
        ("private_ip", s(), "Private IP address."),
        ("public_ip", s(), "Public IP address (or EIP), if any."),
        (
            "security_group_ids",
            Type::List(Box::new(s())),
            "Security groups, sorted.",
        ),
        ("cpu", n(), "vCPUs."),
        ("memory", n(), "Memory in MiB."),
        ("instance_charge_type", s(), "PostPaid or PrePaid."),
        (
            "expired_time",
            s(),
            "When a subscription (PrePaid) ends (UTC, minute precision); null for pay-as-you-go instances.",
        ),
        (
            "internet_charge_type",
            s(),
            "PayByTraffic or PayByBandwidth.",
        ),
        (
            "internet_max_bandwidth_out",
            n(),
            "Outbound public bandwidth in Mbit/s (null when ECS does not report it).",
        ),
        (
            "internet_max_bandwidth_in",
            n(),
            "Inbound public bandwidth in Mbit/s (null when ECS does not report it).",
        ),
        ("tags", Type::Map(Box::new(s())), "Tags."),
        (
            "creation_time",
            s(),
            "When the instance was created (UTC, minute precision).",
        ),
    ]
}

fn instance_object() -> Type {
    Type::Object(
        fields()
            .into_iter()
            .map(|(name, ty, _)| (name.to_string(), ty))
            .collect(),
    )
}

/// The filters of one read, as the configuration gives them.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub request: InstanceFilter,
    pub name_regex: Option<Regex>,
}

impl Filters {
    /// The filters of a validated configuration (a regex that does not
    /// compile was refused at validate time; here it is an error too).
    pub fn of(config: &Value) -> Result<Filters, Diagnostic> {
        let ids = match attrs::get(config, "ids") {
            Value::Set(v) | Value::List(v) => Some(
                v.iter()
                    .filter_map(|x| match x {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        };
        let tags = match attrs::get(config, "tags") {
            Value::Map(m) | Value::Object(m) => m
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        _ => String::new(),
                    };
                    (k.clone(), v)
                })
                .collect(),
            _ => Vec::new(),
        };
        let name_regex = match attrs::string(config, "name_regex") {
            Some(r) => Some(Regex::new(&r).map_err(|e| bad_regex(&r, &e))?),
            None => None,
        };
        Ok(Filters {
            request: InstanceFilter {
                ids,
                status: attrs::string(config, "status"),
                instance_type: attrs::string(config, "instance_type"),
                vswitch_id: attrs::string(config, "vswitch_id"),
                tags,
            },
            name_regex,
        })
    }

    /// The client-side part: `name_regex`.
    pub fn matches(&self, inst: &Instance) -> bool {
        self.name_regex
            .as_ref()
            .is_none_or(|r| r.is_match(&inst.instance_name))
    }
}

fn bad_regex(r: &str, e: &regex::Error) -> Diagnostic {
    Diagnostic::error(
        "Invalid Filter",
        format!("name_regex = \"{r}\" is not a regular expression (Rust regex syntax, like Go's RE2): {e}"),
    )
    .at(AttributePath::attr("name_regex"))
}

fn non_empty(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        attrs::str_value(s)
    }
}

fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, attrs::int_value)
}

/// One instance as an element of `instances`.
pub fn instance_value(i: &Instance) -> Value {
    let mut groups = i.security_group_ids.clone();
    groups.sort();
    let tags: BTreeMap<String, Value> = i
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), attrs::str_value(v)))
        .collect();
    attrs::object([
        ("id", attrs::str_value(&i.instance_id)),
        ("name", attrs::str_value(&i.instance_name)),
        ("description", attrs::str_value(&i.description)),
        ("instance_type", attrs::str_value(&i.instance_type)),
        ("status", attrs::str_value(&i.status)),
        ("image_id", attrs::str_value(&i.image_id)),
        ("zone_id", attrs::str_value(&i.zone_id)),
        ("vpc_id", non_empty(&i.vpc_id)),
        ("vswitch_id", non_empty(&i.vswitch_id)),
        (
            "network_type",
            non_empty(&i.instance_network_type.to_ascii_lowercase()),
        ),
        (
            "private_ip",
            i.private_ips.first().map_or(Value::Null, |s| non_empty(s)),
        ),
        (
            "public_ip",
            i.public_ips.first().map_or(Value::Null, |s| non_empty(s)),
        ),
        (
            "security_group_ids",
            Value::List(groups.into_iter().map(Value::String).collect()),
        ),
        ("cpu", opt_int(i.cpu)),
        ("memory", opt_int(i.memory_mib)),
        ("instance_charge_type", non_empty(&i.instance_charge_type)),
        (
            "expired_time",
            if i.instance_charge_type == "PrePaid" {
                non_empty(&i.expired_time)
            } else {
                Value::Null
            },
        ),
        ("internet_charge_type", non_empty(&i.internet_charge_type)),
        (
            "internet_max_bandwidth_out",
            opt_int(i.internet_max_bandwidth_out),
        ),
        (
            "internet_max_bandwidth_in",
            opt_int(i.internet_max_bandwidth_in),
        ),
        ("tags", Value::Map(tags)),
        ("creation_time", non_empty(&i.creation_time)),
    ])
}

/// The matching instances, oldest first (ties by id), as `instances`.
pub fn listing(found: &[Instance], filters: &Filters) -> Value {
    let mut found: Vec<&Instance> = found.iter().filter(|i| filters.matches(i)).collect();
    found.sort_by(|a, b| {
        (&a.creation_time, &a.instance_id).cmp(&(&b.creation_time, &b.instance_id))
    });
    found.dedup_by(|a, b| a.instance_id == b.instance_id);
    Value::List(found.into_iter().map(instance_value).collect())
}

/// `did you mean` for a status in the wrong case.
fn check_status(s: &str) -> Result<(), String> {
    if STATUSES.contains(&s) {
        return Ok(());
    }
    let hint = STATUSES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(s))
        .map(|k| format!(" Did you mean \"{k}\"?"))
        .unwrap_or_default();
    Err(hint)
}

/// `ecs.<family>.<size>`; the error is a suggestion ("" when none).
fn check_instance_type(t: &str) -> Result<(), String> {
    let ok_part =
        |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let parts: Vec<&str> = t.split('.').collect();
    match parts.as_slice() {
        ["ecs", rest @ ..] if rest.len() >= 2 && rest.iter().all(|p| ok_part(p)) => Ok(()),
        [first, ..] if *first != "ecs" && parts.len() >= 2 && parts.iter().all(|p| ok_part(p)) => {
            Err(format!(" Did you mean \"ecs.{t}\"?"))
        }
        _ => Err(String::new()),
    }
}

fn invalid(name: &str, detail: String) -> Diagnostic {
    Diagnostic::error("Invalid Filter", detail).at(AttributePath::attr(name))
}

/// Static checks: every known filter value must be one that can match.
pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if let Some(r) = attrs::string(config, "name_regex") {
        if let Err(e) = Regex::new(&r) {
            diags.push(bad_regex(&r, &e));
        }
    }
    if let Some(s) = attrs::string(config, "status") {
        if let Err(hint) = check_status(&s) {
            diags.push(invalid(
                "status",
                format!(
                    "status = \"{s}\" is not an instance status; use one of {} (ECS's spelling).{hint}",
                    STATUSES.map(|k| format!("\"{k}\"")).join(", ")
                ),
            ));
        }
    }
    if let Some(t) = attrs::string(config, "instance_type") {
        if let Err(hint) = check_instance_type(&t) {
            diags.push(invalid(
                "instance_type",
                format!("instance_type = \"{t}\" is not an instance type name: they look like \"ecs.g6.large\" (see the ecs_instance_types data source).{hint}"),
            ));
        }
    }
    if let Some(v) = attrs::string(config, "vswitch_id") {
        if !v.starts_with("vsw-") || v.len() <= 4 {
            diags.push(invalid(
                "vswitch_id",
                format!("vswitch_id = \"{v}\" is not a vSwitch ID: they look like \"vsw-bp1…\"."),
            ));
        }
    }
    if let Value::Set(ids) | Value::List(ids) = attrs::get(config, "ids") {
        for id in ids {
            if let Value::String(id) = id {
                if !id.starts_with("i-") || id.len() <= 2 {
                    diags.push(invalid(
                        "ids",
                        format!("ids holds \"{id}\", which is not an instance ID: they look like \"i-bp1…\"."),
                    ));
                }
            }
        }
    }
    if let Value::Map(tags) = attrs::get(config, "tags") {
        if tags.len() > MAX_TAGS {
            diags.push(invalid(
                "tags",
                format!(
                    "tags has {} entries; ECS filters by at most {MAX_TAGS} tags at once. Filter by fewer tags, and narrow further with name_regex or in Terraform.",
                    tags.len()
                ),
            ));
        }
        if tags.keys().any(|k| k.is_empty()) {
            diags.push(invalid(
                "tags",
                "tags has an empty key; every tag filter needs a key (an empty value matches any value).".into(),
            ));
        }
    }
    diags
}

#[async_trait::async_trait]
impl DataSource for Instances {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let instances = format!(
            "Matching instances, oldest first (ties by ID). Each holds: {}",
            fields()
                .iter()
                .map(|(n, _, d)| format!("{n}: {d}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        Schema {
            version: 0,
            block: Block {
                description: "Existing instances of the provider's region, filtered: for modules that find instances rather than create them (e.g. to adopt them with ecs_instance_spec). Every filter but name_regex is applied by ECS, so listing a few instances of a large account stays a few calls (one DescribeInstances per 100 matches).".into(),
                attributes: vec![
                    optional("ids", Type::Set(Box::new(Type::String)), "Only these instance IDs (i-…). An empty set matches nothing."),
                    optional("name_regex", Type::String, "Only instances whose name matches this regular expression (RE2-like syntax; unanchored: use ^…$ for a whole-name match). Applied by the provider, after ECS's filters."),
                    optional("tags", Type::Map(Box::new(Type::String)), "Only instances carrying every one of these tags (at most 20). An empty value matches any value of that key."),
                    optional("status", Type::String, "Only instances in this status: Pending, Starting, Running, Stopping or Stopped."),
                    optional("instance_type", Type::String, "Only instances of this type, e.g. ecs.g6.large."),
                    optional("vswitch_id", Type::String, "Only instances in this vSwitch (vsw-…)."),
                    computed("instances", Type::List(Box::new(instance_object())), &instances),
                ],
                block_types: vec![],
            },
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        validate(config)
    }

    async fn read(&self, ctx: Arc<Context>, config: Value) -> ReadDataSourceResponse {
        let filters = match Filters::of(&config) {
            Ok(f) => f,
            Err(d) => {
                return ReadDataSourceResponse {
                    state: Value::Null,
                    diagnostics: vec![d],
                }
            }
        };
        match ctx.client.list_instances(&filters.request).await {
            Ok(found) => {
                let mut state = config;
                attrs::set(&mut state, "instances", listing(&found, &filters));
                ReadDataSourceResponse {
                    state,
                    diagnostics: Vec::new(),
                }
            }
            Err(e) => ReadDataSourceResponse {
                state: Value::Null,
                diagnostics: vec![Diagnostic::error("Could Not List Instances", e.to_string())],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::instance::state::tests::sample_instance;

    fn config(pairs: &[(&str, Value)]) -> Value {
        attrs::config_of(&Instances.schema().block, pairs)
    }

    fn summaries(d: &[Diagnostic]) -> Vec<(Option<AttributePath>, String)> {
        d.iter()
            .map(|d| (d.attribute.clone(), d.detail.clone()))
            .collect()
    }

    #[test]
    fn filters_that_cannot_match_are_refused_at_validate() {
        let d = validate(&config(&[("name_regex", attrs::str_value("web-("))]));
        assert_eq!(d.len(), 1, "{:?}", summaries(&d));
        assert_eq!(d[0].attribute, Some(AttributePath::attr("name_regex")));
        let d = validate(&config(&[("status", attrs::str_value("running"))]));
        assert!(
            d[0].detail.contains("Did you mean \"Running\"?"),
            "{}",
            d[0].detail
        );
        let d = validate(&config(&[("status", attrs::str_value("Deleted"))]));
        assert!(d[0].detail.contains("\"Stopped\""), "{}", d[0].detail);
        let d = validate(&config(&[("instance_type", attrs::str_value("g6.large"))]));
        assert!(
            d[0].detail.contains("Did you mean \"ecs.g6.large\"?"),
            "{}",
            d[0].detail
        );
        let d = validate(&config(&[("instance_type", attrs::str_value("ecs.g6"))]));
        assert_eq!(d[0].attribute, Some(AttributePath::attr("instance_type")));
        let d = validate(&config(&[("vswitch_id", attrs::str_value("vpc-1"))]));
        assert_eq!(d[0].attribute, Some(AttributePath::attr("vswitch_id")));
        let d = validate(&config(&[(
            "ids",
            Value::Set(vec![attrs::str_value("i-1"), attrs::str_value("web")]),
        )]));
        assert_eq!(d.len(), 1);
        assert!(d[0].detail.contains("\"web\""), "{}", d[0].detail);
        let many: BTreeMap<String, Value> = (0..21)
            .map(|i| (format!("k{i}"), attrs::str_value("v")))
            .collect();
        let d = validate(&config(&[("tags", Value::Map(many))]));
        assert!(d[0].detail.contains("at most 20"), "{}", d[0].detail);
        let fine = config(&[
            ("name_regex", attrs::str_value("^web-[0-9]+$")),
            ("status", attrs::str_value("Running")),
            ("instance_type", attrs::str_value("ecs.g6.large")),
            ("vswitch_id", attrs::str_value("vsw-1")),
            ("ids", Value::Set(vec![attrs::str_value("i-1")])),
            (
                "tags",
                Value::Map(BTreeMap::from([("team".into(), attrs::str_value(""))])),
            ),
        ]);
        assert!(
            validate(&fine).is_empty(),
            "{:?}",
            summaries(&validate(&fine))
        );
        // Unknown values are checked once known.
        assert!(validate(&config(&[("status", Value::Unknown)])).is_empty());
    }

    #[test]
    fn every_server_side_filter_goes_into_the_request() {
        let f = Filters::of(&config(&[
            ("ids", Value::Set(vec![attrs::str_value("i-1")])),
            ("status", attrs::str_value("Running")),
            ("instance_type", attrs::str_value("ecs.g6.large")),
            ("vswitch_id", attrs::str_value("vsw-1")),
            (
                "tags",
                Value::Map(BTreeMap::from([("team".into(), attrs::str_value("a"))])),
            ),
            ("name_regex", attrs::str_value("^web")),
        ]))
        .unwrap();
        assert_eq!(
            f.request,
            InstanceFilter {
                ids: Some(vec!["i-1".into()]),
                status: Some("Running".into()),
                instance_type: Some("ecs.g6.large".into()),
                vswitch_id: Some("vsw-1".into()),
                tags: vec![("team".into(), "a".into())],
            }
        );
        let none = Filters::of(&config(&[])).unwrap();
        assert_eq!(none.request, InstanceFilter::default());
    }

    #[test]
    fn names_are_matched_here_and_the_list_is_oldest_first() {
        let mut a = sample_instance();
        a.instance_id = "i-a".into();
        a.instance_name = "web-1".into();
        a.creation_time = "2024-01-02T00:00Z".into();
        let mut b = sample_instance();
        b.instance_id = "i-b".into();
        b.instance_name = "db-1".into();
        let mut c = sample_instance();
        c.instance_id = "i-c".into();
        c.instance_name = "web-2".into();
        c.creation_time = "2024-01-01T00:00Z".into();
        c.tags = vec![("team".into(), "x".into())];
        let f = Filters::of(&config(&[("name_regex", attrs::str_value("^web-"))])).unwrap();
        let Value::List(items) = listing(&[a, b, c], &f) else {
            panic!()
        };
        let ids: Vec<String> = items
            .iter()
            .filter_map(|i| attrs::string(i, "id"))
            .collect();
        assert_eq!(ids, ["i-c", "i-a"]);
        assert_eq!(
            attrs::get(&items[0], "tags"),
            &Value::Map(BTreeMap::from([("team".into(), attrs::str_value("x"))]))
        );
        assert_eq!(attrs::int(&items[0], "memory"), Some(8192));
        assert_eq!(attrs::get(&items[0], "vswitch_id"), &Value::Null);
    }
}
