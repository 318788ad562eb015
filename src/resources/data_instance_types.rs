//! The `ecs_instance_types` data source: the instance types of the region,
//! filtered by family, vCPUs, memory and CPU architecture.
//!
//! Only the family is a server-side filter of DescribeInstanceTypes; the
//! others are applied here, over every page the client fetched.
//!
//! A filter that cannot match anything (`architecture = "arm64"`,
//! `family = "g6"`) is refused at validate time with the accepted forms,
//! instead of silently returning `[]`. Memory is in GiB, as ECS sells it,
//! and named `memory_gib` so that it is not read as the resource's
//! `memory` (MiB).

use super::attrs;
use super::schema_builder::{computed, optional};
use super::{Context, DataSource};
use crate::ecs::{InstanceType, InstanceTypeFilter};
use crate::protocol::{
    AttributePath, Block, Diagnostic, ReadDataSourceResponse, Schema, Type, Value,
};
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct InstanceTypes;

fn type_object() -> Type {
    Type::Object(BTreeMap::from([
        ("id".to_string(), Type::String),
        ("family".to_string(), Type::String),
        ("cpu".to_string(), Type::Number),
        ("memory_gib".to_string(), Type::Number),
        ("architecture".to_string(), Type::String),
    ]))
}

/// The filters of one read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub family: Option<String>,
    pub cpu: Option<i64>,
    pub memory_gib: Option<f64>,
    pub architecture: Option<String>,
}

impl Filters {
    pub fn of(config: &Value) -> Filters {
        Filters {
            family: attrs::string(config, "family"),
            cpu: attrs::int(config, "cpu"),
            memory_gib: attrs::float(config, "memory_gib"),
            architecture: attrs::string(config, "architecture"),
        }
    }

    pub fn matches(&self, t: &InstanceType) -> bool {
        self.family.as_ref().is_none_or(|f| *f == t.family)
            && self.cpu.is_none_or(|c| t.cpu_core_count == Some(c))
            && self
                .memory_gib
                .is_none_or(|m| t.memory_gib.is_some_and(|g| (m - g).abs() < 1e-9))
            && self
                .architecture
                .as_ref()
                .is_none_or(|a| a.eq_ignore_ascii_case(&t.cpu_architecture))
    }
}

/// The matching types, smallest first, as the `instance_types` value.
pub fn listing(types: &[InstanceType], filters: &Filters) -> Value {
    let mut found: Vec<&InstanceType> = types.iter().filter(|t| filters.matches(t)).collect();
    found.sort_by(|a, b| {
        (a.cpu_core_count, a.memory_gib, &a.instance_type_id)
            .partial_cmp(&(b.cpu_core_count, b.memory_gib, &b.instance_type_id))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Value::List(
        found
            .into_iter()
            .map(|t| {
                attrs::object([
                    ("id", attrs::str_value(&t.instance_type_id)),
                    ("family", attrs::str_value(&t.family)),
                    (
                        "cpu",
                        t.cpu_core_count.map_or(Value::Null, attrs::int_value),
                    ),
                    ("memory_gib", t.memory_gib.map_or(Value::Null, number)),
                    ("architecture", attrs::str_value(&t.cpu_architecture)),
                ])
            })
            .collect(),
    )
}

fn number(v: f64) -> Value {
    use crate::protocol::Number;
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::Number(Number::Int(v as i64))
    } else {
        Value::Number(Number::Float(v))
    }
}

#[async_trait::async_trait]
impl DataSource for InstanceTypes {
    fn type_name(&self) -> &'static str {
        "ecs_instance_types"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block {
                description: "Instance types of the provider's region, optionally filtered.".into(),
                attributes: vec![
                    optional("family", Type::String, "Type family: the type name without its size, with the ecs. prefix, e.g. \"ecs.g6\" for ecs.g6.large."),
                    optional("cpu", Type::Number, "Exact number of vCPUs."),
                    optional("memory_gib", Type::Number, "Exact memory in GiB (the resource's memory attribute is in MiB)."),
                    optional("architecture", Type::String, "CPU architecture as ECS names it: \"X86\" or \"ARM\" (case-insensitive)."),
                    computed("instance_types", Type::List(Box::new(type_object())), "Matching types, smallest first: id, family, cpu (vCPUs), memory_gib, architecture."),
                ],
                block_types: vec![],
            },
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        if let Some(a) = attrs::string(config, "architecture") {
            if !ARCHITECTURES.iter().any(|k| k.eq_ignore_ascii_case(&a)) {
                diags.push(
                    Diagnostic::error(
                        "Invalid Filter",
                        format!("architecture = \"{a}\" is not a CPU architecture as ECS names it; use one of {} (case-insensitive): x86_64/amd64 is \"X86\", arm64/aarch64 is \"ARM\".", ARCHITECTURES.map(|k| format!("\"{k}\"")).join(", ")),
                    )
                    .at(AttributePath::attr("architecture")),
                );
            }
        }
        if let Some(f) = attrs::string(config, "family") {
            if let Err(hint) = check_family(&f) {
                diags.push(
                    Diagnostic::error(
                        "Invalid Filter",
                        format!("family = \"{f}\" is not a family name: families are the type name without its size, with the ecs. prefix, e.g. \"ecs.g6\" for ecs.g6.large.{hint}"),
                    )
                    .at(AttributePath::attr("family")),
                );
            }
        }
        for name in ["cpu", "memory_gib"] {
            if let Some(v) = attrs::float(config, name) {
                if v <= 0.0 {
                    diags.push(
                        Diagnostic::error(
                            "Invalid Filter",
                            format!("{name} = {v} matches no instance type; use a positive number or leave it unset."),
                        )
                        .at(AttributePath::attr(name)),
                    );
                }
            }
        }
        diags
    }

    async fn read(&self, ctx: Arc<Context>, config: Value) -> ReadDataSourceResponse {
        let filters = Filters::of(&config);
        let request = InstanceTypeFilter {
            family: filters.family.clone(),
            instance_type_ids: Vec::new(),
        };
        match ctx.client.describe_instance_types(&request).await {
            Ok(types) => {
                let mut state = config;
                attrs::set(&mut state, "instance_types", listing(&types, &filters));
                ReadDataSourceResponse {
                    state,
                    diagnostics: Vec::new(),
                }
            }
            Err(e) => ReadDataSourceResponse {
                state: Value::Null,
                diagnostics: vec![Diagnostic::error(
                    "Could Not List Instance Types",
                    e.to_string(),
                )],
            },
        }
    }
}

