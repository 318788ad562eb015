//! The classification of every change the planner knows: which API call
//! makes it, and what it costs the instance (no stop, a restart for it to
//! take effect, or the instance Stopped while it is made).
//!
//! One row per attribute ([`TABLE`]). The sequencer ([`super::sequence`]),
//! the judge ([`super::simulate`]), the plan's texts ([`super::describe`])
//! and, through `resources::instance::attributes`, the schema docs all read
//! it: a new in-place attribute is a row here plus a row there.
//!
//! Two classes depend on the instance and are decided by [`stop_class`]: a
//! classic-network instance's outbound bandwidth rising from 0 needs it
//! Stopped, and a system disk that cannot grow online (a basic `cloud`
//! disk) grows offline, which takes effect at the next start.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::model::{ChargeType, Direction, NetworkType, Observed};

/// An attribute whose change the planner sequences, by its Terraform name
/// ([`Attr::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attr {
    InstanceType,
    BandwidthOut,
    BandwidthIn,
    Tags,
    SecurityGroups,
    InstanceName,
    Description,
    DeletionProtection,
    HostName,
    Password,
    UserData,
    KeyPair,
    VSwitch,
    PrivateIp,
    Image,
    SystemDiskSize,
    AutoRenew,
    AutoRenewPeriod,
}

/// The API call (or pair of calls) that changes an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Call {
    /// ModifyInstanceSpec: the type; a modification (5-minute rule).
    InstanceSpec,
    /// ModifyInstanceNetworkSpec (VPC) or ModifyInstanceSpec (classic); a
    /// modification.
    Bandwidth,
    /// TagResources / UntagResources (the whole user tag set).
    Tags,
    /// One ModifyInstanceAttribute for every attribute it carries.
    Attribute,
    /// AttachKeyPair, or DetachKeyPair when the key is removed.
    KeyPair,
    /// ModifyInstanceVpcAttribute: at most once per stop window.
    Vpc,
    /// ReplaceSystemDisk: a new system disk from the image.
    ReplaceSystemDisk,
    /// ResizeDisk of the system disk (grow only).
    ResizeDisk,
    /// ModifyInstanceAutoRenewAttribute: a subscription's renewal setting.
    AutoRenew,
}

impl Call {
    /// The API actions, as the docs name them.
    pub fn actions(self) -> &'static str {
        match self {
            Call::InstanceSpec => "ModifyInstanceSpec / ModifyPrepayInstanceSpec (subscription)",
            Call::Bandwidth => {
                "ModifyInstanceNetworkSpec (VPC, subscription) / ModifyInstanceSpec (classic)"
            }
            Call::Tags => "TagResources / UntagResources",
            Call::Attribute => "ModifyInstanceAttribute",
            Call::KeyPair => "AttachKeyPair / DetachKeyPair",
            Call::Vpc => "ModifyInstanceVpcAttribute",
            Call::ReplaceSystemDisk => "ReplaceSystemDisk",
            Call::ResizeDisk => "ResizeDisk",
            Call::AutoRenew => "ModifyInstanceAutoRenewAttribute",
        }
    }

    /// Whether the call counts against the 5-minute rule (one modification
    /// per call, none within the cooldown of the previous).
    pub fn is_modification(self) -> bool {
        matches!(self, Call::InstanceSpec | Call::Bandwidth)
    }
}

/// What a change costs the instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StopClass {
    /// Made while the instance runs, and in effect at once.
    NoStop,
    /// Made while it runs, in effect only after a restart through the API
    /// (RebootInstance, or a stop and start).
    Restart,
    /// Made only while the instance is Stopped.
    Stopped,
}

impl StopClass {
    pub fn describe(self) -> &'static str {
        match self {
            StopClass::NoStop => "no stop",
            StopClass::Restart => "takes effect after a restart",
            StopClass::Stopped => "needs the instance stopped",
        }
    }
}

/// One row: an attribute, the call that changes it, and its usual class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub attr: Attr,
    /// The Terraform attribute name.
    pub name: &'static str,
    pub call: Call,
    pub stop: StopClass,
    /// Whether several changes share one call (several attributes, or a
    /// value and its partner as vswitch_id with private_ip).
    pub batches: bool,
}

const fn row(attr: Attr, name: &'static str, call: Call, stop: StopClass, batches: bool) -> Row {
    Row {
        attr,
        name,
        call,
        stop,
        batches,
    }
}

use Call as C;
use StopClass as S;

