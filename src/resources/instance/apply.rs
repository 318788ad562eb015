//! ApplyResourceChange for `ecs_instance`: create, update in place, delete.
//!
//! Every operation runs under its `timeouts` entry (the client's calls and
//! retries through `Client::with_deadline`, our waits through
//! [`Waiter::deadline`]) and ends promptly on Terraform's Stop.
//!
//! Failures return what is really there, not what was planned: Terraform
//! keeps a non-null result even with errors (a failed create is tainted),
//! so we re-read the instance and return it with the error. If an update
//! stopped an instance that should be running, it is started again before
//! the error is returned; if even that fails, private state remembers it so
//! the next plan starts it.

use super::api::{ClientApi, Clock, SystemClock};
use super::api_errors::{self, Sent};
use super::attributes;
use super::error::ApplyError;
use super::execute::{Executor, Progress};
use super::interrupted::{self, Restart};
use super::marker;
use super::pending;
use super::private::{Private, Transitions};
use super::release::{self, ReleaseFacts, Removal};
use super::state;
use super::timeouts::Timeouts;
use super::type_check;
use super::wait::Waiter;
use crate::ecs::{Client, ErrorKind};
use crate::planner::{self, Limits, PowerState, Step};
use crate::protocol::{
    ApplyResourceChangeRequest, ApplyResourceChangeResponse, AttributePath, Diagnostic, Value,
};
use crate::resources::{attrs, Context};
use std::sync::Arc;
use std::time::Duration;

/// Budget for starting an instance again after a failed update, counted
/// afresh: the update's own timeout may be what failed.
const RECOVERY_BUDGET: Duration = Duration::from_secs(5 * 60);

pub async fn apply(
    ctx: Arc<Context>,
    req: ApplyResourceChangeRequest,
) -> ApplyResourceChangeResponse {
    match (&req.prior_state, &req.planned_state) {
        (Value::Null, Value::Null) => ApplyResourceChangeResponse::default(),
        (Value::Null, _) => create(&ctx, &req).await,
        (_, Value::Null) => delete(&ctx, &req).await,
        _ => update(&ctx, &req).await,
    }
}

/// What one operation works with: the API and clock, bounded by a timeout.
struct Session {
    api: ClientApi,
    clock: SystemClock,
    poll: super::api::PollPolicy,
    deadline: Duration,
    operation: &'static str,
    limit: Duration,
}

impl Session {
    fn new(ctx: &Context, operation: &'static str, limit: Duration) -> Session {
        let clock = SystemClock(ctx.cancel.clone());
        let deadline = clock.now() + limit;
        let api = ClientApi(
            ctx.client
                .with_deadline(tokio::time::Instant::now() + limit),
        );
        Session {
            api,
            clock,
            poll: ctx.poll.clone(),
            deadline,
            operation,
            limit,
        }
    }

    /// A session that Terraform's Stop does not end: for starting again an
    /// instance we stopped, within `budget` (after Ctrl-C,
    /// [`interrupted::CTRL_C_GRACE`]).
    fn recovery(ctx: &Context, budget: Duration) -> Session {
        Session {
            api: ClientApi(
                ctx.client
                    .uncancellable()
                    .with_deadline(tokio::time::Instant::now() + budget),
            ),
            clock: SystemClock(tokio_util::sync::CancellationToken::new()),
            ..Session::new(ctx, "update", budget)
        }
    }

    fn waiter(&self) -> Waiter<'_> {
        Waiter {
            api: &self.api,
            clock: &self.clock,
            poll: self.poll.clone(),
            deadline: self.deadline,
            operation: self.operation,
            limit: self.limit,
        }
    }

    fn executor<'a>(&'a self, ctx: &'a Context, id: &'a str, planned: &'a Value) -> Executor<'a> {
        Executor {
            waiter: self.waiter(),
            id,
            cooldown: ctx.settings.modification_cooldown,
            stopped_mode: str_of(attrs::get(planned, "stopped_mode")),
            rolling: crate::resources::rolling::Hold::new(&ctx.slots),
        }
    }
}

fn str_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The ECS error inside `e`, if it is one.
fn api_error(e: &ApplyError) -> Option<&crate::ecs::Error> {
    match e {
        ApplyError::Api(e) | ApplyError::StillRefused { error: e, .. } => Some(e),
        _ => None,
    }
}

/// The attribute an API error is about, by its exact code and what the
/// failing call sent (see [`api_errors`]).
fn attribute_of(e: &ApplyError, sent: Sent) -> Option<AttributePath> {
    api_errors::attribute(api_error(e)?, sent).map(AttributePath::attr)
}

fn error_diag(id: &str, e: &ApplyError) -> Diagnostic {
    error_diag_sent(id, e, Sent::default())
}

/// The diagnostic for a failure whose call sent `sent`: at the attribute
/// the error is about, with the remedy in Terraform's terms.
fn error_diag_sent(id: &str, e: &ApplyError, sent: Sent) -> Diagnostic {
    let what = if id.is_empty() {
        String::new()
    } else {
        format!("{id}: ")
    };
    let detail = match e {
        ApplyError::Api(api) => api_errors::describe(api),
        other => other.to_string(),
    };
    let d = Diagnostic::error(e.summary(), format!("{what}{detail}"));
    match attribute_of(e, sent) {
        Some(path) => d.at(path),
        None => d,
    }
}

