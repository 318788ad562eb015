//! Every subset of the changes the planner knows, on a VPC instance that
//! has every attribute: at most one stop window (or one restart), one
//! modification per ModifyInstanceSpec call, one ModifyInstanceAttribute
//! carrying all its attributes, no VPC-attribute change outside a window,
//! the no-stop calls before the stop, and the judge's end state equal to the
//! desired one (through [`check_invariants`]).
use std::collections::{BTreeMap, BTreeSet};

use super::*;
use PowerState::{Running, Stopped};

fn set(items: &[&str]) -> Val {
    Val::Set(items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>())
}

fn map(items: &[(&str, &str)]) -> Val {
    Val::Map(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn secret(s: &str) -> Val {
    Val::Secret(Sensitive(s.into()))
}

/// An instance with a value for every attribute.
pub fn full(status: PowerState) -> Case {
    let mut case = Case::new(status);
    case.observed.attrs = [
        (Attr::Tags, map(&[("env", "dev")])),
        (Attr::SecurityGroups, set(&["sg-1"])),
        (Attr::InstanceName, Val::text("web")),
        (Attr::Description, Val::text("web server")),
        (Attr::DeletionProtection, Val::Flag(false)),
        (Attr::HostName, Val::text("web-1")),
        (Attr::Password, secret("Old-pass-1")),
        (Attr::UserData, Val::text("#!/bin/sh\necho 1")),
        (Attr::KeyPair, Val::text("key-1")),
        (Attr::VSwitch, Val::text("vsw-1")),
        (Attr::PrivateIp, Val::text("10.0.0.5")),
        (Attr::Image, Val::text("ubuntu_22")),
        (Attr::SystemDiskSize, Val::Size(40)),
    ]
    .into_iter()
    .collect();
    case
}

/// One change per attribute (bandwidth out and in together: one call).
#[derive(Clone, Copy, Debug)]
enum Change {
    Type,
    Bandwidth,
    Attr(Attr),
}

fn changes() -> Vec<Change> {
    let mut v = vec![Change::Type, Change::Bandwidth];
    v.extend(
        Attr::all()
            .filter(|a| {
                // Auto-renewal exists on subscriptions only, where the type
                // and bandwidth do not change here: its own test below.
                !matches!(
                    a,
                    Attr::InstanceType
                        | Attr::BandwidthOut
                        | Attr::BandwidthIn
                        | Attr::AutoRenew
                        | Attr::AutoRenewPeriod
                )
            })
            .map(Change::Attr),
    );
    v
}

fn apply(case: &mut Case, change: Change) {
    let d = &mut case.desired;
    match change {
        Change::Type => d.instance_type = Some(BIG.into()),
        Change::Bandwidth => {
            d.bandwidth_out = Some(10);
            d.bandwidth_in = Some(20);
        }
        Change::Attr(attr) => {
            let v = match attr {
                Attr::Tags => map(&[("env", "prod"), ("team", "web")]),
                Attr::SecurityGroups => set(&["sg-2", "sg-3"]),
                Attr::InstanceName => Val::text("web-new"),
                Attr::Description => Val::text("new"),
                Attr::DeletionProtection => Val::Flag(true),
                Attr::HostName => Val::text("web-2"),
                Attr::Password => secret("New-pass-2"),
                Attr::UserData => Val::text("#!/bin/sh\necho 2"),
                Attr::KeyPair => Val::text("key-2"),
                Attr::VSwitch => Val::text("vsw-2"),
                Attr::PrivateIp => Val::text("10.0.1.5"),
                Attr::Image => Val::text("ubuntu_24"),
                Attr::SystemDiskSize => Val::Size(60),
                Attr::AutoRenew => Val::Flag(true),
                Attr::AutoRenewPeriod => Val::Term {
                    n: 3,
                    unit: "Month".into(),
                },
                Attr::InstanceType | Attr::BandwidthOut | Attr::BandwidthIn => unreachable!(),
            };
            d.attrs.insert(attr, v);
        }
    }
}

/// The class of a change, from the table.
fn class(change: Change) -> StopClass {
    match change {
        Change::Type => StopClass::Stopped,
        Change::Bandwidth => StopClass::NoStop,
        Change::Attr(a) => a.row().stop,
    }
}

/// The checks beyond [`check_invariants`] that concern the other calls.
fn check_calls(case: &Case, chosen: &[Change], steps: &[Step]) {
    let ctx = format!("\nchanges {chosen:?}\ncase {case:?}\nsteps {steps:?}");
    let calls = |call: Call| -> Vec<&Settings> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Call { call: c, set } if *c == call => Some(set),
                _ => None,
            })
            .collect()
    };
    // One call of each kind at most: one ModifyInstanceAttribute for all
    // its attributes, one ModifyInstanceVpcAttribute per window, ...
    for call in [
        Call::Tags,
        Call::Attribute,
        Call::KeyPair,
        Call::Vpc,
        Call::ReplaceSystemDisk,
        Call::ResizeDisk,
    ] {
        assert!(calls(call).len() <= 1, "two {call:?} calls{ctx}");
    }
    let image = chosen
        .iter()
        .any(|c| matches!(c, Change::Attr(Attr::Image)));
    for change in chosen {
        let Change::Attr(attr) = change else { continue };
        let carried_by_disk =
            image && matches!(attr, Attr::Password | Attr::KeyPair | Attr::SystemDiskSize);
        let call = if carried_by_disk {
            Call::ReplaceSystemDisk
        } else {
            attr.call()
        };
        let sets = calls(call);
        assert!(
            sets.first().is_some_and(|s| s.contains_key(attr)),
            "{attr:?} not in its {call:?} call{ctx}"
        );
    }
    let ends_running = case.desired.end_status(&case.observed) == Running;
    let up_and_stays = case.observed.status == Running && ends_running;
    let worst = chosen.iter().map(|c| class(*c)).max();
    let stops = steps.iter().filter(|s| **s == Step::Stop).count();
    let reboots = steps.iter().filter(|s| **s == Step::Reboot).count();
    if up_and_stays {
        // Exactly the disruption the changes need, and one at most.
        let expected = match worst {
            Some(StopClass::Stopped) => (1, 0),
            Some(StopClass::Restart) => (0, 1),
            _ => (0, 0),
        };
        assert_eq!((stops, reboots), expected, "stops, reboots{ctx}");
    }
    // No-stop calls come before any stop or reboot.
    if let Some(down) = steps
        .iter()
        .position(|s| matches!(s, Step::Stop | Step::Reboot))
    {
        for s in &steps[down..] {
            if let Step::Call { call, set } = s {
                let needs_stop = matches!(call, Call::Vpc | Call::ReplaceSystemDisk)
                    || set.keys().any(|a| a.row().stop == StopClass::Stopped);
                assert!(needs_stop, "{call:?} after the stop{ctx}");
            }
        }
    }
    // A plan that stops or restarts an instance that runs says so, naming
    // every attribute that causes it.
    let warning = stop_warning("i-1", &case.observed, &case.desired, steps, NOW);
    assert_eq!(
        warning.is_some(),
        stops + reboots > 0,
        "warning {warning:?}{ctx}"
    );
    if let (Some(w), true) = (&warning, ends_running) {
        for change in chosen {
            let (name, c) = match change {
                Change::Type => ("instance_type", StopClass::Stopped),
                Change::Attr(a) => (a.name(), class(*change)),
                _ => continue,
            };
            if c != StopClass::NoStop {
                assert!(w.contains(name), "warning does not name {name}: {w}{ctx}");
            }
        }
    }
}

