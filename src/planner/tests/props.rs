//! The invariants of `check_invariants`, first over every combination of
//! the discrete inputs (exhaustively: they are few), then over random
//! numbers with proptest (bandwidths, times, cooldowns, types).
use proptest::prelude::*;

use super::*;
use PowerState::{Running, Stopped};

/// Every combination: status × desired status × type × out × in × network ×
/// charge × last modification × allow_stopping × cooldown.
pub fn all_cases() -> Vec<Case> {
    let statuses = [Running, Stopped];
    let wanted = [None, Some(Running), Some(Stopped)];
    let types = [None, Some(SMALL), Some(BIG)];
    // unset, same, changed, out of range
    let outs = [None, Some(5), Some(0), Some(101)];
    let ins = [None, Some(10), Some(200), Some(0)];
    let networks = [NetworkType::Classic, NetworkType::Vpc];
    let charges = [ChargeType::PostPaid, ChargeType::PrePaid];
    // never, recent, exactly one cooldown ago, long ago
    let modified = [None, Some(60), Some(300), Some(3600)];
    let cooldowns = [COOLDOWN, Duration::ZERO];
    // (observed out, has a public IP, config asks for outbound bandwidth)
    let addresses = [(5, true, false), (0, false, true), (5, false, true)];
    let mut cases = Vec::new();
    for (observed_out, has_ip, wants_ip) in addresses {
        for status in statuses {
            for want in wanted {
                for to in types {
                    for out in outs {
                        for inbound in ins {
                            for network in networks {
                                for charge in charges {
                                    for ago in modified {
                                        for allow_stopping in [true, false] {
                                            for cooldown in cooldowns {
                                                let mut case = Case::new(status).cooldown(cooldown);
                                                case.desired = Desired {
                                                    status: want,
                                                    instance_type: to.map(str::to_owned),
                                                    bandwidth_out: out,
                                                    bandwidth_in: inbound,
                                                    public_ip: wants_ip && out.is_some(),
                                                    attrs: Default::default(),
                                                    type_direction: None,
                                                };
                                                case.observed.bandwidth.out = observed_out;
                                                case.observed.public_ip = has_ip;
                                                case.observed.network = network;
                                                case.observed.charge = charge;
                                                case.observed.last_modified =
                                                    ago.map(|s| NOW - Duration::from_secs(s));
                                                case.limits.allow_stopping = allow_stopping;
                                                cases.push(case);
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    cases
}

#[test]
fn every_combination_keeps_the_invariants() {
    let cases = all_cases();
    assert_eq!(cases.len(), 3 * 2 * 3 * 3 * 4 * 4 * 2 * 2 * 4 * 2 * 2);
    let mut planned = 0;
    for case in &cases {
        planned +=
            usize::from(check_invariants(&case.observed, &case.desired, &case.limits).is_ok());
    }
    // Both outcomes are exercised, not just the refusals.
    assert!(
        planned > cases.len() / 10 && planned < cases.len(),
        "{planned} of {}",
        cases.len()
    );
}

/// Every combination of a subscription instance's changes: status ×
/// desired status × type (with its direction) × out (from 0 or 5) × in ×
/// refunds used (unknown, 0, 2, 3) × bandwidth lock × a type pending its
/// restart × last modification × allow_stopping.
#[test]
fn every_subscription_combination_keeps_the_invariants() {
    let directions = [None, Some(Direction::Upgrade), Some(Direction::Downgrade)];
    let mut cases = 0;
    let mut planned = 0;
    for status in [Running, Stopped] {
        for want in [None, Some(Running), Some(Stopped)] {
            for to in [None, Some(SMALL), Some(BIG), Some(TINY)] {
                for direction in directions {
                    for (observed_out, out) in [(5, None), (5, Some(1)), (5, Some(9)), (0, Some(7))]
                    {
                        for inbound in [None, Some(20)] {
                            for refunds in [None, Some(0), Some(2), Some(3)] {
                                for locked in [false, true] {
                                    for pending in [None, Some(BIG)] {
                                        for ago in [None, Some(60)] {
                                            for allow_stopping in [true, false] {
                                                let mut case = Case::new(status).prepaid();
                                                case.desired = Desired {
                                                    status: want,
                                                    instance_type: to.map(str::to_owned),
                                                    bandwidth_out: out,
                                                    bandwidth_in: inbound,
                                                    public_ip: out.is_some(),
                                                    attrs: Default::default(),
                                                    type_direction: direction,
                                                };
                                                case.observed.bandwidth.out = observed_out;
                                                case.observed.public_ip = observed_out > 0;
                                                case.observed.subscription = Subscription {
                                                    pending_type: pending.map(str::to_owned),
                                                    refunds_used: refunds,
                                                    bandwidth_locked: locked,
                                                };
                                                case.observed.last_modified =
                                                    ago.map(|s| NOW - Duration::from_secs(s));
                                                case.limits.allow_stopping = allow_stopping;
                                                cases += 1;
                                                planned += usize::from(
                                                    check_invariants(
                                                        &case.observed,
                                                        &case.desired,
                                                        &case.limits,
                                                    )
                                                    .is_ok(),
                                                );
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(
        planned > cases / 10 && planned < cases,
        "{planned} of {cases}"
    );
}

fn power() -> impl Strategy<Value = PowerState> {
    prop_oneof![Just(Running), Just(Stopped)]
}

fn instance_type() -> impl Strategy<Value = String> {
    prop_oneof![Just(SMALL), Just(BIG), Just("ecs.c7.2xlarge")].prop_map(str::to_owned)
}

prop_compose! {
    fn observed()(
        status in power(),
        instance_type in instance_type(),
        out in 0..=100u32,
        inbound in 1..=200u32,
        classic in any::<bool>(),
        prepaid in any::<bool>(),
        public_ip in any::<bool>(),
        // Seconds on the same epoch as `now` below; may lie in the future.
        last_modified in proptest::option::of(0..=3000u64),
        pending in any::<bool>(),
        refunds_used in proptest::option::of(0..=3u32),
        locked in any::<bool>(),
    ) -> Observed {
        Observed {
            status,
            instance_type,
            bandwidth: Bandwidth { out, inbound },
            network: if classic { NetworkType::Classic } else { NetworkType::Vpc },
            charge: if prepaid { ChargeType::PrePaid } else { ChargeType::PostPaid },
            public_ip,
            last_modified: last_modified.map(Duration::from_secs),
            attrs: Default::default(),
            restart_owed: false,
            online_resize: true,
            // Only a subscription has subscription bookkeeping.
            subscription: if prepaid {
                Subscription {
                    pending_type: pending.then(|| BIG.to_owned()),
                    refunds_used,
                    bandwidth_locked: locked,
                }
            } else {
                Subscription::default()
            },
        }
    }
}

prop_compose! {
    fn desired()(
        status in proptest::option::of(power()),
        instance_type in proptest::option::of(instance_type()),
        // A little past each end of the ranges, to hit the refusals.
        bandwidth_out in proptest::option::of(0..=110u32),
        bandwidth_in in proptest::option::of(0..=210u32),
        public_ip in any::<bool>(),
        type_direction in proptest::option::of(prop_oneof![Just(Direction::Upgrade), Just(Direction::Downgrade)]),
    ) -> Desired {
        Desired { status, instance_type, bandwidth_out, bandwidth_in, public_ip, attrs: Default::default(), type_direction }
    }
}

prop_compose! {
    fn limits()(
        cooldown in 0..=600u64,
        allow_stopping in any::<bool>(),
        now in 1000..=2000u64,
    ) -> Limits {
        Limits {
            cooldown: Duration::from_secs(cooldown),
            allow_stopping,
            now: Duration::from_secs(now),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_inputs_keep_the_invariants(o in observed(), d in desired(), l in limits()) {
        check_invariants(&o, &d, &l).ok();
    }

    /// Re-planning after every step, as an executor may, reaches the same
    /// end state with no more modifications than the first plan. (Not with
    /// as few power steps: a re-plan inside a window that holds two
    /// modifications a cooldown apart (a classic type change and bandwidth
    /// rise from 0) sees a Stopped instance cooling down, which it starts
    /// and stops again rather than wait while it is down. Our executor runs
    /// one plan to its end.)
    #[test]
    fn replanning_after_each_step_converges(o in observed(), d in desired(), l in limits()) {
        let Ok(first) = plan(&o, &d, &l) else { return Ok(()) };
        let pinned = d.pinned(&o);
        let (mut state, mut limits, mut modifications) = (o.clone(), l.clone(), 0);
        for _ in 0..=2 * first.len() {
            let steps = plan(&state, &pinned, &limits).expect("re-plan");
            let Some(step) = steps.first() else { break };
            state = simulate(&state, std::slice::from_ref(step), &limits).expect("judge");
            if let Step::WaitUntil { until } = step {
                limits.now = *until;
            }
            modifications += usize::from(step.is_modification());
        }
        prop_assert_eq!(plan(&state, &pinned, &limits), Ok(vec![]));
        prop_assert_eq!(Some(state), simulate(&o, &first, &l).ok());
        let first_modifications =
            first.iter().filter(|s| s.is_modification()).count();
        prop_assert_eq!(modifications, first_modifications);
    }
}
