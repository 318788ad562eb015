//! A pure judge of step sequences: walks the steps on a virtual instance and
//! a virtual clock, and refuses the first step that breaks a rule of
//! ModifyInstanceSpec or lets the instance sit down during a cooldown.
//!
//! The planner's tests use it as the oracle ("whatever `plan` returns, the
//! API would accept"), and so can the code that runs the steps. It is written
//! independently of [`super::sequence`]: it knows the rules, not the order.
//!
//! Public addresses: `AllocatePublicIp` needs outbound bandwidth and no
//! address yet; on VPC it is a modification (cooldown), on the classic
//! network it is not. A classic instance's outbound bandwidth rises from 0
//! only while it is Stopped.
//!
//! The other calls ([`Step::Call`]): each carries only attributes its call
//! sets; ModifyInstanceVpcAttribute and ReplaceSystemDisk (and a
//! ModifyInstanceAttribute carrying `user_data`) need the instance Stopped,
//! and ModifyInstanceVpcAttribute once per stop (a start must come between
//! two); ReplaceSystemDisk gives the instance a new disk, so the password
//! and key pair it does not carry are gone. A change that takes effect after
//! a restart leaves `restart_owed` set until a Start or Reboot; a stop that
//! a start follows needs room for the marker tag ([`MAX_TAGS`]).
//!
//! Subscription (PrePaid) instances: their type changes through
//! ModifyPrepayInstanceSpec (an upgrade while Running or Stopped, a
//! downgrade only while Stopped), and either waits as `pending_type` for
//! the next Start or Reboot; their bandwidth through the subscription form
//! of ModifyInstanceNetworkSpec, where a rise from 0 brings a public IP and
//! a decrease locks the bandwidth. Each downgrade uses a refund, never more
//! than [`MAX_REFUNDS`] when the count is known; one pending type at a
//! time. The pay-as-you-go calls refuse them, and theirs refuse
//! pay-as-you-go instances.
//!
//! Time: the clock starts at `limits.now`; `WaitUntil` moves it forward; API
//! steps take no time. Two rules cannot be broken with these types and are
//! therefore not checked: a step with two modifications (a [`Step`] carries
//! one by construction) and a bandwidth change in a transitional state (the
//! model has only Running and Stopped, both of which allow it).
use std::time::Duration;

use super::model::*;
use super::table::{Attr, Call, Settings, StopClass, Val};

/// The first step the API (or our downtime goal) would refuse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("step {index}: {rule}")]
pub struct RuleViolation {
    /// Position of the offending step in the slice.
    pub index: usize,
    pub rule: Rule,
}