/// What RunInstances sent, for [`attribute_of`].
fn sent_on_create(planned: &Value) -> Sent {
    Sent {
        instance_type: true,
        bandwidth_out: attrs::int(planned, "internet_max_bandwidth_out").is_some(),
        bandwidth_in: attrs::int(planned, "internet_max_bandwidth_in").is_some(),
    }
}

/// What the update's failing call most likely sent: the changes the plan
/// asks for that `done` does not hold yet.
fn sent_on_update(prior: &Value, planned: &Value, done: &[Step]) -> Sent {
    let changes = |n: &str| {
        attrs::int(planned, n).is_some() && attrs::int(planned, n) != attrs::int(prior, n)
    };
    let done_type = done.iter().any(|s| matches!(s, Step::ModifyType { .. }));
    let done_out = done
        .iter()
        .any(|s| matches!(s, Step::ModifyBandwidth { out: Some(_), .. }));
    let done_in = done.iter().any(|s| {
        matches!(
            s,
            Step::ModifyBandwidth {
                inbound: Some(_),
                ..
            }
        )
    });
    Sent {
        instance_type: !done_type
            && attrs::string(planned, "instance_type") != attrs::string(prior, "instance_type"),
        bandwidth_out: !done_out && changes("internet_max_bandwidth_out"),
        bandwidth_in: !done_in && changes("internet_max_bandwidth_in"),
    }
}

async fn create(ctx: &Context, req: &ApplyResourceChangeRequest) -> ApplyResourceChangeResponse {
    let planned = &req.planned_state;
    let session = Session::new(ctx, "create", Timeouts::of(planned).create);
    // One token for this apply's creation: retries of the call reuse it, so
    // a lost answer never yields a second instance; a new apply gets a new one.
    let token = Client::new_client_token("RunInstances");
    let sent = session.clock.now();
    let id = match session
        .api
        .0
        .run_instances(&attributes::run_request(planned), &token)
        .await
    {
        Ok(id) => id,
        Err(e) => {
            return ApplyResourceChangeResponse {
                diagnostics: vec![error_diag_sent("", &e.into(), sent_on_create(planned))],
                ..Default::default()
            }
        }
    };
    tracing::info!(%id, "instance created; waiting for it to run");
    let mut progress = Progress::default();
    let mut created_in = None;
    let result = async {
        let running = session.waiter().status(&id, "Running").await?;
        created_in = Some(session.clock.now().saturating_sub(sent));
        // What RunInstances does not set (tags, …): the planner's calls.
        if let Some(mut observed) = state::observed(&running, None) {
            // What ECS cannot report (a password) RunInstances has set.
            observed.attrs.extend(attributes::carried_attrs(planned));
            let limits = Limits {
                cooldown: ctx.settings.modification_cooldown,
                allow_stopping: true,
                now: session.clock.now(),
            };
            // Unknown here: computed and left to ECS.
            let mut desired = state::desired(planned);
            desired.attrs.retain(|_, v| *v != planner::Val::Unknown);
            let calls: Vec<Step> = planner::plan(&observed, &desired, &limits)
                .map_err(ApplyError::Plan)?
                .into_iter()
                .filter(|s| matches!(s, Step::Call { .. }))
                .collect();
            session
                .executor(ctx, &id, planned)
                .run(&calls, &mut progress)
                .await?;
        }
        if attrs::string(planned, "status").as_deref() == Some("Stopped") {
            session
                .executor(ctx, &id, planned)
                .stop(&mut progress, false)
                .await?;
        }
        let desired = state::desired(planned);
        session
            .waiter()
            .until(&id, &format!("{id} to show the planned values"), |i| {
                state::satisfies(i, &desired)
            })
            .await
    }
    .await;
    match result {
        Ok(inst) => {
            let mut system_disk_id = None;
            ApplyResourceChangeResponse {
                new_state: with_extras(ctx, &inst, planned, &mut system_disk_id).await,
                private: Private {
                    stopped_charging: state::stopped_charging(&inst),
                    transitions: created_in.map(Transitions::created).unwrap_or_default(),
                    // Created here: every refund it will use is ours to count.
                    refunds_known: inst.instance_charge_type == "PrePaid",
                    // Found by the read above: refreshes then read it by
                    // id, batched with the fleet's.
                    system_disk_id,
                    ..Private::default()
                }
                .encode(),
                diagnostics: Vec::new(),
            }
        }
        Err(e) => {
            // Terraform records the instance as tainted: it exists, so it
            // must be in state, or it would leak.
            let partial = reread(ctx, &id, planned).await.unwrap_or_else(|| {
                let mut s = state::known_or_null(planned);
                attrs::set(&mut s, "id", attrs::str_value(&id));
                s
            });
            ApplyResourceChangeResponse {
                new_state: partial,
                private: Vec::new(),
                diagnostics: vec![error_diag_sent(&id, &e, sent_on_create(planned))],
            }
        }
    }
}

