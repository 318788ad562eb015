//! The two things apply needs from the outside world, as traits, so the step
//! executor and the waits can be tested against a fake instance on a
//! virtual clock:
//! - [`InstanceApi`]: the few ECS calls that change one instance;
//! - [`Clock`]: wall time (the planner's time base: the UNIX epoch, because
//!   the last modification time outlives the process in private state) and
//!   sleeping that Terraform's Stop cuts short.

use crate::ecs::{self, Client, ModifySpec};
use crate::planner::BandwidthApi;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// One modification: exactly what one API call changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Modification {
    Type(String),
    Bandwidth {
        out: Option<u32>,
        inbound: Option<u32>,
        api: BandwidthApi,
    },
    /// ModifyInstanceNetworkSpec with only `AllocatePublicIp=true` (VPC).
    AllocatePublicIp,
}

impl Modification {
    /// The API action that carries it (also the ClientToken's prefix).
    pub fn action(&self) -> &'static str {
        match self {
            Modification::Type(_)
            | Modification::Bandwidth {
                api: BandwidthApi::InstanceSpec,
                ..
            } => "ModifyInstanceSpec",
            Modification::Bandwidth {
                api: BandwidthApi::NetworkSpec,
                ..
            }
            | Modification::AllocatePublicIp => "ModifyInstanceNetworkSpec",
        }
    }
}

/// The ECS calls apply makes on one instance.
#[async_trait::async_trait]
pub trait InstanceApi: Send + Sync {
    /// `Ok(None)`: the instance does not exist.
    async fn describe(&self, id: &str) -> ecs::Result<Option<ecs::Instance>>;
    async fn start(&self, id: &str) -> ecs::Result<()>;
    async fn stop(&self, id: &str, stopped_mode: Option<&str>) -> ecs::Result<()>;
    /// One modification; retries of the same logical step pass the same token.
    async fn modify(&self, id: &str, change: &Modification, token: &str) -> ecs::Result<()>;
    /// AllocatePublicIpAddress (classic network; not a modification).
    async fn allocate_public_ip_address(&self, id: &str) -> ecs::Result<()>;
    /// A fresh idempotence token for one logical step.
    fn new_token(&self, action: &str) -> String;
}

/// The real API: an [`ecs::Client`], usually one with the operation's deadline.
pub struct ClientApi(pub Client);

#[async_trait::async_trait]
impl InstanceApi for ClientApi {
    async fn describe(&self, id: &str) -> ecs::Result<Option<ecs::Instance>> {
        self.0.describe_instance(id).await
    }

    async fn start(&self, id: &str) -> ecs::Result<()> {
        self.0.start_instance(id).await
    }

    async fn stop(&self, id: &str, stopped_mode: Option<&str>) -> ecs::Result<()> {
        self.0.stop_instance(id, false, stopped_mode).await
    }

    async fn modify(&self, id: &str, change: &Modification, token: &str) -> ecs::Result<()> {
        match change {
            Modification::Type(to) => {
                self.0
                    .modify_instance_spec(id, &ModifySpec::Type(to.clone()), token)
                    .await
            }
            Modification::Bandwidth {
                out,
                inbound,
                api: BandwidthApi::InstanceSpec,
            } => {
                let spec = ModifySpec::Bandwidth {
                    out: out.map(i64::from),
                    inbound: inbound.map(i64::from),
                };
                self.0.modify_instance_spec(id, &spec, token).await
            }
            Modification::Bandwidth {
                out,
                inbound,
                api: BandwidthApi::NetworkSpec,
            } => {
                self.0
                    .modify_instance_network_spec(
                        id,
                        out.map(i64::from),
                        inbound.map(i64::from),
                        token,
                    )
                    .await
            }
            Modification::AllocatePublicIp => {
                self.0.allocate_public_ip_network_spec(id, token).await
            }
        }
    }

    async fn allocate_public_ip_address(&self, id: &str) -> ecs::Result<()> {
        self.0.allocate_public_ip_address(id).await.map(|_| ())
    }

    fn new_token(&self, action: &str) -> String {
        Client::new_client_token(action)
    }
}

/// Sleeping was cut short by Terraform's Stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

/// Wall time and sleep.
#[async_trait::async_trait]
pub trait Clock: Send + Sync {
    /// Time since the UNIX epoch.
    fn now(&self) -> Duration;
    /// Sleeps `d`, or less when cancelled.
    async fn sleep(&self, d: Duration) -> Result<(), Cancelled>;
}

/// The system clock, with sleeps that end on the provider's cancellation.
pub struct SystemClock(pub CancellationToken);

