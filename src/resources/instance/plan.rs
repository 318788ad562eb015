//! PlanResourceChange for `ecs_instance`: what the apply will do, decided
//! (and explained) before anything is touched.
//!
//! Terraform's rules shape everything here (notes/plugin-protocol.md §4): a
//! planned value must equal the configuration, or keep the prior value, or
//! be a computed attribute; the final re-plan at apply time must agree with
//! the first plan; and the apply's result must keep every known planned
//! value. So:
//! - computed attributes are unknown only when they may really change (all
//!   on create; `cpu`/`memory` on a type change; `public_ip` when it may be
//!   assigned or reassigned) and otherwise keep the prior value, so that a
//!   plan after an apply is empty;
//! - defaults the provider chooses (`status` Running, the charge types) are
//!   planned as known values, and the API is asked for exactly them;
//! - the in-place sequence comes from the same [`planner::plan`] the apply
//!   runs, so the plan's warning describes what will happen.
//!
//! The pure part ([`plan_change`]) is separate from the API questions a
//! plan asks: what the decision needs is read first and handed in as data
//! ([`PlanFacts`]: the new vSwitch's VPC and zone, [`super::place_check`]);
//! the checks of the result (is the target type available,
//! [`super::type_check`]; private IP and key pair, `place_check`) come
//! after.

use super::attributes::{self, Mode};
use super::place_check::{self, PlanFacts};
use super::private::Private;
use super::release::{self, ReleaseFacts, Removal};
use super::schema::{
    computed_only, replace_on_change, BLANK_IS_UNSET, DEFAULT_INSTANCE_CHARGE_TYPE,
    DEFAULT_INTERNET_CHARGE_TYPE, DEFAULT_STATUS,
};
use super::state;
use super::timeouts::Timeouts;
use super::type_check;
use crate::planner::estimate;
use crate::planner::{self, Limits, Step};
use crate::protocol::diag::has_errors;
use crate::protocol::{
    AttributePath, Diagnostic, PlanResourceChangeRequest, PlanResourceChangeResponse, Value,
};
use crate::resources::provider_config::DEFAULT_COOLDOWN;
use crate::resources::{attrs, Context};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a plan is computed from.
#[derive(Clone, Debug)]
pub struct PlanInput<'a> {
    /// Null on create.
    pub prior: &'a Value,
    pub proposed: &'a Value,
    pub config: &'a Value,
    /// Our last successful modification (private state).
    pub last_modified: Option<Duration>,
    /// An earlier apply stopped the instance and could not start it again.
    pub restart_pending: bool,
    /// Read saw the instance Stopped in economical mode (private state).
    pub stopped_charging: bool,
    /// A change made by an interrupted apply still needs a restart.
    pub restart_owed: bool,
    /// Subscription bookkeeping (private state): pending type, refunds,
    /// bandwidth lock.
    pub subscription: planner::Subscription,
    /// A subscription type change's direction, when known.
    pub type_direction: Option<planner::Direction>,
    pub cooldown: Duration,
    /// Time since the UNIX epoch.
    pub now: Duration,
    /// Transitions seen before, for the downtime estimate (words only).
    pub history: estimate::History<'a>,
    /// What was read from the API before deciding (the new vSwitch).
    pub facts: PlanFacts,
}

/// Transitions seen in this provider process, by instance type, then id.
pub type SeenTransitions = Mutex<HashMap<String, HashMap<String, estimate::Observed>>>;

/// A type change that the API should be asked about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeChange {
    pub id: String,
    pub from: String,
    pub to: String,
    /// What else the API's answer depends on (zone and charge type):
    /// instances alike in these share one question per plan.
    pub scope: String,
    /// A subscription's change: the one OperationType to ask about.
    pub direction: Option<planner::Direction>,
}

#[derive(Clone, Debug, Default)]
pub struct Planned {
    pub state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub diagnostics: Vec<Diagnostic>,
    /// Set for an in-place type change that passed every local check.
    pub type_change: Option<TypeChange>,
    /// The in-place sequence (empty on create and replace).
    pub steps: Vec<Step>,
}

