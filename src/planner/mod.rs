//! The planner/sequencer: given what an instance is now and what the
//! configuration wants, the ordered steps that get there within the rules of
//! ModifyInstanceSpec, with downtime limited to stop + modify + start.
//! Pure functions: no async, no I/O, no clock (the caller passes `now`).
//!
//! - [`model`]: the plain values going in and out.
//! - [`mod@table`]: every attribute's call and stop class (no stop, a
//!   restart to take effect, Stopped): the classification the others read.
//! - [`sequence`]: [`plan`] and [`validate`]; its docs explain the order.
//! - [`describe`]: the plan as text, and the warning for plans that stop.
//! - [`estimate`]: how long the instance will be down and when its changes
//!   will be done, from transitions observed before, with each figure's
//!   source (words only: it never changes a step).
//! - [`mod@simulate`]: an independent judge that replays steps against the
//!   rules; the tests' oracle, usable by the code that runs the steps.
pub mod describe;
pub mod estimate;
pub mod model;
pub mod sequence;
pub mod simulate;
pub mod table;
#[cfg(test)]
mod tests;

pub use describe::{stop_warning, summary, wait_note};
pub use model::*;
pub use sequence::{plan, validate};
pub use simulate::{simulate, Rule, RuleViolation};
pub use table::{stop_class, Attr, Call, Row, Sensitive, Settings, StopClass, Val, TABLE};
