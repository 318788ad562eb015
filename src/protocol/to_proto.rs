//! Plain types → wire messages: diagnostics, attribute paths, schemas and
//! values on their way to Terraform. One function per message.

use super::diag::{AttributePath, Diagnostic, PathStep, Severity};
use super::proto::tfplugin5 as pb;
use super::schema::{Attribute, Block, NestedBlock, Nesting, ProviderSchema, Schema};
use super::value::{Type, Value};
use pb::attribute_path::step::Selector;
use pb::schema::nested_block::NestingMode;

pub(crate) fn diagnostic(diag: &Diagnostic) -> pb::Diagnostic {
    let severity = match diag.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity.into(),
        summary: diag.summary.clone(),
        detail: diag.detail.clone(),
        attribute: diag.attribute.as_ref().map(attribute_path),
    }
}

pub(crate) fn diagnostics(diags: &[Diagnostic]) -> Vec<pb::Diagnostic> {
    diags.iter().map(diagnostic).collect()
}

pub(crate) fn attribute_path(path: &AttributePath) -> pb::AttributePath {
    let steps = path
        .0
        .iter()
        .map(|step| pb::attribute_path::Step {
            selector: Some(match step {
                PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
            }),
        })
        .collect();
    pb::AttributePath { steps }
}

pub(crate) fn schema(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block(&schema.block, schema.version)),
    }
}

fn block(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute).collect(),
        block_types: block.block_types.iter().map(nested_block).collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Plain.into(),
        deprecated: false,
        deprecation_message: String::new(),
    }
}

fn attribute(attr: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attr.name.clone(),
        r#type: attr.ty.to_json_bytes(),
        description: attr.description.clone(),
        required: attr.required,
        optional: attr.optional,
        computed: attr.computed,
        sensitive: attr.sensitive,
        description_kind: pb::StringKind::Plain.into(),
        deprecated: false,
        write_only: false,
        deprecation_message: String::new(),
    }
}

fn nested_block(nested: &NestedBlock) -> pb::schema::NestedBlock {
    let nesting = match nested.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
        Nesting::Group => NestingMode::Group,
    };
    pb::schema::NestedBlock {
        type_name: nested.type_name.clone(),
        block: Some(block(&nested.block, 0)),
        nesting: nesting.into(),
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

/// What this server supports beyond protocol 5.2: nothing optional. No
/// destroy plans (Terraform ≥1.3 would otherwise call PlanResourceChange for
/// deletes), and the schema must be fetched from every process.
pub(crate) fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

pub(crate) fn provider_schema(schemas: &ProviderSchema) -> pb::get_provider_schema::Response {
    let map = |m: &std::collections::BTreeMap<String, Schema>| {
        m.iter()
            .map(|(name, s)| (name.clone(), schema(s)))
            .collect()
    };
    pb::get_provider_schema::Response {
        provider: Some(schema(&schemas.provider)),
        resource_schemas: map(&schemas.resources),
        data_source_schemas: map(&schemas.data_sources),
        server_capabilities: Some(server_capabilities()),
        ..Default::default()
    }
}

pub(crate) fn metadata(schemas: &ProviderSchema) -> pb::get_metadata::Response {
    pb::get_metadata::Response {
        server_capabilities: Some(server_capabilities()),
        resources: schemas
            .resources
            .keys()
            .map(|name| pb::get_metadata::ResourceMetadata {
                type_name: name.clone(),
            })
            .collect(),
        data_sources: schemas
            .data_sources
            .keys()
            .map(|name| pb::get_metadata::DataSourceMetadata {
                type_name: name.clone(),
            })
            .collect(),
        ..Default::default()
    }
}

/// Encodes a value the provider produced. A mismatch with the schema is a
/// provider bug, reported as an error diagnostic rather than sent on.
pub(crate) fn dynamic_value(
    value: &Value,
    ty: &Type,
    what: &str,
) -> Result<pb::DynamicValue, Diagnostic> {
    let msgpack = value.to_msgpack(ty).map_err(|err| {
        err.to_diagnostic(
            "Provider Produced an Invalid Value",
            &format!(
                "The provider's {what} does not match its own schema, so Terraform \
                 cannot use it. This is a bug in the provider; please report it. Problem: "
            ),
        )
    })?;
    Ok(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_carries_severity_and_path() {
        let diag = Diagnostic::warning("Sum", "Det").at(AttributePath::attr("a").index(2).key("k"));
        let wire = diagnostic(&diag);
        assert_eq!(wire.severity, pb::diagnostic::Severity::Warning as i32);
        assert_eq!(
            (wire.summary.as_str(), wire.detail.as_str()),
            ("Sum", "Det")
        );
        let steps: Vec<_> = wire
            .attribute
            .unwrap()
            .steps
            .into_iter()
            .map(|s| s.selector.unwrap())
            .collect();
        assert_eq!(
            steps,
            vec![
                Selector::AttributeName("a".into()),
                Selector::ElementKeyInt(2),
                Selector::ElementKeyString("k".into()),
            ]
        );
        assert_eq!(
            diagnostic(&Diagnostic::error("x", "y")).severity,
            pb::diagnostic::Severity::Error as i32
        );
    }

    #[test]
    fn schema_attributes_carry_type_json_and_flags() {
        let s = Schema::new(
            3,
            Block::new()
                .attribute(Attribute::required("name", Type::list(Type::String)).sensitive())
                .nested(NestedBlock::new("disk", Nesting::Set, Block::new()).items(1, 4)),
        );
        let wire = schema(&s);
        assert_eq!(wire.version, 3);
        let block = wire.block.unwrap();
        assert_eq!(block.version, 3);
        assert_eq!(block.attributes[0].r#type, br#"["list","string"]"#);
        assert!(block.attributes[0].required && block.attributes[0].sensitive);
        assert_eq!(block.block_types[0].nesting, NestingMode::Set as i32);
        assert_eq!(
            (
                block.block_types[0].min_items,
                block.block_types[0].max_items
            ),
            (1, 4)
        );
    }

    #[test]
    fn invalid_value_becomes_a_diagnostic_with_path() {
        let ty = Type::object([("n", Type::Number)]);
        let err =
            dynamic_value(&Value::object([("n", Value::from("x"))]), &ty, "new state").unwrap_err();
        assert_eq!(err.attribute, Some(AttributePath::attr("n")));
        assert!(err.detail.contains("new state"), "{}", err.detail);
    }
}
