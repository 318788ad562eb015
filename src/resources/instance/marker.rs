//! The marker an update leaves on an instance it stops: a tag that says
//! "stopped by a Terraform apply that will start it again".
//!
//! Why a tag: an apply can end at any instant, including SIGKILL of
//! Terraform and the provider together, when no answer reaches Terraform
//! and no state or private state is written. The tag lives with the
//! instance, so the next Read still sees that the instance is down because
//! of us, and with `status` unset the next plan starts it again; a user's
//! own stop carries no marker and stays theirs.
//!
//! The lifecycle, kept by [`super::execute`]:
//! 1. TagResources *before* StopInstance (if tagging fails, nothing has
//!    been stopped yet);
//! 2. UntagResources as soon as StartInstance is accepted (the instance
//!    comes up by itself from there);
//! 3. an update that finds a marker it did not write (an earlier apply was
//!    killed) removes it once the instance runs or the user's configuration
//!    says `status = "Stopped"`.
//!
//! A marker seen on a *running* instance was overtaken (the user started the
//! instance outside Terraform after an interrupted apply): Read remembers its
//! value in private state as stale, so a later stop by the user is not taken
//! for ours.
//!
//! Cost: one TagResources and one UntagResources per instance and resize,
//! both merged across instances by the client (up to 50 ids per call), so
//! a fleet pays about two calls per 50 instances.

use crate::ecs;
use std::time::Duration;

/// The tag key. Tag keys may not start with `aliyun` or `acs:`.
pub const KEY: &str = "terraform-provider-ecs:stopped-for-update";

/// The value for a stop at `now` (since the UNIX epoch): the time in
/// milliseconds, so each stop writes a value of its own. That tells a
/// marker a user's start has made stale (Read remembers its value in
/// private state) from a fresh one written by a later apply.
pub fn value_at(now: Duration) -> String {
    format!("stopped-at-{}", now.as_millis())
}

/// The marker's value, if the instance carries it.
pub fn value(inst: &ecs::Instance) -> Option<&str> {
    inst.tags
        .iter()
        .find(|(k, _)| k == KEY)
        .map(|(_, v)| v.as_str())
}

/// Whether the instance carries our marker.
pub fn carried_by(inst: &ecs::Instance) -> bool {
    value(inst).is_some()
}

/// Whether the instance is down and carries a marker other than `stale`
/// (one seen earlier on the running instance, i.e. left behind by an
/// interrupted apply and then overtaken by a start outside Terraform).
pub fn stopped_by_us(inst: &ecs::Instance, stale: Option<&str>) -> bool {
    matches!(inst.status.as_str(), "Stopping" | "Stopped")
        && value(inst).is_some_and(|v| Some(v) != stale)
}

/// Whether a tag key is the user's: not our marker, and not one of ECS's
/// own (`acs:` and `aliyun` prefixes, which users may not set). Only user
/// tags show in `tags`, count as drift, or are removed by a tags change.
pub fn is_user_tag(key: &str) -> bool {
    key != KEY
        && key != super::pending::KEY
        && !key.starts_with("acs:")
        && !key.starts_with("aliyun")
}

/// The user tags of `inst`.
pub fn user_tags(inst: &ecs::Instance) -> std::collections::BTreeMap<String, String> {
    inst.tags
        .iter()
        .filter(|(k, _)| is_user_tag(k))
        .cloned()
        .collect()
}

/// What makes `inst`'s user tags equal `want`: the tags to set (new keys
/// and changed values), and the user tag keys to remove.
pub fn tag_changes(
    inst: &ecs::Instance,
    want: &std::collections::BTreeMap<String, String>,
) -> (Vec<(String, String)>, Vec<String>) {
    let have = user_tags(inst);
    let add = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    (add, remove)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::instance::state::tests::sample_instance;

    #[test]
    fn a_tags_change_never_touches_the_marker_or_ecs_tags() {
        let mut inst = sample_instance();
        inst.tags = vec![
            (KEY.into(), "stopped-at-1".into()),
            ("acs:autoscaling:group".into(), "asg-1".into()),
            ("aliyun-owned".into(), "x".into()),
            ("env".into(), "dev".into()),
            ("team".into(), "a".into()),
        ];
        let want = [("env".to_string(), "prod".to_string())]
            .into_iter()
            .collect();
        let (add, remove) = tag_changes(&inst, &want);
        assert_eq!(add, [("env".to_string(), "prod".to_string())]);
        assert_eq!(remove, ["team".to_string()]);
        assert_eq!(user_tags(&inst).len(), 2);
    }
}
