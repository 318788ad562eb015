//! Injected misbehaviour, so clients can prove they cope: per-action
//! throttling (`--throttle-qps`), random 500s before a change
//! (`--fail-rate`) and random lost answers after a change (`--drop-rate`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use rand::Rng;

/// One token bucket per action: `qps` tokens per second, bursts up to
/// `max(qps, 1)`. A request without a token is throttled.
pub struct Throttle {
    qps: Option<f64>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Throttle {
    pub fn new(qps: Option<f64>) -> Self {
        Throttle {
            qps,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `action`; false when the action is over its rate.
    pub fn admit(&self, action: &str, now: Instant) -> bool {
        let Some(qps) = self.qps else { return true };
        let burst = qps.max(1.0);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = buckets.entry(action.to_string()).or_insert((burst, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * qps).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// True with probability `p` (0 never, 1 always).
pub fn roll(p: f64) -> bool {
    p >= 1.0 || (p > 0.0 && rand::rng().random::<f64>() < p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_the_rate_per_action() {
        let t = Throttle::new(Some(2.0));
        let t0 = Instant::now();
        assert!(t.admit("A", t0));
        assert!(t.admit("A", t0));
        assert!(!t.admit("A", t0));
        assert!(t.admit("B", t0), "buckets are per action");
        assert!(t.admit("A", t0 + Duration::from_millis(500)));
        assert!(!t.admit("A", t0 + Duration::from_millis(500)));
    }

    #[test]
    fn no_limit_and_extreme_rates() {
        let t = Throttle::new(None);
        assert!((0..1000).all(|_| t.admit("A", Instant::now())));
        assert!(roll(1.0));
        assert!(!roll(0.0));
    }
}