/// The situations the subsets are planned in: every subset in the first,
/// and each in one of the others, in turn.
fn contexts() -> Vec<Case> {
    vec![
        full(Running),
        full(Running).want(Stopped),
        full(Stopped).want(Running),
        full(Stopped),
        full(Running).no_stopping(),
        full(Running).modified_ago(60),
    ]
}

#[test]
fn every_subset_of_the_changes_keeps_the_invariants() {
    let all = changes();
    assert_eq!(all.len(), 15);
    let contexts = contexts();
    let (mut planned, mut refused) = (0usize, 0usize);
    for mask in 0u32..(1 << all.len()) {
        let chosen: Vec<Change> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, c)| *c)
            .collect();
        let other = 1 + mask as usize % (contexts.len() - 1);
        for base in [&contexts[0], &contexts[other]] {
            let mut case = base.clone();
            for c in &chosen {
                apply(&mut case, *c);
            }
            match check_invariants(&case.observed, &case.desired, &case.limits) {
                Ok(steps) => {
                    planned += 1;
                    check_calls(&case, &chosen, &steps);
                }
                Err(e) => {
                    refused += 1;
                    // Only a stop or restart that may not happen is refused.
                    assert!(
                        !case.limits.allow_stopping
                            && chosen.iter().any(|c| class(*c) != StopClass::NoStop),
                        "{e}: {chosen:?}"
                    );
                }
            }
        }
    }
    assert!(planned > 55_000 && refused > 5_000, "{planned} {refused}");
}

/// The names of the stop classes as the tests expect them, so a change of
/// the table shows here too.
#[test]
fn the_table_classifies_as_the_issue_says() {
    let class = |names: &[&str]| -> Vec<StopClass> {
        names
            .iter()
            .map(|n| TABLE.iter().find(|r| r.name == *n).expect(n).stop)
            .collect()
    };
    let no_stop = [
        "tags",
        "security_group_ids",
        "instance_name",
        "description",
        "deletion_protection",
        "internet_max_bandwidth_out",
        "internet_max_bandwidth_in",
        "system_disk_size",
        "auto_renew",
        "auto_renew_period",
    ];
    assert!(class(&no_stop).iter().all(|c| *c == StopClass::NoStop));
    let restart = ["host_name", "password", "key_name"];
    assert!(class(&restart).iter().all(|c| *c == StopClass::Restart));
    let stopped = [
        "instance_type",
        "vswitch_id",
        "private_ip",
        "image_id",
        "user_data",
    ];
    assert!(class(&stopped).iter().all(|c| *c == StopClass::Stopped));
}

