//! The two things apply needs from the outside world, as traits, so the step
//! executor and the waits can be tested against a fake instance on a
//! virtual clock:
//! - [`InstanceApi`]: the few ECS calls that change one instance;
//! - [`Clock`]: wall time (the planner's time base: the UNIX epoch, because
//!   the last modification time outlives the process in private state) and
//!   sleeping that Terraform's Stop cuts short.

use crate::ecs::{self, Client, ModifySpec};
use crate::planner::{Attr, BandwidthApi, Call, Direction, Settings, Val};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// One modification: exactly what one API call changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Modification {
    Type(String),
    /// ModifyPrepayInstanceSpec: a subscription instance's type, with
    /// `AutoPay` (the order is paid at once, or fails).
    PrepayType {
        to: String,
        direction: Direction,
    },
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
            Modification::PrepayType { .. } => "ModifyPrepayInstanceSpec",
            Modification::Bandwidth {
                api: BandwidthApi::NetworkSpec | BandwidthApi::Subscription,
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
    /// The same, for a first look that may wait a little to share its call
    /// with other instances' (the batched lookup's patient form).
    async fn describe_patiently(&self, id: &str) -> ecs::Result<Option<ecs::Instance>> {
        self.describe(id).await
    }
    async fn start(&self, id: &str) -> ecs::Result<()>;
    async fn stop(&self, id: &str, stopped_mode: Option<&str>) -> ecs::Result<()>;
    /// One modification; retries of the same logical step pass the same
    /// token. `Some(order id)` for a subscription change (an order).
    async fn modify(
        &self,
        id: &str,
        change: &Modification,
        token: &str,
    ) -> ecs::Result<Option<String>>;
    /// AllocatePublicIpAddress (classic network; not a modification).
    async fn allocate_public_ip_address(&self, id: &str) -> ecs::Result<()>;
    /// RebootInstance: the one restart of a plan without a stop window.
    /// `live`: the instance as just read (its start time tells a reboot
    /// that happened despite a lost answer).
    async fn reboot(&self, live: &ecs::Instance) -> ecs::Result<()>;
    /// One call of the other attributes ([`Call`]), setting `set`, on the
    /// instance as just read (`live`); `token` for the calls that take one.
    /// Tags come as [`InstanceApi::tags`] instead.
    async fn call(
        &self,
        live: &ecs::Instance,
        call: Call,
        set: &Settings,
        token: &str,
    ) -> ecs::Result<()>;
    /// TagResources of `add`, then UntagResources of `remove` (user tags).
    async fn tags(&self, id: &str, add: &[(String, String)], remove: &[String]) -> ecs::Result<()>;
    /// A fresh idempotence token for one logical step.
    fn new_token(&self, action: &str) -> String;
    /// Writes our "stopped for an update" marker on the instance
    /// ([`super::marker`]).
    async fn mark(&self, id: &str, value: &str) -> ecs::Result<()>;
    /// Removes the marker (no error if it is not there).
    async fn unmark(&self, id: &str) -> ecs::Result<()>;
}

/// The real API: an [`ecs::Client`], usually one with the operation's deadline.
pub struct ClientApi(pub Client);

#[async_trait::async_trait]
impl InstanceApi for ClientApi {
    async fn describe(&self, id: &str) -> ecs::Result<Option<ecs::Instance>> {
        self.0.describe_instance(id).await
    }

    async fn describe_patiently(&self, id: &str) -> ecs::Result<Option<ecs::Instance>> {
        self.0.describe_instance_patiently(id).await
    }

    async fn start(&self, id: &str) -> ecs::Result<()> {
        self.0.start_instance(id).await
    }

    async fn stop(&self, id: &str, stopped_mode: Option<&str>) -> ecs::Result<()> {
        self.0.stop_instance(id, false, stopped_mode).await
    }