fn is_null(obj: &Value, name: &str) -> bool {
    matches!(attrs::get(obj, name), Value::Null)
}

/// Sets `name` to `value` when the configuration leaves it null.
fn default_if_unset(planned: &mut Value, config: &Value, name: &str, value: Value) {
    if is_null(config, name) {
        attrs::set(planned, name, value);
    }
}

/// Whether a change of `name` from `prior` to `proposed` replaces the
/// instance: any difference, except that `""` in a [`BLANK_IS_UNSET`]
/// attribute means unset (null for `vswitch_id`, "whatever ECS chose" for
/// the computed `zone_id`).
fn replaces(name: &str, prior: &Value, proposed: &Value) -> bool {
    if !BLANK_IS_UNSET.contains(&name) {
        return !same(proposed, prior);
    }
    let blank =
        |v: &Value| matches!(v, Value::Null) || matches!(v, Value::String(s) if s.is_empty());
    if blank(proposed) && (blank(prior) || name == "zone_id") {
        return false;
    }
    !same(proposed, prior)
}

/// Equal as Terraform compares them (sets by content).
fn same(a: &Value, b: &Value) -> bool {
    fn sorted(v: &[Value]) -> Vec<String> {
        let mut s: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
        s.sort();
        s
    }
    match (a, b) {
        (Value::Set(x), Value::Set(y)) => sorted(x) == sorted(y),
        _ => a == b,
    }
}

/// The plan, without asking the API anything.
pub fn plan_change(input: &PlanInput<'_>) -> Planned {
    if matches!(input.proposed, Value::Null) {
        // Destroy: nothing to plan, but say now if ECS will refuse it
        // (Terraform 1.0 does not ask; ApplyResourceChange checks again).
        return Planned {
            diagnostics: release_refusal(input.prior, Removal::Destroy)
                .into_iter()
                .collect(),
            ..Planned::default()
        };
    }
    if matches!(input.prior, Value::Null) {
        return plan_create(input);
    }
    let mut replace: Vec<&str> = replace_on_change()
        .into_iter()
        .filter(|a| replaces(a, attrs::get(input.prior, a), attrs::get(input.proposed, a)))
        .collect();
    // In-place attributes whose change replaces after all (classic ↔ VPC,
    // a vSwitch in another VPC or zone, user_data_replace_on_change).
    replace.extend(
        attributes::TABLE
            .iter()
            .filter(|a| {
                a.replaces_if
                    .is_some_and(|f| f(input.prior, input.proposed, &input.facts))
            })
            .map(|a| a.name),
    );
    if replace.is_empty() {
        plan_update(input)
    } else {
        plan_replace(input, &replace)
    }
}

fn plan_create(input: &PlanInput<'_>) -> Planned {
    let config = input.config;
    let mut planned = input.proposed.clone();
    for name in computed_only() {
        attrs::set(&mut planned, name, Value::Unknown);
    }
    // Known before creation: the network follows from vswitch_id.
    let network = match attrs::get(config, "vswitch_id") {
        Value::Null => attrs::str_value("classic"),
        Value::String(v) if v.is_empty() => attrs::str_value("classic"),
        Value::String(_) => attrs::str_value("vpc"),
        _ => Value::Unknown,
    };
    attrs::set(&mut planned, "network_type", network);
    // Unset optional + computed attributes are ECS's choice: known after
    // apply, except the defaults we send ourselves.
    for a in attributes::TABLE
        .iter()
        .filter(|a| a.mode == Mode::OptionalComputed)
    {
        default_if_unset(&mut planned, config, a.name, Value::Unknown);
    }
    for (name, default) in [
        (
            "internet_charge_type",
            attrs::str_value(DEFAULT_INTERNET_CHARGE_TYPE),
        ),
        (
            "instance_charge_type",
            attrs::str_value(DEFAULT_INSTANCE_CHARGE_TYPE),
        ),
        ("status", attrs::str_value(DEFAULT_STATUS)),
        // ECS turns deletion protection on only when asked.
        ("deletion_protection", Value::Bool(false)),
        // A new instance owes no restart.
        ("restart_required", Value::Bool(false)),
        ("tags", no_tags()),
    ] {
        default_if_unset(&mut planned, config, name, default);
    }
    // A new instance with the charge type unset is pay-as-you-go
    // (validation judges only an explicit one: unset, an imported
    // subscription stays PrePaid).
    let renewal = is_null(config, "instance_charge_type")
        .then(|| super::validate::renewal_on_pay_as_you_go(config))
        .flatten();
    Planned {
        state: planned,
        diagnostics: missing_security_group(config)
            .into_iter()
            .chain(renewal)
            .collect(),
        ..Planned::default()
    }
}

