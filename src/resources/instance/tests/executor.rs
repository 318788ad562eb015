//! The step executor against the fake instance: the journal of calls, the
//! cooldown by the virtual clock, tokens, refusals and the Mismatch split.

use super::fake::{FakeApi, FakeClock};
use crate::planner::{self, BandwidthApi, Desired, Limits, PowerState, Step};
use crate::resources::instance::api::InstanceApi;
use crate::resources::instance::api::PollPolicy;
use crate::resources::instance::error::ApplyError;
use crate::resources::instance::execute::{Executor, Progress};
use crate::resources::instance::marker;
use crate::resources::instance::state;
use crate::resources::instance::wait::Waiter;
use std::sync::Arc;
use std::time::Duration;

const COOLDOWN: Duration = Duration::from_secs(300);
const TRANSITION: Duration = Duration::from_secs(20);
const T0: Duration = Duration::from_secs(1_700_000_000);

fn poll() -> PollPolicy {
    PollPolicy::new(Duration::from_millis(200), Duration::from_secs(3))
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

struct World {
    clock: Arc<FakeClock>,
    api: FakeApi,
}

impl World {
    fn new() -> World {
        let clock = FakeClock::at(T0);
        let api = FakeApi::new(clock.clone(), COOLDOWN, TRANSITION);
        World { clock, api }
    }

    fn executor(&self, timeout: Duration) -> Executor<'_> {
        Executor {
            waiter: Waiter {
                api: &self.api,
                clock: &*self.clock,
                poll: poll(),
                deadline: self.clock_now() + timeout,
                operation: "update",
                limit: timeout,
            },
            id: "i-1",
            cooldown: COOLDOWN,
            stopped_mode: None,
            rolling: Default::default(),
        }
    }

    fn clock_now(&self) -> Duration {
        use crate::resources::instance::api::Clock;
        self.clock.now()
    }

    /// Plans from the fake's current state like apply does, then runs.
    async fn plan_and_run(
        &self,
        desired: &Desired,
        known_last_modified: Option<Duration>,
    ) -> (Vec<Step>, Progress, Result<(), ApplyError>) {
        let observed = state::observed(&self.api.instance(), known_last_modified).unwrap();
        let limits = Limits {
            cooldown: COOLDOWN,
            allow_stopping: true,
            now: self.clock_now(),
        };
        let steps = planner::plan(&observed, desired, &limits).unwrap();
        let mut progress = Progress::new(known_last_modified);
        let result = self
            .executor(secs(20 * 60))
            .run(&steps, &mut progress)
            .await;
        (steps, progress, result)
    }
}

fn resize_and_bandwidth() -> Desired {
    Desired {
        status: Some(PowerState::Running),
        instance_type: Some("ecs.g6.xlarge".into()),
        bandwidth_out: Some(20),
        bandwidth_in: None,
        public_ip: true,
        attrs: Default::default(),
        type_direction: None,
    }
}

/// Time from the StopInstance call until the instance runs again.
fn downtime(world: &World) -> Duration {
    let j = world.api.journal();
    let stop = j.iter().find(|c| c.what == "StopInstance").unwrap().at;
    let start = j.iter().rfind(|c| c.what == "StartInstance").unwrap().at;
    start + TRANSITION - stop
}

#[tokio::test]
async fn type_and_bandwidth_change_as_two_calls_with_the_cooldown_while_running() {
    let w = World::new();
    let (_, progress, result) = w.plan_and_run(&resize_and_bandwidth(), None).await;
    result.unwrap();
    assert_eq!(
        w.api.done(),
        [
            "StopInstance",
            "ModifyInstanceSpec(type=ecs.g6.xlarge)",
            "StartInstance",
            "ModifyInstanceSpec(out=Some(20),in=None)",
        ]
    );
    // Nothing was refused: the wait happened before the call, by the clock.
    assert!(
        w.api.journal().iter().all(|c| c.ok),
        "{:?}",
        w.api.journal()
    );
    let inst = w.api.instance();
    assert_eq!(
        (inst.status.as_str(), inst.instance_type.as_str()),
        ("Running", "ecs.g6.xlarge")
    );
    assert_eq!(inst.internet_max_bandwidth_out, Some(20));
    // Down only for stop + modify + start, never for the cooldown; polling
    // adds at most one poll interval per transition.
    let down = downtime(&w);
    assert!(down < TRANSITION * 2 + poll().max * 2, "down for {down:?}");
    let j = w.api.journal();
    let tokens: Vec<_> = j.iter().filter_map(|c| c.token.clone()).collect();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1], "each modification gets its own token");
    assert_eq!(progress.last_modified, Some(j.last().unwrap().at));
    assert!(!progress.stopped_by_us);
}

