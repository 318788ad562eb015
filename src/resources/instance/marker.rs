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
//! Cost: one TagResources and one UntagResources per instance and resize,
//! both merged across instances by the client (up to 50 ids per call), so
//! a fleet pays about two calls per 50 instances.

use crate::ecs;

/// The tag key. Tag keys may not start with `aliyun` or `acs:`.
pub const KEY: &str = "terraform-provider-ecs:stopped-for-update";
/// Its value (informative only; the key is what counts).
pub const VALUE: &str = "start-again";

/// Whether the instance carries our marker.
pub fn carried_by(inst: &ecs::Instance) -> bool {
    inst.tags.iter().any(|(k, _)| k == KEY)
}

/// Whether the instance is down because an apply of ours stopped it and
/// never started it again.
pub fn stopped_by_us(inst: &ecs::Instance) -> bool {
    carried_by(inst) && matches!(inst.status.as_str(), "Stopping" | "Stopped")
}