/// ECS creates no instance without a security group (unless a launch
/// template names one, which this resource does not take): said at plan
/// time, at the attribute, rather than by RunInstances.
fn missing_security_group(config: &Value) -> Option<Diagnostic> {
    let none = match attrs::get(config, "security_group_ids") {
        Value::Null => true,
        Value::Set(v) | Value::List(v) => v.is_empty(),
        _ => false,
    };
    none.then(|| {
        Diagnostic::error(
            "Security Group Required",
            "ECS creates an instance only in at least one security group: set security_group_ids, e.g. security_group_ids = [\"sg-…\"] (a group of the same VPC as vswitch_id). Security groups are managed outside this provider (console, or the alicloud provider's alicloud_security_group).",
        )
        .at(AttributePath::attr("security_group_ids"))
    })
}

/// A replacement: Terraform plans the new instance again with a null prior
/// (that plan is the one it keeps); this one only has to name the paths
/// and be valid.
fn plan_replace(input: &PlanInput<'_>, replace: &[&str]) -> Planned {
    let mut planned = input.proposed.clone();
    for name in computed_only() {
        attrs::set(&mut planned, name, Value::Unknown);
    }
    Planned {
        state: planned,
        requires_replace: replace.iter().map(|a| AttributePath::attr(*a)).collect(),
        // Refused now rather than by DeleteInstance halfway through.
        diagnostics: release_refusal(input.prior, Removal::Replace(replace))
            .into_iter()
            .collect(),
        ..Planned::default()
    }
}

/// Whether ECS would refuse to release the instance `prior` describes.
fn release_refusal(prior: &Value, removal: Removal<'_>) -> Option<Diagnostic> {
    let charge_type = attrs::string(prior, "instance_charge_type").unwrap_or_default();
    let facts = ReleaseFacts {
        charge_type: &charge_type,
        deletion_protection: attrs::boolean(prior, "deletion_protection").unwrap_or(false),
        force_delete: attrs::boolean(prior, "force_delete").unwrap_or(false),
    };
    release::refusal(
        &attrs::string(prior, "id").unwrap_or_default(),
        &facts,
        removal,
    )
}

