//! ReadResource and ImportResourceState: the instance as ECS reports it.
//!
//! Reads go through the client's patient batched lookup, so refreshing a
//! fleet costs about one DescribeInstances per hundred instances. An instance that no longer
//! exists reads as null, which Terraform plans to create again.

use super::attributes::{self, Extra};
use super::marker;
use super::private::Private;
use super::schema::TYPE_NAME;
use super::state;
use crate::protocol::{
    Diagnostic, ImportResourceStateResponse, ImportedResource, ReadResourceRequest,
    ReadResourceResponse, Value,
};
use crate::resources::{attrs, Context};

pub async fn read(ctx: &Context, req: ReadResourceRequest) -> ReadResourceResponse {
    let Some(id) = attrs::string(&req.current_state, "id") else {
        return ReadResourceResponse {
            new_state: req.current_state,
            private: req.private,
            diagnostics: Vec::new(),
        };
    };
    match ctx.client.read_instance(&id).await {
        Ok(Some(inst)) => {
            let mut new_state = state::from_instance(&inst, &req.current_state);
            let mut private = Private::decode(&refreshed_private(&req.private, &inst));
            if let Err(e) = fill_extras(
                &ctx.client,
                &id,
                &mut new_state,
                Extras::Refresh,
                &mut private.system_disk_id,
            )
            .await
            {
                return ReadResourceResponse {
                    new_state: req.current_state,
                    private: req.private,
                    diagnostics: vec![Diagnostic::error(
                        "Could Not Read Instance",
                        format!("{id}: {e}"),
                    )],
                };
            }
            let private = private.encode();
            state::set_restart_required(&mut new_state, &private);
            ReadResourceResponse {
                new_state,
                private,
                diagnostics: Vec::new(),
            }
        }
        Ok(None) => {
            tracing::info!(%id, "instance no longer exists; removing it from state");
            ReadResourceResponse {
                new_state: Value::Null,
                private: Vec::new(),
                diagnostics: Vec::new(),
            }
        }
        Err(e) => ReadResourceResponse {
            new_state: req.current_state,
            private: req.private,
            diagnostics: vec![Diagnostic::error(
                "Could Not Read Instance",
                format!("{id}: {e}"),
            )],
        },
    }
}

/// Which attributes read by a call of their own ([`Extra`]) to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extras {
    /// Only those unknown (after a create: ECS chose them).
    Unknown,
    /// Those with a value (a refresh: drift), and unknown ones. Those that
    /// are null (never set, or a state from before they existed) cost no
    /// call.
    Refresh,
    /// All (import).
    All,
}

/// Reads the attributes DescribeInstances does not report (user data, the
/// system disk, a subscription's auto-renewal) into `state`: one
/// DescribeUserData, one DescribeDisks and one (batched)
/// DescribeInstanceAutoRenewAttribute at most, and only for what `which`
/// asks. With the id of the system disk known (`system_disk`, from the
/// private state) the disk is looked up by id, in a DescribeDisks shared
/// with other instances' refreshes; the id found is left in `system_disk`.
///
/// # Errors
/// A read that failed.
pub async fn fill_extras(
    client: &crate::ecs::Client,
    id: &str,
    state: &mut Value,
    which: Extras,
    system_disk: &mut Option<String>,
) -> crate::ecs::Result<()> {
    let wanted: Vec<Extra> = attributes::TABLE
        .iter()
        .filter_map(|a| {
            let v = attrs::get(state, a.name);
            let read = match which {
                Extras::All => true,
                Extras::Refresh => !matches!(v, Value::Null),
                Extras::Unknown => matches!(v, Value::Unknown),
            };
            a.extra.filter(|_| read)
        })
        .collect();
    if wanted.contains(&Extra::UserData) {
        let data = client.describe_user_data(id).await?;
        let v = if data.is_empty() {
            Value::Null
        } else {
            attrs::str_value(String::from_utf8_lossy(&data))
        };
        attrs::set(state, "user_data", v);
    }
    if wanted
        .iter()
        .any(|e| matches!(e, Extra::SystemDiskSize | Extra::SystemDiskCategory))
    {
        let disk = find_system_disk(client, id, system_disk.as_deref()).await?;
        *system_disk = disk.as_ref().map(|d| d.disk_id.clone());
        let size = disk
            .as_ref()
            .and_then(|d| d.size_gib)
            .map_or(Value::Null, attrs::int_value);
        let category = disk
            .as_ref()
            .map(|d| d.category.clone())
            .filter(|c| !c.is_empty())
            .map_or(Value::Null, attrs::str_value);
        attrs::set(state, "system_disk_size", size);
        attrs::set(state, "system_disk_category", category);
    }
    if wanted.contains(&Extra::AutoRenew) {
        // Only subscriptions have a renewal (ECS refuses the others'
        // ids); the read is shared with other instances' reads.
        let renew = if attrs::string(state, "instance_charge_type").as_deref() == Some("PrePaid") {
            client.read_auto_renew(id).await?
        } else {
            None
        };
        let (on, period) = renewal_values(renew.as_ref(), attributes::period_unit(state));
        attrs::set(state, "auto_renew", on);
        attrs::set(state, "auto_renew_period", period);
    }
    Ok(())
}