/// A subscription's renewal setting changes in one
/// ModifyInstanceAutoRenewAttribute with both values, while it runs and
/// before any stop; on a pay-as-you-go instance it is refused at plan.
#[test]
fn auto_renewal_is_one_no_stop_call_on_subscriptions_only() {
    let term = Val::Term {
        n: 3,
        unit: "Month".into(),
    };
    let mut case = full(Running).prepaid();
    case.desired.attrs.insert(Attr::AutoRenew, Val::Flag(true));
    case.desired
        .attrs
        .insert(Attr::AutoRenewPeriod, term.clone());
    case.desired
        .attrs
        .insert(Attr::UserData, Val::text("#!/bin/sh\necho 2"));
    let steps = check_invariants(&case.observed, &case.desired, &case.limits).unwrap();
    let renew: Vec<(usize, &Settings)> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Step::Call {
                call: Call::AutoRenew,
                set,
            } => Some((i, set)),
            _ => None,
        })
        .collect();
    assert_eq!(renew.len(), 1, "{steps:?}");
    let (at, set) = renew[0];
    assert_eq!(set.get(&Attr::AutoRenew), Some(&Val::Flag(true)));
    assert_eq!(set.get(&Attr::AutoRenewPeriod), Some(&term));
    let stop = steps.iter().position(|s| *s == Step::Stop).unwrap();
    assert!(at < stop, "{steps:?}");
    // Alone: no stop, no reboot.
    let mut alone = full(Running).prepaid();
    alone
        .desired
        .attrs
        .insert(Attr::AutoRenew, Val::Flag(false));
    let steps = check_invariants(&alone.observed, &alone.desired, &alone.limits).unwrap();
    assert!(
        !steps.iter().any(|s| matches!(s, Step::Stop | Step::Reboot)),
        "{steps:?}"
    );
    // Pay-as-you-go: refused, naming the attribute.
    let mut postpaid = full(Running);
    postpaid
        .desired
        .attrs
        .insert(Attr::AutoRenew, Val::Flag(true));
    let e = check_invariants(&postpaid.observed, &postpaid.desired, &postpaid.limits).unwrap_err();
    assert_eq!(e.attribute(), "auto_renew", "{e}");
}

/// A subscription's type order carries our pending-type tag until the
/// restart, so it needs room among ECS's 20 tags, as the stop marker does,
/// and both at once when a downgrade's stop window holds the order. An
/// upgrade is ordered before the apply's tags call: the tags it has then
/// count.
#[test]
fn a_subscription_order_needs_room_for_the_pending_type_tag() {
    let tags = |n: usize| {
        Val::Map(
            (0..n)
                .map(|i| (format!("k{i}"), "v".to_string()))
                .collect::<BTreeMap<_, _>>(),
        )
    };
    let with = |mut case: Case, n: usize| {
        case.observed.attrs.insert(Attr::Tags, tags(n));
        case
    };
    let upgrade = || Case::running().prepaid().upgrade_to(BIG);
    let downgrade = || Case::running().prepaid().downgrade_to(TINY);
    let room = |case: &Case| check_invariants(&case.observed, &case.desired, &case.limits);
    // An upgrade restarted by a reboot: only the pending tag.
    assert!(room(&with(upgrade(), 19)).is_ok());
    assert!(matches!(
        room(&with(upgrade(), 20)),
        Err(PlanError::NoRoomForPendingTag { tags: 20, .. })
    ));
    // Removing a tag in the same apply does not help an upgrade: it is
    // ordered first.
    assert!(matches!(
        room(&with(upgrade(), 20).set(Attr::Tags, tags(19))),
        Err(PlanError::NoRoomForPendingTag { tags: 20, .. })
    ));
    // A downgrade is ordered in the stop window: the marker and the pending
    // tag at once, counted after the tags call.
    assert!(room(&with(downgrade(), 18)).is_ok());
    assert!(matches!(
        room(&with(downgrade(), 19)),
        Err(PlanError::NoRoomForPendingTag { tags: 19, .. })
    ));
    assert!(room(&with(downgrade(), 19).set(Attr::Tags, tags(18))).is_ok());
    // An upgrade whose restart is a stop window (user data rides in it):
    // the pending tag is on when the marker goes on.
    let windowed = |n| with(upgrade(), n).set(Attr::UserData, Val::text("x"));
    assert!(room(&windowed(18)).is_ok());
    assert!(matches!(
        room(&windowed(19)),
        Err(PlanError::NoRoomForMarker { tags: 20, .. })
    ));
}