    async fn modify(
        &self,
        id: &str,
        change: &Modification,
        token: &str,
    ) -> ecs::Result<Option<String>> {
        let none = |()| None;
        match change {
            Modification::Type(to) => self
                .0
                .modify_instance_spec(id, &ModifySpec::Type(to.clone()), token)
                .await
                .map(none),
            Modification::PrepayType { to, direction } => {
                let spec = ecs::PrepaySpec {
                    instance_type: to.clone(),
                    direction: match direction {
                        Direction::Upgrade => ecs::Resize::Upgrade,
                        Direction::Downgrade => ecs::Resize::Downgrade,
                    },
                    auto_pay: true,
                    reboot_when_finished: false,
                };
                self.0
                    .modify_prepay_instance_spec(id, &spec, token)
                    .await
                    .map(Some)
            }
            Modification::Bandwidth {
                out,
                inbound,
                api: BandwidthApi::Subscription,
            } => self
                .0
                .modify_prepaid_bandwidth(
                    id,
                    out.map(i64::from),
                    inbound.map(i64::from),
                    true,
                    token,
                )
                .await
                .map(Some),
            Modification::Bandwidth {
                out,
                inbound,
                api: BandwidthApi::InstanceSpec,
            } => {
                let spec = ModifySpec::Bandwidth {
                    out: out.map(i64::from),
                    inbound: inbound.map(i64::from),
                };
                self.0
                    .modify_instance_spec(id, &spec, token)
                    .await
                    .map(none)
            }
            Modification::Bandwidth {
                out,
                inbound,
                api: BandwidthApi::NetworkSpec,
            } => self
                .0
                .modify_instance_network_spec(id, out.map(i64::from), inbound.map(i64::from), token)
                .await
                .map(none),
            Modification::AllocatePublicIp => self
                .0
                .allocate_public_ip_network_spec(id, token)
                .await
                .map(none),
        }
    }

    async fn allocate_public_ip_address(&self, id: &str) -> ecs::Result<()> {
        self.0.allocate_public_ip_address(id).await.map(|_| ())
    }

    async fn reboot(&self, live: &ecs::Instance) -> ecs::Result<()> {
        self.0
            .reboot_instance(&live.instance_id, false, &live.start_time)
            .await
    }

    async fn call(
        &self,
        live: &ecs::Instance,
        call: Call,
        set: &Settings,
        token: &str,
    ) -> ecs::Result<()> {
        let id = live.instance_id.as_str();
        let text = |a: Attr| set.get(&a).and_then(Val::as_text).map(String::from);
        let secret = |a: Attr| text(a).map(ecs::Secret::new);
        let size = |a: Attr| set.get(&a).and_then(Val::as_size).map(i64::from);
        match call {
            Call::Attribute => {
                let req = ecs::ModifyAttributes {
                    instance_name: text(Attr::InstanceName),
                    description: text(Attr::Description),
                    host_name: text(Attr::HostName),
                    password: secret(Attr::Password),
                    user_data: text(Attr::UserData).map(String::into_bytes),
                    security_group_ids: match set.get(&Attr::SecurityGroups) {
                        Some(Val::Set(s)) => Some(s.iter().cloned().collect()),
                        _ => None,
                    },
                    deletion_protection: match set.get(&Attr::DeletionProtection) {
                        Some(Val::Flag(b)) => Some(*b),
                        _ => None,
                    },
                };
                self.0.modify_instance_attribute(id, &req).await
            }
            Call::KeyPair => match text(Attr::KeyPair) {
                Some(name) => self.0.attach_key_pair(id, &name).await,
                None if live.key_pair_name.is_empty() => Ok(()),
                None => self.0.detach_key_pair(id, &live.key_pair_name).await,
            },
            Call::Vpc => {
                let req = ecs::ModifyVpcAttributes {
                    vswitch_id: text(Attr::VSwitch).unwrap_or_else(|| live.vswitch_id.clone()),
                    private_ip_address: text(Attr::PrivateIp),
                };
                self.0.modify_instance_vpc_attribute(id, &req).await
            }
            Call::ReplaceSystemDisk => {
                let req = ecs::ReplaceSystemDiskRequest {
                    image_id: text(Attr::Image).unwrap_or_default(),
                    system_disk_size: size(Attr::SystemDiskSize),
                    password: secret(Attr::Password),
                    password_inherit: false,
                    key_pair_name: text(Attr::KeyPair),
                };
                self.0
                    .replace_system_disk(id, &req, token)
                    .await
                    .map(|_| ())
            }
            Call::ResizeDisk => {
                let Some(to) = size(Attr::SystemDiskSize) else {
                    return Ok(());
                };
                let Some(disk) = self.0.system_disk(id).await? else {
                    return Err(ecs::Error::local(
                        ecs::ErrorKind::NotFound,
                        "ResizeDisk",
                        "InvalidDiskId.NotFound",
                        format!("{id} has no system disk to grow"),
                    ));
                };
                // Online while Running (no restart); offline otherwise, in
                // effect at the next start.
                let kind = if live.status == "Running" && disk.category != "cloud" {
                    ecs::ResizeType::Online
                } else {
                    ecs::ResizeType::Offline
                };
                self.0.resize_disk(&disk.disk_id, to, kind, token).await
            }
            Call::AutoRenew => {
                let ids = [id.to_string()];
                self.0
                    .modify_instance_auto_renew_attribute(&ids, &renew_setting(set))
                    .await
            }
            Call::Tags | Call::InstanceSpec | Call::Bandwidth => Err(ecs::Error::local(
                ecs::ErrorKind::InvalidParameter,
                call.actions(),
                "InvalidParameter",
                format!("{id}: {call:?} is not a call of the other attributes"),
            )),
        }
    }

