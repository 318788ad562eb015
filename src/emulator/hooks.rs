//! Test hooks: make one chosen request misbehave at a chosen moment, so a
//! test can interrupt a client at an exact step (the interruption matrix).
//!
//! A hook matches an action (and optionally an instance), skips the first
//! `skip` matches and then fires `times` times. When it fires, it is
//! recorded (tests poll `GET /_emulator/hooks` to learn that the request
//! arrived), and then, depending on its settings:
//! - `phase = before`: the request is held `hold` before it is run (it is
//!   in flight, nothing applied yet); with `drop` the connection is then
//!   closed and the request never runs;
//! - `phase = after`: the request runs, the transition it started (Stopping,
//!   Starting) is given `transition` instead of `--transition`, the answer is
//!   held `hold`, and with `drop` the connection is closed instead of
//!   answering (the change stays applied);
//! - `blackout`: from then on, for that long, every API request is dropped
//!   unanswered and not run (a lost connection to the API).
//!
//! Hooks live in memory only (never in the state file).

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Phase {
    #[default]
    #[serde(rename = "before")]
    Before,
    #[serde(rename = "after")]
    After,
}

/// What a test asks for, as the admin API takes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields, default)]
pub struct HookSpec {
    pub action: String,
    /// Only requests about this instance (`InstanceId` or `ResourceId.1`).
    pub instance_id: Option<String>,
    pub phase: Phase,
    /// Matching requests to let through before firing.
    pub skip: u32,
    /// How many times to fire (default 1).
    pub times: Option<u32>,
    pub hold_ms: u64,
    pub drop: bool,
    pub transition_ms: Option<u64>,
    pub blackout_ms: u64,
}

#[derive(Debug, Clone)]
struct Hook {
    id: u64,
    spec: HookSpec,
    seen: u32,
    fired: u32,
}

/// One firing, for the test to see.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Fired {
    pub hook: u64,
    pub action: String,
    pub instance_id: Option<String>,
    pub time: DateTime<Utc>,
}

/// What the request pipeline must do for a request a hook fired on.
#[derive(Debug, Clone)]
pub struct Effect {
    pub phase: Phase,
    pub hold: Duration,
    pub drop: bool,
    pub transition: Option<Duration>,
}

#[derive(Default)]
struct Inner {
    hooks: Vec<Hook>,
    fired: Vec<Fired>,
    next_id: u64,
    blackout_until: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct Hooks(Mutex<Inner>);

impl Hooks {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a hook; returns its id.
    pub fn add(&self, spec: HookSpec) -> u64 {
        let mut inner = self.inner();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.hooks.push(Hook {
            id,
            spec,
            seen: 0,
            fired: 0,
        });
        id
    }

    /// Removes every hook and ends any blackout.
    pub fn clear(&self) {
        let mut inner = self.inner();
        inner.hooks.clear();
        inner.blackout_until = None;
    }

    /// True while a blackout drops every request.
    pub fn blacked_out(&self, now: DateTime<Utc>) -> bool {
        self.inner().blackout_until.is_some_and(|t| now < t)
    }

    /// The first hook that fires on this request, if any.
    pub fn fire(
        &self,
        action: &str,
        instance_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Option<Effect> {
        let mut inner = self.inner();
        let mut chosen = None;
        for (n, h) in inner.hooks.iter_mut().enumerate() {
            let matches = h.spec.action == action
                && h.spec
                    .instance_id
                    .as_deref()
                    .is_none_or(|want| Some(want) == instance_id)
                && h.fired < h.spec.times.unwrap_or(1);
            if matches {
                h.seen += 1;
                if h.seen > h.spec.skip {
                    chosen = Some(n);
                    break;
                }
            }
        }
        let hook = &mut inner.hooks[chosen?];
        hook.fired += 1;
        let (id, spec) = (hook.id, hook.spec.clone());
        inner.fired.push(Fired {
            hook: id,
            action: action.to_string(),
            instance_id: instance_id.map(String::from),
            time: now,
        });
        if spec.blackout_ms > 0 {
            let until = now + chrono::Duration::milliseconds(spec.blackout_ms as i64);
            inner.blackout_until = Some(until);
        }
        tracing::info!(action, hook = id, "test hook fired");
        Some(Effect {
            phase: spec.phase,
            hold: Duration::from_millis(spec.hold_ms),
            drop: spec.drop,
            transition: spec.transition_ms.map(Duration::from_millis),
        })
    }

    /// `{"Hooks":[…],"Fired":[…]}`.
    pub fn to_json(&self) -> Value {
        let inner = self.inner();
        let hooks: Vec<Value> = inner
            .hooks
            .iter()
            .map(|h| {
                let mut v = serde_json::to_value(&h.spec).unwrap_or(Value::Null);
                v["Id"] = json!(h.id);
                v["Fired"] = json!(h.fired);
                v
            })
            .collect();
        json!({"Hooks": hooks, "Fired": inner.fired})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_skips_then_fires_its_times_for_its_instance_only() {
        let hooks = Hooks::default();
        hooks.add(HookSpec {
            action: "ModifyInstanceSpec".into(),
            instance_id: Some("i-1".into()),
            skip: 1,
            hold_ms: 5,
            ..HookSpec::default()
        });
        let now = Utc::now();
        assert!(hooks.fire("ModifyInstanceSpec", Some("i-2"), now).is_none());
        assert!(hooks.fire("StopInstance", Some("i-1"), now).is_none());
        assert!(
            hooks.fire("ModifyInstanceSpec", Some("i-1"), now).is_none(),
            "skipped"
        );
        let e = hooks.fire("ModifyInstanceSpec", Some("i-1"), now).unwrap();
        assert_eq!(e.hold, Duration::from_millis(5));
        assert!(
            hooks.fire("ModifyInstanceSpec", Some("i-1"), now).is_none(),
            "fired once"
        );
        assert_eq!(hooks.to_json()["Fired"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_blackout_lasts_its_time() {
        let hooks = Hooks::default();
        hooks.add(HookSpec {
            action: "StopInstance".into(),
            blackout_ms: 1000,
            ..HookSpec::default()
        });
        let now = Utc::now();
        assert!(!hooks.blacked_out(now));
        hooks.fire("StopInstance", None, now).unwrap();
        assert!(hooks.blacked_out(now + chrono::Duration::milliseconds(999)));
        assert!(!hooks.blacked_out(now + chrono::Duration::milliseconds(1000)));
    }
}
