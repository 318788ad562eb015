//! Schema attributes in the form resource schemas read best in: one call per
//! row, `required("image_id", Type::String, "…")`. Thin wrappers over the
//! protocol's [`Attribute`] builders.

use crate::protocol::{Attribute, Type};

/// Must be set in configuration.
pub fn required(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::required(name, ty).describe(description)
}

/// May be set; null when not.
pub fn optional(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::optional(name, ty).describe(description)
}

/// May be set; when not, the provider fills it in (and keeps the prior value).
pub fn optional_computed(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::optional_computed(name, ty).describe(description)
}

/// Set by the provider only.
pub fn computed(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::computed(name, ty).describe(description)
}

/// Marks an attribute sensitive (redacted in plans and output).
pub fn sensitive(a: Attribute) -> Attribute {
    a.sensitive()
}
