//! One token bucket per API action per client ([`Limiters`]), shared by
//! every call: all resources of one provider configuration draw from it, so
//! `terraform apply -parallelism=100` never sends more than
//! `max_requests_per_second` of one action.
//!
//! ECS throttles per account, region and API (action), and publishes no
//! numbers. A bucket per action follows that: a burst of StopInstance calls
//! does not hold back the DescribeInstances polls of the same fleet. Each
//! bucket adapts (AIMD, as TCP does): a Throttling answer cuts the rate
//! to [`DECREASE`] of itself (at most once per second, so a burst of
//! throttled answers from one wave counts once) and empties the bucket; the
//! rate then climbs back linearly, reaching the configured maximum within
//! [`RECOVERY`] of the floor. Time is tokio's, so tests run it under
//! `tokio::time::pause`.
//!
//! A bucket holds half a second's worth: sending at a server's exact rate
//! with a burst as large as its own bucket leaves no room for the jitter
//! between our send and its arrival, and one throttled answer then costs a
//! slower rate for seconds. The half second of margin avoids that.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Time to climb from the floor back to the configured rate.
pub const RECOVERY: Duration = Duration::from_secs(30);
/// A Throttling answer cuts the rate to this share of itself (0.7, as
/// CUBIC and the AWS SDKs' adaptive mode do: halving overreacts to the one
/// throttled answer of a client running at the server's limit).
pub const DECREASE: f64 = 0.7;
/// Throttling answers closer together than this cut the rate once.
const DECREASE_GAP: Duration = Duration::from_secs(1);
/// The rate never drops below this (requests/s), as ECS advises probing
/// at 1 QPS after throttling.
const FLOOR: f64 = 1.0;

pub struct Limiter {
    max_rate: f64,
    state: Mutex<State>,
}

struct State {
    tokens: f64,
    refilled_at: Instant,
    /// Rate right after the last decrease, and when it happened.
    base_rate: f64,
    decreased_at: Option<Instant>,
}

impl Limiter {
    pub fn new(max_rate: f64) -> Limiter {
        Limiter {
            max_rate,
            state: Mutex::new(State {
                tokens: burst(max_rate),
                refilled_at: Instant::now(),
                base_rate: max_rate,
                decreased_at: None,
            }),
        }
    }

    fn floor(&self) -> f64 {
        FLOOR.min(self.max_rate)
    }

    fn rate_at(&self, s: &State, now: Instant) -> f64 {
        match s.decreased_at {
            None => self.max_rate,
            Some(at) => {
                let climb = self.max_rate / RECOVERY.as_secs_f64();
                (s.base_rate + climb * (now - at).as_secs_f64()).min(self.max_rate)
            }
        }
    }

    /// The current allowed rate in requests per second.
    pub fn rate(&self) -> f64 {
        let s = self.state.lock().unwrap();
        self.rate_at(&s, Instant::now())
    }

    fn refill(&self, s: &mut State, now: Instant) {
        let rate = self.rate_at(s, now);
        s.tokens = (s.tokens + (now - s.refilled_at).as_secs_f64() * rate).min(burst(rate));
        s.refilled_at = now;
    }

    /// Takes a token, or says how long to wait before asking again.
    fn try_take(&self) -> Result<(), Duration> {
        let mut s = self.state.lock().unwrap();
        let now = Instant::now();
        self.refill(&mut s, now);
        if s.tokens >= 1.0 {
            s.tokens -= 1.0;
            return Ok(());
        }
        let rate = self.rate_at(&s, now);
        Err(Duration::from_secs_f64((1.0 - s.tokens) / rate).max(Duration::from_micros(100)))
    }

