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
//!   while it is still down; with a classic rise from 0 (below), these are
//!   the only waits while down that appear in a plan ending Running.
//! - *Bandwidth only*: start first if Stopped (the instance is up sooner),
//!   then, after any cooldown, the bandwidth.
//!
//! - *Classic bandwidth from 0*: it needs a stop as a type change does, in
//!   a stop → bandwidth → address → start window. With a type change too,
//!   both go in the one window, a cooldown apart: the only wait while down
//!   in a plan ending Running that the instance did not start in (one stop
//!   per apply outranks a short window; the warning says how long).
//! - *Address*: right after the bandwidth change that makes it possible
//!   (VPC: a cooldown later, while running), or alone when an earlier apply
//!   raised the bandwidth but did not get to the address.
//!
//! # Every other attribute: at most one stop per apply
//! Each change has a class ([`super::table`]): **no stop**, **restart** (in
//! effect after a restart through the API) or **Stopped**. If anything needs
//! Stopped there is one stop window, and everything that needs Stopped is
//! made in it: the type first (the call refused most often), then the
//! ModifyInstanceAttribute call if it carries `user_data`, the one
//! ModifyInstanceVpcAttribute (vSwitch and private IP together: ECS takes
//! one per window), ReplaceSystemDisk (which carries the disk size,
//! password and key pair the new disk must have). Restart-only changes ride
//! in that window: they are made before it and take effect at its start.
//! With no window, restart-only changes on an instance that runs get one
//! RebootInstance (a Stopped instance that is to run takes them at its
//! start; one that stays Stopped takes them at its next start).
//!
//! No-stop calls (tags, the ModifyInstanceAttribute call, a key pair,
//! online disk growth) come **before** the window: if one fails, the
//! instance has not been stopped, and they never lengthen the window.
//! Bandwidth stays after it (the order above, for the cooldown).
//!
//! Status-only changes are a lone Start or Stop; no change is no step.
//!
//! # Refusals
//! [`validate`] lists every reason no sequence exists; [`plan`] returns the
//! first. Bandwidth values are checked only when they would be sent: a value
//! equal to the observed one is not a change. Besides the ranges and the
//! charge type: a change that stops or restarts an instance that runs and
//! must keep running while `allow_stopping` is false; a shrinking system
//! disk; and a plan that stops and starts an instance with no room left
//! for the marker tag ([`MAX_TAGS`]).
use std::time::Duration;

use super::model::*;
use super::table::{stop_class, type_class, Attr, Call, Settings, StopClass, Val};

/// The ordered steps from `observed` to `desired` under `limits`.
///
/// # Errors
/// The first of [`validate`]'s problems.
pub fn plan(
    observed: &Observed,
    desired: &Desired,
    limits: &Limits,
) -> Result<Vec<Step>, PlanError> {
    if let Some(problem) = static_problems(observed, desired, limits)
        .into_iter()
        .next()
    {
        return Err(problem);
    }
    let steps = sequence(observed, desired, limits);
    match marker_problem(observed, &steps) {
        Some(problem) => Err(problem),
        None => Ok(steps),
    }
}

/// Every reason `desired` cannot be reached from `observed`, in the order
/// [`plan`] reports them: out-of-range bandwidth, charge type, a shrinking
/// disk, a stop or restart not allowed, no room for the marker. Empty when
/// a plan exists. Lets the caller show one diagnostic per attribute at plan
/// time.
pub fn validate(observed: &Observed, desired: &Desired, limits: &Limits) -> Vec<PlanError> {
    let mut problems = static_problems(observed, desired, limits);
    if problems.is_empty() {
        let steps = sequence(observed, desired, limits);
        problems.extend(marker_problem(observed, &steps));
    }
    problems
}

