//! When ECS will refuse to release an instance, said before anything is
//! changed.
//!
//! DeleteInstance refuses an instance with deletion protection on
//! (`InvalidOperation.DeletionProtection`) and a subscription (PrePaid)
//! instance that has not expired (`ChargeTypeViolation`). Met halfway
//! through an apply, either refusal would leave a replace half done, so:
//! - a **replace** is refused at plan time, from the refreshed state;
//! - a **destroy** is refused by ApplyResourceChange before its first
//!   change, from a fresh DescribeInstances: Terraform 1.0 does not ask
//!   providers to plan a destroy (PlanResourceChange is skipped for it), so
//!   the refusal cannot come earlier. Where a destroy is planned (newer
//!   Terraform with `plan_destroy`), [`super::plan`] refuses it too.
//!
//! `force_delete = true` is the way out for a subscription: the instance is
//! converted to pay-as-you-go (ModifyInstanceChargeType), then released. It
//! is read from state (the destroy half of a replace sees only the prior
//! state), so it must be applied before the destroy or replace that needs it.

use crate::protocol::{AttributePath, Diagnostic};

/// What the refusal is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal<'a> {
    Destroy,
    /// A replacement, forced by changes of these attributes.
    Replace(&'a [&'a str]),
}

impl Removal<'_> {
    fn verb(self) -> &'static str {
        match self {
            Removal::Destroy => "destroy",
            Removal::Replace(_) => "replace",
        }
    }
}

/// What ECS can change in place for an attribute whose change makes this
/// provider replace the instance: the alternative a refused replacement
/// offers. `zone_id` and `system_disk_category` have none; what else ECS
/// changes in place, this provider does too.
const IN_PLACE: [(&str, &str); 2] = [
    (
        "instance_charge_type",
        "ModifyInstanceChargeType (console: Switch to Subscription / Pay-as-you-go)",
    ),
    (
        "internet_charge_type",
        "ModifyInstanceNetworkSpec NetworkChargeType (console: Change Bandwidth billing)",
    ),
];

/// "instance_type…": why a replacement, and the in-place way where ECS has one.
fn replacement_cause(forced_by: &[&str]) -> String {
    let names = forced_by.join(", ");
    let ways: Vec<String> = forced_by
        .iter()
        .filter_map(|a| IN_PLACE.iter().find(|(n, _)| n == a))
        .map(|(n, how)| format!("{n} through {how}"))
        .collect();
    let keep = if ways.len() == forced_by.len() {
        format!(
            " To keep the instance instead, make the change in place outside Terraform ({}; this provider does not make it in place yet), then set the configuration to match: the plan no longer replaces it.",
            ways.join("; ")
        )
    } else if ways.is_empty() {
        format!(
            " ECS cannot change {names} of an existing instance: a new instance is the only way."
        )
    } else {
        format!(
            " ECS can change some of them in place ({}), but not all: a new instance is the only way to apply every change.",
            ways.join("; ")
        )
    };
    format!("The replacement is forced by the change of {names}.{keep}")
}

/// What decides a release.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReleaseFacts<'a> {
    pub charge_type: &'a str,
    pub deletion_protection: bool,
    /// `force_delete` as the state holds it.
    pub force_delete: bool,
}

impl ReleaseFacts<'_> {
    /// A subscription: converted before release (with `force_delete`).
    pub fn is_prepaid(&self) -> bool {
        self.charge_type == "PrePaid"
    }
}

/// The error diagnostic for a release ECS would refuse, or `None`.
pub fn refusal(id: &str, facts: &ReleaseFacts<'_>, removal: Removal<'_>) -> Option<Diagnostic> {
    let verb = removal.verb();
    let cause = match removal {
        Removal::Replace(forced_by) => format!(" {}", replacement_cause(forced_by)),
        Removal::Destroy => String::new(),
    };
    if facts.deletion_protection {
        let anyway = match removal {
            Removal::Replace(_) => "To replace it anyway, turn",
            Removal::Destroy => "To destroy it, turn",
        };
        return Some(
            Diagnostic::error(
                "Instance Is Protected From Deletion",
                format!(
                    "{id} has deletion protection on, so ECS refuses to release it and Terraform cannot {verb} it.{cause} \
                     {anyway} deletion protection off first, in the ECS console (the instance's Release Protection setting) \
                     or with ModifyInstanceAttribute DeletionProtection=false, then run the same terraform command again. \
                     Nothing was changed."
                ),
            )
            .at(AttributePath::attr("deletion_protection")),
        );
    }
    if facts.is_prepaid() && !facts.force_delete {
        let then = match removal {
            Removal::Replace(_) => "then run terraform apply again for the replacement",
            Removal::Destroy => "then run terraform destroy again",
        };
        return Some(
            Diagnostic::error(
                "Subscription Instance Cannot Be Released",
                format!(
                    "{id} is a subscription (PrePaid) instance; ECS refuses to release it before it expires, \
                     so Terraform cannot {verb} it.{cause} To {verb} it anyway, set force_delete = true on the resource and \
                     run terraform apply once: it changes nothing in ECS, but the {verb} reads force_delete from the state, \
                     not from the configuration, so setting it and running the {verb} at once repeats this error. \
                     Then the {verb} converts the instance to pay-as-you-go, which refunds the unused subscription within \
                     the account's monthly refund quota, and releases it: {then}. Or remove it from Terraform with \
                     terraform state rm and let it expire. Nothing was changed."
                ),
            )
            .at(AttributePath::attr("force_delete")),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_and_subscriptions_are_refused_with_the_way_out() {
        let postpaid = ReleaseFacts {
            charge_type: "PostPaid",
            ..Default::default()
        };
        assert!(refusal("i-1", &postpaid, Removal::Destroy).is_none());
        let protected = ReleaseFacts {
            deletion_protection: true,
            ..postpaid
        };
        let d = refusal(
            "i-1",
            &protected,
            Removal::Replace(&["instance_charge_type"]),
        )
        .unwrap();
        assert!(
            d.detail.contains("cannot replace") && d.detail.contains("DeletionProtection=false"),
            "{}",
            d.detail
        );
        // The attribute forcing it, and the in-place way.
        assert!(
            d.detail
                .contains("forced by the change of instance_charge_type")
                && d.detail.contains("ModifyInstanceChargeType")
                && d.detail.contains("set the configuration to match"),
            "{}",
            d.detail
        );
        let d = refusal("i-1", &protected, Removal::Replace(&["zone_id"])).unwrap();
        assert!(d.detail.contains("cannot change zone_id"), "{}", d.detail);
        let d = refusal("i-1", &protected, Removal::Destroy).unwrap();
        assert!(!d.detail.contains("terraform apply"), "{}", d.detail);
        let prepaid = ReleaseFacts {
            charge_type: "PrePaid",
            ..Default::default()
        };
        let d = refusal("i-1", &prepaid, Removal::Destroy).unwrap();
        assert!(d.detail.contains("force_delete = true"), "{}", d.detail);
        assert!(
            d.detail.contains("run terraform apply once")
                && d.detail.contains("reads force_delete from the state")
                && d.detail.contains("then run terraform destroy again"),
            "{}",
            d.detail
        );
        let forced = ReleaseFacts {
            force_delete: true,
            ..prepaid
        };
        assert!(refusal("i-1", &forced, Removal::Destroy).is_none());
    }
}
