//! The seed file: either a JSON array of instances in DescribeInstances'
//! `Instance` shape, or an object `{"Account": {...}, "Instances": [...]}`
//! that also sets account-wide flags.

use serde_json::Value;

use super::fields::InstanceFields;
use super::store::AccountFlags;

#[derive(Debug, Default)]
pub struct Seed {
    pub account: AccountFlags,
    pub instances: Vec<InstanceFields>,
}

/// Parses seed text.
///
/// # Errors
/// A message saying which entry or key is wrong.
pub fn parse(text: &str) -> Result<Seed, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let (account, list) = match value {
        Value::Array(list) => (AccountFlags::default(), list),
        Value::Object(mut map) => {
            if let Some(k) = map.keys().find(|k| *k != "Account" && *k != "Instances") {
                return Err(format!(
                    "unknown top-level key {k:?}; expected \"Account\" and/or \"Instances\""
                ));
            }
            let account = match map.remove("Account") {
                Some(a) => serde_json::from_value(a).map_err(|e| format!("Account: {e}"))?,
                None => AccountFlags::default(),
            };
            let list = match map.remove("Instances") {
                Some(Value::Array(list)) => list,
                Some(_) => return Err("Instances must be a JSON array".into()),
                None => vec![],
            };
            (account, list)
        }
        _ => {
            return Err("expected a JSON array of instances or an object with \"Instances\"".into())
        }
    };
    let instances = list
        .into_iter()
        .enumerate()
        .map(|(i, v)| serde_json::from_value(v).map_err(|e| format!("instance #{}: {e}", i + 1)))
        .collect::<Result<_, _>>()?;
    Ok(Seed { account, instances })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_parse() {
        let plain = parse(r#"[{"InstanceId":"i-1","Status":"Stopped"}]"#).unwrap();
        assert_eq!(plain.instances.len(), 1);
        assert!(!plain.account.arrearage);
        let full =
            parse(r#"{"Account":{"Arrearage":true},"Instances":[{"InstanceId":"i-1"}]}"#).unwrap();
        assert!(full.account.arrearage);
        assert_eq!(full.instances[0].instance_id.as_deref(), Some("i-1"));
    }

    #[test]
    fn typos_are_named() {
        let err = parse(r#"[{"InstanceId":"i-1"},{"InstanceTyp":"x"}]"#).unwrap_err();
        assert!(
            err.contains("instance #2") && err.contains("InstanceTyp"),
            "{err}"
        );
        let err = parse(r#"{"Acount":{}}"#).unwrap_err();
        assert!(err.contains("Acount"), "{err}");
        let err = parse(r#"{"Account":{"Arrears":true}}"#).unwrap_err();
        assert!(err.contains("Arrears"), "{err}");
    }
}