/// Which rule a step broke.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("the instance type can change only while the instance is Stopped (it is {0:?})")]
    TypeChangeWhileNotStopped(PowerState),
    #[error("a modification {since:?} after the previous one, inside the {cooldown:?} cooldown")]
    InsideCooldown { since: Duration, cooldown: Duration },
    #[error("the step modifies nothing (values equal the current ones, or none given)")]
    NoModification,
    #[error("bandwidth of a {network:?} instance must go through {expected:?}, not {got:?}")]
    WrongBandwidthApi {
        network: NetworkType,
        expected: BandwidthApi,
        got: BandwidthApi,
    },
    #[error("ModifyInstanceSpec serves pay-as-you-go instances only; this one is PrePaid")]
    PrePaid,
    #[error(
        "ModifyPrepayInstanceSpec and the subscription bandwidth form serve PrePaid instances only"
    )]
    PostPaidSubscriptionCall,
    #[error("a subscription downgrade with all {0} refunds used")]
    NoRefundsLeft(u32),
    #[error("a bandwidth change while the bandwidth is locked until the next billing cycle")]
    BandwidthLocked,
    #[error("a type change while another one waits for its restart (RebootingRequired)")]
    TypePending,
    #[error("a subscription upgrade sent as a downgrade (or the reverse) is not checked here, but a downgrade needs the instance Stopped (it is {0:?})")]
    DowngradeWhileNotStopped(PowerState),
    #[error("{attribute} = {value} is outside the API's range")]
    BandwidthOutOfRange { attribute: &'static str, value: u32 },
    #[error("{step} while the instance is already {status:?}")]
    PowerStateUnchanged {
        step: &'static str,
        status: PowerState,
    },
    #[error("a cooldown wait while the instance is Stopped, though it is to end Running")]
    WaitWhileDown,
    #[error("the outbound bandwidth of a classic-network instance rises from 0 only while it is Stopped (it is {0:?})")]
    BandwidthFromZeroWhileNotStopped(PowerState),
    #[error("a public IP for a {network:?} instance goes through {expected:?}, not {got:?}")]
    WrongPublicIpApi {
        network: NetworkType,
        expected: PublicIpApi,
        got: PublicIpApi,
    },
    #[error("the instance already has a public IP (AllocatedAlready)")]
    AllocatedAlready,
    #[error("a public IP needs outbound bandwidth first (internet_max_bandwidth_out is 0)")]
    NoBandwidthForPublicIp,
    #[error("{call:?} cannot set {attr:?}")]
    WrongCall { call: Call, attr: Attr },
    #[error("{call:?} needs the instance Stopped (it is {status:?})")]
    CallWhileNotStopped { call: Call, status: PowerState },
    #[error("a second ModifyInstanceVpcAttribute before the instance started again")]
    VpcTwiceInOneWindow,
    #[error("the system disk shrinks or stays the same ({from} → {to} GiB)")]
    DiskNotGrowing { from: u32, to: u32 },
    #[error("deletion protection is for pay-as-you-go instances only")]
    PostPaidOnly,
    #[error("auto-renewal exists for subscription (PrePaid) instances only")]
    PrePaidOnly,
    #[error("a reboot while the instance is {0:?}")]
    RebootWhileNotRunning(PowerState),
    #[error("a stop followed by a start with {tags} tags: no room for the marker tag")]
    NoRoomForMarker { tags: usize },
    #[error("a subscription order with {tags} tags: no room for the pending-type tag")]
    NoRoomForPendingTag { tags: usize },
}