/// The system disk of instance `id`: by its id when known (batched), and by
/// instance when not, or when that disk is gone or no longer this
/// instance's system disk.
async fn find_system_disk(
    client: &crate::ecs::Client,
    id: &str,
    known: Option<&str>,
) -> crate::ecs::Result<Option<crate::ecs::Disk>> {
    if let Some(disk_id) = known {
        if let Some(d) = client.read_disk(disk_id).await? {
            if d.instance_id == id && d.disk_type == "system" {
                return Ok(Some(d));
            }
        }
    }
    client.system_disk(id).await
}

/// `auto_renew` and `auto_renew_period` from what ECS reports, the length
/// in `unit` (the state's `period_unit`): years become months; a length in
/// another unit that does not convert reads as null. Nothing reported (a
/// pay-as-you-go instance): both null. Auto-renewal off: no length.
pub fn renewal_values(
    renew: Option<&crate::ecs::AutoRenewAttribute>,
    unit: crate::ecs::PeriodUnit,
) -> (Value, Value) {
    use crate::ecs::PeriodUnit as U;
    let Some(r) = renew else {
        return (Value::Null, Value::Null);
    };
    let length = match (r.duration, r.period_unit.unwrap_or_default(), unit) {
        (Some(n), got, want) if got == want => Some(n),
        (Some(n), U::Year, U::Month) => Some(n * 12),
        _ => None,
    };
    let period = length
        .filter(|_| r.auto_renew_enabled)
        .map_or(Value::Null, attrs::int_value);
    (Value::Bool(r.auto_renew_enabled), period)
}

/// The private state after a refresh: `restart_pending` follows the
/// instance. Set when the instance is down and carries our marker (an apply
/// stopped it and was cut short, even by SIGKILL, when nothing reached
/// Terraform); cleared once it runs, so that a later stop by the user is
/// never undone by a stale flag. A stopped instance owes no restart
/// (`restart_owed`).
pub fn refreshed_private(bytes: &[u8], inst: &crate::ecs::Instance) -> Vec<u8> {
    let mut private = Private::decode(bytes);
    private.stopped_charging = state::stopped_charging(inst);
    let running = state::settled_status(&inst.status) == "Running";
    if marker::stopped_by_us(inst, private.stale_marker.as_deref()) {
        private.restart_pending = true;
    } else if running {
        private.restart_pending = false;
    }
    if state::settled_status(&inst.status) == "Stopped" {
        // A stopped instance owes no restart: its next start, whoever
        // makes it, puts the change in effect.
        private.restart_owed = false;
    }
    private.stale_marker = match marker::value(inst) {
        Some(v) if running => Some(v.to_string()),
        Some(_) => private.stale_marker,
        None => None,
    };
    private.pending_type = super::pending::pending_type(inst);
    private.encode()
}

