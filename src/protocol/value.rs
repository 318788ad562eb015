//! Terraform values as the provider sees them: known, null or unknown, with
//! the cty type system's shapes.
//!
//! This file holds only the data model. Encoding to and from the wire
//! (msgpack `DynamicValue`, the JSON form used by UpgradeResourceState) lives
//! in `msgpack.rs` and `json.rs`, so the rest of the provider never touches bytes.

use std::collections::BTreeMap;

/// A cty type. Serialises to Terraform's type JSON (`"string"`,
/// `["list","number"]`, `["object",{...}]`, ...) via `Type::to_json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// Any type; its values travel as `[type JSON, value]` in msgpack.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// A number as Terraform sends it. cty numbers are arbitrary precision; the
/// provider only needs integers and floats, but keeps the decimal text when
/// neither represents the value exactly so that it round-trips unchanged.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// A decimal string, e.g. `"18446744073709551616"`.
    Big(String),
}

/// A value of some [`Type`].
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    /// Not yet known (during plan). Any msgpack extension decodes to this.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// An object carries every attribute of its type; null ones as `Value::Null`.
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value of a `dynamic` attribute, with the concrete type it was sent with.
    Dynamic(Box<(Type, Value)>),
}

impl Type {
    /// An object type from `(attribute, type)` pairs.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(attrs.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }
}

impl Number {
    /// The value as an `i64`, if it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f) => {
                // `as` saturates; the round trip rejects fractions and overflow.
                let i = *f as i64;
                (i as f64 == *f && f.is_finite()).then_some(i)
            }
            Number::Big(text) => text.parse().ok(),
        }
    }

    /// The value as an `f64` (possibly rounded, as Terraform would show it).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Int(i) => Some(*i as f64),
            Number::Float(f) => Some(*f),
            Number::Big(text) => text.parse().ok(),
        }
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Big(text) => f.write_str(text),
        }
    }
}

/// Accessors for resource code. They read through `Value::Dynamic`, and
/// answer `None` for null, unknown and wrongly typed values alike: callers
/// check `is_unknown` first when the difference matters (during plan).
impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when neither this value nor anything inside it is unknown.
    /// Terraform requires this of every state returned by apply.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            Value::Dynamic(inner) => inner.1.is_wholly_known(),
            _ => true,
        }
    }

    /// The value inside a `Value::Dynamic`, or the value itself.
    pub fn unwrap_dynamic(&self) -> &Value {
        match self {
            Value::Dynamic(inner) => inner.1.unwrap_dynamic(),
            other => other,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unwrap_dynamic() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unwrap_dynamic() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.unwrap_dynamic() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }

    /// The elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self.unwrap_dynamic() {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a map or the attributes of an object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unwrap_dynamic() {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// An attribute of an object (or a key of a map).
    pub fn get(&self, attr: &str) -> Option<&Value> {
        self.as_entries().and_then(|entries| entries.get(attr))
    }

    /// A mutable attribute of an object (or a key of a map).
    pub fn get_mut(&mut self, attr: &str) -> Option<&mut Value> {
        match self {
            Value::Map(entries) | Value::Object(entries) => entries.get_mut(attr),
            Value::Dynamic(inner) => inner.1.get_mut(attr),
            _ => None,
        }
    }

    pub fn get_str(&self, attr: &str) -> Option<&str> {
        self.get(attr).and_then(Value::as_str)
    }

    pub fn get_bool(&self, attr: &str) -> Option<bool> {
        self.get(attr).and_then(Value::as_bool)
    }

    pub fn get_i64(&self, attr: &str) -> Option<i64> {
        self.get(attr).and_then(Value::as_i64)
    }

    pub fn get_f64(&self, attr: &str) -> Option<f64> {
        self.get(attr).and_then(Value::as_f64)
    }

    /// True when the attribute is absent, null or unknown: "not set (yet)".
    pub fn attr_is_unset(&self, attr: &str) -> bool {
        self.get(attr).is_none_or(|v| v.is_null() || v.is_unknown())
    }

    /// True when the attribute is present and unknown.
    pub fn attr_is_unknown(&self, attr: &str) -> bool {
        self.get(attr).is_some_and(Value::is_unknown)
    }

    /// An object from `(attribute, value)` pairs. Attributes of the type that
    /// are left out are sent to Terraform as null.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Sets an attribute of an object. A null or unknown value first becomes
    /// an empty object; on a map it sets the key. Any other kind of value is
    /// replaced by an object holding just this attribute.
    pub fn set(&mut self, attr: impl Into<String>, value: impl Into<Value>) {
        match self {
            Value::Object(entries) | Value::Map(entries) => {
                entries.insert(attr.into(), value.into());
            }
            Value::Dynamic(inner) => inner.1.set(attr, value),
            other => *other = Value::object([(attr.into(), value.into())]),
        }
    }

    /// Builder form of [`Value::set`].
    pub fn with(mut self, attr: impl Into<String>, value: impl Into<Value>) -> Value {
        self.set(attr, value);
        self
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Number(Number::Int(i.into()))
    }
}

