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
