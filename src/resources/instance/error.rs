//! Why an apply (or a part of it) failed, in words a Terraform user can act
//! on. Each variant becomes one error diagnostic: [`ApplyError::summary`] is
//! its Title Case summary, `Display` its detail.

use crate::ecs;
use crate::planner::PlanError;
use std::fmt;
use std::time::Duration;

#[derive(Debug)]
pub enum ApplyError {
    /// The API refused a call (after the client's own retries).
    Api(ecs::Error),
    /// A modification kept being refused while the instance was in the
    /// right status (the cooldown, or something like it), until the timeout.
    StillRefused {
        error: ecs::Error,
        attempts: u32,
        waited: Duration,
    },
    /// A modification was refused in a way that cannot be the cooldown: the
    /// instance is in a status the change does not allow (or the API said
    /// it must be Stopped). Not retried.
    NotCooldown {
        error: ecs::Error,
        /// The instance's status when the refusal came.
        status: String,
        /// The statuses the change needs, e.g. `Stopped`.
        needs: String,
    },
    /// ECS refused a subscription change because the instance has an
    /// unpaid or abnormal order. `order`: the order this provider placed
    /// and saw not paid, if it knows one.
    UnpaidOrder {
        error: ecs::Error,
        order: Option<String>,
        stopped: bool,
    },
    /// A subscription order was placed (with AutoPay) and its change is not
    /// in effect after the restart that should have applied it: ECS left
    /// the order unpaid (an abnormal order: a balance too low).
    OrderNotPaid { order: String, to: String },
    /// The instance vanished while we worked on it.
    Gone { id: String },
    /// A wait did not end within the operation's timeout.
    Timeout {
        what: String,
        /// `create`, `update` or `delete`: which `timeouts` entry to raise.
        operation: &'static str,
        limit: Duration,
    },
    /// Terraform's Stop (Ctrl-C).
    Cancelled,
    /// The live instance cannot reach the planned state (it changed since
    /// the plan).
    Plan(PlanError),
    /// Reaching the planned state would need changes the plan did not show
    /// (`extra`: "stop it", "change instance_type to …"): the instance
    /// changed since the plan was made.
    Unplanned {
        planned_on: String,
        live: String,
        extra: Vec<String>,
    },
}

impl ApplyError {
    pub fn summary(&self) -> &'static str {
        match self {
            ApplyError::Api(_) => "ECS API Error",
            ApplyError::StillRefused { .. } => "Modification Refused Until Timeout",
            ApplyError::NotCooldown { .. } => "Modification Refused",
            ApplyError::Gone { .. } => "Instance Disappeared",
            ApplyError::UnpaidOrder { .. } => "Unpaid Order Blocks The Change",
            ApplyError::OrderNotPaid { .. } => "Subscription Order Not Paid",
            ApplyError::Timeout { .. } => "Timed Out",
            ApplyError::Cancelled => "Operation Cancelled",
            ApplyError::Plan(_) | ApplyError::Unplanned { .. } => "Instance Changed Since The Plan",
        }
    }

    pub fn is_cancelled(&self) -> bool {
        match self {
            ApplyError::Cancelled => true,
            ApplyError::Api(e) => e.kind == ecs::ErrorKind::Cancelled,
            _ => false,
        }
    }
}

impl From<ecs::Error> for ApplyError {
    fn from(e: ecs::Error) -> Self {
        if e.kind == ecs::ErrorKind::Cancelled {
            ApplyError::Cancelled
        } else {
            ApplyError::Api(e)
        }
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Api(e) if is_no_stock_start(e) => write!(
                f,
                "{e}. The instance had been stopped in economical mode (StoppedMode = \
                 StopCharging), which gave its compute resources back, and the zone has \
                 none of its type to give it now. Apply again later, or change \
                 instance_type to a type in stock; leave stopped_mode unset (KeepCharging) \
                 so that future stops keep the resources."
            ),
            ApplyError::Api(e) => write!(f, "{e}"),
            ApplyError::StillRefused {
                error,
                attempts,
                waited,
            } => write!(
                f,
                "{error}. The instance was in the right status, so this looked like the \
                 modification cooldown; it was retried {attempts} times over {} and still \
                 refused when the update timeout ran out. Raise timeouts.update, or apply \
                 again later.",
                humantime::format_duration(round(*waited))
            ),
            ApplyError::NotCooldown {
                error,
                status,
                needs,
            } => write!(
                f,
                "{error}. This is not the modification cooldown: the change needs the \
                 instance {needs}, and it is {status}, so it was not retried. Nothing \
                 was changed by this call. Run terraform plan again: the plan is made \
                 from the instance as it is now (a change that needs a stop says so)."
            ),
            ApplyError::UnpaidOrder {
                error,
                order,
                stopped,
            } => {
                let which = match order {
                    Some(o) => format!("order {o} (placed by this provider and not paid)"),
                    None => {
                        "an order this provider did not place (find it in the console)".to_string()
                    }
                };
                write!(
                    f,
                    "{error}. The instance has an unpaid or abnormal order: {which}. Pay or \
                     cancel it in the Alibaba Cloud console (Expenses > Orders), then apply \
                     again. {}",
                    if *stopped {
                        "The instance had been stopped for this change and was started again."
                    } else {
                        "Nothing was stopped: the order was met before any stop."
                    }
                )
            }
            ApplyError::OrderNotPaid { order, to } => write!(
                f,
                "ECS accepted the subscription change to instance_type {to} as order {order} \
                 (AutoPay), but the change is not in effect after the restart that should \
                 have applied it: the order was not paid (an abnormal order, usually a \
                 balance too low). Top up and pay order {order}, or cancel it, in the \
                 Alibaba Cloud console (Expenses > Orders), then apply again: the instance \
                 is running on its old type."
            ),
            ApplyError::Gone { id } => write!(
                f,
                "Instance {id} no longer exists: it was deleted outside Terraform since \
                 Terraform last read it (before this run, if it used -refresh=false or a \
                 saved plan; else while it ran). The next plan will create it again."
            ),
            ApplyError::Timeout {
                what,
                operation,
                limit,
            } => write!(
                f,
                "{what} did not happen within timeouts.{operation} ({}). Raise \
                 timeouts.{operation} if the instance is just slow, or check it in the \
                 console.",
                humantime::format_duration(round(*limit))
            ),
            ApplyError::Cancelled => write!(
                f,
                "Terraform asked the provider to stop; the operation was interrupted. Run \
                 the same terraform command again to finish it."
            ),
            ApplyError::Plan(e) => write!(
                f,
                "The instance is no longer as the plan saw it: {e}. Run terraform plan again."
            ),
            ApplyError::Unplanned {
                planned_on,
                live,
                extra,
            } => write!(
                f,
                "The plan was made on the instance as {planned_on}, but it is now {live}: \
                 applying it would also {}, which the approved plan did not show. Nothing \
                 was changed. Run terraform plan again (with refresh) and review what it \
                 announces.",
                extra.join(", ")
            ),
        }
    }
}

/// A start refused for lack of stock: what economical stops risk.
fn is_no_stock_start(e: &ecs::Error) -> bool {
    e.action == "StartInstance" && e.code.starts_with("OperationDenied.NoStock")
}

fn round(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs())
}