/// The state of `inst` after a successful apply, with what ECS chose
/// (planned unknown) among the attributes read by calls of their own; if
/// those reads fail, null (a refresh reads them again). `system_disk` is
/// the system disk's id when known, and the one found when the disk is read.
async fn with_extras(
    ctx: &Context,
    inst: &crate::ecs::Instance,
    planned: &Value,
    system_disk: &mut Option<String>,
) -> Value {
    let mut s = state::from_instance(inst, planned);
    let client = ctx.client.uncancellable();
    if let Err(e) = super::read::fill_extras(
        &client,
        &inst.instance_id,
        &mut s,
        super::read::Extras::Unknown,
        system_disk,
    )
    .await
    {
        tracing::warn!(id = %inst.instance_id, error = %e, "could not read user data or the system disk");
    }
    state::known_or_null(&s)
}

/// The instance as it is now, as state; `None` if it cannot be read. Uses
/// its own short budget (the operation's may be exhausted), and is made even
/// after Terraform's Stop: the state Terraform keeps must be what is there.
async fn reread(ctx: &Context, id: &str, carried: &Value) -> Option<Value> {
    let budget = if ctx.cancel.is_cancelled() {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(60)
    };
    let client = ctx
        .client
        .uncancellable()
        .with_deadline(tokio::time::Instant::now() + budget);
    match client
        .describe_instances(&[id.to_string()])
        .await
        .map(|v| v.into_iter().next())
    {
        // What it cannot read back now (user data, the disk) is null, never unknown.
        Ok(Some(inst)) => Some(state::known_or_null(&state::from_instance(&inst, carried))),
        Ok(None) => Some(Value::Null),
        Err(e) => {
            tracing::warn!(id, error = %e, "could not read the instance back after a failure");
            None
        }
    }
}

async fn update(ctx: &Context, req: &ApplyResourceChangeRequest) -> ApplyResourceChangeResponse {
    let (prior, planned) = (&req.prior_state, &req.planned_state);
    let id = attrs::string(prior, "id").unwrap_or_default();
    let private = Private::decode(&req.planned_private);
    let session = Session::new(ctx, "update", Timeouts::of(planned).update);
    let executor = session.executor(ctx, &id, planned);
    let mut desired = state::desired_for(planned, &req.config);
    let mut progress = Progress::new(private.last_modified());
    progress.known_open_order = private.open_order.clone();
    let result = async {
        let inst = state::fill_unreported(&session.waiter().stable(&id).await?, prior);
        progress.marked = marker::carried_by(&inst);
        progress.pending_marked = pending::carried_by(&inst);
        let mut observed = state::observed(&inst, progress.last_modified)
            .expect("a stable instance has an observed state");
        observed.attrs.extend(attributes::carried_attrs(prior));
        observed.restart_owed = private.restart_owed;
        let sub = private.subscription(session.clock.now());
        observed.subscription = planner::Subscription {
            pending_type: observed.subscription.pending_type.take(),
            ..sub
        };
        if observed.charge == planner::ChargeType::PrePaid {
            if let Some(to) = desired
                .instance_type
                .clone()
                .filter(|t| *t != observed.instance_type)
            {
                let d =
                    type_check::direction(&ctx.client, &ctx.offers, &observed.instance_type, &to)
                        .await?;
                desired.type_direction = Some(d);
            }
        }
        progress.restart_owed = private.restart_owed;
        let limits = Limits {
            cooldown: ctx.settings.modification_cooldown,
            allow_stopping: attrs::boolean(planned, "allow_stopping_for_update").unwrap_or(true),
            now: session.clock.now(),
        };
        let steps = planner::plan(&observed, &desired, &limits).map_err(ApplyError::Plan)?;
        let stopped_charging = private.stopped_charging;
        if let Some(e) = unplanned_changes(
            prior,
            stopped_charging,
            &desired,
            &limits,
            &observed,
            &steps,
        ) {
            return Err(e);
        }
        tracing::info!(%id, sequence = %planner::summary(&observed, &steps), "updating instance");
        // A type ordered by an earlier apply, about to be put in effect: make
        // sure the order reached ECS (it shows the old type either way on the
        // stricter reading; with the new type shown, it did).
        if let Some(to) = observed.subscription.pending_type.clone() {
            let restarts = steps
                .iter()
                .any(|s| matches!(s, Step::Start | Step::Reboot));
            if restarts && inst.instance_type != to {
                let from = observed.instance_type.clone();
                let d = match desired.type_direction {
                    Some(d) => d,
                    None => type_check::direction(&ctx.client, &ctx.offers, &from, &to).await?,
                };
                executor.confirm_order(&to, d, &mut progress).await?;
            }
        }
        executor.run(&steps, &mut progress).await?;
        let pending = observed.subscription.pending_type.as_ref();
        order_took_effect(&session, &id, &steps, pending, &progress).await?;
        if progress.marked {
            // A marker left by an interrupted apply, on an instance that
            // now is as the configuration says.
            executor.unmark(&mut progress).await;
        }
        session
            .waiter()
            .until(&id, &format!("{id} to show the planned values"), |i| {
                state::satisfies(i, &desired)
            })
            .await
    }
    .await;
    match result {
        Ok(inst) => {
            let mut system_disk_id = private.system_disk_id.clone();
            ApplyResourceChangeResponse {
                new_state: with_extras(ctx, &inst, planned, &mut system_disk_id).await,
                private: {
                    let mut next = Private {
                        stopped_charging: state::stopped_charging(&inst),
                        transitions: private
                            .transitions
                            .with(progress.stop_took, progress.start_took),
                        pending_type: pending::pending_type(&inst),
                        system_disk_id,
                        ..Private::with_last_modified(progress.last_modified)
                    };
                    subscription_after(ctx, &id, &private, &progress, Some(&inst), &mut next).await;
                    next.open_order = None;
                    next.encode()
                },
                diagnostics: cooldown_too_short(ctx, &id, &progress)
                    .into_iter()
                    .collect(),
            }
        }
        Err(e) => {
            let ends_running = desired.status == Some(PowerState::Running);
            // What this update observed is kept even when it failed.
            let transitions = private
                .transitions
                .with(progress.stop_took, progress.start_took);
            let not_paid = match &e {
                ApplyError::OrderNotPaid { order, .. } => Some(order.clone()),
                _ => None,
            };
            let progress_after = progress.clone();
            let mut response =
                update_failed(ctx, &id, prior, planned, progress, ends_running, e).await;
            let mut kept = Private::decode(&response.private);
            kept.transitions = transitions;
            kept.system_disk_id = private.system_disk_id.clone();
            subscription_after(ctx, &id, &private, &progress_after, None, &mut kept).await;
            if let Some(order) = not_paid {
                kept.open_order = Some(order);
            }
            response.private = kept.encode();
            response
        }
    }
}

