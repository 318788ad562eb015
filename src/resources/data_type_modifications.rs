//! The `ecs_instance_type_modifications` data source: the types an existing
//! instance can change to (DescribeResourcesModification), with their stock,
//! so a configuration can pick a resize target that will work.

use super::attrs;
use super::schema_builder::{computed, optional, required};
use super::{Context, DataSource};
use crate::ecs::AvailableType;
use crate::protocol::{
    AttributePath, Block, Diagnostic, ReadDataSourceResponse, Schema, Type, Value,
};
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct TypeModifications;

const OPERATIONS: [&str; 2] = ["Upgrade", "Downgrade"];

fn entry_type() -> Type {
    Type::Object(BTreeMap::from([
        ("instance_type".to_string(), Type::String),
        ("status".to_string(), Type::String),
        ("status_category".to_string(), Type::String),
    ]))
}

/// The `instance_types` value: in the API's order, duplicates dropped.
pub fn listing(types: &[AvailableType]) -> Value {
    let mut seen = Vec::new();
    let mut items = Vec::new();
    for t in types {
        if seen.contains(&t.instance_type) {
            continue;
        }
        seen.push(t.instance_type.clone());
        items.push(attrs::object([
            ("instance_type", attrs::str_value(&t.instance_type)),
            ("status", attrs::str_value(&t.status)),
            ("status_category", attrs::str_value(&t.status_category)),
        ]));
    }
    Value::List(items)
}

#[async_trait::async_trait]
impl DataSource for TypeModifications {
    fn type_name(&self) -> &'static str {
        "ecs_instance_type_modifications"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block {
                description: "Instance types an existing instance can change to, with their stock.".into(),
                attributes: vec![
                    required("instance_id", Type::String, "The instance, e.g. i-bp1…"),
                    optional("operation_type", Type::String, "Upgrade (default) or Downgrade."),
                    computed("instance_types", Type::List(Box::new(entry_type())), "Candidate types: instance_type, status (Available or SoldOut), status_category (WithStock, ClosedWithStock, WithoutStock)."),
                ],
                block_types: vec![],
            },
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        match attrs::string(config, "operation_type") {
            Some(op) if !OPERATIONS.contains(&op.as_str()) => vec![Diagnostic::error(
                "Invalid Value",
                format!("operation_type = \"{op}\" is not \"Upgrade\" or \"Downgrade\"."),
            )
            .at(AttributePath::attr("operation_type"))],
            _ => Vec::new(),
        }
    }

    async fn read(&self, ctx: Arc<Context>, config: Value) -> ReadDataSourceResponse {
        let id = attrs::string(&config, "instance_id").unwrap_or_default();
        let op = attrs::string(&config, "operation_type").unwrap_or_else(|| "Upgrade".into());
        match ctx.client.describe_resources_modification(&id, &op).await {
            Ok(types) => {
                let mut state = config;
                attrs::set(&mut state, "instance_types", listing(&types));
                ReadDataSourceResponse {
                    state,
                    diagnostics: Vec::new(),
                }
            }
            Err(e) => ReadDataSourceResponse {
                state: Value::Null,
                diagnostics: vec![Diagnostic::error(
                    "Could Not List Type Modifications",
                    format!("{id}: {e}"),
                )
                .at(AttributePath::attr("instance_id"))],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_keeps_order_and_stock_and_drops_duplicates() {
        let a = |t: &str, s: &str| AvailableType {
            instance_type: t.into(),
            status: s.into(),
            status_category: if s == "Available" {
                "WithStock"
            } else {
                "WithoutStock"
            }
            .into(),
        };
        let v = listing(&[
            a("ecs.g6.xlarge", "Available"),
            a("ecs.g6.8xlarge", "SoldOut"),
            a("ecs.g6.xlarge", "Available"),
        ]);
        let Value::List(items) = v else { panic!() };
        assert_eq!(items.len(), 2);
        assert_eq!(
            attrs::string(&items[1], "instance_type").unwrap(),
            "ecs.g6.8xlarge"
        );
        assert_eq!(attrs::string(&items[1], "status").unwrap(), "SoldOut");
        assert_eq!(
            attrs::string(&items[1], "status_category").unwrap(),
            "WithoutStock"
        );
    }

    #[test]
    fn operation_type_is_validated_at_its_attribute() {
        let cfg = attrs::object([("operation_type", attrs::str_value("Sideways"))]);
        let d = TypeModifications.validate(&cfg);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].attribute, Some(AttributePath::attr("operation_type")));
        let ok = attrs::object([("operation_type", attrs::str_value("Downgrade"))]);
        assert!(TypeModifications.validate(&ok).is_empty());
    }
}