/// The changes `plan` would make, each with its class on this instance:
/// what the plan's texts and checks name as the cause of a stop.
pub fn classify(observed: &Observed, desired: &Desired) -> Vec<(Attr, StopClass)> {
    let changes = Changes::between(observed, desired);
    let mut out = Vec::new();
    if changes.instance_type.is_some() {
        out.push((
            Attr::InstanceType,
            type_class(observed, desired.type_direction),
        ));
    }
    if changes.out.is_some() {
        let class = stop_class(Attr::BandwidthOut, observed, changes.out);
        out.push((Attr::BandwidthOut, class));
    }
    if changes.inbound.is_some() {
        out.push((Attr::BandwidthIn, StopClass::NoStop));
    }
    for attr in changes.attrs.keys() {
        out.push((*attr, stop_class(*attr, observed, None)));
    }
    out
}

fn static_problems(observed: &Observed, desired: &Desired, limits: &Limits) -> Vec<PlanError> {
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
        problems.extend(subscription_problems(observed, desired, &changes));
        if changes.attrs.contains_key(&Attr::DeletionProtection) {
            problems.push(PlanError::PostPaidOnly {
                what: Attr::DeletionProtection.name(),
            });
        }
    } else {
        problems.extend(
            [Attr::AutoRenew, Attr::AutoRenewPeriod]
                .into_iter()
                .filter(|a| changes.attrs.contains_key(a))
                .map(|a| PlanError::PrePaidOnly { what: a.name() }),
        );
    }
    let size = |v: Option<&Val>| v.and_then(Val::as_size);
    if let (Some(from), Some(to)) = (
        size(observed.get(Attr::SystemDiskSize)),
        size(changes.attrs.get(&Attr::SystemDiskSize)),
    ) {
        if to < from {
            problems.push(PlanError::DiskShrink { from, to });
        }
    }
    // A stop or restart the user asked for (status = "Stopped") is not ours
    // to refuse, nor a start of a Stopped instance.
    let must_stay_up = observed.status == PowerState::Running
        && desired.end_status(observed) == PowerState::Running
        && !limits.allow_stopping;
    if must_stay_up {
        if let Some(to) = &changes.instance_type {
            if type_class(observed, desired.type_direction) == StopClass::Restart {
                problems.push(PlanError::ChangeStopNotAllowed {
                    attribute: Attr::InstanceType.name(),
                    restart: true,
                });
            } else {
                problems.push(PlanError::StopNotAllowed {
                    from: observed.instance_type.clone(),
                    to: to.clone(),
                });
            }
        }
        if let (true, Some(to)) = (changes.bandwidth_needs_stop, changes.out) {
            problems.push(PlanError::BandwidthStopNotAllowed { to });
        }
        for attr in changes.attrs.keys() {
            let restart = match stop_class(*attr, observed, None) {
                StopClass::NoStop => continue,
                StopClass::Restart => true,
                StopClass::Stopped => false,
            };
            problems.push(PlanError::ChangeStopNotAllowed {
                attribute: attr.name(),
                restart,
            });
        }
        if observed.owes_restart() && problems.is_empty() {
            problems.push(PlanError::RestartOwed);
        }
    }
    problems
}

/// The refusals only a subscription (PrePaid) instance has: a type change
/// while another one waits for its restart, downgrades beyond the refunds
/// left, a bandwidth change while the bandwidth is locked.
fn subscription_problems(
    observed: &Observed,
    desired: &Desired,
    changes: &Changes,
) -> Vec<PlanError> {
    let sub = &observed.subscription;
    let mut problems = Vec::new();
    if let (Some(pending), Some(to)) = (&sub.pending_type, &changes.instance_type) {
        problems.push(PlanError::PendingType {
            pending: pending.clone(),
            to: to.clone(),
        });
    }
    if sub.bandwidth_locked {
        let locked = [
            ("internet_max_bandwidth_out", changes.out.is_some()),
            ("internet_max_bandwidth_in", changes.inbound.is_some()),
        ];
        problems.extend(
            locked
                .into_iter()
                .filter(|(_, c)| *c)
                .map(|(attribute, _)| PlanError::BandwidthLocked { attribute }),
        );
    }
    if let Some(used) = sub.refunds_used {
        for (spent, attribute) in (used..).zip(refunds_needed(observed, desired)) {
            if spent >= MAX_REFUNDS {
                let more = if spent > used {
                    " (counting this plan's other downgrade)"
                } else {
                    ""
                };
                problems.push(PlanError::NoRefundsLeft {
                    attribute,
                    used,
                    more,
                    max: MAX_REFUNDS,
                });
            }
        }
    }
    problems
}

