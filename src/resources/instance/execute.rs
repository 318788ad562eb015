//! Running a sequence from the planner against the live instance.
//!
//! The planner decided the order; this file only carries each step out and
//! keeps the promises the planner's model cannot:
//! - **Cooldown by the real clock.** A `WaitUntil` was computed as if API
//!   steps took no time; we wait until the later of it and our last real
//!   modification + cooldown, and check the same before every modification.
//! - **One token per logical step.** Each modification gets a fresh
//!   ClientToken, reused by every retry of that step (the client's own, and
//!   ours below), never by another step or apply.
//! - **Refusals that are really the cooldown.** The API's answer to a
//!   modification inside the cooldown is undocumented
//!   (`InvalidStatus.ValueNotSupported` on the emulator; throttling or
//!   "in progress" codes are possible). When a modification is refused with
//!   such a code *and* the instance is in a status that allows it, we log it
//!   (INFO once per wait) and retry with backoff until the update timeout,
//!   never faster than [`MIN_REFUSAL_RETRY`]: a `modification_cooldown` set
//!   shorter than the API's must not turn into calls every 250 ms for
//!   minutes. Such refusals after our own cooldown had passed are counted,
//!   so that apply can warn that the setting looks too short.
//!   A refusal that cannot be the cooldown (the instance is in a status the
//!   change does not allow, or the code says "must be Stopped") fails at
//!   once with [`ApplyError::NotCooldown`]: retrying it would only burn the
//!   timeout.
//! - **Public addresses.** A VPC address is a modification of its own
//!   (ModifyInstanceNetworkSpec `AllocatePublicIp`); a classic one
//!   (AllocatePublicIpAddress) is not, and `AllocatedAlready` after a lost
//!   answer means it is done.
//! - **Out and in in one call.** They are one modification by the seed's
//!   rule; if the API answers `InvalidParameter.Mismatch` anyway, we send
//!   them as two calls, a cooldown apart.
//!
//! - **Down because of us, whatever happens.** A stop that the sequence
//!   undoes later is marked on the instance first ([`super::marker`]), and
//!   recorded in [`Progress`] as soon as StopInstance is accepted, not when
//!   Stopped is confirmed: an interruption while Stopping must still lead
//!   to a start. A StopInstance that failed after its retries is checked
//!   against the instance: if it is stopping anyway, it was ours.
//!
//! [`Progress`] records what really happened, so that a failure mid-way
//! can be reported (and repaired) precisely.

use super::api::{Clock, InstanceApi, Modification};
use super::error::ApplyError;
use super::wait::Waiter;
use crate::ecs::{self, ErrorKind};
use crate::planner::{
    Attr, BandwidthApi, Call, Direction, PublicIpApi, Settings, Step, StopClass, Val,
};
use crate::resources::rolling::{Hold, SlotError};
use std::time::Duration;

/// What a (possibly interrupted) run achieved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Steps carried out, in order; a modification split in two after a
    /// `Mismatch` appears as its two halves. Waits are not listed.
    pub done: Vec<Step>,
    /// Clock time of our last successful modification.
    pub last_modified: Option<Duration>,
    /// True from our StopInstance being accepted (or possibly applied) to
    /// our StartInstance being accepted: the instance is down because of us.
    pub stopped_by_us: bool,
    /// Modifications refused as if inside the API's cooldown although our
    /// own `modification_cooldown` since our last modification had passed.
    pub refused_after_cooldown: u32,
    /// The instance carries our marker (we wrote it, or an earlier apply
    /// did and was cut short).
    pub marked: bool,
    /// What the update waits for right now, if anything (for the message
    /// when it is interrupted): [`WAIT_SLOT`] or [`WAIT_COOLDOWN`].
    pub waiting: Option<&'static str>,
    /// A change that takes effect after a restart was made, and no start
    /// or reboot followed yet.
    pub restart_owed: bool,
    /// How long our stop took, from StopInstance accepted to Stopped seen
    /// (the plan's downtime estimate learns from it).
    pub stop_took: Option<Duration>,
    /// How long our start took, from StartInstance accepted to Running seen.
    pub start_took: Option<Duration>,
    /// Our RebootInstance was accepted and the instance is not seen Running
    /// again yet: its `StartTime` before the reboot (the evidence
    /// [`Executor::rebooted`] needs), so an interrupted apply can wait for it.
    pub rebooting: Option<String>,
    /// The instance carries the pending-type tag ([`super::pending`]): our
    /// next start or restart puts the ordered type in effect and removes it.
    pub pending_marked: bool,
    /// Subscription downgrades (refunds) this run made.
    pub refunds: u32,
    /// A subscription bandwidth decrease this run made (the bandwidth is
    /// locked until the next billing cycle).
    pub bandwidth_decreased: bool,
    /// The subscription orders this run placed, in order.
    pub orders: Vec<String>,
    /// An order an earlier apply placed and saw not paid (private state):
    /// named when ECS refuses for an unpaid order.
    pub known_open_order: Option<String>,
}

