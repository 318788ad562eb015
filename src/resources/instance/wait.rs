//! Waiting for an instance: polling through the (batched) lookup with
//! adaptive, clock-aligned intervals ([`PollPolicy`]), bounded by the
//! operation's deadline, ended at once by Terraform's Stop. A wait for
//! Stopped is the instance's downtime, so it polls densely and teaches the
//! policy how long stops take.

use super::api::{Clock, InstanceApi, PollPolicy};
use super::error::ApplyError;
use crate::ecs;
use std::time::Duration;

/// Polls one instance until a condition holds.
pub struct Waiter<'a> {
    pub api: &'a dyn InstanceApi,
    pub clock: &'a dyn Clock,
    pub poll: PollPolicy,
    /// Clock time (since the UNIX epoch) at which waits give up.
    pub deadline: Duration,
    /// Which `timeouts` entry bounds this operation (named in errors).
    pub operation: &'static str,
    /// The timeout itself, for messages.
    pub limit: Duration,
}

impl Waiter<'_> {
    fn timeout(&self, what: impl Into<String>) -> ApplyError {
        ApplyError::Timeout {
            what: what.into(),
            operation: self.operation,
            limit: self.limit,
        }
    }

    /// Sleeps `d`, unless that would pass the deadline.
    ///
    /// # Errors
    /// `Timeout` (without sleeping) when `d` ends after the deadline;
    /// `Cancelled` on Stop.
    pub async fn sleep(&self, d: Duration, what: &str) -> Result<(), ApplyError> {
        if self.clock.now() + d > self.deadline {
            return Err(self.timeout(what));
        }
        self.clock.sleep(d).await.map_err(|_| ApplyError::Cancelled)
    }

    /// Sleeps until clock time `t` (no-op if it has passed).
    pub async fn sleep_until(&self, t: Duration, what: &str) -> Result<(), ApplyError> {
        let now = self.clock.now();
        if t > now {
            self.sleep(t - now, what).await?;
        }
        Ok(())
    }

    /// Polls until `done(instance)`; `what` names the awaited state in
    /// errors ("i-1 to be Stopped").
    ///
    /// # Errors
    /// `Gone` when the instance disappears, `Timeout` at the deadline,
    /// `Api`/`Cancelled` from the lookup.
    pub async fn until(
        &self,
        id: &str,
        what: &str,
        done: impl Fn(&ecs::Instance) -> bool + Send,
    ) -> Result<ecs::Instance, ApplyError> {
        Ok(self.poll_until(id, what, done, false).await?.0)
    }

    /// Polls until `done`; the instance, and the clock times of the last look
    /// that did not see it yet (None if the first did) and of the one that did.
    async fn poll_until(
        &self,
        id: &str,
        what: &str,
        done: impl Fn(&ecs::Instance) -> bool + Send,
        going_down: bool,
    ) -> Result<(ecs::Instance, Option<Duration>, Duration), ApplyError> {
        let mut interval = self.poll.initial;
        let since = self.clock.now();
        let mut first = true;
        let mut last_miss = None;
        loop {
            let looked_at = self.clock.now();
            // The first look shares its call with other instances' first
            // looks; the polls after it meet theirs on the clock grid.
            let look = if first {
                self.api.describe_patiently(id).await
            } else {
                self.api.describe(id).await
            };
            let inst = look?.ok_or_else(|| ApplyError::Gone { id: id.to_string() })?;
            if done(&inst) {
                if going_down && !first {
                    self.poll.learned.saw_stop(self.clock.now() - since);
                }
                return Ok((inst, last_miss, looked_at));
            }
            last_miss = Some(looked_at);
            tracing::debug!(id, status = %inst.status, waiting_for = what, "polling");
            let now = self.clock.now();
            let remaining = self.deadline.saturating_sub(now);
            if remaining.is_zero() {
                return Err(self.timeout(format!("{what} (last seen {})", inst.status)));
            }
            let waited = now - since;
            let learned = going_down
                .then(|| self.poll.learned.stop_transition())
                .flatten();
            let delay = match learned.map(|t| t * 3 / 4) {
                // Most of a stop seen before (maybe by another instance, while
                // this one waited): nothing to notice yet; back on the grid after.
                Some(skip) if waited < skip => {
                    let at = since + skip;
                    (at - now) + self.poll.aligned(at, self.poll.going_down(skip))
                }
                _ if going_down => self.poll.aligned(now, self.poll.going_down(waited)),
                _ => self.poll.aligned(now, interval),
            };
            first = false;
            self.clock
                .sleep(delay.min(remaining))
                .await
                .map_err(|_| ApplyError::Cancelled)?;
            interval = self.poll.next(interval);
        }
    }

    /// Polls until the instance is in `status`.
    pub async fn status(&self, id: &str, status: &str) -> Result<ecs::Instance, ApplyError> {
        Ok(self.status_timed(id, status).await?.0)
    }

    /// Polls until the instance is in `status`; also the clock times of the
    /// last look before it was (None if the first look saw it) and of the
    /// look that saw it: it got there in between.
    pub async fn status_timed(
        &self,
        id: &str,
        status: &str,
    ) -> Result<(ecs::Instance, Option<Duration>, Duration), ApplyError> {
        let going_down = status == "Stopped";
        self.poll_until(
            id,
            &format!("{id} to be {status}"),
            |i| i.status == status,
            going_down,
        )
        .await
    }

    /// Polls until the instance is Running or Stopped.
    pub async fn stable(&self, id: &str) -> Result<ecs::Instance, ApplyError> {
        self.until(id, &format!("{id} to finish its state change"), |i| {
            matches!(i.status.as_str(), "Running" | "Stopped")
        })
        .await
    }

    /// Polls until the instance no longer exists.
    pub async fn gone(&self, id: &str) -> Result<(), ApplyError> {
        let mut interval = self.poll.initial;
        loop {
            let Some(inst) = self.api.describe(id).await? else {
                return Ok(());
            };
            let now = self.clock.now();
            let remaining = self.deadline.saturating_sub(now);
            if remaining.is_zero() {
                return Err(self.timeout(format!("deletion of {id} (last seen {})", inst.status)));
            }
            self.clock
                .sleep(self.poll.aligned(now, interval).min(remaining))
                .await
                .map_err(|_| ApplyError::Cancelled)?;
            interval = self.poll.next(interval);
        }
    }
}
