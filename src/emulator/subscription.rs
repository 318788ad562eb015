//! Subscription (PrePaid) bookkeeping: what an emulated instance carries
//! beyond the API's fields (its paid period, renewal setting, refunds used,
//! a type change waiting for a restart, the bandwidth cycle lock), and the
//! orders ECS opens for subscription changes. Data and the few state changes
//! both the actions and the admin API make (paying an order); the rules of
//! each action live in `actions::prepay`.
//!
//! Documented facts (ModifyPrepayInstanceSpec, ModifyInstanceNetworkSpec,
//! RunInstances references) and the readings chosen where they disagree:
//! `docs/design/emulator.md`, "Subscription instances".

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use super::catalog;
use super::instance::{minute_time, Instance};
use super::store::Store;

/// `ExpiredTime` of a pay-as-you-go instance, as ECS shows it.
pub const NEVER_EXPIRES: &str = "2099-12-31T15:59Z";

/// Downgrades (refunds) a subscription instance may have in its life: type
/// and bandwidth downgrades together (ModifyPrepayInstanceSpec reference).
pub const MAX_REFUNDS: u32 = 3;

/// The subscription side of an instance. Empty (`Default`) for
/// pay-as-you-go instances and for state files written before it existed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Subscription {
    /// End of the paid period (`ExpiredTime`); `None` shows as
    /// [`NEVER_EXPIRES`].
    pub expired_time: Option<DateTime<Utc>>,
    /// `AutoRenewal` | `Normal` | `NotRenewal` (empty means `Normal`).
    pub renewal_status: String,
    /// Auto-renewal duration and its unit (`Week` | `Month` | `Year`).
    pub renew_duration: i64,
    pub renew_unit: String,
    /// Downgrades (refunds) used so far, of [`MAX_REFUNDS`].
    pub refunds: u32,
    /// A type change ordered and paid, in effect from the next API start or
    /// restart (StartInstance, RebootInstance); DescribeInstances shows the
    /// old type until then.
    pub pending_type: Option<String>,
    /// After a bandwidth downgrade, no bandwidth change until this time
    /// (the end of the billing cycle the downgrade happened in).
    pub bandwidth_locked_until: Option<DateTime<Utc>>,
}

impl Subscription {
    pub fn renewal_status(&self) -> &str {
        if self.renewal_status.is_empty() {
            "Normal"
        } else {
            &self.renewal_status
        }
    }

    pub fn expired_time_text(&self) -> String {
        self.expired_time
            .map(minute_time)
            .unwrap_or_else(|| NEVER_EXPIRES.to_string())
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expired_time.is_some_and(|t| t <= now)
    }
}

/// The end of a period of `n` `unit`s (`Week` | `Month` | `Year`) from `from`.
pub fn period_end(from: DateTime<Utc>, n: i64, unit: &str) -> DateTime<Utc> {
    let n = u32::try_from(n.max(0)).unwrap_or(0);
    match unit {
        "Week" => from + chrono::Duration::weeks(i64::from(n)),
        "Year" => from.checked_add_months(Months::new(n * 12)).unwrap_or(from),
        _ => from.checked_add_months(Months::new(n)).unwrap_or(from),
    }
}

/// Applies a pending type change: the instance restarts on it. Called when
/// an instance starts through the API (Stopped → Starting, or a restart).
pub fn take_effect(inst: &mut Instance) {
    if let Some(type_id) = inst.subscription.pending_type.take() {
        show_type(inst, &type_id);
    }
}

/// Sets the type DescribeInstances shows (and its Cpu, Memory, family).
fn show_type(inst: &mut Instance, type_id: &str) {
    if let Some(spec) = catalog::find(type_id) {
        inst.instance_type = spec.id.clone();
        inst.family = spec.family.clone();
        inst.cpu = spec.cpu;
        inst.memory = spec.memory_mib();
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    /// Paid; its change is applied.
    Paid,
    /// `AutoPay=false`: waits to be paid in the console (admin API).
    Unpaid,
    /// `AutoPay=true` with a balance too low to pay it: ECS calls it an
    /// abnormal order; it can only be cancelled (or paid after a top-up).
    Abnormal,
    Cancelled,
}

impl OrderStatus {
    /// Unpaid and abnormal orders block later changes of the instance.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::Unpaid | OrderStatus::Abnormal)
    }
}

/// What an order changes once paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    InstanceType(String),
    Bandwidth {
        out: Option<i64>,
        inbound: Option<i64>,
    },
}