fn plan_update(input: &PlanInput<'_>) -> Planned {
    let (prior, config) = (input.prior, input.config);
    let mut planned = input.proposed.clone();
    let mut out = Planned::default();
    let id = attrs::string(prior, "id").unwrap_or_default();

    if input.restart_pending
        && is_null(config, "status")
        && attrs::string(prior, "status").as_deref() == Some("Stopped")
    {
        // Finish what the failed apply left undone: with status unset the
        // instance keeps the power state it had before we touched it.
        attrs::set(&mut planned, "status", attrs::str_value("Running"));
    }
    if is_null(config, "auto_renew_period") {
        // Auto-renewal off has no length (it reads as null); turned on
        // without one, ECS keeps its last length or picks one.
        match (
            attrs::boolean(&planned, "auto_renew"),
            attrs::boolean(prior, "auto_renew"),
        ) {
            (Some(false), _) => attrs::set(&mut planned, "auto_renew_period", Value::Null),
            (Some(true), Some(false) | None) => {
                attrs::set(&mut planned, "auto_renew_period", Value::Unknown);
            }
            _ => {}
        }
    }
    // "" and null are both "no vSwitch" (BLANK_IS_UNSET).
    let vswitch_changed = state::given(&planned, "vswitch_id") != state::given(prior, "vswitch_id");
    if vswitch_changed && is_null(config, "private_ip") {
        // ECS picks an address in the new vSwitch.
        attrs::set(&mut planned, "private_ip", Value::Unknown);
    }
    let type_changed = !same(
        attrs::get(&planned, "instance_type"),
        attrs::get(prior, "instance_type"),
    );
    if type_changed {
        attrs::set(&mut planned, "cpu", Value::Unknown);
        attrs::set(&mut planned, "memory", Value::Unknown);
    }
    let out_before = attrs::int(prior, "internet_max_bandwidth_out").unwrap_or(0);
    let out_after = attrs::int(&planned, "internet_max_bandwidth_out");
    if out_before == 0 && out_after != Some(0) {
        // A first public bandwidth may come with a public address.
        attrs::set(&mut planned, "public_ip", Value::Unknown);
    }

    let observed = state::observed_from_state(prior, input.last_modified, input.stopped_charging)
        .map(|o| planner::Observed {
            restart_owed: input.restart_owed,
            subscription: input.subscription.clone(),
            ..o
        });
    let desired = planner::Desired {
        type_direction: input.type_direction,
        ..state::desired_for(&planned, config)
    };
    let limits = Limits {
        cooldown: input.cooldown,
        allow_stopping: attrs::boolean(config, "allow_stopping_for_update").unwrap_or(true),
        now: input.now,
    };
    if let Some(observed) = observed {
        let problems = planner::validate(&observed, &desired, &limits);
        for p in &problems {
            out.diagnostics.push(
                Diagnostic::error(problem_summary(p), format!("{id}: {p}."))
                    .at(AttributePath::attr(p.attribute())),
            );
        }
        if problems.is_empty() {
            match planner::plan(&observed, &desired, &limits) {
                Ok(steps) => {
                    explain(&id, &observed, &desired, &steps, input, &mut out);
                    if public_ip_may_change(&steps, config, input.stopped_charging) {
                        attrs::set(&mut planned, "public_ip", Value::Unknown);
                    }
                    if input.restart_owed && pays_restart(&steps, &desired) {
                        // A restart owed by an interrupted apply changes no
                        // other attribute, and Terraform applies only a plan
                        // that changes one: this one shows it.
                        attrs::set(&mut planned, "restart_required", Value::Bool(false));
                    }
                    // An ordered subscription type that these steps put in
                    // effect (a start or restart) changes what ECS reports.
                    let starts = steps
                        .iter()
                        .any(|s| matches!(s, Step::Start | Step::Reboot));
                    if starts && input.subscription.pending_type.is_some() {
                        attrs::set(&mut planned, "cpu", Value::Unknown);
                        attrs::set(&mut planned, "memory", Value::Unknown);
                    }
                    out.steps = steps;
                }
                Err(p) => out.diagnostics.push(
                    Diagnostic::error(problem_summary(&p), format!("{id}: {p}."))
                        .at(AttributePath::attr(p.attribute())),
                ),
            }
        }
        // Ask the API about the new type only when nothing local refused the plan.
        let refused = has_errors(&out.diagnostics);
        // A type already ordered and waiting for its restart needs no check.
        let ordered = desired.instance_type.is_some()
            && desired.instance_type == observed.subscription.pending_type;
        if let (true, false, false, Some(to)) = (
            type_changed,
            refused,
            ordered,
            desired.instance_type.clone(),
        ) {
            out.type_change = Some(TypeChange {
                id: id.clone(),
                from: observed.instance_type.clone(),
                to,
                scope: ["zone_id", "instance_charge_type"]
                    .map(|n| attrs::string(prior, n).unwrap_or_default())
                    .join("/"),
                direction: (observed.charge == planner::ChargeType::PrePaid)
                    .then_some(desired.type_direction)
                    .flatten(),
            });
        }
    }
    out.state = planned;
    out
}

/// Whether `steps` pay a restart owed: they restart or start the instance,
/// or leave it Stopped (its next start puts the change in effect).
fn pays_restart(steps: &[Step], desired: &planner::Desired) -> bool {
    desired.status == Some(planner::PowerState::Stopped)
        || steps
            .iter()
            .any(|s| matches!(s, Step::Reboot | Step::Start))
}

