//! Golden texts for `summary` and `stop_warning`, one named case each.
use super::*;
use PowerState::{Running, Stopped};

/// (summary, stop warning) for a case planned with instance id "i-1".
fn texts(case: &Case) -> (String, Option<String>) {
    let steps = case.plan().expect("case has a plan");
    let summary = summary(&case.observed, &steps);
    let warning = stop_warning("i-1", &case.observed, &case.desired, &steps, NOW);
    (summary, warning)
}

macro_rules! text_cases {
    ($($name:ident: $case:expr => $summary:expr, $warning:expr;)*) => {$(
        #[test]
        fn $name() {
            let (summary, warning) = texts(&$case);
            assert_eq!(summary, $summary);
            assert_eq!(warning.as_deref(), $warning);
        }
    )*};
}

text_cases! {
    no_change: Case::running() => "no change", None;
    bandwidth_only_no_warning: Case::running().out(10).inbound(20)
        => "change internet_max_bandwidth_out 5 → 10 and internet_max_bandwidth_in 10 → 20", None;
    start_no_warning: Case::stopped().want(Running) => "start", None;
    type_on_running: Case::running().type_to(BIG)
        => "stop, change instance_type ecs.g6.large → ecs.g6.xlarge, start",
        Some("Applying this plan will stop i-1 to change instance_type ecs.g6.large → ecs.g6.xlarge, \
              then start it.");
    type_and_bandwidth: Case::running().type_to(BIG).out(10)
        => "stop, change instance_type ecs.g6.large → ecs.g6.xlarge, start, wait for the cooldown, \
            change internet_max_bandwidth_out 5 → 10",
        Some("Applying this plan will stop i-1 to change instance_type ecs.g6.large → ecs.g6.xlarge, \
              then start it. Sequence: stop, change instance_type ecs.g6.large → ecs.g6.xlarge, start, \
              wait up to 5m for the modification cooldown, change internet_max_bandwidth_out 5 → 10. \
              Cooldown waits happen while the instance runs.");
    cooldown_before_stop: Case::running().type_to(BIG).modified_ago(60)
        => "wait for the cooldown, stop, change instance_type ecs.g6.large → ecs.g6.xlarge, start",
        Some("Applying this plan will stop i-1 to change instance_type ecs.g6.large → ecs.g6.xlarge \
              once the cooldown since its last modification has passed (it keeps running meanwhile), \
              then start it. Sequence: wait up to 4m for the modification cooldown, stop, change instance_type ecs.g6.large → \
              ecs.g6.xlarge, start. Cooldown waits happen while the instance runs.");
    started_then_bounced: Case::stopped().type_to(BIG).modified_ago(60).want(Running)
        => "start, wait for the cooldown, stop, change instance_type ecs.g6.large → ecs.g6.xlarge, start",
        Some("Applying this plan will start i-1 now, then stop it to change instance_type ecs.g6.large → \
              ecs.g6.xlarge once the cooldown since its last modification has passed (it keeps running \
              meanwhile), then start it again. Sequence: start, wait up to 4m for the modification cooldown, stop, change \
              instance_type ecs.g6.large → ecs.g6.xlarge, start. Cooldown waits happen while the \
              instance runs.");
    stop_requested_with_changes: Case::running().type_to(BIG).out(10).want(Stopped)
        => "stop, change instance_type ecs.g6.large → ecs.g6.xlarge, wait for the cooldown, \
            change internet_max_bandwidth_out 5 → 10",
        Some("Applying this plan will stop i-1 because status = \"Stopped\", and change instance_type \
              ecs.g6.large → ecs.g6.xlarge and change internet_max_bandwidth_out 5 → 10 while it is \
              stopped; it stays stopped. Sequence: stop, change instance_type ecs.g6.large → \
              ecs.g6.xlarge, wait up to 5m for the modification cooldown, change internet_max_bandwidth_out 5 → 10.");
    stop_only: Case::running().want(Stopped)
        => "stop",
        Some("Applying this plan will stop i-1 because status = \"Stopped\"; it stays stopped.");
    stopped_stays_stopped_no_warning: Case::stopped().type_to(BIG)
        => "change instance_type ecs.g6.large → ecs.g6.xlarge", None;
    classic_zero_to_n_warns_of_the_stop: Case::running().classic().no_public().public_out(10)
        => "stop, change internet_max_bandwidth_out 0 → 10, allocate a public IP, start",
        Some("Applying this plan will stop i-1 to change internet_max_bandwidth_out 0 → 10 and \
              allocate a public IP, then start it.");
    one_window_for_type_and_classic_bandwidth: Case::running().classic().no_public().type_to(BIG).public_out(10)
        => "stop, change instance_type ecs.g6.large → ecs.g6.xlarge, wait for the cooldown, \
            change internet_max_bandwidth_out 0 → 10, allocate a public IP, start",
        Some("Applying this plan will stop i-1 to change instance_type ecs.g6.large → ecs.g6.xlarge \
              and change internet_max_bandwidth_out 0 → 10 and allocate a public IP, staying stopped \
              up to 5m for the modification cooldown between them (one stop per apply), then start \
              it. Sequence: stop, change instance_type ecs.g6.large → ecs.g6.xlarge, wait up to 5m \
              for the modification cooldown, change internet_max_bandwidth_out 0 → 10, allocate a \
              public IP, start.");
}

/// Over every combination: a warning exactly when a step stops the
/// instance, naming it, and naming the type change that causes the stop.
#[test]
fn warning_iff_stop() {
    for case in super::props::all_cases() {
        let Ok(steps) = case.plan() else { continue };
        let warning = stop_warning("i-42", &case.observed, &case.desired, &steps, NOW);
        assert_eq!(warning.is_some(), steps.contains(&Step::Stop), "{case:?}");
        let Some(warning) = warning else { continue };
        assert!(warning.contains("i-42"), "{warning}");
        if let Some(Step::ModifyType { to }) =
            steps.iter().find(|s| matches!(s, Step::ModifyType { .. }))
        {
            let change = format!("instance_type {} → {to}", case.observed.instance_type);
            assert!(warning.contains(&change), "{warning}");
        }
    }
}

/// A plan that waits without stopping says so, and for how long; plans that
/// stop carry the wait in their stop warning instead.
#[test]
fn a_wait_without_a_stop_gets_a_note_with_its_length() {
    let case = Case::running().out(10).modified_ago(10);
    let steps = case.plan().expect("plan");
    let note = wait_note("i-1", &case.observed, &steps, NOW).expect("a note");
    assert_eq!(
        note,
        "Applying this plan will make i-1 wait for the modification cooldown since its last \
         modification (the API refuses a second modification within the cooldown), without \
         stopping it. Sequence: wait up to 4m 50s for the modification cooldown, change \
         internet_max_bandwidth_out 5 → 10."
    );
    let stops = Case::running().type_to(BIG).out(10);
    let steps = stops.plan().expect("plan");
    assert_eq!(wait_note("i-1", &stops.observed, &steps, NOW), None);
    let no_wait = Case::running().out(10);
    let steps = no_wait.plan().expect("plan");
    assert_eq!(wait_note("i-1", &no_wait.observed, &steps, NOW), None);
}
