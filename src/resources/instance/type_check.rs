//! The one question a plan asks the API: can this instance change to the
//! new type now? DescribeResourcesModification answers with the types it
//! can be upgraded or downgraded to, and their stock, so a typo, a type the
//! account may not use, or a sold-out type fails at plan time (pointing at
//! `instance_type`) instead of after the instance was stopped.
//!
//! A fleet asks once: the answer depends on the instance's zone, current
//! type and charge type, so [`Offers`] shares it among the instances of one
//! plan that are alike in those (a resize of 100 alike instances asks 2
//! questions, not 200). The apply still meets the API's real answer.
//!
//! A new instance's type is checked too ([`check_new`]): a typo such as
//! `ecs.g6.larg` fails at plan time with the region's types of the same
//! family, not in RunInstances after the approval.
//!
//! If the question itself fails (network, permissions), the plan goes on
//! with a warning: the apply will meet the real answer, and nothing is
//! stopped before the type change is known to be possible… except by the
//! API itself, which is why this check exists.

use super::plan::TypeChange;
use crate::ecs::{self, AvailableType, Client, ErrorKind, InstanceTypeFilter};
use crate::planner::Direction;
use crate::protocol::{AttributePath, Diagnostic};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// How many alternatives an error lists.
const SUGGESTIONS: usize = 6;

type Answer = Arc<OnceCell<Vec<AvailableType>>>;
/// Whether a change of type (from, to) is an upgrade, once known.
type DirectionCell = Arc<OnceCell<Direction>>;

/// The types instances can change to, per (scope, current type), asked once
/// per provider process (one plan or apply); failures are not kept.
#[derive(Debug, Default)]
pub struct Offers {
    answers: Mutex<HashMap<String, Answer>>,
    directions: Mutex<HashMap<(String, String), DirectionCell>>,
}

impl Offers {
    async fn candidates(
        &self,
        client: &Client,
        change: &TypeChange,
    ) -> ecs::Result<Vec<AvailableType>> {
        let key = format!("{}|{}|{:?}", change.scope, change.from, change.direction);
        let cell = Arc::clone(
            self.answers
                .lock()
                .expect("offers lock")
                .entry(key)
                .or_default(),
        );
        cell.get_or_try_init(|| async {
            // A subscription asks only the way its change goes (an upgrade
            // and a downgrade are different operations there).
            if let Some(d) = change.direction {
                let op = match d {
                    Direction::Upgrade => "Upgrade",
                    Direction::Downgrade => "Downgrade",
                };
                return client.describe_resources_modification(&change.id, op).await;
            }
            let (up, down) = tokio::join!(
                client.describe_resources_modification(&change.id, "Upgrade"),
                client.describe_resources_modification(&change.id, "Downgrade"),
            );
            let mut up = up?;
            up.extend(down?);
            Ok(up)
        })
        .await
        .cloned()
    }
}

/// Whether a subscription's change from `from` to `to` is an upgrade or a
/// downgrade, the way ECS decides it: at least the vCPUs **and** at least
/// the memory is an upgrade (the rule of DescribeResourcesModification's
/// Upgrade list), anything else a downgrade. One DescribeInstanceTypes for
/// both types, kept for the process (a fleet asks once per pair, even when
/// its plans ask at the same time; failures are not kept).
///
/// # Errors
/// The call failed, or ECS does not know one of the types.
pub async fn direction(
    client: &Client,
    offers: &Offers,
    from: &str,
    to: &str,
) -> ecs::Result<Direction> {
    // One cell per pair: alike instances planned at once wait on one call.
    let cell = Arc::clone(
        offers
            .directions
            .lock()
            .expect("offers lock")
            .entry((from.to_string(), to.to_string()))
            .or_default(),
    );
    cell.get_or_try_init(|| async {
        let filter = InstanceTypeFilter {
            family: None,
            instance_type_ids: vec![from.to_string(), to.to_string()],
        };
        let types = client.describe_instance_types(&filter).await?;
        let size = |id: &str| {
            types
                .iter()
                .find(|t| t.instance_type_id == id)
                .map(|t| (t.cpu_core_count.unwrap_or(0), t.memory_gib.unwrap_or(0.0)))
        };
        let (Some(a), Some(b)) = (size(from), size(to)) else {
            return Err(ecs::Error::local(
                ErrorKind::InvalidParameter,
                "DescribeInstanceTypes",
                "InvalidInstanceType.ValueNotSupported",
                format!(
                    "ECS does not list {from} or {to}, so whether {to} is an upgrade cannot be told"
                ),
            ));
        };
        Ok(direction_of(a, b))
    })
    .await
    .copied()
}

