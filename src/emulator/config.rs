//! Every setting of the emulator in one plain struct, shared by the CLI
//! (`src/bin/ecs-emulator.rs`) and by tests that start it in-process.
//!
//! Durations are small in tests (`transition` of a few milliseconds,
//! `cooldown` of a second) so the rules can be exercised without waiting
//! minutes; the defaults are the realistic values.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Default access key id accepted by the emulator.
pub const DEFAULT_ACCESS_KEY_ID: &str = "emulator-access-key";
/// Default access key secret accepted by the emulator.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "emulator-secret";
/// Default region.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// Settings of one emulator instance.
#[derive(Clone)]
pub struct Config {
    /// Address to bind when the emulator binds its own listener.
    pub listen: SocketAddr,
    /// The one access key id the emulator knows; others get
    /// `InvalidAccessKeyId.NotFound`.
    pub access_key_id: String,
    /// Its secret. Never logged, never shown by `Debug`.
    pub access_key_secret: String,
    /// The region served; `RegionId` must name it. Zones are
    /// `<region>-h`, `<region>-i`, `<region>-j`.
    pub region: String,
    /// State file: loaded at start when it exists, rewritten (write, fsync,
    /// rename, fsync dir) before every answer that changed something.
    pub state: Option<PathBuf>,
    /// Seed file (instances and account flags) used when there is no state
    /// file yet.
    pub seed: Option<PathBuf>,
    /// After a successful ModifyInstanceSpec/ModifyInstanceNetworkSpec the
    /// instance refuses another modification for this long (the 5-minute rule).
    pub cooldown: Duration,
    /// Time an instance spends in Pending, Starting and Stopping.
    pub transition: Duration,
    /// With a spread above 0, transitions vary by instance family (built-in
    /// factors) and from one to the next (uniformly within ± this fraction);
    /// see `timing`.
    pub transition_spread: f64,
    /// Transition factor by family (`ecs.g6` → 1.5), over the built-in ones.
    pub transition_factors: std::collections::BTreeMap<String, f64>,
    /// Seed of the spread's random draws (reproducible runs).
    pub transition_seed: Option<u64>,
    /// Probability that a mutating call answers 500 InternalError before
    /// changing anything.
    pub fail_rate: f64,
    /// Probability that a mutating call is applied and its connection then
    /// closed without an answer.
    pub drop_rate: f64,
    /// Requests per second allowed per action; the excess gets `Throttling`.
    pub throttle_qps: Option<f64>,
    /// Delay added to every API request.
    pub latency: Duration,
    /// Count InternetMaxBandwidthOut and InternetMaxBandwidthIn given
    /// together as two modifications (refused with InvalidParameter.Mismatch).
    pub strict_bandwidth: bool,
    /// The account may create instances on the classic network, as accounts
    /// created before classic was retired can; new accounts cannot
    /// (RunInstances without VSwitchId is refused).
    pub classic_network: bool,
    /// `StoppedMode` of a StopInstance that names none, for VPC
    /// pay-as-you-go instances: `KeepCharging`, or `StopCharging` as on an
    /// account with economical mode switched on (the public IP is released
    /// at the stop and a new one assigned at the next start).
    pub default_stopped_mode: String,
    /// Report `InternetMaxBandwidthIn: -1` ("not set, platform default") for
    /// VPC instances whose inbound bandwidth was never set, as real ECS
    /// does, instead of the default 200.
    pub vpc_bandwidth_in_unset: bool,
    /// DescribeInstances shows a paid subscription type change as soon as
    /// it is ordered, before the restart that puts it in effect (the reading
    /// the alicloud provider relies on for Stopped instances). Off: the old
    /// type until the restart (the stricter reading; docs/design/emulator.md,
    /// "Subscription instances"). Either way the change is owed a restart.
    pub subscription_type_shown_early: bool,
    /// The gateway's clock runs this far ahead of the clients' (a fault:
    /// beyond 15 minutes every signed request is `InvalidTimeStamp.Expired`).
    pub clock_skew: Duration,
    /// Serve HTTPS instead of plain HTTP (`--tls`); see [`super::tls`].
    pub tls: Option<super::tls::TlsSetting>,
    /// STS, metadata service, credential lifetime, RAM policy; see
    /// [`super::identity`].
    pub identity: super::identity::IdentityConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            access_key_id: DEFAULT_ACCESS_KEY_ID.to_string(),
            access_key_secret: DEFAULT_ACCESS_KEY_SECRET.to_string(),
            region: DEFAULT_REGION.to_string(),
            state: None,
            seed: None,
            cooldown: Duration::from_secs(300),
            transition: Duration::from_secs(3),
            transition_spread: 0.0,
            transition_factors: std::collections::BTreeMap::new(),
            transition_seed: None,
            fail_rate: 0.0,
            drop_rate: 0.0,
            throttle_qps: None,
            latency: Duration::ZERO,
            strict_bandwidth: false,
            classic_network: false,
            default_stopped_mode: "KeepCharging".to_string(),
            vpc_bandwidth_in_unset: false,
            subscription_type_shown_early: false,
            clock_skew: Duration::ZERO,
            tls: None,
            identity: Default::default(),
        }
    }
}

