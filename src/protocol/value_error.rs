//! The one error type of value encoding and decoding: what is wrong, and
//! where inside the value.

use super::diag::{AttributePath, Diagnostic, PathStep};

/// A value that does not fit its type, or bytes that are not a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    /// Where inside the value; empty for the value itself.
    pub path: AttributePath,
    pub message: String,
}

impl ValueError {
    pub(crate) fn new(path: &[PathStep], message: impl Into<String>) -> Self {
        ValueError {
            path: AttributePath(path.to_vec()),
            message: message.into(),
        }
    }

    /// An error diagnostic pointing at the path, with `summary` as title.
    pub fn to_diagnostic(&self, summary: &str, detail_prefix: &str) -> Diagnostic {
        let diag = Diagnostic::error(summary, format!("{detail_prefix}{self}"));
        if self.path.is_empty() {
            diag
        } else {
            diag.at(self.path.clone())
        }
    }
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ValueError {}

/// Nesting limit for decoding, so hostile bytes cannot exhaust the stack.
/// Real schemas nest a handful of levels.
pub(crate) const MAX_DEPTH: usize = 128;

/// Checks the text of a number sent as a string: an optional minus sign,
/// digits with an optional fraction, and an optional exponent.
pub(crate) fn is_decimal(text: &str) -> bool {
    let s = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text() {
        for ok in ["0", "-12", "1.5", "1.", ".5", "1e9", "-2.5E-3", "1e+2"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in [
            "", "-", ".", "1e", "e3", "1.2.3", "0x10", "NaN", "inf", " 1", "1_0",
        ] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn display_names_the_path() {
        let err = ValueError::new(
            &[
                PathStep::Attribute("tags".into()),
                PathStep::ElementKeyString("env".into()),
            ],
            "expected a string",
        );
        assert_eq!(err.to_string(), r#"at tags["env"]: expected a string"#);
        let diag = err.to_diagnostic("Invalid Value", "");
        assert_eq!(diag.attribute, Some(AttributePath::attr("tags").key("env")));
    }
}
