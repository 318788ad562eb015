//! Reading and building object values by attribute name.
//!
//! Resource code works with whole objects (`Value::Object`) keyed by
//! attribute name; these helpers keep that code free of pattern matching.

use crate::protocol::{Number, Value};
use std::collections::BTreeMap;

/// The attribute `name` of an object; `Value::Null` when absent or not an object.
pub fn get<'a>(obj: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    match obj {
        Value::Object(m) => m.get(name).unwrap_or(&NULL),
        _ => &NULL,
    }
}

/// A known string attribute.
pub fn string(obj: &Value, name: &str) -> Option<String> {
    match get(obj, name) {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A known bool attribute.
pub fn boolean(obj: &Value, name: &str) -> Option<bool> {
    match get(obj, name) {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// A known number attribute as f64.
pub fn float(obj: &Value, name: &str) -> Option<f64> {
    match get(obj, name) {
        Value::Number(Number::Int(i)) => Some(*i as f64),
        Value::Number(Number::Float(f)) => Some(*f),
        Value::Number(Number::Big(s)) => s.parse().ok(),
        _ => None,
    }
}

/// A known number attribute that is a whole number (fractions are `None`).
pub fn int(obj: &Value, name: &str) -> Option<i64> {
    match get(obj, name) {
        Value::Number(Number::Int(i)) => Some(*i),
        Value::Number(Number::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
        Value::Number(Number::Big(s)) => s.parse().ok(),
        _ => None,
    }
}

/// True when the attribute is unknown (only possible during validate/plan).
pub fn is_unknown(obj: &Value, name: &str) -> bool {
    matches!(get(obj, name), Value::Unknown)
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
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v))
            .collect::<BTreeMap<_, _>>(),
    )
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
