//! The journal: every API request the emulator answered and every status
//! change of every instance, with millisecond timestamps. Tests read it
//! through `GET /_emulator/journal`, e.g. to measure downtime as the time
//! from leaving Running to being Running again.
//!
//! It lives in memory only (a restart starts a new journal) and keeps the
//! newest [`MAX_ENTRIES`] of each kind.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// Entries kept per list; older ones are dropped first.
pub const MAX_ENTRIES: usize = 100_000;

/// RFC 3339 with milliseconds and `Z`.
pub fn rfc3339_millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One answered API request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RequestEntry {
    pub time: String,
    pub action: String,
    /// Parameters without `Signature` and `SecurityToken`; a `Password` is
    /// shown as `***`.
    pub params: BTreeMap<String, String>,
    /// `OK` or the error code.
    pub code: String,
    pub http_status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// True when `--drop-rate` closed the connection instead of answering.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dropped: bool,
    /// The access key id the request was signed with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// When that credential expires (STS credentials the emulator issued).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_expires: Option<String>,
}

/// One status change. `from` is null when the instance appeared (creation,
/// seed, admin API); `to` is `Deleted` when it went away. `instance_type` is
/// the instance's type at the change (how long a transition takes depends on
/// it, and the timeline labels its rows with it).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatusChange {
    pub time: String,
    pub instance_id: String,
    pub from: Option<String>,
    pub to: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub instance_type: String,
}

#[derive(Debug, Default)]
pub struct Journal {
    requests: VecDeque<RequestEntry>,
    status_changes: VecDeque<StatusChange>,
}

/// Parameters never written to the journal.
const SECRET_PARAMS: [&str; 3] = ["Signature", "SecurityToken", "OIDCToken"];
/// Parameters whose presence the journal keeps (a rule or a test needs to
/// know a password was sent) but whose value it replaces with `***`.
const MASKED_PARAMS: [&str; 1] = ["Password"];

pub fn redact<'a, I: IntoIterator<Item = (&'a str, &'a str)>>(
    params: I,
) -> BTreeMap<String, String> {
    params
        .into_iter()
        .filter(|(k, _)| !SECRET_PARAMS.contains(k))
        .map(|(k, v)| {
            let v = if MASKED_PARAMS.contains(&k) { "***" } else { v };
            (k.to_string(), v.to_string())
        })
        .collect()
}

impl Journal {
    pub fn record_request(&mut self, entry: RequestEntry) {
        if self.requests.len() == MAX_ENTRIES {
            self.requests.pop_front();
        }
        self.requests.push_back(entry);
    }

    pub fn record_status(
        &mut self,
        at: DateTime<Utc>,
        id: &str,
        instance_type: &str,
        from: Option<&str>,
        to: &str,
    ) {
        if self.status_changes.len() == MAX_ENTRIES {
            self.status_changes.pop_front();
        }
        self.status_changes.push_back(StatusChange {
            time: rfc3339_millis(at),
            instance_id: id.to_string(),
            from: from.map(str::to_string),
            to: to.to_string(),
            instance_type: instance_type.to_string(),
        });
    }

    /// The `GET /_emulator/journal` body. `settings` carries what a reader
    /// needs to interpret it without the emulator (the timeline shades each
    /// cooldown window from it).
    pub fn to_json(&self, settings: &JournalSettings) -> serde_json::Value {
        serde_json::json!({
            "settings": settings,
            "requests": self.requests,
            "status_changes": self.status_changes,
        })
    }
}

/// The emulator settings a journal is read with.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JournalSettings {
    /// `--cooldown`: how long a modified instance refuses the next modification.
    pub cooldown_ms: u64,
    /// `--transition`: the base time of Pending, Stopping and Starting.
    pub transition_ms: u64,
}

impl JournalSettings {
    pub fn of(config: &super::config::Config) -> Self {
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        JournalSettings {
            cooldown_ms: ms(config.cooldown),
            transition_ms: ms(config.transition),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_the_journal() {
        let p = redact([
            ("Signature", "s"),
            ("Password", "p"),
            ("SecurityToken", "t"),
            ("InstanceId", "i-1"),
        ]);
        assert_eq!(p.len(), 2);
        assert_eq!(p["InstanceId"], "i-1");
        assert_eq!(p["Password"], "***", "sent, value hidden");
    }

    #[test]
    fn times_have_milliseconds() {
        let t = DateTime::parse_from_rfc3339("2024-05-01T10:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(rfc3339_millis(t), "2024-05-01T10:00:00.500Z");
    }
}
