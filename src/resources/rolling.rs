//! Rolling updates: at most `max_unavailable` instances of one provider
//! configuration down *for an update* at once.
//!
//! Terraform applies up to `-parallelism` resources at the same moment, so a
//! new `instance_type` across a fleet would otherwise stop ten web servers
//! together. Every update that stops an instance only to change it (and
//! starts it again) first takes a [`Slot`] from the configuration's
//! [`Slots`]; a user's `status = "Stopped"` and creation take none.
//!
//! - **Waiting keeps the instance running**: the slot is taken before the
//!   Stop, and the wait counts against the caller's timeout.
//! - **Fair**: a tokio [`Semaphore`] hands permits out first come, first
//!   served, so no instance waits while later ones go ahead.
//! - **Released on every path**: a [`Slot`] is an RAII guard; dropping it
//!   (an error, a timeout, Terraform's Stop, a panic) frees the permit at
//!   once. Only after a successful Start is the release delayed by the grace
//!   period (`update_grace_period`, like Kubernetes' minReadySeconds), and a
//!   Stop (Ctrl-C) cuts that delay short.
//!
//! Time is tokio's, so the tests run on a paused (virtual) clock.

use super::attrs;
use super::schema_builder::optional;
use crate::planner::Step;
use crate::protocol::{Attribute, AttributePath, Diagnostic, Type, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// Why no slot was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotError {
    /// The caller's time ran out while other instances held every slot.
    Timeout,
    /// Terraform's Stop (Ctrl-C).
    Cancelled,
}

/// The slots of one provider configuration.
#[derive(Debug)]
pub struct Slots {
    /// `None`: no cap (`max_unavailable` unset).
    sem: Option<Arc<Semaphore>>,
    cap: Option<usize>,
    grace: Duration,
    cancel: CancellationToken,
    /// Instances whose plan (in this process) stops them for an update.
    planned: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Instances holding a slot now, for the progress log.
    holders: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Instances waiting for a slot now.
    waiting: std::sync::atomic::AtomicUsize,
}

impl Slots {
    /// `cap` slots (`None`: unlimited), each kept `grace` after its
    /// instance runs again; `cancel` (the provider's Stop) ends waits and
    /// graces at once.
    pub fn new(cap: Option<usize>, grace: Duration, cancel: CancellationToken) -> Slots {
        Slots {
            sem: cap.map(|n| Arc::new(Semaphore::new(n))),
            cap,
            grace,
            cancel,
            planned: Default::default(),
            holders: Default::default(),
            waiting: Default::default(),
        }
    }

    /// The rolling warning for a plan of `id` whose `steps` stop it for an
    /// update, counting it among this plan's stops; `None` without a cap or
    /// such a stop.
    ///
    /// Terraform 1.0 shows the first of the warnings that share a summary and
    /// folds the others into "(and N more similar warnings elsewhere)"; with
    /// `-auto-approve` it shows warnings only after the apply. So the summary
    /// is the same for every instance of a rollout and says what matters
    /// (the cap), and the detail says that Terraform's count of similar
    /// warnings is the number of other instances that roll: the total shows
    /// where the user reads it.
    pub fn plan_warning(&self, id: &str, steps: &[Step]) -> Option<Diagnostic> {
        let cap = self.cap?;
        let stop = steps
            .iter()
            .position(|s| matches!(s, Step::Stop | Step::Reboot))?;
        if !stops_for_update(&steps[stop..]) {
            return None;
        }
        self.planned
            .lock()
            .expect("plan count lock")
            .insert(id.to_string());
        Some(
            Diagnostic::warning(
                format!("Rolling Update: at most {cap} down at once"),
                format!(
                    "This plan stops (or restarts) {id} for an update as part of a rolling update: max_unavailable = {cap}, so at most {cap} instance(s) of this provider configuration are down for updates at once; the others keep running until a slot is free (that wait counts against timeouts.update). Every instance the rollout stops gets this warning: Terraform shows one and counts the others as \"more similar warnings\" (terraform apply plans each instance twice, before and during the apply, so there the count covers every instance twice). To follow the rollout while it runs, set TF_LOG_PROVIDER=INFO: each instance logs when it waits for a slot (and which instances hold them), when it takes one, and when it runs again."
                ),
            )
            .at(AttributePath::attr("instance_type")),
        )
    }