/// After a run that ordered a subscription type and restarted (or started)
/// the instance: the new type must be in effect. If it is not, ECS left the
/// order unpaid (AutoPay with a balance too low: an abnormal order), and
/// waiting for the type would only burn the timeout.
async fn order_took_effect(
    session: &Session,
    id: &str,
    steps: &[Step],
    pending: Option<&String>,
    progress: &Progress,
) -> Result<(), ApplyError> {
    // The type this run puts in effect: ordered now, or by an earlier apply.
    let ordered = steps.iter().enumerate().find_map(|(i, s)| match s {
        Step::ModifyPrepayType { to, .. } => Some((i, to)),
        _ => None,
    });
    let Some((at, to)) = ordered.or(pending.map(|p| (0, p))) else {
        return Ok(());
    };
    let restarted = steps[at..]
        .iter()
        .any(|s| matches!(s, Step::Start | Step::Reboot));
    if !restarted {
        return Ok(());
    }
    let inst = session.waiter().stable(id).await?;
    if inst.status == "Running" && inst.instance_type != *to {
        let order = progress
            .orders
            .last()
            .or(progress.known_open_order.as_ref())
            .cloned()
            .unwrap_or_else(|| "(placed by an earlier apply: find it in the console)".into());
        return Err(ApplyError::OrderNotPaid {
            order,
            to: to.clone(),
        });
    }
    Ok(())
}

/// The subscription bookkeeping after an update, finished or not: the
/// refunds it used are added, and a bandwidth decrease locks the bandwidth
/// until the end of the billing cycle (`ExpiredTime`: of `read`, the
/// instance the apply ended on, or else of one DescribeInstances).
async fn subscription_after(
    ctx: &Context,
    id: &str,
    before: &Private,
    progress: &Progress,
    read: Option<&crate::ecs::Instance>,
    next: &mut Private,
) {
    before.carry_subscription(next);
    next.refunds_used += progress.refunds;
    if progress.bandwidth_decreased {
        // The instance the apply ended on, else a read of our own, made even
        // after Ctrl-C: the lock must be remembered either way.
        let found = match read {
            Some(i) => Ok(Some(i.clone())),
            None => ctx.client.uncancellable().describe_instance(id).await,
        };
        match found {
            Ok(Some(i)) if !i.expired_time.is_empty() => {
                next.bandwidth_locked_until = Some(i.expired_time)
            }
            Ok(_) => tracing::warn!(
                id,
                "no ExpiredTime read; the bandwidth lock is not remembered"
            ),
            Err(e) => {
                tracing::warn!(id, error = %e, "could not read the subscription's expiry; the bandwidth lock is not remembered");
            }
        }
    }
}

/// A warning when the API refused modifications as if inside its cooldown
/// although `modification_cooldown` had passed: the setting is probably
/// shorter than the API's, and every apply pays for it in refused calls.
fn cooldown_too_short(ctx: &Context, id: &str, progress: &Progress) -> Option<Diagnostic> {
    let n = progress.refused_after_cooldown;
    (n > 0).then(|| {
        Diagnostic::warning(
            "Modification Cooldown Looks Too Short",
            format!(
                "{id}: ECS refused {n} modification attempt(s) as if its cooldown had not passed, although modification_cooldown ({}, from {}) had; they were retried until accepted. Set modification_cooldown to the API's cooldown (5m on ECS; an emulator's --cooldown) to wait instead of retrying.",
                humantime::format_duration(ctx.settings.modification_cooldown),
                ctx.settings.sources.modification_cooldown,
            ),
        )
    })
}