    /// Waits for a token. Cancel-safe: dropping the future takes nothing.
    pub async fn acquire(&self) {
        while let Err(wait) = self.try_take() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Multiplicative decrease after a Throttling answer.
    pub fn on_throttled(&self) {
        let mut s = self.state.lock().unwrap();
        let now = Instant::now();
        if matches!(s.decreased_at, Some(at) if now - at < DECREASE_GAP) {
            return;
        }
        self.refill(&mut s, now);
        let cut = (self.rate_at(&s, now) * DECREASE).max(self.floor());
        s.base_rate = cut;
        s.decreased_at = Some(now);
        s.tokens = s.tokens.min(0.0);
        tracing::debug!(rate = cut, "ecs throttled: request rate lowered");
    }
}

/// The most tokens a bucket holds at `rate`: half a second's worth, at
/// least one.
fn burst(rate: f64) -> f64 {
    (rate / 2.0).max(1.0)
}

/// The buckets of one client, one per action, made on first use.
pub struct Limiters {
    max_rate: f64,
    by_action: Mutex<std::collections::HashMap<&'static str, std::sync::Arc<Limiter>>>,
}

impl Limiters {
    pub fn new(max_rate: f64) -> Limiters {
        Limiters {
            max_rate,
            by_action: Mutex::default(),
        }
    }

    /// The bucket of `action`.
    pub fn of(&self, action: &'static str) -> std::sync::Arc<Limiter> {
        let mut map = self.by_action.lock().unwrap();
        std::sync::Arc::clone(
            map.entry(action)
                .or_insert_with(|| std::sync::Arc::new(Limiter::new(self.max_rate))),
        )
    }

    /// The lowest current rate of any action (the configured one before
    /// any throttling).
    pub fn rate(&self) -> f64 {
        let map = self.by_action.lock().unwrap();
        map.values().map(|l| l.rate()).fold(self.max_rate, f64::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_action_has_its_own_bucket() {
        let ls = Limiters::new(10.0);
        let (stop, describe) = (ls.of("StopInstance"), ls.of("DescribeInstances"));
        assert!(time_for(&stop, 5).await < 0.001);
        assert!(
            time_for(&describe, 5).await < 0.001,
            "a burst of stops leaves the polls their own budget"
        );
        assert!(std::sync::Arc::ptr_eq(&stop, &ls.of("StopInstance")));
        stop.on_throttled();
        assert!((ls.rate() - 7.0).abs() < 1e-9);
        assert!((describe.rate() - 10.0).abs() < 1e-9);
    }

    /// Virtual seconds needed to take `n` tokens.
    async fn time_for(l: &Limiter, n: usize) -> f64 {
        let start = Instant::now();
        for _ in 0..n {
            l.acquire().await;
        }
        (Instant::now() - start).as_secs_f64()
    }

    #[tokio::test(start_paused = true)]
    async fn bursts_then_holds_the_rate() {
        let l = Limiter::new(10.0);
        assert!(
            time_for(&l, 5).await < 0.001,
            "half a second's worth is a burst"
        );
        let t = time_for(&l, 1).await;
        assert!(
            (0.09..=0.11).contains(&t),
            "the next waits for its token: {t}s"
        );
        let t = time_for(&l, 50).await;
        assert!((4.9..=5.1).contains(&t), "50 more at 10/s took {t}s");
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_lowers_once_per_wave_then_recovers() {
        let l = Limiter::new(20.0);
        l.on_throttled();
        l.on_throttled();
        assert!((l.rate() - 14.0).abs() < 1e-9, "rate {}", l.rate());
        tokio::time::advance(Duration::from_millis(1500)).await;
        l.on_throttled();
        let r = l.rate();
        // 14 + 1.5 s × 20/30 climbed = 15, then cut to 10.5.
        assert!((10.0..11.0).contains(&r), "second wave lowers again: {r}");
        tokio::time::advance(RECOVERY).await;
        assert!((l.rate() - 20.0).abs() < 1e-9, "recovered to {}", l.rate());
    }

    #[tokio::test(start_paused = true)]
    async fn never_below_the_floor() {
        let l = Limiter::new(4.0);
        for _ in 0..10 {
            l.on_throttled();
            tokio::time::advance(Duration::from_secs(2)).await;
        }
        assert!(l.rate() >= 1.0);
        let l = Limiter::new(0.5);
        l.on_throttled();
        assert!(
            (l.rate() - 0.5).abs() < 1e-9,
            "a rate below the floor stays put"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_rate_slows_acquisition() {
        let l = Limiter::new(10.0);
        time_for(&l, 5).await;
        l.on_throttled();
        // ~7/s now (climbing by 1/3 per second): 10 tokens take about 1.3 s,
        // where the unthrottled rate takes 1 s.
        let t = time_for(&l, 10).await;
        assert!((1.2..1.45).contains(&t), "took {t}s");
    }
}