/// What `InternetMaxBandwidthIn` holds when it was never set: ECS's `-1`.
pub const BANDWIDTH_IN_UNSET: i64 = -1;

impl Config {
    /// The inbound bandwidth of a new instance that did not ask for one.
    pub fn default_bandwidth_in(&self, vpc: bool) -> i64 {
        if vpc && self.vpc_bandwidth_in_unset {
            BANDWIDTH_IN_UNSET
        } else {
            200
        }
    }

    /// The three zones of the configured region.
    pub fn zones(&self) -> Vec<String> {
        ["h", "i", "j"]
            .iter()
            .map(|z| format!("{}-{z}", self.region))
            .collect()
    }

    /// Checks ranges that clap cannot express.
    ///
    /// # Errors
    /// Names the setting and the accepted range.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [("fail-rate", self.fail_rate), ("drop-rate", self.drop_rate)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("--{name} must be between 0 and 1, got {v}"));
            }
        }
        if !(0.0..1.0).contains(&self.transition_spread) {
            return Err(format!(
                "--transition-spread must be at least 0 and below 1, got {}",
                self.transition_spread
            ));
        }
        if let Some((family, f)) = self
            .transition_factors
            .iter()
            .find(|(_, f)| !f.is_finite() || **f <= 0.0)
        {
            return Err(format!(
                "--transition-factor {family}={f}: the factor must be greater than 0"
            ));
        }
        if let Some(q) = self.throttle_qps {
            if q.is_nan() || q <= 0.0 {
                return Err(format!("--throttle-qps must be greater than 0, got {q}"));
            }
        }
        if !matches!(
            self.default_stopped_mode.as_str(),
            "KeepCharging" | "StopCharging"
        ) {
            return Err(format!(
                "--default-stopped-mode must be KeepCharging or StopCharging, got {:?}",
                self.default_stopped_mode
            ));
        }
        if self.access_key_id.is_empty() || self.access_key_secret.is_empty() {
            return Err("--access-key-id and --access-key-secret must not be empty".into());
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("region", &self.region)
            .field("state", &self.state)
            .field("seed", &self.seed)
            .field("cooldown", &self.cooldown)
            .field("transition", &self.transition)
            .field("transition_spread", &self.transition_spread)
            .field("transition_factors", &self.transition_factors)
            .field("transition_seed", &self.transition_seed)
            .field("fail_rate", &self.fail_rate)
            .field("drop_rate", &self.drop_rate)
            .field("throttle_qps", &self.throttle_qps)
            .field("latency", &self.latency)
            .field("strict_bandwidth", &self.strict_bandwidth)
            .field("classic_network", &self.classic_network)
            .field("default_stopped_mode", &self.default_stopped_mode)
            .field("vpc_bandwidth_in_unset", &self.vpc_bandwidth_in_unset)
            .field(
                "subscription_type_shown_early",
                &self.subscription_type_shown_early,
            )
            .field("clock_skew", &self.clock_skew)
            .field("tls", &self.tls)
            .field("identity", &self.identity)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_setting() {
        assert!(Config::default().validate().is_ok());
        let bad = Config {
            drop_rate: 1.5,
            ..Config::default()
        };
        assert!(bad.validate().unwrap_err().contains("--drop-rate"));
        let bad = Config {
            throttle_qps: Some(0.0),
            ..Config::default()
        };
        assert!(bad.validate().unwrap_err().contains("--throttle-qps"));
        let bad = Config {
            transition_spread: 1.0,
            ..Config::default()
        };
        assert!(bad.validate().unwrap_err().contains("--transition-spread"));
        let bad = Config {
            transition_factors: [("ecs.g6".to_string(), 0.0)].into(),
            ..Config::default()
        };
        assert!(bad.validate().unwrap_err().contains("ecs.g6=0"));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Config {
            access_key_secret: "hunter2".into(),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
