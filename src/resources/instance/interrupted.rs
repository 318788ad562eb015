//! What an update cut short by Terraform's Stop (Ctrl-C) left behind, in
//! words: one diagnostic per instance, saying the state it was left in
//! ("started again on ecs.g6.xlarge", "untouched: was waiting for a
//! rolling-update slot") and which planned changes were not made, instead of
//! the same "operation cancelled" line for every instance of a fleet.

use super::execute::Progress;
use crate::protocol::{Diagnostic, Value};
use crate::resources::attrs;
use std::time::Duration;

/// How long, after Terraform's Stop, an update may take to start again an
/// instance it stopped (wait for Stopped if it is still stopping,
/// StartInstance, wait for Running) before answering. Terraform waits for
/// the provider after the first Ctrl-C; a second Ctrl-C kills it, and the
/// stop marker tag then tells the next plan to start the instance. Three
/// minutes covers a stop and a start on ECS with room to spare.
pub const CTRL_C_GRACE: Duration = Duration::from_secs(3 * 60);

/// Whether the instance was started again after the interruption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Restart {
    /// We had not stopped it (or it should stay stopped).
    NotNeeded,
    /// We had stopped it and started it again.
    Started,
    /// We had stopped it, and starting it again failed: why.
    Failed(String),
}

/// The planned changes the interrupted update did not make, by attribute:
/// what each is called in the messages.
const CHANGES: [(&str, &str); 4] = [
    ("instance_type", "type change"),
    ("internet_max_bandwidth_out", "bandwidth change"),
    ("internet_max_bandwidth_in", "inbound bandwidth change"),
    ("status", "power state change"),
];

/// "bandwidth change not made (internet_max_bandwidth_out 5 -> 10)", one
/// per planned change that `now` does not show.
pub fn not_made(planned: &Value, now: &Value) -> Vec<String> {
    CHANGES
        .iter()
        .filter_map(|(name, what)| {
            let want = attrs::get(planned, name);
            let have = attrs::get(now, name);
            if matches!(want, Value::Null | Value::Unknown) || want == have {
                return None;
            }
            Some(format!(
                "{what} not made ({name} {} -> {})",
                shown(have),
                shown(want)
            ))
        })
        .collect()
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => "null".into(),
        other => format!("{other:?}"),
    }
}

/// The one diagnostic for instance `id` after its update was interrupted:
/// `now` is the instance as read back (as state; null if it is gone).
pub fn diagnostic(
    id: &str,
    planned: &Value,
    now: &Value,
    progress: &Progress,
    restart: &Restart,
) -> Diagnostic {
    if *now == Value::Null {
        return Diagnostic::error(
            "Update Interrupted: instance gone",
            format!("{id}: the update was interrupted, and the instance no longer exists (deleted outside Terraform). The next plan creates it again."),
        );
    }
    let ty = attrs::string(now, "instance_type").unwrap_or_else(|| "its current type".into());
    let status = attrs::string(now, "status").unwrap_or_else(|| "in an unknown state".into());
    let (short, long) = match restart {
        Restart::Started => (
            format!("started again on {ty}"),
            format!("started again on {ty}: it had been stopped for this update, and runs again"),
        ),
        Restart::Failed(why) => (
            "left stopped".to_string(),
            format!("left Stopped on {ty}: it had been stopped for this update, and starting it again within {} failed ({why}). The next terraform apply starts it first; or start it in the console", humantime::format_duration(CTRL_C_GRACE)),
        ),
        Restart::NotNeeded if progress.done.is_empty() && !progress.stopped_by_us => {
            match progress.waiting {
                Some(what) => (
                    format!("untouched, was waiting for {what}"),
                    format!("untouched: it was waiting for {what} and kept running on {ty}"),
                ),
                None => (
                    "untouched".to_string(),
                    format!("untouched: the update had not begun; it is {status} on {ty}"),
                ),
            }
        }
        Restart::NotNeeded => {
            let waiting = progress
                .waiting
                .map(|w| format!(", was waiting for {w}"))
                .unwrap_or_default();
            (
                format!("{status} on {ty}{waiting}"),
                format!("{status} on {ty}{waiting}"),
            )
        }
    };
    let missing = not_made(planned, now);
    let rest = if missing.is_empty() {
        "Every planned change was made; run terraform apply again to record it.".to_string()
    } else {
        format!(
            "{}: run terraform apply again to make {}.",
            capitalized(&missing.join("; ")),
            if missing.len() == 1 { "it" } else { "them" }
        )
    };
    Diagnostic::error(
        format!("Update Interrupted: {short}"),
        format!("{id} (Terraform asked the provider to stop): {long}. {rest}"),
    )
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::Step;

    fn inst(status: &str, ty: &str, out: i64) -> Value {
        attrs::object([
            ("status", attrs::str_value(status)),
            ("instance_type", attrs::str_value(ty)),
            ("internet_max_bandwidth_out", attrs::int_value(out)),
            ("internet_max_bandwidth_in", Value::Null),
        ])
    }

    #[test]
    fn each_way_an_update_is_left_has_its_own_words() {
        let planned = inst("Running", "ecs.g6.xlarge", 10);
        let started = Progress {
            done: vec![
                Step::Stop,
                Step::ModifyType {
                    to: "ecs.g6.xlarge".into(),
                },
            ],
            ..Progress::default()
        };
        let now = inst("Running", "ecs.g6.xlarge", 5);
        let d = diagnostic("i-1", &planned, &now, &started, &Restart::Started);
        assert_eq!(
            d.summary,
            "Update Interrupted: started again on ecs.g6.xlarge"
        );
        assert!(d.detail.contains("Bandwidth change not made (internet_max_bandwidth_out 5 -> 10): run terraform apply again"), "{}", d.detail);
        assert!(!d.detail.contains("type change"), "{}", d.detail);

        let queued = Progress {
            waiting: Some(crate::resources::instance::execute::WAIT_SLOT),
            ..Progress::default()
        };
        let old = inst("Running", "ecs.g6.large", 5);
        let d = diagnostic("i-2", &planned, &old, &queued, &Restart::NotNeeded);
        assert_eq!(
            d.summary,
            "Update Interrupted: untouched, was waiting for a rolling-update slot"
        );
        assert!(
            d.detail.contains("kept running on ecs.g6.large"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("Type change not made (instance_type ecs.g6.large -> ecs.g6.xlarge); bandwidth change not made"), "{}", d.detail);

        let stopped = inst("Stopped", "ecs.g6.large", 5);
        let d = diagnostic(
            "i-3",
            &planned,
            &stopped,
            &started,
            &Restart::Failed("no stock".into()),
        );
        assert_eq!(d.summary, "Update Interrupted: left stopped");
        assert!(
            d.detail.contains("no stock") && d.detail.contains("next terraform apply starts it"),
            "{}",
            d.detail
        );

        let d = diagnostic(
            "i-4",
            &planned,
            &old,
            &Progress::default(),
            &Restart::NotNeeded,
        );
        assert_eq!(d.summary, "Update Interrupted: untouched");

        let d = diagnostic("i-5", &planned, &planned, &started, &Restart::Started);
        assert!(
            d.detail.contains("Every planned change was made"),
            "{}",
            d.detail
        );
    }
}
