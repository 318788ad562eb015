//! The resource's private state: what apply needs that Terraform must keep
//! for us but the user never sees.
//!
//! - When our last successful modification (type or bandwidth change) of
//!   this instance happened. The API refuses another modification for five
//!   minutes after one and does not say when the last one was, so without
//!   this a second apply soon after a first would run into the refusal; with
//!   it, the sequencer waits proactively (while the instance runs).
//! - Whether a failed or interrupted apply left the instance stopped by us
//!   although it should run. Read then reports it Stopped, and with `status`
//!   unset the next plan would keep it so (the trap other providers'
//!   users fall into); with this flag the next plan starts it again. Read
//!   sets it from the instance's stop marker (which survives even SIGKILL)
//!   and clears it once the instance runs.
//! - The value of a stop marker seen on a running instance (stale).
//! - Whether Read last saw the instance Stopped in economical mode
//!   (`StoppedMode` = `StopCharging`; the attribute `stopped_mode` only says
//!   how *our* stops stop it). Its public IP is then released and the next
//!   start assigns a new one, so a plan that starts it leaves `public_ip`
//!   unknown.
//!
//! - Whether a change that needs a restart to take effect was made and not
//!   yet followed by one (an apply that ended between the two). The
//!   computed attribute `restart_required` shows it, so that the plan that
//!   pays it changes an attribute; Read clears it on a stopped instance.
//! - The id of its system disk, so that a refresh reads the disk in a
//!   batch shared with other instances.
//! - How long this instance's last few stops and starts took, and its
//!   creation (Pending → Running): the figures of the plan's downtime
//!   estimate (`planner::estimate`).
//!
//! - Subscription (PrePaid) bookkeeping: the downgrades (refunds) this
//!   provider made on the instance, and whether that is all of them (it
//!   created the instance) or not (imported, or created before the count
//!   was kept); when a bandwidth decrease locks the bandwidth until; an
//!   order it placed and saw not paid; the type a read found ordered and
//!   waiting for its restart ([`super::pending`]).
//!
//! Stored as JSON so that later versions can add fields; unreadable or
//! empty bytes mean "nothing known".

use crate::planner::estimate;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Private {
    /// Milliseconds since the UNIX epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_ms: Option<u64>,
    /// We stopped the instance and could not start it again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restart_pending: bool,
    /// Read saw the instance Stopped in economical mode.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stopped_charging: bool,
    /// The value of a stop marker Read saw on the running instance: stale,
    /// never a reason to start it ([`super::marker`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_marker: Option<String>,
    /// A change that takes effect only after a restart (password, host
    /// name, key pair) was made and the apply ended before the restart: the
    /// next plan that ends Running restarts the instance, without making
    /// the change again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restart_owed: bool,
    /// Transitions observed on this instance.
    #[serde(default, skip_serializing_if = "Transitions::is_empty")]
    pub transitions: Transitions,
    /// The id of the system disk Read last found: later refreshes look it
    /// up by id, which the client batches (one DescribeDisks per hundred
    /// instances) where a lookup by instance costs one call each. Only a
    /// hint: a disk that is gone or no longer this instance's system disk
    /// (ReplaceSystemDisk gives a new one) is looked up by instance again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk_id: Option<String>,
    /// Subscription downgrades (refunds) this provider made.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refunds_used: u32,
    /// `refunds_used` counts every refund of the instance: this provider
    /// created it. False for imported instances (and older state): the
    /// refunds used before are unknown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refunds_known: bool,
    /// A bandwidth decrease locked the bandwidth until this ECS time (the
    /// `ExpiredTime` when it was made: the end of the billing cycle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth_locked_until: Option<String>,
    /// An order this provider placed whose change was not in effect when it
    /// should have been (not paid): named when ECS refuses for an unpaid
    /// order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_order: Option<String>,
    /// A subscription type ordered and waiting for its restart, as the last
    /// read found it ([`super::pending`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_type: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Observed transition times in milliseconds, newest last (at most
/// [`estimate::KEEP`] of each).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transitions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_ms: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub start_ms: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_ms: Option<u64>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Transitions {
    pub fn is_empty(&self) -> bool {
        *self == Transitions::default()
    }

    pub fn observed(&self) -> estimate::Observed {
        let d = |v: &[u64]| v.iter().copied().map(Duration::from_millis).collect();
        estimate::Observed {
            stops: d(&self.stop_ms),
            starts: d(&self.start_ms),
            create: self.create_ms.map(Duration::from_millis),
        }
    }

    /// These plus a stop and/or start just observed.
    pub fn with(&self, stop: Option<Duration>, start: Option<Duration>) -> Transitions {
        let mut o = self.observed();
        o.record(stop, start);
        Transitions {
            stop_ms: o.stops.into_iter().map(ms).collect(),
            start_ms: o.starts.into_iter().map(ms).collect(),
            create_ms: self.create_ms,
        }
    }

    /// A new instance's: its creation took `d`.
    pub fn created(d: Duration) -> Transitions {
        Transitions {
            create_ms: Some(ms(d)),
            ..Transitions::default()
        }
    }
}

