//! The planner's inputs and outputs, as plain values.

use std::time::Duration;

use super::table::{Attr, Call, Settings};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PowerState {
    Running,
    Stopped,
}

/// Classic-network bandwidth changes go through ModifyInstanceSpec; VPC
/// instances are refused there and use ModifyInstanceNetworkSpec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NetworkType {
    Classic,
    Vpc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChargeType {
    PostPaid,
    PrePaid,
}

/// Which way a subscription's type changes (ModifyPrepayInstanceSpec
/// `OperatorType`). ECS calls a type with at least the vCPUs **and** at
/// least the memory of the current one an upgrade (the rule of
/// DescribeResourcesModification's Upgrade list); anything else is a
/// downgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Sent while Running or Stopped; in effect from the next API start or
    /// restart.
    Upgrade,
    /// Sent only while Stopped; in effect from the next start; uses one of
    /// the instance's [`MAX_REFUNDS`].
    Downgrade,
}

/// Downgrades (refunds) a subscription instance may have in its life: type,
/// bandwidth and disk downgrades together (ModifyPrepayInstanceSpec
/// reference).
pub const MAX_REFUNDS: u32 = 3;

/// What the planner knows of a subscription (PrePaid) instance beyond the
/// API's fields; empty for pay-as-you-go instances.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Subscription {
    /// A type change ordered (ModifyPrepayInstanceSpec) and not yet in
    /// effect: it takes effect at the next API start or restart. Until then
    /// `Observed::instance_type` is the type in effect.
    pub pending_type: Option<String>,
    /// Refunds (downgrades) used, as far as this provider knows: what it
    /// did itself. `None`: unknown (an imported instance).
    pub refunds_used: Option<u32>,
    /// A bandwidth decrease was made in the current billing cycle: no
    /// bandwidth change until the next one (the stricter reading of the
    /// ModifyInstanceNetworkSpec pages).
    pub bandwidth_locked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    /// InternetMaxBandwidthOut, Mbit/s (0–100).
    pub out: u32,
    /// InternetMaxBandwidthIn, Mbit/s (1–200).
    pub inbound: u32,
}

/// The instance as last observed. Only stable states reach the planner; the
/// caller waits out Pending/Starting/Stopping first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub status: PowerState,
    pub instance_type: String,
    pub bandwidth: Bandwidth,
    pub network: NetworkType,
    pub charge: ChargeType,
    /// Whether the instance has a public IP address, or gets one back at
    /// its next start (an economical stop releases it and the start assigns
    /// a new one).
    pub public_ip: bool,
    /// When our last successful modification happened, as a duration since
    /// an epoch shared with `Limits::now` (e.g. UNIX time). `None`: unknown or
    /// long ago.
    pub last_modified: Option<Duration>,
    /// The other attributes ([`Attr`]) as known: from the API, or for what
    /// the API cannot tell (a password) the value we last set. Absent:
    /// unknown (an imported instance's password).
    pub attrs: Settings,
    /// A change that takes effect only after a restart was made, and no
    /// restart followed yet (an interrupted apply): the next plan that ends
    /// Running restarts the instance.
    pub restart_owed: bool,
    /// Whether the system disk grows online (ultra, SSD and ESSD disks; a
    /// basic `cloud` disk grows offline, in effect at the next start).
    pub online_resize: bool,
    /// Subscription (PrePaid) bookkeeping; default for pay-as-you-go.
    pub subscription: Subscription,
}

/// What the configuration wants. `None` means "leave as it is" (for status:
/// restore the power state the instance had before we touched it).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Desired {
    pub status: Option<PowerState>,
    pub instance_type: Option<String>,
    pub bandwidth_out: Option<u32>,
    pub bandwidth_in: Option<u32>,
    /// The configuration asks for outbound bandwidth: a pay-as-you-go
    /// instance that ends with `out > 0` and no public IP gets one
    /// ([`Step::AllocatePublicIp`]). Raising the bandwidth from 0 does not
    /// give it one by itself.
    pub public_ip: bool,
    /// The other attributes the configuration sets; absent: leave as is.
    /// [`crate::planner::Val::Unknown`] counts as a change.
    pub attrs: Settings,
    /// On a subscription instance, whether the new `instance_type` is an
    /// upgrade or a downgrade (decided by the caller from the types' vCPUs
    /// and memory). `None` with a type change on a subscription instance:
    /// read as a downgrade (the stricter: it needs the instance Stopped and
    /// a refund).
    pub type_direction: Option<Direction>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Minimum time between two modifications of one instance (the API's
    /// 5-minute rule; scaled down against the emulator).
    pub cooldown: Duration,
    /// Whether we may stop a Running instance to change its type.
    pub allow_stopping: bool,
    /// The current time, on the same epoch as `Observed::last_modified`.
    pub now: Duration,
}

