//! The retry loop every call runs through: limiter → attempt → on a
//! retryable error, exponential backoff with jitter, bounded by
//! `max_retries`, by the call's deadline and by cancellation.
//!
//! Why each attempt is re-signed: ECS refuses a reused `SignatureNonce` and a
//! stale `Timestamp`, so [`super::transport`] signs every attempt afresh. Why
//! a mutating call may still be retried safely: the `ClientToken` is part of
//! the [`Call`] built once per logical step, so every attempt carries the
//! same token and ECS applies the change at most once, even when the answer
//! to an applied attempt was lost.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::codes;
use super::error::{Error, ErrorKind, Result};
use super::limiter::Limiter;

/// Backoff timing. The defaults suit the real API; tests shrink them.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// First delay after a server or network error; doubles per retry.
    pub base_delay: Duration,
    /// First delay after Throttling; doubles per retry. ECS lifts throttling
    /// at the next minute, so this starts higher.
    pub throttle_base_delay: Duration,
    /// No single delay exceeds this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_millis(200),
            throttle_base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `retry` (0-based) after `err`: "equal
    /// jitter", half fixed and half random, so concurrent callers that failed
    /// together do not come back together.
    pub fn delay(&self, err: &Error, retry: u32) -> Duration {
        let base = if err.kind == ErrorKind::Throttled {
            self.throttle_base_delay
        } else {
            self.base_delay
        };
        let full = base
            .saturating_mul(1u32 << retry.min(20))
            .min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }
}

/// What ran: the result, and whether an earlier attempt may have reached
/// ECS and been applied although no success came back (a dropped connection
/// or a 5xx). Calls without a ClientToken use it to read a later "already
/// done" refusal as success.
pub struct Outcome<T> {
    pub result: Result<T>,
    pub maybe_applied: bool,
}

pub struct Retrier<'a> {
    pub policy: &'a RetryPolicy,
    pub max_retries: u32,
    pub limiter: &'a Limiter,
    pub cancel: &'a CancellationToken,
    pub deadline: Option<Instant>,
    /// Let an attempt already sent run to its answer (bounded by the read
    /// timeout) instead of dropping it on cancel or deadline. Set for
    /// mutating calls: dropping a RunInstances in flight could leave an
    /// instance nobody knows the id of.
    pub finish_in_flight: bool,
}

impl Retrier<'_> {
    /// Runs `attempt(n)` until it succeeds, fails for good, runs out of
    /// retries or time, or the client is cancelled.
    pub async fn run<T, F, Fut>(&self, action: &str, mut attempt: F) -> Outcome<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut maybe_applied = false;
        let mut n = 0u32;
        loop {
            let result = self.one(action, &mut attempt, n).await;
            let err = match result {
                Ok(v) => {
                    return Outcome {
                        result: Ok(v),
                        maybe_applied,
                    }
                }
                Err(e) => e,
            };
            if err.kind == ErrorKind::Throttled {
                self.limiter.on_throttled();
            }
            if !err.is_retryable() || n >= self.max_retries {
                return Outcome {
                    result: Err(err),
                    maybe_applied,
                };
            }
            maybe_applied |= matches!(
                err.kind,
                ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Transport
            ) && err.code != codes::CONNECT_TIMEOUT;
            let delay = self.policy.delay(&err, n);
            if matches!(self.deadline, Some(d) if Instant::now() + delay >= d) {
                // Waiting would outlive the caller's budget: the last real
                // error says more than "deadline exceeded" would.
                return Outcome {
                    result: Err(err),
                    maybe_applied,
                };
            }
            tracing::debug!(action, retry = n + 1, delay_ms = delay.as_millis() as u64, code = %err.code, "ecs retry");
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.cancel.cancelled() => {
                    return Outcome { result: Err(Error::cancelled(action)), maybe_applied };
                }
            }
            n += 1;
        }
    }

    /// Waits for a token of `limiter`, racing cancel and the deadline. Every
    /// request goes through here: this call's attempts and any other
    /// request an attempt makes first (the read before a resend).
    pub async fn admit(&self, limiter: &Limiter, action: &str) -> Result<()> {
        if self.cancel.is_cancelled() {
            return Err(Error::cancelled(action));
        }
        tokio::select! {
            _ = limiter.acquire() => Ok(()),
            _ = self.cancel.cancelled() => Err(Error::cancelled(action)),
            _ = expired(self.deadline) => Err(deadline_error(action)),
        }
    }

    /// One attempt: wait for the limiter, then run it, all racing cancel and
    /// the deadline.
    async fn one<T, F, Fut>(&self, action: &str, attempt: &mut F, n: u32) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.admit(self.limiter, action).await?;
        if self.finish_in_flight {
            return attempt(n).await;
        }
        tokio::select! {
            r = attempt(n) => r,
            _ = self.cancel.cancelled() => Err(Error::cancelled(action)),
            _ = expired(self.deadline) => Err(deadline_error(action)),
        }
    }
}

