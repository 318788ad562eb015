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
pub enum Removal {
    Destroy,
    Replace,
}

impl Removal {
    fn verb(self) -> &'static str {
        match self {
            Removal::Destroy => "destroy",
            Removal::Replace => "replace",
        }
    }
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
pub fn refusal(id: &str, facts: &ReleaseFacts<'_>, removal: Removal) -> Option<Diagnostic> {
    let verb = removal.verb();
    if facts.deletion_protection {
        return Some(
            Diagnostic::error(
                "Instance Is Protected From Deletion",
                format!(
                    "{id} has deletion protection on, so ECS refuses to release it and Terraform cannot {verb} it. \
                     Turn deletion protection off first, in the ECS console (the instance's Release Protection setting) \
                     or with ModifyInstanceAttribute DeletionProtection=false, then run terraform apply again. \
                     Nothing was changed."
                ),
            )
            .at(AttributePath::attr("deletion_protection")),
        );
    }
    if facts.is_prepaid() && !facts.force_delete {
        return Some(
            Diagnostic::error(
                "Subscription Instance Cannot Be Released",
                format!(
                    "{id} is a subscription (PrePaid) instance; ECS refuses to release it before it expires, \
                     so Terraform cannot {verb} it. To {verb} it anyway, set force_delete = true on the resource and \
                     apply that change first (it changes nothing in ECS); the {verb} then converts the instance to \
                     pay-as-you-go, which refunds the unused subscription within the account's monthly refund quota, \
                     and releases it. Or remove it from Terraform with terraform state rm and let it expire. \
                     Nothing was changed."
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
        let d = refusal("i-1", &protected, Removal::Replace).unwrap();
        assert!(
            d.detail.contains("cannot replace") && d.detail.contains("DeletionProtection=false"),
            "{}",
            d.detail
        );
        let prepaid = ReleaseFacts {
            charge_type: "PrePaid",
            ..Default::default()
        };
        let d = refusal("i-1", &prepaid, Removal::Destroy).unwrap();
        assert!(d.detail.contains("force_delete = true"), "{}", d.detail);
        let forced = ReleaseFacts {
            force_delete: true,
            ..prepaid
        };
        assert!(refusal("i-1", &forced, Removal::Destroy).is_none());
    }
}
