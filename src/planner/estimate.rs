//! Plan-time estimates: how long an instance will be down and when its
//! changes will be done, from transitions seen before, with the source of
//! every figure.
//!
//! Pure: the caller passes what was observed (this instance's last few stop
//! and start durations and its creation, kept in private state; other
//! instances of the same type seen in this run), the planned steps and
//! `now`; [`estimate`] returns the figures and where each came from. An
//! estimate only adds words to a warning: it never changes a step.
//!
//! Where a figure comes from, best first ([`Source`]):
//! 1. this instance's own stops / starts in earlier applies (the mean of the
//!    last [`KEEP`]);
//! 2. for a start, this instance's creation (Pending → Running);
//! 3. other instances of the same type observed in this run;
//! 4. otherwise an assumption, said to be one ([`ASSUMED_STOP`],
//!    [`ASSUMED_START`]): ECS publishes no typical transition times, so
//!    nothing may look measured that is not.

use super::model::Step;
use std::time::Duration;

/// Observations kept per instance and kind (the newest last).
pub const KEEP: usize = 5;
/// Assumed stop time when nothing was observed.
pub const ASSUMED_STOP: Duration = Duration::from_secs(30);
/// Assumed start time when nothing was observed.
pub const ASSUMED_START: Duration = Duration::from_secs(60);

/// Transitions seen on one instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// From StopInstance accepted to Stopped seen, newest last.
    pub stops: Vec<Duration>,
    /// From StartInstance accepted to Running seen, newest last.
    pub starts: Vec<Duration>,
    /// From creation to Running seen.
    pub create: Option<Duration>,
}

impl Observed {
    /// Adds a stop and/or start, keeping the newest [`KEEP`] of each.
    pub fn record(&mut self, stop: Option<Duration>, start: Option<Duration>) {
        for (list, d) in [(&mut self.stops, stop), (&mut self.starts, start)] {
            if let Some(d) = d {
                list.push(d);
                let excess = list.len().saturating_sub(KEEP);
                list.drain(..excess);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.stops.is_empty() && self.starts.is_empty() && self.create.is_none()
    }
}

/// Where a figure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// This instance's own transitions in earlier applies.
    ThisInstance,
    /// This instance's creation (Pending → Running), for a start.
    Creation,
    /// Other instances of the same type observed in this run.
    SameType { instances: usize },
    /// Nothing observed: [`ASSUMED_STOP`] / [`ASSUMED_START`].
    Assumed,
}

/// One figure and its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figure {
    pub value: Duration,
    pub source: Source,
}

/// What the caller knows besides the steps.
#[derive(Clone, Debug, Default)]
pub struct History<'a> {
    pub this: Observed,
    /// Other instances of the same type seen in this run.
    pub peers: Vec<Observed>,
    /// The instance's type now (for the wording).
    pub instance_type: &'a str,
    /// `max_unavailable`, when the stop is part of a rolling update.
    pub rolling_cap: Option<usize>,
}

/// The figures of one plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub stop: Figure,
    pub start: Figure,
    /// Time down: each stop up to its start (a plan that leaves it stopped
    /// counts the stop only, see `stays_stopped`).
    pub down: Duration,
    /// From the start of the apply until the last step is done.
    pub done_in: Duration,
    /// The part of `done_in` spent waiting for the modification cooldown.
    pub cooldown_wait: Duration,
    pub stays_stopped: bool,
    /// A RebootInstance with no stop: down for about a start.
    pub reboot_only: bool,
    pub rolling_cap: Option<usize>,
}

fn mean(ds: &[Duration]) -> Option<Duration> {
    let n = u32::try_from(ds.len()).ok().filter(|n| *n > 0)?;
    Some(ds.iter().sum::<Duration>() / n)
}

fn from_peers(peers: &[Observed], pick: impl Fn(&Observed) -> Vec<Duration>) -> Option<Figure> {
    let seen: Vec<Vec<Duration>> = peers.iter().map(&pick).filter(|v| !v.is_empty()).collect();
    let all: Vec<Duration> = seen.iter().flatten().copied().collect();
    mean(&all).map(|value| Figure {
        value,
        source: Source::SameType {
            instances: seen.len(),
        },
    })
}

