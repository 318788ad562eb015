//! Sequencing: the ordered steps that take the observed instance to the
//! desired one without breaking a rule of ModifyInstanceSpec.
//!
//! # The rules we must keep (the seed)
//! 1. One modification per call: either the type, or the bandwidth (out and
//!    in together are one modification).
//! 2. The type changes only while the instance is Stopped; bandwidth changes
//!    while it is Running or Stopped.
//! 3. After a successful modification, the instance cannot be modified again
//!    for the cooldown (five minutes on the real API).
//!
//! And the public address rules (ModifyInstanceNetworkSpec and
//! AllocatePublicIpAddress references):
//! 4. Raising the outbound bandwidth of a pay-as-you-go instance from 0 does
//!    not give it a public IP. It gets one through its own step
//!    ([`Step::AllocatePublicIp`]) once the bandwidth is above 0: on VPC
//!    ModifyInstanceNetworkSpec with `AllocatePublicIp=true` sent alone (a
//!    modification: rule 3 applies), on the classic network
//!    AllocatePublicIpAddress (no cooldown documented; the address works
//!    from the next start).
//! 5. On the classic network the outbound bandwidth rises from 0 only while
//!    the instance is Stopped. So that change (with its address) is made
//!    between a stop and a start, like a type change.
//!
//! # The goal we add: downtime is only stop + modify + start
//! Rule 3 is what makes the order matter. A type change plus a bandwidth
//! change are two modifications, so a cooldown separates them, and a
//! modification made by an earlier apply may still be cooling down. If the
//! instance is to end Running, every one of those waits must happen while it
//! runs, never between our stop and our start.
//!
//! # The order
//! **Ending Stopped** (`status = "Stopped"`, or unset on a Stopped
//! instance): the user wants it down, so waiting while down costs nothing.
//! Stop first if needed, then the type, then the bandwidth, waiting out the
//! cooldown before each modification as needed.
//!
//! **Ending Running**:
//! - *Type change on a Running instance*: wait out any earlier cooldown while
//!   it runs, stop, change the type, start; then wait out the new cooldown
//!   while it runs and change the bandwidth. We put the type first (the
//!   mirror order, bandwidth first, would keep the same downtime) because:
//!   the type is the change the API refuses most often (sold out, not
//!   allowed for this image), so an apply fails before touching anything
//!   else; the start overlaps the cooldown instead of following it; and the
//!   outage comes at the start of the apply, when the user expects it.
//! - *Type change on a Stopped instance*: change the type while it is still
//!   down, start, then the bandwidth (after the cooldown, while running). If
//!   an earlier modification is still cooling down, waiting for it while the
//!   instance is down would delay its start, so we start it now, wait while
//!   it runs, and then stop → type → start. Exception: with
//!   `allow_stopping = false` we may not stop it once it runs, so we wait
//!   while it is still down; this is the only wait while down that ever
//!   appears in a plan ending Running.
//! - *Bandwidth only*: start first if Stopped (the instance is up sooner),
//!   then, after any cooldown, the bandwidth.
//!
//! - *Classic bandwidth from 0*: it needs a stop as a type change does, in
//!   its own stop → bandwidth → address → start window. With a type change
//!   too, that is two windows: the two modifications are a cooldown apart,
//!   and the wait between them happens while the instance runs.
//! - *Address*: right after the bandwidth change that makes it possible
//!   (VPC: a cooldown later, while running), or alone when an earlier apply
//!   raised the bandwidth but did not get to the address.
//!
//! Status-only changes are a lone Start or Stop; no change is no step.
//!
//! # Refusals
//! [`validate`] lists every reason no sequence exists; [`plan`] returns the
//! first. Bandwidth values are checked only when they would be sent: a value
//! equal to the observed one is not a change.
use std::time::Duration;

use super::model::*;

