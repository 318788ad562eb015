//! Checks of the values RunInstances, ModifyInstanceAttribute and
//! ReplaceSystemDisk share: host name, password and user data, with ECS's
//! rules and codes. The password is only checked here; callers keep a hash
//! (`instance::password_hash`), never the value.

use base64::Engine;

use crate::emulator::error::ApiError;
use crate::emulator::params::Params;

/// User data may be at most 32 KB before Base64 encoding.
pub const MAX_USER_DATA: usize = 32 * 1024;

/// Special characters a password may use.
const SPECIALS: &str = "()`~!@#$%^&*-_+=|{}[]:;'<>,.?/";

/// `HostName`, when given: 2–64 characters (Windows 2–15) of letters,
/// digits, `.` and `-` (Windows: no `.`), not starting or ending with `.`
/// or `-`, no two of them in a row, not all digits on Windows.
///
/// # Errors
/// 400 `InvalidHostName.Malformed`.
pub fn host_name(params: &Params, windows: bool) -> Result<Option<String>, ApiError> {
    let Some(h) = params.get("HostName") else {
        return Ok(None);
    };
    let max = if windows { 15 } else { 64 };
    let chars: Vec<char> = h.chars().collect();
    let punct = |c: char| c == '.' || c == '-';
    let ok = (2..=max).contains(&chars.len())
        && chars
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == '-' || (*c == '.' && !windows))
        && !punct(chars[0])
        && !punct(chars[chars.len() - 1])
        && !chars.windows(2).any(|w| punct(w[0]) && punct(w[1]))
        && (!windows || !chars.iter().all(char::is_ascii_digit));
    if ok {
        Ok(Some(h.to_string()))
    } else {
        Err(ApiError::invalid_code(
            "InvalidHostName.Malformed",
            "HostName",
        ))
    }
}

/// `Password`, when given: 8–30 characters with three of upper-case,
/// lower-case, digits and specials, and nothing else. The value goes back
/// only to be hashed.
///
/// # Errors
/// 400 `InvalidPassword.Malformed` (the message never repeats it).
pub fn password(params: &Params) -> Result<Option<&str>, ApiError> {
    let Some(p) = params.get("Password") else {
        return Ok(None);
    };
    let n = p.chars().count();
    let allowed = p
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c));
    let classes = [
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| SPECIALS.contains(c)),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if (8..=30).contains(&n) && allowed && classes >= 3 {
        Ok(Some(p))
    } else {
        Err(ApiError::invalid_code(
            "InvalidPassword.Malformed",
            "Password",
        ))
    }
}

/// `UserData`, when given: Base64 of at most [`MAX_USER_DATA`] bytes; the
/// Base64 text is what is kept and shown.
///
/// # Errors
/// 400 `InvalidUserData.Base64FormatInvalid` (not Base64),
/// `InvalidUserData.SizeExceeded` (too large).
pub fn user_data(params: &Params) -> Result<Option<String>, ApiError> {
    let Some(u) = params.get("UserData") else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(u.trim())
        .map_err(|_| {
            ApiError::new(
                400,
                "InvalidUserData.Base64FormatInvalid",
                "The specified UserData is not valid Base64.",
            )
        })?;
    if bytes.len() > MAX_USER_DATA {
        return Err(ApiError::new(
            400,
            "InvalidUserData.SizeExceeded",
            "The specified UserData exceeds the size limit of 32 KB before encoding.",
        ));
    }
    Ok(Some(u.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> Params {
        Params::from_pairs([(k.to_string(), v.to_string())])
    }

    #[test]
    fn host_names() {
        assert!(host_name(&p("HostName", "web-1.prod"), false).is_ok());
        for bad in ["a", "-web", "web.", "we..b", "we-.b", "web_1"] {
            assert!(host_name(&p("HostName", bad), false).is_err(), "{bad}");
        }
        assert!(host_name(&p("HostName", "web.prod"), true).is_err());
        assert!(host_name(&p("HostName", "1234"), true).is_err());
        assert!(host_name(&p("HostName", "a-very-long-windows-name"), true).is_err());
    }

    #[test]
    fn passwords() {
        for good in ["Sup3rSecret!", "abcDEF12", "abc-def-12"] {
            assert!(password(&p("Password", good)).is_ok(), "{good}");
        }
        for bad in ["Ab1!", "abcdefgh", "ABCdefgh", "Abc 12345", "Sup3rSécret!"] {
            let e = password(&p("Password", bad)).unwrap_err();
            assert_eq!(e.code, "InvalidPassword.Malformed");
            assert!(!e.message.contains(bad));
        }
    }

    #[test]
    fn user_data_limit_is_before_encoding() {
        let enc = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![b'x'; n]);
        assert!(user_data(&p("UserData", &enc(MAX_USER_DATA))).is_ok());
        assert_eq!(
            user_data(&p("UserData", &enc(MAX_USER_DATA + 1)))
                .unwrap_err()
                .code,
            "InvalidUserData.SizeExceeded"
        );
        assert!(user_data(&p("UserData", "%%%")).is_err());
    }
}
