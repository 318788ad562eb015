//! Plain-language text for a plan: a one-line summary of the steps, and the
//! warning every plan that stops an instance must carry.
//!
//! Why a warning: in-place updates look harmless in `terraform plan`, and a
//! resize that silently reboots a production VM is the complaint users of
//! other providers raise most. So the plan names the instance, why it will be
//! stopped, and the whole sequence, including cooldown waits, so nobody is
//! surprised at apply time.
use super::model::*;

/// The steps as a comma-separated sentence fragment, e.g.
/// `"stop, change instance_type ecs.g6.large → ecs.g6.xlarge, start"`;
/// `"no change"` when there are no steps.
pub fn summary(observed: &Observed, steps: &[Step]) -> String {
    if steps.is_empty() {
        return "no change".to_owned();
    }
    phrases(observed, steps).join(", ")
}

/// A warning for plans that stop the instance, `None` for the others. It
/// names the instance, the reason (a type change, or `status = "Stopped"`),
/// any cooldown wait before the stop, and the expected sequence, e.g.
/// "Applying this plan will stop i-1 to change instance_type ecs.g6.large →
/// ecs.g6.xlarge, then start it. Sequence: stop, change instance_type
/// ecs.g6.large → ecs.g6.xlarge, start."
pub fn stop_warning(
    instance_id: &str,
    observed: &Observed,
    desired: &Desired,
    steps: &[Step],
) -> Option<String> {
    let stop_at = steps.iter().position(|s| *s == Step::Stop)?;
    let phrases = phrases(observed, steps);
    let before_stop = &steps[..stop_at];
    let mut text = String::from("Applying this plan will ");
    if desired.end_status(observed) == PowerState::Stopped {
        text += &format!("stop {instance_id} because status = \"Stopped\"");
        let changes: Vec<&str> = modifications(steps, &phrases).collect();
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
        for (at, _) in steps.iter().enumerate().filter(|(_, s)| **s == Step::Stop) {
            let down_until = steps[at..]
                .iter()
                .position(|s| *s == Step::Start)
                .map_or(steps.len(), |i| at + i);
            let window = at..down_until;
            let reason: Vec<&str> =
                modifications(&steps[window.clone()], &phrases[window]).collect();
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
    text += &format!(". Sequence: {}.", phrases.join(", "));
    let waits = steps.iter().any(|s| matches!(s, Step::WaitUntil { .. }));
    if waits && desired.end_status(observed) == PowerState::Running {
        text += " Cooldown waits happen while the instance runs.";
    }
    Some(text)
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
fn phrases(observed: &Observed, steps: &[Step]) -> Vec<String> {
    let mut instance_type = observed.instance_type.clone();
    let mut bandwidth = observed.bandwidth;
    steps
        .iter()
        .map(|step| match step {
            Step::Stop => "stop".to_owned(),
            Step::Start => "start".to_owned(),
            Step::WaitUntil { .. } => "wait for the cooldown".to_owned(),
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