impl Observed {
    /// Whether a change already made waits for a restart to take effect:
    /// a restart-only attribute an interrupted apply set, or a subscription
    /// type ordered and not yet in effect.
    pub fn owes_restart(&self) -> bool {
        self.restart_owed || self.subscription.pending_type.is_some()
    }

    /// The value of `attr` as observed, if known.
    pub fn get(&self, attr: Attr) -> Option<&super::table::Val> {
        self.attrs.get(&attr)
    }
}

/// Which API call changes bandwidth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BandwidthApi {
    /// ModifyInstanceSpec (classic network).
    InstanceSpec,
    /// ModifyInstanceNetworkSpec (VPC).
    NetworkSpec,
    /// ModifyInstanceNetworkSpec of a subscription (PrePaid) instance: an
    /// order (AutoPay); a rise from 0 brings a public IP by itself, a
    /// decrease is a downgrade (a refund, and the bandwidth is locked until
    /// the next billing cycle).
    Subscription,
}

impl BandwidthApi {
    /// The call for an instance on `network` with charge type `charge`.
    pub fn for_instance(network: NetworkType, charge: ChargeType) -> BandwidthApi {
        match (charge, network) {
            (ChargeType::PrePaid, _) => BandwidthApi::Subscription,
            (ChargeType::PostPaid, NetworkType::Classic) => BandwidthApi::InstanceSpec,
            (ChargeType::PostPaid, NetworkType::Vpc) => BandwidthApi::NetworkSpec,
        }
    }
}

/// Which API call gives an instance its public IP address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PublicIpApi {
    /// ModifyInstanceNetworkSpec with `AllocatePublicIp=true` alone (VPC): a
    /// network-spec modification, so the cooldown applies before and after.
    NetworkSpec,
    /// AllocatePublicIpAddress (classic network): not a modification (no
    /// cooldown); the address works from the instance's next start.
    AllocateAddress,
}

impl PublicIpApi {
    /// The call for an instance on `network`.
    pub fn for_network(network: NetworkType) -> PublicIpApi {
        match network {
            NetworkType::Classic => PublicIpApi::AllocateAddress,
            NetworkType::Vpc => PublicIpApi::NetworkSpec,
        }
    }
}

/// One step of a sequence. Each `Modify*` step is exactly one modification,
/// i.e. one API call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Stop the instance and wait until it is Stopped.
    Stop,
    /// Start the instance and wait until it is Running.
    Start,
    /// Change the instance type (instance must be Stopped).
    ModifyType { to: String },
    /// Change a subscription instance's type (ModifyPrepayInstanceSpec): an
    /// upgrade while Running or Stopped, a downgrade only while Stopped;
    /// either takes effect at the next API start or restart.
    ModifyPrepayType { to: String, direction: Direction },
    /// Change bandwidth out and/or in, in one call (Running or Stopped).
    ModifyBandwidth {
        out: Option<u32>,
        inbound: Option<u32>,
        api: BandwidthApi,
    },
    /// Give the instance a public IP address (it must already have
    /// outbound bandwidth). With [`PublicIpApi::NetworkSpec`] this is a
    /// modification like the two above.
    AllocatePublicIp { api: PublicIpApi },
    /// Restart the instance through the API (RebootInstance): the one
    /// restart of a plan whose changes only need a restart to take effect.
    Reboot,
    /// One call of the other attributes ([`Call`]): `set` holds every value
    /// it sets. `Call::Tags` sets the whole user tag set (tags absent from
    /// it are removed); `Call::KeyPair` attaches `Val::Text` or detaches on
    /// `Val::None`; `Call::ReplaceSystemDisk` sets the image and, since the
    /// new disk keeps none of the old one's, the disk size, password and
    /// key pair the instance must end with.
    Call { call: Call, set: Settings },
    /// Wait until `until` (same epoch as `Limits::now`): the cooldown after
    /// the previous modification. Never scheduled while the instance is down
    /// if it is to end Running (one documented exception: see
    /// [`crate::planner::sequence`]).
    ///
    /// `until` is computed as if every API step took no time. In reality the
    /// stop before a type change takes a while, so the executor must wait
    /// until `max(until, time of the last real modification + cooldown)`, or
    /// re-plan after each step (see [`Desired::pinned`]).
    WaitUntil { until: Duration },
}