/// Apply never does more than the plan the user approved: if reaching the
/// planned state from the live instance takes a change (a stop, a start, a
/// type or bandwidth change, an address) that the plan, made on `prior`,
/// did not show, because the instance changed since (a saved plan applied
/// later, `-refresh=false`), refuse before touching anything: the error to
/// return, if so. Doing less than the plan (a change made meanwhile) is fine.
fn unplanned_changes(
    prior: &Value,
    stopped_charging: bool,
    desired: &planner::Desired,
    limits: &Limits,
    live: &planner::Observed,
    steps: &[Step],
) -> Option<ApplyError> {
    let mut seen = state::observed_from_state(prior, live.last_modified, stopped_charging)?;
    // The plan knew of a restart owed by an interrupted apply (private state),
    // and of a subscription type waiting for its restart (read from its tag).
    seen.restart_owed = live.restart_owed;
    seen.subscription = live.subscription.clone();
    let announced = planner::plan(&seen, desired, limits)
        .map(|planned| changes_of(&planned))
        .unwrap_or_default();
    let extra: Vec<String> = changes_of(steps)
        .into_iter()
        .filter(|c| !announced.contains(c))
        .collect();
    if extra.is_empty() {
        return None;
    }
    Some(ApplyError::Unplanned {
        planned_on: described(&seen),
        live: described(live),
        extra,
    })
}

/// What `steps` change, one entry per change, as a plan shows it.
fn changes_of(steps: &[Step]) -> Vec<String> {
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Stop => out.push("stop it".to_string()),
            Step::Start => out.push("start it".to_string()),
            Step::ModifyType { to } | Step::ModifyPrepayType { to, .. } => {
                out.push(format!("change instance_type to {to}"))
            }
            Step::ModifyBandwidth {
                out: o, inbound, ..
            } => {
                if let Some(v) = o {
                    out.push(format!("change internet_max_bandwidth_out to {v}"));
                }
                if let Some(v) = inbound {
                    out.push(format!("change internet_max_bandwidth_in to {v}"));
                }
            }
            Step::AllocatePublicIp { .. } => out.push("allocate a public IP address".to_string()),
            Step::Reboot => out.push("restart it".to_string()),
            Step::Call { set, .. } => {
                for (attr, v) in set {
                    out.push(format!("change {} to {}", attr.name(), v.shown()));
                }
            }
            Step::WaitUntil { .. } => {}
        }
    }
    out
}

/// "Stopped ecs.g6.large, internet_max_bandwidth_out 30".
fn described(o: &planner::Observed) -> String {
    format!(
        "{} {}, internet_max_bandwidth_out {}",
        state::power_name(o.status),
        o.instance_type,
        o.bandwidth.out
    )
}

/// After a failed update: start the instance again if we left it down,
/// then report what is really there. Terraform's Stop (Ctrl-C) included:
/// the start then runs within [`interrupted::CTRL_C_GRACE`], and the
/// instance gets one diagnostic saying how it was left.
async fn update_failed(
    ctx: &Context,
    id: &str,
    prior: &Value,
    planned: &Value,
    mut progress: Progress,
    ends_running: bool,
    error: ApplyError,
) -> ApplyResourceChangeResponse {
    let cancelled = error.is_cancelled();
    let mut diagnostics = Vec::new();
    if !cancelled {
        let sent = sent_on_update(prior, planned, &progress.done);
        diagnostics.push(error_diag_sent(id, &error, sent));
    }
    let mut restart = Restart::NotNeeded;
    // After Ctrl-C, an instance whose start we sent is also seen Running.
    let starting = cancelled && progress.done.last() == Some(&Step::Start);
    if (progress.stopped_by_us || starting) && ends_running {
        let budget = if cancelled {
            interrupted::CTRL_C_GRACE
        } else {
            RECOVERY_BUDGET
        };
        restart = match start_again(ctx, id, planned, &mut progress, budget).await {
            Ok(()) => {
                tracing::info!(
                    id,
                    cancelled,
                    "started the instance again after the failed update"
                );
                Restart::Started
            }
            Err(e) => Restart::Failed(e.to_string()),
        };
        if !cancelled {
            diagnostics.push(match &restart {
                Restart::Failed(e) => Diagnostic::error(
                    "Instance Left Stopped",
                    format!("{id} was stopped for this update, and starting it again after the failure above failed too: {e} Start it in the console, or fix the cause and run terraform apply again (it will start the instance)."),
                ),
                _ => Diagnostic::warning(
                    "Instance Started Again",
                    format!("{id} had been stopped for this update; after the failure above it was started again, so it runs with its current settings."),
                ),
            });
        }
    }
    // After Ctrl-C, an instance whose reboot we sent is seen Running again
    // too (it comes back by itself; we only wait, within the grace time).
    if let (true, Some(before)) = (cancelled, progress.rebooting.take()) {
        let recovery = Session::recovery(ctx, interrupted::CTRL_C_GRACE);
        let executor = recovery.executor(ctx, id, planned);
        if let Err(e) = executor.rebooted(&before).await {
            tracing::warn!(id, error = %e, "the instance did not come back from its reboot within the grace time");
        }
    }
    let mut new_state = match reread(ctx, id, planned).await {
        Some(s) => s,
        None => uncertain(
            what_we_know(prior, planned, &progress.done),
            prior,
            planned,
            &progress,
        ),
    };
    if cancelled {
        diagnostics.push(interrupted::diagnostic(
            id, planned, &new_state, &progress, &restart,
        ));
    }
    let private = Private {
        restart_pending: matches!(restart, Restart::Failed(_)),
        restart_owed: progress.restart_owed,
        ..Private::with_last_modified(progress.last_modified)
    }
    .encode();
    state::set_restart_required(&mut new_state, &private);
    ApplyResourceChangeResponse {
        new_state,
        private,
        diagnostics,
    }
}