#[async_trait::async_trait]
impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }

    async fn sleep(&self, d: Duration) -> Result<(), Cancelled> {
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = self.0.cancelled() => Err(Cancelled),
        }
    }
}

/// How often waits poll: fast at first (most transitions take seconds),
/// then backing off so a long wait costs few requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    pub initial: Duration,
    pub max: Duration,
}

/// Overrides the first polling interval, in milliseconds (tests against an
/// emulator with scaled-down time use a few tens).
pub const POLL_ENV: &str = "ECS_PROVIDER_POLL_MS";

/// The longest first interval [`POLL_ENV`] may ask for; larger values are
/// lowered to it. Polling less often only delays every wait, and other
/// delays are derived from this one (the executor's retry delays start at
/// no less than it and at most 15 s), so an unbounded value could break
/// them.
pub const MAX_POLL_INITIAL: Duration = Duration::from_secs(10);

impl PollPolicy {
    /// 200 ms growing to 3 s, or from [`POLL_ENV`]: `initial` = its value
    /// (at most [`MAX_POLL_INITIAL`]), `max` = 16 × that (at most 3 s, and
    /// never below `initial`). Any value is accepted: one that is not a
    /// positive whole number of milliseconds leaves the default.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> PollPolicy {
        let default = PollPolicy {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(3),
        };
        match env(POLL_ENV).and_then(|v| v.trim().parse::<u64>().ok()) {
            Some(ms) if ms > 0 => {
                let initial = Duration::from_millis(ms).min(MAX_POLL_INITIAL);
                PollPolicy {
                    initial,
                    max: (initial * 16).min(default.max).max(initial),
                }
            }
            _ => default,
        }
    }

    /// The interval after `current`: ×1.5, capped.
    pub fn next(&self, current: Duration) -> Duration {
        (current * 3 / 2).min(self.max).max(self.initial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_intervals_grow_to_the_cap() {
        let p = PollPolicy::from_env(|_| None);
        let mut d = p.initial;
        let mut seen = vec![d];
        for _ in 0..10 {
            d = p.next(d);
            seen.push(d);
        }
        assert_eq!(seen[0], Duration::from_millis(200));
        assert_eq!(seen[1], Duration::from_millis(300));
        assert_eq!(*seen.last().unwrap(), Duration::from_secs(3));
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn env_scales_polling_down() {
        let p = PollPolicy::from_env(|k| (k == POLL_ENV).then(|| "20".to_string()));
        assert_eq!(p.initial, Duration::from_millis(20));
        assert_eq!(p.max, Duration::from_millis(320));
        let bad = PollPolicy::from_env(|_| Some("fast".into()));
        assert_eq!(bad.initial, Duration::from_millis(200));
    }

    #[test]
    fn any_poll_setting_gives_a_sane_policy() {
        for v in [
            "1",
            "15000",
            "15001",
            "20000",
            "86400000",
            "18446744073709551615",
            "99999999999999999999",
            "0",
            "-5",
            " 40 ",
            "",
            "1e3",
        ] {
            let p = PollPolicy::from_env(|k| (k == POLL_ENV).then(|| v.to_string()));
            assert!(
                p.initial > Duration::ZERO && p.initial <= MAX_POLL_INITIAL,
                "{v}: {p:?}"
            );
            assert!(p.max >= p.initial, "{v}: {p:?}");
            // What the executor derives from it must hold (clamp panics
            // when its lower bound exceeds its upper one).
            let cooldown = Duration::from_secs(300);
            let first = (cooldown / 20).clamp(p.initial, Duration::from_secs(15));
            let _ = (cooldown / 4).clamp(first, Duration::from_secs(30));
            assert!(p.next(p.max) <= p.max.max(p.initial));
        }
        let slow = PollPolicy::from_env(|k| (k == POLL_ENV).then(|| "20000".to_string()));
        assert_eq!(slow.initial, MAX_POLL_INITIAL);
    }

    #[tokio::test]
    async fn sleeping_ends_at_once_when_cancelled() {
        let token = CancellationToken::new();
        let clock = SystemClock(token.clone());
        token.cancel();
        assert_eq!(clock.sleep(Duration::from_secs(3600)).await, Err(Cancelled));
    }

    #[test]
    fn token_prefix_follows_the_api() {
        let t = Modification::Type("ecs.g6.xlarge".into());
        assert_eq!(t.action(), "ModifyInstanceSpec");
        let b = Modification::Bandwidth {
            out: Some(1),
            inbound: None,
            api: BandwidthApi::NetworkSpec,
        };
        assert_eq!(b.action(), "ModifyInstanceNetworkSpec");
    }
}