/// The ordered steps from `observed` to `desired` under `limits`.
///
/// # Errors
/// The first of [`validate`]'s problems: an out-of-range bandwidth, a
/// change on a PrePaid instance, or a type change that needs a stop that is
/// not allowed.
pub fn plan(
    observed: &Observed,
    desired: &Desired,
    limits: &Limits,
) -> Result<Vec<Step>, PlanError> {
    if let Some(problem) = validate(observed, desired, limits).into_iter().next() {
        return Err(problem);
    }
    let changes = Changes::between(observed, desired);
    let mut seq = Sequence::new(observed, limits);
    match desired.end_status(observed) {
        PowerState::Stopped => {
            if seq.status == PowerState::Running {
                seq.stop();
            }
            changes.all().into_iter().for_each(|s| seq.change(s));
        }
        PowerState::Running => {
            let mut windows = changes.while_stopped();
            if !limits.allow_stopping && windows.len() > 1 {
                // Already down and not to be bounced (validate refuses the
                // other cases): everything in the one window we have.
                windows = vec![windows.concat()];
            }
            for window in windows {
                // Already down with nothing to wait for: modify before the
                // start. Otherwise the stop comes after any wait, while up.
                let stay_down = seq.status == PowerState::Stopped
                    && !(seq.cooling_down() && limits.allow_stopping);
                if !stay_down {
                    if seq.status == PowerState::Stopped {
                        seq.start();
                    }
                    seq.wait_for_cooldown();
                    seq.stop();
                }
                window.into_iter().for_each(|s| seq.change(s));
                seq.start();
            }
            let mut anytime = changes.anytime();
            if seq.status == PowerState::Stopped {
                // A classic address works from the next start: take it first.
                if let Some(i) = anytime.iter().position(|s| !s.is_modification()) {
                    seq.change(anytime.remove(i));
                }
                seq.start();
            }
            anytime.into_iter().for_each(|s| seq.change(s));
        }
    }
    Ok(seq.steps)
}

/// Every reason `desired` cannot be reached from `observed`, in the order
/// [`plan`] reports them: out-of-range bandwidth, PrePaid, stop not allowed.
/// Empty when a plan exists. Lets the caller show one diagnostic per
/// attribute at plan time.
pub fn validate(observed: &Observed, desired: &Desired, limits: &Limits) -> Vec<PlanError> {
    let changes = Changes::between(observed, desired);
    let mut problems = Vec::new();
    let out = changes
        .out
        .map(|v| ("internet_max_bandwidth_out", v, BANDWIDTH_OUT_RANGE));
    let inbound = changes
        .inbound
        .map(|v| ("internet_max_bandwidth_in", v, BANDWIDTH_IN_RANGE));
    for (attribute, value, range) in out.into_iter().chain(inbound) {
        if !range.contains(&value) {
            let (min, max) = (*range.start(), *range.end());
            problems.push(PlanError::BandwidthOutOfRange {
                attribute,
                value,
                min,
                max,
            });
        }
    }
    if observed.charge == ChargeType::PrePaid {
        let changed = [
            ("instance_type", changes.instance_type.is_some()),
            ("internet_max_bandwidth_out", changes.out.is_some()),
            ("internet_max_bandwidth_in", changes.inbound.is_some()),
        ];
        problems.extend(
            changed
                .into_iter()
                .filter(|(_, c)| *c)
                .map(|(what, _)| PlanError::PrePaid { what }),
        );
    }
    if let Some(to) = &changes.instance_type {
        // A stop the user asked for (status = "Stopped") is not ours to refuse.
        let must_stop = observed.status == PowerState::Running
            && desired.end_status(observed) == PowerState::Running;
        if must_stop && !limits.allow_stopping {
            problems.push(PlanError::StopNotAllowed {
                from: observed.instance_type.clone(),
                to: to.clone(),
            });
        }
    }
    if let (true, Some(to)) = (changes.bandwidth_needs_stop, changes.out) {
        let must_stop = observed.status == PowerState::Running
            && desired.end_status(observed) == PowerState::Running;
        if must_stop && !limits.allow_stopping {
            problems.push(PlanError::BandwidthStopNotAllowed { to });
        }
    }
    problems
}

/// What differs between observed and desired, as the modifications to send.
struct Changes {
    instance_type: Option<String>,
    out: Option<u32>,
    inbound: Option<u32>,
    /// The one `ModifyBandwidth` step carrying `out` and `inbound`, if any.
    bandwidth: Option<Step>,
    /// The bandwidth change needs the instance Stopped: a classic-network
    /// instance whose outbound bandwidth rises from 0.
    bandwidth_needs_stop: bool,
    /// The `AllocatePublicIp` step, if the instance ends with outbound
    /// bandwidth, the configuration asks for it, and it has no address.
    allocate: Option<Step>,
}