    /// How many instances this provider process has planned to stop for an
    /// update (plans and applies alike).
    pub fn planned_stops(&self) -> usize {
        self.planned.lock().expect("plan count lock").len()
    }

    /// "i-1, i-2" (the instances holding slots), for the progress log.
    fn holders_text(&self) -> String {
        let held = self.holders.lock().expect("holders lock");
        if held.is_empty() {
            "instances in their grace period".to_string()
        } else {
            held.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    }

    /// `max_unavailable`, if set.
    pub fn cap(&self) -> Option<usize> {
        self.cap
    }

    /// Slots held right now (tests and logs).
    pub fn in_use(&self) -> usize {
        match (&self.sem, self.cap) {
            (Some(sem), Some(cap)) => cap - sem.available_permits(),
            _ => 0,
        }
    }

    /// Waits (at most `limit`) for a slot; returns at once without a cap.
    ///
    /// # Errors
    /// [`SlotError::Timeout`] after `limit`, [`SlotError::Cancelled`] on Stop.
    pub async fn acquire(&self, limit: Duration) -> Result<Slot, SlotError> {
        let Some(sem) = &self.sem else {
            return Ok(Slot::free());
        };
        if self.cancel.is_cancelled() {
            return Err(SlotError::Cancelled);
        }
        let permit = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(SlotError::Cancelled),
            p = tokio::time::timeout(limit, Arc::clone(sem).acquire_owned()) => match p {
                Ok(Ok(p)) => p,
                // The semaphore is never closed; treat it like a timeout.
                Ok(Err(_)) | Err(_) => return Err(SlotError::Timeout),
            },
        };
        if self.cancel.is_cancelled() {
            // Freed by the Stop itself (a grace cut short): not for us.
            return Err(SlotError::Cancelled);
        }
        Ok(Slot {
            permit: Some(permit),
            grace: self.grace,
            cancel: self.cancel.clone(),
        })
    }
}

/// One instance's right to be down for an update. Dropping it releases the
/// slot at once.
#[derive(Debug)]
pub struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    grace: Duration,
    cancel: CancellationToken,
}

impl Slot {
    fn free() -> Slot {
        Slot {
            permit: None,
            grace: Duration::ZERO,
            cancel: CancellationToken::new(),
        }
    }

    /// The instance runs again: release the slot once the grace period has
    /// passed (at once on Stop). The caller does not wait for it.
    pub fn release_after_grace(mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        if self.grace.is_zero() {
            return;
        }
        let (grace, cancel) = (self.grace, self.cancel.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(grace) => {}
                _ = cancel.cancelled() => {}
            }
            drop(permit);
        });
    }
}

/// True when `steps`, from a Stop on, start the instance again: the stop is
/// one we make for an update (rolling), not a stop the user asked for. A
/// restart (RebootInstance) is one too.
pub fn stops_for_update(steps: &[Step]) -> bool {
    match steps.first() {
        Some(Step::Stop) => steps.contains(&Step::Start),
        Some(Step::Reboot) => true,
        _ => false,
    }
}

/// What one update's executor holds: the configuration's slots and, between
/// our Stop and our Start (+ grace), the slot it took. Dropping it (the
/// update ends in any way) releases a slot still held.
#[derive(Debug, Default)]
pub struct Hold<'a> {
    slots: Option<&'a Slots>,
    held: std::sync::Mutex<Option<Slot>>,
    /// The instance, once it took a slot (for the progress log).
    holder: std::sync::Mutex<Option<String>>,
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        self.forget_holder();
    }
}