impl Step {
    /// Whether the step is a modification in the API's sense: one call that
    /// the cooldown rule counts (and that must wait out the previous one).
    pub fn is_modification(&self) -> bool {
        matches!(
            self,
            Step::ModifyType { .. }
                | Step::ModifyPrepayType { .. }
                | Step::ModifyBandwidth { .. }
                | Step::AllocatePublicIp {
                    api: PublicIpApi::NetworkSpec
                }
        )
    }

    /// Whether the step changes the instance (not a power step or a wait).
    pub fn is_change(&self) -> bool {
        !matches!(
            self,
            Step::Stop | Step::Start | Step::Reboot | Step::WaitUntil { .. }
        )
    }
}

/// The most tags ECS keeps on one instance (user tags and our marker).
pub const MAX_TAGS: usize = 20;

/// Why no sequence exists. Each names the attribute at fault
/// ([`PlanError::attribute`]) and its message says what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A type change needs a stop, the instance is Running and must end
    /// Running, and stopping is not allowed.
    #[error(
        "changing instance_type from {from} to {to} requires stopping the \
         instance, and allow_stopping_for_update is false; set \
         allow_stopping_for_update = true to allow a stop and start, or set \
         status = \"Stopped\" to stop it yourself (it then stays stopped)"
    )]
    StopNotAllowed { from: String, to: String },
    /// Raising `internet_max_bandwidth_out` from 0 on a classic-network
    /// instance needs it Stopped, it is Running and must end Running, and
    /// stopping is not allowed.
    #[error(
        "raising internet_max_bandwidth_out from 0 to {to} on a classic-network \
         instance requires stopping it (ECS accepts that change only while the \
         instance is Stopped, and its new public IP works only after a start), \
         and allow_stopping_for_update is false; set allow_stopping_for_update = \
         true to allow a stop and start, or set status = \"Stopped\" to stop it \
         yourself (it then stays stopped)"
    )]
    BandwidthStopNotAllowed { to: u32 },
    /// A change that needs the instance Stopped (`restart` false) or
    /// restarted (`restart` true), on a Running instance that must end
    /// Running, and stopping is not allowed.
    #[error(
        "{}, and allow_stopping_for_update is false; set \
         allow_stopping_for_update = true to allow {}, or set status = \"Stopped\" \
         to stop it yourself (it then stays stopped)",
        why_stop(attribute, *restart), if *restart { "the restart" } else { "a stop and start" }
    )]
    ChangeStopNotAllowed {
        attribute: &'static str,
        restart: bool,
    },
    /// An earlier apply made a change that needs a restart and was cut
    /// short before it; stopping is not allowed now.
    #[error(
        "an earlier apply changed settings that take effect only after a restart \
         and was interrupted before restarting the instance, and \
         allow_stopping_for_update is false; set allow_stopping_for_update = true \
         to let this apply restart it, or restart it yourself (the console's or \
         the API's restart, not one inside the OS)"
    )]
    RestartOwed,
    /// The plan stops the instance and starts it again: our marker tag
    /// must go on first, and the instance would have no room for it.
    #[error(
        "this update stops the instance and starts it again, and while it is \
         stopped it carries a marker tag (terraform-provider-ecs:stopped-for-update) \
         so that an interrupted apply starts it again; with {tags} tags it would \
         exceed ECS's limit of {max} tags per instance. Remove at least one tag \
         from tags (in this apply: tags change before the stop), or set status = \
         \"Stopped\" (a stop that stays needs no marker)"
    )]
    NoRoomForMarker { tags: usize, max: usize },
    /// A subscription type order: our pending-type tag must go on first,
    /// and the instance would have no room for it.
    #[error(
        "this update orders a new type for a subscription instance, and until the \
         restart that puts it in effect the instance carries a tag \
         (terraform-provider-ecs:type-pending-restart){also} so that an interrupted \
         apply restarts it; with {tags} tags it would exceed ECS's limit of {max} \
         tags per instance. Remove at least one tag from tags (for an upgrade, in \
         an apply before this one: an upgrade is ordered before the apply's tag \
         changes), or leave instance_type as it is"
    )]
    NoRoomForPendingTag {
        tags: usize,
        max: usize,
        also: &'static str,
    },
    /// ECS accepts this change on pay-as-you-go instances only.
    #[error(
        "{what} can be changed only on a pay-as-you-go (PostPaid) instance; this \
         one is a subscription (PrePaid): remove {what} from the configuration"
    )]
    PostPaidOnly { what: &'static str },
    /// This exists on subscription instances only.
    #[error(
        "{what} exists on subscription (PrePaid) instances only; this one is \
         pay-as-you-go (PostPaid): remove {what} from the configuration"
    )]
    PrePaidOnly { what: &'static str },
    /// A subscription instance's downgrades (type, bandwidth) would exceed
    /// the three ECS allows.
    #[error(
        "{attribute}: this change is a downgrade, which uses one of the {max} refunds ECS \
         allows a subscription instance in its life (type, bandwidth and disk downgrades \
         together), and this provider has already used {used}{more}; ECS would refuse it \
         (InstanceDowngrade.QuotaExceed). Keep the current value or upgrade instead, \
         replace the instance (taint it) to get a new one, or ask Alibaba Cloud support"
    )]
    NoRefundsLeft {
        attribute: &'static str,
        used: u32,
        more: &'static str,
        max: u32,
    },
    /// A bandwidth change on a subscription instance whose bandwidth was
    /// decreased in the current billing cycle.
    #[error(
        "{attribute}: the bandwidth of this subscription instance was decreased in its \
         current billing cycle, and ECS takes no other bandwidth change until the next \
         one (OperationDenied); keep the current value until the subscription renews"
    )]
    BandwidthLocked { attribute: &'static str },
    /// A type change ordered by an earlier apply still waits for its
    /// restart, and the configuration asks for yet another type.
    #[error(
        "instance_type: a change to {pending} ordered by an earlier apply takes effect \
         only at the next restart, and ECS takes no other type change until then \
         (InvalidOperation.RebootingRequired); apply with instance_type = \"{pending}\" \
         first (that restarts the instance), then change it to {to}"
    )]
    PendingType { pending: String, to: String },
    /// The system disk only grows.
    #[error(
        "system_disk_size cannot shrink from {from} to {to} GiB: ECS only grows \
         disks; keep {from} or more, or replace the instance (taint it) to get a \
         smaller disk"
    )]
    DiskShrink { from: u32, to: u32 },
    /// A bandwidth value outside the API's range.
    #[error("{attribute} = {value} is out of range: use a value from {min} to {max} (Mbit/s)")]
    BandwidthOutOfRange {
        attribute: &'static str,
        value: u32,
        min: u32,
        max: u32,
    },
}