/// Whether the steps may give the instance another public IP (or none):
/// an address is allocated; a stop in economical mode releases it (the
/// start after it assigns a new one); or the instance was stopped in
/// economical mode and these steps start it.
fn public_ip_may_change(steps: &[Step], config: &Value, stopped_charging: bool) -> bool {
    let economical = attrs::string(config, "stopped_mode").as_deref() == Some("StopCharging");
    steps.iter().any(|s| match s {
        Step::AllocatePublicIp { .. } => true,
        Step::Stop => economical,
        Step::Start => stopped_charging,
        _ => false,
    })
}

fn problem_summary(p: &planner::PlanError) -> &'static str {
    match p {
        planner::PlanError::StopNotAllowed { .. }
        | planner::PlanError::BandwidthStopNotAllowed { .. } => "Stopping Not Allowed",
        planner::PlanError::NoRefundsLeft { .. } => "No Subscription Refund Left",
        planner::PlanError::BandwidthLocked { .. } => "Subscription Bandwidth Locked",
        planner::PlanError::PendingType { .. } => "Type Change Waiting For A Restart",
        planner::PlanError::BandwidthOutOfRange { .. } => "Bandwidth Out Of Range",
        planner::PlanError::ChangeStopNotAllowed { .. } | planner::PlanError::RestartOwed => {
            "Stopping Not Allowed"
        }
        planner::PlanError::NoRoomForMarker { .. } => "No Room For The Stop Marker Tag",
        planner::PlanError::NoRoomForPendingTag { .. } => "No Room For The Pending-Type Tag",
        planner::PlanError::PostPaidOnly { .. } => "Not Changeable On A Subscription Instance",
        planner::PlanError::PrePaidOnly { .. } => "Subscription Instances Only",
        planner::PlanError::DiskShrink { .. } => "System Disk Cannot Shrink",
    }
}

/// The stop warning, and an error when the cooldown waits alone exceed the
/// update timeout.
fn explain(
    id: &str,
    observed: &planner::Observed,
    desired: &planner::Desired,
    steps: &[Step],
    input: &PlanInput<'_>,
    out: &mut Planned,
) {
    if let Some(text) = planner::wait_note(id, observed, steps, input.now) {
        let attr = match steps
            .iter()
            .find(|s| !matches!(s, Step::WaitUntil { .. } | Step::Start))
        {
            Some(Step::ModifyType { .. }) => "instance_type",
            _ => "internet_max_bandwidth_out",
        };
        out.diagnostics.push(
            Diagnostic::warning("Apply Will Wait For The Modification Cooldown", text)
                .at(AttributePath::attr(attr)),
        );
    }
    if let Some(mut text) = planner::stop_warning(id, observed, desired, steps, input.now) {
        // At the first attribute that causes the stop (or restart).
        let cause = planner::sequence::classify(observed, desired)
            .into_iter()
            .filter(|(_, c)| *c != planner::StopClass::NoStop)
            .max_by_key(|(_, c)| *c)
            .map(|(a, _)| a.name());
        // The figures go into the summary too: Terraform shows one of the
        // warnings sharing a summary and folds the rest into "and N more
        // similar warnings", so alike estimates fold together and differing
        // ones stay in sight.
        let mut summary = String::from(if steps.contains(&Step::Reboot) {
            "Instance Will Be Restarted"
        } else {
            "Instance Will Be Stopped"
        });
        let mut history = input.history.clone();
        let rolling = steps
            .iter()
            .position(|s| matches!(s, Step::Stop | Step::Reboot))
            .is_some_and(|i| crate::resources::rolling::stops_for_update(&steps[i..]));
        if !rolling {
            history.rolling_cap = None;
        }
        if let Some(e) = estimate::estimate(steps, input.now, &history) {
            summary += &format!(": {}", estimate::headline(&e));
            text += &format!(" {}", estimate::sentence(&e, input.history.instance_type));
        }
        let attr = match desired.status {
            Some(planner::PowerState::Stopped) => "status",
            _ => cause.unwrap_or("status"),
        };
        out.diagnostics
            .push(Diagnostic::warning(summary, text).at(AttributePath::attr(attr)));
    }
    for (attr, summary, text) in planner::describe::subscription_notes(id, observed, desired, steps)
    {
        out.diagnostics
            .push(Diagnostic::warning(summary, text).at(AttributePath::attr(attr.name())));
    }
    for (attr, text) in planner::describe::change_notes(id, steps) {
        out.diagnostics.push(
            Diagnostic::warning("In-Place Change", text).at(AttributePath::attr(attr.name())),
        );
    }
    let last_wait = steps.iter().rev().find_map(|s| match s {
        Step::WaitUntil { until } => Some(*until),
        _ => None,
    });
    let limit = Timeouts::of(input.config).update;
    if let Some(until) = last_wait {
        let waits = until.saturating_sub(input.now);
        if waits >= limit {
            out.diagnostics.push(
                Diagnostic::error(
                    "Update Timeout Too Short",
                    format!(
                        "{id}: this update waits {} for the modification cooldown between its changes, which is not less than timeouts.update ({}). Raise timeouts.update to at least {} plus the time to stop and start the instance, or make the changes in two applies.",
                        fmt_duration(waits),
                        fmt_duration(limit),
                        fmt_duration(waits),
                    ),
                )
                .at(AttributePath::attr("timeouts").then("update")),
            );
        }
    }
}

