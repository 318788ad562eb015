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