/// Starts an instance we stopped, whatever ended the update (Terraform's
/// Stop does not end this), within `budget`; its marker goes with it.
async fn start_again(
    ctx: &Context,
    id: &str,
    planned: &Value,
    progress: &mut Progress,
    budget: Duration,
) -> Result<(), ApplyError> {
    let recovery = Session::recovery(ctx, budget);
    let executor = recovery.executor(ctx, id, planned);
    // It may still be stopping: StartInstance would be refused.
    let inst = recovery.waiter().stable(id).await?;
    progress.marked |= marker::carried_by(&inst);
    if inst.status == "Running" {
        progress.stopped_by_us = false;
        if progress.marked {
            executor.unmark(progress).await;
        }
        return Ok(());
    }
    executor.start(progress).await
}

/// The partial state when the API cannot be reached: what a step that
/// failed may or may not have done is unknown, so it is null rather than a
/// guess (never Running for an instance that may be down, never the old
/// type's cpu and memory when its type may have changed).
fn uncertain(mut s: Value, prior: &Value, planned: &Value, progress: &Progress) -> Value {
    let type_may_change =
        attrs::get(planned, "instance_type") != attrs::get(prior, "instance_type");
    if type_may_change {
        attrs::set(&mut s, "cpu", Value::Null);
        attrs::set(&mut s, "memory", Value::Null);
    }
    let power_known = match progress
        .done
        .iter()
        .rev()
        .find(|st| matches!(st, Step::Stop | Step::Start))
    {
        // Our stop was accepted and no start was: down.
        Some(Step::Stop) => progress.stopped_by_us,
        // Nothing sent, or our start was accepted: as recorded, unless a
        // stop may have gone out unanswered.
        _ => !progress.stopped_by_us,
    };
    if !power_known {
        attrs::set(&mut s, "status", Value::Null);
    }
    s
}

/// The prior state with the steps that did happen applied: the partial
/// state when the instance cannot be read back.
pub fn what_we_know(prior: &Value, planned: &Value, done: &[Step]) -> Value {
    let mut s = prior.clone();
    for name in super::schema::config_only() {
        attrs::set(&mut s, name, attrs::get(planned, name).clone());
    }
    for step in done {
        match step {
            Step::Stop => attrs::set(&mut s, "status", attrs::str_value("Stopped")),
            Step::Start => attrs::set(&mut s, "status", attrs::str_value("Running")),
            Step::ModifyType { to } => {
                attrs::set(&mut s, "instance_type", attrs::str_value(to));
                // Unknown until read: never the old type's figures.
                attrs::set(&mut s, "cpu", Value::Null);
                attrs::set(&mut s, "memory", Value::Null);
            }
            Step::ModifyBandwidth { out, inbound, .. } => {
                if let Some(v) = out {
                    attrs::set(
                        &mut s,
                        "internet_max_bandwidth_out",
                        attrs::int_value(i64::from(*v)),
                    );
                }
                if let Some(v) = inbound {
                    attrs::set(
                        &mut s,
                        "internet_max_bandwidth_in",
                        attrs::int_value(i64::from(*v)),
                    );
                }
            }
            // The call set the planned values (write-only ones such as the
            // password cannot be read back, so they must come from here).
            Step::Call { set, .. } => {
                for attr in set.keys() {
                    let name = attr.row().name;
                    attrs::set(&mut s, name, attrs::get(planned, name).clone());
                }
            }
            // Ordered, in effect only at a start or restart: the state
            // never claims it before (a start after it is not known here).
            Step::ModifyPrepayType { .. } => {}
            Step::AllocatePublicIp { .. } | Step::WaitUntil { .. } | Step::Reboot => {}
        }
    }
    state::known_or_null(&s)
}

