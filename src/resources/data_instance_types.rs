//! The `ecs_instance_types` data source: the instance types of the region,
//! filtered by family, vCPUs, memory and CPU architecture.
//!
//! Only the family is a server-side filter of DescribeInstanceTypes; the
//! others are applied here, over every page the client fetched.

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
        ("memory".to_string(), Type::Number),
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
            memory_gib: attrs::float(config, "memory"),
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
                    ("memory", t.memory_gib.map_or(Value::Null, number)),
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
                    optional("family", Type::String, "Type family, e.g. ecs.g6."),
                    optional("cpu", Type::Number, "Exact number of vCPUs."),
                    optional("memory", Type::Number, "Exact memory in GiB."),
                    optional("architecture", Type::String, "CPU architecture as ECS names it: X86 or ARM (case-insensitive)."),
                    computed("instance_types", Type::List(Box::new(type_object())), "Matching types, smallest first: id, family, cpu (vCPUs), memory (GiB), architecture."),
                ],
                block_types: vec![],
            },
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        for name in ["cpu", "memory"] {
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
        assert_eq!(attrs::float(&items[0], "memory"), Some(0.5));
        assert_eq!(attrs::int(&items[0], "cpu"), Some(1));
    }
}