/// Resolves at `deadline`; never without one.
async fn expired(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn deadline_error(action: &str) -> Error {
    Error::local(
        ErrorKind::Timeout,
        action,
        codes::DEADLINE_EXCEEDED,
        "the call's deadline passed before ECS answered",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn err(kind: ErrorKind, code: &str) -> Error {
        Error::local(kind, "Test", code, "")
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base_delay: Duration::from_millis(100),
            throttle_base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
        }
    }

    #[test]
    fn delays_grow_and_stay_within_bounds() {
        let p = policy();
        for retry in 0..12 {
            let d = p.delay(&err(ErrorKind::Server, "InternalError"), retry);
            let full = Duration::from_millis(100 << retry.min(20)).min(p.max_delay);
            assert!(
                d >= full / 2 && d <= full,
                "retry {retry}: {d:?} vs {full:?}"
            );
        }
        let t = p.delay(&err(ErrorKind::Throttled, "Throttling"), 0);
        assert!(t >= Duration::from_millis(250) && t <= Duration::from_millis(500));
    }

    async fn run_with(
        cancel: &CancellationToken,
        deadline: Option<Instant>,
        script: Vec<Result<u32>>,
    ) -> (Outcome<u32>, u32) {
        let p = policy();
        let limiter = Limiter::new(1000.0);
        let r = Retrier {
            policy: &p,
            max_retries: 3,
            limiter: &limiter,
            cancel,
            deadline,
            finish_in_flight: false,
        };
        let calls = AtomicU32::new(0);
        let script = std::sync::Mutex::new(script.into_iter());
        let out = r
            .run("Test", |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                let next = script.lock().unwrap().next().unwrap_or(Ok(99));
                async move { next }
            })
            .await;
        (out, calls.load(Ordering::SeqCst))
    }

    #[tokio::test(start_paused = true)]
    async fn retries_retryable_errors_until_success() {
        let c = CancellationToken::new();
        let script = vec![
            Err(err(ErrorKind::Transport, codes::TRANSPORT)),
            Err(err(ErrorKind::Throttled, "Throttling")),
            Ok(7),
        ];
        let (out, calls) = run_with(&c, None, script).await;
        assert_eq!(out.result.unwrap(), 7);
        assert_eq!(calls, 3);
        assert!(out.maybe_applied);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_retries() {
        let c = CancellationToken::new();
        let script = (0..10)
            .map(|_| Err(err(ErrorKind::Server, "InternalError")))
            .collect();
        let (out, calls) = run_with(&c, None, script).await;
        assert_eq!(out.result.unwrap_err().code, "InternalError");
        assert_eq!(calls, 4, "first attempt + max_retries");
    }

    #[tokio::test(start_paused = true)]
    async fn never_retries_idempotence_mismatch() {
        let c = CancellationToken::new();
        let e = Error::api("Test", Some(400), "IdempotenceParamNotMatch", "", None);
        let (out, calls) = run_with(&c, None, vec![Err(e)]).await;
        assert_eq!(out.result.unwrap_err().kind, ErrorKind::Idempotence);
        assert_eq!(calls, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_stops_backoff_with_the_last_error() {
        let c = CancellationToken::new();
        let deadline = Instant::now() + Duration::from_millis(120);
        let script = (0..10)
            .map(|_| Err(err(ErrorKind::Server, "InternalError")))
            .collect();
        let (out, calls) = run_with(&c, Some(deadline), script).await;
        assert_eq!(out.result.unwrap_err().code, "InternalError");
        assert!(calls < 4, "stopped early, after {calls} calls");
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_ends_a_backoff_wait_at_once() {
        let c = CancellationToken::new();
        let p = RetryPolicy {
            base_delay: Duration::from_secs(3600),
            ..policy()
        };
        let limiter = Limiter::new(1000.0);
        let r = Retrier {
            policy: &p,
            max_retries: 3,
            limiter: &limiter,
            cancel: &c,
            deadline: None,
            finish_in_flight: true,
        };
        let start = Instant::now();
        let canceller = c.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            canceller.cancel();
        });
        let out: Outcome<()> = r
            .run("Test", |_| async {
                Err(err(ErrorKind::Server, "InternalError"))
            })
            .await;
        assert_eq!(out.result.unwrap_err().kind, ErrorKind::Cancelled);
        assert!(Instant::now() - start < Duration::from_secs(1));
    }

    /// A wait for another action's bucket (the read before a resend) ends
    /// on cancel and at the deadline like the call's own waits.
    #[tokio::test(start_paused = true)]
    async fn admit_to_another_bucket_ends_on_cancel_and_at_the_deadline() {
        let p = policy();
        let own = Limiter::new(1000.0);
        let other = Limiter::new(0.01);
        other.acquire().await; // empty: the next token is 100 s away
        for cancelled in [true, false] {
            let c = CancellationToken::new();
            let start = Instant::now();
            let r = Retrier {
                policy: &p,
                max_retries: 3,
                limiter: &own,
                cancel: &c,
                deadline: (!cancelled).then(|| start + Duration::from_millis(50)),
                finish_in_flight: true,
            };
            let canceller = c.clone();
            if cancelled {
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    canceller.cancel();
                });
            }
            let e = r.admit(&other, "DescribeInstances").await.unwrap_err();
            let want = if cancelled {
                ErrorKind::Cancelled
            } else {
                ErrorKind::Timeout
            };
            assert_eq!(e.kind, want);
            assert!(Instant::now() - start < Duration::from_secs(1));
        }
    }
}
