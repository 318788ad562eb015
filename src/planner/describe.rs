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
use super::sequence::classify;
use super::table::{Attr, Call, StopClass, Val};
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
    let restart_attrs: Vec<&str> = classify(observed, desired)
        .into_iter()
        .filter(|(_, class)| *class == StopClass::Restart)
        .map(|(attr, _)| attr.name())
        .collect();
    let Some(stop_at) = steps.iter().position(|s| *s == Step::Stop) else {
        return reboot_warning(instance_id, observed, steps, &restart_attrs, now);
    };
    let phrases = phrases(observed, steps, Some(now));
    let before_stop = &steps[..stop_at];
    let mut text = String::from("Applying this plan will ");
    let all_changes = modifications(steps, &phrases).count();
    let named;
    let mut waits_while_down = false;
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
        // The reason is what happens while it is down: from the stop to
        // its start (one window per plan).
        let down_until = steps[stop_at..]
            .iter()
            .position(|s| *s == Step::Start)
            .map_or(steps.len(), |i| stop_at + i);
        let window = stop_at..down_until;
        let reason: Vec<&str> =
            modifications(&steps[window.clone()], &phrases[window.clone()]).collect();
        named = reason.len();
        if reason.is_empty() {
            text += " to apply the changes";
        } else {
            text += &format!(" to {}", reason.join(" and "));
        }
        if before_stop
            .iter()
            .any(|s| matches!(s, Step::WaitUntil { .. }))
        {
            text += " once the cooldown since its last modification has passed \
                     (it keeps running meanwhile)";
        }
        if let Some(Step::WaitUntil { until }) = steps[window]
            .iter()
            .find(|s| matches!(s, Step::WaitUntil { .. }))
        {
            text += &format!(
                ", staying stopped up to {} for the modification cooldown between them \
                 (one stop per apply)",
                how_long(until.saturating_sub(now))
            );
            waits_while_down = true;
        }
        text += if started_first {
            ", then start it again"
        } else {
            ", then start it"
        };
        if !restart_attrs.is_empty() {
            let (list, verb) = listed(&restart_attrs);
            text += &format!(" ({list} {verb} effect at that start)");
        }
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
    let waits_up = steps
        .iter()
        .filter(|s| matches!(s, Step::WaitUntil { .. }))
        .count()
        > usize::from(waits_while_down);
    if waits_up && desired.end_status(observed) == PowerState::Running {
        text += " Cooldown waits happen while the instance runs.";
    }
    Some(text)
}

/// The warning of a plan that restarts a running instance without a stop
/// window: one RebootInstance for the changes that need a restart.
fn reboot_warning(
    instance_id: &str,
    observed: &Observed,
    steps: &[Step],
    restart_attrs: &[&str],
    now: Duration,
) -> Option<String> {
    if !steps.contains(&Step::Reboot) {
        return None;
    }
    let phrases = phrases(observed, steps, Some(now));
    let why = if restart_attrs.is_empty() {
        "so that the changes an interrupted apply made take effect".to_owned()
    } else {
        let (list, verb) = listed(restart_attrs);
        format!("once (RebootInstance) so that {list} {verb} effect")
    };
    Some(format!(
        "Applying this plan will restart {instance_id} {why}. Sequence: {}.",
        phrases.join(", ")
    ))
}

/// "a", "a and b", "a, b and c", with the verb's number ("takes"/"take").
fn listed(names: &[&str]) -> (String, &'static str) {
    let verb = if names.len() == 1 { "takes" } else { "take" };
    let list = match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    (list, verb)
}

/// What a plan does that the user must know beyond the stop: the system
/// disk wiped by an image change, and a new `user_data` that ECS does not
/// run again. `(attribute, text)` for each such step.
pub fn change_notes(instance_id: &str, steps: &[Step]) -> Vec<(Attr, String)> {
    let mut notes = Vec::new();
    for step in steps {
        let Step::Call { call, set } = step else {
            continue;
        };
        if *call == Call::ReplaceSystemDisk {
            notes.push((
                Attr::Image,
                format!(
                    "Changing image_id replaces the system disk of {instance_id} (ReplaceSystemDisk): everything on it is erased. The instance keeps its ID, IP addresses and data disks; its password and key pair are set again from the configuration."
                ),
            ));
        }
        if set.contains_key(&Attr::UserData) {
            notes.push((
                Attr::UserData,
                format!(
                    "The new user_data of {instance_id} is stored, but ECS does not run it again: it runs only at an instance's first start. To run it, set user_data_replace_on_change = true (the instance is then replaced) or run it yourself."
                ),
            ));
        }
    }
    notes
}

