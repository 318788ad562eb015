//! The marker of a subscription type change that waits for its restart: a
//! tag written on the instance *before* ModifyPrepayInstanceSpec is sent,
//! removed once our start or restart has put the new type in effect.
//!
//! Why a tag (as for [`super::marker`]): ECS puts an ordered type in effect
//! only at the next API start or restart, and an apply can be killed
//! between the order and that restart, when no state or private state is
//! written. Without the tag the next apply cannot tell that a restart is
//! owed: ECS shows the old type until the restart (or, on some accounts,
//! the new type at once: the emulator's `--subscription-type-shown-early`),
//! and a second order is refused (`InvalidOperation.RebootingRequired`).
//!
//! Written before the order, it may outlive an order that never reached
//! ECS; the apply that restarts for it sends the order again first
//! ([`super::execute::Executor::confirm_order`]: `RebootingRequired` means
//! the first is there).
//!
//! Its value is `FROM TO START`: the type before, the type ordered, and the
//! instance's `StartTime` when it was written. The order is in effect once
//! the instance has started since (its `StartTime` differs), or when our
//! own start or restart removed the tag.
//!
//! What the provider shows while it waits ([`shown_type`]): on a running
//! instance the type it runs with (FROM), so the state never claims the new
//! type before it is in effect, and the next plan restarts it; on a stopped
//! one the ordered type (TO), which it gets at its next start (Terraform
//! requires the applied state to be the configured value, and a stopped
//! instance runs no type at all).

use crate::ecs;

/// The tag key. Tag keys may not start with `aliyun` or `acs:`.
pub const KEY: &str = "terraform-provider-ecs:type-pending-restart";

/// The tag's value for an order from `from` to `to` on `inst`.
pub fn value(from: &str, to: &str, inst: &ecs::Instance) -> String {
    format!("{from} {to} {}", inst.start_time)
}

/// The order the tag records: (from, to, start time when written).
fn parsed(inst: &ecs::Instance) -> Option<(&str, &str, &str)> {
    let v = inst
        .tags
        .iter()
        .find(|(k, _)| k == KEY)
        .map(|(_, v)| v.as_str())?;
    let mut parts = v.splitn(3, ' ');
    Some((parts.next()?, parts.next()?, parts.next().unwrap_or("")))
}

/// Whether the instance carries the tag at all.
pub fn carried_by(inst: &ecs::Instance) -> bool {
    parsed(inst).is_some()
}

/// The type ordered and not yet in effect, if any: the tag is there and
/// the instance has not started since it was written.
pub fn pending_type(inst: &ecs::Instance) -> Option<String> {
    let (_, to, start) = parsed(inst)?;
    (inst.start_time == start).then(|| to.to_string())
}

/// The type the provider shows for `inst` (see the module docs).
pub fn shown_type(inst: &ecs::Instance) -> String {
    match parsed(inst) {
        Some((from, to, start)) if inst.start_time == start => {
            if matches!(inst.status.as_str(), "Stopped" | "Stopping") {
                to.to_string()
            } else {
                from.to_string()
            }
        }
        _ => inst.instance_type.clone(),
    }
}

/// The type in effect, as the planner must see it: FROM while the order
/// waits (a stopped instance too: it starts on the new type, but the
/// planner counts the pending order as reached, see `Subscription`).
pub fn effective_type(inst: &ecs::Instance) -> String {
    match parsed(inst) {
        Some((from, _, start)) if inst.start_time == start => from.to_string(),
        _ => inst.instance_type.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::instance::state::tests::sample_instance;

    #[test]
    fn a_waiting_order_shows_the_old_type_while_running_and_the_new_while_stopped() {
        let mut inst = sample_instance();
        inst.instance_type = "ecs.g6.xlarge".into(); // shown early by ECS
        inst.start_time = "2026-12-05T00:00Z".into();
        inst.tags
            .push((KEY.into(), value("ecs.g6.large", "ecs.g6.xlarge", &inst)));
        inst.status = "Running".into();
        assert_eq!(shown_type(&inst), "ecs.g6.large");
        assert_eq!(pending_type(&inst).as_deref(), Some("ecs.g6.xlarge"));
        inst.status = "Stopped".into();
        assert_eq!(shown_type(&inst), "ecs.g6.xlarge");
        assert_eq!(effective_type(&inst), "ecs.g6.large");
        // Started since: in effect, whatever the tag says.
        inst.status = "Running".into();
        inst.start_time = "2026-12-05T00:07Z".into();
        assert_eq!(shown_type(&inst), "ecs.g6.xlarge");
        assert_eq!(pending_type(&inst), None);
    }
}