#[tokio::test]
async fn a_modification_we_did_not_know_of_is_waited_out_with_the_same_token() {
    let w = World::new();
    // Someone modified the instance 10 s ago; our private state knows nothing.
    w.api.state.lock().unwrap().last_modified = Some(T0 - secs(10));
    let desired = Desired {
        bandwidth_out: Some(50),
        ..Desired::default()
    };
    let (_, _, result) = w.plan_and_run(&desired, None).await;
    result.unwrap();
    let modifies: Vec<_> = w
        .api
        .journal()
        .into_iter()
        .filter(|c| c.what.starts_with("ModifyInstanceSpec"))
        .collect();
    assert!(modifies.len() >= 2, "refused at least once: {modifies:?}");
    assert!(modifies[..modifies.len() - 1].iter().all(|c| !c.ok));
    let last = modifies.last().unwrap();
    assert!(last.ok);
    assert!(last.at >= T0 - secs(10) + COOLDOWN);
    assert!(
        modifies.iter().all(|c| c.token == modifies[0].token),
        "retries reuse the step's token"
    );
}

#[tokio::test]
async fn a_refusal_in_the_wrong_status_is_not_retried() {
    let w = World::new();
    let mut progress = Progress::default();
    // A type change sent while Running (as if the instance were started
    // behind our back): the API's refusal is the answer.
    let steps = [Step::ModifyType {
        to: "ecs.g6.xlarge".into(),
    }];
    let err = w
        .executor(secs(600))
        .run(&steps, &mut progress)
        .await
        .unwrap_err();
    match err {
        ApplyError::NotCooldown { error, status, .. } => {
            assert_eq!(error.code, "InvalidInstanceStatus.NotStopped");
            assert_eq!(status, "Running");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(w.api.journal().len(), 1);
    assert!(progress.done.is_empty());
}

#[tokio::test]
async fn mismatch_falls_back_to_two_calls_a_cooldown_apart() {
    let mut w = World::new();
    w.api.strict_bandwidth = true;
    let desired = Desired {
        bandwidth_out: Some(30),
        bandwidth_in: Some(100),
        ..Desired::default()
    };
    let (steps, progress, result) = w.plan_and_run(&desired, None).await;
    result.unwrap();
    assert_eq!(steps.len(), 1, "planned as one modification: {steps:?}");
    let j = w.api.journal();
    let what: Vec<_> = j.iter().map(|c| (c.what.as_str(), c.ok)).collect();
    assert_eq!(
        what,
        [
            ("ModifyInstanceSpec(out=Some(30),in=Some(100))", false),
            ("ModifyInstanceSpec(out=Some(30),in=None)", true),
            ("ModifyInstanceSpec(out=None,in=Some(100))", true),
        ]
    );
    assert!(j[2].at - j[1].at >= COOLDOWN);
    assert_ne!(
        j[1].token, j[2].token,
        "different parameters, different tokens"
    );
    assert_eq!(
        progress.done,
        [
            Step::ModifyBandwidth {
                out: Some(30),
                inbound: None,
                api: BandwidthApi::InstanceSpec
            },
            Step::ModifyBandwidth {
                out: None,
                inbound: Some(100),
                api: BandwidthApi::InstanceSpec
            },
        ]
    );
}

#[tokio::test]
async fn refusals_past_the_update_timeout_end_in_a_clear_error() {
    let w = World::new();
    w.api.state.lock().unwrap().last_modified = Some(T0);
    let mut progress = Progress::default();
    let steps = [Step::ModifyBandwidth {
        out: Some(5),
        inbound: None,
        api: BandwidthApi::InstanceSpec,
    }];
    let err = w
        .executor(secs(60))
        .run(&steps, &mut progress)
        .await
        .unwrap_err();
    let ApplyError::StillRefused { attempts, .. } = &err else {
        panic!("unexpected {err:?}")
    };
    assert!(*attempts > 1);
    assert!(err.to_string().contains("Raise timeouts.update"), "{err}");
    assert!(
        w.clock_now() <= T0 + secs(60),
        "never sleeps past the deadline"
    );
}

#[tokio::test]
async fn a_wait_step_also_honours_our_real_last_modification() {
    let w = World::new();
    let mut progress = Progress::new(Some(T0 + secs(100)));
    // The planner's `until` is earlier than our last modification + cooldown.
    let steps = [
        Step::WaitUntil {
            until: T0 + secs(50),
        },
        Step::ModifyBandwidth {
            out: Some(5),
            inbound: None,
            api: BandwidthApi::InstanceSpec,
        },
    ];
    w.executor(secs(1200))
        .run(&steps, &mut progress)
        .await
        .unwrap();
    let call = &w.api.journal()[0];
    assert!(call.ok);
    assert!(call.at >= T0 + secs(100) + COOLDOWN, "{:?}", call.at);
}

#[tokio::test]
async fn a_stop_is_ours_as_soon_as_it_is_accepted_and_cancel_ends_waits() {
    let w = World::new();
    *w.clock.cancel_after.lock().unwrap() = Some(0);
    let mut progress = Progress::default();
    let err = w
        .executor(secs(600))
        .run(&[Step::Stop, Step::Start], &mut progress)
        .await
        .unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    // The marker went on before the stop; the wait for Stopped was cut
    // short, but the stop is ours already: it must be undone.
    assert_eq!(w.api.all_done(), ["TagResources", "StopInstance"]);
    assert!(
        progress.stopped_by_us,
        "recorded when StopInstance was accepted"
    );
    assert_eq!(progress.done, [Step::Stop]);
    assert!(marker::stopped_by_us(&w.api.instance(), None));
}

#[tokio::test]
async fn the_marker_lives_from_before_the_stop_until_the_start_is_accepted() {
    let w = World::new();
    let (_, progress, result) = w.plan_and_run(&resize_and_bandwidth(), None).await;
    result.unwrap();
    assert_eq!(
        w.api.all_done(),
        [
            "TagResources",
            "StopInstance",
            "ModifyInstanceSpec(type=ecs.g6.xlarge)",
            "StartInstance",
            "UntagResources",
            "ModifyInstanceSpec(out=Some(20),in=None)",
        ]
    );
    assert!(!progress.marked);
    assert!(!marker::carried_by(&w.api.instance()));
}

#[tokio::test]
async fn a_stop_for_good_carries_no_marker() {
    let w = World::new();
    let desired = Desired {
        status: Some(PowerState::Stopped),
        instance_type: Some("ecs.g6.xlarge".into()),
        ..Desired::default()
    };
    let (_, _, result) = w.plan_and_run(&desired, None).await;
    result.unwrap();
    assert_eq!(
        w.api.all_done(),
        ["StopInstance", "ModifyInstanceSpec(type=ecs.g6.xlarge)"]
    );
    assert!(!marker::carried_by(&w.api.instance()));
}

#[tokio::test]
async fn a_start_finds_an_instance_still_stopping_and_waits_for_it() {
    let w = World::new();
    // An interrupted apply's stop, still in progress.
    w.api.stop("i-1", None).await.unwrap();
    assert_eq!(w.api.instance().status, "Stopping");
    let mut progress = Progress::default();
    w.executor(secs(600))
        .run(&[Step::Start], &mut progress)
        .await
        .unwrap();
    assert_eq!(w.api.instance().status, "Running");
    let refused: Vec<_> = w.api.journal().into_iter().filter(|c| !c.ok).collect();
    assert_eq!(
        refused.len(),
        1,
        "one refused start, then one after Stopped: {refused:?}"
    );
}

#[tokio::test]
async fn a_vanished_instance_is_reported_as_gone() {
    let w = World::new();
    w.api.state.lock().unwrap().inst.instance_id = "i-other".into();
    let mut progress = Progress::default();
    let err = w
        .executor(secs(600))
        .run(&[Step::Stop], &mut progress)
        .await
        .unwrap_err();
    assert!(matches!(err, ApplyError::Gone { .. }), "{err:?}");
}

#[tokio::test]
async fn a_stopped_instance_keeps_stopped_and_is_never_started() {
    let w = World::new();
    w.api.state.lock().unwrap().inst.status = "Stopped".into();
    let desired = Desired {
        instance_type: Some("ecs.g6.xlarge".into()),
        ..Desired::default()
    };
    let (_, _, result) = w.plan_and_run(&desired, None).await;
    result.unwrap();
    assert_eq!(w.api.done(), ["ModifyInstanceSpec(type=ecs.g6.xlarge)"]);
    assert_eq!(w.api.instance().status, "Stopped");
}

/// The sample instance (classic) with no outbound bandwidth and no address.
fn without_public_ip(w: &World) {
    let mut s = w.api.state.lock().unwrap();
    s.inst.internet_max_bandwidth_out = Some(0);
    s.inst.public_ips.clear();
}

#[tokio::test]
async fn a_refusal_that_is_not_the_cooldown_fails_at_once() {
    let w = World::new();
    without_public_ip(&w);
    // A stale sequence: a classic bandwidth rise from 0 sent while it runs.
    let steps = [Step::ModifyBandwidth {
        out: Some(10),
        inbound: None,
        api: BandwidthApi::InstanceSpec,
    }];
    let mut progress = Progress::new(None);
    let err = w
        .executor(secs(20 * 60))
        .run(&steps, &mut progress)
        .await
        .unwrap_err();
    assert!(matches!(err, ApplyError::NotCooldown { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("not the modification cooldown"), "{text}");
    assert!(
        text.contains("needs the instance Stopped, and it is Running"),
        "{text}"
    );
    assert_eq!(w.api.journal().len(), 1, "one attempt, no retries");
    assert_eq!(w.clock_now(), T0, "no time spent waiting");
    assert!(progress.done.is_empty());
}

#[tokio::test]
async fn classic_bandwidth_from_zero_is_a_stop_raise_allocate_start() {
    let w = World::new();
    without_public_ip(&w);
    let desired = Desired {
        bandwidth_out: Some(10),
        public_ip: true,
        ..Desired::default()
    };
    let (steps, progress, result) = w.plan_and_run(&desired, None).await;
    result.unwrap();
    assert_eq!(
        w.api.done(),
        [
            "StopInstance",
            "ModifyInstanceSpec(out=Some(10),in=None)",
            "AllocatePublicIpAddress",
            "StartInstance"
        ]
    );
    assert_eq!(progress.done, steps);
    let inst = w.api.instance();
    assert_eq!(
        (inst.status.as_str(), inst.public_ips.len()),
        ("Running", 1)
    );
}

#[tokio::test]
async fn an_address_that_is_already_there_counts_as_allocated() {
    let w = World::new();
    // A lost answer: the address came, the retry meets AllocatedAlready.
    let step = Step::AllocatePublicIp {
        api: planner::PublicIpApi::AllocateAddress,
    };
    let mut progress = Progress::new(None);
    w.executor(secs(60))
        .run(std::slice::from_ref(&step), &mut progress)
        .await
        .unwrap();
    assert_eq!(progress.done, [step]);
    assert_eq!(progress.last_modified, None, "not a modification");
}

#[tokio::test]
async fn a_vpc_address_waits_out_the_bandwidth_change_before_it() {
    let w = World::new();
    without_public_ip(&w);
    w.api.state.lock().unwrap().inst.instance_network_type = "vpc".into();
    let desired = Desired {
        bandwidth_out: Some(10),
        public_ip: true,
        ..Desired::default()
    };
    let (_, _, result) = w.plan_and_run(&desired, None).await;
    result.unwrap();
    let calls: Vec<_> = w.api.journal().into_iter().filter(|c| c.ok).collect();
    assert_eq!(
        calls.iter().map(|c| c.what.as_str()).collect::<Vec<_>>(),
        [
            "ModifyInstanceNetworkSpec(out=Some(10),in=None)",
            "ModifyInstanceNetworkSpec(AllocatePublicIp)"
        ]
    );
    assert!(calls[1].at >= calls[0].at + COOLDOWN);
    assert_eq!(w.api.instance().public_ips.len(), 1);
}

#[test]
fn refusal_retries_wait_seconds_not_milliseconds() {
    use crate::resources::instance::execute::{refusal_retry_delay, MIN_REFUSAL_RETRY};
    let delays: Vec<u64> = (1..=6)
        .map(|n| refusal_retry_delay(secs(1), n).as_secs())
        .collect();
    assert_eq!(delays, [2, 4, 8, 16, 30, 30]);
    assert_eq!(
        refusal_retry_delay(Duration::from_millis(10), 1),
        MIN_REFUSAL_RETRY
    );
    assert_eq!(refusal_retry_delay(COOLDOWN, 1), secs(15));
}

/// `modification_cooldown` = 1 s against an API that wants 300 s: the
/// refusals are retried seconds apart (not every 250 ms) and counted, so
/// that apply can say the setting looks too short.
#[tokio::test]
async fn a_too_short_cooldown_setting_retries_sparingly_and_is_noticed() {
    let w = World::new();
    w.api.state.lock().unwrap().last_modified = Some(T0);
    let mut progress = Progress::new(Some(T0));
    let mut executor = w.executor(secs(20 * 60));
    executor.cooldown = secs(1);
    let steps = [Step::ModifyBandwidth {
        out: Some(50),
        inbound: None,
        api: BandwidthApi::InstanceSpec,
    }];
    executor.run(&steps, &mut progress).await.unwrap();
    let modifies: Vec<_> = w
        .api
        .journal()
        .into_iter()
        .filter(|c| c.what.starts_with("ModifyInstanceSpec"))
        .collect();
    assert!(modifies.last().unwrap().ok);
    let refused = modifies.len() - 1;
    assert!(
        (2..=16).contains(&refused),
        "{refused} refused attempts in 300 s"
    );
    assert!(
        modifies.windows(2).all(|p| p[1].at - p[0].at >= secs(2)),
        "attempts at least 2 s apart"
    );
    assert_eq!(progress.refused_after_cooldown as usize, refused);
}

/// Runs one Reboot against a fake whose first `stale` reads after
/// RebootInstance still show the instance as it was before it (Running);
/// returns the instance's status when the step ended and how long it took.
async fn reboot_with_stale_reads(stale: u32) -> (String, Duration, Vec<String>) {
    let mut w = World::new();
    w.api.stale_reads_after_reboot = stale;
    let mut progress = Progress::new(None);
    let started = w.clock_now();
    w.executor(secs(20 * 60))
        .run(&[Step::Reboot], &mut progress)
        .await
        .unwrap();
    let took = w.clock_now() - started;
    (w.api.instance().status, took, w.api.done())
}

/// A read in flight (or batched) when RebootInstance answered still says
/// Running: it must not end the wait, or the rolling slot is released while
/// the instance is still Starting and later steps meet it Starting.
#[tokio::test]
async fn a_stale_running_read_after_the_reboot_does_not_end_the_wait() {
    for stale in [1, 3] {
        let (status, took, done) = reboot_with_stale_reads(stale).await;
        assert_eq!(done, ["RebootInstance"], "one reboot, nothing else");
        assert_eq!(
            status, "Running",
            "{stale} stale reads: ended while {status}"
        );
        assert!(
            took >= TRANSITION,
            "{stale} stale reads: waited only {took:?}"
        );
    }
}

/// Without stale reads the wait ends once the reboot is over, not later.
#[tokio::test]
async fn the_reboot_wait_ends_soon_after_the_instance_is_running() {
    let (status, took, _) = reboot_with_stale_reads(0).await;
    assert_eq!(status, "Running");
    assert!(
        took >= TRANSITION && took <= TRANSITION + secs(4),
        "{took:?}"
    );
}

/// A `StartTime` other than the one read before the reboot is evidence
/// too: a reboot shorter than a poll is not waited on until the timeout.
#[tokio::test]
async fn a_new_start_time_counts_as_the_reboot_having_happened() {
    let clock = FakeClock::at(T0);
    let mut api = FakeApi::new(clock.clone(), COOLDOWN, Duration::from_millis(1));
    api.stale_reads_after_reboot = 1;
    api.state.lock().unwrap().inst.start_time = "2026-12-04T22:00Z".into();
    let w = World { clock, api };
    let before = w.api.instance().start_time;
    let mut progress = Progress::new(None);
    w.executor(secs(60))
        .run(&[Step::Reboot], &mut progress)
        .await
        .unwrap();
    assert_ne!(w.api.instance().start_time, before);
    assert!(
        w.clock_now() - T0 < secs(10),
        "ended by the new start time, not the timeout"
    );
}