/// ECS's rule on (vCPUs, memory GiB) pairs: see [`direction`].
pub fn direction_of(from: (i64, f64), to: (i64, f64)) -> Direction {
    if to.0 >= from.0 && to.1 >= from.1 {
        Direction::Upgrade
    } else {
        Direction::Downgrade
    }
}

/// Diagnostics for `change` (empty when the type is available).
pub async fn check(client: &Client, offers: &Offers, change: &TypeChange) -> Vec<Diagnostic> {
    let candidates = match offers.candidates(client, change).await {
        Ok(c) => c,
        Err(e) => {
            if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Cancelled) {
                return Vec::new();
            }
            return vec![Diagnostic::warning(
                "Could Not Check instance_type",
                format!(
                    "Asking ECS which types {} can change to failed, so {} was not checked at plan time: {e}",
                    change.id, change.to
                ),
            )
            .at(AttributePath::attr("instance_type"))];
        }
    };
    let exists = || async {
        let filter = InstanceTypeFilter {
            family: None,
            instance_type_ids: vec![change.to.clone()],
        };
        // When in doubt, say "not available" rather than "unknown".
        client
            .describe_instance_types(&filter)
            .await
            .map_or(true, |types| !types.is_empty())
    };
    judge(change, &candidates, exists).await
}

/// The verdict on `change` given the candidates; `exists` is asked only when
/// the type is not among them, to tell a typo from an unavailable type.
pub async fn judge<F, Fut>(
    change: &TypeChange,
    candidates: &[AvailableType],
    exists: F,
) -> Vec<Diagnostic>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let alternatives = suggestions(change, candidates);
    let (summary, reason) = match candidates.iter().find(|c| c.instance_type == change.to) {
        Some(c) if c.status == "Available" => return Vec::new(),
        Some(c) => (
            "Instance Type Sold Out",
            format!(
                "{} is sold out in the zone of {} (stock: {}).",
                change.to,
                change.id,
                if c.status_category.is_empty() { &c.status } else { &c.status_category }
            ),
        ),
        None if !exists().await => (
            "Unknown Instance Type",
            format!("{} is not an instance type ECS knows in this region; check the spelling (the ecs_instance_types data source lists them all).", change.to),
        ),
        None => (
            "Instance Type Not Available",
            format!(
                "{} cannot change from {} to {}: the type is not authorized for this account, does not suit the instance's image, or is not offered in its zone.",
                change.id, change.from, change.to
            ),
        ),
    };
    let detail = if alternatives.is_empty() {
        format!("{reason} ECS currently offers no other type for this instance.")
    } else {
        format!(
            "{reason} Types {} can change to now: {}.",
            change.id,
            alternatives.join(", ")
        )
    };
    vec![Diagnostic::error(summary, detail).at(AttributePath::attr("instance_type"))]
}

/// A few available types, those of the wanted type's family first.
fn suggestions(change: &TypeChange, candidates: &[AvailableType]) -> Vec<String> {
    let available = candidates
        .iter()
        .filter(|c| c.status == "Available" && c.instance_type != change.from)
        .map(|c| c.instance_type.as_str());
    ranked(&change.to, available)
}

/// `ecs.g6` for `ecs.g6.large`.
fn family(t: &str) -> &str {
    t.rsplit_once('.').map_or(t, |(f, _)| f)
}