/// What a plan does to a subscription (PrePaid) instance that the user must
/// know: each downgrade uses one of its [`MAX_REFUNDS`] refunds (counted,
/// or unknown for an imported instance), a bandwidth decrease locks the
/// bandwidth until the next billing cycle, an order is paid from the
/// account (AutoPay), and a type ordered while the instance stays Stopped
/// takes effect only at its next start. `(attribute, summary, text)`.
pub fn subscription_notes(
    instance_id: &str,
    observed: &Observed,
    desired: &Desired,
    steps: &[Step],
) -> Vec<(Attr, &'static str, String)> {
    if observed.charge != ChargeType::PrePaid || steps.is_empty() {
        return Vec::new();
    }
    let mut notes = Vec::new();
    let attr_of = |name: &str| {
        Attr::all()
            .find(|a| a.name() == name)
            .expect("a refund is a table attribute")
    };
    let known = observed.subscription.refunds_used;
    for (i, name) in super::sequence::refunds_needed(observed, desired)
        .into_iter()
        .enumerate()
    {
        let n = u32::try_from(i).unwrap_or(0) + 1;
        let count = match known {
            Some(used) => format!(
                "it uses refund {} of {MAX_REFUNDS} (type, bandwidth and disk downgrades together, for the instance's whole life); {} left after it",
                used + n,
                MAX_REFUNDS.saturating_sub(used + n)
            ),
            None => format!(
                "it uses one of the {MAX_REFUNDS} refunds ECS allows it (type, bandwidth and disk downgrades together, for its whole life). How many were used before this provider managed it is unknown (it was imported): if none is left, ECS refuses the change (InstanceDowngrade.QuotaExceed) and nothing is changed"
            ),
        };
        let lock = if name == Attr::BandwidthOut.name() {
            " A bandwidth decrease also locks the bandwidth: no further bandwidth change until the subscription's next billing cycle (the stricter reading of the ModifyInstanceNetworkSpec pages)."
        } else {
            ""
        };
        notes.push((
            attr_of(name),
            "Subscription Downgrade Uses A Refund",
            format!("{name} of {instance_id} is a subscription downgrade: {count}.{lock}"),
        ));
    }
    let ends_stopped = desired.end_status(observed) == PowerState::Stopped;
    for step in steps {
        match step {
            Step::ModifyPrepayType { to, direction } => {
                let when = if ends_stopped {
                    " The instance stays Stopped (status), so the new type takes effect at its next start; until then it is not running on any type."
                } else {
                    ""
                };
                let pay = match direction {
                    Direction::Upgrade => " The upgrade is an order paid from the account at once (AutoPay): a balance too low leaves it unpaid, and the instance keeps its type.",
                    Direction::Downgrade => "",
                };
                notes.push((
                    Attr::InstanceType,
                    "Subscription Type Change",
                    format!(
                        "instance_type of {instance_id} changes to {to} through ModifyPrepayInstanceSpec (a subscription order), sent {}.{pay}{when}",
                        match direction {
                            Direction::Upgrade => "while the instance runs, before any restart or stop",
                            Direction::Downgrade => "while the instance is stopped (ECS takes downgrades only then)",
                        }
                    ),
                ));
            }
            Step::ModifyBandwidth {
                out: Some(v),
                api: BandwidthApi::Subscription,
                ..
            } if observed.bandwidth.out == 0 && *v > 0 => notes.push((
                Attr::BandwidthOut,
                "Subscription Bandwidth",
                format!("internet_max_bandwidth_out of {instance_id} rises from 0: a subscription instance gets its public IP with it (no separate allocation), paid as an order (AutoPay)."),
            )),
            _ => {}
        }
    }
    notes
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
    if steps.contains(&Step::Stop) || steps.contains(&Step::Reboot) {
        return None;
    }
    let first = steps
        .iter()
        .position(|s| matches!(s, Step::WaitUntil { .. }))?;
    let phrases = phrases(observed, steps, Some(now));
    let why = if steps[..first].iter().any(Step::is_modification) {
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
        .filter(|(s, _)| s.is_change())
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
            Step::Reboot => "restart (RebootInstance)".to_owned(),
            Step::Call { call, set } => call_phrase(observed, *call, set),
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
            Step::ModifyPrepayType { to, direction } => {
                let from = std::mem::replace(&mut instance_type, to.clone());
                let how = match direction {
                    Direction::Upgrade => "upgrade",
                    Direction::Downgrade => "downgrade",
                };
                format!("{how} instance_type {from} → {to} (subscription order, in effect at the next start)")
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

/// The phrase of one call of the other attributes.
fn call_phrase(observed: &Observed, call: Call, set: &super::table::Settings) -> String {
    let change = |attr: Attr, to: &Val| match observed.get(attr) {
        _ if attr.is_sensitive() => attr.name().to_owned(),
        Some(Val::Map(_)) | Some(Val::Set(_)) | None => format!("{} → {}", attr.name(), to.shown()),
        Some(from) => format!("{} {} → {}", attr.name(), from.shown(), to.shown()),
    };
    let all = |attrs: Vec<String>| match attrs.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    };
    match call {
        Call::ReplaceSystemDisk => {
            let image = set.get(&Attr::Image).map_or("?".into(), Val::shown);
            format!("replace the system disk with image_id {image} (the disk is wiped)")
        }
        Call::KeyPair => match set.get(&Attr::KeyPair) {
            Some(Val::None) | None => "detach the key pair (key_name)".to_owned(),
            Some(v) => format!("attach key pair key_name {}", v.shown()),
        },
        Call::ResizeDisk => {
            let to = set
                .get(&Attr::SystemDiskSize)
                .map_or("?".into(), Val::shown);
            let from = observed
                .get(Attr::SystemDiskSize)
                .map_or("?".into(), Val::shown);
            format!("grow system_disk_size {from} → {to}")
        }
        Call::Tags => {
            let to = set.get(&Attr::Tags).map_or("?".into(), Val::shown);
            format!("set tags ({to})")
        }
        Call::Attribute | Call::Vpc | Call::InstanceSpec | Call::Bandwidth | Call::AutoRenew => {
            format!(
                "change {}",
                all(set.iter().map(|(a, v)| change(*a, v)).collect())
            )
        }
    }
}
