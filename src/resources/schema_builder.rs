//! Terse constructors for schema attributes, so each schema reads like a
//! table: `required("image_id", Type::String, "…")`.

use crate::protocol::{Attribute, Type};

fn attr(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute {
        name: name.to_string(),
        ty,
        description: description.to_string(),
        required: false,
        optional: false,
        computed: false,
        sensitive: false,
    }
}

/// Must be set in configuration.
pub fn required(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute {
        required: true,
        ..attr(name, ty, description)
    }
}

/// May be set; null when not.
pub fn optional(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute {
        optional: true,
        ..attr(name, ty, description)
    }
}

/// May be set; when not, the provider fills it in (and keeps the prior value).
pub fn optional_computed(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute {
        optional: true,
        computed: true,
        ..attr(name, ty, description)
    }
}

/// Set by the provider only.
pub fn computed(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute {
        computed: true,
        ..attr(name, ty, description)
    }
}

/// Marks an attribute sensitive (redacted in plans and output).
pub fn sensitive(mut a: Attribute) -> Attribute {
    a.sensitive = true;
    a
}