/// At most [`SUGGESTIONS`] distinct names: those of `wanted`'s family first,
/// and within each group those sharing the longest prefix with it (so
/// `ecs.g6.larg` suggests `ecs.g6.large` first); otherwise in given order.
fn ranked<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let common = |t: &str| {
        t.chars()
            .zip(wanted.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut names: Vec<&str> = names.collect();
    names.sort_by_key(|t| (family(t) != family(wanted), std::cmp::Reverse(common(t))));
    let mut out: Vec<String> = Vec::new();
    for t in names {
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out.truncate(SUGGESTIONS);
    out
}

/// Diagnostics for a new instance's `instance_type` (empty when the region
/// offers it). The region's list is asked once (DescribeInstanceTypes, every
/// page) and kept in `names`, so a fleet of new instances costs one call,
/// not one per instance.
pub async fn check_new(
    client: &Client,
    names: &tokio::sync::OnceCell<Vec<String>>,
    to: &str,
) -> Vec<Diagnostic> {
    let listed = names
        .get_or_try_init(|| async {
            let types = client
                .describe_instance_types(&InstanceTypeFilter::default())
                .await?;
            Ok::<_, crate::ecs::Error>(types.into_iter().map(|t| t.instance_type_id).collect())
        })
        .await;
    match listed {
        Ok(names) if names.iter().any(|n| n == to) => Vec::new(),
        Ok(names) => unknown_new(to, names.iter().map(String::as_str)),
        Err(e) if e.kind == ErrorKind::Cancelled => Vec::new(),
        Err(e) => vec![Diagnostic::warning(
            "Could Not Check instance_type",
            format!("Listing the region's instance types failed, so {to} was not checked at plan time: {e}"),
        )
        .at(AttributePath::attr("instance_type"))],
    }
}

/// The error for a new instance whose type the region does not offer.
fn unknown_new<'a>(to: &str, offered: impl Iterator<Item = &'a str>) -> Vec<Diagnostic> {
    let alternatives = ranked(to, offered);
    let near = if alternatives.is_empty() {
        String::new()
    } else {
        format!(" Types of this region: {}.", alternatives.join(", "))
    };
    vec![Diagnostic::error(
        "Unknown Instance Type",
        format!("{to} is not an instance type ECS offers in this region; check the spelling.{near} The ecs_instance_types data source lists them all."),
    )
    .at(AttributePath::attr("instance_type"))]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Severity;

    fn change(to: &str) -> TypeChange {
        TypeChange {
            id: "i-1".into(),
            from: "ecs.g6.large".into(),
            to: to.into(),
            scope: "cn-hangzhou-h/PostPaid".into(),
            direction: None,
        }
    }

    #[test]
    fn more_of_both_is_an_upgrade_anything_else_a_downgrade() {
        assert_eq!(direction_of((2, 8.0), (4, 16.0)), Direction::Upgrade);
        assert_eq!(direction_of((2, 8.0), (2, 8.0)), Direction::Upgrade);
        assert_eq!(direction_of((4, 16.0), (2, 8.0)), Direction::Downgrade);
        // More vCPUs, less memory (g6.xlarge → c6.2xlarge-like): a downgrade.
        assert_eq!(direction_of((4, 16.0), (8, 8.0)), Direction::Downgrade);
    }

    fn offered(t: &str, status: &str) -> AvailableType {
        AvailableType {
            instance_type: t.into(),
            status: status.into(),
            status_category: if status == "Available" {
                "WithStock"
            } else {
                "WithoutStock"
            }
            .into(),
        }
    }

    fn catalog() -> Vec<AvailableType> {
        vec![
            offered("ecs.c6.xlarge", "Available"),
            offered("ecs.g6.xlarge", "Available"),
            offered("ecs.g6.8xlarge", "SoldOut"),
            offered("ecs.g6.2xlarge", "Available"),
        ]
    }

    async fn verdict(to: &str, exists: bool) -> Vec<Diagnostic> {
        judge(&change(to), &catalog(), || async move { exists }).await
    }

    #[tokio::test]
    async fn an_available_type_passes() {
        assert!(verdict("ecs.g6.xlarge", true).await.is_empty());
    }

    #[tokio::test]
    async fn sold_out_is_an_error_listing_alternatives_same_family_first() {
        let d = verdict("ecs.g6.8xlarge", true).await;
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(d[0].summary, "Instance Type Sold Out");
        assert_eq!(d[0].attribute, Some(AttributePath::attr("instance_type")));
        assert!(
            d[0].detail.ends_with(
                "Types i-1 can change to now: ecs.g6.xlarge, ecs.g6.2xlarge, ecs.c6.xlarge."
            ),
            "{}",
            d[0].detail
        );
    }

    #[test]
    fn a_new_instance_with_a_typo_gets_the_family_first_nearest_first() {
        let offered = [
            "ecs.c6.large",
            "ecs.g6.xlarge",
            "ecs.g6.large",
            "ecs.g6.2xlarge",
        ];
        let d = unknown_new("ecs.g6.larg", offered.into_iter());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(d[0].summary, "Unknown Instance Type");
        assert_eq!(d[0].attribute, Some(AttributePath::attr("instance_type")));
        assert!(
            d[0].detail.contains(
                "Types of this region: ecs.g6.large, ecs.g6.xlarge, ecs.g6.2xlarge, ecs.c6.large."
            ),
            "{}",
            d[0].detail
        );
        assert!(d[0].detail.contains("ecs_instance_types data source"));
        assert!(!d[0].detail.contains("Describe"), "{}", d[0].detail);
    }

    #[tokio::test]
    async fn typo_and_unavailable_are_told_apart() {
        let typo = verdict("ecs.g6.larg", false).await;
        assert_eq!(typo[0].summary, "Unknown Instance Type");
        let unauthorized = verdict("ecs.ebmg6.26xlarge", true).await;
        assert_eq!(unauthorized[0].summary, "Instance Type Not Available");
        assert!(unauthorized[0].detail.contains("not authorized"));
    }
}