/// Walk `steps` from `observed` and return the instance they leave behind
/// (its `last_modified` is the virtual time of the last modification).
///
/// # Errors
/// The first step that breaks a rule. A `WaitUntil` while Stopped when the
/// steps end Running counts as one, except in the single case the planner
/// allows: the instance was Stopped from the outset, has not been started
/// yet, and `limits.allow_stopping` is false.
pub fn simulate(
    observed: &Observed,
    steps: &[Step],
    limits: &Limits,
) -> Result<Observed, RuleViolation> {
    let ends_running = steps
        .iter()
        .rev()
        .find_map(|s| match s {
            Step::Start => Some(true),
            Step::Stop => Some(false),
            _ => None,
        })
        .unwrap_or(observed.status == PowerState::Running);
    let mut now = limits.now;
    let mut started = false;
    let mut state = observed.clone();
    // A ModifyInstanceVpcAttribute since the last start.
    let mut vpc_since_start = false;
    // A modification made since the last stop.
    let mut modified_while_down = false;
    // Our own tags on the instance: the stop marker (from a stop that a
    // start follows until that start), the pending-type tag (from a
    // subscription order until a start or restart).
    let mut marker = false;
    let mut pending_tag = observed.subscription.pending_type.is_some();
    let user_tags = |state: &Observed| match state.get(Attr::Tags) {
        Some(Val::Map(m)) => m.len(),
        _ => 0,
    };
    for (index, step) in steps.iter().enumerate() {
        let fail = |rule| Err(RuleViolation { index, rule });
        match step {
            Step::Reboot => {
                if state.status != PowerState::Running {
                    return fail(Rule::RebootWhileNotRunning(state.status));
                }
                state.restart_owed = false;
                take_effect(&mut state);
                pending_tag = false;
            }
            Step::Call { call, set } => {
                if let Err(rule) = make_call(&mut state, *call, set, &mut vpc_since_start) {
                    return fail(rule);
                }
            }
            Step::Stop | Step::Start => {
                let (name, to) = match step {
                    Step::Stop => ("Stop", PowerState::Stopped),
                    _ => ("Start", PowerState::Running),
                };
                if state.status == to {
                    return fail(Rule::PowerStateUnchanged {
                        step: name,
                        status: to,
                    });
                }
                if to == PowerState::Stopped && steps[index..].contains(&Step::Start) {
                    let tags = user_tags(&state) + usize::from(pending_tag);
                    if tags + 1 > MAX_TAGS {
                        return fail(Rule::NoRoomForMarker { tags });
                    }
                    marker = true;
                }
                if to == PowerState::Running {
                    marker = false;
                    pending_tag = false;
                    state.restart_owed = false;
                    vpc_since_start = false;
                    take_effect(&mut state);
                }
                modified_while_down = false;
                started |= to == PowerState::Running;
                state.status = to;
            }
            Step::WaitUntil { until } => {
                // Unavoidable waits while down: the instance was down from
                // the outset and may not be bounced; or a window holds two
                // modifications that both need it Stopped.
                let next_needs_stop = steps[index..]
                    .iter()
                    .find(|s| s.is_modification())
                    .is_some_and(|s| needs_stopped(&state, s));
                let exempt = (!started && !limits.allow_stopping)
                    || (modified_while_down && next_needs_stop);
                if state.status == PowerState::Stopped && ends_running && !exempt {
                    return fail(Rule::WaitWhileDown);
                }
                now = now.max(*until);
            }
            Step::ModifyType { to } => {
                let done = may_modify(&state, now, limits.cooldown)
                    .and_then(|()| change_type(&mut state, to));
                if let Err(rule) = done {
                    return fail(rule);
                }
                state.last_modified = Some(now);
                modified_while_down |= state.status == PowerState::Stopped;
            }
            Step::ModifyPrepayType { to, direction } => {
                let tags = user_tags(&state) + usize::from(marker);
                if !pending_tag && tags + 1 > MAX_TAGS {
                    return fail(Rule::NoRoomForPendingTag { tags });
                }
                pending_tag = true;
                let done = may_modify_subscription(&state, now, limits.cooldown)
                    .and_then(|()| order_type(&mut state, to, *direction));
                if let Err(rule) = done {
                    return fail(rule);
                }
                state.last_modified = Some(now);
                modified_while_down |= state.status == PowerState::Stopped;
            }
            Step::ModifyBandwidth {
                out,
                inbound,
                api: BandwidthApi::Subscription,
            } => {
                let done = may_modify_subscription(&state, now, limits.cooldown)
                    .and_then(|()| order_bandwidth(&mut state, *out, *inbound));
                if let Err(rule) = done {
                    return fail(rule);
                }
                state.last_modified = Some(now);
                modified_while_down |= state.status == PowerState::Stopped;
            }
            Step::ModifyBandwidth { out, inbound, api } => {
                let done = may_modify(&state, now, limits.cooldown)
                    .and_then(|()| change_bandwidth(&mut state, *out, *inbound, *api));
                if let Err(rule) = done {
                    return fail(rule);
                }
                state.last_modified = Some(now);
                modified_while_down |= state.status == PowerState::Stopped;
            }
            Step::AllocatePublicIp { api } => {
                let modification = step.is_modification();
                let done = if modification {
                    may_modify(&state, now, limits.cooldown)
                } else {
                    Ok(())
                }
                .and_then(|()| allocate(&mut state, *api));
                if let Err(rule) = done {
                    return fail(rule);
                }
                if modification {
                    state.last_modified = Some(now);
                }
            }
        }
    }
    Ok(state)
}

/// Whether a modification step needs the instance Stopped: a type change
/// (but a subscription upgrade), or a classic-network outbound bandwidth
/// rise from 0.
fn needs_stopped(state: &Observed, step: &Step) -> bool {
    match step {
        Step::ModifyType { .. } => true,
        Step::ModifyPrepayType { direction, .. } => *direction == Direction::Downgrade,
        Step::ModifyBandwidth { out, .. } => {
            state.network == NetworkType::Classic
                && state.bandwidth.out == 0
                && out.is_some_and(|v| v > 0)
        }
        _ => false,
    }
}