/// `terraform import ecs_instance.x i-…`. Config-only attributes are left
/// null (their defaults), so a configuration that does not set them plans
/// no change after the import.
pub async fn import(ctx: &Context, id: &str) -> ImportResourceStateResponse {
    let id = id.trim();
    let not_found = || {
        Diagnostic::error(
            "Cannot Import Non-Existent Instance",
            format!(
                "No instance \"{id}\" exists in region {}. Check the ID (it looks like i-…) and the provider's region.",
                ctx.settings.region
            ),
        )
    };
    if id.is_empty() {
        return ImportResourceStateResponse {
            imported: Vec::new(),
            diagnostics: vec![not_found()],
        };
    }
    let found = match ctx.client.describe_instance(id).await {
        Ok(Some(inst)) => {
            let mut state = state::from_instance(&inst, &Value::Null);
            let mut disk = None;
            fill_extras(&ctx.client, id, &mut state, Extras::All, &mut disk)
                .await
                .map(|()| Some((inst, state, disk)))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    match found {
        Ok(Some((inst, mut state, disk))) => ImportResourceStateResponse {
            imported: vec![ImportedResource {
                type_name: TYPE_NAME.to_string(),
                state: {
                    // Nothing is owed by an apply of ours.
                    attrs::set(&mut state, "restart_required", Value::Bool(false));
                    state
                },
                private: Private {
                    system_disk_id: disk,
                    ..Private::decode(&refreshed_private(&[], &inst))
                }
                .encode(),
            }],
            diagnostics: Vec::new(),
        },
        Ok(None) => ImportResourceStateResponse {
            imported: Vec::new(),
            diagnostics: vec![not_found()],
        },
        Err(e) => ImportResourceStateResponse {
            imported: Vec::new(),
            diagnostics: vec![Diagnostic::error(
                "Could Not Read Instance",
                format!("{id}: {e}"),
            )],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::instance::state::tests::sample_instance;

    fn pending(bytes: &[u8]) -> bool {
        Private::decode(bytes).restart_pending
    }

    #[test]
    fn renewal_reads_in_the_states_unit_and_only_while_on() {
        use crate::ecs::{AutoRenewAttribute, PeriodUnit as U};
        let r = |on: bool, n: i64, unit: U| AutoRenewAttribute {
            instance_id: "i-1".into(),
            auto_renew_enabled: on,
            duration: Some(n),
            period_unit: Some(unit),
            renewal_status: None,
        };
        let int = attrs::int_value;
        assert_eq!(renewal_values(None, U::Month), (Value::Null, Value::Null));
        assert_eq!(
            renewal_values(Some(&r(true, 3, U::Month)), U::Month),
            (Value::Bool(true), int(3))
        );
        assert_eq!(
            renewal_values(Some(&r(true, 2, U::Year)), U::Month),
            (Value::Bool(true), int(24))
        );
        assert_eq!(
            renewal_values(Some(&r(true, 2, U::Week)), U::Week),
            (Value::Bool(true), int(2))
        );
        // Weeks never convert to months; and off means no length.
        assert_eq!(
            renewal_values(Some(&r(true, 2, U::Week)), U::Month),
            (Value::Bool(true), Value::Null)
        );
        assert_eq!(
            renewal_values(Some(&r(false, 1, U::Month)), U::Month),
            (Value::Bool(false), Value::Null)
        );
    }

    #[test]
    fn restart_pending_follows_the_instance_and_our_marker() {
        let flagged = Private {
            restart_pending: true,
            last_modified_ms: Some(5),
            ..Private::default()
        }
        .encode();
        let mut inst = sample_instance();
        // Running: the flag is spent, whatever set it.
        inst.status = "Running".into();
        assert!(!pending(&refreshed_private(&flagged, &inst)));
        assert_eq!(
            Private::decode(&refreshed_private(&flagged, &inst)).last_modified_ms,
            Some(5)
        );
        // Stopped by the user (no marker): theirs, nothing set.
        inst.status = "Stopped".into();
        assert!(!pending(&refreshed_private(&[], &inst)));
        // Stopped or stopping with our marker: an apply of ours left it down.
        inst.tags = vec![(marker::KEY.into(), "stopped-at-1".into())];
        for status in ["Stopping", "Stopped"] {
            inst.status = status.into();
            assert!(pending(&refreshed_private(&[], &inst)), "{status}");
        }
        // A marker on a running instance is stale: it sets nothing, and a
        // later stop (by the user) with that same marker is not ours...
        inst.status = "Running".into();
        let seen_running = refreshed_private(&[], &inst);
        assert!(!pending(&seen_running));
        inst.status = "Stopped".into();
        let after_user_stop = refreshed_private(&seen_running, &inst);
        assert!(!pending(&after_user_stop));
        // ...but a new marker (a later apply of ours, killed) is.
        inst.tags = vec![(marker::KEY.into(), "stopped-at-2".into())];
        assert!(pending(&refreshed_private(&after_user_stop, &inst)));
    }

    #[test]
    fn an_owed_restart_shows_in_state_until_the_instance_is_seen_stopped() {
        let owed = Private {
            restart_owed: true,
            ..Private::default()
        }
        .encode();
        let mut inst = sample_instance();
        inst.status = "Running".into();
        let kept = refreshed_private(&owed, &inst);
        assert!(Private::decode(&kept).restart_owed);
        // A state from before the attribute gets it only when a restart is owed.
        let mut s = state::from_instance(&inst, &Value::Null);
        state::set_restart_required(&mut s, &kept);
        assert_eq!(attrs::get(&s, "restart_required"), &Value::Bool(true));
        let mut old = state::from_instance(&inst, &Value::Null);
        state::set_restart_required(&mut old, b"");
        assert_eq!(attrs::get(&old, "restart_required"), &Value::Null);
        // Its next start puts the change in effect: a stopped instance owes none.
        inst.status = "Stopped".into();
        let cleared = refreshed_private(&owed, &inst);
        assert!(!Private::decode(&cleared).restart_owed);
        state::set_restart_required(&mut s, &cleared);
        assert_eq!(attrs::get(&s, "restart_required"), &Value::Bool(false));
    }
}
