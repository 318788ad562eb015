//! The plan's API questions about the placement and the new in-place
//! attributes, asked only when the value they judge changes (or on create):
//! - a changed `vswitch_id`: the new vSwitch's VPC and zone
//!   (DescribeVSwitches), read *before* the decision and handed to it as
//!   data ([`PlanFacts`]): in another VPC or zone than the instance the
//!   change replaces it (ModifyInstanceVpcAttribute moves an instance only
//!   within its zone and VPC); a vSwitch that does not exist is an error at
//!   `vswitch_id`;
//! - is a configured `private_ip` inside its vSwitch's CIDR block;
//! - does a `key_name` go with a Linux image (DescribeImages)?
//!
//! Refused at plan, at the attribute, rather than by ECS mid-apply with the
//! instance already stopped. A vSwitch is read once per provider process
//! (one plan or apply), whichever instances and questions name it
//! ([`VSwitches`]): a fleet moving to one vSwitch asks once, a fleet whose
//! `vswitch_id` does not change asks nothing.
//!
//! A question the API cannot answer (a failed read) is left to apply; for
//! the vSwitch's VPC and zone the plan says so in a warning
//! ([`vswitch_diagnostics`]; why a warning and not an error:
//! docs/design/resources.md).

use crate::ecs::{self, ErrorKind, VSwitch};
use crate::protocol::{AttributePath, Diagnostic, Value};
use crate::resources::attrs;
use crate::resources::instance::state;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// What the plan read from the API, for decisions that stay pure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanFacts {
    /// The new `vswitch_id`, read because it changes; `None`: not asked.
    pub vswitch: Option<VSwitchFact>,
}

/// What DescribeVSwitches said about one vSwitch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VSwitchFact {
    Found(VSwitch),
    /// No vSwitch has that id (in this region).
    Missing(String),
    /// The read failed (network, permissions): the id and why.
    Unreadable(String, String),
}

impl VSwitchFact {
    /// The id it is about.
    pub fn id(&self) -> &str {
        match self {
            VSwitchFact::Found(v) => &v.vswitch_id,
            VSwitchFact::Missing(id) | VSwitchFact::Unreadable(id, _) => id,
        }
    }
}

impl PlanFacts {
    /// The vSwitch read for `id`, if it was.
    pub fn vswitch_found(&self, id: &str) -> Option<&VSwitch> {
        match &self.vswitch {
            Some(VSwitchFact::Found(v)) if v.vswitch_id == id => Some(v),
            _ => None,
        }
    }
}

type Cell = Arc<OnceCell<Option<VSwitch>>>;

/// The vSwitches read in this provider process (one plan or apply), by id;
/// concurrent plans of instances naming one vSwitch share one call.
/// Failures are not kept.
#[derive(Debug, Default)]
pub struct VSwitches {
    read: Mutex<HashMap<String, Cell>>,
}

impl VSwitches {
    /// DescribeVSwitches of `id`, once.
    pub async fn get(&self, client: &ecs::Client, id: &str) -> ecs::Result<Option<VSwitch>> {
        let cell = Arc::clone(
            self.read
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(id.to_string())
                .or_default(),
        );
        cell.get_or_try_init(|| client.describe_vswitch(id))
            .await
            .cloned()
    }
}

/// The id of the vSwitch an update moves the instance to: the planned
/// `vswitch_id` when it is known, not blank, differs from the prior one,
/// and the prior one is a vSwitch too (classic ↔ VPC replaces anyway).
/// `None` on create and destroy, and when `vswitch_id` does not change.
pub fn new_vswitch(prior: &Value, proposed: &Value) -> Option<String> {
    if matches!(prior, Value::Null) || matches!(proposed, Value::Null) {
        return None;
    }
    let (from, to) = (
        state::given(prior, "vswitch_id")?,
        state::given(proposed, "vswitch_id")?,
    );
    (from != to).then_some(to)
}

/// The facts a plan from `prior` to `proposed` needs (no call when
/// `vswitch_id` does not change).
pub async fn read_facts(
    client: &ecs::Client,
    vswitches: &VSwitches,
    prior: &Value,
    proposed: &Value,
) -> PlanFacts {
    let Some(id) = new_vswitch(prior, proposed) else {
        return PlanFacts::default();
    };
    let fact = match vswitches.get(client, &id).await {
        Ok(Some(v)) => VSwitchFact::Found(v),
        Ok(None) => VSwitchFact::Missing(id),
        // Terraform's Stop: the plan ends anyway, nothing to say.
        Err(e) if e.kind == ErrorKind::Cancelled => return PlanFacts::default(),
        Err(e) => VSwitchFact::Unreadable(id, e.to_string()),
    };
    PlanFacts {
        vswitch: Some(fact),
    }
}