impl Progress {
    pub fn new(last_modified: Option<Duration>) -> Progress {
        Progress {
            last_modified,
            ..Progress::default()
        }
    }
}

/// Carries out steps on one instance.
pub struct Executor<'a> {
    pub waiter: Waiter<'a>,
    pub id: &'a str,
    pub cooldown: Duration,
    /// StoppedMode for our stops (`None`: the API's default).
    pub stopped_mode: Option<&'a str>,
    /// Rolling updates: the `max_unavailable` slot taken before our Stop,
    /// given back after our Start (+ grace) or when the executor is dropped.
    pub rolling: Hold<'a>,
}

/// [`Progress::waiting`]: for a `max_unavailable` slot, still running.
pub const WAIT_SLOT: &str = "a rolling-update slot";
/// [`Progress::waiting`]: for the API's modification cooldown.
pub const WAIT_COOLDOWN: &str = "the modification cooldown";

/// Says the instance must be Stopped: never the cooldown.
const NOT_STOPPED: &str = "InvalidInstanceStatus.NotStopped";
/// Says a type ordered earlier waits for its restart.
const REBOOTING_REQUIRED: &str = "InvalidOperation.RebootingRequired";

/// The shortest pause between two attempts of a modification refused for
/// the cooldown, whatever `modification_cooldown` says.
pub const MIN_REFUSAL_RETRY: Duration = Duration::from_secs(2);
/// The longest such pause.
pub const MAX_REFUSAL_RETRY: Duration = Duration::from_secs(30);

/// The pause after the `attempt`-th refusal (1-based): a twentieth of the
/// cooldown (at least [`MIN_REFUSAL_RETRY`], at most 15 s), doubling up to
/// [`MAX_REFUSAL_RETRY`].
pub fn refusal_retry_delay(cooldown: Duration, attempt: u32) -> Duration {
    let first = (cooldown / 20).clamp(MIN_REFUSAL_RETRY, Duration::from_secs(15));
    let doublings = attempt.saturating_sub(1).min(8);
    (first * 2u32.pow(doublings)).min(MAX_REFUSAL_RETRY)
}

/// The API's "instance is not in the right state / busy" family: what a
/// modification inside the cooldown may be refused with.
fn may_be_cooldown(e: &ecs::Error) -> bool {
    matches!(
        e.kind,
        ErrorKind::InvalidStatus | ErrorKind::Throttled | ErrorKind::Conflict
    ) && e.code != "InstanceLockedForSecurity"
        && e.code != NOT_STOPPED
}

/// The statuses in which the API accepts `change` on `inst`: a type
/// change, and on the classic network an outbound bandwidth rise from 0,
/// only while Stopped; other bandwidth changes and addresses also while
/// Running.
fn statuses_for(change: &Modification, inst: &ecs::Instance) -> &'static [&'static str] {
    match change {
        Modification::Type(_)
        | Modification::PrepayType {
            direction: Direction::Downgrade,
            ..
        } => &["Stopped"],
        Modification::PrepayType { .. } => &["Running", "Stopped"],
        Modification::Bandwidth {
            out: Some(out),
            api: BandwidthApi::InstanceSpec,
            ..
        } if *out > 0
            && inst.internet_max_bandwidth_out.unwrap_or(0) == 0
            && !inst.instance_network_type.eq_ignore_ascii_case("vpc") =>
        {
            &["Stopped"]
        }
        Modification::Bandwidth { .. } | Modification::AllocatePublicIp => &["Running", "Stopped"],
    }
}

