//! Plain-language text for a plan: a one-line summary of the steps, and the
//! warning every plan that stops an instance must carry.
//!
//! Why a warning: in-place updates look harmless in `terraform plan`, and a
//! resize that silently reboots a production VM is the complaint users of
//! other providers raise most. So the plan names the instance, why it will be
//! stopped, and the whole sequence, including cooldown waits, so nobody is
//! surprised at apply time. Each cooldown wait says how long it may last
//! (from `now`, which the caller passes: the planner reads no clock), and a
//! plan that waits without stopping gets a note of its own ([`wait_note`]).
use super::model::*;
use std::time::Duration;

/// The steps as a comma-separated sentence fragment, e.g.
/// `"stop, change instance_type ecs.g6.large → ecs.g6.xlarge, start"`;
/// `"no change"` when there are no steps.
pub fn summary(observed: &Observed, steps: &[Step]) -> String {
    if steps.is_empty() {
        return "no change".to_owned();
    }
    phrases(observed, steps, None).join(", ")
}

/// A warning for plans that stop the instance, `None` for the others. It
/// names the instance, the reason (a type change, or `status = "Stopped"`),
/// any cooldown wait before the stop, and the expected sequence, e.g.
/// "Applying this plan will stop i-1 to change instance_type ecs.g6.large →
/// ecs.g6.xlarge, then start it." (the sequence follows when the sentence
/// does not say it all). `now` is the time the plan was made, on the epoch
/// of [`Step::WaitUntil`].
pub fn stop_warning(
    instance_id: &str,
    observed: &Observed,
    desired: &Desired,
    steps: &[Step],
    now: Duration,
) -> Option<String> {
    let stop_at = steps.iter().position(|s| *s == Step::Stop)?;
    let phrases = phrases(observed, steps, Some(now));
    let before_stop = &steps[..stop_at];
    let mut text = String::from("Applying this plan will ");
    let all_changes = modifications(steps, &phrases).count();
    let mut named;
    if desired.end_status(observed) == PowerState::Stopped {
        text += &format!("stop {instance_id} because status = \"Stopped\"");
        let changes: Vec<&str> = modifications(steps, &phrases).collect();
        named = changes.len();
        if !changes.is_empty() {
            text += &format!(", and {} while it is stopped", changes.join(" and "));
        }
        text += "; it stays stopped";
    } else {
        let started_first = before_stop.contains(&Step::Start);
        if started_first {
            text += &format!("start {instance_id} now, then stop it");
        } else {
            text += &format!("stop {instance_id}");
        }
        // The reason is what happens while it is down: each stop up to its
        // start (a second window comes a cooldown later).
        let mut reasons = Vec::new();
        named = 0;
        for (at, _) in steps.iter().enumerate().filter(|(_, s)| **s == Step::Stop) {
            let down_until = steps[at..]
                .iter()
                .position(|s| *s == Step::Start)
                .map_or(steps.len(), |i| at + i);
            let window = at..down_until;
            let reason: Vec<&str> =
                modifications(&steps[window.clone()], &phrases[window]).collect();
            named += reason.len();
            if !reason.is_empty() {
                reasons.push(reason.join(" and "));
            }
        }
        let mut reasons = reasons.into_iter();
        match reasons.next() {
            None => text += " to apply the changes",
            Some(first) => text += &format!(" to {first}"),
        }
        if before_stop
            .iter()
            .any(|s| matches!(s, Step::WaitUntil { .. }))
        {
            text += " once the cooldown since its last modification has passed \
                     (it keeps running meanwhile)";
        }
        for r in reasons {
            text += &format!(
                ", start it, wait for the cooldown while it runs, and stop it again to {r}"
            );
        }
        text += if started_first {
            ", then start it again"
        } else {
            ", then start it"
        };
    }
    let waits = steps.iter().any(|s| matches!(s, Step::WaitUntil { .. }));
    // Terraform shows this warning at plan and again at apply (it plans
    // twice, and the provider cannot tell the two apart), once per
    // instance: the sequence is spelled out only when the sentence leaves
    // something out.
    if waits || named < all_changes {
        text += &format!(". Sequence: {}.", phrases.join(", "));
    } else {
        text += ".";
    }
    if waits && desired.end_status(observed) == PowerState::Running {
        text += " Cooldown waits happen while the instance runs.";
    }
    Some(text)
}

/// A note for plans that wait for the cooldown without stopping the
/// instance (e.g. a bandwidth change soon after an earlier modification),
/// `None` for the others: the apply would otherwise sit silently on
/// "Still modifying..." for minutes.
pub fn wait_note(
    instance_id: &str,
    observed: &Observed,
    steps: &[Step],
    now: Duration,
) -> Option<String> {
    if steps.contains(&Step::Stop) {
        return None;
    }
    let first = steps
        .iter()
        .position(|s| matches!(s, Step::WaitUntil { .. }))?;
    let phrases = phrases(observed, steps, Some(now));
    let why = if steps[..first].iter().any(|s| {
        matches!(
            s,
            Step::ModifyType { .. } | Step::ModifyBandwidth { .. } | Step::AllocatePublicIp { .. }
        )
    }) {
        "between its modifications"
    } else {
        "since its last modification"
    };
    Some(format!(
        "Applying this plan will make {instance_id} wait for the modification cooldown {why} (the API refuses a second modification within the cooldown), without stopping it. Sequence: {}.",
        phrases.join(", ")
    ))
}

/// "4m 50s": a wait rounded up to whole seconds.
fn how_long(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    humantime::format_duration(Duration::from_secs(secs.max(1))).to_string()
}

/// The phrases of the modification steps among `steps`.
fn modifications<'a>(steps: &'a [Step], phrases: &'a [String]) -> impl Iterator<Item = &'a str> {
    steps
        .iter()
        .zip(phrases)
        .filter(|(s, _)| {
            matches!(
                s,
                Step::ModifyType { .. }
                    | Step::ModifyBandwidth { .. }
                    | Step::AllocatePublicIp { .. }
            )
        })
        .map(|(_, p)| p.as_str())
}

/// One phrase per step, tracking the values so each change reads "from → to".
/// With `now`, waits say how long they may last: `until` was computed as if
/// every step took no time, so the real wait is at most that.
fn phrases(observed: &Observed, steps: &[Step], now: Option<Duration>) -> Vec<String> {
    let mut instance_type = observed.instance_type.clone();
    let mut bandwidth = observed.bandwidth;
    steps
        .iter()
        .map(|step| match step {
            Step::Stop => "stop".to_owned(),
            Step::Start => "start".to_owned(),
            Step::WaitUntil { until } => match now {
                Some(now) => format!(
                    "wait up to {} for the modification cooldown",
                    how_long(until.saturating_sub(now))
                ),
                None => "wait for the cooldown".to_owned(),
            },
            Step::AllocatePublicIp { .. } => "allocate a public IP".to_owned(),
            Step::ModifyType { to } => {
                let from = std::mem::replace(&mut instance_type, to.clone());
                format!("change instance_type {from} → {to}")
            }
            Step::ModifyBandwidth { out, inbound, .. } => {
                let mut parts = Vec::new();
                if let Some(to) = out {
                    let from = std::mem::replace(&mut bandwidth.out, *to);
                    parts.push(format!("internet_max_bandwidth_out {from} → {to}"));
                }
                if let Some(to) = inbound {
                    let from = std::mem::replace(&mut bandwidth.inbound, *to);
                    parts.push(format!("internet_max_bandwidth_in {from} → {to}"));
                }
                format!("change {}", parts.join(" and "))
            }
        })
        .collect()
}
