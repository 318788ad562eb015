//! JSON values ⇄ [`Value`]: the form Terraform stores state in, and hands
//! back in `UpgradeResourceState.raw_state.json`.
//!
//! cty's JSON rules (go-cty `cty/json`): null is `null`; there are no
//! unknowns; numbers may also arrive as strings, and strings as numbers or
//! bools; a `dynamic` value is `{"value": ..., "type": <type JSON>}`.
//!
//! Stored state was written with the schema of its time, so decoding it with
//! the current schema is forgiving where cty is: an attribute the schema has
//! since gained reads as null, and one it has since dropped is ignored.
//! Large integers beyond `u64` are read as floats (serde_json's limit);
//! nothing in this provider's state comes near that.

use super::diag::PathStep;
use super::value::{Number, Type, Value};
use super::value_error::{is_decimal, ValueError, MAX_DEPTH};
use serde_json::Value as Json;
use std::collections::BTreeMap;

impl Value {
    /// Decodes a JSON document as a value of type `ty`.
    ///
    /// # Errors
    /// When the bytes are not JSON or do not fit the type; the error names
    /// the attribute path.
    pub fn from_json(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
        // serde_json limits nesting to 128 levels while parsing.
        let json: Json = serde_json::from_slice(bytes)
            .map_err(|e| ValueError::new(&[], format!("invalid JSON: {e}")))?;
        Decoder { path: Vec::new() }.value(&json, ty)
    }
}

struct Decoder {
    path: Vec<PathStep>,
}

fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

impl Decoder {
    fn error(&self, message: impl Into<String>) -> ValueError {
        ValueError::new(&self.path, message)
    }

    fn expected(&self, what: &str, json: &Json) -> ValueError {
        self.error(format!("expected {what}, found {}", kind(json)))
    }