fn is_mismatch(e: &ApplyError) -> bool {
    matches!(e, ApplyError::Api(e) if e.code == "InvalidParameter.Mismatch")
}

impl Executor<'_> {
    fn api(&self) -> &dyn InstanceApi {
        self.waiter.api
    }

    fn clock(&self) -> &dyn Clock {
        self.waiter.clock
    }

    /// The instance as it is now; [`ApplyError::Gone`] if it no longer exists.
    async fn describe_live(&self) -> Result<ecs::Instance, ApplyError> {
        self.api()
            .describe(self.id)
            .await?
            .ok_or_else(|| ApplyError::Gone {
                id: self.id.to_string(),
            })
    }

    /// Runs `steps` in order, recording each into `progress`.
    ///
    /// # Errors
    /// The first step that failed; `progress` then tells what was done.
    pub async fn run(&self, steps: &[Step], progress: &mut Progress) -> Result<(), ApplyError> {
        // A stop followed by a start is temporary: it gets the marker.
        let restarts = steps.contains(&Step::Start);
        for (i, step) in steps.iter().enumerate() {
            match step {
                Step::Stop => {
                    if crate::resources::rolling::stops_for_update(&steps[i..]) {
                        self.take_slot(progress).await?; // down for an update: rolling
                    }
                    self.stop(progress, restarts).await?
                }
                Step::Start => {
                    self.start(progress).await?;
                    self.rolling.release_after_grace();
                }
                Step::WaitUntil { until } => self.wait_cooldown(Some(*until), progress).await?,
                Step::ModifyType { to } => {
                    self.modify(Modification::Type(to.clone()), progress)
                        .await?
                }
                Step::ModifyPrepayType { to, direction } => {
                    self.order_type(to, *direction, progress).await?
                }
                Step::ModifyBandwidth { out, inbound, api } => {
                    self.modify_bandwidth(*out, *inbound, *api, progress)
                        .await?
                }
                Step::AllocatePublicIp {
                    api: PublicIpApi::NetworkSpec,
                } => {
                    self.modify(Modification::AllocatePublicIp, progress)
                        .await?
                }
                Step::AllocatePublicIp {
                    api: PublicIpApi::AllocateAddress,
                } => self.allocate_address(progress).await?,
                Step::Reboot => self.reboot(progress).await?,
                Step::Call { call, set } => self.call(*call, set, progress).await?,
            }
        }
        Ok(())
    }

    /// RebootInstance, then wait for Running. Takes a `max_unavailable`
    /// slot like a stop: the instance is down for the update meanwhile.
    pub async fn reboot(&self, progress: &mut Progress) -> Result<(), ApplyError> {
        self.take_slot(progress).await?;
        tracing::info!(id = self.id, "restarting instance (RebootInstance)");
        let live = self.describe_live().await?;
        self.api().reboot(&live).await?;
        progress.restart_owed = false;
        progress.done.push(Step::Reboot);
        progress.rebooting = Some(live.start_time.clone());
        // Accepted: an ordered type takes effect with this restart.
        self.clear_pending(progress).await;
        self.rebooted(&live.start_time).await?;
        progress.rebooting = None;
        self.rolling.release_after_grace();
        Ok(())
    }

    /// After our start or restart: the ordered type is in effect, the
    /// pending-type tag goes (a failure is only logged: the tag's start
    /// time tells a later read that the instance has started since).
    async fn clear_pending(&self, progress: &mut Progress) {
        if !progress.pending_marked {
            return;
        }
        match self
            .api()
            .tags(self.id, &[], &[super::pending::KEY.to_string()])
            .await
        {
            Ok(()) => progress.pending_marked = false,
            Err(e) => {
                tracing::warn!(id = self.id, error = %e, "could not remove the pending-type tag");
            }
        }
    }

    /// Before the restart that puts a type ordered by an earlier apply in
    /// effect (known from the pending-type tag only): that apply may have
    /// ended before its order reached ECS (SIGKILL, a lost connection). The
    /// order is sent again: `InvalidOperation.RebootingRequired` says the
    /// first one is there and waits; otherwise this one is the order. Either
    /// way one restart follows, and the order is made once.
    pub async fn confirm_order(
        &self,
        to: &str,
        direction: Direction,
        progress: &mut Progress,
    ) -> Result<(), ApplyError> {
        let change = Modification::PrepayType {
            to: to.to_string(),
            direction,
        };
        match self.modify(change, progress).await {
            Ok(()) => {
                tracing::info!(
                    id = self.id,
                    "the earlier order had not reached ECS; ordered now"
                );
                if direction == Direction::Downgrade {
                    progress.refunds += 1;
                }
                Ok(())
            }
            Err(ApplyError::Api(e)) if e.code == REBOOTING_REQUIRED => {
                tracing::info!(id = self.id, "the earlier order waits for its restart");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// ModifyPrepayInstanceSpec: the pending-type tag first (it outlives a
    /// SIGKILL between the order and the restart), then the order.
    async fn order_type(
        &self,
        to: &str,
        direction: Direction,
        progress: &mut Progress,
    ) -> Result<(), ApplyError> {
        let live = self.describe_live().await?;
        let from = super::pending::effective_type(&live);
        let value = super::pending::value(&from, to, &live);
        self.api()
            .tags(self.id, &[(super::pending::KEY.to_string(), value)], &[])
            .await?;
        progress.pending_marked = true;
        let change = Modification::PrepayType {
            to: to.to_string(),
            direction,
        };
        if let Err(e) = self.modify(change, progress).await {
            // Refused for sure: no order, nothing pending, the tag goes. A
            // call whose outcome is unknown (transport, timeout, Ctrl-C)
            // keeps it: the next apply restarts at worst once too often.
            let refused = match &e {
                ApplyError::UnpaidOrder { .. }
                | ApplyError::NotCooldown { .. }
                | ApplyError::StillRefused { .. } => true,
                ApplyError::Api(e) => !matches!(
                    e.kind,
                    ErrorKind::Transport
                        | ErrorKind::Timeout
                        | ErrorKind::Cancelled
                        | ErrorKind::Server
                ),
                _ => false,
            };
            if refused {
                self.clear_pending(progress).await;
            }
            return Err(e);
        }
        if direction == Direction::Downgrade {
            progress.refunds += 1;
        }
        Ok(())
    }

    /// Waits until the reboot has happened and the instance is Running
    /// again. A Running read counts only after evidence of the reboot: a
    /// read showing it Stopping or Starting, or a `StartTime` other than
    /// `start_time_before` (the read just before RebootInstance). A read
    /// answered with what ECS knew before the reboot (in flight, or shared
    /// with other instances' lookups) still says Running and must not end
    /// the wait: the rolling slot would be released, and later steps meet a
    /// Starting instance. See docs/design/resources.md, "Reboot".
    pub async fn rebooted(&self, start_time_before: &str) -> Result<(), ApplyError> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let seen = AtomicBool::new(false);
        let what = format!("{} to be Running again after its reboot", self.id);
        self.waiter
            .until(self.id, &what, |i| {
                let restarted = !start_time_before.is_empty()
                    && !i.start_time.is_empty()
                    && i.start_time != start_time_before;
                if restarted || matches!(i.status.as_str(), "Stopping" | "Starting" | "Stopped") {
                    seen.store(true, Ordering::SeqCst);
                }
                i.status == "Running" && seen.load(Ordering::SeqCst)
            })
            .await?;
        Ok(())
    }

    /// One call of the other attributes. Tags: the user tags become exactly
    /// `set`'s (the marker and ECS's own tags are never touched).
    async fn call(
        &self,
        call: Call,
        set: &Settings,
        progress: &mut Progress,
    ) -> Result<(), ApplyError> {
        tracing::info!(id = self.id, ?call, attributes = ?set.keys().collect::<Vec<_>>(), "changing instance");
        let live = self.describe_live().await?;
        let restart = set.keys().any(|a| a.row().stop == StopClass::Restart)
            && call != Call::ReplaceSystemDisk;
        // Owed from the moment the call may go out: if its answer is lost or
        // the apply is cut short meanwhile, the next plan still restarts once
        // (the changed value reads back as configured, so nothing else would).
        progress.restart_owed |= restart;
        if call == Call::Tags {
            let want = match set.get(&Attr::Tags) {
                Some(Val::Map(m)) => m.clone(),
                _ => Default::default(),
            };
            let (add, remove) = super::marker::tag_changes(&live, &want);
            self.api().tags(self.id, &add, &remove).await?;
        } else {
            let action = call.actions().split(' ').next().unwrap_or_default();
            let token = self.api().new_token(action);
            self.api().call(&live, call, set, &token).await?;
        }
        progress.done.push(Step::Call {
            call,
            set: set.clone(),
        });
        Ok(())
    }

    /// Waits, still running, for a `max_unavailable` slot (within the
    /// operation's timeout).
    async fn take_slot(&self, progress: &mut Progress) -> Result<(), ApplyError> {
        let limit = self.waiter.deadline.saturating_sub(self.clock().now());
        progress.waiting = Some(WAIT_SLOT);
        let taken = self.rolling.take(self.id, limit).await;
        if taken.is_ok() {
            progress.waiting = None;
        }
        taken.map_err(|e| match e {
            SlotError::Cancelled => ApplyError::Cancelled,
            SlotError::Timeout => ApplyError::Timeout {
                what: format!(
                    "a rolling-update slot for {} (max_unavailable = {} instances of this provider configuration were down for updates the whole time; {} kept running)",
                    self.id,
                    self.rolling.cap().unwrap_or(0),
                    self.id
                ),
                operation: self.waiter.operation,
                limit: self.waiter.limit,
            },
        })
    }

    /// StopInstance, then wait for Stopped. A refusal because the instance
    /// is already stopping or stopped is no failure. `temporary`: the
    /// sequence starts it again, so the marker goes on first.
    pub async fn stop(&self, progress: &mut Progress, temporary: bool) -> Result<(), ApplyError> {
        if temporary {
            let value = super::marker::value_at(self.clock().now());
            self.api().mark(self.id, &value).await?;
            progress.marked = true;
        }
        tracing::info!(id = self.id, "stopping instance");
        let sent = self.clock().now();
        if let Err(e) = self.api().stop(self.id, self.stopped_mode).await {
            if e.kind == ErrorKind::Cancelled {
                // The call may have gone out: count it as ours, so the
                // instance is started again rather than left down.
                progress.stopped_by_us = true;
                return Err(e.into());
            }
            // Applied despite the error (retries that ran out after a
            // lost answer)? Then the stop is ours all the same.
            match self.api().describe(self.id).await {
                Ok(Some(i)) if matches!(i.status.as_str(), "Stopping" | "Stopped") => {
                    tracing::info!(id = self.id, code = %e.code, "StopInstance failed, but the instance is stopping: taking it as done");
                }
                Ok(Some(_)) => return Err(e.into()),
                Ok(None) => {
                    return Err(ApplyError::Gone {
                        id: self.id.to_string(),
                    })
                }
                Err(read) => {
                    progress.stopped_by_us = true;
                    tracing::warn!(id = self.id, error = %read, "cannot tell whether the failed StopInstance was applied");
                    return Err(e.into());
                }
            }
        }
        // Down because of us from the moment the stop is accepted: an
        // interrupted wait must still leave a note to start it again.
        progress.stopped_by_us = true;
        progress.done.push(Step::Stop);
        // Until we see it Stopped it stays down (the type change waits for
        // that look), so the stop lasts until the look that saw it.
        let (_, _, seen) = self.waiter.status_timed(self.id, "Stopped").await?;
        progress.stop_took = Some(seen.saturating_sub(sent));
        Ok(())
    }

    /// StartInstance, then wait for Running. Once StartInstance is accepted
    /// the instance comes up by itself: the marker is removed then.
    pub async fn start(&self, progress: &mut Progress) -> Result<(), ApplyError> {
        tracing::info!(id = self.id, "starting instance");
        let mut sent = self.clock().now();
        if let Err(e) = self.api().start(self.id).await {
            if e.kind == ErrorKind::Cancelled {
                return Err(e.into());
            }
            let inst = self.describe_live().await?;
            match inst.status.as_str() {
                "Starting" | "Running" => {}
                // Still stopping (an interrupted apply's stop): wait, then
                // start it for real.
                "Stopping" if e.kind == ErrorKind::InvalidStatus => {
                    self.waiter.status(self.id, "Stopped").await?;
                    sent = self.clock().now();
                    self.api().start(self.id).await?;
                }
                _ => return Err(e.into()),
            }
        }
        progress.stopped_by_us = false;
        progress.restart_owed = false;
        progress.done.push(Step::Start);
        self.clear_pending(progress).await;
        let marked = progress.marked;
        // The untag (batched with other instances') overlaps the wait.
        let (unmarked, running) = tokio::join!(
            async { marked && self.api().unmark(self.id).await.is_ok() },
            self.waiter.status_timed(self.id, "Running")
        );
        if unmarked {
            progress.marked = false;
        } else if marked {
            tracing::warn!(
                id = self.id,
                "could not remove the stop marker tag; the next update will"
            );
        }
        let (_, missed, seen) = running?;
        // It was Running somewhere between the last look that missed it and
        // the one that saw it (polls grow apart): the middle is the estimate.
        let reached = missed
            .filter(|m| *m >= sent)
            .map_or(seen, |m| m + (seen - m) / 2);
        progress.start_took = Some(reached.saturating_sub(sent));
        Ok(())
    }

    /// Removes the marker; a failure is only logged (a marker left on a
    /// running instance does nothing until someone stops it, and the next
    /// update removes it).
    pub async fn unmark(&self, progress: &mut Progress) {
        match self.api().unmark(self.id).await {
            Ok(()) => progress.marked = false,
            Err(e) => {
                tracing::warn!(id = self.id, error = %e, "could not remove the stop marker tag");
            }
        }
    }

    /// Waits until the later of `until` and our last modification +
    /// cooldown.
    async fn wait_cooldown(
        &self,
        until: Option<Duration>,
        progress: &mut Progress,
    ) -> Result<(), ApplyError> {
        let ours = progress.last_modified.map(|t| t + self.cooldown);
        let Some(target) = until.max(ours) else {
            return Ok(());
        };
        let now = self.clock().now();
        if target > now {
            tracing::info!(
                id = self.id,
                wait_ms = (target - now).as_millis() as u64,
                "waiting for the modification cooldown"
            );
            progress.waiting = Some(WAIT_COOLDOWN);
            self.waiter
                .sleep_until(
                    target,
                    &format!(
                        "the modification cooldown of {} ({} since the last modification)",
                        self.id,
                        humantime::format_duration(self.cooldown)
                    ),
                )
                .await?;
            progress.waiting = None;
        }
        Ok(())
    }

    /// One modification with its own token, retried (same token) while it
    /// is refused in a way that looks like the cooldown.
    async fn modify(
        &self,
        change: Modification,
        progress: &mut Progress,
    ) -> Result<(), ApplyError> {
        self.wait_cooldown(None, progress).await?;
        let token = self.api().new_token(change.action());
        let ours_passed = progress.last_modified.is_some();
        let mut attempts = 0u32;
        let started = self.clock().now();
        loop {
            attempts += 1;
            tracing::info!(id = self.id, ?change, token = %token, attempt = attempts, "modifying instance");
            let err = match self.api().modify(self.id, &change, &token).await {
                Ok(order) => {
                    progress.last_modified = Some(self.clock().now());
                    progress.done.push(step_of(&change));
                    if let Some(order) = order {
                        tracing::info!(id = self.id, order = %order, "subscription order placed (AutoPay)");
                        progress.orders.push(order);
                    }
                    return Ok(());
                }
                Err(e) if ecs::codes::is_unpaid_order(&e.code) => {
                    return Err(ApplyError::UnpaidOrder {
                        error: e,
                        order: progress.known_open_order.clone(),
                        stopped: progress.stopped_by_us,
                    })
                }
                // A type ordered earlier waits for its restart: never the cooldown.
                Err(e) if e.code == REBOOTING_REQUIRED => return Err(e.into()),
                Err(e) if may_be_cooldown(&e) || e.code == NOT_STOPPED => e,
                Err(e) => return Err(e.into()),
            };
            let inst = self.describe_live().await?;
            let allowed = statuses_for(&change, &inst);
            if err.code == NOT_STOPPED || !allowed.contains(&inst.status.as_str()) {
                return Err(ApplyError::NotCooldown {
                    error: err,
                    status: inst.status.clone(),
                    needs: allowed.join(" or "),
                });
            }
            let delay = refusal_retry_delay(self.cooldown, attempts);
            if self.clock().now() + delay > self.waiter.deadline {
                return Err(ApplyError::StillRefused {
                    error: err,
                    attempts,
                    waited: self.clock().now().saturating_sub(started),
                });
            }
            if ours_passed {
                progress.refused_after_cooldown += 1;
            }
            if attempts == 1 {
                tracing::info!(
                    id = self.id,
                    code = %err.code,
                    status = %inst.status,
                    modification_cooldown = %humantime::format_duration(self.cooldown),
                    "modification refused although the instance is {}; taking it for the API's modification cooldown and retrying with the same ClientToken, every {} at first, then less often{}",
                    inst.status,
                    humantime::format_duration(delay),
                    if ours_passed { " (modification_cooldown looks shorter than the API's)" } else { "" }
                );
            } else {
                tracing::debug!(id = self.id, code = %err.code, attempt = attempts, retry_in_ms = delay.as_millis() as u64, "modification refused again");
            }
            self.clock()
                .sleep(delay)
                .await
                .map_err(|_| ApplyError::Cancelled)?;
        }
    }

    /// AllocatePublicIpAddress (classic): not a modification, so no
    /// cooldown; `AllocatedAlready` (a retry after a lost answer, or an
    /// address that came some other way) means the instance has one.
    async fn allocate_address(&self, progress: &mut Progress) -> Result<(), ApplyError> {
        tracing::info!(id = self.id, "allocating a public IP address");
        match self.api().allocate_public_ip_address(self.id).await {
            Ok(()) => {}
            Err(e) if e.code == "AllocatedAlready" => {
                tracing::info!(id = self.id, "the instance already has a public IP");
            }
            Err(e) => return Err(e.into()),
        }
        progress.done.push(Step::AllocatePublicIp {
            api: PublicIpApi::AllocateAddress,
        });
        Ok(())
    }

    /// A bandwidth change as one call, or two if the API insists.
    async fn modify_bandwidth(
        &self,
        out: Option<u32>,
        inbound: Option<u32>,
        api: BandwidthApi,
        progress: &mut Progress,
    ) -> Result<(), ApplyError> {
        if api == BandwidthApi::Subscription {
            // An order; a lower outbound bandwidth is a downgrade (a refund)
            // that locks the bandwidth until the next billing cycle.
            let live = self.describe_live().await?;
            let decrease = out.is_some_and(|v| {
                live.internet_max_bandwidth_out
                    .is_some_and(|now| i64::from(v) < now)
            });
            self.modify(Modification::Bandwidth { out, inbound, api }, progress)
                .await?;
            if decrease {
                progress.refunds += 1;
                progress.bandwidth_decreased = true;
            }
            return Ok(());
        }
        let both = Modification::Bandwidth { out, inbound, api };
        match self.modify(both, progress).await {
            Err(e) if is_mismatch(&e) && out.is_some() && inbound.is_some() => {
                tracing::warn!(
                    id = self.id,
                    "the API refused outbound and inbound bandwidth in one call (InvalidParameter.Mismatch); sending them as two modifications, a cooldown apart"
                );
                let out_only = Modification::Bandwidth {
                    out,
                    inbound: None,
                    api,
                };
                self.modify(out_only, progress).await?;
                let in_only = Modification::Bandwidth {
                    out: None,
                    inbound,
                    api,
                };
                self.modify(in_only, progress).await
            }
            other => other,
        }
    }
}

fn step_of(change: &Modification) -> Step {
    match change.clone() {
        Modification::Type(to) => Step::ModifyType { to },
        Modification::PrepayType { to, direction } => Step::ModifyPrepayType { to, direction },
        Modification::Bandwidth { out, inbound, api } => {
            Step::ModifyBandwidth { out, inbound, api }
        }
        Modification::AllocatePublicIp => Step::AllocatePublicIp {
            api: PublicIpApi::NetworkSpec,
        },
    }
}
