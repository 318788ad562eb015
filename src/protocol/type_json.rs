//! cty type JSON: how a [`Type`] is written in schemas (`Attribute.type`) and
//! inside `dynamic` values.
//!
//! Primitive types are strings (`"string"`, `"number"`, `"bool"`,
//! `"dynamic"`); the others are two-element arrays whose first element names
//! the kind: `["list","string"]`, `["object",{"a":"number"}]`,
//! `["tuple",["string","bool"]]`. Terraform 1.0.3 panics on a type it cannot
//! parse, so the writer here is the only place that produces this text.

use super::value::Type;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

/// A type JSON document that is not a cty type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid type JSON: {0}")]
pub struct TypeJsonError(pub String);

impl Type {
    /// The type as a JSON value, e.g. `["map","string"]`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Object(attrs) => {
                let attrs: serde_json::Map<String, Json> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", attrs])
            }
            Type::Tuple(elems) => {
                json!(["tuple", elems.iter().map(Type::to_json).collect::<Vec<_>>()])
            }
        }
    }

    /// The type JSON as bytes, ready for `Schema.Attribute.type`.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses type JSON bytes.
    ///
    /// # Errors
    /// When the bytes are not JSON or not a cty type.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, TypeJsonError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|e| TypeJsonError(e.to_string()))?;
        Type::from_json(&json)
    }

    /// Parses a type JSON value. An object type's optional third element
    /// (the optional-attribute list of type constraints) is accepted and
    /// ignored: values never carry it.
    ///
    /// # Errors
    /// When the value is not a cty type.
    pub fn from_json(json: &Json) -> Result<Type, TypeJsonError> {
        let bad = |what: &str| TypeJsonError(format!("{what}: {json}"));
        match json {
            Json::String(name) => match name.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad("unknown primitive type")),
            },
            Json::Array(parts) => {
                let (Some(Json::String(kind)), Some(arg)) = (parts.first(), parts.get(1)) else {
                    return Err(bad("expected [kind, argument]"));
                };
                let max_len = if kind == "object" { 3 } else { 2 };
                if parts.len() > max_len {
                    return Err(bad("too many elements"));
                }
                match kind.as_str() {
                    "list" => Ok(Type::List(Box::new(Type::from_json(arg)?))),
                    "set" => Ok(Type::Set(Box::new(Type::from_json(arg)?))),
                    "map" => Ok(Type::Map(Box::new(Type::from_json(arg)?))),
                    "object" => {
                        let Json::Object(attrs) = arg else {
                            return Err(bad("object attributes must be a JSON object"));
                        };
                        let attrs = attrs
                            .iter()
                            .map(|(k, t)| Ok((k.clone(), Type::from_json(t)?)))
                            .collect::<Result<BTreeMap<_, _>, TypeJsonError>>()?;
                        Ok(Type::Object(attrs))
                    }
                    "tuple" => {
                        let Json::Array(elems) = arg else {
                            return Err(bad("tuple elements must be a JSON array"));
                        };
                        let elems = elems
                            .iter()
                            .map(Type::from_json)
                            .collect::<Result<_, _>>()?;
                        Ok(Type::Tuple(elems))
                    }
                    _ => Err(bad("unknown type kind")),
                }
            }
            _ => Err(bad("expected a string or an array")),
        }
    }
}

impl std::fmt::Display for Type {
    /// The type JSON, e.g. `["list","string"]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Named cases: the JSON Terraform sends or expects, and the type.
    fn cases() -> Vec<(&'static str, &'static str, Type)> {
        vec![
            ("string", r#""string""#, Type::String),
            ("number", r#""number""#, Type::Number),
            ("bool", r#""bool""#, Type::Bool),
            ("dynamic", r#""dynamic""#, Type::Dynamic),
            ("list", r#"["list","string"]"#, Type::list(Type::String)),
            ("set", r#"["set","number"]"#, Type::set(Type::Number)),
            ("map", r#"["map","bool"]"#, Type::map(Type::Bool)),
            (
                "object",
                r#"["object",{"a":"number","b":["list","string"]}]"#,
                Type::object([("a", Type::Number), ("b", Type::list(Type::String))]),
            ),
            (
                "empty object",
                r#"["object",{}]"#,
                Type::Object(BTreeMap::new()),
            ),
            (
                "tuple",
                r#"["tuple",["string","bool"]]"#,
                Type::Tuple(vec![Type::String, Type::Bool]),
            ),
        ]
    }

    #[test]
    fn writes_and_reads_every_kind() {
        for (name, text, ty) in cases() {
            assert_eq!(
                String::from_utf8(ty.to_json_bytes()).unwrap(),
                text,
                "{name}"
            );
            assert_eq!(
                Type::from_json_bytes(text.as_bytes()).unwrap(),
                ty,
                "{name}"
            );
        }
    }

    #[test]
    fn accepts_optional_attribute_list_of_type_constraints() {
        let ty = Type::from_json_bytes(br#"["object",{"a":"string"},["a"]]"#).unwrap();
        assert_eq!(ty, Type::object([("a", Type::String)]));
    }

    #[test]
    fn rejects_what_is_not_a_type() {
        for text in [
            r#""str""#,
            "1",
            "null",
            r#"["list"]"#,
            r#"["list","string","x"]"#,
            r#"["nope","string"]"#,
            r#"["object",["a"]]"#,
            r#"["tuple",{}]"#,
            "not json",
        ] {
            assert!(Type::from_json_bytes(text.as_bytes()).is_err(), "{text}");
        }
    }
}