/// `CpuArchitecture` values of DescribeInstanceTypes.
pub const ARCHITECTURES: [&str; 2] = ["X86", "ARM"];

/// `ecs.<family>`; the error is a suggestion to append ("" when none).
fn check_family(f: &str) -> Result<(), String> {
    let parts: Vec<&str> = f.split('.').collect();
    let ok_part =
        |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    match parts.as_slice() {
        ["ecs", family] if ok_part(family) => Ok(()),
        ["ecs", family, size] if ok_part(family) && ok_part(size) => {
            Err(format!(" Did you mean \"ecs.{family}\"?"))
        }
        [family] if ok_part(family) => Err(format!(" Did you mean \"ecs.{family}\"?")),
        _ => Err(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str, cpu: i64, mem: f64, arch: &str) -> InstanceType {
        InstanceType {
            instance_type_id: id.into(),
            family: id.rsplit_once('.').unwrap().0.into(),
            cpu_core_count: Some(cpu),
            memory_gib: Some(mem),
            cpu_architecture: arch.into(),
        }
    }

    fn ids(v: &Value) -> Vec<String> {
        match v {
            Value::List(items) => items
                .iter()
                .filter_map(|i| attrs::string(i, "id"))
                .collect(),
            _ => panic!("not a list: {v:?}"),
        }
    }

    #[test]
    fn filters_combine_and_results_are_smallest_first() {
        let all = [
            t("ecs.g6.xlarge", 4, 16.0, "X86"),
            t("ecs.g6.large", 2, 8.0, "X86"),
            t("ecs.c6.large", 2, 4.0, "X86"),
            t("ecs.g8y.large", 2, 8.0, "ARM"),
        ];
        assert_eq!(
            ids(&listing(&all, &Filters::default())),
            [
                "ecs.c6.large",
                "ecs.g6.large",
                "ecs.g8y.large",
                "ecs.g6.xlarge"
            ]
        );
        let two_cpu_8g = Filters {
            cpu: Some(2),
            memory_gib: Some(8.0),
            ..Filters::default()
        };
        assert_eq!(
            ids(&listing(&all, &two_cpu_8g)),
            ["ecs.g6.large", "ecs.g8y.large"]
        );
        let arm = Filters {
            architecture: Some("arm".into()),
            ..Filters::default()
        };
        assert_eq!(ids(&listing(&all, &arm)), ["ecs.g8y.large"]);
        let family = Filters {
            family: Some("ecs.g6".into()),
            ..Filters::default()
        };
        assert_eq!(
            ids(&listing(&all, &family)),
            ["ecs.g6.large", "ecs.g6.xlarge"]
        );
    }

    #[test]
    fn fractional_memory_stays_a_float() {
        let v = listing(&[t("ecs.t5.nano", 1, 0.5, "X86")], &Filters::default());
        let Value::List(items) = v else { panic!() };
        assert_eq!(attrs::float(&items[0], "memory_gib"), Some(0.5));
        assert_eq!(attrs::int(&items[0], "cpu"), Some(1));
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        attrs::config_of(&InstanceTypes.schema().block, pairs)
    }

    #[test]
    fn filters_that_cannot_match_are_refused_with_the_accepted_values() {
        let d = InstanceTypes.validate(&config(&[("architecture", attrs::str_value("arm64"))]));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].attribute, Some(AttributePath::attr("architecture")));
        assert!(d[0].detail.contains("\"X86\", \"ARM\""), "{}", d[0].detail);
        let d = InstanceTypes.validate(&config(&[("family", attrs::str_value("g6"))]));
        assert_eq!(d.len(), 1);
        assert!(
            d[0].detail.contains("Did you mean \"ecs.g6\"?"),
            "{}",
            d[0].detail
        );
        let d = InstanceTypes.validate(&config(&[("family", attrs::str_value("ecs.g6.large"))]));
        assert!(
            d[0].detail.contains("Did you mean \"ecs.g6\"?"),
            "{}",
            d[0].detail
        );
        let fine = config(&[
            ("family", attrs::str_value("ecs.g6")),
            ("architecture", attrs::str_value("x86")),
            ("memory_gib", attrs::int_value(8)),
        ]);
        assert!(InstanceTypes.validate(&fine).is_empty());
    }
}