/// One call of the other attributes: its state rules, then its effect.
fn make_call(
    state: &mut Observed,
    call: Call,
    set: &Settings,
    vpc_since_start: &mut bool,
) -> Result<(), Rule> {
    if set.is_empty() {
        return Err(Rule::NoModification);
    }
    let carried = [Attr::SystemDiskSize, Attr::Password, Attr::KeyPair];
    for attr in set.keys() {
        let fits =
            attr.call() == call || (call == Call::ReplaceSystemDisk && carried.contains(attr));
        if !fits {
            return Err(Rule::WrongCall { call, attr: *attr });
        }
    }
    let needs_stop = match call {
        Call::Vpc | Call::ReplaceSystemDisk => true,
        Call::Attribute => set.keys().any(|a| a.row().stop == StopClass::Stopped),
        _ => false,
    };
    if needs_stop && state.status != PowerState::Stopped {
        return Err(Rule::CallWhileNotStopped {
            call,
            status: state.status,
        });
    }
    let size = |v: Option<&Val>| v.and_then(Val::as_size);
    match call {
        Call::Vpc => {
            if *vpc_since_start {
                return Err(Rule::VpcTwiceInOneWindow);
            }
            *vpc_since_start = true;
        }
        Call::Attribute => {
            if set.contains_key(&Attr::DeletionProtection) && state.charge == ChargeType::PrePaid {
                return Err(Rule::PostPaidOnly);
            }
        }
        Call::ResizeDisk => {
            let (from, to) = (
                size(state.get(Attr::SystemDiskSize)),
                size(set.get(&Attr::SystemDiskSize)),
            );
            if let (Some(from), Some(to)) = (from, to) {
                if to <= from {
                    return Err(Rule::DiskNotGrowing { from, to });
                }
            }
            // Offline growth of a running instance's disk: in effect after
            // a restart.
            if state.status == PowerState::Running && !state.online_resize {
                state.restart_owed = true;
            }
        }
        Call::ReplaceSystemDisk => {
            let (from, to) = (
                size(state.get(Attr::SystemDiskSize)),
                size(set.get(&Attr::SystemDiskSize)),
            );
            if let (Some(from), Some(to)) = (from, to) {
                if to < from {
                    return Err(Rule::DiskNotGrowing { from, to });
                }
            }
            // A new disk: no password or key pair but those given.
            state.attrs.remove(&Attr::Password);
            state.attrs.insert(Attr::KeyPair, Val::None);
        }
        Call::AutoRenew => {
            if state.charge != ChargeType::PrePaid {
                return Err(Rule::PrePaidOnly);
            }
        }
        Call::KeyPair | Call::Tags | Call::InstanceSpec | Call::Bandwidth => {}
    }
    if set.keys().any(|a| a.row().stop == StopClass::Restart) && call != Call::ReplaceSystemDisk {
        state.restart_owed = true;
    }
    for (attr, v) in set {
        state.attrs.insert(*attr, v.clone());
    }
    Ok(())
}

/// The rules every modification shares: pay-as-you-go, outside the cooldown.
fn may_modify(state: &Observed, now: Duration, cooldown: Duration) -> Result<(), Rule> {
    if state.charge == ChargeType::PrePaid {
        return Err(Rule::PrePaid);
    }
    match state.last_modified {
        Some(last) if now < last.saturating_add(cooldown) => Err(Rule::InsideCooldown {
            since: now.saturating_sub(last),
            cooldown,
        }),
        _ => Ok(()),
    }
}

/// The cooldown rule for the subscription calls, which serve PrePaid
/// instances only.
fn may_modify_subscription(
    state: &Observed,
    now: Duration,
    cooldown: Duration,
) -> Result<(), Rule> {
    if state.charge != ChargeType::PrePaid {
        return Err(Rule::PostPaidSubscriptionCall);
    }
    match state.last_modified {
        Some(last) if now < last.saturating_add(cooldown) => Err(Rule::InsideCooldown {
            since: now.saturating_sub(last),
            cooldown,
        }),
        _ => Ok(()),
    }
}

/// A pending subscription type takes effect (an API start or restart).
fn take_effect(state: &mut Observed) {
    if let Some(t) = state.subscription.pending_type.take() {
        state.instance_type = t;
    }
}

/// One refund more, refused when the known count is exhausted.
fn use_refund(state: &mut Observed) -> Result<(), Rule> {
    if let Some(used) = state.subscription.refunds_used {
        if used >= MAX_REFUNDS {
            return Err(Rule::NoRefundsLeft(MAX_REFUNDS));
        }
        state.subscription.refunds_used = Some(used + 1);
    }
    Ok(())
}

