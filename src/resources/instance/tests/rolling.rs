//! The executor's rolling-update hooks against the fake instance: a stop
//! for an update waits (running) for a `max_unavailable` slot; a stop the
//! user asked for takes none; the slot goes back when the update ends.

use super::fake::{FakeApi, FakeClock};
use crate::planner::Step;
use crate::resources::instance::api::{Clock, PollPolicy};
use crate::resources::instance::error::ApplyError;
use crate::resources::instance::execute::{Executor, Progress};
use crate::resources::instance::wait::Waiter;
use crate::resources::rolling::{Hold, Slots};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const T0: Duration = Duration::from_secs(1_700_000_000);

fn executor<'a>(api: &'a FakeApi, clock: &'a FakeClock, slots: &'a Slots) -> Executor<'a> {
    let timeout = Duration::from_secs(600);
    Executor {
        waiter: Waiter {
            api,
            clock,
            poll: PollPolicy::new(Duration::from_millis(200), Duration::from_secs(3)),
            deadline: clock.now() + timeout,
            operation: "update",
            limit: timeout,
        },
        id: "i-1",
        cooldown: Duration::from_secs(300),
        stopped_mode: None,
        rolling: Hold::new(slots),
    }
}

fn resize() -> Vec<Step> {
    vec![
        Step::Stop,
        Step::ModifyType {
            to: "ecs.g6.xlarge".into(),
        },
        Step::Start,
    ]
}

#[tokio::test(start_paused = true)]
async fn an_update_waits_running_for_a_slot_until_its_timeout() {
    let clock = FakeClock::at(T0);
    let api = FakeApi::new(
        clock.clone(),
        Duration::from_secs(300),
        Duration::from_secs(5),
    );
    let slots = Slots::new(Some(1), Duration::ZERO, CancellationToken::new());
    let other = slots.acquire(Duration::ZERO).await.unwrap(); // another instance is down
    let mut progress = Progress::default();
    let err = executor(&api, &clock, &slots)
        .run(&resize(), &mut progress)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApplyError::Timeout { what, .. } if what.contains("max_unavailable = 1")),
        "{err:?}"
    );
    assert!(
        api.journal().is_empty(),
        "never stopped: {:?}",
        api.journal()
    );
    assert_eq!(api.instance().status, "Running");
    drop(other);
    assert_eq!(slots.in_use(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_slot_goes_back_after_the_start_and_the_grace_period() {
    let clock = FakeClock::at(T0);
    let api = FakeApi::new(
        clock.clone(),
        Duration::from_secs(300),
        Duration::from_secs(5),
    );
    let slots = Slots::new(Some(1), Duration::from_secs(60), CancellationToken::new());
    let exec = executor(&api, &clock, &slots);
    let mut progress = Progress::default();
    exec.run(&resize(), &mut progress).await.unwrap();
    assert_eq!(api.instance().status, "Running");
    assert_eq!(slots.in_use(), 1, "running again, in its grace period");
    tokio::time::sleep(Duration::from_secs(61)).await;
    assert_eq!(slots.in_use(), 0, "given back after the grace period");
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_update_gives_the_slot_back_when_it_ends() {
    let clock = FakeClock::at(T0);
    let api = FakeApi::new(
        clock.clone(),
        Duration::from_secs(300),
        Duration::from_secs(5),
    );
    let slots = Slots::new(Some(1), Duration::from_secs(60), CancellationToken::new());
    {
        let exec = executor(&api, &clock, &slots);
        let mut progress = Progress::default();
        // Terraform's Stop arrives while we wait for Stopped.
        *clock.cancel_after.lock().unwrap() = Some(0);
        let err = exec.run(&resize(), &mut progress).await.unwrap_err();
        assert!(matches!(err, ApplyError::Cancelled), "{err:?}");
        assert_eq!(slots.in_use(), 1, "held while the update is still ending");
    }
    assert_eq!(slots.in_use(), 0, "no grace after a failure");
}

#[tokio::test(start_paused = true)]
async fn a_stop_the_user_asked_for_takes_no_slot() {
    let clock = FakeClock::at(T0);
    let api = FakeApi::new(
        clock.clone(),
        Duration::from_secs(300),
        Duration::from_secs(5),
    );
    let slots = Slots::new(Some(1), Duration::ZERO, CancellationToken::new());
    let _other = slots.acquire(Duration::ZERO).await.unwrap();
    let mut progress = Progress::default();
    let stop_and_change = &resize()[..2]; // status = "Stopped": no Start follows
    executor(&api, &clock, &slots)
        .run(stop_and_change, &mut progress)
        .await
        .unwrap();
    assert_eq!(api.instance().status, "Stopped");
}