fn stop_figure(h: &History<'_>) -> Figure {
    mean(&h.this.stops)
        .map(|value| Figure {
            value,
            source: Source::ThisInstance,
        })
        .or_else(|| from_peers(&h.peers, |o| o.stops.clone()))
        .unwrap_or(Figure {
            value: ASSUMED_STOP,
            source: Source::Assumed,
        })
}

fn start_figure(h: &History<'_>) -> Figure {
    mean(&h.this.starts)
        .map(|value| Figure {
            value,
            source: Source::ThisInstance,
        })
        .or_else(|| {
            h.this.create.map(|value| Figure {
                value,
                source: Source::Creation,
            })
        })
        .or_else(|| from_peers(&h.peers, |o| o.starts.clone()))
        .or_else(|| from_peers(&h.peers, |o| o.create.into_iter().collect()))
        .unwrap_or(Figure {
            value: ASSUMED_START,
            source: Source::Assumed,
        })
}

/// The estimate for `steps` (planned at `now`, on the epoch of
/// [`Step::WaitUntil`]); `None` when they stop nothing.
pub fn estimate(steps: &[Step], now: Duration, h: &History<'_>) -> Option<Estimate> {
    if !steps.iter().any(|s| matches!(s, Step::Stop | Step::Reboot)) {
        return None;
    }
    let (stop, start) = (stop_figure(h), start_figure(h));
    let (mut t, mut cooldown_wait, mut down) = (now, Duration::ZERO, Duration::ZERO);
    let mut down_since = None;
    for step in steps {
        match step {
            Step::WaitUntil { until } => {
                cooldown_wait += until.saturating_sub(t);
                t = t.max(*until);
            }
            Step::Stop => {
                down_since = Some(t);
                t += stop.value;
            }
            Step::Start => {
                t += start.value;
                if let Some(s) = down_since.take() {
                    down += t - s;
                }
            }
            // RebootInstance: down for about a start (Starting -> Running).
            Step::Reboot => {
                t += start.value;
                down += start.value;
            }
            Step::ModifyType { .. }
            | Step::ModifyPrepayType { .. }
            | Step::ModifyBandwidth { .. }
            | Step::AllocatePublicIp { .. }
            | Step::Call { .. } => {}
        }
    }
    let stays_stopped = down_since.is_some();
    if let Some(s) = down_since {
        down += t - s;
    }
    Some(Estimate {
        stop,
        start,
        down,
        done_in: t - now,
        cooldown_wait,
        stays_stopped,
        reboot_only: !steps.contains(&Step::Stop),
        rolling_cap: h.rolling_cap,
    })
}