fn fmt_duration(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs().max(1))).to_string()
}

fn now_since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Records `this` (an instance's own observations) under its type and id,
/// and returns what the other instances of that type planned so far had.
fn seen_alike(
    seen: &SeenTransitions,
    instance_type: &str,
    id: &str,
    this: &estimate::Observed,
) -> Vec<estimate::Observed> {
    if instance_type.is_empty() || id.is_empty() {
        return Vec::new();
    }
    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    let alike = seen.entry(instance_type.to_string()).or_default();
    if !this.is_empty() {
        alike.insert(id.to_string(), this.clone());
    }
    alike
        .iter()
        .filter(|(other, _)| other.as_str() != id)
        .map(|(_, o)| o.clone())
        .collect()
}

/// PlanResourceChange: the pure plan, then (when the provider is configured
/// and the instance exists) the availability check of a new type.
/// `tags` unset means "no tags of yours": an empty map, never null. The
/// attribute is optional + computed only so that Terraform 1.0 keeps the
/// state's `{}` where its `ignore_changes` processing turns a null map into
/// an empty one (with a plain optional map, an unset `tags` beside any
/// `ignore_changes` planned `+ tags = {}` on every run).
fn unset_tags_are_none(proposed: &Value, config: &Value) -> Value {
    let mut p = proposed.clone();
    if !matches!(p, Value::Null) && is_null(config, "tags") {
        attrs::set(&mut p, "tags", no_tags());
    }
    p
}

/// A warning when the plan orders a subscription change and an earlier
/// apply saw one of its orders left unpaid: ECS reads no orders back, so the
/// plan cannot tell whether it is still open; if it is, the change is
/// refused by its first order, before any stop.
fn open_order_warning(id: &str, order: Option<&str>, steps: &[Step]) -> Option<Diagnostic> {
    let order = order?;
    let first = steps.iter().find_map(|s| match s {
        Step::ModifyPrepayType { .. } => Some("instance_type"),
        Step::ModifyBandwidth {
            api: planner::BandwidthApi::Subscription,
            ..
        } => Some("internet_max_bandwidth_out"),
        _ => None,
    })?;
    Some(
        Diagnostic::warning(
            "Unpaid Subscription Order",
            format!(
                "{id}: order {order}, placed by an earlier apply, was not paid. If it is still open, ECS refuses this change (InvalidInstance.UnpaidOrder) at its first order, before anything is stopped: pay or cancel it in the Alibaba Cloud console (Expenses > Orders) first."
            ),
        )
        .at(AttributePath::attr(first)),
    )
}

/// The direction of a subscription instance's type change (`None` for
/// pay-as-you-go, no change, or when ECS cannot tell: then the planner
/// reads it as a downgrade, and the type check says why).
async fn prepaid_direction(
    ctx: &Context,
    prior: &Value,
    proposed: &Value,
) -> Option<planner::Direction> {
    if attrs::string(prior, "instance_charge_type").as_deref() != Some("PrePaid") {
        return None;
    }
    let from = attrs::string(prior, "instance_type")?;
    let to = attrs::string(proposed, "instance_type").filter(|t| *t != from)?;
    match type_check::direction(&ctx.client, &ctx.offers, &from, &to).await {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(error = %e, "could not tell whether {to} is an upgrade of {from}");
            None
        }
    }
}