/// ModifyPrepayInstanceSpec: the type waits for the next start or restart.
fn order_type(state: &mut Observed, to: &str, direction: Direction) -> Result<(), Rule> {
    if state.subscription.pending_type.is_some() {
        return Err(Rule::TypePending);
    }
    if to == state.instance_type {
        return Err(Rule::NoModification);
    }
    if direction == Direction::Downgrade {
        if state.status != PowerState::Stopped {
            return Err(Rule::DowngradeWhileNotStopped(state.status));
        }
        use_refund(state)?;
    }
    state.subscription.pending_type = Some(to.to_owned());
    Ok(())
}

/// ModifyInstanceNetworkSpec of a subscription: at once; from 0 with a
/// public IP; a decrease is a refund and locks the bandwidth.
fn order_bandwidth(
    state: &mut Observed,
    out: Option<u32>,
    inbound: Option<u32>,
) -> Result<(), Rule> {
    if state.subscription.bandwidth_locked {
        return Err(Rule::BandwidthLocked);
    }
    let from_zero = state.bandwidth.out == 0 && out.is_some_and(|v| v > 0);
    if from_zero && state.network == NetworkType::Classic && state.status != PowerState::Stopped {
        return Err(Rule::BandwidthFromZeroWhileNotStopped(state.status));
    }
    let decrease = out.is_some_and(|v| v < state.bandwidth.out);
    let before = state.bandwidth;
    let mut probe = state.clone();
    probe.charge = ChargeType::PostPaid;
    let api = BandwidthApi::for_instance(probe.network, probe.charge);
    change_bandwidth(&mut probe, out, inbound, api)?;
    if decrease {
        use_refund(state)?;
        state.subscription.bandwidth_locked = true;
    }
    state.bandwidth = probe.bandwidth;
    if from_zero && before.out == 0 {
        state.public_ip = true;
    }
    Ok(())
}

fn change_type(state: &mut Observed, to: &str) -> Result<(), Rule> {
    if state.status != PowerState::Stopped {
        return Err(Rule::TypeChangeWhileNotStopped(state.status));
    }
    if to == state.instance_type {
        return Err(Rule::NoModification);
    }
    state.instance_type = to.to_owned();
    Ok(())
}

fn change_bandwidth(
    state: &mut Observed,
    out: Option<u32>,
    inbound: Option<u32>,
    api: BandwidthApi,
) -> Result<(), Rule> {
    let expected = BandwidthApi::for_instance(state.network, state.charge);
    if api != expected {
        return Err(Rule::WrongBandwidthApi {
            network: state.network,
            expected,
            got: api,
        });
    }
    let from_zero = state.bandwidth.out == 0 && out.is_some_and(|v| v > 0);
    if from_zero && state.network == NetworkType::Classic && state.status != PowerState::Stopped {
        return Err(Rule::BandwidthFromZeroWhileNotStopped(state.status));
    }
    let out_changes = out.is_some_and(|v| v != state.bandwidth.out);
    let in_changes = inbound.is_some_and(|v| v != state.bandwidth.inbound);
    if !out_changes && !in_changes {
        return Err(Rule::NoModification);
    }
    let checks = [
        ("internet_max_bandwidth_out", out, BANDWIDTH_OUT_RANGE),
        ("internet_max_bandwidth_in", inbound, BANDWIDTH_IN_RANGE),
    ];
    for (attribute, value, range) in checks {
        if let Some(value) = value.filter(|v| !range.contains(v)) {
            return Err(Rule::BandwidthOutOfRange { attribute, value });
        }
    }
    state.bandwidth.out = out.unwrap_or(state.bandwidth.out);
    state.bandwidth.inbound = inbound.unwrap_or(state.bandwidth.inbound);
    Ok(())
}

fn allocate(state: &mut Observed, api: PublicIpApi) -> Result<(), Rule> {
    let expected = PublicIpApi::for_network(state.network);
    if api != expected {
        return Err(Rule::WrongPublicIpApi {
            network: state.network,
            expected,
            got: api,
        });
    }
    if state.public_ip {
        return Err(Rule::AllocatedAlready);
    }
    if state.bandwidth.out == 0 {
        return Err(Rule::NoBandwidthForPublicIp);
    }
    state.public_ip = true;
    Ok(())
}