impl<'a> Hold<'a> {
    /// Takes slots from `slots`.
    pub fn new(slots: &'a Slots) -> Hold<'a> {
        Hold {
            slots: Some(slots),
            held: Default::default(),
            holder: Default::default(),
        }
    }

    /// Takes a slot unless one is held already (a retried stop keeps its
    /// slot), waiting at most `limit`.
    ///
    /// # Errors
    /// As [`Slots::acquire`].
    pub async fn take(&self, id: &str, limit: Duration) -> Result<(), SlotError> {
        let Some(slots) = self.slots else {
            return Ok(());
        };
        if self.held.lock().expect("slot lock").is_some() {
            return Ok(());
        }
        let Some(cap) = slots.cap() else {
            *self.held.lock().expect("slot lock") = Some(slots.acquire(limit).await?);
            return Ok(());
        };
        let holders = slots.holders_text();
        let ahead = slots
            .waiting
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let in_use = slots.in_use();
        if in_use >= cap {
            tracing::info!(
                id,
                in_use,
                max_unavailable = cap,
                waiting_ahead = ahead,
                "{id} waits for a rolling-update slot (it keeps running): {in_use} of max_unavailable = {cap} held by {holders}; {ahead} other instance(s) waiting before it"
            );
        }
        let started = tokio::time::Instant::now();
        let slot = slots.acquire(limit).await;
        slots
            .waiting
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        let slot = slot?;
        slots
            .holders
            .lock()
            .expect("holders lock")
            .insert(id.to_string());
        *self.holder.lock().expect("holder lock") = Some(id.to_string());
        let waited = humantime::format_duration(Duration::from_secs(started.elapsed().as_secs()));
        tracing::info!(
            id,
            slot = slots.in_use(),
            max_unavailable = cap,
            "{id} took rolling-update slot {} of {cap} after waiting {waited}; stopping it for the update",
            slots.in_use()
        );
        *self.held.lock().expect("slot lock") = Some(slot);
        Ok(())
    }

    /// Removes this instance from the slot holders (the log's view).
    fn forget_holder(&self) {
        let id = self.holder.lock().expect("holder lock").take();
        if let (Some(slots), Some(id)) = (self.slots, id) {
            slots.holders.lock().expect("holders lock").remove(&id);
        }
    }

    /// The instance runs again: the slot goes back after the grace period.
    pub fn release_after_grace(&self) {
        if let Some(slot) = self.held.lock().expect("slot lock").take() {
            if let Some(id) = self.holder.lock().expect("holder lock").as_deref() {
                tracing::info!(
                    id,
                    grace = %humantime::format_duration(slot.grace),
                    "{id} runs again; its rolling-update slot is free after update_grace_period ({})",
                    humantime::format_duration(slot.grace)
                );
            }
            self.forget_holder();
            slot.release_after_grace();
        }
    }

    /// The cap, for messages.
    pub fn cap(&self) -> Option<usize> {
        self.slots.and_then(Slots::cap)
    }
}

/// The provider arguments of this module, parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RollingSettings {
    /// `max_unavailable`; `None`: no cap.
    pub max_unavailable: Option<usize>,
    /// `update_grace_period`; zero when unset.
    pub grace: Duration,
}

const MAX_UNAVAILABLE: &str = "max_unavailable";
const GRACE: &str = "update_grace_period";

/// The provider block's rows for this module.
pub fn attributes() -> Vec<Attribute> {
    vec![
        optional(MAX_UNAVAILABLE, Type::Number, "Rolling updates: the most instances of this provider configuration that may be down at once for an update (a stop this provider makes to change instance_type; not status = \"Stopped\", not creation). Others wait, still running, within timeouts.update. Unset: no cap. Use provider aliases for a separate cap per tier."),
        optional(GRACE, Type::String, "Rolling updates: how long an updated instance keeps its max_unavailable slot after it runs again, so a service can warm up before the next instance goes down. Duration such as \"30s\"; default \"0s\"."),
    ]
}

/// Errors for known values that are not acceptable.
pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if !matches!(
        attrs::get(config, MAX_UNAVAILABLE),
        Value::Null | Value::Unknown
    ) {
        match attrs::int(config, MAX_UNAVAILABLE) {
            Some(n) if (1..=10_000).contains(&n) => {}
            _ => diags.push(
                Diagnostic::error(
                    "Invalid Max Unavailable",
                    "max_unavailable must be a whole number from 1 to 10000 (instances down at once for an update). Remove it for no cap.",
                )
                .at(AttributePath::attr(MAX_UNAVAILABLE)),
            ),
        }
    }
    if let Some(v) = attrs::string(config, GRACE) {
        if let Err(e) = humantime::parse_duration(v.trim()) {
            diags.push(
                Diagnostic::error(
                    "Invalid Update Grace Period",
                    format!("update_grace_period = \"{v}\" is not a duration ({e}). Use a value such as \"30s\" or \"2m\"."),
                )
                .at(AttributePath::attr(GRACE)),
            );
        }
    }
    diags
}