impl PlanError {
    /// The configuration attribute a diagnostic should point at.
    pub fn attribute(&self) -> &'static str {
        match self {
            PlanError::StopNotAllowed { .. } => "instance_type",
            PlanError::BandwidthStopNotAllowed { .. } => "internet_max_bandwidth_out",
            PlanError::BandwidthOutOfRange { attribute, .. } => attribute,
            PlanError::ChangeStopNotAllowed { attribute, .. } => attribute,
            PlanError::RestartOwed => "allow_stopping_for_update",
            PlanError::NoRoomForMarker { .. } | PlanError::NoRoomForPendingTag { .. } => "tags",
            PlanError::PostPaidOnly { what } | PlanError::PrePaidOnly { what } => what,
            PlanError::DiskShrink { .. } => "system_disk_size",
            PlanError::NoRefundsLeft { attribute, .. } => attribute,
            PlanError::BandwidthLocked { attribute } => attribute,
            PlanError::PendingType { .. } => "instance_type",
        }
    }
}

/// Why a change of `attribute` stops or restarts the instance, for the
/// refusal's first clause.
fn why_stop(attribute: &str, restart: bool) -> String {
    if restart {
        format!(
            "{attribute} takes effect only after the instance restarts (a restart \
             through the API: RebootInstance)"
        )
    } else {
        format!("changing {attribute} requires stopping the instance (ECS makes that change only while it is Stopped)")
    }
}

/// The API's accepted range for `internet_max_bandwidth_out` (Mbit/s).
pub const BANDWIDTH_OUT_RANGE: std::ops::RangeInclusive<u32> = 0..=100;
/// The API's accepted range for `internet_max_bandwidth_in` (Mbit/s).
pub const BANDWIDTH_IN_RANGE: std::ops::RangeInclusive<u32> = 1..=200;

impl Desired {
    /// The power state the instance must end in: the requested one, or with
    /// `status` unset the one it has now.
    pub fn end_status(&self, observed: &Observed) -> PowerState {
        self.status.unwrap_or(observed.status)
    }

    /// This desired state with `status` fixed to [`Desired::end_status`].
    /// An executor that re-plans after each step must plan with the pinned
    /// value: once it has stopped the instance to change its type, "restore
    /// the prior state" would otherwise read as "stay Stopped".
    pub fn pinned(&self, observed: &Observed) -> Desired {
        Desired {
            status: Some(self.end_status(observed)),
            ..self.clone()
        }
    }
}