async fn delete(ctx: &Context, req: &ApplyResourceChangeRequest) -> ApplyResourceChangeResponse {
    let prior = &req.prior_state;
    let id = attrs::string(prior, "id").unwrap_or_default();
    let session = Session::new(ctx, "delete", Timeouts::of(prior).delete);
    let failed = |diagnostic: Diagnostic| ApplyResourceChangeResponse {
        new_state: prior.clone(),
        private: req.planned_private.clone(),
        diagnostics: vec![diagnostic],
    };
    let waiter = session.waiter();
    let inst = match waiter.stable(&id).await {
        Ok(inst) => inst,
        Err(ApplyError::Gone { .. }) => return ApplyResourceChangeResponse::default(),
        Err(e) => return failed(error_diag(&id, &e)),
    };
    // What ECS would refuse, refused before any change (see `release`).
    let facts = ReleaseFacts {
        charge_type: &inst.instance_charge_type,
        deletion_protection: inst.deletion_protection,
        force_delete: attrs::boolean(prior, "force_delete").unwrap_or(false),
    };
    if let Some(refused) = release::refusal(&id, &facts, Removal::Destroy) {
        return failed(refused);
    }
    let prepaid = facts.is_prepaid();
    let result = async {
        let mut inst = inst;
        if prepaid {
            // force_delete: to pay-as-you-go first. A destroy interrupted
            // after the conversion finds it PostPaid and does not convert
            // again (a new token would); within this call, retries reuse
            // the token.
            tracing::info!(%id, "converting the subscription to pay-as-you-go to release it");
            let token = Client::new_client_token("ModifyInstanceChargeType");
            session
                .api
                .0
                .modify_instance_charge_type(std::slice::from_ref(&id), "PostPaid", &token)
                .await?;
            inst = waiter
                .until(&id, &format!("{id} to be pay-as-you-go"), |i| {
                    i.instance_charge_type != "PrePaid"
                })
                .await?;
        }
        // Force releases a running instance (the API stops it first).
        let force = inst.status != "Stopped";
        tracing::info!(%id, force, "deleting instance");
        match session.api.0.delete_instance(&id, force).await {
            Ok(()) => {}
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(ApplyError::from(e)),
        }
        waiter.gone(&id).await
    }
    .await;
    match result {
        Ok(()) | Err(ApplyError::Gone { .. }) => ApplyResourceChangeResponse::default(),
        Err(e) => failed(error_diag(&id, &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs;
    use crate::planner::BandwidthApi;

    #[test]
    fn partial_state_applies_only_what_happened() {
        let prior = attrs::object([
            ("status", attrs::str_value("Running")),
            ("instance_type", attrs::str_value("ecs.g6.large")),
            ("internet_max_bandwidth_out", attrs::int_value(5)),
            ("internet_max_bandwidth_in", attrs::int_value(100)),
            ("allow_stopping_for_update", Value::Null),
        ]);
        let planned = attrs::object([("allow_stopping_for_update", Value::Bool(true))]);
        let done = [
            Step::Stop,
            Step::ModifyType {
                to: "ecs.g6.xlarge".into(),
            },
            Step::ModifyBandwidth {
                out: Some(20),
                inbound: None,
                api: BandwidthApi::InstanceSpec,
            },
        ];
        let s = what_we_know(&prior, &planned, &done);
        assert_eq!(attrs::string(&s, "status").unwrap(), "Stopped");
        assert_eq!(attrs::string(&s, "instance_type").unwrap(), "ecs.g6.xlarge");
        assert_eq!(attrs::int(&s, "internet_max_bandwidth_out"), Some(20));
        assert_eq!(attrs::int(&s, "internet_max_bandwidth_in"), Some(100));
        assert_eq!(attrs::boolean(&s, "allow_stopping_for_update"), Some(true));
    }

    #[test]
    fn partial_state_forgets_cpu_and_memory_of_the_old_type() {
        let prior = attrs::object([
            ("instance_type", attrs::str_value("ecs.g6.large")),
            ("cpu", attrs::int_value(2)),
            ("memory", attrs::int_value(8192)),
        ]);
        let done = [Step::ModifyType {
            to: "ecs.g6.xlarge".into(),
        }];
        let s = what_we_know(&prior, &Value::Null, &done);
        assert_eq!(attrs::get(&s, "cpu"), &Value::Null);
        assert_eq!(attrs::get(&s, "memory"), &Value::Null);
    }

    fn running(instance_type: &str) -> planner::Observed {
        planner::Observed {
            status: PowerState::Running,
            instance_type: instance_type.into(),
            bandwidth: planner::Bandwidth {
                out: 5,
                inbound: 100,
            },
            network: planner::NetworkType::Classic,
            charge: planner::ChargeType::PostPaid,
            public_ip: true,
            last_modified: None,
            attrs: Default::default(),
            restart_owed: false,
            online_resize: true,
            subscription: Default::default(),
        }
    }

    /// What changed between the plan and the apply.
    #[derive(Clone, Copy, Debug)]
    enum Since {
        Nothing,
        Type,
        Bandwidth,
        Power,
    }

    fn live_after(prior: &planner::Observed, since: Since) -> planner::Observed {
        let mut live = prior.clone();
        match since {
            Since::Nothing => {}
            Since::Type => live.instance_type = "ecs.g6.2xlarge".into(),
            Since::Bandwidth => live.bandwidth.out = 50,
            Since::Power => {
                live.status = match prior.status {
                    PowerState::Running => PowerState::Stopped,
                    PowerState::Stopped => PowerState::Running,
                }
            }
        }
        live
    }

    fn as_state(o: &planner::Observed) -> Value {
        attrs::object([
            ("status", attrs::str_value(state::power_name(o.status))),
            ("instance_type", attrs::str_value(&o.instance_type)),
            (
                "internet_max_bandwidth_out",
                attrs::int_value(i64::from(o.bandwidth.out)),
            ),
            (
                "internet_max_bandwidth_in",
                attrs::int_value(i64::from(o.bandwidth.inbound)),
            ),
            ("public_ip", attrs::str_value("47.0.0.1")),
        ])
    }

    /// Every "what changed since the plan" × power state × kind of plan: apply refuses
    /// exactly when it would make a change the plan did not show, and names it. (A deleted
    /// instance ends the update before this check: `Gone`, tested end to end.)
    #[test]
    fn apply_refuses_every_change_the_plan_did_not_show() {
        use Since::*;
        let limits = Limits {
            cooldown: Duration::from_secs(300),
            allow_stopping: true,
            now: Duration::from_secs(1_700_000_000),
        };
        // (plan, prior power, what changed, refused: the change named)
        let bandwidth_plan = ("ecs.g6.large", 40);
        let type_plan = ("ecs.g6.xlarge", 30);
        type Row = ((&'static str, u32), PowerState, Since, Option<&'static str>);
        let rows: [Row; 16] = [
            (bandwidth_plan, PowerState::Running, Nothing, None),
            (
                bandwidth_plan,
                PowerState::Running,
                Type,
                Some("stop it, change instance_type to ecs.g6.large, start it"),
            ),
            (bandwidth_plan, PowerState::Running, Bandwidth, None),
            (bandwidth_plan, PowerState::Running, Power, Some("start it")),
            (bandwidth_plan, PowerState::Stopped, Nothing, None),
            (
                bandwidth_plan,
                PowerState::Stopped,
                Type,
                Some("change instance_type to ecs.g6.large"),
            ),
            (bandwidth_plan, PowerState::Stopped, Bandwidth, None),
            (bandwidth_plan, PowerState::Stopped, Power, Some("stop it")),
            (type_plan, PowerState::Running, Nothing, None),
            (type_plan, PowerState::Running, Type, None),
            (
                type_plan,
                PowerState::Running,
                Bandwidth,
                Some("change internet_max_bandwidth_out to 30"),
            ),
            (type_plan, PowerState::Running, Power, None),
            (type_plan, PowerState::Stopped, Nothing, None),
            (type_plan, PowerState::Stopped, Type, None),
            (
                type_plan,
                PowerState::Stopped,
                Bandwidth,
                Some("change internet_max_bandwidth_out to 30"),
            ),
            (type_plan, PowerState::Stopped, Power, Some("stop it")),
        ];
        for ((to_type, to_out), power, since, refused) in rows {
            let mut prior = running("ecs.g6.large");
            prior.status = power;
            prior.bandwidth.out = 30;
            let desired = planner::Desired {
                status: Some(power),
                instance_type: Some(to_type.into()),
                bandwidth_out: Some(to_out),
                ..planner::Desired::default()
            };
            let live = live_after(&prior, since);
            let steps = planner::plan(&live, &desired, &limits).unwrap();
            let row = format!("plan {to_type}/{to_out} on {power:?}, {since:?} changed: {steps:?}");
            match (
                unplanned_changes(&as_state(&prior), false, &desired, &limits, &live, &steps),
                refused,
            ) {
                (None, None) => {}
                (Some(err), Some(named)) => {
                    let text = err.to_string();
                    assert_eq!(err.summary(), "Instance Changed Since The Plan", "{row}");
                    assert!(
                        text.contains(&format!("would also {named}, which")),
                        "{row}: {text}"
                    );
                    assert!(text.contains("Run terraform plan again"), "{row}: {text}");
                }
                (got, want) => panic!("{row}: got {got:?}, expected refusal {want:?}"),
            }
        }
    }

    #[test]
    fn api_errors_point_at_the_attribute_their_code_names() {
        let e = ApplyError::Api(ecs::Error::api(
            "RunInstances",
            Some(400),
            "InvalidInstanceType.ValueNotSupported",
            "The specified InstanceType is not supported.",
            None,
        ));
        assert_eq!(
            attribute_of(&e, Sent::default()),
            Some(AttributePath::attr("instance_type"))
        );
        let d = error_diag("i-1", &e);
        assert!(
            d.detail
                .starts_with("i-1: RunInstances: InvalidInstanceType"),
            "{}",
            d.detail
        );
        let other = ApplyError::Api(ecs::Error::api(
            "StopInstance",
            Some(500),
            "InternalError",
            "",
            None,
        ));
        assert_eq!(attribute_of(&other, Sent::default()), None);
    }
}