impl From<u32> for Value {
    fn from(i: u32) -> Value {
        Value::Number(Number::Int(i.into()))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Number(Number::Float(f))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

/// `None` becomes null.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Value {
        Value::object([
            ("id", Value::from("i-1")),
            ("cpu", 4i64.into()),
            ("ratio", 0.5f64.into()),
            ("on", true.into()),
            ("gone", Value::Null),
            ("later", Value::Unknown),
            ("dyn", Value::Dynamic(Box::new((Type::String, "x".into())))),
            (
                "tags",
                Value::Map([("env".to_string(), "dev".into())].into()),
            ),
        ])
    }

    #[test]
    fn getters_read_known_values_and_answer_none_otherwise() {
        let s = state();
        assert_eq!(s.get_str("id"), Some("i-1"));
        assert_eq!(s.get_i64("cpu"), Some(4));
        assert_eq!(s.get_f64("cpu"), Some(4.0));
        assert_eq!(s.get_f64("ratio"), Some(0.5));
        assert_eq!(s.get_i64("ratio"), None, "not a whole number");
        assert_eq!(s.get_bool("on"), Some(true));
        assert_eq!(s.get_str("dyn"), Some("x"), "reads through dynamic");
        assert_eq!(s.get("tags").and_then(|t| t.get_str("env")), Some("dev"));
        for absent in ["gone", "later", "missing"] {
            assert_eq!(s.get_str(absent), None, "{absent}");
            assert!(s.attr_is_unset(absent), "{absent}");
        }
        assert!(!s.attr_is_unset("id"));
        assert!(s.attr_is_unknown("later") && !s.attr_is_unknown("gone"));
        assert_eq!(s.get_i64("id"), None, "wrong kind");
    }

    #[test]
    fn numbers_convert_exactly_or_not_at_all() {
        assert_eq!(Number::Float(3.0).as_i64(), Some(3));
        assert_eq!(Number::Float(1e300).as_i64(), None);
        assert_eq!(Number::Big("12".into()).as_i64(), Some(12));
        assert_eq!(Number::Big("18446744073709551616".into()).as_i64(), None);
        assert_eq!(Number::Big("0.25".into()).as_f64(), Some(0.25));
        assert_eq!(Number::Int(7).to_string(), "7");
    }

    #[test]
    fn wholly_known_looks_inside() {
        assert!(Value::object([("a", Value::from(1i64))]).is_wholly_known());
        assert!(!state().is_wholly_known());
        assert!(!Value::List(vec![Value::Unknown]).is_wholly_known());
        assert!(Value::Null.is_wholly_known());
    }

    #[test]
    fn set_and_with_build_objects() {
        let mut v = Value::Null;
        v.set("a", 1i64);
        assert_eq!(v, Value::object([("a", Value::from(1i64))]));
        let v = v.with("b", Some("x")).with("c", None::<String>);
        assert_eq!(v.get_str("b"), Some("x"));
        assert!(v.get("c").unwrap().is_null());
        let mut unknown = Value::Unknown;
        unknown.set("id", "i-1");
        assert_eq!(unknown.get_str("id"), Some("i-1"));
    }
}