/// What the plan says about the vSwitch read: an error when it does not
/// exist; a warning when it could not be read (the change is planned in
/// place, and ECS refuses it at apply if the vSwitch is in another VPC or
/// zone); an error when it is in another zone than a configured
/// `zone_id`.
pub fn vswitch_diagnostics(facts: &PlanFacts, prior: &Value, config: &Value) -> Vec<Diagnostic> {
    let at = || AttributePath::attr("vswitch_id");
    match &facts.vswitch {
        // A replacement in the vSwitch's zone: a zone_id configured
        // elsewhere would make RunInstances refuse the new instance.
        Some(VSwitchFact::Found(v)) => match state::given(config, "zone_id") {
            Some(zone) if zone != v.zone_id => vec![Diagnostic::error(
                "vSwitch In Another Zone",
                format!(
                    "vswitch_id = \"{}\" is in zone {}, but zone_id = \"{zone}\": set zone_id = \"{}\" (the instance is replaced in the new zone), or remove zone_id, or choose a vSwitch of {zone}.",
                    v.vswitch_id, v.zone_id, v.zone_id
                ),
            )
            .at(at())],
            _ => Vec::new(),
        },
        Some(VSwitchFact::Missing(id)) => vec![Diagnostic::error(
            "vSwitch Not Found",
            format!(
                "vswitch_id = \"{id}\": no vSwitch with this id exists in this region. Check the id (vsw-…) and the provider's region, or create the vSwitch first."
            ),
        )
        .at(at())],
        Some(VSwitchFact::Unreadable(id, e)) => {
            let (vpc, zone) = (
                attrs::string(prior, "vpc_id").unwrap_or_default(),
                attrs::string(prior, "zone_id").unwrap_or_default(),
            );
            vec![Diagnostic::warning(
                "Could Not Check vswitch_id",
                format!(
                    "Reading vSwitch {id} failed, so the plan could not tell whether it is in the instance's VPC ({vpc}) and zone ({zone}): the change is planned in place. If it is in another VPC or zone, ECS refuses the change at apply, after the instance was stopped for it (the failed apply starts it again); to move it there, replace it (terraform apply -replace=…). Allow ecs:DescribeVSwitches to have this checked at plan. The error: {e}"
                ),
            )
            .at(at())]
        }
        _ => Vec::new(),
    }
}

/// The diagnostics for `planned` (from `prior`, null on create).
pub async fn check(
    client: &ecs::Client,
    vswitches: &VSwitches,
    prior: &Value,
    planned: &Value,
) -> Vec<Diagnostic> {
    let changed = |name: &str| attrs::get(prior, name) != attrs::get(planned, name);
    let mut out = Vec::new();
    let ip = attrs::string(planned, "private_ip");
    let vswitch = attrs::string(planned, "vswitch_id").filter(|v| !v.is_empty());
    if let (Some(ip), Some(vsw)) = (ip, vswitch) {
        if changed("private_ip") || changed("vswitch_id") {
            if let Ok(Some(v)) = vswitches.get(client, &vsw).await {
                if !inside(&v.cidr_block, &ip) {
                    out.push(
                        Diagnostic::error(
                            "Private IP Outside The vSwitch",
                            format!(
                                "private_ip = \"{ip}\" is not a usable address of vSwitch {vsw} ({}): choose an address inside that block (not its first or last), or remove private_ip to let ECS choose.",
                                v.cidr_block
                            ),
                        )
                        .at(AttributePath::attr("private_ip")),
                    );
                }
            }
        }
    }
    let key = attrs::string(planned, "key_name").filter(|k| !k.is_empty());
    let image = attrs::string(planned, "image_id");
    if let (Some(key), Some(image)) = (key, image) {
        if changed("key_name") || changed("image_id") {
            if let Ok(Some(img)) = client.describe_image(&image).await {
                if img.os_type.eq_ignore_ascii_case("windows") {
                    out.push(
                        Diagnostic::error(
                            "Key Pair On A Windows Image",
                            format!(
                                "key_name = \"{key}\": image {image} is a Windows image, and ECS attaches SSH key pairs to Linux instances only. Remove key_name and use password."
                            ),
                        )
                        .at(AttributePath::attr("key_name")),
                    );
                }
            }
        }
    }
    out
}