impl Changes {
    fn between(observed: &Observed, desired: &Desired) -> Changes {
        let instance_type = desired
            .instance_type
            .clone()
            .filter(|t| *t != observed.instance_type);
        let out = desired
            .bandwidth_out
            .filter(|v| *v != observed.bandwidth.out);
        let inbound = desired
            .bandwidth_in
            .filter(|v| *v != observed.bandwidth.inbound);
        let api = match observed.network {
            NetworkType::Classic => BandwidthApi::InstanceSpec,
            NetworkType::Vpc => BandwidthApi::NetworkSpec,
        };
        let bandwidth = (out.is_some() || inbound.is_some()).then_some(Step::ModifyBandwidth {
            out,
            inbound,
            api,
        });
        let bandwidth_needs_stop = observed.network == NetworkType::Classic
            && observed.bandwidth.out == 0
            && out.is_some_and(|v| v > 0);
        let end_out = out.unwrap_or(observed.bandwidth.out);
        let allocate = (desired.public_ip
            && end_out > 0
            && !observed.public_ip
            && observed.charge == ChargeType::PostPaid)
            .then(|| Step::AllocatePublicIp {
                api: PublicIpApi::for_network(observed.network),
            });
        Changes {
            instance_type,
            out,
            inbound,
            bandwidth,
            bandwidth_needs_stop,
            allocate,
        }
    }

    /// Every change, in the order made when the instance ends Stopped: the
    /// type, the bandwidth, then the address (which needs the bandwidth).
    fn all(&self) -> Vec<Step> {
        let ty = self.instance_type.clone().map(|to| Step::ModifyType { to });
        ty.into_iter()
            .chain(self.bandwidth.clone())
            .chain(self.allocate.clone())
            .collect()
    }

    /// The changes that need the instance Stopped, one group per stop:
    /// the type; a classic bandwidth rise from 0 with its address. Two
    /// groups are two modifications, a cooldown apart, so each gets its own
    /// stop and start rather than a wait while the instance is down.
    fn while_stopped(&self) -> Vec<Vec<Step>> {
        let mut windows = Vec::new();
        if let Some(to) = self.instance_type.clone() {
            windows.push(vec![Step::ModifyType { to }]);
        }
        if self.bandwidth_needs_stop {
            windows.push(
                self.bandwidth
                    .iter()
                    .chain(&self.allocate)
                    .cloned()
                    .collect(),
            );
        }
        windows
    }

    /// The changes made while the instance runs, after any window.
    fn anytime(&self) -> Vec<Step> {
        if self.bandwidth_needs_stop {
            return Vec::new();
        }
        self.bandwidth
            .iter()
            .chain(&self.allocate)
            .cloned()
            .collect()
    }
}

/// A sequence under construction: the steps so far plus the instance's
/// power state and a virtual clock, so that each modification gets exactly
/// the cooldown wait it needs and no other.
struct Sequence {
    steps: Vec<Step>,
    status: PowerState,
    /// Time at the end of the steps so far; API steps count as instant.
    clock: Duration,
    /// Earliest time the next modification is allowed.
    ready: Duration,
    cooldown: Duration,
}

impl Sequence {
    fn new(observed: &Observed, limits: &Limits) -> Sequence {
        let ready = observed
            .last_modified
            .map_or(limits.now, |at| at.saturating_add(limits.cooldown));
        Sequence {
            steps: Vec::new(),
            status: observed.status,
            clock: limits.now,
            ready,
            cooldown: limits.cooldown,
        }
    }

    fn cooling_down(&self) -> bool {
        self.ready > self.clock
    }

    fn wait_for_cooldown(&mut self) {
        if self.cooling_down() {
            self.steps.push(Step::WaitUntil { until: self.ready });
            self.clock = self.ready;
        }
    }

    fn modify(&mut self, step: Step) {
        self.wait_for_cooldown();
        self.steps.push(step);
        self.ready = self.clock.saturating_add(self.cooldown);
    }

    /// A modification (after its cooldown wait), or any other change.
    fn change(&mut self, step: Step) {
        if step.is_modification() {
            self.modify(step);
        } else {
            self.steps.push(step);
        }
    }

    fn stop(&mut self) {
        self.steps.push(Step::Stop);
        self.status = PowerState::Stopped;
    }

    fn start(&mut self) {
        self.steps.push(Step::Start);
        self.status = PowerState::Running;
    }
}
