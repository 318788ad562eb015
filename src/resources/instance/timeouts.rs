//! The `timeouts` block: how long create, update and delete may take.
//!
//! Values are duration strings ("10m", "90s"). Null (block or attribute)
//! means the default from [`super::schema`]. Validation reports a bad string
//! at `timeouts.<name>`; once past validation a value always parses.

use super::schema::{DEFAULT_CREATE_TIMEOUT, DEFAULT_DELETE_TIMEOUT, DEFAULT_UPDATE_TIMEOUT};
use crate::protocol::{AttributePath, Diagnostic, Value};
use crate::resources::attrs;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

const NAMES: [&str; 3] = ["create", "update", "delete"];

impl Timeouts {
    /// The timeouts of a resource object (config, plan or state); unset or
    /// unparsable values take the default.
    pub fn of(obj: &Value) -> Timeouts {
        let block = attrs::get(obj, "timeouts");
        let pick = |name: &str, default: Duration| {
            attrs::string(block, name)
                .and_then(|s| humantime::parse_duration(s.trim()).ok())
                .unwrap_or(default)
        };
        Timeouts {
            create: pick("create", DEFAULT_CREATE_TIMEOUT),
            update: pick("update", DEFAULT_UPDATE_TIMEOUT),
            delete: pick("delete", DEFAULT_DELETE_TIMEOUT),
        }
    }
}

/// Errors for known values of the block that are not durations.
pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let block = attrs::get(config, "timeouts");
    NAMES
        .iter()
        .filter_map(|name| {
            let v = attrs::string(block, name)?;
            let problem = match humantime::parse_duration(v.trim()) {
                Ok(d) if d.is_zero() => "it is zero".to_string(),
                Ok(_) => return None,
                Err(e) => e.to_string(),
            };
            Some(
                Diagnostic::error(
                    "Invalid Timeout",
                    format!("timeouts.{name} = \"{v}\" is not a usable duration ({problem}). Use a value such as \"10m\" or \"90s\"."),
                )
                .at(AttributePath::attr("timeouts").then(*name)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_block(block: Value) -> Value {
        attrs::object([("timeouts", block)])
    }

    #[test]
    fn null_block_gives_defaults() {
        let t = Timeouts::of(&with_block(Value::Null));
        assert_eq!(t.create, Duration::from_secs(600));
        assert_eq!(t.update, Duration::from_secs(1200));
        assert_eq!(t.delete, Duration::from_secs(1200));
    }

    #[test]
    fn set_values_override_defaults_one_by_one() {
        let block = attrs::object([
            ("create", Value::Null),
            ("update", attrs::str_value("45m")),
            ("delete", attrs::str_value("90s")),
        ]);
        let t = Timeouts::of(&with_block(block));
        assert_eq!(t.create, Duration::from_secs(600));
        assert_eq!(t.update, Duration::from_secs(2700));
        assert_eq!(t.delete, Duration::from_secs(90));
    }

    #[test]
    fn bad_values_point_at_their_attribute() {
        let block = attrs::object([
            ("create", attrs::str_value("soon")),
            ("update", attrs::str_value("0s")),
            ("delete", Value::Unknown),
        ]);
        let diags = validate(&with_block(block));
        let paths: Vec<_> = diags.iter().map(|d| d.attribute.clone().unwrap()).collect();
        assert_eq!(
            paths,
            [
                AttributePath::attr("timeouts").then("create"),
                AttributePath::attr("timeouts").then("update")
            ]
        );
    }
}