fn no_tags() -> Value {
    Value::Map(Default::default())
}

pub async fn plan(
    ctx: Option<Arc<Context>>,
    req: PlanResourceChangeRequest,
) -> PlanResourceChangeResponse {
    let private = Private::decode(&req.prior_private);
    let id = attrs::string(&req.prior_state, "id").unwrap_or_default();
    let instance_type = attrs::string(&req.prior_state, "instance_type").unwrap_or_default();
    let this = private.transitions.observed();
    let peers = ctx.as_ref().map_or_else(Vec::new, |c| {
        seen_alike(&c.transitions, &instance_type, &id, &this)
    });
    let proposed = unset_tags_are_none(&req.proposed_new_state, &req.config);
    // Read before deciding, and only when vswitch_id changes.
    let facts = match &ctx {
        Some(c) => {
            place_check::read_facts(&c.client, &c.vswitches, &req.prior_state, &proposed).await
        }
        None => PlanFacts::default(),
    };
    let vswitch_diagnostics =
        place_check::vswitch_diagnostics(&facts, &req.prior_state, &req.config);
    let input = PlanInput {
        prior: &req.prior_state,
        proposed: &proposed,
        config: &req.config,
        last_modified: private.last_modified(),
        restart_pending: private.restart_pending,
        stopped_charging: private.stopped_charging,
        restart_owed: private.restart_owed,
        subscription: private.subscription(now_since_epoch()),
        type_direction: match &ctx {
            Some(ctx) => prepaid_direction(ctx, &req.prior_state, &req.proposed_new_state).await,
            None => None,
        },
        cooldown: ctx
            .as_ref()
            .map_or(DEFAULT_COOLDOWN, |c| c.settings.modification_cooldown),
        now: now_since_epoch(),
        history: estimate::History {
            this,
            peers,
            instance_type: &instance_type,
            rolling_cap: ctx.as_ref().and_then(|c| c.slots.cap()),
        },
        facts,
    };
    let mut planned = plan_change(&input);
    planned.diagnostics.extend(vswitch_diagnostics);
    if let Some(w) = ctx
        .as_ref()
        .and_then(|c| c.slots.plan_warning(&id, &planned.steps))
    {
        planned.diagnostics.push(w);
    }
    if let Some(w) = open_order_warning(&id, private.open_order.as_deref(), &planned.steps) {
        planned.diagnostics.push(w);
    }
    if let (Some(ctx), Some(change)) = (&ctx, planned.type_change.take()) {
        planned
            .diagnostics
            .extend(type_check::check(&ctx.client, &ctx.offers, &change).await);
    }
    if let (Some(ctx), false) = (&ctx, matches!(planned.state, Value::Null)) {
        planned.diagnostics.extend(
            place_check::check(
                &ctx.client,
                &ctx.vswitches,
                &req.prior_state,
                &planned.state,
            )
            .await,
        );
    }
    let creating =
        matches!(req.prior_state, Value::Null) && !matches!(req.proposed_new_state, Value::Null);
    if let (Some(ctx), true, Some(to)) =
        (&ctx, creating, attrs::string(&req.config, "instance_type"))
    {
        planned
            .diagnostics
            .extend(type_check::check_new(&ctx.client, &ctx.type_names, &to).await);
    }
    PlanResourceChangeResponse {
        planned_state: planned.state,
        requires_replace: planned.requires_replace,
        // Apply receives only the planned private state: pass ours through.
        planned_private: req.prior_private,
        diagnostics: planned.diagnostics,
    }
}