impl RollingSettings {
    /// From a validated, fully known provider block.
    pub fn of(config: &Value) -> RollingSettings {
        RollingSettings {
            max_unavailable: attrs::int(config, MAX_UNAVAILABLE)
                .filter(|n| *n > 0)
                .map(|n| n as usize),
            grace: attrs::string(config, GRACE)
                .and_then(|v| humantime::parse_duration(v.trim()).ok())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::time::{sleep, Instant};

    fn slots(cap: usize, grace: Duration) -> (Arc<Slots>, CancellationToken) {
        let cancel = CancellationToken::new();
        (
            Arc::new(Slots::new(Some(cap), grace, cancel.clone())),
            cancel,
        )
    }

    /// `n` instances each stopped for `down`; returns (order of going down,
    /// most down at once).
    async fn fleet(s: &Arc<Slots>, n: usize, down: Duration) -> (Vec<usize>, usize) {
        let order = Arc::new(Mutex::new(Vec::new()));
        let (now_down, most) = (Arc::new(Mutex::new(0usize)), Arc::new(Mutex::new(0usize)));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (s, order, now_down, most) =
                    (s.clone(), order.clone(), now_down.clone(), most.clone());
                tokio::spawn(async move {
                    // Arrive in index order, 1 ms apart.
                    sleep(Duration::from_millis(i as u64)).await;
                    let slot = s.acquire(Duration::from_secs(3600)).await.unwrap();
                    order.lock().unwrap().push(i);
                    {
                        let mut d = now_down.lock().unwrap();
                        *d += 1;
                        let mut m = most.lock().unwrap();
                        *m = (*m).max(*d);
                    }
                    sleep(down).await;
                    *now_down.lock().unwrap() -= 1;
                    slot.release_after_grace();
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        let most = *most.lock().unwrap();
        (order, most)
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_cap_down_and_first_come_first_served() {
        let (s, _) = slots(3, Duration::ZERO);
        let (order, most) = fleet(&s, 20, Duration::from_secs(10)).await;
        assert_eq!(most, 3);
        assert_eq!(order, (0..20).collect::<Vec<_>>());
        assert_eq!(s.in_use(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn grace_keeps_the_slot_after_the_instance_runs() {
        let (s, _) = slots(1, Duration::from_secs(30));
        let start = Instant::now();
        fleet(&s, 3, Duration::from_secs(10)).await;
        // Each of the first two holds the only slot for 10 s down + 30 s grace.
        assert!(Instant::now() - start >= Duration::from_secs(2 * 40 + 10));
        assert_eq!(s.in_use(), 1, "the last one is still in its grace period");
        sleep(Duration::from_secs(30) + Duration::from_millis(1)).await;
        assert_eq!(s.in_use(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_releases_the_slot_at_once() {
        let (s, _) = slots(1, Duration::from_secs(60));
        let held = s.acquire(Duration::from_secs(1)).await.unwrap();
        assert_eq!(s.in_use(), 1);
        // The update fails: the guard is dropped without release_after_grace.
        drop(held);
        assert_eq!(s.in_use(), 0);
        let next = s.acquire(Duration::ZERO).await;
        assert!(next.is_ok(), "no grace after a failure");
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_counts_against_the_timeout() {
        let (s, _) = slots(1, Duration::ZERO);
        let _held = s.acquire(Duration::from_secs(1)).await.unwrap();
        let start = Instant::now();
        let err = s.acquire(Duration::from_secs(20)).await.unwrap_err();
        assert_eq!(err, SlotError::Timeout);
        assert_eq!(Instant::now() - start, Duration::from_secs(20));
        assert_eq!(s.in_use(), 1, "a timed-out waiter holds nothing");
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_ends_waits_and_graces_and_leaves_nothing_held() {
        let (s, cancel) = slots(2, Duration::from_secs(600));
        let a = s.acquire(Duration::from_secs(1)).await.unwrap();
        let b = s.acquire(Duration::from_secs(1)).await.unwrap();
        a.release_after_grace(); // instance a runs again, in its grace period
        let waiter = {
            let s = s.clone();
            tokio::spawn(async move { s.acquire(Duration::from_secs(3600)).await })
        };
        sleep(Duration::from_secs(5)).await;
        assert_eq!(s.in_use(), 2);
        cancel.cancel();
        assert_eq!(waiter.await.unwrap().unwrap_err(), SlotError::Cancelled);
        drop(b); // instance b's update ends with Cancelled
        tokio::task::yield_now().await;
        sleep(Duration::from_millis(1)).await;
        assert_eq!(s.in_use(), 0, "Ctrl-C leaves no slot held");
        assert_eq!(
            s.acquire(Duration::from_secs(1)).await.unwrap_err(),
            SlotError::Cancelled
        );
    }

    #[test]
    fn settings_parse_and_bad_values_name_their_attribute() {
        let cfg = attrs::object([
            (MAX_UNAVAILABLE, attrs::int_value(3)),
            (GRACE, attrs::str_value("30s")),
        ]);
        assert!(validate(&cfg).is_empty());
        assert_eq!(
            RollingSettings::of(&cfg),
            RollingSettings {
                max_unavailable: Some(3),
                grace: Duration::from_secs(30)
            }
        );
        let unset = attrs::object([(MAX_UNAVAILABLE, Value::Null), (GRACE, Value::Null)]);
        assert_eq!(RollingSettings::of(&unset), RollingSettings::default());
        let bad = attrs::object([
            (MAX_UNAVAILABLE, attrs::int_value(0)),
            (GRACE, attrs::str_value("soon")),
        ]);
        let d = validate(&bad);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].attribute, Some(AttributePath::attr(MAX_UNAVAILABLE)));
        assert_eq!(d[1].attribute, Some(AttributePath::attr(GRACE)));
        let unknown = attrs::object([(MAX_UNAVAILABLE, Value::Unknown), (GRACE, Value::Unknown)]);
        assert!(validate(&unknown).is_empty());
    }

    #[test]
    fn the_plan_warning_shares_one_summary_and_counts_this_plans_update_stops() {
        let s = Slots::new(Some(3), Duration::ZERO, CancellationToken::new());
        let resize = [Step::Stop, Step::ModifyType { to: "t".into() }, Step::Start];
        let a = s.plan_warning("i-1", &resize).unwrap();
        let b = s.plan_warning("i-2", &resize).unwrap();
        // Terraform folds warnings with one summary into "and N more similar warnings":
        // the summary says what matters, the count of similar ones is the fleet.
        assert_eq!(a.summary, "Rolling Update: at most 3 down at once");
        assert_eq!(a.summary, b.summary);
        assert!(a.detail.contains("max_unavailable = 3") && a.detail.contains("i-1"));
        assert!(!a.detail.contains("last of these warnings"), "{}", a.detail);
        assert!(a.detail.contains("TF_LOG_PROVIDER=INFO"), "{}", a.detail);
        // Planned twice (plan, then apply's final plan): counted once.
        s.plan_warning("i-1", &resize).unwrap();
        assert_eq!(s.planned_stops(), 2);
        assert!(
            s.plan_warning("i-3", &resize[..2]).is_none(),
            "status = Stopped"
        );
        let uncapped = Slots::new(None, Duration::ZERO, CancellationToken::new());
        assert!(uncapped.plan_warning("i-1", &resize).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn holds_track_which_instances_hold_slots() {
        let s = Slots::new(Some(1), Duration::ZERO, CancellationToken::new());
        let a = Hold::new(&s);
        a.take("i-a", Duration::from_secs(1)).await.unwrap();
        assert_eq!(s.holders_text(), "i-a");
        a.release_after_grace();
        assert_eq!(s.holders_text(), "instances in their grace period");
        let b = Hold::new(&s);
        b.take("i-b", Duration::from_secs(1)).await.unwrap();
        drop(b);
        assert_eq!(s.holders_text(), "instances in their grace period");
        assert_eq!(s.in_use(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn no_cap_never_waits() {
        let s = Slots::new(None, Duration::from_secs(60), CancellationToken::new());
        let held: Vec<_> =
            futures::future::join_all((0..500).map(|_| s.acquire(Duration::ZERO))).await;
        assert!(held.iter().all(Result::is_ok));
        assert_eq!(s.in_use(), 0);
    }
}