/// A duration as people say it, to two or three significant figures:
/// "620 ms", "4.2 s", "40 s", "5 min 40 s", "2 h 05 min".
pub fn approx(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1_000 {
        let r = if ms < 100 { ms } else { (ms + 5) / 10 * 10 };
        format!("{r} ms")
    } else if ms < 10_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else if ms < 60_000 {
        format!("{} s", (ms + 500) / 1000)
    } else if ms < 3_600_000 {
        let s = (ms + 2_500) / 5_000 * 5;
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        let m = (ms + 30_000) / 60_000;
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

fn provenance(f: &Figure, instance_type: &str) -> String {
    match f.source {
        Source::ThisInstance => "as observed on this instance".into(),
        Source::Creation => "from its creation".into(),
        Source::SameType { instances } => format!(
            "as observed on {instances} other {instance_type} instance{} in this run",
            if instances == 1 { "" } else { "s" }
        ),
        Source::Assumed => "assumed".into(),
    }
}

/// The figures for a warning's summary, short enough that Terraform's
/// consolidation ("and N more similar warnings") keeps them in sight:
/// "down ≈ 40 s, done in ≈ 5 min 40 s", with "(assumed)" when nothing was
/// observed ("(stop assumed)" when only the start was).
pub fn headline(e: &Estimate) -> String {
    let assumed = e.stop.source == Source::Assumed && e.start.source == Source::Assumed;
    let down = if e.stays_stopped {
        "stays stopped".to_string()
    } else {
        format!("down ≈ {}", approx(e.down))
    };
    let mut s = if e.done_in > e.down + Duration::from_secs(1) || e.cooldown_wait > Duration::ZERO {
        format!("{down}, done in ≈ {}", approx(e.done_in))
    } else {
        down
    };
    if assumed {
        s += " (assumed)";
    } else if e.stop.source == Source::Assumed {
        s += " (stop assumed)";
    } else if e.start.source == Source::Assumed && !e.stays_stopped {
        s += " (start assumed)";
    }
    s
}

/// The sentences a warning gains, e.g. "Expected downtime: about 40 s
/// (stop ≈ 15 s + start ≈ 25 s, as observed on this instance); done in
/// about 5 min 40 s, including up to 4 min 50 s waiting for the modification
/// cooldown."
pub fn sentence(e: &Estimate, instance_type: &str) -> String {
    let (stop_from, start_from) = (
        provenance(&e.stop, instance_type),
        provenance(&e.start, instance_type),
    );
    let figures = if e.stays_stopped {
        format!("stop ≈ {}", approx(e.stop.value))
    } else if e.reboot_only {
        format!("restart ≈ a start, {}", approx(e.start.value))
    } else {
        format!(
            "stop ≈ {} + start ≈ {}",
            approx(e.stop.value),
            approx(e.start.value)
        )
    };
    let sources = if e.reboot_only {
        start_from.clone()
    } else if e.stays_stopped || stop_from == start_from {
        stop_from.clone()
    } else {
        format!("stop {stop_from}, start {start_from}")
    };
    let mut s = if e.stays_stopped {
        format!(
            "It stays stopped after about {} ({figures}, {sources})",
            approx(e.done_in)
        )
    } else {
        format!(
            "Expected downtime: about {} ({figures}, {sources}); done in about {}",
            approx(e.down),
            approx(e.done_in)
        )
    };
    if e.cooldown_wait > Duration::ZERO {
        s += &format!(
            ", including up to {} waiting for the modification cooldown",
            approx(e.cooldown_wait)
        );
    }
    s += ".";
    if e.stop.source == Source::Assumed || e.start.source == Source::Assumed {
        s += &format!(
            " No stop or start of this instance or another {instance_type} has been observed yet: ECS publishes no typical times, so {} is an assumption; after this apply the figures are this instance's own.",
            match (e.stop.source, e.start.source) {
                (Source::Assumed, Source::Assumed) => format!(
                    "stop ≈ {} + start ≈ {}",
                    approx(ASSUMED_STOP),
                    approx(ASSUMED_START)
                ),
                (Source::Assumed, _) => format!("stop ≈ {}", approx(ASSUMED_STOP)),
                _ => format!("start ≈ {}", approx(ASSUMED_START)),
            }
        );
    }
    if let Some(cap) = e.rolling_cap {
        s += &format!(
            " It may first wait, still running, for a rolling-update slot (max_unavailable = {cap}); that wait is not counted, as it depends on the other instances' turns."
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::model::BandwidthApi;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn resize() -> Vec<Step> {
        vec![
            Step::Stop,
            Step::ModifyType {
                to: "ecs.g6.xlarge".into(),
            },
            Step::Start,
        ]
    }

    fn history(this: Observed, peers: Vec<Observed>) -> History<'static> {
        History {
            this,
            peers,
            instance_type: "ecs.g6.large",
            rolling_cap: None,
        }
    }

    #[test]
    fn nothing_observed_is_said_to_be_assumed() {
        let e = estimate(&resize(), S(1000), &history(Observed::default(), vec![])).unwrap();
        assert_eq!(
            (e.stop.source, e.start.source),
            (Source::Assumed, Source::Assumed)
        );
        assert_eq!(e.down, ASSUMED_STOP + ASSUMED_START);
        assert_eq!(headline(&e), "down ≈ 1 min 30 s (assumed)");
        let text = sentence(&e, "ecs.g6.large");
        assert!(
            text.contains("stop ≈ 30 s + start ≈ 1 min 00 s, assumed"),
            "{text}"
        );
        assert!(text.contains("ECS publishes no typical times"), "{text}");
        assert!(!text.contains("observed on"), "{text}");
    }

    #[test]
    fn this_instances_own_transitions_come_first_averaged_over_the_last_few() {
        let mut this = Observed {
            create: Some(S(90)),
            ..Observed::default()
        };
        for i in 0..7 {
            this.record(Some(S(10 + i)), Some(S(20 + i)));
        }
        assert_eq!(this.stops.len(), KEEP);
        let peer = Observed {
            stops: vec![S(100)],
            starts: vec![S(100)],
            create: None,
        };
        let e = estimate(&resize(), S(0), &history(this, vec![peer])).unwrap();
        // The last five: 12..=16 and 22..=26.
        assert_eq!(
            e.stop,
            Figure {
                value: S(14),
                source: Source::ThisInstance
            }
        );
        assert_eq!(
            e.start,
            Figure {
                value: S(24),
                source: Source::ThisInstance
            }
        );
        assert_eq!(e.down, S(38));
        assert_eq!(headline(&e), "down ≈ 38 s");
        assert!(sentence(&e, "ecs.g6.large")
            .starts_with("Expected downtime: about 38 s (stop ≈ 14 s + start ≈ 24 s, as observed on this instance); done in about 38 s."));
    }

    #[test]
    fn creation_then_peers_of_the_same_type_fill_in() {
        let this = Observed {
            create: Some(S(40)),
            ..Observed::default()
        };
        let peers = vec![
            Observed {
                stops: vec![S(10)],
                ..Observed::default()
            },
            Observed {
                stops: vec![S(20)],
                ..Observed::default()
            },
        ];
        let e = estimate(&resize(), S(0), &history(this, peers)).unwrap();
        assert_eq!(
            e.stop,
            Figure {
                value: S(15),
                source: Source::SameType { instances: 2 }
            }
        );
        assert_eq!(
            e.start,
            Figure {
                value: S(40),
                source: Source::Creation
            }
        );
        let text = sentence(&e, "ecs.g6.large");
        assert!(
            text.contains("stop as observed on 2 other ecs.g6.large instances in this run, start from its creation"),
            "{text}"
        );
    }

    #[test]
    fn cooldown_waits_count_in_done_in_but_not_in_downtime() {
        let this = Observed {
            stops: vec![S(15)],
            starts: vec![S(25)],
            create: None,
        };
        // Stop, type, start, then the bandwidth change waits for the cooldown
        // that the type change started at now + 15 s.
        let mut steps = resize();
        steps.push(Step::WaitUntil {
            until: S(1000 + 15 + 300),
        });
        steps.push(Step::ModifyBandwidth {
            out: Some(20),
            inbound: None,
            api: BandwidthApi::InstanceSpec,
        });
        let e = estimate(&steps, S(1000), &history(this, vec![])).unwrap();
        assert_eq!(e.down, S(40));
        assert_eq!(e.done_in, S(315));
        assert_eq!(e.cooldown_wait, S(275));
        assert_eq!(headline(&e), "down ≈ 40 s, done in ≈ 5 min 15 s");
        assert!(sentence(&e, "ecs.g6.large").contains(
            "done in about 5 min 15 s, including up to 4 min 35 s waiting for the modification cooldown."
        ));
    }

    #[test]
    fn rolling_says_it_may_wait_for_a_slot_and_a_plan_without_a_stop_has_no_estimate() {
        let mut h = history(Observed::default(), vec![]);
        h.rolling_cap = Some(3);
        let e = estimate(&resize(), S(0), &h).unwrap();
        assert!(sentence(&e, "ecs.g6.large").contains("rolling-update slot (max_unavailable = 3)"));
        let bandwidth = [Step::ModifyBandwidth {
            out: Some(5),
            inbound: None,
            api: BandwidthApi::InstanceSpec,
        }];
        assert!(estimate(&bandwidth, S(0), &h).is_none());
    }

    #[test]
    fn a_plan_that_leaves_it_stopped_says_so() {
        let this = Observed {
            stops: vec![S(12)],
            starts: vec![],
            create: None,
        };
        let e = estimate(&[Step::Stop], S(0), &history(this, vec![])).unwrap();
        assert!(e.stays_stopped);
        assert_eq!(headline(&e), "stays stopped");
        assert!(sentence(&e, "ecs.g6.large").starts_with(
            "It stays stopped after about 12 s (stop ≈ 12 s, as observed on this instance)."
        ));
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(approx(Duration::from_millis(617)), "620 ms");
        assert_eq!(approx(Duration::from_millis(4_240)), "4.2 s");
        assert_eq!(approx(S(40)), "40 s");
        assert_eq!(approx(S(341)), "5 min 40 s");
        assert_eq!(approx(S(7_500)), "2 h 05 min");
    }
}
