//! Named cases for `plan`: one `#[test]` each, the typical situations and
//! the edges. Every successful case also goes through `check_invariants`.
use super::*;
use PowerState::{Running, Stopped};
use Step::{Start, Stop};

macro_rules! plan_cases {
    ($($(#[$doc:meta])* $name:ident: $case:expr => $expected:expr;)*) => {$(
        $(#[$doc])*
        #[test]
        fn $name() {
            let case: Case = $case;
            assert_eq!(case.plan(), $expected);
            check_invariants(&case.observed, &case.desired, &case.limits).ok();
        }
    )*};
}

fn classic_bw(out: u32) -> Step {
    Step::ModifyBandwidth {
        out: Some(out),
        inbound: None,
        api: BandwidthApi::InstanceSpec,
    }
}

fn range(attribute: &'static str, value: u32, min: u32, max: u32) -> PlanError {
    PlanError::BandwidthOutOfRange {
        attribute,
        value,
        min,
        max,
    }
}

plan_cases! {
    /// Nothing set in the configuration: nothing to do.
    nothing_desired: Case::running() => Ok(vec![]);
    /// Values equal to the observed ones are not changes.
    same_values: Case::running().type_to(SMALL).out(5).inbound(10).want(Running) => Ok(vec![]);
    status_start: Case::stopped().want(Running) => Ok(vec![Start]);
    status_stop: Case::running().want(Stopped) => Ok(vec![Stop]);
    /// The classic resize: downtime is stop + type + start.
    running_type: Case::running().type_to(BIG) => Ok(vec![Stop, ty(BIG), Start]);
    /// An earlier modification 60 s ago: wait its 240 s out while running.
    running_type_recent: Case::running().type_to(BIG).modified_ago(60)
        => Ok(vec![wait(240), Stop, ty(BIG), Start]);
    /// Exactly one cooldown ago: ready now, no wait.
    running_type_cooldown_just_over: Case::running().type_to(BIG).modified_ago(300)
        => Ok(vec![Stop, ty(BIG), Start]);
    old_modification: Case::running().out(10).modified_ago(3600) => Ok(vec![bw(Some(10), None)]);
    /// Type first, then the cooldown while running, then bandwidth.
    running_type_and_bandwidth: Case::running().type_to(BIG).out(10)
        => Ok(vec![Stop, ty(BIG), Start, wait(300), bw(Some(10), None)]);
    running_type_and_bandwidth_recent: Case::running().type_to(BIG).inbound(20).modified_ago(100)
        => Ok(vec![wait(200), Stop, ty(BIG), Start, wait(500), bw(None, Some(20))]);
    bandwidth_out_and_in_one_call: Case::running().out(10).inbound(20)
        => Ok(vec![bw(Some(10), Some(20))]);
    bandwidth_recent: Case::running().out(10).modified_ago(60) => Ok(vec![wait(240), bw(Some(10), None)]);
    classic_bandwidth_uses_instance_spec: Case::running().classic().out(10)
        => Ok(vec![Step::ModifyBandwidth { out: Some(10), inbound: None, api: BandwidthApi::InstanceSpec }]);
    /// Down and staying down: waiting while stopped costs nothing.
    stopped_stays_stopped: Case::stopped().type_to(BIG).out(10)
        => Ok(vec![ty(BIG), wait(300), bw(Some(10), None)]);
    stopped_to_running_type: Case::stopped().type_to(BIG).want(Running) => Ok(vec![ty(BIG), Start]);
    stopped_to_running_type_and_bandwidth: Case::stopped().type_to(BIG).out(0).want(Running)
        => Ok(vec![ty(BIG), Start, wait(300), bw(Some(0), None)]);
    /// Cooling down: start now, wait while running, then bounce.
    stopped_to_running_type_recent: Case::stopped().type_to(BIG).modified_ago(60).want(Running)
        => Ok(vec![Start, wait(240), Stop, ty(BIG), Start]);
    /// Same, but it may not be stopped once up: wait while still down.
    stopped_to_running_type_recent_no_stopping:
        Case::stopped().type_to(BIG).modified_ago(60).want(Running).no_stopping()
        => Ok(vec![wait(240), ty(BIG), Start]);
    stopped_to_running_bandwidth_recent: Case::stopped().out(10).modified_ago(60).want(Running)
        => Ok(vec![Start, wait(240), bw(Some(10), None)]);
    running_to_stopped_type_and_bandwidth: Case::running().type_to(BIG).out(10).want(Stopped)
        => Ok(vec![Stop, ty(BIG), wait(300), bw(Some(10), None)]);
    /// The user asked for the stop, so allow_stopping does not apply.
    running_to_stopped_no_stopping: Case::running().type_to(BIG).want(Stopped).no_stopping()
        => Ok(vec![Stop, ty(BIG)]);
    stopped_type_no_stopping: Case::stopped().type_to(BIG).no_stopping() => Ok(vec![ty(BIG)]);
    no_stopping_running_type: Case::running().type_to(BIG).no_stopping()
        => Err(PlanError::StopNotAllowed { from: SMALL.into(), to: BIG.into() });
    no_stopping_bandwidth_is_fine: Case::running().out(10).no_stopping() => Ok(vec![bw(Some(10), None)]);
    zero_cooldown: Case::running().type_to(BIG).out(10).cooldown(Duration::ZERO)
        => Ok(vec![Stop, ty(BIG), Start, bw(Some(10), None)]);
    /// A last modification stamped in the future (clock skew) still counts.
    last_modified_in_future: {
        let mut case = Case::running().out(10);
        case.observed.last_modified = Some(NOW + Duration::from_secs(10));
        case
    } => Ok(vec![wait(310), bw(Some(10), None)]);
    /// A subscription upgrade: ordered while it runs, one restart.
    prepaid_upgrade: Case::running().prepaid().upgrade_to(BIG) => Ok(vec![up(BIG), Step::Reboot]);
    /// Ending Stopped: ordered before the stop, in effect at the next start.
    prepaid_upgrade_ending_stopped: Case::running().prepaid().upgrade_to(BIG).want(Stopped)
        => Ok(vec![up(BIG), Stop]);
    /// A Stopped instance that is to run takes it at its start.
    prepaid_upgrade_of_stopped: Case::stopped().prepaid().upgrade_to(BIG).want(Running)
        => Ok(vec![up(BIG), Start]);
    /// Cooling down and Stopped: start, wait while it runs, order, restart.
    prepaid_upgrade_of_stopped_cooling_down: Case::stopped().prepaid().upgrade_to(BIG).want(Running).modified_ago(60)
        => Ok(vec![Start, wait(240), up(BIG), Step::Reboot]);
    /// Upgrade plus a change that needs a stop: the order before the window,
    /// in effect at its start.
    prepaid_upgrade_with_a_window: Case::running().prepaid().upgrade_to(BIG).set(Attr::UserData, Val::text("x"))
        => Ok(vec![up(BIG), Stop, Step::Call { call: Call::Attribute, set: [(Attr::UserData, Val::text("x"))].into() }, Start]);
    prepaid_upgrade_restart_not_allowed: Case::running().prepaid().upgrade_to(BIG).no_stopping()
        => Err(PlanError::ChangeStopNotAllowed { attribute: "instance_type", restart: true });
    /// A downgrade needs Stopped, like a pay-as-you-go type change.
    prepaid_downgrade: Case::running().prepaid().downgrade_to(TINY) => Ok(vec![Stop, down(TINY), Start]);
    prepaid_downgrade_no_refund_left: Case::running().prepaid().downgrade_to(TINY).refunds(3)
        => Err(PlanError::NoRefundsLeft { attribute: "instance_type", used: 3, more: "", max: 3 });
    /// Two downgrades in one plan with one refund left: the second is refused.
    prepaid_two_downgrades_one_refund: Case::running().prepaid().downgrade_to(TINY).out(1).refunds(2)
        => Err(PlanError::NoRefundsLeft { attribute: "internet_max_bandwidth_out", used: 2, more: " (counting this plan's other downgrade)", max: 3 });
    /// Unknown count (imported): allowed, the plan's note says so.
    prepaid_downgrade_unknown_refunds: Case::running().prepaid().downgrade_to(TINY)
        => Ok(vec![Stop, down(TINY), Start]);
    prepaid_bandwidth_in: Case::running().prepaid().inbound(20) => Ok(vec![sub_bw(None, Some(20))]);
    /// From 0 a subscription gets its public IP with the bandwidth.
    prepaid_bandwidth_from_zero: Case::running().prepaid().no_public().public_out(10)
        => Ok(vec![sub_bw(Some(10), None)]);
    prepaid_bandwidth_locked: Case::running().prepaid().out(1).locked()
        => Err(PlanError::BandwidthLocked { attribute: "internet_max_bandwidth_out" });
    /// An ordered type waiting for its restart is reached: only the restart.
    prepaid_pending_type_restarts: Case::running().prepaid().upgrade_to(BIG).pending(BIG) => Ok(vec![Step::Reboot]);
    prepaid_pending_type_and_another: Case::running().prepaid().upgrade_to("ecs.g6.2xlarge").pending(BIG)
        => Err(PlanError::PendingType { pending: BIG.into(), to: "ecs.g6.2xlarge".into() });
    prepaid_status_only: Case::running().prepaid().want(Stopped) => Ok(vec![Stop]);
    out_above_range: Case::running().out(101) => Err(range("internet_max_bandwidth_out", 101, 0, 100));
    in_below_range: Case::running().inbound(0) => Err(range("internet_max_bandwidth_in", 0, 1, 200));
    in_above_range: Case::running().inbound(201) => Err(range("internet_max_bandwidth_in", 201, 1, 200));
    range_edges: Case::running().out(100).inbound(200) => Ok(vec![bw(Some(100), Some(200))]);
    out_zero: Case::running().out(0) => Ok(vec![bw(Some(0), None)]);
    /// 0 → N on VPC: the bandwidth, then (a cooldown later, while it runs)
    /// the address, as its own ModifyInstanceNetworkSpec.
    vpc_zero_to_n_allocates_a_public_ip: Case::running().no_public().public_out(10)
        => Ok(vec![bw(Some(10), None), wait(300), alloc(NetworkType::Vpc)]);
    /// Without outbound bandwidth in the configuration no address is asked for.
    vpc_zero_to_n_unconfigured_gets_no_address: Case::running().no_public().out(10)
        => Ok(vec![bw(Some(10), None)]);
    /// An earlier apply raised the bandwidth but never got to the address.
    vpc_missing_address_alone: {
        let mut case = Case::running().public_out(5);
        case.observed.public_ip = false;
        case
    } => Ok(vec![alloc(NetworkType::Vpc)]);
    vpc_missing_address_after_cooldown: {
        let mut case = Case::running().public_out(5).modified_ago(100);
        case.observed.public_ip = false;
        case
    } => Ok(vec![wait(200), alloc(NetworkType::Vpc)]);
    /// Classic: 0 → N only while Stopped; the address (no cooldown) before the start.
    classic_zero_to_n_bounces: Case::running().classic().no_public().public_out(10)
        => Ok(vec![Stop, classic_bw(10), alloc(NetworkType::Classic), Start]);
    classic_zero_to_n_ending_stopped: Case::running().classic().no_public().public_out(10).want(Stopped)
        => Ok(vec![Stop, classic_bw(10), alloc(NetworkType::Classic)]);
    classic_zero_to_n_on_a_stopped_instance: Case::stopped().classic().no_public().public_out(10).want(Running)
        => Ok(vec![classic_bw(10), alloc(NetworkType::Classic), Start]);
    /// Type and classic 0 → N are two modifications needing a stop: one
    /// window (one stop per apply), the cooldown between them spent down.
    classic_type_and_zero_to_n_one_window: Case::running().classic().no_public().type_to(BIG).public_out(10)
        => Ok(vec![Stop, ty(BIG), wait(300), classic_bw(10), alloc(NetworkType::Classic), Start]);
    /// Already down and not to be bounced: both in the one window, waiting while down.
    classic_type_and_zero_to_n_stopped_no_stopping:
        Case::stopped().classic().no_public().type_to(BIG).public_out(10).want(Running).no_stopping()
        => Ok(vec![ty(BIG), wait(300), classic_bw(10), alloc(NetworkType::Classic), Start]);
    classic_zero_to_n_no_stopping: Case::running().classic().no_public().public_out(10).no_stopping()
        => Err(PlanError::BandwidthStopNotAllowed { to: 10 });
    /// Classic bandwidth that is already above 0 changes while running.
    classic_missing_address_while_running: {
        let mut case = Case::running().classic().public_out(5);
        case.observed.public_ip = false;
        case
    } => Ok(vec![alloc(NetworkType::Classic)]);
    /// Subscription instances get their address from ECS; none is asked for.
    prepaid_never_allocates: {
        let mut case = Case::running().prepaid().public_out(5);
        case.observed.public_ip = false;
        case
    } => Ok(vec![]);
    /// An out-of-range value reported before the PrePaid refusal.
    range_before_prepaid: Case::running().prepaid().out(150)
        => Err(range("internet_max_bandwidth_out", 150, 0, 100));
}

#[test]
fn validate_lists_every_problem() {
    let case = Case::running()
        .prepaid()
        .type_to(BIG)
        .out(150)
        .refunds(3)
        .locked()
        .no_stopping();
    let problems = validate(&case.observed, &case.desired, &case.limits);
    assert_eq!(
        problems,
        [
            range("internet_max_bandwidth_out", 150, 0, 100),
            PlanError::BandwidthLocked {
                attribute: "internet_max_bandwidth_out"
            },
            PlanError::NoRefundsLeft {
                attribute: "instance_type",
                used: 3,
                more: "",
                max: 3
            },
            PlanError::StopNotAllowed {
                from: SMALL.into(),
                to: BIG.into()
            },
        ]
    );
    let attributes: Vec<&str> = problems.iter().map(PlanError::attribute).collect();
    assert_eq!(
        attributes,
        [
            "internet_max_bandwidth_out",
            "internet_max_bandwidth_out",
            "instance_type",
            "instance_type"
        ]
    );
}

#[test]
fn error_messages_say_what_to_do() {
    let stop = PlanError::StopNotAllowed {
        from: SMALL.into(),
        to: BIG.into(),
    }
    .to_string();
    assert!(stop.contains("ecs.g6.large to ecs.g6.xlarge"), "{stop}");
    assert!(stop.contains("allow_stopping_for_update = true"), "{stop}");
    assert!(stop.contains("status = \"Stopped\""), "{stop}");
    let refunds = PlanError::NoRefundsLeft {
        attribute: "instance_type",
        used: 3,
        more: "",
        max: 3,
    }
    .to_string();
    assert!(refunds.starts_with("instance_type: "), "{refunds}");
    assert!(refunds.contains("replace the instance"), "{refunds}");
    assert!(refunds.contains("upgrade instead"), "{refunds}");
    let range = range("internet_max_bandwidth_in", 0, 1, 200).to_string();
    assert_eq!(
        range,
        "internet_max_bandwidth_in = 0 is out of range: use a value from 1 to 200 (Mbit/s)"
    );
}

#[test]
fn pinned_keeps_the_end_state_when_replanning() {
    // Mid-sequence re-plan: stopped by us for the type change, the type done.
    let original = Case::running().type_to(BIG);
    let pinned = original.desired.pinned(&original.observed);
    assert_eq!(pinned.status, Some(Running));
    let mut now = Case::stopped().type_to(BIG);
    now.observed.instance_type = BIG.into();
    now.observed.last_modified = Some(NOW);
    assert_eq!(plan(&now.observed, &pinned, &now.limits), Ok(vec![Start]));
    // Without pinning, "status unset" would leave it Stopped.
    assert_eq!(
        plan(&now.observed, &original.desired, &now.limits),
        Ok(vec![])
    );
}
