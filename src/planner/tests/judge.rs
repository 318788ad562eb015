//! The judge must refuse each rule break, or the property tests prove
//! nothing. One named case per rule, plus the sequences it must accept.
use super::*;
use PowerState::{Running, Stopped};
use Step::{Start, Stop};

fn judge(case: &Case, steps: &[Step]) -> Result<Observed, RuleViolation> {
    simulate(&case.observed, steps, &case.limits)
}

fn refused(case: Case, steps: &[Step], index: usize, rule: Rule) {
    assert_eq!(
        judge(&case, steps),
        Err(RuleViolation { index, rule }),
        "steps {steps:?}"
    );
}

#[test]
fn type_change_while_running() {
    refused(
        Case::running(),
        &[ty(BIG)],
        0,
        Rule::TypeChangeWhileNotStopped(Running),
    );
}

#[test]
fn two_modifications_inside_cooldown() {
    let steps = [Stop, ty(BIG), bw(Some(10), None), Start];
    let rule = Rule::InsideCooldown {
        since: Duration::ZERO,
        cooldown: COOLDOWN,
    };
    refused(Case::running(), &steps, 2, rule);
}

#[test]
fn modification_inside_cooldown_of_observed_one() {
    let rule = Rule::InsideCooldown {
        since: Duration::from_secs(60),
        cooldown: COOLDOWN,
    };
    refused(
        Case::running().modified_ago(60),
        &[bw(Some(10), None)],
        0,
        rule,
    );
}

#[test]
fn wait_too_short() {
    let rule = Rule::InsideCooldown {
        since: Duration::from_secs(299),
        cooldown: COOLDOWN,
    };
    refused(
        Case::stopped(),
        &[ty(BIG), wait(299), bw(Some(1), None)],
        2,
        rule,
    );
}

#[test]
fn modification_of_nothing() {
    refused(Case::running(), &[bw(None, None)], 0, Rule::NoModification);
    refused(
        Case::running(),
        &[bw(Some(5), Some(10))],
        0,
        Rule::NoModification,
    );
    refused(Case::stopped(), &[ty(SMALL)], 0, Rule::NoModification);
}

#[test]
fn wrong_bandwidth_api() {
    let rule = Rule::WrongBandwidthApi {
        network: NetworkType::Classic,
        expected: BandwidthApi::InstanceSpec,
        got: BandwidthApi::NetworkSpec,
    };
    refused(Case::running().classic(), &[bw(Some(10), None)], 0, rule);
}

#[test]
fn prepaid_modification() {
    refused(Case::stopped().prepaid(), &[ty(BIG)], 0, Rule::PrePaid);
}

#[test]
fn bandwidth_out_of_range() {
    let rule = Rule::BandwidthOutOfRange {
        attribute: "internet_max_bandwidth_in",
        value: 201,
    };
    refused(Case::running(), &[bw(None, Some(201))], 0, rule);
}

#[test]
fn redundant_power_steps() {
    refused(
        Case::running(),
        &[Start],
        0,
        Rule::PowerStateUnchanged {
            step: "Start",
            status: Running,
        },
    );
    refused(
        Case::running(),
        &[Stop, Stop],
        1,
        Rule::PowerStateUnchanged {
            step: "Stop",
            status: Stopped,
        },
    );
}

#[test]
fn cooldown_wait_while_down_when_ending_running() {
    let steps = [Stop, ty(BIG), wait(300), bw(Some(10), None), Start];
    refused(Case::running(), &steps, 2, Rule::WaitWhileDown);
    // Already down, but allowed to bounce: the wait belongs while running.
    let steps = [wait(240), ty(BIG), Start];
    refused(
        Case::stopped().modified_ago(60),
        &steps,
        0,
        Rule::WaitWhileDown,
    );
    // Not allowed to stop, but we started and stopped it ourselves.
    let steps = [Start, Stop, wait(240), ty(BIG), Start];
    refused(
        Case::stopped().modified_ago(60).no_stopping(),
        &steps,
        2,
        Rule::WaitWhileDown,
    );
}

#[test]
fn accepts_wait_while_down_when_it_stays_down_or_may_not_bounce() {
    let stays_down = Case::running().want(Stopped);
    let end = judge(&stays_down, &[Stop, ty(BIG), wait(300), bw(Some(10), None)]).unwrap();
    assert_eq!(
        (end.status, end.instance_type.as_str(), end.bandwidth.out),
        (Stopped, BIG, 10)
    );
    let no_bounce = Case::stopped().modified_ago(60).no_stopping();
    assert!(judge(&no_bounce, &[wait(240), ty(BIG), Start]).is_ok());
}

#[test]
fn end_state_records_the_last_modification_time() {
    let steps = [Stop, ty(BIG), Start, wait(300), bw(Some(10), Some(20))];
    let end = judge(&Case::running(), &steps).unwrap();
    assert_eq!(end.status, Running);
    assert_eq!(
        end.bandwidth,
        Bandwidth {
            out: 10,
            inbound: 20
        }
    );
    assert_eq!(end.last_modified, Some(NOW + COOLDOWN));
    // No modification: the observed time is kept.
    let untouched = judge(&Case::running().modified_ago(60), &[Stop]).unwrap();
    assert_eq!(untouched.last_modified, Some(NOW - Duration::from_secs(60)));
}

#[test]
fn violation_message_names_the_step() {
    let err = judge(&Case::running(), &[ty(BIG)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "step 0: the instance type can change only while the instance is Stopped (it is Running)"
    );
}

#[test]
fn classic_bandwidth_from_zero_while_running() {
    let step = Step::ModifyBandwidth {
        out: Some(10),
        inbound: None,
        api: BandwidthApi::InstanceSpec,
    };
    let rule = Rule::BandwidthFromZeroWhileNotStopped(Running);
    refused(Case::running().classic().no_public(), &[step], 0, rule);
}

#[test]
fn public_ip_needs_bandwidth_and_no_address() {
    let vpc = alloc(NetworkType::Vpc);
    refused(
        Case::running().no_public(),
        std::slice::from_ref(&vpc),
        0,
        Rule::NoBandwidthForPublicIp,
    );
    refused(Case::running(), &[vpc], 0, Rule::AllocatedAlready);
    let rule = Rule::WrongPublicIpApi {
        network: NetworkType::Vpc,
        expected: PublicIpApi::NetworkSpec,
        got: PublicIpApi::AllocateAddress,
    };
    refused(
        Case::running().no_public(),
        &[bw(Some(5), None), alloc(NetworkType::Classic)],
        1,
        rule,
    );
}

#[test]
fn vpc_address_is_a_modification_and_classic_is_not() {
    let rule = Rule::InsideCooldown {
        since: Duration::ZERO,
        cooldown: COOLDOWN,
    };
    let steps = [bw(Some(5), None), alloc(NetworkType::Vpc)];
    refused(Case::running().no_public(), &steps, 1, rule);
    let classic = Case::stopped().classic().no_public();
    let steps = [
        Step::ModifyBandwidth {
            out: Some(5),
            inbound: None,
            api: BandwidthApi::InstanceSpec,
        },
        alloc(NetworkType::Classic),
        Start,
    ];
    let end = judge(&classic, &steps).expect("accepted");
    assert!(end.public_ip);
}