/// Every attribute the planner changes in place.
///
/// `user_data` needs the instance Stopped: older ModifyInstanceAttribute
/// references say so and newer ones are silent; we keep the stricter
/// reading (docs/design/planner.md). When it changes, the one
/// ModifyInstanceAttribute call (with whatever else it carries) is made in
/// the stop window.
pub const TABLE: [Row; 18] = [
    row(
        Attr::InstanceType,
        "instance_type",
        C::InstanceSpec,
        S::Stopped,
        false,
    ),
    row(
        Attr::BandwidthOut,
        "internet_max_bandwidth_out",
        C::Bandwidth,
        S::NoStop,
        true,
    ),
    row(
        Attr::BandwidthIn,
        "internet_max_bandwidth_in",
        C::Bandwidth,
        S::NoStop,
        true,
    ),
    row(Attr::Tags, "tags", C::Tags, S::NoStop, true),
    row(
        Attr::SecurityGroups,
        "security_group_ids",
        C::Attribute,
        S::NoStop,
        true,
    ),
    row(
        Attr::InstanceName,
        "instance_name",
        C::Attribute,
        S::NoStop,
        true,
    ),
    row(
        Attr::Description,
        "description",
        C::Attribute,
        S::NoStop,
        true,
    ),
    row(
        Attr::DeletionProtection,
        "deletion_protection",
        C::Attribute,
        S::NoStop,
        true,
    ),
    row(Attr::HostName, "host_name", C::Attribute, S::Restart, true),
    row(Attr::Password, "password", C::Attribute, S::Restart, true),
    row(Attr::UserData, "user_data", C::Attribute, S::Stopped, true),
    row(Attr::KeyPair, "key_name", C::KeyPair, S::Restart, false),
    row(Attr::VSwitch, "vswitch_id", C::Vpc, S::Stopped, true),
    row(Attr::PrivateIp, "private_ip", C::Vpc, S::Stopped, true),
    row(
        Attr::Image,
        "image_id",
        C::ReplaceSystemDisk,
        S::Stopped,
        true,
    ),
    row(
        Attr::SystemDiskSize,
        "system_disk_size",
        C::ResizeDisk,
        S::NoStop,
        false,
    ),
    row(Attr::AutoRenew, "auto_renew", C::AutoRenew, S::NoStop, true),
    row(
        Attr::AutoRenewPeriod,
        "auto_renew_period",
        C::AutoRenew,
        S::NoStop,
        true,
    ),
];

impl Attr {
    /// Every attribute, in table order.
    pub fn all() -> impl Iterator<Item = Attr> {
        TABLE.iter().map(|r| r.attr)
    }

    pub fn row(self) -> &'static Row {
        TABLE
            .iter()
            .find(|r| r.attr == self)
            .expect("every attribute has a row")
    }

    /// The Terraform attribute name.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    pub fn call(self) -> Call {
        self.row().call
    }

    /// Whether its value is a secret: never shown in texts or Debug output.
    pub fn is_sensitive(self) -> bool {
        self == Attr::Password
    }
}

/// The class of a change of `attr` on `observed` (see the module docs for
/// the two cases that depend on the instance). `to_out`: the outbound
/// bandwidth the change asks for (only read for [`Attr::BandwidthOut`]).
pub fn stop_class(attr: Attr, observed: &Observed, to_out: Option<u32>) -> StopClass {
    match attr {
        Attr::BandwidthOut
            if observed.network == NetworkType::Classic
                && observed.bandwidth.out == 0
                && to_out.is_some_and(|v| v > 0) =>
        {
            StopClass::Stopped
        }
        Attr::SystemDiskSize if !observed.online_resize => StopClass::Restart,
        _ => attr.row().stop,
    }
}

/// The class of a type change on `observed`: needs Stopped on a
/// pay-as-you-go instance (ModifyInstanceSpec); on a subscription, an
/// upgrade takes effect at the next restart and a downgrade (or a change
/// whose direction is unknown, read as one) needs Stopped.
pub fn type_class(observed: &Observed, direction: Option<Direction>) -> StopClass {
    match (observed.charge, direction) {
        (ChargeType::PrePaid, Some(Direction::Upgrade)) => StopClass::Restart,
        _ => Attr::InstanceType.row().stop,
    }
}

/// A secret value: compared and carried like any other, but its Debug and
/// Display never show it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sensitive(pub String);

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(…)")
    }
}

/// An attribute's value, as the planner compares and sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Text(String),
    Secret(Sensitive),
    Set(BTreeSet<String>),
    Map(BTreeMap<String, String>),
    Flag(bool),
    /// A size in GiB.
    Size(u32),
    /// A length of time: `n` `unit`s (a subscription's renewal, `Month`).
    Term {
        n: u32,
        unit: String,
    },
    /// Explicitly none (a key pair removed).
    None,
    /// Known only at apply time (at plan: "known after apply"). Always a
    /// change, since it may differ.
    Unknown,
}

impl Val {
    pub fn text(s: impl Into<String>) -> Val {
        Val::Text(s.into())
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Val::Text(s) => Some(s),
            Val::Secret(s) => Some(&s.0),
            _ => None,
        }
    }

    pub fn as_size(&self) -> Option<u32> {
        match self {
            Val::Size(n) => Some(*n),
            _ => None,
        }
    }

    /// Short words for a plan's text: sets and maps by their size, secrets
    /// and long text never spelled out.
    pub fn shown(&self) -> String {
        match self {
            Val::Text(s) if s.chars().count() <= 64 && !s.contains('\n') => s.clone(),
            Val::Text(_) => "(new text)".into(),
            Val::Secret(_) => "(sensitive)".into(),
            Val::Set(s) => {
                let v: Vec<&str> = s.iter().map(String::as_str).collect();
                format!("[{}]", v.join(", "))
            }
            Val::Map(m) => format!("{} tag(s)", m.len()),
            Val::Flag(b) => b.to_string(),
            Val::Size(n) => format!("{n} GiB"),
            Val::Term { n, unit } => format!(
                "{n} {}{}",
                unit.to_lowercase(),
                if *n == 1 { "" } else { "s" }
            ),
            Val::None => "none".into(),
            Val::Unknown => "(known after apply)".into(),
        }
    }
}

/// The values one call sets.
pub type Settings = BTreeMap<Attr, Val>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_has_exactly_one_row() {
        let attrs: BTreeSet<Attr> = Attr::all().collect();
        assert_eq!(attrs.len(), TABLE.len());
        let names: BTreeSet<&str> = TABLE.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), TABLE.len());
    }

    #[test]
    fn secrets_never_show() {
        let v = Val::Secret(Sensitive("hunter2-Pass".into()));
        assert!(!format!("{v:?}").contains("hunter2"));
        assert!(!v.shown().contains("hunter2"));
    }
}