/// One order of a subscription change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Order {
    pub order_id: String,
    pub instance_id: String,
    pub action: String,
    /// `Upgrade` | `Downgrade`.
    pub operation: String,
    pub status: OrderStatus,
    pub created: DateTime<Utc>,
    pub change: Change,
}

impl Order {
    /// The admin API's view.
    pub fn to_json(&self) -> serde_json::Value {
        let change = match &self.change {
            Change::InstanceType(t) => serde_json::json!({"InstanceType": t}),
            Change::Bandwidth { out, inbound } => serde_json::json!({
                "InternetMaxBandwidthOut": out,
                "InternetMaxBandwidthIn": inbound,
            }),
        };
        serde_json::json!({
            "OrderId": self.order_id,
            "InstanceId": self.instance_id,
            "Action": self.action,
            "OperationType": self.operation,
            "Status": format!("{:?}", self.status),
            "CreationTime": minute_time(self.created),
            "Change": change,
        })
    }
}

/// A random order number, as billing would return.
pub fn new_order_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..15)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// How a paid type change shows before the restart that puts it in effect
/// (`Config::subscription_type_shown_early`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// DescribeInstances shows the old type until the restart.
    AtRestart,
    /// DescribeInstances shows the new type at once; the restart is owed all
    /// the same.
    AtOrder,
}

impl Shown {
    pub fn of(early: bool) -> Shown {
        if early {
            Shown::AtOrder
        } else {
            Shown::AtRestart
        }
    }
}

/// Records an order for `instance_id` and, when it is paid, applies its
/// change. Returns the order id.
#[allow(clippy::too_many_arguments)]
pub fn place(
    store: &mut Store,
    instance_id: &str,
    action: &str,
    operation: &str,
    status: OrderStatus,
    change: Change,
    shown: Shown,
    now: DateTime<Utc>,
) -> String {
    let order_id = new_order_id();
    if status == OrderStatus::Paid {
        apply(store, instance_id, &change, shown, now);
    }
    store.orders.push(Order {
        order_id: order_id.clone(),
        instance_id: instance_id.to_string(),
        action: action.to_string(),
        operation: operation.to_string(),
        status,
        created: now,
        change,
    });
    order_id
}

/// Applies a paid change: a type waits for the next API start or restart;
/// bandwidth changes at once, and a rise from 0 gives a subscription
/// instance a public IP automatically.
fn apply(store: &mut Store, instance_id: &str, change: &Change, shown: Shown, now: DateTime<Utc>) {
    let Some(inst) = store.instances.get(instance_id) else {
        return;
    };
    let needs_ip = match change {
        Change::Bandwidth { out: Some(out), .. } => {
            inst.bandwidth_out == 0 && *out > 0 && inst.public_ips.is_empty()
        }
        _ => false,
    };
    let ip = needs_ip.then(|| store.alloc_public_ip());
    let Some(inst) = store.instances.get_mut(instance_id) else {
        return;
    };
    match change {
        Change::InstanceType(t) => {
            inst.subscription.pending_type = Some(t.clone());
            if shown == Shown::AtOrder {
                show_type(inst, t);
            }
        }
        Change::Bandwidth { out, inbound } => {
            if let Some(v) = out {
                inst.bandwidth_out = *v;
            }
            if let Some(v) = inbound {
                inst.bandwidth_in = *v;
            }
            inst.public_ips.extend(ip);
        }
    }
    inst.last_modified = Some(now);
}

/// Pays (`pay`) or cancels an open order, as a user would in the console.
///
/// `Ok(None)`: no such order.
///
/// # Errors
/// A message when the order is not open, or cannot be paid with a low
/// balance.
pub fn settle(
    store: &mut Store,
    order_id: &str,
    pay: bool,
    shown: Shown,
    now: DateTime<Utc>,
) -> Result<Option<Order>, String> {
    let Some(i) = store.orders.iter().position(|o| o.order_id == order_id) else {
        return Ok(None);
    };
    let order = &store.orders[i];
    if !order.status.is_open() {
        return Err(format!(
            "order {order_id} is {:?}; only Unpaid or Abnormal orders can be paid or cancelled",
            order.status
        ));
    }
    if pay && store.account.low_balance {
        return Err("the account balance is too low to pay it (set LowBalance false first)".into());
    }
    if pay {
        let (id, change) = (order.instance_id.clone(), order.change.clone());
        apply(store, &id, &change, shown, now);
    }
    store.orders[i].status = if pay {
        OrderStatus::Paid
    } else {
        OrderStatus::Cancelled
    };
    Ok(Some(store.orders[i].clone()))
}