/// The changes of a plan from `observed` to `desired` that are downgrades
/// of a subscription instance, each using one refund: a type downgrade and
/// a lower outbound bandwidth. Empty on a pay-as-you-go instance.
pub fn refunds_needed(observed: &Observed, desired: &Desired) -> Vec<&'static str> {
    if observed.charge != ChargeType::PrePaid {
        return Vec::new();
    }
    let changes = Changes::between(observed, desired);
    let mut out = Vec::new();
    if changes.instance_type.is_some()
        && type_class(observed, desired.type_direction) != StopClass::Restart
    {
        out.push(Attr::InstanceType.name());
    }
    if changes.out.is_some_and(|v| v < observed.bandwidth.out) {
        out.push(Attr::BandwidthOut.name());
    }
    out
}

/// Our own tags need room among ECS's [`MAX_TAGS`] per instance: the stop
/// marker while a stop that a start follows keeps the instance down, and a
/// subscription's pending-type tag from its order until the restart.
/// Counted step by step with the user's tags as they are then (a tags call
/// changes them; an upgrade is ordered before it, a downgrade after it).
fn marker_problem(observed: &Observed, steps: &[Step]) -> Option<PlanError> {
    let count = |v: Option<&Val>| match v {
        Some(Val::Map(m)) => m.len(),
        _ => 0,
    };
    let mut user = count(observed.get(Attr::Tags));
    let mut marker = false;
    let mut pending = observed.subscription.pending_type.is_some();
    for (index, step) in steps.iter().enumerate() {
        match step {
            Step::Call { set, .. } if set.contains_key(&Attr::Tags) => {
                user = count(set.get(&Attr::Tags));
            }
            Step::Stop if steps[index..].contains(&Step::Start) => {
                let tags = user + usize::from(pending);
                if tags >= MAX_TAGS {
                    return Some(PlanError::NoRoomForMarker {
                        tags,
                        max: MAX_TAGS,
                    });
                }
                marker = true;
            }
            Step::ModifyPrepayType { .. } if !pending => {
                if user + usize::from(marker) >= MAX_TAGS {
                    return Some(PlanError::NoRoomForPendingTag {
                        tags: user,
                        max: MAX_TAGS,
                        also: if marker {
                            " (besides the stop marker it carries while stopped)"
                        } else {
                            ""
                        },
                    });
                }
                pending = true;
            }
            Step::Start | Step::Reboot => {
                marker = false;
                pending = false;
            }
            _ => {}
        }
    }
    None
}

