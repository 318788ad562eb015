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
    /// ModifyInstanceSpec serves pay-as-you-go instances only. `what` is the
    /// attribute that would change.
    #[error(
        "{what} cannot change in place on a subscription (PrePaid) instance: \
         ModifyInstanceSpec serves pay-as-you-go instances only; keep the \
         current value, or recreate the instance with \
         instance_charge_type = \"PostPaid\""
    )]
    PrePaid { what: &'static str },
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
            PlanError::PrePaid { what } => what,
            PlanError::BandwidthOutOfRange { attribute, .. } => attribute,
            PlanError::ChangeStopNotAllowed { attribute, .. } => attribute,
            PlanError::RestartOwed => "allow_stopping_for_update",
            PlanError::NoRoomForMarker { .. } => "tags",
            PlanError::PostPaidOnly { what } | PlanError::PrePaidOnly { what } => what,
            PlanError::DiskShrink { .. } => "system_disk_size",
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