    fn value(&mut self, json: &Json, ty: &Type) -> Result<Value, ValueError> {
        if json.is_null() {
            return Ok(Value::Null);
        }
        if self.path.len() >= MAX_DEPTH {
            return Err(self.error("value nested too deeply"));
        }
        match ty {
            Type::String => match json {
                Json::String(s) => Ok(Value::String(s.clone())),
                Json::Number(n) => Ok(Value::String(n.to_string())),
                Json::Bool(b) => Ok(Value::String(b.to_string())),
                other => Err(self.expected("a string", other)),
            },
            Type::Number => self.number(json).map(Value::Number),
            Type::Bool => match json {
                Json::Bool(b) => Ok(Value::Bool(*b)),
                Json::String(s) if s == "true" => Ok(Value::Bool(true)),
                Json::String(s) if s == "false" => Ok(Value::Bool(false)),
                other => Err(self.expected("a bool", other)),
            },
            Type::List(elem) => self.elements(json, elem).map(Value::List),
            Type::Set(elem) => self.elements(json, elem).map(Value::Set),
            Type::Tuple(elems) => {
                let Json::Array(items) = json else {
                    return Err(self.expected("an array", json));
                };
                if items.len() != elems.len() {
                    return Err(self.error(format!(
                        "expected a tuple of {} elements, found {}",
                        elems.len(),
                        items.len()
                    )));
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, (item, ty)) in items.iter().zip(elems).enumerate() {
                    self.path.push(PathStep::ElementKeyInt(i as i64));
                    out.push(self.value(item, ty)?);
                    self.path.pop();
                }
                Ok(Value::Tuple(out))
            }
            Type::Map(elem) => {
                let Json::Object(entries) = json else {
                    return Err(self.expected("an object", json));
                };
                let mut out = BTreeMap::new();
                for (key, item) in entries {
                    self.path.push(PathStep::ElementKeyString(key.clone()));
                    out.insert(key.clone(), self.value(item, elem)?);
                    self.path.pop();
                }
                Ok(Value::Map(out))
            }
            Type::Object(attrs) => {
                let Json::Object(entries) = json else {
                    return Err(self.expected("an object", json));
                };
                let mut out = BTreeMap::new();
                for (name, ty) in attrs {
                    self.path.push(PathStep::Attribute(name.clone()));
                    let value = match entries.get(name) {
                        Some(item) => self.value(item, ty)?,
                        None => Value::Null,
                    };
                    out.insert(name.clone(), value);
                    self.path.pop();
                }
                Ok(Value::Object(out))
            }
            Type::Dynamic => {
                let (Some(type_json), Some(value)) = (json.get("type"), json.get("value")) else {
                    return Err(
                        self.error(r#"a dynamic value must be {"value": ..., "type": ...}"#)
                    );
                };
                let ty = Type::from_json(type_json).map_err(|e| self.error(e.to_string()))?;
                let value = self.value(value, &ty)?;
                Ok(Value::Dynamic(Box::new((ty, value))))
            }
        }
    }

    fn number(&self, json: &Json) -> Result<Number, ValueError> {
        match json {
            Json::Number(n) => Ok(if let Some(i) = n.as_i64() {
                Number::Int(i)
            } else if let Some(u) = n.as_u64() {
                Number::Big(u.to_string())
            } else {
                Number::Float(n.as_f64().unwrap_or_default())
            }),
            Json::String(text) if is_decimal(text) => Ok(text
                .parse()
                .map_or_else(|_| Number::Big(text.clone()), Number::Int)),
            Json::String(text) => Err(self.error(format!("{text:?} is not a number"))),
            other => Err(self.expected("a number", other)),
        }
    }

    fn elements(&mut self, json: &Json, elem: &Type) -> Result<Vec<Value>, ValueError> {
        let Json::Array(items) = json else {
            return Err(self.expected("an array", json));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            self.path.push(PathStep::ElementKeyInt(i as i64));
            out.push(self.value(item, elem)?);
            self.path.pop();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::diag::AttributePath;

    fn state_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("size", Type::Number),
            ("on", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("disks", Type::list(Type::object([("gb", Type::Number)]))),
            ("pair", Type::Tuple(vec![Type::String, Type::Number])),
            ("extra", Type::Dynamic),
        ])
    }

    #[test]
    fn decodes_stored_state() {
        let json = br#"{"id":"i-1","size":2,"on":true,"tags":{"env":"dev"},
            "disks":[{"gb":40.5}],"pair":["a",18446744073709551615],
            "extra":{"value":["x"],"type":["list","string"]}}"#;
        let got = Value::from_json(json, &state_type()).unwrap();
        let want = Value::object([
            ("id", Value::from("i-1")),
            ("size", 2i64.into()),
            ("on", true.into()),
            (
                "tags",
                Value::Map([("env".to_string(), "dev".into())].into()),
            ),
            (
                "disks",
                Value::List(vec![Value::object([("gb", 40.5f64.into())])]),
            ),
            (
                "pair",
                Value::Tuple(vec![
                    "a".into(),
                    Value::Number(Number::Big("18446744073709551615".into())),
                ]),
            ),
            (
                "extra",
                Value::Dynamic(Box::new((
                    Type::list(Type::String),
                    Value::List(vec!["x".into()]),
                ))),
            ),
        ]);
        assert_eq!(got, want);
    }

    /// State written by an older schema: a new attribute reads as null and a
    /// dropped one is ignored.
    #[test]
    fn tolerates_schema_drift() {
        let got = Value::from_json(br#"{"id":"i-1","gone":1}"#, &state_type()).unwrap();
        assert_eq!(got.get_str("id"), Some("i-1"));
        assert!(got.get("size").unwrap().is_null());
        assert!(got.get("gone").is_none());
    }

    #[test]
    fn converts_primitives_as_cty_does() {
        let conv = |json: &str, ty: Type| Value::from_json(json.as_bytes(), &ty).unwrap();
        assert_eq!(conv(r#""12""#, Type::Number), 12i64.into());
        assert_eq!(conv("12", Type::String), "12".into());
        assert_eq!(conv("true", Type::String), "true".into());
        assert_eq!(conv(r#""false""#, Type::Bool), false.into());
        assert_eq!(conv("null", Type::Bool), Value::Null);
    }

    #[test]
    fn errors_name_the_path() {
        let err = Value::from_json(br#"{"disks":[{"gb":"lots"}]}"#, &state_type()).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("disks").index(0).then("gb"));
        assert!(err.message.contains("not a number"), "{err}");
        let err = Value::from_json(b"{", &state_type()).unwrap_err();
        assert!(err.message.contains("invalid JSON"), "{err}");
        let err = Value::from_json(br#"{"extra":{"value":1}}"#, &state_type()).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("extra"));
    }
}
