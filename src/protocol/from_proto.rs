//! Wire messages → plain types: values arriving from Terraform.

use super::diag::Diagnostic;
use super::proto::tfplugin5 as pb;
use super::value::{Type, Value};

/// Decodes a `DynamicValue` (msgpack, else JSON; neither or absent means
/// null). Bytes that do not fit the schema become an error diagnostic.
pub(crate) fn dynamic_value(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostic> {
    let decoded = match value {
        Some(dv) if !dv.msgpack.is_empty() => Value::from_msgpack(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => Value::from_json(&dv.json, ty),
        _ => Ok(Value::Null),
    };
    decoded.map_err(|err| {
        err.to_diagnostic(
            "Invalid Value From Terraform",
            &format!(
                "Terraform sent a {what} that does not match this provider's schema. \
                 This can happen when Terraform holds a schema from another version of \
                 the provider; run `terraform init` again. Problem: "
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_or_empty_is_null() {
        assert_eq!(
            dynamic_value(None, &Type::String, "config"),
            Ok(Value::Null)
        );
        let empty = pb::DynamicValue::default();
        assert_eq!(
            dynamic_value(Some(&empty), &Type::String, "config"),
            Ok(Value::Null)
        );
    }

    #[test]
    fn reads_msgpack_then_json() {
        let mp = pb::DynamicValue {
            msgpack: vec![0xa1, b'x'],
            json: b"\"y\"".to_vec(),
        };
        assert_eq!(
            dynamic_value(Some(&mp), &Type::String, "config"),
            Ok("x".into())
        );
        let json = pb::DynamicValue {
            msgpack: vec![],
            json: b"\"y\"".to_vec(),
        };
        assert_eq!(
            dynamic_value(Some(&json), &Type::String, "config"),
            Ok("y".into())
        );
    }

    #[test]
    fn bad_bytes_are_an_error_diagnostic() {
        let bad = pb::DynamicValue {
            msgpack: vec![0xc3],
            json: vec![],
        };
        let diag = dynamic_value(Some(&bad), &Type::String, "prior state").unwrap_err();
        assert_eq!(diag.severity, crate::protocol::Severity::Error);
        assert!(diag.detail.contains("prior state") && diag.detail.contains("expected a string"));
    }
}
