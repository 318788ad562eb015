//! Request parameters, merged from the query string and a form body, with
//! typed getters whose errors name the parameter.
//!
//! RPC clients disagree on where parameters go (the generated SDKs put them
//! in the query of a POST, others in a form body), so the emulator accepts
//! both, like the real endpoint.

use std::collections::BTreeMap;
use std::str::FromStr;

use super::error::ApiError;

/// Parameters of one request, by name. An empty value counts as absent for
/// the typed getters, as ECS treats it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: BTreeMap<String, String>,
}

impl Params {
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        Params {
            map: pairs.into_iter().collect(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn raw(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// The value when present and non-empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.raw(key).filter(|v| !v.is_empty())
    }

    /// # Errors
    /// `MissingParameter` naming `key`.
    pub fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key).ok_or_else(|| ApiError::missing(key))
    }

    /// A number, when given.
    ///
    /// # Errors
    /// `InvalidParameter` naming `key` when it is not a number.
    pub fn number<T: FromStr>(&self, key: &str) -> Result<Option<T>, ApiError> {
        self.get(key)
            .map(|v| v.trim().parse::<T>().map_err(|_| ApiError::invalid(key)))
            .transpose()
    }

    /// A boolean (`true`/`false`, any case), when given.
    ///
    /// # Errors
    /// `InvalidParameter` naming `key` for any other value.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(key)),
        }
    }

    /// A 1-based repeated list `Prefix.1`, `Prefix.2`, …, in index order.
    pub fn list(&self, prefix: &str) -> Vec<String> {
        let dotted = format!("{prefix}.");
        let mut items: Vec<(u32, String)> = self
            .map
            .range(dotted.clone()..)
            .take_while(|(k, _)| k.starts_with(&dotted))
            .filter_map(|(k, v)| Some((k[dotted.len()..].parse().ok()?, v.clone())))
            .filter(|(_, v): &(u32, String)| !v.is_empty())
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, v)| v).collect()
    }

    /// Pairs `Prefix.N.Key` / `Prefix.N.Value` (tags), in index order.
    pub fn pairs(&self, prefix: &str, key: &str, value: &str) -> Vec<(String, String)> {
        let mut out = BTreeMap::new();
        let dotted = format!("{prefix}.");
        for (k, v) in self.map.range(dotted.clone()..) {
            let Some(rest) = k.strip_prefix(&dotted) else {
                break;
            };
            let Some((n, field)) = rest.split_once('.') else {
                continue;
            };
            let Ok(n) = n.parse::<u32>() else { continue };
            let entry: &mut (String, String) = out.entry(n).or_default();
            if field == key {
                entry.0 = v.clone();
            } else if field == value {
                entry.1 = v.clone();
            }
        }
        out.into_values().filter(|(k, _)| !k.is_empty()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn lists_are_ordered_by_index_not_by_text() {
        let p = params(&[("Id.10", "j"), ("Id.2", "b"), ("Id.1", "a"), ("Idx", "no")]);
        assert_eq!(p.list("Id"), vec!["a", "b", "j"]);
    }

    #[test]
    fn tags_pair_key_and_value() {
        let p = params(&[("Tag.2.Key", "b"), ("Tag.1.Key", "a"), ("Tag.1.Value", "1")]);
        assert_eq!(
            p.pairs("Tag", "Key", "Value"),
            vec![("a".into(), "1".into()), ("b".into(), String::new())]
        );
    }

    #[test]
    fn typed_getters_name_the_parameter() {
        let p = params(&[("N", "x"), ("B", "TRUE"), ("E", "")]);
        assert_eq!(
            p.number::<i64>("N").unwrap_err().message,
            "The specified parameter N is not valid."
        );
        assert_eq!(p.boolean("B").unwrap(), Some(true));
        assert_eq!(p.get("E"), None);
        assert_eq!(p.required("E").unwrap_err().code, "MissingParameter");
    }
}