impl Private {
    /// The planner's view of the subscription, at `now` (UNIX time).
    pub fn subscription(&self, now: Duration) -> crate::planner::Subscription {
        let locked = self
            .bandwidth_locked_until
            .as_deref()
            .and_then(crate::ecs::parse_api_time)
            .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
            .is_some_and(|until| Duration::from_millis(until) > now);
        crate::planner::Subscription {
            pending_type: self.pending_type.clone(),
            refunds_used: self.refunds_known.then_some(self.refunds_used),
            bandwidth_locked: locked,
        }
    }

    /// The subscription bookkeeping of `self` carried into `next` (which
    /// holds the rest), with what an update did added.
    pub fn carry_subscription(&self, next: &mut Private) {
        next.refunds_used = self.refunds_used;
        next.refunds_known = self.refunds_known;
        next.bandwidth_locked_until = self.bandwidth_locked_until.clone();
        next.open_order = self.open_order.clone();
    }

    pub fn decode(bytes: &[u8]) -> Private {
        if bytes.is_empty() {
            return Private::default();
        }
        serde_json::from_slice(bytes).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "unreadable private state; ignoring it");
            Private::default()
        })
    }

    /// Empty bytes when there is nothing to keep.
    pub fn encode(&self) -> Vec<u8> {
        if *self == Private::default() {
            return Vec::new();
        }
        serde_json::to_vec(self).expect("private state serializes")
    }

    /// The last modification as a duration since the UNIX epoch (the
    /// planner's time base).
    pub fn last_modified(&self) -> Option<Duration> {
        self.last_modified_ms.map(Duration::from_millis)
    }

    pub fn with_last_modified(at: Option<Duration>) -> Private {
        Private {
            last_modified_ms: at.map(|d| d.as_millis() as u64),
            ..Private::default()
        }
    }

    /// `bytes` with `stopped_charging` set to `on` (the rest kept).
    pub fn with_stopped_charging(bytes: &[u8], on: bool) -> Vec<u8> {
        let mut p = Private::decode(bytes);
        if p.stopped_charging == on {
            return bytes.to_vec();
        }
        p.stopped_charging = on;
        p.encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_bytes() {
        let p = Private::with_last_modified(Some(Duration::from_millis(1_700_000_000_123)));
        let bytes = p.encode();
        assert_eq!(bytes, br#"{"last_modified_ms":1700000000123}"#);
        assert_eq!(Private::decode(&bytes), p);
        assert_eq!(
            Private::decode(&bytes).last_modified(),
            Some(Duration::from_millis(1_700_000_000_123))
        );
    }

    #[test]
    fn nothing_known_is_empty_bytes_both_ways() {
        assert!(Private::default().encode().is_empty());
        assert_eq!(Private::decode(b""), Private::default());
        assert_eq!(Private::decode(b"not json"), Private::default());
    }

    #[test]
    fn economical_stop_flag_is_set_and_cleared_keeping_the_rest() {
        let p = Private::with_last_modified(Some(Duration::from_millis(5)));
        let on = Private::with_stopped_charging(&p.encode(), true);
        assert_eq!(on, br#"{"last_modified_ms":5,"stopped_charging":true}"#);
        let off = Private::with_stopped_charging(&on, false);
        assert_eq!(Private::decode(&off), p);
        assert!(Private::with_stopped_charging(b"", false).is_empty());
    }

    #[test]
    fn transitions_keep_the_last_few_of_each_kind_and_survive_other_changes() {
        let mut t = Transitions::created(Duration::from_millis(900));
        for i in 0..7 {
            t = t.with(
                Some(Duration::from_millis(100 + i)),
                (i % 2 == 0).then(|| Duration::from_millis(200 + i)),
            );
        }
        assert_eq!(t.stop_ms, [102, 103, 104, 105, 106]);
        assert_eq!(t.start_ms, [200, 202, 204, 206]);
        assert_eq!(t.create_ms, Some(900));
        let p = Private {
            transitions: t.clone(),
            ..Private::default()
        };
        let flagged = Private::with_stopped_charging(&p.encode(), true);
        assert_eq!(Private::decode(&flagged).transitions, t);
        // Private state written before transitions were kept still reads.
        assert!(Private::decode(br#"{"last_modified_ms":5}"#)
            .transitions
            .is_empty());
    }

    #[test]
    fn subscription_counts_are_kept_and_older_state_reads_as_unknown() {
        let p = Private {
            refunds_used: 2,
            refunds_known: true,
            ..Private::default()
        };
        assert_eq!(p.encode(), br#"{"refunds_used":2,"refunds_known":true}"#);
        let sub = Private::decode(&p.encode()).subscription(Duration::ZERO);
        assert_eq!(sub.refunds_used, Some(2));
        // Imported (or older state): unknown, not zero.
        let sub = Private::decode(br#"{"refunds_used":1}"#).subscription(Duration::ZERO);
        assert_eq!(sub.refunds_used, None);
        let locked = Private {
            bandwidth_locked_until: Some("2026-12-31T16:00Z".into()),
            ..Private::default()
        };
        let dec_2026 = Duration::from_secs(1_796_000_000);
        assert!(
            locked
                .subscription(Duration::from_secs(1_780_000_000))
                .bandwidth_locked
        );
        assert!(!locked.subscription(dec_2026 * 2).bandwidth_locked);
    }

    #[test]
    fn restart_flag_is_kept_only_when_set() {
        let p = Private {
            restart_pending: true,
            ..Private::default()
        };
        assert_eq!(p.encode(), br#"{"restart_pending":true}"#);
        assert!(Private::decode(&p.encode()).restart_pending);
    }
}
