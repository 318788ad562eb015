//! Schemas as data: what the provider, each resource and each data source
//! accepts. `protocol` turns these into `GetProviderSchema` wire messages and
//! uses them to decode values; `resources` only declares them.

use super::value::Type;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub block_types: Vec<NestedBlock>,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

/// Everything `GetSchema` returns.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderSchema {
    pub provider: Schema,
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }

    /// The type of every value of this schema (state, config, plan).
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

impl Block {
    pub fn new() -> Block {
        Block::default()
    }

    /// Builder: adds an attribute.
    pub fn attribute(mut self, attribute: Attribute) -> Block {
        self.attributes.push(attribute);
        self
    }

    /// Builder: adds a nested block type.
    pub fn nested(mut self, block: NestedBlock) -> Block {
        self.block_types.push(block);
        self
    }

    /// Builder: sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Block {
        self.description = text.into();
        self
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The block's implied object type, as Terraform derives it: one
    /// attribute per attribute, and per nested block an object (SINGLE,
    /// GROUP), a list, a set or a map of objects.
    pub fn value_type(&self) -> Type {
        let attrs = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()));
        let blocks = self.block_types.iter().map(|b| {
            let object = b.block.value_type();
            let ty = match b.nesting {
                Nesting::Single | Nesting::Group => object,
                Nesting::List => Type::list(object),
                Nesting::Set => Type::set(object),
                Nesting::Map => Type::map(object),
            };
            (b.type_name.clone(), ty)
        });
        Type::Object(attrs.chain(blocks).collect::<BTreeMap<_, _>>())
    }
}

/// Builders for the four kinds of attribute, e.g.
/// `Attribute::required("instance_type", Type::String).describe("...")`.
impl Attribute {
    fn new(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            name: name.into(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
        }
    }

    /// Must be set in configuration.
    pub fn required(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(name, ty)
        }
    }

    /// May be set in configuration; null otherwise.
    pub fn optional(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(name, ty)
        }
    }

    /// Set by the provider only.
    pub fn computed(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(name, ty)
        }
    }

    /// May be set in configuration; the provider fills it in otherwise.
    pub fn optional_computed(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(name, ty)
        }
    }

    /// Hidden in Terraform's output.
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    pub fn describe(mut self, text: impl Into<String>) -> Attribute {
        self.description = text.into();
        self
    }
}

impl NestedBlock {
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> NestedBlock {
        NestedBlock {
            type_name: type_name.into(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }

    /// Builder: item count bounds (0 means unbounded).
    pub fn items(mut self, min: i64, max: i64) -> NestedBlock {
        self.min_items = min;
        self.max_items = max;
        self
    }
}

impl ProviderSchema {
    /// The schema of a managed resource type.
    pub fn resource(&self, type_name: &str) -> Option<&Schema> {
        self.resources.get(type_name)
    }

    /// The schema of a data source type.
    pub fn data_source(&self, type_name: &str) -> Option<&Schema> {
        self.data_sources.get(type_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_type_covers_attributes_and_every_nesting() {
        let inner = Block::new().attribute(Attribute::required("size", Type::Number));
        let block = Block::new()
            .attribute(Attribute::optional_computed("name", Type::String))
            .nested(NestedBlock::new("one", Nesting::Single, inner.clone()))
            .nested(NestedBlock::new("group", Nesting::Group, inner.clone()))
            .nested(NestedBlock::new("many", Nesting::List, inner.clone()))
            .nested(NestedBlock::new("bag", Nesting::Set, inner.clone()))
            .nested(NestedBlock::new("named", Nesting::Map, inner));
        let object = Type::object([("size", Type::Number)]);
        assert_eq!(
            Schema::new(1, block).value_type(),
            Type::object([
                ("name", Type::String),
                ("one", object.clone()),
                ("group", object.clone()),
                ("many", Type::list(object.clone())),
                ("bag", Type::set(object.clone())),
                ("named", Type::map(object)),
            ])
        );
    }

    #[test]
    fn attribute_builders_set_exactly_their_flags() {
        let a = Attribute::required("a", Type::String)
            .sensitive()
            .describe("d");
        assert!(a.required && !a.optional && !a.computed && a.sensitive);
        assert_eq!(a.description, "d");
        let b = Attribute::optional_computed("b", Type::Bool);
        assert!(!b.required && b.optional && b.computed && !b.sensitive);
        let c = Attribute::computed("c", Type::Bool);
        assert!(!c.required && !c.optional && c.computed);
    }
}