/// The steps, once every problem has been ruled out.
fn sequence(observed: &Observed, desired: &Desired, limits: &Limits) -> Vec<Step> {
    let changes = Changes::between(observed, desired);
    let calls = changes.calls(observed, desired);
    let mut seq = Sequence::new(observed, limits);
    let ends_running = desired.end_status(observed) == PowerState::Running;
    // A subscription upgrade, before anything else: sent while the instance
    // runs (the call ECS refuses most often, and where an unpaid order
    // shows), so that no refusal finds it down. On a Stopped instance that
    // is to run, its cooldown is waited out while it runs: start it first.
    // A subscription upgrade sent while the instance runs owes a restart.
    let mut upgrade_running = false;
    if let Some(upgrade) = changes.upgrade.clone() {
        if ends_running
            && seq.status == PowerState::Stopped
            && seq.must_wait()
            && limits.allow_stopping
        {
            seq.start();
        }
        upgrade_running = seq.status == PowerState::Running;
        seq.change(upgrade);
    }
    // No-stop calls first, in the state the instance is in: a failure
    // leaves it up, and they never lengthen a window.
    calls.before.into_iter().for_each(|s| seq.change(s));
    match desired.end_status(observed) {
        PowerState::Stopped => {
            if seq.status == PowerState::Running {
                seq.stop();
            }
            changes
                .all(calls.window)
                .into_iter()
                .for_each(|s| seq.change(s));
        }
        PowerState::Running => {
            let window = changes.while_stopped(calls.window);
            if !window.is_empty() {
                // Already down with nothing to wait for (or not to be
                // bounced): modify before the start. Otherwise the stop
                // comes after any wait, while up.
                let stay_down = seq.status == PowerState::Stopped
                    && !(seq.cooling_down(&window) && limits.allow_stopping);
                if !stay_down {
                    if seq.status == PowerState::Stopped {
                        seq.start();
                    }
                    seq.wait_for_cooldown_of(&window);
                    seq.stop();
                }
                window.into_iter().for_each(|s| seq.change(s));
                seq.start();
            } else if seq.status == PowerState::Running
                && (calls.restart || observed.owes_restart() || upgrade_running)
            {
                seq.steps.push(Step::Reboot);
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
    seq.steps
}

/// What differs between observed and desired, as the modifications to send.
struct Changes {
    instance_type: Option<String>,
    /// The type step made in a stop window (or, ending Stopped, after the
    /// stop): ModifyInstanceSpec, or a subscription downgrade.
    type_step: Option<Step>,
    /// A subscription upgrade: sent before any stop, in effect at the
    /// next restart.
    upgrade: Option<Step>,
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
    /// The other attributes that change, with their new values.
    attrs: Settings,
}

/// The call steps of the other attributes, by where they go.
struct Calls {
    /// Made before any stop window (or stop), in the instance's state.
    before: Vec<Step>,
    /// Made only while Stopped, after the type change.
    window: Vec<Step>,
    /// A change that takes effect only after a restart is among them.
    restart: bool,
}

impl Changes {
    fn between(observed: &Observed, desired: &Desired) -> Changes {
        // A type ordered and waiting for its restart counts as reached.
        let current = observed
            .subscription
            .pending_type
            .as_ref()
            .unwrap_or(&observed.instance_type);
        let instance_type = desired.instance_type.clone().filter(|t| t != current);
        let (type_step, upgrade) = match (&instance_type, observed.charge) {
            (None, _) => (None, None),
            (Some(to), ChargeType::PostPaid) => (Some(Step::ModifyType { to: to.clone() }), None),
            (Some(to), ChargeType::PrePaid) => {
                let direction = desired.type_direction.unwrap_or(Direction::Downgrade);
                let step = Step::ModifyPrepayType {
                    to: to.clone(),
                    direction,
                };
                match direction {
                    Direction::Upgrade => (None, Some(step)),
                    Direction::Downgrade => (Some(step), None),
                }
            }
        };
        let out = desired
            .bandwidth_out
            .filter(|v| *v != observed.bandwidth.out);
        let inbound = desired
            .bandwidth_in
            .filter(|v| *v != observed.bandwidth.inbound);
        let api = BandwidthApi::for_instance(observed.network, observed.charge);
        let bandwidth = (out.is_some() || inbound.is_some()).then_some(Step::ModifyBandwidth {
            out,
            inbound,
            api,
        });
        let bandwidth_needs_stop =
            stop_class(Attr::BandwidthOut, observed, out) == StopClass::Stopped;
        let end_out = out.unwrap_or(observed.bandwidth.out);
        let allocate = (desired.public_ip
            && end_out > 0
            && !observed.public_ip
            && observed.charge == ChargeType::PostPaid)
            .then(|| Step::AllocatePublicIp {
                api: PublicIpApi::for_network(observed.network),
            });
        let attrs = desired
            .attrs
            .iter()
            .filter(|(attr, v)| **v == Val::Unknown || observed.get(**attr) != Some(*v))
            .map(|(a, v)| (*a, v.clone()))
            .collect();
        Changes {
            instance_type,
            type_step,
            upgrade,
            out,
            inbound,
            bandwidth,
            bandwidth_needs_stop,
            allocate,
            attrs,
        }
    }

    /// The other attributes' calls: one step per call, each carrying every
    /// value it sets.
    fn calls(&self, observed: &Observed, desired: &Desired) -> Calls {
        let image = self.attrs.contains_key(&Attr::Image);
        let of = |call: Call| -> Settings {
            self.attrs
                .iter()
                .filter(|(a, _)| a.call() == call)
                .map(|(a, v)| (*a, v.clone()))
                .collect()
        };
        let step =
            |call: Call, set: Settings| (!set.is_empty()).then_some(Step::Call { call, set });
        let mut attribute = of(Call::Attribute);
        let mut replace = of(Call::ReplaceSystemDisk);
        if image {
            // The new system disk keeps nothing of the old one: it gets the
            // size, password and key pair the instance must end with, and
            // those need no call of their own.
            attribute.remove(&Attr::Password);
            for attr in [Attr::SystemDiskSize, Attr::Password, Attr::KeyPair] {
                let end = desired.attrs.get(&attr).or(observed.get(attr));
                if let Some(v) = end.filter(|v| **v != Val::None) {
                    replace.insert(attr, v.clone());
                }
            }
        }
        let attribute_needs_stop = attribute
            .keys()
            .any(|a| stop_class(*a, observed, None) == StopClass::Stopped);
        let key_pair = if image {
            Settings::new()
        } else {
            of(Call::KeyPair)
        };
        let resize = if image {
            Settings::new()
        } else {
            of(Call::ResizeDisk)
        };
        let restart = self.attrs.keys().any(|a| {
            stop_class(*a, observed, None) == StopClass::Restart
                && !(image && matches!(a, Attr::Password | Attr::KeyPair | Attr::SystemDiskSize))
        });
        let mut before = Vec::new();
        let mut window = Vec::new();
        before.extend(step(Call::Tags, of(Call::Tags)));
        if attribute_needs_stop {
            window.extend(step(Call::Attribute, attribute));
        } else {
            before.extend(step(Call::Attribute, attribute));
        }
        before.extend(step(Call::KeyPair, key_pair));
        before.extend(step(Call::ResizeDisk, resize));
        before.extend(step(Call::AutoRenew, of(Call::AutoRenew)));
        window.extend(step(Call::Vpc, of(Call::Vpc)));
        window.extend(step(Call::ReplaceSystemDisk, replace));
        Calls {
            before,
            window,
            restart,
        }
    }

    /// Every change after the no-stop calls, in the order made when the
    /// instance ends Stopped: the type, the other calls that need it
    /// Stopped, the bandwidth, then the address (which needs the bandwidth).
    fn all(&self, window: Vec<Step>) -> Vec<Step> {
        let ty = self.type_step.clone();
        ty.into_iter()
            .chain(window)
            .chain(self.bandwidth.clone())
            .chain(self.allocate.clone())
            .collect()
    }

    /// The one stop window's changes: the modifications first (the type,
    /// then a classic bandwidth rise from 0 with its address), so that any
    /// cooldown wait before them happens before the stop; then the other
    /// calls that need the instance Stopped. Empty: no window.
    fn while_stopped(&self, window: Vec<Step>) -> Vec<Step> {
        let ty = self.type_step.clone();
        let mut steps: Vec<Step> = ty.into_iter().collect();
        if self.bandwidth_needs_stop {
            steps.extend(self.bandwidth.iter().chain(&self.allocate).cloned());
        }
        steps.extend(window);
        steps
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

    /// Whether a window would have to wait for the cooldown before its
    /// first modification (windows open with their modifications).
    fn cooling_down(&self, window: &[Step]) -> bool {
        self.ready > self.clock && window.first().is_some_and(Step::is_modification)
    }

    fn must_wait(&self) -> bool {
        self.ready > self.clock
    }

    /// Waits before a window that opens with a modification, so that the
    /// wait happens while the instance runs.
    fn wait_for_cooldown_of(&mut self, window: &[Step]) {
        if window.first().is_some_and(Step::is_modification) {
            self.wait_for_cooldown();
        }
    }

    fn wait_for_cooldown(&mut self) {
        if self.must_wait() {
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
