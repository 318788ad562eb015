//! ClientToken idempotence for mutating actions.
//!
//! A token is admitted once: while its first call runs, another call with it
//! gets `LastTokenProcessing`; after the first call succeeded, the same
//! action with the same parameters gets the first answer's fields again
//! (nothing changes), and anything else gets `IdempotenceParamNotMatch`.
//! Only successes are remembered: a refused call may be retried with the
//! same token once the cause is gone. The signing parameters (nonce,
//! timestamp, signature…) differ on every retry by design and are not
//! compared.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::ApiError;
use super::params::Params;
use super::state::Emulator;
use super::store::Store;

/// Parameters that are not part of what a ClientToken protects.
const NOT_COMPARED: [&str; 13] = [
    "AccessKeyId",
    "Action",
    "ClientToken",
    "Format",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureType",
    "SignatureVersion",
    "SecurityToken",
    "Timestamp",
    "TimeStamp",
    "Version",
];

/// The parameters a token's calls must agree on. They are remembered (and
/// written to the state file), so a `Password` is kept as its SHA-256 only.
pub fn compared_params(params: &Params) -> BTreeMap<String, String> {
    params
        .iter()
        .filter(|(k, _)| !NOT_COMPARED.contains(k))
        .map(|(k, v)| {
            let v = if k == "Password" {
                format!("sha256:{}", crate::ecs::sign::sha256_hex(v.as_bytes()))
            } else {
                v.to_string()
            };
            (k.to_string(), v)
        })
        .collect()
}

/// Checks the token's form: at most 64 ASCII characters.
///
/// # Errors
/// `InvalidClientToken.ValueNotSupported`.
pub fn validate(token: &str) -> Result<(), ApiError> {
    if token.len() > 64 || !token.is_ascii() {
        return Err(ApiError::new(
            400,
            "InvalidClientToken.ValueNotSupported",
            "The ClientToken provided is invalid.",
        ));
    }
    Ok(())
}

/// Outcome of presenting a token.
pub enum Admission {
    /// First call: run it; the guard releases the token when dropped.
    Run(InFlight),
    /// Already answered: these are the first answer's fields.
    Replay(Map<String, Value>),
}

/// Presents `token` for `action` under the store lock.
///
/// # Errors
/// `LastTokenProcessing` (403) or `IdempotenceParamNotMatch` (400).
pub fn admit(
    emu: &Emulator,
    store: &mut Store,
    token: &str,
    action: &str,
    params: &BTreeMap<String, String>,
) -> Result<Admission, ApiError> {
    if store.in_flight.contains(token) {
        return Err(ApiError::new(
            403,
            "LastTokenProcessing",
            "The last token request is processing.",
        ));
    }
    if let Some(rec) = store.tokens.get(token) {
        if rec.action == action && rec.params == *params {
            let fields = match &rec.body {
                Value::Object(m) => m.clone(),
                _ => Map::new(),
            };
            return Ok(Admission::Replay(fields));
        }
        return Err(ApiError::new(
            400,
            "IdempotenceParamNotMatch",
            "Request uses a client token in a previous request but is not identical to that request.",
        ));
    }
    store.in_flight.insert(token.to_string());
    Ok(Admission::Run(InFlight {
        emu: emu.clone(),
        token: token.to_string(),
    }))
}

/// Marks a token in flight until dropped, also when the request is
/// cancelled mid-way (client gone), so the token never stays stuck.
pub struct InFlight {
    emu: Emulator,
    token: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut store = self
            .emu
            .shared
            .store
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        store.in_flight.remove(&self.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_form() {
        assert!(validate(&"a".repeat(64)).is_ok());
        assert_eq!(
            validate(&"a".repeat(65)).unwrap_err().code,
            "InvalidClientToken.ValueNotSupported"
        );
        assert_eq!(validate("jeton-é").unwrap_err().status, 400);
    }

    #[test]
    fn signing_parameters_are_not_compared() {
        let p = Params::from_pairs(
            [
                ("SignatureNonce", "n"),
                ("Timestamp", "t"),
                ("InstanceId", "i-1"),
                ("Action", "X"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let c = compared_params(&p);
        assert_eq!(c.keys().collect::<Vec<_>>(), vec!["InstanceId"]);
    }
}
