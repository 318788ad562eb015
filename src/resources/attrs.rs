//! Reading and building object values by attribute name.
//!
//! Resource code works with whole objects (`Value::Object`) keyed by
//! attribute name; these helpers keep that code free of pattern matching.

use crate::protocol::{Number, Value};

/// The attribute `name` of an object; `Value::Null` when absent or not an object.
pub fn get<'a>(obj: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    obj.get(name).unwrap_or(&NULL)
}

/// A known string attribute.
pub fn string(obj: &Value, name: &str) -> Option<String> {
    obj.get_str(name).map(str::to_string)
}

/// A known bool attribute.
pub fn boolean(obj: &Value, name: &str) -> Option<bool> {
    obj.get_bool(name)
}

/// A known number attribute as f64.
pub fn float(obj: &Value, name: &str) -> Option<f64> {
    obj.get_f64(name)
}

/// A known number attribute that is a whole number (fractions are `None`).
pub fn int(obj: &Value, name: &str) -> Option<i64> {
    obj.get_i64(name)
}

/// True when the attribute is unknown (only possible during validate/plan).
pub fn is_unknown(obj: &Value, name: &str) -> bool {
    obj.attr_is_unknown(name)
}

/// Replaces (or adds) one attribute of an object in place.
pub fn set(obj: &mut Value, name: &str, value: Value) {
    if let Value::Object(m) = obj {
        m.insert(name.to_string(), value);
    }
}

/// Builds an object from `(name, value)` pairs.
pub fn object<I, S>(pairs: I) -> Value
where
    I: IntoIterator<Item = (S, Value)>,
    S: Into<String>,
{
    Value::object(pairs)
}

pub fn str_value(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

pub fn int_value(i: i64) -> Value {
    Value::Number(Number::Int(i))
}

pub fn opt_str(s: Option<String>) -> Value {
    s.map(Value::String).unwrap_or(Value::Null)
}

/// Test helper: an object with every attribute of `block` null, then `pairs`
/// set, the shape Terraform sends for a configuration.
#[cfg(test)]
pub fn config_of(block: &crate::protocol::Block, pairs: &[(&str, Value)]) -> Value {
    let mut obj = object(
        block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null)),
    );
    for (k, v) in pairs {
        set(&mut obj, k, v.clone());
    }
    obj
}