/// Whether `ip` is a host address of `cidr` (neither its network nor its
/// broadcast address).
fn inside(cidr: &str, ip: &str) -> bool {
    let (Some((net, len)), Ok(ip)) = (cidr.split_once('/'), ip.parse::<Ipv4Addr>()) else {
        return true; // not ours to judge
    };
    let (Ok(net), Ok(len)) = (net.parse::<Ipv4Addr>(), len.parse::<u32>()) else {
        return true;
    };
    if len > 32 {
        return true;
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let (net, ip) = (u32::from(net) & mask, u32::from(ip));
    ip & mask == net && ip != net && ip != (net | !mask)
}

#[cfg(test)]
mod tests {
    use super::inside;

    #[test]
    fn addresses_inside_a_block_but_not_its_ends() {
        assert!(inside("172.16.1.0/24", "172.16.1.10"));
        assert!(!inside("172.16.1.0/24", "172.16.2.10"));
        assert!(!inside("172.16.1.0/24", "172.16.1.0"));
        assert!(!inside("172.16.1.0/24", "172.16.1.255"));
    }
}

#[cfg(test)]
mod fact_tests {
    use super::*;

    fn obj(vsw: Option<&str>) -> Value {
        attrs::object([("vswitch_id", vsw.map_or(Value::Null, attrs::str_value))])
    }

    #[test]
    fn the_vswitch_is_asked_about_only_when_an_update_moves_it() {
        let (a, b) = (obj(Some("vsw-a")), obj(Some("vsw-b")));
        assert_eq!(new_vswitch(&a, &b).as_deref(), Some("vsw-b"));
        // Unchanged, create, destroy, classic ↔ VPC, blank, unknown: no call.
        assert_eq!(new_vswitch(&a, &a), None);
        assert_eq!(new_vswitch(&Value::Null, &b), None);
        assert_eq!(new_vswitch(&a, &Value::Null), None);
        assert_eq!(new_vswitch(&obj(None), &b), None);
        assert_eq!(new_vswitch(&a, &obj(Some(""))), None);
        let unknown = attrs::object([("vswitch_id", Value::Unknown)]);
        assert_eq!(new_vswitch(&a, &unknown), None);
    }

    #[test]
    fn a_missing_vswitch_is_an_error_and_an_unreadable_one_a_warning_at_vswitch_id() {
        use crate::protocol::Severity;
        let prior = attrs::object([
            ("vpc_id", attrs::str_value("vpc-1")),
            ("zone_id", attrs::str_value("z-h")),
        ]);
        let config = attrs::object([("zone_id", Value::Null)]);
        let diags = |fact| {
            vswitch_diagnostics(
                &PlanFacts {
                    vswitch: Some(fact),
                },
                &prior,
                &config,
            )
        };
        let missing = diags(VSwitchFact::Missing("vsw-x".into()));
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].severity, Severity::Error);
        assert_eq!(
            missing[0].attribute,
            Some(AttributePath::attr("vswitch_id"))
        );
        assert!(missing[0].detail.contains("vsw-x"), "{}", missing[0].detail);
        let unread = diags(VSwitchFact::Unreadable(
            "vsw-x".into(),
            "Forbidden.RAM".into(),
        ));
        assert_eq!(unread.len(), 1);
        assert_eq!(unread[0].severity, Severity::Warning);
        assert!(unread[0].detail.contains("vpc-1"), "{}", unread[0].detail);
        assert!(unread[0].detail.contains("Forbidden.RAM"));
        let found = VSwitchFact::Found(VSwitch {
            vswitch_id: "vsw-x".into(),
            zone_id: "z-i".into(),
            ..VSwitch::default()
        });
        assert!(diags(found.clone()).is_empty());
        // A zone_id configured elsewhere than the vSwitch.
        let pinned = attrs::object([("zone_id", attrs::str_value("z-h"))]);
        let d = vswitch_diagnostics(
            &PlanFacts {
                vswitch: Some(found),
            },
            &prior,
            &pinned,
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Error);
    }
}