    async fn tags(&self, id: &str, add: &[(String, String)], remove: &[String]) -> ecs::Result<()> {
        let ids = [id.to_string()];
        // ECS takes at most 20 tags a call.
        for chunk in add.chunks(20) {
            self.0.tag_instances(&ids, chunk).await?;
        }
        for chunk in remove.chunks(20) {
            self.0.untag_instances(&ids, chunk).await?;
        }
        Ok(())
    }

    fn new_token(&self, action: &str) -> String {
        Client::new_client_token(action)
    }

    async fn mark(&self, id: &str, value: &str) -> ecs::Result<()> {
        self.0.tag_instance(id, super::marker::KEY, value).await
    }

    async fn unmark(&self, id: &str) -> ecs::Result<()> {
        self.0.untag_instance(id, super::marker::KEY).await
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

/// How often waits poll.
///
/// - **Down for an update, densely.** While an instance goes down
///   (a wait for Stopped) every moment we notice late is downtime, so the
///   interval is a sixteenth of the time waited so far (noticing the end
///   costs at most ~6% of the transition), never below `initial / 2`. Once
///   a stop has been seen, waits for Stopped skip the first three quarters
///   of that transition time: dense where it matters, few calls.
/// - **Otherwise, backing off**: fast at first (most transitions take
///   seconds), ×1.5 per poll up to `max`, so a long wait costs few requests.
/// - **Aligned.** Every interval is rounded down to `initial / 4` × 2^k and
///   each poll lands on a multiple of its interval on the clock, so the
///   waits of many instances poll at the same instants and the batched
///   lookup answers them with one DescribeInstances.
#[derive(Clone, Debug)]
pub struct PollPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// Stop transitions seen by this provider configuration (shared by clones).
    pub learned: Learned,
}

/// The typical time, in ms, from a stop to Stopped (0: none seen yet).
#[derive(Clone, Debug, Default)]
pub struct Learned(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl Learned {
    pub fn stop_transition(&self) -> Option<Duration> {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Folds one observed stop transition in (moving average).
    pub fn saw_stop(&self, took: Duration) {
        let ms = (took.as_millis() as u64).max(1);
        let old = self.0.load(std::sync::atomic::Ordering::Relaxed);
        let new = if old == 0 { ms } else { (old * 3 + ms) / 4 };
        self.0.store(new, std::sync::atomic::Ordering::Relaxed);
    }
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
        let default = PollPolicy::new(Duration::from_millis(200), Duration::from_secs(3));
        match env(POLL_ENV).and_then(|v| v.trim().parse::<u64>().ok()) {
            Some(ms) if ms > 0 => {
                let initial = Duration::from_millis(ms).min(MAX_POLL_INITIAL);
                PollPolicy::new(initial, (initial * 16).min(default.max).max(initial))
            }
            _ => default,
        }
    }

    pub fn new(initial: Duration, max: Duration) -> PollPolicy {
        PollPolicy {
            initial,
            max,
            learned: Learned::default(),
        }
    }

    /// The interval after `current`: ×1.5, capped.
    pub fn next(&self, current: Duration) -> Duration {
        (current * 3 / 2).min(self.max).max(self.initial)
    }

    /// The finest interval, and the unit of the alignment grid.
    pub fn fine(&self) -> Duration {
        (self.initial / 4).max(Duration::from_millis(5))
    }

    /// `d` rounded down to `fine` × 2^k (at least `fine`).
    pub fn quantize(&self, d: Duration) -> Duration {
        let mut q = self.fine();
        while q * 2 <= d {
            q *= 2;
        }
        q
    }

    /// The interval of a wait for an instance going down, `waited` in: a
    /// sixteenth of it, at least `initial` (nothing finishes in the first
    /// instants, and a fleet's grid stays affordable: while a fleet's stops
    /// overlap, every tick of the grid is one DescribeInstances call, and
    /// 200 ms instead of 100 ms halved a 100-instance resize's reads in
    /// `make bench` for 0.02× more downtime).
    pub fn going_down(&self, waited: Duration) -> Duration {
        self.quantize((waited / 16).max(self.initial).min(self.max))
    }

    /// How long to sleep at clock time `now` to poll on the grid of
    /// `interval` (see the type's comment).
    pub fn aligned(&self, now: Duration, interval: Duration) -> Duration {
        let q = self.quantize(interval);
        let into = Duration::from_nanos((now.as_nanos() % q.as_nanos()) as u64);
        q - into
    }
}

/// What ModifyInstanceAutoRenewAttribute sends for a step's values. A new
/// length means auto-renewal on (validation wants `auto_renew = true` with
/// it). Months from 24 go as years: ECS's older references take Month
/// durations only up to 12.
fn renew_setting(set: &Settings) -> ecs::AutoRenewSetting {
    let duration = match set.get(&Attr::AutoRenewPeriod) {
        Some(Val::Term { n, unit }) => {
            let n = i64::from(*n);
            match ecs::PeriodUnit::parse(unit).unwrap_or_default() {
                ecs::PeriodUnit::Month if n > 12 && n % 12 == 0 => {
                    Some((n / 12, ecs::PeriodUnit::Year))
                }
                u => Some((n, u)),
            }
        }
        _ => None,
    };
    let on = match set.get(&Attr::AutoRenew) {
        Some(Val::Flag(b)) => *b,
        _ => duration.is_some(),
    };
    ecs::AutoRenewSetting {
        renewal_status: if on {
            ecs::RenewalStatus::AutoRenewal
        } else {
            ecs::RenewalStatus::Normal
        },
        duration: duration.filter(|_| on),
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
    fn going_down_polls_densely_and_on_a_shared_grid() {
        let p = PollPolicy::from_env(|_| None);
        assert_eq!(p.fine(), Duration::from_millis(50));
        assert_eq!(p.going_down(Duration::ZERO), Duration::from_millis(200));
        // A sixteenth of the time waited, rounded down to 50 ms × 2^k.
        assert_eq!(
            p.going_down(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
        assert_eq!(
            p.going_down(Duration::from_secs(20)),
            Duration::from_millis(800)
        );
        assert_eq!(
            p.going_down(Duration::from_secs(600)),
            Duration::from_millis(1600)
        );
        // Two waits that started apart poll at the same instants.
        let t = Duration::from_millis(1_700_000_000_123);
        let u = t + Duration::from_millis(61);
        let q = Duration::from_millis(200);
        assert_eq!(t + p.aligned(t, q), u + p.aligned(u, q));
        assert_eq!((t + p.aligned(t, q)).as_millis() % 200, 0);
    }

    #[test]
    fn stop_transitions_are_learned_as_a_moving_average() {
        let l = Learned::default();
        assert_eq!(l.stop_transition(), None);
        l.saw_stop(Duration::from_secs(20));
        assert_eq!(l.stop_transition(), Some(Duration::from_secs(20)));
        l.saw_stop(Duration::from_secs(4));
        assert_eq!(l.stop_transition(), Some(Duration::from_secs(16)));
        let shared = l.clone();
        shared.saw_stop(Duration::from_secs(16));
        assert_eq!(l.stop_transition(), Some(Duration::from_secs(16)));
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

    #[test]
    fn renewal_lengths_go_in_units_every_reading_of_the_api_takes() {
        use crate::planner::{Attr, Settings, Val};
        let term = |n: u32| Val::Term {
            n,
            unit: "Month".into(),
        };
        let set = |v: Vec<(Attr, Val)>| v.into_iter().collect::<Settings>();
        let s = renew_setting(&set(vec![(Attr::AutoRenewPeriod, term(6))]));
        assert_eq!(s.renewal_status, ecs::RenewalStatus::AutoRenewal);
        assert_eq!(s.duration, Some((6, ecs::PeriodUnit::Month)));
        let s = renew_setting(&set(vec![(Attr::AutoRenewPeriod, term(24))]));
        assert_eq!(s.duration, Some((2, ecs::PeriodUnit::Year)));
        let s = renew_setting(&set(vec![(Attr::AutoRenew, Val::Flag(false))]));
        assert_eq!(s.renewal_status, ecs::RenewalStatus::Normal);
        assert_eq!(s.duration, None);
        let week = Val::Term {
            n: 2,
            unit: "Week".into(),
        };
        let s = renew_setting(&set(vec![
            (Attr::AutoRenew, Val::Flag(true)),
            (Attr::AutoRenewPeriod, week),
        ]));
        assert_eq!(s.duration, Some((2, ecs::PeriodUnit::Week)));
    }
}
